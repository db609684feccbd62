//! `/map/points`: every matching asset as a compact GeoJSON layer for the map page (name and
//! ABCD type only), so the browser can cluster 100,000 points without fetching full records.

use crate::errors::ApiError;
use crate::http::GEO_JSON;
use crate::params::Params;
use crate::parse::{bbox_from, filter_from};
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use std::fmt::Write;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/map/points", web::get().to(points));
}

async fn points(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let p = Params::parse(
        req.query_string(),
        &["category", "abcd_type", "status", "bbox"],
    )?;
    let filter = filter_from(&p)?;
    let bbox = bbox_from(&p)?;
    let engine = state.engine();
    let mut out = String::with_capacity(engine.len() * 96 + 64);
    out.push_str("{\"type\":\"FeatureCollection\",\"features\":[");
    let mut first = true;
    let mut push = |a: &assetmap_core::Asset| {
        if !first {
            out.push(',');
        }
        first = false;
        // Names are JSON-escaped by serde_json; ids are URL-safe by construction.
        let name = serde_json::to_string(a.name.as_str()).unwrap_or_else(|_| "\"\"".into());
        let _ = write!(
            out,
            "{{\"type\":\"Feature\",\"id\":\"{}\",\"geometry\":{{\"type\":\"Point\",\"coordinates\":[{},{}]}},\"properties\":{{\"name\":{name},\"abcd_type\":\"{}\"}}}}",
            a.id,
            a.location.lon(),
            a.location.lat(),
            a.abcd_type.slug()
        );
    };
    match &bbox {
        Some(b) => engine.bbox(b, &filter).iter().for_each(&mut push),
        None => engine.scan(&filter).for_each(|a| push(&a)),
    }
    drop(engine);
    out.push_str("]}");
    Ok(HttpResponse::Ok().content_type(GEO_JSON).body(out))
}
