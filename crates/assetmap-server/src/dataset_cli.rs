//! `assetmap dataset build|check`: the bundled dataset made by the importer. Every mapping file
//! in a directory (`[source] file` names its table) is read with the same reader `assetmap
//! import --mapping` uses, with the place's postcode table and areas; the assets are written as
//! one GeoJSON FeatureCollection, deterministically (mapping files in name order, records in
//! file order, keys sorted, one feature per line, no timestamps).

use crate::config::Settings;
use crate::startup;
use anyhow::{bail, Context};
use assetmap_core::Asset;
use assetmap_io::duplicates::{probable_duplicates, ProbableDuplicate};
use assetmap_io::mapping::{read_mapped_file_with, MapContext, Mapping};
use assetmap_io::ImportProblem;
use clap::{Args, Subcommand};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// `assetmap dataset …`.
#[derive(Debug, Subcommand)]
pub enum DatasetCommand {
    /// Run every mapping through the importer's reader and write the dataset, with a summary
    /// per source.
    Build(DatasetArgs),
    /// Exit non-zero if the committed dataset is not what the mappings give.
    Check(DatasetArgs),
}

/// Where the mappings are and where the dataset goes.
#[derive(Debug, Args)]
pub struct DatasetArgs {
    /// The directory of mapping files (default: `<data dir>/sources/trafford/mappings`).
    #[arg(long, value_name = "DIR")]
    pub mappings: Option<PathBuf>,
    /// The dataset file (default: `<data dir>/trafford/assets.geojson`).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// What one mapping gave.
#[derive(Debug, Clone, Default)]
pub struct SourceSummary {
    /// The mapping file's name.
    pub mapping: String,
    /// The table it reads.
    pub file: String,
    /// `Some(reason)` when the mapping says the file is not imported.
    pub not_imported: Option<String>,
    /// Records in the table.
    pub records: usize,
    /// Assets made.
    pub imported: usize,
    /// Records rejected, with every problem.
    pub problems: Vec<ImportProblem>,
    /// Records rejected.
    pub rejected: usize,
    /// Records left out by the mapping's filter.
    pub left_out: Vec<ImportProblem>,
    /// Values dropped by the mapping's clean-ups.
    pub dropped: Vec<ImportProblem>,
    /// Assets with each enrichment (`description`, `opening times`, `ages`, `phone`, …).
    pub with: BTreeMap<&'static str, usize>,
}

/// The dataset and how each source went.
#[derive(Debug, Clone, Default)]
pub struct Built {
    /// The FeatureCollection's text.
    pub text: String,
    /// The assets, in file order.
    pub assets: Vec<Asset>,
    /// One per mapping file, in name order.
    pub sources: Vec<SourceSummary>,
    /// Probable duplicates across sources (each pair once, the smaller id first), for a
    /// person to review: the dataset keeps both.
    pub duplicates: Vec<ProbableDuplicate>,
}

/// The counts a summary shows for each asset.
fn enrichment(a: &Asset) -> Vec<&'static str> {
    let v = serde_json::to_value(a).unwrap_or(Value::Null);
    let has = |p: &str| v.pointer(p).is_some_and(|x| !x.is_null());
    let non_empty = |p: &str| {
        v.pointer(p)
            .and_then(Value::as_array)
            .is_some_and(|x| !x.is_empty())
    };
    let mut out = Vec::new();
    if has("/description") {
        out.push("description");
    }
    if non_empty("/opening_times/periods") {
        out.push("opening times");
    }
    if has("/audience/min_age") || has("/audience/max_age") {
        out.push("ages");
    }
    if has("/audience/description") {
        out.push("audience");
    }
    for c in ["phone", "email", "website"] {
        if has(&format!("/contact/{c}")) {
            out.push(c);
        }
    }
    if has("/cost") {
        out.push("cost");
    }
    if non_empty("/access") {
        out.push("access");
    }
    if v.pointer("/access")
        .and_then(Value::as_array)
        .is_some_and(|a| a.iter().any(|x| x == "step_free"))
    {
        out.push("step-free");
    }
    out
}

/// Reads every mapping in `dir` with `place` and makes the dataset.
pub fn build(dir: &Path, place: &assetmap_place::Place) -> anyhow::Result<Built> {
    let mut mappings: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("Failed to read the mappings directory {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    mappings.sort();
    let geocode = |pc: &assetmap_core::Postcode| place.postcode(pc).map(|p| p.at);
    let inside = |at| place.contains(at);
    let ctx = MapContext {
        geocode: &geocode,
        inside_place: Some(&inside),
    };
    // Assets carry no timestamps in the file; any fixed time will do.
    let now = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
    let mut built = Built::default();
    let mut ranges: Vec<std::ops::Range<usize>> = Vec::new();
    for path in mappings {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("Failed to read {}", path.display()))?;
        let mapping = Mapping::from_toml(&text).map_err(|e| {
            anyhow::anyhow!("The mapping file {} is not valid: {e}", path.display())
        })?;
        let mut summary = SourceSummary {
            mapping: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            file: mapping.source.file.clone().unwrap_or_default(),
            ..SourceSummary::default()
        };
        let Some(file) = &mapping.source.file else {
            bail!("{}: [source] file must name the table", path.display());
        };
        if !mapping.source.import {
            summary.not_imported = mapping.source.reason.clone();
            built.sources.push(summary);
            continue;
        }
        let table = path.parent().unwrap_or(Path::new(".")).join(file);
        let read = read_mapped_file_with(&table, &mapping, &ctx, now)
            .map_err(|e| anyhow::anyhow!("{}: {e}", table.display()))?;
        summary.records = read.records;
        summary.imported = read.assets.len();
        summary.rejected = read.rejected;
        summary.problems = read.problems;
        summary.left_out = read.left_out;
        summary.dropped = read.dropped;
        for a in &read.assets {
            for k in enrichment(a) {
                *summary.with.entry(k).or_default() += 1;
            }
        }
        let first = built.assets.len();
        built.assets.extend(read.assets);
        ranges.push(first..built.assets.len());
        built.sources.push(summary);
    }
    // Each source's assets against every other source's.
    for range in &ranges {
        let mine: Vec<&Asset> = built.assets[range.clone()].iter().collect();
        let others: Vec<&Asset> = built
            .assets
            .iter()
            .enumerate()
            .filter(|(i, _)| !range.contains(i))
            .map(|(_, a)| a)
            .collect();
        built.duplicates.extend(
            probable_duplicates(&mine, &others)
                .into_iter()
                .filter(|d| d.id < d.other_id),
        );
    }
    built
        .duplicates
        .sort_by(|a, b| (&a.id, &a.other_id).cmp(&(&b.id, &b.other_id)));
    let lines: Vec<String> = built.assets.iter().map(feature_line).collect();
    built.text = format!(
        "{{\"features\":[\n{}\n],\"type\":\"FeatureCollection\"}}\n",
        lines.join(",\n")
    );
    Ok(built)
}

/// Drops nulls, `false`, empty strings, arrays and objects (what a draft leaves out).
fn prune(v: Value) -> Option<Value> {
    match v {
        Value::Null | Value::Bool(false) => None,
        Value::String(s) if s.is_empty() => None,
        Value::Array(a) if a.is_empty() => None,
        Value::Object(o) => {
            let o: serde_json::Map<String, Value> = o
                .into_iter()
                .filter_map(|(k, v)| prune(v).map(|v| (k, v)))
                .collect();
            (!o.is_empty()).then_some(Value::Object(o))
        }
        other => Some(other),
    }
}

/// JSON with object keys sorted, compact.
fn sorted_json(v: &Value, out: &mut String) {
    match v {
        Value::Object(o) => {
            let mut keys: Vec<&String> = o.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                sorted_json(&o[k], out);
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                sorted_json(x, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// One feature: the asset as a draft (no server-managed fields, no default status).
fn feature_line(a: &Asset) -> String {
    let mut f = assetmap_io::asset_to_feature(a);
    if let Some(p) = f.get_mut("properties").and_then(Value::as_object_mut) {
        for k in ["created_at", "updated_at", "version"] {
            p.remove(k);
        }
        if p.get("status").and_then(Value::as_str) == Some("active") {
            p.remove("status");
        }
    }
    let f = prune(f).unwrap_or(Value::Null);
    let mut out = String::new();
    sorted_json(&f, &mut out);
    out
}

/// The summary, as printed.
pub fn summary_text(built: &Built) -> String {
    let mut out = String::new();
    for s in &built.sources {
        if let Some(why) = &s.not_imported {
            out.push_str(&format!(
                "{} ({}): not imported: {why}\n",
                s.mapping, s.file
            ));
            continue;
        }
        out.push_str(&format!(
            "{} ({}): {} records, {} imported, {} rejected, {} left out, {} values dropped\n",
            s.mapping,
            s.file,
            s.records,
            s.imported,
            s.rejected,
            s.left_out.len(),
            s.dropped.len()
        ));
        let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
        for p in &s.left_out {
            let why = if p.reason.contains("postcode table") {
                "postcode not in the place's postcode table"
            } else if p.reason.contains("cannot be placed") {
                "no valid postcode or coordinates to place it by"
            } else {
                "outside the place"
            };
            *reasons.entry(format!("left out: {why}")).or_default() += 1;
        }
        for p in &s.dropped {
            *reasons.entry(format!("dropped {}", p.field)).or_default() += 1;
        }
        for (why, n) in reasons {
            out.push_str(&format!("  {why}: {n}\n"));
        }
        for p in &s.problems {
            out.push_str(&format!(
                "  record {}: {}: {}\n",
                p.record, p.field, p.reason
            ));
        }
        if !s.with.is_empty() {
            let with: Vec<String> = s.with.iter().map(|(k, n)| format!("{k} {n}")).collect();
            out.push_str(&format!("  with: {}\n", with.join(", ")));
        }
    }
    out.push_str(&format!("{} assets\n", built.assets.len()));
    out.push_str(&format!(
        "{} probable duplicates across sources (kept, for review):\n",
        built.duplicates.len()
    ));
    for d in &built.duplicates {
        out.push_str(&format!(
            "  {} {:?} ~ {} {:?} ({} m apart{}, names {:.2} alike)\n",
            d.id,
            d.name,
            d.other_id,
            d.other_name,
            d.distance_m,
            if d.same_postcode {
                ", same postcode"
            } else {
                ""
            },
            d.name_similarity
        ));
    }
    out
}

/// Runs `assetmap dataset …`.
pub fn run(settings: &Settings, command: DatasetCommand) -> anyhow::Result<()> {
    let (args, check) = match command {
        DatasetCommand::Build(a) => (a, false),
        DatasetCommand::Check(a) => (a, true),
    };
    // By default, the bundled place's register and its mappings (`[dataset]` in place.toml).
    let bundled = startup::bundled_dataset(&settings.data_dir)?.1;
    let missing = |what: &str| {
        anyhow::anyhow!(
            "No {what}: give --{what}, or name it under [dataset] in {}",
            settings.data_dir.join("place.toml").display()
        )
    };
    let dir = match args.mappings {
        Some(d) => d,
        None => bundled
            .as_ref()
            .and_then(|d| d.mappings.clone())
            .ok_or_else(|| missing("mappings"))?,
    };
    let out = match args.out {
        Some(o) => o,
        None => bundled
            .as_ref()
            .map(|d| d.assets.clone())
            .ok_or_else(|| missing("out"))?,
    };
    let place = startup::load_place(settings)?;
    let built = build(&dir, &place)?;
    let rejected: usize = built.sources.iter().map(|s| s.rejected).sum();
    print!("{}", summary_text(&built));
    if rejected > 0 {
        bail!("{rejected} records are rejected (listed above); the dataset was not written");
    }
    if check {
        let current = std::fs::read(&out).unwrap_or_default();
        if current != built.text.as_bytes() {
            bail!(
                "{} is not what the mappings in {} give: run `assetmap dataset build`",
                out.display(),
                dir.display()
            );
        }
        println!("{} is up to date", out.display());
        return Ok(());
    }
    std::fs::write(&out, &built.text)
        .with_context(|| format!("Failed to write {}", out.display()))?;
    println!("wrote {}", out.display());
    Ok(())
}
