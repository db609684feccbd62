//! `/collections/assets/items`: OGC API Features items (read from the engine) and writes
//! (to the store first, then the engine), with a bearer token.

use crate::errors::ApiError;
use crate::http::{base_url, paging_links, PageInfo, DEFAULT_LIMIT, GEO_JSON, MAX_LIMIT};
use crate::params::Params;
use crate::parse::{area_param, bbox_from, filter_from};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use assetmap_core::{Asset, AssetId};
use serde_json::{json, Value};

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/collections/assets/items")
            .route(web::get().to(list))
            .route(web::post().to(create))
            .route(web::to(|| async {
                Err::<HttpResponse, _>(ApiError::method_not_allowed(
                    "Use GET to read items or POST to create one.",
                ))
            })),
    )
    .service(
        web::resource("/collections/assets/items/{id}")
            .route(web::get().to(get_one))
            .route(web::put().to(replace))
            .route(web::delete().to(delete))
            .route(web::to(|| async {
                Err::<HttpResponse, _>(ApiError::method_not_allowed(
                    "Use GET, PUT or DELETE on an item.",
                ))
            })),
    );
}

async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let p = Params::parse(
        req.query_string(),
        &[
            "f",
            "bbox",
            "limit",
            "offset",
            "category",
            "abcd_type",
            "status",
            "area",
        ],
    )?;
    if let Some(f) = p.one("f")? {
        if f != "json" && f != "geojson" {
            return Err(ApiError::bad_param(
                "f",
                format!("{f:?} is not available; use json"),
            ));
        }
    }
    let requested = p.one("limit")?.map(|v| {
        v.parse::<i64>().map_err(|_| {
            ApiError::bad_param(
                "limit",
                format!("{v:?} is not a whole number; use 1 to {MAX_LIMIT}"),
            )
        })
    });
    let limit = match requested.transpose()? {
        None => DEFAULT_LIMIT,
        Some(n) if n < 1 => {
            return Err(ApiError::bad_param(
                "limit",
                format!("{n} is too small; use 1 to {MAX_LIMIT}"),
            ))
        }
        Some(n) => n.min(MAX_LIMIT),
    };
    let offset = p.integer("offset", 0..=i64::from(u32::MAX))?.unwrap_or(0);
    let bbox = bbox_from(&p)?;
    let filter = filter_from(&p)?;

    let (limit, offset) = (limit as usize, offset as usize);
    let area = area_param(&p, &state.place)?;
    let engine = state.engine();
    let page = match (&bbox, area) {
        (_, Some(area)) => engine.area_page(area, bbox.as_ref(), &filter, offset, limit),
        (Some(b), None) => engine.bbox_page(b, &filter, offset, limit),
        (None, None) => engine.scan_page(&filter, offset, limit),
    };
    let features: Vec<Value> = page
        .items
        .iter()
        .map(|a| assetmap_io::asset_to_feature(a))
        .collect();
    let returned = features.len();
    let matched = page.number_matched;
    drop(engine);

    let base = base_url(&req);
    let mut links = paging_links(
        &req,
        "/collections/assets/items",
        PageInfo {
            offset,
            limit,
            returned,
            matched,
        },
    );
    links.push(json!({"href": format!("{base}/collections/assets"), "rel": "collection", "type": "application/json", "title": "The collection"}));
    let body = json!({
        "type": "FeatureCollection",
        "features": features,
        "numberMatched": matched,
        "numberReturned": returned,
        "timeStamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "links": links,
    });
    Ok(HttpResponse::Ok()
        .content_type(GEO_JSON)
        .body(body.to_string()))
}

fn parse_id(raw: &str) -> Result<AssetId, ApiError> {
    AssetId::parse(raw).map_err(|e| {
        ApiError::not_found(format!("There is no asset with id {raw:?}: {}", e.problem))
    })
}

fn etag(asset: &Asset) -> String {
    format!("\"{}\"", asset.version)
}

fn feature_response(
    mut builder: actix_web::HttpResponseBuilder,
    req: &HttpRequest,
    asset: &Asset,
) -> HttpResponse {
    let base = base_url(req);
    let mut f = assetmap_io::asset_to_feature(asset);
    f["links"] = json!([
        {"href": format!("{base}/collections/assets/items/{}", asset.id), "rel": "self", "type": GEO_JSON},
        {"href": format!("{base}/collections/assets"), "rel": "collection", "type": "application/json"}
    ]);
    builder
        .content_type(GEO_JSON)
        .insert_header((header::ETAG, etag(asset)))
        .body(f.to_string())
}

async fn get_one(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let p = Params::parse(req.query_string(), &["f"])?;
    if let Some(f) = p.one("f")? {
        if f != "json" && f != "geojson" {
            return Err(ApiError::bad_param(
                "f",
                format!("{f:?} is not available; use json"),
            ));
        }
    }
    let id = parse_id(&path)?;
    let engine = state.engine();
    let asset = engine
        .get(&id)
        .ok_or_else(|| ApiError::not_found(format!("There is no asset with id '{id}'.")))?;
    Ok(feature_response(HttpResponse::Ok(), &req, asset))
}

/// Reads a Feature body (`application/geo+json` or `application/json`).
fn feature_body(
    req: &HttpRequest,
    body: &web::Bytes,
) -> Result<assetmap_io::FeatureInput, ApiError> {
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = ct.split(';').next().unwrap_or("").trim();
    if mime != GEO_JSON && mime != "application/json" {
        return Err(ApiError::unsupported_media_type(format!(
            "Send the asset as a GeoJSON Feature with Content-Type: application/geo+json (got {:?}).",
            if ct.is_empty() { "none" } else { ct }
        )));
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("The body is not valid JSON: {e}")))?;
    assetmap_io::draft_from_feature(value).map_err(|e| ApiError::invalid_body(&e))
}

async fn create(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    crate::auth::authorise(&req, &state)?;
    Params::parse(req.query_string(), &[])?;
    let input = feature_body(&req, &body)?;
    let valid = input
        .draft
        .validate(input.location)
        .map_err(|e| ApiError::invalid_body(&e))?;
    let id = match input.id {
        Some(id) => id,
        None => AssetId::parse(&format!("asset:{}", uuid::Uuid::new_v4().simple()))
            .map_err(ApiError::internal)?,
    };
    let asset = Asset::create(id, valid, chrono::Utc::now());
    let _guard = state.lock_writes().await?;
    state.store.insert(&asset).await?;
    // Acknowledged by the store: now visible to reads.
    state.engine_mut().upsert(asset.clone());
    let location = format!("{}/collections/assets/items/{}", base_url(&req), asset.id);
    Ok(feature_response(
        {
            let mut b = HttpResponse::Created();
            b.insert_header((header::LOCATION, location));
            b
        },
        &req,
        &asset,
    ))
}

fn if_match_version(req: &HttpRequest) -> Result<Option<u64>, ApiError> {
    let Some(v) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    let s = v.to_str().unwrap_or("").trim();
    if s == "*" {
        return Ok(None);
    }
    s.trim_start_matches("W/")
        .trim_matches('"')
        .parse::<u64>()
        .map(Some)
        .map_err(|_| ApiError::bad_request(format!("If-Match {s:?} is not an ETag from this server; use the ETag of a GET, e.g. \"3\".")))
}

async fn replace(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    crate::auth::authorise(&req, &state)?;
    Params::parse(req.query_string(), &[])?;
    let id = parse_id(&path)?;
    let input = feature_body(&req, &body)?;
    if let Some(body_id) = &input.id {
        if *body_id != id {
            return Err(ApiError::bad_request(format!(
                "The feature's id '{body_id}' differs from the id in the URL '{id}'; leave it out or make them match."
            )));
        }
    }
    let valid = input
        .draft
        .validate(input.location)
        .map_err(|e| ApiError::invalid_body(&e))?;
    let expected = if_match_version(&req)?;
    let _guard = state.lock_writes().await?;
    let current = state.store.get(&id).await?.ok_or_else(|| {
        ApiError::not_found(format!(
            "There is no asset with id '{id}'; create it with POST /collections/assets/items."
        ))
    })?;
    if let Some(v) = expected {
        if v != current.version {
            return Err(ApiError::precondition_failed(format!(
                "Asset '{id}' is at version {}, not {v}: someone changed it since you read it. Fetch it again and re-apply your change.",
                current.version
            )));
        }
    }
    let next = current.replaced_by(valid, chrono::Utc::now());
    state.store.replace(&next).await?;
    state.engine_mut().upsert(next.clone());
    Ok(feature_response(HttpResponse::Ok(), &req, &next))
}

async fn delete(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    crate::auth::authorise(&req, &state)?;
    Params::parse(req.query_string(), &[])?;
    let id = parse_id(&path)?;
    let _guard = state.lock_writes().await?;
    state.store.delete(&id).await?;
    state.engine_mut().remove(&id);
    Ok(HttpResponse::NoContent().finish())
}
