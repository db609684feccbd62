//! The privacy rule: nothing about the person a coordinator is helping is logged. The real
//! binary runs as a child process with request logging on (debug level, so more is written
//! than in production); a search, a geocode and a shortlist are made with a postcode in
//! several spellings; the server's whole output is captured, and the postcode must not be in
//! it in any case or spacing, nor the words searched for or the age given.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use assetmap_tests::{agent, data_dir, request, ADMIN_TOKEN};
use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[test]
fn searched_postcodes_never_reach_the_logs() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_assetmap-under-test"))
        .args([
            "--store",
            dir.path().join("assets.gpkg").to_str().unwrap(),
            "serve",
            "--bind",
            "127.0.0.1:0",
        ])
        .env("ASSETMAP_DATA", data_dir())
        .env("ASSETMAP_ADMIN_TOKEN", ADMIN_TOKEN)
        .env("ASSETMAP_LOG", "debug")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let log = Arc::new(Mutex::new(String::new()));
    let mut stderr = child.stderr.take().unwrap();
    let err_log = log.clone();
    let stderr_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stderr.read_to_end(&mut buf);
        err_log
            .lock()
            .unwrap()
            .push_str(&String::from_utf8_lossy(&buf));
    });
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let out_log = log.clone();
    let stdout_reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(addr) = line.strip_prefix("listening on ") {
                let _ = tx.send(addr.trim().to_owned());
            }
            out_log.lock().unwrap().push_str(&line);
            out_log.lock().unwrap().push('\n');
        }
    });
    let started = Instant::now();
    let base = rx
        .recv_timeout(Duration::from_secs(120))
        .expect("the server reports its address");
    eprintln!("server up after {:?}", started.elapsed());

    let a = agent();
    let get = |path: &str| request(&a, "GET", &format!("{base}{path}"), None, None);
    // The same postcode, spelt the ways people type it.
    for pc in ["M33%207AA", "m337aa", "M33+7AA", "m33%20%207aa"] {
        let r = get(&format!(
            "/search?postcode={pc}&q=gardening%20choir&age=72&cost=free&walk_minutes=20"
        ));
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(get(&format!("/geocode?postcode={pc}")).status, 200);
    }
    let r = get("/search?postcode=M33%207AA&q=library&sort=distance&limit=2");
    let ids: Vec<String> = r.json()["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect();
    let list = ids.join(",");
    assert_eq!(
        get(&format!("/shortlist?ids={list}&postcode=M33%207AA")).status,
        200
    );
    assert_eq!(
        get(&format!(
            "/shortlist?ids={list}&postcode=m337aa&format=text"
        ))
        .status,
        200
    );
    // Failures too: an unknown and a malformed postcode.
    assert_eq!(get("/search?postcode=SW1A%201AA").status, 404);
    assert_eq!(get("/geocode?postcode=M33%207A").status, 400);

    // Let the last log lines out, then stop the server and collect everything it wrote.
    std::thread::sleep(Duration::from_millis(300));
    let _ = child.kill();
    let _ = child.wait();
    stderr_reader.join().unwrap();
    stdout_reader.join().unwrap();
    let log = log.lock().unwrap().clone();

    // The log works: every request is there, by path.
    for path in ["/search", "/geocode", "/shortlist"] {
        assert!(log.contains(path), "no log line for {path}:\n{log}");
    }
    // …but never the query string or anything in it.
    let squashed: String = log
        .to_uppercase()
        .replace("%20", "")
        .replace('+', "")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    for needle in ["M337AA", "SW1A1AA", "M337A"] {
        assert!(
            !squashed.contains(needle),
            "the postcode {needle} is in the log:\n{log}"
        );
    }
    for needle in ["GARDENING", "CHOIR", "AGE=72", "POSTCODE=", "IDS="] {
        assert!(!squashed.contains(needle), "{needle} is in the log:\n{log}");
    }
}
