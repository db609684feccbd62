//! `/collections/areas-<level>/items`: area boundaries as OGC API Features.

use crate::errors::ApiError;
use crate::html::render;
use crate::http::{
    base_url, content_crs, href_keeping, paging_links, reproject, Format, HtmlPaging, PageInfo,
    GEO_JSON, MAX_LIMIT,
};
use crate::params::Params;
use crate::parse::{bbox_in_wgs84, crs_param, datetime_from, summary_query};
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use assetmap_analysis::export::area_feature;
use assetmap_analysis::{Summary, SummaryRow};
use assetmap_index::AreaLevel;
use serde_json::json;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/collections/{collection}/items", web::get().to(list))
        .route(
            "/collections/{collection}/items/{code}",
            web::get().to(get_one),
        );
}

fn level_of(collection: &str) -> Result<AreaLevel, ApiError> {
    collection
        .strip_prefix("areas-")
        .and_then(AreaLevel::parse)
        .ok_or_else(|| ApiError::unknown_collection(collection))
}

/// Query parameters of the area collections besides paging: the summary's.
const SUMMARY_PARAMS: [&str; 3] = ["category", "walk_m", "desert_share"];

/// A page of areas with their main figures (`templates/areas.html`).
#[derive(askama::Template)]
#[template(path = "areas.html")]
struct AreasPage {
    /// The level's title ("Electoral wards (2023 boundaries)").
    title: String,
    rows: Vec<AreaRow>,
    paging: HtmlPaging,
    /// The same figures for every area as CSV.
    csv: String,
    /// The categories counted, when the request chose some.
    categories: Option<String>,
    /// The first day of "checked within 12 months" (`YYYY-MM-DD`).
    checked_since: String,
}

/// One area in the table: its main figures as the CSV writes them.
struct AreaRow {
    href: String,
    name: String,
    code: String,
    /// Usual residents, mid-2024.
    population: String,
    /// Active or temporarily closed assets in the area.
    count: String,
    /// `count` per 1,000 residents.
    per_1000: String,
    /// Of `count`, the assets checked within 12 months.
    checked: String,
    /// How many of the chosen categories the area is an asset desert for.
    deserts: String,
}

impl AreaRow {
    fn of(summary: &Summary, row: &SummaryRow, collection: &str) -> AreaRow {
        let cell = |name: &str| {
            summary
                .columns
                .iter()
                .position(|c| c.name == name)
                .and_then(|i| row.cells.get(i))
                .map(|c| c.to_text())
                .unwrap_or_default()
        };
        AreaRow {
            href: format!("/collections/{collection}/items/{}", row.code),
            name: row.name.clone(),
            code: row.code.clone(),
            population: cell("population"),
            count: cell("count_total"),
            per_1000: cell("per_1000_total"),
            checked: cell("assets_checked_12m"),
            deserts: cell("deserts"),
        }
    }
}

/// One area and every figure of it (`templates/area.html`).
#[derive(askama::Template)]
#[template(path = "area.html")]
struct AreaPage {
    /// The area's name.
    title: String,
    /// The level's title.
    level: String,
    code: String,
    geojson: String,
    csv: String,
    figures: Vec<Figure>,
}

/// One figure of an area: its column name, value (as in the CSV) and meaning (with units).
struct Figure {
    name: String,
    value: String,
    description: String,
}

/// The level's figures as CSV, with the request's summary parameters.
fn csv_href(req: &HttpRequest, level: AreaLevel) -> String {
    href_keeping(
        req,
        &format!("/areas/{}/summary.csv", level.slug()),
        |k| SUMMARY_PARAMS.contains(&k),
        &[],
    )
}

async fn list(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let collection = path.into_inner();
    let level = level_of(&collection)?;
    let mut allowed = vec![
        "f", "bbox", "bbox-crs", "datetime", "crs", "limit", "offset",
    ];
    allowed.extend(SUMMARY_PARAMS);
    let p = Params::parse(req.query_string(), &allowed)?;
    let bbox = bbox_in_wgs84(&p)?;
    // Areas have no time: a valid `datetime` selects every area (OGC API Features Part 1,
    // /req/core/fc-time-response filters only collections with temporal information), an
    // invalid one is still a 400.
    datetime_from(&p)?;
    let format = Format::negotiate(&req, &p)?;
    let limit = p
        .integer("limit", 1..=i64::MAX)?
        .unwrap_or(10)
        .min(MAX_LIMIT) as usize;
    let offset = p.integer("offset", 0..=i64::from(u32::MAX))?.unwrap_or(0) as usize;
    let query = summary_query(&p)?;
    let crs = crs_param(&p, "crs")?;
    let chosen: Vec<&str> = query.categories.iter().map(|c| c.label()).collect();
    let state2 = state.clone();
    let summary = web::block(move || state2.summary(level, &query))
        .await
        .map_err(ApiError::internal)?;
    let matching: Vec<_> = summary
        .rows
        .iter()
        .filter(|r| {
            bbox.as_ref()
                .is_none_or(|b| state.place.boundary_intersects(level, &r.code, b))
        })
        .collect();
    let total = matching.len();
    if format == Format::Html {
        let rows: Vec<AreaRow> = matching
            .iter()
            .skip(offset)
            .take(limit)
            .map(|r| AreaRow::of(&summary, r, &collection))
            .collect();
        let info = PageInfo {
            offset,
            limit,
            returned: rows.len(),
            matched: total,
        };
        return render(&AreasPage {
            title: state.place.level_title(level),
            paging: HtmlPaging::new(&req, &format!("/collections/{collection}/items"), info),
            csv: csv_href(&req, level),
            categories: (!chosen.is_empty()).then(|| chosen.join(", ")),
            checked_since: assetmap_analysis::checks::jsna_cutoff(summary.today).to_string(),
            rows,
        });
    }
    let page: Vec<_> = matching
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(|r| {
            let mut feature = area_feature(&summary, r);
            reproject(&mut feature, crs).map(|()| feature)
        })
        .collect::<Result<_, _>>()?;
    let base = base_url(&req);
    let mut links = paging_links(
        &req,
        &format!("/collections/{collection}/items"),
        PageInfo {
            offset,
            limit,
            returned: page.len(),
            matched: total,
        },
    );
    links.push(json!({"href": format!("{base}/areas/{}/summary.csv", level.slug()), "rel": "alternate", "type": "text/csv", "title": "These figures as CSV"}));
    let body = json!({
        "type": "FeatureCollection",
        "numberMatched": total,
        "numberReturned": page.len(),
        "timeStamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "features": page,
        "links": links,
        "metadata": summary.metadata,
    });
    Ok(HttpResponse::Ok()
        .content_type(GEO_JSON)
        .insert_header(content_crs(crs))
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
    let mut allowed = vec!["f", "crs"];
    allowed.extend(SUMMARY_PARAMS);
    let p = Params::parse(req.query_string(), &allowed)?;
    let format = Format::negotiate(&req, &p)?;
    let query = summary_query(&p)?;
    let crs = crs_param(&p, "crs")?;
    let state2 = state.clone();
    let summary = web::block(move || state2.summary(level, &query))
        .await
        .map_err(ApiError::internal)?;
    let row = summary
        .rows
        .iter()
        .find(|r| r.code == code)
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "There is no area with code '{code}' in {collection}."
            ))
        })?;
    if format == Format::Html {
        let figures = summary
            .columns
            .iter()
            .zip(&row.cells)
            .skip(2) // the code and the name are the page's heading
            .map(|(column, cell)| Figure {
                name: column.name.clone(),
                value: cell.to_text(),
                description: column.description.clone(),
            })
            .collect();
        return render(&AreaPage {
            title: row.name.clone(),
            level: state.place.level_title(level),
            code: row.code.clone(),
            geojson: href_keeping(
                &req,
                &format!("/collections/{collection}/items/{code}"),
                |_| true,
                &[("f", "json".to_owned())],
            ),
            csv: csv_href(&req, level),
            figures,
        });
    }
    let base = base_url(&req);
    let mut feature = area_feature(&summary, row);
    feature["links"] = json!([
        {"href": format!("{base}/collections/{collection}/items/{code}"), "rel": "self", "type": GEO_JSON, "title": "This area"},
        {"href": format!("{base}/collections/{collection}/items/{code}?f=html"), "rel": "alternate", "type": "text/html", "title": "This area as HTML"},
        {"href": format!("{base}/collections/{collection}"), "rel": "collection", "type": "application/json", "title": "The collection"}
    ]);
    reproject(&mut feature, crs)?;
    Ok(HttpResponse::Ok()
        .content_type(GEO_JSON)
        .insert_header(content_crs(crs))
        .body(feature.to_string()))
}
