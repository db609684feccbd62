//! `/areas/{level}/summary.csv`: the per-area summary as a spreadsheet.

use crate::errors::ApiError;
use crate::params::Params;
use crate::parse::{level_from_path, summary_query};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use assetmap_io::export::Format;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/areas/{level}/summary.csv", web::get().to(summary_csv));
}

async fn summary_csv(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let level = level_from_path(&path)?;
    let p = Params::parse(req.query_string(), &["category", "walk_m", "desert_share"])?;
    let query = summary_query(&p)?;
    let csv = web::block(move || {
        let summary = state.summary(level, &query);
        assetmap_analysis::export::write_summary(&summary, Format::Csv, Vec::new())
    })
    .await
    .map_err(ApiError::internal)?
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
        .body(csv))
}
