//! What the GeoPackage store's modules share: committing a write, the stored form of times,
//! and recognising a unique-constraint violation.

use crate::StoreError;
use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{ErrorCode, Transaction};

pub(super) fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
}

/// Commits a write. A commit refused because another connection holds the file (busy,
/// locked) rolls back: nothing was written. Any other failure of the commit itself (an I/O
/// error while the write-ahead log is written or synced, a full disk) may leave the write
/// saved or not: [`StoreError::OutcomeUnknown`].
pub(super) fn commit(tx: Transaction<'_>) -> Result<(), StoreError> {
    tx.commit().map_err(|e| match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::from(e),
        _ => StoreError::OutcomeUnknown(format!("SQLite failed while committing: {e}")),
    })
}

/// A time as stored: ISO 8601 UTC with nine fractional digits, fixed width, so that text
/// order is time order.
pub(super) fn format_time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

/// The store's clock, in the stored format.
pub(super) fn now_text() -> String {
    format_time(&Utc::now())
}

/// Reads a stored time of `table.column`; one that does not read is [`StoreError::Schema`].
pub(super) fn parse_time(
    table: &str,
    column: &str,
    text: &str,
) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Schema(format!("{table}.{column} {text:?} is not a time: {e}")))
}
