//! What every request handler shares.

use crate::areas::Areas;
use crate::config::Settings;
use crate::postcodes::Postcodes;
use assetmap_index::Engine;
use assetmap_store::AssetStore;
use std::sync::atomic::AtomicU64;
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
        }
    }

    /// Read access to the engine. A poisoned lock (a panic while writing) is recovered: the
    /// engine's own operations leave it consistent.
    pub fn engine(&self) -> RwLockReadGuard<'_, Engine> {
        self.engine.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Write access to the engine.
    pub fn engine_mut(&self) -> RwLockWriteGuard<'_, Engine> {
        self.engine.write().unwrap_or_else(|p| p.into_inner())
    }
}
