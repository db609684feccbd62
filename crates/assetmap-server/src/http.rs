//! What every route's response shares: media types, negotiation, absolute links, paging
//! links, and the headers of answers about a person.

use crate::errors::ApiError;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};

/// GeoJSON's media type (RFC 7946).
pub const GEO_JSON: &str = "application/geo+json";

/// The base URL clients used to reach us (scheme and host), for absolute links.
pub fn base_url(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}

/// Which representation a client asked for: `f=json|html` wins, then the `Accept` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Html,
}

impl Format {
    /// Negotiates from `f` (already read from the query) and the `Accept` header; JSON unless
    /// the client prefers HTML (browsers do).
    pub fn negotiate(req: &HttpRequest, f: Option<&str>) -> Result<Format, ApiError> {
        match f {
            Some("json") | Some("geojson") => return Ok(Format::Json),
            Some("html") => return Ok(Format::Html),
            Some(other) => {
                return Err(ApiError::bad_param(
                    "f",
                    format!("{other:?} is not a format here; use json or html"),
                ))
            }
            None => {}
        }
        let accept = req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        Ok(if accept.contains("text/html") {
            Format::Html
        } else {
            Format::Json
        })
    }
}

/// Default page size of an OGC API items response.
pub const DEFAULT_LIMIT: i64 = 10;
/// Largest page; larger requests are clamped to it (OGC API Features allows clamping).
pub const MAX_LIMIT: i64 = 10_000;

/// One page of an OGC API items response: where it starts, how big pages are, how many
/// features it holds and how many matched in all.
#[derive(Debug, Clone, Copy)]
pub struct PageInfo {
    pub offset: usize,
    pub limit: usize,
    pub returned: usize,
    pub matched: usize,
}

/// The `self`, `next` and `prev` links of a page of `path` (e.g. `/collections/assets/items`),
/// keeping the request's other query parameters.
pub fn paging_links(req: &HttpRequest, path: &str, page: PageInfo) -> Vec<serde_json::Value> {
    let base = base_url(req);
    let here = |off: usize| {
        let mut q: Vec<(String, String)> =
            serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
        q.retain(|(k, _)| k != "offset" && k != "limit");
        q.push(("limit".into(), page.limit.to_string()));
        q.push(("offset".into(), off.to_string()));
        format!(
            "{base}{path}?{}",
            serde_urlencoded::to_string(&q).unwrap_or_default()
        )
    };
    let mut links = vec![
        serde_json::json!({"href": here(page.offset), "rel": "self", "type": GEO_JSON, "title": "This page"}),
    ];
    if page.offset + page.returned < page.matched {
        links.push(serde_json::json!({"href": here(page.offset + page.limit), "rel": "next", "type": GEO_JSON, "title": "Next page"}));
    }
    if page.offset > 0 {
        links.push(serde_json::json!({"href": here(page.offset.saturating_sub(page.limit)), "rel": "prev", "type": GEO_JSON, "title": "Previous page"}));
    }
    links
}

/// A JSON response with the given content type.
pub fn json_response(content_type: &str, body: &serde_json::Value) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .body(body.to_string())
}

/// A response builder with the headers every person-related answer carries: never cached,
/// and no `Referer` carrying the query (a postcode) to sites linked from it.
pub fn private_response(content_type: &str) -> HttpResponseBuilder {
    let mut r = HttpResponse::Ok();
    r.content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"));
    r
}
