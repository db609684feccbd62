//! Any council, its own place: a place pack built by `assetmap place build` from files with the
//! national files' exact column names and shapes (ONS Postcode Directory, Open Geography
//! boundaries, ONS small-area population, Nomis census bulk tables) — generated here from the
//! bundled Trafford sources plus a synthetic second authority, "Copyford", which is Trafford
//! moved 0.6° east with its own codes and postcodes — then served; per-area figures, geocoding
//! and search across both authorities are checked against brute force. And the bundled place
//! built into a pack serves byte-identical per-area figures to the bundled place itself.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use assetmap_server::config::{Seed, StoreLocation};
use assetmap_tests::{
    data_dir, sample_feature, spawn_app, spawn_app_with_settings, test_settings, TestApp, TestStore,
};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// How far east Copyford lies from Trafford, degrees.
const SHIFT: f64 = 0.6;
const TRAFFORD: &str = "E08000009";
const COPYFORD: &str = "E08999999";

fn sources() -> PathBuf {
    data_dir().join("sources/trafford")
}

/// Copyford's code for a Trafford code: `E05015239` → `E05915239` (the fourth digit set to 9).
fn copy_code(code: &str) -> String {
    if code == TRAFFORD {
        return COPYFORD.to_owned();
    }
    let mut c: Vec<char> = code.chars().collect();
    c[3] = '9';
    c.into_iter().collect()
}

/// Copyford's postcode for a Trafford one: the first letter becomes Q (`M33 7XY` → `Q33 7XY`).
fn copy_postcode(pc: &str) -> String {
    format!("Q{}", &pc[1..])
}

fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let headers = r.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = r
        .records()
        .map(|rec| rec.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (headers, rows)
}

fn write_csv(path: &Path, headers: &[String], rows: &[Vec<String>]) {
    let mut w = csv::Writer::from_path(path).unwrap();
    w.write_record(headers).unwrap();
    for r in rows {
        w.write_record(r).unwrap();
    }
    w.flush().unwrap();
}

fn col(headers: &[String], name: &str) -> usize {
    headers.iter().position(|h| h == name).unwrap()
}

/// The ONS Postcode Directory's shape (a subset of its 50-odd columns, in its order), for
/// Trafford, Copyford, and a few postcodes of a third authority that must be left out. One
/// Copyford postcode is terminated.
fn postcode_directory(dir: &Path) -> PathBuf {
    let (h, rows) = read_csv(&sources().join("postcodes/trafford_postcodes.csv"));
    let (pc, la, ward, lsoa, msoa, lon, lat) = (
        col(&h, "postcode"),
        col(&h, "la_code"),
        col(&h, "ward_code"),
        col(&h, "lsoa_code"),
        col(&h, "msoa_code"),
        col(&h, "lon"),
        col(&h, "lat"),
    );
    let headers: Vec<String> = [
        "pcd", "pcd2", "pcds", "dointr", "doterm", "oscty", "ced", "oslaua", "osward", "parish",
        "usertype", "oseast1m", "osnrth1m", "osgrdind", "ctry", "rgn", "pcon", "lat", "long",
        "oa21", "lsoa21", "msoa21",
    ]
    .map(str::to_owned)
    .to_vec();
    let mut out = Vec::new();
    let mut push = |postcode: &str,
                    la: &str,
                    ward: &str,
                    lsoa: &str,
                    msoa: &str,
                    x: f64,
                    y: f64,
                    doterm: &str| {
        out.push(
            [
                postcode.replace(' ', ""),
                postcode.to_owned(),
                postcode.to_owned(),
                "198001".to_owned(),
                doterm.to_owned(),
                "E99999999".to_owned(),
                "E99999999".to_owned(),
                la.to_owned(),
                ward.to_owned(),
                "E43000172".to_owned(),
                "0".to_owned(),
                "377000".to_owned(),
                "390000".to_owned(),
                "1".to_owned(),
                "E92000001".to_owned(),
                "E12000002".to_owned(),
                "E14001000".to_owned(),
                format!("{y}"),
                format!("{x}"),
                "E00000000".to_owned(),
                lsoa.to_owned(),
                msoa.to_owned(),
            ]
            .to_vec(),
        );
    };
    for (i, r) in rows.iter().enumerate() {
        let (x, y): (f64, f64) = (r[lon].parse().unwrap(), r[lat].parse().unwrap());
        push(&r[pc], &r[la], &r[ward], &r[lsoa], &r[msoa], x, y, "");
        let doterm = if i == 7 { "202304" } else { "" };
        push(
            &copy_postcode(&r[pc]),
            COPYFORD,
            &copy_code(&r[ward]),
            &copy_code(&r[lsoa]),
            &copy_code(&r[msoa]),
            x + SHIFT,
            y,
            doterm,
        );
    }
    // A neighbouring authority's postcodes: three just over the border (metres from Trafford
    // postcodes), kept by the buffer; the rest far away, left out.
    for r in rows.iter().skip(100).take(3) {
        let x: f64 = r[lon].parse().unwrap();
        let y: f64 = r[lat].parse().unwrap();
        push(
            &format!("Y{}", &r[pc][1..]),
            "E08000010",
            "E05000001",
            "E01000001",
            "E02000001",
            x + 0.0001,
            y,
            "",
        );
    }
    for r in rows.iter().take(25) {
        let x: f64 = r[lon].parse().unwrap();
        let y: f64 = r[lat].parse().unwrap();
        push(
            &format!("Z{}", &r[pc][1..]),
            "E08000010",
            "E05000001",
            "E01000001",
            "E02000001",
            x - SHIFT,
            y,
            "",
        );
    }
    let path = dir.join("ONSPD_FEB_2025_UK.csv");
    write_csv(&path, &headers, &out);
    path
}

/// One level's boundaries as the Open Geography Portal publishes them: properties named
/// `<PREFIX><yy>CD` / `<PREFIX><yy>NM`, both authorities' areas in one file.
fn boundaries(dir: &Path, file: &str, prefix: &str, out_name: &str) -> PathBuf {
    let v: Value = serde_json::from_str(
        &std::fs::read_to_string(sources().join("boundaries").join(file)).unwrap(),
    )
    .unwrap();
    let (cd, nm) = (format!("{prefix}CD"), format!("{prefix}NM"));
    let mut features = Vec::new();
    for f in v["features"].as_array().unwrap() {
        let code = f["properties"]["area_code"].as_str().unwrap();
        let name = f["properties"]["area_name"].as_str().unwrap();
        features.push(
            json!({"type": "Feature", "properties": {&cd: code, &nm: name, "OBJECTID": 1},
                             "geometry": f["geometry"]}),
        );
        let mut moved = f["geometry"].clone();
        shift(&mut moved["coordinates"]);
        let copy_name = if code == TRAFFORD {
            "Copyford".to_owned()
        } else {
            format!("{name} (Copyford)")
        };
        features.push(json!({"type": "Feature", "properties": {&cd: copy_code(code), &nm: copy_name, "OBJECTID": 2},
                             "geometry": moved}));
    }
    let path = dir.join(out_name);
    std::fs::write(
        &path,
        json!({"type": "FeatureCollection", "name": out_name, "features": features}).to_string(),
    )
    .unwrap();
    path
}

fn shift(v: &mut Value) {
    match v {
        Value::Array(a) if a.len() >= 2 && a[0].is_number() => {
            a[0] = json!(a[0].as_f64().unwrap() + SHIFT);
        }
        Value::Array(a) => a.iter_mut().for_each(shift),
        _ => {}
    }
}

/// ONS small-area population estimates as a CSV: one row per area, `<Geography> Code`, `Total`,
/// `F0`…`F90`, `M0`…`M90`.
fn population(dir: &Path, file: &str, geography: &str) -> PathBuf {
    let (h, rows) = read_csv(&sources().join("population").join(file));
    let (code, name, sex, all) = (
        col(&h, "area_code"),
        col(&h, "area_name"),
        col(&h, "sex"),
        col(&h, "all_ages"),
    );
    let ages: Vec<usize> = (0..=89)
        .map(|a| col(&h, &a.to_string()))
        .chain([col(&h, "90+")])
        .collect();
    let mut headers = vec![
        format!("{geography} Code"),
        format!("{geography} Name"),
        "Total".to_owned(),
    ];
    headers.extend((0..=90).map(|a| format!("F{a}")));
    headers.extend((0..=90).map(|a| format!("M{a}")));
    let mut by_area: BTreeMap<String, (String, String, Vec<String>, Vec<String>)> = BTreeMap::new();
    for r in &rows {
        let e = by_area.entry(r[code].clone()).or_default();
        e.0 = r[name].clone();
        let singles: Vec<String> = ages.iter().map(|&i| r[i].clone()).collect();
        match r[sex].as_str() {
            "Persons" => e.1 = r[all].clone(),
            "Females" => e.2 = singles,
            "Males" => e.3 = singles,
            _ => {}
        }
    }
    let mut out = Vec::new();
    for (c, (n, total, f, m)) in by_area {
        for (code, name) in [
            (c.clone(), n.clone()),
            (copy_code(&c), format!("{n} (Copyford)")),
        ] {
            let mut row = vec![code, name, total.clone()];
            row.extend(f.iter().cloned());
            row.extend(m.iter().cloned());
            out.push(row);
        }
    }
    let path = dir.join(format!("sapelsoasyoa_{}.csv", geography.replace(' ', "_")));
    write_csv(&path, &headers, &out);
    path
}

/// A census table as Nomis bulk CSV: `date`, `geography`, `geography code`, then one column per
/// category, `<Table>: <category>`, the first `<Table>: Total: <universe>`; `parents` adds the
/// parent columns Nomis gives (their values are the sums of their children).
fn census(
    dir: &Path,
    file: &str,
    table: &str,
    universe: &str,
    parents: &[&str],
    out_name: &str,
) -> PathBuf {
    let (h, rows) = read_csv(&sources().join("census2021").join(file));
    let (code, name, measure, value) = (
        col(&h, "area_code"),
        col(&h, "area_name"),
        col(&h, "measure"),
        col(&h, "value"),
    );
    let category = 5;
    let mut cats: Vec<String> = Vec::new();
    let mut by_area: BTreeMap<String, (String, BTreeMap<String, u64>)> = BTreeMap::new();
    for r in rows.iter().filter(|r| r[measure] == "Count") {
        if !cats.contains(&r[category]) {
            cats.push(r[category].clone());
        }
        let e = by_area.entry(r[code].clone()).or_default();
        e.0 = r[name].clone();
        e.1.insert(r[category].clone(), r[value].parse().unwrap());
    }
    let mut headers: Vec<String> = ["date", "geography", "geography code"]
        .map(str::to_owned)
        .to_vec();
    headers.push(format!("{table}: Total: {universe}"));
    for p in parents {
        headers.push(format!("{table}: {p}"));
    }
    headers.extend(cats.iter().map(|c| format!("{table}: {c}")));
    let mut out = Vec::new();
    for (c, (n, counts)) in &by_area {
        for (code, name) in [
            (c.clone(), n.clone()),
            (copy_code(c), format!("{n} (Copyford)")),
        ] {
            let mut row = vec!["2021".to_owned(), name, code];
            row.push(counts.values().sum::<u64>().to_string());
            for p in parents {
                let sum: u64 = counts
                    .iter()
                    .filter(|(k, _)| k.starts_with(p))
                    .map(|(_, v)| v)
                    .sum();
                row.push(sum.to_string());
            }
            row.extend(cats.iter().map(|k| counts[k].to_string()));
            out.push(row);
        }
    }
    let path = dir.join(out_name);
    write_csv(&path, &headers, &out);
    path
}

/// Builds the two-authority pack with the real binary, as a council would, and returns its
/// path and what the command printed.
fn build_two_authority_pack(dir: &Path) -> (PathBuf, String) {
    build_pack(
        dir,
        &format!("{TRAFFORD},{COPYFORD}"),
        "Trafford and Copyford",
    )
}

/// A pack of `las` (comma-separated ONS codes) from the national-shaped files made in `dir`.
fn build_pack(dir: &Path, las: &str, title: &str) -> (PathBuf, String) {
    let postcodes = postcode_directory(dir);
    let la = boundaries(
        dir,
        "trafford_local_authority_generalised.geojson",
        "LAD23",
        "LAD_DEC_2023_UK_BGC.geojson",
    );
    let ward = boundaries(
        dir,
        "trafford_ward_generalised.geojson",
        "WD23",
        "WD_MAY_2023_UK_BGC.geojson",
    );
    let ward_full = boundaries(
        dir,
        "trafford_ward_full_resolution.geojson",
        "WD23",
        "WD_MAY_2023_UK_BFC.geojson",
    );
    let msoa = boundaries(
        dir,
        "trafford_msoa_generalised.geojson",
        "MSOA21",
        "MSOA_2021_EW_BGC.geojson",
    );
    let lsoa = boundaries(
        dir,
        "trafford_lsoa_generalised.geojson",
        "LSOA21",
        "LSOA_2021_EW_BGC.geojson",
    );
    let pop = [
        population(
            dir,
            "mid-year_2024_population_estimates_lsoa.csv",
            "LSOA 2021",
        ),
        population(
            dir,
            "mid-year_2024_population_estimates_msoa.csv",
            "MSOA 2021",
        ),
        population(
            dir,
            "mid-year_2024_population_estimates_ward.csv",
            "Ward 2023",
        ),
    ];
    let cen = [
        census(
            dir,
            "2021_general_health_lsoa_trafford.csv",
            "General health",
            "All usual residents",
            &[],
            "census2021-ts037-lsoa.csv",
        ),
        census(
            dir,
            "2021_disability_lsoa_trafford.csv",
            "Disability",
            "All usual residents",
            &[
                "Disabled under the Equality Act",
                "Not disabled under the Equality Act",
            ],
            "census2021-ts038-lsoa.csv",
        ),
        census(
            dir,
            "2021_unpaid_care_lsoa_trafford.csv",
            "Provision of unpaid care",
            "All usual residents aged 5 and over",
            &[],
            "census2021-ts039-lsoa.csv",
        ),
        census(
            dir,
            "2021_car_van_availability_lsoa_trafford.csv",
            "Number of cars or vans",
            "All households",
            &[],
            "census2021-ts045-lsoa.csv",
        ),
    ];
    let out = dir.join(format!("{}.gpkg", las.replace(',', "-")));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_assetmap-under-test"));
    cmd.args(["place", "build", "--la", las, "--title", title])
        .args([
            "--attribution",
            "Contains National Statistics and OS data © Crown copyright and database right 2025",
        ])
        .arg("--postcodes")
        .arg(&postcodes)
        .arg("--boundaries-la")
        .arg(&la)
        .arg("--boundaries-ward")
        .arg(&ward)
        .arg("--assignment-ward")
        .arg(&ward_full)
        .arg("--boundaries-msoa")
        .arg(&msoa)
        .arg("--boundaries-lsoa")
        .arg(&lsoa);
    for p in &pop {
        cmd.arg("--population").arg(p);
    }
    for c in &cen {
        cmd.arg("--census").arg(c);
    }
    cmd.args(["--buffer-m", "2000"]).arg("--out").arg(&out);
    let output = cmd.output().unwrap();
    let printed = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "place build failed: {}\n{printed}",
        String::from_utf8_lossy(&output.stderr)
    );
    (out, printed)
}

async fn serve_pack(pack: &Path) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = test_settings(
        StoreLocation::GeoPackage(dir.path().join("assets.gpkg")),
        Seed::Bundled,
    );
    settings.place = Some(pack.to_path_buf());
    // No title of its own: the page is titled after the place.
    settings.title = String::new();
    spawn_app_with_settings(dir, settings).await
}

/// Every feature of an area collection, by code.
async fn areas(app: &TestApp, level: &str, query: &str) -> BTreeMap<String, Value> {
    let doc = app
        .get(&format!(
            "/collections/areas-{level}/items?limit=10000&{query}"
        ))
        .await
        .json();
    doc["features"]
        .as_array()
        .unwrap_or_else(|| panic!("{level}: {doc}"))
        .iter()
        .map(|f| (f["id"].as_str().unwrap().to_owned(), f.clone()))
        .collect()
}

/// The bundled assets belong to the bundled place: a new store for a place that does not
/// cover its authorities starts empty, not with another council's register.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_place_without_the_bundled_authorities_starts_with_no_assets() {
    let work = tempfile::tempdir().unwrap();
    let (pack, printed) = build_pack(work.path(), COPYFORD, "Copyford");
    assert!(printed.contains("Wrote "), "{printed}");
    let app = serve_pack(&pack).await;
    let doc = app.get("/collections/assets/items?limit=1").await.json();
    assert_eq!(doc["numberMatched"], 0, "{doc}");
    // It is served all the same: a written asset is there.
    let r = app.create(&sample_feature("Copyford's first place")).await;
    assert_eq!(r.status, 201, "{}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_two_authority_pack_from_the_national_files_serves_both() {
    let work = tempfile::tempdir().unwrap();
    let (pack, printed) = build_two_authority_pack(work.path());
    // The report: both authorities, the other authority left out, the terminated postcode.
    assert!(
        printed.contains("E08000009 Trafford; E08999999 Copyford"),
        "{printed}"
    );
    assert!(printed.contains("1 terminated"), "{printed}");
    assert!(printed.contains("kept within the buffer: 3 "), "{printed}");
    assert!(
        printed.contains("ok   postcodes outside every ward (gaps): none"),
        "{printed}"
    );
    assert!(printed.contains("Wrote "), "{printed}");

    let app = serve_pack(&pack).await;
    // Copyford's assets: copies of 40 Trafford assets, moved with the place.
    let trafford = app
        .get("/collections/assets/items?limit=10000")
        .await
        .json();
    let originals: Vec<&Value> = trafford["features"]
        .as_array()
        .unwrap()
        .iter()
        .step_by(45)
        .take(40)
        .collect();
    assert_eq!(originals.len(), 40);
    let mut copies = BTreeMap::new();
    for (i, f) in originals.iter().enumerate() {
        let c = &f["geometry"]["coordinates"];
        let mut copy = sample_feature(&format!("Copyford copy {i}"));
        copy["geometry"]["coordinates"] = json!([c[0].as_f64().unwrap() + SHIFT, c[1]]);
        copy["properties"]["postcode"] = Value::Null;
        let r = app.create(&copy).await;
        assert_eq!(r.status, 201, "{}", r.body);
        copies.insert(
            f["id"].as_str().unwrap().to_owned(),
            r.json()["id"].as_str().unwrap().to_owned(),
        );
    }

    // Per-area figures: the local authority level has a row each; Copyford's reference figures
    // (population, need) are Trafford's, since it is a copy.
    let las = areas(&app, "la", "").await;
    assert_eq!(las.keys().collect::<Vec<_>>(), [TRAFFORD, COPYFORD]);
    for key in [
        "population",
        "bad_health_share",
        "disabled_share",
        "unpaid_care_share",
        "no_car_share",
    ] {
        assert_eq!(
            las[COPYFORD]["properties"][key], las[TRAFFORD]["properties"][key],
            "{key}"
        );
        assert!(!las[TRAFFORD]["properties"][key].is_null(), "{key}");
    }
    assert_eq!(las[COPYFORD]["properties"]["count_total"], 40);
    assert_eq!(las[COPYFORD]["properties"]["name"], "Copyford");
    // Wards: every ward of Copyford counts exactly the copies of the assets its Trafford twin
    // holds (brute force: each original's ward, by the server's own area filter).
    let wards = areas(&app, "ward", "").await;
    assert_eq!(wards.len(), 42);
    let mut expected: BTreeMap<String, i64> = BTreeMap::new();
    for w in wards.keys().filter(|c| !c.starts_with("E0591")) {
        let inside = app
            .get(&format!("/collections/assets/items?limit=10000&area={w}"))
            .await
            .json();
        let ids: BTreeSet<&str> = inside["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap())
            .collect();
        let n = copies.keys().filter(|o| ids.contains(o.as_str())).count() as i64;
        expected.insert(copy_code(w), n);
    }
    for (code, n) in &expected {
        assert_eq!(wards[code]["properties"]["count_total"], *n, "{code}");
        let twin = &wards[&code.replacen("E0591", "E0501", 1)];
        assert_eq!(
            wards[code]["properties"]["population"], twin["properties"]["population"],
            "{code}"
        );
    }
    assert_eq!(expected.values().sum::<i64>(), 40);

    // Geocoding in both authorities; a terminated postcode says so; unknown names both.
    let g = app.get("/geocode?postcode=M33%207XY").await.json();
    let q = app.get("/geocode?postcode=q33%207xy").await.json();
    assert_eq!(q["postcode"], "Q33 7XY");
    assert!((q["lon"].as_f64().unwrap() - g["lon"].as_f64().unwrap() - SHIFT).abs() < 1e-9);
    assert_eq!(q["ward_code"], copy_code(g["ward_code"].as_str().unwrap()));
    assert_eq!(
        q["ward_name"],
        format!("{} (Copyford)", g["ward_name"].as_str().unwrap())
    );
    // Just over the border: it geocodes (people there can be searched from).
    let neighbour = copy_postcode(&rows_postcode(100)).replacen('Q', "Y", 1);
    let n = app
        .get(&format!(
            "/geocode?postcode={}",
            neighbour.replace(' ', "%20")
        ))
        .await;
    assert_eq!(n.status, 200, "{neighbour}: {}", n.body);
    let unknown = app.get("/geocode?postcode=Z33%207XY").await;
    assert_eq!(
        unknown.status, 404,
        "the third authority's postcodes are left out"
    );
    assert!(
        unknown.body.contains("Trafford and Copyford"),
        "{}",
        unknown.body
    );
    let (h, rows) = read_csv(&sources().join("postcodes/trafford_postcodes.csv"));
    let terminated = copy_postcode(&rows[7][col(&h, "postcode")]);
    let t = app
        .get(&format!(
            "/geocode?postcode={}",
            terminated.replace(' ', "%20")
        ))
        .await
        .json();
    assert_eq!(t["terminated"], true, "{t}");
    assert!(t["note"].as_str().unwrap().contains("no longer in use"));

    // Search from a Copyford postcode finds the nearest assets of both authorities, in the
    // order of their distances (brute force over every asset).
    let all = app
        .get("/collections/assets/items?limit=10000")
        .await
        .json();
    let (x, y) = (q["lon"].as_f64().unwrap(), q["lat"].as_f64().unwrap());
    let mut by_distance: Vec<(f64, String)> = all["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let c = &f["geometry"]["coordinates"];
            let d = haversine_m(x, y, c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
            (d, f["id"].as_str().unwrap().to_owned())
        })
        .collect();
    by_distance.sort_by(|a, b| a.0.total_cmp(&b.0));
    let found = app
        .get("/search?postcode=Q33%207XY&sort=distance&radius=50000&limit=5")
        .await
        .json();
    let found: Vec<&str> = found["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    let nearest: Vec<&str> = by_distance
        .iter()
        .take(5)
        .map(|(_, id)| id.as_str())
        .collect();
    assert_eq!(found, nearest);
    assert!(
        found.iter().all(|id| copies.values().any(|c| c == id)),
        "the copies are nearest: {found:?}"
    );

    // The map opens on both authorities, with the pack's title.
    let config = app.get("/config.json").await.json();
    assert_eq!(config["title"], "Trafford and Copyford community assets");
    let b = config["bounds"].as_array().unwrap();
    assert!(
        b[2].as_f64().unwrap() - b[0].as_f64().unwrap() > SHIFT,
        "{b:?}"
    );
}

/// The postcode of row `i` of the bundled postcode table.
fn rows_postcode(i: usize) -> String {
    let (h, rows) = read_csv(&sources().join("postcodes/trafford_postcodes.csv"));
    rows[i][col(&h, "postcode")].clone()
}

fn haversine_m(x1: f64, y1: f64, x2: f64, y2: f64) -> f64 {
    let (p1, p2) = (y1.to_radians(), y2.to_radians());
    let (dp, dl) = ((y2 - y1).to_radians(), (x2 - x1).to_radians());
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6_371_008.8 * a.sqrt().asin()
}

/// The bundled place, built into a pack by the command and served from it, answers every
/// per-area figure byte for byte as the bundled place does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bundled_place_as_a_pack_serves_the_same_figures() {
    let work = tempfile::tempdir().unwrap();
    let pack = work.path().join("trafford.gpkg");
    let output = Command::new(env!("CARGO_BIN_EXE_assetmap-under-test"))
        .args(["place", "build", "--definition"])
        .arg(data_dir().join("place.toml"))
        .arg("--out")
        .arg(&pack)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let bundled = spawn_app(TestStore::GeoPackage).await;
    let packed = serve_pack(&pack).await;
    for level in ["la", "ward", "msoa", "lsoa"] {
        for query in ["", "category=food&walk_m=1000", "desert_share=0.6"] {
            let strip = |v: Value| {
                let mut v = v;
                v["metadata"]["generated_at"] = Value::Null;
                v["timeStamp"] = Value::Null;
                v["links"] = Value::Null;
                v
            };
            let path = format!("/collections/areas-{level}/items?limit=10000&{query}");
            let a = strip(bundled.get(&path).await.json())
                .to_string()
                .replace(&bundled.address, "HOST");
            let b = strip(packed.get(&path).await.json())
                .to_string()
                .replace(&packed.address, "HOST");
            assert!(a.len() > 1000, "{path}: {a}");
            assert_eq!(a, b, "{path}");
        }
    }
    for pc in ["M33%207XY", "WA14%201AH"] {
        let path = format!("/geocode?postcode={pc}");
        assert_eq!(bundled.get(&path).await.body, packed.get(&path).await.body);
    }
}
