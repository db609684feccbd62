//! What every request handler shares.

use crate::areas::Areas;
use crate::config::Settings;
use crate::jsna::Jsna;
use crate::postcodes::Postcodes;
use assetmap_index::Engine;
use assetmap_store::AssetStore;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Shared state: the store (source of truth), the engine (answers reads), reference data.
pub struct AppState {
    pub settings: Settings,
    pub store: Arc<dyn AssetStore>,
    engine: RwLock<Engine>,
    /// Held while a write goes to the store and then the engine, and while the change feed is
    /// applied, so the engine never goes back to an older state of an asset.
    pub write_lock: tokio::sync::Mutex<()>,
    /// The newest change-feed sequence number applied to the engine.
    pub applied_seq: AtomicU64,
    pub areas: Areas,
    pub postcodes: Postcodes,
    /// JSNA reference data (area polygons, population, need) and its caches.
    pub jsna: Jsna,
    /// Bumped every time the engine is locked for writing, so caches built from the engine
    /// (the JSNA summaries) know when to look again.
    engine_generation: AtomicU64,
}

impl AppState {
    /// Assembles the state.
    pub fn new(
        settings: Settings,
        store: Arc<dyn AssetStore>,
        engine: Engine,
        applied_seq: u64,
        areas: Areas,
        postcodes: Postcodes,
    ) -> Self {
        AppState {
            settings,
            store,
            engine: RwLock::new(engine),
            write_lock: tokio::sync::Mutex::new(()),
            applied_seq: AtomicU64::new(applied_seq),
            areas,
            postcodes,
            jsna: Jsna::default(),
            engine_generation: AtomicU64::new(0),
        }
    }

    /// The same state with the JSNA layer's reference data.
    pub fn with_jsna(mut self, jsna: Jsna) -> Self {
        self.jsna = jsna;
        self
    }

    /// How many times the engine has been locked for writing. Read it while holding
    /// [`engine`](Self::engine): then no write is in progress and the number covers all of them.
    pub fn engine_generation(&self) -> u64 {
        self.engine_generation.load(Ordering::SeqCst)
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
        guard
    }
}
