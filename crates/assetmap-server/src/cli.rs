//! The `assetmap` command line: `serve` (the default), `import`, `export`, `migrate`.

use crate::config::{Seed, Settings, StoreLocation};
use crate::startup::{self, Application};
use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

/// assetmap: a community asset map — OGC API Features, coordinator search and a map page.
#[derive(Debug, Parser)]
#[command(name = "assetmap", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub common: CommonArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Flags every subcommand understands (they override the settings file and environment).
#[derive(Debug, Args, Clone, Default)]
pub struct CommonArgs {
    /// A TOML settings file (also `ASSETMAP_CONFIG`).
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// The store: a GeoPackage file path, or a postgres:// URL (also `ASSETMAP_STORE`,
    /// `DATABASE_URL`).
    #[arg(long, global = true)]
    pub store: Option<String>,
    /// The data folder with the bundled dataset, boundaries and postcodes (also `ASSETMAP_DATA`).
    #[arg(long, global = true)]
    pub data: Option<PathBuf>,
    /// The place to serve: a place pack from `assetmap place build`, or a place definition
    /// (`.toml`) (also `ASSETMAP_PLACE`); by default the bundled place (`data/place.toml`).
    #[arg(long, global = true)]
    pub place: Option<PathBuf>,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve HTTP (the default when no subcommand is given).
    Serve(ServeArgs),
    /// Apply pending database migrations (PostGIS) and exit.
    Migrate,
    /// Load assets into the store in one transaction: the bundled dataset, a GeoJSON file, or
    /// synthetic assets.
    Import(ImportArgs),
    /// Write the asset layer (and per-area summaries) to a GeoPackage, CSV or GeoJSON file.
    Export(crate::export_cli::ExportArgs),
    /// Build a place pack from the national files (or a place definition), and report.
    #[command(subcommand)]
    Place(PlaceCommand),
}

/// `assetmap place …`.
#[derive(Debug, Subcommand)]
pub enum PlaceCommand {
    /// Read the files a place is built from, keep what belongs to its local authorities, check
    /// it, print a report, and write one place pack (a GeoPackage) to serve with `--place`.
    Build(crate::place_cli::BuildArgs),
}

/// `assetmap serve` flags.
#[derive(Debug, Args, Default)]
pub struct ServeArgs {
    /// Address to listen on (also `ASSETMAP_BIND`); port 0 picks a free one.
    #[arg(long)]
    pub bind: Option<SocketAddr>,
    /// Seed a new, empty store with N seeded synthetic assets instead of the bundled dataset
    /// (for load tests).
    #[arg(long, value_name = "N")]
    pub synthetic: Option<usize>,
}

/// `assetmap import` flags.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// A GeoJSON FeatureCollection of assets; without it, the bundled dataset.
    #[arg(long)]
    pub file: Option<PathBuf>,
    /// N seeded synthetic assets instead of a file.
    #[arg(long, value_name = "N", conflicts_with = "file")]
    pub synthetic: Option<usize>,
}

/// Settings from the file and environment, then these flags.
pub fn settings_from(common: &CommonArgs) -> anyhow::Result<Settings> {
    let mut s = Settings::layered(common.config.as_deref(), |k| std::env::var(k).ok())?;
    if let Some(store) = &common.store {
        s.store = StoreLocation::parse(store);
    }
    if let Some(data) = &common.data {
        s.data_dir = data.clone();
    }
    if let Some(place) = &common.place {
        s.place = Some(place.clone());
    }
    Ok(s)
}

/// Runs the command line (what `main` calls). A failure is one line on stderr, `error: ` and
/// the error with its causes (`a: b: c`), never a backtrace; the exit code is then 1.
pub fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    crate::telemetry::init();
    match actix_web::rt::System::new().block_on(run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let mut settings = settings_from(&cli.common)?;
    match cli.command.unwrap_or(Command::Serve(ServeArgs::default())) {
        Command::Serve(args) => {
            if let Some(bind) = args.bind {
                settings.bind = bind;
            }
            if let Some(n) = args.synthetic {
                settings.seed = Seed::Synthetic(n);
            }
            let ip = settings.bind.ip();
            // Scripts and tests read these lines to find the port. `starting on` comes only
            // when the store cannot be reached at once (the port answers `starting` until it
            // can); `listening on` once the server serves.
            let started = Application::start(settings.clone(), |bound| {
                println!(
                    "starting on http://{ip}:{} (waiting for the store)",
                    bound.port()
                );
            })
            .await?;
            let Some(app) = started else {
                tracing::info!("stopped before the store could be reached");
                return Ok(());
            };
            println!("listening on http://{ip}:{}", app.port());
            app.run_until_stopped().await?;
            Ok(())
        }
        Command::Migrate => {
            let store = startup::open_store(&settings).await?;
            println!(
                "{} store at {} is up to date",
                store.kind(),
                settings.store.describe()
            );
            Ok(())
        }
        Command::Import(args) => {
            let store = startup::open_store(&settings).await?;
            let assets = match (&args.file, args.synthetic) {
                (_, Some(n)) => assetmap_synthetic::assets(42, n),
                (Some(path), None) => {
                    let f = std::fs::File::open(path)
                        .with_context(|| format!("Failed to open {}", path.display()))?;
                    assetmap_io::read_feature_collection(
                        std::io::BufReader::new(f),
                        chrono::Utc::now(),
                    )?
                }
                (None, None) => startup::bundled_assets(&settings.data_dir)?,
            };
            let started = std::time::Instant::now();
            match &settings.store {
                // PostGIS loads with COPY in one transaction and reports progress as it goes.
                StoreLocation::Postgis(url) => {
                    drop(store);
                    let pg =
                        assetmap_store::PostgisStore::connect_with(url, &settings.store_timeouts())
                            .await?;
                    let shown = std::sync::atomic::AtomicUsize::new(usize::MAX);
                    pg.insert_many_with_progress(&assets, &|n| {
                        show_progress(n, assets.len(), &shown)
                    })
                    .await
                }
                _ => store.insert_many(&assets).await,
            }
            .context("The import failed; nothing was stored")?;
            let secs = started.elapsed().as_secs_f64();
            println!(
                "imported {} assets in {secs:.1} s ({:.0} assets/s)",
                assets.len(),
                assets.len() as f64 / secs.max(1e-9)
            );
            Ok(())
        }
        Command::Export(args) => crate::export_cli::run(settings, args).await,
        Command::Place(PlaceCommand::Build(args)) => crate::place_cli::run(args),
    }
}

/// Bulk-load progress on stderr: a bar redrawn in place on a terminal, otherwise one line per
/// 10 %. `shown` remembers the last step printed.
fn show_progress(done: usize, total: usize, shown: &std::sync::atomic::AtomicUsize) {
    use std::io::{IsTerminal, Write};
    use std::sync::atomic::Ordering;
    let total = total.max(1);
    let percent = done.min(total) * 100 / total;
    let terminal = std::io::stderr().is_terminal();
    let step = if terminal { percent } else { percent / 10 * 10 };
    if shown.swap(step, Ordering::Relaxed) == step {
        return;
    }
    let filled = percent / 5;
    let bar = format!("[{}{}]", "#".repeat(filled), ".".repeat(20 - filled));
    let mut err = std::io::stderr().lock();
    if terminal {
        let _ = write!(err, "\r{bar} {percent:3} %  {done} / {total} assets sent");
        if done >= total {
            let _ = writeln!(err, "; committing…");
        }
    } else {
        let _ = writeln!(err, "{bar} {percent:3} %  {done} / {total} assets sent");
    }
}
