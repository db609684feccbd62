//! The PostGIS store against a real PostgreSQL + PostGIS: the throwaway cluster that
//! `bash tests/run.sh` starts (`ASSETMAP_TEST_DATABASE_URL`). Each test makes its own database.
//! The outage test (stopping the cluster) lives in its own binary, `postgis_outage.rs`.

mod common;

use assetmap_store::postgis::{self, PostgisStore};
use assetmap_store::{AssetStore, StoreError, Timeouts};
use common::{api, pg};
use futures_util::StreamExt;
use std::time::Duration;
use tokio::sync::mpsc;

/// A connection that `LISTEN`s on the change channel and passes on every notification it
/// actually receives (their payloads), so tests count NOTIFYs rather than assume them.
async fn listener(url: &str) -> (tokio_postgres::Client, mpsc::UnboundedReceiver<String>) {
    let (client, mut connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("cannot connect: {e}"));
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(Ok(message)) = messages.next().await {
            if let tokio_postgres::AsyncMessage::Notification(n) = message {
                assert_eq!(n.channel(), postgis::listen::CHANNEL);
                if tx.send(n.payload().to_owned()).is_err() {
                    break;
                }
            }
        }
    });
    client
        .batch_execute(&format!("LISTEN {}", postgis::listen::CHANNEL))
        .await
        .expect("LISTEN");
    (client, rx)
}

/// The notifications that arrive within `wait` (after the writes they are for have committed).
async fn received(rx: &mut mpsc::UnboundedReceiver<String>, wait: Duration) -> Vec<String> {
    let mut got = Vec::new();
    while let Ok(Some(payload)) = tokio::time::timeout(wait, rx.recv()).await {
        got.push(payload);
    }
    got
}

async fn fresh_store(label: &str) -> (String, PostgisStore) {
    let url = pg::fresh_database(label).await;
    let store = PostgisStore::open(&url)
        .await
        .expect("open and migrate a fresh database");
    (url, store)
}

#[tokio::test]
async fn behaves_like_a_store() {
    let (_url, store) = fresh_store("behaviour").await;
    assert_eq!(store.kind(), "postgis");
    common::behaves_like_a_store(&store).await;
}

#[tokio::test]
async fn keeps_idempotency_records() {
    let (_url, store) = fresh_store("idempotency").await;
    common::keeps_idempotency_records(&store).await;
}

#[tokio::test]
async fn keeps_source_records() {
    let (_url, store) = fresh_store("source_records").await;
    common::keeps_source_records(&store).await;
}

#[tokio::test]
async fn applies_imports_all_or_nothing() {
    let (_url, store) = fresh_store("apply_import").await;
    common::applies_imports_all_or_nothing(&store).await;
}

#[tokio::test]
async fn keeps_history() {
    let (_url, store) = fresh_store("history").await;
    common::keeps_history(&store).await;
}

#[tokio::test]
async fn keeps_accounts() {
    let (_url, store) = fresh_store("accounts").await;
    common::keeps_accounts(&store).await;
}

#[tokio::test]
async fn keeps_suggestions() {
    let (_url, store) = fresh_store("suggestions").await;
    common::keeps_suggestions(&store).await;
}

/// The issue this answers: a connection lost during `COMMIT` left the server saying the change
/// could not be saved although it had been. Through a proxy that passes `COMMIT` on and loses
/// its answer, the store says the outcome is unknown — and the write is in fact there, with its
/// idempotency record, so a retry with the same key writes nothing more. A connection lost
/// before `COMMIT` is an ordinary `Unavailable`: nothing was written.
#[tokio::test]
async fn a_connection_lost_during_commit_is_an_unknown_outcome_that_the_key_settles() {
    let (url, migrated) = fresh_store("cut").await;
    drop(migrated);
    let (proxy, through) = assetmap_testing::CutProxy::in_front_of(&url);
    let store = PostgisStore::connect(&through)
        .await
        .expect("connect through the proxy");
    let day = chrono::Duration::hours(24);

    let a = common::asset(300);
    let key_a = common::record("cut-during-commit", "fp-a", 201, common::now_micros(), day);
    proxy.cut_after(b"COMMIT\0");
    match store
        .apply(assetmap_store::Write::Insert(&a), &api(), Some(&key_a))
        .await
    {
        Err(StoreError::OutcomeUnknown(why)) => assert!(why.contains("committed"), "{why}"),
        other => panic!("a commit whose answer was lost should be OutcomeUnknown, got {other:?}"),
    }
    assert_eq!(proxy.cuts(), 1, "the connection was cut at COMMIT");
    // It was saved, record and all; the retry (with a new id, as a POST without one makes)
    // is told so and writes nothing.
    assert_eq!(store.get(&a.id).await.expect("get").as_ref(), Some(&a));
    let retry = common::asset(301);
    match store
        .apply(assetmap_store::Write::Insert(&retry), &api(), Some(&key_a))
        .await
    {
        Err(StoreError::KeyAlreadyUsed(kept)) => assert_eq!(*kept, key_a),
        other => panic!("the retry should find the key kept, got {other:?}"),
    }
    assert_eq!(store.count().await.expect("count"), 1);

    // Lost before COMMIT (just after the change-feed lock was asked for): rolled back.
    let b = common::asset(302);
    let key_b = common::record("cut-before-commit", "fp-b", 201, common::now_micros(), day);
    proxy.cut_after(b"pg_advisory_xact_lock");
    match store
        .apply(assetmap_store::Write::Insert(&b), &api(), Some(&key_b))
        .await
    {
        Err(StoreError::Unavailable(_)) => {}
        other => panic!("a connection lost before COMMIT should be Unavailable, got {other:?}"),
    }
    assert_eq!(proxy.cuts(), 2);
    assert_eq!(store.get(&b.id).await.expect("get"), None);
    assert_eq!(
        store
            .idempotency_record("cut-before-commit")
            .await
            .expect("lookup"),
        None
    );
    store
        .apply(assetmap_store::Write::Insert(&b), &api(), Some(&key_b))
        .await
        .expect("the retry writes it, once");
    assert_eq!(store.count().await.expect("count"), 2);
}

#[tokio::test]
async fn every_write_purges_expired_idempotency_records() {
    let (url, store) = fresh_store("purge").await;
    let c = pg::client(&url).await;
    let keys = || async {
        c.query("SELECT key FROM idempotency_keys ORDER BY key", &[])
            .await
            .expect("idempotency_keys")
            .iter()
            .map(|r| r.get::<_, String>(0))
            .collect::<Vec<_>>()
    };
    let now = chrono::Utc::now();
    let day = chrono::Duration::hours(24);
    for (i, (key, created_at)) in [("expired", now - day * 2), ("live", now)]
        .into_iter()
        .enumerate()
    {
        let a = common::asset(200 + i as u32);
        store
            .apply(
                assetmap_store::Write::Insert(&a),
                &api(),
                Some(&common::record(key, "fp", 201, created_at, day)),
            )
            .await
            .expect("a keyed insert");
    }
    // The first record was kept already expired; the second write purged it.
    assert_eq!(keys().await, ["live"]);
    // A write without a key purges too.
    c.execute("UPDATE idempotency_keys SET created_at = created_at - interval '2 days', expires_at = expires_at - interval '2 days'", &[])
        .await
        .expect("age the record");
    assert_eq!(
        store.idempotency_record("live").await.expect("lookup"),
        None
    );
    store
        .delete(&common::asset(200).id, &api())
        .await
        .expect("delete");
    assert!(keys().await.is_empty());
}

#[tokio::test]
async fn migrations_apply_once_and_build_the_schema() {
    let url = pg::fresh_database("migrate").await;
    let store = PostgisStore::connect(&url)
        .await
        .expect("connect to an empty database");
    assert_eq!(store.schema_version().await.expect("version"), 0);
    assert!(
        store.postgis_version().starts_with('3'),
        "PostGIS {}",
        store.postgis_version()
    );

    let first = store.migrate().await.expect("migrate");
    assert_eq!((first.from, first.to), (0, postgis::latest_version()));
    assert_eq!(
        first.applied,
        postgis::MIGRATIONS
            .iter()
            .map(|m| m.name)
            .collect::<Vec<_>>()
    );
    let again = store.migrate().await.expect("migrate again");
    assert!(again.applied.is_empty(), "nothing left to apply: {again:?}");
    assert_eq!(
        store.schema_version().await.expect("version"),
        postgis::latest_version()
    );

    let c = pg::client(&url).await;
    let geom = c
        .query_one("SELECT type, srid FROM geometry_columns WHERE f_table_name = 'assets' AND f_geometry_column = 'geom'", &[])
        .await
        .expect("assets.geom is a registered geometry column");
    assert_eq!(
        (geom.get::<_, String>(0), geom.get::<_, i32>(1)),
        ("POINT".to_owned(), 4326)
    );
    let gist: i64 = c
        .query_one(
            "SELECT count(*) FROM pg_indexes WHERE tablename = 'assets' AND indexdef ILIKE '%USING gist (geom)%'",
            &[],
        )
        .await
        .expect("pg_indexes")
        .get(0);
    assert_eq!(gist, 1, "a GiST index on assets.geom");
    let trigger: i64 = c
        .query_one(
            "SELECT count(*) FROM pg_trigger WHERE tgname = 'asset_changes_notify'",
            &[],
        )
        .await
        .expect("pg_trigger")
        .get(0);
    assert_eq!(trigger, 1);
    let key: Vec<String> = c
        .query(
            "SELECT a.attname::text FROM pg_index x JOIN pg_attribute a ON a.attrelid = x.indrelid \
             AND a.attnum = ANY (x.indkey) WHERE x.indrelid = 'source_records'::regclass \
             AND x.indisprimary ORDER BY array_position(x.indkey, a.attnum)",
            &[],
        )
        .await
        .expect("source_records has a primary key")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(key, ["source", "asset_id"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_migrations_do_not_race() {
    let url = pg::fresh_database("race").await;
    let stores: Vec<PostgisStore> = connect_many(&url, 4).await;
    let reports = futures_util::future::join_all(stores.iter().map(|s| s.migrate())).await;
    let applied: usize = reports
        .into_iter()
        .map(|r| r.expect("every migrator succeeds").applied.len())
        .sum();
    assert_eq!(
        applied,
        postgis::MIGRATIONS.len(),
        "each migration applied exactly once"
    );
}

async fn connect_many(url: &str, n: usize) -> Vec<PostgisStore> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(PostgisStore::connect(url).await.expect("connect"));
    }
    out
}

#[tokio::test]
async fn refuses_a_schema_newer_than_the_code() {
    let (url, store) = fresh_store("newer").await;
    let newer = postgis::latest_version() + 1;
    pg::client(&url)
        .await
        .execute(
            "INSERT INTO schema_migrations (version, name) VALUES ($1, 'from_the_future')",
            &[&newer],
        )
        .await
        .expect("pretend a newer assetmap migrated");
    match PostgisStore::connect(&url).await {
        Err(StoreError::Schema(msg)) => {
            assert!(msg.contains("newer than this assetmap knows"), "{msg}");
            assert!(msg.contains(&newer.to_string()), "{msg}");
        }
        other => panic!("connect should refuse the newer schema, got {other:?}"),
    }
    assert!(
        matches!(store.migrate().await, Err(StoreError::Schema(_))),
        "migrate refuses it too"
    );
}

#[tokio::test]
async fn an_unmigrated_database_says_to_migrate() {
    let url = pg::fresh_database("unmigrated").await;
    let store = PostgisStore::connect(&url).await.expect("connect");
    match store.count().await {
        Err(StoreError::Schema(msg)) => assert!(msg.contains("assetmap migrate"), "{msg}"),
        other => panic!("expected a Schema error, got {other:?}"),
    }
}

#[tokio::test]
async fn the_url_is_checked_and_never_echoed() {
    match PostgisStore::connect("postgres://user:s3cret@127.0.0.1:notaport/db").await {
        Err(StoreError::Other(msg)) => assert!(!msg.contains("s3cret"), "{msg}"),
        other => panic!("a bad URL should be refused, got {other:?}"),
    }
}

#[tokio::test]
async fn nothing_listening_is_unavailable() {
    // A loopback port with no server: bind one, note it, close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    match PostgisStore::connect(&format!("postgres://postgres@127.0.0.1:{port}/db")).await {
        Err(StoreError::Unavailable(_)) => {}
        other => panic!("no server should be Unavailable, got {other:?}"),
    }
}

#[tokio::test]
async fn rows_are_stored_as_postgis_points_in_lon_lat_order() {
    let (url, store) = fresh_store("geom").await;
    let a = common::asset(4);
    store.insert(&a, &api()).await.expect("insert");
    let row = pg::client(&url)
        .await
        .query_one(
            "SELECT ST_X(geom), ST_Y(geom), ST_SRID(geom), categories, opening_times->>'by_arrangement' FROM assets WHERE id = $1",
            &[&a.id.as_str()],
        )
        .await
        .expect("row");
    assert_eq!(row.get::<_, f64>(0), a.location.lon());
    assert_eq!(row.get::<_, f64>(1), a.location.lat());
    assert_eq!(row.get::<_, i32>(2), 4326);
    let slugs: Vec<&str> = a.categories.iter().map(|c| c.slug()).collect();
    assert_eq!(row.get::<_, Vec<String>>(3), slugs);
    assert_eq!(row.get::<_, Option<String>>(4).as_deref(), Some("true"));
}

#[tokio::test]
async fn a_hand_edited_invalid_row_is_reported_not_passed_on() {
    let (url, store) = fresh_store("corrupt").await;
    let a = common::asset(2);
    store.insert(&a, &api()).await.expect("insert");
    pg::client(&url)
        .await
        .execute(
            "UPDATE assets SET categories = '{not_a_theme}' WHERE id = $1",
            &[&a.id.as_str()],
        )
        .await
        .expect("vandalise");
    match store.get(&a.id).await {
        Err(StoreError::Schema(msg)) => assert!(
            msg.contains("categories") && msg.contains(a.id.as_str()),
            "{msg}"
        ),
        other => panic!("expected a Schema error naming the field, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_load_uses_one_transaction_and_one_notify() {
    let (url, store) = fresh_store("bulk").await;
    let (listener, mut notes) = listener(&url).await;
    assert_eq!(
        postgis::listen::CHANNEL,
        "assetmap_changes",
        "the migration's channel"
    );

    // One write: one commit, one notification, carrying its sequence number.
    let one = common::asset(30_000);
    let seq = store.insert(&one, &api()).await.expect("insert");
    assert_eq!(
        received(&mut notes, Duration::from_secs(2)).await,
        vec![seq.to_string()],
        "one NOTIFY for one write"
    );

    // A 20,000-row bulk load in one transaction: one notification, with the newest seq.
    let batch = common::assets(0, 20_000);
    let seq = store.insert_many(&batch, &api()).await.expect("bulk load");
    assert_eq!(
        received(&mut notes, Duration::from_secs(2)).await,
        vec![seq.to_string()],
        "one NOTIFY for one bulk load"
    );
    assert_eq!(store.count().await.expect("count"), 20_001);
    assert_eq!(store.latest_seq().await.expect("latest"), seq);
    let changes: i64 = listener
        .query_one("SELECT count(*) FROM asset_changes", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(changes, 20_001);
    let mut all = batch.clone();
    all.push(one);
    all.sort_by(|a, b| a.id.as_str().cmp(b.id.as_str()));
    assert_eq!(
        store.all().await.expect("all"),
        all,
        "all() returns them in id order, intact"
    );

    // A clash at the very end undoes the whole batch, and nothing is announced.
    let mut clash = common::assets(20_000, 30_000);
    clash.push(common::asset(5));
    assert!(matches!(
        store.insert_many(&clash, &api()).await,
        Err(StoreError::AlreadyExists(_))
    ));
    assert_eq!(store.count().await.expect("count"), 20_001);
    assert_eq!(store.latest_seq().await.expect("latest"), seq);
    assert_eq!(
        received(&mut notes, Duration::from_secs(1)).await,
        Vec::<String>::new(),
        "no NOTIFY for a rolled-back load"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_sends_one_notify_and_a_refused_one_none() {
    let (url, store) = fresh_store("import_notify").await;
    let (_listener, mut notes) = listener(&url).await;
    let stored = common::assets(0, 3);
    store
        .insert_many(&stored, &api())
        .await
        .expect("insert_many");
    received(&mut notes, Duration::from_secs(2)).await;

    let inserts = common::assets(100, 12_100);
    let replaces: Vec<_> = stored
        .iter()
        .map(|a| common::next_version(a, "renamed"))
        .collect();
    let records: Vec<_> = inserts
        .iter()
        .chain(&replaces)
        .map(|a| common::source_record("council", a, "fp", common::t0(), None))
        .collect();
    let seq = store
        .apply_import(common::batch(&inserts, &replaces, &records), &|_| {})
        .await
        .expect("import");
    assert_eq!(
        received(&mut notes, Duration::from_secs(2)).await,
        vec![seq.to_string()],
        "one NOTIFY for one import, with its last seq"
    );
    assert_eq!(
        store
            .source_records("council")
            .await
            .expect("records")
            .len(),
        records.len()
    );

    let stale = replaces[0].clone();
    assert!(matches!(
        store
            .apply_import(
                common::batch(&common::assets(20_000, 20_010), &[stale], &[]),
                &|_| {}
            )
            .await,
        Err(StoreError::VersionConflict { .. })
    ));
    assert_eq!(
        received(&mut notes, Duration::from_secs(1)).await,
        Vec::<String>::new(),
        "no NOTIFY for a rolled-back import"
    );
    assert_eq!(store.latest_seq().await.expect("latest"), seq);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_through_one_store_signals_another() {
    let (url, writer) = fresh_store("signal").await;
    let reader = PostgisStore::connect(&url)
        .await
        .expect("second store on the same database");
    let mut signal = reader
        .change_signal()
        .expect("the PostGIS store has a change signal");
    // The listener publishes once it is LISTENing; from then on nothing is missed.
    tokio::time::timeout(Duration::from_secs(10), signal.changed())
        .await
        .expect("the listener connects")
        .expect("the signal is alive");
    signal.borrow_and_update();

    let a = common::asset(8);
    let seq = writer.insert(&a, &api()).await.expect("insert");
    wait_for_seq(&mut signal, seq).await;
    let feed = reader.changes_since(0, 10).await.expect("feed");
    assert_eq!(
        feed.last().and_then(|c| c.asset.as_ref()),
        Some(&a),
        "the reader catches up by sequence number"
    );

    let seq = writer
        .insert_many(&common::assets(100, 1100), &api())
        .await
        .expect("bulk");
    wait_for_seq(&mut signal, seq).await;
    let seq = writer.delete(&a.id, &api()).await.expect("delete");
    wait_for_seq(&mut signal, seq).await;
    assert_eq!(reader.get(&a.id).await.expect("get"), None);
}

/// Waits (at most 5 s) until the signal announces `seq` or later.
async fn wait_for_seq(signal: &mut tokio::sync::watch::Receiver<u64>, seq: u64) {
    let waited = tokio::time::timeout(Duration::from_secs(5), async {
        while *signal.borrow_and_update() < seq {
            signal.changed().await.expect("the signal is alive");
        }
    })
    .await;
    assert!(
        waited.is_ok(),
        "the signal did not announce seq {seq} within 5 s (it says {})",
        *signal.borrow()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_following_the_feed_by_cursor_misses_nothing_under_concurrent_writes() {
    let (url, first) = fresh_store("order").await;
    let second = PostgisStore::connect(&url).await.expect("second writer");
    let reader = PostgisStore::connect(&url).await.expect("reader");
    let follow = async {
        // What a server does: keep a cursor, ask for what is after it. If sequence numbers
        // could become visible out of order, a smaller one committing late would be skipped.
        let mut cursor = 0;
        let mut seen = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while seen.len() < 120 && tokio::time::Instant::now() < deadline {
            for c in reader.changes_since(cursor, 1000).await.expect("feed") {
                assert!(c.seq > cursor);
                cursor = c.seq;
                seen.push(c.seq);
            }
        }
        seen
    };
    let ((), (), seen) = tokio::join!(write_60(&first, 0), write_60(&second, 1000), follow);
    let all: Vec<u64> = reader
        .changes_since(0, 1000)
        .await
        .expect("feed")
        .iter()
        .map(|c| c.seq)
        .collect();
    assert_eq!(all.len(), 120);
    assert_eq!(seen, all, "the cursor saw every change");
}

async fn write_60(store: &PostgisStore, from: u32) {
    for i in from..from + 60 {
        store
            .insert(&common::asset(i), &api())
            .await
            .expect("insert");
    }
}

#[tokio::test]
async fn assets_stamped_by_a_nanosecond_clock_round_trip_exactly() {
    let (_url, store) = fresh_store("nanos").await;
    let fixture = common::asset(6);
    let valid = |a: &assetmap_core::Asset| {
        a.to_draft()
            .validate(Some((a.location.lon(), a.location.lat())))
            .expect("valid")
    };
    let now = common::t0() + chrono::Duration::nanoseconds(987_654_321);
    let a = assetmap_core::Asset::create(fixture.id.clone(), valid(&fixture), now);
    store.insert(&a, &api()).await.expect("insert");
    assert_eq!(
        store.get(&a.id).await.expect("get").as_ref(),
        Some(&a),
        "timestamptz keeps what Asset::create kept"
    );
    let b = a.replaced_by(valid(&a), now + chrono::Duration::nanoseconds(1_001));
    store.replace(&b, &api()).await.expect("replace");
    assert_eq!(store.get(&a.id).await.expect("get").as_ref(), Some(&b));
}

/// Short bounds, so the tests below take seconds.
fn short_timeouts() -> Timeouts {
    Timeouts {
        statement: Duration::from_secs(2),
        lock: Duration::from_secs(1),
        idle_in_transaction: Duration::from_secs(1),
        ..Timeouts::default()
    }
}

/// Asserts `r` is `Unavailable` and returns its message.
fn unavailable<T: std::fmt::Debug>(what: &str, r: Result<T, StoreError>) -> String {
    match r {
        Err(StoreError::Unavailable(why)) => why,
        other => panic!("{what}: expected Unavailable, got {other:?}"),
    }
}

#[tokio::test]
async fn every_session_has_the_configured_timeouts() {
    let url = pg::fresh_database("session").await;
    let store = PostgisStore::open_with(&url, &short_timeouts())
        .await
        .expect("open");
    let client = store.pool().get().await.expect("a pooled connection");
    let mut got = Vec::new();
    for setting in [
        "statement_timeout",
        "lock_timeout",
        "idle_in_transaction_session_timeout",
    ] {
        let row = client
            .query_one(&format!("SHOW {setting}"), &[])
            .await
            .expect("SHOW");
        got.push(row.get::<_, String>(0));
    }
    assert_eq!(got, ["2s", "1s", "1s"]);
}

#[tokio::test]
async fn a_locked_table_fails_a_write_within_the_lock_timeout() {
    let url = pg::fresh_database("locked").await;
    let store = PostgisStore::open_with(&url, &short_timeouts())
        .await
        .expect("open");
    let a = common::asset(0);
    store
        .insert(&a, &api())
        .await
        .expect("insert before the lock");

    let mut holder = pg::client(&url).await;
    let tx = holder.transaction().await.expect("BEGIN");
    tx.batch_execute("LOCK TABLE assets IN ACCESS EXCLUSIVE MODE")
        .await
        .expect("LOCK TABLE");
    for (what, started, r) in [
        {
            let t = std::time::Instant::now();
            (
                "insert",
                t,
                store.insert(&common::asset(1), &api()).await.map(|_| ()),
            )
        },
        {
            let t = std::time::Instant::now();
            let next = common::next_version(&a, "renamed");
            ("replace", t, store.replace(&next, &api()).await.map(|_| ()))
        },
        {
            let t = std::time::Instant::now();
            ("delete", t, store.delete(&a.id, &api()).await.map(|_| ()))
        },
    ] {
        let took = started.elapsed();
        let why = unavailable(what, r);
        assert!(why.contains("lock timeout"), "{what}: {why}");
        assert!(
            took >= Duration::from_millis(900) && took < Duration::from_secs(4),
            "{what} waited {took:?} for a 1 s lock timeout"
        );
    }
    tx.rollback().await.expect("ROLLBACK");
    // The lock is gone: the same store writes again, and nothing refused was written.
    store
        .insert(&common::asset(1), &api())
        .await
        .expect("insert after the lock");
    assert_eq!(store.get(&a.id).await.expect("get"), Some(a));
}

#[tokio::test]
async fn a_slow_statement_is_cancelled_by_the_statement_timeout() {
    let url = pg::fresh_database("slow").await;
    let store = PostgisStore::open_with(&url, &short_timeouts())
        .await
        .expect("open");
    let client = store.pool().get().await.expect("a pooled connection");
    let started = std::time::Instant::now();
    let e = client
        .batch_execute("SELECT pg_sleep(30)")
        .await
        .expect_err("cancelled");
    let took = started.elapsed();
    assert_eq!(
        e.code().map(|c| c.code()),
        Some("57014"),
        "query_canceled: {e}"
    );
    assert!(took < Duration::from_secs(5), "cancelled after {took:?}");
}

/// A process frozen in the middle of a write (here: a session of another store that took the
/// change-feed lock and then went quiet) holds up every other writer only until
/// `idle_in_transaction_session_timeout` ends its session.
#[tokio::test]
async fn a_session_idle_in_a_transaction_is_ended_and_its_locks_released() {
    let url = pg::fresh_database("idle").await;
    let timeouts = Timeouts {
        lock: Duration::from_secs(5),
        ..short_timeouts()
    };
    let frozen = PostgisStore::open_with(&url, &timeouts)
        .await
        .expect("open");
    let writer = PostgisStore::connect_with(&url, &timeouts)
        .await
        .expect("connect");
    let mut stuck = frozen.pool().get().await.expect("a pooled connection");
    let tx = stuck.transaction().await.expect("BEGIN");
    tx.execute(
        "SELECT pg_advisory_xact_lock($1)",
        &[&postgis::store::CHANGE_FEED_LOCK_KEY],
    )
    .await
    .expect("the change-feed lock");
    // …and nothing more from this session.
    let started = std::time::Instant::now();
    writer
        .insert(&common::asset(0), &api())
        .await
        .expect("the write goes through once the idle session is ended");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(4),
        "waited {took:?} for a session idle for 1 s"
    );
    // The idle session was ended by the server: its next statement fails, as Unavailable.
    let e = tx
        .execute("SELECT 1", &[])
        .await
        .expect_err("session ended");
    assert!(
        e.is_closed() || e.code().is_some_and(|c| c.code() == "25P03"),
        "{e}"
    );
}

#[tokio::test]
async fn a_large_bulk_write_leaves_the_planner_statistics_of_what_it_wrote() {
    let (url, store) = fresh_store("bulk_analyze").await;
    let client = pg::client(&url).await;
    // ANALYZE sets the row estimates (`-1` on a table never analysed or vacuumed).
    let estimated = |table: &'static str| {
        let client = &client;
        async move {
            client
                .query_one(
                    "SELECT reltuples::float8 FROM pg_class WHERE relname = $1",
                    &[&table],
                )
                .await
                .expect("pg_class row")
                .get::<_, f64>(0)
        }
    };
    assert!(estimated("asset_changes").await < 0.0);
    // A large bulk write refreshes them itself, so the change feed's catch-up is planned on
    // them (autovacuum would get there in a minute or so).
    store
        .insert_many(&assetmap_synthetic::assets(6, 10_000), &api())
        .await
        .expect("large bulk write");
    assert!(estimated("assets").await >= 9_000.0);
    assert!(estimated("asset_changes").await >= 9_000.0);
}
