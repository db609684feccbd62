//! What every request passes through around its route: `HEAD` answered as `GET`, `OPTIONS`
//! and CORS preflights, writes authorised before any body is read, a deadline on reading a
//! body, `405` with `Allow`, every error as a problem document (but a route's own HTML error
//! page, for a browser), `ETag` and `304` on public
//! data ([`crate::validators`]), and the security (with a Content-Security-Policy on every
//! JSON and HTML response), caching, CORS and `Vary` headers of every response.

use crate::errors::{self, ApiError};
use crate::http::{origin_of, FormatFromAccept, LinksFromRequest};
use crate::state::AppState;
use crate::validators;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ResourceMap, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpMessage, HttpResponse, ResponseError};
use futures_util::StreamExt;
use std::cell::Cell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::OnceLock;
use std::time::Duration;

/// The API document's path templates and the methods each answers, indexed for a request's
/// path: templates without a placeholder by their path, the others by their number of
/// segments (matching every template in turn for every request took 2.5 % of a search's time).
struct RoutesTable {
    literal: HashMap<String, Vec<Method>>,
    /// By number of segments: each template's segments and its methods.
    templated: Vec<Vec<(Vec<String>, Vec<Method>)>>,
}

fn routes_table() -> &'static RoutesTable {
    static TABLE: OnceLock<RoutesTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = RoutesTable {
            literal: HashMap::new(),
            templated: Vec::new(),
        };
        let doc = crate::api_doc::openapi();
        for (path, ops) in doc["paths"].as_object().into_iter().flatten() {
            let methods: Vec<Method> = ops
                .as_object()
                .map(|o| {
                    o.keys()
                        .filter_map(|m| m.to_ascii_uppercase().parse().ok())
                        .collect()
                })
                .unwrap_or_default();
            if !path.contains('{') {
                table
                    .literal
                    .entry(path.clone())
                    .or_default()
                    .extend(methods);
                continue;
            }
            let segments: Vec<String> = path.split('/').map(str::to_owned).collect();
            if table.templated.len() <= segments.len() {
                table.templated.resize_with(segments.len() + 1, Vec::new);
            }
            table.templated[segments.len()].push((segments, methods));
        }
        table
    })
}

fn template_matches(template: &[String], path: &[&str]) -> bool {
    template.len() == path.len()
        && template
            .iter()
            .zip(path)
            .all(|(t, p)| segment_matches(t, p))
}

/// Whether one path segment fits a template segment, in which each `{name}` stands for one or
/// more characters (`areas-{level}.{format}` fits `areas-ward.csv`).
fn segment_matches(template: &str, segment: &str) -> bool {
    let Some(open) = template.find('{') else {
        return template == segment;
    };
    let Some(rest) = segment.strip_prefix(&template[..open]) else {
        return false;
    };
    let Some(close) = template[open..].find('}') else {
        return template == segment;
    };
    let after = &template[open + close + 1..];
    // The placeholder takes at least one character, then the rest must fit what follows it.
    rest.char_indices()
        .skip(1)
        .map(|(i, _)| i)
        .chain(std::iter::once(rest.len()))
        .filter(|&i| i > 0)
        .any(|i| segment_matches(after, &rest[i..]))
}

/// The methods the API document gives `path` (through every template it fits), in no
/// particular order, repeated when two templates fit.
fn documented_methods(path: &str) -> Vec<Method> {
    let table = routes_table();
    let mut found: Vec<Method> = table.literal.get(path).cloned().unwrap_or_default();
    let segments: Vec<&str> = path.split('/').collect();
    for (template, methods) in table.templated.get(segments.len()).into_iter().flatten() {
        if template_matches(template, &segments) {
            found.extend(methods.iter().cloned());
        }
    }
    found
}

/// The methods `path` answers, or `None` when nothing is there. From the API document, so it
/// says what the routes are meant to do; a path served but not documented (`/static/…`)
/// answers `GET`. `HEAD` is answered wherever `GET` is, `OPTIONS` everywhere.
pub fn allowed_methods(path: &str, rmap: &ResourceMap) -> Option<Vec<Method>> {
    let mut found = documented_methods(path);
    if found.is_empty() {
        if !rmap.has_resource(path) {
            return None;
        }
        found.push(Method::GET);
    }
    let order = [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::OPTIONS,
    ];
    let has_get = found.contains(&Method::GET);
    Some(
        order
            .into_iter()
            .filter(|m| {
                found.contains(m) || (*m == Method::HEAD && has_get) || *m == Method::OPTIONS
            })
            .collect(),
    )
}

fn join(methods: &[Method]) -> String {
    methods
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The writes anyone may make: signing in, taking up an invitation (whose secret is the
/// credential), and suggesting a change. Everything else unsafe needs a principal.
fn is_public_write(method: &Method, path: &str) -> bool {
    *method == Method::POST
        && (path == "/auth/session" || path == "/suggestions" || path.starts_with("/invite/"))
}

fn is_write(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The middleware. Registered once, in [`crate::startup`].
pub async fn edge(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .expect("AppState is registered");
    let method = req.method().clone();
    let path = req.path().to_owned();
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let allow = allowed_methods(&path, req.resource_map());

    if method == Method::OPTIONS {
        if let Some(allow) = &allow {
            let r = options(&req, &state, allow, origin.as_deref());
            let res = req.into_response(r);
            return Ok(finish(res, &state, &method, None, origin.as_deref()));
        }
    }
    if method == Method::HEAD {
        // Routed as GET; the connection writes the headers (with the length) and no body.
        req.head_mut().method = Method::GET;
    }
    let timed_out = Rc::new(Cell::new(false));
    if is_write(&method) && allow.as_ref().is_some_and(|a| a.contains(&method)) {
        // Refuse a write before reading a byte of its body; the principal is left for the
        // handler.
        let who = if is_public_write(&method, &path) {
            Ok(None)
        } else {
            match crate::auth::principal(req.request(), &state).await {
                Ok(Some(p)) => Ok(Some(p)),
                Ok(None) => Err(crate::auth::no_credentials()),
                Err(e) => Err(e),
            }
        };
        if let Ok(Some(p)) = &who {
            req.extensions_mut().insert(p.clone());
        }
        if let Err(e) = who {
            // Refused writes count against the client's write budget (the limiter further in
            // never sees them): guessing the token is throttled too.
            let e = admit(req.request(), &state).err().unwrap_or(e);
            let res = req.into_response(e.error_response());
            return Ok(finish(
                res,
                &state,
                &method,
                allow.as_deref(),
                origin.as_deref(),
            ));
        }
        let within = Duration::from_secs(state.settings.body_timeout_secs);
        let payload = req.take_payload();
        req.set_payload(with_deadline(payload, within, timed_out.clone()));
    }

    // Public data: a weak ETag, and 304 when the client already holds this state of it.
    let tag = (matches!(method, Method::GET | Method::HEAD) && is_public_data(&path))
        .then(|| validators::data_tag(req.request(), &state));
    let modified = tag.as_ref().and_then(|_| validators::last_modified(&state));
    if let Some(tag) = &tag {
        // A tag names this URL's answer, so a match is checked before the route runs;
        // If-Modified-Since is checked after it (below): a date says nothing of the URL, whose
        // parameters may be wrong.
        if validators::none_match(req.headers(), tag) {
            let r = match admit(req.request(), &state) {
                Ok(()) => {
                    let mut r = HttpResponse::NotModified();
                    r.insert_header((header::ETAG, tag.as_str()));
                    if let Some(m) = modified {
                        r.insert_header((header::LAST_MODIFIED, validators::http_date(m)));
                    }
                    r.finish()
                }
                Err(e) => e.error_response(),
            };
            let res = req.into_response(r);
            return Ok(finish(
                res,
                &state,
                &method,
                allow.as_deref(),
                origin.as_deref(),
            ));
        }
    }

    let unchanged_since = modified.filter(|m| validators::not_modified_since(req.headers(), *m));
    let mut res = next.call(req).await?.map_into_boxed_body();
    if let Some(tag) = &tag {
        if res.status().is_success() {
            validators::set_validators(res.headers_mut(), tag, modified);
            // If-Modified-Since at or after the last change, and the route answered: the
            // client's copy is current (only an answer that carries Last-Modified qualifies).
            if unchanged_since.is_some() && res.headers().contains_key(header::LAST_MODIFIED) {
                let mut r = HttpResponse::NotModified();
                for name in [header::ETAG, header::LAST_MODIFIED] {
                    if let Some(v) = res.headers().get(&name).cloned() {
                        r.insert_header((name, v));
                    }
                }
                res = res.into_response(r.finish());
            }
        }
    }
    let res = if timed_out.get() {
        let e = ApiError::request_timeout(format!(
            "The request body did not arrive within {} seconds; send it all at once, or ask for a longer body_timeout_secs.",
            state.settings.body_timeout_secs
        ));
        let mut r = e.error_response();
        r.head_mut()
            .set_connection_type(actix_web::http::ConnectionType::Close);
        res.into_response(r)
    } else {
        res
    };
    Ok(finish(
        res,
        &state,
        &method,
        allow.as_deref(),
        origin.as_deref(),
    ))
}

/// `OPTIONS` on a path that exists: a CORS preflight, or the methods it answers.
fn options(
    req: &ServiceRequest,
    state: &AppState,
    allow: &[Method],
    origin: Option<&str>,
) -> HttpResponse {
    let requested = req
        .headers()
        .get(header::ACCESS_CONTROL_REQUEST_METHOD)
        .and_then(|v| v.to_str().ok())
        .and_then(|m| m.parse::<Method>().ok());
    let (Some(origin), Some(requested)) = (origin, requested) else {
        return HttpResponse::NoContent()
            .insert_header((header::ALLOW, join(allow)))
            .finish();
    };
    if !allow.contains(&requested) {
        return ApiError::method_not_allowed(format!(
            "{requested} is not answered at {}; use {}.",
            req.path(),
            join(allow)
        ))
        .error_response();
    }
    let mut r = HttpResponse::NoContent();
    r.insert_header((header::ALLOW, join(allow)))
        .insert_header((header::ACCESS_CONTROL_MAX_AGE, "600"));
    if is_write(&requested) {
        if !state
            .settings
            .cors_write_origins
            .iter()
            .any(|o| o == origin)
        {
            return ApiError::forbidden(format!(
                "Pages from {origin} may read but not write; a server operator can add the origin to cors_write_origins (ASSETMAP_CORS_WRITE_ORIGINS)."
            ))
            .error_response();
        }
        let writes: Vec<Method> = allow.iter().filter(|m| is_write(m)).cloned().collect();
        r.insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, origin))
            .insert_header((
                header::ACCESS_CONTROL_ALLOW_METHODS,
                format!("GET, HEAD, {}", join(&writes)),
            ))
            .insert_header((
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                "Authorization, Content-Type, If-Match, Idempotency-Key",
            ))
            .insert_header((header::VARY, "Origin"));
    } else {
        r.insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
            .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, "GET, HEAD"))
            .insert_header((
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                "Accept, Accept-Language, If-None-Match",
            ));
    }
    r.finish()
}

/// A body stream that ends in an error once `within` has passed since the headers arrived.
fn with_deadline(payload: Payload, within: Duration, timed_out: Rc<Cell<bool>>) -> Payload {
    let deadline = tokio::time::Instant::now() + within;
    let stream = futures_util::stream::unfold(Some(payload), move |p| {
        let timed_out = timed_out.clone();
        async move {
            let mut p = p?;
            match tokio::time::timeout_at(deadline, p.next()).await {
                Ok(Some(item)) => Some((item, Some(p))),
                Ok(None) => None,
                Err(_) => {
                    timed_out.set(true);
                    Some((
                        Err(PayloadError::Io(std::io::Error::new(
                            std::io::ErrorKind::TimedOut,
                            "the request body did not arrive in time",
                        ))),
                        None,
                    ))
                }
            }
        }
    });
    Payload::Stream {
        payload: Box::pin(stream),
    }
}

/// Public data that any cache may keep for a minute.
fn is_public_data(path: &str) -> bool {
    path == "/api"
        || path == "/conformance"
        || path == "/vocabulary"
        || path == "/collections"
        // An asset's history is for staff, and changes with proposals the engine never sees.
        || (path.starts_with("/collections/") && !path.ends_with("/history"))
        || path == "/downloads"
        || path.starts_with("/downloads/")
        || (path.starts_with("/areas/") && path.ends_with("/summary.csv"))
        || path == "/oruk"
        || path.starts_with("/oruk/")
}

fn mime(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|ct| {
            ct.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default()
}

fn is_json(headers: &HeaderMap) -> bool {
    let mime = mime(headers);
    mime.ends_with("/json") || mime.ends_with("+json")
}

fn is_html(headers: &HeaderMap) -> bool {
    mime(headers) == "text/html"
}

/// The Content-Security-Policy of every HTML page (the map page, the shortlist print page).
///
/// Scripts, styles and workers only from this server: the pages have no inline script or event
/// handler, and the one inline style (the print page's, kept inline so the page is
/// self-contained) is allowed by its hash ([`crate::html::shortlist_style_source`]). MapLibre starts its web worker from a `blob:` URL (`worker-src`, and
/// `child-src` for browsers without `worker-src`) and decodes images into `blob:`/`data:` URLs;
/// the favicon is a `data:` URL. MapLibre sets element styles through the DOM, which
/// `style-src` does not govern, so no `'unsafe-inline'`. `connect-src` adds the configured
/// base map style's origin (its tiles, glyphs and sprites must be served from there too).
pub fn html_policy(base_map_style: Option<&str>) -> String {
    let connect = match base_map_style.and_then(origin_of) {
        Some(origin) => format!("'self' {origin}"),
        None => "'self'".to_owned(),
    };
    let style = crate::html::shortlist_style_source();
    format!(
        "default-src 'self'; script-src 'self'; worker-src 'self' blob:; child-src blob:; \
         img-src 'self' data: blob:; style-src 'self' {style}; font-src 'self'; \
         connect-src {connect}; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; \
         object-src 'none'"
    )
}

/// The response headers a page on another origin may read besides the CORS-safelisted ones
/// (`Content-Type`, `Cache-Control`…): the validator for `If-None-Match` and `If-Match`, where
/// a created asset is, how long to wait after a `429` or `503`, a download's file name.
const EXPOSED_HEADERS: &str = "ETag, Location, Retry-After, Content-Disposition, Content-Crs";

/// The headers every response gets, and problem documents for errors that are not one yet.
fn finish(
    res: ServiceResponse<BoxBody>,
    state: &AppState,
    method: &Method,
    allow: Option<&[Method]>,
    origin: Option<&str>,
) -> ServiceResponse<BoxBody> {
    let status = res.status();
    // An HTML error page is a route's own, for a browser (an asset's page that is gone): kept.
    // actix's own error answers are plain text, and become problem documents.
    let page = is_html(res.headers());
    let mut res = if status.as_u16() >= 400 && !errors::is_problem(res.response()) && !page {
        let path = res.request().path().to_owned();
        let (req, r) = res.into_parts();
        ServiceResponse::new(req, errors::into_problem(r, method, &path))
    } else {
        res
    };
    let links_from_request = res.request().extensions().contains::<LinksFromRequest>();
    let format_from_accept = res.request().extensions().contains::<FormatFromAccept>();
    let path = res.request().path().to_owned();
    let h = res.headers_mut();
    // The API document is the one list of what a path answers: it replaces whatever a
    // resource's own 405 said (actix lists only its routes, without HEAD and OPTIONS).
    if status == StatusCode::METHOD_NOT_ALLOWED {
        if let Some(allow) = allow {
            if let Ok(v) = HeaderValue::from_str(&join(allow)) {
                h.insert(header::ALLOW, v);
            }
        }
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !h.contains_key(header::REFERRER_POLICY) {
        h.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        );
    }
    if is_json(h) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        );
    } else if is_html(h) {
        let policy = html_policy(state.settings.base_map_style.as_deref());
        if let Ok(v) = HeaderValue::from_str(&policy) {
            h.insert(header::CONTENT_SECURITY_POLICY, v);
        }
    }
    if !is_write(method) {
        if *method != Method::OPTIONS {
            h.insert(
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            );
            h.insert(
                header::ACCESS_CONTROL_EXPOSE_HEADERS,
                HeaderValue::from_static(EXPOSED_HEADERS),
            );
        }
    } else if let Some(origin) = origin {
        if state
            .settings
            .cors_write_origins
            .iter()
            .any(|o| o == origin)
        {
            if let Ok(v) = HeaderValue::from_str(origin) {
                h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
                h.insert(
                    header::ACCESS_CONTROL_EXPOSE_HEADERS,
                    HeaderValue::from_static(EXPOSED_HEADERS),
                );
                h.append(header::VARY, HeaderValue::from_static("Origin"));
            }
        }
    }
    let cacheable = matches!(*method, Method::GET | Method::HEAD)
        && (status.is_success() || status == StatusCode::NOT_MODIFIED);
    if cacheable && is_public_data(&path) && !h.contains_key(header::CACHE_CONTROL) {
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=60"),
        );
    }
    // One `Vary` for what the representation and its links were chosen by.
    let mut vary: Vec<&str> = Vec::new();
    if format_from_accept {
        vary.push("Accept");
    }
    if links_from_request && state.settings.public_url.is_none() {
        vary.push("Host");
        if !state.settings.trusted_proxies.is_empty() {
            vary.extend(["Forwarded", "X-Forwarded-Host", "X-Forwarded-Proto"]);
        }
    }
    if !vary.is_empty() {
        if let Ok(v) = HeaderValue::from_str(&vary.join(", ")) {
            h.append(header::VARY, v);
        }
    }
    res
}

/// Charges the request to its client's rate-limit budget ([`crate::rate_limit`]): `Err` (a
/// `429`) when it is spent. Also called above for a write refused before its body (a wrong or
/// missing token), so guessing the token is throttled like any other write.
fn admit(req: &actix_web::HttpRequest, state: &AppState) -> Result<(), ApiError> {
    match crate::http::client_ip(req) {
        Some(ip) => crate::rate_limit::admit(&state.rate_limits, ip, req.method()),
        None => Ok(()),
    }
}

/// The rate-limit middleware. Registered once, in [`crate::startup`], inside [`edge`] so the
/// `429` gets the same headers as every other answer.
pub async fn rate_limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .expect("AppState is registered");
    if let Err(e) = admit(req.request(), &state) {
        return Ok(req.into_response(e.error_response()));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

#[cfg(test)]
mod tests {
    #[test]
    fn template_segments_with_placeholders_inside() {
        use super::segment_matches as m;
        assert!(m("{id}", "x"));
        assert!(!m("{id}", ""));
        assert!(m("assets.{format}", "assets.csv"));
        assert!(!m("assets.{format}", "assets."));
        assert!(!m("assets.{format}", "areas.csv"));
        assert!(m("areas-{level}.{format}", "areas-ward.csv"));
        assert!(!m("areas-{level}.{format}", "areas-ward"));
        assert!(m("assets.gpkg", "assets.gpkg"));
    }

    use super::*;

    #[test]
    fn the_indexed_routes_answer_as_every_template_tried_in_turn() {
        let doc = crate::api_doc::openapi();
        let paths = doc["paths"].as_object().expect("the document has paths");
        let every_template = |path: &str| {
            let segments: Vec<&str> = path.split('/').collect();
            let mut methods: Vec<String> = Vec::new();
            for (template, ops) in paths {
                let template: Vec<String> = template.split('/').map(str::to_owned).collect();
                if template_matches(&template, &segments) {
                    methods.extend(
                        ops.as_object()
                            .unwrap()
                            .keys()
                            .map(|m| m.to_ascii_uppercase()),
                    );
                }
            }
            methods.sort();
            methods
        };
        let indexed = |path: &str| {
            let mut methods: Vec<String> = documented_methods(path)
                .iter()
                .map(|m| m.as_str().to_owned())
                .collect();
            methods.sort();
            methods
        };
        // Each template with its placeholders filled in, and paths beside them.
        let mut asked = 0;
        for template in paths.keys() {
            let mut filled = String::new();
            let mut inside = false;
            for c in template.chars() {
                match c {
                    '{' => inside = true,
                    '}' => {
                        inside = false;
                        filled.push_str("x1");
                    }
                    _ if !inside => filled.push(c),
                    _ => {}
                }
            }
            for path in [
                filled.clone(),
                format!("{filled}/more"),
                format!("{filled}x"),
            ] {
                assert_eq!(indexed(&path), every_template(&path), "{path}");
                asked += 1;
            }
            assert!(!indexed(&filled).is_empty(), "{template} answers nothing");
        }
        assert!(asked > 60, "{asked}");
        for path in [
            "/",
            "",
            "/nothing",
            "/collections/assets/items/a/b/c/d/e/f/g",
        ] {
            assert_eq!(indexed(path), every_template(path), "{path}");
        }
    }

    #[test]
    fn the_base_map_styles_origin_is_allowed_to_connect() {
        assert_eq!(
            origin_of("https://tiles.example.org/styles/liberty.json?key=1"),
            Some("https://tiles.example.org")
        );
        assert_eq!(
            origin_of("http://127.0.0.1:8081/style.json"),
            Some("http://127.0.0.1:8081")
        );
        assert_eq!(
            origin_of("https://tiles.example.org"),
            Some("https://tiles.example.org")
        );
        assert_eq!(origin_of("/static/style.json"), None);
        assert_eq!(origin_of("https://a b/; script-src *"), None);
        assert_eq!(origin_of("https://user@host/"), None);
        assert!(html_policy(None).contains("connect-src 'self';"));
        assert!(html_policy(Some("https://tiles.example.org/s.json"))
            .contains("connect-src 'self' https://tiles.example.org;"));
        assert!(!html_policy(None).contains("unsafe"));
    }
}
