//! Readers for the files a place is built from: boundaries (GeoJSON), mid-year population and
//! census 2021 tables (CSV, as ONS and Nomis publish them) and the postcode table.

use crate::error::PlaceError;
use crate::figures::{NeedCounts, Population};
use assetmap_index::{AreaInput, AreaLevel};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

fn read_json(path: &Path) -> Result<Value, PlaceError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        PlaceError::context(format!("Failed to read boundaries {}", path.display()), e)
    })?;
    serde_json::from_str(&text)
        .map_err(|e| PlaceError::context(format!("Boundaries {} are not JSON", path.display()), e))
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

/// The areas of one boundary file (properties `area_code`, `area_name`) as [`AreaInput`]s,
/// for point in polygon.
pub(crate) fn area_inputs(path: &Path) -> Result<Vec<AreaInput>, PlaceError> {
    let v = read_json(path)?;
    let mut out = Vec::new();
    for f in v["features"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        let code = f["properties"]["area_code"].as_str().unwrap_or_default();
        let name = f["properties"]["area_name"].as_str().unwrap_or_default();
        let polygons = polygons(&f["geometry"])
            .map_err(|e| PlaceError::context(format!("Area {code} in {}", path.display()), e))?;
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
/// `level`), sorted by code: what is served and drawn.
pub(crate) fn boundary_features(path: &Path, level: AreaLevel) -> Result<Vec<Value>, PlaceError> {
    let v = read_json(path)?;
    let mut features = Vec::new();
    for f in v["features"].as_array().cloned().unwrap_or_default() {
        let code = f["properties"]["area_code"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let name = f["properties"]["area_name"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if code.is_empty() {
            return Err(PlaceError::new(format!(
                "A feature in {} has no area_code",
                path.display()
            )));
        }
        let mut props = Map::new();
        props.insert("code".into(), Value::String(code.clone()));
        props.insert("name".into(), Value::String(name));
        props.insert("level".into(), Value::String(level.slug().into()));
        features.push(serde_json::json!({"type": "Feature", "id": code, "geometry": f["geometry"], "properties": props}));
    }
    features.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    Ok(features)
}

fn open_csv(path: &Path, what: &str) -> Result<csv::Reader<std::fs::File>, PlaceError> {
    csv::Reader::from_path(path)
        .map_err(|e| PlaceError::context(format!("Failed to open {what} {}", path.display()), e))
}

fn column(headers: &csv::StringRecord, path: &Path, name: &str) -> Result<usize, PlaceError> {
    headers
        .iter()
        .position(|c| c == name)
        .ok_or_else(|| PlaceError::new(format!("{} has no column {name}", path.display())))
}

/// Reads a mid-year population file (rows with `sex` Persons): persons by area code.
pub(crate) fn population(path: &Path) -> Result<HashMap<String, Population>, PlaceError> {
    let mut r = open_csv(path, "population")?;
    let h = r
        .headers()
        .map_err(|e| PlaceError::context(format!("Failed to read {}", path.display()), e))?
        .clone();
    let (code, sex, all, c0, c16, c65) = (
        column(&h, path, "area_code")?,
        column(&h, path, "sex")?,
        column(&h, path, "all_ages")?,
        column(&h, path, "aged_0_to_15")?,
        column(&h, path, "aged_16_to_64")?,
        column(&h, path, "aged_65_and_over")?,
    );
    let mut out = HashMap::new();
    for rec in r.records() {
        let rec =
            rec.map_err(|e| PlaceError::context(format!("Failed to read {}", path.display()), e))?;
        if rec.get(sex) != Some("Persons") {
            continue;
        }
        let n = |i: usize| -> Result<u64, PlaceError> {
            rec.get(i).unwrap_or_default().trim().parse().map_err(|e| {
                PlaceError::context(
                    format!("a count in {} is not a whole number", path.display()),
                    e,
                )
            })
        };
        out.insert(
            rec.get(code).unwrap_or_default().to_owned(),
            Population {
                all_ages: n(all)?,
                aged_0_to_15: n(c0)?,
                aged_16_to_64: n(c16)?,
                aged_65_and_over: n(c65)?,
            },
        );
    }
    Ok(out)
}

/// Which census table feeds which need count: a file name, and a function that adds one
/// category's value to the counts and says whether the category was expected.
type Pick = fn(&mut NeedCounts, &str, u64) -> bool;

/// The four census 2021 tables behind the need indicators, by LSOA: each known by a word in
/// the name of its category column (`general_health`, `disability_category`, …).
const CENSUS_TABLES: [(&str, Pick); 4] = [
    ("general_health", |n, cat, v| {
        n.health_total += v;
        if cat == "Bad health" || cat == "Very bad health" {
            n.bad_health += v;
        }
        cat.ends_with("health")
    }),
    ("disability", |n, cat, v| {
        n.disability_total += v;
        if cat.starts_with("Disabled under the Equality Act") {
            n.disabled += v;
        }
        cat.contains("Equality Act")
    }),
    ("unpaid_care", |n, cat, v| {
        n.care_total += v;
        if cat != "Provides no unpaid care" {
            n.carers += v;
        }
        cat.starts_with("Provides")
    }),
    ("availability", |n, cat, v| {
        n.households += v;
        if cat == "No cars or vans in household" {
            n.no_car += v;
        }
        cat.ends_with("in household")
    }),
];

/// Reads census tables by LSOA (the four of [`CENSUS_TABLES`], each once): need counts by
/// LSOA 2021 code. A table is known by its category column's name.
pub(crate) fn census_lsoa(files: &[PathBuf]) -> Result<BTreeMap<String, NeedCounts>, PlaceError> {
    let mut out: BTreeMap<String, NeedCounts> = BTreeMap::new();
    let mut seen: Vec<&str> = Vec::new();
    for path in files {
        let mut r = open_csv(path, "census table")?;
        let h = r
            .headers()
            .map_err(|e| PlaceError::context(format!("Failed to read {}", path.display()), e))?
            .clone();
        // Long format: area_code, area_name, geography, period, indicator, <category>, measure, unit, value.
        let (code, measure, value) = (
            column(&h, path, "area_code")?,
            column(&h, path, "measure")?,
            column(&h, path, "value")?,
        );
        let category = 5;
        let header = h.get(category).unwrap_or_default();
        let Some(&(table, pick)) = CENSUS_TABLES.iter().find(|(word, _)| header.contains(word))
        else {
            return Err(PlaceError::new(format!(
                "{} is not one of the census tables used (general health, disability, unpaid care, car or van availability): its category column is {header:?}",
                path.display()
            )));
        };
        if seen.contains(&table) {
            return Err(PlaceError::new(format!(
                "{} is a second {table} table; give each table once",
                path.display()
            )));
        }
        seen.push(table);
        for rec in r.records() {
            let rec = rec.map_err(|e| {
                PlaceError::context(format!("Failed to read {}", path.display()), e)
            })?;
            if rec.get(measure) != Some("Count") {
                continue;
            }
            let v: u64 = rec
                .get(value)
                .unwrap_or_default()
                .trim()
                .parse()
                .map_err(|e| {
                    PlaceError::context(format!("a value in {} is not a count", path.display()), e)
                })?;
            let cat = rec.get(category).unwrap_or_default();
            let entry = out
                .entry(rec.get(code).unwrap_or_default().to_owned())
                .or_default();
            if !pick(entry, cat, v) {
                return Err(PlaceError::new(format!(
                    "{}: unexpected category {cat:?}",
                    path.display()
                )));
            }
        }
    }
    if let Some((missing, _)) = CENSUS_TABLES.iter().find(|(t, _)| !seen.contains(t)) {
        return Err(PlaceError::new(format!(
            "No {missing} census table was given; the need figures use general health, disability, unpaid care and car or van availability"
        )));
    }
    Ok(out)
}

/// One row of the postcode table (an extract of the ONS Postcode Directory).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct PostcodeRow {
    pub postcode: String,
    pub la_code: String,
    pub ward_code: String,
    pub ward_name: String,
    pub msoa_code: String,
    pub lsoa_code: String,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    /// The postcode is no longer in use (the directory's `doterm` is set).
    #[serde(default)]
    pub terminated: bool,
}

/// Every row of the postcode table, in file order.
pub(crate) fn postcode_rows(path: &Path) -> Result<Vec<PostcodeRow>, PlaceError> {
    let mut r = open_csv(path, "the postcode table")?;
    let mut out = Vec::new();
    for row in r.deserialize::<PostcodeRow>() {
        out.push(row.map_err(|e| {
            PlaceError::context(
                format!("Failed to read the postcode table {}", path.display()),
                e,
            )
        })?);
    }
    Ok(out)
}
