//! Tables of records from any source a mapping file can read: a CSV file, a GeoJSON
//! FeatureCollection (its properties are the columns) or a GeoPackage layer (its attribute
//! columns). Each record has its cells as text and, for GeoJSON and GeoPackage, its geometry.

use assetmap_core::crs::national_grid_to_wgs84;
use serde_json::Value;
use std::io::Read;
use std::path::Path;

/// Polygons: each a list of rings (the first the exterior), each ring a list of `[x, y]`.
pub type Polygons = Vec<Vec<Vec<[f64; 2]>>>;

/// A record's own geometry, in WGS84 longitude/latitude degrees.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceGeometry {
    /// A point.
    Point(f64, f64),
    /// A Polygon or MultiPolygon.
    Polygons(Polygons),
}

/// One record: a cell (trimmed text; `None` when empty or null) per column of the table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Record {
    /// The cells, in the order of [`Table::columns`].
    pub cells: Vec<Option<String>>,
    /// The record's geometry, when the source has one for it.
    pub geometry: Option<SourceGeometry>,
    /// Why the record's geometry could not be read (e.g. a LineString), if it could not.
    pub geometry_problem: Option<String>,
}

/// A table: its column names and its records in file order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    /// The file's name (`#file` in a mapping's templates), when read from a file.
    pub file_name: Option<String>,
    /// The column names (CSV header, GeoJSON property names in order of first appearance,
    /// GeoPackage attribute columns).
    pub columns: Vec<String>,
    /// The records.
    pub records: Vec<Record>,
}

impl Table {
    /// The position of a column (names compared without surrounding space).
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.trim() == name.trim())
    }
}

fn cell_text(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// Reads a CSV table (a header row, then one record per row).
pub fn read_csv_table<R: Read>(reader: R) -> Result<Table, String> {
    let mut r = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
    let headers = r.headers().map_err(|e| e.to_string())?.clone();
    let columns: Vec<String> = headers.iter().map(str::to_owned).collect();
    let mut records = Vec::new();
    for (i, row) in r.records().enumerate() {
        let row = row.map_err(|e| format!("row {}: {e}", i + 1))?;
        let cells = (0..columns.len())
            .map(|c| row.get(c).and_then(cell_text))
            .collect();
        records.push(Record {
            cells,
            ..Record::default()
        });
    }
    Ok(Table {
        file_name: None,
        columns,
        records,
    })
}

/// A JSON property value as text: strings as they are, numbers and booleans written out,
/// arrays and objects as JSON, null as no value.
fn json_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => cell_text(s),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        other => Some(other.to_string()),
    }
}

fn ring(v: &Value) -> Option<Vec<[f64; 2]>> {
    v.as_array()?
        .iter()
        .map(|p| {
            let p = p.as_array()?;
            Some([p.first()?.as_f64()?, p.get(1)?.as_f64()?])
        })
        .collect()
}

fn polygon(v: &Value) -> Option<Vec<Vec<[f64; 2]>>> {
    v.as_array()?.iter().map(ring).collect()
}

/// A GeoJSON geometry as a [`SourceGeometry`], or why it cannot be one.
fn json_geometry(g: &Value) -> Result<Option<SourceGeometry>, String> {
    if g.is_null() {
        return Ok(None);
    }
    let kind = g.get("type").and_then(Value::as_str).unwrap_or("");
    let coords = g.get("coordinates").unwrap_or(&Value::Null);
    let bad = || format!("a {kind} geometry with unreadable coordinates");
    match kind {
        "Point" => {
            let p = ring(&Value::Array(vec![coords.clone()])).ok_or_else(bad)?;
            Ok(Some(SourceGeometry::Point(p[0][0], p[0][1])))
        }
        "Polygon" => Ok(Some(SourceGeometry::Polygons(vec![
            polygon(coords).ok_or_else(bad)?
        ]))),
        "MultiPolygon" => Ok(Some(SourceGeometry::Polygons(
            coords
                .as_array()
                .ok_or_else(bad)?
                .iter()
                .map(polygon)
                .collect::<Option<_>>()
                .ok_or_else(bad)?,
        ))),
        other => Err(format!(
            "a {other:?} geometry; a record is placed by a Point, Polygon or MultiPolygon"
        )),
    }
}

/// Reads a GeoJSON FeatureCollection: one record per feature, its properties as the columns
/// (every property name that any feature has, in order of first appearance).
pub fn read_geojson_table<R: Read>(reader: R) -> Result<Table, String> {
    let value: Value = serde_json::from_reader(reader).map_err(|e| e.to_string())?;
    if value.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return Err("not a GeoJSON FeatureCollection".into());
    }
    let features = value
        .get("features")
        .and_then(Value::as_array)
        .ok_or("a FeatureCollection without a features array")?;
    let mut columns: Vec<String> = Vec::new();
    for f in features {
        if let Some(p) = f.get("properties").and_then(Value::as_object) {
            for k in p.keys() {
                if !columns.contains(k) {
                    columns.push(k.clone());
                }
            }
        }
    }
    let records = features
        .iter()
        .map(|f| {
            let props = f.get("properties").and_then(Value::as_object);
            let cells = columns
                .iter()
                .map(|c| props.and_then(|p| p.get(c)).and_then(json_text))
                .collect();
            let (geometry, geometry_problem) =
                match json_geometry(f.get("geometry").unwrap_or(&Value::Null)) {
                    Ok(g) => (g, None),
                    Err(e) => (None, Some(e)),
                };
            Record {
                cells,
                geometry,
                geometry_problem,
            }
        })
        .collect();
    Ok(Table {
        file_name: None,
        columns,
        records,
    })
}

/// Reads a GeoPackage layer (a features or attributes table): `layer` names it, or, when
/// `None`, the file must hold exactly one. Geometries in WGS84 (EPSG:4326) or British National
/// Grid (EPSG:27700) are read as points or polygons.
pub fn read_gpkg_table(path: &Path, layer: Option<&str>) -> Result<Table, String> {
    use rusqlite::{types::ValueRef, OpenFlags};
    let conn = rusqlite::Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| e.to_string())?;
    let err = |e: rusqlite::Error| e.to_string();
    let layers: Vec<String> = {
        let mut s = conn
            .prepare("SELECT table_name FROM gpkg_contents WHERE data_type IN ('features', 'attributes') ORDER BY table_name")
            .map_err(|e| format!("not a GeoPackage: {e}"))?;
        let rows = s.query_map([], |r| r.get(0)).map_err(err)?;
        rows.collect::<Result<_, _>>().map_err(err)?
    };
    let layer = match layer {
        Some(l) if layers.iter().any(|x| x == l) => l.to_owned(),
        Some(l) => {
            return Err(format!(
                "the GeoPackage has no layer {l:?}; its layers are: {}",
                layers.join(", ")
            ))
        }
        None if layers.len() == 1 => layers[0].clone(),
        None => {
            return Err(format!(
                "the GeoPackage has {} layers ({}); say which with [source] layer = \"name\"",
                layers.len(),
                layers.join(", ")
            ))
        }
    };
    let geometry: Option<(String, i64)> = conn
        .query_row(
            "SELECT column_name, srs_id FROM gpkg_geometry_columns WHERE table_name = ?1",
            [&layer],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .ok();
    let national_grid = match &geometry {
        Some((_, 27700)) => true,
        Some((_, 4326 | 0 | -1)) | None => false,
        Some((_, srs)) => {
            return Err(format!(
                "layer {layer:?} is in SRS {srs}; it must be WGS84 (4326) or British National Grid (27700)"
            ))
        }
    };
    let quoted = format!("\"{}\"", layer.replace('"', "\"\""));
    let mut stmt = conn
        .prepare(&format!("SELECT * FROM {quoted}"))
        .map_err(err)?;
    let names: Vec<String> = stmt.column_names().iter().map(|s| s.to_string()).collect();
    let geom_at = geometry
        .as_ref()
        .and_then(|(g, _)| names.iter().position(|n| n.eq_ignore_ascii_case(g)));
    let columns: Vec<String> = names
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != geom_at)
        .map(|(_, n)| n.clone())
        .collect();
    let mut rows = stmt.query([]).map_err(err)?;
    let mut records = Vec::new();
    while let Some(row) = rows.next().map_err(err)? {
        let mut rec = Record::default();
        for i in 0..names.len() {
            let v = row.get_ref(i).map_err(err)?;
            if Some(i) == geom_at {
                if let ValueRef::Blob(b) = v {
                    match gpkg_geometry(b, national_grid) {
                        Ok(g) => rec.geometry = Some(g),
                        Err(e) => rec.geometry_problem = Some(e),
                    }
                }
                continue;
            }
            rec.cells.push(match v {
                ValueRef::Null | ValueRef::Blob(_) => None,
                ValueRef::Integer(n) => Some(n.to_string()),
                ValueRef::Real(x) => Some(x.to_string()),
                ValueRef::Text(t) => cell_text(&String::from_utf8_lossy(t)),
            });
        }
        records.push(rec);
    }
    Ok(Table {
        file_name: None,
        columns,
        records,
    })
}

fn gpkg_geometry(blob: &[u8], national_grid: bool) -> Result<SourceGeometry, String> {
    let to_wgs = |[x, y]: [f64; 2]| -> Result<[f64; 2], String> {
        if national_grid {
            national_grid_to_wgs84([x, y])
                .map(|p| [p.lon(), p.lat()])
                .map_err(|e| e.to_string())
        } else {
            Ok([x, y])
        }
    };
    if let Ok((x, y)) = assetmap_gpkg::decode_point(blob) {
        let [x, y] = to_wgs([x, y])?;
        return Ok(SourceGeometry::Point(x, y));
    }
    let polys = assetmap_gpkg::decode_polygons(blob).map_err(|e| e.to_string())?;
    polys
        .into_iter()
        .map(|p| {
            p.into_iter()
                .map(|r| r.into_iter().map(to_wgs).collect())
                .collect()
        })
        .collect::<Result<_, _>>()
        .map(SourceGeometry::Polygons)
}

/// Reads the table at `path` by its extension: `.csv`, `.geojson` / `.json`, or `.gpkg`
/// (`layer` picks the GeoPackage layer).
pub fn read_table(path: &Path, layer: Option<&str>) -> Result<Table, String> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let open = || {
        std::fs::File::open(path)
            .map(std::io::BufReader::new)
            .map_err(|e| e.to_string())
    };
    let mut table = match ext.as_str() {
        "csv" => read_csv_table(open()?),
        "geojson" | "json" => read_geojson_table(open()?),
        "gpkg" => read_gpkg_table(path, layer),
        other => Err(format!(
            "cannot read a {other:?} file; a mapped source is .csv, .geojson (or .json) or .gpkg"
        )),
    }?;
    table.file_name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    Ok(table)
}
