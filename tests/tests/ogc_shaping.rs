//! `properties` and `skipGeometry` on the asset items and one asset: only the properties asked
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
