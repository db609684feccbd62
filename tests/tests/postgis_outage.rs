//! A server on PostGIS while PostgreSQL goes away and comes back: reads keep being answered
//! from the engine, writes get `503` problem+json with `Retry-After`, and once the database is
//! back writes work again and the engine catches up with changes made elsewhere, with no
//! restart. `GET /health` says `degraded` (promptly) while the database is away and `ok` again
//! after.
//!
//! This stops and starts the whole throwaway cluster (`ASSETMAP_TEST_PG_CTL`, from
//! `bash tests/run.sh`), so it is the only test in its binary (cargo runs test binaries one
//! after another), and a guard starts the cluster again even if an assertion fails.

use assetmap_testing::{pg_ctl, RestartOnDrop};
use assetmap_tests::{
    agent, fresh_postgis_database, request, sample_feature, ServerProcess, ADMIN_TOKEN,
};
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_assetmap-under-test"))
}

/// `GET /health`: asserts it answers `200` within `within`, and returns its body.
fn health(http: &ureq::Agent, address: &str, within: Duration) -> Value {
    let started = Instant::now();
    let r = request(http, "GET", &format!("{address}/health"), None, None);
    let took = started.elapsed();
    assert_eq!(r.status, 200, "/health: {}", r.body);
    assert!(took < within, "/health took {took:?} (limit {within:?})");
    r.json()
}

#[test]
fn reads_survive_an_outage_writes_get_503_and_recover_without_a_restart() {
    let url = fresh_postgis_database();
    let args = ["--store", url.as_str(), "serve", "--bind", "127.0.0.1:0"];
    let http = agent();
    let server = ServerProcess::start(binary(), &args, &[], Duration::from_secs(180));
    let items = format!("{}/collections/assets/items", server.address);
    let r = request(
        &http,
        "POST",
        &items,
        Some(&sample_feature("Before the outage")),
        Some(ADMIN_TOKEN),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.json()["id"].as_str().expect("id").to_owned();
    let one = format!("{items}/{id}");
    let matched = request(&http, "GET", &format!("{items}?limit=5"), None, None).json()
        ["numberMatched"]
        .clone();

    let h = health(&http, &server.address, Duration::from_secs(10));
    assert_eq!(h["status"], "ok", "before the outage: {h}");
    assert_eq!(h["store"]["reachable"], true, "{h}");
    assert_eq!(h["store"]["kind"], "postgis", "{h}");
    let assets = h["assets"].clone();

    let guard = RestartOnDrop;
    assert!(pg_ctl("stop"), "the cluster stops");

    // Health: degraded, promptly (a monitor must not time out on it), the engine still full.
    let h = health(&http, &server.address, Duration::from_secs(10));
    assert_eq!(h["status"], "degraded", "during the outage: {h}");
    assert_eq!(h["store"]["reachable"], false, "{h}");
    assert_eq!(
        h["assets"], assets,
        "reads are still answered from memory: {h}"
    );

    // Reads: answered from memory, unchanged.
    let r = request(&http, "GET", &format!("{items}?limit=5"), None, None);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["numberMatched"], matched);
    let r = request(&http, "GET", &one, None, None);
    assert_eq!(r.status, 200, "{}", r.body);

    // Writes: 503 problem+json with Retry-After, promptly.
    let started = Instant::now();
    let r = request(
        &http,
        "POST",
        &items,
        Some(&sample_feature("During the outage")),
        Some(ADMIN_TOKEN),
    );
    assert_eq!(r.status, 503, "{}", r.body);
    assert!(
        r.content_type.starts_with("application/problem+json"),
        "{}",
        r.content_type
    );
    let retry_after: u64 = r
        .header("Retry-After")
        .expect("a Retry-After header")
        .parse()
        .expect("Retry-After in seconds");
    assert!(
        (1..=300).contains(&retry_after),
        "Retry-After {retry_after}"
    );
    assert_eq!(r.json()["status"], 503);
    let mut f = request(&http, "GET", &one, None, None).json();
    f["properties"]["name"] = serde_json::json!("Renamed during the outage");
    assert_eq!(
        request(&http, "PUT", &one, Some(&f), Some(ADMIN_TOKEN)).status,
        503
    );
    assert_eq!(
        request(&http, "DELETE", &one, None, Some(ADMIN_TOKEN)).status,
        503
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "503s are prompt: {:?}",
        started.elapsed()
    );
    assert_eq!(
        request(&http, "GET", &one, None, None).json()["properties"]["name"],
        "Before the outage",
        "a refused write changed nothing"
    );

    // Back: writes work again through the same process.
    assert!(pg_ctl("start"), "the cluster starts");
    let deadline = Instant::now() + Duration::from_secs(30);
    let created = loop {
        let r = request(
            &http,
            "POST",
            &items,
            Some(&sample_feature("After the outage")),
            Some(ADMIN_TOKEN),
        );
        if r.status == 201 {
            break r.json()["id"].as_str().expect("id").to_owned();
        }
        assert_eq!(r.status, 503, "while recovering: {}", r.body);
        assert!(
            Instant::now() < deadline,
            "writes did not recover within 30 s"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(
        request(&http, "GET", &format!("{items}/{created}"), None, None).status,
        200
    );
    let h = health(&http, &server.address, Duration::from_secs(10));
    assert_eq!(h["status"], "ok", "after the outage: {h}");
    assert_eq!(h["store"]["reachable"], true, "{h}");

    // And the engine catches up with a write made by another process after the outage.
    let other = ServerProcess::start(binary(), &args, &[], Duration::from_secs(180));
    let r = request(
        &http,
        "POST",
        &format!("{}/collections/assets/items", other.address),
        Some(&sample_feature("Written elsewhere")),
        Some(ADMIN_TOKEN),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let elsewhere = format!("{items}/{}", r.json()["id"].as_str().expect("id"));
    let deadline = Instant::now() + Duration::from_secs(5);
    while request(&http, "GET", &elsewhere, None, None).status != 200 {
        assert!(
            Instant::now() < deadline,
            "the first server did not catch up with a write made elsewhere"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(guard);
}
