//! Export orchestration: which assets and which per-area layers go into a download, in one
//! function, [`write()`], that the HTTP downloads and `assetmap export` both call.
//!
//! The formats themselves live in [`assetmap_io::export`]; this module decides *which* assets
//! go out ([`Selection`]: attribute filter, bounding box, area code), adds each asset's area
//! codes from the place's area index, writes the per-area summaries as layers, and carries the
//! licence and attribution every file states.
//!
//! Memory stays flat as the asset count grows: assets are read in batches from an
//! [`AssetSource`] — the engine by a snapshot of ids ([`EngineBatches`]: the read lock is held
//! only to collect ids and then for each batch of clones, never while writing to a client), or
//! the store page by page (the server's command line implements that source) — and each batch
//! is written and dropped before the next is read.

use crate::error::AnalysisError;
use crate::summary::{Summary, SummaryRow};
use assetmap_core::{Asset, LonLat};
use assetmap_index::{AreaIndex, AreaLevel, BBox, Engine, Filter};
use assetmap_io::export::{
    gpkg::GpkgExport, AreaCodes, AssetSink, DatasetMetadata, ExportError, Format, TableRow,
};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

/// Assets read per batch (from the engine or the store).
pub const BATCH: usize = 1_000;

/// Licences a record may name (its `provenance.licence`, an SPDX-style identifier), in words
/// and with where to read them; any other identifier is stated as it is.
const KNOWN_LICENCES: &[(&str, &str)] = &[
    ("OGL-3.0", "Open Government Licence v3.0 (OGL-3.0), https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"),
    ("ODbL-1.0", "Open Database License 1.0 (ODbL-1.0), https://opendatacommons.org/licenses/odbl/1-0/"),
    ("CC-BY-4.0", "Creative Commons Attribution 4.0 (CC-BY-4.0), https://creativecommons.org/licenses/by/4.0/"),
    ("CC-BY-SA-4.0", "Creative Commons Attribution-ShareAlike 4.0 (CC-BY-SA-4.0), https://creativecommons.org/licenses/by-sa/4.0/"),
    ("CC0-1.0", "Creative Commons Zero 1.0 (CC0-1.0), https://creativecommons.org/publicdomain/zero/1.0/"),
];

/// A licence identifier in words ("OGL-3.0" → "Open Government Licence v3.0 (OGL-3.0), https://…").
pub fn licence_in_words(id: &str) -> String {
    KNOWN_LICENCES
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(id))
        .map_or_else(|| id.to_owned(), |(_, words)| (*words).to_owned())
}

/// Where exported assets come from, read from their own provenance (no place is assumed): each
/// source, licence and attribution statement once, the most common first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DataOrigin {
    /// Publishers (`provenance.source`).
    pub sources: Vec<String>,
    /// Licence identifiers (`provenance.licence`).
    pub licences: Vec<String>,
    /// Attribution statements (`provenance.attribution`).
    pub attributions: Vec<String>,
}

impl DataOrigin {
    /// The origin of `assets`.
    pub fn of(assets: impl IntoIterator<Item = impl std::borrow::Borrow<Asset>>) -> DataOrigin {
        use std::collections::HashMap;
        let mut sources: HashMap<String, usize> = HashMap::new();
        let mut licences: HashMap<String, usize> = HashMap::new();
        let mut attributions: HashMap<String, usize> = HashMap::new();
        for a in assets {
            let p = &a.borrow().provenance;
            for (value, counts) in [
                (&p.source, &mut sources),
                (&p.licence, &mut licences),
                (&p.attribution, &mut attributions),
            ] {
                if let Some(v) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                    match counts.get_mut(v) {
                        Some(n) => *n += 1,
                        None => {
                            counts.insert(v.to_owned(), 1);
                        }
                    }
                }
            }
        }
        let ranked = |counts: HashMap<String, usize>| {
            let mut v: Vec<(String, usize)> = counts.into_iter().collect();
            v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            v.into_iter().map(|(k, _)| k).collect()
        };
        DataOrigin {
            sources: ranked(sources),
            licences: ranked(licences),
            attributions: ranked(attributions),
        }
    }

    /// Where the data comes from, in one line.
    pub fn source(&self) -> String {
        if self.sources.is_empty() {
            "assetmap community asset register (each record's source is in its provenance)".into()
        } else {
            format!(
                "assetmap community asset register, with later edits, from: {}",
                self.sources.join("; ")
            )
        }
    }

    /// The licences, in words, each once (a record's "OGL-3.0 + ODbL-1.0" names two).
    pub fn licence(&self) -> String {
        let mut parts: Vec<&str> = Vec::new();
        for l in &self.licences {
            for part in l
                .split(['+', ',', ';'])
                .map(str::trim)
                .filter(|p| !p.is_empty())
            {
                if !parts.iter().any(|p| p.eq_ignore_ascii_case(part)) {
                    parts.push(part);
                }
            }
        }
        if parts.is_empty() {
            "as each record's provenance states (no licence is recorded)".into()
        } else {
            let words: Vec<String> = parts.iter().map(|l| licence_in_words(l)).collect();
            words.join("; ")
        }
    }

    /// The attribution statements to keep with any copy or map made from the data.
    pub fn attribution(&self) -> String {
        let mut out = String::new();
        for a in &self.attributions {
            out.push_str(a);
            if !a.ends_with(['.', '!', '?']) {
                out.push('.');
            }
            out.push(' ');
        }
        out.push_str("Each asset's own attribution is in its attribution field.");
        out
    }
}

/// A layer of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    Assets,
    Areas(AreaLevel),
}

impl Layer {
    /// Parses `assets`, `la`, `ward`, `lsoa`, `msoa` (also `areas_ward`, `areas-ward`).
    ///
    /// ```
    /// use assetmap_analysis::export::Layer;
    /// use assetmap_index::AreaLevel;
    /// assert_eq!(Layer::parse("areas-ward"), Some(Layer::Areas(AreaLevel::Ward)));
    /// assert_eq!(Layer::parse("assets"), Some(Layer::Assets));
    /// assert_eq!(Layer::parse("county"), None);
    /// ```
    pub fn parse(s: &str) -> Option<Layer> {
        if s == "assets" {
            return Some(Layer::Assets);
        }
        let level = s
            .strip_prefix("areas_")
            .or_else(|| s.strip_prefix("areas-"))
            .unwrap_or(s);
        AreaLevel::parse(level).map(Layer::Areas)
    }

    /// Parses a comma list; the error names the bad item and what is allowed.
    pub fn parse_list<'a>(items: impl IntoIterator<Item = &'a str>) -> Result<Vec<Layer>, String> {
        let mut out = Vec::new();
        for item in items {
            let l = Layer::parse(item).ok_or_else(|| {
                format!("{item:?} is not a layer; use assets, ward, lsoa, msoa or la")
            })?;
            if !out.contains(&l) {
                out.push(l);
            }
        }
        Ok(out)
    }

    /// The default layers of a GeoPackage export: the assets and the ward, LSOA and MSOA
    /// summaries.
    pub const DEFAULT_GPKG: [Layer; 4] = [
        Layer::Assets,
        Layer::Areas(AreaLevel::Ward),
        Layer::Areas(AreaLevel::Lsoa),
        Layer::Areas(AreaLevel::Msoa),
    ];

    /// The layer's name in a file: `assets`, `areas_ward`.
    pub fn name(self) -> String {
        match self {
            Layer::Assets => "assets".to_owned(),
            Layer::Areas(level) => format!("areas_{}", level.slug()),
        }
    }
}

/// The area an export is limited to.
#[derive(Debug, Clone)]
pub struct AreaChoice {
    pub level: AreaLevel,
    /// Position in `AreaIndex::areas(level)`.
    pub position: usize,
    pub code: String,
    /// The area's bounding box (to ask the R-tree first).
    pub bbox: BBox,
}

/// Which assets an export contains.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Categories, ABCD types, statuses.
    pub filter: Filter,
    /// Only assets in this box.
    pub bbox: Option<BBox>,
    /// Only assets inside this area (point in polygon, as the summaries count them).
    pub area: Option<AreaChoice>,
}

impl Selection {
    /// Resolves an ONS code of any level against the area index. The error says why.
    pub fn area_from_code(index: &AreaIndex, code: &str) -> Result<AreaChoice, String> {
        if index.areas(AreaLevel::Ward).is_empty() {
            return Err("the area index is not loaded, so there is nothing to filter by".into());
        }
        let (level, position, area) = index.find_any(code).ok_or_else(|| {
            format!("{code:?} is not the ONS code of a local authority, ward, MSOA or LSOA here")
        })?;
        let [w, s, e, n] = area.bbox();
        let bbox =
            BBox::new(w, s, e, n).map_err(|e| format!("area {code} has a bad extent: {e}"))?;
        Ok(AreaChoice {
            level,
            position,
            code: code.to_owned(),
            bbox,
        })
    }

    /// The box to ask the engine's R-tree for (the bbox, the area's box, or both intersected);
    /// `Some(None)` when they do not meet (nothing matches); `None` when there is no box.
    /// A bbox across the antimeridian is not intersected with the area's box: the area's box
    /// alone is asked for, and [`matches`](Self::matches) applies the bbox to each asset.
    fn search_box(&self) -> Option<Option<BBox>> {
        match (&self.bbox, &self.area) {
            (None, None) => None,
            (Some(b), None) => Some(Some(*b)),
            (None, Some(a)) => Some(Some(a.bbox)),
            (Some(b), Some(a)) if b.crosses_antimeridian() => Some(Some(a.bbox)),
            (Some(b), Some(a)) => Some(
                BBox::new(
                    b.west().max(a.bbox.west()),
                    b.south().max(a.bbox.south()),
                    b.east().min(a.bbox.east()),
                    b.north().min(a.bbox.north()),
                )
                .ok(),
            ),
        }
    }

    /// Whether `asset` belongs in the export (filter, box and area).
    pub fn matches(&self, asset: &Asset, index: &AreaIndex) -> bool {
        self.filter.matches(asset)
            && self.bbox.is_none_or(|b| b.contains(&asset.location))
            && self
                .area
                .as_ref()
                .is_none_or(|a| index.locate_in(a.level, asset.location) == Some(a.position))
    }
}

/// The codes and names of the areas containing `at`.
pub fn area_codes(index: &AreaIndex, at: LonLat) -> AreaCodes {
    let found = index.locate(at);
    let code = |l: AreaLevel| found.get(l).map(|a| a.code().to_owned());
    let name = |l: AreaLevel| found.get(l).map(|a| a.name().to_owned());
    AreaCodes {
        la_code: code(AreaLevel::La),
        la_name: name(AreaLevel::La),
        ward_code: code(AreaLevel::Ward),
        ward_name: name(AreaLevel::Ward),
        msoa_code: code(AreaLevel::Msoa),
        msoa_name: name(AreaLevel::Msoa),
        lsoa_code: code(AreaLevel::Lsoa),
        lsoa_name: name(AreaLevel::Lsoa),
    }
}

/// The metadata of an asset export made today by `method`, of assets from `origin`.
pub fn assets_metadata(method: &str, origin: &DataOrigin) -> DatasetMetadata {
    DatasetMetadata {
        source: origin.source(),
        licence: origin.licence(),
        attribution: Some(origin.attribution()),
        date: chrono::Utc::now().date_naive(),
        method: format!(
            "{method}. One row per asset as held by the store; area codes by point in polygon (interior only, as PostGIS ST_Contains; wards 2023 at full resolution, LSOA and MSOA 2021 generalised); coordinates WGS84 longitude, latitude."
        ),
    }
}

/// The metadata of a per-area summary (from the summary's own metadata).
pub fn summary_metadata(s: &Summary) -> DatasetMetadata {
    let md = &s.metadata;
    let mut sources = Vec::new();
    let mut attributions = Vec::new();
    let mut licences: Vec<String> = Vec::new();
    for src in md["sources"].as_array().into_iter().flatten() {
        if let Some(n) = src["name"].as_str() {
            sources.push(n.to_owned());
        }
        if let Some(a) = src["attribution"].as_str() {
            if !attributions.iter().any(|x: &String| x == a) {
                attributions.push(a.to_owned());
            }
        }
        if let Some(l) = src["licence"].as_str() {
            let words = licence_in_words(l);
            if !licences.contains(&words) {
                licences.push(words);
            }
        }
    }
    let mut method = Vec::new();
    for (k, v) in md["method"].as_object().into_iter().flatten() {
        if let Some(t) = v.as_str() {
            method.push(format!("{k}: {t}"));
        }
    }
    for c in md["caveats"].as_array().into_iter().flatten() {
        if let Some(t) = c.as_str() {
            method.push(format!("caveat: {t}"));
        }
    }
    DatasetMetadata {
        source: if sources.is_empty() {
            "assetmap per-area figures".to_owned()
        } else {
            sources.join("; ")
        },
        licence: if licences.is_empty() {
            "as each source states".to_owned()
        } else {
            licences.join("; ")
        },
        attribution: Some(attributions.join(" ")),
        // The day the figures were made (its method states the 12 months' cutoff from it).
        date: s.today,
        method: method.join("\n"),
    }
}

/// The extra properties of an area feature (`level`).
fn area_properties(s: &Summary) -> serde_json::Map<String, serde_json::Value> {
    let mut extra = serde_json::Map::new();
    extra.insert("level".into(), s.level.slug().into());
    extra
}

/// One area of a summary as a GeoJSON feature (`id` = code; properties `level` and every
/// figure), as `/collections/areas-<level>/items` serves it and the GeoJSON download writes it.
pub fn area_feature(s: &Summary, row: &SummaryRow) -> serde_json::Value {
    assetmap_io::export::geojson::row_feature(
        &s.table_columns(),
        &TableRow {
            geometry: row.geometry.clone(),
            cells: row.cells.clone(),
        },
        Some("code"),
        &area_properties(s),
    )
}

/// Writes a per-area summary as CSV or GeoJSON to `out`.
pub fn write_summary<W: Write>(s: &Summary, format: Format, out: W) -> Result<W, ExportError> {
    let table = s.table();
    match format {
        Format::Csv => assetmap_io::export::csv::write_table(out, &table),
        Format::GeoJson => assetmap_io::export::geojson::write_table(
            out,
            &Layer::Areas(s.level).name(),
            &table,
            Some("code"),
            &area_properties(s),
            Some(&summary_metadata(s)),
        ),
        Format::Gpkg => Err(ExportError::Data(
            "a GeoPackage is written to a file: use write with Output::GeoPackage".into(),
        )),
    }
}

/// Writes one per-area summary as a file of its own: a GeoPackage whose metadata is the
/// summary's (one layer `areas_<level>`), or CSV / GeoJSON.
pub fn write_area_file<W: Write>(output: Output<'_, W>, s: &Summary) -> Result<(), AnalysisError> {
    match output {
        Output::GeoPackage(path) => {
            let mut g = GpkgExport::create(path, &summary_metadata(s))?;
            add_summary_layer(&mut g, s)?;
            g.finish()?;
        }
        Output::Stream(format, out) => {
            let mut out = write_summary(s, format, out)?;
            out.flush().map_err(ExportError::Io)?;
        }
    }
    Ok(())
}

/// Adds `areas_<level>` with the summary's figures and metadata to a GeoPackage export.
fn add_summary_layer(g: &mut GpkgExport, s: &Summary) -> Result<(), ExportError> {
    let name = Layer::Areas(s.level).name();
    let title = s.metadata["level_title"]
        .as_str()
        .unwrap_or(s.level.slug())
        .to_owned();
    g.add_table_layer(
        &name,
        &format!("Community assets by area: {title}"),
        s.metadata["title"].as_str().unwrap_or(""),
        &s.table(),
        &summary_metadata(s),
    )?;
    g.add_json_metadata(Some(&name), &s.metadata.to_string())?;
    Ok(())
}

/// A source of assets in batches, in id order.
pub trait AssetSource {
    /// The next batch; `Ok(None)` when there are no more.
    fn next_batch(&mut self) -> Result<Option<Vec<Asset>>, AnalysisError>;
}

/// Read access to an engine behind a lock (the server's state, or a lone engine).
pub trait EngineView: Send + Sync {
    /// Runs `f` on the engine under a read lock.
    fn with_engine<T>(&self, f: impl FnOnce(&Engine) -> T) -> T;
}

impl EngineView for std::sync::RwLock<Engine> {
    fn with_engine<T>(&self, f: impl FnOnce(&Engine) -> T) -> T {
        f(&self.read().unwrap_or_else(|p| p.into_inner()))
    }
}

/// Batches from the engine: a snapshot of the matching ids, then clones of each batch taken
/// under a short read lock. An asset deleted meanwhile is skipped; one changed meanwhile goes
/// out as it is now (and only if it still matches).
pub struct EngineBatches<E: EngineView> {
    engine: Arc<E>,
    ids: std::vec::IntoIter<Box<str>>,
}

impl<E: EngineView> EngineBatches<E> {
    /// Takes the snapshot of ids (in id order) under the engine's read lock.
    pub fn new(engine: Arc<E>, sel: &Selection) -> Self {
        let ids: Vec<Box<str>> = engine.with_engine(|engine| match sel.search_box() {
            Some(None) => Vec::new(),
            Some(Some(b)) => engine
                .bbox_ids(&b, &sel.filter)
                .into_iter()
                .map(Box::from)
                .collect(),
            None => engine.scan_ids(&sel.filter).map(Box::from).collect(),
        });
        EngineBatches {
            engine,
            ids: ids.into_iter(),
        }
    }

    /// How many ids the snapshot holds (an upper bound of the rows).
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when the snapshot is empty.
    pub fn is_empty(&self) -> bool {
        self.ids.len() == 0
    }
}

impl<E: EngineView> AssetSource for EngineBatches<E> {
    fn next_batch(&mut self) -> Result<Option<Vec<Asset>>, AnalysisError> {
        let ids: Vec<Box<str>> = self.ids.by_ref().take(BATCH).collect();
        if ids.is_empty() {
            return Ok(None);
        }
        Ok(Some(self.engine.with_engine(|engine| {
            ids.iter().filter_map(|id| engine.get(id)).collect()
        })))
    }
}

/// Where an export goes.
pub enum Output<'a, W: Write> {
    /// A GeoPackage file, created at this path (it must not exist); any number of layers.
    GeoPackage(&'a Path),
    /// One layer as CSV or GeoJSON, streamed to a writer.
    Stream(Format, W),
}

/// What an export is made of: the layers, which assets, the metadata of the asset layer, and
/// the area index that gives each asset its area codes.
pub struct Export<'a> {
    pub layers: &'a [Layer],
    pub selection: &'a Selection,
    pub metadata: &'a DatasetMetadata,
    pub areas: &'a AreaIndex,
}

/// A layer written: its name and how many rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerWritten {
    pub name: String,
    pub rows: u64,
}

/// Writes an export: the asset layer from `source` (selected by [`Export::selection`]), the
/// area layers from `summary` (called once per level asked for). `progress` hears how many
/// assets were read so far. A stream holds exactly one layer.
pub fn write<W: Write>(
    output: Output<'_, W>,
    export: &Export<'_>,
    source: &mut dyn AssetSource,
    summary: &mut dyn FnMut(AreaLevel) -> Result<Summary, AnalysisError>,
    progress: &mut dyn FnMut(u64),
) -> Result<Vec<LayerWritten>, AnalysisError> {
    let mut written = Vec::new();
    match output {
        Output::GeoPackage(path) => {
            let mut g = GpkgExport::create(path, export.metadata)?;
            for layer in export.layers {
                match layer {
                    Layer::Assets => {
                        g.begin_assets(export.metadata)?;
                        let mut sink: AssetSink<std::io::Sink> = AssetSink::Gpkg(g);
                        let rows = write_assets(source, export, &mut sink, progress)?;
                        g = sink.finish()?.ok_or_else(|| {
                            AnalysisError::Export(ExportError::Data(
                                "the GeoPackage writer went missing".into(),
                            ))
                        })?;
                        written.push(LayerWritten {
                            name: layer.name(),
                            rows,
                        });
                    }
                    Layer::Areas(level) => {
                        let s = summary(*level)?;
                        add_summary_layer(&mut g, &s)?;
                        written.push(LayerWritten {
                            name: layer.name(),
                            rows: s.rows.len() as u64,
                        });
                    }
                }
            }
            g.finish()?;
        }
        Output::Stream(format, out) => {
            let [layer] = export.layers else {
                return Err(AnalysisError::Request(format!(
                    "a {} file holds one layer; export one at a time or use gpkg",
                    format.ext()
                )));
            };
            let rows = match layer {
                Layer::Assets => {
                    let mut sink = AssetSink::stream(format, out, export.metadata)?;
                    let rows = write_assets(source, export, &mut sink, progress)?;
                    sink.finish()?;
                    rows
                }
                Layer::Areas(level) => {
                    let s = summary(*level)?;
                    let mut out = write_summary(&s, format, out)?;
                    out.flush().map_err(ExportError::Io)?;
                    s.rows.len() as u64
                }
            };
            written.push(LayerWritten {
                name: layer.name(),
                rows,
            });
        }
    }
    Ok(written)
}

/// Writes every selected asset from `source` to `sink`, with area codes. Returns the number
/// written.
fn write_assets<W: Write>(
    source: &mut dyn AssetSource,
    export: &Export<'_>,
    sink: &mut AssetSink<W>,
    progress: &mut dyn FnMut(u64),
) -> Result<u64, AnalysisError> {
    let (mut read, mut written) = (0u64, 0u64);
    while let Some(batch) = source.next_batch()? {
        read += batch.len() as u64;
        for a in &batch {
            if export.selection.matches(a, export.areas) {
                sink.write(a, &area_codes(export.areas, a.location))?;
                written += 1;
            }
        }
        progress(read);
    }
    Ok(written)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_origin_of_assets_is_read_from_their_provenance() {
        let mut assets = assetmap_synthetic::assets(3, 5);
        let set = |a: &mut Asset, source: &str, licence: &str, attribution: &str| {
            a.provenance.source = Some(source.into());
            a.provenance.licence = Some(licence.into());
            a.provenance.attribution = Some(attribution.into());
        };
        set(
            &mut assets[0],
            "Anytown Council",
            "OGL-3.0",
            "Contains public sector information",
        );
        set(
            &mut assets[1],
            "Anytown Council",
            "OGL-3.0",
            "Contains public sector information",
        );
        set(
            &mut assets[2],
            "OpenStreetMap",
            "OGL-3.0 + ODbL-1.0",
            "© OpenStreetMap contributors.",
        );
        set(&mut assets[3], "Friends of the Park", "LicenceRef-own", "");
        assets[4].provenance = Default::default();
        let origin = DataOrigin::of(&assets);
        // The most common first; empty statements left out; no place assumed.
        assert_eq!(
            origin.sources,
            ["Anytown Council", "Friends of the Park", "OpenStreetMap"]
        );
        assert_eq!(
            origin.licences,
            ["OGL-3.0", "LicenceRef-own", "OGL-3.0 + ODbL-1.0"]
        );
        let licence = origin.licence();
        assert!(
            licence.starts_with("Open Government Licence v3.0 (OGL-3.0), https://"),
            "{licence}"
        );
        assert!(
            licence.contains("; LicenceRef-own; Open Database License 1.0 (ODbL-1.0)"),
            "{licence}"
        );
        // Each licence once, a combined one in its parts.
        assert_eq!(licence.matches("(OGL-3.0)").count(), 1, "{licence}");
        assert_eq!(
            origin.attribution(),
            "Contains public sector information. © OpenStreetMap contributors. Each asset's own attribution is in its attribution field."
        );
        assert!(origin
            .source()
            .contains("from: Anytown Council; Friends of the Park; OpenStreetMap"));
        // Nothing recorded: said so, not made up.
        let none = DataOrigin::of(&assets[4..]);
        assert!(none.licence().contains("no licence is recorded"));
        assert!(!none.source().contains("from:"));
    }
}
