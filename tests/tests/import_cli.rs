//! `assetmap import` as a council meets it: the whole file is checked and every problem is
//! reported at once (record, id, field, reason), for people or as JSON; `--dry-run` writes
//! nothing; `--skip-invalid` imports the rest and says so; a failed import leaves no store file;
//! an existing empty store is never filled with the bundled data; errors are one message, never
//! a stack trace.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use assetmap_tests::{data_dir, ServerProcess};
use serde_json::{json, Value};
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_assetmap-under-test"))
}

fn assetmap(store: &Path, args: &[&str]) -> Output {
    Command::new(binary())
        .arg("--store")
        .arg(store)
        .arg("--data")
        .arg(data_dir())
        .args(args)
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap()
}

fn feature(id: Option<&str>, properties: Value) -> Value {
    let mut f = json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [-2.32, 53.42]}, "properties": properties});
    if let Some(id) = id {
        f["id"] = json!(id);
    }
    f
}

fn good(id: &str, name: &str) -> Value {
    feature(
        Some(id),
        json!({"name": name, "abcd_type": "association", "categories": ["food"]}),
    )
}

/// Two good records, and three bad in different ways.
fn mixed_file(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("directory.geojson");
    let features = vec![
        good("cafe:1", "Community café"),
        feature(
            Some("cafe:2"),
            json!({"name": "Raw export", "category": "cafe", "licence": "OGL-3.0", "abcd_type": "economy"}),
        ),
        feature(None, json!({"name": "No id", "abcd_type": "association"})),
        good("cafe:1", "The same id again"),
        good("cafe:5", "Another good one"),
    ];
    std::fs::write(
        &path,
        json!({"type": "FeatureCollection", "features": features}).to_string(),
    )
    .unwrap();
    path
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn every_problem_is_reported_at_once_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let file = mixed_file(dir.path());
    let store = dir.path().join("store.gpkg");
    let out = assetmap(&store, &["import", "--file", file.to_str().unwrap()]);
    let said = text(&out);
    assert!(!out.status.success(), "{said}");
    for line in [
        "record 2 (cafe:2): properties.category: is not a property of an asset",
        "record 2 (cafe:2): properties.licence: is not a property of an asset",
        "record 3: id: every feature needs an id",
        "record 4 (cafe:1): id: cafe:1 is the id of an earlier feature too",
        "5 records, 2 valid, 3 rejected",
        "3 of 5 records are rejected (listed above); nothing was imported",
        "--skip-invalid",
    ] {
        assert!(said.contains(line), "{line:?} in\n{said}");
    }
    assert!(!said.contains("stack backtrace"), "{said}");
    assert!(!store.exists(), "a failed import leaves no store file");

    // The same as JSON, for a script.
    let out = assetmap(
        &store,
        &[
            "import",
            "--file",
            file.to_str().unwrap(),
            "--report",
            "json",
        ],
    );
    assert!(!out.status.success());
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["records"], 5);
    assert_eq!(report["valid"], 2);
    assert_eq!(report["rejected"], 3);
    assert_eq!(report["written"], false);
    let problems = report["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 4);
    assert_eq!(problems[0]["record"], 2);
    assert_eq!(problems[0]["id"], "cafe:2");
    assert_eq!(problems[0]["field"], "properties.category");
    assert!(!store.exists());
}

#[test]
fn a_dry_run_writes_nothing_and_skip_invalid_imports_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let file = mixed_file(dir.path());
    let store = dir.path().join("store.gpkg");
    let out = assetmap(
        &store,
        &[
            "import",
            "--file",
            file.to_str().unwrap(),
            "--skip-invalid",
            "--dry-run",
        ],
    );
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("dry run: 2 new and 0 changed assets would be written; nothing was written"),
        "{said}"
    );
    assert!(!store.exists());

    let out = assetmap(
        &store,
        &["import", "--file", file.to_str().unwrap(), "--skip-invalid"],
    );
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("imported 2 new and 0 changed assets"),
        "{said}"
    );
    assert!(
        said.contains("3 rejected records skipped, as asked"),
        "{said}"
    );
    // What is in the store is exactly the two valid records.
    let conn = rusqlite::Connection::open(&store).unwrap();
    let mut ids: Vec<String> = conn
        .prepare("SELECT asset_id FROM assets ORDER BY asset_id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    ids.sort();
    assert_eq!(ids, ["cafe:1", "cafe:5"]);
    drop(conn);

    // Importing them again finds them unchanged (the source is kept in step: see
    // import_sync.rs) and writes no asset twice.
    let out = assetmap(
        &store,
        &["import", "--file", file.to_str().unwrap(), "--skip-invalid"],
    );
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("0 new, 0 changed, 2 unchanged"), "{said}");
    let conn = rusqlite::Connection::open(&store).unwrap();
    let n: i64 = conn
        .query_row("SELECT count(*) FROM assets WHERE version = 1", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(n, 2);
}

#[test]
fn a_file_that_is_not_geojson_is_one_clear_error_and_leaves_no_store() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("assets.json");
    std::fs::write(&file, "id,name\n1,Library\n").unwrap();
    let store = dir.path().join("store.gpkg");
    let out = assetmap(&store, &["import", "--file", file.to_str().unwrap()]);
    let said = text(&out);
    assert!(!out.status.success());
    assert!(said.starts_with("error: "), "{said}");
    assert_eq!(said.trim_end().lines().count(), 1, "one message: {said}");
    assert!(said.contains("assets.json cannot be imported"), "{said}");
    assert!(!said.contains("stack backtrace"), "{said}");
    assert!(!store.exists());
}

/// `serve` seeds the bundled data only into a store it has just created: an existing store,
/// even empty, is served as it is.
#[test]
fn an_existing_empty_store_is_not_filled_with_the_bundled_data() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("empty.gpkg");
    let out = assetmap(&store, &["migrate"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(store.exists());
    let doc = served_items(&store);
    assert_eq!(doc["numberMatched"], 0, "{doc}");

    // A new store file is seeded, as before.
    let doc = served_items(&dir.path().join("fresh.gpkg"));
    assert_eq!(doc["numberMatched"], 1910, "{doc}");
}

/// Serves `store` with the binary and returns its first page of assets.
fn served_items(store: &Path) -> Value {
    let data = data_dir();
    let args = [
        "--store",
        store.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "serve",
        "--bind",
        "127.0.0.1:0",
    ];
    let server = ServerProcess::start(binary(), &args, &[], Duration::from_secs(60));
    let body = ureq::get(&format!(
        "{}/collections/assets/items?limit=1",
        server.address
    ))
    .call()
    .unwrap()
    .body_mut()
    .read_to_string()
    .unwrap();
    serde_json::from_str(&body).unwrap()
}

/// A table shaped like another council's export — British National Grid columns, rows with only
/// a postcode, words of its own, a bad phone number — read with a mapping file: every problem
/// names the table's own column; the good rows land with their provenance.
#[test]
fn a_council_table_imports_through_a_mapping_file() {
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("anytown.csv");
    std::fs::write(
        &table,
        "Ref,Organisation,Type,Easting,Northing,Postcode,Telephone,Hours\n\
         A1,Corner Cafe,Cafe; Community Group,377000,390000,,0161 912 3456,\"Mon–Fri 9am–5pm, Sat 10-12\"\n\
         A2,Sale Lunch Club,community group,,,M33 7XY,,By appointment\n\
         A3,Bowls,Bowling,377100,390100,,,\n\
         A4,Elsewhere,Cafe,,,ZZ99 9ZZ,,\n\
         A5,Bad Phone,Cafe,377200,390200,,call us,\n\
         A6,Odd Hours,Cafe,377300,390300,,,every other Tuesday\n",
    )
    .unwrap();
    let mapping = dir.path().join("anytown.toml");
    std::fs::write(
        &mapping,
        r#"
[source]
name = "Anytown community directory"
licence = "OGL-3.0"
attribution = "Contains public sector information licensed under the OGL v3.0"
id_prefix = "anytown"

[columns]
id = "Ref"
name = "Organisation"
categories = "Type"
easting = "Easting"
northing = "Northing"
postcode = "Postcode"
phone = "Telephone"
opening_times = "Hours"

[values.categories]
"Cafe" = ["food"]
"Community Group" = ["community_groups"]

[defaults]
abcd_type = "association"
"#,
    )
    .unwrap();
    let store = dir.path().join("store.gpkg");
    let args = |extra: &[&str]| -> Vec<String> {
        let mut a = vec![
            "import".to_owned(),
            "--file".to_owned(),
            table.to_str().unwrap().to_owned(),
            "--mapping".to_owned(),
            mapping.to_str().unwrap().to_owned(),
        ];
        a.extend(extra.iter().map(|s| (*s).to_owned()));
        a
    };
    let dry: Vec<String> = args(&["--dry-run", "--skip-invalid", "--report", "json"]);
    let out = assetmap(&store, &dry.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(out.status.success(), "{}", text(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (report["records"].as_u64(), report["valid"].as_u64()),
        (Some(6), Some(2)),
        "{report}"
    );
    let by_record: Vec<(u64, String)> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["record"].as_u64().unwrap(),
                p["field"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        by_record,
        [
            (3, "Type".to_owned()),
            (4, "Postcode".to_owned()),
            (5, "Telephone".to_owned()),
            (6, "Hours".to_owned())
        ],
        "{report}"
    );
    assert!(report["problems"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("[values.categories]"));
    assert!(!store.exists(), "a dry run writes nothing");

    let real: Vec<String> = args(&["--skip-invalid"]);
    let out = assetmap(&store, &real.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(out.status.success(), "{}", text(&out));
    let conn = rusqlite::Connection::open(&store).unwrap();
    let rows: Vec<(String, String, String, String, String)> = conn
        .prepare(
            "SELECT asset_id, categories, geocode_method, source, opening_times FROM assets ORDER BY asset_id",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].0, "anytown:A1");
    assert!(
        rows[0].1.contains("food") && rows[0].1.contains("community_groups"),
        "{rows:?}"
    );
    assert_eq!(rows[0].2, "source_point_national_grid");
    assert_eq!(rows[1].0, "anytown:A2");
    assert_eq!(rows[1].2, "postcode_centroid");
    assert_eq!(rows[1].3, "Anytown community directory");
    // The written hours became periods: five weekdays and Saturday morning; "by appointment".
    let hours: Value = serde_json::from_str(&rows[0].4).unwrap();
    assert_eq!(hours["periods"].as_array().unwrap().len(), 6, "{hours}");
    let by_appointment: Value = serde_json::from_str(&rows[1].4).unwrap();
    assert_eq!(by_appointment["by_arrangement"], true, "{by_appointment}");

    // A draft mapping from the table itself: columns placed by their names, words guessed.
    let out = assetmap(
        &dir.path().join("none.gpkg"),
        &["import", "--suggest-mapping", table.to_str().unwrap()],
    );
    let draft = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{}", text(&out));
    for line in [
        "id = \"Ref\"",
        "name = \"Organisation\"",
        "easting = \"Easting\"",
        "postcode = \"Postcode\"",
        "phone = \"Telephone\"",
    ] {
        assert!(draft.contains(line), "{line} in\n{draft}");
    }
    assert!(!dir.path().join("none.gpkg").exists());

    // A CSV without a mapping says what to do.
    let out = assetmap(
        &dir.path().join("other.gpkg"),
        &["import", "--file", table.to_str().unwrap()],
    );
    assert!(!out.status.success());
    assert!(text(&out).contains("--mapping"), "{}", text(&out));
}

/// The file from the issue: points from another directory with `id`, `name`, a raw `category`
/// (`cafe`, `park`, `place_of_worship`), `source` and `licence`. The draft mapping places the
/// columns and guesses the words from the vocabulary's keywords; it imports as drafted. The
/// same records as a GeoPackage layer (written by GDAL's ogr2ogr) import with the same mapping.
#[test]
fn another_directorys_geojson_and_its_geopackage_import_with_a_drafted_mapping() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("elsewhere.geojson");
    let point = |id: u32, name: &str, category: &str, lon: f64| {
        json!({"type": "Feature",
               "geometry": {"type": "Point", "coordinates": [lon, 53.42]},
               "properties": {"id": id, "name": name, "category": category,
                              "source": "OpenStreetMap", "licence": "ODbL-1.0"}})
    };
    let park = json!({"type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [[[-2.30, 53.40], [-2.29, 53.40], [-2.29, 53.41], [-2.30, 53.41], [-2.30, 53.40]]]},
        "properties": {"id": 4, "name": "Walton Park", "category": "park", "source": "OpenStreetMap", "licence": "ODbL-1.0"}});
    std::fs::write(
        &file,
        json!({"type": "FeatureCollection", "features": [
            point(1, "Corner Cafe", "cafe", -2.32),
            point(2, "St Mary's", "place_of_worship", -2.33),
            point(3, "Bean There", "cafe", -2.34),
            park,
        ]})
        .to_string(),
    )
    .unwrap();
    let none = dir.path().join("none.gpkg");
    let out = assetmap(
        &none,
        &["import", "--suggest-mapping", file.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", text(&out));
    let draft = String::from_utf8_lossy(&out.stdout).into_owned();
    for line in [
        "id = \"id\"",
        "name = \"name\"",
        "categories = \"category\"",
        "\"cafe\" = [\"food\"]",
        "\"park\" = [\"green_space_nature\"]",
        "\"place_of_worship\" = [\"faith\"]",
    ] {
        assert!(draft.contains(line), "{line:?} in\n{draft}");
    }
    assert!(!none.exists(), "drafting a mapping makes no store");
    let mapping = dir.path().join("elsewhere.toml");
    std::fs::write(&mapping, &draft).unwrap();

    let store = dir.path().join("store.gpkg");
    let args = [
        "import",
        "--file",
        file.to_str().unwrap(),
        "--mapping",
        mapping.to_str().unwrap(),
        "--report",
        "json",
    ];
    let out = assetmap(&store, &args);
    assert!(out.status.success(), "{}", text(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["new"], 4, "{report}");
    let conn = rusqlite::Connection::open(&store).unwrap();
    let (categories, method): (String, String) = conn
        .query_row(
            "SELECT categories, geocode_method FROM assets WHERE asset_id = 'elsewhere:4'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!(categories.contains("green_space_nature"), "{categories}");
    assert_eq!(method, "source_polygon_centroid");
    drop(conn);

    // The same as a GeoPackage layer: same mapping, same assets — found unchanged.
    let gpkg = dir.path().join("elsewhere.gpkg");
    let made = Command::new("ogr2ogr")
        .args(["-f", "GPKG", "-nln", "elsewhere"])
        .arg(&gpkg)
        .arg(&file)
        .output();
    let made = made.unwrap_or_else(|e| {
        panic!("ogr2ogr could not run ({e}): install GDAL's tools with `apt-get install gdal-bin` (bash tests/run.sh does this when run as root)")
    });
    assert!(made.status.success(), "{}", text(&made));
    let out = assetmap(
        &store,
        &[
            "import",
            "--file",
            gpkg.to_str().unwrap(),
            "--mapping",
            mapping.to_str().unwrap(),
            "--report",
            "json",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (report["new"].as_u64(), report["unchanged"].as_u64()),
        (Some(0), Some(4)),
        "{report}"
    );
}

/// Every way a mapped import can fail before reading a record is one clear message, with no
/// stack trace and no store file.
#[test]
fn a_mapped_import_that_cannot_start_says_why_in_one_message() {
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("t.csv");
    std::fs::write(&table, "Ref,Name\n1,Hall\n").unwrap();
    let store = dir.path().join("store.gpkg");
    let cases: [(&str, &str, &str); 4] = [
        ("bad.toml", "[source\nname = ", "is not valid"),
        (
            "unknown.toml",
            "[source]\nname = \"A\"\nlicence = \"OGL-3.0\"\nid_prefix = \"a\"\nfavourite = 1\n[columns]\nid = \"Ref\"\nname = \"Name\"\n",
            "favourite",
        ),
        (
            "missing.toml",
            "[source]\nname = \"A\"\nlicence = \"OGL-3.0\"\nid_prefix = \"a\"\n[columns]\nid = \"Ref\"\nname = \"Title\"\n",
            "Title",
        ),
        ("absent.toml", "", "Failed to read"),
    ];
    for (name, body, says) in cases {
        let mapping = dir.path().join(name);
        if !body.is_empty() {
            std::fs::write(&mapping, body).unwrap();
        }
        let out = assetmap(
            &store,
            &[
                "import",
                "--file",
                table.to_str().unwrap(),
                "--mapping",
                mapping.to_str().unwrap(),
            ],
        );
        let said = text(&out);
        assert!(!out.status.success(), "{name}: {said}");
        assert!(said.contains(says), "{name}: {says:?} in {said}");
        assert!(said.starts_with("error: "), "{name}: {said}");
        assert!(!said.contains("stack backtrace"), "{name}: {said}");
        assert!(!store.exists(), "{name}: no store file");
    }
    // A table the mapping cannot read (not UTF-8 CSV) and a missing file.
    std::fs::write(&table, b"Ref,Name\n1,\xff\xfe\n").unwrap();
    let mapping = dir.path().join("good.toml");
    std::fs::write(
        &mapping,
        "[source]\nname = \"A\"\nlicence = \"OGL-3.0\"\nid_prefix = \"a\"\n[columns]\nid = \"Ref\"\nname = \"Name\"\n",
    )
    .unwrap();
    for file in [table.clone(), dir.path().join("nowhere.csv")] {
        let out = assetmap(
            &store,
            &[
                "import",
                "--file",
                file.to_str().unwrap(),
                "--mapping",
                mapping.to_str().unwrap(),
            ],
        );
        let said = text(&out);
        assert!(!out.status.success(), "{said}");
        assert!(
            said.contains("cannot be imported") || said.contains("rejected"),
            "{said}"
        );
        assert!(!said.contains("stack backtrace"), "{said}");
        assert!(!store.exists());
    }
}
