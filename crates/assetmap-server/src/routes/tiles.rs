//! OGC API Tiles for the assets: Mapbox Vector Tiles from the engine on the WebMercatorQuad
//! tile matrix set (zoom 0..=16), the tileset's metadata and a TileJSON for map libraries.
//!
//! - `/collections/assets/tiles`: the tilesets (one);
//! - `/collections/assets/tiles/WebMercatorQuad`: its metadata (OGC API Tiles tileset);
//! - `/collections/assets/tiles/WebMercatorQuad/tilejson.json`: the same as TileJSON 3.0.0;
//! - `/collections/assets/tiles/WebMercatorQuad/{z}/{y}/{x}`: one tile (`{tileMatrix}/{tileRow}/
//!   {tileCol}`), `204 No Content` when nothing is in it.
//!
//! Each takes the map's filters (`category`, `abcd_type`, `status`, as `/map/points`; the
//! statuses shown by default when `status` is absent) and words (`q`: the assets the text
//! index finds for them, as `/search`'s candidates), and the metadata passes them on in its
//! tile links. `ETag` and `304` come from [`crate::edge`] (public data: the engine generation
//! and the URL); a tile is sent `Cache-Control: no-cache`, so that an edit shows on the map at
//! once. What a tile holds is `assetmap_index::tiles`; how it is written,
//! `assetmap_io::mvt`.

use crate::errors::ApiError;
use crate::http::{base_url, json_response};
use crate::params::Params;
use crate::parse::{filter_from, words_from};
use crate::state::AppState;
use actix_web::{http::header, web, HttpRequest, HttpResponse};
use assetmap_index::tiles::{TileId, MAX_LAT, MAX_ZOOM};
use assetmap_io::mvt;
use serde_json::{json, Value};

/// The one tile matrix set served.
const TMS: &str = "WebMercatorQuad";
const TMS_URI: &str = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad";
const CRS_3857: &str = "http://www.opengis.net/def/crs/EPSG/0/3857";
const TILING_SCHEME_REL: &str = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme";
/// The query parameters of every route here.
const FILTERS: &[&str] = &["category", "abcd_type", "status", "q"];

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/collections/assets/tiles", web::get().to(tilesets))
        .route("/collections/assets/tiles/{tms}", web::get().to(tileset))
        .route(
            "/collections/assets/tiles/{tms}/tilejson.json",
            web::get().to(tilejson),
        )
        .route(
            "/collections/assets/tiles/{tms}/{z}/{y}/{x}",
            web::get().to(tile),
        );
}

/// The tile matrix set in the path, if it is the one served.
fn check_tms(tms: &str) -> Result<(), ApiError> {
    if tms == TMS {
        Ok(())
    } else {
        Err(ApiError::not_found(format!(
            "Tile matrix set {tms:?} is not offered; the assets are tiled on {TMS} only (/collections/assets/tiles/{TMS})."
        )))
    }
}

/// What a request asks for: the filters and the words (`q`), checked, and its query string to
/// pass on in links (`?…` or nothing).
struct Asked {
    filter: assetmap_index::Filter,
    /// As given: read against the engine's records when a tile is drawn
    /// ([`assetmap_index::Engine::read_words`]), as `/search` reads them.
    words: String,
    qs: String,
}

fn asked(req: &HttpRequest) -> Result<Asked, ApiError> {
    let p = Params::parse(req.query_string(), FILTERS)?;
    Ok(Asked {
        filter: filter_from(&p)?,
        words: words_from(&p)?.to_owned(),
        qs: match req.query_string() {
            "" => String::new(),
            q => format!("?{q}"),
        },
    })
}

/// The tile URL template, `{z}/{y}/{x}` (TileJSON's names; OGC's are `{tileMatrix}/{tileRow}/
/// {tileCol}`).
fn template(base: &str, ogc_names: bool, qs: &str) -> String {
    let zyx = if ogc_names {
        "{tileMatrix}/{tileRow}/{tileCol}"
    } else {
        "{z}/{y}/{x}"
    };
    format!("{base}/collections/assets/tiles/{TMS}/{zyx}{qs}")
}

fn tileset_summary(base: &str, qs: &str) -> Value {
    json!({
        "title": "Community assets",
        "dataType": "vector",
        "crs": CRS_3857,
        "tileMatrixSetURI": TMS_URI,
        "links": [
            {"href": format!("{base}/collections/assets/tiles/{TMS}{qs}"), "rel": "self", "type": "application/json", "title": "The tileset"},
            {"href": TMS_URI, "rel": TILING_SCHEME_REL, "title": "The WebMercatorQuad tile matrix set"}
        ]
    })
}

async fn tilesets(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let qs = asked(&req)?.qs;
    let base = base_url(&req);
    Ok(json_response(
        "application/json",
        &json!({
            "links": [
                {"href": format!("{base}/collections/assets/tiles{qs}"), "rel": "self", "type": "application/json", "title": "The tilesets of the assets"},
                {"href": format!("{base}/collections/assets"), "rel": "collection", "type": "application/json", "title": "The assets"}
            ],
            "tilesets": [tileset_summary(&base, &qs)]
        }),
    ))
}

async fn tileset(req: HttpRequest, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let qs = asked(&req)?.qs;
    check_tms(&path)?;
    let base = base_url(&req);
    let mut doc = tileset_summary(&base, &qs);
    doc["description"] = json!(
        "Every asset as a point from zoom 15; below, clusters on a grid of 64 px cells with how many assets each holds (point_count) and of which ABCD types (abcd_*)."
    );
    doc["layers"] = json!([{
        "id": mvt::LAYER,
        "dataType": "vector",
        "geometryDimension": 0,
        "minTileMatrix": "0",
        "maxTileMatrix": MAX_ZOOM.to_string(),
        "propertiesSchema": {
            "type": "object",
            "properties": mvt::FIELDS.iter().map(|(name, kind, what)| {
                let t = match *kind { "Number" => "integer", "Boolean" => "boolean", _ => "string" };
                ((*name).to_owned(), json!({"type": t, "description": what}))
            }).collect::<serde_json::Map<String, Value>>()
        }
    }]);
    if let Some(links) = doc["links"].as_array_mut() {
        links.push(json!({"href": template(&base, true, &qs), "rel": "item", "type": mvt::MEDIA_TYPE, "templated": true, "title": "A tile"}));
        links.push(json!({"href": format!("{base}/collections/assets/tiles/{TMS}/tilejson.json{qs}"), "rel": "describedby", "type": "application/json", "title": "The same as TileJSON"}));
    }
    Ok(json_response("application/json", &doc))
}

async fn tilejson(req: HttpRequest, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let qs = asked(&req)?.qs;
    check_tms(&path)?;
    let base = base_url(&req);
    let fields: serde_json::Map<String, Value> = mvt::FIELDS
        .iter()
        .map(|(name, kind, _)| ((*name).to_owned(), json!(kind)))
        .collect();
    Ok(json_response(
        "application/json",
        &json!({
            "tilejson": "3.0.0",
            "name": "Community assets",
            "scheme": "xyz",
            "tiles": [template(&base, false, &qs)],
            "minzoom": 0,
            "maxzoom": MAX_ZOOM,
            "bounds": [-180.0, -MAX_LAT, 180.0, MAX_LAT],
            "vector_layers": [{
                "id": mvt::LAYER,
                "description": "Assets (from zoom 15) and clusters of assets (below)",
                "minzoom": 0,
                "maxzoom": MAX_ZOOM,
                "fields": fields
            }]
        }),
    ))
}

/// A path segment as a whole number, or a 400 naming it.
fn number(name: &str, value: &str) -> Result<u64, ApiError> {
    value.parse().map_err(|_| {
        ApiError::bad_param(
            name,
            format!("{value:?} is not a whole number; tiles are /collections/assets/tiles/{TMS}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}, zoom 0 to {MAX_ZOOM}, e.g. /collections/assets/tiles/{TMS}/14/5304/8086"),
        )
    })
}

async fn tile(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    let asked = asked(&req)?;
    let (tms, z, y, x) = path.into_inner();
    check_tms(&tms)?;
    let (z, y, x) = (
        number("tileMatrix", &z)?,
        number("tileRow", &y)?,
        number("tileCol", &x)?,
    );
    let z = u32::try_from(z).unwrap_or(u32::MAX);
    let id = TileId::new(z, x, y).map_err(|e| {
        ApiError::not_found(format!(
            "No such tile: {e}. The path is {{tileMatrix}}/{{tileRow}}/{{tileCol}} (zoom/row/column)."
        ))
    })?;
    let bytes = {
        let engine = state.engine();
        let words = engine.read_words(&asked.words);
        mvt::encode(&engine.tile_matching(id, &asked.filter, &words))
    };
    // Revalidated on every use (a 304 costs nothing), so that an edit shows on the map at once
    // rather than after the minute other public data may be kept.
    let revalidate = (header::CACHE_CONTROL, "no-cache");
    if bytes.is_empty() {
        return Ok(HttpResponse::NoContent().insert_header(revalidate).finish());
    }
    Ok(HttpResponse::Ok()
        .content_type(mvt::MEDIA_TYPE)
        .insert_header(revalidate)
        .body(bytes))
}
