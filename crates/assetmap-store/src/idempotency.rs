//! What makes a write safe to retry: an [`IdempotencyRecord`], kept in the same transaction as
//! the write it belongs to.
//!
//! A client that sends a write with an idempotency key and loses the answer (a dropped
//! connection, a killed server, a database connection lost during `COMMIT`) cannot tell
//! whether the write was saved. Because the record commits with the write or not at all, a
//! retry with the same key either finds the record (the write was saved: give the kept
//! answer again) or does not (it was not: make the write now). Either way the write happens
//! once.
//!
//! A record holds the minimum to do that: the key, a fingerprint of the request (to tell a
//! retry from a different request that reuses the key), the answer, and when it was kept and
//! until when. Nothing about the person who sent it.

use chrono::{DateTime, Utc};

/// The answer a write was given, kept so that a retry is given it again, byte for byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The HTTP status, e.g. `201`.
    pub status: u16,
    /// The `Location` header, when the answer had one.
    pub location: Option<String>,
    /// The `ETag` header, when the answer had one.
    pub etag: Option<String>,
    /// The response body (empty when there was none, e.g. `204`).
    pub body: String,
}

/// A write's idempotency key with the request it came with and the answer it was given.
/// Kept until `expires_at`; purged by the first write after that.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    /// The client's key (the `Idempotency-Key` header). Keys are global to the store: there is
    /// one writer (the admin token).
    pub key: String,
    /// A fingerprint of the request (the server's SHA-256 of its method, path, `If-Match` and
    /// body, in hex), so that the key reused for a different request is refused rather than
    /// answered with another request's outcome.
    pub fingerprint: String,
    /// The answer to give again.
    pub outcome: Outcome,
    /// When the write was made.
    pub created_at: DateTime<Utc>,
    /// From this instant the record is no longer answered, and the next write purges it.
    pub expires_at: DateTime<Utc>,
}
