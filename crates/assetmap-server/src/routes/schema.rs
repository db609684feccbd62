//! `/collections/assets/schema`: an asset feature as a JSON Schema (2020-12), linked from the
//! collection as `describedby`. GDAL's OAPIF driver (and so QGIS) builds a layer's fields from
//! it instead of from the first page of features, so a property that the first features leave
//! out (`cost`, `access`, `languages`, `verified_at`…) still gets a field, with its type.
//!
//! The schema is of a whole GeoJSON feature (`type`, `id`, `geometry`, `properties`), the shape
//! GDAL 3.6 (Debian 12's) reads, and it is the API document's `AssetFeature` schema
//! (`openapi.json`): one description of an asset's properties, not two.

use crate::errors::ApiError;
use crate::http::{base_url, SCHEMA_JSON};
use crate::params::Params;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};
use std::sync::OnceLock;

/// Registers the route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/collections/assets/schema", web::get().to(assets_schema));
}

async fn assets_schema(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Params::parse(req.query_string(), &[])?;
    let base = base_url(&req);
    let mut doc = asset_properties_schema().clone();
    doc["$id"] = json!(format!("{base}/collections/assets/schema"));
    Ok(HttpResponse::Ok()
        .content_type(SCHEMA_JSON)
        .body(doc.to_string()))
}

/// The schema without its `$id` (which names the server it is served from).
pub fn asset_properties_schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let api: Value = serde_json::from_str(include_str!("openapi.json"))
            .expect("the bundled OpenAPI document is JSON");
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_property_is_in_the_schema_with_its_type() {
        let schema = asset_properties_schema();
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
