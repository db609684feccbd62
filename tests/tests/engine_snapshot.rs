//! The engine snapshot at start-up, on both stores: a start reads it and applies the changes
//! made since, giving the engine a build from the store gives; a snapshot that no longer
//! answers for the store (damaged, of another build, of another store) is not used, the
//! engine is built from the store and a good snapshot written in its place.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use assetmap_core::{AssetName, ChangeBy, Via};
use assetmap_index::Engine;
use assetmap_server::config::{EngineSnapshot, Seed, Settings, StoreLocation};
use assetmap_server::engine_snapshot::{self, LoadedFrom, SnapshotTag};
use assetmap_server::startup::{load_engine_from, open_store, seed_if_new, store_will_be_created};
use assetmap_store::AssetStore;
use assetmap_tests::{
    agent, fresh_postgis_database, request, sample_feature, test_settings, ServerProcess,
    ADMIN_TOKEN,
};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

const ASSETS: usize = 3_000;

fn settings(location: StoreLocation, snapshot: EngineSnapshot) -> Settings {
    Settings {
        engine_snapshot: snapshot,
        engine_snapshot_min_assets: 0,
        ..test_settings(location, Seed::Synthetic(ASSETS))
    }
}

async fn seeded_store(settings: &Settings) -> Arc<dyn AssetStore> {
    let created = store_will_be_created(settings);
    let store = open_store(settings).await.unwrap();
    seed_if_new(store.as_ref(), settings, created)
        .await
        .unwrap();
    store
}

/// The engine a build from every asset of the store gives, now.
async fn built_from(store: &dyn AssetStore) -> Engine {
    Engine::new(store.all().await.unwrap())
}

/// One insert, one replacement and one delete, written to the store behind the engine's back.
async fn three_changes(store: &dyn AssetStore) {
    let by = ChangeBy::system(Via::Api);
    let mut all = store.all().await.unwrap();
    let mut new = assetmap_synthetic::asset(99, 7);
    new.id = assetmap_core::AssetId::parse("after-the-snapshot").unwrap();
    store.insert(&new, &by).await.unwrap();
    let mut renamed = all.remove(10);
    renamed.name = AssetName::parse("Renamed After The Snapshot").unwrap();
    renamed.version += 1;
    store.replace(&renamed, &by).await.unwrap();
    store.delete(&all[20].id, &by).await.unwrap();
}

async fn a_start_reads_the_snapshot_and_applies_the_changes_since(settings: Settings) {
    let path = settings.engine_snapshot_path().unwrap();
    let store = seeded_store(&settings).await;
    let (first, seq, from) = load_engine_from(store.as_ref(), &settings).await.unwrap();
    assert_eq!(from, LoadedFrom::Store);
    assert_eq!(first.len(), ASSETS);
    // Built from the store, then read back from the snapshot just written: its records there.
    assert_eq!(first.records_in_file(), ASSETS);
    assert!(first.iter().eq(built_from(store.as_ref()).await.iter()));
    assert_eq!(seq, store.latest_seq().await.unwrap());
    assert!(path.is_file(), "no snapshot written at {}", path.display());

    three_changes(store.as_ref()).await;
    let (engine, seq, from) = load_engine_from(store.as_ref(), &settings).await.unwrap();
    assert_eq!(from, LoadedFrom::Snapshot { changes_applied: 3 });
    assert_eq!(seq, store.latest_seq().await.unwrap());
    assert!(engine.iter().eq(built_from(store.as_ref()).await.iter()));
    assert!(engine
        .get(assetmap_core::AssetId::parse("after-the-snapshot").unwrap())
        .is_some());
    engine.check_invariants().unwrap();
    // Its records are read from the snapshot file, but for the inserted and the replaced
    // asset (kept in memory) and the deleted one.
    assert_eq!(engine.records_in_file(), ASSETS - 2);
    // Or all kept in memory, when the settings say so: the same engine.
    let in_memory = Settings {
        engine_records_in_snapshot: false,
        ..settings
    };
    let (kept, _, _) = load_engine_from(store.as_ref(), &in_memory).await.unwrap();
    assert_eq!(kept.records_in_file(), 0);
    assert!(kept.iter().eq(engine.iter()));
}

async fn a_snapshot_that_no_longer_answers_for_the_store_is_not_used(settings: Settings) {
    let path = settings.engine_snapshot_path().unwrap();
    let store = seeded_store(&settings).await;
    let load = || load_engine_from(store.as_ref(), &settings);
    assert_eq!(load().await.unwrap().2, LoadedFrom::Store);
    assert!(matches!(
        load().await.unwrap().2,
        LoadedFrom::Snapshot { .. }
    ));

    // Damaged: one byte changed in the middle of what a start reads (all but the records).
    let good = std::fs::read(&path).unwrap();
    let (records_at, records_end) = record_region(&good);
    let mut bytes = good.clone();
    bytes[records_at / 2] ^= 0x20;
    std::fs::write(&path, &bytes).unwrap();
    let (engine, _, from) = load().await.unwrap();
    assert_eq!(from, LoadedFrom::Store);
    assert!(engine.iter().eq(built_from(store.as_ref()).await.iter()));
    // …and a good one written in its place.
    assert!(matches!(
        load().await.unwrap().2,
        LoadedFrom::Snapshot { .. }
    ));
    // A byte changed among the records, which a start does not read: used, and the damage is
    // found when the record is first read — that asset is not handed out, and the engine says so.
    let good = std::fs::read(&path).unwrap();
    let mut bytes = good.clone();
    bytes[records_end - 10] ^= 0x20;
    std::fs::write(&path, &bytes).unwrap();
    let (damaged, _, from) = load().await.unwrap();
    assert!(matches!(from, LoadedFrom::Snapshot { .. }));
    assert!(!damaged.snapshot_damaged());
    assert!(damaged.iter().count() < damaged.len());
    assert!(damaged.snapshot_damaged());
    std::fs::write(&path, &good).unwrap();

    // Written by another build, for another store, at a change the store does not hold, or
    // ahead of the store's feed.
    let seq = store.latest_seq().await.unwrap();
    let tag = engine_snapshot::tag_for(
        store.as_ref(),
        &settings,
        engine_snapshot::build_id().unwrap(),
        seq,
    )
    .await
    .unwrap();
    let wrong = [
        SnapshotTag {
            build: "0.0.0 another build".into(),
            ..tag.clone()
        },
        SnapshotTag {
            store: "GeoPackage /elsewhere/assets.gpkg".into(),
            ..tag.clone()
        },
        SnapshotTag {
            change: Some(("syn-00000001".into(), "2001-01-01T00:00:00+00:00".into())),
            ..tag.clone()
        },
        SnapshotTag {
            seq: seq + 1,
            ..tag.clone()
        },
    ];
    for bad in wrong {
        engine_snapshot::write(&engine, &bad, &path).unwrap();
        let (got, _, from) = load().await.unwrap();
        assert_eq!(
            from,
            LoadedFrom::Store,
            "a snapshot tagged {bad:?} was used"
        );
        assert_eq!(got.len(), engine.len());
    }
    // The tag as it should be: used.
    engine_snapshot::write(&engine, &tag, &path).unwrap();
    assert!(matches!(
        load().await.unwrap().2,
        LoadedFrom::Snapshot { .. }
    ));

    // An engine that disagrees with the store once the feed is applied (an asset missing
    // from the snapshot, though its tag is right): not used.
    let mut short = engine;
    let gone = short.iter().nth(5).unwrap().id.clone();
    short.remove(&gone);
    engine_snapshot::write(&short, &tag, &path).unwrap();
    let (got, _, from) = load().await.unwrap();
    assert_eq!(from, LoadedFrom::Store);
    assert!(got.get(&gone).is_some());
}

/// Where the record region of the snapshot `bytes` starts and ends: it is followed by its
/// checksums' frame (length, CRC, then the region's length first) and that frame's place.
fn record_region(bytes: &[u8]) -> (usize, usize) {
    let n = bytes.len();
    let end = u64::from_le_bytes(bytes[n - 8..].try_into().unwrap()) as usize;
    let len = u64::from_le_bytes(bytes[end + 12..end + 20].try_into().unwrap()) as usize;
    (end - len, end)
}

fn geopackage(dir: &Path) -> StoreLocation {
    StoreLocation::GeoPackage(dir.join("assets.gpkg"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn geopackage_a_start_reads_the_snapshot_and_applies_the_changes_since() {
    let dir = tempfile::tempdir().unwrap();
    let settings = settings(geopackage(dir.path()), EngineSnapshot::Auto);
    assert_eq!(
        settings.engine_snapshot_path().unwrap(),
        dir.path().join("assets.gpkg.engine")
    );
    a_start_reads_the_snapshot_and_applies_the_changes_since(settings).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgis_a_start_reads_the_snapshot_and_applies_the_changes_since() {
    let dir = tempfile::tempdir().unwrap();
    let location = StoreLocation::Postgis(fresh_postgis_database());
    // No snapshot for PostGIS unless one is named.
    assert_eq!(
        settings(location.clone(), EngineSnapshot::Auto).engine_snapshot_path(),
        None
    );
    let named = EngineSnapshot::At(dir.path().join("engine"));
    a_start_reads_the_snapshot_and_applies_the_changes_since(settings(location, named)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn geopackage_a_snapshot_that_no_longer_answers_for_the_store_is_not_used() {
    let dir = tempfile::tempdir().unwrap();
    let settings = settings(geopackage(dir.path()), EngineSnapshot::Auto);
    a_snapshot_that_no_longer_answers_for_the_store_is_not_used(settings).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgis_a_snapshot_that_no_longer_answers_for_the_store_is_not_used() {
    let dir = tempfile::tempdir().unwrap();
    let location = StoreLocation::Postgis(fresh_postgis_database());
    let named = EngineSnapshot::At(dir.path().join("engine"));
    a_snapshot_that_no_longer_answers_for_the_store_is_not_used(settings(location, named)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_snapshot_is_written_below_the_minimum_or_when_off() {
    let dir = tempfile::tempdir().unwrap();
    let below = Settings {
        engine_snapshot_min_assets: ASSETS + 1,
        ..settings(geopackage(dir.path()), EngineSnapshot::Auto)
    };
    let store = seeded_store(&below).await;
    load_engine_from(store.as_ref(), &below).await.unwrap();
    assert!(!below.engine_snapshot_path().unwrap().exists());
    let off = settings(geopackage(dir.path()), EngineSnapshot::Off);
    assert_eq!(off.engine_snapshot_path(), None);
    assert_eq!(
        load_engine_from(store.as_ref(), &off).await.unwrap().2,
        LoadedFrom::Store
    );
}

/// The tag of the snapshot at `path`.
fn tag_of(path: &Path) -> SnapshotTag {
    let file = std::fs::File::open(path).unwrap();
    let reader = assetmap_index::SnapshotReader::open(std::io::BufReader::new(file)).unwrap();
    serde_json::from_str(reader.tag()).unwrap()
}

/// Every asset a server holds, whatever its status.
fn assets_served(http: &ureq::Agent, server: &ServerProcess) -> u64 {
    let url = format!(
        "{}/collections/assets/items?limit=1&status=active,temporarily_closed,closed",
        server.address
    );
    request(http, "GET", &url, None, None).json()["numberMatched"]
        .as_u64()
        .expect("numberMatched")
}

/// The server binary the process tests start.
fn server_binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_assetmap-under-test"))
}

/// The environment of those servers: a snapshot however few the assets.
const SERVER_ENV: [(&str, &str); 1] = [("ASSETMAP_ENGINE_SNAPSHOT_MIN_ASSETS", "0")];

/// How long such a server may take to start.
const SERVER_WAIT: Duration = Duration::from_secs(120);

/// A fresh directory for a GeoPackage store (kept while the `TempDir` lives), the store's path
/// and its snapshot's (the default, beside it).
fn store_dir() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("assets.gpkg");
    let snapshot = dir.path().join("assets.gpkg.engine");
    (dir, store, snapshot)
}

/// Stops `server` as a service manager would (SIGTERM) and waits for it to exit.
fn stop(server: ServerProcess) {
    let status = server
        .stop_with("-TERM", SERVER_WAIT)
        .expect("the server stops after SIGTERM");
    assert!(status.success(), "the server stopped with {status}");
}

#[test]
fn a_clean_stop_writes_a_new_snapshot_when_the_engine_is_far_ahead_of_it() {
    let (binary, env, wait) = (server_binary(), SERVER_ENV, SERVER_WAIT);
    let (_dir, store_path, snapshot) = store_dir();
    let store_arg = store_path.to_str().unwrap();
    let http = agent();
    let serve = ["--store", store_arg, "serve", "--bind", "127.0.0.1:0"];

    let first = [&serve[..], &["--synthetic", "1000"]].concat();
    let server = ServerProcess::start(binary, &first, &env, wait);
    assert_eq!(tag_of(&snapshot).seq, 1_000, "written at the first start");
    // 5,000 assets written through another process while it serves.
    let store = assetmap_store::gpkg::GeoPackageStore::open(&store_path).unwrap();
    let more: Vec<_> = (0..5_000)
        .map(|i| {
            let mut a = assetmap_synthetic::asset(9, i);
            a.id = assetmap_core::AssetId::parse(&format!("more-{i}")).unwrap();
            a
        })
        .collect();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(store.insert_many(&more, &ChangeBy::system(Via::Seed)))
        .unwrap();
    let started = Instant::now();
    while assets_served(&http, &server) != 6_000 {
        assert!(started.elapsed() < wait, "the server never caught up");
        std::thread::sleep(Duration::from_millis(100));
    }
    stop(server);
    let latest = rt.block_on(store.latest_seq()).unwrap();
    assert_eq!(tag_of(&snapshot).seq, latest, "rewritten at the stop");

    // A stop a few changes ahead of the snapshot leaves it as it is.
    let server = ServerProcess::start(binary, &serve, &env, wait);
    let created = request(
        &http,
        "POST",
        &format!("{}/collections/assets/items", server.address),
        Some(&sample_feature("One More Choir")),
        Some(ADMIN_TOKEN),
    );
    assert_eq!(created.status, 201);
    stop(server);
    assert_eq!(
        tag_of(&snapshot).seq,
        latest,
        "not rewritten for one change"
    );
    assert_eq!(assets_served_after_restart(binary, &serve, &env), 6_001);
}

/// How many assets a server started afresh with `args` serves.
fn assets_served_after_restart(binary: &Path, args: &[&str], env: &[(&str, &str)]) -> u64 {
    let server = ServerProcess::start(binary, args, env, SERVER_WAIT);
    let n = assets_served(&agent(), &server);
    stop(server);
    n
}

#[test]
fn a_snapshot_found_damaged_while_serving_is_replaced_by_a_build_from_the_store() {
    let (binary, env, wait) = (server_binary(), SERVER_ENV, SERVER_WAIT);
    let (_dir, store_path, snapshot) = store_dir();
    let store_arg = store_path.to_str().unwrap();
    let http = agent();
    let args = [
        "--store",
        store_arg,
        "serve",
        "--bind",
        "127.0.0.1:0",
        "--synthetic",
        "1000",
    ];
    // The first start seeds the store and writes the snapshot.
    let server = ServerProcess::start(binary, &args, &env, wait);
    assert_eq!(assets_served(&http, &server), 1_000);
    stop(server);
    // One byte of the last record changed.
    let bytes = std::fs::read(&snapshot).unwrap();
    let (_, records_end) = record_region(&bytes);
    let at = records_end - 10;
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&snapshot)
        .unwrap();
    std::os::unix::fs::FileExt::write_at(&file, &[bytes[at] ^ 0x5a], at as u64).unwrap();
    drop(file);
    let damaged = std::fs::read(&snapshot).unwrap();

    let server = ServerProcess::start(binary, &args, &env, wait);
    // Every asset asked for in one page: how many are handed out.
    let page = || {
        let url = format!(
            "{}/collections/assets/items?limit=1000&status=active,temporarily_closed,closed",
            server.address
        );
        let r = request(&http, "GET", &url, None, None);
        assert_eq!(r.status, 200);
        r.json()["features"].as_array().unwrap().len()
    };
    // The start reads no record, so it uses the snapshot; the damage is found when the records
    // are checked after the start (or when the page reads them, whichever comes first), the
    // damaged part's assets are left out meanwhile, and the server builds its engine again
    // from the store and writes a sound snapshot in place of the damaged one.
    let started = Instant::now();
    while page() != 1_000 || std::fs::read(&snapshot).unwrap() == damaged {
        assert!(started.elapsed() < wait, "the engine was never built again");
        std::thread::sleep(Duration::from_millis(100));
    }
    let rewritten = std::fs::read(&snapshot).unwrap();
    let sound = assetmap_index::SnapshotReader::open(rewritten.as_slice()).unwrap();
    assert_eq!(
        sound
            .read_engine_with_view(Some(assetmap_server::state::engine_view()))
            .unwrap()
            .len(),
        1_000
    );
    stop(server);
}
