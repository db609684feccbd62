//! The map page and what it needs: the embedded `web/` folder, `/config.json`,
//! `/vocabulary` and `/health`.

use crate::errors::ApiError;
use crate::params::Params;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use assetmap_core::{AbcdType, AccessFeature, Category, CostBand, Status};
use assetmap_index::AreaLevel;
use include_dir::{include_dir, Dir};
use serde_json::json;

/// The map page and its assets, compiled into the binary (no build step, no internet).
static WEB: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/../../web");

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/static/{path:.*}", web::get().to(static_file))
        .route("/config.json", web::get().to(config))
        .route("/vocabulary", web::get().to(vocabulary))
        .route("/health", web::get().to(health));
}

/// `web/index.html`.
pub fn index_page() -> HttpResponse {
    match WEB.get_file("index.html") {
        Some(f) => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-cache"))
            .body(f.contents()),
        None => actix_web::ResponseError::error_response(&ApiError::not_found(
            "This build has no map page (web/index.html is missing).",
        )),
    }
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" | "md" => "text/plain; charset=utf-8",
        "woff2" => "font/woff2",
        "pbf" => "application/x-protobuf",
        _ => "application/octet-stream",
    }
}

async fn static_file(path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let path = path.into_inner();
    let file = WEB
        .get_file(&path)
        .filter(|_| !path.split('/').any(|seg| seg == ".."))
        .ok_or_else(|| ApiError::not_found(format!("There is no file /static/{path}.")))?;
    Ok(HttpResponse::Ok()
        .content_type(content_type(&path))
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(file.contents()))
}

async fn config(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Params::parse(req.query_string(), &[])?;
    // The map opens on the place: every local authority it serves.
    let bounds = state
        .place
        .extent(AreaLevel::La)
        .or_else(|| state.place.extent(AreaLevel::Ward))
        .unwrap_or([-180.0, -85.0, 180.0, 85.0]);
    Ok(HttpResponse::Ok().json(json!({
        "title": state.title(),
        "base_map_style": state.settings.base_map_style,
        "bounds": bounds,
        "attribution": state.place.attribution(),
    })))
}

fn terms<T: Copy>(
    all: &[T],
    slug: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> serde_json::Value {
    all.iter()
        .map(|t| json!({"slug": slug(*t), "label": label(*t)}))
        .collect()
}

async fn vocabulary(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Params::parse(req.query_string(), &[])?;
    let categories: Vec<_> = Category::ALL
        .iter()
        .map(|c| json!({"slug": c.slug(), "label": c.label(), "keywords": c.keywords()}))
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "abcd_types": terms(AbcdType::ALL, AbcdType::slug, AbcdType::label),
        "categories": categories,
        "access_features": terms(AccessFeature::ALL, AccessFeature::slug, AccessFeature::label),
        "cost_bands": terms(CostBand::ALL, CostBand::slug, CostBand::label),
        "statuses": terms(Status::ALL, Status::slug, Status::label),
    })))
}

/// `ok`, or `degraded` with the reason when the store does not answer within
/// `health_timeout_secs` (unreachable, or unresponsive). Both are `200`: a degraded server
/// still answers every read from memory, so a load balancer should keep sending it traffic.
/// (A server still starting answers `503` `starting`: see [`crate::starting`].)
async fn health(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Params::parse(req.query_string(), &[])?;
    let limit = state.settings.health_timeout();
    let problem = match tokio::time::timeout(limit, state.store.latest_seq()).await {
        Ok(Ok(_)) => None,
        Ok(Err(e)) => Some(e.to_string()),
        Err(_) => Some(format!(
            "the store did not answer within {:.1} s",
            limit.as_secs_f64()
        )),
    };
    let mut store = json!({"kind": state.store.kind(), "reachable": problem.is_none()});
    if let Some(reason) = &problem {
        store["reason"] = json!(reason);
    }
    let assets = state.engine().len();
    Ok(HttpResponse::Ok().json(json!({
        "status": if problem.is_none() { "ok" } else { "degraded" },
        "store": store,
        "assets": assets,
        "applied_seq": state.applied_seq.load(std::sync::atomic::Ordering::SeqCst),
        "version": env!("CARGO_PKG_VERSION"),
    })))
}
