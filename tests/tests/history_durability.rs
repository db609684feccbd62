//! History is complete and ordered after `kill -9` during a burst of writes: every acknowledged
//! change is in its asset's history, with who made it and what changed, in version order with
//! no gaps — and nothing is in the history that the asset does not hold. On both stores: the
//! server is killed mid-burst, restarted on the same store, and asked.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use assetmap_tests::{agent, request, sample_feature, ServerProcess, ADMIN_TOKEN};
use serde_json::json;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_assetmap-under-test"))
}

/// Writers, each renaming its own asset as fast as it is acknowledged.
const WRITERS: usize = 4;

fn burst_then_kill(args: &[&str]) {
    let http = agent();
    let mut server = ServerProcess::start(binary(), args, &[], Duration::from_secs(180));
    let base = server.address.clone();
    let r = request(
        &http,
        "POST",
        &format!("{base}/accounts"),
        Some(
            &json!({"email": "burst@example.org", "name": "Burst editor", "role": "editor", "password": "a long enough passphrase"}),
        ),
        Some(ADMIN_TOKEN),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let editor = r.json()["id"].as_str().unwrap().to_owned();
    let r = request(
        &http,
        "POST",
        &format!("{base}/tokens"),
        Some(&json!({"name": "burst", "role": "editor", "account": editor})),
        Some(ADMIN_TOKEN),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let token = r.json()["token"].as_str().unwrap().to_owned();

    let mut ids = Vec::new();
    for w in 0..WRITERS {
        let r = request(
            &http,
            "POST",
            &format!("{base}/collections/assets/items"),
            Some(&sample_feature(&format!("Burst v1 w{w}"))),
            Some(&token),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        ids.push(r.json()["id"].as_str().unwrap().to_owned());
    }

    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = ids
        .iter()
        .map(|id| {
            let (url, token, stop) = (
                format!("{base}/collections/assets/items/{id}"),
                token.clone(),
                stop.clone(),
            );
            std::thread::spawn(move || {
                let http = agent();
                let mut acknowledged = 1u64;
                let mut f = request(&http, "GET", &url, None, None).json();
                while !stop.load(Ordering::SeqCst) {
                    let next = acknowledged + 1;
                    f["properties"]["name"] = json!(format!("Burst v{next}"));
                    let Ok(r) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        request(&http, "PUT", &url, Some(&f), Some(&token))
                    })) else {
                        break; // the server died under the request
                    };
                    if r.status != 200 {
                        break;
                    }
                    acknowledged = next;
                }
                acknowledged
            })
        })
        .collect();
    // Kill in the middle of the burst, at a moment the writers do not know.
    std::thread::sleep(Duration::from_millis(
        1500 + u64::from(std::process::id() % 500),
    ));
    server.kill_9();
    stop.store(true, Ordering::SeqCst);
    let acknowledged: Vec<u64> = writers.into_iter().map(|w| w.join().unwrap()).collect();
    assert!(
        acknowledged.iter().sum::<u64>() > (WRITERS as u64) * 5,
        "the burst made few writes before the kill: {acknowledged:?}"
    );

    let server = ServerProcess::start(binary(), args, &[], Duration::from_secs(180));
    let base = server.address.clone();
    for (id, acked) in ids.iter().zip(&acknowledged) {
        let now = request(
            &http,
            "GET",
            &format!("{base}/collections/assets/items/{id}"),
            None,
            None,
        )
        .json();
        let stored = now["properties"]["version"].as_u64().unwrap();
        // A write whose answer was cut off by the kill may have committed: one more at most.
        assert!(
            stored == *acked || stored == acked + 1,
            "{id}: acknowledged v{acked}, stored v{stored}"
        );
        let h = request(
            &http,
            "GET",
            &format!("{base}/collections/assets/items/{id}/history"),
            None,
            Some(ADMIN_TOKEN),
        );
        assert_eq!(h.status, 200, "{}", h.body);
        let h = h.json();
        let entries = h["entries"].as_array().unwrap();
        let versions: Vec<u64> = entries
            .iter()
            .map(|e| e["version"].as_u64().unwrap())
            .collect();
        assert_eq!(
            versions,
            (1..=stored).collect::<Vec<_>>(),
            "{id}: every version from 1 to the stored one, in order, once"
        );
        let seqs: Vec<u64> = entries.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{id}: {seqs:?}");
        for (i, e) in entries.iter().enumerate() {
            assert_eq!(e["by"]["account"], json!(editor), "{id} entry {i}");
            assert_eq!(e["via"], "api");
            if i > 0 {
                assert_eq!(
                    e["changes"],
                    json!([{"field": "name", "before": if i == 1 { format!("Burst v1 w{}", ids.iter().position(|x| x == id).unwrap()) } else { format!("Burst v{i}") }, "after": format!("Burst v{}", i + 1)}]),
                    "{id} entry {i}"
                );
            }
        }
    }
}

#[test]
fn history_is_complete_and_ordered_after_kill_9_during_a_write_burst_geopackage() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("history.gpkg");
    let store = store.to_str().unwrap();
    burst_then_kill(&["--store", store, "serve", "--bind", "127.0.0.1:0"]);
}

#[test]
fn history_is_complete_and_ordered_after_kill_9_during_a_write_burst_postgis() {
    let url = assetmap_testing::create_postgis_database("history_burst");
    burst_then_kill(&["--store", &url, "serve", "--bind", "127.0.0.1:0"]);
}
