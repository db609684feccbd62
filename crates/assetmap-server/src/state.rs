//! What every request handler shares.

use crate::config::Settings;
use crate::errors::{ApiError, RETRY_AFTER_SECS};
use crate::idempotency::InFlight;
use crate::rate_limit::RateLimits;
use assetmap_analysis::export::DataOrigin;
use assetmap_analysis::{AreaFigures, Summary, SummaryQuery};
use assetmap_core::Asset;
use assetmap_index::{AreaLevel, AssetView, Engine};
use assetmap_io::FeatureView;
use assetmap_place::Place;
use assetmap_store::AssetStore;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// The view the server's engine keeps of each asset beside its record: the GeoJSON feature
/// that search answers copy out as it is ([`assetmap_io::write_feature_with`]).
pub fn engine_view() -> Arc<dyn AssetView> {
    Arc::new(FeatureView)
}

/// The server's engine of `assets`, keeping [`engine_view`] of each.
pub fn build_engine(assets: Vec<Asset>) -> Engine {
    Engine::with_view(assets, engine_view())
}

/// The server's engine of every asset in `store` now, and the change-feed sequence number it
/// is at (read first: changes made while loading are applied again by the sync loop, which is
/// harmless, upserts and deletes being idempotent). Built on a blocking thread; logged.
pub async fn engine_from_store(
    store: &dyn AssetStore,
    settings: &Settings,
) -> anyhow::Result<(Engine, u64)> {
    use anyhow::Context;
    let started = std::time::Instant::now();
    let seq = store
        .latest_seq()
        .await
        .context("Failed to read the change feed")?;
    let assets = store
        .all()
        .await
        .context("Failed to load assets from the store")?;
    let read = started.elapsed();
    let engine = tokio::task::spawn_blocking(move || build_engine(assets))
        .await
        .context("Building the engine failed")?;
    let total = started.elapsed();
    tracing::info!(
        assets = engine.len(),
        secs = total.as_secs_f64(),
        read_secs = read.as_secs_f64(),
        build_secs = (total - read).as_secs_f64(),
        store = %settings.store.describe(),
        "engine loaded"
    );
    Ok((engine, seq))
}

/// Shared state: the store (source of truth), the engine (answers reads), the place (area
/// reference data, loaded once) and the per-area figures' cache.
pub struct AppState {
    pub settings: Settings,
    pub store: Arc<dyn AssetStore>,
    engine: RwLock<Engine>,
    /// Held while a write goes to the store and then the engine, and while the change feed is
    /// applied, so the engine never goes back to an older state of an asset.
    pub write_lock: tokio::sync::Mutex<()>,
    /// The newest change-feed sequence number applied to the engine.
    pub applied_seq: AtomicU64,
    /// The place served: boundaries, postcodes, population, census need.
    pub place: Arc<Place>,
    /// The per-area figures' cache, kept in step with the engine by its generation.
    pub figures: AreaFigures,
    /// Bumped every time the engine is locked for writing, so caches built from the engine
    /// (the per-area figures) know when to look again.
    engine_generation: AtomicU64,
    /// The read and write budgets per client address (see [`crate::rate_limit`]).
    pub rate_limits: RateLimits,
    /// The `Idempotency-Key`s of the writes this process is working on (see
    /// [`crate::idempotency`]).
    pub keys_in_flight: InFlight,
    /// Failed sign-ins per e-mail address (see [`crate::rate_limit::SignInThrottle`]).
    pub sign_in_throttle: crate::rate_limit::SignInThrottle,
    /// A random number drawn at start-up, part of every public-data `ETag` (so a restarted
    /// server never matches a tag handed out before).
    instance: u64,
    /// When the engine last changed (or the server started), seconds since the Unix epoch:
    /// public data's `Last-Modified` ([`crate::validators`]).
    last_change_secs: AtomicU64,
    /// Where the assets come from (their provenance), with the engine generation it was read at.
    data_origin: std::sync::Mutex<Option<(u64, Arc<DataOrigin>)>>,
}

impl AppState {
    /// The site's title: the configured one, or "<the place's title> community assets".
    pub fn title(&self) -> String {
        if self.settings.title.is_empty() {
            format!("{} community assets", self.place.title())
        } else {
            self.settings.title.clone()
        }
    }

    /// Assembles the state.
    pub fn new(
        settings: Settings,
        store: Arc<dyn AssetStore>,
        engine: Engine,
        applied_seq: u64,
        place: Arc<Place>,
    ) -> Self {
        let rate_limits = RateLimits::new(
            settings.rate_limit_reads_per_minute,
            settings.rate_limit_writes_per_minute,
            settings.suggestions_per_hour,
            settings.rate_limit_loopback,
        );
        AppState {
            rate_limits,
            keys_in_flight: InFlight::default(),
            sign_in_throttle: crate::rate_limit::SignInThrottle::default(),
            settings,
            store,
            engine: RwLock::new(engine),
            write_lock: tokio::sync::Mutex::new(()),
            applied_seq: AtomicU64::new(applied_seq),
            place,
            figures: AreaFigures::default(),
            engine_generation: AtomicU64::new(0),
            // A different number at every start: std's hasher keys are random per process.
            instance: std::collections::hash_map::RandomState::new()
                .hash_one(std::time::SystemTime::now()),
            last_change_secs: AtomicU64::new(unix_secs_now()),
            data_origin: std::sync::Mutex::new(None),
        }
    }

    /// Where the assets served come from — their sources, licences and attribution statements,
    /// read from their own provenance — for downloads' metadata; read again after a change.
    pub fn data_origin(&self) -> Arc<DataOrigin> {
        let engine = self.engine();
        let generation = self.engine_generation();
        let mut cached = self.data_origin.lock().unwrap_or_else(|p| p.into_inner());
        match &*cached {
            Some((g, origin)) if *g == generation => origin.clone(),
            _ => {
                let origin = Arc::new(DataOrigin::of(engine.iter()));
                *cached = Some((generation, origin.clone()));
                origin
            }
        }
    }

    /// Takes [`write_lock`](Self::write_lock) for a write request, waiting for the writes queued
    /// before it at most the lock timeout (`db_lock_timeout_secs`), then `503` with
    /// `Retry-After`: each write ahead is bounded itself, but a queue of them need not be.
    pub async fn lock_writes(&self) -> Result<tokio::sync::MutexGuard<'_, ()>, ApiError> {
        let wait = self.settings.write_queue_timeout();
        tokio::time::timeout(wait, self.write_lock.lock())
            .await
            .map_err(|_| {
                tracing::warn!(
                    waited_secs = wait.as_secs_f64(),
                    "a write gave up waiting for the writes ahead of it"
                );
                ApiError::unavailable(
                    format!(
                        "Other changes are still being saved and this one could not start within {:.1} s, so it was not saved. Retry it shortly.",
                        wait.as_secs_f64()
                    ),
                    RETRY_AFTER_SECS,
                )
            })
    }

    /// Makes `write` in the store — recording `by` in the asset's history, and keeping `record`
    /// under its idempotency key, in the same transaction — and then, once the store has
    /// acknowledged it, in the engine. Call holding [`lock_writes`](Self::lock_writes), so the
    /// engine applies writes in the store's order.
    pub async fn write(
        &self,
        write: assetmap_store::Write<'_>,
        by: &assetmap_core::ChangeBy,
        record: Option<&assetmap_store::IdempotencyRecord>,
    ) -> Result<u64, assetmap_store::StoreError> {
        let seq = self.store.apply(write, by, record).await?;
        // Acknowledged by the store: now visible to reads.
        match write {
            assetmap_store::Write::Insert(asset) | assetmap_store::Write::Replace(asset) => {
                self.engine_mut().upsert(asset.clone());
            }
            assetmap_store::Write::Delete(id) => {
                self.engine_mut().remove(id);
            }
        }
        Ok(seq)
    }

    /// How many times the engine has been locked for writing. Read it while holding
    /// [`engine`](Self::engine): then no write is in progress and the number covers all of them.
    pub fn engine_generation(&self) -> u64 {
        self.engine_generation.load(Ordering::SeqCst)
    }

    /// This process's random number, drawn at start-up.
    pub fn instance(&self) -> u64 {
        self.instance
    }

    /// Read access to the engine. A poisoned lock (a panic while writing) is recovered: the
    /// engine's own operations leave it consistent.
    pub fn engine(&self) -> RwLockReadGuard<'_, Engine> {
        self.engine.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Write access to the engine.
    pub fn engine_mut(&self) -> RwLockWriteGuard<'_, Engine> {
        let guard = self.engine.write().unwrap_or_else(|p| p.into_inner());
        self.engine_generation.fetch_add(1, Ordering::SeqCst);
        self.last_change_secs
            .store(unix_secs_now(), Ordering::SeqCst);
        guard
    }

    /// When the engine last changed (or the server started), seconds since the Unix epoch.
    pub fn last_change_secs(&self) -> u64 {
        self.last_change_secs.load(Ordering::SeqCst)
    }

    /// The per-area summary of `level` as of now (made today, UK date): the figures' cache is
    /// brought up to the engine under a short read lock, then the summary is computed from it
    /// without the lock.
    pub fn summary(&self, level: AreaLevel, query: &SummaryQuery) -> Summary {
        self.refresh_figures();
        let today = assetmap_core::uk_time::uk_local(chrono::Utc::now()).date();
        assetmap_analysis::summary(&self.figures, &self.place, level, query, today)
    }

    /// Fills the figures' cache for every category (in the background at start-up).
    pub fn warm_figures(&self) {
        self.refresh_figures();
        self.figures.warm(&self.place);
    }

    /// Brings the per-area figures up to the engine: what they need of each asset is copied
    /// under the engine's read lock, and placed in its areas (seconds at a million assets) after
    /// letting it go — holding it throughout held up every write, and so every read queued
    /// behind the write, for that long.
    fn refresh_figures(&self) {
        let (assets, generation) = {
            let engine = self.engine();
            let generation = self.engine_generation();
            if self.figures.is_at(generation) {
                return;
            }
            (assetmap_analysis::AreaFigures::read(&engine), generation)
        };
        self.figures.refresh_with(assets, generation, &self.place);
    }
}

impl assetmap_analysis::export::EngineView for AppState {
    fn with_engine<T>(&self, f: impl FnOnce(&Engine) -> T) -> T {
        f(&self.engine())
    }
}

/// Now, in whole seconds since the Unix epoch.
pub fn unix_secs_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
