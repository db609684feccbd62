//! CSV injection, end to end: assets whose public text starts with each character a spreadsheet
//! reads as a formula (`=`, `+`, `-`, `@`, tab, carriage return), written through the API on
//! both stores, then downloaded (`/downloads/assets.csv`) and exported (`assetmap export
//! --format csv`). No text cell may start a formula; the numeric columns (`lon` negative here)
//! must stay numbers.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use assetmap_server::StoreLocation;
use assetmap_tests::{spawn_app, TestApp, TestStore};
use serde_json::json;
use std::process::Command;

/// What a spreadsheet takes for the start of a formula.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Columns written as numbers (a leading `-` is a sign there).
const NUMERIC: [&str; 5] = ["min_age", "max_age", "version", "lon", "lat"];

/// A box around the test's assets, away from the bundled data's densest parts.
const BBOX: &str = "-2.3010,53.4450,-2.2990,53.4470";

/// Posts one asset per formula character, every free-text field starting with it (tab and
/// carriage return where the model accepts them: it may refuse control characters, which is
/// also safe). Returns how many were accepted.
async fn post_hostile_assets(app: &TestApp) -> usize {
    let mut accepted = 0;
    for (i, c) in FORMULA_STARTS.iter().enumerate() {
        let t = |what: &str| format!("{c}{what}");
        let feature = json!({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [-2.3000 + i as f64 * 0.0001, 53.4460]},
            "properties": {
                "name": t("HYPERLINK(\"http://example.invalid\",\"click\")"),
                "description": t("2+2"),
                "abcd_type": "association",
                "categories": ["learning"],
                "tags": [t("cmd|' /C calc'!A0")],
                "address": t("1 High Street"),
                "contact": {"phone": "+44 161 912 3456"},
                "cost": {"band": "low", "detail": t("SUM(1,1)")},
                "audience": {"description": t("everyone")},
                "provenance": {"source": t("source"), "attribution": t("attribution")}
            }
        });
        let r = app.create(&feature).await;
        match r.status {
            201 => accepted += 1,
            // Control characters may be refused by validation: then they cannot reach a file.
            400 if c.is_control() => {}
            s => panic!("POST with {c:?} answered {s}: {}", r.body),
        }
    }
    accepted
}

/// Every text cell of every row: none starts a formula. Returns the rows (header → value).
fn check_csv(bytes: &[u8], what: &str) -> Vec<std::collections::HashMap<String, String>> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut r = csv::Reader::from_reader(body);
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_owned).collect();
    let mut rows = Vec::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        for (column, value) in header.iter().zip(rec.iter()) {
            if NUMERIC.contains(&column.as_str()) {
                continue;
            }
            assert!(
                !value.starts_with(FORMULA_STARTS),
                "{what}: column {column} starts a formula: {value:?}"
            );
        }
        rows.push(
            header
                .iter()
                .cloned()
                .zip(rec.iter().map(str::to_owned))
                .collect(),
        );
    }
    rows
}

fn check_rows(rows: &[std::collections::HashMap<String, String>], accepted: usize, what: &str) {
    assert_eq!(rows.len(), accepted, "{what}: one row per test asset");
    // = + - @ reach the file and are defused (tab and CR are trimmed by validation).
    let defused = rows.iter().filter(|r| r["name"].starts_with('\'')).count();
    assert!(defused >= 4, "{what}: {defused} names defused");
    for row in rows {
        assert_eq!(row["phone"], "'+44 161 912 3456", "{what}");
        let lon: f64 = row["lon"].parse().unwrap();
        assert!(
            (-2.301..=-2.299).contains(&lon),
            "{what}: lon stays a number: {}",
            row["lon"]
        );
    }
}

fn export_cli(store: &str, out: &std::path::Path) -> Vec<u8> {
    let output = Command::new(env!("CARGO_BIN_EXE_assetmap-under-test"))
        .args(["--store", store, "export", "--format", "csv", "--bbox"])
        .arg(BBOX)
        .arg("--out")
        .arg(out)
        .env("ASSETMAP_DATA", assetmap_tests::data_dir())
        .env("ASSETMAP_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "assetmap export failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::read(out).unwrap()
}

async fn downloads_and_exports_defuse_every_text_cell(store: TestStore) {
    let app = spawn_app(store).await;
    let accepted = post_hostile_assets(&app).await;
    assert!(accepted >= 4, "at least = + - @ are accepted as text");

    let r = app
        .get_with(&format!("/downloads/assets.csv?bbox={BBOX}"), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let rows = check_csv(r.body.as_bytes(), "/downloads/assets.csv");
    check_rows(&rows, accepted, "/downloads/assets.csv");

    let location = match &app.state.settings.store {
        StoreLocation::GeoPackage(path) => path.display().to_string(),
        StoreLocation::Postgis(url) => url.clone(),
    };
    let out = app.dir.path().join("export.csv");
    let rows = check_csv(&export_cli(&location, &out), "assetmap export");
    check_rows(&rows, accepted, "assetmap export");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn geopackage_downloads_and_exports_defuse_every_text_cell() {
    downloads_and_exports_defuse_every_text_cell(TestStore::GeoPackage).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgis_downloads_and_exports_defuse_every_text_cell() {
    downloads_and_exports_defuse_every_text_cell(TestStore::Postgis).await;
}
