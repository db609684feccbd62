//! Building and running the application: open the store, seed it on first start, load the
//! engine, bind the listener. Tests call the same [`Application::build`] with port 0.

use crate::config::{Seed, Settings, StoreLocation};
use crate::state::AppState;
use crate::{edge, routes, sync, telemetry};
use actix_web::{middleware, web, App, HttpServer};
use anyhow::Context;
use assetmap_index::Engine;
use assetmap_store::AssetStore;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A built, bound, not yet running server.
pub struct Application {
    port: u16,
    server: actix_web::dev::Server,
    state: Arc<AppState>,
}

/// Opens the store the settings name (creating an embedded GeoPackage file if needed).
pub async fn open_store(location: &StoreLocation) -> anyhow::Result<Arc<dyn AssetStore>> {
    match location {
        StoreLocation::GeoPackage(path) => {
            let store = assetmap_store::gpkg::GeoPackageStore::open(path).with_context(|| {
                format!("Failed to open the GeoPackage store {}", path.display())
            })?;
            Ok(Arc::new(store))
        }
        StoreLocation::Postgis(url) => {
            // Connects, checks PostGIS >= 3.0 and the schema version, applies pending migrations.
            let store = assetmap_store::postgis::PostgisStore::open(url)
                .await
                .with_context(|| {
                    format!("Failed to open the PostGIS store {}", location.describe())
                })?;
            tracing::info!(postgis = store.postgis_version(), "connected to PostGIS");
            Ok(Arc::new(store))
        }
    }
}

/// The bundled Trafford assets from `data/trafford/assets.geojson`, validated.
pub fn bundled_assets(data_dir: &std::path::Path) -> anyhow::Result<Vec<assetmap_core::Asset>> {
    let path = data_dir.join("trafford/assets.geojson");
    let file = std::fs::File::open(&path)
        .with_context(|| format!("Failed to open the bundled dataset {}", path.display()))?;
    assetmap_io::read_feature_collection(std::io::BufReader::new(file), chrono::Utc::now())
        .with_context(|| format!("The bundled dataset {} is not valid", path.display()))
}

/// The place served (boundaries, postcodes, population, census need), loaded once.
pub fn load_place(data_dir: &std::path::Path) -> anyhow::Result<Arc<assetmap_place::Place>> {
    let place = assetmap_place::Place::load(data_dir).with_context(|| {
        format!(
            "Failed to load the place's reference data from {}",
            data_dir.display()
        )
    })?;
    Ok(Arc::new(place))
}

/// Seeds a store that has never been written to (no assets and an empty change feed). A store
/// whose assets were all deleted on purpose is left alone.
pub async fn seed_if_new(store: &dyn AssetStore, settings: &Settings) -> anyhow::Result<usize> {
    if store.count().await? > 0 || store.latest_seq().await? > 0 {
        return Ok(0);
    }
    let assets = match settings.seed {
        Seed::Empty => return Ok(0),
        Seed::Bundled => bundled_assets(&settings.data_dir)?,
        Seed::Synthetic(n) => assetmap_synthetic::assets(42, n),
    };
    let started = Instant::now();
    store
        .insert_many(&assets)
        .await
        .context("Failed to seed the store")?;
    tracing::info!(
        assets = assets.len(),
        secs = started.elapsed().as_secs_f64(),
        "seeded the store"
    );
    Ok(assets.len())
}

impl Application {
    /// Opens the store (seeding it on first start), loads the engine and binds the listener.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let store = open_store(&settings.store).await?;
        seed_if_new(store.as_ref(), &settings).await?;
        Self::build_with_store(settings, store).await
    }

    /// Like [`Application::build`] with a store the caller opened (tests use this to share one).
    pub async fn build_with_store(
        settings: Settings,
        store: Arc<dyn AssetStore>,
    ) -> anyhow::Result<Application> {
        let started = Instant::now();
        // Read the sequence number first: changes made while loading are applied again by the
        // sync loop, which is harmless (upserts and deletes are idempotent).
        let seq = store
            .latest_seq()
            .await
            .context("Failed to read the change feed")?;
        let assets = store
            .all()
            .await
            .context("Failed to load assets from the store")?;
        let engine = Engine::new(assets);
        tracing::info!(assets = engine.len(), secs = started.elapsed().as_secs_f64(), store = %settings.store.describe(), "engine loaded");

        let place = load_place(&settings.data_dir)?;
        let listener = TcpListener::bind(settings.bind)
            .with_context(|| format!("Failed to bind {}", settings.bind))?;
        let port = listener.local_addr()?.port();

        let state = Arc::new(AppState::new(settings, store, engine, seq, place));
        // Warm the per-area figures' cache (every asset's areas, every postcode's nearest
        // distance per category) in the background, so the first summary request is fast and
        // start-up does not wait; a summary asked for meanwhile waits for (or finishes) the
        // same work.
        let warm_state = state.clone();
        std::thread::spawn(move || {
            let warm = Instant::now();
            warm_state.warm_figures();
            tracing::info!(
                secs = warm.elapsed().as_secs_f64(),
                "per-area figures warmed"
            );
        });
        let data = web::Data::from(state.clone());
        let request_timeout = Duration::from_secs(state.settings.request_timeout_secs);
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .wrap(middleware::from_fn(edge::rate_limit))
                .wrap(middleware::from_fn(edge::edge))
                .wrap(middleware::Compress::default())
                .wrap(middleware::from_fn(telemetry::log_request))
                .configure(routes::configure)
        })
        // The request line and headers must arrive within the request timeout (the body's own
        // deadline is in `edge`); a closing connection gets a second to finish.
        .client_request_timeout(request_timeout)
        .client_disconnect_timeout(Duration::from_secs(1))
        .listen(listener)?
        .run();
        Ok(Application {
            port,
            server,
            state,
        })
    }

    /// The port actually bound (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The shared state (tests inspect the engine through it).
    pub fn state(&self) -> Arc<AppState> {
        self.state.clone()
    }

    /// Serves until the process is stopped, keeping the engine in step with the store.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let sync = tokio::spawn(sync::run(self.state.clone()));
        let result = self.server.await;
        sync.abort();
        result
    }
}
