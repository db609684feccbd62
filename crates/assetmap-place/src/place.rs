//! [`Place`]: everything about the area served that is not an asset.

use crate::definition::{Notes, PlaceDefinition, Source};
use crate::error::PlaceError;
use crate::figures::{AreaData, BestFit, NeedCounts, Population};
use crate::read;
use crate::read::PostcodeRow;
use assetmap_core::{LonLat, Postcode};
use assetmap_index::{AreaIndex, AreaInput, AreaLevel, BBox};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

/// What the postcode table knows of one postcode.
#[derive(Debug, Clone, PartialEq)]
pub struct PostcodeInfo {
    /// The postcode in standard form (`M33 7XY`).
    pub postcode: String,
    /// The postcode's centroid (WGS84).
    pub at: LonLat,
    pub la_code: String,
    pub ward_code: String,
    pub ward_name: String,
    pub lsoa_code: String,
    pub msoa_code: String,
    /// The postcode is no longer in use: it still geocodes (an old letter, an old record),
    /// but it is not counted as where people live.
    pub terminated: bool,
}

/// How a level of geography is named for people.
#[derive(Debug, Clone, Default)]
struct LevelNames {
    /// `Electoral wards`.
    noun: &'static str,
    /// The boundaries' vintage, `2023` (empty when not known).
    vintage: String,
}

impl LevelNames {
    fn new(noun: &'static str, vintage: String) -> LevelNames {
        LevelNames { noun, vintage }
    }
}

/// For each key (an area), the value (an authority) it is paired with most often; ties to the
/// lowest value.
fn majority(counts: &BTreeMap<(String, String), usize>) -> HashMap<String, String> {
    let mut best: HashMap<String, (String, usize)> = HashMap::new();
    for ((key, value), &n) in counts {
        match best.get(key) {
            Some((_, m)) if *m >= n => {}
            _ => {
                best.insert(key.clone(), (value.clone(), n));
            }
        }
    }
    best.into_iter().map(|(k, (v, _))| (k, v)).collect()
}

/// The place served: its areas at every level (boundaries for drawing and polygons for point in
/// area), the postcode table, population, census need and how LSOAs fit wards. Loaded once and
/// shared (read-only) by search, the per-area figures and the exports.
#[derive(Debug, Default)]
pub struct Place {
    /// The area polygons for assignment (point in polygon): wards at full resolution, the local
    /// authority as the union of its wards, LSOAs and MSOAs generalised.
    pub areas: AreaIndex,
    /// Per level (in [`AreaLevel::ALL`] order), aligned with `areas.areas(level)`.
    data: [Vec<AreaData>; 4],
    /// Per level, the generalised boundaries as GeoJSON features sorted by code (what is served
    /// and drawn).
    boundaries: [Vec<Value>; 4],
    /// The same generalised boundaries as polygons, for the served collections' `bbox` filter
    /// and extents (what is tested is what is served).
    served: AreaIndex,
    /// Every postcode with a valid point, in table order: the proxy for where people live.
    postcodes: Vec<PostcodeInfo>,
    /// Postcode (standard form) → position in `postcodes`.
    by_postcode: HashMap<String, u32>,
    /// How LSOAs were fitted to wards.
    pub best_fit: BestFit,
    /// The authorities served, `(code, name)`, in the definition's order.
    local_authorities: Vec<(String, String)>,
    names: [LevelNames; 4],
    title: String,
    attribution: String,
    sources: Vec<Source>,
    notes: Notes,
}

pub(crate) fn level_index(level: AreaLevel) -> usize {
    match level {
        AreaLevel::La => 0,
        AreaLevel::Ward => 1,
        AreaLevel::Msoa => 2,
        AreaLevel::Lsoa => 3,
    }
}

impl Place {
    /// Loads the place described by `data_dir/place.toml` (the bundled one: Trafford).
    pub fn load(data_dir: &Path) -> Result<Place, PlaceError> {
        Place::build(&PlaceDefinition::read(&data_dir.join("place.toml"))?)
    }

    /// Builds a place from its definition: reads the files it names, keeps what belongs to its
    /// local authorities, and works out the figures (see the crate README for the rules).
    pub fn build(def: &PlaceDefinition) -> Result<Place, PlaceError> {
        Place::from_inputs(PlaceInputs::read(def)?)
    }

    /// Builds a place from what was read for it (from files, or from a pack).
    pub fn from_inputs(inputs: PlaceInputs) -> Result<Place, PlaceError> {
        let PlaceInputs {
            definition: def,
            boundaries,
            assignment,
            postcodes: rows,
            population,
            census,
            manifest: _,
        } = inputs;
        let (ward_to_la, lsoa_to_la) = authorities_of(&rows);
        let served = AreaIndex::new(
            AreaLevel::ALL
                .into_iter()
                .map(|level| {
                    let inputs = boundaries[level_index(level)]
                        .iter()
                        .map(served_input)
                        .collect::<Result<Vec<_>, _>>()?;
                    Ok((level, inputs))
                })
                .collect::<Result<Vec<_>, PlaceError>>()?,
        )
        .map_err(|e| PlaceError::context("The generalised boundaries are not valid polygons", e))?;
        let local_authorities: Vec<(String, String)> = def
            .local_authorities
            .iter()
            .map(|code| {
                boundaries[level_index(AreaLevel::La)]
                    .iter()
                    .find(|f| f["id"].as_str() == Some(code))
                    .and_then(|f| f["properties"]["name"].as_str())
                    .map(|name| (code.clone(), name.to_owned()))
                    .ok_or_else(|| {
                        PlaceError::new(format!(
                            "The local authority boundaries have no area {code}"
                        ))
                    })
            })
            .collect::<Result<_, _>>()?;

        // Polygons for assignment. Each local authority is the union of its wards (its own
        // outline would disagree with the wards near the border).
        let [_, wards, msoas, lsoas] = assignment;
        let la_inputs = local_authorities
            .iter()
            .map(|(code, name)| AreaInput {
                code: code.clone(),
                name: name.clone(),
                polygons: wards
                    .iter()
                    .filter(|w| ward_to_la.get(&w.code) == Some(code))
                    .flat_map(|w| w.polygons.clone())
                    .collect(),
            })
            .collect();
        let areas = AreaIndex::new(vec![
            (AreaLevel::La, la_inputs),
            (AreaLevel::Ward, wards),
            (AreaLevel::Msoa, msoas),
            (AreaLevel::Lsoa, lsoas),
        ])
        .map_err(|e| PlaceError::context("The boundaries are not valid polygons", e))?;

        let mut data: [Vec<AreaData>; 4] = Default::default();
        for level in AreaLevel::ALL {
            data[level_index(level)] = vec![AreaData::default(); areas.areas(level).len()];
        }

        // Postcodes: points, and membership by the ONS codes in the table.
        let mut postcodes = Vec::with_capacity(rows.len());
        let mut by_postcode = HashMap::with_capacity(rows.len());
        let mut lsoa_msoa: HashMap<String, String> = HashMap::new();
        let mut lsoa_ward_counts: BTreeMap<(String, String), usize> = BTreeMap::new();
        let mut residential = 0usize;
        for row in rows {
            let (Some(lon), Some(lat)) = (row.lon, row.lat) else {
                continue;
            };
            let Ok(at) = LonLat::new(lon, lat) else {
                continue;
            };
            let pos = u32::try_from(postcodes.len())
                .map_err(|_| PlaceError::new("too many postcodes (more than 4 billion)"))?;
            // Where people live: live postcodes of the authorities (not terminated ones, nor
            // the neighbours' kept within the buffer, which only geocode).
            let lives_here =
                !row.terminated && local_authorities.iter().any(|(c, _)| *c == row.la_code);
            if lives_here {
                for (level, code) in [
                    (AreaLevel::La, &row.la_code),
                    (AreaLevel::Ward, &row.ward_code),
                    (AreaLevel::Msoa, &row.msoa_code),
                    (AreaLevel::Lsoa, &row.lsoa_code),
                ] {
                    if let Some((i, _)) = areas.find(level, code) {
                        data[level_index(level)][i].postcodes.push(pos);
                    }
                }
                lsoa_msoa.insert(row.lsoa_code.clone(), row.msoa_code.clone());
                *lsoa_ward_counts
                    .entry((row.lsoa_code.clone(), row.ward_code.clone()))
                    .or_default() += 1;
                residential += 1;
            }
            let standard = Postcode::parse(&row.postcode).ok().map(|p| p.to_string());
            if let Some(s) = &standard {
                by_postcode.insert(s.clone(), pos);
            }
            postcodes.push(PostcodeInfo {
                postcode: standard.unwrap_or(row.postcode),
                at,
                la_code: row.la_code,
                ward_code: row.ward_code,
                ward_name: row.ward_name,
                lsoa_code: row.lsoa_code,
                msoa_code: row.msoa_code,
                terminated: row.terminated,
            });
        }

        // Best fit: each LSOA to the ward holding most of its postcodes (ties: lowest code).
        let mut best_fit = BestFit {
            postcodes: residential,
            ..BestFit::default()
        };
        let mut per_lsoa: BTreeMap<&str, Vec<(&str, usize)>> = BTreeMap::new();
        for ((lsoa, ward), n) in &lsoa_ward_counts {
            per_lsoa.entry(lsoa).or_default().push((ward, *n));
        }
        for (lsoa, wards) in per_lsoa {
            let total: usize = wards.iter().map(|w| w.1).sum();
            let Some(&(ward, n)) = wards
                .iter()
                .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(a.0)))
            else {
                continue;
            };
            if wards.len() > 1 {
                best_fit.split_lsoas += 1;
            }
            best_fit.postcodes_outside_best_fit += total - n;
            best_fit
                .lsoa_to_ward
                .insert(lsoa.to_owned(), ward.to_owned());
        }

        // Population: whatever levels the files have; an authority without its own row is the
        // sum of its LSOAs.
        for level in AreaLevel::ALL {
            for (i, area) in areas.areas(level).iter().enumerate() {
                data[level_index(level)][i].population = population.get(area.code()).copied();
            }
        }
        for (i, (la, _)) in local_authorities.iter().enumerate() {
            if data[level_index(AreaLevel::La)][i].population.is_some() {
                continue;
            }
            let mut sum = Population::default();
            for (j, lsoa) in areas.areas(AreaLevel::Lsoa).iter().enumerate() {
                if lsoa_to_la.get(lsoa.code()) == Some(la) {
                    if let Some(p) = data[level_index(AreaLevel::Lsoa)][j].population {
                        sum += p;
                    }
                }
            }
            data[level_index(AreaLevel::La)][i].population = Some(sum);
        }

        // Need: by LSOA; summed to MSOA (nesting), ward (best fit) and the authority.
        let mut without_census = Vec::new();
        for lsoa in areas.areas(AreaLevel::Lsoa) {
            let Some(counts) = census.get(lsoa.code()) else {
                without_census.push(lsoa.code().to_owned());
                continue;
            };
            let code = lsoa.code().to_owned();
            for (level, code) in [
                (AreaLevel::Lsoa, Some(&code)),
                (AreaLevel::Msoa, lsoa_msoa.get(&code)),
                (AreaLevel::Ward, best_fit.lsoa_to_ward.get(&code)),
                (AreaLevel::La, lsoa_to_la.get(&code)),
            ] {
                if let Some((i, _)) = code.and_then(|c| areas.find(level, c)) {
                    let d = &mut data[level_index(level)][i];
                    d.need += *counts;
                    d.need_lsoas += 1;
                }
            }
        }
        if !without_census.is_empty() {
            return Err(PlaceError::new(format!(
                "The census tables have no rows for {} of the {} LSOAs (e.g. {}); give tables that cover every LSOA of the authorities",
                without_census.len(),
                areas.areas(AreaLevel::Lsoa).len(),
                without_census[0]
            )));
        }

        let vintage = |level| def.vintage(level).unwrap_or("").to_owned();
        Ok(Place {
            areas,
            data,
            boundaries,
            served,
            postcodes,
            by_postcode,
            best_fit,
            local_authorities,
            names: [
                LevelNames::new("Local authority", String::new()),
                LevelNames::new("Electoral wards", vintage(AreaLevel::Ward)),
                LevelNames::new("Middle layer super output areas", vintage(AreaLevel::Msoa)),
                LevelNames::new("Lower layer super output areas", vintage(AreaLevel::Lsoa)),
            ],
            title: def.title.clone(),
            attribution: def.attribution.clone(),
            sources: def.sources.clone(),
            notes: def.notes.clone(),
        })
    }

    /// The reference figures of each area of `level`, aligned with `self.areas.areas(level)`.
    pub fn data(&self, level: AreaLevel) -> &[AreaData] {
        &self.data[level_index(level)]
    }

    /// The generalised boundaries of `level` as GeoJSON features (`id` = code, properties
    /// `code`, `name`, `level`), sorted by code.
    pub fn boundaries(&self, level: AreaLevel) -> &[Value] {
        &self.boundaries[level_index(level)]
    }

    /// Whether the served (generalised) boundary of area `code` of `level` meets `bbox`, edges
    /// and boundary included ([`Area::intersects`](assetmap_index::areas::Area::intersects));
    /// `false` for an unknown code.
    pub fn boundary_intersects(&self, level: AreaLevel, code: &str, bbox: &BBox) -> bool {
        self.served
            .find(level, code)
            .is_some_and(|(_, area)| area.intersects(bbox))
    }

    /// The bounding box `[min_lon, min_lat, max_lon, max_lat]` (degrees) of every served
    /// (generalised) boundary of `level`: exactly the smallest and largest coordinates served,
    /// not rounded. `None` when the level has no areas.
    pub fn extent(&self, level: AreaLevel) -> Option<[f64; 4]> {
        self.served
            .areas(level)
            .iter()
            .map(|a| a.bbox())
            .reduce(|a, b| {
                [
                    a[0].min(b[0]),
                    a[1].min(b[1]),
                    a[2].max(b[2]),
                    a[3].max(b[3]),
                ]
            })
    }

    /// The generalised boundary of one area as a GeoJSON geometry.
    pub fn boundary(&self, level: AreaLevel, code: &str) -> Option<&Value> {
        self.boundaries(level)
            .iter()
            .find(|f| f["id"].as_str() == Some(code))
            .map(|f| &f["geometry"])
    }

    /// Every postcode with a point, in table order; those not terminated are the proxy for
    /// where people live (the areas' [`AreaData::postcodes`]).
    pub fn postcodes(&self) -> &[PostcodeInfo] {
        &self.postcodes
    }

    /// Looks a postcode up.
    pub fn postcode(&self, postcode: &Postcode) -> Option<&PostcodeInfo> {
        self.by_postcode
            .get(postcode.as_str())
            .map(|&i| &self.postcodes[i as usize])
    }

    /// Whether a point is inside the place: in one of its local authorities' boundaries.
    pub fn contains(&self, at: LonLat) -> bool {
        self.areas.locate_in(AreaLevel::La, at).is_some()
    }

    /// The local authorities served, `(code, name)` (`E08000009`, `Trafford`).
    pub fn local_authorities(&self) -> &[(String, String)] {
        &self.local_authorities
    }

    /// What the place is called (`Trafford`, or `Greater Manchester`).
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The attribution the reference data asks for.
    pub fn attribution(&self) -> &str {
        &self.attribution
    }

    /// Where the reference data comes from, with licences.
    pub fn sources(&self) -> &[Source] {
        &self.sources
    }

    /// Notes on method for the per-area figures.
    pub fn notes(&self) -> &Notes {
        &self.notes
    }

    /// The vintage of `level`'s boundaries (`2023`), empty when not known.
    pub fn vintage(&self, level: AreaLevel) -> &str {
        &self.names[level_index(level)].vintage
    }

    /// The authorities' names joined for a sentence: `Trafford`, `Trafford and Stockport`.
    pub fn authority_names(&self) -> String {
        let names: Vec<&str> = self
            .local_authorities
            .iter()
            .map(|(_, n)| n.as_str())
            .collect();
        match names.split_last() {
            None => String::new(),
            Some((last, [])) => (*last).to_owned(),
            Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        }
    }

    /// True when nothing was loaded ([`Place::default`]).
    pub fn is_empty(&self) -> bool {
        self.areas.areas(AreaLevel::Ward).is_empty()
    }

    /// A short title for a level: `Electoral wards (2023)`, `Local authority (Trafford)`.
    pub fn level_title(&self, level: AreaLevel) -> String {
        let n = &self.names[level_index(level)];
        match level {
            AreaLevel::La if self.local_authorities.len() == 1 => {
                format!("Local authority ({})", self.authority_names())
            }
            AreaLevel::La => format!("Local authorities ({})", self.authority_names()),
            _ if n.vintage.is_empty() => n.noun.to_owned(),
            _ => format!("{} ({})", n.noun, n.vintage),
        }
    }

    /// A title that says which boundaries: `Electoral wards (2023 boundaries)`,
    /// `Local authority (Trafford, E08000009)`.
    pub fn level_long_title(&self, level: AreaLevel) -> String {
        let n = &self.names[level_index(level)];
        match level {
            AreaLevel::La => match self.local_authorities.as_slice() {
                [(code, name)] => format!("Local authority ({name}, {code})"),
                _ => self.level_title(level),
            },
            AreaLevel::Ward if !n.vintage.is_empty() => {
                format!("{} ({} boundaries)", n.noun, n.vintage)
            }
            _ => self.level_title(level),
        }
    }
}

/// Everything a place is built from, read and cut to its local authorities: what a place
/// pack holds (see the `pack` module).
#[derive(Debug, Clone, Default)]
pub struct PlaceInputs {
    /// The definition (title, attribution, authorities, vintages, sources, notes); its file
    /// paths are where the inputs were read from.
    pub definition: PlaceDefinition,
    /// Per level (in [`AreaLevel::ALL`] order), the generalised boundaries as GeoJSON features
    /// (`id` = code; properties `code`, `name`, `level`), sorted by code.
    pub boundaries: [Vec<Value>; 4],
    /// Per level, the polygons for point in area (the LA entry is empty: each authority is the
    /// union of its wards).
    pub assignment: [Vec<AreaInput>; 4],
    /// The postcodes of the authorities, in file order.
    pub postcodes: Vec<PostcodeRow>,
    /// Mid-year population by area code (any level).
    pub population: HashMap<String, Population>,
    /// Census need counts by LSOA code.
    pub census: BTreeMap<String, NeedCounts>,
    /// The files read: path (as given), size and SHA-256.
    pub manifest: Vec<ManifestEntry>,
}

/// One input file of a place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestEntry {
    /// The file's name (its path relative to the definition, or as given).
    pub file: String,
    /// Its size, bytes.
    pub bytes: u64,
    /// Its SHA-256, lower-case hex.
    pub sha256: String,
}

impl PlaceInputs {
    /// Reads the files of `def` and keeps what belongs to its local authorities.
    pub fn read(def: &PlaceDefinition) -> Result<PlaceInputs, PlaceError> {
        PlaceInputs::read_telling(def, &mut |_| {})
    }

    /// [`PlaceInputs::read`], calling `reading` with each file's name as it starts on it (for
    /// a progress line).
    pub fn read_telling(
        def: &PlaceDefinition,
        reading: &mut dyn FnMut(&Path),
    ) -> Result<PlaceInputs, PlaceError> {
        let las: BTreeSet<&str> = def.local_authorities.iter().map(String::as_str).collect();

        // Postcodes first: they say which wards, MSOAs and LSOAs belong to the authorities.
        reading(&def.files.postcodes);
        let mut rows: Vec<PostcodeRow> = read::postcode_rows(&def.files.postcodes, &mut |r| {
            las.contains(r.la_code.as_str())
        })?;
        let in_authorities = rows.len();
        if def.buffer_m > 0.0 {
            rows.extend(buffer_postcodes(def, &rows, &las)?);
        }
        let mut in_place: [BTreeSet<String>; 4] = Default::default();
        for r in &rows[..in_authorities] {
            for (level, code) in [
                (AreaLevel::La, &r.la_code),
                (AreaLevel::Ward, &r.ward_code),
                (AreaLevel::Msoa, &r.msoa_code),
                (AreaLevel::Lsoa, &r.lsoa_code),
            ] {
                in_place[level_index(level)].insert(code.clone());
            }
        }
        let keep = |level: AreaLevel, code: &str| match level {
            AreaLevel::La => las.contains(code),
            _ => in_place[level_index(level)].contains(code),
        };

        // Boundaries for drawing: the generalised ones, of the areas in the place.
        let mut boundaries: [Vec<Value>; 4] = Default::default();
        let mut read_files = Vec::new();
        for level in AreaLevel::ALL {
            let file = def.files.boundaries.get(level).ok_or_else(|| {
                PlaceError::new(format!(
                    "The place definition names no {} boundaries file",
                    level.slug()
                ))
            })?;
            read_files.push(file.to_path_buf());
            reading(file);
            boundaries[level_index(level)] = read::boundary_features(file, level)?
                .into_iter()
                .filter(|f| keep(level, f["id"].as_str().unwrap_or_default()))
                .collect();
        }
        // The national postcode directory has no ward names: they come from the boundaries.
        let ward_names: HashMap<&str, &str> = boundaries[level_index(AreaLevel::Ward)]
            .iter()
            .filter_map(|f| Some((f["id"].as_str()?, f["properties"]["name"].as_str()?)))
            .collect();
        for r in rows.iter_mut().filter(|r| r.ward_name.is_empty()) {
            if let Some(name) = ward_names.get(r.ward_code.as_str()) {
                r.ward_name = (*name).to_owned();
            }
        }
        // Vintages the definition does not state come from the ONS field names (`WD23CD`).
        let mut definition = def.clone();
        for level in [AreaLevel::Ward, AreaLevel::Msoa, AreaLevel::Lsoa] {
            let slot = match level {
                AreaLevel::Ward => &mut definition.vintages.ward,
                AreaLevel::Msoa => &mut definition.vintages.msoa,
                _ => &mut definition.vintages.lsoa,
            };
            if slot.is_none() {
                if let Some(file) = def.files.boundaries.get(level) {
                    *slot = read::boundary_vintage(file)?;
                }
            }
        }

        // Polygons for assignment: the finer files where there are some (full-resolution
        // wards), else the generalised ones.
        let mut assignment: [Vec<AreaInput>; 4] = Default::default();
        for level in [AreaLevel::Ward, AreaLevel::Msoa, AreaLevel::Lsoa] {
            let Some(file) = def
                .files
                .assignment
                .get(level)
                .or(def.files.boundaries.get(level))
            else {
                continue;
            };
            if !read_files.iter().any(|f| f == file) {
                read_files.push(file.to_path_buf());
            }
            reading(file);
            assignment[level_index(level)] = read::area_inputs(file)?
                .into_iter()
                .filter(|a| keep(level, &a.code))
                .collect();
        }

        let mut population: HashMap<String, Population> = HashMap::new();
        for file in &def.files.population {
            reading(file);
            population.extend(
                read::population(file)?
                    .into_iter()
                    .filter(|(code, _)| AreaLevel::ALL.iter().any(|l| keep(*l, code))),
            );
        }
        if let Some(first) = def.files.census.first() {
            reading(first);
        }
        let census = read::census_lsoa(&def.files.census)?
            .into_iter()
            .filter(|(code, _)| keep(AreaLevel::Lsoa, code))
            .collect();

        read_files.push(def.files.postcodes.clone());
        read_files.extend(def.files.population.iter().cloned());
        read_files.extend(def.files.census.iter().cloned());
        let manifest = read_files
            .iter()
            .map(|f| manifest_entry(f))
            .collect::<Result<_, _>>()?;
        Ok(PlaceInputs {
            definition,
            boundaries,
            assignment,
            postcodes: rows,
            population,
            census,
            manifest,
        })
    }
}

/// The postcodes of other authorities within `def.buffer_m` metres of a postcode of the place
/// (a second pass over the directory: first its box, then the distances).
fn buffer_postcodes(
    def: &PlaceDefinition,
    rows: &[PostcodeRow],
    las: &BTreeSet<&str>,
) -> Result<Vec<PostcodeRow>, PlaceError> {
    let points: Vec<LonLat> = rows
        .iter()
        .filter_map(|r| LonLat::new(r.lon?, r.lat?).ok())
        .collect();
    let Some(mut b) = points
        .iter()
        .map(|p| [p.lon(), p.lat(), p.lon(), p.lat()])
        .reduce(|a, c| {
            [
                a[0].min(c[0]),
                a[1].min(c[1]),
                a[2].max(c[2]),
                a[3].max(c[3]),
            ]
        })
    else {
        return Ok(Vec::new());
    };
    // The box grown by the buffer (a degree of latitude is ~111 km; of longitude, less).
    let dlat = def.buffer_m / 111_000.0;
    let dlon = dlat / b[1].abs().max(b[3].abs()).to_radians().cos().max(0.01);
    b = [b[0] - dlon, b[1] - dlat, b[2] + dlon, b[3] + dlat];
    let near = read::postcode_rows(&def.files.postcodes, &mut |r| {
        !las.contains(r.la_code.as_str())
            && matches!((r.lon, r.lat), (Some(x), Some(y)) if x >= b[0] && x <= b[2] && y >= b[1] && y <= b[3])
    })?;
    let at: Vec<LonLat> = near
        .iter()
        .map(|r| LonLat::new(r.lon.unwrap_or(0.0), r.lat.unwrap_or(0.0)))
        .collect::<Result<_, _>>()
        .map_err(|e| PlaceError::context("A postcode near the place has no valid point", e))?;
    let distances = assetmap_index::areas::nearest_distances_m(&at, &points);
    Ok(near
        .into_iter()
        .zip(distances)
        .filter(|(_, d)| d.is_some_and(|d| d <= def.buffer_m))
        .map(|(r, _)| r)
        .collect())
}

/// A file's name, size and SHA-256.
fn manifest_entry(path: &Path) -> Result<ManifestEntry, PlaceError> {
    use sha2::Digest;
    let mut file = std::fs::File::open(path)
        .map_err(|e| PlaceError::context(format!("Failed to open {}", path.display()), e))?;
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut bytes = 0u64;
    loop {
        let n = std::io::Read::read(&mut file, &mut buf)
            .map_err(|e| PlaceError::context(format!("Failed to read {}", path.display()), e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        bytes += n as u64;
    }
    let digest = hasher.finalize();
    Ok(ManifestEntry {
        file: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        bytes,
        sha256: digest.iter().map(|b| format!("{b:02x}")).collect(),
    })
}

/// Which authority each ward and each LSOA belongs to: the one most of its postcodes are in
/// (ties to the lowest code).
fn authorities_of(rows: &[PostcodeRow]) -> (HashMap<String, String>, HashMap<String, String>) {
    let mut ward_la: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut lsoa_la: BTreeMap<(String, String), usize> = BTreeMap::new();
    for r in rows {
        *ward_la
            .entry((r.ward_code.clone(), r.la_code.clone()))
            .or_default() += 1;
        *lsoa_la
            .entry((r.lsoa_code.clone(), r.la_code.clone()))
            .or_default() += 1;
    }
    (majority(&ward_la), majority(&lsoa_la))
}

/// A served boundary feature (`id` = code, `properties.name`) as polygons.
fn served_input(f: &Value) -> Result<AreaInput, PlaceError> {
    let code = f["id"].as_str().unwrap_or_default().to_owned();
    let polygons = read::polygons(&f["geometry"])
        .map_err(|e| PlaceError::context(format!("Generalised boundary of {code}"), e))?;
    Ok(AreaInput {
        name: f["properties"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        code,
        polygons,
    })
}
