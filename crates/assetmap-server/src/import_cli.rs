//! `assetmap import`: assets into the store in one transaction, after the whole file has been
//! read and checked — every problem reported at once, nothing written unless asked, and no
//! store file left behind by an import that fails.

use crate::config::{Settings, StoreLocation};
use crate::startup;
use anyhow::{bail, Context};
use assetmap_io::{ImportProblem, ImportRead};
use clap::{Args, ValueEnum};
use std::path::PathBuf;

/// `assetmap import` flags.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// A GeoJSON FeatureCollection of assets; without it, the bundled dataset.
    #[arg(long)]
    pub file: Option<PathBuf>,
    /// How to read a table (`--file` a `.csv`, a `.geojson` with any properties, or a `.gpkg`
    /// layer): which columns hold which fields, what the source's words mean, the source's
    /// licence (a TOML mapping file; see `assetmap_io::mapping`). GeoJSON and GeoPackage
    /// records are placed by their geometry; rows with only a postcode by the place's postcode
    /// table.
    #[arg(long, value_name = "MAPPING.toml")]
    pub mapping: Option<PathBuf>,
    /// N seeded synthetic assets instead of a file.
    #[arg(long, value_name = "N", conflicts_with = "file")]
    pub synthetic: Option<usize>,
    /// Print a draft mapping file (TOML) for this CSV table on standard output — columns placed
    /// by their names, the categories column's words with guesses from the vocabulary, and what
    /// could not be placed — and import nothing.
    #[arg(long, value_name = "TABLE.csv", conflicts_with_all = ["file", "synthetic"])]
    pub suggest_mapping: Option<PathBuf>,
    /// Read and check the whole file, print the report, and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Import the valid records even when some are rejected (they are listed; without this
    /// flag one rejected record stops the import and nothing is written).
    #[arg(long)]
    pub skip_invalid: bool,
    /// How to print the report: for people (`text`, the default) or as JSON on standard
    /// output (`json`).
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub report: ReportFormat,
}

/// The report's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
}

/// What happened, for the report.
struct Outcome<'a> {
    source: String,
    read: &'a ImportRead,
    imported: usize,
    written: bool,
}

fn print_report(o: &Outcome<'_>, format: ReportFormat) {
    match format {
        ReportFormat::Json => {
            let doc = serde_json::json!({
                "source": o.source,
                "records": o.read.records,
                "valid": o.read.assets.len(),
                "rejected": o.read.rejected,
                "imported": o.imported,
                "written": o.written,
                "problems": o.read.problems,
            });
            println!("{doc}");
        }
        ReportFormat::Text => {
            for ImportProblem {
                record,
                id,
                field,
                reason,
            } in &o.read.problems
            {
                let id = id.as_deref().map(|i| format!(" ({i})")).unwrap_or_default();
                eprintln!("record {record}{id}: {field}: {reason}");
            }
            eprintln!(
                "{}: {} records, {} valid, {} rejected",
                o.source,
                o.read.records,
                o.read.assets.len(),
                o.read.rejected
            );
        }
    }
}

/// Runs the import.
pub async fn run(settings: Settings, args: ImportArgs) -> anyhow::Result<()> {
    if let Some(table) = &args.suggest_mapping {
        let f = std::fs::File::open(table)
            .with_context(|| format!("Failed to open {}", table.display()))?;
        let name = table
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "source".to_owned());
        let draft =
            assetmap_io::mapping::suggest_mapping(std::io::BufReader::new(f), &name, 1_000_000)
                .map_err(|e| anyhow::anyhow!("{} cannot be read: {e}", table.display()))?;
        print!("{draft}");
        return Ok(());
    }
    let (source, read) = match (&args.file, args.synthetic) {
        (_, Some(n)) => {
            let assets = assetmap_synthetic::assets(42, n);
            (
                format!("{n} synthetic assets"),
                ImportRead {
                    records: assets.len(),
                    assets,
                    ..ImportRead::default()
                },
            )
        }
        (Some(path), None) if args.mapping.is_some() => {
            let mapping_path = args.mapping.as_deref().unwrap_or(path);
            let text = std::fs::read_to_string(mapping_path)
                .with_context(|| format!("Failed to read {}", mapping_path.display()))?;
            let mapping = assetmap_io::mapping::Mapping::from_toml(&text).map_err(|e| {
                anyhow::anyhow!(
                    "The mapping file {} is not valid: {e}",
                    mapping_path.display()
                )
            })?;
            let place = startup::load_place(&settings)?;
            let read = assetmap_io::mapping::read_mapped_file(
                path,
                &mapping,
                &|pc| place.postcode(pc).map(|p| p.at),
                chrono::Utc::now(),
            )
            .map_err(|e| anyhow::anyhow!("{} cannot be imported: {e}", path.display()))?;
            (path.display().to_string(), read)
        }
        (Some(path), None) => {
            if path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
            {
                bail!(
                    "{} is a CSV table: say how to read it with --mapping MAPPING.toml (see README, \"Importing\")",
                    path.display()
                );
            }
            let f = std::fs::File::open(path)
                .with_context(|| format!("Failed to open {}", path.display()))?;
            let read = assetmap_io::read_import(std::io::BufReader::new(f), chrono::Utc::now())
                .with_context(|| format!("{} cannot be imported", path.display()))?;
            (path.display().to_string(), read)
        }
        (None, None) => {
            let path = settings.data_dir.join("trafford/assets.geojson");
            let f = std::fs::File::open(&path)
                .with_context(|| format!("Failed to open {}", path.display()))?;
            let read = assetmap_io::read_import(std::io::BufReader::new(f), chrono::Utc::now())
                .with_context(|| format!("{} cannot be imported", path.display()))?;
            (path.display().to_string(), read)
        }
    };
    let mut outcome = Outcome {
        source,
        read: &read,
        imported: 0,
        written: false,
    };
    if read.rejected > 0 && !args.skip_invalid {
        print_report(&outcome, args.report);
        bail!(
            "{} of {} records are rejected (listed above); nothing was imported. Fix them, or import the other {} with --skip-invalid.",
            read.rejected,
            read.records,
            read.assets.len()
        );
    }
    if args.dry_run {
        print_report(&outcome, args.report);
        if args.report == ReportFormat::Text {
            eprintln!(
                "dry run: {} records would be imported; nothing was written",
                read.assets.len()
            );
        }
        return Ok(());
    }

    // A GeoPackage store this run creates is removed again if the import fails, so that a
    // failed first import leaves no empty store behind (which `serve` would then not seed).
    let created_file = match &settings.store {
        StoreLocation::GeoPackage(path) if !path.exists() => Some(path.clone()),
        _ => None,
    };
    let started = std::time::Instant::now();
    let result = write(&settings, &read).await;
    if let Err(e) = result {
        if let Some(path) = created_file {
            for suffix in ["", "-wal", "-shm", "-journal"] {
                let mut p = path.clone().into_os_string();
                p.push(suffix);
                let _ = std::fs::remove_file(PathBuf::from(p));
            }
        }
        print_report(&outcome, args.report);
        return Err(e.context("The import failed; nothing was stored"));
    }
    outcome.imported = read.assets.len();
    outcome.written = true;
    print_report(&outcome, args.report);
    let secs = started.elapsed().as_secs_f64();
    if args.report == ReportFormat::Text {
        let skipped = if read.rejected > 0 {
            format!(" ({} rejected records skipped, as asked)", read.rejected)
        } else {
            String::new()
        };
        println!(
            "imported {} assets in {secs:.1} s ({:.0} assets/s){skipped}",
            read.assets.len(),
            read.assets.len() as f64 / secs.max(1e-9)
        );
    }
    Ok(())
}

/// Writes the assets in one transaction.
async fn write(settings: &Settings, read: &ImportRead) -> anyhow::Result<()> {
    let assets = &read.assets;
    match &settings.store {
        // PostGIS loads with COPY in one transaction and reports progress as it goes.
        StoreLocation::Postgis(url) => {
            // Migrations first (as `open_store` does), then the bulk load.
            drop(startup::open_store(settings).await?);
            let pg =
                assetmap_store::PostgisStore::connect_with(url, &settings.store_timeouts()).await?;
            let shown = std::sync::atomic::AtomicUsize::new(usize::MAX);
            pg.insert_many_with_progress(assets, &|n| show_progress(n, assets.len(), &shown))
                .await?;
        }
        StoreLocation::GeoPackage(_) => {
            let store = startup::open_store(settings).await?;
            store.insert_many(assets).await?;
        }
    }
    Ok(())
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
