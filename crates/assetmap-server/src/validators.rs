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
//! `Last-Modified` is when the engine last changed (or the server started), to the second, and
//! `If-Modified-Since` is honoured when no `If-None-Match` is sent (RFC 9110 §13.2.2). A second
//! can hold two changes, so the date is only sent once that second is over: any answer carrying
//! it was made after every change in that second, and a client holding it misses nothing.
//!
//! It is read before the route runs, so a write landing meanwhile can only make the tag older
//! than the body (the next revalidation then fetches the page again), never newer. Tags are
//! weak (`W/`): two bodies with one tag are equivalent, not byte-identical (`timeStamp`
//! differs). A route that sets its own `ETag` (one asset: its version, used by `If-Match`)
//! keeps it.

use crate::state::AppState;
use actix_web::http::header::{self, HeaderMap, HeaderValue, HttpDate};
use actix_web::HttpRequest;
use std::hash::{Hash, Hasher};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

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

/// The `Last-Modified` of public data now: when the engine last changed, unless that was in
/// the current second (then `None`: see the module documentation).
pub fn last_modified(state: &AppState) -> Option<u64> {
    let changed = state.last_change_secs();
    (crate::state::unix_secs_now() > changed).then_some(changed)
}

/// `secs` (since the Unix epoch) as an HTTP date.
pub fn http_date(secs: u64) -> String {
    HttpDate::from(UNIX_EPOCH + Duration::from_secs(secs)).to_string()
}

/// Whether `If-Modified-Since` in `headers` is at or after `modified` (seconds since the Unix
/// epoch), so the client's copy is current. Ignored (false) when `If-None-Match` is present,
/// and when the date cannot be read.
pub fn not_modified_since(headers: &HeaderMap, modified: u64) -> bool {
    if headers.contains_key(header::IF_NONE_MATCH) {
        return false;
    }
    headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<HttpDate>().ok())
        .map(SystemTime::from)
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .is_some_and(|since| since.as_secs() >= modified)
}

/// Sets `tag` as the `ETag` (unless the route set one) and `modified` as `Last-Modified`, unless
/// the route said `Cache-Control: no-store` (a streamed download, which an error can cut short,
/// is never to be kept).
pub fn set_validators(headers: &mut HeaderMap, tag: &str, modified: Option<u64>) {
    let no_store = headers
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("no-store"));
    if no_store {
        return;
    }
    if !headers.contains_key(header::ETAG) {
        if let Ok(v) = HeaderValue::from_str(tag) {
            headers.insert(header::ETAG, v);
        }
    }
    if let Some(secs) = modified {
        if let Ok(v) = HeaderValue::from_str(&http_date(secs)) {
            headers.insert(header::LAST_MODIFIED, v);
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
    fn if_modified_since_is_read_as_an_http_date_and_gives_way_to_if_none_match() {
        let at = 1_764_900_000; // 2025-12-05T02:00:00Z
        let mut h = HeaderMap::new();
        h.insert(
            header::IF_MODIFIED_SINCE,
            HeaderValue::from_str(&http_date(at)).unwrap(),
        );
        assert!(not_modified_since(&h, at));
        assert!(not_modified_since(&h, at - 1));
        assert!(!not_modified_since(&h, at + 1));
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_static("\"x\""));
        assert!(!not_modified_since(&h, at), "If-None-Match wins");
        let mut bad = HeaderMap::new();
        bad.insert(
            header::IF_MODIFIED_SINCE,
            HeaderValue::from_static("yesterday"),
        );
        assert!(!not_modified_since(&bad, at));
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
        set_validators(&mut h, "W/\"00ab\"", None);
        assert_eq!(h.get(header::ETAG).unwrap(), "\"3\"");
        let mut h = HeaderMap::new();
        set_validators(&mut h, "W/\"00ab\"", None);
        assert_eq!(h.get(header::ETAG).unwrap(), "W/\"00ab\"");
        let mut h = HeaderMap::new();
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        set_validators(&mut h, "W/\"00ab\"", None);
        assert_eq!(h.get(header::ETAG), None);
    }
}
