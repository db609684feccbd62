//! `Idempotency-Key` on writes, over real HTTP on both stores: a write retried with its key is
//! made once and answered as the first time; the same key with another request is `422`, while
//! the first is still in progress `409` (and sent to two server processes at once, written
//! once); a commit whose answer PostgreSQL never gave back is a `503` that says the outcome is
//! unknown, and the retry with the key settles it; and a `POST` retried after `kill -9` of the
//! server, at any point, leaves exactly one asset.
//!
//! The PostGIS tests need the throwaway cluster: `bash tests/run.sh -- cargo test -p
//! assetmap-tests --test idempotency`.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use assetmap_server::{Seed, StoreLocation};
use assetmap_tests::{
    agent, fresh_postgis_database, sample_feature, spawn_app_in, spawn_app_with, Reply,
    ServerProcess, TestApp, TestStore, ADMIN_TOKEN,
};
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};

const ITEMS: &str = "/collections/assets/items";

/// What a retry must get again: status, `Location`, `ETag`, `Content-Type` and body.
fn answer(r: &Reply) -> (u16, Option<String>, Option<String>, String, String) {
    (
        r.status,
        r.header("location").map(str::to_owned),
        r.header("etag").map(str::to_owned),
        r.content_type.clone(),
        r.body.clone(),
    )
}

async fn post_keyed(app: &TestApp, feature: &Value, key: &str) -> Reply {
    app.send(
        "POST",
        ITEMS,
        Some(feature),
        Some(ADMIN_TOKEN),
        &[("Idempotency-Key", key)],
    )
    .await
}

/// How many stored assets have this name (read from the store itself, not the engine).
async fn named(app: &TestApp, name: &str) -> usize {
    app.state
        .store
        .all()
        .await
        .unwrap()
        .iter()
        .filter(|a| a.name.as_str() == name)
        .count()
}

fn assert_problem(r: &Reply, status: u16, words: &[&str]) {
    assert_eq!(r.status, status, "{}", r.body);
    assert_eq!(r.content_type, "application/problem+json", "{}", r.body);
    let detail = r.json()["detail"].as_str().unwrap_or_default().to_owned();
    for w in words {
        assert!(detail.contains(w), "{w:?} in {detail:?}");
    }
}

async fn retries_with_a_key_write_once(store: TestStore) {
    let app = spawn_app_with(store, Seed::Empty).await;

    // POST twice with one key: one asset, the same answer twice.
    let feature = sample_feature("Idempotent choir");
    let first = post_keyed(&app, &feature, "7f1c2a9e-post").await;
    assert_eq!(first.status, 201, "{}", first.body);
    let again = post_keyed(&app, &feature, "7f1c2a9e-post").await;
    assert_eq!(
        answer(&again),
        answer(&first),
        "the retry gets the first answer"
    );
    // The key may be sent as a structured-field string, as the draft writes it.
    let quoted = post_keyed(&app, &feature, "\"7f1c2a9e-post\"").await;
    assert_eq!(answer(&quoted), answer(&first));
    assert_eq!(
        named(&app, "Idempotent choir").await,
        1,
        "exactly one asset"
    );
    let location = first.header("location").unwrap();
    let id = location.rsplit('/').next().unwrap();
    let got = app.get(&format!("{ITEMS}/{id}")).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.json()["properties"]["name"], "Idempotent choir");

    // The same key with another body: 422, nothing written.
    let other = post_keyed(&app, &sample_feature("Another choir"), "7f1c2a9e-post").await;
    assert_problem(
        &other,
        422,
        &["7f1c2a9e-post", "different request", "new key"],
    );
    assert_eq!(named(&app, "Another choir").await, 0);
    // The same body with another key is another request: a second asset.
    let second = post_keyed(&app, &feature, "7f1c2a9e-post-2").await;
    assert_eq!(second.status, 201);
    assert_ne!(second.header("location"), first.header("location"));
    assert_eq!(named(&app, "Idempotent choir").await, 2);

    // Malformed keys: 400 naming the header, nothing written.
    let long = "k".repeat(256);
    for bad in ["", "two words", "caf\u{e9}", long.as_str()] {
        let r = post_keyed(&app, &sample_feature("Bad key group"), bad).await;
        assert_problem(&r, 400, &["Idempotency-Key"]);
        assert_eq!(r.json()["invalid_params"][0]["name"], "Idempotency-Key");
    }
    assert_eq!(named(&app, "Bad key group").await, 0);

    // PUT with a key: replayed, not applied twice (the version stays 2), even though the
    // If-Match of the retry is now stale.
    let mut renamed = got.json();
    renamed["properties"]["name"] = "Idempotent choir (renamed)".into();
    let put = |key: &'static str| {
        let (app, renamed) = (&app, &renamed);
        async move {
            app.send(
                "PUT",
                &format!("{ITEMS}/{id}"),
                Some(renamed),
                Some(ADMIN_TOKEN),
                &[("Idempotency-Key", key), ("If-Match", "\"1\"")],
            )
            .await
        }
    };
    let replaced = put("put-key").await;
    assert_eq!(
        (replaced.status, replaced.header("etag")),
        (200, Some("\"2\""))
    );
    assert_eq!(answer(&put("put-key").await), answer(&replaced));
    let now = app.get(&format!("{ITEMS}/{id}")).await.json();
    assert_eq!(now["properties"]["version"], 2);
    // Without its key the same retry is judged again: its If-Match is stale.
    let unkeyed = put_unkeyed(&app, id, &renamed).await;
    assert_eq!(unkeyed.status, 412);

    // DELETE with a key: 204 again, where a plain retry is 404.
    let delete = |key: Option<&'static str>| {
        let app = &app;
        async move {
            let extra: Vec<(&str, &str)> =
                key.map(|k| ("Idempotency-Key", k)).into_iter().collect();
            app.send(
                "DELETE",
                &format!("{ITEMS}/{id}"),
                None,
                Some(ADMIN_TOKEN),
                &extra,
            )
            .await
        }
    };
    let deleted = delete(Some("delete-key")).await;
    assert_eq!(deleted.status, 204);
    assert_eq!(answer(&delete(Some("delete-key")).await), answer(&deleted));
    assert_eq!(delete(None).await.status, 404);
    // A key names one request: the DELETE's key on a POST is 422.
    let reused = post_keyed(&app, &feature, "delete-key").await;
    assert_problem(&reused, 422, &["delete-key"]);
    assert_eq!(
        named(&app, "Idempotent choir").await,
        1,
        "the deleted one is gone"
    );
}

async fn put_unkeyed(app: &TestApp, id: &str, feature: &Value) -> Reply {
    app.send(
        "PUT",
        &format!("{ITEMS}/{id}"),
        Some(feature),
        Some(ADMIN_TOKEN),
        &[("If-Match", "\"1\"")],
    )
    .await
}

#[tokio::test]
async fn retries_with_a_key_write_once_on_geopackage() {
    retries_with_a_key_write_once(TestStore::GeoPackage).await;
}

#[tokio::test]
async fn retries_with_a_key_write_once_on_postgis() {
    retries_with_a_key_write_once(TestStore::Postgis).await;
}

/// Two requests with one key at once: the one that comes second is `409` straight away, the
/// other is made once it can be. The test holds the write lock so that the first cannot finish
/// before the second arrives.
#[tokio::test]
async fn the_same_key_while_the_first_is_in_progress_is_409() {
    let app = spawn_app_with(TestStore::GeoPackage, Seed::Empty).await;
    let app = std::sync::Arc::new(app);
    let lock = app.state.write_lock.lock().await;
    let feature = sample_feature("Concurrent choir");
    let send = || {
        let (app, feature) = (std::sync::Arc::clone(&app), feature.clone());
        tokio::spawn(async move { post_keyed(&app, &feature, "in-flight").await })
    };
    let (one, two) = (send(), send());
    // One of them must come back while the lock is held: the 409.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !one.is_finished() && !two.is_finished() {
        assert!(Instant::now() < deadline, "neither request was answered");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (refused, waiting) = if one.is_finished() {
        (one, two)
    } else {
        (two, one)
    };
    let refused = refused.await.unwrap();
    assert_problem(&refused, 409, &["in-flight", "still being processed"]);
    assert_eq!(refused.header("retry-after"), Some("1"));
    assert!(!waiting.is_finished(), "the other waits for the write lock");
    drop(lock);
    let made = waiting.await.unwrap();
    assert_eq!(made.status, 201, "{}", made.body);
    // Sent again now, the refused one is given the answer.
    assert_eq!(
        answer(&post_keyed(&app, &feature, "in-flight").await),
        answer(&made)
    );
    assert_eq!(named(&app, "Concurrent choir").await, 1);
}

/// Two server processes on one database, the same keyed POST sent to each while the first is
/// still being written (a retry through a load balancer): the test holds the change-feed lock
/// every write takes, so both look the key up, find nothing and wait; when the lock is let go
/// one writes and the other finds the key kept inside its own transaction and gives the same
/// answer. One asset.
#[tokio::test]
async fn the_same_key_at_two_processes_at_once_writes_once() {
    let url = fresh_postgis_database();
    let one = spawn_app_in(
        tempfile::tempdir().unwrap(),
        StoreLocation::Postgis(url.clone()),
        Seed::Empty,
    )
    .await;
    let two = spawn_app_in(
        tempfile::tempdir().unwrap(),
        StoreLocation::Postgis(url.clone()),
        Seed::Empty,
    )
    .await;
    let pg = assetmap_store::PostgisStore::connect(&url).await.unwrap();
    let holder = pg.pool().get().await.unwrap();
    let lock = assetmap_store::postgis::store::CHANGE_FEED_LOCK_KEY;
    holder
        .execute("SELECT pg_advisory_lock($1)", &[&lock])
        .await
        .unwrap();
    let waiting = || async {
        let n: i64 = holder
            .query_one(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        n
    };

    let feature = sample_feature("Choir sent to two servers");
    let one = std::sync::Arc::new(one);
    let two = std::sync::Arc::new(two);
    let mut sent = Vec::new();
    for (n, app) in [&one, &two].into_iter().enumerate() {
        let (app, feature) = (std::sync::Arc::clone(app), feature.clone());
        sent.push(tokio::spawn(async move {
            post_keyed(&app, &feature, "two-servers").await
        }));
        // Each waits for the lock before the next is sent.
        let deadline = Instant::now() + Duration::from_secs(30);
        while waiting().await < n as i64 + 1 {
            assert!(
                Instant::now() < deadline,
                "write {} never reached the lock",
                n + 1
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    holder
        .execute("SELECT pg_advisory_unlock($1)", &[&lock])
        .await
        .unwrap();
    let mut answers = Vec::new();
    for s in sent {
        answers.push(s.await.unwrap());
    }
    assert_eq!(answers[0].status, 201, "{}", answers[0].body);
    assert_eq!(
        answer(&answers[1]),
        answer(&answers[0]),
        "both are given one answer"
    );
    assert_eq!(named(&one, "Choir sent to two servers").await, 1);
}

/// The bug this answers: the connection to PostgreSQL is lost during `COMMIT`, PostgreSQL has
/// committed, and the server used to say the change could not be saved. Through a proxy that
/// passes `COMMIT` on and drops its answer, the server says the outcome is unknown and to retry
/// with the same key; the retry is given the answer of the write that did land, and there is
/// one asset.
#[tokio::test]
async fn a_lost_commit_is_503_outcome_unknown_and_the_retry_with_the_key_settles_it() {
    let url = fresh_postgis_database();
    let (proxy, through) = assetmap_testing::CutProxy::in_front_of(&url);
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_in(dir, StoreLocation::Postgis(through), Seed::Empty).await;

    let feature = sample_feature("Choir whose commit was lost");
    proxy.cut_after(b"COMMIT\0");
    let lost = post_keyed(&app, &feature, "lost-commit").await;
    assert_eq!(proxy.cuts(), 1, "the connection was cut at COMMIT");
    assert_problem(
        &lost,
        503,
        &["whether it was saved is unknown", "same Idempotency-Key"],
    );
    assert!(!lost.body.contains("cannot be saved"), "{}", lost.body);
    assert_eq!(lost.header("retry-after"), Some("5"));
    assert_eq!(
        named(&app, "Choir whose commit was lost").await,
        1,
        "it was saved"
    );

    let retry = post_keyed(&app, &feature, "lost-commit").await;
    assert_eq!(retry.status, 201, "{}", retry.body);
    assert_eq!(
        answer(&post_keyed(&app, &feature, "lost-commit").await),
        answer(&retry)
    );
    assert_eq!(
        named(&app, "Choir whose commit was lost").await,
        1,
        "and once"
    );
    // The asset the answer names is the one stored, and reads find it (the server catches up
    // with a commit whose answer it lost).
    let id = retry
        .header("location")
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.get(&format!("{ITEMS}/{id}")).await.status != 200 {
        assert!(
            Instant::now() < deadline,
            "the saved asset {id} never became readable"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Without a key the client is told to check before sending it again.
    let unkeyed = sample_feature("Unkeyed choir whose commit was lost");
    proxy.cut_after(b"COMMIT\0");
    let r = app.create(&unkeyed).await;
    assert_problem(
        &r,
        503,
        &[
            "whether it was saved is unknown",
            "check whether it was saved",
        ],
    );
    assert_eq!(named(&app, "Unkeyed choir whose commit was lost").await, 1);
}

// --- kill -9 -------------------------------------------------------------------------------

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_assetmap-under-test"))
}

/// A keyed POST that may get no answer (the server is killed under it): `None` then.
fn try_post(base: &str, feature: &Value, key: &str) -> Option<Reply> {
    let req = ureq::http::Request::builder()
        .method("POST")
        .uri(format!("{base}{ITEMS}"))
        .header("Authorization", format!("Bearer {ADMIN_TOKEN}"))
        .header("Content-Type", "application/geo+json")
        .header("Accept", "application/json")
        .header("Idempotency-Key", key)
        .body(feature.to_string())
        .expect("request");
    let mut resp = agent().run(req).ok()?;
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
    let body = resp.body_mut().read_to_string().ok()?;
    Some(Reply {
        status,
        content_type,
        headers,
        body,
    })
}

/// Every asset name the server holds, with how many assets have it.
fn names(base: &str) -> std::collections::BTreeMap<String, usize> {
    let r = assetmap_tests::request(
        &agent(),
        "GET",
        &format!("{base}{ITEMS}?limit=10000"),
        None,
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let mut out = std::collections::BTreeMap::new();
    for f in r.json()["features"].as_array().unwrap() {
        *out.entry(f["properties"]["name"].as_str().unwrap().to_owned())
            .or_insert(0) += 1;
    }
    out
}

/// When, relative to sending the first POST, the server is killed.
#[derive(Debug, Clone, Copy)]
enum KillAt {
    /// This long after the request was sent (before, during or after the write).
    After(Duration),
    /// Once its answer has arrived: the write certainly landed.
    Answered,
}

/// Rounds of: POST with a key, `kill -9` the server at a different moment each time, start it
/// again, POST again with the same key. Each round's asset exists exactly once, and a retry of
/// a write that was answered before the kill gets that answer again.
fn a_post_retried_after_kill_9_makes_one_asset(store: &str) {
    let args = [
        "--store",
        store,
        "serve",
        "--bind",
        "127.0.0.1:0",
        "--synthetic",
        "0",
    ];
    let start = || ServerProcess::start(binary(), &args, &[], Duration::from_secs(180));
    // A sweep of moments, most of them around the few milliseconds a write takes.
    let rounds: Vec<KillAt> = [0, 1, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 100]
        .into_iter()
        .map(|ms| KillAt::After(Duration::from_millis(ms)))
        .chain([KillAt::Answered])
        .collect();
    let mut server = start();
    let (mut answered, mut landed_unanswered) = (0, 0);
    for (i, kill_at) in rounds.iter().enumerate() {
        let name = format!("Killed choir {i}");
        let key = format!("kill-9-round-{i}");
        let feature = sample_feature(&name);
        let first = {
            let (base, feature, key) = (server.address.clone(), feature.clone(), key.clone());
            std::thread::spawn(move || try_post(&base, &feature, &key))
        };
        match kill_at {
            KillAt::After(d) => std::thread::sleep(*d),
            KillAt::Answered => {
                while !first.is_finished() {
                    std::thread::sleep(Duration::from_millis(5));
                }
            }
        }
        let killed_at = chrono::Utc::now();
        server.kill_9();
        let first = first.join().unwrap();
        server = start();

        let retry =
            try_post(&server.address, &feature, &key).expect("the restarted server answers");
        assert_eq!(retry.status, 201, "round {i} ({kill_at:?}): {}", retry.body);
        let created_at: chrono::DateTime<chrono::Utc> = retry.json()["properties"]["created_at"]
            .as_str()
            .and_then(|t| t.parse().ok())
            .expect("created_at in the answer");
        match first.filter(|r| r.status == 201) {
            Some(first) => {
                answered += 1;
                assert_eq!(
                    answer(&retry),
                    answer(&first),
                    "round {i} ({kill_at:?}): the retry gets the answer given before the kill"
                );
            }
            // Made before the kill though its answer was lost: the retry got it again.
            None if created_at < killed_at => landed_unanswered += 1,
            None => {}
        }
        let again = try_post(&server.address, &feature, &key).unwrap();
        assert_eq!(
            answer(&again),
            answer(&retry),
            "round {i}: a second retry too"
        );
        assert_eq!(
            names(&server.address).get(&name),
            Some(&1),
            "round {i} ({kill_at:?}): exactly one asset named {name:?}"
        );
    }
    assert!(
        answered >= 1,
        "at least one round had its write answered before the kill"
    );
    // A last restart reads everything from the store again: still one of each.
    server.kill_9();
    let server = start();
    let names = names(&server.address);
    for i in 0..rounds.len() {
        assert_eq!(
            names.get(&format!("Killed choir {i}")),
            Some(&1),
            "{names:?}"
        );
    }
    assert_eq!(names.values().sum::<usize>(), rounds.len(), "{names:?}");
    eprintln!(
        "idempotency kill -9 on {}: {} rounds; {answered} answered before the kill, \
         {landed_unanswered} made before the kill without an answer, the rest made by the retry",
        if store.starts_with("postgres") {
            "PostGIS"
        } else {
            "GeoPackage"
        },
        rounds.len()
    );
}

#[test]
fn a_post_retried_after_kill_9_makes_one_asset_on_geopackage() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("killed.gpkg");
    a_post_retried_after_kill_9_makes_one_asset(store.to_str().unwrap());
}

#[test]
fn a_post_retried_after_kill_9_makes_one_asset_on_postgis() {
    a_post_retried_after_kill_9_makes_one_asset(&fresh_postgis_database());
}
