//! The embedded store in one OGC GeoPackage 1.3 file, and the pieces to write GeoPackages.
//!
//! [`GeoPackageStore`] keeps assets in a point layer `assets` with one flat, readable column
//! per field, so the store file itself opens in QGIS or `ogrinfo`. Its change feed is the
//! attributes table `asset_changes`, registered in `gpkg_contents` so analysts can read the
//! edit history in the same tools.
//!
//! The writer pieces — [`initialise`], [`create_features_table`], [`create_attributes_table`],
//! [`extend_extent`], [`add_metadata`], the geometry encoders and [`GpkgWriter`] — do not know
//! about assets and are meant for exporting other layers (areas as polygons, figures as
//! attributes) too.
//!
//! Coordinates are `[x, y]` = `[longitude, latitude]` in decimal degrees (EPSG:4326).

mod columns;
mod geometry;
mod schema;
mod store;

pub use columns::{asset_values, ASSET_COLUMNS};
pub use geometry::{
    decode_point, encode_multipolygon, encode_point, encode_polygon, Envelope, GeometryError,
    WGS84_SRS_ID,
};
pub use schema::{
    add_metadata, create_attributes_table, create_features_table, extend_extent, extent,
    initialise, quote_ident, touch, AttributesTable, Column, ColumnType, DatasetMetadata,
    FeatureTable, GeometryType, FID_COLUMN, GEOMETRY_COLUMN, GPKG_APPLICATION_ID,
    GPKG_USER_VERSION,
};
pub use store::{GeoPackageStore, ASSETS_TABLE, CHANGES_TABLE, META_TABLE, SCHEMA_VERSION};

/// The SQLite binding these functions take, so callers use the same version.
pub use rusqlite;

use crate::StoreError;
use std::path::Path;

/// Writes a new GeoPackage file in one go (an export): one transaction from
/// [`GpkgWriter::create`] to [`GpkgWriter::finish`], so a failed export leaves no half file
/// behind in the GeoPackage's contents (delete the file on error).
///
/// # Examples
/// ```
/// use assetmap_store::gpkg::{encode_polygon, Column, ColumnType, FeatureTable, GeometryType, GpkgWriter, WGS84_SRS_ID};
/// let dir = tempfile::tempdir().unwrap();
/// let mut w = GpkgWriter::create(dir.path().join("areas.gpkg")).unwrap();
/// let cols = [Column::new("name", ColumnType::Text)];
/// w.create_features_table(&FeatureTable {
///     name: "areas", identifier: "Areas", description: "", geometry_type: GeometryType::Polygon,
///     srs_id: WGS84_SRS_ID, columns: &cols,
/// }).unwrap();
/// let square = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.0, 0.0]];
/// w.insert_feature("areas", &encode_polygon(WGS84_SRS_ID, &[&square]).unwrap(), &[&"Ward 1"]).unwrap();
/// w.finish().unwrap();
/// ```
pub struct GpkgWriter {
    conn: rusqlite::Connection,
}

impl GpkgWriter {
    /// Creates `path` (which must not exist) as an empty GeoPackage 1.3 and starts a
    /// transaction. The file uses a rollback journal, not WAL, so it is one self-contained
    /// file once finished.
    pub fn create(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref();
        if path.exists() {
            return Err(StoreError::Other(format!(
                "{} already exists; choose another name or remove it first",
                path.display()
            )));
        }
        let conn = rusqlite::Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "DELETE")?;
        conn.execute_batch("BEGIN")?;
        initialise(&conn)?;
        Ok(Self { conn })
    }

    /// Adds a features layer.
    pub fn create_features_table(&mut self, t: &FeatureTable<'_>) -> Result<(), StoreError> {
        Ok(create_features_table(&self.conn, t)?)
    }

    /// Adds a non-spatial layer.
    pub fn create_attributes_table(&mut self, t: &AttributesTable<'_>) -> Result<(), StoreError> {
        Ok(create_attributes_table(&self.conn, t)?)
    }

    /// Inserts one feature: `geometry` is a blob from the `encode_*` functions, `values` the
    /// attribute columns in the order the table was created with. Grows the layer's extent
    /// from the blob's envelope. Returns the new `fid`.
    pub fn insert_feature(
        &mut self,
        table: &str,
        geometry: &[u8],
        values: &[&dyn rusqlite::ToSql],
    ) -> Result<i64, StoreError> {
        let names: Vec<String> = {
            let mut stmt = self.conn.prepare_cached(&format!(
                "SELECT name FROM pragma_table_info({})",
                quote_literal(table)
            ))?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            rows.collect::<Result<_, _>>()?
        };
        let attrs: Vec<&String> = names
            .iter()
            .filter(|n| n.as_str() != FID_COLUMN && n.as_str() != GEOMETRY_COLUMN)
            .collect();
        if attrs.len() != values.len() {
            return Err(StoreError::Other(format!(
                "{table} has {} attribute columns but {} values were given",
                attrs.len(),
                values.len()
            )));
        }
        let cols: Vec<String> = attrs.iter().map(|n| quote_ident(n)).collect();
        let marks: Vec<String> = (2..=values.len() + 1).map(|i| format!("?{i}")).collect();
        let sql = format!(
            "INSERT INTO {} ({GEOMETRY_COLUMN}{}{}) VALUES (?1{}{})",
            quote_ident(table),
            if cols.is_empty() { "" } else { ", " },
            cols.join(", "),
            if marks.is_empty() { "" } else { ", " },
            marks.join(", ")
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        stmt.raw_bind_parameter(1, geometry)?;
        for (i, v) in values.iter().enumerate() {
            stmt.raw_bind_parameter(i + 2, v)?;
        }
        stmt.raw_execute()?;
        let fid = self.conn.last_insert_rowid();
        if let Some(env) = envelope_of_blob(geometry) {
            extend_extent(&self.conn, table, &env)?;
        }
        Ok(fid)
    }

    /// Records source, licence, date and method for `table` (or the whole file when `None`).
    pub fn add_metadata(
        &mut self,
        table: Option<&str>,
        md: &DatasetMetadata,
    ) -> Result<i64, StoreError> {
        Ok(add_metadata(&self.conn, table, md)?)
    }

    /// The connection, inside the writer's transaction, for bulk inserts with prepared
    /// statements.
    pub fn connection(&self) -> &rusqlite::Connection {
        &self.conn
    }

    /// Commits everything and closes the file.
    pub fn finish(self) -> Result<(), StoreError> {
        self.conn.execute_batch("COMMIT")?;
        self.conn.close().map_err(|(_, e)| StoreError::from(e))
    }
}

fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The `[minx, maxx, miny, maxy]` envelope of a blob written by this module.
fn envelope_of_blob(b: &[u8]) -> Option<Envelope> {
    if b.len() < 40 || &b[..2] != b"GP" || b[3] & 1 != 1 || (b[3] >> 1) & 0b111 != 1 {
        return None;
    }
    let d = |i: usize| -> Option<f64> {
        Some(f64::from_le_bytes(
            b.get(8 + i * 8..16 + i * 8)?.try_into().ok()?,
        ))
    };
    Some(Envelope {
        min_x: d(0)?,
        max_x: d(1)?,
        min_y: d(2)?,
        max_y: d(3)?,
    })
}
