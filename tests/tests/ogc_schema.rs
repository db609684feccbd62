//! The assets collection describes its features (`rel=describedby`, JSON Schema), the
//! description covers the data — every property of every feature served is in it, with a JSON
//! type that matches the value — and GDAL makes a field of every property from it.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use assetmap_tests::{spawn_app, TestStore};
use serde_json::Value;

fn type_matches(schema: &Value, value: &Value) -> bool {
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => return true,
    };
    types.iter().any(|t| match (*t, value) {
        ("null", Value::Null) => true,
        ("string", Value::String(_)) => true,
        ("integer", Value::Number(n)) => n.is_i64() || n.is_u64(),
        ("number", Value::Number(_)) => true,
        ("boolean", Value::Bool(_)) => true,
        ("array", Value::Array(_)) => true,
        ("object", Value::Object(_)) => true,
        _ => false,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_assets_schema_describes_every_property_served() {
    let app = spawn_app(TestStore::GeoPackage).await;
    let collection = app.get("/collections/assets").await.json();
    let link = collection["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "describedby")
        .unwrap_or_else(|| panic!("no describedby link: {collection}"));
    assert_eq!(link["type"], "application/schema+json");
    let href = link["href"].as_str().unwrap();
    let path = &href[href.find("/collections").unwrap()..];
    let reply = app.get(path).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-type"),
        Some("application/schema+json")
    );
    let schema = reply.json();
    assert_eq!(schema["$id"], href);
    let props = schema["properties"]["properties"]["properties"]
        .as_object()
        .unwrap();

    let page = app
        .get("/collections/assets/items?limit=10000&status=active,temporarily_closed,closed")
        .await
        .json();
    let features = page["features"].as_array().unwrap();
    assert!(features.len() > 1000);
    let mut seen = std::collections::BTreeSet::new();
    for f in features {
        for (name, value) in f["properties"].as_object().unwrap() {
            let described = props
                .get(name)
                .unwrap_or_else(|| panic!("{name} (of {}) is not in the schema", f["id"]));
            assert!(
                type_matches(described, value),
                "{name} of {} is {value}, the schema says {}",
                f["id"],
                described["type"]
            );
            seen.insert(name.clone());
        }
    }
    // Properties some features leave out are still described (what GDAL needs to make a field
    // for them whatever the first page holds).
    for name in ["cost", "access", "languages", "verified_at"] {
        assert!(props.contains_key(name), "{name}");
    }
    println!("properties served: {seen:?}");
}
