//! One GeoPackage file with several layers: `assets` (points) and, when asked, per-area
//! figures (`areas_ward`, `areas_lsoa`, `areas_msoa` as multipolygons), with metadata.
//!
//! Built with the GeoPackage codec ([`assetmap_gpkg`]): the `assets` layer has the
//! store's flat columns ([`ASSET_COLUMNS`]) followed by the area codes ([`AREA_COLUMNS`]), so
//! an exported file and the embedded store read alike in QGIS. The whole file is written in
//! one transaction and is one self-contained file when finished (no WAL); rows go straight to
//! SQLite's page cache and disk, so memory does not grow with the number of assets.

use super::{AreaCodes, CellType, DatasetMetadata, ExportError, Table, AREA_COLUMNS};
use assetmap_core::Asset;
use assetmap_gpkg::{
    asset_values, encode_multipolygon, encode_point, extend_extent, quote_ident, Column,
    ColumnType, Envelope, FeatureTable, GeometryType, GpkgWriter, ASSET_COLUMNS, WGS84_SRS_ID,
};
use rusqlite::types::Value as SqlValue;
use serde_json::Value;
use std::path::Path;

/// The name of the asset layer.
pub const ASSETS_LAYER: &str = "assets";

/// A GeoPackage export being written. Create it, add layers, then [`finish`](Self::finish);
/// on error, delete the file (nothing is committed before `finish`).
pub struct GpkgExport {
    w: GpkgWriter,
    insert_sql: Option<String>,
    asset_extent: Option<Envelope>,
    assets: u64,
}

impl GpkgExport {
    /// Creates `path` (which must not exist) as an empty GeoPackage, with `md` as the
    /// metadata of the whole file.
    pub fn create(path: &Path, md: &DatasetMetadata) -> Result<Self, ExportError> {
        let mut w = GpkgWriter::create(path)?;
        // A larger page cache (16 MiB) for the unique index on asset_id; the whole file is one
        // transaction, so it is synced once, at the end.
        w.connection()
            .execute_batch("PRAGMA cache_size = -16000;")?;
        w.add_metadata(None, md)?;
        Ok(Self {
            w,
            insert_sql: None,
            asset_extent: None,
            assets: 0,
        })
    }

    /// Adds the (empty) `assets` point layer with `md` as its metadata. Call once, before
    /// [`write_asset`](Self::write_asset).
    pub fn begin_assets(&mut self, md: &DatasetMetadata) -> Result<(), ExportError> {
        let mut columns: Vec<Column<'_>> = ASSET_COLUMNS.to_vec();
        columns.extend(
            AREA_COLUMNS
                .iter()
                .map(|c| Column::new(c, ColumnType::Text)),
        );
        self.w.create_features_table(&FeatureTable {
            name: ASSETS_LAYER,
            identifier: "Community assets",
            description: "Community assets (points, WGS84) with the ONS codes of the areas that contain them",
            geometry_type: GeometryType::Point,
            srs_id: WGS84_SRS_ID,
            columns: &columns,
        })?;
        self.w.add_metadata(Some(ASSETS_LAYER), md)?;
        let names: Vec<String> = std::iter::once("geom".to_owned())
            .chain(columns.iter().map(|c| quote_ident(c.name)))
            .collect();
        let marks: Vec<String> = (1..=names.len()).map(|i| format!("?{i}")).collect();
        self.insert_sql = Some(format!(
            "INSERT INTO {} ({}) VALUES ({})",
            quote_ident(ASSETS_LAYER),
            names.join(", "),
            marks.join(", ")
        ));
        Ok(())
    }

    /// Writes one asset with its area codes.
    pub fn write_asset(&mut self, a: &Asset, areas: &AreaCodes) -> Result<(), ExportError> {
        let sql = self.insert_sql.as_deref().ok_or_else(|| {
            ExportError::Data("begin_assets must be called before write_asset".into())
        })?;
        let (lon, lat) = (a.location.lon(), a.location.lat());
        let mut stmt = self.w.connection().prepare_cached(sql)?;
        stmt.raw_bind_parameter(1, encode_point(WGS84_SRS_ID, lon, lat))?;
        let values = asset_values(a)?;
        let n = values.len();
        for (i, v) in values.into_iter().enumerate() {
            stmt.raw_bind_parameter(i + 2, v)?;
        }
        for (i, v) in areas.values().into_iter().enumerate() {
            stmt.raw_bind_parameter(n + 2 + i, v)?;
        }
        stmt.raw_execute()?;
        let point = Envelope::of_point(lon, lat);
        self.asset_extent = Some(match self.asset_extent {
            Some(e) => e.union(&point),
            None => point,
        });
        self.assets += 1;
        Ok(())
    }

    /// Assets written so far.
    pub fn assets(&self) -> u64 {
        self.assets
    }

    /// Adds a layer of per-area figures: one multipolygon feature per row of `table`.
    pub fn add_table_layer(
        &mut self,
        name: &str,
        identifier: &str,
        description: &str,
        table: &Table,
        md: &DatasetMetadata,
    ) -> Result<(), ExportError> {
        let columns: Vec<Column<'_>> = table
            .columns
            .iter()
            .map(|c| {
                Column::new(
                    &c.name,
                    match c.ty {
                        CellType::Text => ColumnType::Text,
                        CellType::Integer => ColumnType::Integer,
                        CellType::Real => ColumnType::Double,
                    },
                )
            })
            .collect();
        self.w.create_features_table(&FeatureTable {
            name,
            identifier,
            description,
            geometry_type: GeometryType::MultiPolygon,
            srs_id: WGS84_SRS_ID,
            columns: &columns,
        })?;
        self.w.add_metadata(Some(name), md)?;
        for (i, row) in table.rows.iter().enumerate() {
            let polygons = multipolygon_coords(&row.geometry).ok_or_else(|| {
                ExportError::Data(format!(
                    "row {i} of {name} has no Polygon or MultiPolygon geometry"
                ))
            })?;
            let refs: Vec<Vec<&[[f64; 2]]>> = polygons
                .iter()
                .map(|rings| rings.iter().map(Vec::as_slice).collect())
                .collect();
            let blob = encode_multipolygon(WGS84_SRS_ID, &refs).ok_or_else(|| {
                ExportError::Data(format!("row {i} of {name} has an empty geometry"))
            })?;
            let values: Vec<SqlValue> = row
                .cells
                .iter()
                .map(|c| match c {
                    super::Cell::Null => SqlValue::Null,
                    super::Cell::Text(s) => SqlValue::Text(s.clone()),
                    super::Cell::Integer(v) => SqlValue::Integer(*v),
                    super::Cell::Real(v) if v.is_finite() => SqlValue::Real(*v),
                    super::Cell::Real(_) => SqlValue::Null,
                })
                .collect();
            let params: Vec<&dyn rusqlite::ToSql> =
                values.iter().map(|v| v as &dyn rusqlite::ToSql).collect();
            self.w.insert_feature(name, &blob, &params)?;
        }
        Ok(())
    }

    /// Adds a JSON document (e.g. a summary's full metadata: parameters, method, caveats,
    /// sources, column descriptions) to the GeoPackage metadata tables, about `table` or the
    /// whole file, beside the GDAL items that [`DatasetMetadata`] writes.
    pub fn add_json_metadata(
        &mut self,
        table: Option<&str>,
        json: &str,
    ) -> Result<(), ExportError> {
        let conn = self.w.connection();
        conn.execute(
            "INSERT INTO gpkg_metadata (md_scope, md_standard_uri, mime_type, metadata) VALUES ('dataset', 'https://www.rfc-editor.org/rfc/rfc8259', 'application/json', ?1)",
            [json],
        )?;
        let id = conn.last_insert_rowid();
        conn.execute(
            "INSERT INTO gpkg_metadata_reference (reference_scope, table_name, md_file_id) VALUES (?1, ?2, ?3)",
            rusqlite::params![if table.is_some() { "table" } else { "geopackage" }, table, id],
        )?;
        Ok(())
    }

    /// Records the asset layer's extent, commits and closes the file.
    pub fn finish(self) -> Result<u64, ExportError> {
        if let (Some(env), Some(_)) = (self.asset_extent, &self.insert_sql) {
            extend_extent(self.w.connection(), ASSETS_LAYER, &env)?;
        }
        let n = self.assets;
        self.w.finish()?;
        Ok(n)
    }
}

/// The rings of a GeoJSON Polygon or MultiPolygon as `[polygon][ring][point]`.
fn multipolygon_coords(g: &Value) -> Option<Vec<Vec<Vec<[f64; 2]>>>> {
    let ring = |r: &Value| -> Option<Vec<[f64; 2]>> {
        r.as_array()?
            .iter()
            .map(|p| Some([p.get(0)?.as_f64()?, p.get(1)?.as_f64()?]))
            .collect()
    };
    let polygon =
        |p: &Value| -> Option<Vec<Vec<[f64; 2]>>> { p.as_array()?.iter().map(ring).collect() };
    let coords = g.get("coordinates")?;
    match g.get("type")?.as_str()? {
        "Polygon" => Some(vec![polygon(coords)?]),
        "MultiPolygon" => coords.as_array()?.iter().map(polygon).collect(),
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_polygons_and_multipolygons() {
        let sq = json!([[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]]);
        let p = json!({"type": "Polygon", "coordinates": sq});
        assert_eq!(multipolygon_coords(&p).unwrap().len(), 1);
        let m = json!({"type": "MultiPolygon", "coordinates": [sq, sq]});
        assert_eq!(multipolygon_coords(&m).unwrap().len(), 2);
        assert!(multipolygon_coords(&json!({"type": "Point", "coordinates": [0, 0]})).is_none());
    }
}
