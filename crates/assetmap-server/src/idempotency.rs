//! The `Idempotency-Key` request header on writes, after the IETF draft "The Idempotency-Key
//! HTTP Header Field" (draft-ietf-httpapi-idempotency-key-header).
//!
//! A client that sends `POST`, `PUT` or `DELETE` with a key of its choosing may send the same
//! request again with the same key — after a lost answer, a `503`, a killed server — and the
//! write is made once: the retry gets the first answer again (status, `Location`, `ETag`,
//! body), byte for byte. The rules:
//!
//! - **The key** is 1 to [`MAX_KEY_LEN`] visible ASCII characters (no spaces, quotes or
//!   backslashes), sent bare or as a structured-field string (`"…"`, as the draft writes it);
//!   anything else, or two `Idempotency-Key` headers, is `400` naming the header.
//! - **The same request** means the same [`fingerprint`]: method, path, `If-Match` and body.
//!   The same key with another request is `422`; it is never given another request's answer.
//! - **Kept for** `idempotency_key_hours` (24 by default) from the write, in the same store
//!   transaction as the write ([`assetmap_store::idempotency`]), then purged. Only writes that
//!   succeeded are kept: a refused request (`400`, `404`, `409`, `412`…) wrote nothing, and a
//!   retry is simply judged again.
//! - **Still in progress**: a request whose key is being processed by this process gets `409`
//!   at once. In another process sharing the database, the retry waits for the first write's
//!   transaction (writes are serialised) and then gets its answer.
//! - **Scope**: keys are global — there is one writer, the admin token — so no token, and
//!   nothing about who sent the request, is kept.
//!
//! The routes (`routes/items.rs`) take the key before the write lock, look the key up under it,
//! and hand the store the record to keep with the write.

use crate::errors::ApiError;
use actix_web::http::header::HeaderName;
use actix_web::HttpRequest;
use assetmap_store::{IdempotencyRecord, Outcome};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::sync::Mutex;

/// The request header.
pub const HEADER: &str = "Idempotency-Key";

/// The longest key accepted, in characters (visible ASCII: one byte each).
pub const MAX_KEY_LEN: usize = 255;

/// A write request's idempotency key, with the fingerprint of the request it came with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyed {
    pub key: String,
    /// [`fingerprint`] of the request.
    pub fingerprint: String,
}

impl Keyed {
    /// The request's key and fingerprint, `None` without an `Idempotency-Key` header, `400`
    /// when the header is malformed.
    pub fn from_request(req: &HttpRequest, body: &[u8]) -> Result<Option<Keyed>, ApiError> {
        let mut values = req
            .headers()
            .get_all(HeaderName::from_static("idempotency-key"));
        let Some(value) = values.next() else {
            return Ok(None);
        };
        if values.next().is_some() {
            return Err(ApiError::bad_header(
                HEADER,
                "was sent more than once; send one key per request",
            ));
        }
        let key =
            parse_key(value.as_bytes()).map_err(|reason| ApiError::bad_header(HEADER, reason))?;
        let if_match = req
            .headers()
            .get(actix_web::http::header::IF_MATCH)
            .map_or(&b""[..], |v| v.as_bytes());
        Ok(Some(Keyed {
            key,
            fingerprint: fingerprint(req.method().as_str(), req.path(), if_match, body),
        }))
    }

    /// The record to keep with the write this request makes: its answer, kept from now for
    /// `hours`.
    pub fn record(&self, outcome: &Outcome, hours: u32) -> IdempotencyRecord {
        let created_at = chrono::Utc::now();
        IdempotencyRecord {
            key: self.key.clone(),
            fingerprint: self.fingerprint.clone(),
            outcome: outcome.clone(),
            created_at,
            expires_at: created_at + chrono::Duration::hours(i64::from(hours)),
        }
    }

    /// The answer to give this request, given the record kept under its key: the kept answer
    /// when it is the same request, `422` when the key was used for another.
    pub fn kept_outcome(&self, kept: &IdempotencyRecord) -> Result<Outcome, ApiError> {
        if kept.fingerprint != self.fingerprint {
            return Err(ApiError::unprocessable(format!(
                "The Idempotency-Key {:?} was used for a different request (another method, path, If-Match or body) at {}; \
                 a key names one request. Send this request with a new key.",
                self.key,
                kept.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            )));
        }
        Ok(kept.outcome.clone())
    }
}

/// Checks a header value: 1 to [`MAX_KEY_LEN`] visible ASCII characters other than `"` and
/// `\`, bare or inside one pair of double quotes. The reason it is refused, otherwise.
fn parse_key(raw: &[u8]) -> Result<String, String> {
    let raw = raw.trim_ascii();
    let key = match raw {
        [b'"', inner @ .., b'"'] => inner,
        _ => raw,
    };
    if key.is_empty() {
        return Err(format!(
            "is empty; send 1 to {MAX_KEY_LEN} visible ASCII characters, e.g. a UUID"
        ));
    }
    if key.len() > MAX_KEY_LEN {
        return Err(format!(
            "is {} characters long; send at most {MAX_KEY_LEN}, e.g. a UUID",
            key.len()
        ));
    }
    if !key
        .iter()
        .all(|b| b.is_ascii_graphic() && *b != b'"' && *b != b'\\')
    {
        return Err(
            "may hold only visible ASCII characters (no spaces, quotes, backslashes or other characters); use e.g. a UUID"
                .to_owned(),
        );
    }
    Ok(String::from_utf8_lossy(key).into_owned())
}

/// What makes two requests "the same" for a key: SHA-256, in hex, of the method, the path,
/// the `If-Match` header (empty when absent) — each followed by a newline, which none of them
/// can hold — and then the body bytes as sent.
pub fn fingerprint(method: &str, path: &str, if_match: &[u8], body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(method.as_bytes());
    h.update(b"\n");
    h.update(path.as_bytes());
    h.update(b"\n");
    h.update(if_match);
    h.update(b"\n");
    h.update(body);
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The keys this process is working on now. A second request with a key in here gets `409`.
#[derive(Debug, Default)]
pub struct InFlight {
    keys: Mutex<HashSet<String>>,
}

impl InFlight {
    /// Marks `key` as in progress until the returned claim is dropped; `409` if it already is.
    pub fn claim(&self, key: &str) -> Result<Claim<'_>, ApiError> {
        let mut keys = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        if !keys.insert(key.to_owned()) {
            return Err(ApiError::conflict(format!(
                "A request with Idempotency-Key {key:?} is still being processed; wait for its answer, \
                 or send this one again in a moment to be given it."
            ))
            .with_retry_after(1));
        }
        Ok(Claim {
            owner: self,
            key: key.to_owned(),
        })
    }
}

/// A key marked in progress; unmarked when dropped (also when the request is abandoned).
#[derive(Debug)]
pub struct Claim<'a> {
    owner: &'a InFlight,
    key: String,
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        self.owner
            .keys
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_visible_ascii_up_to_255_bare_or_quoted() {
        for (raw, key) in [
            (
                "8e03978e-40d5-43e8-bc93-6894a57f9324",
                "8e03978e-40d5-43e8-bc93-6894a57f9324",
            ),
            ("\"8e03978e\"", "8e03978e"),
            ("  a  ", "a"),
            (
                "!#$%&'()*+,-./:;<=>?@[]^_`{|}~",
                "!#$%&'()*+,-./:;<=>?@[]^_`{|}~",
            ),
        ] {
            assert_eq!(parse_key(raw.as_bytes()).as_deref(), Ok(key), "{raw:?}");
        }
        let longest = "k".repeat(MAX_KEY_LEN);
        assert_eq!(parse_key(longest.as_bytes()), Ok(longest.clone()));
        for raw in [
            "".to_owned(),
            "\"\"".to_owned(),
            format!("{longest}k"),
            "two words".to_owned(),
            "quo\"te".to_owned(),
            "back\\slash".to_owned(),
            "tab\tin".to_owned(),
            "café".to_owned(),
        ] {
            assert!(parse_key(raw.as_bytes()).is_err(), "{raw:?} is refused");
        }
        assert!(parse_key(&[b'a', 0xff]).is_err(), "not UTF-8");
    }

    #[test]
    fn the_fingerprint_covers_method_path_if_match_and_body() {
        let base = fingerprint("POST", "/collections/assets/items", b"", b"{}");
        assert_eq!(base.len(), 64);
        assert_eq!(
            base,
            fingerprint("POST", "/collections/assets/items", b"", b"{}")
        );
        for other in [
            fingerprint("PUT", "/collections/assets/items", b"", b"{}"),
            fingerprint("POST", "/collections/assets/items/x", b"", b"{}"),
            fingerprint("POST", "/collections/assets/items", b"\"1\"", b"{}"),
            fingerprint("POST", "/collections/assets/items", b"", b"{ }"),
            // The separators keep the parts apart.
            fingerprint("POST", "/collections/assets/items\n", b"", b"{}"),
        ] {
            assert_ne!(base, other);
        }
    }

    #[test]
    fn a_key_in_flight_is_refused_until_its_claim_is_dropped() {
        let in_flight = InFlight::default();
        let claim = in_flight.claim("k").expect("free");
        let refused = in_flight.claim("k").expect_err("in progress");
        assert_eq!(refused.status().as_u16(), 409);
        assert!(in_flight.claim("other").is_ok(), "other keys are free");
        drop(claim);
        assert!(in_flight.claim("k").is_ok(), "free again");
    }

    #[test]
    fn another_request_with_a_kept_key_is_422_the_same_is_its_outcome() {
        let keyed = Keyed {
            key: "k".to_owned(),
            fingerprint: "aa".to_owned(),
        };
        let outcome = Outcome {
            status: 201,
            location: Some("http://x/items/1".to_owned()),
            etag: Some("\"1\"".to_owned()),
            body: "{}".to_owned(),
        };
        let kept = keyed.record(&outcome, 24);
        assert_eq!(
            kept.expires_at - kept.created_at,
            chrono::Duration::hours(24)
        );
        assert_eq!(keyed.kept_outcome(&kept).expect("same request"), outcome);
        let other = Keyed {
            fingerprint: "bb".to_owned(),
            ..keyed
        };
        assert_eq!(
            other
                .kept_outcome(&kept)
                .expect_err("reuse")
                .status()
                .as_u16(),
            422
        );
    }
}
