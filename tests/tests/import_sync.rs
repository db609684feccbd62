//! Keeping a council's source in step, on both stores, through the `assetmap` binary and the
//! HTTP API: a re-import adds what is new, replaces what changed (and only that: no version bump
//! for unchanged records), keeps what has gone from the source for review, keeps an edit made
//! through the API since the last import (a conflict, unless `--overwrite-edits`), and lists
//! probable duplicates of another source without merging them.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use assetmap_testing::create_postgis_database;
use assetmap_tests::{agent, data_dir, request, ServerProcess, ADMIN_TOKEN};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_assetmap-under-test"))
}

fn assetmap(store: &str, args: &[&str]) -> Output {
    Command::new(binary())
        .args(["--store", store, "--data"])
        .arg(data_dir())
        .args(args)
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

const MAPPING: &str = r#"
[source]
name = "Anytown community directory"
licence = "OGL-3.0"
id_prefix = "anytown"

[columns]
id = "Ref"
name = "Organisation"
categories = "Type"
lon = "Lon"
lat = "Lat"
phone = "Telephone"

[values.categories]
"Cafe" = ["food"]
"Community Group" = ["community_groups"]

[defaults]
abcd_type = "association"
"#;

/// Imports `rows` (CSV data lines under the header) as the Anytown source, with `extra` flags;
/// returns the JSON report and whether the command succeeded.
fn import(store: &str, dir: &Path, rows: &[&str], extra: &[&str]) -> (Value, bool) {
    let table = dir.join("anytown.csv");
    let mut csv = String::from("Ref,Organisation,Type,Lon,Lat,Telephone\n");
    for r in rows {
        csv.push_str(r);
        csv.push('\n');
    }
    std::fs::write(&table, csv).unwrap();
    let mapping = dir.join("anytown.toml");
    std::fs::write(&mapping, MAPPING).unwrap();
    let mut args = vec![
        "import",
        "--file",
        table.to_str().unwrap(),
        "--mapping",
        mapping.to_str().unwrap(),
        "--report",
        "json",
    ];
    args.extend(extra);
    let out = assetmap(store, &args);
    let said = text(&out);
    assert!(!said.contains("stack backtrace"), "{said}");
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("a JSON report ({e}):\n{said}"));
    (report, out.status.success())
}

/// Every served asset of the store: id → (name, version).
fn served(address: &str) -> BTreeMap<String, (String, u64)> {
    let r = request(
        &agent(),
        "GET",
        &format!("{address}/collections/assets/items?limit=1000"),
        None,
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_owned(),
                (
                    f["properties"]["name"].as_str().unwrap().to_owned(),
                    f["properties"]["version"].as_u64().unwrap(),
                ),
            )
        })
        .collect()
}

fn ids(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().or_else(|| x["id"].as_str()).unwrap().to_owned())
        .collect()
}

fn counts(r: &Value) -> [u64; 5] {
    ["new", "changed", "unchanged", "removed", "rejected"].map(|k| r[k].as_u64().unwrap())
}

/// The whole story on one store.
fn keeps_a_source_in_step(store: &str) {
    let dir = tempfile::tempdir().unwrap();
    let first = [
        "A1,Corner Cafe,Cafe,-2.3200,53.4200,0161 912 3456",
        "A2,Lunch Club,Community Group,-2.3300,53.4300,",
        "A3,Knit and Natter,Community Group,-2.3400,53.4400,",
    ];
    let (r, ok) = import(store, dir.path(), &first, &[]);
    assert!(ok, "{r}");
    assert_eq!(counts(&r), [3, 0, 0, 0, 0], "{r}");
    assert_eq!(r["source"], "anytown");

    // The same file again: nothing changes, nothing is bumped.
    let (r, ok) = import(store, dir.path(), &first, &[]);
    assert!(ok, "{r}");
    assert_eq!(counts(&r), [0, 0, 3, 0, 0], "{r}");

    // The source moves on: A1 renamed, A3 gone, A4 new. A dry run says so and writes nothing.
    let second = [
        "A1,Corner Café and Pantry,Cafe,-2.3200,53.4200,0161 912 3456",
        "A2,Lunch Club,Community Group,-2.3300,53.4300,",
        "A4,Repair Cafe,Cafe,-2.3500,53.4500,",
    ];
    let (r, ok) = import(store, dir.path(), &second, &["--dry-run"]);
    assert!(ok, "{r}");
    assert_eq!(counts(&r), [1, 1, 1, 1, 0], "{r}");
    assert_eq!(r["written"], false);
    let (r, ok) = import(store, dir.path(), &second, &[]);
    assert!(ok, "{r}");
    assert_eq!(counts(&r), [1, 1, 1, 1, 0], "{r}");
    assert_eq!(ids(&r["removed_records"]), ["anytown:A3"]);
    assert_eq!(r["removed_records"][0]["stored"], true);

    let server = ServerProcess::start(
        binary(),
        &["--store", store, "serve", "--bind", "127.0.0.1:0"],
        &[],
        Duration::from_secs(120),
    );
    let now = served(&server.address);
    assert_eq!(now["anytown:A1"], ("Corner Café and Pantry".to_owned(), 2));
    assert_eq!(
        now["anytown:A2"],
        ("Lunch Club".to_owned(), 1),
        "unchanged: no bump"
    );
    assert_eq!(now["anytown:A4"].1, 1);
    assert_eq!(
        now["anytown:A3"],
        ("Knit and Natter".to_owned(), 1),
        "gone from the source, kept for review"
    );

    // Someone corrects A2 through the API.
    let http = agent();
    let url = format!("{}/collections/assets/items/anytown:A2", server.address);
    let mut f = request(&http, "GET", &url, None, None).json();
    f["properties"]["name"] = json!("Sale Lunch Club");
    let put = request(&http, "PUT", &url, Some(&f), Some(ADMIN_TOKEN));
    assert_eq!(put.status, 200, "{}", put.body);
    drop(server);

    // The source did not change A2: the edit stays, quietly.
    let (r, ok) = import(store, dir.path(), &second, &[]);
    assert!(ok, "{r}");
    assert_eq!(ids(&r["kept_edits"]), ["anytown:A2"], "{r}");
    assert!(r["conflicts"].as_array().unwrap().is_empty(), "{r}");
    // The source changes A2 too: a conflict, kept as edited here.
    let third = [
        "A1,Corner Café and Pantry,Cafe,-2.3200,53.4200,0161 912 3456",
        "A2,Lunch Club (Tuesdays),Community Group,-2.3300,53.4300,",
        "A4,Repair Cafe,Cafe,-2.3500,53.4500,",
    ];
    let (r, ok) = import(store, dir.path(), &third, &[]);
    assert!(ok, "{r}");
    assert_eq!(r["conflicts"][0]["id"], "anytown:A2", "{r}");
    assert_eq!(r["conflicts"][0]["kind"], "edited_here");
    assert_eq!(r["conflicts"][0]["overwritten"], false);
    assert_eq!(r["changed"], 0);
    // Asked to, the source's version goes over the edit, as the next version.
    let (r, ok) = import(store, dir.path(), &third, &["--overwrite-edits"]);
    assert!(ok, "{r}");
    assert_eq!(r["conflicts"][0]["overwritten"], true, "{r}");
    assert_eq!(r["changed"], 1);

    // Another source lists the same café: a probable duplicate, listed, not merged.
    let other = dir.path().join("other.geojson");
    std::fs::write(
        &other,
        json!({"type": "FeatureCollection", "features": [{
            "type": "Feature", "id": "directory:77",
            "geometry": {"type": "Point", "coordinates": [-2.3202, 53.4201]},
            "properties": {"name": "Corner Cafe & Pantry", "abcd_type": "economy", "categories": ["food"]}
        }]})
        .to_string(),
    )
    .unwrap();
    let out = assetmap(
        store,
        &[
            "import",
            "--file",
            other.to_str().unwrap(),
            "--report",
            "json",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["source"], "other");
    assert_eq!(r["duplicates"][0]["id"], "directory:77", "{r}");
    assert_eq!(r["duplicates"][0]["other_id"], "anytown:A1");
    assert!(r["duplicates"][0]["distance_m"].as_f64().unwrap() < 30.0);

    let server = ServerProcess::start(
        binary(),
        &["--store", store, "serve", "--bind", "127.0.0.1:0"],
        &[],
        Duration::from_secs(120),
    );
    let now = served(&server.address);
    assert_eq!(now["anytown:A2"], ("Lunch Club (Tuesdays)".to_owned(), 3));
    // Its history says how each version came: the import, the API edit, the import over it.
    let h = request(
        &http,
        "GET",
        &format!(
            "{}/collections/assets/items/anytown:A2/history",
            server.address
        ),
        None,
        Some(ADMIN_TOKEN),
    );
    assert_eq!(h.status, 200, "{}", h.body);
    let h = h.json();
    let vias: Vec<&str> = h["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["via"].as_str().unwrap())
        .collect();
    assert_eq!(vias, ["import:anytown", "api", "import:anytown"], "{h}");
    assert_eq!(
        h["entries"][2]["changes"],
        json!([{"field": "name", "before": "Sale Lunch Club", "after": "Lunch Club (Tuesdays)"}])
    );
    assert!(now.contains_key("directory:77") && now.contains_key("anytown:A1"));
    assert_eq!(now.len(), 5, "{now:?}");

    // An asset deleted here and still in the source: a conflict, and it stays deleted.
    let url = format!("{}/collections/assets/items/anytown:A4", server.address);
    assert_eq!(
        request(&http, "DELETE", &url, None, Some(ADMIN_TOKEN)).status,
        204
    );
    drop(server);
    let (r, ok) = import(store, dir.path(), &third, &[]);
    assert!(ok, "{r}");
    assert_eq!(r["conflicts"][0]["kind"], "deleted_here", "{r}");
    assert_eq!(r["new"], 0);

    // A re-import with a rejected row stops and writes nothing.
    let broken = [
        "A1,Corner Café and Pantry,Cafe,-2.3200,53.4200,0161 912 3456",
        "A2,,Community Group,-2.3300,53.4300,",
        "A5,Brand new,Cafe,-2.3600,53.4600,",
    ];
    let (r, ok) = import(store, dir.path(), &broken, &[]);
    assert!(!ok, "{r}");
    assert_eq!(r["rejected"], 1);
    assert_eq!(r["written"], false);
    let (r, ok) = import(store, dir.path(), &third, &["--dry-run"]);
    assert!(ok);
    assert_eq!(r["new"], 0, "A5 was not written: {r}");
}

#[test]
fn a_source_is_kept_in_step_in_a_geopackage_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store.gpkg");
    keeps_a_source_in_step(store.to_str().unwrap());
}

#[test]
fn a_source_is_kept_in_step_in_a_postgis_store() {
    let url = create_postgis_database("import_sync");
    keeps_a_source_in_step(&url);
}

/// The bundled data seeded by `serve`, then imported again from the same file: every record
/// is found unchanged (the seed is adopted), nothing is written twice.
#[test]
fn the_bundled_data_imported_over_its_seed_is_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("seeded.gpkg");
    let store = store.to_str().unwrap();
    let server = ServerProcess::start(
        binary(),
        &["--store", store, "serve", "--bind", "127.0.0.1:0"],
        &[],
        Duration::from_secs(120),
    );
    drop(server);
    let out = assetmap(store, &["import", "--report", "json"]);
    assert!(out.status.success(), "{}", text(&out));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["new"], 0, "{r}");
    assert_eq!(r["changed"], 0);
    assert_eq!(r["unchanged"], r["records"]);
    assert!(r["records"].as_u64().unwrap() > 1000);
}

/// A run that cannot write — another process holds the GeoPackage's write lock — fails with one
/// message after the lock timeout, and leaves the store exactly as it was: no asset of the run,
/// no record of it (the next run still finds A2 new). (A write that fails inside the run's
/// transaction rolls it all back: the store crate's `applies_imports_all_or_nothing`.)
#[test]
fn a_run_that_cannot_write_leaves_the_store_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store.gpkg");
    let store_s = store.to_str().unwrap();
    let (r, ok) = import(
        store_s,
        dir.path(),
        &["A1,Corner Cafe,Cafe,-2.32,53.42,"],
        &[],
    );
    assert!(ok, "{r}");

    let holder = rusqlite::Connection::open(&store).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    let table = dir.path().join("anytown.csv");
    std::fs::write(
        &table,
        "Ref,Organisation,Type,Lon,Lat,Telephone\nA1,Corner Cafe,Cafe,-2.32,53.42,\nA2,Lunch Club,Community Group,-2.33,53.43,\n",
    )
    .unwrap();
    let out = Command::new(binary())
        .args(["--store", store_s, "--data"])
        .arg(data_dir())
        .args([
            "import",
            "--file",
            table.to_str().unwrap(),
            "--mapping",
            dir.path().join("anytown.toml").to_str().unwrap(),
        ])
        .env("ASSETMAP_DB_LOCK_TIMEOUT_SECS", "1")
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap();
    let said = text(&out);
    assert!(!out.status.success(), "{said}");
    assert!(said.starts_with("error: "), "{said}");
    assert!(said.contains("database is locked"), "{said}");
    assert_eq!(said.trim_end().lines().count(), 1, "one message: {said}");
    assert!(!said.contains("stack backtrace"), "{said}");
    holder.execute_batch("ROLLBACK").unwrap();
    drop(holder);

    assert!(store.exists(), "a store that was there before stays");
    let (r, ok) = import(
        store_s,
        dir.path(),
        &[
            "A1,Corner Cafe,Cafe,-2.32,53.42,",
            "A2,Lunch Club,Community Group,-2.33,53.43,",
        ],
        &["--dry-run"],
    );
    assert!(ok, "{r}");
    assert_eq!(
        counts(&r),
        [1, 0, 1, 0, 0],
        "nothing of the failed run was kept: {r}"
    );
}

/// A PostGIS store that cannot be reached is one clear message, not a stack trace.
#[test]
fn an_unreachable_postgis_store_is_one_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    // A loopback port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://nobody@127.0.0.1:{port}/assetmap");
    let out = Command::new(binary())
        .args(["--store", &url, "--data"])
        .arg(data_dir())
        .args(["import", "--synthetic", "10"])
        .env("ASSETMAP_DB_CONNECT_TIMEOUT_SECS", "2")
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap();
    let said = text(&out);
    assert!(!out.status.success(), "{said}");
    assert!(said.starts_with("error: "), "{said}");
    assert!(said.contains("PostGIS"), "{said}");
    assert!(!said.contains("stack backtrace"), "{said}");
    let _ = dir;
}
