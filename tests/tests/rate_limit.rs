//! Rate limits per client address, against the real binary: a write over the budget is `429`
//! problem+json with `Retry-After` and stores nothing, reads have a budget of their own,
//! loopback is exempt unless `ASSETMAP_RATE_LIMIT_LOOPBACK=1`, and behind a trusted proxy the
//! forwarded client address is what is counted.
//!
//! Settings are given to server processes through their environment, so this file also
//! builds, and fails, against a server without rate limits.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use assetmap_tests::{send_raw, RawReply as Raw, ServerProcess, ADMIN_TOKEN};
use std::path::Path;
use std::time::Duration;

/// What these tests check of a response read off a socket.
trait Check {
    /// A `429` problem document with `Retry-After` of 1 to `max_secs` seconds and a detail that
    /// says when to try again; returns the seconds.
    fn assert_too_many(&self, max_secs: u64, what: &str) -> u64;
}

impl Check for Raw {
    /// A `429` problem document with `Retry-After` of 1 to `max_secs` seconds and a detail that
    /// says when to try again; returns the seconds.
    fn assert_too_many(&self, max_secs: u64, what: &str) -> u64 {
        assert_eq!(self.status, 429, "{what}: {self:?}");
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "{what}: {self:?}"
        );
        let secs: u64 = self
            .header("retry-after")
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{what}: Retry-After in whole seconds: {self:?}"));
        assert!((1..=max_secs).contains(&secs), "{what}: {secs}");
        let v = self.json();
        assert_eq!(v["status"], 429, "{what}");
        let detail = v["detail"].as_str().unwrap_or("");
        assert!(
            detail.contains(&format!("Try again in {secs} second")),
            "{what}: the detail says when: {v}"
        );
        secs
    }
}

fn send(port: u16, request: &[u8]) -> Raw {
    send_raw(port, request, Duration::from_secs(60))
}

fn head_lines(port: u16, headers: &[(&str, &str)]) -> String {
    let mut h = format!("Host: 127.0.0.1:{port}\r\nConnection: close\r\n");
    for (k, v) in headers {
        h.push_str(&format!("{k}: {v}\r\n"));
    }
    h
}

fn get(port: u16, path: &str, headers: &[(&str, &str)]) -> Raw {
    let req = format!("GET {path} HTTP/1.1\r\n{}\r\n", head_lines(port, headers));
    send(port, req.as_bytes())
}

fn create(port: u16, name: &str) -> Raw {
    let body = assetmap_tests::sample_feature(name).to_string();
    let req = format!(
        "POST /collections/assets/items HTTP/1.1\r\n{}Authorization: Bearer {ADMIN_TOKEN}\r\nContent-Type: application/geo+json\r\nContent-Length: {}\r\n\r\n{body}",
        head_lines(port, &[]),
        body.len()
    );
    send(port, req.as_bytes())
}

fn count(port: u16) -> u64 {
    let r = get(port, "/collections/assets/items?limit=1", &[]);
    assert_eq!(r.status, 200, "{r:?}");
    r.json()["numberMatched"].as_u64().unwrap()
}

/// A server process on a fresh GeoPackage with `env` settings.
fn server(dir: &tempfile::TempDir, env: &[(&str, &str)]) -> ServerProcess {
    let store = dir.path().join("assets.gpkg");
    let args = [
        "--store",
        store.to_str().unwrap(),
        "serve",
        "--bind",
        "127.0.0.1:0",
    ];
    ServerProcess::start(
        Path::new(env!("CARGO_BIN_EXE_assetmap-under-test")),
        &args,
        env,
        Duration::from_secs(120),
    )
}

#[test]
fn the_sixth_write_in_a_burst_is_429_and_stores_nothing_and_reads_have_their_own_budget() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(
        &dir,
        &[
            ("ASSETMAP_RATE_LIMIT_LOOPBACK", "1"),
            ("ASSETMAP_RATE_LIMIT_WRITES_PER_MINUTE", "5"),
            ("ASSETMAP_RATE_LIMIT_READS_PER_MINUTE", "30"),
        ],
    );
    let before = count(s.port); // read 1
    for i in 1..=5 {
        let r = create(s.port, &format!("Burst group {i}"));
        assert_eq!(r.status, 201, "write {i} of 5 is within the budget: {r:?}");
    }
    let sixth = create(s.port, "One too many");
    // 5 a minute: the next token is 12 seconds away.
    sixth.assert_too_many(12, "the sixth write");
    // Writes are used up; reads are not (read 2), and the sixth write stored nothing.
    assert_eq!(
        count(s.port),
        before + 5,
        "only the five writes were stored"
    );
    // Reads: 30 a minute, 2 used; the rest go through, then 429 (a token every 2 seconds may
    // come back while this runs, hence the range).
    let mut ok = 2;
    let refused = loop {
        let r = get(s.port, "/collections", &[]);
        if r.status != 200 {
            break r;
        }
        ok += 1;
        assert!(ok <= 40, "reads are never limited");
    };
    assert!((30..=33).contains(&ok), "{ok} reads went through");
    refused.assert_too_many(2, "a read over the budget");
    // A write is still refused on its own budget.
    create(s.port, "Still too many").assert_too_many(12, "a write after the reads");
}

#[test]
fn loopback_is_not_limited_unless_asked_and_forwarded_headers_count_only_from_a_trusted_proxy() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(
        &dir,
        &[
            ("ASSETMAP_RATE_LIMIT_WRITES_PER_MINUTE", "2"),
            ("ASSETMAP_RATE_LIMIT_READS_PER_MINUTE", "2"),
        ],
    );
    for i in 1..=5 {
        let r = create(s.port, &format!("Loopback group {i}"));
        assert_eq!(r.status, 201, "loopback write {i}: {r:?}");
        // A forwarded address from a peer that is not a trusted proxy is not believed.
        let r = get(
            s.port,
            "/collections",
            &[
                ("X-Forwarded-For", "203.0.113.5"),
                ("Forwarded", "for=203.0.113.5"),
            ],
        );
        assert_eq!(r.status, 200, "loopback read {i}: {r:?}");
    }
    drop(s);

    let dir = tempfile::tempdir().unwrap();
    let s = server(
        &dir,
        &[
            ("ASSETMAP_TRUSTED_PROXIES", "127.0.0.1"),
            ("ASSETMAP_RATE_LIMIT_READS_PER_MINUTE", "2"),
        ],
    );
    let client = [("X-Forwarded-For", "203.0.113.5")];
    for i in 1..=2 {
        let r = get(s.port, "/collections", &client);
        assert_eq!(r.status, 200, "forwarded read {i}: {r:?}");
    }
    get(s.port, "/collections", &client).assert_too_many(30, "the third forwarded read");
    // The same client through `Forwarded`, and with an address of its own choosing in front of
    // the one the proxy added: still the same client.
    get(
        s.port,
        "/collections",
        &[("Forwarded", "for=\"203.0.113.5:4711\"")],
    )
    .assert_too_many(30, "Forwarded");
    get(
        s.port,
        "/collections",
        &[("X-Forwarded-For", "198.51.100.1, 203.0.113.5")],
    )
    .assert_too_many(30, "a spoofed first hop");
    // Another client has its own budget, and the proxy itself (loopback) is exempt.
    let other = get(
        s.port,
        "/collections",
        &[("X-Forwarded-For", "203.0.113.6")],
    );
    assert_eq!(other.status, 200, "{other:?}");
    for _ in 0..5 {
        let r = get(s.port, "/collections", &[]);
        assert_eq!(r.status, 200, "{r:?}");
    }
}

/// Writes refused for a wrong token count against the write budget too: guessing the admin
/// token is throttled like any other write, and a guess over the budget is not even checked.
#[test]
fn guessing_the_token_is_throttled() {
    let dir = tempfile::tempdir().unwrap();
    let s = server(
        &dir,
        &[
            ("ASSETMAP_RATE_LIMIT_LOOPBACK", "1"),
            ("ASSETMAP_RATE_LIMIT_WRITES_PER_MINUTE", "3"),
        ],
    );
    let guess = |n: usize| {
        let req = format!(
            "POST /collections/assets/items HTTP/1.1\r\n{}Authorization: Bearer wrong-{n}\r\nContent-Type: application/geo+json\r\nContent-Length: 2\r\n\r\n{{}}",
            head_lines(s.port, &[])
        );
        send(s.port, req.as_bytes())
    };
    for n in 1..=3 {
        assert_eq!(guess(n).status, 401, "guess {n} is within the budget");
    }
    // 3 a minute: the next token is 20 seconds away.
    guess(4).assert_too_many(20, "the fourth guess");
}
