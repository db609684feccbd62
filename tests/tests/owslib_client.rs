//! A second real OGC API Features client: OWSLib (pinned in `tests/clients/requirements.txt`,
//! installed by `bash tests/run.sh` into a throwaway venv) reads every collection, whole and
//! with a `bbox`, through
//! `tests/clients/owslib_read.py`; what it read is compared with the server's own answers.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use assetmap_tests::{spawn_app, TestStore};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// The Python of the test command's virtual environment, which has the pinned OWSLib of
/// `tests/clients/requirements.txt`.
fn python_with_owslib() -> std::path::PathBuf {
    let bin = assetmap_testing::required_env("ASSETMAP_TEST_CLIENTS_BIN");
    let python = Path::new(&bin).join("python");
    assert!(
        python.exists(),
        "{} is missing: run the tests through `bash tests/run.sh`, which installs \
         tests/clients/requirements.txt (OWSLib) into a virtual environment",
        python.display()
    );
    python
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owslib_reads_every_collection_with_and_without_bbox() {
    let app = spawn_app(TestStore::GeoPackage).await;
    let bbox = "-2.40,53.42,-2.35,53.45";
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("clients/owslib_read.py");
    let mut cmd = Command::new(python_with_owslib());
    cmd.arg(&script).arg(&app.address).arg(bbox);
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .unwrap();
    assert!(
        out.status.success(),
        "OWSLib failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(read["conformance"]
        .as_array()
        .unwrap()
        .contains(&"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core".into()));

    // The queryables, and a CQL2 filter in both encodings, as the server answers it itself.
    let queryables = read["queryables"].as_array().unwrap();
    assert!(queryables.contains(&"name".into()) && queryables.contains(&"geometry".into()));
    let server = app
        .get("/collections/assets/items?limit=10000&filter=name%20LIKE%20%27%25Library%27")
        .await
        .json();
    let mut expected: Vec<Value> = server["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].clone())
        .collect();
    expected.sort_by_key(|v| v.as_str().unwrap().to_owned());
    assert!(expected.len() > 5, "the libraries");
    assert_eq!(read["filtered"]["text"], Value::Array(expected.clone()));
    assert_eq!(read["filtered"]["json"], Value::Array(expected));

    let collections = read["collections"].as_object().unwrap();
    for want in [
        "assets",
        "areas-la",
        "areas-ward",
        "areas-msoa",
        "areas-lsoa",
    ] {
        let c = collections
            .get(want)
            .unwrap_or_else(|| panic!("OWSLib lists {want}"));
        let server = app
            .get(&format!("/collections/{want}/items?limit=10000"))
            .await
            .json();
        let total = server["features"].as_array().unwrap().len() as u64;
        assert!(total > 0);
        assert_eq!(c["all"], total, "{want}: OWSLib read every feature");
        assert_eq!(c["all_matched"], total, "{want}");

        let boxed = app
            .get(&format!(
                "/collections/{want}/items?limit=10000&bbox={bbox}"
            ))
            .await
            .json();
        let mut ids: Vec<String> = boxed["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| match &f["id"] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect();
        ids.sort();
        let got: Vec<String> = c["bbox"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
        assert!(!got.is_empty(), "{want}: the box holds something");
        if want != "areas-la" {
            assert!(
                (got.len() as u64) < total,
                "{want}: the box leaves some out"
            );
        }
        assert_eq!(got, ids, "{want}: OWSLib's bbox read is the server's");
        assert_eq!(c["bbox_matched"], ids.len() as u64, "{want}");
    }
}
