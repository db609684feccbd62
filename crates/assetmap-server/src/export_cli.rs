//! `assetmap export`: the downloads as files, from the configured store (GeoPackage or
//! PostGIS), with a progress bar.
//!
//! The asset layer is read **straight from the store**, page by page in id order
//! ([`AssetStore::page_after`]), not through an engine:
//! `serve` needs every asset in memory to answer queries, an export only needs each asset once,
//! so memory stays flat however large the store is (see `BENCHMARKS.md`, "Exports"). Only when
//! area summaries are asked for (`--layers ward,lsoa,msoa`, the GeoPackage default) is the
//! engine loaded as `serve` loads it, because a summary counts every asset; the asset layer is
//! then written from the engine in batches.
//!
//! The file is written to a temporary name beside `--out` and renamed when complete, so an
//! interrupted export never leaves a half file under the name asked for.

use crate::config::Settings;
use crate::startup;
use anyhow::{bail, Context};
use assetmap_analysis::export::{
    self, AssetSource, EngineBatches, Export, Layer, LayerWritten, Output, Selection, BATCH,
};
use assetmap_analysis::{AnalysisError, AreaFigures, SummaryQuery};
use assetmap_core::{AbcdType, Asset, AssetId, Category, Status};
use assetmap_index::{BBox, Engine, Filter};
use assetmap_io::export::Format;
use assetmap_store::AssetStore;
use clap::Args;
use std::io::{BufWriter, IsTerminal};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Instant;

/// `assetmap export` flags.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// gpkg, csv or geojson (default: from the extension of --out).
    #[arg(long)]
    pub format: Option<String>,
    /// The file to write. It must not exist unless --force is given.
    #[arg(long)]
    pub out: PathBuf,
    /// Only assets inside this area: an ONS code of the local authority, a ward, an MSOA or an
    /// LSOA.
    #[arg(long, value_name = "CODE")]
    pub area: Option<String>,
    /// Only assets with any of these categories (comma list; see `GET /vocabulary`).
    #[arg(long, value_delimiter = ',')]
    pub category: Vec<String>,
    /// Only assets of these ABCD types (comma list).
    #[arg(long = "abcd-type", value_delimiter = ',')]
    pub abcd_type: Vec<String>,
    /// Only assets with these statuses (comma list; default active,temporarily_closed, as the
    /// API).
    #[arg(long, value_delimiter = ',')]
    pub status: Vec<String>,
    /// Only assets in minLon,minLat,maxLon,maxLat (WGS84).
    #[arg(long, allow_hyphen_values = true)]
    pub bbox: Option<String>,
    /// Layers: assets, ward, lsoa, msoa, la (comma list). GeoPackage default: all but la; CSV
    /// and GeoJSON take one (default assets).
    #[arg(long, value_delimiter = ',')]
    pub layers: Vec<String>,
    /// Replace --out if it exists.
    #[arg(long)]
    pub force: bool,
}

fn parse_all<T>(
    flag: &str,
    items: &[String],
    parse: impl Fn(&str) -> Result<T, assetmap_core::FieldError>,
) -> anyhow::Result<Vec<T>> {
    items
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(|s| parse(s).map_err(|e| anyhow::anyhow!("--{flag} {s:?}: {}", e.problem)))
        .collect()
}

fn progress_bar(len: u64) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {elapsed_precise} [{bar:40}] {human_pos}/{human_len} assets read ({per_sec}, {eta} left)",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar
}

/// A temporary path beside `out` (same file system, so the final rename is atomic).
fn partial_path(out: &Path) -> PathBuf {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "export".into());
    out.with_file_name(format!(".{name}.partial-{}", std::process::id()))
}

/// Runs `assetmap export`.
pub async fn run(settings: Settings, args: ExportArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let format = match &args.format {
        Some(f) => Format::parse(f)
            .with_context(|| format!("--format {f:?}: use gpkg, csv or geojson"))?,
        None => args
            .out
            .extension()
            .and_then(|e| Format::parse(&e.to_string_lossy()))
            .with_context(|| {
                format!(
                    "--out {}: say --format gpkg, csv or geojson, or end the name with .gpkg, .csv or .geojson",
                    args.out.display()
                )
            })?,
    };
    let layers = if args.layers.is_empty() {
        match format {
            Format::Gpkg => Layer::DEFAULT_GPKG.to_vec(),
            _ => vec![Layer::Assets],
        }
    } else {
        Layer::parse_list(
            args.layers
                .iter()
                .map(|s| s.trim())
                .filter(|s| !s.is_empty()),
        )
        .map_err(|e| anyhow::anyhow!("--layers: {e}"))?
    };
    if format != Format::Gpkg && layers.len() != 1 {
        bail!(
            "--layers: a {} file holds one layer; export one at a time or use --format gpkg",
            format.ext()
        );
    }
    if args.out.exists() && !args.force {
        bail!(
            "{} already exists; choose another --out or add --force to replace it",
            args.out.display()
        );
    }
    let statuses = parse_all("status", &args.status, Status::parse)?;
    let filter = Filter {
        categories: parse_all("category", &args.category, Category::parse)?,
        abcd_types: parse_all("abcd-type", &args.abcd_type, AbcdType::parse)?,
        statuses: if statuses.is_empty() {
            Status::SHOWN_BY_DEFAULT.to_vec()
        } else {
            statuses
        },
        ..Filter::default()
    };
    let bbox = args
        .bbox
        .as_deref()
        .map(|b| BBox::parse_ogc(b).map_err(|e| anyhow::anyhow!("--bbox {b:?}: {e}")))
        .transpose()?;

    let place = startup::load_place(&settings)?;
    let area = args
        .area
        .as_deref()
        .map(|code| {
            Selection::area_from_code(&place.areas, code)
                .map_err(|e| anyhow::anyhow!("--area: {e}"))
        })
        .transpose()?;
    let sel = Selection { filter, bbox, area };

    let store = startup::open_store(&settings).await?;
    // Area summaries count every asset, so they need the engine; the asset layer alone streams
    // from the store.
    let engine = if layers.iter().any(|l| matches!(l, Layer::Areas(_))) {
        let assets = store
            .all()
            .await
            .context("Failed to load assets from the store")?;
        Some(Arc::new(RwLock::new(Engine::new(assets))))
    } else {
        None
    };
    let total = match &engine {
        Some(e) => e.read().map_or(0, |e| e.len()) as u64,
        None => store.count().await?,
    };

    let tmp = partial_path(&args.out);
    let _ = std::fs::remove_file(&tmp);
    let method = format!(
        "assetmap export --format {}{}{}{}",
        format.ext(),
        args.area
            .as_deref()
            .map(|a| format!(" --area {a}"))
            .unwrap_or_default(),
        if args.category.is_empty() {
            String::new()
        } else {
            format!(" --category {}", args.category.join(","))
        },
        args.bbox
            .as_deref()
            .map(|b| format!(" --bbox {b}"))
            .unwrap_or_default(),
    );
    // Where the assets come from, read from their provenance (from the engine when it was
    // loaded; a store-only export says each record carries its own).
    let origin = match &engine {
        Some(e) => export::DataOrigin::of(e.read().unwrap_or_else(|p| p.into_inner()).iter()),
        None => export::DataOrigin::default(),
    };
    let md = export::assets_metadata(&method, &origin);
    let query = SummaryQuery {
        categories: sel.filter.categories.clone(),
        ..Default::default()
    };
    let today = assetmap_core::uk_time::uk_local(chrono::Utc::now()).date();
    let handle = tokio::runtime::Handle::current();
    let out_path = tmp.clone();
    // The export is blocking work (files, the engine's lock); the store is read from this
    // blocking thread through the runtime's handle.
    let result =
        tokio::task::spawn_blocking(move || -> Result<Vec<LayerWritten>, AnalysisError> {
            let mut source: Box<dyn AssetSource> = match &engine {
                Some(e) => Box::new(EngineBatches::new(e.clone(), &sel)),
                None => Box::new(StoreBatches {
                    store,
                    handle,
                    after: None,
                    done: false,
                }),
            };
            let figures = AreaFigures::default();
            let mut summary = |level| {
                let Some(engine) = &engine else {
                    return Err(AnalysisError::Request(
                        "area summaries need the engine, which was not loaded".into(),
                    ));
                };
                let engine = engine.read().unwrap_or_else(|p| p.into_inner());
                figures.refresh(&engine, 0, &place);
                drop(engine);
                Ok(assetmap_analysis::summary(
                    &figures, &place, level, &query, today,
                ))
            };
            let job = Export {
                layers: &layers,
                selection: &sel,
                metadata: &md,
                areas: &place.areas,
            };
            let mut bar: Option<indicatif::ProgressBar> = None;
            let mut progress = |n: u64| {
                bar.get_or_insert_with(|| progress_bar(total))
                    .set_position(n);
            };
            let written = match format {
                Format::Gpkg => export::write(
                    Output::<std::io::Sink>::GeoPackage(&out_path),
                    &job,
                    source.as_mut(),
                    &mut summary,
                    &mut progress,
                ),
                _ => {
                    let file = std::fs::File::create(&out_path).map_err(|e| {
                        AnalysisError::Request(format!(
                            "Failed to create {}: {e}",
                            out_path.display()
                        ))
                    })?;
                    export::write(
                        Output::Stream(format, BufWriter::with_capacity(1 << 20, file)),
                        &job,
                        source.as_mut(),
                        &mut summary,
                        &mut progress,
                    )
                }
            };
            if let Some(bar) = bar {
                bar.finish_and_clear();
            }
            written
        })
        .await
        .context("The export stopped")?;
    let written = match result {
        Ok(w) => w,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(anyhow::Error::new(e)
                .context(format!("The export to {} failed", args.out.display())));
        }
    };
    std::fs::rename(&tmp, &args.out)
        .with_context(|| format!("Failed to move the export to {}", args.out.display()))?;
    let secs = started.elapsed().as_secs_f64();
    let assets = written
        .iter()
        .find(|l| l.name == Layer::Assets.name())
        .map_or(0, |l| l.rows);
    println!(
        "wrote {} to {} in {secs:.1} s ({:.0} assets/s)",
        written
            .iter()
            .map(|l| format!("{} ({})", l.name, l.rows))
            .collect::<Vec<_>>()
            .join(", "),
        args.out.display(),
        assets as f64 / secs.max(1e-9)
    );
    Ok(())
}

/// The store as an asset source: pages in id order
/// ([`AssetStore::page_after`](assetmap_store::AssetStore::page_after)), read from a blocking
/// thread through the runtime's handle, so memory does not grow with the store.
struct StoreBatches {
    store: Arc<dyn AssetStore>,
    handle: tokio::runtime::Handle,
    after: Option<AssetId>,
    done: bool,
}

impl AssetSource for StoreBatches {
    fn next_batch(&mut self) -> Result<Option<Vec<Asset>>, AnalysisError> {
        if self.done {
            return Ok(None);
        }
        let page = self
            .handle
            .block_on(self.store.page_after(self.after.as_ref(), BATCH))
            .map_err(|e| AnalysisError::Source(e.to_string()))?;
        self.done = page.len() < BATCH;
        let Some(last) = page.last() else {
            return Ok(None);
        };
        self.after = Some(last.id.clone());
        Ok(Some(page))
    }
}
