//! `assetmap import`: a source into the store, or kept in step with it, in one transaction,
//! after the whole file has been read and checked — every problem reported at once, nothing
//! written unless asked, and no store file left behind by an import that fails. What a
//! re-import writes is planned by `assetmap_io::sync` (new, changed, unchanged, kept edits,
//! conflicts, removed for review) and probable duplicates of other sources are listed by
//! `assetmap_io::duplicates`; this file reads, asks the store, prints and writes.

use crate::config::{Settings, StoreLocation};
use crate::startup;
use anyhow::{bail, Context};
use assetmap_core::{Asset, AssetId, ChangeBy, Via};
use assetmap_io::duplicates::{probable_duplicates, ProbableDuplicate};
use assetmap_io::sync::{plan_sync, ConflictKind, SyncOptions, SyncPlan};
use assetmap_io::{ImportProblem, ImportRead};
use assetmap_store::{AssetStore, ImportBatch};
use clap::{Args, ValueEnum};
use std::collections::HashSet;
use std::path::PathBuf;

/// `assetmap import` flags.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// A GeoJSON FeatureCollection of assets, or a table read with --mapping; without it (and
    /// without --oruk or --synthetic), the bundled dataset.
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
    /// Print a draft mapping file (TOML) for this table (`.csv`, `.geojson` or `.gpkg`) on
    /// standard output — columns placed by their names, the categories column's words with
    /// guesses from the vocabulary, and what could not be placed — and import nothing.
    #[arg(long, value_name = "TABLE", conflicts_with_all = ["file", "synthetic"])]
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
    /// The source's key, which the next import of the same source gives again to keep it in
    /// step. With --mapping it is the mapping's `id_prefix`; for a GeoJSON file of assets it is
    /// the file's name without its extension unless given here.
    #[arg(long, value_name = "NAME", conflicts_with = "mapping")]
    pub source: Option<String>,
    /// Write the source's version over records edited or deleted here since the last import
    /// (the conflicts), instead of keeping the edits.
    #[arg(long)]
    pub overwrite_edits: bool,
    /// An Open Referral UK feed to import: its base address (`https://example.org/oruk`: the
    /// pages of `/services`, then each service in full) or a JSON file of services (a page, a
    /// list or one service).
    /// With --mapping, the feed's own taxonomy terms and accessibility words are read through
    /// the mapping's `[values]`, and its `[source]` names the publisher.
    #[arg(long, value_name = "URL|FILE", conflicts_with_all = ["file", "synthetic", "suggest_mapping"])]
    pub oruk: Option<String>,
    /// Only what the feed says changed after this time (RFC 3339, e.g. `2026-12-01T00:00:00Z`):
    /// an incremental run, which adds and updates but finds nothing removed.
    #[arg(long, value_name = "TIME", requires = "oruk")]
    pub modified_after: Option<chrono::DateTime<chrono::Utc>>,
    /// An incremental run from the last import of this feed (an hour before it, to be safe).
    #[arg(long, requires = "oruk", conflicts_with = "modified_after")]
    pub incremental: bool,
}

/// The report's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
}

/// What happened, for the report.
struct Outcome<'a> {
    /// What was read (a file, or the synthetic assets).
    label: String,
    read: &'a ImportRead,
    valid: usize,
    plan: &'a SyncPlan,
    duplicates: &'a [ProbableDuplicate],
    written: bool,
    phases: Phases,
    /// Whether the run got as far as comparing with the store (a file with rejected records
    /// stops before).
    planned: bool,
}

/// Where the time went, in seconds: reading and checking the file, comparing it with the
/// store (what it holds, the plan, duplicates), writing.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
struct Phases {
    read: f64,
    compare: f64,
    write: f64,
}

fn print_report(o: &Outcome<'_>, format: ReportFormat) {
    let p = o.plan;
    match format {
        ReportFormat::Json => {
            let doc = serde_json::json!({
                "file": o.label,
                "source": p.source,
                "records": o.read.records,
                "valid": o.valid,
                "rejected": o.read.rejected,
                "new": p.new.len(),
                "changed": p.changed.len(),
                "unchanged": p.unchanged.len(),
                "kept_edits": p.kept_edits,
                "removed": p.removed.len(),
                "removed_records": p.removed,
                "conflicts": p.conflicts,
                "duplicates": o.duplicates,
                "imported": if o.written { p.new.len() + p.changed.len() } else { 0 },
                "written": o.written,
                "problems": o.read.problems,
                "left_out": o.read.left_out,
                "dropped": o.read.dropped,
                "seconds": o.phases,
            });
            println!("{doc}");
        }
        ReportFormat::Text => {
            print_problems("", &o.read.problems);
            print_problems("left out: ", &o.read.left_out);
            print_problems("value dropped: ", &o.read.dropped);
            for c in &p.conflicts {
                let what = match c.kind {
                    ConflictKind::EditedHere => format!(
                        "edited here since the last import (now version {}, the import wrote version {}) and changed in the source",
                        c.stored_version.unwrap_or_default(),
                        c.imported_version.unwrap_or_default()
                    ),
                    ConflictKind::DeletedHere => {
                        "deleted here since the last import, and still in the source".to_owned()
                    }
                    ConflictKind::NotFromThisSource => format!(
                        "an asset with this id is stored that source {} did not bring in, with other content",
                        p.source
                    ),
                };
                let settled = if c.overwritten {
                    "the source's version was written over it (--overwrite-edits)"
                } else {
                    "kept as it is here (--overwrite-edits takes the source's version)"
                };
                eprintln!("conflict: {}: {what}; {settled}", c.id);
            }
            for r in &p.removed {
                let stored = if r.stored {
                    "kept on the map: review it (close or delete it if it has gone)"
                } else {
                    "already deleted here"
                };
                eprintln!(
                    "removed from the source: {} (gone since {}); {stored}",
                    r.id,
                    r.gone_since.format("%Y-%m-%d")
                );
            }
            for d in o.duplicates {
                let postcode = if d.same_postcode {
                    ", same postcode"
                } else {
                    ""
                };
                eprintln!(
                    "probable duplicate: {} {:?} looks like {} {:?}{} ({} m apart{postcode}, names {:.2} alike); not merged — review both",
                    d.id,
                    d.name,
                    d.other_id,
                    d.other_name,
                    d.other_source
                        .as_deref()
                        .map(|s| format!(" from {s}"))
                        .unwrap_or_default(),
                    d.distance_m,
                    d.name_similarity,
                );
            }
            let read_summary = format!(
                "{}: {} records, {} valid, {} rejected, {} left out by the mapping's filter, {} values dropped",
                o.label,
                o.read.records,
                o.valid,
                o.read.rejected,
                o.read.left_out.len(),
                o.read.dropped.len(),
            );
            if !o.planned {
                eprintln!("{read_summary}");
                return;
            }
            eprintln!(
                "took {:.1} s to read and check, {:.1} s to compare with the store, {:.1} s to write",
                o.phases.read, o.phases.compare, o.phases.write
            );
            eprintln!(
                "{} (source {}): {} records, {} valid, {} rejected, {} left out by the mapping's filter, {} values dropped; {} new, {} changed, {} unchanged ({} kept as edited here), {} conflicts, {} removed from the source (kept for review), {} probable duplicates",
                o.label,
                p.source,
                o.read.records,
                o.valid,
                o.read.rejected,
                o.read.left_out.len(),
                o.read.dropped.len(),
                p.new.len(),
                p.changed.len(),
                p.unchanged.len(),
                p.kept_edits.len(),
                p.conflicts.len(),
                p.removed.len(),
                o.duplicates.len(),
            );
        }
    }
}

/// Each problem on its own line of standard error: `<prefix>record N (id): field: reason`.
fn print_problems(prefix: &str, problems: &[ImportProblem]) {
    for ImportProblem {
        record,
        id,
        field,
        reason,
    } in problems
    {
        let id = id.as_deref().map(|i| format!(" ({i})")).unwrap_or_default();
        eprintln!("{prefix}record {record}{id}: {field}: {reason}");
    }
}

/// Runs the import.
pub async fn run(settings: Settings, args: ImportArgs) -> anyhow::Result<()> {
    if let Some(table) = &args.suggest_mapping {
        let name = table
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "source".to_owned());
        let draft = assetmap_io::mapping::suggest_mapping_file(table, &name, 1_000_000)
            .map_err(|e| anyhow::anyhow!("{} cannot be read: {e}", table.display()))?;
        print!("{draft}");
        return Ok(());
    }
    let began = std::time::Instant::now();
    let mut phases = Phases::default();
    let mut partial = false;
    let (label, key, mut read) = match (&args.file, args.synthetic) {
        _ if args.oruk.is_some() => {
            let feed = args.oruk.clone().unwrap_or_default();
            let mapping = match &args.mapping {
                Some(path) => {
                    let text = std::fs::read_to_string(path)
                        .with_context(|| format!("Failed to read {}", path.display()))?;
                    Some(
                        assetmap_io::mapping::Mapping::feed_from_toml(&text).map_err(|e| {
                            anyhow::anyhow!("The mapping file {} is not valid: {e}", path.display())
                        })?,
                    )
                }
                None => None,
            };
            let key = args
                .source
                .clone()
                .or_else(|| mapping.as_ref().map(|m| m.source.id_prefix.clone()))
                .unwrap_or_else(|| oruk_source_key(&feed));
            let mut since = args.modified_after;
            // (A GeoPackage store that does not exist yet holds no earlier import: it is not
            // made here, so a failed first run still leaves no file behind.)
            let store_exists = match &settings.store {
                StoreLocation::GeoPackage(path) => path.exists(),
                StoreLocation::Postgis(_) => true,
            };
            if args.incremental && store_exists {
                let store = startup::open_store(&settings).await?;
                let records = store
                    .source_records(&key)
                    .await
                    .context("Failed to read what earlier imports of this feed left")?;
                since = records
                    .iter()
                    .map(|r| r.imported_at)
                    .max()
                    .map(|t| t - chrono::Duration::hours(1));
            }
            if args.incremental && since.is_none() {
                eprintln!("no earlier import of {key}: the whole feed is read");
            }
            partial = since.is_some();
            let shown = std::sync::atomic::AtomicUsize::new(usize::MAX);
            let feed_for = feed.clone();
            let services = tokio::task::spawn_blocking(move || {
                crate::oruk_feed::services(&feed_for, since, &|done, total| {
                    if total > 0 {
                        show_progress(done, total, &shown, "services fetched");
                    }
                })
            })
            .await
            .context("The feed reader stopped")??;
            let words = assetmap_io::oruk::FeedWords {
                clean: mapping.as_ref().map(|m| &m.clean),
                values: mapping.as_ref().map(|m| &m.values),
                defaults: mapping.as_ref().map(|m| &m.defaults),
                source: mapping.as_ref().map(|m| &m.source),
            };
            let read = assetmap_io::oruk_import::read_services(
                &services,
                &key,
                &words,
                chrono::Utc::now(),
            );
            (feed, key, read)
        }
        (_, Some(n)) => {
            let assets = assetmap_synthetic::assets(42, n);
            (
                format!("{n} synthetic assets"),
                args.source
                    .clone()
                    .unwrap_or_else(|| "synthetic".to_owned()),
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
            let geocode = |pc: &assetmap_core::Postcode| place.postcode(pc).map(|p| p.at);
            let inside = |at| place.contains(at);
            let read = assetmap_io::mapping::read_mapped_file_with(
                path,
                &mapping,
                &assetmap_io::mapping::MapContext {
                    geocode: &geocode,
                    inside_place: Some(&inside),
                },
                chrono::Utc::now(),
            )
            .map_err(|e| anyhow::anyhow!("{} cannot be imported: {e}", path.display()))?;
            let key = mapping.source.id_prefix.clone();
            (path.display().to_string(), key, read)
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
            (path.display().to_string(), source_key(&args, path), read)
        }
        (None, None) => {
            // The bundled place's own register.
            let Some(dataset) = startup::bundled_dataset(&settings.data_dir)?.1 else {
                anyhow::bail!(
                    "Nothing to import: give --file, or a place definition with [dataset] assets"
                );
            };
            let path = dataset.assets;
            let f = std::fs::File::open(&path)
                .with_context(|| format!("Failed to open {}", path.display()))?;
            let read = assetmap_io::read_import(std::io::BufReader::new(f), chrono::Utc::now())
                .with_context(|| format!("{} cannot be imported", path.display()))?;
            (path.display().to_string(), source_key(&args, &path), read)
        }
    };
    let valid = read.assets.len();
    phases.read = began.elapsed().as_secs_f64();
    if read.rejected > 0 && !args.skip_invalid {
        let plan = SyncPlan {
            source: key,
            ..SyncPlan::default()
        };
        print_report(
            &Outcome {
                label,
                read: &read,
                valid,
                plan: &plan,
                duplicates: &[],
                written: false,
                phases,
                planned: false,
            },
            args.report,
        );
        bail!(
            "{} of {} records are rejected (listed above); nothing was imported. Fix them, or import the other {valid} with --skip-invalid.",
            read.rejected,
            read.records,
        );
    }

    // What the store holds of this source, and of the others (for duplicates). A store that
    // does not exist yet holds nothing, and a dry run does not make it.
    let created_file = match &settings.store {
        StoreLocation::GeoPackage(path) if !path.exists() => Some(path.clone()),
        _ => None,
    };
    let store = if args.dry_run && created_file.is_some() {
        None
    } else {
        Some(startup::open_store(&settings).await?)
    };
    let compare_began = std::time::Instant::now();
    let (stored, records) = match &store {
        Some(store) => {
            let stored = if store.count().await? > 0 {
                store
                    .all()
                    .await
                    .context("Failed to read the stored assets")?
            } else {
                Vec::new()
            };
            let records = store
                .source_records(&key)
                .await
                .context("Failed to read what earlier imports of this source left")?;
            (stored, records)
        }
        None => (Vec::new(), Vec::new()),
    };
    let now = chrono::Utc::now();
    let incoming = std::mem::take(&mut read.assets);
    let plan = plan_sync(
        &key,
        incoming,
        &stored,
        &records,
        SyncOptions {
            overwrite: args.overwrite_edits,
            partial,
        },
        now,
    );
    let duplicates = if stored.is_empty() {
        Vec::new()
    } else {
        let ours: HashSet<&AssetId> = plan
            .records
            .iter()
            .map(|r| &r.asset_id)
            .chain(records.iter().map(|r| &r.asset_id))
            .chain(plan.unchanged.iter())
            .collect();
        let others: Vec<&Asset> = stored.iter().filter(|a| !ours.contains(&a.id)).collect();
        if others.is_empty() {
            Vec::new()
        } else {
            let touched: Vec<&Asset> = plan.new.iter().chain(&plan.changed).collect();
            probable_duplicates(&touched, &others)
        }
    };
    drop(stored);
    phases.compare = compare_began.elapsed().as_secs_f64();
    let mut outcome = Outcome {
        label,
        read: &read,
        valid,
        plan: &plan,
        duplicates: &duplicates,
        written: false,
        phases,
        planned: true,
    };
    if args.dry_run {
        print_report(&outcome, args.report);
        if args.report == ReportFormat::Text {
            eprintln!(
                "dry run: {} new and {} changed assets would be written; nothing was written",
                plan.new.len(),
                plan.changed.len()
            );
        }
        return Ok(());
    }

    // A GeoPackage store this run creates is removed again if the import fails, so that a
    // failed first import leaves no empty store behind (which `serve` would then not seed).
    let started = std::time::Instant::now();
    let result = match &store {
        Some(store) => write(store.as_ref(), &plan).await,
        None => Err(anyhow::anyhow!("the store is not open")),
    };
    drop(store);
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
    outcome.written = true;
    outcome.phases.write = started.elapsed().as_secs_f64();
    print_report(&outcome, args.report);
    let secs = began.elapsed().as_secs_f64();
    if args.report == ReportFormat::Text {
        let skipped = if read.rejected > 0 {
            format!(" ({} rejected records skipped, as asked)", read.rejected)
        } else {
            String::new()
        };
        let written = plan.new.len() + plan.changed.len();
        println!(
            "imported {} new and {} changed assets in {secs:.1} s ({:.0} assets/s){skipped}",
            plan.new.len(),
            plan.changed.len(),
            written as f64 / secs.max(1e-9)
        );
    }
    Ok(())
}

/// The source key of an Open Referral feed: its host and port (`example.org`,
/// `127.0.0.1_8080`), or a file's name without its extension.
fn oruk_source_key(feed: &str) -> String {
    if crate::oruk_feed::is_url(feed) {
        let rest = feed.split_once("://").map_or(feed, |(_, r)| r);
        let host = rest.split('/').next().unwrap_or(rest);
        host.replace(':', "_")
    } else {
        std::path::Path::new(feed)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "oruk".to_owned())
    }
}

/// The source key of a GeoJSON file of assets: `--source`, else the file name without its
/// extension.
fn source_key(args: &ImportArgs, path: &std::path::Path) -> String {
    args.source.clone().unwrap_or_else(|| {
        path.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "file".to_owned())
    })
}

/// Writes the run in one transaction: the new assets, the next versions of the changed ones,
/// and the source records, with a progress bar. History credits the import of the plan's
/// source.
async fn write(store: &dyn AssetStore, plan: &SyncPlan) -> anyhow::Result<()> {
    let by = ChangeBy::system(Via::Import(plan.source.clone()));
    let total = plan.new.len() + plan.changed.len();
    let shown = std::sync::atomic::AtomicUsize::new(if total == 0 { 0 } else { usize::MAX });
    store
        .apply_import(
            ImportBatch {
                inserts: &plan.new,
                replaces: &plan.changed,
                records: &plan.records,
                by: &by,
            },
            &|n| show_progress(n, total, &shown, "assets sent"),
        )
        .await?;
    Ok(())
}

/// Bulk-load progress on stderr: a bar redrawn in place on a terminal, otherwise one line per
/// 10 %. `shown` remembers the last step printed.
fn show_progress(done: usize, total: usize, shown: &std::sync::atomic::AtomicUsize, what: &str) {
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
        let _ = write!(err, "\r{bar} {percent:3} %  {done} / {total} {what}");
        if done >= total {
            let _ = writeln!(err);
        }
    } else {
        let _ = writeln!(err, "{bar} {percent:3} %  {done} / {total} {what}");
    }
}
