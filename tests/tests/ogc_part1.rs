//! OGC API - Features Part 1 on every collection (issue 13, item 1), measured against the
//! requirements the official test suite checks: the landing page's links resolve, `/api`
//! declares `limit`, `bbox` and `datetime` as the standard does, `bbox` takes 4 or 6 numbers
//! and boxes across the antimeridian, `datetime` filters the assets on `updated_at`, and the
//! area collections take `bbox`, state exact extents and link every single feature. A real
//! server over real HTTP, on the bundled Trafford data.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use assetmap_tests::{sample_feature, spawn_app, TestApp, TestStore};
use chrono::{DateTime, Utc};
use serde_json::Value;

const AREA_COLLECTIONS: [&str; 4] = ["areas-la", "areas-ward", "areas-msoa", "areas-lsoa"];

fn all_collections() -> Vec<&'static str> {
    let mut all = vec!["assets"];
    all.extend(AREA_COLLECTIONS);
    all
}

/// Every feature of a collection (one page of up to 10,000, checked to be all of them).
async fn all_features(app: &TestApp, collection: &str, query: &str) -> Vec<Value> {
    let r = app
        .get(&format!(
            "/collections/{collection}/items?limit=10000{query}"
        ))
        .await;
    assert_eq!(r.status, 200, "{collection}{query}: {}", r.body);
    let v = r.json();
    let features = v["features"].as_array().unwrap().clone();
    assert_eq!(
        v["numberMatched"].as_u64().unwrap() as usize,
        features.len(),
        "{collection}{query}: one page holds them all"
    );
    features
}

fn ids(features: &[Value]) -> Vec<String> {
    features.iter().map(|f| f["id"].to_string()).collect()
}

/// Every `[lon, lat]` position of a GeoJSON geometry.
fn positions(geometry: &Value) -> Vec<[f64; 2]> {
    fn walk(v: &Value, out: &mut Vec<[f64; 2]>) {
        match v.as_array() {
            Some(a) if a.first().is_some_and(Value::is_number) => {
                out.push([a[0].as_f64().unwrap(), a[1].as_f64().unwrap()])
            }
            Some(a) => a.iter().for_each(|x| walk(x, out)),
            None => {}
        }
    }
    let mut out = Vec::new();
    walk(&geometry["coordinates"], &mut out);
    out
}

fn link<'a>(doc: &'a Value, rel: &str) -> Option<&'a Value> {
    doc["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == rel)
}

/// The path and query of one of this server's links.
fn local(app: &TestApp, href: &str) -> String {
    href.strip_prefix(&app.address)
        .unwrap_or_else(|| panic!("{href} is not a link to this server"))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_landing_link_resolves_and_service_doc_is_an_html_page() {
    let app = spawn_app(TestStore::GeoPackage).await;
    let landing = app.get("/?f=json").await.json();
    for l in landing["links"].as_array().unwrap() {
        let href = l["href"].as_str().unwrap();
        let r = app.get_with(&local(&app, href), l["type"].as_str()).await;
        assert_eq!(r.status, 200, "{} {href}: {}", l["rel"], r.body);
    }
    assert!(
        link(&landing, "search").is_none(),
        "no rel=search to an endpoint that needs parameters"
    );
    let doc = link(&landing, "service-doc").expect("a service-doc link");
    assert_eq!(doc["type"], "text/html");
    let page = app
        .get_with(
            &local(&app, doc["href"].as_str().unwrap()),
            Some("text/html"),
        )
        .await;
    assert!(
        page.content_type.starts_with("text/html"),
        "{}",
        page.content_type
    );
    let csp = page.header("content-security-policy").unwrap();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe"),
        "{csp}"
    );
    assert!(!page.body.contains("<script") && !page.body.contains("style="));
    // Every path of the definition is documented, with its parameters.
    let api = app.get("/api").await.json();
    for path in api["paths"].as_object().unwrap().keys() {
        assert!(
            page.body.contains(&format!(" {path}</code>")),
            "{path} is on the page"
        );
    }
    assert!(page.body.contains("<code>datetime</code>"));
    // Its stylesheet is served from here.
    assert_eq!(app.get_with("/static/api.css", None).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_declares_limit_bbox_and_datetime_on_every_item_list() {
    let app = spawn_app(TestStore::GeoPackage).await;
    let api = app.get("/api").await.json();
    let params = &api["components"]["parameters"];
    let limit = &params["limit"];
    assert_eq!(limit["schema"]["minimum"], 1);
    assert_eq!(limit["schema"]["maximum"], 10000);
    assert_eq!(limit["schema"]["default"], 10);
    assert_eq!(
        (limit["style"].as_str(), limit["explode"].as_bool()),
        (Some("form"), Some(false))
    );
    let bbox = &params["bbox"];
    // As the standard's own building block says it: 4 or 6 numbers, not 5.
    assert_eq!(
        bbox["schema"]["oneOf"],
        serde_json::json!([{"minItems": 4, "maxItems": 4}, {"minItems": 6, "maxItems": 6}])
    );
    assert_eq!(
        (bbox["style"].as_str(), bbox["explode"].as_bool()),
        (Some("form"), Some(false))
    );
    assert_eq!(params["datetime"]["name"], "datetime");
    for path in [
        "/collections/assets/items",
        "/collections/{collectionId}/items",
    ] {
        let refs: Vec<&str> = api["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p["$ref"].as_str())
            .collect();
        for want in ["bbox", "datetime", "limit"] {
            assert!(
                refs.contains(&format!("#/components/parameters/{want}").as_str()),
                "{path} declares {want}: {refs:?}"
            );
        }
    }
    // The maximum is the server's: above it is not an error, and at most that many come back.
    let r = app.get("/collections/assets/items?limit=10001").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["numberReturned"], 1910);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bbox_takes_six_numbers_and_boxes_across_the_antimeridian_on_every_collection() {
    let app = spawn_app(TestStore::GeoPackage).await;
    for collection in all_collections() {
        let four = all_features(&app, collection, "&bbox=-2.40,53.42,-2.35,53.45").await;
        let six = all_features(&app, collection, "&bbox=-2.40,53.42,0,-2.35,53.45,100").await;
        assert!(!four.is_empty(), "{collection}: the box holds something");
        assert_eq!(ids(&four), ids(&six), "{collection}: heights are ignored");

        // Nothing of Trafford near 180°, but the box is answered.
        let far = app
            .get(&format!(
                "/collections/{collection}/items?bbox=177,65,-177,70"
            ))
            .await;
        assert_eq!(far.status, 200, "{collection}: {}", far.body);
        assert_eq!(far.json()["numberMatched"], 0, "{collection}");

        // Across the antimeridian from 170° east round to 2.35° west: the same as the box
        // from -180 to -2.35, its western part (its eastern part, 170..180, is empty here).
        let across = all_features(&app, collection, "&bbox=170,53.30,-2.35,53.50").await;
        let west = all_features(&app, collection, "&bbox=-180,53.30,-2.35,53.50").await;
        let all = all_features(&app, collection, "").await;
        assert_eq!(ids(&across), ids(&west), "{collection}");
        assert!(!across.is_empty(), "{collection}");
        if collection != "areas-la" {
            assert!(
                across.len() < all.len(),
                "{collection}: the box cuts the place ({} of {})",
                across.len(),
                all.len()
            );
        }
        if collection == "assets" {
            // From the definition: longitude at least 170 or at most -2.35.
            let want: Vec<String> = all
                .iter()
                .filter(|f| {
                    let p = positions(&f["geometry"])[0];
                    (p[0] >= 170.0 || p[0] <= -2.35) && (53.30..=53.50).contains(&p[1])
                })
                .map(|f| f["id"].to_string())
                .collect();
            assert_eq!(ids(&across), want);
        }
    }
    // Wrong boxes are still refused.
    for bad in ["1,2,3", "0,95,1,96", "0,2,1,1", "0,0,NaN,1", "0,0,1,1,2"] {
        for collection in all_collections() {
            let r = app
                .get(&format!("/collections/{collection}/items?bbox={bad}"))
                .await;
            assert_eq!(r.status, 400, "{collection} bbox={bad}");
            assert_eq!(r.json()["invalid_params"][0]["name"], "bbox");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn area_collections_return_exactly_the_areas_the_box_meets() {
    let app = spawn_app(TestStore::GeoPackage).await;
    let (w, s, e, n) = (-2.40, 53.42, -2.35, 53.45);
    let inside = |p: &[f64; 2]| w < p[0] && p[0] < e && s < p[1] && p[1] < n;
    for collection in AREA_COLLECTIONS {
        let all = all_features(&app, collection, "").await;
        let got = ids(&all_features(&app, collection, &format!("&bbox={w},{s},{e},{n}")).await);
        for f in &all {
            let ps = positions(&f["geometry"]);
            let id = f["id"].to_string();
            // An area with a vertex strictly inside the box meets it.
            if ps.iter().any(inside) {
                assert!(
                    got.contains(&id),
                    "{collection} {id} has a vertex in the box"
                );
            }
            // An area whose bounding box misses the box does not.
            let (lo_x, hi_x) = ps
                .iter()
                .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p[0]), b.max(p[0])));
            let (lo_y, hi_y) = ps
                .iter()
                .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p[1]), b.max(p[1])));
            if hi_x < w || lo_x > e || hi_y < s || lo_y > n {
                assert!(!got.contains(&id), "{collection} {id} is away from the box");
            }
        }
        if collection != "areas-la" {
            assert!(
                got.len() < all.len(),
                "{collection}: some areas are left out"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extents_are_exact_and_every_feature_lies_in_its_collection_extent() {
    let app = spawn_app(TestStore::GeoPackage).await;
    for collection in all_collections() {
        let meta = app.get(&format!("/collections/{collection}")).await.json();
        let bbox: Vec<f64> = meta["extent"]["spatial"]["bbox"][0]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let mut seen = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
        for f in all_features(&app, collection, "").await {
            for p in positions(&f["geometry"]) {
                assert!(
                    bbox[0] <= p[0] && p[0] <= bbox[2] && bbox[1] <= p[1] && p[1] <= bbox[3],
                    "{collection} {}: {p:?} outside {bbox:?}",
                    f["id"]
                );
                seen = [
                    seen[0].min(p[0]),
                    seen[1].min(p[1]),
                    seen[2].max(p[0]),
                    seen[3].max(p[1]),
                ];
            }
        }
        assert_eq!(
            bbox,
            seen.to_vec(),
            "{collection}: the extent is the features' box"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn datetime_filters_assets_on_updated_at_and_is_validated_everywhere() {
    let app = spawn_app(TestStore::GeoPackage).await;
    // The bundled assets are all stamped when the store is seeded: one written later is
    // newer than all of them.
    let created = app.create(&sample_feature("Datetime Singers")).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let created = created.json();
    let all = all_features(&app, "assets", "").await;
    let mut updated: Vec<DateTime<Utc>> = all
        .iter()
        .map(|f| {
            f["properties"]["updated_at"]
                .as_str()
                .unwrap()
                .parse::<DateTime<Utc>>()
                .unwrap()
        })
        .collect();
    updated.sort();
    let count = |r: &assetmap_tests::Reply| {
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()["numberMatched"].as_u64().unwrap() as usize
    };
    let q = |d: &str| format!("/collections/assets/items?limit=1&datetime={d}");
    assert_eq!(count(&app.get(&q("2999-01-01T00:00:00Z/..")).await), 0);
    assert_eq!(count(&app.get(&q("1900-01-01/..")).await), all.len());
    assert_eq!(count(&app.get(&q("../..")).await), all.len());

    // The temporal extent is the range of updated_at.
    let meta = app.get("/collections/assets").await.json();
    let interval = &meta["extent"]["temporal"]["interval"][0];
    let bound = |v: &Value| v.as_str().unwrap().parse::<DateTime<Utc>>().unwrap();
    assert_eq!(
        (bound(&interval[0]), bound(&interval[1])),
        (updated[0], *updated.last().unwrap())
    );

    // A cut at the newest asset, counted from the features themselves (ends included).
    let mid: DateTime<Utc> = created["properties"]["updated_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(mid, *updated.last().unwrap());
    let stamp = mid.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    let stamp = stamp.replace('+', "%2B");
    let before = updated.iter().filter(|t| **t <= mid).count();
    let after = updated.iter().filter(|t| **t >= mid).count();
    assert!(before == all.len() && after > 0 && after < all.len());
    assert_eq!(count(&app.get(&q(&format!("../{stamp}"))).await), before);
    assert_eq!(count(&app.get(&q(&format!("{stamp}/.."))).await), after);
    let at = updated.iter().filter(|t| **t == mid).count();
    assert_eq!(count(&app.get(&q(&stamp)).await), at);
    let newest = app
        .get(&format!("/collections/assets/items?datetime={stamp}/.."))
        .await
        .json();
    let newest_ids: Vec<&Value> = newest["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["id"])
        .collect();
    assert!(newest_ids.contains(&&created["id"]), "{newest_ids:?}");
    // With the other filters too.
    let with_bbox = app
        .get(&format!(
            "/collections/assets/items?limit=10000&bbox=-2.40,53.42,-2.35,53.45&datetime={stamp}/.."
        ))
        .await
        .json();
    for f in with_bbox["features"].as_array().unwrap() {
        assert!(bound(&f["properties"]["updated_at"]) >= mid);
    }

    // Areas have no time: a valid datetime selects every area, an invalid one is refused.
    for collection in AREA_COLLECTIONS {
        let plain = all_features(&app, collection, "").await;
        let dated = all_features(&app, collection, "&datetime=2025-01-01/..").await;
        assert_eq!(ids(&plain), ids(&dated), "{collection}");
    }
    for bad in [
        "yesterday",
        "2025-06-01/2025-01-01",
        "2025-13-01",
        "2025-01-01/2025-02-01/2025-03-01",
    ] {
        for collection in all_collections() {
            let r = app
                .get(&format!("/collections/{collection}/items?datetime={bad}"))
                .await;
            assert_eq!(r.status, 400, "{collection} datetime={bad}");
            assert_eq!(r.content_type, "application/problem+json");
            assert_eq!(r.json()["invalid_params"][0]["name"], "datetime");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_single_area_feature_links_to_itself_and_its_collection() {
    let app = spawn_app(TestStore::GeoPackage).await;
    for collection in AREA_COLLECTIONS {
        for f in all_features(&app, collection, "").await.iter().take(3) {
            let code = f["id"].as_str().unwrap();
            let path = format!("/collections/{collection}/items/{code}");
            let one = app.get(&path).await;
            assert_eq!(one.status, 200, "{path}");
            let one = one.json();
            assert_eq!(one["id"], code);
            let this = link(&one, "self").expect("a self link");
            assert_eq!(local(&app, this["href"].as_str().unwrap()), path);
            assert_eq!(this["type"], "application/geo+json");
            let col = link(&one, "collection").expect("a collection link");
            let col_path = local(&app, col["href"].as_str().unwrap());
            assert_eq!(col_path, format!("/collections/{collection}"));
            assert_eq!(app.get(&col_path).await.json()["id"], collection);
        }
    }
}
