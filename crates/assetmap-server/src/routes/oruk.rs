//! `/oruk/…`: the directory as Open Referral UK (ORUK 3.0, the UK profile of HSDS 3.0),
//! read-only and open (no key; `Access-Control-Allow-Origin: *` from [`crate::edge`]).
//!
//! The mapping is [`assetmap_io::oruk`]; the filters are [`assetmap_index::directory`]; this
//! module reads the parameters and wires them. Only public assets are published: the statuses
//! the API shows by default ([`Status::SHOWN_BY_DEFAULT`]). Pages are 1-based; `per_page` is
//! [`DEFAULT_PER_PAGE`] by default and at most [`MAX_PER_PAGE`] (the profile sets neither).

use crate::errors::ApiError;
use crate::http::{json_response, private_response};
use crate::params::Params;
use crate::parse::lookup_postcode;
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use assetmap_core::{Asset, Status, TimeOfDay, Weekday};
use assetmap_index::directory::DirectoryQuery;
use assetmap_index::{Engine, Filter, TextQuery, TimeInterval};
use assetmap_io::oruk::{self, Term};
use serde_json::{json, Value};

/// Items on a page unless `per_page` says otherwise.
pub const DEFAULT_PER_PAGE: usize = 50;
/// The most items on a page.
pub const MAX_PER_PAGE: usize = 500;
/// Longest `search`, in characters.
pub const MAX_SEARCH_CHARS: usize = 300;
/// Largest `proximity`, metres.
pub const MAX_PROXIMITY_M: f64 = 50_000.0;

/// The UK profile's OpenAPI document, served at `/oruk/openapi.json`.
const OPENAPI: &str = include_str!("../../../../data/openreferral/schemas/oruk3_openapi.json");

const PAGING: &[&str] = &["page", "per_page"];
const SERVICE_PARAMS: &[&str] = &[
    "search",
    "page",
    "per_page",
    "taxonomy_term_id",
    "taxonomy_id",
    "minimum_age",
    "maximum_age",
    "day",
    "start_time",
    "end_time",
    "modified_after",
];

/// Registers `/oruk/…`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/oruk")
            .route(web::get().to(landing))
            .route(read_only()),
    )
    .service(
        web::resource("/oruk/")
            .route(web::get().to(landing))
            .route(read_only()),
    )
    .service(
        web::resource("/oruk/openapi.json")
            .route(web::get().to(openapi))
            .route(read_only()),
    )
    .service(
        web::resource("/oruk/services")
            .route(web::get().to(services))
            .route(read_only()),
    )
    .service(
        web::resource("/oruk/services/{id}")
            .route(web::get().to(service))
            .route(read_only()),
    )
    .service(
        web::resource("/oruk/service_at_locations")
            .route(web::get().to(service_at_locations))
            .route(read_only()),
    )
    .service(
        web::resource("/oruk/service_at_locations/{id}")
            .route(web::get().to(service_at_location))
            .route(read_only()),
    )
    .service(
        web::resource("/oruk/taxonomies")
            .route(web::get().to(taxonomies))
            .route(read_only()),
    )
    .service(
        web::resource("/oruk/taxonomies/{id}")
            .route(web::get().to(taxonomy))
            .route(read_only()),
    )
    .service(
        web::resource("/oruk/taxonomy_terms")
            .route(web::get().to(taxonomy_terms))
            .route(read_only()),
    )
    .service(
        web::resource("/oruk/taxonomy_terms/{id}")
            .route(web::get().to(taxonomy_term))
            .route(read_only()),
    )
    .service(
        web::resource("/oruk/organizations")
            .route(web::get().to(organizations))
            .route(read_only()),
    )
    .service(
        web::resource("/oruk/organizations/{id}")
            .route(web::get().to(organization))
            .route(read_only()),
    );
}

/// Any method but GET: 405.
fn read_only() -> actix_web::Route {
    web::to(|| async {
        Err::<HttpResponse, _>(ApiError::method_not_allowed(
            "The Open Referral UK API is read-only: use GET.",
        ))
    })
}

fn json(body: &Value) -> HttpResponse {
    json_response("application/json", body)
}

async fn landing(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Params::parse(req.query_string(), &[])?;
    let base = crate::http::base_url(&req);
    Ok(json(&json!({
        "version": oruk::HSDS_VERSION,
        "profile": oruk::PROFILE_URL,
        "openapi_url": format!("{base}/oruk/openapi.json"),
    })))
}

async fn openapi(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Params::parse(req.query_string(), &[])?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(OPENAPI))
}

/// The parameters whose value has a type (a number, a time, a day): given empty, they are an
/// error rather than absent.
const TYPED: &[&str] = &[
    "page",
    "per_page",
    "minimum_age",
    "maximum_age",
    "day",
    "start_time",
    "end_time",
    "modified_after",
    "proximity",
];

/// Rejects a typed parameter given with an empty value (`per_page=`).
fn no_empty_values(p: &Params) -> Result<(), ApiError> {
    for name in TYPED {
        if p.one_as_given(name)? == Some("") {
            return Err(ApiError::bad_param(
                name,
                "is empty; give a value or leave the parameter out",
            ));
        }
    }
    Ok(())
}

/// `(page, per_page)`, checked.
fn paging(p: &Params) -> Result<(usize, usize), ApiError> {
    no_empty_values(p)?;
    let page = p.integer("page", 1..=i64::from(u32::MAX))?.unwrap_or(1) as usize;
    let per_page = p
        .integer("per_page", 1..=MAX_PER_PAGE as i64)?
        .map_or(DEFAULT_PER_PAGE, |n| n as usize);
    Ok((page, per_page))
}

/// A time as `HH:MM` exactly (two-digit hours), 00:00 to 24:00.
fn time_param(p: &Params, name: &str) -> Result<Option<TimeOfDay>, ApiError> {
    let Some(v) = p.one(name)? else {
        return Ok(None);
    };
    let bad = || ApiError::bad_param(name, format!("{v:?} is not a time; use HH:MM, e.g. 09:30"));
    if v.len() != 5 {
        return Err(bad());
    }
    TimeOfDay::parse(v).map(Some).map_err(|_| bad())
}

/// A day as iCalendar writes it: `MO` … `SU`.
fn day_param(p: &Params) -> Result<Option<Weekday>, ApiError> {
    let Some(v) = p.one("day")? else {
        return Ok(None);
    };
    const CODES: [&str; 7] = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];
    match CODES.iter().position(|c| *c == v) {
        Some(i) => Ok(Some(Weekday::ALL[i])),
        None => Err(ApiError::bad_param(
            "day",
            format!("{v:?} is not a day; use MO, TU, WE, TH, FR, SA or SU"),
        )),
    }
}

fn age_param(p: &Params, name: &str) -> Result<Option<u8>, ApiError> {
    Ok(
        p.integer(name, 0..=i64::from(assetmap_core::MAX_AGE_YEARS))?
            .map(|a| a as u8),
    )
}

/// The directory query of `/services` and `/service_at_locations`, or `None` when a taxonomy
/// term or taxonomy asked for is not ours (nothing matches).
fn directory_query(p: &Params) -> Result<Option<DirectoryQuery>, ApiError> {
    let mut filter = Filter {
        statuses: Status::SHOWN_BY_DEFAULT.to_vec(),
        ..Filter::default()
    };
    if let Some(v) = p.one("modified_after")? {
        let t = chrono::DateTime::parse_from_rfc3339(v).map_err(|e| {
            ApiError::bad_param(
                "modified_after",
                format!("{v:?} is not an RFC 3339 date-time ({e}); e.g. 2025-06-01T00:00:00Z"),
            )
        })?;
        filter.updated = Some(TimeInterval {
            start: Some(t.with_timezone(&chrono::Utc)),
            end: None,
        });
    }
    let search = p.one("search")?.unwrap_or("");
    if search.chars().count() > MAX_SEARCH_CHARS {
        return Err(ApiError::bad_param(
            "search",
            "is too long; use a few words",
        ));
    }
    let term = p.one("taxonomy_term_id")?;
    let taxonomy = p.one("taxonomy_id")?;
    let mut q = DirectoryQuery {
        text: TextQuery::parse(search),
        near: None,
        minimum_age: age_param(p, "minimum_age")?,
        maximum_age: age_param(p, "maximum_age")?,
        day: day_param(p)?,
        start_time: time_param(p, "start_time")?,
        end_time: time_param(p, "end_time")?,
        filter,
    };
    // Looked up last, so that every other parameter is checked whatever the term.
    if let Some(id) = term {
        match Term::by_id(id) {
            Some(Term::Category(c)) => q.filter.categories.push(c),
            Some(Term::Abcd(t)) => q.filter.abcd_types.push(t),
            None => return Ok(None),
        }
    }
    // Every public asset has terms in both our taxonomies.
    if taxonomy.is_some_and(|id| oruk::taxonomy_by_id(id).is_none()) {
        return Ok(None);
    }
    Ok(Some(q))
}

fn matching(engine: &Engine, q: Option<&DirectoryQuery>) -> Vec<Asset> {
    q.map(|q| engine.directory(q)).unwrap_or_default()
}

/// The published (public) asset whose `id_of` is `id`.
fn published(engine: &Engine, id: &str, id_of: fn(&str) -> String) -> Option<Asset> {
    let public = Filter {
        statuses: Status::SHOWN_BY_DEFAULT.to_vec(),
        ..Filter::default()
    };
    // The directory's ids are derived from asset ids: compare those, read one record.
    let found = engine.scan_ids(&public).find(|a| id_of(a) == id)?;
    engine.get(found)
}

fn not_found(what: &str, list: &str, id: &str) -> ApiError {
    ApiError::not_found(format!(
        "There is no {what} {id:?} in this directory; list them at /oruk/{list}."
    ))
}

async fn services(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let p = Params::parse(req.query_string(), SERVICE_PARAMS)?;
    let (page, per_page) = paging(&p)?;
    let q = directory_query(&p)?;
    let engine = state.engine();
    let all = matching(&engine, q.as_ref());
    Ok(json(&oruk::page(&all, page, per_page, |a| {
        oruk::service_list_item(a)
    })))
}

async fn service(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Params::parse(req.query_string(), &[])?;
    let engine = state.engine();
    let a = published(&engine, &path, oruk::service_id)
        .ok_or_else(|| not_found("service", "services", &path))?;
    Ok(json(&oruk::service(&a)))
}

async fn service_at_locations(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let p = Params::parse(
        req.query_string(),
        &[SERVICE_PARAMS, &["postcode", "proximity"]].concat(),
    )?;
    let (page, per_page) = paging(&p)?;
    let mut q = directory_query(&p)?;
    let proximity = p.number("proximity", 0.0..=MAX_PROXIMITY_M)?;
    let postcode = p.one("postcode")?;
    let near = match (postcode, proximity) {
        (None, Some(_)) => {
            return Err(ApiError::bad_param(
                "proximity",
                "needs postcode: the distance is from the postcode's centre",
            ))
        }
        (None, None) => None,
        (Some(pc), r) => {
            let info = lookup_postcode(&state.place, pc)
                .map_err(|e| ApiError::bad_param("postcode", e.detail().to_owned()))?;
            Some((info.at, r.unwrap_or(MAX_PROXIMITY_M)))
        }
    };
    if let Some(q) = q.as_mut() {
        q.near = near;
    }
    let engine = state.engine();
    let all = matching(&engine, q.as_ref());
    let body = oruk::page(&all, page, per_page, |a| {
        oruk::service_at_location_list_item(a)
    });
    drop(engine);
    // A postcode is about a person: not cached, not sent on as a referrer.
    Ok(if postcode.is_some() {
        private_response("application/json").body(body.to_string())
    } else {
        json(&body)
    })
}

async fn service_at_location(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Params::parse(req.query_string(), &[])?;
    let engine = state.engine();
    let a = published(&engine, &path, oruk::service_at_location_id)
        .ok_or_else(|| not_found("service_at_location", "service_at_locations", &path))?;
    Ok(json(&oruk::service_at_location(&a)))
}

async fn taxonomies(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let p = Params::parse(req.query_string(), PAGING)?;
    let (page, per_page) = paging(&p)?;
    Ok(json(&oruk::page(
        &oruk::taxonomies(),
        page,
        per_page,
        Value::clone,
    )))
}

async fn taxonomy(req: HttpRequest, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    Params::parse(req.query_string(), &[])?;
    let body = oruk::taxonomy_by_id(&path)
        .and_then(oruk::taxonomy)
        .ok_or_else(|| not_found("taxonomy", "taxonomies", &path))?;
    Ok(json(&body))
}

async fn taxonomy_terms(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let p = Params::parse(req.query_string(), PAGING)?;
    let (page, per_page) = paging(&p)?;
    Ok(json(&oruk::page(&Term::all(), page, per_page, |t| {
        oruk::taxonomy_term(*t)
    })))
}

async fn taxonomy_term(
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Params::parse(req.query_string(), &[])?;
    let t =
        Term::by_id(&path).ok_or_else(|| not_found("taxonomy_term", "taxonomy_terms", &path))?;
    Ok(json(&oruk::taxonomy_term(t)))
}

async fn organizations(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let p = Params::parse(req.query_string(), PAGING)?;
    let (page, per_page) = paging(&p)?;
    let engine = state.engine();
    let all = matching(&engine, directory_query(&Params::parse("", &[])?)?.as_ref());
    Ok(json(&oruk::page(&all, page, per_page, |a| {
        oruk::organization(a)
    })))
}

async fn organization(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Params::parse(req.query_string(), &[])?;
    let engine = state.engine();
    let a = published(&engine, &path, oruk::organization_id)
        .ok_or_else(|| not_found("organization", "organizations", &path))?;
    Ok(json(&oruk::organization_full(&a)))
}
