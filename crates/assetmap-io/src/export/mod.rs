//! Downloads: the asset layer and per-area figures as CSV, GeoJSON and GeoPackage.
//!
//! Every writer here takes one row at a time and keeps nothing of it once written, so an
//! export of a million assets needs no more memory than one of ten: the caller iterates its
//! source (the engine in batches, or the store page by page) and hands each asset over with
//! the [`AreaCodes`] of the areas that contain it.
//!
//! - [`csv::AssetCsvWriter`]: UTF-8 with a byte-order mark (so Excel reads it as UTF-8), one
//!   row per asset, every field of the model, lists joined with `"; "`, opening times in words
//!   and as JSON, the area codes, licence and attribution, then `lon`, `lat` (RFC 4180).
//! - [`geojson::FeatureCollectionWriter`]: an RFC 7946 FeatureCollection written feature by
//!   feature with [`write_feature`](crate::write_feature); it reads back with
//!   [`read_feature_collection`](crate::read_feature_collection).
//! - [`gpkg::GpkgExport`]: one GeoPackage file with an `assets` point layer (the store's flat
//!   columns plus area codes), optional area polygon layers with their figures, and metadata
//!   (source, licence, attribution, date, method) in the GeoPackage metadata extension.
//!
//! Per-area figures come in as a [`Table`]: named, typed columns and rows of [`Cell`]s, so
//! this crate needs to know nothing about how they were computed.

pub mod csv;
pub mod geojson;
pub mod gpkg;
mod sink;

pub use sink::{AssetSink, Format};

pub use assetmap_gpkg::DatasetMetadata;

/// The areas an asset lies in: ONS codes (and names) at each level, `None` where the asset is
/// outside every area of that level (or the areas are not known).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AreaCodes {
    /// Local authority district code, e.g. `E08000009`.
    pub la_code: Option<String>,
    pub la_name: Option<String>,
    /// Electoral ward (2023) code, e.g. `E05015239`.
    pub ward_code: Option<String>,
    pub ward_name: Option<String>,
    /// MSOA 2021 code, e.g. `E02001259`.
    pub msoa_code: Option<String>,
    pub msoa_name: Option<String>,
    /// LSOA 2021 code, e.g. `E01006074`.
    pub lsoa_code: Option<String>,
    pub lsoa_name: Option<String>,
}

/// The names of the area columns, in the order of [`AreaCodes::values`]; the same in the CSV
/// and the GeoPackage `assets` layer.
pub const AREA_COLUMNS: [&str; 8] = [
    "la_code",
    "la_name",
    "ward_code",
    "ward_name",
    "msoa_code",
    "msoa_name",
    "lsoa_code",
    "lsoa_name",
];

impl AreaCodes {
    /// The values in the order of [`AREA_COLUMNS`].
    ///
    /// # Examples
    /// ```
    /// let a = assetmap_io::export::AreaCodes { ward_code: Some("E05015239".into()), ..Default::default() };
    /// assert_eq!(a.values()[2], Some("E05015239"));
    /// assert_eq!(a.values()[0], None);
    /// ```
    pub fn values(&self) -> [Option<&str>; 8] {
        [
            self.la_code.as_deref(),
            self.la_name.as_deref(),
            self.ward_code.as_deref(),
            self.ward_name.as_deref(),
            self.msoa_code.as_deref(),
            self.msoa_name.as_deref(),
            self.lsoa_code.as_deref(),
            self.lsoa_name.as_deref(),
        ]
    }
}

/// The type of a figure column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellType {
    Text,
    Integer,
    Real,
}

/// One value of a [`Table`].
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Text(String),
    Integer(i64),
    Real(f64),
}

impl Cell {
    /// The value as CSV text (`""` for null; reals as Rust prints them: shortest exact form).
    pub fn to_text(&self) -> String {
        match self {
            Cell::Null => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Integer(i) => i.to_string(),
            Cell::Real(f) if f.is_finite() => f.to_string(),
            Cell::Real(_) => String::new(),
        }
    }

    /// The value as JSON (`null` for null and non-finite reals).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Cell::Null => serde_json::Value::Null,
            Cell::Text(s) => serde_json::Value::String(s.clone()),
            Cell::Integer(i) => serde_json::Value::from(*i),
            Cell::Real(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
        }
    }
}

/// A named, typed column of a [`Table`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableColumn {
    pub name: String,
    pub ty: CellType,
}

/// Per-area figures: one row per area, with its boundary (a GeoJSON Polygon or MultiPolygon
/// geometry, WGS84) for the spatial formats. Every row has one cell per column.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub columns: Vec<TableColumn>,
    pub rows: Vec<TableRow>,
}

/// One row of a [`Table`].
#[derive(Debug, Clone)]
pub struct TableRow {
    /// GeoJSON geometry object (`Polygon` or `MultiPolygon`), `Null` when there is none.
    pub geometry: serde_json::Value,
    pub cells: Vec<Cell>,
}

/// Why an export could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Writing to the file or connection failed.
    #[error("could not write the export: {0}")]
    Io(#[from] std::io::Error),
    /// The CSV writer failed.
    #[error("could not write CSV: {0}")]
    Csv(#[from] ::csv::Error),
    /// The GeoPackage could not be written.
    #[error("could not write the GeoPackage: {0}")]
    Gpkg(String),
    /// The data cannot be expressed in the format (e.g. an area without a polygon).
    #[error("{0}")]
    Data(String),
}

impl From<assetmap_gpkg::GpkgError> for ExportError {
    fn from(e: assetmap_gpkg::GpkgError) -> Self {
        ExportError::Gpkg(e.to_string())
    }
}

impl From<rusqlite::Error> for ExportError {
    fn from(e: rusqlite::Error) -> Self {
        ExportError::Gpkg(e.to_string())
    }
}
