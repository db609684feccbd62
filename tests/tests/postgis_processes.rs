//! Real `assetmap` processes on one store: two servers on one PostGIS database, where a write
//! through either is visible through the other within one second, carried by LISTEN/NOTIFY
//! (polling is set to 30 s here, so it cannot be what delivers it); a server killed with
//! `kill -9`; and an import through another process, seen whole (PostGIS and GeoPackage).

use assetmap_tests::{
    agent, fresh_postgis_database, request, sample_feature, ServerProcess, ADMIN_TOKEN,
};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_assetmap-under-test"))
}

/// A config file that makes the fallback poll slow, so only NOTIFY can be fast.
fn slow_poll_config(dir: &Path) -> PathBuf {
    let path = dir.join("assetmap.toml");
    std::fs::write(&path, "poll_interval_secs = 30.0\n").expect("write config");
    path
}

/// Polls `url` until `ok(status, body)` holds; returns how long it took after `since`.
fn visible_within(
    url: &str,
    since: Instant,
    limit: Duration,
    ok: impl Fn(u16, &str) -> bool,
) -> Duration {
    let http = agent();
    loop {
        let r = request(&http, "GET", url, None, None);
        if ok(r.status, &r.body) {
            return since.elapsed();
        }
        assert!(
            since.elapsed() < limit,
            "{url} did not show the change within {limit:?} (last answer {} {})",
            r.status,
            r.body
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_write_through_one_server_is_visible_in_the_other_within_a_second() {
    let url = fresh_postgis_database();
    let dir = tempfile::tempdir().expect("temp dir");
    let config = slow_poll_config(dir.path());
    let config = config.to_str().expect("utf-8 path");
    let args = ["--store", url.as_str(), "serve", "--bind", "127.0.0.1:0"];
    let env = [("ASSETMAP_CONFIG", config)];
    let http = agent();

    // The first server migrates and seeds the bundled data; the second finds it there.
    let a = ServerProcess::start(binary(), &args, &env, Duration::from_secs(180));
    let b = ServerProcess::start(binary(), &args, &env, Duration::from_secs(180));
    let count = |s: &ServerProcess| {
        request(
            &http,
            "GET",
            &format!("{}/collections/assets/items?limit=1", s.address),
            None,
            None,
        )
        .json()["numberMatched"]
            .as_u64()
            .expect("numberMatched")
    };
    let seeded = count(&a);
    assert!(seeded > 1000, "the bundled data was seeded: {seeded}");
    assert_eq!(
        count(&b),
        seeded,
        "the second server loaded the same assets"
    );

    let one_second = Duration::from_secs(1);

    // Create through A, read through B.
    let r = request(
        &http,
        "POST",
        &format!("{}/collections/assets/items", a.address),
        Some(&sample_feature("Shared choir")),
        Some(ADMIN_TOKEN),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let acked = Instant::now();
    let id = r.json()["id"].as_str().expect("id").to_owned();
    let on_b = format!("{}/collections/assets/items/{id}", b.address);
    let took = visible_within(&on_b, acked, one_second, |s, _| s == 200);
    println!("create through A visible through B after {took:?}");

    // Replace through B, read through A.
    let mut feature = request(&http, "GET", &on_b, None, None).json();
    feature["properties"]["name"] = serde_json::json!("Shared choir, renamed through B");
    let r = request(&http, "PUT", &on_b, Some(&feature), Some(ADMIN_TOKEN));
    assert_eq!(r.status, 200, "{}", r.body);
    let acked = Instant::now();
    let on_a = format!("{}/collections/assets/items/{id}", a.address);
    let took = visible_within(&on_a, acked, one_second, |s, body| {
        s == 200 && body.contains("renamed through B")
    });
    println!("replace through B visible through A after {took:?}");

    // Delete through A, gone from B.
    let r = request(&http, "DELETE", &on_a, None, Some(ADMIN_TOKEN));
    assert_eq!(r.status, 204, "{}", r.body);
    let took = visible_within(&on_b, Instant::now(), one_second, |s, _| s == 404);
    println!("delete through A visible through B after {took:?}");
    assert_eq!(count(&a), seeded);
    assert_eq!(count(&b), seeded);
}

#[test]
fn acknowledged_writes_survive_kill_9_of_a_server_on_postgis() {
    let url = fresh_postgis_database();
    let args = ["--store", url.as_str(), "serve", "--bind", "127.0.0.1:0"];
    let http = agent();
    let mut server = ServerProcess::start(binary(), &args, &[], Duration::from_secs(180));
    let items = format!("{}/collections/assets/items", server.address);
    let mut acknowledged = Vec::new();
    for i in 0..10 {
        let r = request(
            &http,
            "POST",
            &items,
            Some(&sample_feature(&format!("Durable on PostGIS {i}"))),
            Some(ADMIN_TOKEN),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        acknowledged.push(r.json());
    }
    let first = format!("{items}/{}", acknowledged[0]["id"].as_str().expect("id"));
    let mut f = request(&http, "GET", &first, None, None).json();
    f["properties"]["name"] = serde_json::json!("Renamed just before the crash");
    let renamed = request(&http, "PUT", &first, Some(&f), Some(ADMIN_TOKEN));
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    acknowledged[0] = renamed.json();
    server.kill_9();

    let server = ServerProcess::start(binary(), &args, &[], Duration::from_secs(180));
    let items = format!("{}/collections/assets/items", server.address);
    for before in &acknowledged {
        let after = request(
            &http,
            "GET",
            &format!("{items}/{}", before["id"].as_str().expect("id")),
            None,
            None,
        );
        assert_eq!(
            after.status, 200,
            "acknowledged asset {} is there after kill -9",
            before["id"]
        );
        let after = after.json();
        // The whole feature, timestamps and version included, exactly as acknowledged.
        assert_eq!(after["properties"], before["properties"]);
        assert_eq!(after["geometry"], before["geometry"]);
    }
}

/// An import through another process (`assetmap import`, one transaction of 100,000 assets)
/// appears in a running server all at once: a reader polling it sees the count before or the
/// count after, never one in between, and a write through the server meanwhile is not held up
/// by the catch-up (the new engine is built beside the live one and swapped in).
#[test]
fn an_import_through_another_process_appears_whole() {
    import_appears_whole(&fresh_postgis_database());
}

/// The same on the embedded store: a GeoPackage the server has open, imported into by another
/// process (SQLite in WAL mode: the server reads on while the import writes).
#[test]
fn an_import_into_a_geopackage_another_process_serves_appears_whole() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = dir.path().join("assets.gpkg");
    import_appears_whole(store.to_str().expect("utf-8 path"));
}

fn import_appears_whole(store: &str) {
    const IMPORTED: u64 = 100_000;
    let url = store.to_owned();
    let args = ["--store", url.as_str(), "serve", "--bind", "127.0.0.1:0"];
    let server = ServerProcess::start(binary(), &args, &[], Duration::from_secs(180));
    let http = agent();
    // Every status, so the count grows by exactly the number imported.
    let count_url = format!(
        "{}/collections/assets/items?limit=1&status=active,temporarily_closed,closed",
        server.address
    );
    let count = |http: &ureq::Agent| {
        request(http, "GET", &count_url, None, None).json()["numberMatched"]
            .as_u64()
            .expect("numberMatched")
    };
    let before = count(&http);
    let after = before + IMPORTED;

    // The reader: every count it sees, until it has seen the import (or a minute passes).
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let stop = stop.clone();
        let count_url = count_url.clone();
        std::thread::spawn(move || {
            let http = agent();
            let mut seen = std::collections::BTreeSet::new();
            let started = Instant::now();
            while !stop.load(std::sync::atomic::Ordering::SeqCst)
                && started.elapsed() < Duration::from_secs(300)
            {
                let n = request(&http, "GET", &count_url, None, None).json()["numberMatched"]
                    .as_u64()
                    .expect("numberMatched");
                seen.insert(n);
                if n >= after {
                    break;
                }
                std::thread::sleep(Duration::from_millis(2));
            }
            seen
        })
    };

    let import = std::process::Command::new(binary())
        .args([
            "--store",
            url.as_str(),
            "import",
            "--synthetic",
            &IMPORTED.to_string(),
        ])
        .env("ASSETMAP_DATA", assetmap_tests::data_dir())
        .env("ASSETMAP_LOG", "warn")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run assetmap import");
    assert!(
        import.status.success(),
        "import failed: {}",
        String::from_utf8_lossy(&import.stderr)
    );

    // A write while the server catches up: answered, and not held for the whole catch-up.
    let t = Instant::now();
    let r = request(
        &http,
        "POST",
        &format!("{}/collections/assets/items", server.address),
        Some(&sample_feature("Written during a catch-up")),
        Some(ADMIN_TOKEN),
    );
    let write_took = t.elapsed();
    assert_eq!(r.status, 201, "{}", r.body);
    println!("a write during the catch-up took {write_took:?}");

    let seen = reader.join().expect("reader thread");
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let between: Vec<&u64> = seen
        .iter()
        .filter(|n| **n != before && **n != after && **n != after + 1 && **n != before + 1)
        .collect();
    assert!(
        between.is_empty(),
        "a reader saw the import part-way: counts {between:?} between {before} and {after}"
    );
    assert!(
        seen.contains(&after) || seen.contains(&(after + 1)),
        "the import never became visible: saw {seen:?}"
    );
    assert!(
        seen.contains(&before),
        "the reader saw the count before too"
    );
}
