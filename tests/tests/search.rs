//! Coordinator search end to end on the bundled Trafford data: `/search`, `/geocode` and
//! `/shortlist` through a real server, checked against the data files read independently
//! (the GeoJSON and the postcode CSV) and an independent haversine.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use assetmap_tests::{data_dir, spawn_app, TestApp, TestStore};
use serde_json::Value;
use std::collections::HashMap;

/// A postcode in Sale town centre.
const SALE: &str = "M33 7AA";

/// Great-circle metres on the mean-radius sphere, written out here rather than borrowed from
/// the code under test.
fn haversine(a: (f64, f64), b: (f64, f64)) -> f64 {
    let r = 6_371_008.8;
    let (la1, la2) = (a.1.to_radians(), b.1.to_radians());
    let dla = la2 - la1;
    let dlo = (b.0 - a.0).to_radians();
    let h = (dla / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlo / 2.0).sin().powi(2);
    2.0 * r * h.sqrt().asin()
}

/// The postcode table, read straight from the CSV: postcode → (lon, lat).
fn postcode_points() -> HashMap<String, (f64, f64)> {
    let mut rdr = csv::Reader::from_path(
        data_dir().join("sources/trafford/postcodes/trafford_postcodes.csv"),
    )
    .unwrap();
    let headers = rdr.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (pc, lon, lat) = (col("postcode"), col("lon"), col("lat"));
    rdr.records()
        .filter_map(|r| {
            let r = r.unwrap();
            Some((
                r[pc].to_owned(),
                (r[lon].parse().ok()?, r[lat].parse().ok()?),
            ))
        })
        .collect()
}

/// The bundled features, read straight from the file.
fn bundled() -> Vec<Value> {
    let text = std::fs::read_to_string(data_dir().join("trafford/assets.geojson")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    v["features"].as_array().unwrap().clone()
}

fn point(f: &Value) -> (f64, f64) {
    let c = &f["geometry"]["coordinates"];
    (c[0].as_f64().unwrap(), c[1].as_f64().unwrap())
}

fn id(f: &Value) -> &str {
    f["id"].as_str().unwrap()
}

async fn search(app: &TestApp, query: &str) -> Vec<Value> {
    let r = app.get(&format!("/search?{query}")).await;
    assert_eq!(r.status, 200, "{query}: {}", r.body);
    assert!(
        r.content_type.starts_with("application/geo+json"),
        "{}",
        r.content_type
    );
    let v = r.json();
    assert_eq!(v["type"], "FeatureCollection");
    v["features"].as_array().unwrap().clone()
}

/// Asserts a 4xx problem document naming `param` (when given).
async fn problem(app: &TestApp, path: &str, status: u16, param: Option<&str>) {
    let r = app.get(path).await;
    assert_eq!(r.status, status, "{path}: {}", r.body);
    assert!(
        r.content_type.starts_with("application/problem+json"),
        "{path}: {}",
        r.content_type
    );
    let v = r.json();
    assert_eq!(v["status"], status);
    assert!(!v["detail"].as_str().unwrap().is_empty());
    if let Some(p) = param {
        assert_eq!(v["invalid_params"][0]["name"], p, "{path}: {}", r.body);
    }
}

#[tokio::test]
async fn nearest_libraries_to_a_sale_postcode_come_in_distance_order_with_true_distances() {
    let app = spawn_app(TestStore::GeoPackage).await;
    let origin = postcode_points()[SALE];
    // Independently: every library in the bundled file, nearest first.
    let mut libraries: Vec<(String, f64)> = bundled()
        .iter()
        .filter(|f| id(f).starts_with("trafford_libraries:"))
        .map(|f| (id(f).to_owned(), haversine(origin, point(f))))
        .filter(|(_, d)| *d <= 10_000.0)
        .collect();
    libraries.sort_by(|a, b| a.1.total_cmp(&b.1));
    assert!(
        libraries.len() >= 5,
        "Trafford has libraries within 10 km of Sale"
    );

    // Any case and spacing of the postcode.
    let features = search(
        &app,
        "postcode=m337aa&q=library&sort=distance&radius=10000&limit=200",
    )
    .await;
    let found: Vec<(String, f64)> = features
        .iter()
        .filter(|f| id(f).starts_with("trafford_libraries:"))
        .map(|f| {
            (
                id(f).to_owned(),
                f["properties"]["distance_m"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        found.iter().map(|x| &x.0).collect::<Vec<_>>(),
        libraries.iter().map(|x| &x.0).collect::<Vec<_>>()
    );
    for ((got_id, got), (_, want)) in found.iter().zip(&libraries) {
        assert!(
            (got - want).abs() <= 0.06,
            "{got_id}: {got} m vs haversine {want} m"
        );
    }
    // The whole list is nearest first, every item matched the word, and the nearest is Sale's.
    let d: Vec<f64> = features
        .iter()
        .map(|f| f["properties"]["distance_m"].as_f64().unwrap())
        .collect();
    assert!(d.windows(2).all(|w| w[0] <= w[1]), "{d:?}");
    assert!(features
        .iter()
        .all(|f| f["properties"]["matched"]["terms"] == serde_json::json!(["library"])));
    let names: Vec<&str> = features
        .iter()
        .take(3)
        .map(|f| f["properties"]["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"Sale Library"), "{names:?}");
    // Walking time follows the documented model (4.8 km/h, detour factor 1.3).
    for f in &features {
        let p = &f["properties"];
        let want = (p["distance_m"].as_f64().unwrap() * 1.3 / 80.0).round();
        assert_eq!(p["walk_minutes"].as_f64().unwrap(), want);
    }
}

#[tokio::test]
async fn gardening_finds_allotments_and_green_spaces() {
    let app = spawn_app(TestStore::GeoPackage).await;
    let features = search(&app, "postcode=M33%207AA&q=Gardening&radius=3000&limit=50").await;
    assert!(
        features
            .iter()
            .any(|f| id(f).starts_with("trafford_allotments:")),
        "allotments"
    );
    assert!(
        features
            .iter()
            .any(|f| id(f).starts_with("trafford_greenspace")),
        "green spaces"
    );
    for f in &features {
        let p = &f["properties"];
        assert_eq!(p["matched"]["terms"], serde_json::json!(["gardening"]));
        assert!(p["distance_m"].as_f64().unwrap() <= 3000.0);
    }
    let scores: Vec<f64> = features
        .iter()
        .map(|f| f["properties"]["score"].as_f64().unwrap())
        .collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "rank order: {scores:?}"
    );
    // Word forms and synonyms: "allotment" and "gardeners" find allotments too.
    for q in ["allotment", "gardeners"] {
        let f = search(&app, &format!("postcode=M33%207AA&q={q}&radius=3000")).await;
        assert!(
            f.iter().any(|f| id(f).starts_with("trafford_allotments:")),
            "{q}"
        );
    }
}

/// Whether a feature's weekly periods (as served) include Sunday 11:00.
fn open_sunday_11(f: &Value) -> Option<bool> {
    let periods = f["properties"]["opening_times"]["periods"].as_array()?;
    if periods.is_empty() {
        return None;
    }
    let minutes = |s: &str| -> u32 {
        let (h, m) = s.split_once(':').unwrap();
        h.parse::<u32>().unwrap() * 60 + m.parse::<u32>().unwrap()
    };
    Some(periods.iter().any(|p| {
        let (o, c) = (
            minutes(p["opens"].as_str().unwrap()),
            minutes(p["closes"].as_str().unwrap()),
        );
        let day = p["day"].as_str().unwrap();
        if c > o {
            day == "sun" && o <= 660 && 660 < c
        } else {
            (day == "sun" && o <= 660) || (day == "sat" && 660 < c)
        }
    }))
}

/// `open_at` with `Z` or an offset, with or without seconds, is the UK local time it names:
/// in November (GMT) `11:00Z` is `11:00`, and `12:00+01:00` is too.
#[tokio::test]
async fn open_at_with_an_offset_and_no_seconds_is_converted_to_uk_local_time() {
    let app = spawn_app(TestStore::GeoPackage).await;
    let near = "postcode=M33%207AA&category=health_services&radius=5000&limit=200";
    let answer = |open_at: &str| {
        let app = &app;
        let path = format!("/search?{near}&open_at={open_at}");
        async move {
            let r = app.get(&path).await;
            assert_eq!(r.status, 200, "{path}: {}", r.body);
            let v = r.json();
            let ids: Vec<(String, String)> = v["features"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| {
                    (
                        id(f).to_owned(),
                        f["properties"]["open_status"].as_str().unwrap().to_owned(),
                    )
                })
                .collect();
            (v["search"]["open_at"].as_str().unwrap().to_owned(), ids)
        }
    };
    // 29 November 2026 is a Sunday in GMT.
    let local = answer("2026-11-29T11:00").await;
    assert_eq!(local.0, "2026-11-29T11:00");
    assert!(local.1.iter().any(|(_, s)| s == "open"), "{local:?}");
    for same in [
        "2026-11-29T11:00Z",
        "2026-11-29T11:00:00Z",
        "2026-11-29T11:00%2B00:00",
        "2026-11-29T12:00%2B01:00",
        // An unencoded + arrives as a space, and is still read as +.
        "2026-11-29T12:00+01:00",
        "2026-11-29T06:00-05:00",
    ] {
        assert_eq!(answer(same).await, local, "{same}");
    }
    // The offset is applied, not dropped: 11:00+01:00 is 10:00 in November.
    assert_eq!(
        answer("2026-11-29T11:00%2B01:00").await.0,
        "2026-11-29T10:00"
    );
    // In summer (BST) 10:00Z is 11:00 UK time: Sunday 7 June 2026.
    assert_eq!(
        answer("2026-06-07T10:00Z").await,
        answer("2026-06-07T11:00").await
    );
    let bad = format!("/search?{near}&open_at=2026-11-29T11:00%2B25:00");
    problem(&app, &bad, 400, Some("open_at")).await;
}

#[tokio::test]
async fn open_at_on_a_sunday_leaves_out_places_closed_on_sundays() {
    let app = spawn_app(TestStore::GeoPackage).await;
    // 1 June 2025 is a Sunday.
    let features = search(&app, "postcode=M33%207AA&category=health_services&open_at=2025-06-01T11:00&radius=5000&limit=200").await;
    assert!(!features.is_empty());
    let mut open = 0;
    for f in &features {
        let status = f["properties"]["open_status"].as_str().unwrap();
        assert_ne!(status, "closed");
        // Times not known: kept, and said to be not recorded (never a match).
        let not_recorded = f["properties"]["matched"]["not_recorded"]
            .as_array()
            .unwrap();
        assert_eq!(
            not_recorded.contains(&Value::from("open_at")),
            status == "unknown"
        );
        match open_sunday_11(f) {
            Some(true) => {
                assert_eq!(status, "open");
                open += 1;
            }
            Some(false) => panic!("{} is closed on Sunday at 11:00 but was listed", id(f)),
            None => assert!(["unknown", "by_arrangement"].contains(&status)),
        }
    }
    assert!(open > 0, "some pharmacies open on Sunday morning");
    // Independently: pharmacies within 5 km that are closed then exist, and none was listed.
    let origin = postcode_points()[SALE];
    let closed: Vec<String> = bundled()
        .iter()
        .filter(|f| {
            id(f).starts_with("trafford_pharmacies:") && haversine(origin, point(f)) <= 5000.0
        })
        .filter(|f| open_sunday_11(f) == Some(false))
        .map(|f| id(f).to_owned())
        .collect();
    assert!(
        !closed.is_empty(),
        "the data has pharmacies closed on Sundays"
    );
    assert!(features.iter().all(|f| !closed.contains(&id(f).to_owned())));
    // Known-open places rank above unknown times at the same distance: the factor is applied.
    for f in &features {
        let p = &f["properties"];
        let proximity = 1.0 - p["distance_m"].as_f64().unwrap() / 5000.0;
        let factor = match p["open_status"].as_str().unwrap() {
            "open" => 1.0,
            "by_arrangement" => 0.75,
            _ => 0.5,
        };
        assert!(
            (p["score"].as_f64().unwrap() - proximity * factor).abs() < 1e-3,
            "{p}"
        );
    }
    // open=now works and says how each place stands (which places it keeps and leaves out is
    // checked by `open_now_keeps_open_and_unknown_and_leaves_out_closed`).
    let now = search(&app, "postcode=M33%207AA&open=now&radius=2000").await;
    assert!(!now.is_empty());
    assert!(now
        .iter()
        .all(|f| f["properties"]["open_status"].is_string()));
}

#[tokio::test]
async fn age_8_leaves_out_adults_only_services() {
    let app = spawn_app(TestStore::GeoPackage).await;
    let adults: Vec<Value> = bundled()
        .into_iter()
        .filter(|f| {
            f["properties"]["audience"]["min_age"]
                .as_u64()
                .is_some_and(|a| a > 8)
        })
        .collect();
    assert!(!adults.is_empty(), "the data has adults-only services");
    for a in &adults {
        let (lon, lat) = point(a);
        let q = format!("lon={lon}&lat={lat}&radius=300&limit=200");
        let without: Vec<String> = search(&app, &q)
            .await
            .iter()
            .map(|f| id(f).to_owned())
            .collect();
        assert!(
            without.contains(&id(a).to_owned()),
            "{} is found without an age",
            id(a)
        );
        let with = search(&app, &format!("{q}&age=8")).await;
        assert!(
            !with.iter().any(|f| id(f) == id(a)),
            "{} is for adults",
            id(a)
        );
        for f in &with {
            let aud = &f["properties"]["audience"];
            assert!(
                aud["min_age"].as_u64().is_none_or(|m| m <= 8)
                    && aud["max_age"].as_u64().is_none_or(|m| m >= 8)
            );
            // Said to suit the age only when its record gives an age range; otherwise the
            // filter kept it but its record does not say.
            let has_range = aud["min_age"].is_u64() || aud["max_age"].is_u64();
            let m = &f["properties"]["matched"];
            assert_eq!(
                m["filters"]
                    .as_array()
                    .unwrap()
                    .contains(&Value::from("age=8")),
                has_range,
                "{m}"
            );
            assert_eq!(
                m["not_recorded"]
                    .as_array()
                    .unwrap()
                    .contains(&Value::from("age=8")),
                !has_range,
                "{m}"
            );
        }
    }
}

#[tokio::test]
async fn filters_walk_minutes_and_response_headers() {
    let app = spawn_app(TestStore::GeoPackage).await;
    let r = app.get("/search?postcode=M33%207AA&walk_minutes=15&category=green_space_nature,learning&limit=200").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.header("referrer-policy"), Some("no-referrer"));
    let v = r.json();
    let radius = 15.0 * 80.0 / 1.3;
    assert!((v["search"]["radius_m"].as_f64().unwrap() - radius).abs() < 0.1);
    let features = v["features"].as_array().unwrap();
    assert!(!features.is_empty());
    for f in features {
        let p = &f["properties"];
        assert!(p["distance_m"].as_f64().unwrap() <= radius + 0.05);
        assert_eq!(p["status"], "active");
        let cats = p["categories"].as_array().unwrap();
        assert!(
            cats.contains(&Value::from("green_space_nature"))
                || cats.contains(&Value::from("learning"))
        );
        let filters = p["matched"]["filters"].as_array().unwrap();
        assert!(
            filters
                .iter()
                .any(|m| m.as_str().unwrap().starts_with("category=")),
            "{filters:?}"
        );
        assert!(p.get("open_status").is_none(), "no time was asked");
    }
    // Cost is known for few Trafford records, so look wider: free is free; low is free or low;
    // a record that gives no cost is kept (lower), said "not recorded", never "free".
    let said = |f: &Value, key: &str, what: &str| {
        f["properties"]["matched"][key]
            .as_array()
            .unwrap()
            .contains(&Value::from(what))
    };
    let free = search(&app, "postcode=M33%207AA&cost=free&radius=20000&limit=200").await;
    assert!(free
        .iter()
        .any(|f| f["properties"]["cost"]["band"] == "free"));
    for f in &free {
        match f["properties"]["cost"]["band"].as_str() {
            Some(band) => {
                assert_eq!(band, "free");
                assert!(said(f, "filters", "cost=free"));
            }
            None => {
                assert!(said(f, "not_recorded", "cost=free") && !said(f, "filters", "cost=free"))
            }
        }
    }
    let low = search(&app, "postcode=M33%207AA&cost=low&radius=20000&limit=200").await;
    for f in &low {
        if let Some(band) = f["properties"]["cost"]["band"].as_str() {
            assert!(["free", "low"].contains(&band), "{band}");
        } else {
            assert!(said(f, "not_recorded", "cost=low"));
        }
    }
    // Access: a search asking for features keeps the places that record all of them, and those
    // that record no access feature at all (lower, "not recorded"); a place that records other
    // features only is left out. The bundled sources record parking, accessible toilets,
    // accessible parking and step-free access (sports facilities), but no hearing loop, so
    // `access_must_have_every_listed_feature` checks two features on records of its own.
    for query in ["access=step_free", "access=step_free,hearing_loop"] {
        let asked: Vec<&str> = query["access=".len()..].split(',').collect();
        for f in search(
            &app,
            &format!("postcode=M33%207AA&{query}&radius=5000&limit=200"),
        )
        .await
        {
            let access = f["properties"]["access"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            if access.is_empty() {
                assert!(asked
                    .iter()
                    .all(|a| said(&f, "not_recorded", &format!("access={a}"))));
            } else {
                assert!(
                    asked.iter().all(|a| access.contains(&Value::from(*a))),
                    "{query}: {access:?}"
                );
            }
        }
    }
    // lon/lat works as well as a postcode, and limit caps the list.
    let (lon, lat) = postcode_points()[SALE];
    assert_eq!(
        search(&app, &format!("lon={lon}&lat={lat}&limit=3"))
            .await
            .len(),
        3
    );
    // Repeatable categories equal a comma list.
    let a = search(
        &app,
        "postcode=M33%207AA&category=food&category=faith&radius=4000",
    )
    .await;
    let b = search(&app, "postcode=M33%207AA&category=food,faith&radius=4000").await;
    assert_eq!(a, b);
}

#[tokio::test]
async fn every_search_error_names_what_to_fix() {
    let app = spawn_app(TestStore::GeoPackage).await;
    let s = "/search?postcode=M33%207AA";
    problem(&app, "/search?postcode=M1%201AA", 404, None).await;
    // Half a postcode that is not a district's first part either.
    problem(&app, "/search?postcode=M33%207", 400, Some("postcode")).await;
    problem(
        &app,
        "/search?postcode=not-a-postcode",
        400,
        Some("postcode"),
    )
    .await;
    problem(&app, "/search", 400, Some("postcode")).await;
    problem(&app, "/search?q=chess", 400, Some("postcode")).await;
    problem(
        &app,
        "/search?postcode=M33%207AA&lon=-2.3&lat=53.4",
        400,
        Some("postcode"),
    )
    .await;
    problem(&app, "/search?lon=-2.3", 400, Some("lat")).await;
    problem(&app, "/search?lat=53.4", 400, Some("lon")).await;
    problem(&app, "/search?lon=-200&lat=53.4", 400, Some("lon")).await;
    problem(&app, "/search?lon=-2.3&lat=north", 400, Some("lat")).await;
    for (extra, param) in [
        ("radius=0", "radius"),
        ("radius=50001", "radius"),
        ("radius=far", "radius"),
        ("walk_minutes=0", "walk_minutes"),
        ("walk_minutes=100000", "walk_minutes"),
        ("radius=500&walk_minutes=10", "walk_minutes"),
        ("category=knitting", "category"),
        ("abcd_type=club", "abcd_type"),
        ("open_at=tuesday", "open_at"),
        ("open_at=2025-06-01T25:00", "open_at"),
        ("open_at=2025-06-01T10:00%2B25:00", "open_at"),
        ("open_at=2025-06-01T10:00Y", "open_at"),
        ("open=later", "open"),
        ("open=now&open_at=2025-06-01T10:00", "open"),
        ("cost=cheap", "cost"),
        ("access=wings", "access"),
        ("age=-1", "age"),
        ("age=121", "age"),
        ("age=young", "age"),
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=5&limit=6", "limit"),
        ("sort=best", "sort"),
        ("colour=red", "colour"),
    ] {
        problem(&app, &format!("{s}&{extra}"), 400, Some(param)).await;
    }
    let long = "a".repeat(301);
    problem(&app, &format!("{s}&q={long}"), 400, Some("q")).await;
    let r = app.send("POST", "/search", None, None, &[]).await;
    assert_eq!(r.status, 405);
}

#[tokio::test]
async fn geocode_gives_the_point_and_areas_of_a_postcode() {
    let app = spawn_app(TestStore::GeoPackage).await;
    let r = app.get("/geocode?postcode=m33%207aa").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let v = r.json();
    let (lon, lat) = postcode_points()[SALE];
    assert_eq!(v["postcode"], SALE);
    assert_eq!(
        (v["lon"].as_f64().unwrap(), v["lat"].as_f64().unwrap()),
        (lon, lat)
    );
    assert_eq!(v["ward_name"], "Sale Central");
    for k in ["ward_code", "lsoa_code", "msoa_code"] {
        assert!(v[k].as_str().unwrap().starts_with('E'), "{k}");
    }
    assert_eq!(app.get("/geocode?postcode=M337AA").await.json(), v);
    problem(&app, "/geocode", 400, Some("postcode")).await;
    problem(&app, "/geocode?postcode=M33%207", 400, Some("postcode")).await;
    problem(&app, "/geocode?postcode=SW1A%201AA", 404, None).await;
    problem(
        &app,
        "/geocode?postcode=M33%207AA&ward=1",
        400,
        Some("ward"),
    )
    .await;
}

#[tokio::test]
async fn shortlist_prints_and_texts_the_chosen_places() {
    let app = spawn_app(TestStore::GeoPackage).await;
    let picked = search(
        &app,
        "postcode=M33%207AA&q=library&sort=distance&radius=3000&limit=3",
    )
    .await;
    let ids: Vec<&str> = picked.iter().map(id).collect();
    assert_eq!(ids.len(), 3);
    let list = ids.join(",");

    let html = app
        .get_with(
            &format!("/shortlist?ids={list}&postcode=M33%207AA"),
            Some("text/html"),
        )
        .await;
    assert_eq!(html.status, 200);
    assert!(html.content_type.starts_with("text/html"));
    assert_eq!(html.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(html.header("cache-control"), Some("no-store"));
    for f in &picked {
        let name = f["properties"]["name"]
            .as_str()
            .unwrap()
            .replace('&', "&amp;")
            .replace('\'', "&#39;");
        assert!(html.body.contains(&name), "{name}");
    }
    assert!(
        html.body.contains("<svg") && html.body.contains("</svg>"),
        "a position sketch"
    );
    assert!(
        html.body.contains("minute"),
        "walking time from the postcode"
    );
    // Nothing loaded from elsewhere: no stylesheets or images by URL; the one script (the
    // Print, Copy link and Share buttons) and the favicon come from this server.
    for bad in [
        "<link rel=\"stylesheet",
        "<img",
        "src=\"http",
        "@import",
        "url(",
    ] {
        assert!(!html.body.contains(bad), "{bad}");
    }
    assert_eq!(html.body.matches("<script").count(), 1);
    assert!(html
        .body
        .contains("<script type=\"module\" src=\"/static/js/shortlist-page.js\"></script>"));
    // In the order given.
    let pos: Vec<usize> = picked
        .iter()
        .map(|f| {
            html.body
                .find(
                    &f["properties"]["name"]
                        .as_str()
                        .unwrap()
                        .replace('&', "&amp;")
                        .replace('\'', "&#39;"),
                )
                .unwrap()
        })
        .collect();
    assert!(pos.windows(2).all(|w| w[0] < w[1]));

    let text = app
        .get(&format!(
            "/shortlist?ids={list}&postcode=m337aa&format=text"
        ))
        .await;
    assert_eq!(text.status, 200);
    assert!(text.content_type.starts_with("text/plain"));
    assert!(text.body.starts_with("Your shortlist (3)"));
    assert!(text.body.contains("1. ") && text.body.contains("3. ") && text.body.contains("When: "));
    assert!(!text.body.contains('<'));

    // Without a postcode: no distances, still a sketch. Unknown ids are skipped and counted.
    let plain = app
        .get_with(
            &format!("/shortlist?ids={list},no-such-asset"),
            Some("text/html"),
        )
        .await;
    assert_eq!(plain.status, 200);
    assert!(!plain.body.contains("How far"));
    assert!(plain
        .body
        .contains("<h2 id=\"gone-h\">No longer listed</h2>"));
    assert!(plain
        .body
        .contains("<li>the place with reference no-such-asset</li>"));

    problem(&app, "/shortlist", 400, Some("ids")).await;
    problem(&app, "/shortlist?ids=a%20b", 400, Some("ids")).await;
    let many: Vec<String> = (0..51).map(|i| format!("x{i}")).collect();
    problem(
        &app,
        &format!("/shortlist?ids={}", many.join(",")),
        400,
        Some("ids"),
    )
    .await;
    problem(&app, "/shortlist?ids=no-such-asset", 404, None).await;
    problem(
        &app,
        &format!("/shortlist?ids={list}&format=pdf"),
        400,
        Some("format"),
    )
    .await;
    problem(
        &app,
        &format!("/shortlist?ids={list}&postcode=M1%201AA"),
        404,
        None,
    )
    .await;
}

/// A quiet spot west of Carrington, more than 700 m from every bundled asset, where tests put
/// records of their own.
const QUIET: (f64, f64) = (-2.45, 53.41);

/// Creates a record near [`QUIET`] (`east` metres or so to the east) with the given access
/// features and opening times (`None`: no times recorded), and returns its id.
async fn create_near_quiet(
    app: &TestApp,
    name: &str,
    east: f64,
    access: &[&str],
    periods: Option<Value>,
) -> String {
    let mut f = assetmap_tests::sample_feature(name);
    f["geometry"]["coordinates"] = serde_json::json!([QUIET.0 + east / 66_300.0, QUIET.1]);
    f["properties"]["access"] = serde_json::json!(access);
    match periods {
        Some(p) => f["properties"]["opening_times"] = serde_json::json!({ "periods": p }),
        None => {
            f["properties"]
                .as_object_mut()
                .unwrap()
                .remove("opening_times");
        }
    }
    let r = app.create(&f).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let v = r.json();
    id(&v).to_owned()
}

/// The ids a search near [`QUIET`] returns, in order.
async fn ids_near_quiet(app: &TestApp, extra: &str) -> Vec<String> {
    search(
        app,
        &format!(
            "lon={}&lat={}&radius=200&limit=200{extra}",
            QUIET.0, QUIET.1
        ),
    )
    .await
    .iter()
    .map(|f| id(f).to_owned())
    .collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[tokio::test]
async fn access_must_have_every_listed_feature() {
    let app = spawn_app(TestStore::GeoPackage).await;
    let both = create_near_quiet(&app, "Both", 0.0, &["step_free", "hearing_loop"], None).await;
    let step = create_near_quiet(&app, "Step free only", 20.0, &["step_free"], None).await;
    let none = create_near_quiet(&app, "No access features", 40.0, &[], None).await;
    // Without the filter all three are found (and nothing else is this close).
    assert_eq!(
        sorted(ids_near_quiet(&app, "").await),
        sorted(vec![both.clone(), step.clone(), none.clone()])
    );
    // Both features asked: the place with both first; "step free only" (its record lists
    // access and not a hearing loop) is left out; the place that records no access at all is
    // kept, after it ("not recorded").
    assert_eq!(
        ids_near_quiet(&app, "&access=step_free,hearing_loop").await,
        vec![both.clone(), none.clone()]
    );
    // The order of the list does not matter.
    assert_eq!(
        ids_near_quiet(&app, "&access=hearing_loop,step_free").await,
        vec![both.clone(), none.clone()]
    );
    // One feature asked: the two places with it, then the silent one.
    let one = ids_near_quiet(&app, "&access=step_free").await;
    assert_eq!(
        sorted(one[..2].to_vec()),
        sorted(vec![both.clone(), step.clone()])
    );
    assert_eq!(one[2..], *std::slice::from_ref(&none));
    assert_eq!(
        ids_near_quiet(&app, "&access=hearing_loop").await,
        vec![both, none.clone()]
    );
    assert_eq!(
        ids_near_quiet(&app, "&access=step_free,hearing_loop,parking").await,
        vec![none]
    );
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

#[tokio::test]
async fn open_now_keeps_open_and_unknown_and_leaves_out_closed() {
    use chrono::{Datelike, Duration};
    let app = spawn_app(TestStore::GeoPackage).await;
    let today = assetmap_core::uk_time::uk_local(chrono::Utc::now()).date();
    // Three days on: not today even if the day turns while the test runs.
    let other_day = today + Duration::days(3);
    let day_name = |d: chrono::NaiveDate| DAYS[d.weekday().num_days_from_monday() as usize];
    assert_ne!(day_name(today), day_name(other_day));

    let all_days: Vec<Value> = DAYS
        .iter()
        .map(|d| serde_json::json!({"day": d, "opens": "00:00", "closes": "24:00"}))
        .collect();
    let always =
        create_near_quiet(&app, "Always open", 0.0, &[], Some(Value::from(all_days))).await;
    let other = create_near_quiet(
        &app,
        "Open another day",
        20.0,
        &[],
        Some(
            serde_json::json!([{"day": day_name(other_day), "opens": "09:00", "closes": "17:00"}]),
        ),
    )
    .await;
    let unknown = create_near_quiet(&app, "Times unknown", 40.0, &[], None).await;
    assert_eq!(
        sorted(ids_near_quiet(&app, "").await),
        sorted(vec![always.clone(), other.clone(), unknown.clone()]),
        "without a time all three are found"
    );

    let statuses = |features: Vec<Value>| -> HashMap<String, String> {
        features
            .iter()
            .map(|f| {
                (
                    id(f).to_owned(),
                    f["properties"]["open_status"]
                        .as_str()
                        .unwrap_or("(no open_status)")
                        .to_owned(),
                )
            })
            .collect()
    };
    let near = format!("lon={}&lat={}&radius=200&limit=200", QUIET.0, QUIET.1);
    let want: HashMap<String, String> = [
        (always.clone(), "open".to_owned()),
        (unknown.clone(), "unknown".to_owned()),
    ]
    .into();
    // Now: always open is open, unknown times are kept as unknown, the other-day place is out.
    assert_eq!(
        statuses(search(&app, &format!("{near}&open=now")).await),
        want
    );
    // The same at an explicit time today at noon.
    assert_eq!(
        statuses(search(&app, &format!("{near}&open_at={today}T12:00")).await),
        want
    );
    // And on its own day at noon the other-day place is open and listed; at 20:00 it is not.
    let mut on_its_day = want.clone();
    on_its_day.insert(other.clone(), "open".to_owned());
    assert_eq!(
        statuses(search(&app, &format!("{near}&open_at={other_day}T12:00")).await),
        on_its_day
    );
    assert_eq!(
        statuses(search(&app, &format!("{near}&open_at={other_day}T20:00")).await),
        want
    );
}

/// The end-to-end form of the engine's distance-order test: every distance is checked against
/// the independent haversine above (not against itself), and the order is nearest first.
#[tokio::test]
async fn distance_order_is_nearest_first_and_exact() {
    let app = spawn_app(TestStore::GeoPackage).await;
    let r = app
        .get("/search?postcode=M33%207AA&q=library%20books&sort=distance&radius=3000&limit=30")
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    let origin = {
        let o = &v["search"]["origin"];
        (o[0].as_f64().unwrap(), o[1].as_f64().unwrap())
    };
    assert_eq!(origin, postcode_points()[SALE], "the postcode's point");
    let got = v["features"].as_array().unwrap();
    assert!(got.len() > 5, "{}", got.len());
    let mut independent = Vec::new();
    for f in got {
        let served = f["properties"]["distance_m"].as_f64().unwrap();
        let want = haversine(origin, point(f));
        // Served rounded to 0.1 m: within 0.05 m of the true distance.
        assert!(
            (served - want).abs() <= 0.05 + 1e-9,
            "{}: served {served} m, haversine {want} m",
            id(f)
        );
        assert!(want <= 3000.0, "{}: {want} m is outside the radius", id(f));
        independent.push(want);
    }
    assert!(
        independent.windows(2).all(|w| w[0] <= w[1]),
        "nearest first: {independent:?}"
    );
    // They are the nearest matching assets, whichever they are.
    let all = search(
        &app,
        "postcode=M33%207AA&q=library%20books&sort=distance&radius=3000&limit=200",
    )
    .await;
    assert!(all.len() < 200, "the whole match fits in one page");
    let mut every: Vec<f64> = all.iter().map(|f| haversine(origin, point(f))).collect();
    every.sort_by(f64::total_cmp);
    for (i, d) in independent.iter().enumerate() {
        assert!((d - every[i]).abs() < 1e-6, "#{i}: {d} vs {}", every[i]);
    }
}

#[tokio::test]
async fn postcodes_are_answered_in_words_for_residents_and_an_outward_code_is_its_district() {
    let app = spawn_app(TestStore::GeoPackage).await;
    // A real postcode outside the area: which area the map covers, what a full postcode is.
    for path in [
        "/geocode?postcode=M1%201AA",
        "/search?postcode=M1%201AA&q=library",
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status, 404, "{path}");
        let detail = r.json()["detail"].as_str().unwrap().to_owned();
        assert!(
            detail.starts_with("M1 1AA is not a postcode in "),
            "{detail}"
        );
        assert!(detail.contains("the area this map covers"), "{detail}");
        for jargon in ["table", "lon and lat", "bundled"] {
            assert!(!detail.contains(jargon), "{jargon}: {detail}");
        }
    }
    // Not a postcode: 400 naming the parameter (the API's structure kept), in plain words.
    let r = app.get("/search?postcode=hello").await;
    assert_eq!(r.status, 400);
    let v = r.json();
    assert_eq!(v["invalid_params"][0]["name"], "postcode");
    let reason = v["invalid_params"][0]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("\"hello\" is not a postcode. A full postcode has two parts, like "),
        "{reason}"
    );
    // The example is one of the area's own postcodes.
    let example = reason
        .trim_end_matches('.')
        .rsplit("like ")
        .next()
        .unwrap()
        .to_owned();
    let pts = postcode_points();
    assert!(pts.contains_key(&example), "{example}");

    // An outward code alone: the middle of the district's postcodes, and the answer says so.
    let district: Vec<(f64, f64)> = pts
        .iter()
        .filter(|(pc, _)| pc.starts_with("M33 "))
        .map(|(_, p)| *p)
        .collect();
    assert!(district.len() > 100);
    let n = district.len() as f64;
    let mean = (
        district.iter().map(|p| p.0).sum::<f64>() / n,
        district.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let r = app.get("/geocode?postcode=m33").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let g = r.json();
    assert_eq!(g["postcode"], "M33");
    assert_eq!(g["district"], true);
    let at = (g["lon"].as_f64().unwrap(), g["lat"].as_f64().unwrap());
    assert!(haversine(at, mean) < 50.0, "{at:?} vs {mean:?}");
    let note = g["note"].as_str().unwrap();
    assert!(note.contains("first part of a postcode"), "{note}");
    assert!(note.contains("postcodes starting M33 in "), "{note}");
    assert!(g["ward_name"].as_str().is_some_and(|w| !w.is_empty()));
    // Searching from it: distances from that centre.
    let r = app
        .get("/search?postcode=M33&q=library&sort=distance&limit=3")
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    let first = &v["features"][0];
    let d = first["properties"]["distance_m"].as_f64().unwrap();
    assert!((haversine(mean, point(first)) - d).abs() < 60.0, "{d}");
    // …and the search says it started from a district's middle, as the geocoder does.
    assert_eq!(v["search"]["origin_note"], g["note"], "{}", v["search"]);
    let r = app
        .get("/search?postcode=M33%207XY&q=library&limit=1")
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.json()["search"]["origin_note"].is_null(),
        "a full postcode needs no note"
    );
    // A district the area does not have.
    let r = app.get("/geocode?postcode=M1").await;
    assert_eq!(r.status, 404);
    let detail = r.json()["detail"].as_str().unwrap().to_owned();
    assert!(
        detail.starts_with("No postcodes starting M1 are in "),
        "{detail}"
    );
}

/// What a person said, understood: filler and one person's family words left out, an age
/// offered (not applied), a phrase kept whole, how each word matched, and a clear answer when
/// nothing matched.
#[tokio::test]
async fn the_words_are_read_as_a_person_says_them() {
    let app = spawn_app(TestStore::GeoPackage).await;
    let get = |q: &str| format!("/search?postcode=M33%207XY&walk_minutes=30&limit=20&q={q}");
    // Filler, numbers and "mum" are not search words; 82 is offered as the age.
    let r = app
        .get(&get("my%20mum%20is%2082%20and%20feeling%20low"))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["search"]["terms"], serde_json::json!(["feeling low"]));
    assert_eq!(v["search"]["suggested_age"], 82);
    assert_eq!(v["search"]["dropped"], serde_json::json!(["mum", "82"]));
    assert!(v["search"]["no_match"].is_null());
    let features = v["features"].as_array().unwrap();
    assert!(!features.is_empty());
    // Never applied by itself: places whose ages exclude 82 are still listed when found.
    assert!(features
        .iter()
        .all(|f| f["properties"]["matched"]["not_recorded"]
            .as_array()
            .unwrap()
            .is_empty()));
    // Every place says how it matched; the first through the concept, in the record's words.
    for f in features {
        let through = f["properties"]["matched"]["through"].as_array().unwrap();
        assert_eq!(through.len(), 1, "{}", f["properties"]["name"]);
        assert_eq!(through[0]["term"], "feeling low");
    }
    let first = &features[0]["properties"];
    assert_eq!(first["matched"]["through"][0]["via"], "concept");
    assert_eq!(first["matched"]["through"][0]["as"], "mental wellbeing");
    assert!(
        first["categories"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "mental_wellbeing"),
        "{first}"
    );
    // With the age given, it is not offered again.
    let r = app
        .get(&format!(
            "{}&age=82",
            get("my%20mum%20is%2082%20and%20lonely")
        ))
        .await;
    assert!(r.json()["search"]["suggested_age"].is_null());

    // Words that match nothing: said, and the nearest places of any kind instead.
    let r = app.get(&get("qwxyzzy")).await;
    let v = r.json();
    let nm = &v["search"]["no_match"];
    assert_eq!(nm["words"], "qwxyzzy");
    assert_eq!(nm["instead"], "nearest");
    assert!(
        nm["message"].as_str().unwrap().contains("Nothing within"),
        "{nm}"
    );
    let near = v["features"].as_array().unwrap();
    assert!(!near.is_empty());
    assert!(near.iter().all(|f| f["properties"]["matched"]["terms"]
        .as_array()
        .unwrap()
        .is_empty()));
    let d: Vec<f64> = near
        .iter()
        .map(|f| f["properties"]["distance_m"].as_f64().unwrap())
        .collect();
    assert!(d.windows(2).all(|w| w[0] <= w[1]), "nearest first: {d:?}");
    // Only filler: no words to search for, said so.
    let r = app.get(&get("really%20something%2042")).await;
    let v = r.json();
    assert_eq!(v["search"]["terms"], serde_json::json!([]));
    assert!(v["search"]["no_match"]["message"]
        .as_str()
        .unwrap()
        .contains("no words to search for"));
}

/// A word typed with a slip is read as the word it is one slip from, and said; an English word
/// or one the records have is kept as typed; words run together are read apart.
#[tokio::test]
async fn a_word_typed_with_a_slip_is_read_as_the_word_and_said() {
    let app = spawn_app(TestStore::GeoPackage).await;
    let get = |q: &str| format!("/search?postcode=M33%207XY&walk_minutes=30&limit=5&q={q}");
    let r = app.get(&get("councelling%20for%20her%20son")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["search"]["terms"], serde_json::json!(["counselling"]));
    assert_eq!(
        v["search"]["corrected"],
        serde_json::json!([{"typed": "councelling", "read_as": "counselling"}])
    );
    assert!(v["search"]["no_match"].is_null());
    let as_typed = app.get(&get("counselling%20for%20her%20son")).await.json();
    let ids = |v: &Value| -> Vec<Value> {
        v["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].clone())
            .collect()
    };
    assert!(!ids(&v).is_empty());
    assert_eq!(ids(&v), ids(&as_typed));
    assert_eq!(as_typed["search"]["corrected"], serde_json::json!([]));
    // An English word no record has is not read as another ("hitting" is not "sitting").
    let v = app.get(&get("hitting")).await.json();
    assert_eq!(v["search"]["terms"], serde_json::json!(["hitting"]));
    assert_eq!(v["search"]["corrected"], serde_json::json!([]));
    // Two words run together, as typed on a phone, are the phrase.
    let v = app.get(&get("lunchclub")).await.json();
    assert_eq!(v["search"]["terms"], serde_json::json!(["lunch club"]));
}

/// Records at one site make way for other places, and say which place they are grouped under;
/// a filter the record is silent on keeps it lower and says so.
#[tokio::test]
async fn places_not_records_and_silence_is_said() {
    let app = spawn_app(TestStore::GeoPackage).await;
    let r = app
        .get("/search?postcode=M33%207XY&walk_minutes=30&limit=60&q=primary%20school")
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    let features = v["features"].as_array().unwrap();
    let ids: Vec<&str> = features.iter().map(|f| f["id"].as_str().unwrap()).collect();
    let grouped: Vec<usize> = (0..features.len())
        .filter(|i| !features[*i]["properties"]["same_site_as"].is_null())
        .collect();
    assert!(!grouped.is_empty(), "a school's other records at its site");
    let first_grouped = grouped[0];
    assert!(
        grouped.iter().all(|i| *i >= first_grouped)
            && (first_grouped..features.len()).all(|i| grouped.contains(&i)),
        "grouped records follow every other place: {ids:?}"
    );
    for i in &grouped {
        let p = &features[*i]["properties"];
        let leader = p["same_site_as"]["id"].as_str().unwrap();
        let at = ids
            .iter()
            .position(|x| *x == leader)
            .expect("its place is listed");
        assert!(at < first_grouped, "{leader} is listed among the places");
        let d = haversine(point(&features[*i]), point(&features[at]));
        assert!(d <= 150.0, "{} is {d} m from {leader}", ids[*i]);
    }
    // The Park Road school in Sale and its defibrillator (postcodes a door apart, M33 6HR and
    // M33 6HT, about 70 m) are one site: the better-ranked one is the place.
    let school = "trafford_schools_and_colleges:86";
    let defib = "trafford_defibrillators:99";
    let of = |id: &str| {
        &features[ids
            .iter()
            .position(|x| *x == id)
            .unwrap_or_else(|| panic!("{id} listed: {ids:?}"))]["properties"]
    };
    let (s, d) = (of(school), of(defib));
    let pair = (
        s["same_site_as"]["id"].as_str(),
        d["same_site_as"]["id"].as_str(),
    );
    assert!(
        pair == (None, Some(school)) || pair == (Some(defib), None),
        "{pair:?}"
    );

    // Free: records that give no cost are kept, said "not recorded", never "free".
    let r = app
        .get("/search?postcode=M33%207XY&walk_minutes=30&limit=100&q=club&cost=free")
        .await;
    let v = r.json();
    let features = v["features"].as_array().unwrap();
    let mut silent = 0;
    for f in features {
        let p = &f["properties"];
        let m = &p["matched"];
        match p["cost"]["band"].as_str() {
            Some(band) => {
                assert_eq!(band, "free", "{}", p["name"]);
                assert!(m["filters"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|x| x == "cost=free"));
            }
            None => {
                silent += 1;
                assert!(m["not_recorded"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|x| x == "cost=free"));
                assert!(!m["filters"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|x| x == "cost=free"));
            }
        }
    }
    assert!(silent > 0, "records silent on cost are kept");
}
