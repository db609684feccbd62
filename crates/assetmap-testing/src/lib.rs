#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod cut_proxy;

pub use cut_proxy::CutProxy;

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

/// What to do when the cluster is missing.
const HOW: &str =
    "run the tests with `bash tests/run.sh`, which installs PostGIS and starts a throwaway cluster";

/// The environment variable `name`, or a failure that says how to get it.
pub fn required_env(name: &str) -> String {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v,
        _ => panic!("{name} is not set: {HOW}"),
    }
}

/// URL of the test cluster's maintenance database (a superuser connection).
pub fn admin_url() -> String {
    required_env("ASSETMAP_TEST_DATABASE_URL")
}

/// `url` with its database replaced by `db` (query parameters kept).
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{db}?{q}"),
        None => format!("{base}/{db}"),
    }
}

/// Runs one SQL statement with `psql` on `url`; panics with psql's message when it fails.
fn psql(url: &str, sql: &str) {
    let out = Command::new("psql")
        .arg(url)
        .args(["-v", "ON_ERROR_STOP=1", "-q", "-c", sql])
        .output()
        .unwrap_or_else(|e| panic!("cannot run psql ({e}): install postgresql-client, or {HOW}"));
    assert!(
        out.status.success(),
        "psql {sql:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Creates an empty database on the test cluster and returns its URL. The name holds `label`,
/// the process id, the time and a counter, so tests (and test runs) never share a database.
pub fn create_database(label: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let name = format!(
        "assetmap_{label}_{}_{nanos}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    );
    let admin = admin_url();
    psql(&admin, &format!("CREATE DATABASE \"{name}\""));
    with_database(&admin, &name)
}

/// Like [`create_database`], with the PostGIS extension created in it.
pub fn create_postgis_database(label: &str) -> String {
    let url = create_database(label);
    psql(&url, "CREATE EXTENSION IF NOT EXISTS postgis");
    url
}

/// Runs the cluster's `pg_ctl` helper (`ASSETMAP_TEST_PG_CTL`) with `action` (`stop`, `start`,
/// `status`…); true when it succeeded.
pub fn pg_ctl(action: &str) -> bool {
    let helper = required_env("ASSETMAP_TEST_PG_CTL");
    Command::new("bash")
        .arg(&helper)
        .arg(action)
        .stdout(Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("cannot run {helper} {action}: {e}"))
        .success()
}

/// Starts the cluster again when dropped, so a failing assertion cannot leave it down for the
/// test binaries that run after this one.
pub struct RestartOnDrop;

impl Drop for RestartOnDrop {
    fn drop(&mut self) {
        if !pg_ctl("status") {
            pg_ctl("start");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_database_of_a_url() {
        assert_eq!(
            with_database("postgres://u@127.0.0.1:5432/a", "b"),
            "postgres://u@127.0.0.1:5432/b"
        );
        assert_eq!(
            with_database("postgres://u@h/a?sslmode=disable", "b"),
            "postgres://u@h/b?sslmode=disable"
        );
        assert_eq!(with_database("postgres://u@h", "b"), "postgres://u@h/b");
    }
}
