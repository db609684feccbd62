//! Keeps the engine in step with the store's change feed, so a write made through another
//! server process (same database) shows up here too.
//!
//! The loop wakes on the store's change signal (PostgreSQL `NOTIFY`) or every
//! `poll_interval_secs`, whichever comes first, and applies every change after the last
//! sequence number it applied. Catching up by sequence number means a missed signal or a
//! dropped connection loses nothing.

use crate::state::AppState;
use assetmap_store::{ChangeKind, StoreError};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// Changes fetched per round trip.
const BATCH: usize = 1000;

/// Applies every change after `state.applied_seq` to the engine. Returns how many were applied.
///
/// Changes are read from the store *without* the write lock, so a slow, locked or unreachable
/// store never keeps a write request waiting behind this loop; they are applied under it. A
/// write that reached the engine meanwhile (the engine's generation moved) may be newer than
/// what was read, so then the changes are read again rather than applied.
pub async fn catch_up(state: &AppState) -> Result<usize, StoreError> {
    let mut applied = 0;
    loop {
        let since = state.applied_seq.load(Ordering::SeqCst);
        let generation = state.engine_generation();
        let changes = state.store.changes_since(since, BATCH).await?;
        if changes.is_empty() {
            return Ok(applied);
        }
        let _guard = state.write_lock.lock().await;
        if state.applied_seq.load(Ordering::SeqCst) != since
            || state.engine_generation() != generation
        {
            continue;
        }
        let n = changes.len();
        {
            let mut engine = state.engine_mut();
            for change in changes {
                match (change.kind, change.asset) {
                    (ChangeKind::Upsert, Some(asset)) => {
                        engine.upsert(asset);
                    }
                    // Deleted, or upserted and deleted since: the asset is gone now.
                    _ => {
                        engine.remove(&change.id);
                    }
                }
                state.applied_seq.store(change.seq, Ordering::SeqCst);
            }
        }
        applied += n;
        if n < BATCH {
            return Ok(applied);
        }
    }
}

/// Runs [`catch_up`] forever: on each change signal, and on a timer.
pub async fn run(state: Arc<AppState>) {
    let period = Duration::from_secs_f64(state.settings.poll_interval_secs.clamp(0.05, 60.0));
    let mut signal = state.store.change_signal();
    let mut was_down = false;
    loop {
        match signal.as_mut() {
            Some(rx) => {
                tokio::select! {
                    changed = rx.changed() => {
                        if changed.is_err() {
                            // The signal's sender is gone: fall back to polling.
                            signal = None;
                        }
                    }
                    _ = tokio::time::sleep(period) => {}
                }
            }
            None => tokio::time::sleep(period).await,
        }
        match catch_up(&state).await {
            Ok(n) => {
                if was_down {
                    tracing::info!("store reachable again; change feed caught up");
                    was_down = false;
                }
                if n > 0 {
                    tracing::debug!(changes = n, "applied changes from the store");
                }
            }
            Err(e) => {
                if !was_down {
                    tracing::warn!(error = %e, "could not read the change feed; reads are served from memory until the store is back");
                    was_down = true;
                }
            }
        }
    }
}
