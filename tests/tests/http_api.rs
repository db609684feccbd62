//! The HTTP API end to end: a real server on a free loopback port, real HTTP, on the bundled
//! Trafford data. The same suite runs on both stores: `geopackage` and `postgis` modules below.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use assetmap_io::oruk;
use assetmap_server::Seed;
use assetmap_tests::{sample_feature, spawn_app, spawn_app_with, TestApp, TestStore, ADMIN_TOKEN};
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

    // A larger limit than there are assets returns them all (the clamp to 10,000 itself is
    // observed in `limit_is_clamped_to_10000`, on more than 10,000 assets).
    let big = app
        .get("/collections/assets/items?limit=50000")
        .await
        .json();
    assert_eq!(big["numberReturned"].as_u64(), Some(BUNDLED_ASSETS));
    assert_eq!(
        big["features"].as_array().unwrap().len() as u64,
        BUNDLED_ASSETS
    );
    assert!(
        !big["links"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["rel"] == "next"),
        "no next page after everything"
    );
}

/// A quiet spot west of Carrington, more than 700 m from every bundled asset.
const QUIET: (f64, f64) = (-2.45, 53.41);

/// The ids and `numberMatched` of the items list inside a small box around [`QUIET`].
async fn quiet_items(app: &TestApp, extra: &str) -> (Vec<String>, u64) {
    let (x, y) = QUIET;
    let r = app
        .get(&format!(
            "/collections/assets/items?bbox={},{},{},{}&limit=100{extra}",
            x - 0.002,
            y - 0.002,
            x + 0.002,
            y + 0.002
        ))
        .await;
    assert_eq!(r.status, 200, "{extra}: {}", r.body);
    let v = r.json();
    let mut ids: Vec<String> = v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    (ids, v["numberMatched"].as_u64().unwrap())
}

async fn status_filter_and_its_default(app: &TestApp) {
    let mut ids = Vec::new();
    for (i, status) in ["active", "temporarily_closed", "closed"]
        .iter()
        .enumerate()
    {
        let mut f = sample_feature(&format!("A {status} group"));
        f["geometry"]["coordinates"] = json!([QUIET.0 + 0.0003 * i as f64, QUIET.1]);
        f["properties"]["status"] = json!(status);
        let r = app.create(&f).await;
        assert_eq!(r.status, 201, "{}", r.body);
        assert_eq!(r.json()["properties"]["status"], *status);
        ids.push(r.json()["id"].as_str().unwrap().to_owned());
    }
    let (active, temporarily, closed) = (ids[0].clone(), ids[1].clone(), ids[2].clone());
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    // By default: active and temporarily closed, not closed.
    assert_eq!(
        quiet_items(app, "").await,
        (sorted(vec![active.clone(), temporarily.clone()]), 2)
    );
    assert_eq!(
        quiet_items(app, "&status=closed").await,
        (vec![closed.clone()], 1)
    );
    assert_eq!(
        quiet_items(app, "&status=temporarily_closed").await,
        (vec![temporarily.clone()], 1)
    );
    assert_eq!(
        quiet_items(app, "&status=active,closed").await,
        (sorted(vec![active.clone(), closed.clone()]), 2)
    );
    assert_eq!(
        quiet_items(
            app,
            "&status=active&status=temporarily_closed&status=closed"
        )
        .await,
        (sorted(vec![active, temporarily, closed.clone()]), 3)
    );
    // Everywhere: the bundled assets are all active, so the default count gains two and
    // `status=closed` finds only the closed one.
    let all = app.get("/collections/assets/items?limit=1").await.json();
    assert_eq!(all["numberMatched"].as_u64(), Some(BUNDLED_ASSETS + 2));
    let only_closed = app
        .get("/collections/assets/items?status=closed&limit=100")
        .await
        .json();
    assert_eq!(only_closed["numberMatched"], 1);
    assert_eq!(only_closed["features"][0]["id"], json!(closed));
    // A status that is not one is a 400 naming `status`.
    let r = app.get("/collections/assets/items?status=gone").await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.content_type, "application/problem+json");
    let p = r.json();
    assert_eq!(p["invalid_params"][0]["name"], "status", "{p}");
    assert!(p["detail"].as_str().unwrap().contains("status"), "{p}");
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
        ("status=gone", "status"),
        ("status=active,open", "status"),
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
    // An invitation, for its page.
    let r = app
        .send(
            "POST",
            "/invitations",
            Some(&serde_json::json!({"assets": ["trafford_libraries:0"]})),
            Some(ADMIN_TOKEN),
            &[],
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let invitation = r.json()["url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let feed = feed_secret(app).await;
    for (path, ops) in paths {
        if ops.get("get").is_none() {
            continue;
        }
        let concrete = path
            .replace("/feeds/checks/{secret}", &format!("/feeds/checks/{feed}"))
            .replace("{secret}", &invitation)
            .replace("{collectionId}", "areas-ward")
            .replace("{level}", "ward")
            .replace("{format}", "csv")
            .replace("{featureId}", "trafford_libraries:0")
            .replace("{areaCode}", "E05015239")
            .replace(
                "{serviceId}",
                &oruk::stable_id("service", "trafford_libraries:0"),
            )
            .replace(
                "{serviceAtLocationId}",
                &oruk::stable_id("service_at_location", "trafford_libraries:0"),
            )
            .replace(
                "{organizationId}",
                &oruk::stable_id("organization", "trafford_libraries:0"),
            )
            .replace("{taxonomyId}", &oruk::taxonomy_ids()[0])
            .replace("{taxonomyTermId}", &oruk::Term::all()[0].id())
            .replace("{tileMatrix}/{tileRow}/{tileCol}", "0/0/0");
        // Bytes, not text: some answers are files (a GeoPackage).
        let r = app.download(&concrete).await;
        let body = String::from_utf8_lossy(&r.body);
        assert_ne!(r.status, 404, "documented GET {concrete} exists: {body}");
        assert!(r.status < 500, "GET {concrete}: {body}");
    }
}

/// The secret of a new editor account's feed link.
async fn feed_secret(app: &TestApp) -> String {
    let r = app
        .send(
            "POST",
            "/accounts",
            Some(&serde_json::json!({"email": "feed@example.org", "name": "Feed", "role": "editor", "password": "a long enough passphrase"})),
            Some(ADMIN_TOKEN),
            &[],
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let account = r.json()["id"].as_str().unwrap().to_owned();
    let r = app
        .send(
            "POST",
            "/tokens",
            Some(&serde_json::json!({"name": "feed", "role": "editor", "account": account})),
            Some(ADMIN_TOKEN),
            &[],
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let token = r.json()["token"].as_str().unwrap().to_owned();
    let r = app
        .send("POST", "/auth/feed", None, Some(&token), &[])
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned()
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
        async fn items_status() {
            status_filter_and_its_default(&spawn_app($store).await).await;
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

    /// The clamp is only observable with more than 10,000 assets: 10,050 synthetic ones (some
    /// of them closed, so every status is asked for).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn limit_is_clamped_to_10000() {
        let app = spawn_app_with(TestStore::GeoPackage, Seed::Synthetic(10_050)).await;
        let every = "status=active,temporarily_closed,closed";
        let r = app
            .get(&format!("/collections/assets/items?{every}&limit=20000"))
            .await;
        assert_eq!(r.status, 200);
        let v = r.json();
        assert_eq!(v["numberMatched"].as_u64(), Some(10_050));
        assert_eq!(v["numberReturned"].as_u64(), Some(10_000));
        assert_eq!(v["features"].as_array().unwrap().len(), 10_000);
        let links = v["links"].as_array().unwrap();
        let link = |rel: &str| -> String {
            links
                .iter()
                .find(|l| l["rel"] == rel)
                .unwrap_or_else(|| panic!("a {rel} link: {links:?}"))["href"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        for rel in ["self", "next"] {
            let href = link(rel);
            assert!(href.contains("limit=10000"), "{rel}: {href}");
        }
        let next = link("next");
        assert!(next.contains("offset=10000"), "{next}");
        // The next page holds the other 50, and there is none after it.
        let rest = app
            .get(
                next.strip_prefix(&app.address)
                    .expect("a link to this server"),
            )
            .await
            .json();
        assert_eq!(rest["numberReturned"].as_u64(), Some(50));
        assert!(!rest["links"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["rel"] == "next"));
        let mut ids: Vec<&str> = v["features"]
            .as_array()
            .unwrap()
            .iter()
            .chain(rest["features"].as_array().unwrap())
            .map(|f| f["id"].as_str().unwrap())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 10_050, "every asset once over the two pages");
        // With the default statuses (active and temporarily closed) fewer than 10,000 match,
        // so that page is the whole match: the closed ones make up the difference.
        let closed = app
            .get("/collections/assets/items?status=closed&limit=1")
            .await
            .json()["numberMatched"]
            .as_u64()
            .unwrap();
        let shown = app
            .get("/collections/assets/items?limit=20000")
            .await
            .json();
        let shown_n = shown["numberMatched"].as_u64().unwrap();
        assert!(
            closed > 0 && shown_n < 10_000,
            "{closed} closed, {shown_n} shown"
        );
        assert_eq!(closed + shown_n, 10_050);
        assert_eq!(shown["numberReturned"].as_u64(), Some(shown_n));
    }
}

mod postgis {
    use super::*;
    suite!(TestStore::Postgis);
}
