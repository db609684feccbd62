//! Building and running the application: open the store, seed it on first start, load the
//! engine, bind the listener. Tests call the same [`Application::build`] with port 0;
//! `assetmap serve` calls [`Application::start`], which binds first and waits for a store that
//! cannot be reached yet, answering `starting` meanwhile ([`crate::starting`]).

use crate::config::{Seed, Settings, StoreLocation};
use crate::engine_snapshot::{self, LoadedFrom};
use crate::starting::{self, Progress};
use crate::state::AppState;
use crate::stop_signal::StopSignal;
use crate::{edge, routes, sync, telemetry};
use actix_web::{middleware, web, App, HttpServer};
use anyhow::Context;
use assetmap_core::{ChangeBy, Via};
use assetmap_index::Engine;
use assetmap_store::{AssetStore, StoreError};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The first pause between attempts to reach the store at start-up; it doubles after each
/// failed attempt up to [`MAX_RETRY`].
const FIRST_RETRY: Duration = Duration::from_millis(500);
/// The longest pause between attempts to reach the store at start-up.
const MAX_RETRY: Duration = Duration::from_secs(10);
/// How long the `starting` server is given, once it no longer accepts, to answer connections
/// it had already accepted before it stops (they are answered in microseconds).
const HANDOVER_PAUSE: Duration = Duration::from_millis(100);

/// A built, bound, not yet running server.
pub struct Application {
    port: u16,
    server: actix_web::dev::Server,
    state: Arc<AppState>,
}

/// Opens the store the settings name (creating an embedded GeoPackage file if needed), with
/// the settings' bounds on waiting.
pub async fn open_store(settings: &Settings) -> anyhow::Result<Arc<dyn AssetStore>> {
    let location = &settings.store;
    let timeouts = settings.store_timeouts();
    match location {
        StoreLocation::GeoPackage(path) => {
            let store = assetmap_store::gpkg::GeoPackageStore::open_with(path, &timeouts)
                .with_context(|| {
                    format!("Failed to open the GeoPackage store {}", path.display())
                })?;
            Ok(Arc::new(store))
        }
        StoreLocation::Postgis(url) => {
            // Connects, checks PostGIS >= 3.0 and the schema version, applies pending migrations.
            let store = assetmap_store::postgis::PostgisStore::open_with(url, &timeouts)
                .await
                .with_context(|| {
                    format!("Failed to open the PostGIS store {}", location.describe())
                })?;
            tracing::info!(postgis = store.postgis_version(), "connected to PostGIS");
            Ok(Arc::new(store))
        }
    }
}

/// The bundled place's definition (`data_dir/place.toml`) and its asset register's files, if it
/// names one (`[dataset]`).
pub fn bundled_dataset(
    data_dir: &std::path::Path,
) -> anyhow::Result<(
    assetmap_place::PlaceDefinition,
    Option<assetmap_place::definition::Dataset>,
)> {
    let path = data_dir.join("place.toml");
    let def = assetmap_place::PlaceDefinition::read(&path)
        .with_context(|| format!("Failed to read the bundled place {}", path.display()))?;
    let dataset = def.dataset.clone();
    Ok((def, dataset))
}

/// The ONS codes of the local authorities of the place served: `settings.place`, read from
/// its definition alone, else the `bundled` place's.
fn served_local_authorities(
    settings: &Settings,
    bundled: &assetmap_place::PlaceDefinition,
) -> anyhow::Result<Vec<String>> {
    let def = match &settings.place {
        Some(path) if path.extension().is_some_and(|e| e == "toml") => {
            assetmap_place::PlaceDefinition::read(path)
                .with_context(|| format!("Failed to read the place {}", path.display()))?
        }
        Some(path) => assetmap_place::pack::definition(path)
            .with_context(|| format!("Failed to read the place pack {}", path.display()))?,
        None => return Ok(bundled.local_authorities.clone()),
    };
    Ok(def.local_authorities)
}

/// The bundled place's assets (the file its definition names under `[dataset]`), validated.
pub fn bundled_assets(data_dir: &std::path::Path) -> anyhow::Result<Vec<assetmap_core::Asset>> {
    let (_, dataset) = bundled_dataset(data_dir)?;
    let Some(dataset) = dataset else {
        anyhow::bail!(
            "The bundled place {} names no asset register ([dataset] assets = \"…\")",
            data_dir.join("place.toml").display()
        );
    };
    read_dataset(&dataset.assets)
}

/// A bundled register's assets, validated.
fn read_dataset(path: &std::path::Path) -> anyhow::Result<Vec<assetmap_core::Asset>> {
    let file = std::fs::File::open(path)
        .with_context(|| format!("Failed to open the bundled dataset {}", path.display()))?;
    assetmap_io::read_feature_collection(std::io::BufReader::new(file), chrono::Utc::now())
        .with_context(|| format!("The bundled dataset {} is not valid", path.display()))
}

/// The place served (boundaries, postcodes, population, census need), loaded once: the pack
/// or definition in `settings.place`, else the bundled definition `data_dir/place.toml`.
pub fn load_place(settings: &Settings) -> anyhow::Result<Arc<assetmap_place::Place>> {
    let place = match &settings.place {
        Some(path) if path.extension().is_some_and(|e| e == "toml") => {
            assetmap_place::PlaceDefinition::read(path)
                .and_then(|d| assetmap_place::Place::build(&d))
        }
        Some(path) => assetmap_place::pack::open(path),
        None => assetmap_place::Place::load(&settings.data_dir),
    }
    .with_context(|| match &settings.place {
        Some(path) => format!("Failed to load the place {}", path.display()),
        None => format!(
            "Failed to load the place's reference data from {}",
            settings.data_dir.display()
        ),
    })?;
    Ok(Arc::new(place))
}

/// Opens the store as `serve` would, seeding a GeoPackage store this command creates: for the
/// commands that may come first on a fresh clone (`user`, `token`, `stale`), so that the store
/// they leave is the one a first start would have made.
pub async fn open_store_as_serve_would(settings: &Settings) -> anyhow::Result<Arc<dyn AssetStore>> {
    let created = store_will_be_created(settings);
    let store = open_store(settings).await?;
    seed_if_new(store.as_ref(), settings, created).await?;
    Ok(store)
}

/// Whether opening the store will create it: a GeoPackage file that does not exist yet. (A
/// PostGIS database is created by its administrator; there, "new" means never written to.)
pub fn store_will_be_created(settings: &Settings) -> bool {
    match &settings.store {
        StoreLocation::GeoPackage(path) => !path.exists(),
        StoreLocation::Postgis(_) => true,
    }
}

/// Seeds a store this start has just created (`created`, from [`store_will_be_created`]) and
/// that has never been written to (no assets and an empty change feed): with the bundled
/// place's assets when the place served covers its local authorities, else nothing. An
/// existing store is never seeded, even empty — a council's store left empty on purpose, or by
/// an import that failed, does not fill up with the bundled data; nor is one whose assets were
/// all deleted.
pub async fn seed_if_new(
    store: &dyn AssetStore,
    settings: &Settings,
    created: bool,
) -> anyhow::Result<usize> {
    if store.count().await? > 0 || store.latest_seq().await? > 0 {
        return Ok(0);
    }
    if !created {
        tracing::warn!(
            store = %settings.store.describe(),
            "the store exists and is empty; it is served empty (import assets with `assetmap import`, or remove the file to start from the bundled data)"
        );
        return Ok(0);
    }
    let assets = match settings.seed {
        Seed::Empty => return Ok(0),
        Seed::Bundled => {
            // The bundled register belongs to the bundled place: a place that covers its
            // authorities starts with it, any other starts empty.
            let (def, dataset) = bundled_dataset(&settings.data_dir)?;
            let served = served_local_authorities(settings, &def)?;
            let covered = def.local_authorities.iter().all(|c| served.contains(c));
            match dataset {
                Some(d) if covered => read_dataset(&d.assets)?,
                _ => {
                    tracing::warn!(
                        local_authorities = ?served,
                        "a new, empty store for a place with no bundled assets: it is served empty (import the place's assets with `assetmap import`)"
                    );
                    return Ok(0);
                }
            }
        }
        Seed::Synthetic(n) => assetmap_synthetic::assets(42, n),
    };
    let started = Instant::now();
    store
        .insert_many(&assets, &ChangeBy::system(Via::Seed))
        .await
        .context("Failed to seed the store")?;
    tracing::info!(
        assets = assets.len(),
        secs = started.elapsed().as_secs_f64(),
        "seeded the store"
    );
    Ok(assets.len())
}

/// The engine loaded from `store`, and the change-feed sequence number it is loaded up to:
/// from the engine snapshot when there is one that still answers for the store (see
/// [`engine_snapshot`]), else from every asset of the store (then a snapshot is written for
/// the next start, when the settings ask for one).
pub async fn load_engine(
    store: &dyn AssetStore,
    settings: &Settings,
) -> anyhow::Result<(Engine, u64)> {
    let (engine, seq, _) = load_engine_from(store, settings).await?;
    Ok((engine, seq))
}

/// [`load_engine`], saying where the engine came from.
pub async fn load_engine_from(
    store: &dyn AssetStore,
    settings: &Settings,
) -> anyhow::Result<(Engine, u64, LoadedFrom)> {
    if let Some(path) = settings.engine_snapshot_path() {
        let started = Instant::now();
        match engine_snapshot::read(store, settings, &path).await {
            Ok(Some((engine, seq, applied))) => {
                tracing::info!(
                    assets = engine.len(),
                    changes_applied = applied,
                    records_in_file = engine.records_in_file(),
                    secs = started.elapsed().as_secs_f64(),
                    snapshot = %path.display(),
                    store = %settings.store.describe(),
                    "engine loaded from its snapshot"
                );
                let engine = if applied >= engine_snapshot::REWRITE_AFTER_CHANGES {
                    engine_snapshot::write_if_wanted(store, settings, engine, seq).await
                } else {
                    engine
                };
                let from = LoadedFrom::Snapshot {
                    changes_applied: applied,
                };
                return Ok((engine, seq, from));
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(
                snapshot = %path.display(),
                "the engine snapshot is not used, the engine is built from the store: {e:#}"
            ),
        }
    }
    let (engine, seq) = crate::state::engine_from_store(store, settings).await?;
    let engine = engine_snapshot::write_if_wanted(store, settings, engine, seq).await;
    Ok((engine, seq, LoadedFrom::Store))
}

/// A store opened (and seeded if new) and the engine loaded from it.
struct Loaded {
    store: Arc<dyn AssetStore>,
    engine: Engine,
    seq: u64,
}

/// Opens the store, seeds it if new and loads the engine: one attempt.
async fn open_and_load(settings: &Settings, progress: &Progress) -> anyhow::Result<Loaded> {
    let created = store_will_be_created(settings);
    let store = open_store(settings).await?;
    progress.loading();
    seed_if_new(store.as_ref(), settings, created).await?;
    let (engine, seq) = load_engine(store.as_ref(), settings).await?;
    Ok(Loaded { store, engine, seq })
}

/// The store's own error when start-up failed because the store cannot be reached now (worth
/// another attempt), `None` when something else is wrong (a bad URL or password, a schema too
/// new…). Its text, unlike the whole error's, names no host or user: it is what `/health`
/// shows.
fn unavailable(e: &anyhow::Error) -> Option<&StoreError> {
    e.chain()
        .filter_map(|c| c.downcast_ref::<StoreError>())
        .find(|s| matches!(s, StoreError::Unavailable(_)))
}

/// [`open_and_load`] until it succeeds, with a pause after each attempt that failed because the
/// store cannot be reached (0.5 s, doubling up to 10 s), for at most the settings' start
/// timeout; any other failure ends start-up at once. Each failed attempt is one log line;
/// `on_first_wait` runs when the first one fails.
async fn wait_for_store(
    settings: &Settings,
    progress: &Progress,
    on_first_wait: impl FnOnce(),
) -> anyhow::Result<Loaded> {
    let started = Instant::now();
    let mut on_first_wait = Some(on_first_wait);
    let mut pause = FIRST_RETRY;
    let mut attempt = 1u32;
    loop {
        let e = match open_and_load(settings, progress).await {
            Ok(loaded) => {
                if attempt > 1 {
                    tracing::info!(attempt, "the store is reachable; start-up goes on");
                }
                return Ok(loaded);
            }
            Err(e) => e,
        };
        let Some(why) = unavailable(&e).map(ToString::to_string) else {
            return Err(e);
        };
        if let Some(limit) = settings.start_timeout() {
            if started.elapsed() >= limit {
                return Err(e.context(format!(
                    "Gave up waiting for the store after {:.0} s (db_start_timeout_secs)",
                    limit.as_secs_f64()
                )));
            }
            pause = pause.min(limit.saturating_sub(started.elapsed()));
        }
        tracing::warn!(
            "the store cannot be reached yet (attempt {attempt}; retrying in {:.1} s): {e:#}",
            pause.as_secs_f64()
        );
        progress.waiting(why);
        if let Some(f) = on_first_wait.take() {
            f();
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(MAX_RETRY);
        attempt += 1;
    }
}

fn bind(settings: &Settings) -> anyhow::Result<TcpListener> {
    TcpListener::bind(settings.bind).with_context(|| format!("Failed to bind {}", settings.bind))
}

impl Application {
    /// Opens the store (seeding it on first start), loads the engine and binds the listener.
    /// Fails at once when the store cannot be reached (see [`Application::start`] for waiting).
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let created = store_will_be_created(&settings);
        let store = open_store(&settings).await?;
        seed_if_new(store.as_ref(), &settings, created).await?;
        Self::build_with_store(settings, store).await
    }

    /// Like [`Application::build`] with a store the caller opened (tests use this to share one).
    pub async fn build_with_store(
        settings: Settings,
        store: Arc<dyn AssetStore>,
    ) -> anyhow::Result<Application> {
        let (engine, seq) = load_engine(store.as_ref(), &settings).await?;
        let place = load_place(&settings)?;
        let listener = bind(&settings)?;
        let stop = StopSignal::listen()?;
        Self::serve(listener, settings, store, engine, seq, place, &stop)
    }

    /// What `assetmap serve` runs: binds the listener first and answers `starting`
    /// ([`crate::starting`]) while it opens the store, seeds it if new and loads the engine;
    /// while the store cannot be reached it tries again with backoff (see `wait_for_store`),
    /// calling `on_first_wait` with the bound address when the first attempt fails. Then
    /// serves on the same listener. `Ok(None)` when the process was told to stop (SIGINT,
    /// SIGTERM) before it could serve.
    pub async fn start(
        settings: Settings,
        on_first_wait: impl FnOnce(SocketAddr),
    ) -> anyhow::Result<Option<Application>> {
        // Listened for from here to the end: a signal sent while the port passes from the
        // `starting` server to the real one stops the real one as it begins.
        let stop = StopSignal::listen()?;
        let listener = bind(&settings)?;
        let address = listener.local_addr()?;
        let progress = Arc::new(Progress::new(settings.store.kind()));
        let starting = starting::serve(
            listener.try_clone()?,
            progress.clone(),
            Duration::from_secs(settings.request_timeout_secs),
            &stop,
        )?;
        let handle = starting.handle();
        let mut starting = actix_web::rt::spawn(starting);
        let loaded = tokio::select! {
            loaded = async {
                // Local files: a mistake in them is reported at once, not waited out.
                let place = load_place(&settings)?;
                let loaded = wait_for_store(&settings, &progress, || on_first_wait(address)).await?;
                anyhow::Ok((loaded, place))
            } => loaded,
            // The `starting` server stops only when the process is told to (`stop`), or when
            // it fails.
            stopped = &mut starting => {
                return match stopped {
                    Ok(Ok(())) => Ok(None),
                    Ok(Err(e)) => Err(anyhow::Error::new(e).context("The starting server failed")),
                    Err(e) => Err(anyhow::anyhow!("The starting server failed: {e}")),
                };
            }
        };
        // Hand the listener over without dropping a connection: stop accepting (new ones wait
        // in the listener's backlog for the real server), let those already accepted reach the
        // worker and be answered, then stop (a graceful stop drops connections accepted but
        // not yet handed to the worker).
        handle.pause().await;
        tokio::time::sleep(HANDOVER_PAUSE).await;
        handle.stop(true).await;
        let (loaded, place) = loaded?;
        let app = Self::serve(
            listener,
            settings,
            loaded.store,
            loaded.engine,
            loaded.seq,
            place,
            &stop,
        )?;
        Ok(Some(app))
    }

    /// The real server on `listener`, stopping when the process is told to (`stop`).
    fn serve(
        listener: TcpListener,
        settings: Settings,
        store: Arc<dyn AssetStore>,
        engine: Engine,
        seq: u64,
        place: Arc<assetmap_place::Place>,
        stop: &StopSignal,
    ) -> anyhow::Result<Application> {
        let port = listener.local_addr()?.port();
        let state = Arc::new(AppState::new(settings, store, engine, seq, place));
        // Warm the per-area figures' cache (every asset's areas, every postcode's nearest
        // distance per category) in the background, so the first summary request is fast and
        // start-up does not wait; a summary asked for meanwhile waits for (or finishes) the
        // same work.
        // Then, when the engine reads its records from its snapshot file, read and check all of
        // them once (see `RecordsCheck`): damage is found at once (the sync loop then builds the
        // engine again from the store), and no search pays for a check later.
        let warm_state = state.clone();
        let records_check = state.engine().records_check();
        std::thread::spawn(move || {
            let warm = Instant::now();
            warm_state.warm_figures();
            // Start-up's transient memory (reading the engine, the figures' sorting) is all
            // freed by now: give it back, so the resident size is what serving needs.
            crate::allocator::release_freed_memory();
            tracing::info!(
                secs = warm.elapsed().as_secs_f64(),
                "per-area figures warmed"
            );
            if let Some(check) = records_check {
                let started = Instant::now();
                match check.run() {
                    Ok(bytes) => tracing::info!(
                        bytes,
                        secs = started.elapsed().as_secs_f64(),
                        "the engine snapshot's records read and checked"
                    ),
                    Err(e) => tracing::warn!(
                        error = %e,
                        "the engine snapshot's records could not all be read and checked"
                    ),
                }
            }
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
        .shutdown_signal(stop.stopped())
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
        let eraser = tokio::spawn(crate::routes::suggestions::keep_erasing_contacts(
            self.state.clone(),
        ));
        let mender = tokio::spawn(engine_snapshot::mend_when_damaged(self.state.clone()));
        let result = self.server.await;
        sync.abort();
        eraser.abort();
        mender.abort();
        engine_snapshot::refresh_at_stop(&self.state).await;
        result
    }
}
