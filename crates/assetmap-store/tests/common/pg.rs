//! The throwaway PostGIS cluster that `bash tests/run.sh` starts, and a fresh database on it
//! per test.
#![allow(dead_code)] // each test binary uses its own part of this module

use std::sync::atomic::{AtomicU32, Ordering};

const HOW: &str = "run the tests with `bash tests/run.sh`, which starts a throwaway PostGIS";

/// The env variable `name`, or a failure that says how to get it. Tests that need PostGIS never
/// pass silently without one.
pub fn required_env(name: &str) -> String {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v,
        _ => panic!("{name} is not set: {HOW}"),
    }
}

/// URL of the test cluster's main database (a superuser connection).
pub fn admin_url() -> String {
    required_env("ASSETMAP_TEST_DATABASE_URL")
}

/// `url` with its database replaced by `db`.
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

/// A client on the admin database.
pub async fn admin_client() -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(&admin_url(), tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to ASSETMAP_TEST_DATABASE_URL ({e}); {HOW}"));
    tokio::spawn(connection);
    client
}

/// Creates an empty database (PostGIS comes from the migration, or from template1) and returns
/// its URL. Names are unique per process and call, so tests never share a database.
pub async fn fresh_database(label: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "assetmap_{label}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    );
    let admin = admin_client().await;
    admin
        .batch_execute(&format!("CREATE DATABASE \"{name}\""))
        .await
        .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
    with_database(&admin_url(), &name)
}

/// A one-off client on `url`.
pub async fn client(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot connect: {e}"));
    tokio::spawn(connection);
    client
}
