#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod duplicates;
pub mod export;
pub mod geojson;
pub mod mapping;
pub mod mvt;
pub mod oruk;
pub mod oruk_import;
pub mod sync;
pub mod table;

pub use crate::geojson::{
    asset_to_feature, draft_from_feature, read_feature_collection, read_import, reproject_feature,
    write_feature, write_feature_with, AssetFeature, FeatureInput, FeatureView, GeoJsonError,
    ImportProblem, ImportRead, NoExtra,
};
