//! [`AreaFigures`]: what per-area summaries reuse between requests — each counted asset's areas
//! and, per category, every postcode's distance to the nearest asset — kept in step with the
//! engine incrementally.
//!
//! The cache is valid for one engine *generation* (a number the caller bumps on every write to
//! the engine). [`AreaFigures::refresh`] brings it up to date: point in polygon is redone only
//! for new or moved assets, and a category's distances are updated, not recomputed — added
//! assets by a minimum, and only the postcodes whose nearest asset went are recomputed against
//! the whole new set. Exact (the same bits as a full recompute), and cheap for the one asset a
//! write changes.

use assetmap_core::{Category, LonLat, Status};
use assetmap_index::{AreaLevel, Engine, Filter};
use assetmap_place::{Place, PostcodeInfo};
use chrono::NaiveDate;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Position of a level in per-level arrays.
pub(crate) fn level_index(level: AreaLevel) -> usize {
    match level {
        AreaLevel::La => 0,
        AreaLevel::Ward => 1,
        AreaLevel::Msoa => 2,
        AreaLevel::Lsoa => 3,
    }
}

/// The bit of a category in a category mask.
pub(crate) fn category_bit(c: Category) -> u32 {
    1 << (c as u32)
}

/// The counted assets of an engine, as [`AreaFigures::read`] copies them out: each one's
/// location, category bits and `verified_at` (no id: an asset's areas depend on its location
/// only, so the cache matches assets across generations by location).
#[derive(Debug, Clone, Default)]
pub struct CountedAssets(Vec<CountedAsset>);

#[derive(Debug, Clone, Copy)]
struct CountedAsset {
    at: Bits,
    /// [`category_bit`]s.
    categories: u32,
    verified_at: Option<NaiveDate>,
}

/// A counted asset's area at a level that is in no area of it.
const NO_AREA: u32 = u32::MAX;

/// Where a counted asset is: its location, its category bits, its area position at each level,
/// and when its details were last confirmed (its `verified_at`, for the JSNA's "checked within
/// 12 months"). 40 bytes: at a million assets the cache holds 40 MB of these.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Placed {
    at: Bits,
    pub categories: u32,
    /// Per level ([`level_index`]), the area's position, or [`NO_AREA`].
    areas: [u32; 4],
    pub verified_at: Option<NaiveDate>,
}

impl Placed {
    /// The position of its area at level `level_index`, if it is in one.
    pub fn area(&self, level_index: usize) -> Option<u32> {
        self.areas
            .get(level_index)
            .copied()
            .filter(|a| *a != NO_AREA)
    }
}

/// Per postcode (in [`Place::postcodes`] order), metres to the nearest asset of a category.
type Distances = Arc<Vec<Option<f64>>>;

/// A point as exact bits, so that sets of locations compare exactly.
type Bits = (u64, u64);

fn bits(p: LonLat) -> Bits {
    (p.lon().to_bits(), p.lat().to_bits())
}

fn from_bits(b: Bits) -> Option<LonLat> {
    LonLat::new(f64::from_bits(b.0), f64::from_bits(b.1)).ok()
}

/// The locations of `category` among `counted` (sorted by location, so these are too: a
/// sorted multiset).
fn points_of(counted: &[Placed], category: Category) -> impl Iterator<Item = Bits> + '_ {
    let bit = category_bit(category);
    counted
        .iter()
        .filter(move |p| p.categories & bit != 0)
        .map(|p| p.at)
}

#[derive(Debug, Default)]
struct Cache {
    generation: Option<u64>,
    /// The counted assets of the current generation, sorted by location (the order a
    /// refresh matches them in; the figures add up, so any order serves them).
    counted: Arc<Vec<Placed>>,
    /// Per category, every postcode's distance to its nearest asset, once computed (they
    /// depend only on the category's locations in `counted`).
    nearest: HashMap<Category, Distances>,
}

/// A consistent view for one summary.
pub(crate) struct Snapshot {
    pub counted: Arc<Vec<Placed>>,
    pub nearest: HashMap<Category, Distances>,
}

/// The per-area figures' cache (see the module documentation). One per engine; share
/// it between threads.
#[derive(Debug, Default)]
pub struct AreaFigures {
    cache: Mutex<Cache>,
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
/// gives the same bits) is recomputed against the whole new set.
fn update_distances(
    postcodes: &[PostcodeInfo],
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

/// The areas of a point at each level ([`NO_AREA`] where it is in none).
fn locate(place: &Place, at: Bits) -> [u32; 4] {
    let mut areas = [NO_AREA; 4];
    if let Some(at) = from_bits(at) {
        for level in AreaLevel::ALL {
            if let Some(i) = place.areas.locate_in(level, at) {
                areas[level_index(level)] = u32::try_from(i).unwrap_or(NO_AREA);
            }
        }
    }
    areas
}

impl AreaFigures {
    /// Brings the cache up to `generation` from `engine` ([`read`](Self::read) then
    /// [`refresh_with`](Self::refresh_with)). Hold the engine's read lock across the call, so
    /// that `generation` describes `engine` — or, where the lock is shared with writers, read
    /// under it and refresh after letting it go.
    pub fn refresh(&self, engine: &Engine, generation: u64, place: &Place) {
        if !self.is_at(generation) {
            self.refresh_with(Self::read(engine), generation, place);
        }
    }

    /// True when the cache describes `generation` (or a later one).
    pub fn is_at(&self, generation: u64) -> bool {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.generation.is_some_and(|g| g >= generation)
    }

    /// What the figures need of each counted asset, copied out of `engine` (no record decoded):
    /// the only part of a refresh that needs the engine (about 0.1 s at 1,000,000 assets, where
    /// placing them in their areas takes seconds).
    pub fn read(engine: &Engine) -> CountedAssets {
        let filter = Filter {
            statuses: Status::SHOWN_BY_DEFAULT.to_vec(),
            ..Default::default()
        };
        CountedAssets(
            engine
                .scan_briefs(&filter)
                .map(|b| CountedAsset {
                    at: bits(b.location),
                    categories: u32::from(b.category_bits),
                    verified_at: b.verified_at,
                })
                .collect(),
        )
    }

    /// Brings the cache up to `generation` from `assets` (read from the engine at that
    /// generation): every counted asset's areas (located only where no asset of the previous
    /// generation stood), and each category's distances, updated incrementally when they were
    /// known. Nothing happens when the cache is already at `generation` or later.
    pub fn refresh_with(&self, assets: CountedAssets, generation: u64, place: &Place) {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if cache.generation.is_some_and(|g| g >= generation) {
            return;
        }
        let mut fresh = assets.0;
        fresh.sort_unstable_by_key(|a| a.at);
        let old = std::mem::take(&mut cache.counted);
        let mut j = 0;
        let counted: Vec<Placed> = fresh
            .into_iter()
            .map(|a| {
                while j < old.len() && old[j].at < a.at {
                    j += 1;
                }
                let areas = match old.get(j) {
                    Some(p) if p.at == a.at => p.areas,
                    _ => locate(place, a.at),
                };
                Placed {
                    at: a.at,
                    categories: a.categories,
                    areas,
                    verified_at: a.verified_at,
                }
            })
            .collect();
        let known: Vec<Category> = cache.nearest.keys().copied().collect();
        for c in known {
            if points_of(&old, c).eq(points_of(&counted, c)) {
                continue;
            }
            let Some(previous) = cache.nearest.remove(&c) else {
                continue;
            };
            let (was, now): (Vec<Bits>, Vec<Bits>) = (
                points_of(&old, c).collect(),
                points_of(&counted, c).collect(),
            );
            let to_points = |v: Vec<Bits>| v.into_iter().filter_map(from_bits).collect::<Vec<_>>();
            let added = to_points(minus(&now, &was));
            let removed = to_points(minus(&was, &now));
            let all = to_points(now);
            let distances = update_distances(place.postcodes(), &previous, &added, &removed, &all);
            cache.nearest.insert(c, Arc::new(distances));
        }
        cache.counted = Arc::new(counted);
        cache.generation = Some(generation);
    }

    /// The counted assets and the nearest distances of `categories` as of the last
    /// [`refresh`](Self::refresh), computing any category's distances not known yet (without
    /// the engine: from the cached locations).
    pub(crate) fn snapshot(&self, categories: &[Category], place: &Place) -> Snapshot {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        let mut nearest = HashMap::new();
        for c in categories {
            let d = match cache.nearest.get(c) {
                Some(d) => d.clone(),
                None => {
                    let from: Vec<LonLat> = place.postcodes().iter().map(|p| p.at).collect();
                    let to: Vec<LonLat> = points_of(&cache.counted, *c)
                        .filter_map(from_bits)
                        .collect();
                    let d = Arc::new(assetmap_index::areas::nearest_distances_m(&from, &to));
                    cache.nearest.insert(*c, d.clone());
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

    /// Computes every category's distances as of the last [`refresh`](Self::refresh), without
    /// the engine (at start-up, so the first request does not pay).
    pub fn warm(&self, place: &Place) {
        if place.is_empty() {
            return;
        }
        self.snapshot(Category::ALL, place);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn ll(lon: f64, lat: f64) -> LonLat {
        LonLat::new(lon, lat).unwrap()
    }

    fn postcode(at: LonLat) -> PostcodeInfo {
        PostcodeInfo {
            postcode: String::new(),
            at,
            la_code: String::new(),
            ward_code: String::new(),
            ward_name: String::new(),
            lsoa_code: String::new(),
            msoa_code: String::new(),
            terminated: false,
        }
    }

    #[test]
    fn incremental_distances_equal_a_full_recompute() {
        let postcodes: Vec<PostcodeInfo> = (0..400)
            .map(|i| {
                postcode(ll(
                    -2.45 + f64::from(i % 20) * 0.01,
                    53.36 + f64::from(i / 20) * 0.006,
                ))
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
