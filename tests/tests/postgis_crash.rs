//! PostgreSQL crashes in the middle of a stream of writes: every write the server acknowledged
//! with `201` is there after crash recovery — in the database (read with psql) and through the
//! server, the one that took the writes and a fresh one — and no write is half there (an asset
//! without its change-feed row or the reverse).
//!
//! Writer threads POST new assets, each with a unique name, to a server process on PostGIS.
//! Once some have been acknowledged, the test kills the postmaster with SIGKILL, and at once its
//! children (backends, WAL writer, checkpointer), so none of them gets to finish anything:
//! PostgreSQL has to recover from its write-ahead log on the next start. The writers keep going
//! through the crash (they get `503`) and the restart, until writes are acknowledged again.
//!
//! What this shows, and what it does not: SIGKILL ends processes, not the machine, so what
//! PostgreSQL had handed to the kernel survives even without fsync. The test shows that the
//! server acknowledges a write only once PostgreSQL has committed it to its write-ahead log
//! (as with `synchronous_commit = on`, which the test checks the cluster has, with `fsync`);
//! it cannot show that the disk keeps what fsync flushed through a power cut.
//!
//! This takes the whole throwaway cluster (`ASSETMAP_TEST_PGDATA`, `ASSETMAP_TEST_PG_CTL`, from
//! `bash tests/run.sh`) down, so it is the only test in its binary, and a guard starts the
//! cluster again even if an assertion fails.

use assetmap_testing::{
    children_of, create_postgis_database, pg_ctl, postmaster_pid, proc_stat, required_env,
    RestartOnDrop,
};
use assetmap_tests::{agent, request, sample_feature, ServerProcess, ADMIN_TOKEN};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Threads posting at once, so that some writes are in flight when PostgreSQL dies.
const WRITERS: usize = 4;
/// Acknowledged writes before the crash.
const ACKED_BEFORE_CRASH: usize = 60;
/// Acknowledged writes after the restart before the writers stop.
const ACKED_AFTER_RESTART: usize = 8;

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_assetmap-under-test"))
}

/// One POST and what came of it.
#[derive(Debug)]
struct Write {
    name: String,
    /// The HTTP status, or 0 when no answer came.
    status: u16,
    /// The new asset's id, from a `201`.
    id: Option<String>,
    body: String,
    /// Sent after the crash began.
    after_crash: bool,
}

/// POSTs a new asset named `name`; never panics, so a writer thread lives through the crash.
fn post(http: &ureq::Agent, items: &str, name: &str) -> (u16, Option<String>, String) {
    let body = sample_feature(name).to_string();
    let req = ureq::http::Request::builder()
        .method("POST")
        .uri(items)
        .header("Authorization", format!("Bearer {ADMIN_TOKEN}"))
        .header("Content-Type", "application/geo+json")
        .header("Accept", "application/json")
        .body(body)
        .expect("request");
    match http.run(req) {
        Ok(mut resp) => {
            let status = resp.status().as_u16();
            let text = resp.body_mut().read_to_string().unwrap_or_default();
            let id = (status == 201)
                .then(|| serde_json::from_str::<serde_json::Value>(&text).ok())
                .flatten()
                .and_then(|v| v["id"].as_str().map(str::to_owned));
            (status, id, text)
        }
        Err(e) => (0, None, e.to_string()),
    }
}

/// Runs `sql` with psql on `url`; returns its unaligned, tab-separated output lines.
fn psql(url: &str, sql: &str) -> Vec<String> {
    let bin = PathBuf::from(required_env("ASSETMAP_TEST_PG_BIN")).join("psql");
    let out = Command::new(&bin)
        .arg(url)
        .args(["-X", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", bin.display()));
    assert!(
        out.status.success(),
        "psql {sql:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("UTF-8 from psql")
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The process has ended and been reaped: a zombie postmaster still counts as running for the
/// next one, which would refuse to start.
fn gone(pid: u32) -> bool {
    proc_stat(pid).is_none()
}

/// `kill SIGNAL PIDS…`.
fn signal(signal: &[&str], pids: &[u32]) {
    let status = Command::new("kill")
        .args(signal)
        .args(pids.iter().map(u32::to_string))
        .status()
        .expect("run kill");
    assert!(status.success(), "kill {signal:?} {pids:?} failed");
}

#[test]
fn acknowledged_writes_survive_a_postgresql_crash() {
    let url = create_postgis_database("crash");
    // The cluster must be the durable kind, or the test proves nothing.
    assert_eq!(psql(&url, "SHOW fsync"), ["on"]);
    assert_eq!(psql(&url, "SHOW synchronous_commit"), ["on"]);

    let args = ["--store", url.as_str(), "serve", "--bind", "127.0.0.1:0"];
    let server = ServerProcess::start(binary(), &args, &[], Duration::from_secs(180));
    let items = format!("{}/collections/assets/items", server.address);

    let writes: Arc<Mutex<Vec<Write>>> = Arc::default();
    let acked = Arc::new(AtomicUsize::new(0));
    let acked_after_restart = Arc::new(AtomicUsize::new(0));
    let crashed = Arc::new(AtomicBool::new(false));
    let restarted = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (items, writes, acked, acked_after_restart) = (
                items.clone(),
                Arc::clone(&writes),
                Arc::clone(&acked),
                Arc::clone(&acked_after_restart),
            );
            let (crashed, restarted, stop) = (
                Arc::clone(&crashed),
                Arc::clone(&restarted),
                Arc::clone(&stop),
            );
            std::thread::spawn(move || {
                let http = agent();
                for i in 0.. {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let name = format!("crash-{w}-{i}");
                    let after_crash = crashed.load(Ordering::SeqCst);
                    let after_restart = restarted.load(Ordering::SeqCst);
                    let (status, id, body) = post(&http, &items, &name);
                    if status == 201 {
                        acked.fetch_add(1, Ordering::SeqCst);
                        if after_restart {
                            acked_after_restart.fetch_add(1, Ordering::SeqCst);
                        }
                    } else {
                        std::thread::sleep(Duration::from_millis(100));
                    }
                    writes.lock().unwrap().push(Write {
                        name,
                        status,
                        id,
                        body,
                        after_crash,
                    });
                }
            })
        })
        .collect();

    // Mid-stream: the crash.
    let deadline = Instant::now() + Duration::from_secs(120);
    while acked.load(Ordering::SeqCst) < ACKED_BEFORE_CRASH {
        assert!(
            Instant::now() < deadline,
            "only {} writes acknowledged in 120 s",
            acked.load(Ordering::SeqCst)
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let guard = RestartOnDrop;
    let postmaster = postmaster_pid();
    // Stopped first, so that it forks no backend between the listing of its children and the
    // kill (a backend left alive would hold the shared memory and keep the cluster from
    // starting again), then killed, with every child, at once.
    signal(&["-STOP"], &[postmaster]);
    let children = children_of(postmaster);
    assert!(
        !children.is_empty(),
        "the postmaster {postmaster} has children"
    );
    crashed.store(true, Ordering::SeqCst);
    signal(&["-9"], &[&[postmaster][..], &children].concat());
    let acked_at_crash = acked.load(Ordering::SeqCst);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !std::iter::once(postmaster)
        .chain(children.iter().copied())
        .all(gone)
    {
        assert!(
            Instant::now() < deadline,
            "PostgreSQL's processes did not die (and get reaped) within 30 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // Writes keep coming while the database is down: all refused.
    std::thread::sleep(Duration::from_millis(500));

    // The restart: crash recovery from the write-ahead log.
    assert!(pg_ctl("start"), "the cluster starts again after the crash");
    restarted.store(true, Ordering::SeqCst);
    let deadline = Instant::now() + Duration::from_secs(60);
    while acked_after_restart.load(Ordering::SeqCst) < ACKED_AFTER_RESTART {
        assert!(
            Instant::now() < deadline,
            "writes were not acknowledged again within 60 s of the restart"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    stop.store(true, Ordering::SeqCst);
    for w in writers {
        w.join().expect("a writer thread");
    }
    let writes = Arc::try_unwrap(writes).unwrap().into_inner().unwrap();

    // Every answer was 201 or 503 (the server never failed to answer, never a 500).
    let odd: Vec<(&str, u16, &str)> = writes
        .iter()
        .filter(|w| w.status != 201 && w.status != 503)
        .map(|w| (w.name.as_str(), w.status, w.body.as_str()))
        .collect();
    assert!(odd.is_empty(), "answers other than 201 or 503: {odd:#?}");
    let acked: BTreeMap<&str, &str> = writes
        .iter()
        .filter(|w| w.status == 201)
        .map(|w| (w.name.as_str(), w.id.as_deref().expect("a 201 with an id")))
        .collect();
    let refused: BTreeSet<&str> = writes
        .iter()
        .filter(|w| w.status != 201)
        .map(|w| w.name.as_str())
        .collect();
    assert!(
        writes.iter().any(|w| w.after_crash && w.status == 503),
        "some writes were refused during the crash"
    );

    // In the database, read directly: name -> (id, rows in the change feed for that id).
    let rows: BTreeMap<String, (String, u64)> = psql(
        &url,
        "SELECT a.name, a.id, (SELECT count(*) FROM asset_changes c WHERE c.asset_id = a.id) \
         FROM assets a WHERE a.name LIKE 'crash-%'",
    )
    .into_iter()
    .map(|line| {
        let f: Vec<&str> = line.split('\t').collect();
        (f[0].to_owned(), (f[1].to_owned(), f[2].parse().unwrap()))
    })
    .collect();
    let lost: Vec<(&str, &str)> = acked
        .iter()
        .filter(|(name, id)| rows.get(**name).is_none_or(|(db_id, _)| db_id != **id))
        .map(|(n, i)| (*n, *i))
        .collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged writes are not in the database after the crash: {lost:?}",
        lost.len(),
        acked.len()
    );
    // Whole or not at all: each asset has exactly one change-feed row, and no change-feed row
    // names an asset that is not there.
    let half: Vec<_> = rows.iter().filter(|(_, (_, n))| *n != 1).collect();
    assert!(
        half.is_empty(),
        "assets without exactly one change: {half:?}"
    );
    let orphans = psql(
        &url,
        "SELECT c.seq, c.asset_id FROM asset_changes c \
         WHERE NOT EXISTS (SELECT 1 FROM assets a WHERE a.id = c.asset_id)",
    );
    assert!(
        orphans.is_empty(),
        "changes without their asset: {orphans:?}"
    );
    let unknown: Vec<&String> = rows
        .keys()
        .filter(|n| !acked.contains_key(n.as_str()) && !refused.contains(n.as_str()))
        .collect();
    assert!(unknown.is_empty(), "assets nobody wrote: {unknown:?}");
    let refused_but_committed: Vec<&&str> =
        refused.iter().filter(|n| rows.contains_key(**n)).collect();
    let total: u64 = psql(&url, "SELECT count(*) FROM assets")[0]
        .parse()
        .unwrap();

    // Through the server that took the writes, once it has recovered: every acknowledged write,
    // and as many assets as the database holds (it catches up with any commit whose answer was
    // lost in the crash).
    let http = agent();
    let h = request(
        &http,
        "GET",
        &format!("{}/health", server.address),
        None,
        None,
    )
    .json();
    assert_eq!(h["status"], "ok", "{h}");
    for (name, id) in &acked {
        let r = request(&http, "GET", &format!("{items}/{id}"), None, None);
        assert_eq!(r.status, 200, "acknowledged {name} ({id}): {}", r.body);
        assert_eq!(r.json()["properties"]["name"], *name);
    }
    let matched = |address: &str| {
        request(
            &http,
            "GET",
            &format!("{address}/collections/assets/items?limit=1"),
            None,
            None,
        )
        .json()["numberMatched"]
            .as_u64()
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while matched(&server.address) != Some(total) {
        assert!(
            Instant::now() < deadline,
            "the server shows {:?} assets, the database holds {total}",
            matched(&server.address)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // And a fresh server, which reads everything from the database.
    let fresh = ServerProcess::start(binary(), &args, &[], Duration::from_secs(180));
    assert_eq!(matched(&fresh.address), Some(total));
    for (name, id) in &acked {
        let r = request(
            &http,
            "GET",
            &format!("{}/collections/assets/items/{id}", fresh.address),
            None,
            None,
        );
        assert_eq!(
            r.status, 200,
            "acknowledged {name} ({id}) on a fresh server"
        );
    }

    eprintln!(
        "postgis_crash: {} writes; {acked_at_crash} acknowledged before the kill, {} in all; \
         {} refused, of which {} committed all the same (the answer lost in the crash)",
        writes.len(),
        acked.len(),
        refused.len(),
        refused_but_committed.len()
    );
    drop(guard);
}
