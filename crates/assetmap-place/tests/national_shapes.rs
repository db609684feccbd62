//! The readers on the shapes ONS and Nomis publish nationally (ONS Postcode Directory and NSPL,
//! Open Geography Portal boundaries in WGS84 and British National Grid, ONS small-area
//! population tables, Nomis bulk census tables), made here from the bundled Trafford files:
//! they must give what the bundled files give. Then a place built from national-shape files
//! must equal the bundled place.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

// The readers are crate-private: compile them here too, with the error and figures types they
// use (the same files as the library's).
#[allow(dead_code)]
#[path = "../src/error.rs"]
mod error;
#[allow(dead_code)]
#[path = "../src/figures.rs"]
mod figures;
#[allow(dead_code, unused_imports)]
#[path = "../src/read/mod.rs"]
mod read;

use assetmap_core::crs::wgs84_to_national_grid;
use assetmap_core::{LonLat, Postcode};
use assetmap_index::AreaLevel;
use assetmap_place::{Place, PlaceDefinition};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn trafford(rel: &str) -> PathBuf {
    repo().join("data/sources/trafford").join(rel)
}

const POSTCODES: &str = "postcodes/trafford_postcodes.csv";
const POPULATION: [(&str, &str); 3] = [
    (
        "population/mid-year_2024_population_estimates_lsoa.csv",
        "LSOA 2021",
    ),
    (
        "population/mid-year_2024_population_estimates_msoa.csv",
        "MSOA 2021",
    ),
    (
        "population/mid-year_2024_population_estimates_ward.csv",
        "Ward 2023",
    ),
];
const CENSUS: [&str; 4] = [
    "census2021/2021_general_health_lsoa_trafford.csv",
    "census2021/2021_disability_lsoa_trafford.csv",
    "census2021/2021_unpaid_care_lsoa_trafford.csv",
    "census2021/2021_car_van_availability_lsoa_trafford.csv",
];
/// Bundled boundary file, level, ONS field prefix.
const BOUNDARIES: [(&str, AreaLevel, &str); 5] = [
    (
        "boundaries/trafford_local_authority_generalised.geojson",
        AreaLevel::La,
        "LAD23",
    ),
    (
        "boundaries/trafford_ward_generalised.geojson",
        AreaLevel::Ward,
        "WD23",
    ),
    (
        "boundaries/trafford_msoa_generalised.geojson",
        AreaLevel::Msoa,
        "MSOA21",
    ),
    (
        "boundaries/trafford_lsoa_generalised.geojson",
        AreaLevel::Lsoa,
        "LSOA21",
    ),
    (
        "boundaries/trafford_ward_full_resolution.geojson",
        AreaLevel::Ward,
        "WD23",
    ),
];

struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn read(path: &Path) -> Table {
        let mut r = csv::Reader::from_path(path).unwrap();
        let headers = r.headers().unwrap().iter().map(str::to_owned).collect();
        let rows = r
            .records()
            .map(|rec| rec.unwrap().iter().map(str::to_owned).collect())
            .collect();
        Table { headers, rows }
    }

    fn col(&self, name: &str) -> usize {
        self.headers.iter().position(|h| h == name).unwrap()
    }
}

fn write_csv(path: &Path, headers: &[String], rows: &[Vec<String>]) {
    let mut w = csv::Writer::from_path(path).unwrap();
    w.write_record(headers).unwrap();
    for row in rows {
        w.write_record(row).unwrap();
    }
    w.flush().unwrap();
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

// ---------------------------------------------------------------------------------------------
// Postcodes

const ONSPD_HEADERS: [&str; 12] = [
    "pcd", "pcd2", "pcds", "dointr", "doterm", "oscty", "oslaua", "osward", "lsoa21", "msoa21",
    "lat", "long",
];
/// NSPL's names, upper case, without `pcds` (so `pcd` is used).
const NSPL_HEADERS: [&str; 10] = [
    "PCD", "PCD2", "DOINTR", "DOTERM", "LAUA", "WARD", "LSOA21CD", "MSOA21CD", "LAT", "LONG",
];

/// `M1 1AA` in the 7-character `pcd` form, `M1  1AA`.
fn pcd7(postcode: &str) -> String {
    let (outward, inward) = postcode.split_once(' ').unwrap();
    format!("{outward:<4}{inward}")
}

/// The bundled postcode table as the ONS Postcode Directory (or NSPL) would have it; with
/// `extras`, two more rows: a terminated postcode and one without a grid reference.
fn national_postcodes(dir: &Path, headers: &[&str], extras: bool) -> PathBuf {
    let t = Table::read(&trafford(POSTCODES));
    let field = |row: &[String], name: &str| row[t.col(name)].clone();
    let mut rows: Vec<Vec<String>> = t
        .rows
        .iter()
        .map(|row| {
            headers
                .iter()
                .map(|h| match h.to_ascii_lowercase().as_str() {
                    "pcd" => pcd7(&field(row, "postcode")),
                    "pcd2" | "pcds" => field(row, "postcode"),
                    "dointr" => "198001".to_owned(),
                    "doterm" => String::new(),
                    "oscty" => "E99999999".to_owned(),
                    "oslaua" | "laua" => field(row, "la_code"),
                    "osward" | "ward" => field(row, "ward_code"),
                    "lsoa21" | "lsoa21cd" => field(row, "lsoa_code"),
                    "msoa21" | "msoa21cd" => field(row, "msoa_code"),
                    "lat" => field(row, "lat"),
                    "long" => field(row, "lon"),
                    other => panic!("no value for {other}"),
                })
                .collect()
        })
        .collect();
    if extras {
        let mut terminated = rows[0].clone();
        let mut no_grid = rows[0].clone();
        for (i, h) in headers.iter().enumerate() {
            match h.to_ascii_lowercase().as_str() {
                "pcd" => {
                    terminated[i] = "M15 9ZZ".into();
                    no_grid[i] = "M15 9ZY".into();
                }
                "pcd2" | "pcds" => {
                    terminated[i] = "M15 9ZZ".into();
                    no_grid[i] = "M15 9ZY".into();
                }
                "doterm" => terminated[i] = "202001".into(),
                "lat" => no_grid[i] = "99.999999".into(),
                "long" => no_grid[i] = "0.000000".into(),
                _ => {}
            }
        }
        rows.push(terminated);
        rows.push(no_grid);
    }
    let path = dir.join(if headers.len() == ONSPD_HEADERS.len() {
        "ONSPD_FEB_2025_UK.csv"
    } else {
        "NSPL21_FEB_2025_UK.csv"
    });
    write_csv(&path, &strings(headers), &rows);
    path
}

fn standard(postcode: &str) -> String {
    Postcode::parse(postcode).unwrap().to_string()
}

#[test]
fn postcode_directory_and_nspl_give_the_bundled_rows() {
    let dir = tempfile::tempdir().unwrap();
    let bundled = read::postcode_rows(&trafford(POSTCODES), &mut |_| true).unwrap();
    assert!(bundled.len() > 10_000);
    assert!(bundled
        .iter()
        .all(|r| !r.terminated && !r.ward_name.is_empty()));
    for headers in [&ONSPD_HEADERS[..], &NSPL_HEADERS[..]] {
        let path = national_postcodes(dir.path(), headers, true);
        let national = read::postcode_rows(&path, &mut |_| true).unwrap();
        assert_eq!(national.len(), bundled.len() + 2, "{}", path.display());
        for (b, n) in bundled.iter().zip(&national) {
            assert_eq!(n.ward_name, "");
            assert!(!n.terminated);
            let mut expected = b.clone();
            expected.ward_name.clear();
            let mut got = n.clone();
            // NSPL has only the 7-character `pcd`: the same postcode in standard form.
            assert_eq!(standard(&got.postcode), standard(&expected.postcode));
            got.postcode = expected.postcode.clone();
            assert_eq!(got, expected);
        }
        let terminated = &national[bundled.len()];
        assert_eq!(standard(&terminated.postcode), "M15 9ZZ");
        assert!(terminated.terminated);
        assert!(terminated.lat.is_some() && terminated.lon.is_some());
        let no_grid = &national[bundled.len() + 1];
        assert_eq!(standard(&no_grid.postcode), "M15 9ZY");
        assert!(!no_grid.terminated);
        assert_eq!((no_grid.lon, no_grid.lat), (None, None));
    }
}

#[test]
fn postcode_rows_keeps_only_what_the_filter_keeps() {
    let dir = tempfile::tempdir().unwrap();
    let path = national_postcodes(dir.path(), &ONSPD_HEADERS, false);
    let ward = "E05015247";
    let bundled = read::postcode_rows(&trafford(POSTCODES), &mut |r| r.ward_code == ward).unwrap();
    let mut seen = 0;
    let national = read::postcode_rows(&path, &mut |r| {
        seen += 1;
        r.ward_code == ward
    })
    .unwrap();
    assert!(!bundled.is_empty());
    assert_eq!(national.len(), bundled.len());
    assert!(national.iter().all(|r| r.ward_code == ward));
    assert!(seen > 10_000, "every row is offered to the filter");
    assert!(read::postcode_rows(&path, &mut |_| false)
        .unwrap()
        .is_empty());
}

#[test]
fn a_postcode_table_of_neither_shape_is_an_error_naming_the_file_and_both_shapes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("not_postcodes.csv");
    std::fs::write(&path, "code,easting,northing\nM1 1AA,1,2\n").unwrap();
    let e = read::postcode_rows(&path, &mut |_| true)
        .unwrap_err()
        .to_string();
    assert!(e.contains("not_postcodes.csv"), "{e}");
    assert!(
        e.contains("la_code") && e.contains("pcds") && e.contains("oslaua"),
        "{e}"
    );
    // The national shape without a needed column names it.
    let path = dir.path().join("onspd_without_ward.csv");
    std::fs::write(&path, "pcds,lat,long,oslaua,lsoa21,msoa21\n").unwrap();
    let e = read::postcode_rows(&path, &mut |_| true)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("onspd_without_ward.csv") && e.contains("osward"),
        "{e}"
    );
}

// ---------------------------------------------------------------------------------------------
// Boundaries

/// How to re-shape a boundary file.
#[derive(Clone, Copy, PartialEq)]
enum Crs {
    Wgs84,
    /// British National Grid with a `crs` member naming EPSG 27700.
    NationalGridNamed,
    /// British National Grid without a `crs` member (known by the metres).
    NationalGridBare,
}

fn map_positions(v: &mut Value, f: &dyn Fn([f64; 2]) -> [f64; 2]) {
    let Some(a) = v.as_array_mut() else {
        return;
    };
    if a.first().is_some_and(Value::is_number) {
        let p = f([a[0].as_f64().unwrap(), a[1].as_f64().unwrap()]);
        *v = json!(p);
    } else {
        for x in a {
            map_positions(x, f);
        }
    }
}

/// A bundled boundary file as the Open Geography Portal publishes it: `<prefix>CD`,
/// `<prefix>NM` (and the usual other fields), in `crs`.
fn ons_boundaries(dir: &Path, rel: &str, prefix: &str, crs: Crs) -> PathBuf {
    let mut v: Value =
        serde_json::from_str(&std::fs::read_to_string(trafford(rel)).unwrap()).unwrap();
    for f in v["features"].as_array_mut().unwrap() {
        let code = f["properties"]["area_code"].clone();
        let name = f["properties"]["area_name"].clone();
        let mut props = json!({
            format!("{prefix}CD"): code,
            format!("{prefix}NM"): name,
            format!("{prefix}NMW"): "",
            "BNG_E": 380000,
            "BNG_N": 390000,
            "GlobalID": "0f4a",
        });
        if prefix.starts_with("LSOA") {
            // Some files carry the authority too: the finer pair is the area's.
            props["LAD22CD"] = json!("E08000009");
            props["LAD22NM"] = json!("Trafford");
        }
        f["properties"] = props;
        if crs != Crs::Wgs84 {
            map_positions(&mut f["geometry"]["coordinates"], &|[lon, lat]| {
                wgs84_to_national_grid(LonLat::new(lon, lat).unwrap()).unwrap()
            });
        }
    }
    let obj = v.as_object_mut().unwrap();
    match crs {
        Crs::Wgs84 => {}
        Crs::NationalGridNamed => {
            obj.insert(
                "crs".into(),
                json!({"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}}),
            );
        }
        Crs::NationalGridBare => {
            obj.remove("crs");
        }
    }
    let file = Path::new(rel).file_name().unwrap().to_string_lossy();
    let path = dir.join(format!(
        "{}_{prefix}_{}",
        match crs {
            Crs::Wgs84 => "wgs84",
            Crs::NationalGridNamed => "bng",
            Crs::NationalGridBare => "bng_bare",
        },
        file
    ));
    std::fs::write(&path, serde_json::to_string(&v).unwrap()).unwrap();
    path
}

fn positions(v: &Value, out: &mut Vec<[f64; 2]>) {
    if let Some(a) = v.as_array() {
        if a.first().is_some_and(Value::is_number) {
            out.push([a[0].as_f64().unwrap(), a[1].as_f64().unwrap()]);
        } else {
            for x in a {
                positions(x, out);
            }
        }
    }
}

fn assert_close(a: &[[f64; 2]], b: &[[f64; 2]], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}");
    for (p, q) in a.iter().zip(b) {
        assert!(
            (p[0] - q[0]).abs() < 1e-6 && (p[1] - q[1]).abs() < 1e-6,
            "{what}: {p:?} vs {q:?}"
        );
    }
}

#[test]
fn ons_boundaries_in_wgs84_give_the_bundled_features_and_areas() {
    let dir = tempfile::tempdir().unwrap();
    for (rel, level, prefix) in BOUNDARIES {
        let bundled = trafford(rel);
        let ons = ons_boundaries(dir.path(), rel, prefix, Crs::Wgs84);
        assert_eq!(
            read::boundary_features(&ons, level).unwrap(),
            read::boundary_features(&bundled, level).unwrap(),
            "{rel}"
        );
        assert_eq!(
            read::area_inputs(&ons).unwrap(),
            read::area_inputs(&bundled).unwrap(),
            "{rel}"
        );
        assert_eq!(read::boundary_vintage(&bundled).unwrap(), None);
        let vintage = format!("20{}", &prefix[prefix.len() - 2..]);
        assert_eq!(read::boundary_vintage(&ons).unwrap(), Some(vintage));
    }
}

#[test]
fn ons_boundaries_in_national_grid_are_reprojected() {
    let dir = tempfile::tempdir().unwrap();
    for (rel, level, prefix, crs) in [
        (
            BOUNDARIES[0].0,
            BOUNDARIES[0].1,
            BOUNDARIES[0].2,
            Crs::NationalGridNamed,
        ),
        (
            BOUNDARIES[1].0,
            BOUNDARIES[1].1,
            BOUNDARIES[1].2,
            Crs::NationalGridBare,
        ),
    ] {
        let bundled = trafford(rel);
        let bng = ons_boundaries(dir.path(), rel, prefix, crs);
        let mut metres = Vec::new();
        let file: Value = serde_json::from_str(&std::fs::read_to_string(&bng).unwrap()).unwrap();
        positions(&file["features"][0]["geometry"]["coordinates"], &mut metres);
        assert!(
            metres[0][0] > 300_000.0 && metres[0][1] > 300_000.0,
            "{metres:?}"
        );
        let expected = read::boundary_features(&bundled, level).unwrap();
        let got = read::boundary_features(&bng, level).unwrap();
        assert_eq!(got.len(), expected.len());
        for (g, e) in got.iter().zip(&expected) {
            assert_eq!(g["id"], e["id"]);
            assert_eq!(g["properties"], e["properties"]);
            assert_eq!(g["geometry"]["type"], e["geometry"]["type"]);
            let (mut a, mut b) = (Vec::new(), Vec::new());
            positions(&g["geometry"]["coordinates"], &mut a);
            positions(&e["geometry"]["coordinates"], &mut b);
            assert_close(&a, &b, rel);
        }
        let got = read::area_inputs(&bng).unwrap();
        let expected = read::area_inputs(&bundled).unwrap();
        assert_eq!(got.len(), expected.len());
        for (g, e) in got.iter().zip(&expected) {
            assert_eq!((&g.code, &g.name), (&e.code, &e.name));
            assert_eq!(g.polygons.len(), e.polygons.len());
            for (pg, pe) in g.polygons.iter().zip(&e.polygons) {
                assert_eq!(pg.len(), pe.len());
                for (rg, re) in pg.iter().zip(pe) {
                    assert_close(rg, re, &g.code);
                }
            }
        }
    }
}

#[test]
fn boundaries_without_code_properties_are_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no_codes.geojson");
    let v = json!({"type": "FeatureCollection", "features": [{"type": "Feature",
        "properties": {"OBJECTID": 1, "SHAPE_Area": 2.0},
        "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}}]});
    std::fs::write(&path, v.to_string()).unwrap();
    for e in [
        read::area_inputs(&path).map(|_| ()).unwrap_err(),
        read::boundary_features(&path, AreaLevel::Ward)
            .map(|_| ())
            .unwrap_err(),
    ] {
        let e = e.to_string();
        assert!(e.contains("no_codes.geojson"), "{e}");
        assert!(e.contains("area_code") && e.contains("WD23CD"), "{e}");
    }
}

// ---------------------------------------------------------------------------------------------
// Population

/// A bundled population file as an ONS small-area estimates table (`sapelsoasyoa…`): one row
/// per area, `F0`…`F90`, `M0`…`M90`; with `bad_total`, the first area's Total is one too many.
fn sape(dir: &Path, rel: &str, level: &str, bad_total: bool) -> PathBuf {
    let t = Table::read(&trafford(rel));
    let ages: Vec<String> = (0..90)
        .map(|a| a.to_string())
        .chain(["90+".to_owned()])
        .collect();
    let mut headers = strings(&[
        "LAD 2023 Code",
        "LAD 2023 Name",
        &format!("{level} Code"),
        &format!("{level} Name"),
        "Total",
    ]);
    for sex in ["F", "M"] {
        headers.extend((0..=90).map(|a| format!("{sex}{a}")));
    }
    let (code, name, sex, all) = (
        t.col("area_code"),
        t.col("area_name"),
        t.col("sex"),
        t.col("all_ages"),
    );
    let mut by_area: BTreeMap<String, BTreeMap<String, Vec<String>>> = BTreeMap::new();
    for row in &t.rows {
        by_area
            .entry(row[code].clone())
            .or_default()
            .insert(row[sex].clone(), row.clone());
    }
    let mut rows = Vec::new();
    for (i, (area, sexes)) in by_area.iter().enumerate() {
        let persons = &sexes["Persons"];
        let mut total: u64 = persons[all].parse().unwrap();
        if bad_total && i == 0 {
            total += 1;
        }
        // Spreadsheets saved as CSV keep the thousands separators.
        let total = if total >= 1000 {
            format!("{},{:03}", total / 1000, total % 1000)
        } else {
            total.to_string()
        };
        let mut row = vec![
            "E08000009".to_owned(),
            "Trafford".to_owned(),
            area.clone(),
            persons[name].clone(),
            total,
        ];
        for s in ["Females", "Males"] {
            row.extend(ages.iter().map(|a| sexes[s][t.col(a)].clone()));
        }
        rows.push(row);
    }
    let path = dir.join(format!(
        "sape_{}{}.csv",
        level.replace(' ', "_"),
        if bad_total { "_bad" } else { "" }
    ));
    write_csv(&path, &headers, &rows);
    path
}

#[test]
fn ons_small_area_population_tables_give_the_bundled_populations() {
    let dir = tempfile::tempdir().unwrap();
    for (rel, level) in POPULATION {
        let bundled = read::population(&trafford(rel)).unwrap();
        assert!(!bundled.is_empty());
        let ons = read::population(&sape(dir.path(), rel, level, false)).unwrap();
        assert_eq!(ons, bundled, "{rel}");
    }
}

#[test]
fn a_population_total_that_disagrees_with_the_single_years_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let (rel, level) = POPULATION[0];
    let path = sape(dir.path(), rel, level, true);
    let e = read::population(&path).unwrap_err().to_string();
    assert!(e.contains(&path.display().to_string()), "{e}");
    assert!(e.contains("E01") && e.contains("Total"), "{e}");

    let path = dir.path().join("not_population.csv");
    std::fs::write(&path, "geography,count\nE01000001,5\n").unwrap();
    let e = read::population(&path).unwrap_err().to_string();
    assert!(e.contains("not_population.csv"), "{e}");
    assert!(
        e.contains("all_ages") && e.contains("F90") && e.contains("geography code"),
        "{e}"
    );
}

/// A bundled population file as Nomis's tidy CSV: persons (`Total`) rows for `All Ages`,
/// `Age 0` … `Aged 90+` and some bands (with `singles`), or only the three bands; and a few
/// male rows and percentages, which are not read.
fn nomis_population(dir: &Path, rel: &str, singles: bool) -> PathBuf {
    let t = Table::read(&trafford(rel));
    let (code, name, sex) = (t.col("area_code"), t.col("area_name"), t.col("sex"));
    let headers = strings(&[
        "date",
        "geography",
        "geography code",
        "gender",
        "age",
        "measures",
        "value",
    ]);
    let mut rows = Vec::new();
    for row in &t.rows {
        let gender = match row[sex].as_str() {
            "Persons" => "Total",
            "Males" => "Male",
            _ => continue,
        };
        let mut push = |age: &str, measures: &str, value: &str| {
            rows.push(strings(&[
                "2024", &row[name], &row[code], gender, age, measures, value,
            ]));
        };
        push("All Ages", "Value", &row[t.col("all_ages")]);
        push("All Ages", "Percent", "100.0");
        push("Aged 0 to 15", "Value", &row[t.col("aged_0_to_15")]);
        push("Aged 16 to 64", "Value", &row[t.col("aged_16_to_64")]);
        push("Aged 65+", "Value", &row[t.col("aged_65_and_over")]);
        push("Aged 16 to 24", "Value", "1");
        if singles {
            for a in 0..90 {
                push(&format!("Age {a}"), "Value", &row[t.col(&a.to_string())]);
            }
            push("Aged 90+", "Value", &row[t.col("90+")]);
        }
    }
    let path = dir.join(format!(
        "nomis_{}_{}",
        if singles { "single_years" } else { "bands" },
        Path::new(rel).file_name().unwrap().to_string_lossy()
    ));
    write_csv(&path, &headers, &rows);
    path
}

#[test]
fn nomis_population_csv_gives_the_bundled_populations() {
    let dir = tempfile::tempdir().unwrap();
    for (rel, _) in POPULATION {
        let bundled = read::population(&trafford(rel)).unwrap();
        for singles in [true, false] {
            let path = nomis_population(dir.path(), rel, singles);
            assert_eq!(read::population(&path).unwrap(), bundled, "{rel} {singles}");
        }
    }
}

#[test]
fn a_nomis_population_file_that_does_not_add_up_is_an_error_naming_the_area() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nomis_population.csv");
    let mut text = "date,geography,geography code,gender,age,measures,value\n".to_owned();
    text.push_str("2024,Trafford 001A,E01006109,Total,All Ages,Value,1000\n");
    for (age, n) in [
        ("Aged 0 to 15", 200),
        ("Aged 16 to 64", 600),
        ("Aged 65+", 199),
    ] {
        text.push_str(&format!(
            "2024,Trafford 001A,E01006109,Total,{age},Value,{n}\n"
        ));
    }
    std::fs::write(&path, &text).unwrap();
    let e = read::population(&path).unwrap_err().to_string();
    assert!(
        e.contains("nomis_population.csv") && e.contains("E01006109"),
        "{e}"
    );
    assert!(e.contains("All Ages 1000") && e.contains("999"), "{e}");
    // Only male rows: no persons figures.
    std::fs::write(&path, text.replace(",Total,", ",Male,")).unwrap();
    let e = read::population(&path).unwrap_err().to_string();
    assert!(
        e.contains("nomis_population.csv") && e.contains("no persons rows"),
        "{e}"
    );
    // Single years with one missing.
    let mut text = "date,geography,geography code,gender,age,measures,value\n".to_owned();
    for a in (0..90).filter(|&a| a != 42) {
        text.push_str(&format!(
            "2024,Trafford 001A,E01006109,Total,Age {a},Value,1\n"
        ));
    }
    text.push_str("2024,Trafford 001A,E01006109,Total,Aged 90+,Value,1\n");
    std::fs::write(&path, &text).unwrap();
    let e = read::population(&path).unwrap_err().to_string();
    assert!(e.contains("E01006109") && e.contains("age 42"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// Census

/// The Nomis topic and total column of each bundled (long) census file, in [`CENSUS`] order.
const NOMIS: [(&str, &str); 4] = [
    ("General health", "Total: All usual residents"),
    ("Disability", "Total: All usual residents"),
    (
        "Provision of unpaid care",
        "Total: All usual residents aged 5 and over",
    ),
    ("Number of cars or vans", "Total: All households"),
];

/// A bundled long census table pivoted to the Nomis bulk (wide) shape, with the parent
/// categories Nomis adds (disabled, not disabled; 19 hours or less, 20 to 49 hours). The car
/// table's columns carry the `; measures: Value` some bulk files have.
fn nomis(dir: &Path, which: usize) -> PathBuf {
    let t = Table::read(&trafford(CENSUS[which]));
    let (topic, total_name) = NOMIS[which];
    let (code, name, value) = (t.col("area_code"), t.col("area_name"), t.col("value"));
    let mut categories: Vec<String> = Vec::new();
    let mut areas: BTreeMap<String, (String, BTreeMap<String, u64>)> = BTreeMap::new();
    for row in &t.rows {
        if row[t.col("measure")] != "Count" {
            continue;
        }
        let cat = row[5].clone();
        if !categories.contains(&cat) {
            categories.push(cat.clone());
        }
        areas
            .entry(row[code].clone())
            .or_insert_with(|| (row[name].clone(), BTreeMap::new()))
            .1
            .insert(cat, row[value].parse().unwrap());
    }
    let parents: Vec<(&str, Vec<&str>)> = match which {
        1 => vec![
            ("Disabled under the Equality Act", vec!["Disabled under"]),
            ("Not disabled under the Equality Act", vec!["Not disabled"]),
        ],
        2 => vec![
            (
                "Provides 19 hours or less unpaid care a week",
                vec!["Provides 9 hours", "Provides 10 to 19"],
            ),
            (
                "Provides 20 to 49 hours unpaid care a week",
                vec!["Provides 20 to 34", "Provides 35 to 49"],
            ),
        ],
        _ => vec![],
    };
    let suffix = if which == 3 { "; measures: Value" } else { "" };
    let mut headers = strings(&["date", "geography", "geography code"]);
    headers.push(format!("{topic}: {total_name}{suffix}"));
    headers.extend(parents.iter().map(|(p, _)| format!("{topic}: {p}{suffix}")));
    headers.extend(categories.iter().map(|c| format!("{topic}: {c}{suffix}")));
    let rows: Vec<Vec<String>> = areas
        .iter()
        .map(|(area, (name, values))| {
            let mut row = vec!["2021".to_owned(), name.clone(), area.clone()];
            row.push(values.values().sum::<u64>().to_string());
            for (_, children) in &parents {
                let sum: u64 = values
                    .iter()
                    .filter(|(c, _)| children.iter().any(|p| c.starts_with(p)))
                    .map(|(_, v)| v)
                    .sum();
                row.push(sum.to_string());
            }
            row.extend(categories.iter().map(|c| values[c].to_string()));
            row
        })
        .collect();
    let path = dir.join(format!("census2021-ts03{which}-lsoa.csv"));
    write_csv(&path, &headers, &rows);
    path
}

#[test]
fn nomis_bulk_census_tables_give_the_bundled_need_counts() {
    let dir = tempfile::tempdir().unwrap();
    let long: Vec<PathBuf> = CENSUS.iter().map(|rel| trafford(rel)).collect();
    let wide: Vec<PathBuf> = (0..4).map(|i| nomis(dir.path(), i)).collect();
    let expected = read::census_lsoa(&long).unwrap();
    assert_eq!(expected.len(), 139);
    assert!(expected
        .values()
        .all(|n| n.bad_health > 0 && n.disabled > 0 && n.carers > 0 && n.households > 0));
    assert_eq!(read::census_lsoa(&wide).unwrap(), expected);
    // The shapes mix: two long tables and two wide ones.
    let mixed = vec![
        long[0].clone(),
        wide[1].clone(),
        long[2].clone(),
        wide[3].clone(),
    ];
    assert_eq!(read::census_lsoa(&mixed).unwrap(), expected);
    // The same table twice, once in each shape, is refused.
    let twice = vec![
        long[0].clone(),
        wide[0].clone(),
        long[1].clone(),
        long[2].clone(),
    ];
    let e = read::census_lsoa(&twice).unwrap_err().to_string();
    assert!(e.contains("second general_health"), "{e}");
}

#[test]
fn a_census_table_not_used_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut files: Vec<PathBuf> = CENSUS.iter().map(|rel| trafford(rel)).collect();
    let sex = dir.path().join("census2021-ts008-lsoa.csv");
    std::fs::write(
        &sex,
        "date,geography,geography code,Sex: All persons; measures: Value,Sex: Female; measures: Value,Sex: Male; measures: Value\n2021,Trafford 001A,E01006109,3,2,1\n",
    )
    .unwrap();
    files[0] = sex;
    let e = read::census_lsoa(&files).unwrap_err().to_string();
    assert!(e.contains("census2021-ts008-lsoa.csv"), "{e}");
    assert!(e.contains("not one of the census tables used"), "{e}");

    let sex = dir.path().join("census2021-ts008b-lsoa.csv");
    std::fs::write(
        &sex,
        "date,geography,geography code,Sex: Total: All usual residents,Sex: Female,Sex: Male\n2021,Trafford 001A,E01006109,3,2,1\n",
    )
    .unwrap();
    files[0] = sex;
    let e = read::census_lsoa(&files).unwrap_err().to_string();
    assert!(e.contains("census2021-ts008b-lsoa.csv"), "{e}");
    assert!(e.contains("\"Sex: Total: All usual residents\""), "{e}");

    let neither = dir.path().join("neither.csv");
    std::fs::write(&neither, "lsoa,count\nE01006109,3\n").unwrap();
    files[0] = neither;
    let e = read::census_lsoa(&files).unwrap_err().to_string();
    assert!(e.contains("neither.csv"), "{e}");
    assert!(
        e.contains("area_code") && e.contains("geography code"),
        "{e}"
    );
}

// ---------------------------------------------------------------------------------------------
// End to end

#[test]
fn a_place_built_from_national_shapes_equals_the_bundled_place() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let postcodes = national_postcodes(d, &ONSPD_HEADERS, false);
    let population: Vec<PathBuf> = POPULATION
        .iter()
        .map(|(rel, level)| sape(d, rel, level, false))
        .collect();
    let census: Vec<PathBuf> = (0..4).map(|i| nomis(d, i)).collect();
    let name = |p: &Path| format!("{:?}", p.file_name().unwrap().to_string_lossy());
    let bundled = |rel: &str| format!("{:?}", trafford(rel).display().to_string());
    let toml = format!(
        r#"title = "Trafford"
attribution = "Source: Office for National Statistics licensed under the Open Government Licence v3.0."
local_authorities = ["E08000009"]

[files]
postcodes = {postcodes}
population = [{population}]
census = [{census}]

[files.boundaries]
la = {la}
ward = {ward}
msoa = {msoa}
lsoa = {lsoa}

[files.assignment]
ward = {ward_full}
"#,
        postcodes = name(&postcodes),
        population = population
            .iter()
            .map(|p| name(p))
            .collect::<Vec<_>>()
            .join(", "),
        census = census
            .iter()
            .map(|p| name(p))
            .collect::<Vec<_>>()
            .join(", "),
        la = bundled(BOUNDARIES[0].0),
        ward = bundled(BOUNDARIES[1].0),
        msoa = bundled(BOUNDARIES[2].0),
        lsoa = bundled(BOUNDARIES[3].0),
        ward_full = bundled(BOUNDARIES[4].0),
    );
    let def_path = d.join("place.toml");
    std::fs::write(&def_path, toml).unwrap();
    let national = Place::build(&PlaceDefinition::read(&def_path).unwrap()).unwrap();
    let expected = Place::load(&repo().join("data")).unwrap();

    assert_eq!(national.postcodes().len(), expected.postcodes().len());
    assert_eq!(national.local_authorities(), expected.local_authorities());
    assert_eq!(
        national.best_fit.lsoa_to_ward,
        expected.best_fit.lsoa_to_ward
    );
    for level in AreaLevel::ALL {
        let codes = |p: &Place| -> Vec<String> {
            p.areas
                .areas(level)
                .iter()
                .map(|a| a.code().to_owned())
                .collect()
        };
        assert_eq!(codes(&national), codes(&expected), "{level:?}");
        assert!(!codes(&expected).is_empty());
        for ((n, e), code) in national
            .data(level)
            .iter()
            .zip(expected.data(level))
            .zip(codes(&expected))
        {
            assert_eq!(n.population, e.population, "{level:?} {code}");
            assert_eq!(n.need, e.need, "{level:?} {code}");
            assert_eq!(n.need_lsoas, e.need_lsoas, "{level:?} {code}");
            assert_eq!(n.postcodes, e.postcodes, "{level:?} {code}");
        }
        assert_eq!(national.boundaries(level), expected.boundaries(level));
    }
}
