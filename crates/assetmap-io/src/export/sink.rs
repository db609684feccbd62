//! The three download formats, and one writer of assets over all of them.

use super::{
    csv::AssetCsvWriter, geojson::FeatureCollectionWriter, gpkg::GpkgExport, AreaCodes,
    DatasetMetadata, ExportError,
};
use assetmap_core::Asset;
use std::io::Write;

/// A download format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    GeoJson,
    Csv,
    Gpkg,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 3] = [Format::GeoJson, Format::Csv, Format::Gpkg];

    /// The file extension, also the name on the command line.
    pub fn ext(self) -> &'static str {
        match self {
            Format::GeoJson => "geojson",
            Format::Csv => "csv",
            Format::Gpkg => "gpkg",
        }
    }

    /// Parses an extension or format name (`json` is GeoJSON).
    ///
    /// # Examples
    /// ```
    /// use assetmap_io::export::Format;
    /// assert_eq!(Format::parse("GPKG"), Some(Format::Gpkg));
    /// assert_eq!(Format::parse("json"), Some(Format::GeoJson));
    /// assert_eq!(Format::parse("xlsx"), None);
    /// ```
    pub fn parse(s: &str) -> Option<Format> {
        match s.to_ascii_lowercase().as_str() {
            "geojson" | "json" => Some(Format::GeoJson),
            "csv" => Some(Format::Csv),
            "gpkg" | "geopackage" => Some(Format::Gpkg),
            _ => None,
        }
    }

    /// The media type of the file.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::GeoJson => "application/geo+json",
            Format::Csv => "text/csv; charset=utf-8",
            Format::Gpkg => "application/geopackage+sqlite3",
        }
    }
}

/// Where an asset export writes: one of the three formats.
pub enum AssetSink<W: Write> {
    Csv(AssetCsvWriter<W>),
    GeoJson(FeatureCollectionWriter<W>),
    Gpkg(GpkgExport),
}

impl<W: Write> AssetSink<W> {
    /// Starts a CSV or GeoJSON export to `out` (a GeoPackage is a file: use
    /// [`AssetSink::Gpkg`]).
    pub fn stream(format: Format, out: W, md: &DatasetMetadata) -> Result<Self, ExportError> {
        match format {
            Format::Csv => Ok(AssetSink::Csv(AssetCsvWriter::new(out)?)),
            Format::GeoJson => Ok(AssetSink::GeoJson(FeatureCollectionWriter::new(
                out,
                "assets",
                Some(md),
            )?)),
            Format::Gpkg => Err(ExportError::Data(
                "a GeoPackage is written to a file: use AssetSink::Gpkg".into(),
            )),
        }
    }

    /// Writes one asset.
    pub fn write(&mut self, a: &Asset, codes: &AreaCodes) -> Result<(), ExportError> {
        match self {
            AssetSink::Csv(w) => w.write(a, codes),
            AssetSink::GeoJson(w) => w.write_asset(a),
            AssetSink::Gpkg(g) => g.write_asset(a, codes),
        }
    }

    /// Finishes the file; gives the GeoPackage back (still open for more layers).
    pub fn finish(self) -> Result<Option<GpkgExport>, ExportError> {
        match self {
            AssetSink::Csv(w) => {
                w.finish()?;
                Ok(None)
            }
            AssetSink::GeoJson(w) => {
                w.finish()?;
                Ok(None)
            }
            AssetSink::Gpkg(g) => Ok(Some(g)),
        }
    }
}
