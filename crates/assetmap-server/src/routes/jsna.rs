//! `/areas/{level}/summary.csv`: the per-area JSNA summary as a spreadsheet, and the parsing of
//! the summary parameters shared with `/collections/areas-<level>/items` (and the downloads).

use crate::areas::Level;
use crate::errors::ApiError;
use crate::jsna::{SummaryQuery, DEFAULT_DESERT_SHARE, DEFAULT_WALK_M};
use crate::params::Params;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use assetmap_core::Category;

/// Longest walking distance accepted, metres.
pub const MAX_WALK_M: f64 = 10_000.0;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/areas/{level}/summary.csv", web::get().to(summary_csv));
}

/// Reads `category` (list, default every category), `walk_m` (metres, 1 to 10,000, default
/// 800) and `desert_share` (0 to 1, default 0.5).
pub fn summary_query(p: &Params) -> Result<SummaryQuery, ApiError> {
    Ok(SummaryQuery {
        categories: p.list_of("category", Category::parse)?,
        walk_m: p
            .number("walk_m", 1.0..=MAX_WALK_M)?
            .unwrap_or(DEFAULT_WALK_M),
        desert_share: p
            .number("desert_share", 0.0..=1.0)?
            .unwrap_or(DEFAULT_DESERT_SHARE),
    })
}

/// Parses a level slug from the path (404 naming the levels when unknown).
pub fn level_from_path(raw: &str) -> Result<Level, ApiError> {
    Level::parse(raw).ok_or_else(|| {
        ApiError::not_found(format!(
            "There is no area level '{raw}'; use one of: {}.",
            Level::ALL
                .iter()
                .map(|l| l.slug())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })
}

async fn summary_csv(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let level = level_from_path(&path)?;
    let p = Params::parse(req.query_string(), &["category", "walk_m", "desert_share"])?;
    let query = summary_query(&p)?;
    let summary =
        web::block(move || crate::jsna::summary(&state, crate::jsna::area_level(level), &query))
            .await
            .map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"trafford_{}_assets_summary.csv\"",
                level.slug()
            ),
        ))
        .body(crate::jsna::to_csv(&summary)))
}

/// The `area` parameter of the asset items: an ONS code of any level (LA, 2023 ward, MSOA or
/// LSOA 2021). Unknown codes are a 400 that names the parameter.
pub fn area_param<'a>(
    p: &Params,
    state: &'a AppState,
) -> Result<Option<&'a assetmap_index::areas::Area>, ApiError> {
    let Some(code) = p.one("area")? else {
        return Ok(None);
    };
    state
        .jsna
        .index
        .find_any(code)
        .map(|(_, _, a)| Some(a))
        .ok_or_else(|| {
            ApiError::bad_param(
                "area",
                format!("{code:?} is not the ONS code of a local authority, 2023 ward, MSOA or LSOA here (e.g. E05015239); see /collections/areas-ward/items"),
            )
        })
}

/// One page of the assets inside `area` (point in polygon, as the summaries count them) that
/// also lie in `bbox` (if given) and match `filter`, in id order.
pub fn area_page<'e>(
    engine: &'e assetmap_index::Engine,
    area: &assetmap_index::areas::Area,
    bbox: Option<&assetmap_index::BBox>,
    filter: &assetmap_index::Filter,
    offset: usize,
    limit: usize,
) -> assetmap_index::Page<'e> {
    let [w, s, e, n] = area.bbox();
    let area_box = assetmap_index::BBox::new(w, s, e, n);
    let matching: Vec<&assetmap_core::Asset> = match area_box {
        Ok(b) => engine
            .bbox(&b, filter)
            .into_iter()
            .filter(|a| area.contains(a.location) && bbox.is_none_or(|b| b.contains(&a.location)))
            .collect(),
        Err(_) => Vec::new(),
    };
    assetmap_index::Page {
        number_matched: matching.len(),
        items: matching.into_iter().skip(offset).take(limit).collect(),
    }
}
