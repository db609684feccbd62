//! The `assetmap` command line: `serve` (the default), `import`, `export`, `migrate`.

use crate::config::{Seed, Settings, StoreLocation};
use crate::startup::{self, Application};
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
    /// Bring a source in, or keep it in step, in one transaction: a GeoJSON file of assets, a
    /// table (CSV, GeoJSON, GeoPackage) read with a mapping file, an Open Referral UK feed, the
    /// bundled dataset, or synthetic assets.
    Import(crate::import_cli::ImportArgs),
    /// Write the asset layer (and per-area summaries) to a GeoPackage, CSV or GeoJSON file.
    Export(crate::export_cli::ExportArgs),
    /// Build a place pack from the national files (or a place definition), and report.
    #[command(subcommand)]
    Place(PlaceCommand),
    /// Make the bundled dataset from its sources' mapping files (`build`), or check it (`check`).
    #[command(subcommand)]
    Dataset(crate::dataset_cli::DatasetCommand),
    /// Staff accounts: add, list, disable, enable, reset-password.
    #[command(subcommand)]
    User(crate::staff_cli::UserCommand),
    /// API tokens for scripts: create, list, revoke.
    #[command(subcommand)]
    Token(crate::staff_cli::TokenCommand),
    /// The assets nobody has confirmed lately (CSV or JSON), for the council's own reminders.
    Stale(crate::stale_cli::StaleArgs),
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
        Command::Import(args) => crate::import_cli::run(settings, args).await,
        Command::Export(args) => crate::export_cli::run(settings, args).await,
        Command::Place(PlaceCommand::Build(args)) => crate::place_cli::run(args),
        Command::Dataset(command) => crate::dataset_cli::run(&settings, command),
        Command::User(command) => crate::staff_cli::run_user(settings, command).await,
        Command::Token(command) => crate::staff_cli::run_token(settings, command).await,
        Command::Stale(args) => crate::stale_cli::run(settings, args).await,
    }
}
