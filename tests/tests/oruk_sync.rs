//! Two real server processes: A publishes the Trafford data at `/oruk`; B imports A's feed with
//! `assetmap import --oruk http://…/oruk` and ends with the same assets in every field HSDS
//! carries; a change on A reaches B with an incremental run. Also: a file of services from the
//! UK profile's own examples is read and reported record by record.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use assetmap_core::Asset;
use assetmap_store::gpkg::GeoPackageStore;
use assetmap_store::AssetStore;
use assetmap_tests::{agent, data_dir, request, ServerProcess, ADMIN_TOKEN};
use serde_json::{json, Value};
use std::collections::BTreeMap;
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

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn report(o: &Output) -> Value {
    assert!(o.status.success(), "{}", text(o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(o)))
}

async fn assets_of(store: &Path) -> BTreeMap<String, Asset> {
    let s = GeoPackageStore::open(store).unwrap();
    s.all()
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.id.as_str().to_owned(), a))
        .collect()
}

/// What HSDS carries of an asset (all but tags, version and timestamps; see
/// `assetmap_io::oruk`), as JSON to compare and to print.
fn carried(a: &Asset) -> Value {
    let mut v = serde_json::to_value(a).unwrap();
    let o = v.as_object_mut().unwrap();
    for k in ["tags", "version", "created_at", "updated_at"] {
        o.remove(k);
    }
    // Coordinates travel as JSON numbers: equal to the micro-degree.
    let at = o.remove("location").unwrap();
    let round = |x: &Value| (x.as_f64().unwrap() * 1e7).round() as i64;
    o.insert("location".into(), json!([round(&at[0]), round(&at[1])]));
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_imported_from_another_assetmaps_feed_is_the_same_and_stays_in_step() {
    let dir = tempfile::tempdir().unwrap();
    let a_store = dir.path().join("a.gpkg");
    let b_store = dir.path().join("b.gpkg");
    let a = ServerProcess::start(
        binary(),
        &[
            "--store",
            a_store.to_str().unwrap(),
            "serve",
            "--bind",
            "127.0.0.1:0",
        ],
        &[],
        Duration::from_secs(120),
    );
    let feed = format!("{}/oruk", a.address);

    let first = report(&assetmap(
        &b_store,
        &["import", "--oruk", &feed, "--report", "json"],
    ));
    assert_eq!(first["rejected"], 0, "{first}");
    let published = assets_of(&a_store).await;
    let copied = assets_of(&b_store).await;
    assert_eq!(first["new"].as_u64().unwrap() as usize, published.len());
    assert_eq!(
        copied.keys().collect::<Vec<_>>(),
        published.keys().collect::<Vec<_>>(),
        "the same ids"
    );
    let mut differ = Vec::new();
    for (id, p) in &published {
        if carried(p) != carried(&copied[id]) {
            differ.push(format!(
                "{id}:\n  A {}\n  B {}",
                carried(p),
                carried(&copied[id])
            ));
        }
    }
    assert!(
        differ.is_empty(),
        "{} of {} assets differ, e.g.\n{}",
        differ.len(),
        published.len(),
        differ
            .iter()
            .take(3)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );

    // The same feed again: nothing changes.
    let again = report(&assetmap(
        &b_store,
        &["import", "--oruk", &feed, "--report", "json"],
    ));
    assert_eq!(
        (again["new"].as_u64(), again["changed"].as_u64()),
        (Some(0), Some(0)),
        "{again}"
    );

    // A renames one asset.
    let (id, _) = published.iter().next().unwrap();
    let before_the_change = chrono::Utc::now() - chrono::Duration::seconds(2);
    let http = agent();
    let url = format!("{}/collections/assets/items/{id}", a.address);
    let mut f = request(&http, "GET", &url, None, None).json();
    f["properties"]["name"] = json!("Renamed on A");
    let put = request(&http, "PUT", &url, Some(&f), Some(ADMIN_TOKEN));
    assert_eq!(put.status, 200, "{}", put.body);

    // Only what changed since a time: one service fetched, one changed, nothing removed.
    let since = before_the_change.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let run = report(&assetmap(
        &b_store,
        &[
            "import",
            "--oruk",
            &feed,
            "--modified-after",
            &since,
            "--report",
            "json",
        ],
    ));
    assert_eq!(run["records"], 1, "{run}");
    assert_eq!(run["changed"], 1, "{run}");
    assert_eq!(
        run["removed"], 0,
        "an incremental run finds nothing removed: {run}"
    );
    let copied = assets_of(&b_store).await;
    assert_eq!(copied[id].name.to_string(), "Renamed on A");
    assert_eq!(copied[id].version, 2);

    // --incremental works out the time itself from the last run; nothing new since.
    let run = report(&assetmap(
        &b_store,
        &[
            "import",
            "--oruk",
            &feed,
            "--incremental",
            "--report",
            "json",
        ],
    ));
    assert_eq!(
        (
            run["new"].as_u64(),
            run["changed"].as_u64(),
            run["removed"].as_u64()
        ),
        (Some(0), Some(0), Some(0)),
        "{run}"
    );
}

/// The UK profile's own example service (copied into `data/openreferral/`), as a file, with a
/// mapping for its words (its one taxonomy term, its accessibility sentence) and its invalid
/// postcode dropped: as published it is reported, field by field, and nothing is written — its
/// location is latitude 100, longitude 101; placed on a real point, it imports cleanly.
#[test]
fn the_profiles_example_service_is_read_record_by_record_and_imports_once_placed() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.gpkg");
    let example = data_dir().join("openreferral/uk-profile-examples/service_full.json");
    let mapping = dir.path().join("example.toml");
    std::fs::write(
        &mapping,
        r#"
[source]
name = "Example directory"
licence = "CC-BY-SA-4.0"
id_prefix = "example"

[values.categories]
"name" = ["mental_wellbeing"]

[values.access]
"The building is equipped with induction loops for hearing aids. Wheelchair access is possible on all levels." = ["hearing_loop", "step_free"]

[defaults]
abcd_type = "association"

[clean]
drop_invalid = ["postcode"]
"#,
    )
    .unwrap();
    let run = |file: &Path, extra: &[&str]| -> Output {
        let mut args = vec![
            "import",
            "--oruk",
            file.to_str().unwrap(),
            "--mapping",
            mapping.to_str().unwrap(),
            "--report",
            "json",
        ];
        args.extend(extra);
        assetmap(&store, &args)
    };

    let out = run(&example, &[]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(!text(&out).contains("stack backtrace"));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (r["records"].as_u64(), r["rejected"].as_u64()),
        (Some(1), Some(1)),
        "{r}"
    );
    let fields: Vec<&str> = r["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["service_at_locations[0].location.latitude", "postcode"],
        "{r}"
    );
    assert!(!store.exists(), "nothing half-imported: no store at all");

    let mut placed: Value =
        serde_json::from_str(&std::fs::read_to_string(&example).unwrap()).unwrap();
    for sal in placed["service_at_locations"].as_array_mut().unwrap() {
        sal["location"]["latitude"] = json!(53.4242);
        sal["location"]["longitude"] = json!(-2.3183);
    }
    let placed_file = dir.path().join("placed.json");
    std::fs::write(&placed_file, placed.to_string()).unwrap();
    let r = report(&run(&placed_file, &[]));
    assert_eq!(r["new"], 1, "{r}");
    assert_eq!(r["dropped"][0]["field"], "postcode", "{r}");
    let asset = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(assets_of(&store))
        .into_values()
        .next()
        .unwrap();
    assert_eq!(
        asset.id.as_str(),
        "example:ac148810-d857-441c-9679-408f346de14b"
    );
    assert_eq!(asset.name.to_string(), placed["name"].as_str().unwrap());
    assert_eq!(
        asset
            .categories
            .iter()
            .map(|c| c.slug())
            .collect::<Vec<_>>(),
        ["mental_wellbeing"]
    );
    let mut access: Vec<&str> = asset.access.iter().map(|a| a.slug()).collect();
    access.sort();
    assert_eq!(access, ["hearing_loop", "step_free"]);
    assert_eq!(asset.audience.min_age(), Some(12));
    assert!(
        !asset.opening_times.periods().is_empty(),
        "HH:MM:SS times read"
    );
    assert_eq!(
        asset.provenance.source.as_deref(),
        Some("Example directory")
    );
}

/// `--incremental` on a store that does not exist yet reads the whole feed (there is no earlier
/// run to start from) and, when the run fails, leaves no store file behind.
#[test]
fn an_incremental_first_run_reads_everything_and_a_failed_one_leaves_no_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("new.gpkg");
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"[{"id": "x", "name": "No location"}]"#).unwrap();
    let out = assetmap(
        &store,
        &["import", "--oruk", bad.to_str().unwrap(), "--incremental"],
    );
    let said = text(&out);
    assert!(!out.status.success(), "{said}");
    assert!(
        said.contains("no earlier import of bad: the whole feed is read"),
        "{said}"
    );
    assert!(said.contains("service_at_locations"), "{said}");
    assert!(!store.exists(), "no store file left: {said}");
}
