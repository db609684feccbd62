//! The production store under stress: a server process on PostGIS, with short bounds on every
//! wait, against a table another session has locked, a PostgreSQL frozen with `SIGSTOP`, and a
//! PostgreSQL that is not up yet when the server starts. No wait is left unbounded: writes that
//! cannot finish in time get `503` problem+json with `Retry-After` within the configured
//! timeout (plus a margin of 3 s for a loaded machine), reads are answered from memory
//! throughout, `/health` says `degraded` (the database unresponsive) or `starting` (not loaded
//! yet) within seconds, and everything recovers without a restart.
//!
//! The embedded store's one case is here too: another process holding the GeoPackage's write
//! lock.
//!
//! These tests lock, freeze and stop the whole throwaway cluster (`ASSETMAP_TEST_PG_CTL`,
//! `ASSETMAP_TEST_PGDATA`, from `bash tests/run.sh`). Cargo runs test binaries one after
//! another, so no other binary's tests see that; within this binary the tests take
//! [`CLUSTER`] in turn, and guards thaw (`FrozenCluster`) or restart (`RestartOnDrop`) the
//! cluster even when an assertion fails.

use assetmap_testing::{pg_ctl, FrozenCluster, RestartOnDrop};
use assetmap_tests::{
    agent, fresh_postgis_database, request, sample_feature, Reply, ServerProcess, ADMIN_TOKEN,
};
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Held by each test for its whole run: one test at a time does anything to the cluster.
static CLUSTER: Mutex<()> = Mutex::new(());

fn exclusive() -> MutexGuard<'static, ()> {
    CLUSTER.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `db_lock_timeout_secs` of the servers under test.
const LOCK_TIMEOUT: Duration = Duration::from_secs(2);
/// `health_timeout_secs`.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(1);
/// How much later than its bound an answer may come on a loaded 2-core machine.
const MARGIN: Duration = Duration::from_secs(3);
/// A read answered from memory; far above what one takes (milliseconds), far below any
/// database timeout.
const FAST_READ: Duration = Duration::from_secs(1);

/// The settings every server here runs with (whole seconds, as the constants above). The
/// statement timeout is long, so that a write answered within the lock timeout shows that the
/// lock timeout, and nothing else, ended its wait.
const SERVER_ENV: [(&str, &str); 6] = [
    ("ASSETMAP_DB_LOCK_TIMEOUT_SECS", "2"),
    ("ASSETMAP_DB_STATEMENT_TIMEOUT_SECS", "10"),
    ("ASSETMAP_HEALTH_TIMEOUT_SECS", "1"),
    ("ASSETMAP_DB_CONNECT_TIMEOUT_SECS", "1"),
    ("ASSETMAP_DB_POOL_WAIT_TIMEOUT_SECS", "1"),
    ("ASSETMAP_DB_IDLE_IN_TRANSACTION_TIMEOUT_SECS", "2"),
];

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_assetmap-under-test"))
}

/// A server on `url` with [`SERVER_ENV`], and then `overrides`.
fn serve(url: &str, overrides: &[(&str, &str)]) -> ServerProcess {
    let args = ["--store", url, "serve", "--bind", "127.0.0.1:0"];
    let env: Vec<(&str, &str)> = SERVER_ENV.iter().chain(overrides).copied().collect();
    ServerProcess::start(binary(), &args, &env, Duration::from_secs(180))
}

/// `method url` and how long its answer took.
fn timed(
    http: &ureq::Agent,
    method: &str,
    url: &str,
    body: Option<&Value>,
    token: Option<&str>,
) -> (Reply, Duration) {
    let started = Instant::now();
    let r = request(http, method, url, body, token);
    (r, started.elapsed())
}

/// A `503` problem document with a `Retry-After` in seconds.
fn assert_503(what: &str, r: &Reply) {
    assert_eq!(r.status, 503, "{what}: {}", r.body);
    assert!(
        r.content_type.starts_with("application/problem+json"),
        "{what}: {}",
        r.content_type
    );
    let retry_after: u64 = r
        .header("Retry-After")
        .unwrap_or_else(|| panic!("{what}: no Retry-After"))
        .parse()
        .unwrap_or_else(|e| panic!("{what}: Retry-After in seconds: {e}"));
    assert!(
        (1..=300).contains(&retry_after),
        "{what}: Retry-After {retry_after}"
    );
    assert_eq!(r.json()["status"], 503, "{what}");
}

/// Runs one SQL statement with psql on `url`; its unaligned output.
fn psql(url: &str, sql: &str) -> String {
    let out = Command::new("psql")
        .arg(url)
        .args(["-X", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .output()
        .expect("psql must be installed (bash tests/run.sh installs it)");
    assert!(
        out.status.success(),
        "psql {sql:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Another session holding `LOCK TABLE assets IN ACCESS EXCLUSIVE MODE` in an open
/// transaction (an interactive psql), until dropped: then it rolls back and quits, and if it
/// does not, it is killed, which ends its session just the same.
struct TableLock {
    psql: Child,
    stdin: Option<ChildStdin>,
}

impl TableLock {
    fn take(url: &str) -> TableLock {
        let mut psql = Command::new("psql")
            .arg(url)
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("psql must be installed (bash tests/run.sh installs it)");
        let mut stdin = psql.stdin.take().expect("piped stdin");
        stdin
            .write_all(b"BEGIN;\nLOCK TABLE assets IN ACCESS EXCLUSIVE MODE;\n\\echo locked\n")
            .expect("write to psql");
        stdin.flush().expect("flush psql's input");
        let stdout = psql.stdout.take().expect("piped stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read psql's output");
        assert_eq!(line.trim(), "locked", "psql took the lock");
        TableLock {
            psql,
            stdin: Some(stdin),
        }
    }
}

impl Drop for TableLock {
    fn drop(&mut self) {
        if let Some(mut stdin) = self.stdin.take() {
            let _ = stdin.write_all(b"ROLLBACK;\n\\q\n");
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.psql.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.psql.kill();
        let _ = self.psql.wait();
    }
}

/// `GET /health`: status and body.
fn health(http: &ureq::Agent, address: &str) -> (u16, Value) {
    let r = request(http, "GET", &format!("{address}/health"), None, None);
    (r.status, r.json())
}

/// Polls `/health` until `ready(status, body)` holds (at most `within`); returns the body and
/// how long it took.
fn health_until(
    http: &ureq::Agent,
    address: &str,
    within: Duration,
    ready: impl Fn(u16, &Value) -> bool,
) -> (Value, Duration) {
    let started = Instant::now();
    loop {
        let r = request(http, "GET", &format!("{address}/health"), None, None);
        let body = r.json();
        if ready(r.status, &body) {
            return (body, started.elapsed());
        }
        assert!(
            started.elapsed() < within,
            "/health still {} {body} after {within:?}",
            r.status
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// POSTs until one is acknowledged (at most `within`, `503`s meanwhile); its id.
fn post_until_created(http: &ureq::Agent, items: &str, name: &str, within: Duration) -> String {
    let started = Instant::now();
    loop {
        let r = request(
            http,
            "POST",
            items,
            Some(&sample_feature(name)),
            Some(ADMIN_TOKEN),
        );
        if r.status == 201 {
            return r.json()["id"].as_str().expect("id").to_owned();
        }
        assert_eq!(r.status, 503, "while recovering: {}", r.body);
        assert!(
            started.elapsed() < within,
            "writes did not recover within {within:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_locked_table_gives_503_within_the_lock_timeout_while_reads_stay_fast() {
    let _cluster = exclusive();
    let url = fresh_postgis_database();
    let server = serve(&url, &[]);
    let http = agent();
    let items = format!("{}/collections/assets/items", server.address);
    let r = request(
        &http,
        "POST",
        &items,
        Some(&sample_feature("Before the lock")),
        Some(ADMIN_TOKEN),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let one = format!("{items}/{}", r.json()["id"].as_str().expect("id"));
    let before = request(&http, "GET", &one, None, None).json();
    let matched = request(&http, "GET", &format!("{items}?limit=5"), None, None).json()
        ["numberMatched"]
        .clone();

    let lock = TableLock::take(&url);

    // A write waits for the lock at most the lock timeout, then 503; reads made meanwhile are
    // answered at once from memory.
    let writer = {
        let (http, items) = (http.clone(), items.clone());
        std::thread::spawn(move || {
            timed(
                &http,
                "POST",
                &items,
                Some(&sample_feature("During the lock")),
                Some(ADMIN_TOKEN),
            )
        })
    };
    // The write is waiting for the lock (an INSERT's lock on `assets`, not granted)…
    let started = Instant::now();
    while psql(
        &url,
        "SELECT count(*) FROM pg_locks WHERE NOT granted AND mode = 'RowExclusiveLock' \
         AND relation = 'assets'::regclass",
    ) != "1"
    {
        assert!(
            started.elapsed() < LOCK_TIMEOUT,
            "the write never waited for the lock"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // …and reads are answered meanwhile.
    for path in [
        one.clone(),
        format!("{items}?limit=5"),
        format!("{}/search?postcode=M33%207XY&q=singing", server.address),
    ] {
        let (r, took) = timed(&http, "GET", &path, None, None);
        eprintln!("a read while a write waited on the lock: {took:?}");
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        assert!(
            took < FAST_READ,
            "{path} took {took:?} while a write waited"
        );
    }
    let (r, took) = writer.join().expect("writer thread");
    assert_503("POST", &r);
    eprintln!("POST against a locked table: 503 after {took:?}");
    assert!(
        took >= LOCK_TIMEOUT.mul_f64(0.9) && took < LOCK_TIMEOUT + MARGIN,
        "POST answered after {took:?} (lock timeout {LOCK_TIMEOUT:?})"
    );
    let mut renamed = before.clone();
    renamed["properties"]["name"] = serde_json::json!("Renamed during the lock");
    for (method, body) in [("PUT", Some(&renamed)), ("DELETE", None)] {
        let (r, took) = timed(&http, method, &one, body, Some(ADMIN_TOKEN));
        assert_503(method, &r);
        assert!(
            took < LOCK_TIMEOUT + MARGIN,
            "{method} answered after {took:?}"
        );
    }
    // The database answers: a locked table is not an unhealthy database.
    let (s, h) = health(&http, &server.address);
    assert_eq!((s, &h["status"]), (200, &Value::from("ok")), "{h}");
    assert_eq!(
        request(&http, "GET", &format!("{items}?limit=5"), None, None).json()["numberMatched"],
        matched
    );

    drop(lock);
    let created = post_until_created(&http, &items, "After the lock", Duration::from_secs(10));
    assert_eq!(
        request(&http, "GET", &format!("{items}/{created}"), None, None).status,
        200
    );
    assert_eq!(
        request(&http, "GET", &one, None, None).json()["properties"]["name"],
        "Before the lock",
        "a refused write changed nothing"
    );
    assert_eq!(
        psql(
            &url,
            "SELECT count(*) FROM assets WHERE name IN ('During the lock', 'Renamed during the lock')"
        ),
        "0",
        "nothing refused reached the database"
    );
}

#[test]
fn a_frozen_database_turns_health_degraded_and_writes_to_503_and_all_recovers() {
    let _cluster = exclusive();
    let url = fresh_postgis_database();
    // A frozen database answers nothing, so only the client-side bounds can end a wait: on a
    // store call (statement timeout 1 s + 1 s) and on /health (1 s). Every other bound is
    // long (the lock timeout also bounds the wait for this process's queue of writes), so
    // answers within those show that these two, and nothing else, ended the waits.
    let server = serve(
        &url,
        &[
            ("ASSETMAP_DB_LOCK_TIMEOUT_SECS", "10"),
            ("ASSETMAP_DB_STATEMENT_TIMEOUT_SECS", "1"),
            ("ASSETMAP_DB_CONNECT_TIMEOUT_SECS", "10"),
            ("ASSETMAP_DB_POOL_WAIT_TIMEOUT_SECS", "10"),
        ],
    );
    let http = agent();
    let items = format!("{}/collections/assets/items", server.address);
    let r = request(
        &http,
        "POST",
        &items,
        Some(&sample_feature("Before the freeze")),
        Some(ADMIN_TOKEN),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let one = format!("{items}/{}", r.json()["id"].as_str().expect("id"));
    let (_, h) = health(&http, &server.address);
    assert_eq!(h["status"], "ok", "before the freeze: {h}");
    let assets = h["assets"].clone();

    let frozen = FrozenCluster::freeze();

    // Health: degraded, with the reason, within its timeout; the engine still full.
    let (r, took) = timed(
        &http,
        "GET",
        &format!("{}/health", server.address),
        None,
        None,
    );
    eprintln!(
        "/health with PostgreSQL frozen: {} after {took:?}",
        r.status
    );
    assert_eq!(
        r.status, 200,
        "a degraded server still serves reads: {}",
        r.body
    );
    let h = r.json();
    assert_eq!(h["status"], "degraded", "{h}");
    assert_eq!(h["store"]["reachable"], false, "{h}");
    assert_eq!(
        h["store"]["reason"], "the store did not answer within 1.0 s",
        "{h}"
    );
    assert_eq!(h["assets"], assets, "{h}");
    assert!(
        took < HEALTH_TIMEOUT + MARGIN,
        "/health took {took:?} (health timeout {HEALTH_TIMEOUT:?})"
    );

    // Reads: from memory, at once.
    let (r, took) = timed(&http, "GET", &one, None, None);
    eprintln!("a read with PostgreSQL frozen: {took:?}");
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(took < FAST_READ, "a read took {took:?}");

    // Writes: 503 once the call's bound (statement timeout 1 s + 1 s) has passed.
    let call = Duration::from_secs(2);
    for name in ["During the freeze", "Again during the freeze"] {
        let (r, took) = timed(
            &http,
            "POST",
            &items,
            Some(&sample_feature(name)),
            Some(ADMIN_TOKEN),
        );
        eprintln!("POST with PostgreSQL frozen: {} after {took:?}", r.status);
        assert_503("POST", &r);
        assert!(took < call + MARGIN, "POST answered after {took:?}");
    }

    // Thawed: healthy again and writing, through the same process.
    drop(frozen);
    let (h, took) = health_until(&http, &server.address, Duration::from_secs(15), |s, h| {
        s == 200 && h["status"] == "ok"
    });
    eprintln!("/health ok again {took:?} after SIGCONT");
    assert_eq!(h["store"]["reachable"], true, "{h}");
    let created = post_until_created(&http, &items, "After the freeze", Duration::from_secs(15));
    assert_eq!(
        request(&http, "GET", &format!("{items}/{created}"), None, None).status,
        200
    );
    // Each refused write was still waiting for its BEGIN when the server gave up on it, and was
    // rolled back once PostgreSQL went on.
    assert_eq!(
        psql(
            &url,
            "SELECT count(*) FROM assets WHERE name ILIKE '%during the freeze'"
        ),
        "0"
    );
}

#[test]
fn a_server_started_before_the_database_waits_then_serves() {
    let _cluster = exclusive();
    let url = fresh_postgis_database();
    let guard = RestartOnDrop;
    assert!(pg_ctl("stop"), "the cluster stops");

    let args = ["--store", url.as_str(), "serve", "--bind", "127.0.0.1:0"];
    let mut server =
        ServerProcess::start_waiting(binary(), &args, &SERVER_ENV, Duration::from_secs(60));
    let http = agent();
    let health = format!("{}/health", server.address);
    let items = format!("{}/collections/assets/items", server.address);

    // Starting: /health says so (503, so a load balancer sends it nothing yet), with why;
    // everything else is a 503 problem document.
    let r = request(&http, "GET", &health, None, None);
    assert_eq!(r.status, 503, "{}", r.body);
    assert!(r.header("Retry-After").is_some());
    let h = r.json();
    assert_eq!(h["status"], "starting", "{h}");
    assert_eq!(h["store"]["kind"], "postgis", "{h}");
    assert_eq!(h["store"]["reachable"], false, "{h}");
    assert!(
        h["store"]["reason"]
            .as_str()
            .is_some_and(|why| why.contains("cannot reach PostgreSQL")),
        "{h}"
    );
    assert!(
        !h.to_string().contains(&url),
        "the reason names no URL: {h}"
    );
    assert_503("GET items", &request(&http, "GET", &items, None, None));
    assert_503(
        "POST",
        &request(
            &http,
            "POST",
            &items,
            Some(&sample_feature("Too early")),
            Some(ADMIN_TOKEN),
        ),
    );
    // It keeps trying (attempts 0.5 s, then 1 s… apart) rather than exiting.
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        server.child.try_wait().expect("the process").is_none(),
        "the server exited while the database was down"
    );
    assert_eq!(
        request(&http, "GET", &health, None, None).json()["status"],
        "starting"
    );

    assert!(pg_ctl("start"), "the cluster starts");
    // Retries back off up to 10 s apart; then seeding and loading take a few seconds.
    let (h, took) = health_until(&http, &server.address, Duration::from_secs(60), |s, h| {
        s == 200 && h["status"] == "ok"
    });
    eprintln!("serving {took:?} after the database came up");
    assert_eq!(h["assets"], 1910, "seeded with the bundled data: {h}");
    let r = request(&http, "GET", &format!("{items}?limit=1"), None, None);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["numberMatched"], 1910);
    post_until_created(&http, &items, "Once up", Duration::from_secs(5));
    drop(guard);
}

#[test]
fn a_database_that_does_not_exist_fails_at_once_with_one_line() {
    let _cluster = exclusive();
    let url = assetmap_testing::with_database(&assetmap_testing::admin_url(), "no_such_database");
    let started = Instant::now();
    let out = Command::new(binary())
        .args(["--store", url.as_str(), "serve", "--bind", "127.0.0.1:0"])
        .env("ASSETMAP_DATA", assetmap_tests::data_dir())
        .env("ASSETMAP_LOG", "warn")
        .env("RUST_BACKTRACE", "1")
        .envs(SERVER_ENV)
        .stdin(Stdio::null())
        .output()
        .expect("run the server");
    let took = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "it fails: {stderr}");
    assert!(took < Duration::from_secs(20), "it failed after {took:?}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line: {stderr}");
    assert!(
        lines[0].starts_with("error: ") && lines[0].contains("\"no_such_database\" does not exist"),
        "{stderr}"
    );
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("starting on"),
        "not waited for"
    );
}

/// Two processes on one GeoPackage: while another holds the file's write lock (an open
/// `BEGIN IMMEDIATE`, as a writer stopped mid-transaction would), a write gets `503` after
/// the lock timeout (SQLite's busy timeout) and reads go on; once the lock is let go, writes
/// work again.
#[test]
fn a_geopackage_locked_by_another_process_gives_503_within_the_lock_timeout() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("assets.gpkg");
    let args = [
        "--store",
        path.to_str().expect("UTF-8 path"),
        "serve",
        "--bind",
        "127.0.0.1:0",
    ];
    let server = ServerProcess::start(binary(), &args, &SERVER_ENV, Duration::from_secs(180));
    let http = agent();
    let items = format!("{}/collections/assets/items", server.address);
    let r = request(
        &http,
        "POST",
        &items,
        Some(&sample_feature("Before the lock")),
        Some(ADMIN_TOKEN),
    );
    assert_eq!(r.status, 201, "{}", r.body);

    let other = rusqlite::Connection::open(&path).expect("open the file");
    other
        .execute_batch("BEGIN IMMEDIATE")
        .expect("take the write lock");
    let (r, took) = timed(
        &http,
        "POST",
        &items,
        Some(&sample_feature("During the lock")),
        Some(ADMIN_TOKEN),
    );
    eprintln!("POST to a GeoPackage locked by another process: 503 after {took:?}");
    assert_503("POST", &r);
    assert!(
        took >= LOCK_TIMEOUT.mul_f64(0.9) && took < LOCK_TIMEOUT + MARGIN,
        "POST answered after {took:?} (lock timeout {LOCK_TIMEOUT:?})"
    );
    let (r, took) = timed(&http, "GET", &format!("{items}?limit=5"), None, None);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(took < FAST_READ, "a read took {took:?}");
    let (s, h) = health(&http, &server.address);
    assert_eq!((s, &h["status"]), (200, &Value::from("ok")), "{h}");

    other.execute_batch("ROLLBACK").expect("let go");
    post_until_created(&http, &items, "After the lock", Duration::from_secs(10));
    let during: i64 = other
        .query_row(
            "SELECT count(*) FROM assets WHERE name = 'During the lock'",
            [],
            |row| row.get(0),
        )
        .expect("count");
    assert_eq!(during, 0, "nothing refused was written");
}
