//! Boundaries: GeoJSON or GeoPackage with the bundled `area_code`/`area_name` properties or the
//! Open Geography Portal's `<letters><yy>CD`/`<letters><yy>NM`, in WGS84 or British National
//! Grid.

use crate::error::PlaceError;
use assetmap_core::crs::national_grid_to_wgs84;
use assetmap_index::{AreaInput, AreaLevel};
use serde_json::{Map, Value};
use std::path::Path;

fn read_json(path: &Path) -> Result<Value, PlaceError> {
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gpkg"))
    {
        return read_geopackage(path);
    }
    let text = std::fs::read_to_string(path).map_err(|e| {
        PlaceError::context(format!("Failed to read boundaries {}", path.display()), e)
    })?;
    serde_json::from_str(&text)
        .map_err(|e| PlaceError::context(format!("Boundaries {} are not JSON", path.display()), e))
}

/// The first features layer of a GeoPackage as a GeoJSON FeatureCollection: its attribute
/// columns as properties, its polygons as a MultiPolygon, and a `crs` member naming EPSG 27700
/// when the layer is in British National Grid (so the rest reads it as a GeoJSON file).
fn read_geopackage(path: &Path) -> Result<Value, PlaceError> {
    let what = || format!("Boundaries {}", path.display());
    let fail = |e: rusqlite::Error| PlaceError::context(what(), e);
    let conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(fail)?;
    let (table, column, srs_id): (String, String, i64) = conn
        .query_row(
            "SELECT c.table_name, g.column_name, g.srs_id FROM gpkg_contents c \
             JOIN gpkg_geometry_columns g ON g.table_name = c.table_name \
             WHERE c.data_type = 'features' ORDER BY c.table_name LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .map_err(|e| {
            PlaceError::context(
                format!("{}: no features layer (is it a GeoPackage?)", what()),
                e,
            )
        })?;
    let quoted = |name: &str| format!("\"{}\"", name.replace('"', "\"\""));
    let mut stmt = conn
        .prepare(&format!("SELECT * FROM {}", quoted(&table)))
        .map_err(fail)?;
    let names: Vec<String> = stmt
        .column_names()
        .iter()
        .map(|n| (*n).to_owned())
        .collect();
    let mut rows = stmt.query([]).map_err(fail)?;
    let mut features = Vec::new();
    while let Some(row) = rows.next().map_err(fail)? {
        let mut properties = Map::new();
        let mut geometry = Value::Null;
        for (i, name) in names.iter().enumerate() {
            let value = row.get_ref(i).map_err(fail)?;
            if *name == column {
                let rusqlite::types::ValueRef::Blob(blob) = value else {
                    continue;
                };
                let polygons = assetmap_gpkg::decode_polygons(blob)
                    .map_err(|e| PlaceError::context(what(), e))?;
                geometry = serde_json::json!({"type": "MultiPolygon", "coordinates": polygons});
                continue;
            }
            let v = match value {
                rusqlite::types::ValueRef::Text(t) => {
                    Value::String(String::from_utf8_lossy(t).into_owned())
                }
                rusqlite::types::ValueRef::Integer(n) => Value::from(n),
                rusqlite::types::ValueRef::Real(x) => Value::from(x),
                _ => Value::Null,
            };
            properties.insert(name.clone(), v);
        }
        features.push(
            serde_json::json!({"type": "Feature", "properties": properties, "geometry": geometry}),
        );
    }
    let mut collection = serde_json::json!({"type": "FeatureCollection", "features": features});
    if srs_id == 27700 {
        collection["crs"] = serde_json::json!({"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}});
    }
    Ok(collection)
}

fn ring(v: &Value) -> Result<Vec<[f64; 2]>, String> {
    v.as_array()
        .ok_or("a ring is not an array")?
        .iter()
        .map(|p| {
            match (
                p.get(0).and_then(Value::as_f64),
                p.get(1).and_then(Value::as_f64),
            ) {
                (Some(x), Some(y)) => Ok([x, y]),
                _ => Err("a position is not [lon, lat]".to_owned()),
            }
        })
        .collect()
}

fn polygon(v: &Value) -> Result<Vec<Vec<[f64; 2]>>, String> {
    v.as_array()
        .ok_or("a polygon is not an array of rings")?
        .iter()
        .map(ring)
        .collect()
}

/// The polygons of a GeoJSON `Polygon` or `MultiPolygon` geometry.
pub(crate) fn polygons(geometry: &Value) -> Result<Vec<Vec<Vec<[f64; 2]>>>, String> {
    let coords = &geometry["coordinates"];
    match geometry["type"].as_str() {
        Some("Polygon") => Ok(vec![polygon(coords)?]),
        Some("MultiPolygon") => coords
            .as_array()
            .ok_or("MultiPolygon coordinates are not an array")?
            .iter()
            .map(polygon)
            .collect(),
        other => Err(format!(
            "geometry type {other:?} is not Polygon or MultiPolygon"
        )),
    }
}

/// How a file names its areas' code and name.
#[derive(Debug, Clone, PartialEq)]
enum Naming {
    /// `area_code`, `area_name` (the bundled files).
    Bundled,
    /// An ONS pair, `WD23CD` and `WD23NM`; `vintage` is `2023`.
    Ons {
        code: String,
        name: String,
        vintage: String,
    },
}

impl Naming {
    fn code_key(&self) -> &str {
        match self {
            Naming::Bundled => "area_code",
            Naming::Ons { code, .. } => code,
        }
    }

    fn name_key(&self) -> &str {
        match self {
            Naming::Bundled => "area_name",
            Naming::Ons { name, .. } => name,
        }
    }
}

/// `WD23CD` → (`WD`, `23`), for keys `<letters><2 digits>CD` (any case).
fn ons_code_key(key: &str) -> Option<(&str, &str)> {
    let stem = key.strip_suffix("CD").or_else(|| key.strip_suffix("cd"))?;
    let split = stem.len().checked_sub(2)?;
    let (letters, digits) = (stem.get(..split)?, stem.get(split..)?);
    (!letters.is_empty()
        && letters.bytes().all(|b| b.is_ascii_alphabetic())
        && digits.bytes().all(|b| b.is_ascii_digit()))
    .then_some((letters, digits))
}

/// Finer levels first: when a feature carries several code pairs (an LSOA with its LAD), the
/// finest is the area's own.
fn fineness(letters: &str) -> u8 {
    match letters.to_ascii_uppercase().as_str() {
        "OA" => 0,
        "LSOA" | "DZ" => 1,
        "MSOA" | "IZ" => 2,
        "WD" => 3,
        _ => 4,
    }
}

fn expected_properties() -> &'static str {
    "expected either area_code and area_name (the bundled files) or an ONS code and name pair such as LAD23CD and LAD23NM, WD23CD and WD23NM, MSOA21CD and MSOA21NM, LSOA21CD and LSOA21NM"
}

/// How the features of `v` name their areas, from the first feature's properties.
fn naming(v: &Value, path: &Path) -> Result<Naming, PlaceError> {
    let Some(props) = v["features"]
        .get(0)
        .and_then(|f| f["properties"].as_object())
    else {
        return Ok(Naming::Bundled);
    };
    if props.contains_key("area_code") {
        return Ok(Naming::Bundled);
    }
    let mut best: Option<(u8, Naming)> = None;
    for key in props.keys() {
        let Some((letters, digits)) = ons_code_key(key) else {
            continue;
        };
        let stem = &key[..key.len() - 2];
        let Some(name) = [format!("{stem}NM"), format!("{stem}nm")]
            .into_iter()
            .find(|n| props.contains_key(n))
        else {
            continue;
        };
        let rank = fineness(letters);
        if best.as_ref().is_none_or(|(r, _)| rank < *r) {
            best = Some((
                rank,
                Naming::Ons {
                    code: key.clone(),
                    name,
                    vintage: format!("20{digits}"),
                },
            ));
        }
    }
    best.map(|(_, n)| n).ok_or_else(|| {
        PlaceError::new(format!(
            "The features of {} have no area code and name properties ({}); {}",
            path.display(),
            props.keys().cloned().collect::<Vec<_>>().join(", "),
            expected_properties()
        ))
    })
}

/// Whether the file is in British National Grid: a `crs` member naming EPSG 27700, or
/// a first coordinate outside ±180, ±90 (metres, not degrees).
fn is_national_grid(v: &Value) -> bool {
    if v["crs"]["properties"]["name"]
        .as_str()
        .is_some_and(|name| name.contains("27700"))
    {
        return true;
    }
    let mut c = &v["features"][0]["geometry"]["coordinates"];
    while let Some(first) = c.get(0) {
        if first.is_number() {
            break;
        }
        c = first;
    }
    match (
        c.get(0).and_then(Value::as_f64),
        c.get(1).and_then(Value::as_f64),
    ) {
        (Some(x), Some(y)) => x.abs() > 180.0 || y.abs() > 90.0,
        _ => false,
    }
}

/// A boundary file read whole: its features, how they are named and whether they need
/// reprojecting.
struct Layer {
    features: Vec<Value>,
    naming: Naming,
    national_grid: bool,
}

fn read_layer(path: &Path) -> Result<Layer, PlaceError> {
    let mut v = read_json(path)?;
    let naming = naming(&v, path)?;
    let national_grid = is_national_grid(&v);
    let features = match v.get_mut("features").map(Value::take) {
        Some(Value::Array(features)) => features,
        _ => Vec::new(),
    };
    Ok(Layer {
        features,
        naming,
        national_grid,
    })
}

type Polygons = Vec<Vec<Vec<[f64; 2]>>>;

/// National Grid polygons to WGS84.
fn to_wgs84(polygons: Polygons) -> Result<Polygons, String> {
    polygons
        .into_iter()
        .map(|rings| {
            rings
                .into_iter()
                .map(|ring| {
                    ring.into_iter()
                        .map(|xy| {
                            national_grid_to_wgs84(xy)
                                .map(|p| [p.lon(), p.lat()])
                                .map_err(|e| e.to_string())
                        })
                        .collect()
                })
                .collect()
        })
        .collect()
}

/// The area's code and name (empty when missing) by the file's naming.
fn code_name<'a>(f: &'a Value, naming: &Naming) -> (&'a str, &'a str) {
    (
        f["properties"][naming.code_key()]
            .as_str()
            .unwrap_or_default(),
        f["properties"][naming.name_key()]
            .as_str()
            .unwrap_or_default(),
    )
}

/// The areas of one boundary file as [`AreaInput`]s (WGS84), for point in polygon.
pub(crate) fn area_inputs(path: &Path) -> Result<Vec<AreaInput>, PlaceError> {
    let layer = read_layer(path)?;
    let mut out = Vec::new();
    for f in &layer.features {
        let (code, name) = code_name(f, &layer.naming);
        let in_area = |e| PlaceError::context(format!("Area {code} in {}", path.display()), e);
        let mut polygons = polygons(&f["geometry"]).map_err(in_area)?;
        if layer.national_grid {
            polygons = to_wgs84(polygons).map_err(in_area)?;
        }
        out.push(AreaInput {
            code: code.to_owned(),
            name: name.to_owned(),
            polygons,
        });
    }
    if out.is_empty() {
        return Err(PlaceError::new(format!(
            "{} has no features",
            path.display()
        )));
    }
    Ok(out)
}

/// One level's boundaries as GeoJSON features (`id` = code; properties `code`, `name`,
/// `level`; geometry in WGS84), sorted by code: what is served and drawn.
pub(crate) fn boundary_features(path: &Path, level: AreaLevel) -> Result<Vec<Value>, PlaceError> {
    let layer = read_layer(path)?;
    let mut features = Vec::new();
    for mut f in layer.features {
        let (code, name) = code_name(&f, &layer.naming);
        let (code, name) = (code.to_owned(), name.to_owned());
        if code.is_empty() {
            return Err(PlaceError::new(format!(
                "A feature in {} has no {}; {}",
                path.display(),
                layer.naming.code_key(),
                expected_properties()
            )));
        }
        let mut geometry = f.get_mut("geometry").map(Value::take).unwrap_or_default();
        if layer.national_grid {
            let in_area = |e| PlaceError::context(format!("Area {code} in {}", path.display()), e);
            let wgs84 = to_wgs84(polygons(&geometry).map_err(in_area)?).map_err(in_area)?;
            geometry = match geometry["type"].as_str() {
                Some("Polygon") => serde_json::json!({
                    "type": "Polygon",
                    "coordinates": wgs84.into_iter().next().unwrap_or_default(),
                }),
                _ => serde_json::json!({"type": "MultiPolygon", "coordinates": wgs84}),
            };
        }
        let mut props = Map::new();
        props.insert("code".into(), Value::String(code.clone()));
        props.insert("name".into(), Value::String(name));
        props.insert("level".into(), Value::String(level.slug().into()));
        features.push(serde_json::json!({"type": "Feature", "id": code, "geometry": geometry, "properties": props}));
    }
    features.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    Ok(features)
}

/// The boundaries' vintage from the ONS field names (`WD23CD` → `2023`, `LSOA21CD` → `2021`);
/// `None` for the bundled `area_code` files.
pub(crate) fn boundary_vintage(path: &Path) -> Result<Option<String>, PlaceError> {
    let v = read_json(path)?;
    Ok(match naming(&v, path)? {
        Naming::Bundled => None,
        Naming::Ons { vintage, .. } => Some(vintage),
    })
}
