#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod columns;
mod error;
mod geometry;
mod schema;
mod writer;

pub use columns::{asset_from_row, asset_values, select_list, ASSET_COLUMNS};
pub use error::GpkgError;
pub use geometry::{
    decode_point, decode_polygons, encode_multipolygon, encode_point, encode_polygon, Envelope,
    GeometryError, WGS84_SRS_ID,
};
pub use schema::{
    add_metadata, create_attributes_table, create_features_table, extend_extent, extent,
    initialise, quote_ident, touch, AttributesTable, Column, ColumnType, DatasetMetadata,
    FeatureTable, GeometryType, FID_COLUMN, GEOMETRY_COLUMN, GPKG_APPLICATION_ID,
    GPKG_USER_VERSION,
};
pub use writer::GpkgWriter;
