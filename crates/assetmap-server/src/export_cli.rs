//! `assetmap export`: the downloads as files, from the configured store (GeoPackage or
//! PostGIS), with a progress bar.
//!
//! The asset layer is read **straight from the store**, page by page in id order
//! ([`AssetStore::page_after`](assetmap_store::AssetStore::page_after)), not through an engine:
//! `serve` needs every asset in memory to answer queries, an export only needs each asset once,
//! so memory stays flat however large the store is (see `BENCHMARKS.md`, "Exports"). Only when
//! area summaries are asked for (`--layers ward,lsoa,msoa`, the GeoPackage default) is the
//! engine loaded as `serve` loads it, because a summary counts every asset; the asset layer is
//! then written from the engine in batches.
//!
//! The file is written to a temporary name beside `--out` and renamed when complete, so an
//! interrupted export never leaves a half file under the name asked for.

use crate::config::Settings;
use crate::downloads::{self, AssetSink, EngineBatches, Format, Layer, Selection};
use crate::startup;
use crate::state::AppState;
use anyhow::{bail, Context};
use assetmap_core::{AbcdType, Category, Status};
use assetmap_index::{AreaLevel, BBox, Engine, Filter};
use assetmap_io::export::gpkg::GpkgExport;
use clap::Args;
use std::io::{BufWriter, IsTerminal};
use std::path::{Path, PathBuf};
use std::sync::Arc;
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
            crate::routes::items::DEFAULT_STATUSES.to_vec()
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

    let jsna = crate::jsna::Jsna::load(&settings.data_dir)?;
    let area = args
        .area
        .as_deref()
        .map(|code| {
            Selection::area_from_code(&jsna.index, code).map_err(|e| anyhow::anyhow!("--area: {e}"))
        })
        .transpose()?;
    let sel = Selection { filter, bbox, area };

    let store = startup::open_store(&settings.store).await?;
    let needs_engine = layers.iter().any(|l| matches!(l, Layer::Areas(_)));
    let (state, jsna): (Option<Arc<AppState>>, Option<crate::jsna::Jsna>) = if needs_engine {
        let seq = store.latest_seq().await?;
        let assets = store
            .all()
            .await
            .context("Failed to load assets from the store")?;
        let engine = Engine::new(assets);
        let areas = crate::areas::Areas::load(&settings.data_dir)?;
        let postcodes = crate::postcodes::Postcodes::load(&settings.data_dir)?;
        let state = AppState::new(
            settings.clone(),
            store.clone(),
            engine,
            seq,
            areas,
            postcodes,
        )
        .with_jsna(jsna);
        (Some(Arc::new(state)), None)
    } else {
        (None, Some(jsna))
    };
    // The area index: in the state when there is one, else on its own.
    let index = match (&jsna, &state) {
        (Some(j), _) => &j.index,
        (None, Some(s)) => &s.jsna.index,
        (None, None) => bail!("no area index"),
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
    let md = downloads::assets_metadata(&method);
    let total = match &state {
        Some(s) => s.engine().len() as u64,
        None => store.count().await?,
    };

    let result: anyhow::Result<(u64, Vec<String>)> = async {
        let mut written = 0u64;
        let mut wrote_layers = Vec::new();
        let query = crate::jsna::SummaryQuery {
            categories: sel.filter.categories.clone(),
            ..Default::default()
        };
        match format {
            Format::Gpkg => {
                let mut g = GpkgExport::create(&tmp, &md)?;
                for layer in &layers {
                    match layer {
                        Layer::Assets => {
                            g.begin_assets(&md)?;
                            let mut sink: AssetSink<std::io::Sink> = AssetSink::Gpkg(g);
                            written =
                                write_assets(&sel, index, &state, store.as_ref(), total, &mut sink)
                                    .await?;
                            g = match sink.finish()? {
                                Some(g) => g,
                                None => bail!("the GeoPackage writer went missing"),
                            };
                            wrote_layers.push(format!("assets ({written})"));
                        }
                        Layer::Areas(level) => {
                            let s = summary(&state, *level, &query)?;
                            downloads::add_summary_layer(&mut g, &s)?;
                            wrote_layers.push(format!(
                                "{} ({})",
                                downloads::area_layer_name(*level),
                                s.rows.len()
                            ));
                        }
                    }
                }
                g.finish()?;
            }
            _ => {
                let file = std::fs::File::create(&tmp)
                    .with_context(|| format!("Failed to create {}", tmp.display()))?;
                let out = BufWriter::with_capacity(1 << 20, file);
                match layers.first() {
                    Some(Layer::Areas(level)) => {
                        let s = summary(&state, *level, &query)?;
                        downloads::write_summary(&s, format, out, None)?;
                        wrote_layers.push(format!(
                            "{} ({})",
                            downloads::area_layer_name(*level),
                            s.rows.len()
                        ));
                    }
                    _ => {
                        let mut sink = AssetSink::stream(format, out, &md)?;
                        written =
                            write_assets(&sel, index, &state, store.as_ref(), total, &mut sink)
                                .await?;
                        sink.finish()?;
                        wrote_layers.push(format!("assets ({written})"));
                    }
                }
            }
        }
        Ok((written, wrote_layers))
    }
    .await;
    let (written, wrote_layers) = match result {
        Ok(r) => r,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e.context(format!("The export to {} failed", args.out.display())));
        }
    };
    std::fs::rename(&tmp, &args.out)
        .with_context(|| format!("Failed to move the export to {}", args.out.display()))?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "wrote {} to {} in {secs:.1} s ({:.0} assets/s)",
        wrote_layers.join(", "),
        args.out.display(),
        written as f64 / secs.max(1e-9)
    );
    Ok(())
}

fn summary(
    state: &Option<Arc<AppState>>,
    level: AreaLevel,
    q: &crate::jsna::SummaryQuery,
) -> anyhow::Result<crate::jsna::Summary> {
    let Some(state) = state else {
        bail!("area summaries need the engine, which was not loaded");
    };
    Ok(crate::jsna::summary(state, level, q))
}

/// Writes the selected assets, from the engine when it is loaded, else from the store.
async fn write_assets<W: std::io::Write>(
    sel: &Selection,
    index: &assetmap_index::AreaIndex,
    state: &Option<Arc<AppState>>,
    store: &dyn assetmap_store::AssetStore,
    total: u64,
    sink: &mut AssetSink<W>,
) -> anyhow::Result<u64> {
    let bar = progress_bar(total);
    let mut progress = |n: u64| bar.set_position(n);
    let written = match state {
        Some(state) => {
            let mut source = EngineBatches::new(state.clone(), sel);
            bar.set_length(source.len() as u64);
            downloads::export_assets(&mut source, sel, index, sink, &mut progress)?
        }
        None => downloads::export_from_store(store, sel, index, sink, &mut progress).await?,
    };
    bar.finish_and_clear();
    Ok(written)
}
