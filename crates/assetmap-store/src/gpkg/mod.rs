//! The embedded store in one OGC GeoPackage 1.3 file.
//!
//! [`GeoPackageStore`] keeps assets in a point layer `assets` with one flat, readable column
//! per field, so the store file itself opens in QGIS or `ogrinfo`. Its change feed is the
//! attributes table `asset_changes`, registered in `gpkg_contents` so analysts can read the
//! edit history in the same tools.
//!
//! The GeoPackage encoding itself — geometry blobs, the GeoPackage tables, the asset ↔ row
//! column mapping, and the file writer the exports use — is the `assetmap-gpkg` crate.
//!
//! Coordinates are `[x, y]` = `[longitude, latitude]` in decimal degrees (EPSG:4326).

mod accounts;
mod sql;
mod store;
mod suggestions;

pub use store::{
    GeoPackageStore, ASSETS_TABLE, CHANGES_TABLE, IDEMPOTENCY_TABLE, META_TABLE, SCHEMA_VERSION,
};
