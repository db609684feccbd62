//! Reading the bundled reference data for the JSNA layer: boundaries (as polygons for the
//! area index), mid-2024 population, census 2021 need counts, and the postcode table.

use anyhow::{anyhow, bail, Context};
use assetmap_index::{AreaInput, AreaLevel};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// `sources/trafford/` under the data folder.
pub(super) fn trafford(data_dir: &Path) -> std::path::PathBuf {
    data_dir.join("sources/trafford")
}

/// The boundary file used for **assignment** (point in polygon) at `level`.
///
/// Wards use the full-resolution boundaries (the generalised ones are for drawing). The
/// local authority is the union of the full-resolution wards (the generalised outline is 20 m
/// generalised and would disagree with the wards near the border). LSOAs and MSOAs exist only
/// generalised in the bundle.
pub(super) fn assignment_file(level: AreaLevel) -> &'static str {
    match level {
        AreaLevel::La | AreaLevel::Ward => "trafford_ward_full_resolution.geojson",
        AreaLevel::Msoa => "trafford_msoa_generalised.geojson",
        AreaLevel::Lsoa => "trafford_lsoa_generalised.geojson",
    }
}

fn read_json(path: &Path) -> anyhow::Result<Value> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("Failed to read boundaries {}", path.display()))?;
    serde_json::from_str(&text)
        .with_context(|| format!("Boundaries {} are not JSON", path.display()))
}

fn ring(v: &Value) -> anyhow::Result<Vec<[f64; 2]>> {
    v.as_array()
        .ok_or_else(|| anyhow!("a ring is not an array"))?
        .iter()
        .map(|p| {
            match (
                p.get(0).and_then(Value::as_f64),
                p.get(1).and_then(Value::as_f64),
            ) {
                (Some(x), Some(y)) => Ok([x, y]),
                _ => Err(anyhow!("a position is not [lon, lat]")),
            }
        })
        .collect()
}

fn polygon(v: &Value) -> anyhow::Result<Vec<Vec<[f64; 2]>>> {
    v.as_array()
        .ok_or_else(|| anyhow!("a polygon is not an array of rings"))?
        .iter()
        .map(ring)
        .collect()
}

/// The polygons of a GeoJSON `Polygon` or `MultiPolygon` geometry.
pub(super) fn polygons(geometry: &Value) -> anyhow::Result<Vec<Vec<Vec<[f64; 2]>>>> {
    let coords = &geometry["coordinates"];
    match geometry["type"].as_str() {
        Some("Polygon") => Ok(vec![polygon(coords)?]),
        Some("MultiPolygon") => coords
            .as_array()
            .ok_or_else(|| anyhow!("MultiPolygon coordinates are not an array"))?
            .iter()
            .map(polygon)
            .collect(),
        other => bail!("geometry type {other:?} is not Polygon or MultiPolygon"),
    }
}

/// The areas of one boundary file as [`AreaInput`]s (`area_code`, `area_name`).
pub(super) fn area_inputs(path: &Path) -> anyhow::Result<Vec<AreaInput>> {
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
            .with_context(|| format!("Area {code} in {}", path.display()))?;
        out.push(AreaInput {
            code: code.to_owned(),
            name: name.to_owned(),
            polygons,
        });
    }
    if out.is_empty() {
        bail!("{} has no features", path.display());
    }
    Ok(out)
}

/// The local authority (code, name) from the generalised outline's properties.
pub(super) fn la_identity(dir: &Path) -> anyhow::Result<(String, String)> {
    let path = dir.join("boundaries/trafford_local_authority_generalised.geojson");
    let v = read_json(&path)?;
    let p = &v["features"][0]["properties"];
    match (p["area_code"].as_str(), p["area_name"].as_str()) {
        (Some(c), Some(n)) => Ok((c.to_owned(), n.to_owned())),
        _ => bail!("{} has no area_code/area_name", path.display()),
    }
}

/// Usual residents on 30 June 2024 (ONS mid-year estimates), persons.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Population {
    pub all_ages: u64,
    pub aged_0_to_15: u64,
    pub aged_16_to_64: u64,
    pub aged_65_and_over: u64,
}

impl std::ops::AddAssign for Population {
    fn add_assign(&mut self, o: Population) {
        self.all_ages += o.all_ages;
        self.aged_0_to_15 += o.aged_0_to_15;
        self.aged_16_to_64 += o.aged_16_to_64;
        self.aged_65_and_over += o.aged_65_and_over;
    }
}

/// Reads `population/mid-year_2024_population_estimates_<geo>.csv` (rows with `sex` Persons).
pub(super) fn population(dir: &Path, geo: &str) -> anyhow::Result<HashMap<String, Population>> {
    let path = dir.join(format!(
        "population/mid-year_2024_population_estimates_{geo}.csv"
    ));
    let mut r = csv::Reader::from_path(&path)
        .with_context(|| format!("Failed to open population {}", path.display()))?;
    let h = r.headers()?.clone();
    let col = |name: &str| {
        h.iter()
            .position(|c| c == name)
            .ok_or_else(|| anyhow!("{} has no column {name}", path.display()))
    };
    let (code, sex, all, c0, c16, c65) = (
        col("area_code")?,
        col("sex")?,
        col("all_ages")?,
        col("aged_0_to_15")?,
        col("aged_16_to_64")?,
        col("aged_65_and_over")?,
    );
    let mut out = HashMap::new();
    for rec in r.records() {
        let rec = rec.with_context(|| format!("Failed to read {}", path.display()))?;
        if rec.get(sex) != Some("Persons") {
            continue;
        }
        let n = |i: usize| -> anyhow::Result<u64> {
            rec.get(i)
                .unwrap_or_default()
                .trim()
                .parse()
                .with_context(|| format!("a count in {} is not a whole number", path.display()))
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

/// Census 2021 counts behind the need indicators, for one area. Each indicator is a share:
/// numerator over the sum of every category of the same table (its total).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NeedCounts {
    /// Residents in bad or very bad health (general health table).
    pub bad_health: u64,
    /// All residents in the general health table.
    pub health_total: u64,
    /// Residents disabled under the Equality Act (day-to-day activities limited a lot or a little).
    pub disabled: u64,
    /// All residents in the disability table.
    pub disability_total: u64,
    /// Residents providing any unpaid care.
    pub carers: u64,
    /// All residents in the unpaid care table (aged 5 and over).
    pub care_total: u64,
    /// Households with no car or van.
    pub no_car: u64,
    /// All households in the car or van availability table.
    pub households: u64,
}

impl std::ops::AddAssign for NeedCounts {
    fn add_assign(&mut self, o: NeedCounts) {
        self.bad_health += o.bad_health;
        self.health_total += o.health_total;
        self.disabled += o.disabled;
        self.disability_total += o.disability_total;
        self.carers += o.carers;
        self.care_total += o.care_total;
        self.no_car += o.no_car;
        self.households += o.households;
    }
}

/// Reads the four LSOA census files: need counts by LSOA 2021 code.
pub(super) fn census_lsoa(dir: &Path) -> anyhow::Result<BTreeMap<String, NeedCounts>> {
    let mut out: BTreeMap<String, NeedCounts> = BTreeMap::new();
    type Pick = fn(&mut NeedCounts, &str, u64) -> bool;
    let tables: [(&str, Pick); 4] = [
        ("2021_general_health_lsoa_trafford.csv", |n, cat, v| {
            n.health_total += v;
            if cat == "Bad health" || cat == "Very bad health" {
                n.bad_health += v;
            }
            cat.ends_with("health")
        }),
        ("2021_disability_lsoa_trafford.csv", |n, cat, v| {
            n.disability_total += v;
            if cat.starts_with("Disabled under the Equality Act") {
                n.disabled += v;
            }
            cat.contains("Equality Act")
        }),
        ("2021_unpaid_care_lsoa_trafford.csv", |n, cat, v| {
            n.care_total += v;
            if cat != "Provides no unpaid care" {
                n.carers += v;
            }
            cat.starts_with("Provides")
        }),
        (
            "2021_car_van_availability_lsoa_trafford.csv",
            |n, cat, v| {
                n.households += v;
                if cat == "No cars or vans in household" {
                    n.no_car += v;
                }
                cat.ends_with("in household")
            },
        ),
    ];
    for (file, pick) in tables {
        let path = dir.join("census2021").join(file);
        let mut r = csv::Reader::from_path(&path)
            .with_context(|| format!("Failed to open census table {}", path.display()))?;
        let h = r.headers()?.clone();
        // Long format: area_code, area_name, geography, period, indicator, <category>, measure, unit, value.
        let pos = |name: &str| {
            h.iter()
                .position(|c| c == name)
                .ok_or_else(|| anyhow!("{} has no column {name}", path.display()))
        };
        let (code, measure, value) = (pos("area_code")?, pos("measure")?, pos("value")?);
        let category = 5;
        for rec in r.records() {
            let rec = rec.with_context(|| format!("Failed to read {}", path.display()))?;
            if rec.get(measure) != Some("Count") {
                continue;
            }
            let v: u64 = rec
                .get(value)
                .unwrap_or_default()
                .trim()
                .parse()
                .with_context(|| format!("a value in {} is not a count", path.display()))?;
            let cat = rec.get(category).unwrap_or_default();
            let entry = out
                .entry(rec.get(code).unwrap_or_default().to_owned())
                .or_default();
            if !pick(entry, cat, v) {
                bail!("{}: unexpected category {cat:?}", path.display());
            }
        }
    }
    Ok(out)
}

/// One row of the postcode table.
#[derive(Debug, Clone, serde::Deserialize)]
pub(super) struct PostcodeRow {
    pub postcode: String,
    pub ward_code: String,
    pub msoa_code: String,
    pub lsoa_code: String,
    pub la_code: String,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
}

/// Every positioned row of `postcodes/trafford_postcodes.csv`.
pub(super) fn postcode_rows(dir: &Path) -> anyhow::Result<Vec<PostcodeRow>> {
    let path = dir.join("postcodes/trafford_postcodes.csv");
    let mut r = csv::Reader::from_path(&path)
        .with_context(|| format!("Failed to open the postcode table {}", path.display()))?;
    let mut out = Vec::new();
    for row in r.deserialize::<PostcodeRow>() {
        let row = row.with_context(|| format!("Failed to read {}", path.display()))?;
        if row.lon.is_some() && row.lat.is_some() {
            out.push(row);
        }
    }
    Ok(out)
}
