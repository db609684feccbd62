//! Helpers for assetmap's end-to-end tests (the tests themselves are in `tests/tests/`).
//!
//! - [`spawn_app`] starts the real application in-process on a free loopback port, on its own
//!   temporary GeoPackage store (or a PostGIS database when asked), and returns a [`TestApp`]
//!   with typed helpers, so tests read as Arrange / Act / Assert.
//! - [`ServerProcess`] starts the real binary as a child process (for `kill -9` and
//!   multi-process tests) and reads the port from its first line of output.
#![forbid(unsafe_code)]

use assetmap_server::{Application, Seed, Settings, StoreLocation};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The admin token test servers are started with.
pub const ADMIN_TOKEN: &str = "test-admin-token";

/// The repository's `data/` folder.
pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../data")
}

/// Which store a test app runs on.
#[derive(Debug, Clone)]
pub enum TestStore {
    /// A fresh GeoPackage file in a temporary folder.
    GeoPackage,
    /// A fresh database on the throwaway PostGIS cluster that `tests/run.sh` starts.
    Postgis,
}

/// A running application and an HTTP client for it.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    pub port: u16,
    pub state: std::sync::Arc<assetmap_server::state::AppState>,
    /// Keeps the temporary store folder alive as long as the app.
    pub dir: tempfile::TempDir,
    agent: ureq::Agent,
}

/// A response, read whole: status, headers we care about, body.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    /// The body as JSON (panics with the body when it is not JSON: a test failure).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A response read whole as bytes (downloads, GeoPackages).
#[derive(Debug)]
pub struct Download {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Download {
    /// A header's value, `""` when absent.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map_or("", |(_, v)| v.as_str())
    }

    /// The body as JSON (panics with the body when it is not JSON: a test failure).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
}

/// One of the bundled boundary files (`data/sources/trafford/boundaries/FILE`) as JSON.
pub fn boundaries(file: &str) -> Value {
    let path = data_dir().join("sources/trafford/boundaries").join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// Runs an SQL file with `psql` on `url`, rows unaligned with `|` between fields; a failure of
/// psql is a failed test, with its message.
pub fn psql_file(url: &str, sql_file: &Path) -> String {
    let out = Command::new("psql")
        .arg(url)
        .args(["-v", "ON_ERROR_STOP=1", "-q", "-At", "-F", "|", "-f"])
        .arg(sql_file)
        .output()
        .expect("psql must be installed (bash tests/run.sh installs it)");
    assert!(
        out.status.success(),
        "psql failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("psql prints UTF-8")
}

/// Settings for a test server: port 0 on loopback, writes allowed with [`ADMIN_TOKEN`].
pub fn test_settings(store: StoreLocation, seed: Seed) -> Settings {
    Settings {
        bind: "127.0.0.1:0".parse().expect("loopback address"),
        store,
        data_dir: data_dir(),
        seed,
        admin_token: Some(ADMIN_TOKEN.to_owned()),
        base_map_style: None,
        title: "assetmap test".to_owned(),
        poll_interval_secs: 0.2,
        ..Settings::default()
    }
}

/// The URL of the throwaway PostGIS cluster's maintenance database, or a failure that says how
/// to get one.
pub fn postgis_url() -> String {
    assetmap_testing::admin_url()
}

/// Creates a fresh, empty database with PostGIS on the test cluster and returns its URL.
pub fn fresh_postgis_database() -> String {
    assetmap_testing::create_postgis_database("t")
}

/// Starts the application in-process on the bundled data.
pub async fn spawn_app(store: TestStore) -> TestApp {
    spawn_app_with(store, Seed::Bundled).await
}

/// Starts the application in-process with the given seed.
pub async fn spawn_app_with(store: TestStore, seed: Seed) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let location = match store {
        TestStore::GeoPackage => StoreLocation::GeoPackage(dir.path().join("assets.gpkg")),
        TestStore::Postgis => StoreLocation::Postgis(fresh_postgis_database()),
    };
    spawn_app_in(dir, location, seed).await
}

/// Starts the application in-process with settings of the caller's choosing (start from
/// [`test_settings`]), keeping `dir` alive with it.
pub async fn spawn_app_with_settings(dir: tempfile::TempDir, settings: Settings) -> TestApp {
    let app = Application::build(settings)
        .await
        .expect("the application builds");
    let port = app.port();
    let state = app.state();
    tokio::spawn(app.run_until_stopped());
    TestApp::new(port, state, dir)
}

/// Starts the application in-process on a store of the caller's choosing (e.g. a PostGIS URL
/// through a proxy), keeping `dir` alive with it.
pub async fn spawn_app_in(dir: tempfile::TempDir, location: StoreLocation, seed: Seed) -> TestApp {
    let app = Application::build(test_settings(location, seed))
        .await
        .expect("the application builds");
    let port = app.port();
    let state = app.state();
    tokio::spawn(app.run_until_stopped());
    TestApp::new(port, state, dir)
}

impl TestApp {
    fn new(
        port: u16,
        state: std::sync::Arc<assetmap_server::state::AppState>,
        dir: tempfile::TempDir,
    ) -> TestApp {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        TestApp {
            address: format!("http://127.0.0.1:{port}"),
            port,
            state,
            dir,
            agent,
        }
    }

    /// GET `path` (with query) with an optional `Accept` header. Runs the blocking client off the
    /// async runtime.
    pub async fn get_with(&self, path: &str, accept: Option<&str>) -> Reply {
        let agent = self.agent.clone();
        let url = format!("{}{path}", self.address);
        let accept = accept.map(str::to_owned);
        tokio::task::spawn_blocking(move || {
            let mut req = agent.get(&url);
            if let Some(a) = accept {
                req = req.header("Accept", &a);
            }
            read(req.call())
        })
        .await
        .unwrap_or_else(rethrow)
    }

    /// GET `path` and read the body as bytes, whatever its size (up to 1 GiB).
    pub async fn download(&self, path: &str) -> Download {
        let agent = self.agent.clone();
        let url = format!("{}{path}", self.address);
        tokio::task::spawn_blocking(move || {
            let mut resp = agent.get(&url).call().expect("the server answered");
            let status = resp.status().as_u16();
            let headers = resp
                .headers()
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_owned()))
                .collect();
            let body = resp
                .body_mut()
                .with_config()
                .limit(BODY_LIMIT)
                .read_to_vec()
                .unwrap_or_else(|e| panic!("reading the body of a {status} response failed: {e}"));
            Download {
                status,
                headers,
                body,
            }
        })
        .await
        .expect("request task")
    }

    /// GET `path` as a JSON client.
    pub async fn get(&self, path: &str) -> Reply {
        self.get_with(path, Some("application/json")).await
    }

    /// Sends `body` with `method` to `path`, with the admin token unless `token` says otherwise.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        token: Option<&str>,
        extra: &[(&str, &str)],
    ) -> Reply {
        let agent = self.agent.clone();
        let url = format!("{}{path}", self.address);
        let method = method.to_owned();
        let body = body.map(|b| b.to_string());
        let token = token.map(str::to_owned);
        let extra: Vec<(String, String)> = extra
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        tokio::task::spawn_blocking(move || {
            let mut req = ureq::http::Request::builder()
                .method(method.as_str())
                .uri(&url);
            if let Some(t) = token {
                req = req.header("Authorization", format!("Bearer {t}"));
            }
            if body.is_some() {
                req = req.header("Content-Type", "application/geo+json");
            }
            for (k, v) in extra {
                req = req.header(k, v);
            }
            let req = req.body(body.unwrap_or_default()).expect("request");
            read(agent.run(req))
        })
        .await
        .unwrap_or_else(rethrow)
    }

    /// Sends `body` as it is, declared as `content_type`, with no credentials.
    pub async fn send_text(
        &self,
        method: &str,
        path: &str,
        body: &str,
        content_type: &str,
    ) -> Reply {
        let agent = self.agent.clone();
        let url = format!("{}{path}", self.address);
        let (method, body, content_type) =
            (method.to_owned(), body.to_owned(), content_type.to_owned());
        tokio::task::spawn_blocking(move || {
            let req = ureq::http::Request::builder()
                .method(method.as_str())
                .uri(&url)
                .header("Content-Type", content_type)
                .body(body)
                .expect("request");
            read(agent.run(req))
        })
        .await
        .unwrap_or_else(rethrow)
    }

    /// POST a feature with the admin token.
    pub async fn create(&self, feature: &Value) -> Reply {
        self.send(
            "POST",
            "/collections/assets/items",
            Some(feature),
            Some(ADMIN_TOKEN),
            &[],
        )
        .await
    }
}

/// A panic in the request task (a failed read) is the test's own failure, with its message.
fn rethrow(e: tokio::task::JoinError) -> Reply {
    match e.try_into_panic() {
        Ok(panic) => std::panic::resume_unwind(panic),
        Err(e) => panic!("request task: {e}"),
    }
}

/// The largest response body a test reads (ureq's own default, 10 MB, is smaller than a page of
/// 10,000 assets).
const BODY_LIMIT: u64 = 1 << 30;

fn read(result: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Reply {
    let mut resp = result.expect("the server answered");
    let status = resp.status().as_u16();
    let headers: Vec<(String, String)> = resp
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    let content_type = headers
        .iter()
        .find(|(k, _)| k == "content-type")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    // A body that cannot be read whole is a failed test, never an empty body that a check
    // could read as "nothing there". The limit is far above any page the API serves (10,000
    // features), so hitting it is a failure too, with the error saying so.
    let body = resp
        .body_mut()
        .with_config()
        .limit(BODY_LIMIT)
        .lossy_utf8(true)
        .read_to_string()
        .unwrap_or_else(|e| panic!("reading the body of a {status} response failed: {e}"));
    Reply {
        status,
        content_type,
        headers,
        body,
    }
}

/// A valid asset feature for writes.
pub fn sample_feature(name: &str) -> Value {
    serde_json::json!({
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [-2.3183, 53.4242]},
        "properties": {
            "name": name,
            "description": "Weekly singing group for anyone who enjoys a song; no experience needed.",
            "abcd_type": "association",
            "categories": ["arts_heritage", "befriending"],
            "tags": ["singing", "choir"],
            "postcode": "M33 7XY",
            "opening_times": {"periods": [{"day": "tue", "opens": "18:30", "closes": "20:30"}]},
            "cost": {"band": "low", "detail": "£2 a session"},
            "access": ["step_free", "hearing_loop"],
            "audience": {"min_age": 16},
            "languages": ["en"],
            "provenance": {"source": "assetmap tests", "licence": "OGL-3.0"}
        }
    })
}

/// The `assetmap` binary running as a child process.
pub struct ServerProcess {
    pub child: Child,
    pub port: u16,
    pub address: String,
}

impl ServerProcess {
    /// Starts `binary serve --bind 127.0.0.1:0` with `args` and `env`, and waits (up to
    /// `timeout`) for its `listening on http://…` line: it serves.
    pub fn start(
        binary: &Path,
        args: &[&str],
        env: &[(&str, &str)],
        timeout: Duration,
    ) -> ServerProcess {
        Self::start_until(binary, args, env, timeout, "listening on ")
    }

    /// Like [`ServerProcess::start`] for a server whose store cannot be reached yet: waits for
    /// its `starting on http://… (waiting for the store)` line instead (it answers `starting`
    /// on that port until it can serve).
    pub fn start_waiting(
        binary: &Path,
        args: &[&str],
        env: &[(&str, &str)],
        timeout: Duration,
    ) -> ServerProcess {
        Self::start_until(binary, args, env, timeout, "starting on ")
    }

    fn start_until(
        binary: &Path,
        args: &[&str],
        env: &[(&str, &str)],
        timeout: Duration,
        prefix: &'static str,
    ) -> ServerProcess {
        let mut cmd = Command::new(binary);
        cmd.args(args)
            .env("ASSETMAP_ADMIN_TOKEN", ADMIN_TOKEN)
            .env("ASSETMAP_DATA", data_dir())
            .env("ASSETMAP_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {}: {e}", binary.display()));
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix(prefix) {
                    let address = rest.split_whitespace().next().unwrap_or_default();
                    let _ = tx.send(address.to_owned());
                }
            }
        });
        let started = Instant::now();
        let address = rx.recv_timeout(timeout).unwrap_or_else(|_| {
            panic!(
                "the server did not print {prefix:?} with its address within {:?}",
                started.elapsed()
            )
        });
        let port = address
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("a port in the address");
        ServerProcess {
            child,
            port,
            address,
        }
    }

    /// Sends `signal` as `kill` takes it (`"-TERM"`, as a service manager stops a server;
    /// `"-INT"`, as Ctrl-C) and waits up to `timeout` for the process to exit: its exit status,
    /// or `None` when it was still running then (it is killed with SIGKILL).
    pub fn stop_with(
        mut self,
        signal: &str,
        timeout: Duration,
    ) -> Option<std::process::ExitStatus> {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args([signal, &pid])
            .status()
            .expect("`kill` runs");
        assert!(sent.success(), "kill {signal} {pid} failed");
        let started = Instant::now();
        loop {
            if let Some(status) = self
                .child
                .try_wait()
                .expect("the process can be waited for")
            {
                return Some(status);
            }
            if started.elapsed() > timeout {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills the process with SIGKILL (no chance to flush anything) and waits for it.
    pub fn kill_9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill_9();
    }
}

/// A blocking HTTP client for process tests.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// Blocking request helper for process tests.
pub fn request(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    body: Option<&Value>,
    token: Option<&str>,
) -> Reply {
    let mut req = ureq::http::Request::builder().method(method).uri(url);
    if let Some(t) = token {
        req = req.header("Authorization", format!("Bearer {t}"));
    }
    if body.is_some() {
        req = req.header("Content-Type", "application/geo+json");
    }
    req = req.header("Accept", "application/json");
    let req = req
        .body(body.map(|b| b.to_string()).unwrap_or_default())
        .expect("request");
    read(agent.run(req))
}

/// One HTTP/1.1 response read off a raw socket (`std::net::TcpStream`), for the tests that send
/// what a client library would not (a bad `Host`, a body that never comes, forged headers).
#[derive(Debug)]
pub struct RawReply {
    pub status: u16,
    /// Names lower-cased, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl RawReply {
    /// Parses the bytes of a response (status 0 when there is no status line).
    pub fn parse(out: &[u8]) -> RawReply {
        let text = String::from_utf8_lossy(out);
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        RawReply {
            status,
            headers,
            body: body.to_owned(),
        }
    }

    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON; panics (fails the test) with the body when it is not.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }
}

/// Sends `request` as it is to `127.0.0.1:port` and reads until the server closes the
/// connection (or `wait` passes without a byte).
pub fn send_raw(port: u16, request: &[u8], wait: Duration) -> RawReply {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(wait)).expect("read timeout");
    s.write_all(request).expect("send the request");
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    RawReply::parse(&out)
}

/// `value` percent-encoded for a query string (every byte but unreserved characters).
pub fn url_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
