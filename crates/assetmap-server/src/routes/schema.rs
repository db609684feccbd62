//! `/collections/assets/schema`: an asset feature as a JSON Schema (2020-12), linked from the
//! collection as `describedby`. GDAL's OAPIF driver (and so QGIS) builds a layer's fields from
//! it instead of from the first page of features, so a property that the first features leave
//! out (`cost`, `access`, `languages`, `verified_at`…) still gets a field, with its type.
//!
//! `/collections/assets/queryables`: what a CQL2 `filter` can name (OGC API Features Part 3).
//!
//! Both documents are built in [`crate::feature_schema`].

use crate::errors::ApiError;
use crate::feature_schema::{asset_feature_schema, asset_queryables};
use crate::http::{base_url, SCHEMA_JSON};
use crate::params::Params;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

/// Registers the route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/collections/assets/schema", web::get().to(assets_schema))
        .route(
            "/collections/assets/queryables",
            web::get().to(assets_queryables),
        );
}

async fn assets_schema(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Params::parse(req.query_string(), &[])?;
    let base = base_url(&req);
    let mut doc = asset_feature_schema().clone();
    doc["$id"] = json!(format!("{base}/collections/assets/schema"));
    Ok(HttpResponse::Ok()
        .content_type(SCHEMA_JSON)
        .body(doc.to_string()))
}

/// `/collections/assets/queryables` (OGC API Features Part 3): the names a `filter` can use.
async fn assets_queryables(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Params::parse(req.query_string(), &[])?;
    let base = base_url(&req);
    let mut doc = asset_queryables().clone();
    doc["$id"] = json!(format!("{base}/collections/assets/queryables"));
    Ok(HttpResponse::Ok()
        .content_type(SCHEMA_JSON)
        .body(doc.to_string()))
}
