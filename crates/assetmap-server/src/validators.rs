//! Validators for public data (RFC 9110 §8.8.3 and §13.1.2): every successful `GET` or `HEAD`
//! of public data carries a weak `ETag` naming the state of the data it was built from, and a
//! request whose `If-None-Match` names the current state is answered `304 Not Modified`
//! without building the body. A browser or a shared cache holding a page for longer than its
//! `max-age` then asks again for a few hundred bytes instead of the whole page.
//!
//! The tag is a hash of what the body is built from, so two different bodies never share it:
//! - the request: path, query string and `Accept` (a tag handed out for one URL or format
//!   never matches another, nor a URL whose parameters are wrong, which has no tag);
//! - this process: a random number drawn at start-up ([`AppState::instance`]), so a server
//!   restarted on other data never matches a tag handed out before;
//! - the engine generation, bumped by every write and every change-feed batch
//!   ([`AppState::engine_generation`]); bundled reference data (areas, postcodes) only
//!   changes with a restart;
//! - the base URL links are built from ([`crate::http::base_url`]), so two hosts' variants
//!   of a page never share a tag.
//!
//! It is read before the route runs, so a write landing meanwhile can only make the tag older
//! than the body (the next revalidation then fetches the page again), never newer. Tags are
//! weak (`W/`): two bodies with one tag are equivalent, not byte-identical (`timeStamp`
//! differs). A route that sets its own `ETag` (one asset: its version, used by `If-Match`)
//! keeps it.

use crate::state::AppState;
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::HttpRequest;
use std::hash::{Hash, Hasher};

/// The weak entity tag of the public data `req` asks for, as of now.
pub fn data_tag(req: &HttpRequest, state: &AppState) -> String {
    let base = crate::http::base_url(req);
    let accept = req.headers().get(header::ACCEPT).map(HeaderValue::as_bytes);
    let mut h = std::collections::hash_map::DefaultHasher::new();
    state.instance().hash(&mut h);
    state.engine_generation().hash(&mut h);
    base.hash(&mut h);
    req.path().hash(&mut h);
    req.query_string().hash(&mut h);
    accept.hash(&mut h);
    format!("W/\"{:016x}\"", h.finish())
}

/// Whether `If-None-Match` in `headers` names `tag`: any listed tag, compared weakly (RFC
/// 9110 §13.1.2: `W/"x"` and `"x"` match). `*` is not taken as a match: the route has not run,
/// so whether the URL has a representation at all (its parameters may be wrong) is unknown,
/// and the request goes on to the route.
pub fn none_match(headers: &HeaderMap, tag: &str) -> bool {
    let bare = opaque(tag);
    headers
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|t| opaque(t) == bare)
}

fn opaque(tag: &str) -> &str {
    tag.strip_prefix("W/").unwrap_or(tag)
}

/// Sets `tag` as the `ETag` unless the route set one or said `Cache-Control: no-store` (a
/// streamed download, which an error can cut short, is never to be kept).
pub fn set_tag(headers: &mut HeaderMap, tag: &str) {
    let no_store = headers
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("no-store"));
    if !no_store && !headers.contains_key(header::ETAG) {
        if let Ok(v) = HeaderValue::from_str(tag) {
            headers.insert(header::ETAG, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(header::IF_NONE_MATCH, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn if_none_match_compares_weakly_and_reads_every_listed_tag() {
        let tag = "W/\"00ab\"";
        assert!(none_match(&with(&["W/\"00ab\""]), tag));
        assert!(none_match(&with(&["\"00ab\""]), tag));
        assert!(none_match(&with(&["\"x\", W/\"00ab\""]), tag));
        assert!(none_match(&with(&["\"x\"", "W/\"00ab\""]), tag));
        assert!(!none_match(&with(&["*"]), tag));
        assert!(!none_match(&with(&["W/\"00ac\""]), tag));
        assert!(!none_match(&with(&["00ab"]), tag));
        assert!(!none_match(&HeaderMap::new(), tag));
    }

    #[test]
    fn a_route_s_own_tag_and_no_store_are_kept() {
        let mut h = HeaderMap::new();
        h.insert(header::ETAG, HeaderValue::from_static("\"3\""));
        set_tag(&mut h, "W/\"00ab\"");
        assert_eq!(h.get(header::ETAG).unwrap(), "\"3\"");
        let mut h = HeaderMap::new();
        set_tag(&mut h, "W/\"00ab\"");
        assert_eq!(h.get(header::ETAG).unwrap(), "W/\"00ab\"");
        let mut h = HeaderMap::new();
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        set_tag(&mut h, "W/\"00ab\"");
        assert_eq!(h.get(header::ETAG), None);
    }
}
