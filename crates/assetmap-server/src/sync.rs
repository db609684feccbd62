//! Keeps the engine in step with the store's change feed, so a write made through another
//! server process (same database) shows up here too.
//!
//! The loop wakes on the store's change signal (PostgreSQL `NOTIFY`) or every
//! `poll_interval_secs`, whichever comes first, and applies every change after the last
//! sequence number it applied. Catching up by sequence number means a missed signal or a
//! dropped connection loses nothing. Each catch-up applies what one snapshot of the store
//! holds, so the changes of one transaction appear together; small batches are applied in
//! place in milliseconds, large ones built beside the live engine and swapped in.

use crate::state::AppState;
use assetmap_core::{Asset, AssetId};
use assetmap_index::Engine;
use assetmap_store::{Change, StoreError};
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

/// Up to this many changes are applied to the live engine in place, under its write lock
/// (about 10–20 µs each, so at most tens of milliseconds). Larger backlogs — an import through
/// another process, or a server that was cut off for a while — are built into a new engine off
/// to the side, with no lock held, and swapped in.
pub const APPLY_IN_PLACE_MAX: usize = 1_000;

/// Applies every change after `state.applied_seq` to the engine. Returns how many were applied.
///
/// Atomic: the changes are read in one snapshot of the store
/// ([`AssetStore::pending_changes`](assetmap_store::AssetStore::pending_changes)), so a
/// transaction — one write, or a whole import — is applied whole or not yet, and readers see
/// the engine before or after it, never part-way.
///
/// Changes are read from the store *without* the write lock, so a slow, locked or unreachable
/// store never keeps a write request waiting behind this loop; they are applied under it. A
/// write that reached the engine meanwhile (the engine's generation moved) may be newer than
/// what was read, so then the changes are read again rather than applied.
pub async fn catch_up(state: &AppState) -> Result<usize, StoreError> {
    loop {
        let since = state.applied_seq.load(Ordering::SeqCst);
        let generation = state.engine_generation();
        let pending = state.store.pending_changes(since).await?;
        if pending.is_empty() {
            return Ok(0);
        }
        if pending.len() > APPLY_IN_PLACE_MAX {
            return rebuild(state, pending).await;
        }
        let _guard = state.write_lock.lock().await;
        if state.applied_seq.load(Ordering::SeqCst) != since
            || state.engine_generation() != generation
        {
            continue;
        }
        return Ok(apply_in_place(state, pending));
    }
}

/// Applies `changes` to the live engine under its write lock.
fn apply_in_place(state: &AppState, changes: Vec<Change>) -> usize {
    let n = changes.len();
    let Some(last) = changes.last().map(|c| c.seq) else {
        return 0;
    };
    apply_changes(&mut state.engine_mut(), changes);
    state.applied_seq.store(last, Ordering::SeqCst);
    n
}

/// Applies `changes` to `engine`, oldest first: each changed asset as it is now, or gone.
pub(crate) fn apply_changes(engine: &mut Engine, changes: Vec<Change>) {
    for change in changes {
        match change.asset {
            Some(asset) => {
                engine.upsert(asset);
            }
            // Deleted, or upserted and deleted since: the asset is gone now.
            None => {
                engine.remove(&change.id);
            }
        }
    }
}

/// A large backlog: a new engine is built from a copy of the live one plus `pending`, with no
/// lock held (reads and local writes go on against the live engine); then, under the write
/// lock, whatever changed meanwhile (local writes included: they are in the feed too) is
/// applied to the new engine, and it replaces the live one.
async fn rebuild(state: &AppState, pending: Vec<Change>) -> Result<usize, StoreError> {
    let started = std::time::Instant::now();
    let upto = pending.last().map_or(0, |c| c.seq);
    let applied = pending.len();
    // The records are copied under the read lock (bytes: 0.1–0.3 s at a million assets) and
    // decoded after it, on a blocking thread: decoding them under the lock on this async
    // worker held writers up for 4–8 s.
    let base = state.engine().copy_records();
    let built = tokio::task::spawn_blocking(move || {
        crate::state::build_engine(merged(base.into_assets(), pending))
    })
    .await
    .map_err(|e| StoreError::Other(format!("building the engine failed: {e}")))?;
    let applied = applied + swap_in(state, built, upto).await?;
    tracing::info!(
        changes = applied,
        secs = started.elapsed().as_secs_f64(),
        "applied a large batch of changes from the store (engine rebuilt and swapped)"
    );
    Ok(applied)
}

/// Makes `built` (an engine at the store's change `upto`) the live one: what changed since
/// (local writes included: they are in the feed too) is read without the write lock and
/// applied under it, again if a local write came in between. Returns how many changes that was.
pub(crate) async fn swap_in(
    state: &AppState,
    mut built: Engine,
    upto: u64,
) -> Result<usize, StoreError> {
    let (_guard, last, applied) = loop {
        let generation = state.engine_generation();
        let tail = state.store.pending_changes(upto).await?;
        let guard = state.write_lock.lock().await;
        if state.engine_generation() != generation {
            continue;
        }
        let applied = tail.len();
        let last = tail.last().map_or(upto, |c| c.seq);
        apply_changes(&mut built, tail);
        break (guard, last, applied);
    };
    *state.engine_mut() = built;
    state.applied_seq.store(last, Ordering::SeqCst);
    // The old engine and the build's transient memory are freed: give them back (a few
    // milliseconds, once per rebuild).
    crate::allocator::release_freed_memory();
    Ok(applied)
}

/// `base` with `changes` applied: each changed asset in its state as of the changes' snapshot
/// (gone when deleted).
fn merged(base: Vec<Asset>, changes: Vec<Change>) -> Vec<Asset> {
    let mut changed: HashMap<AssetId, Option<Asset>> = HashMap::with_capacity(changes.len());
    for change in changes {
        changed.insert(change.id, change.asset);
    }
    let mut assets: Vec<Asset> = base
        .into_iter()
        .filter(|a| !changed.contains_key(&a.id))
        .collect();
    assets.extend(changed.into_values().flatten());
    assets
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use assetmap_store::ChangeKind;

    fn change(seq: u64, asset: &Asset, kind: ChangeKind, now: Option<&Asset>) -> Change {
        Change {
            seq,
            id: asset.id.clone(),
            kind,
            asset: now.cloned(),
        }
    }

    #[test]
    fn a_backlog_is_merged_into_a_copy_of_the_engine() {
        let assets = assetmap_synthetic::assets(7, 5);
        let base = assets[..3].to_vec();
        let mut replaced = assets[0].clone();
        replaced.version += 1;
        let changes = vec![
            change(10, &assets[0], ChangeKind::Upsert, Some(&replaced)),
            change(11, &assets[1], ChangeKind::Delete, None),
            change(12, &assets[3], ChangeKind::Upsert, Some(&assets[3])),
            // Created and deleted since: the feed has the upsert with no asset.
            change(13, &assets[4], ChangeKind::Upsert, None),
        ];
        let engine = crate::state::build_engine(merged(base, changes));
        let ids: Vec<&str> = engine.ids().collect();
        let mut want = vec![
            assets[0].id.as_str(),
            assets[2].id.as_str(),
            assets[3].id.as_str(),
        ];
        want.sort();
        assert_eq!(ids, want);
        assert_eq!(engine.get(&assets[0].id).unwrap().version, replaced.version);
    }
}
