//! The throwaway PostGIS cluster that `bash tests/run.sh` starts, and a fresh database on it
//! per test.
#![allow(dead_code)] // each test binary uses its own part of this module

pub use assetmap_testing::admin_url;

const HOW: &str = "run the tests with `bash tests/run.sh`, which starts a throwaway PostGIS";

/// A client on the admin database.
pub async fn admin_client() -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(&admin_url(), tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to ASSETMAP_TEST_DATABASE_URL ({e}); {HOW}"));
    tokio::spawn(connection);
    client
}

/// Creates an empty database (PostGIS comes from the migration, or from template1) and returns
/// its URL; never shared between tests.
pub async fn fresh_database(label: &str) -> String {
    assetmap_testing::create_database(label)
}

/// A one-off client on `url`.
pub async fn client(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot connect: {e}"));
    tokio::spawn(connection);
    client
}
