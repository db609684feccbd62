//! An acknowledged write survives `kill -9` of the server and a restart.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use assetmap_tests::{agent, request, sample_feature, ServerProcess, ADMIN_TOKEN};
use std::path::Path;
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
