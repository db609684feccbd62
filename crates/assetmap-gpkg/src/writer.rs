//! [`GpkgWriter`]: a new GeoPackage file written in one transaction (an export).

use crate::geometry::Envelope;
use crate::schema::{
    add_metadata, create_attributes_table, create_features_table, extend_extent, initialise,
    quote_ident, AttributesTable, DatasetMetadata, FeatureTable, FID_COLUMN, GEOMETRY_COLUMN,
};
use crate::GpkgError;
use std::path::Path;

/// Writes a new GeoPackage file in one go (an export): one transaction from
/// [`GpkgWriter::create`] to [`GpkgWriter::finish`], so a failed export leaves no half file
/// behind in the GeoPackage's contents (delete the file on error).
///
/// # Examples
/// ```
/// use assetmap_gpkg::{encode_polygon, Column, ColumnType, FeatureTable, GeometryType, GpkgWriter, WGS84_SRS_ID};
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("areas.gpkg");
/// let mut w = GpkgWriter::create(&path).unwrap();
/// let cols = [Column::new("name", ColumnType::Text)];
/// w.create_features_table(&FeatureTable {
///     name: "areas", identifier: "Areas", description: "", geometry_type: GeometryType::Polygon,
///     srs_id: WGS84_SRS_ID, columns: &cols,
/// }).unwrap();
/// let square = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.0, 0.0]];
/// let fid = w.insert_feature("areas", &encode_polygon(WGS84_SRS_ID, &[&square]).unwrap(), &[&"Ward 1"]).unwrap();
/// assert_eq!(fid, 1);
/// w.finish().unwrap();
///
/// let conn = rusqlite::Connection::open(&path).unwrap();
/// let (name, max_x): (String, f64) = conn
///     .query_row("SELECT a.name, c.max_x FROM areas a, gpkg_contents c WHERE c.table_name = 'areas'", [], |r| Ok((r.get(0)?, r.get(1)?)))
///     .unwrap();
/// assert_eq!((name.as_str(), max_x), ("Ward 1", 1.0));
/// assert!(GpkgWriter::create(&path).is_err(), "never replaces a file");
/// ```
pub struct GpkgWriter {
    conn: rusqlite::Connection,
}

impl GpkgWriter {
    /// Creates `path` (which must not exist) as an empty GeoPackage 1.3 and starts a
    /// transaction. The file uses a rollback journal, not WAL, so it is one self-contained
    /// file once finished.
    pub fn create(path: impl AsRef<Path>) -> Result<Self, GpkgError> {
        let path = path.as_ref();
        if path.exists() {
            return Err(GpkgError::Exists(path.to_path_buf()));
        }
        let conn = rusqlite::Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "DELETE")?;
        conn.execute_batch("BEGIN")?;
        initialise(&conn)?;
        Ok(Self { conn })
    }

    /// Adds a features layer.
    pub fn create_features_table(&mut self, t: &FeatureTable<'_>) -> Result<(), GpkgError> {
        Ok(create_features_table(&self.conn, t)?)
    }

    /// Adds a non-spatial layer.
    pub fn create_attributes_table(&mut self, t: &AttributesTable<'_>) -> Result<(), GpkgError> {
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
    ) -> Result<i64, GpkgError> {
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
            return Err(GpkgError::Unwritable(format!(
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
    ) -> Result<i64, GpkgError> {
        Ok(add_metadata(&self.conn, table, md)?)
    }

    /// The connection, inside the writer's transaction, for bulk inserts with prepared
    /// statements.
    pub fn connection(&self) -> &rusqlite::Connection {
        &self.conn
    }

    /// Commits everything and closes the file.
    pub fn finish(self) -> Result<(), GpkgError> {
        self.conn.execute_batch("COMMIT")?;
        self.conn.close().map_err(|(_, e)| GpkgError::from(e))
    }
}

fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The `[minx, maxx, miny, maxy]` envelope of a blob written by this crate.
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
