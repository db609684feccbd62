//! assetmap's file and wire formats.
//!
//! Only this crate and `assetmap-server` know how an [`Asset`](assetmap_core::Asset) looks on
//! the wire. [`geojson`] turns assets into GeoJSON features (properties are the asset's fields,
//! `id` is the asset id, the geometry a WGS84 Point) and features back into drafts;
//! [`export`] writes downloads (CSV, GeoJSON, GeoPackage) row by row.
#![forbid(unsafe_code)]

pub mod export;
pub mod geojson;

pub use crate::geojson::{
    asset_to_feature, draft_from_feature, read_feature_collection, write_feature, FeatureInput,
    GeoJsonError,
};
