//! `/collections/areas-<level>/items`: area boundaries as OGC API Features.

use super::{base_url, landing::unknown_collection, GEO_JSON};
use crate::areas::Level;
use crate::errors::ApiError;
use crate::params::Params;
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/collections/{collection}/items", web::get().to(list))
        .route(
            "/collections/{collection}/items/{code}",
            web::get().to(get_one),
        );
}

fn level_of(collection: &str) -> Result<Level, ApiError> {
    collection
        .strip_prefix("areas-")
        .and_then(Level::parse)
        .ok_or_else(|| unknown_collection(collection))
}

async fn list(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let collection = path.into_inner();
    let level = level_of(&collection)?;
    let p = Params::parse(req.query_string(), &["f", "limit", "offset"])?;
    let limit = p
        .integer("limit", 1..=i64::MAX)?
        .unwrap_or(10)
        .min(super::items::MAX_LIMIT) as usize;
    let offset = p.integer("offset", 0..=i64::from(u32::MAX))?.unwrap_or(0) as usize;
    let all = &state.areas.layer(level).features;
    let page: Vec<_> = all.iter().skip(offset).take(limit).cloned().collect();
    let base = base_url(&req);
    let mut links = vec![
        json!({"href": format!("{base}/collections/{collection}/items?limit={limit}&offset={offset}"), "rel": "self", "type": GEO_JSON}),
    ];
    if offset + page.len() < all.len() {
        links.push(json!({"href": format!("{base}/collections/{collection}/items?limit={limit}&offset={}", offset + limit), "rel": "next", "type": GEO_JSON}));
    }
    if offset > 0 {
        links.push(json!({"href": format!("{base}/collections/{collection}/items?limit={limit}&offset={}", offset.saturating_sub(limit)), "rel": "prev", "type": GEO_JSON}));
    }
    let body = json!({
        "type": "FeatureCollection",
        "numberMatched": all.len(),
        "numberReturned": page.len(),
        "timeStamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "features": page,
        "links": links,
    });
    Ok(HttpResponse::Ok()
        .content_type(GEO_JSON)
        .body(body.to_string()))
}

async fn get_one(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (collection, code) = path.into_inner();
    if collection == "assets" {
        // `/collections/assets/items/{id}` is routed before this; reaching here is impossible,
        // but answer sensibly anyway.
        return Err(ApiError::not_found(format!(
            "There is no asset with id '{code}'."
        )));
    }
    let level = level_of(&collection)?;
    Params::parse(req.query_string(), &["f"])?;
    let f = state
        .areas
        .layer(level)
        .features
        .iter()
        .find(|f| f["id"].as_str() == Some(code.as_str()))
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "There is no area with code '{code}' in {collection}."
            ))
        })?;
    Ok(HttpResponse::Ok()
        .content_type(GEO_JSON)
        .body(f.to_string()))
}
