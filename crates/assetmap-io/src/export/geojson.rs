//! A GeoJSON FeatureCollection written feature by feature (one feature per line).
//!
//! Besides `type` and `features` the collection carries two foreign members (RFC 7946 §6.1),
//! which readers that do not know them ignore: `name` (GDAL uses it as the layer name) and
//! `metadata` (source, licence, attribution, date, method).

use super::{DatasetMetadata, ExportError, Table, TableColumn, TableRow};
use assetmap_core::Asset;
use serde_json::{json, Map, Value};
use std::io::Write;

/// The metadata as a JSON object.
pub fn metadata_json(md: &DatasetMetadata) -> Value {
    json!({
        "source": md.source,
        "licence": md.licence,
        "attribution": md.attribution,
        "date": md.date.format("%Y-%m-%d").to_string(),
        "method": md.method,
    })
}

/// Writes a FeatureCollection one feature at a time.
///
/// # Examples
/// ```
/// # use assetmap_core::*;
/// use assetmap_io::export::geojson::FeatureCollectionWriter;
/// let draft = AssetDraft { name: Some("Hale Library".into()), abcd_type: Some("institution".into()),
///     categories: vec!["learning".into()], ..Default::default() };
/// let asset = Asset::create(AssetId::parse("lib:1").unwrap(),
///     draft.validate(Some((-2.3456, 53.376))).unwrap(), chrono::Utc::now());
/// let mut w = FeatureCollectionWriter::new(Vec::new(), "assets", None).unwrap();
/// w.write_asset(&asset).unwrap();
/// w.write_asset(&asset).unwrap();
/// let bytes = w.finish().unwrap();
/// let back = assetmap_io::read_feature_collection(&bytes[..], chrono::Utc::now());
/// assert!(back.is_ok()); // the same id twice is still a readable collection
/// let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
/// assert_eq!(v["features"].as_array().unwrap().len(), 2);
/// ```
pub struct FeatureCollectionWriter<W: Write> {
    out: W,
    features: u64,
}

impl<W: Write> FeatureCollectionWriter<W> {
    /// Writes the collection's opening: `type`, `name`, `metadata` and the start of `features`.
    pub fn new(
        mut out: W,
        name: &str,
        metadata: Option<&DatasetMetadata>,
    ) -> Result<Self, ExportError> {
        let mut head = Map::new();
        head.insert("type".into(), Value::String("FeatureCollection".into()));
        head.insert("name".into(), Value::String(name.into()));
        if let Some(md) = metadata {
            head.insert("metadata".into(), metadata_json(md));
        }
        let head = Value::Object(head).to_string();
        // `{"type":…,"metadata":{…}}` → `{"type":…,"metadata":{…},"features":[`
        let open = head.strip_suffix('}').unwrap_or(&head);
        writeln!(out, "{open},\"features\":[")?;
        Ok(Self { out, features: 0 })
    }

    fn separator(&mut self) -> Result<(), ExportError> {
        if self.features > 0 {
            self.out.write_all(b",\n")?;
        }
        self.features += 1;
        Ok(())
    }

    /// Writes one asset as a feature ([`write_feature`](crate::write_feature)).
    pub fn write_asset(&mut self, asset: &Asset) -> Result<(), ExportError> {
        self.separator()?;
        crate::write_feature(&mut self.out, asset)?;
        Ok(())
    }

    /// Writes any feature object.
    pub fn write_value(&mut self, feature: &Value) -> Result<(), ExportError> {
        self.separator()?;
        serde_json::to_writer(&mut self.out, feature).map_err(std::io::Error::other)?;
        Ok(())
    }

    /// Features written so far.
    pub fn features(&self) -> u64 {
        self.features
    }

    /// The underlying writer (e.g. to take the bytes written so far out of a `Vec`).
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.out
    }

    /// Closes the array and the object, flushes, and gives the writer back.
    pub fn finish(mut self) -> Result<W, ExportError> {
        self.out.write_all(b"\n]}\n")?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// One row of a table as a feature: its geometry the area's boundary, its properties `extra`
/// and the cells by column name; the cell of `id_column` (e.g. `code`) also becomes the
/// feature `id`.
///
/// # Examples
/// ```
/// use assetmap_io::export::{geojson::row_feature, Cell, CellType, Table, TableColumn, TableRow};
/// let t = Table {
///     columns: vec![TableColumn { name: "code".into(), ty: CellType::Text }],
///     rows: vec![TableRow { geometry: serde_json::Value::Null, cells: vec![Cell::Text("E05015239".into())] }],
/// };
/// let mut extra = serde_json::Map::new();
/// extra.insert("level".into(), "ward".into());
/// let f = row_feature(&t.columns, &t.rows[0], Some("code"), &extra);
/// assert_eq!(f["id"], "E05015239");
/// assert_eq!(f["properties"]["level"], "ward");
/// ```
pub fn row_feature(
    columns: &[TableColumn],
    row: &TableRow,
    id_column: Option<&str>,
    extra: &Map<String, Value>,
) -> Value {
    let mut props = extra.clone();
    for (c, v) in columns.iter().zip(&row.cells) {
        props.insert(c.name.clone(), v.to_json());
    }
    let mut f = json!({"type": "Feature", "geometry": row.geometry, "properties": props});
    let id_index = id_column.and_then(|c| columns.iter().position(|k| k.name == c));
    if let Some(i) = id_index {
        f["id"] = row.cells.get(i).map(|c| c.to_json()).unwrap_or(Value::Null);
    }
    f
}

/// Writes a table of per-area figures as a FeatureCollection named `name`, one
/// [`row_feature`] per row.
pub fn write_table<W: Write>(
    out: W,
    name: &str,
    table: &Table,
    id_column: Option<&str>,
    extra: &Map<String, Value>,
    metadata: Option<&DatasetMetadata>,
) -> Result<W, ExportError> {
    let mut w = FeatureCollectionWriter::new(out, name, metadata)?;
    for row in &table.rows {
        w.write_value(&row_feature(&table.columns, row, id_column, extra))?;
    }
    w.finish()
}
