//! `assetmap place build`: a place pack from the national files (or a place definition).

use anyhow::{bail, Context};
use assetmap_place::{pack, Place, PlaceDefinition, PlaceInputs, Report};
use clap::Args;
use std::path::PathBuf;
use std::time::Instant;

/// `assetmap place build` flags. Give a definition (`--definition`, TOML: see `data/place.toml`),
/// or the same things as flags, or both (the flags win).
#[derive(Debug, Args, Default)]
pub struct BuildArgs {
    /// A place definition (TOML): title, authorities, files, vintages, sources; paths in it are
    /// relative to it.
    #[arg(long)]
    pub definition: Option<PathBuf>,
    /// The ONS codes of the local authorities to keep, comma-separated (E08000009,E08000010).
    #[arg(long, value_delimiter = ',')]
    pub la: Vec<String>,
    /// What the place is called on the map and in downloads.
    #[arg(long)]
    pub title: Option<String>,
    /// The attribution the reference data asks for.
    #[arg(long)]
    pub attribution: Option<String>,
    /// The ONS Postcode Directory or NSPL CSV (the whole country is fine: it is streamed).
    #[arg(long)]
    pub postcodes: Option<PathBuf>,
    /// Local authority boundaries (GeoJSON or GeoPackage with ONS field names, e.g. LAD23CD).
    #[arg(long)]
    pub boundaries_la: Option<PathBuf>,
    /// Ward boundaries (WD23CD/WD23NM), to draw and serve.
    #[arg(long)]
    pub boundaries_ward: Option<PathBuf>,
    /// MSOA boundaries (MSOA21CD/MSOA21NM).
    #[arg(long)]
    pub boundaries_msoa: Option<PathBuf>,
    /// LSOA boundaries (LSOA21CD/LSOA21NM).
    #[arg(long)]
    pub boundaries_lsoa: Option<PathBuf>,
    /// Finer ward boundaries for placing assets in wards (e.g. full resolution); by default the
    /// ward boundaries above.
    #[arg(long)]
    pub assignment_ward: Option<PathBuf>,
    /// A mid-year population estimates file (repeat for LSOA, MSOA, ward).
    #[arg(long)]
    pub population: Vec<PathBuf>,
    /// A census 2021 table by LSOA (repeat for general health, disability, unpaid care, car or
    /// van availability).
    #[arg(long)]
    pub census: Vec<PathBuf>,
    /// Also keep the postcodes of neighbouring authorities within this many metres of the
    /// place, so that people living just over the border can be searched from (they geocode
    /// but do not count in the place's figures).
    #[arg(long, value_name = "METRES")]
    pub buffer_m: Option<f64>,
    /// Where to write the pack (a GeoPackage).
    #[arg(long)]
    pub out: PathBuf,
    /// Replace `--out` if it exists.
    #[arg(long)]
    pub force: bool,
}

impl BuildArgs {
    /// The definition these flags describe (over `--definition`, when given).
    pub fn definition(&self) -> anyhow::Result<PlaceDefinition> {
        let mut def = match &self.definition {
            Some(path) => PlaceDefinition::read(path)?,
            None => PlaceDefinition::default(),
        };
        let cwd = std::env::current_dir().context("the current folder")?;
        let abs = |p: &PathBuf| cwd.join(p);
        if !self.la.is_empty() {
            def.local_authorities = self.la.iter().map(|c| c.trim().to_owned()).collect();
        }
        if let Some(t) = &self.title {
            def.title = t.clone();
        }
        if let Some(a) = &self.attribution {
            def.attribution = a.clone();
        }
        if let Some(p) = &self.postcodes {
            def.files.postcodes = abs(p);
        }
        let b = &mut def.files.boundaries;
        for (flag, slot) in [
            (&self.boundaries_la, &mut b.la),
            (&self.boundaries_ward, &mut b.ward),
            (&self.boundaries_msoa, &mut b.msoa),
            (&self.boundaries_lsoa, &mut b.lsoa),
        ] {
            if let Some(p) = flag {
                *slot = Some(abs(p));
            }
        }
        if let Some(p) = &self.assignment_ward {
            def.files.assignment.ward = Some(abs(p));
        }
        if !self.population.is_empty() {
            def.files.population = self.population.iter().map(abs).collect();
        }
        if !self.census.is_empty() {
            def.files.census = self.census.iter().map(abs).collect();
        }
        if let Some(m) = self.buffer_m {
            if !(0.0..=50_000.0).contains(&m) {
                bail!("--buffer-m: {m} is out of range; use 0 to 50000 metres");
            }
            def.buffer_m = m;
        }
        if def.local_authorities.is_empty() {
            bail!("--la: name the local authorities to keep (ONS codes, e.g. --la E08000009,E08000010)");
        }
        if def.files.postcodes.as_os_str().is_empty() {
            bail!("--postcodes: give the ONS Postcode Directory or NSPL CSV");
        }
        if def.title.is_empty() {
            bail!("--title: what the place is called (e.g. --title \"Greater Manchester\")");
        }
        Ok(def)
    }
}

/// A spinner with the elapsed time and what is being read, on a terminal only.
fn progress_line() -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {elapsed_precise} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

/// Builds the pack, printing the report.
pub fn run(args: BuildArgs) -> anyhow::Result<()> {
    let def = args.definition()?;
    if args.out.exists() && !args.force {
        bail!(
            "{} already exists; choose another --out or add --force to replace it",
            args.out.display()
        );
    }
    let started = Instant::now();
    let progress = progress_line();
    let inputs = PlaceInputs::read_telling(&def, &mut |file| {
        progress.set_message(format!(
            "reading {}",
            file.file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default()
        ));
    })?;
    progress.set_message("working out the figures");
    let place = Place::from_inputs(inputs.clone())?;
    progress.finish_and_clear();
    let report = Report::of(&place, &inputs);
    print!("{report}");

    // Written beside the target, then moved over it: a failed build leaves no half pack.
    let dir = args
        .out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    let tmp = tempfile::Builder::new()
        .prefix(".place-")
        .suffix(".gpkg")
        .tempfile_in(&dir)
        .with_context(|| format!("Cannot write in {}", dir.display()))?
        .into_temp_path();
    std::fs::remove_file(&tmp).ok();
    pack::write(&inputs, &tmp)?;
    tmp.persist(&args.out)
        .with_context(|| format!("Cannot write {}", args.out.display()))?;
    let bytes = std::fs::metadata(&args.out).map(|m| m.len()).unwrap_or(0);
    println!(
        "Wrote {} ({:.1} MB) in {:.1} s. Serve it with: assetmap --place {} serve",
        args.out.display(),
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64(),
        args.out.display()
    );
    Ok(())
}
