//! The PostGIS store when PostgreSQL goes away and comes back: operations fail with
//! `Unavailable` (never hang, never another error), and work again once the database is back,
//! with no new store; the change signal reconnects and announces what it may have missed.
//!
//! This stops and starts the whole throwaway cluster (`ASSETMAP_TEST_PG_CTL`, from
//! `bash tests/run.sh`), so it is the only test in its binary: cargo runs test binaries one
//! after another, and a guard restarts the cluster even if an assertion fails.

mod common;

use assetmap_store::{AssetStore, PostgisStore, StoreError};
use assetmap_testing::{pg_ctl, RestartOnDrop};
use common::{api, pg};
use std::time::Duration;

/// Retries `op` until it succeeds (at most 30 s).
async fn eventually<T, F, Fut>(what: &str, mut op: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, StoreError>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        match op().await {
            Ok(v) => return v,
            Err(e) if tokio::time::Instant::now() < deadline => {
                assert!(
                    matches!(e, StoreError::Unavailable(_)),
                    "{what}: while recovering expected Unavailable, got {e:?}"
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("{what} did not recover within 30 s: {e}"),
        }
    }
}

fn assert_unavailable<T: std::fmt::Debug>(what: &str, r: Result<T, StoreError>) {
    match r {
        Err(StoreError::Unavailable(_)) => {}
        other => panic!("{what} with the database down should be Unavailable, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unavailable_while_the_database_is_down_and_recovers_without_a_restart() {
    let url = pg::fresh_database("outage").await;
    let store = PostgisStore::open(&url).await.expect("open");
    let a = common::asset(0);
    let before = store
        .insert(&a, &api())
        .await
        .expect("insert before the outage");
    let mut signal = store.change_signal().expect("signal");
    tokio::time::timeout(Duration::from_secs(10), signal.changed())
        .await
        .expect("listener up")
        .expect("alive");

    let guard = RestartOnDrop;
    assert!(pg_ctl("stop"), "the cluster stops");

    // Every kind of call fails fast and says Unavailable.
    let started = std::time::Instant::now();
    assert_unavailable("get", store.get(&a.id).await);
    assert_unavailable("count", store.count().await);
    assert_unavailable("insert", store.insert(&common::asset(1), &api()).await);
    assert_unavailable(
        "replace",
        store.replace(&common::next_version(&a, "x"), &api()).await,
    );
    assert_unavailable("delete", store.delete(&a.id, &api()).await);
    assert_unavailable(
        "insert_many",
        store.insert_many(&common::assets(10, 20), &api()).await,
    );
    assert_unavailable("changes_since", store.changes_since(0, 10).await);
    assert_unavailable("connect", PostgisStore::connect(&url).await);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "failures are prompt: {:?}",
        started.elapsed()
    );

    // Back again: the same store works, no restart.
    signal.borrow_and_update();
    assert!(pg_ctl("start"), "the cluster starts");
    let got = eventually("get", || store.get(&a.id)).await;
    assert_eq!(got.as_ref(), Some(&a), "the acknowledged write survived");
    let a1 = common::asset(1);
    let by = api();
    let after = eventually("insert", || store.insert(&a1, &by)).await;
    assert!(after > before);

    // The signal reconnected and announced the newest change.
    let waited = tokio::time::timeout(Duration::from_secs(20), async {
        while *signal.borrow_and_update() < after {
            signal.changed().await.expect("alive");
        }
    })
    .await;
    assert!(
        waited.is_ok(),
        "the change signal did not recover (it says {})",
        *signal.borrow()
    );
    drop(guard);
}
