//! What every route's response shares: media types, negotiation, absolute links, paging
//! links, and the headers of answers about a person.

use crate::errors::ApiError;
use crate::params::Params;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse, HttpResponseBuilder};
use assetmap_core::Crs;
use std::net::IpAddr;

/// Marks a request whose response holds links built from its `Host`, so that [`crate::edge`]
/// adds `Vary` for what the links depend on.
#[derive(Clone, Copy)]
pub struct LinksFromRequest;

/// Marks a request whose representation was chosen by its `Accept` header (no `f`), so that
/// [`crate::edge`] adds `Vary: Accept`: a cache then never hands a browser's HTML page to a
/// JSON client, or the other way round.
#[derive(Clone, Copy)]
pub struct FormatFromAccept;

/// The media type of the HTML pages.
pub const HTML: &str = "text/html; charset=utf-8";

/// GeoJSON's media type (RFC 7946).
pub const GEO_JSON: &str = "application/geo+json";

/// Media type of a JSON Schema document (a collection's `describedby`).
pub const SCHEMA_JSON: &str = "application/schema+json";

/// The `Content-Crs` header (OGC API Features Part 2) of every features response: the URI of
/// the CRS its coordinates are in, in angle brackets.
pub fn content_crs(crs: Crs) -> (&'static str, String) {
    ("Content-Crs", format!("<{}>", crs.uri()))
}

/// Puts a feature's coordinates into the requested `crs` (nothing to do for CRS84). A position
/// outside that CRS's area (an asset far from Great Britain, for EPSG:27700) is a 400 naming
/// `crs`: the answer would otherwise hold a wrong number.
pub fn reproject(feature: &mut serde_json::Value, crs: Crs) -> Result<(), ApiError> {
    assetmap_io::reproject_feature(feature, crs).map_err(|e| {
        let id = feature.get("id").map(|v| v.to_string()).unwrap_or_default();
        ApiError::bad_param(
            "crs",
            format!(
                "feature {id} cannot be given in {}: {e}; ask for it in {} (the default)",
                crs.uri(),
                Crs::Crs84.uri()
            ),
        )
    })
}

/// The base URL clients used to reach us, for absolute links and `Location`: the configured
/// `public_url` when there is one; else the `Forwarded` / `X-Forwarded-*` headers, but only from
/// a trusted proxy; else the `Host` header; and the address we are bound to when the `Host`
/// header is not a valid host, so a made-up header never reaches a link.
pub fn base_url(req: &HttpRequest) -> String {
    let settings = req.app_data::<web::Data<AppState>>().map(|s| &s.settings);
    if let Some(public) = settings.and_then(|s| s.public_url.as_ref()) {
        return public.clone();
    }
    req.extensions_mut().insert(LinksFromRequest);
    let secure = req.app_config().secure();
    let own_scheme = if secure { "https" } else { "http" };
    if from_trusted_proxy(req) {
        let info = req.connection_info();
        let scheme = info.scheme();
        let host = info.host();
        if (scheme == "http" || scheme == "https") && valid_host(host) {
            return format!("{scheme}://{host}");
        }
    }
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()))
        .filter(|h| valid_host(h));
    match host {
        Some(h) => format!("{own_scheme}://{h}"),
        None => format!("{own_scheme}://{}", req.app_config().local_addr()),
    }
}

/// Whether the request came straight from a configured trusted proxy (so its `Forwarded` /
/// `X-Forwarded-*` headers are believed). The one place that decides it.
pub fn from_trusted_proxy(req: &HttpRequest) -> bool {
    let settings = req.app_data::<web::Data<AppState>>().map(|s| &s.settings);
    match (settings, req.peer_addr()) {
        (Some(s), Some(peer)) => s.trusted_proxies.contains(&peer.ip()),
        _ => false,
    }
}

/// The client's address: the TCP peer, or, when the peer is a trusted proxy, the address the
/// forwarding headers give. `Forwarded: for=` is read when present, else `X-Forwarded-For`;
/// the list is read from the right (the entry our proxy added) and entries that are themselves
/// trusted proxies are skipped, so a client cannot choose its address by sending the header
/// itself. Unparseable or obfuscated entries (`unknown`, `_hidden`) leave the proxy's address.
pub fn client_ip(req: &HttpRequest) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    if !from_trusted_proxy(req) {
        return Some(peer);
    }
    let trusted = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.settings.trusted_proxies.clone())
        .unwrap_or_default();
    let values = |name: header::HeaderName| -> Vec<String> {
        req.headers()
            .get_all(name)
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|v| v.trim().to_owned())
            .collect()
    };
    let forwarded: Vec<String> = values(header::FORWARDED)
        .iter()
        .filter_map(|element| {
            element.split(';').find_map(|pair| {
                let (k, v) = pair.split_once('=')?;
                k.trim()
                    .eq_ignore_ascii_case("for")
                    .then(|| v.trim().to_owned())
            })
        })
        .collect();
    let hops = if forwarded.is_empty() {
        values(header::HeaderName::from_static("x-forwarded-for"))
    } else {
        forwarded
    };
    for hop in hops.iter().rev() {
        match parse_node(hop) {
            Some(ip) if trusted.contains(&ip) => continue,
            Some(ip) => return Some(ip),
            None => return Some(peer),
        }
    }
    Some(peer)
}

/// An address from a `Forwarded: for=` or `X-Forwarded-For` entry: `192.0.2.1`,
/// `192.0.2.1:4711`, `"[2001:db8::1]:4711"`, `2001:db8::1`.
fn parse_node(v: &str) -> Option<IpAddr> {
    let v = v.trim().trim_matches('"');
    if let Some(rest) = v.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    v.parse::<IpAddr>()
        .ok()
        .or_else(|| v.parse::<std::net::SocketAddr>().ok().map(|a| a.ip()))
}

/// A host name or IP literal with an optional port, and nothing else.
fn valid_host(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= 255
        && h.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
        && h.parse::<actix_web::http::uri::Authority>().is_ok()
}

/// Which representation a client asked for: `f=json|html` wins, then the `Accept` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Html,
}

impl Format {
    /// Negotiates from the `f` parameter and the `Accept` header; JSON unless the client
    /// prefers HTML (browsers do). An empty `f=` names no format, so it is an error, not a
    /// default.
    pub fn negotiate(req: &HttpRequest, p: &Params) -> Result<Format, ApiError> {
        match p.one_as_given("f")? {
            Some("") => {
                return Err(ApiError::bad_param(
                    "f",
                    "is empty; use json or html, or leave f out",
                ))
            }
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
        req.extensions_mut().insert(FormatFromAccept);
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
    let as_html = {
        let mut q: Vec<(String, String)> =
            serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
        q.retain(|(k, _)| k != "f");
        q.push(("f".into(), "html".into()));
        format!(
            "{base}{path}?{}",
            serde_urlencoded::to_string(&q).unwrap_or_default()
        )
    };
    let mut links = vec![
        serde_json::json!({"href": here(page.offset), "rel": "self", "type": GEO_JSON, "title": "This page"}),
        serde_json::json!({"href": as_html, "rel": "alternate", "type": "text/html", "title": "This page as HTML"}),
    ];
    if page.offset + page.returned < page.matched {
        links.push(serde_json::json!({"href": here(page.offset + page.limit), "rel": "next", "type": GEO_JSON, "title": "Next page"}));
    }
    if page.offset > 0 {
        links.push(serde_json::json!({"href": here(page.offset.saturating_sub(page.limit)), "rel": "prev", "type": GEO_JSON, "title": "Previous page"}));
    }
    links
}

/// A link from an HTML page to `path` on this server (relative, so it works behind any proxy):
/// the request's query parameters except `f`, `limit` and `offset`, then `set` (e.g. the
/// page's `limit` and `offset`, and `f`). `keep` says which of the request's parameters go
/// along (all of them, or only those a CSV of the same figures takes).
pub fn href_keeping(
    req: &HttpRequest,
    path: &str,
    keep: impl Fn(&str) -> bool,
    set: &[(&str, String)],
) -> String {
    let mut q: Vec<(String, String)> =
        serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    q.retain(|(k, _)| k != "f" && k != "limit" && k != "offset" && keep(k));
    q.extend(set.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
    let query = serde_urlencoded::to_string(&q).unwrap_or_default();
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}

/// The links of an HTML page of items to its neighbours and to itself as GeoJSON, keeping the
/// request's filters.
#[derive(Debug, Clone)]
pub struct HtmlPaging {
    /// The previous page, when this is not the first.
    pub prev: Option<String>,
    /// The next page, when more matched.
    pub next: Option<String>,
    /// This page as GeoJSON.
    pub geojson: String,
    /// The first item on this page, counting from 1 (0 when the page is empty).
    pub first: usize,
    /// The last item on this page, counting from 1.
    pub last: usize,
    /// How many items matched in all.
    pub matched: usize,
}

impl HtmlPaging {
    /// The links of `page` of `path`.
    pub fn new(req: &HttpRequest, path: &str, page: PageInfo) -> HtmlPaging {
        let at = |off: usize, f: &str| {
            href_keeping(
                req,
                path,
                |_| true,
                &[
                    ("limit", page.limit.to_string()),
                    ("offset", off.to_string()),
                    ("f", f.to_owned()),
                ],
            )
        };
        HtmlPaging {
            prev: (page.offset > 0).then(|| at(page.offset.saturating_sub(page.limit), "html")),
            next: (page.offset + page.returned < page.matched)
                .then(|| at(page.offset + page.limit, "html")),
            geojson: at(page.offset, "json"),
            first: if page.returned == 0 {
                0
            } else {
                page.offset + 1
            },
            last: page.offset + page.returned,
            matched: page.matched,
        }
    }
}

/// An HTML page: public data, like its JSON.
pub fn html_response(body: String) -> HttpResponse {
    HttpResponse::Ok().content_type(HTML).body(body)
}

/// A JSON response with the given content type.
pub fn json_response(content_type: &str, body: &serde_json::Value) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .body(body.to_string())
}

/// A JSON answer that is never cached (`Cache-Control: no-store`): staff data — accounts,
/// tokens, sessions, histories, proposals.
pub fn no_store_json(
    status: actix_web::http::StatusCode,
    body: impl serde::Serialize,
) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body)
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

/// The asset as a Feature with its links, the body of every answer that returns one asset, in
/// `crs` (writes answer in CRS84).
pub fn feature_text(
    req: &HttpRequest,
    asset: &assetmap_core::Asset,
    crs: Crs,
    shape: &crate::parse::Shape,
) -> Result<String, ApiError> {
    let base = base_url(req);
    let mut f = assetmap_io::asset_to_feature(asset);
    reproject(&mut f, crs)?;
    shape.apply(&mut f);
    f["links"] = serde_json::json!([
        {"href": format!("{base}/collections/assets/items/{}", asset.id), "rel": "self", "type": GEO_JSON},
        {"href": format!("{base}/collections/assets/items/{}?f=html", asset.id), "rel": "alternate", "type": "text/html", "title": "This asset's page"},
        {"href": format!("{base}/collections/assets"), "rel": "collection", "type": "application/json"}
    ]);
    Ok(f.to_string())
}

/// The version an `If-Match: "<version>"` header names (`None` when there is none, or `*`);
/// a `400` for a value that is not one of our ETags.
pub fn if_match_version(req: &HttpRequest) -> Result<Option<u64>, ApiError> {
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

/// The origin (`scheme://host[:port]`) of an absolute `http(s)` URL; `None` for a relative
/// one (served from here, so `'self'` covers it) or anything a CSP source could not name.
pub fn origin_of(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let host_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let host = &rest[..host_len];
    let ok = !host.is_empty()
        && !host.contains('@')
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    ok.then(|| &url[..url.len() - rest.len() + host_len])
}

/// `Ok` when a write based on version `expected` (from `If-Match`; `None`: not given) may go
/// ahead on the asset at version `actual`, else the `412` that says so and what to do `then`.
pub fn require_version(
    id: &assetmap_core::AssetId,
    expected: Option<u64>,
    actual: u64,
    then: &str,
) -> Result<(), ApiError> {
    match expected {
        Some(v) if v != actual => Err(ApiError::precondition_failed(format!(
            "Asset '{id}' is at version {actual}, not {v}: someone changed it since you read it. {then}"
        ))),
        _ => Ok(()),
    }
}

/// The answer of a staff write that returns the asset: the Feature (CRS84) with its `ETag`.
pub fn feature_answer(
    status: actix_web::http::StatusCode,
    req: &HttpRequest,
    asset: &assetmap_core::Asset,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::build(status)
        .content_type(GEO_JSON)
        .insert_header((header::ETAG, format!("\"{}\"", asset.version)))
        .insert_header(content_crs(Crs::Crs84))
        .body(feature_text(
            req,
            asset,
            Crs::Crs84,
            &crate::parse::Shape::default(),
        )?))
}

/// `Ok` when the request body is declared JSON (`application/json` or a `+json` type), else a
/// `415` saying so. JSON bodies cannot be sent cross-site without a CORS preflight, which is
/// part of what keeps staff routes safe from forged requests.
pub fn require_json(req: &HttpRequest) -> Result<(), ApiError> {
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json")) {
        return Ok(());
    }
    Err(ApiError::unsupported_media_type(format!(
        "Send the body as JSON with Content-Type: application/json (got {:?}).",
        if ct.is_empty() { "none" } else { ct }
    )))
}

/// Reads a JSON body (declared as JSON, [`require_json`]) into `T`, or a `400` that says what
/// was wrong and what was expected (`expected`, e.g. `{"reason": "…"}`). A field given as
/// `null` is refused, naming it: an optional field is left out, never sent empty.
pub fn json_body<T: serde::de::DeserializeOwned>(
    req: &HttpRequest,
    body: &[u8],
    expected: &str,
) -> Result<T, ApiError> {
    require_json(req)?;
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("Send {expected} as JSON: {e}")))?;
    if let Some(fields) = value.as_object() {
        let nulls: Vec<(String, String)> = fields
            .iter()
            .filter(|(_, v)| v.is_null())
            .map(|(k, _)| {
                (
                    k.clone(),
                    "must not be null; leave it out instead".to_owned(),
                )
            })
            .collect();
        if !nulls.is_empty() {
            return Err(ApiError::invalid_fields("request", nulls));
        }
    }
    serde_json::from_value(value)
        .map_err(|e| ApiError::bad_request(format!("Send {expected} as JSON: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_nodes_parse_with_and_without_ports() {
        let ip = |s: &str| s.parse::<IpAddr>().ok();
        assert_eq!(parse_node("192.0.2.1"), ip("192.0.2.1"));
        assert_eq!(parse_node("192.0.2.1:4711"), ip("192.0.2.1"));
        assert_eq!(parse_node("\"[2001:db8::1]:4711\""), ip("2001:db8::1"));
        assert_eq!(parse_node("[2001:db8::1]"), ip("2001:db8::1"));
        assert_eq!(parse_node("2001:db8::1"), ip("2001:db8::1"));
        assert_eq!(parse_node("unknown"), None);
        assert_eq!(parse_node("_hidden"), None);
    }
}
