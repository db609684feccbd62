//! Map tiles from the engine: the content of one Web Mercator tile (XYZ numbering, zoom
//! 0..=[`MAX_ZOOM`]) in tile coordinates, as clusters at low zoom and every asset at high
//! zoom. No wire format here: `assetmap-io` encodes a [`Tile`] as a Mapbox Vector Tile.
//!
//! # Coordinates
//!
//! Every asset has a position on the Web Mercator world square of 2^32 units a side
//! ([`world_xy`]): x east from longitude -180°, y **south** from latitude +85.0511° (the
//! square's top edge), as XYZ tiles count. Latitudes beyond ±85.0511° are put on the top or
//! bottom edge; longitude 180° is put in the last column. A tile at zoom `z` is the half-open
//! square `[x·2^(32-z), (x+1)·2^(32-z))` × the same in y, so **every asset lies in exactly one
//! tile at each zoom**. Inside a tile, coordinates run 0..[`EXTENT`] (4096) from the top-left
//! corner, rounded down; the world square holds them exactly up to zoom 20.
//!
//! # The index: one array in Z order
//!
//! `TileIndex` keeps one 24-byte entry per asset — the Morton (Z-order) interleaving of its
//! world x and y (`u64`), its slot and its packed `Facets` — sorted by that key. The
//! assets of any tile, at any zoom, are then one contiguous run of the array (two binary
//! searches), and so are those of each cluster cell (a tile at zoom `z + 3`). Filters are
//! tested on the entry's own facets, in one sequential pass: only `open_at` and `updated`
//! read the asset. Cost: 24 bytes per asset (24 MB at a million), one sort at start-up
//! (about 0.1 s at a million), and an `O(n)` shift of the array on each insert or delete
//! (like the engine's id order; an edit shifts only the entries between its old and new
//! place, none when the asset did not move).
//!
//! # What a tile holds
//!
//! - **Points** (zoom ≥ [`POINTS_FROM_ZOOM`]): every matching asset once, at its position,
//!   plus the assets of the neighbouring tiles within [`BUFFER`] units of the edge (so that a
//!   renderer does not cut their symbols). A point is *in* the tile when `0 <= x, y < 4096`;
//!   buffer points are outside that square. Below [`MAX_ZOOM`], a tile with more than
//!   [`MAX_POINTS`] matching assets is clustered instead, which keeps it under about 500 KB.
//! - **Clusters** (lower zooms): the tile is cut into 8 × 8 cells ([`CELL_BITS`]; 64 px cells
//!   when the tile is drawn 512 px wide). Each cell with matching assets gives one cluster
//!   at the mean position of its assets, with their `count` and their count per ABCD type —
//!   or, when it holds one asset, that asset as a point. Clusters carry no buffer: they lie
//!   inside their tile. The counts of a tile's clusters and points add up to the matching
//!   assets in the tile.
//!
//! # Filters and words
//!
//! [`Engine::tile`] takes the engine's [`Filter`], tested on each entry's facets.
//! [`Engine::tile_matching`] also takes words: it keeps the assets the text index finds for
//! them (coordinator search's candidates: a word, a synonym or a category matched), asking the
//! index for a circle around the tile from zoom [`WORDS_IN_CIRCLE_FROM_ZOOM`], for everything
//! below, and marks them in a bit set over the slots (one bit per slot, 125 KB at a million)
//! that the tile's pass reads.

use crate::facets::{Facets, SlotFacets};
use crate::text::{Circle, TextQuery};
use crate::{CompiledFilter, Engine, Filter, IndexError};
use assetmap_core::{haversine_m, AbcdType, Asset, LonLat};
use std::ops::Range;

/// Highest zoom served: about 2.4 m per tile unit at the equator.
pub const MAX_ZOOM: u8 = 16;
/// Tile units per side (the MVT default extent).
pub const EXTENT: u32 = 4096;
/// How far outside its tile a point is still included, in tile units (1/64 of the tile).
pub const BUFFER: i32 = 64;
/// From this zoom a tile lists its assets one by one (the map page clustered up to zoom 14).
pub const POINTS_FROM_ZOOM: u8 = 15;
/// Below [`MAX_ZOOM`], a tile with more matching assets than this is clustered even at
/// [`POINTS_FROM_ZOOM`] or above (a point costs about 60 bytes encoded with synthetic names:
/// 4,000 make about 230 KB).
pub const MAX_POINTS: usize = 4_000;
/// A tile is cut into 2^CELL_BITS × 2^CELL_BITS cluster cells.
pub const CELL_BITS: u8 = 3;
/// From this zoom a tile with words asks the text index for the circle around the tile (and
/// its buffer) only; below, for the whole index (a tile at zoom 8 is 156 km wide at the
/// equator, 94 km at 53° N).
pub const WORDS_IN_CIRCLE_FROM_ZOOM: u8 = 8;

/// Bits of the world square per side.
const WORLD_BITS: u32 = 32;
/// log2 of [`EXTENT`].
const EXTENT_BITS: u32 = 12;
/// Buffer cells are tiles at zoom `z + BUFFER_BITS`: exactly [`BUFFER`] units wide.
const BUFFER_BITS: u8 = 6;
const _: () = assert!(EXTENT == 1 << EXTENT_BITS && BUFFER == (EXTENT >> BUFFER_BITS) as i32);
const _: () = assert!(MAX_ZOOM as u32 + EXTENT_BITS <= WORLD_BITS);
const _: () = assert!(size_of::<TileEntry>() == 24);
/// Number of ABCD types (the length of [`TileCluster::by_type`]).
const ABCD_TYPES: usize = AbcdType::ALL.len();

/// Web Mercator's latitude limit in degrees: the top and bottom edges of the world square.
pub const MAX_LAT: f64 = 85.051_128_779_806_59;

/// A tile: zoom `z` (0..=[`MAX_ZOOM`]), column `x` from the west and row `y` from the north,
/// each `0..2^z` (the XYZ scheme; OGC WebMercatorQuad numbers tiles the same way and writes
/// them `{z}/{y}/{x}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TileId {
    /// Zoom level.
    pub z: u8,
    /// Column, west to east.
    pub x: u32,
    /// Row, north to south.
    pub y: u32,
}

impl TileId {
    /// The tile `z/x/y`, or an error saying which number is out of range and what is allowed.
    ///
    /// # Examples
    /// ```
    /// use assetmap_index::tiles::TileId;
    /// assert!(TileId::new(16, 65_535, 0).is_ok());
    /// assert!(TileId::new(17, 0, 0).is_err());
    /// assert!(TileId::new(2, 4, 0).is_err());
    /// ```
    pub fn new(z: u32, x: u64, y: u64) -> Result<TileId, IndexError> {
        let bad = |problem: String| IndexError::Tile { z, x, y, problem };
        if z > u32::from(MAX_ZOOM) {
            return Err(bad(format!("zoom {z} is above {MAX_ZOOM}")));
        }
        let n = 1u64 << z;
        if x >= n || y >= n {
            return Err(bad(format!(
                "at zoom {z} columns and rows run 0..={}",
                n - 1
            )));
        }
        Ok(TileId {
            z: z as u8,
            x: x as u32,
            y: y as u32,
        })
    }

    /// The tile at zoom `z` (0..=[`MAX_ZOOM`]) holding the point `lon`, `lat` (degrees).
    ///
    /// # Examples
    /// ```
    /// use assetmap_index::tiles::TileId;
    /// let t = TileId::containing(-2.3183, 53.4242, 14);
    /// assert_eq!((t.x, t.y), (8086, 5304)); // as any XYZ tile calculator gives
    /// assert_eq!(TileId::containing(180.0, -90.0, 1), TileId::new(1, 1, 1).unwrap());
    /// ```
    pub fn containing(lon: f64, lat: f64, z: u8) -> TileId {
        let z = z.min(MAX_ZOOM);
        let (wx, wy) = world_xy(lon, lat);
        let shift = WORLD_BITS - u32::from(z);
        TileId {
            z,
            x: (u64::from(wx) >> shift) as u32,
            y: (u64::from(wy) >> shift) as u32,
        }
    }

    /// The tile's edges in degrees: west, south, east, north.
    pub fn bounds(&self) -> [f64; 4] {
        self.bounds_with_margin(0.0)
    }

    /// The edges in degrees (west, south, east, north) of the tile grown by `margin` tiles on
    /// every side (the world's edge at most).
    fn bounds_with_margin(&self, margin: f64) -> [f64; 4] {
        let n = f64::from(1u32 << self.z);
        let lon = |x: f64| x.clamp(0.0, n) / n * 360.0 - 180.0;
        let lat = |y: f64| {
            let m = std::f64::consts::PI * (1.0 - 2.0 * y.clamp(0.0, n) / n);
            m.sinh().atan().to_degrees()
        };
        let (x, y) = (f64::from(self.x), f64::from(self.y));
        [
            lon(x - margin),
            lat(y + 1.0 + margin),
            lon(x + 1.0 + margin),
            lat(y - margin),
        ]
    }

    /// A circle on the ground holding the tile and its [`BUFFER`]: centred on the middle of
    /// its edges, through the farthest corner, plus 1 % and 100 m for the edges' bulge.
    fn enclosing_circle(&self) -> Option<Circle> {
        let [w, s, e, n] = self.bounds_with_margin(f64::from(BUFFER) / f64::from(EXTENT));
        let centre = LonLat::new((w + e) / 2.0, (s + n) / 2.0).ok()?;
        let radius_m = [(w, s), (w, n), (e, s), (e, n)]
            .into_iter()
            .map(|(lon, lat)| haversine_m(centre.lon(), centre.lat(), lon, lat))
            .fold(0.0, f64::max);
        Some(Circle {
            centre,
            radius_m: radius_m * 1.01 + 100.0,
        })
    }

    /// The four tiles one zoom deeper, or none at [`MAX_ZOOM`].
    pub fn children(&self) -> Vec<TileId> {
        if self.z >= MAX_ZOOM {
            return Vec::new();
        }
        let (x, y) = (self.x * 2, self.y * 2);
        [(x, y), (x + 1, y), (x, y + 1), (x + 1, y + 1)]
            .into_iter()
            .map(|(x, y)| TileId {
                z: self.z + 1,
                x,
                y,
            })
            .collect()
    }
}

/// Web Mercator position of `lon`, `lat` (degrees) on the world square of 2^32 units a side,
/// x east from -180°, y south from +85.0511°, rounded down (see the [module docs](self)).
///
/// # Examples
/// ```
/// use assetmap_index::tiles::world_xy;
/// assert_eq!(world_xy(0.0, 0.0), (1 << 31, 1 << 31));
/// assert_eq!(world_xy(-180.0, 90.0), (0, 0));
/// assert_eq!(world_xy(180.0, -90.0), (u32::MAX, u32::MAX));
/// ```
pub fn world_xy(lon: f64, lat: f64) -> (u32, u32) {
    let size = f64::from(u32::MAX) + 1.0;
    let to_u32 = |v: f64| (v * size).floor().clamp(0.0, f64::from(u32::MAX)) as u32;
    let x = (lon + 180.0) / 360.0;
    let s = lat.clamp(-MAX_LAT, MAX_LAT).to_radians().sin();
    let y = 0.5 - ((1.0 + s) / (1.0 - s)).ln() / (4.0 * std::f64::consts::PI);
    (to_u32(x), to_u32(y))
}

/// Spreads the 32 bits of `v` to the even bits of a `u64`.
fn spread(v: u32) -> u64 {
    let mut v = u64::from(v);
    v = (v | (v << 16)) & 0x0000_FFFF_0000_FFFF;
    v = (v | (v << 8)) & 0x00FF_00FF_00FF_00FF;
    v = (v | (v << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
    v = (v | (v << 2)) & 0x3333_3333_3333_3333;
    (v | (v << 1)) & 0x5555_5555_5555_5555
}

/// The even bits of `v`, gathered (the inverse of [`spread`]).
fn gather(v: u64) -> u32 {
    let mut v = v & 0x5555_5555_5555_5555;
    v = (v | (v >> 1)) & 0x3333_3333_3333_3333;
    v = (v | (v >> 2)) & 0x0F0F_0F0F_0F0F_0F0F;
    v = (v | (v >> 4)) & 0x00FF_00FF_00FF_00FF;
    v = (v | (v >> 8)) & 0x0000_FFFF_0000_FFFF;
    ((v | (v >> 16)) & 0x0000_0000_FFFF_FFFF) as u32
}

/// The Z-order key of a world position: y in the odd bits, x in the even bits.
fn morton(wx: u32, wy: u32) -> u64 {
    spread(wx) | (spread(wy) << 1)
}

/// The world position of a Z-order key.
fn unmorton(key: u64) -> (u32, u32) {
    (gather(key), gather(key >> 1))
}

/// One asset in the [`TileIndex`].
#[derive(Debug, Clone, Copy)]
struct TileEntry {
    key: u64,
    slot: u32,
    facets: Facets,
}

impl TileEntry {
    fn of(slot: u32, f: &SlotFacets) -> TileEntry {
        let (wx, wy) = world_xy(f.lon, f.lat);
        TileEntry {
            key: morton(wx, wy),
            slot,
            facets: f.facets,
        }
    }

    fn order(&self) -> (u64, u32) {
        (self.key, self.slot)
    }
}

/// Every live asset's Z-order key, slot and facets, sorted by key then slot (see the
/// [module docs](self)). The engine keeps it in step with its slots.
#[derive(Debug, Default)]
pub(crate) struct TileIndex {
    entries: Vec<TileEntry>,
}

impl TileIndex {
    /// The index of the live `slots`, reading positions and facets from `facets` (by slot).
    pub(crate) fn build(slots: &[u32], facets: &[SlotFacets]) -> TileIndex {
        let mut entries: Vec<TileEntry> = slots
            .iter()
            .map(|&s| TileEntry::of(s, &facets[s as usize]))
            .collect();
        entries.sort_unstable_by_key(TileEntry::order);
        TileIndex { entries }
    }

    /// Number of entries.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Adds `slot` with its position and facets `f`.
    pub(crate) fn insert(&mut self, slot: u32, f: &SlotFacets) {
        let e = TileEntry::of(slot, f);
        let pos = self.entries.partition_point(|x| x.order() < e.order());
        self.entries.insert(pos, e);
    }

    /// Moves `slot` from its entry for `old` (position and facets) to one for `new`, shifting
    /// only the entries between the two places (none when the asset did not move).
    pub(crate) fn replace(&mut self, slot: u32, old: &SlotFacets, new: &SlotFacets) {
        let (o, n) = (TileEntry::of(slot, old), TileEntry::of(slot, new));
        let from = self.entries.partition_point(|x| x.order() < o.order());
        if self.entries.get(from).is_none_or(|x| x.slot != slot) {
            self.insert(slot, new);
            return;
        }
        // Where the new entry goes among the others (past `from` itself when it moves on).
        let to = self.entries.partition_point(|x| x.order() < n.order());
        if to > from {
            self.entries[from..to].rotate_left(1);
            self.entries[to - 1] = n;
        } else {
            self.entries[to..=from].rotate_right(1);
            self.entries[to] = n;
        }
    }

    /// Removes `slot`, whose position and facets were `f`.
    pub(crate) fn remove(&mut self, slot: u32, f: &SlotFacets) {
        let e = TileEntry::of(slot, f);
        let pos = self.entries.partition_point(|x| x.order() < e.order());
        if self.entries.get(pos).is_some_and(|x| x.slot == slot) {
            self.entries.remove(pos);
        }
    }

    /// The entries of tile `x`, `y` at zoom `z` (up to 32: also cluster and buffer cells).
    fn range(&self, z: u32, x: u64, y: u64) -> Range<usize> {
        let shift = WORLD_BITS - z;
        let start = morton((x << shift) as u32, (y << shift) as u32);
        let end = u128::from(start) + (1u128 << (2 * shift));
        let lo = self.entries.partition_point(|e| e.key < start);
        let hi = lo + self.entries[lo..].partition_point(|e| u128::from(e.key) < end);
        lo..hi
    }

    /// Whether the checked entries agree with the engine's live slots and facets (tests).
    pub(crate) fn check(&self, live: &[u32], facets: &[SlotFacets]) -> Result<(), String> {
        let fresh = TileIndex::build(live, facets);
        let same = fresh.entries.len() == self.entries.len()
            && fresh
                .entries
                .iter()
                .zip(&self.entries)
                .all(|(a, b)| a.order() == b.order() && a.facets == b.facets);
        if same {
            Ok(())
        } else {
            Err("tile index is stale".into())
        }
    }
}

/// Rebuilds the engine's tile index from scratch and returns its size in bytes (for the
/// benchmark's figures of what the index costs at start-up).
#[doc(hidden)]
pub fn rebuild_index(engine: &Engine) -> usize {
    let index = TileIndex::build(engine.live_slots(), engine.all_slot_facets());
    index.entries.capacity() * size_of::<TileEntry>()
}

/// An asset drawn on its own, in tile units (`0..4096` inside the tile; a point of the
/// [`BUFFER`] is just outside).
#[derive(Debug, Clone, PartialEq)]
pub struct TilePoint {
    /// Tile units east of the tile's west edge.
    pub x: i32,
    /// Tile units south of the tile's north edge.
    pub y: i32,
    /// The asset.
    pub asset: Asset,
}

impl TilePoint {
    /// Whether the point is in the tile itself rather than in its buffer.
    pub fn in_tile(&self) -> bool {
        (0..EXTENT as i32).contains(&self.x) && (0..EXTENT as i32).contains(&self.y)
    }
}

/// Two or more assets of one cluster cell, at their mean position, in tile units (always
/// inside the tile).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TileCluster {
    /// Tile units east of the tile's west edge.
    pub x: i32,
    /// Tile units south of the tile's north edge.
    pub y: i32,
    /// How many assets it stands for.
    pub count: u32,
    /// How many of them are of each ABCD type, in the order of [`AbcdType::ALL`].
    pub by_type: [u32; ABCD_TYPES],
}

/// The content of one tile: assets drawn one by one, and clusters.
#[derive(Debug, Clone, PartialEq)]
pub struct Tile {
    /// Which tile.
    pub id: TileId,
    /// Assets drawn on their own (in the tile, then buffer points), in Z order.
    pub points: Vec<TilePoint>,
    /// Clusters (empty when the tile is drawn as points), in cell order.
    pub clusters: Vec<TileCluster>,
}

impl Tile {
    /// How many matching assets lie in the tile: its clusters' counts and its points inside
    /// the tile (buffer points belong to a neighbour).
    pub fn asset_count(&self) -> u64 {
        let points = self.points.iter().filter(|p| p.in_tile()).count() as u64;
        points
            + self
                .clusters
                .iter()
                .map(|c| u64::from(c.count))
                .sum::<u64>()
    }

    /// Whether the tile lists its assets one by one.
    pub fn is_points(&self) -> bool {
        self.clusters.is_empty()
    }
}

/// A set of slots, one bit each.
struct SlotSet {
    bits: Vec<u64>,
}

impl SlotSet {
    fn new(slots: usize) -> SlotSet {
        SlotSet {
            bits: vec![0; slots.div_ceil(64)],
        }
    }

    fn insert(&mut self, slot: u32) {
        if let Some(w) = self.bits.get_mut(slot as usize / 64) {
            *w |= 1 << (slot % 64);
        }
    }

    fn contains(&self, slot: u32) -> bool {
        self.bits
            .get(slot as usize / 64)
            .is_some_and(|w| w & (1 << (slot % 64)) != 0)
    }
}

/// One cluster cell being filled.
#[derive(Debug, Clone, Copy, Default)]
struct Cell {
    count: u32,
    by_type: [u32; ABCD_TYPES],
    sum_x: u64,
    sum_y: u64,
    /// The last slot added (the asset itself when `count` is 1).
    slot: u32,
}

/// The cluster cells of one tile.
struct CellGrid {
    cells: Vec<Cell>,
}

impl CellGrid {
    const SIDE: u32 = 1 << CELL_BITS;
    /// log2 of the tile units per cell side.
    const UNIT_SHIFT: u32 = EXTENT_BITS - CELL_BITS as u32;

    fn new() -> CellGrid {
        CellGrid {
            cells: vec![Cell::default(); (Self::SIDE * Self::SIDE) as usize],
        }
    }

    /// Adds the asset in `slot` at tile units `x`, `y` (both `0..4096`).
    fn add(&mut self, slot: u32, x: u32, y: u32, abcd: usize) {
        let i = (y >> Self::UNIT_SHIFT) * Self::SIDE + (x >> Self::UNIT_SHIFT);
        let c = &mut self.cells[i as usize];
        c.count += 1;
        c.by_type[abcd] += 1;
        c.sum_x += u64::from(x);
        c.sum_y += u64::from(y);
        c.slot = slot;
    }

    /// The tile: a cluster per cell of two or more, a point per cell of one.
    fn into_tile(self, id: TileId, engine: &Engine) -> Tile {
        let mut points = Vec::new();
        let mut clusters = Vec::new();
        for c in self.cells.iter().filter(|c| c.count > 0) {
            let n = u64::from(c.count);
            let (x, y) = ((c.sum_x / n) as i32, (c.sum_y / n) as i32);
            if c.count == 1 {
                if let Some(asset) = engine.slot_asset(c.slot) {
                    points.push(TilePoint { x, y, asset });
                }
            } else {
                clusters.push(TileCluster {
                    x,
                    y,
                    count: c.count,
                    by_type: c.by_type,
                });
            }
        }
        Tile {
            id,
            points,
            clusters,
        }
    }
}

impl Engine {
    /// The assets matching `filter` in tile `id`, as points or clusters in tile units (see
    /// the [module docs](crate::tiles) for which, and for the buffer).
    ///
    /// Cost: one pass over the tile's entries in the Z-ordered index (every asset at zoom 0),
    /// decoding a record only for the points returned and for the `open_at` filter.
    ///
    /// # Examples
    /// ```
    /// use assetmap_index::{tiles::TileId, Engine, Filter};
    /// use assetmap_synthetic as synthetic;
    /// let engine = Engine::new(synthetic::assets(1, 2_000));
    /// let world = engine.tile(TileId::new(0, 0, 0).unwrap(), &Filter::default());
    /// assert_eq!(world.asset_count(), 2_000);
    /// assert!(!world.is_points());
    /// ```
    pub fn tile(&self, id: TileId, filter: &Filter) -> Tile {
        self.tile_of(id, &CompiledFilter::new(filter), None)
    }

    /// [`tile`](Self::tile), keeping only the assets `words` match: those the text index
    /// finds for them (through a word, a synonym or a category, as coordinator search's
    /// candidates), wherever they rank. Empty words keep everything.
    ///
    /// Cost: a text search over the circle around the tile from zoom
    /// [`WORDS_IN_CIRCLE_FROM_ZOOM`] (over the whole index below), then the tile's pass.
    ///
    /// # Examples
    /// ```
    /// use assetmap_index::{tiles::TileId, Engine, Filter, TextQuery};
    /// use assetmap_synthetic as synthetic;
    /// let engine = Engine::new(synthetic::assets(1, 2_000));
    /// let world = TileId::new(0, 0, 0).unwrap();
    /// let all = engine.tile(world, &Filter::default()).asset_count();
    /// let words = TextQuery::parse("gardening");
    /// let some = engine.tile_matching(world, &Filter::default(), &words).asset_count();
    /// assert!(0 < some && some < all);
    /// ```
    pub fn tile_matching(&self, id: TileId, filter: &Filter, words: &TextQuery) -> Tile {
        let c = CompiledFilter::new(filter);
        if words.is_empty() {
            return self.tile_of(id, &c, None);
        }
        let area = (id.z >= WORDS_IN_CIRCLE_FROM_ZOOM)
            .then(|| id.enclosing_circle())
            .flatten();
        let mut matched = SlotSet::new(self.all_slot_facets().len());
        self.text_index()
            .for_each_match(words, area.as_ref(), &c, |slot| matched.insert(slot));
        self.tile_of(id, &c, Some(&matched))
    }

    /// The tile of the assets passing `c` (and in `only`, when given).
    fn tile_of(&self, id: TileId, c: &CompiledFilter, only: Option<&SlotSet>) -> Tile {
        let index = self.tile_index();
        let admits = |e: &TileEntry| {
            c.admits(&e.facets)
                && only.is_none_or(|set| set.contains(e.slot))
                && (!c.beyond_facets() || self.accepts(e.slot, c))
        };
        let z = u32::from(id.z);
        let (tx, ty) = (u64::from(id.x), u64::from(id.y));
        // World units to tile units: drop the bits below a tile unit.
        let unit_shift = WORLD_BITS - z - EXTENT_BITS;
        let to_tile = |wx: u32, wy: u32| {
            let x = i64::from(wx >> unit_shift) - ((tx as i64) << EXTENT_BITS);
            let y = i64::from(wy >> unit_shift) - ((ty as i64) << EXTENT_BITS);
            (x as i32, y as i32)
        };
        let inside = index.range(z, tx, ty);

        if id.z < POINTS_FROM_ZOOM {
            let mut grid = CellGrid::new();
            for e in index.entries[inside].iter().filter(|e| admits(e)) {
                let (wx, wy) = unmorton(e.key);
                let (x, y) = to_tile(wx, wy);
                grid.add(e.slot, x as u32, y as u32, e.facets.abcd_index());
            }
            return grid.into_tile(id, self);
        }

        let mut found: Vec<(u32, i32, i32)> = Vec::new();
        for e in index.entries[inside].iter().filter(|e| admits(e)) {
            let (wx, wy) = unmorton(e.key);
            let (x, y) = to_tile(wx, wy);
            found.push((e.slot, x, y));
        }
        if id.z < MAX_ZOOM && found.len() > MAX_POINTS {
            let mut grid = CellGrid::new();
            for &(slot, x, y) in &found {
                let abcd = self.slot_facets(slot).abcd_index();
                grid.add(slot, x as u32, y as u32, abcd);
            }
            return grid.into_tile(id, self);
        }
        // The buffer: the ring of zoom z + 6 tiles (BUFFER units wide) around this one.
        let bz = z + u32::from(BUFFER_BITS);
        let side = 1i64 << BUFFER_BITS;
        let (bx, by) = ((tx as i64) << BUFFER_BITS, (ty as i64) << BUFFER_BITS);
        let ring = (-1..=side).flat_map(|i| {
            let edges = [(i, -1), (i, side)];
            let sides = [(-1, i), (side, i)];
            let sides_len = if (0..side).contains(&i) { 2 } else { 0 };
            edges.into_iter().chain(sides.into_iter().take(sides_len))
        });
        let cells = 1i64 << bz;
        for (dx, dy) in ring {
            let (cx, cy) = (bx + dx, by + dy);
            if !(0..cells).contains(&cx) || !(0..cells).contains(&cy) {
                continue;
            }
            for e in index.entries[index.range(bz, cx as u64, cy as u64)]
                .iter()
                .filter(|e| admits(e))
            {
                let (wx, wy) = unmorton(e.key);
                let (x, y) = to_tile(wx, wy);
                found.push((e.slot, x, y));
            }
        }
        let points = found
            .into_iter()
            .filter_map(|(slot, x, y)| {
                Some(TilePoint {
                    x,
                    y,
                    asset: self.slot_asset(slot)?,
                })
            })
            .collect();
        Tile {
            id,
            points,
            clusters: Vec::new(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use assetmap_core::{Category, LonLat, Status};
    use assetmap_synthetic as synthetic;
    use std::collections::HashMap;

    /// Sale, a busy synthetic town centre.
    const SALE: (f64, f64) = (-2.3183, 53.4242);

    fn engine(n: usize) -> Engine {
        Engine::new(synthetic::assets(3, n))
    }

    /// Brute force: the assets matching `f` whose position lies in tile `id`.
    fn expected(e: &Engine, id: TileId, f: &Filter) -> u64 {
        e.iter()
            .filter(|a| f.matches(a))
            .filter(|a| TileId::containing(a.location.lon(), a.location.lat(), id.z) == id)
            .count() as u64
    }

    #[test]
    fn z_order_keys_round_trip() {
        for (x, y) in [
            (0, 0),
            (u32::MAX, 0),
            (0, u32::MAX),
            (0x1234_5678, 0x9abc_def0),
        ] {
            assert_eq!(unmorton(morton(x, y)), (x, y));
        }
        assert!(morton(1, 0) < morton(0, 1) && morton(0, 1) < morton(2, 0));
    }

    #[test]
    fn tile_ids_outside_the_pyramid_are_refused_with_what_is_allowed() {
        let e = TileId::new(3, 8, 0).unwrap_err().to_string();
        assert!(e.contains("0..=7"), "{e}");
        assert!(TileId::new(17, 0, 0)
            .unwrap_err()
            .to_string()
            .contains("zoom 17"));
        assert!(TileId::new(0, 0, 0).is_ok());
        let [w, s, e, n] = TileId::new(1, 0, 0).unwrap().bounds();
        assert_eq!((w, e), (-180.0, 0.0));
        assert!((n - MAX_LAT).abs() < 1e-9 && s.abs() < 1e-9);
    }

    /// The z16 tiles of one z10 tile hold every asset of that tile exactly once (points in the
    /// buffer are not counted: they are in the tile of a neighbour), and nothing else, also
    /// with assets placed on the corners of z16 tiles.
    #[test]
    fn every_asset_is_in_exactly_one_tile_at_z16() {
        let area = TileId::containing(SALE.0, SALE.1, 10);
        let mut assets = synthetic::assets(3, 20_000);
        for i in 0..200u32 {
            // On the north-west corner of z16 tiles inside the area, and 1e-9° either side.
            let t = TileId {
                z: 16,
                x: area.x * 64 + 1 + (i * 7) % 62,
                y: area.y * 64 + 1 + (i * 13) % 62,
            };
            let [w, _, _, n] = t.bounds();
            let nudge = f64::from(i % 3) * 1e-9 - 1e-9;
            let mut a = synthetic::asset(4, i as usize);
            a.id = assetmap_core::AssetId::parse(&format!("corner-{i}")).unwrap();
            a.location = LonLat::new(w + nudge, n - nudge).unwrap();
            assets.push(a);
        }
        let e = Engine::new(assets);
        e.check_invariants().unwrap();
        let [w, s, east, n] = area.bounds();
        let in_area: Vec<Asset> = e
            .iter()
            .filter(|a| {
                let (lon, lat) = (a.location.lon(), a.location.lat());
                w <= lon && lon < east && s < lat && lat <= n
            })
            .collect();
        assert!(in_area.len() > 1_000, "{}", in_area.len());
        let mut seen: HashMap<String, u32> = HashMap::new();
        for y in area.y * 64..(area.y + 1) * 64 {
            for x in area.x * 64..(area.x + 1) * 64 {
                let t = e.tile(TileId { z: 16, x, y }, &Filter::default());
                assert!(t.is_points());
                for p in t.points.iter().filter(|p| p.in_tile()) {
                    *seen.entry(p.asset.id.to_string()).or_default() += 1;
                }
            }
        }
        for a in &in_area {
            assert_eq!(
                seen.get(a.id.as_str()),
                Some(&1),
                "{} at {:?}",
                a.id,
                a.location
            );
        }
        assert_eq!(seen.len(), in_area.len());
        assert!(seen.keys().filter(|k| k.starts_with("corner-")).count() == 200);
    }

    /// At every zoom, a tile's clusters and points add up to the matching assets in it, each
    /// cluster's ABCD mix adds up to its count, and the four children add up to the parent.
    #[test]
    fn cluster_counts_add_up() {
        let e = engine(30_000);
        let filters = [
            Filter::default(),
            Filter {
                statuses: Status::SHOWN_BY_DEFAULT.to_vec(),
                ..Filter::default()
            },
        ];
        for f in &filters {
            for z in 0..=MAX_ZOOM {
                let id = TileId::containing(SALE.0, SALE.1, z);
                let t = e.tile(id, f);
                assert_eq!(t.asset_count(), expected(&e, id, f), "z{z} {f:?}");
                assert!(t.asset_count() > 0, "z{z}");
                assert_eq!(t.is_points(), z >= POINTS_FROM_ZOOM, "z{z}");
                for c in &t.clusters {
                    assert!(c.count >= 2);
                    assert_eq!(c.by_type.iter().sum::<u32>(), c.count);
                    assert!((0..EXTENT as i32).contains(&c.x) && (0..EXTENT as i32).contains(&c.y));
                }
                if z < POINTS_FROM_ZOOM {
                    assert!(t.points.iter().all(TilePoint::in_tile));
                }
                let children: u64 = id
                    .children()
                    .iter()
                    .map(|c| e.tile(*c, f).asset_count())
                    .sum();
                if z < MAX_ZOOM {
                    assert_eq!(children, t.asset_count(), "children of z{z}");
                }
            }
        }
        let world = e.tile(TileId::new(0, 0, 0).unwrap(), &Filter::default());
        assert_eq!(world.asset_count(), 30_000);
    }

    /// Filters apply to points and to cluster counts alike.
    #[test]
    fn filters_are_applied() {
        let e = engine(30_000);
        let filters = [
            Filter {
                abcd_types: vec![AbcdType::Association],
                ..Filter::default()
            },
            Filter {
                categories: vec![Category::Food],
                statuses: vec![Status::Active],
                ..Filter::default()
            },
            Filter {
                age: Some(8),
                ..Filter::default()
            },
            Filter {
                updated: Some(crate::TimeInterval::parse_ogc("2025-01-01/..").unwrap()),
                ..Filter::default()
            },
        ];
        for f in &filters {
            let everything = expected(&e, TileId::new(0, 0, 0).unwrap(), f);
            assert!(0 < everything && everything < 30_000, "{f:?}: {everything}");
            for z in [0, 6, 11, 14, 15, 16] {
                let id = TileId::containing(SALE.0, SALE.1, z);
                let t = e.tile(id, f);
                assert_eq!(t.asset_count(), expected(&e, id, f), "z{z} {f:?}");
                assert!(t.points.iter().all(|p| f.matches(&p.asset)), "z{z} {f:?}");
            }
        }
        let association = AbcdType::ALL
            .iter()
            .position(|t| *t == AbcdType::Association)
            .unwrap();
        let t = e.tile(TileId::new(0, 0, 0).unwrap(), &filters[0]);
        assert!(t.clusters.iter().all(|c| c.by_type[association] == c.count));
    }

    /// Words keep the assets the text index finds for them anywhere (asked of the whole
    /// index here, of a circle around the tile by the engine from zoom 8), in points, buffers
    /// and cluster counts alike.
    #[test]
    fn words_keep_the_assets_the_text_index_finds() {
        let e = engine(30_000);
        for words in ["gardening", "singing group", "food bank"] {
            let words = TextQuery::parse(words);
            for f in [
                Filter::default(),
                Filter {
                    statuses: Status::SHOWN_BY_DEFAULT.to_vec(),
                    ..Filter::default()
                },
            ] {
                let c = CompiledFilter::new(&f);
                let found: std::collections::HashSet<&str> = e
                    .text_index()
                    .search(&words, None, &c)
                    .iter()
                    .filter_map(|h| e.slot_id(h.slot))
                    .collect();
                assert!(found.len() > 50, "{words:?}: {}", found.len());
                for z in [0, 7, 8, 11, 14, 15, 16] {
                    let id = TileId::containing(SALE.0, SALE.1, z);
                    let t = e.tile_matching(id, &f, &words);
                    let expected = e
                        .iter()
                        .filter(|a| f.matches(a) && found.contains(a.id.as_str()))
                        .filter(|a| TileId::containing(a.location.lon(), a.location.lat(), z) == id)
                        .count() as u64;
                    assert_eq!(t.asset_count(), expected, "z{z} {words:?} {f:?}");
                    assert!(expected > 0 || z >= 15, "z{z}");
                    if t.is_points() {
                        let ids = |t: &Tile| -> Vec<(String, i32, i32)> {
                            let mut v: Vec<_> = t
                                .points
                                .iter()
                                .filter(|p| found.contains(p.asset.id.as_str()))
                                .map(|p| (p.asset.id.to_string(), p.x, p.y))
                                .collect();
                            v.sort();
                            v
                        };
                        assert_eq!(t.points.len(), ids(&t).len());
                        assert_eq!(ids(&t), ids(&e.tile(id, &f)), "z{z}");
                    }
                }
            }
        }
        let nothing = TextQuery::parse("xyzzyplugh");
        let world = TileId::new(0, 0, 0).unwrap();
        assert_eq!(
            e.tile_matching(world, &Filter::default(), &nothing)
                .asset_count(),
            0
        );
        let blank = TextQuery::parse("  ");
        assert_eq!(
            e.tile_matching(world, &Filter::default(), &blank)
                .asset_count(),
            30_000
        );
    }

    /// A buffer point is an asset of a neighbouring tile within [`BUFFER`] units of the edge;
    /// every such asset is there.
    #[test]
    fn the_buffer_holds_the_neighbours_assets_near_the_edge() {
        let e = engine(60_000);
        let centre = TileId::containing(SALE.0, SALE.1, 15);
        let t = e.tile(centre, &Filter::default());
        let mut near: Vec<(String, i32, i32)> = Vec::new();
        for dy in -1i32..=1 {
            for dx in -1i32..=1 {
                if (dx, dy) == (0, 0) {
                    continue;
                }
                let id = TileId {
                    z: 15,
                    x: centre.x.wrapping_add_signed(dx),
                    y: centre.y.wrapping_add_signed(dy),
                };
                for p in e
                    .tile(id, &Filter::default())
                    .points
                    .iter()
                    .filter(|p| p.in_tile())
                {
                    let (x, y) = (p.x + dx * EXTENT as i32, p.y + dy * EXTENT as i32);
                    let range = -BUFFER..EXTENT as i32 + BUFFER;
                    if range.contains(&x) && range.contains(&y) {
                        near.push((p.asset.id.to_string(), x, y));
                    }
                }
            }
        }
        let mut buffer: Vec<(String, i32, i32)> = t
            .points
            .iter()
            .filter(|p| !p.in_tile())
            .map(|p| (p.asset.id.to_string(), p.x, p.y))
            .collect();
        near.sort();
        buffer.sort();
        assert!(!buffer.is_empty());
        assert_eq!(buffer, near);
    }

    /// A dense tile below the highest zoom is clustered rather than listing thousands of
    /// points; at the highest zoom it lists them all.
    #[test]
    fn a_crowded_tile_is_clustered_below_the_highest_zoom() {
        let assets: Vec<Asset> = (0..MAX_POINTS + 50)
            .map(|i| {
                let mut a = synthetic::asset(9, i);
                let d = (i % 100) as f64 * 1e-6;
                a.location = LonLat::new(SALE.0 + d, SALE.1 + d).unwrap();
                a
            })
            .collect();
        let e = Engine::new(assets);
        let z15 = e.tile(TileId::containing(SALE.0, SALE.1, 15), &Filter::default());
        assert!(!z15.is_points());
        assert_eq!(z15.asset_count(), (MAX_POINTS + 50) as u64);
        let z16 = e.tile(TileId::containing(SALE.0, SALE.1, 16), &Filter::default());
        assert!(z16.is_points());
        assert_eq!(z16.asset_count(), (MAX_POINTS + 50) as u64);
    }

    /// Edits that move assets, near and far, keep the index as a fresh build would be.
    #[test]
    fn edits_move_entries_to_where_a_fresh_build_puts_them() {
        let mut e = engine(3_000);
        let ids: Vec<_> = e.iter().map(|a| a.id.clone()).collect();
        for (i, id) in ids.iter().enumerate().step_by(7) {
            let mut a = e.get(id).unwrap().clone();
            let d = (i % 11) as f64 * 1e-4 - 5e-4;
            a.location = match i % 3 {
                0 => LonLat::new(a.location.lon() + d, a.location.lat() - d).unwrap(),
                1 => LonLat::new(-a.location.lon(), -a.location.lat()).unwrap(),
                _ => a.location,
            };
            a.status = Status::ALL[i % Status::ALL.len()];
            e.upsert(a);
        }
        e.check_invariants().unwrap();
    }

    /// Writes move assets between tiles.
    #[test]
    fn writes_keep_the_tiles_in_step() {
        let mut e = engine(2_000);
        let home = TileId::containing(SALE.0, SALE.1, 16);
        let mut a = e.iter().next().unwrap().clone();
        a.location = LonLat::new(SALE.0, SALE.1).unwrap();
        e.upsert(a.clone());
        let has = |e: &Engine, id: &str| {
            e.tile(home, &Filter::default())
                .points
                .iter()
                .any(|p| p.in_tile() && p.asset.id.as_str() == id)
        };
        assert!(has(&e, a.id.as_str()));
        a.location = LonLat::new(0.0, 0.0).unwrap();
        e.upsert(a.clone());
        assert!(!has(&e, a.id.as_str()));
        let mut b = a.clone();
        b.id = assetmap_core::AssetId::parse("new-one").unwrap();
        b.location = LonLat::new(SALE.0, SALE.1).unwrap();
        e.upsert(b);
        assert!(has(&e, "new-one"));
        e.remove(&assetmap_core::AssetId::parse("new-one").unwrap());
        assert!(!has(&e, "new-one"));
        e.check_invariants().unwrap();
        let world = e.tile(TileId::new(0, 0, 0).unwrap(), &Filter::default());
        assert_eq!(world.asset_count(), 2_000);
    }
}
