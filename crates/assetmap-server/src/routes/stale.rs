//! `GET /stale`: the places nobody has confirmed lately, for staff — a page, CSV (for a
//! spreadsheet or a mail-merge) and JSON, by source, ward, category and steward
//! ([`crate::stale::StaleReport`]). Editors see every place; a steward its own.

use crate::auth::Principal;
use crate::errors::ApiError;
use crate::params::Params;
use crate::stale::{StaleReport, StaleRow};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use assetmap_core::{Asset, AssetId};

/// Registers the route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/stale").route(web::get().to(stale)));
}

#[derive(askama::Template)]
#[template(path = "stale.html")]
struct StalePage<'a> {
    title: &'a str,
    older_than: &'a str,
    since: String,
    today: String,
    count: usize,
    csv_href: String,
    json_href: String,
    groups: Vec<Group>,
    rows: &'a [StaleRow],
}

/// One way of reading the report: its id, heading, and how many places under each key.
struct Group {
    id: &'static str,
    heading: &'static str,
    counts: Vec<(String, usize)>,
}

async fn stale(
    req: HttpRequest,
    who: Principal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let p = Params::parse(req.query_string(), &["older_than", "f"])?;
    let older_than = p
        .one_as_given("older_than")?
        .unwrap_or(&state.settings.stale_after)
        .trim()
        .to_owned();
    let format = match p.one_as_given("f")? {
        Some(f @ ("html" | "json" | "csv")) => f.to_owned(),
        None => {
            let html = req
                .headers()
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|a| a.contains("text/html"));
            if html { "html" } else { "json" }.to_owned()
        }
        Some(other) => {
            return Err(ApiError::bad_param(
                "f",
                format!("{other:?} is not html, json or csv"),
            ))
        }
    };
    let today = assetmap_core::uk_time::uk_local(chrono::Utc::now()).date();
    let since = assetmap_analysis::checks::cutoff(today, &older_than)
        .map_err(|e| ApiError::bad_param("older_than", e))?;
    let only: Option<Vec<AssetId>> = (!who.role.edits_every_asset())
        .then(|| who.stewardships().iter().map(|s| s.asset.clone()).collect());
    // Only the places that need a check leave the engine.
    let assets: Vec<Asset> = {
        let engine = state.engine();
        match &only {
            Some(ids) => ids.iter().filter_map(|id| engine.get(id)).collect(),
            None => engine
                .iter()
                .filter(|a| assetmap_analysis::checks::needs_check(a, since))
                .collect(),
        }
    };
    let report =
        StaleReport::build(state.store.as_ref(), &state.place, &assets, today, since).await?;
    let private = |ct: &str| {
        let mut r = HttpResponse::Ok();
        r.content_type(ct)
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((header::REFERRER_POLICY, "same-origin"));
        r
    };
    match format.as_str() {
        "csv" => Ok(private("text/csv; charset=utf-8")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"not-checked-since-{since}.csv\""),
            ))
            .body(report.to_csv(Vec::new())?)),
        "json" => Ok(private("application/json").body(report.to_json(&older_than).to_string())),
        _ => {
            let href = |f: &str| {
                format!(
                    "/stale?older_than={}&f={f}",
                    percent_encoding::utf8_percent_encode(
                        &older_than,
                        percent_encoding::NON_ALPHANUMERIC
                    )
                )
            };
            let headings = ["Source", "Ward", "Category", "Kept by"];
            let groups = report
                .groups()
                .into_iter()
                .zip(headings)
                .map(|((id, counts), heading)| Group {
                    id,
                    heading,
                    counts,
                })
                .collect();
            let page = StalePage {
                title: "Places not checked lately",
                older_than: &older_than,
                since: since.to_string(),
                today: today.to_string(),
                count: report.rows.len(),
                csv_href: href("csv"),
                json_href: href("json"),
                groups,
                rows: &report.rows,
            };
            let body = askama::Template::render(&page).map_err(ApiError::internal)?;
            Ok(private(crate::http::HTML).body(body))
        }
    }
}
