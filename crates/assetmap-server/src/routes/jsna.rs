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
    let stem = file_stem(state.place.title());
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
                "attachment; filename=\"{}_{}_assets_summary.csv\"",
                stem,
                level.slug()
            ),
        ))
        .body(csv))
}

/// A place's title as a file name's first part: "Trafford" → `trafford`, "Brighton and Hove" →
/// `brighton_and_hove`, "Ynys Môn" → `ynys_mon` (accents folded; ASCII letters and digits;
/// anything else one underscore).
fn file_stem(title: &str) -> String {
    let mut out = String::new();
    for c in assetmap_index::text::fold(title).chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    let stem = out.trim_end_matches('_');
    if stem.is_empty() {
        "area".to_owned()
    } else {
        stem.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::file_stem;

    #[test]
    fn a_place_title_makes_a_file_name() {
        assert_eq!(file_stem("Trafford"), "trafford");
        assert_eq!(file_stem("Brighton and Hove"), "brighton_and_hove");
        assert_eq!(
            file_stem("  Bath & North East Somerset "),
            "bath_north_east_somerset"
        );
        assert_eq!(file_stem("Ynys Môn"), "ynys_mon");
        assert_eq!(file_stem("—"), "area");
    }
}
