//! How PostgreSQL and pool failures become [`StoreError`]s.
//!
//! The one distinction that matters to callers is between "the database cannot be reached now"
//! ([`StoreError::Unavailable`]: the HTTP layer answers 503 with `Retry-After`) and everything
//! else. Connection refused, a dropped socket, a server shutting down, too many connections,
//! pool timeouts, and a statement or lock wait cut short by the session's timeouts are all
//! `Unavailable`.

use crate::StoreError;
use assetmap_core::AssetId;
use std::error::Error as _;

/// SQLSTATE of a unique-constraint violation.
pub(crate) const UNIQUE_VIOLATION: &str = "23505";

/// Maps a tokio-postgres error.
pub(crate) fn from_pg(e: tokio_postgres::Error) -> StoreError {
    if let Some(db) = e.as_db_error() {
        let code = db.code().code();
        let message = match db.detail() {
            Some(detail) => format!("{}: {} ({detail})", db.severity(), db.message()),
            None => format!("{}: {}", db.severity(), db.message()),
        };
        return if is_unavailable_code(code) {
            StoreError::Unavailable(format!("PostgreSQL: {message}"))
        } else if code == "42P01" || code == "42703" || code == "3F000" {
            // undefined table / column / schema
            StoreError::Schema(format!(
                "PostgreSQL: {message}; the database is not migrated to this version of assetmap (run `assetmap migrate`)"
            ))
        } else {
            StoreError::Other(format!("PostgreSQL: {message}"))
        };
    }
    if e.is_closed() || has_io_source(&e) {
        return StoreError::Unavailable(format!("cannot reach PostgreSQL: {}", describe(&e)));
    }
    StoreError::Other(format!("PostgreSQL: {}", describe(&e)))
}

/// Maps a failure of `COMMIT` itself. When PostgreSQL answered with an ordinary error (a
/// deferred constraint, a serialization failure) the transaction was rolled back, and the error
/// is mapped as any other. When no answer came — the connection closed or failed, or the
/// server answered that it is shutting down or cannot serve (connection classes, 57P0x,
/// 53xxx) — the commit may or may not have happened: [`StoreError::OutcomeUnknown`].
pub(crate) fn from_pg_commit(e: tokio_postgres::Error) -> StoreError {
    let known = e
        .as_db_error()
        .is_some_and(|db| !is_unavailable_code(db.code().code()));
    if known {
        return from_pg(e);
    }
    StoreError::OutcomeUnknown(format!(
        "the connection to PostgreSQL failed while the write was being committed: {}",
        describe(&e)
    ))
}

/// Maps a failure to check a connection out of the pool.
pub(crate) fn from_pool(e: deadpool_postgres::PoolError) -> StoreError {
    use deadpool_postgres::PoolError;
    match e {
        PoolError::Backend(e) => from_pg(e),
        PoolError::Timeout(t) => StoreError::Unavailable(format!(
            "timed out waiting for a PostgreSQL connection ({t:?})"
        )),
        PoolError::Closed => {
            StoreError::Unavailable("the PostgreSQL connection pool is closed".to_owned())
        }
        PoolError::NoRuntimeSpecified => {
            StoreError::Other("the PostgreSQL pool has no async runtime".to_owned())
        }
        PoolError::PostCreateHook(e) => {
            StoreError::Unavailable(format!("cannot set up a PostgreSQL connection: {e}"))
        }
    }
}

/// Maps an error from a write that may have hit the assets primary key: a unique violation on
/// it becomes [`StoreError::AlreadyExists`] naming the id PostgreSQL reports.
pub(crate) fn from_pg_write(e: tokio_postgres::Error, fallback_id: Option<&AssetId>) -> StoreError {
    if let Some(db) = e.as_db_error() {
        if db.code().code() == UNIQUE_VIOLATION && db.constraint() == Some("assets_pkey") {
            let reported = db.detail().and_then(id_from_unique_detail);
            if let Some(id) = reported.or_else(|| fallback_id.cloned()) {
                return StoreError::AlreadyExists(id);
            }
        }
    }
    from_pg(e)
}

/// `Key (id)=(trafford:1) already exists.` → `trafford:1`. Asset ids cannot contain brackets,
/// so the first `)` after `=(` ends the id.
fn id_from_unique_detail(detail: &str) -> Option<AssetId> {
    let rest = detail.split_once("=(")?.1;
    let id = rest.split_once(')')?.0;
    AssetId::parse(id).ok()
}

/// Connection exceptions (class 08), operator intervention (57P01 admin shutdown, 57P02 crash
/// shutdown, 57P03 cannot connect now), insufficient resources (class 53: too many
/// connections, out of memory or disk), and the bounded waits (`Timeouts`): 57014 a statement
/// cancelled (by `statement_timeout`, or by an operator), 55P03 a lock not granted within
/// `lock_timeout`, 25P03 a session ended by `idle_in_transaction_session_timeout`.
fn is_unavailable_code(code: &str) -> bool {
    code.starts_with("08")
        || code.starts_with("53")
        || matches!(
            code,
            "57P01" | "57P02" | "57P03" | "57014" | "55P03" | "25P03"
        )
}

fn has_io_source(e: &tokio_postgres::Error) -> bool {
    let mut source = e.source();
    while let Some(s) = source {
        if s.is::<std::io::Error>() {
            return true;
        }
        source = s.source();
    }
    false
}

/// The error with its causes, `a: b: c`.
fn describe(e: &tokio_postgres::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_id_from_a_unique_violation_detail() {
        assert_eq!(
            id_from_unique_detail("Key (id)=(trafford_libraries:0) already exists.")
                .map(|i| i.to_string()),
            Some("trafford_libraries:0".to_owned())
        );
        assert!(id_from_unique_detail("something else").is_none());
    }

    #[test]
    fn classifies_sqlstates() {
        assert!(is_unavailable_code("08006"));
        assert!(is_unavailable_code("57P01"));
        assert!(is_unavailable_code("53300"));
        assert!(is_unavailable_code("57014"), "statement_timeout");
        assert!(is_unavailable_code("55P03"), "lock_timeout");
        assert!(
            is_unavailable_code("25P03"),
            "idle_in_transaction_session_timeout"
        );
        assert!(!is_unavailable_code("23505"));
    }
}
