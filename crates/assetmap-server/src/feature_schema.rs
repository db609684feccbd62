//! An asset feature as JSON Schema, and the names of its properties: the API document's
//! `AssetFeature` schema (`routes/openapi.json`), the one description of an asset's properties.
//! Served as the collection's `describedby` (`routes/schema.rs`) and used to check the
//! `properties` parameter ([`crate::parse::shape_from`]).
//!
//! The schema is of a whole GeoJSON feature (`type`, `id`, `geometry`, `properties`), the shape
//! GDAL 3.6 (Debian 12's) reads.

use serde_json::{json, Value};
use std::sync::OnceLock;

/// The schema without its `$id` (which names the server it is served from).
pub fn asset_feature_schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let api = crate::api_doc::openapi();
        let mut schema = json_schema_of(api["components"]["schemas"]["AssetFeature"].clone());
        if let Some(o) = schema.as_object_mut() {
            o.insert(
                "$schema".to_owned(),
                json!("https://json-schema.org/draft/2020-12/schema"),
            );
            o.insert(
                "title".to_owned(),
                json!("A feature of the assets collection"),
            );
        }
        schema
    })
}

/// The queryables of the assets collection (OGC API Features Part 3) as JSON Schema, without
/// its `$id`: each queryable with its title, type, and the closed list of values where there is
/// one. The queryables themselves are the engine's ([`assetmap_index::predicate::queryables`]).
pub fn asset_queryables() -> &'static Value {
    use assetmap_index::predicate::{queryables, QueryableType as T};
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let properties: serde_json::Map<String, Value> = queryables()
            .iter()
            .map(|q| {
                let mut schema = match q.kind {
                    T::Text => json!({"type": "string"}),
                    T::Enum(values) => json!({"type": "string", "enum": values}),
                    T::Integer => json!({"type": "integer"}),
                    T::Date => json!({"type": "string", "format": "date"}),
                    T::Timestamp => json!({"type": "string", "format": "date-time"}),
                    T::TextArray => json!({"type": "array", "items": {"type": "string"}}),
                    T::EnumArray(values) => {
                        json!({"type": "array", "items": {"type": "string", "enum": values}})
                    }
                    T::Point => json!({"format": "geometry-point", "x-ogc-role": "primary-geometry"}),
                };
                schema["title"] = json!(q.title);
                (q.name.to_owned(), schema)
            })
            .collect();
        json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "title": "What a filter on the assets collection can name",
            "description": "Use these names in the filter parameter of /collections/assets/items (CQL2 text or JSON). Dotted names are parts of an object property: cost.band is the band of cost.",
            "properties": properties,
            "additionalProperties": false,
        })
    })
}

/// An OpenAPI 3.0 schema object as JSON Schema 2020-12: `nullable: true` becomes a `null`
/// type, `example` becomes `examples`; everything else is the same in both.
fn json_schema_of(schema: Value) -> Value {
    match schema {
        Value::Object(mut o) => {
            if o.remove("nullable") == Some(Value::Bool(true)) {
                if let Some(Value::String(t)) = o.get("type").cloned() {
                    o.insert("type".to_owned(), json!([t, "null"]));
                }
            }
            if let Some(example) = o.remove("example") {
                o.insert("examples".to_owned(), json!([example]));
            }
            Value::Object(o.into_iter().map(|(k, v)| (k, json_schema_of(v))).collect())
        }
        Value::Array(a) => Value::Array(a.into_iter().map(json_schema_of).collect()),
        other => other,
    }
}

/// The names of an asset feature's properties.
pub fn asset_property_names() -> Vec<&'static str> {
    asset_feature_schema()["properties"]["properties"]["properties"]
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_property_is_in_the_schema_with_its_type() {
        let schema = asset_feature_schema();
        let props = schema["properties"]["properties"]["properties"]
            .as_object()
            .unwrap();
        for name in [
            "name",
            "cost",
            "access",
            "languages",
            "verified_at",
            "version",
        ] {
            assert!(
                props[name]["type"].is_string() || props[name]["type"].is_array(),
                "{name}"
            );
        }
        assert_eq!(props["access"]["type"], "array");
        assert_eq!(props["version"]["type"], "integer");
        assert_eq!(schema["properties"]["geometry"]["type"], "object");
        assert!(!schema.to_string().contains("\"nullable\""));
        assert!(!schema.to_string().contains("\"example\""));
    }
}
