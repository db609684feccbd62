//! Issue 11, "safe to put on the internet": input hygiene, the auth header, settings and logs,
//! against the real server. Writes on both stores (`geopackage` and `postgis` modules); the
//! settings and log checks start the real binary.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use assetmap_server::Seed;
use assetmap_tests::{data_dir, sample_feature, spawn_app_with, TestApp, TestStore, ADMIN_TOKEN};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const ITEMS: &str = "/collections/assets/items";

/// How many assets the server holds (every status).
async fn stored(app: &TestApp) -> u64 {
    let r = app
        .get(&format!(
            "{ITEMS}?limit=1&status=active,temporarily_closed,closed"
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["numberMatched"].as_u64().unwrap()
}

/// A sample feature with one property replaced.
fn with(key: &str, value: Value) -> Value {
    let mut f = sample_feature("Hale singers");
    f["properties"][key] = value;
    f
}

/// POSTs `feature`, expects a 400 naming exactly `field` (first), and that nothing was stored.
async fn rejected(app: &TestApp, feature: &Value, field: &str) -> Value {
    let before = stored(app).await;
    let r = app.create(feature).await;
    assert_eq!(
        r.status,
        400,
        "{field}: {}",
        &r.body[..r.body.len().min(500)]
    );
    let v = r.json();
    let names: Vec<&str> = v["invalid_params"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, [field], "{}", v["detail"]);
    assert_eq!(stored(app).await, before, "nothing stored for {field}");
    v
}

async fn invisible_names_are_refused(app: &TestApp) {
    for name in [
        "\u{200B}\u{200C}\u{200D}",
        "\u{FEFF}",
        "\u{2060}\u{FEFF}",
        " \u{200B} ",
    ] {
        let v = rejected(app, &with("name", json!(name)), "name").await;
        assert!(
            v["invalid_params"][0]["reason"]
                .as_str()
                .unwrap()
                .contains("visible"),
            "{v}"
        );
    }
    rejected(
        app,
        &with("description", json!("\u{200B}\u{FEFF}")),
        "description",
    )
    .await;
}

async fn bidi_controls_are_refused(app: &TestApp) {
    rejected(
        app,
        &with("name", json!("Library \u{202E}gnp.exe\u{202C}")),
        "name",
    )
    .await;
    rejected(
        app,
        &with("tags", json!(["choir", "\u{2066}x\u{2069}"])),
        "tags[1]",
    )
    .await;
    rejected(app, &with("address", json!("1 Road\u{200F}")), "address").await;
}

async fn lists_and_strings_are_capped(app: &TestApp) {
    // 60,000 one-letter tags: a body of about 240 KB, under the body limit.
    let v = rejected(app, &with("tags", json!(vec!["a"; 60_000])), "tags").await;
    assert!(v.to_string().len() < 2_000, "one error, not 60,000");
    rejected(app, &with("tags", json!(vec!["a"; 51])), "tags").await;
    rejected(app, &with("tags", json!(["ok", "x".repeat(51)])), "tags[1]").await;
    rejected(app, &with("name", json!("n".repeat(201))), "name").await;
    rejected(
        app,
        &with("description", json!("d".repeat(5_001))),
        "description",
    )
    .await;
    rejected(app, &with("address", json!("a".repeat(301))), "address").await;
    rejected(
        app,
        &with("categories", json!(vec!["befriending"; 17])),
        "categories",
    )
    .await;
    rejected(app, &with("languages", json!(vec!["en"; 21])), "languages").await;
    let period = json!({"day": "mon", "opens": "09:00", "closes": "10:00"});
    rejected(
        app,
        &with("opening_times", json!({"periods": vec![period; 101]})),
        "opening_times.periods",
    )
    .await;
    // At the caps, accepted.
    let mut ok = with(
        "tags",
        json!((0..50).map(|i| format!("t{i}")).collect::<Vec<_>>()),
    );
    ok["properties"]["name"] = json!("n".repeat(200));
    assert_eq!(app.create(&ok).await.status, 201);
}

async fn type_errors_name_the_field_path(app: &TestApp) {
    rejected(app, &with("name", json!(12345)), "properties.name").await;
    rejected(
        app,
        &with("categories", json!("arts_heritage")),
        "properties.categories",
    )
    .await;
    rejected(
        app,
        &with(
            "opening_times",
            json!({"periods": [{"day": "tue", "opens": 25, "closes": "20:30"}]}),
        ),
        "properties.opening_times.periods[0].opens",
    )
    .await;
    rejected(
        app,
        &with(
            "opening_times",
            json!({"periods": [{"day": "tue", "opens": "25:00", "closes": "20:30"}]}),
        ),
        "opening_times.periods[0].opens",
    )
    .await;
}

async fn huge_values_are_not_echoed(app: &TestApp) {
    // Under the body limit: a 200 KB postcode and a 200 KB string where a list belongs.
    let big = "Z".repeat(200_000);
    for (key, field) in [
        ("postcode", "postcode"),
        ("categories", "properties.categories"),
    ] {
        let v = rejected(app, &with(key, json!(big)), field).await;
        let text = v.to_string();
        assert!(text.len() < 2_000, "{key}: {} bytes", text.len());
        assert!(text.contains(&format!("{}…", "Z".repeat(80))), "{text}");
    }
    // 900 KB: refused (413 at the body limit, or 400) without being echoed.
    let huge = "Z".repeat(900_000);
    let before = stored(app).await;
    let r = app.create(&with("postcode", json!(huge))).await;
    assert!(matches!(r.status, 400 | 413), "{}", r.status);
    assert!(r.body.len() < 2_000, "{} bytes", r.body.len());
    assert_eq!(stored(app).await, before);
}

async fn lower_case_bearer_is_accepted(app: &TestApp) {
    let r = app
        .send(
            "POST",
            ITEMS,
            Some(&sample_feature("Lower-case bearer")),
            None,
            &[("Authorization", &format!("bearer {ADMIN_TOKEN}"))],
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = app
        .send(
            "POST",
            ITEMS,
            Some(&sample_feature("Wrong token")),
            None,
            &[("Authorization", "bearer not-the-token")],
        )
        .await;
    assert_eq!(r.status, 401, "{}", r.body);
}

macro_rules! suite {
    ($store:expr) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn invisible_names() {
            invisible_names_are_refused(&spawn_app_with($store, Seed::Empty).await).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn bidi_controls() {
            bidi_controls_are_refused(&spawn_app_with($store, Seed::Empty).await).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn caps() {
            lists_and_strings_are_capped(&spawn_app_with($store, Seed::Empty).await).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn type_errors() {
            type_errors_name_the_field_path(&spawn_app_with($store, Seed::Empty).await).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn no_huge_echoes() {
            huge_values_are_not_echoed(&spawn_app_with($store, Seed::Empty).await).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn lower_case_bearer() {
            lower_case_bearer_is_accepted(&spawn_app_with($store, Seed::Empty).await).await;
        }
    };
}

mod geopackage {
    use super::*;
    suite!(TestStore::GeoPackage);
}

mod postgis {
    use super::*;
    suite!(TestStore::Postgis);
}

/// The server binary with stdout and stderr captured whole (the log is on stderr).
struct Captured {
    child: Child,
    address: String,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
}

impl Captured {
    fn start(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Captured {
        let store = dir.join("assets.gpkg");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_assetmap-under-test"));
        cmd.args(["--store", store.to_str().unwrap()])
            .args(args)
            .args(["serve", "--bind", "127.0.0.1:0", "--synthetic", "20"])
            .env("ASSETMAP_DATA", data_dir())
            .env("ASSETMAP_LOG", "info")
            .env_remove("ASSETMAP_ADMIN_TOKEN")
            .env_remove("ASSETMAP_LOG_FORMAT")
            .env_remove("ASSETMAP_CONFIG")
            .env_remove("NO_COLOR")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let output = Arc::new(Mutex::new(String::new()));
        let errors = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        let out = Arc::clone(&output);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(a) = line.strip_prefix("listening on ") {
                    let _ = tx.send(a.trim().to_owned());
                }
                let mut o = out.lock().unwrap();
                o.push_str(&line);
                o.push('\n');
            }
        });
        let mut stderr = child.stderr.take().unwrap();
        let err = Arc::clone(&errors);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut buf) {
                if n == 0 {
                    break;
                }
                err.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let address = rx
            .recv_timeout(Duration::from_secs(120))
            .unwrap_or_else(|_| panic!("no address; log: {}", errors.lock().unwrap()));
        Captured {
            child,
            address,
            stdout: output,
            stderr: errors,
        }
    }

    /// Stops the server and returns everything it wrote: stdout, then stderr (the log).
    fn finish(mut self) -> String {
        // Let the last request's log line reach the pipe.
        std::thread::sleep(Duration::from_millis(300));
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::thread::sleep(Duration::from_millis(100));
        let out = self.stdout.lock().unwrap().clone();
        let err = self.stderr.lock().unwrap().clone();
        out + &err
    }
}

/// A few requests: a 200, a 400 with a query string that must not be logged, a write.
fn exercise(address: &str, token: Option<&str>) -> Vec<u16> {
    let http = assetmap_tests::agent();
    let get = |path: &str| {
        assetmap_tests::request(&http, "GET", &format!("{address}{path}"), None, None).status
    };
    vec![
        get("/collections/assets/items?limit=1"),
        get("/collections/assets/items?limit=secret-postcode-M33"),
        assetmap_tests::request(
            &http,
            "POST",
            &format!("{address}{ITEMS}"),
            Some(&sample_feature("Logged write")),
            token,
        )
        .status,
    ]
}

/// A blank admin token is no token: no bootstrap admin, and a blank bearer token is not
/// taken for it. (Accounts and API tokens still write: see `accounts.rs`.)
#[test]
fn a_blank_admin_token_in_the_settings_file_disables_writes() {
    let dir = tempfile::tempdir().unwrap();
    for blank in ["", "   "] {
        let config = dir.path().join("assetmap.toml");
        std::fs::write(&config, format!("admin_token = \"{blank}\"\n")).unwrap();
        let server = Captured::start(dir.path(), &["--config", config.to_str().unwrap()], &[]);
        let http = assetmap_tests::agent();
        let url = format!("{}{ITEMS}", server.address);
        let feature = sample_feature("Should not be written");
        for token in [Some(blank), Some(""), None] {
            let r = assetmap_tests::request(&http, "POST", &url, Some(&feature), token);
            assert_eq!(
                r.status, 401,
                "admin_token {blank:?}, sent {token:?}: {}",
                r.body
            );
        }
        let r = assetmap_tests::request(
            &http,
            "GET",
            &format!("{url}?limit=1&status=active,temporarily_closed,closed"),
            None,
            None,
        );
        assert_eq!(r.json()["numberMatched"], 20, "nothing written");
        server.finish();
        std::fs::remove_file(dir.path().join("assets.gpkg")).unwrap();
    }
}

#[test]
fn logs_have_no_colour_codes_and_no_error_for_a_client_error() {
    let dir = tempfile::tempdir().unwrap();
    let server = Captured::start(dir.path(), &[], &[("ASSETMAP_ADMIN_TOKEN", ADMIN_TOKEN)]);
    assert_eq!(
        exercise(&server.address, Some(ADMIN_TOKEN)),
        [200, 400, 201]
    );
    let log = server.finish();
    assert!(log.contains("status=400"), "the 400 is logged: {log}");
    assert!(
        !log.contains('\u{1b}'),
        "no ANSI escape codes in a piped log: {log:?}"
    );
    assert!(!log.contains("ERROR"), "a 400 is not an error: {log}");
    assert!(!log.contains("secret-postcode"), "no query strings: {log}");
}

#[test]
fn json_logs_are_one_object_a_line() {
    let dir = tempfile::tempdir().unwrap();
    let server = Captured::start(
        dir.path(),
        &[],
        &[
            ("ASSETMAP_ADMIN_TOKEN", ADMIN_TOKEN),
            ("ASSETMAP_LOG_FORMAT", "json"),
        ],
    );
    assert_eq!(
        exercise(&server.address, Some(ADMIN_TOKEN)),
        [200, 400, 201]
    );
    let log = server.finish();
    let mut statuses = Vec::new();
    for line in log.lines().filter(|l| !l.starts_with("listening on ")) {
        let v: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line:?}\n{log}"));
        assert_ne!(v["level"], "ERROR", "{line}");
        if v["fields"]["message"] == "request" {
            statuses.push(v["fields"]["status"].as_u64().unwrap());
        }
    }
    assert_eq!(statuses, [200, 400, 201], "{log}");
    assert!(!log.contains('\u{1b}'));
    assert!(!log.contains("secret-postcode"));
}
