//! `sortby`, `properties` and `skipGeometry` on the asset items (and the last two on one asset):
//! the whole list in the order asked for, paged through it; only the properties asked
//! for are sent, in the same features, and the geometry is left out when asked; unknown names
//! and values are 400s naming the parameter.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use assetmap_tests::{spawn_app, TestStore};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn properties_and_skip_geometry_shape_every_feature() {
    let app = spawn_app(TestStore::GeoPackage).await;
    let whole = app.get("/collections/assets/items?limit=50").await.json();
    let shaped = app
        .get("/collections/assets/items?limit=50&properties=name,postcode&skipGeometry=true")
        .await
        .json();
    let (whole, shaped) = (
        whole["features"].as_array().unwrap(),
        shaped["features"].as_array().unwrap(),
    );
    assert_eq!(whole.len(), 50);
    assert_eq!(shaped.len(), whole.len(), "the same features");
    for (w, s) in whole.iter().zip(shaped) {
        assert_eq!(s["id"], w["id"]);
        assert_eq!(s["geometry"], Value::Null, "{s}");
        let props = s["properties"].as_object().unwrap();
        assert!(
            props.keys().all(|k| k == "name" || k == "postcode"),
            "only what was asked for: {s}"
        );
        assert_eq!(s["properties"]["name"], w["properties"]["name"]);
        assert_eq!(s["properties"]["postcode"], w["properties"]["postcode"]);
    }
    // Without skipGeometry the geometry stays; an empty list, like an absent one, sends every
    // property.
    let one = whole[0]["id"].as_str().unwrap();
    let kept = app
        .get(&format!("/collections/assets/items/{one}?properties="))
        .await
        .json();
    assert_eq!(kept["geometry"], whole[0]["geometry"]);
    assert_eq!(kept["properties"], whole[0]["properties"]);
    let named = app
        .get(&format!(
            "/collections/assets/items/{one}?properties=categories&skipGeometry=false"
        ))
        .await
        .json();
    assert_eq!(
        named["properties"]["categories"],
        whole[0]["properties"]["categories"]
    );
    assert_eq!(named["properties"].as_object().unwrap().len(), 1);

    for (query, param) in [
        ("properties=name,colour", "properties"),
        ("skipGeometry=yes", "skipGeometry"),
    ] {
        let r = app.get(&format!("/collections/assets/items?{query}")).await;
        assert_eq!(r.status, 400, "{query}");
        assert_eq!(r.json()["invalid_params"][0]["name"], param, "{query}");
    }
}

/// The order `sortby` asks for, worked out here from the features' own values.
fn expected_order(features: &[Value], keys: &[(&str, bool)]) -> Vec<String> {
    let mut sorted: Vec<&Value> = features.iter().collect();
    sorted.sort_by(|a, b| {
        for (field, descending) in keys {
            let value = |f: &Value| {
                if *field == "id" {
                    f["id"].as_str().map(str::to_owned)
                } else {
                    f["properties"][*field].as_str().map(|s| {
                        if *field == "name" {
                            s.to_lowercase()
                        } else {
                            s.to_owned()
                        }
                    })
                }
            };
            let o = match (value(a), value(b)) {
                (Some(x), Some(y)) if *descending => y.cmp(&x),
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            };
            if o != std::cmp::Ordering::Equal {
                return o;
            }
        }
        a["id"].as_str().cmp(&b["id"].as_str())
    });
    sorted
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect()
}

fn ids(v: &Value) -> Vec<String> {
    v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sortby_orders_the_whole_list_and_pages_through_it() {
    let app = spawn_app(TestStore::GeoPackage).await;
    let all = "limit=10000&status=active,temporarily_closed,closed";
    let by_id = app
        .get(&format!("/collections/assets/items?{all}"))
        .await
        .json();
    let features = by_id["features"].as_array().unwrap().clone();
    assert!(features.len() > 1000);

    for (sortby, keys) in [
        ("name", vec![("name", false)]),
        ("-name", vec![("name", true)]),
        ("-postcode,name", vec![("postcode", true), ("name", false)]),
        ("+status,-id", vec![("status", false), ("id", true)]),
    ] {
        let want = expected_order(&features, &keys);
        let got = app
            .get(&format!("/collections/assets/items?{all}&sortby={sortby}"))
            .await
            .json();
        assert_eq!(got["numberMatched"], by_id["numberMatched"], "{sortby}");
        assert_eq!(ids(&got), want, "sortby={sortby}");
        // Pages are slices of the same order.
        for offset in [0, 7, 1900] {
            let page = app
                .get(&format!(
                    "/collections/assets/items?status=active,temporarily_closed,closed&sortby={sortby}&limit=7&offset={offset}"
                ))
                .await
                .json();
            let end = (offset + 7).min(want.len());
            assert_eq!(
                ids(&page),
                want[offset.min(end)..end],
                "{sortby} from {offset}"
            );
        }
    }
    // With a box and a filter too.
    let boxed = app
        .get("/collections/assets/items?bbox=-2.40,53.40,-2.30,53.45&category=learning&limit=10000&sortby=-name")
        .await
        .json();
    let unsorted = app
        .get("/collections/assets/items?bbox=-2.40,53.40,-2.30,53.45&category=learning&limit=10000")
        .await
        .json();
    assert!(boxed["numberMatched"].as_u64().unwrap() > 5);
    assert_eq!(
        ids(&boxed),
        expected_order(unsorted["features"].as_array().unwrap(), &[("name", true)])
    );

    let r = app.get("/collections/assets/items?sortby=colour").await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["invalid_params"][0]["name"], "sortby");
}

/// A page sent as the engine's ready-made features (no `properties`, no `skipGeometry`, no
/// `crs`) holds exactly the features a shaped page writes from the decoded assets, asking for
/// every property — for the whole list, a bbox, an area and a filter, and for an asset added
/// since the start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_made_features_are_the_features_written_from_the_assets() {
    let app = spawn_app(TestStore::GeoPackage).await;
    let added = app
        .create(&assetmap_tests::sample_feature("Ready-made singers"))
        .await;
    assert_eq!(added.status, 201, "{}", added.body);
    let mut compared = 0;
    for query in [
        "limit=1000",
        "limit=1000&offset=1000",
        "bbox=-2.36,53.40,-2.30,53.44&limit=200",
        "area=E05015239&limit=200",
        "category=learning&limit=200",
    ] {
        let ready = app
            .get(&format!("/collections/assets/items?{query}"))
            .await
            .json();
        let features = ready["features"].as_array().unwrap();
        let mut names: Vec<&str> = features
            .iter()
            .flat_map(|f| f["properties"].as_object().unwrap().keys())
            .map(String::as_str)
            .collect();
        names.sort_unstable();
        names.dedup();
        let written = app
            .get(&format!(
                "/collections/assets/items?{query}&properties={}",
                names.join(",")
            ))
            .await
            .json();
        assert!(!features.is_empty(), "{query}");
        assert_eq!(ready["features"], written["features"], "{query}");
        assert_eq!(ready["numberMatched"], written["numberMatched"], "{query}");
        assert_eq!(
            ready["numberReturned"], written["numberReturned"],
            "{query}"
        );
        compared += features.len();
    }
    assert!(compared > 1_500, "{compared} features compared");
    let mut pages = Vec::new();
    for offset in [0, 1000] {
        let page = app
            .get(&format!(
                "/collections/assets/items?limit=1000&offset={offset}"
            ))
            .await
            .json();
        pages.extend(page["features"].as_array().unwrap().clone());
    }
    assert!(
        pages
            .iter()
            .any(|f| f["properties"]["name"] == "Ready-made singers"),
        "the added asset is on a page of ready-made features"
    );
}
