//! The JSNA asset layer: areas with population, census 2021 need, and per-area asset counts,
//! rates and access, for the assets chapter of a Joint Strategic Needs (and Assets) Assessment.
//!
//! Loaded once at start-up ([`Jsna::load`]):
//! - an [`AreaIndex`] of the LA, 2023 wards, 2021 MSOAs and LSOAs (point in polygon; wards
//!   at full resolution, see [`load::assignment_file`]);
//! - mid-2024 population by LSOA, MSOA and ward (the ward file uses the 2023 wards), the LA
//!   as the sum of its LSOAs;
//! - census 2021 need counts by LSOA, summed to MSOAs (LSOAs nest in MSOAs) and to 2023 wards
//!   through a **best fit of our own**: each LSOA goes to the 2023 ward holding most of its
//!   postcodes (the bundled best-fit lookup uses pre-2023 ward codes);
//! - the postcode table: each postcode's point and its ONS ward / LSOA / MSOA, the proxy for
//!   where people live in the access measures.
//!
//! [`summary`] computes the per-area figures on request from the engine (so they follow every
//! write), with the expensive parts cached: each counted asset's areas (point in polygon, redone
//! only for new or moved assets) and, per category, every postcode's distance to the nearest
//! asset (updated incrementally, on the next request, for the categories a write touched:
//! added assets by a minimum, postcodes whose nearest asset went recomputed). Warmed in the
//! background at start-up.

mod load;
mod summary;

pub use load::{NeedCounts, Population};
pub use summary::{
    columns, summary, to_csv, Cell, Column, ColumnKind, Summary, SummaryQuery, SummaryRow,
    DEFAULT_DESERT_SHARE, DEFAULT_WALK_M,
};

use anyhow::{bail, Context};
use assetmap_core::{AssetId, Category, LonLat};
use assetmap_index::{AreaIndex, AreaLevel};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Reference figures for one area (aligned with `AreaIndex::areas(level)`).
#[derive(Debug, Clone, Default)]
pub struct AreaData {
    /// Mid-2024 population (persons); `None` when the source has no row for the area.
    pub population: Option<Population>,
    /// Census 2021 need counts (summed from LSOAs; for wards through the best fit).
    pub need: NeedCounts,
    /// LSOAs whose need counts were summed into this area.
    pub need_lsoas: usize,
    /// Positions (in [`Jsna::postcodes`]) of the postcodes in this area by the postcode table.
    pub postcodes: Vec<u32>,
}

/// A postcode used as a proxy for where people live.
#[derive(Debug, Clone)]
pub struct PostcodePoint {
    pub postcode: String,
    pub at: LonLat,
}

/// How LSOAs were fitted to 2023 wards.
#[derive(Debug, Clone, Default)]
pub struct BestFit {
    /// LSOA code → 2023 ward code.
    pub lsoa_to_ward: BTreeMap<String, String>,
    /// LSOAs whose postcodes fall in more than one 2023 ward.
    pub split_lsoas: usize,
    /// Postcodes (of all LSOAs) outside their LSOA's best-fit ward.
    pub postcodes_outside_best_fit: usize,
    /// All postcodes used.
    pub postcodes: usize,
}

/// The JSNA layer's reference data and caches. Built by [`Jsna::load`]; the default is empty
/// (no areas) for tests that do not need it.
#[derive(Debug, Default)]
pub struct Jsna {
    /// Area polygons for assignment.
    pub index: AreaIndex,
    data: [Vec<AreaData>; 4],
    /// Every positioned postcode.
    pub postcodes: Vec<PostcodePoint>,
    /// The LSOA → 2023 ward best fit.
    pub best_fit: BestFit,
    cache: Mutex<Cache>,
}

fn level_index(level: AreaLevel) -> usize {
    match level {
        AreaLevel::La => 0,
        AreaLevel::Ward => 1,
        AreaLevel::Msoa => 2,
        AreaLevel::Lsoa => 3,
    }
}

impl Jsna {
    /// Loads boundaries, population, census and postcodes from `data_dir/sources/trafford/`.
    pub fn load(data_dir: &Path) -> anyhow::Result<Jsna> {
        let dir = load::trafford(data_dir);
        let b = dir.join("boundaries");
        let wards = load::area_inputs(&b.join(load::assignment_file(AreaLevel::Ward)))?;
        let (la_code, la_name) = load::la_identity(&dir)?;
        let la = assetmap_index::AreaInput {
            code: la_code.clone(),
            name: la_name,
            polygons: wards.iter().flat_map(|w| w.polygons.clone()).collect(),
        };
        let index = AreaIndex::new(vec![
            (AreaLevel::La, vec![la]),
            (AreaLevel::Ward, wards),
            (
                AreaLevel::Msoa,
                load::area_inputs(&b.join(load::assignment_file(AreaLevel::Msoa)))?,
            ),
            (
                AreaLevel::Lsoa,
                load::area_inputs(&b.join(load::assignment_file(AreaLevel::Lsoa)))?,
            ),
        ])
        .context("The bundled boundaries are not valid polygons")?;

        let mut data: [Vec<AreaData>; 4] = Default::default();
        for level in AreaLevel::ALL {
            data[level_index(level)] = vec![AreaData::default(); index.areas(level).len()];
        }

        // Postcodes: points, and membership by the ONS codes in the table.
        let rows = load::postcode_rows(&dir)?;
        let mut postcodes = Vec::with_capacity(rows.len());
        let mut lsoa_msoa: HashMap<String, String> = HashMap::new();
        let mut lsoa_ward_counts: BTreeMap<(String, String), usize> = BTreeMap::new();
        for row in &rows {
            let (Some(lon), Some(lat)) = (row.lon, row.lat) else {
                continue;
            };
            let Ok(at) = LonLat::new(lon, lat) else {
                continue;
            };
            let pos = u32::try_from(postcodes.len()).context("too many postcodes")?;
            postcodes.push(PostcodePoint {
                postcode: row.postcode.clone(),
                at,
            });
            for (level, code) in [
                (AreaLevel::La, &row.la_code),
                (AreaLevel::Ward, &row.ward_code),
                (AreaLevel::Msoa, &row.msoa_code),
                (AreaLevel::Lsoa, &row.lsoa_code),
            ] {
                if let Some((i, _)) = index.find(level, code) {
                    data[level_index(level)][i].postcodes.push(pos);
                }
            }
            lsoa_msoa.insert(row.lsoa_code.clone(), row.msoa_code.clone());
            *lsoa_ward_counts
                .entry((row.lsoa_code.clone(), row.ward_code.clone()))
                .or_default() += 1;
        }

        // Best fit: each LSOA to the 2023 ward holding most of its postcodes (ties: lowest code).
        let mut best_fit = BestFit {
            postcodes: postcodes.len(),
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

        // Population: LSOA, MSOA and ward files; the LA is the sum of its LSOAs.
        for (level, geo) in [
            (AreaLevel::Lsoa, "lsoa"),
            (AreaLevel::Msoa, "msoa"),
            (AreaLevel::Ward, "ward"),
        ] {
            let pop = load::population(&dir, geo)?;
            for (i, area) in index.areas(level).iter().enumerate() {
                data[level_index(level)][i].population = pop.get(area.code()).copied();
            }
        }
        let mut la_pop = Population::default();
        for d in &data[level_index(AreaLevel::Lsoa)] {
            if let Some(p) = d.population {
                la_pop += p;
            }
        }
        if let Some(d) = data[level_index(AreaLevel::La)].first_mut() {
            d.population = Some(la_pop);
        }

        // Need: by LSOA; summed to MSOA (nesting), ward (best fit) and LA.
        let census = load::census_lsoa(&dir)?;
        for (lsoa, counts) in &census {
            let Some((li, _)) = index.find(AreaLevel::Lsoa, lsoa) else {
                continue;
            };
            let mut add = |level: AreaLevel, code: Option<&String>| {
                if let Some((i, _)) = code.and_then(|c| index.find(level, c)) {
                    let d = &mut data[level_index(level)][i];
                    d.need += *counts;
                    d.need_lsoas += 1;
                }
            };
            add(
                AreaLevel::Lsoa,
                Some(&index.areas(AreaLevel::Lsoa)[li].code().to_owned()),
            );
            add(AreaLevel::Msoa, lsoa_msoa.get(lsoa));
            add(AreaLevel::Ward, best_fit.lsoa_to_ward.get(lsoa));
            add(AreaLevel::La, Some(&la_code));
        }
        if census.len() != index.areas(AreaLevel::Lsoa).len() {
            bail!(
                "The census tables cover {} LSOAs but the boundaries have {}",
                census.len(),
                index.areas(AreaLevel::Lsoa).len()
            );
        }

        Ok(Jsna {
            index,
            data,
            postcodes,
            best_fit,
            cache: Mutex::default(),
        })
    }

    /// The reference figures of each area of `level`, aligned with `self.index.areas(level)`.
    pub fn data(&self, level: AreaLevel) -> &[AreaData] {
        &self.data[level_index(level)]
    }

    /// True when nothing was loaded ([`Jsna::default`]).
    pub fn is_empty(&self) -> bool {
        self.index.areas(AreaLevel::Ward).is_empty()
    }
}

/// Fills the caches for every category (start-up), so the first request does not pay.
pub fn warm(state: &crate::state::AppState) {
    if state.jsna.is_empty() {
        return;
    }
    {
        let engine = state.engine();
        let generation = state.engine_generation();
        state.jsna.refresh(&engine, generation);
    }
    state.jsna.snapshot(Category::ALL);
}

/// Where a counted asset is: its category bits and its area position at each level.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Placed {
    pub categories: u32,
    pub areas: [Option<u32>; 4],
}

/// Per postcode (in [`Jsna::postcodes`] order), metres to the nearest asset of a category.
type Distances = Arc<Vec<Option<f64>>>;

/// A point as exact bits, so that sets of locations compare exactly.
type Bits = (u64, u64);

fn bits(p: LonLat) -> Bits {
    (p.lon().to_bits(), p.lat().to_bits())
}

fn from_bits(b: Bits) -> Option<LonLat> {
    LonLat::new(f64::from_bits(b.0), f64::from_bits(b.1)).ok()
}

/// One category's counted asset locations (sorted, with repeats) and, once computed, every
/// postcode's distance to the nearest of them. Distances depend only on this multiset.
#[derive(Debug, Default)]
struct Targets {
    points: Vec<Bits>,
    distances: Option<Distances>,
}

/// What summaries reuse between requests. Valid for one engine generation.
#[derive(Debug, Default)]
struct Cache {
    generation: Option<u64>,
    /// Each counted asset's location and areas, by id (point in polygon redone only when an
    /// asset is new or moved).
    placed: HashMap<AssetId, (LonLat, Placed)>,
    /// The counted assets of the current generation, in id order.
    counted: Arc<Vec<Placed>>,
    /// Per category.
    nearest: HashMap<Category, Targets>,
}

/// A consistent view for one summary.
pub(crate) struct Snapshot {
    pub counted: Arc<Vec<Placed>>,
    pub nearest: HashMap<Category, Distances>,
}

fn category_bit(c: Category) -> u32 {
    1 << (c as u32)
}

/// `a − b` for sorted multisets.
fn minus(a: &[Bits], b: &[Bits]) -> Vec<Bits> {
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() {
        if j < b.len() && b[j] < a[i] {
            j += 1;
        } else if j < b.len() && b[j] == a[i] {
            i += 1;
            j += 1;
        } else {
            out.push(a[i]);
            i += 1;
        }
    }
    out
}

/// Distances for the new target set `new`, from the distances `old` to the old set: a postcode
/// whose nearest asset is still there only needs the added assets (a minimum); a postcode whose
/// nearest was removed (its distance equals the distance to a removed point: the same formula
/// gives the same bits) is recomputed against the whole new set. Exact, and cheap for the one
/// asset a write changes.
fn update_distances(
    postcodes: &[PostcodePoint],
    old: &[Option<f64>],
    added: &[LonLat],
    removed: &[LonLat],
    new: &[LonLat],
) -> Vec<Option<f64>> {
    let mut out: Vec<Option<f64>> = old.to_vec();
    let mut redo = Vec::new();
    for (k, (p, d)) in postcodes.iter().zip(out.iter_mut()).enumerate() {
        if let Some(v) = *d {
            if removed.iter().any(|r| p.at.distance_m(r) == v) {
                redo.push(k);
                continue;
            }
        }
        for a in added {
            let x = p.at.distance_m(a);
            if d.is_none_or(|v| x < v) {
                *d = Some(x);
            }
        }
    }
    if !redo.is_empty() {
        let from: Vec<LonLat> = redo.iter().map(|&k| postcodes[k].at).collect();
        for (k, d) in redo
            .into_iter()
            .zip(assetmap_index::areas::nearest_distances_m(&from, new))
        {
            out[k] = d;
        }
    }
    out
}

impl Jsna {
    /// Brings the cache up to `generation` from `engine`: every counted asset's areas, and each
    /// category's locations (with its distances updated incrementally when they were known).
    /// `engine` must be read-locked by the caller for the generation to be meaningful; this is
    /// the only part that needs the engine (tens of milliseconds unoptimised).
    pub(crate) fn refresh(&self, engine: &assetmap_index::Engine, generation: u64) {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if cache.generation != Some(generation) {
            let filter = assetmap_index::Filter {
                statuses: crate::routes::items::DEFAULT_STATUSES.to_vec(),
                ..Default::default()
            };
            let mut placed = HashMap::with_capacity(cache.placed.len());
            let mut counted = Vec::with_capacity(cache.placed.len());
            let mut points: Vec<Vec<Bits>> = vec![Vec::new(); Category::ALL.len()];
            for a in engine.scan(&filter) {
                let cats = a.categories.iter().fold(0, |m, c| m | category_bit(*c));
                let areas = match cache.placed.get(&a.id) {
                    Some((at, p)) if *at == a.location => p.areas,
                    _ => {
                        let mut areas = [None; 4];
                        for level in AreaLevel::ALL {
                            areas[level_index(level)] = self
                                .index
                                .locate_in(level, a.location)
                                .and_then(|i| u32::try_from(i).ok());
                        }
                        areas
                    }
                };
                let p = Placed {
                    categories: cats,
                    areas,
                };
                for c in &a.categories {
                    points[*c as usize].push(bits(a.location));
                }
                counted.push(p);
                placed.insert(a.id.clone(), (a.location, p));
            }
            for c in Category::ALL {
                let mut new = std::mem::take(&mut points[*c as usize]);
                new.sort_unstable();
                let entry = cache.nearest.entry(*c).or_default();
                if entry.points == new {
                    continue;
                }
                let distances = entry.distances.take().map(|old| {
                    let to_points =
                        |v: Vec<Bits>| v.into_iter().filter_map(from_bits).collect::<Vec<_>>();
                    let added = to_points(minus(&new, &entry.points));
                    let removed = to_points(minus(&entry.points, &new));
                    let all = to_points(new.clone());
                    Arc::new(update_distances(
                        &self.postcodes,
                        &old,
                        &added,
                        &removed,
                        &all,
                    ))
                });
                *entry = Targets {
                    points: new,
                    distances,
                };
            }
            cache.placed = placed;
            cache.counted = Arc::new(counted);
            cache.generation = Some(generation);
        }
    }

    /// The counted assets and the nearest distances of `categories` as of the last
    /// [`refresh`](Self::refresh), computing any category's distances not known yet (without
    /// the engine: from the cached locations).
    pub(crate) fn snapshot(&self, categories: &[Category]) -> Snapshot {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        let mut nearest = HashMap::new();
        for c in categories {
            let entry = cache.nearest.entry(*c).or_default();
            let d = match &entry.distances {
                Some(d) => d.clone(),
                None => {
                    let from: Vec<LonLat> = self.postcodes.iter().map(|p| p.at).collect();
                    let to: Vec<LonLat> =
                        entry.points.iter().copied().filter_map(from_bits).collect();
                    let d = Arc::new(assetmap_index::areas::nearest_distances_m(&from, &to));
                    entry.distances = Some(d.clone());
                    d
                }
            };
            nearest.insert(*c, d);
        }
        Snapshot {
            counted: cache.counted.clone(),
            nearest,
        }
    }
}

/// The engine's level for the server's [`Level`](crate::areas::Level).
pub fn area_level(level: crate::areas::Level) -> AreaLevel {
    match level {
        crate::areas::Level::La => AreaLevel::La,
        crate::areas::Level::Ward => AreaLevel::Ward,
        crate::areas::Level::Msoa => AreaLevel::Msoa,
        crate::areas::Level::Lsoa => AreaLevel::Lsoa,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn ll(lon: f64, lat: f64) -> LonLat {
        LonLat::new(lon, lat).unwrap()
    }

    #[test]
    fn incremental_distances_equal_a_full_recompute() {
        let postcodes: Vec<PostcodePoint> = (0..400)
            .map(|i| PostcodePoint {
                postcode: String::new(),
                at: ll(
                    -2.45 + f64::from(i % 20) * 0.01,
                    53.36 + f64::from(i / 20) * 0.006,
                ),
            })
            .collect();
        let from: Vec<LonLat> = postcodes.iter().map(|p| p.at).collect();
        let old_set = vec![
            ll(-2.40, 53.40),
            ll(-2.30, 53.45),
            ll(-2.35, 53.38),
            ll(-2.35, 53.38),
        ];
        let old = assetmap_index::areas::nearest_distances_m(&from, &old_set);
        // Remove one of two assets at the same place, remove another, add two.
        let new_set = vec![
            ll(-2.40, 53.40),
            ll(-2.35, 53.38),
            ll(-2.28, 53.37),
            ll(-2.44, 53.47),
        ];
        let b = |v: &[LonLat]| {
            let mut x: Vec<Bits> = v.iter().map(|p| bits(*p)).collect();
            x.sort_unstable();
            x
        };
        let added: Vec<LonLat> = minus(&b(&new_set), &b(&old_set))
            .into_iter()
            .filter_map(from_bits)
            .collect();
        let removed: Vec<LonLat> = minus(&b(&old_set), &b(&new_set))
            .into_iter()
            .filter_map(from_bits)
            .collect();
        assert_eq!((added.len(), removed.len()), (2, 2));
        let got = update_distances(&postcodes, &old, &added, &removed, &new_set);
        assert_eq!(
            got,
            assetmap_index::areas::nearest_distances_m(&from, &new_set)
        );
        // Everything removed: no distances.
        let none = update_distances(&postcodes, &old, &[], &old_set, &[]);
        assert!(none.iter().all(Option::is_none));
    }
}
