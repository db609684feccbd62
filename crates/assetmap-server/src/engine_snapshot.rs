//! The engine's snapshot at start-up: read it when it still answers for the store, else build
//! the engine from the store and write a new one.
//!
//! A snapshot ([`assetmap_index::SnapshotReader`]) is tagged with the build that wrote it, the
//! store it was read from and the store's change sequence number then, with that change's
//! asset and time. A start uses it only when all of these hold: the same build; the same
//! store; the store's feed has reached that number and holds that very change (a store
//! restored from a backup, or another store at the same path, does not); and, once the feed's
//! later changes are applied, the engine holds as many assets as the store. Anything else —
//! no file, another build, a damaged file — builds from the store, as if there were no
//! snapshot, and says why in the log.

use crate::config::Settings;
use crate::state::AppState;
use crate::sync::{apply_changes, swap_in};
use anyhow::Context;
use assetmap_index::{Engine, SnapshotReader};
use assetmap_store::AssetStore;
use serde::{Deserialize, Serialize};
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// When the engine is this many changes or more ahead of its snapshot — at a start that applied
/// them from the feed, or at a clean stop — a new snapshot is written, so that the next start
/// does not apply them again (applying 5,000 changes takes about a second at 1M assets).
pub const REWRITE_AFTER_CHANGES: usize = 5_000;

/// What a snapshot answers for, kept in its tag (JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotTag {
    /// The build that wrote it ([`build_id`]).
    pub build: String,
    /// The store, as the settings describe it.
    pub store: String,
    /// The store's change sequence number the engine was at.
    pub seq: u64,
    /// The change at `seq`: its asset and commit time (`None` when `seq` is 0).
    pub change: Option<(String, String)>,
}

/// This build: the crate version and the executable's size and modification time, so that a
/// snapshot written by another build — whose text analysis or layout may differ — is never
/// read. `None` when the executable cannot be found (then no snapshot is used).
pub fn build_id() -> Option<String> {
    let exe = std::env::current_exe().ok()?;
    let meta = std::fs::metadata(exe).ok()?;
    let modified = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    Some(format!(
        "{} {} {}.{:09}",
        env!("CARGO_PKG_VERSION"),
        meta.len(),
        modified.as_secs(),
        modified.subsec_nanos()
    ))
}

/// The tag of an engine loaded from `store` up to change `seq`.
pub async fn tag_for(
    store: &dyn AssetStore,
    settings: &Settings,
    build: String,
    seq: u64,
) -> anyhow::Result<SnapshotTag> {
    Ok(SnapshotTag {
        build,
        store: settings.store.describe(),
        seq,
        change: change_at(store, seq).await?,
    })
}

/// The asset and commit time of change `seq` of the store's feed, `None` for 0 or a change no
/// longer in the feed.
async fn change_at(store: &dyn AssetStore, seq: u64) -> anyhow::Result<Option<(String, String)>> {
    if seq == 0 {
        return Ok(None);
    }
    let Some(change) = store
        .changes_since(seq - 1, 1)
        .await?
        .into_iter()
        .find(|c| c.seq == seq)
    else {
        return Ok(None);
    };
    let at = store
        .history(&change.id)
        .await?
        .into_iter()
        .find(|h| h.seq == seq)
        .map(|h| h.at.to_rfc3339());
    Ok(at.map(|at| (change.id.to_string(), at)))
}

/// The tag of the snapshot at `path`, `None` when there is none or it cannot be read.
fn tag_on_disk(path: &Path) -> Option<SnapshotTag> {
    let file = std::fs::File::open(path).ok()?;
    let reader = SnapshotReader::open(BufReader::new(file)).ok()?;
    serde_json::from_str(reader.tag()).ok()
}

/// At a clean stop: writes a new snapshot when the engine is [`REWRITE_AFTER_CHANGES`] or more
/// changes ahead of the one on disk (or there is none and the settings want one), so that a
/// server that ran for months restarts as fast as a new one. The server has stopped serving:
/// nothing waits for the engine meanwhile.
pub async fn refresh_at_stop(state: &AppState) {
    let settings = &state.settings;
    let Some(path) = settings.engine_snapshot_path() else {
        return;
    };
    let seq = state.applied_seq.load(Ordering::SeqCst);
    let behind = tag_on_disk(&path).map_or(u64::MAX, |t| seq.saturating_sub(t.seq));
    if behind < REWRITE_AFTER_CHANGES as u64
        || state.engine().len() < settings.engine_snapshot_min_assets
    {
        return;
    }
    let Some(build) = build_id() else {
        return;
    };
    let started = Instant::now();
    let done = match tag_for(state.store.as_ref(), settings, build, seq).await {
        Ok(tag) => write(&state.engine(), &tag, &path).map(drop),
        Err(e) => Err(e),
    };
    log_written(&path, &done, state.engine().len(), seq, started);
}

fn log_written(path: &Path, done: &anyhow::Result<()>, assets: usize, seq: u64, started: Instant) {
    match done {
        Ok(()) => tracing::info!(
            path = %path.display(),
            assets,
            seq,
            secs = started.elapsed().as_secs_f64(),
            "engine snapshot written"
        ),
        Err(e) => tracing::warn!(
            path = %path.display(),
            "the engine snapshot could not be written (the next start builds from the store): {e:#}"
        ),
    }
}

/// How the engine was loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoadedFrom {
    /// Built from every asset of the store.
    Store,
    /// Read from the snapshot, then this many changes of the feed applied.
    Snapshot { changes_applied: usize },
}

/// The engine read from the snapshot at `path` and brought up to the store's present, with the
/// change sequence number it is at and how many changes were applied; `Ok(None)` when there
/// is no snapshot file. `Err` says why the snapshot cannot be used.
pub async fn read(
    store: &dyn AssetStore,
    settings: &Settings,
    path: &Path,
) -> anyhow::Result<Option<(Engine, u64, usize)>> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).context("it cannot be opened"),
    };
    let build = build_id().context("this build cannot tell itself apart from another")?;
    let reader = SnapshotReader::open_file(file, settings.engine_records_in_snapshot)?;
    let tag: SnapshotTag =
        serde_json::from_str(reader.tag()).context("its tag is not this build's kind")?;
    anyhow::ensure!(
        tag.build == build,
        "it was written by another build ({})",
        tag.build
    );
    let store_now = settings.store.describe();
    anyhow::ensure!(
        tag.store == store_now,
        "it was written for another store ({})",
        tag.store
    );
    let latest = store.latest_seq().await?;
    anyhow::ensure!(
        tag.seq <= latest,
        "the store's change feed ends at {latest}, before the snapshot's {} (a store restored from a backup?)",
        tag.seq
    );
    anyhow::ensure!(
        change_at(store, tag.seq).await? == tag.change,
        "the store's change {} is not the one the snapshot was written at (another store at the same place, or its history trimmed)",
        tag.seq
    );
    let mut engine = tokio::task::spawn_blocking(move || {
        reader.read_engine_with_view(Some(crate::state::engine_view()))
    })
    .await
    .context("reading the snapshot failed")??;
    let pending = store.pending_changes(tag.seq).await?;
    let applied = pending.len();
    let seq = pending.last().map_or(tag.seq, |c| c.seq);
    apply_changes(&mut engine, pending);
    let stored = store.count().await?;
    anyhow::ensure!(
        engine.len() as u64 == stored,
        "with the changes since applied it holds {} assets and the store {stored}",
        engine.len()
    );
    Ok(Some((engine, seq, applied)))
}

/// Writes `engine`'s snapshot to `path`, tagged `tag`: to a file beside it first, flushed to
/// disk, then renamed over `path`, so that a start never reads half a snapshot. Gives back the
/// file written, open for reading (what it holds whatever is renamed over `path` later).
pub fn write(engine: &Engine, tag: &SnapshotTag, path: &Path) -> anyhow::Result<std::fs::File> {
    let tag = serde_json::to_string(tag)?;
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(format!(".{}.tmp", std::process::id()));
    let temporary = PathBuf::from(temporary);
    let written = (|| -> anyhow::Result<std::fs::File> {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&temporary)?;
        let mut out = BufWriter::with_capacity(1 << 20, file);
        engine.write_snapshot(&mut out, &tag)?;
        out.flush()?;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)?;
        Ok(file)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

/// The engine in `file` (a snapshot just written), keeping its records there.
fn read_back(mut file: std::fs::File) -> anyhow::Result<Engine> {
    std::io::Seek::rewind(&mut file)?;
    Ok(SnapshotReader::open_file(file, true)?
        .read_engine_with_view(Some(crate::state::engine_view()))?)
}

/// Writes the snapshot of `engine` (loaded from `store` up to `seq`) when the settings ask for
/// one and it holds enough assets, and gives the engine back; a failure is logged, never fatal
/// (the next start builds from the store). The writing runs off the async runtime.
pub async fn write_if_wanted(
    store: &dyn AssetStore,
    settings: &Settings,
    engine: Engine,
    seq: u64,
) -> Engine {
    let Some(path) = settings.engine_snapshot_path() else {
        return engine;
    };
    if engine.len() < settings.engine_snapshot_min_assets {
        return engine;
    }
    let Some(build) = build_id() else {
        tracing::warn!("no engine snapshot: this build cannot tell itself apart from another");
        return engine;
    };
    let started = Instant::now();
    let tag = match tag_for(store, settings, build, seq).await {
        Ok(tag) => tag,
        Err(e) => {
            tracing::warn!("the engine snapshot could not be written (the next start builds from the store): {e:#}");
            return engine;
        }
    };
    let target = path.clone();
    let records_in_file = settings.engine_records_in_snapshot;
    let (engine, done) = match tokio::task::spawn_blocking(move || {
        match write(&engine, &tag, &target) {
            // The engine as a start from this snapshot would read it, its records left in the
            // file: the process holds what it will after a restart (and no longer an older
            // snapshot's file it was reading records from).
            Ok(file) if records_in_file => match read_back(file) {
                Ok(back) if back.len() == engine.len() => (back, Ok(())),
                Ok(back) => {
                    tracing::warn!(
                        written = engine.len(),
                        read = back.len(),
                        "the engine snapshot read back does not hold what was written (its records stay in memory)"
                    );
                    (engine, Ok(()))
                }
                Err(e) => {
                    tracing::warn!("the engine snapshot was written but could not be read back (its records stay in memory): {e:#}");
                    (engine, Ok(()))
                }
            },
            Ok(_) => (engine, Ok(())),
            Err(e) => (engine, Err(e)),
        }
    })
    .await
    {
        Ok(written) => written,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    };
    log_written(&path, &done, engine.len(), seq, started);
    engine
}

/// The engine reads its records from its snapshot file, and part of it was found damaged (each
/// part is checked the first time a record in it is read, and all of them once after a start:
/// [`Engine::snapshot_damaged`]): the records there cannot be handed out. The engine is built
/// again from the store, off to the side (the live one goes on answering meanwhile), a new
/// snapshot written in place of the damaged one when the settings keep one, and swapped in.
async fn rebuild_from_store(state: &AppState) -> anyhow::Result<()> {
    let started = Instant::now();
    let (built, seq) =
        crate::state::engine_from_store(state.store.as_ref(), &state.settings).await?;
    let built = write_if_wanted(state.store.as_ref(), &state.settings, built, seq).await;
    swap_in(state, built, seq).await?;
    tracing::info!(
        secs = started.elapsed().as_secs_f64(),
        "the engine was built again from the store, in place of the damaged snapshot's"
    );
    Ok(())
}

/// Watches for a damaged snapshot (every `poll_interval_secs`) and builds the engine again from
/// the store when one is found; runs for as long as the server serves.
pub async fn mend_when_damaged(state: Arc<AppState>) {
    let period = Duration::from_secs_f64(state.settings.poll_interval_secs.clamp(0.05, 60.0));
    let mut told = false;
    loop {
        tokio::time::sleep(period).await;
        if !state.engine().snapshot_damaged() {
            continue;
        }
        if !told {
            tracing::error!(
                "part of the engine snapshot file was found damaged when read: the assets recorded there are left out of answers until the engine is built again from the store (now)"
            );
            told = true;
        }
        match rebuild_from_store(&state).await {
            Ok(()) => told = false,
            Err(e) => {
                tracing::warn!(
                    "the engine could not be built again from the store (retrying): {e:#}"
                );
            }
        }
    }
}
