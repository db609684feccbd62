//! The shared store behaviour (`common::behaves_like_a_store`) on the GeoPackage store; the
//! same suite runs on PostGIS in `postgis.rs`, so both stores answer every call the same way.

mod common;

use assetmap_store::gpkg::GeoPackageStore;

#[tokio::test]
async fn geopackage_behaves_like_a_store() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store =
        GeoPackageStore::open(dir.path().join("behaviour.gpkg")).expect("open a new GeoPackage");
    common::behaves_like_a_store(&store).await;
}

#[tokio::test]
async fn geopackage_keeps_idempotency_records() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store =
        GeoPackageStore::open(dir.path().join("idempotency.gpkg")).expect("open a new GeoPackage");
    common::keeps_idempotency_records(&store).await;
}

#[tokio::test]
async fn geopackage_keeps_source_records() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store =
        GeoPackageStore::open(dir.path().join("records.gpkg")).expect("open a new GeoPackage");
    common::keeps_source_records(&store).await;
}

#[tokio::test]
async fn geopackage_applies_imports_all_or_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store =
        GeoPackageStore::open(dir.path().join("import.gpkg")).expect("open a new GeoPackage");
    common::applies_imports_all_or_nothing(&store).await;
}

#[tokio::test]
async fn geopackage_keeps_history() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store =
        GeoPackageStore::open(dir.path().join("history.gpkg")).expect("open a new GeoPackage");
    common::keeps_history(&store).await;
}

#[tokio::test]
async fn geopackage_keeps_accounts() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store =
        GeoPackageStore::open(dir.path().join("accounts.gpkg")).expect("open a new GeoPackage");
    common::keeps_accounts(&store).await;
}

#[tokio::test]
async fn geopackage_keeps_suggestions() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store =
        GeoPackageStore::open(dir.path().join("suggestions.gpkg")).expect("open a new GeoPackage");
    common::keeps_suggestions(&store).await;
}
