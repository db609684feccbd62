//! The HTTP API end to end: a real server on a free loopback port, real HTTP, on the bundled
//! Trafford data. The same suite runs on both stores: `geopackage` and `postgis` modules below.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use assetmap_tests::{sample_feature, spawn_app, TestApp, TestStore, ADMIN_TOKEN};
use serde_json::{json, Value};

/// The number of assets in the bundled dataset.
const BUNDLED_ASSETS: u64 = 1910;

async fn landing_negotiates_html_and_json(app: &TestApp) {
    let html = app
        .get_with("/", Some("text/html,application/xhtml+xml"))
        .await;
    assert_eq!(html.status, 200);
    assert!(
        html.content_type.starts_with("text/html"),
        "{}",
        html.content_type
    );
    assert!(
        html.body.contains("maplibre"),
        "the map page loads MapLibre"
    );

    for r in [
        app.get("/").await,
        app.get_with("/?f=json", Some("text/html")).await,
    ] {
        assert_eq!(r.status, 200);
        let v = r.json();
        let rels: Vec<&str> = v["links"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["rel"].as_str().unwrap())
            .collect();
        for want in ["self", "conformance", "data", "service-desc"] {
            assert!(
                rels.contains(&want),
                "landing links include {want}: {rels:?}"
            );
        }
    }
}

async fn conformance_and_collections(app: &TestApp) {
    let c = app.get("/conformance").await.json();
    let classes: Vec<&str> = c["conformsTo"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(classes.contains(&"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"));
    assert!(classes.contains(&"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"));

    let cols = app.get("/collections").await.json();
    let ids: Vec<&str> = cols["collections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"assets") && ids.contains(&"areas-ward"),
        "{ids:?}"
    );

    let assets = app.get("/collections/assets").await.json();
    assert_eq!(assets["id"], "assets");
    let bbox = &assets["extent"]["spatial"]["bbox"][0];
    assert!(
        bbox[0].as_f64().unwrap() > -2.6 && bbox[2].as_f64().unwrap() < -2.1,
        "Trafford's extent: {bbox}"
    );
    assert!(assets["links"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["rel"] == "items"));

    let missing = app.get("/collections/nope").await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.content_type, "application/problem+json");
}

async fn items_page_through_everything(app: &TestApp) {
    let first = app.get("/collections/assets/items").await;
    assert_eq!(first.status, 200);
    assert_eq!(first.content_type, "application/geo+json");
    let v = first.json();
    assert_eq!(v["type"], "FeatureCollection");
    assert_eq!(v["numberMatched"].as_u64(), Some(BUNDLED_ASSETS));
    assert_eq!(
        v["numberReturned"].as_u64(),
        Some(10),
        "default limit is 10"
    );
    assert!(v["timeStamp"].as_str().unwrap().ends_with('Z'));
    let f = &v["features"][0];
    assert_eq!(f["geometry"]["type"], "Point");
    assert!(f["properties"]["name"].is_string());

    // Follow `next` links to the end: every asset exactly once, in id order.
    let mut seen: Vec<String> = Vec::new();
    let mut url = "/collections/assets/items?limit=500".to_owned();
    loop {
        let page = app.get(&url).await.json();
        assert_eq!(page["numberMatched"].as_u64(), Some(BUNDLED_ASSETS));
        seen.extend(
            page["features"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["id"].as_str().unwrap().to_owned()),
        );
        let next = page["links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["rel"] == "next")
            .map(|l| l["href"].as_str().unwrap().to_owned());
        match next {
            Some(href) => {
                url = href
                    .strip_prefix(&app.address)
                    .expect("absolute link to this server")
                    .to_owned()
            }
            None => break,
        }
    }
    assert_eq!(seen.len() as u64, BUNDLED_ASSETS);
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, seen, "pages are in id order with no repeats");

    // prev link from the second page goes back to offset 0.
    let second = app
        .get("/collections/assets/items?limit=5&offset=5")
        .await
        .json();
    let prev = second["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "prev")
        .unwrap();
    assert!(prev["href"].as_str().unwrap().contains("offset=0"));

    // Larger limits are clamped to 10,000.
    let big = app
        .get("/collections/assets/items?limit=50000")
        .await
        .json();
    assert_eq!(big["numberReturned"].as_u64(), Some(BUNDLED_ASSETS));
}

async fn bbox_and_category_filter_exactly(app: &TestApp) {
    // Sale town centre-ish box.
    let (w, s, e, n) = (-2.34, 53.41, -2.30, 53.43);
    let v = app
        .get(&format!(
            "/collections/assets/items?bbox={w},{s},{e},{n}&limit=10000"
        ))
        .await
        .json();
    let all = app
        .get("/collections/assets/items?limit=10000")
        .await
        .json();
    let expected: Vec<&Value> = all["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            let c = &f["geometry"]["coordinates"];
            let (x, y) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
            x >= w && x <= e && y >= s && y <= n
        })
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(
        v["numberMatched"].as_u64().unwrap() as usize,
        expected.len()
    );

    let libs = app
        .get("/collections/assets/items?category=learning&limit=10000")
        .await
        .json();
    let n_learning = all["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["properties"]["categories"]
                .as_array()
                .unwrap()
                .contains(&json!("learning"))
        })
        .count();
    assert_eq!(libs["numberMatched"].as_u64().unwrap() as usize, n_learning);
    assert!(libs["features"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["properties"]["categories"]
            .as_array()
            .unwrap()
            .contains(&json!("learning"))));
}

async fn bad_requests_are_problems_naming_the_parameter(app: &TestApp) {
    for (query, param) in [
        ("limit=0", "limit"),
        ("limit=ten", "limit"),
        ("offset=-1", "offset"),
        ("bbox=1,2,3", "bbox"),
        ("bbox=-2.3,53.5,-2.4,53.4", "bbox"),
        ("bbox=-2.3,95,-2.2,96", "bbox"),
        ("category=knitting", "category"),
        ("colour=red", "colour"),
        ("f=xml", "f"),
    ] {
        let r = app.get(&format!("/collections/assets/items?{query}")).await;
        assert_eq!(r.status, 400, "{query}: {}", r.body);
        assert_eq!(r.content_type, "application/problem+json", "{query}");
        let p = r.json();
        assert_eq!(p["status"], 400);
        assert_eq!(p["invalid_params"][0]["name"], param, "{query}: {p}");
        assert!(
            p["detail"].as_str().unwrap().contains(param),
            "{query}: the detail names the parameter"
        );
    }
    let r = app.get("/collections/assets/items/no-such-asset").await;
    assert_eq!(r.status, 404);
    assert_eq!(r.content_type, "application/problem+json");
    assert_eq!(app.get("/nowhere").await.status, 404);
}

async fn one_item_and_health(app: &TestApp) {
    let r = app
        .get("/collections/assets/items/trafford_libraries:0")
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.content_type, "application/geo+json");
    assert_eq!(r.header("etag"), Some("\"1\""));
    let f = r.json();
    assert_eq!(f["id"], "trafford_libraries:0");
    assert_eq!(f["properties"]["name"], "Altrincham Library");
    assert_eq!(f["properties"]["abcd_type"], "institution");

    let h = app.get("/health").await.json();
    assert_eq!(h["status"], "ok");
    assert_eq!(h["assets"].as_u64(), Some(BUNDLED_ASSETS));

    let wards = app
        .get("/collections/areas-ward/items?limit=100")
        .await
        .json();
    assert_eq!(wards["numberMatched"], 21);
    assert!(wards["features"][0]["properties"]["code"]
        .as_str()
        .unwrap()
        .starts_with("E05"));

    let vocab = app.get("/vocabulary").await.json();
    assert!(vocab["categories"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["slug"] == "green_space_nature"));
    let cfg = app.get("/config.json").await.json();
    assert!(cfg["bounds"].as_array().unwrap().len() == 4);
    let points = app.get("/map/points").await.json();
    assert_eq!(
        points["features"].as_array().unwrap().len() as u64,
        BUNDLED_ASSETS
    );
    let js = app.get("/static/vendor/maplibre-gl/maplibre-gl.js").await;
    assert_eq!(js.status, 200, "MapLibre is vendored and served");
}

async fn writes_are_authorised_validated_and_visible(app: &TestApp) {
    let feature = sample_feature("Sale Singers");
    // No token, wrong token.
    let r = app
        .send(
            "POST",
            "/collections/assets/items",
            Some(&feature),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.content_type, "application/problem+json");
    assert!(r.header("www-authenticate").is_some());
    assert_eq!(
        app.send(
            "POST",
            "/collections/assets/items",
            Some(&feature),
            Some("wrong"),
            &[]
        )
        .await
        .status,
        401
    );

    // Invalid: every field named.
    let mut bad = feature.clone();
    bad["properties"]["name"] = json!("");
    bad["properties"]["categories"] = json!(["knitting"]);
    bad["geometry"]["coordinates"] = json!([-2.3, 123.0]);
    bad["properties"]["opening_times"]["periods"][0]["opens"] = json!("25:00");
    let r = app.create(&bad).await;
    assert_eq!(r.status, 400, "{}", r.body);
    let names: Vec<String> = r.json()["invalid_params"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect();
    for want in [
        "name",
        "categories[0]",
        "geometry.coordinates.lat",
        "opening_times.periods[0].opens",
    ] {
        assert!(names.iter().any(|n| n == want), "{want} in {names:?}");
    }
    let r = app
        .send(
            "POST",
            "/collections/assets/items",
            None,
            Some(ADMIN_TOKEN),
            &[("Content-Type", "text/plain")],
        )
        .await;
    assert_eq!(r.status, 415);

    // Create, then read back at once.
    let r = app.create(&feature).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let created = r.json();
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(r
        .header("location")
        .unwrap()
        .ends_with(&format!("/collections/assets/items/{id}")));
    let got = app
        .get(&format!("/collections/assets/items/{id}"))
        .await
        .json();
    assert_eq!(got["properties"]["name"], "Sale Singers");
    assert_eq!(got["properties"]["version"], 1);
    let count = app.get("/collections/assets/items?limit=1").await.json()["numberMatched"]
        .as_u64()
        .unwrap();
    assert_eq!(count, BUNDLED_ASSETS + 1);

    // Creating the same id again conflicts.
    let mut dup = feature.clone();
    dup["id"] = json!(id);
    assert_eq!(app.create(&dup).await.status, 409);

    // Replace; stale If-Match is refused.
    let mut changed = got.clone();
    changed["properties"]["name"] = json!("Sale Community Choir");
    let path = format!("/collections/assets/items/{id}");
    let r = app
        .send(
            "PUT",
            &path,
            Some(&changed),
            Some(ADMIN_TOKEN),
            &[("If-Match", "\"1\"")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["properties"]["version"], 2);
    let r = app
        .send(
            "PUT",
            &path,
            Some(&changed),
            Some(ADMIN_TOKEN),
            &[("If-Match", "\"1\"")],
        )
        .await;
    assert_eq!(r.status, 412);
    assert_eq!(
        app.get(&path).await.json()["properties"]["name"],
        "Sale Community Choir"
    );
    let r = app
        .send(
            "PUT",
            "/collections/assets/items/not-there",
            Some(&feature),
            Some(ADMIN_TOKEN),
            &[],
        )
        .await;
    assert_eq!(r.status, 404);

    // Delete.
    assert_eq!(
        app.send("DELETE", &path, None, Some(ADMIN_TOKEN), &[])
            .await
            .status,
        204
    );
    assert_eq!(app.get(&path).await.status, 404);
    assert_eq!(
        app.send("DELETE", &path, None, Some(ADMIN_TOKEN), &[])
            .await
            .status,
        404
    );
    assert_eq!(
        app.send("PATCH", &path, None, Some(ADMIN_TOKEN), &[])
            .await
            .status,
        405
    );
}

async fn every_documented_path_answers(app: &TestApp) {
    let api = app.get("/api").await;
    assert_eq!(api.status, 200);
    assert!(api
        .content_type
        .starts_with("application/vnd.oai.openapi+json"));
    let doc = api.json();
    assert_eq!(doc["openapi"], "3.0.3");
    let paths = doc["paths"].as_object().unwrap();
    assert!(
        paths.len() >= 15,
        "the API is documented: {} paths",
        paths.len()
    );
    for (path, ops) in paths {
        if ops.get("get").is_none() {
            continue;
        }
        let concrete = path
            .replace("{collectionId}", "areas-ward")
            .replace("{level}", "ward")
            .replace("{file}", "assets.csv")
            .replace("{featureId}", "trafford_libraries:0");
        let r = app.get(&concrete).await;
        assert_ne!(
            r.status, 404,
            "documented GET {concrete} exists: {}",
            r.body
        );
        assert!(r.status < 500, "GET {concrete}: {}", r.body);
    }
}

macro_rules! suite {
    ($store:expr) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn landing() {
            landing_negotiates_html_and_json(&spawn_app($store).await).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn conformance() {
            conformance_and_collections(&spawn_app($store).await).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn items_paging() {
            items_page_through_everything(&spawn_app($store).await).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn items_filters() {
            bbox_and_category_filter_exactly(&spawn_app($store).await).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn errors() {
            bad_requests_are_problems_naming_the_parameter(&spawn_app($store).await).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn item_and_site() {
            one_item_and_health(&spawn_app($store).await).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn documented_paths() {
            every_documented_path_answers(&spawn_app($store).await).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn writes() {
            writes_are_authorised_validated_and_visible(&spawn_app($store).await).await;
        }
    };
}

mod geopackage {
    use super::*;
    suite!(TestStore::GeoPackage);
}

mod postgis {
    use super::*;
    suite!(TestStore::Postgis);
}
