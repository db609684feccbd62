//! A stop signal (SIGTERM, as a service manager sends; SIGINT, as Ctrl-C) stops `assetmap serve`
//! cleanly at any moment of its life: while it waits for its store, the instant it starts
//! serving (the `starting` server has just handed the port over), and while it serves. A signal
//! sent as the port was handed over used to be lost, and the process went on serving.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use assetmap_tests::ServerProcess;
use std::path::Path;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(120);

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_assetmap-under-test"))
}

/// Sends `signal` to `server` and waits (at most 30 s) for it to exit; it must exit cleanly.
fn stop_with(server: ServerProcess, signal: &str) {
    match server.stop_with(signal, Duration::from_secs(30)) {
        Some(status) => assert!(status.success(), "the server stopped with {status}"),
        None => panic!("the server did not stop within 30 s of {signal}"),
    }
}

#[test]
fn a_stop_signal_the_instant_the_server_serves_stops_it() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("assets.gpkg");
    let store = store.to_str().unwrap();
    let args = [
        "--store",
        store,
        "serve",
        "--bind",
        "127.0.0.1:0",
        "--synthetic",
        "500",
    ];
    // Sent as soon as `listening on` is read, each time: the moment of the hand-over.
    for (i, signal) in ["-TERM", "-INT", "-TERM", "-TERM", "-INT", "-TERM"]
        .into_iter()
        .enumerate()
    {
        let server = ServerProcess::start(binary(), &args, &[], WAIT);
        eprintln!("start {i}: {signal}");
        stop_with(server, signal);
    }
}

#[test]
fn a_stop_signal_while_serving_with_a_connection_open_stops_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("assets.gpkg");
    let store = store.to_str().unwrap();
    let args = ["--store", store, "serve", "--bind", "127.0.0.1:0"];
    for signal in ["-TERM", "-INT"] {
        let server = ServerProcess::start(binary(), &args, &[], WAIT);
        // A keep-alive connection left open by a client: a graceful stop closes it rather
        // than waiting for it.
        let agent = assetmap_tests::agent();
        let health = agent
            .get(&format!("{}/health", server.address))
            .call()
            .unwrap();
        assert_eq!(health.status(), 200);
        let started = Instant::now();
        stop_with(server, signal);
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{signal} took {:?} to stop the server",
            started.elapsed()
        );
        drop(agent);
    }
}

#[test]
fn a_stop_signal_while_waiting_for_the_store_stops_the_server() {
    // A PostgreSQL store nobody listens for: the server waits for it, answering `starting`.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("postgres://assetmap@127.0.0.1:{port}/assetmap");
    let args = ["--store", &url, "serve", "--bind", "127.0.0.1:0"];
    let env = [("ASSETMAP_DB_START_TIMEOUT_SECS", "600")];
    for signal in ["-TERM", "-INT"] {
        let server = ServerProcess::start_waiting(binary(), &args, &env, WAIT);
        stop_with(server, signal);
    }
}
