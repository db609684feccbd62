//! An acknowledged write survives `kill -9`: of the server (then restarted), and of a process
//! writing straight to the GeoPackage store (then reopened).

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use assetmap_store::gpkg::GeoPackageStore;
use assetmap_store::AssetStore;
use assetmap_tests::{agent, request, sample_feature, ServerProcess, ADMIN_TOKEN};
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_assetmap-under-test"))
}

#[test]
fn acknowledged_writes_survive_kill_9_and_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = dir.path().join("durable.gpkg");
    let store = store.to_str().expect("utf-8 path");
    let args = ["--store", store, "serve", "--bind", "127.0.0.1:0"];
    let http = agent();

    let mut server = ServerProcess::start(binary(), &args, &[], Duration::from_secs(120));
    let mut acknowledged = Vec::new();
    for i in 0..20 {
        let r = request(
            &http,
            "POST",
            &format!("{}/collections/assets/items", server.address),
            Some(&sample_feature(&format!("Durable group {i}"))),
            Some(ADMIN_TOKEN),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        acknowledged.push(r.json()["id"].as_str().expect("id").to_owned());
    }
    // Replace and delete are acknowledged writes too.
    let first = format!(
        "{}/collections/assets/items/{}",
        server.address, acknowledged[0]
    );
    let mut f = request(&http, "GET", &first, None, None).json();
    f["properties"]["name"] = serde_json::json!("Renamed before the crash");
    assert_eq!(
        request(&http, "PUT", &first, Some(&f), Some(ADMIN_TOKEN)).status,
        200
    );
    let last = acknowledged.pop().expect("one");
    assert_eq!(
        request(
            &http,
            "DELETE",
            &format!("{}/collections/assets/items/{last}", server.address),
            None,
            Some(ADMIN_TOKEN)
        )
        .status,
        204
    );

    // No graceful shutdown: SIGKILL straight after the last acknowledgement.
    server.kill_9();

    let server = ServerProcess::start(binary(), &args, &[], Duration::from_secs(120));
    for id in &acknowledged {
        let r = request(
            &http,
            "GET",
            &format!("{}/collections/assets/items/{id}", server.address),
            None,
            None,
        );
        assert_eq!(
            r.status, 200,
            "acknowledged asset {id} is there after kill -9"
        );
    }
    let r = request(
        &http,
        "GET",
        &format!(
            "{}/collections/assets/items/{}",
            server.address, acknowledged[0]
        ),
        None,
        None,
    );
    assert_eq!(r.json()["properties"]["name"], "Renamed before the crash");
    assert_eq!(r.json()["properties"]["version"], 2);
    let r = request(
        &http,
        "GET",
        &format!("{}/collections/assets/items/{last}", server.address),
        None,
        None,
    );
    assert_eq!(r.status, 404, "the acknowledged delete survived too");
    let total = request(
        &http,
        "GET",
        &format!("{}/collections/assets/items?limit=1", server.address),
        None,
        None,
    )
    .json()["numberMatched"]
        .as_u64();
    assert_eq!(total, Some(1910 + 19));
}

/// A write acknowledged by the GeoPackage store is on disk: a writer process
/// (`src/bin/durability-writer.rs`) writes and reports each acknowledgement, is killed with
/// SIGKILL right after one, and every acknowledged write is found on reopening.
#[tokio::test]
async fn acknowledged_store_writes_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("durable.gpkg");
    let mut child = Command::new(env!("CARGO_BIN_EXE_durability-writer"))
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut acked: HashMap<String, u64> = HashMap::new();
    let mut lines = BufReader::new(stdout).lines();
    // Kill at an arbitrary point inside the stream of writes, not at a batch boundary.
    let kill_after = 1_000 + usize::from(std::process::id() as u16 % 97);
    let mut seen = 0;
    while seen < kill_after {
        let line = lines
            .next()
            .expect("the writer stopped before it was killed")
            .unwrap();
        let rest = line
            .strip_prefix("ACK ")
            .unwrap_or_else(|| panic!("unexpected output from the writer: {line:?}"));
        let (id, version) = rest.split_once(' ').unwrap();
        acked.insert(id.to_owned(), version.parse().unwrap());
        seen += 1;
    }
    child.kill().unwrap(); // SIGKILL on Unix: no destructor, no checkpoint, no flush.
    let status = child.wait().unwrap();
    assert!(
        !status.success(),
        "the writer was killed, not finished: {status:?}"
    );
    assert!(acked.len() > 500, "{} acknowledged writes", acked.len());

    let store = GeoPackageStore::open(&path).unwrap();
    let stored: HashMap<String, u64> = store
        .all()
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.id.to_string(), a.version))
        .collect();
    for (id, version) in &acked {
        let got = stored.get(id).copied();
        assert!(
            got.is_some_and(|v| v >= *version),
            "acknowledged {id} v{version} but found {got:?}"
        );
    }
    assert!(stored.len() >= acked.len());
    // The feed agrees with the table: one upsert per acknowledged write at least.
    assert!(store.latest_seq().await.unwrap() >= acked.values().sum::<u64>());
}
