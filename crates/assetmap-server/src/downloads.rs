//! Downloads of the asset layer and the per-area summaries, shared by the HTTP routes
//! (`/downloads/…`, [`crate::routes::downloads`]) and the command line (`assetmap export`).
//!
//! The formats themselves live in [`assetmap_io::export`]; this module decides *which* assets
//! go out ([`Selection`]: attribute filter, bounding box, area code), adds each asset's area
//! codes from the JSNA area index, turns a [`jsna::Summary`](crate::jsna::Summary) into a
//! table, and carries the licence and attribution every file states.
//!
//! Memory stays flat as the asset count grows: assets are read in batches ([`Batches`]) —
//! from the engine by a snapshot of ids (the read lock is held only to collect ids and then
//! for each batch of clones, never while writing to a client) or from the store page by page
//! ([`AssetStore::page_after`](assetmap_store::AssetStore::page_after)) — and each is written
//! and dropped before the next batch is read.

use crate::jsna::{ColumnKind, Summary};
use crate::state::AppState;
use assetmap_core::{Asset, AssetId, LonLat};
use assetmap_index::{AreaIndex, AreaLevel, BBox, Filter};
use assetmap_io::export::{
    csv::AssetCsvWriter, geojson::FeatureCollectionWriter, gpkg::GpkgExport, AreaCodes, Cell,
    CellType, DatasetMetadata, ExportError, Table, TableColumn, TableRow,
};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

/// Assets read per batch (from the engine or the store).
pub const BATCH: usize = 1_000;

/// The licence of the bundled data and of anything exported from it.
pub const LICENCE: &str = "Open Government Licence v3.0 (OGL-3.0), https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/; allotment records (source trafford_allotments) are also under the Open Database License 1.0 (ODbL-1.0) via OpenStreetMap";

/// The attribution statement to keep with any copy or map made from an export.
pub const ATTRIBUTION: &str = "Contains public sector information licensed under the Open Government Licence v3.0. Contains OS data © Crown copyright and database right. Contains National Statistics data © Crown copyright and database right 2025. Contains Data © Sport England. Uses information from the Care Quality Commission. Allotments © OpenStreetMap contributors (ODbL). Each asset's own attribution is in its attribution field.";

/// Where the data comes from.
pub const SOURCE: &str = "assetmap community asset register: Trafford open data (Trafford Data Lab, Trafford Council, NHS, CQC, DfE, Sport England, Ordnance Survey, ONS, OpenStreetMap) with later edits";

/// A download format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    GeoJson,
    Csv,
    Gpkg,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 3] = [Format::GeoJson, Format::Csv, Format::Gpkg];

    /// The file extension, also the name on the command line.
    pub fn ext(self) -> &'static str {
        match self {
            Format::GeoJson => "geojson",
            Format::Csv => "csv",
            Format::Gpkg => "gpkg",
        }
    }

    /// Parses an extension or format name (`json` is GeoJSON).
    pub fn parse(s: &str) -> Option<Format> {
        match s.to_ascii_lowercase().as_str() {
            "geojson" | "json" => Some(Format::GeoJson),
            "csv" => Some(Format::Csv),
            "gpkg" | "geopackage" => Some(Format::Gpkg),
            _ => None,
        }
    }

    /// The media type of the file.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::GeoJson => "application/geo+json",
            Format::Csv => "text/csv; charset=utf-8",
            Format::Gpkg => "application/geopackage+sqlite3",
        }
    }
}

/// A layer of a GeoPackage export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    Assets,
    Areas(AreaLevel),
}

impl Layer {
    /// Parses `assets`, `la`, `ward`, `lsoa`, `msoa` (also `areas_ward`, `areas-ward`).
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
}

/// The layer name of a level's summary in a GeoPackage (`areas_ward`).
pub fn area_layer_name(level: AreaLevel) -> String {
    format!("areas_{}", level.slug())
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
    /// Categories, ABCD types, statuses (the HTTP layer's defaults apply).
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
    fn search_box(&self) -> Option<Option<BBox>> {
        match (&self.bbox, &self.area) {
            (None, None) => None,
            (Some(b), None) => Some(Some(*b)),
            (None, Some(a)) => Some(Some(a.bbox)),
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

/// The metadata of an asset export made today by `method`.
pub fn assets_metadata(method: &str) -> DatasetMetadata {
    DatasetMetadata {
        source: SOURCE.to_owned(),
        licence: LICENCE.to_owned(),
        attribution: Some(ATTRIBUTION.to_owned()),
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
    for src in md["sources"].as_array().into_iter().flatten() {
        if let Some(n) = src["name"].as_str() {
            sources.push(n.to_owned());
        }
        if let Some(a) = src["attribution"].as_str() {
            if !attributions.iter().any(|x: &String| x == a) {
                attributions.push(a.to_owned());
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
            SOURCE.to_owned()
        } else {
            sources.join("; ")
        },
        licence: LICENCE.to_owned(),
        attribution: Some(attributions.join(" ")),
        date: chrono::Utc::now().date_naive(),
        method: method.join("\n"),
    }
}

/// A summary as a format-neutral table (the summary's columns and rows, with geometry).
pub fn summary_table(s: &Summary) -> Table {
    Table {
        columns: s
            .columns
            .iter()
            .map(|c| TableColumn {
                name: c.name.clone(),
                ty: match c.kind {
                    ColumnKind::Text => CellType::Text,
                    ColumnKind::Integer => CellType::Integer,
                    ColumnKind::Real => CellType::Real,
                },
            })
            .collect(),
        rows: s
            .rows
            .iter()
            .map(|r| TableRow {
                geometry: r.geometry.clone(),
                cells: r
                    .cells
                    .iter()
                    .map(|c| match c {
                        crate::jsna::Cell::Null => Cell::Null,
                        crate::jsna::Cell::Text(t) => Cell::Text(t.clone()),
                        crate::jsna::Cell::Integer(i) => Cell::Integer(*i),
                        crate::jsna::Cell::Real(x) => Cell::Real(*x),
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// Writes a per-area summary in `format` to `out` (GeoJSON, CSV) or to a new file `path`
/// (GeoPackage: one layer `areas_<level>`).
pub fn write_summary<W: Write>(
    s: &Summary,
    format: Format,
    out: W,
    gpkg_path: Option<&Path>,
) -> Result<(), ExportError> {
    let table = summary_table(s);
    let md = summary_metadata(s);
    match format {
        Format::Csv => {
            assetmap_io::export::csv::write_table(out, &table)?;
        }
        Format::GeoJson => {
            let mut w = FeatureCollectionWriter::new(out, &area_layer_name(s.level), Some(&md))?;
            write_summary_features(&mut w, s)?;
            w.finish()?;
        }
        Format::Gpkg => {
            let path = gpkg_path
                .ok_or_else(|| ExportError::Data("a GeoPackage needs a file path".into()))?;
            let mut g = GpkgExport::create(path, &md)?;
            add_summary_layer(&mut g, s)?;
            g.finish()?;
        }
    }
    Ok(())
}

fn write_summary_features<W: Write>(
    w: &mut FeatureCollectionWriter<W>,
    s: &Summary,
) -> Result<(), ExportError> {
    for r in &s.rows {
        let mut props = serde_json::Map::new();
        props.insert("level".into(), s.level.slug().into());
        props.extend(r.properties(&s.columns));
        w.write_value(&serde_json::json!({
            "type": "Feature", "id": r.code, "geometry": r.geometry, "properties": props,
        }))?;
    }
    Ok(())
}

/// Adds `areas_<level>` with the summary's figures and metadata to a GeoPackage export.
pub fn add_summary_layer(g: &mut GpkgExport, s: &Summary) -> Result<(), ExportError> {
    let name = area_layer_name(s.level);
    let title = s.metadata["level_title"]
        .as_str()
        .unwrap_or(s.level.slug())
        .to_owned();
    g.add_table_layer(
        &name,
        &format!("Community assets by area: {title}"),
        s.metadata["title"].as_str().unwrap_or(""),
        &summary_table(s),
        &summary_metadata(s),
    )?;
    g.add_json_metadata(Some(&name), &s.metadata.to_string())?;
    Ok(())
}

/// Where an asset export writes: one of the three formats.
pub enum AssetSink<W: Write> {
    Csv(AssetCsvWriter<W>),
    GeoJson(FeatureCollectionWriter<W>),
    Gpkg(GpkgExport),
}

impl<W: Write> AssetSink<W> {
    /// Starts a CSV or GeoJSON export to `out`.
    pub fn stream(format: Format, out: W, md: &DatasetMetadata) -> Result<Self, ExportError> {
        match format {
            Format::Csv => Ok(AssetSink::Csv(AssetCsvWriter::new(out)?)),
            Format::GeoJson => Ok(AssetSink::GeoJson(FeatureCollectionWriter::new(
                out,
                "assets",
                Some(md),
            )?)),
            Format::Gpkg => Err(ExportError::Data(
                "a GeoPackage is written to a file: use AssetSink::gpkg".into(),
            )),
        }
    }

    /// Writes one asset.
    pub fn write(&mut self, a: &Asset, codes: &AreaCodes) -> Result<(), ExportError> {
        match self {
            AssetSink::Csv(w) => w.write(a, codes),
            AssetSink::GeoJson(w) => w.write_asset(a),
            AssetSink::Gpkg(g) => g.write_asset(a, codes),
        }
    }

    /// Finishes the file (the GeoPackage is committed; nothing else is written to it).
    pub fn finish(self) -> Result<Option<GpkgExport>, ExportError> {
        match self {
            AssetSink::Csv(w) => {
                w.finish()?;
                Ok(None)
            }
            AssetSink::GeoJson(w) => {
                w.finish()?;
                Ok(None)
            }
            AssetSink::Gpkg(g) => Ok(Some(g)),
        }
    }
}

/// A source of assets in batches: `Ok(None)` when there are no more.
pub trait Batches {
    fn next_batch(&mut self) -> anyhow::Result<Option<Vec<Asset>>>;
}

/// Batches from the engine: a snapshot of the matching ids, then clones of each batch taken
/// under a short read lock. An asset deleted meanwhile is skipped; one changed meanwhile goes
/// out as it is now (and only if it still matches).
pub struct EngineBatches {
    state: Arc<AppState>,
    ids: std::vec::IntoIter<AssetId>,
}

impl EngineBatches {
    /// Takes the snapshot of ids (in id order) under the engine's read lock.
    pub fn new(state: Arc<AppState>, sel: &Selection) -> EngineBatches {
        let ids: Vec<AssetId> = {
            let engine = state.engine();
            match sel.search_box() {
                Some(None) => Vec::new(),
                Some(Some(b)) => engine
                    .bbox(&b, &sel.filter)
                    .into_iter()
                    .map(|a| a.id.clone())
                    .collect(),
                None => engine.scan(&sel.filter).map(|a| a.id.clone()).collect(),
            }
        };
        EngineBatches {
            state,
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

impl Batches for EngineBatches {
    fn next_batch(&mut self) -> anyhow::Result<Option<Vec<Asset>>> {
        let ids: Vec<AssetId> = self.ids.by_ref().take(BATCH).collect();
        if ids.is_empty() {
            return Ok(None);
        }
        let engine = self.state.engine();
        Ok(Some(
            ids.iter()
                .filter_map(|id| engine.get(id).cloned())
                .collect(),
        ))
    }
}

/// Writes every selected asset from `source` to `sink`, with area codes; `progress` hears
/// how many assets were read so far. Returns the number written.
pub fn export_assets<W: Write>(
    source: &mut dyn Batches,
    sel: &Selection,
    index: &AreaIndex,
    sink: &mut AssetSink<W>,
    progress: &mut dyn FnMut(u64),
) -> anyhow::Result<u64> {
    let (mut read, mut written) = (0u64, 0u64);
    while let Some(batch) = source.next_batch()? {
        read += batch.len() as u64;
        written += write_batch(&batch, sel, index, sink)?;
        progress(read);
    }
    Ok(written)
}

/// Writes the selected assets of one batch; returns how many were written.
pub fn write_batch<W: Write>(
    batch: &[Asset],
    sel: &Selection,
    index: &AreaIndex,
    sink: &mut AssetSink<W>,
) -> Result<u64, ExportError> {
    let mut written = 0;
    for a in batch {
        if sel.matches(a, index) {
            sink.write(a, &area_codes(index, a.location))?;
            written += 1;
        }
    }
    Ok(written)
}

/// Writes every selected asset read straight from the store, page by page in id order
/// ([`AssetStore::page_after`](assetmap_store::AssetStore::page_after)): the command line's
/// path, with no engine, so memory does not grow with the store.
pub async fn export_from_store<W: Write>(
    store: &dyn assetmap_store::AssetStore,
    sel: &Selection,
    index: &AreaIndex,
    sink: &mut AssetSink<W>,
    progress: &mut dyn FnMut(u64),
) -> anyhow::Result<u64> {
    let (mut read, mut written) = (0u64, 0u64);
    let mut after: Option<AssetId> = None;
    loop {
        let page = store.page_after(after.as_ref(), BATCH).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id.clone());
        read += page.len() as u64;
        written += write_batch(&page, sel, index, sink)?;
        progress(read);
        if page.len() < BATCH {
            break;
        }
    }
    Ok(written)
}
