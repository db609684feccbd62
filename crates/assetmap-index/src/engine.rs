//! The engine: assets by id, in id order, and an R-tree of their positions on the sphere.

use crate::facets::{CompiledFilter, SlotFacets};
use crate::records::{AssetView, Records};
use crate::search::Rendered;
use crate::sphere::{chord_of_m, enclosing_aabb, to_xyz, xyz, Xyz, CHORD_SLACK};
use crate::text::{TextIndex, TextQuery};
use crate::tiles::TileIndex;
use crate::{BBox, Filter};
use assetmap_core::{haversine_m, Asset, AssetId, LonLat};
use chrono::{DateTime, NaiveDate, Utc};
use rstar::primitives::GeomWithData;
use rstar::RTree;
use std::cmp::Ordering;
use std::fmt;
use std::sync::Arc;

/// An R-tree entry: the unit vector of an asset's location and the asset's slot.
pub(crate) type Point = GeomWithData<Xyz, u32>;

/// An asset found near a point, with its great-circle distance in metres.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// The asset (decoded from the engine's compact record).
    pub asset: Asset,
    /// Great-circle distance in metres from the query point (haversine on the sphere of
    /// radius [`EARTH_RADIUS_M`](assetmap_core::EARTH_RADIUS_M), as
    /// [`LonLat::distance_m`] computes it from the query point).
    pub distance_m: f64,
}

/// One page of a result in id order, and how many assets matched in all: the assets decoded,
/// or as the engine's view renders them ([`Rendered`], e.g. [`Engine::bbox_page_rendered`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T = Asset> {
    /// Every matching asset, not just this page (OGC API `numberMatched`).
    pub number_matched: usize,
    /// The matching assets at positions `offset .. offset + limit` in id order.
    pub items: Vec<T>,
}

impl<T> Page<T> {
    /// The page at `offset` (`limit` long) of `matching`, a list already in the order wanted.
    ///
    /// # Examples
    /// ```
    /// use assetmap_index::Page;
    /// use assetmap_synthetic as synthetic;
    /// let assets = synthetic::assets(1, 10);
    /// let page = Page::of(assets.clone(), 8, 5);
    /// assert_eq!((page.number_matched, page.items), (10, assets[8..].to_vec()));
    /// ```
    pub fn of(matching: Vec<T>, offset: usize, limit: usize) -> Page<T> {
        Page {
            number_matched: matching.len(),
            items: matching.into_iter().skip(offset).take(limit).collect(),
        }
    }
}

/// Where and when the engine's assets are: see [`Engine::extent`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Extent {
    /// `[west, south, east, north]` in degrees.
    pub bbox: [f64; 4],
    /// The earliest and the latest `updated_at`.
    pub updated: (DateTime<Utc>, DateTime<Utc>),
}

/// What is known of an asset without decoding its record: see [`Engine::scan_briefs`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Brief<'a> {
    /// Its id.
    pub id: &'a str,
    /// Where it is.
    pub location: LonLat,
    /// Bit `c as u16` set for each of its categories `c`.
    pub category_bits: u16,
    /// The day its record was last checked against reality.
    pub verified_at: Option<NaiveDate>,
}

/// The in-memory engine: owns the assets and answers id, bbox, nearest and radius queries.
///
/// Assets live in slots, each as a compact compressed record decoded when asked for (see the
/// crate `README.md`, "Records"); `order` lists the live slots sorted by asset id (so `get` is
/// a binary search and id-ordered paging needs no sort), `facets` packs each asset's position
/// and filterable attributes, and an [`RTree`] holds each location as a 3-D unit vector.
/// Queries test the facets; an asset is decoded only for what is handed out (and for the
/// `open_at` filter, which reads opening times from the record). Writes keep all of them in
/// step.
///
/// `Send + Sync`: the server wraps it in a `RwLock`.
///
/// # Examples
/// ```
/// use assetmap_core::LonLat;
/// use assetmap_index::{Engine, Filter};
/// use assetmap_synthetic as synthetic;
/// let engine = Engine::new(synthetic::assets(1, 1_000));
/// assert_eq!(engine.len(), 1_000);
/// let sale = LonLat::new(-2.3183, 53.4242).unwrap();
/// let hits = engine.nearest(sale, 5, &Filter::default());
/// assert_eq!(hits.len(), 5);
/// assert!(hits.windows(2).all(|w| w[0].distance_m <= w[1].distance_m));
/// assert_eq!(hits[0].distance_m, sale.distance_m(&hits[0].asset.location));
/// ```
#[derive(Default)]
pub struct Engine {
    /// Each slot's id and compressed record (`None` for a free slot).
    records: Records,
    /// Packed attributes, one per slot (stale for free slots).
    facets: Vec<SlotFacets>,
    /// Free slots, reused by inserts.
    free: Vec<u32>,
    /// Live slots sorted by asset id.
    order: Vec<u32>,
    tree: RTree<Point>,
    /// Text relevance over the live slots (coordinator search, see [`crate::search`]).
    text: TextIndex,
    /// Z-ordered positions and facets for map tiles (see [`crate::tiles`]).
    tiles: TileIndex,
}

impl fmt::Debug for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field("len", &self.len())
            .field("slots", &self.records.len())
            .finish_non_exhaustive()
    }
}

fn point(slot: u32, a: &Asset) -> Point {
    GeomWithData::new(to_xyz(&a.location), slot)
}

/// The R-tree entry of `slot` from its packed facets (the same vector as [`point`]).
fn facet_point(slot: u32, f: &SlotFacets) -> Point {
    GeomWithData::new(xyz(f.lon, f.lat), slot)
}

fn slot_index(i: usize) -> u32 {
    // Engine::new and upsert check the count before any slot is made.
    u32::try_from(i).unwrap_or(u32::MAX)
}

/// Nearest first, then by id.
fn by_distance_then_id(a: &Hit, b: &Hit) -> Ordering {
    a.distance_m
        .total_cmp(&b.distance_m)
        .then_with(|| a.asset.id.cmp(&b.asset.id))
}

/// `assets` reordered along a Hilbert curve through their places (lon, lat on a 2^32 × 2^32
/// grid: centimetres), and for each asset as given, its place in the new order.
fn in_hilbert_order(assets: Vec<Asset>) -> (Vec<Asset>, Vec<u32>) {
    let top = f64::from(u32::MAX);
    let cell = |v: f64, min: f64, span: f64| ((v - min) / span * top).clamp(0.0, top) as u32;
    let mut by_place: Vec<(u64, u32)> = assets
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let x = cell(a.location.lon(), -180.0, 360.0);
            let y = cell(a.location.lat(), -90.0, 180.0);
            (fast_hilbert::xy2h(x, y, 32), i as u32)
        })
        .collect();
    // Stable for equal places: the order given.
    by_place.sort_unstable();
    let mut slot_of = vec![0u32; assets.len()];
    for (slot, &(_, i)) in by_place.iter().enumerate() {
        slot_of[i as usize] = slot as u32;
    }
    drop(by_place);
    // Moved in place, cycle by cycle (a second vector of a million assets would raise the
    // build's peak by hundreds of megabytes).
    let mut assets = assets;
    let mut to = slot_of.clone();
    for i in 0..assets.len() {
        while to[i] as usize != i {
            let j = to[i] as usize;
            assets.swap(i, j);
            to.swap(i, j);
        }
    }
    (assets, slot_of)
}

impl Engine {
    /// Builds the engine from `assets` in one go (bulk-loads the R-tree; sorting by id is
    /// skipped when the input is already in id order). Its slots are numbered along a Hilbert
    /// curve through the assets' places, whatever the order given, so that neighbours' records
    /// lie side by side. When an id occurs more than once the **last** occurrence wins, as if
    /// each were [`upsert`](Self::upsert)ed in turn.
    ///
    /// # Panics
    /// With `u32::MAX` assets or more.
    ///
    /// # Examples
    /// ```
    /// use assetmap_index::Engine;
    /// use assetmap_synthetic as synthetic;
    /// let mut assets = synthetic::assets(3, 10);
    /// let mut twin = assets[4].clone();
    /// twin.version = 99;
    /// assets.push(twin);
    /// let engine = Engine::new(assets);
    /// assert_eq!(engine.len(), 10);
    /// assert_eq!(engine.iter().nth(4).unwrap().version, 99);
    /// ```
    pub fn new(assets: Vec<Asset>) -> Engine {
        Engine::build(assets, None)
    }

    /// [`Engine::new`], each record carrying the asset rendered by `view` as well, to be handed
    /// out as it is ([`Engine::render`], [`Engine::search_rendered`]); an edit renders the new
    /// version. Rendering and compressing each asset once more, and training the view's
    /// dictionary, cost the build 5–19 s more at a million assets on two cores (21 and 19 s
    /// without a view, 27 and 38 s with the server's GeoJSON view, two runs).
    pub fn with_view(assets: Vec<Asset>, view: Arc<dyn AssetView>) -> Engine {
        Engine::build(assets, Some(view))
    }

    fn build(assets: Vec<Asset>, view: Option<Arc<dyn AssetView>>) -> Engine {
        assert!(
            assets.len() < u32::MAX as usize,
            "the engine holds fewer than 2^32 - 1 assets"
        );
        let n = assets.len();
        let mut order: Vec<u32> = (0..slot_index(n)).collect();
        if !assets.is_sorted_by(|a, b| a.id < b.id) {
            // Stable: equal ids stay in input order, so the last of a run is the last given.
            order.sort_by(|&a, &b| assets[a as usize].id.cmp(&assets[b as usize].id));
        }
        let mut dead = Vec::new();
        let mut live = Vec::with_capacity(n);
        for (i, &s) in order.iter().enumerate() {
            match order.get(i + 1) {
                Some(&next) if assets[next as usize].id == assets[s as usize].id => dead.push(s),
                _ => live.push(s),
            }
        }
        // Slots follow the assets' places, not the order given: neighbours' records lie side
        // by side (in memory, and in the snapshot file, where a page of them is a few reads).
        let (assets, slot_of) = in_hilbert_order(assets);
        for s in live.iter_mut().chain(dead.iter_mut()) {
            *s = slot_of[*s as usize];
        }
        let facets: Vec<SlotFacets> = assets.iter().map(SlotFacets::of).collect();
        let text = TextIndex::build(live.iter().map(|&s| (s, &assets[s as usize])));
        let records = Records::build(&assets, &dead, view);
        drop(assets);
        // Secondary indexes (text, areas) that know assets by slot: build them here from
        // the live slots, and keep them in step in `upsert` and `remove`.
        let (tree, tiles) = Engine::index_parts(&live, &facets);
        Engine {
            records,
            facets,
            free: dead,
            order: live,
            tree,
            text,
            tiles,
        }
    }

    /// The R-tree and the tile index of the `live` slots (for [`Engine::new`] and a snapshot
    /// read), built side by side.
    pub(crate) fn index_parts(live: &[u32], facets: &[SlotFacets]) -> (RTree<Point>, TileIndex) {
        std::thread::scope(|scope| {
            let tiles = scope.spawn(|| TileIndex::build(live, facets));
            let points: Vec<Point> = live
                .iter()
                .map(|&s| facet_point(s, &facets[s as usize]))
                .collect();
            let tree = RTree::bulk_load(points);
            let tiles = tiles
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e));
            (tree, tiles)
        })
    }

    /// An engine from parts read from a snapshot, checked against one another: `order` holds
    /// live slots only, in strictly increasing id order (so each once), `free` free slots only,
    /// each once (the caller has checked that the two count every slot).
    pub(crate) fn from_parts(
        records: Records,
        facets: Vec<SlotFacets>,
        free: Vec<u32>,
        order: Vec<u32>,
        tree: RTree<Point>,
        text: TextIndex,
        tiles: TileIndex,
    ) -> Result<Engine, String> {
        let live = |s: &u32| records.is_live(*s);
        let mut distinct_free = free.clone();
        distinct_free.sort_unstable();
        distinct_free.dedup();
        if !order.iter().all(live) || free.iter().any(live) || distinct_free.len() != free.len() {
            return Err("the slot lists disagree with the assets".into());
        }
        let engine = Engine {
            records,
            facets,
            free,
            order,
            tree,
            text,
            tiles,
        };
        if !engine.order_is_by_id() {
            return Err("the assets are not in id order".into());
        }
        if engine.text.len() != engine.order.len() {
            return Err("the text index holds another number of assets".into());
        }
        Ok(engine)
    }

    /// Whether `order` lists its slots in strictly increasing id order (so each once).
    fn order_is_by_id(&self) -> bool {
        self.order
            .windows(2)
            .all(|w| self.slot_id(w[0]) < self.slot_id(w[1]))
    }

    /// The records, the free slots and the live slots in id order (for a snapshot).
    pub(crate) fn slot_parts(&self) -> (&Records, &[u32], &[u32]) {
        (&self.records, &self.free, &self.order)
    }

    /// The box around every asset (`[west, south, east, north]`, degrees) and the earliest and
    /// latest `updated_at`, or `None` when the engine is empty. Read from the packed facets
    /// (no record decoded).
    ///
    /// # Examples
    /// ```
    /// use assetmap_index::Engine;
    /// use assetmap_synthetic as synthetic;
    /// let assets = synthetic::assets(1, 50);
    /// let e = Engine::new(assets.clone()).extent().unwrap();
    /// assert!(assets.iter().all(|a| e.bbox[0] <= a.location.lon() && a.location.lat() <= e.bbox[3]));
    /// assert_eq!(e.updated.1, assets.iter().map(|a| a.updated_at).max().unwrap());
    /// assert!(e.updated.0 <= e.updated.1 && Engine::new(vec![]).extent().is_none());
    /// ```
    pub fn extent(&self) -> Option<Extent> {
        let mut live = self.order.iter().map(|&s| &self.facets[s as usize]);
        let first = live.next()?;
        let mut bbox = [first.lon, first.lat, first.lon, first.lat];
        let mut updated = (first.updated_at, first.updated_at);
        for f in live {
            bbox = [
                bbox[0].min(f.lon),
                bbox[1].min(f.lat),
                bbox[2].max(f.lon),
                bbox[3].max(f.lat),
            ];
            updated = (updated.0.min(f.updated_at), updated.1.max(f.updated_at));
        }
        Some(Extent { bbox, updated })
    }

    /// Number of assets.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// True when there are no assets.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// The asset in `slot`, decoded, if the slot is live (for secondary indexes that know
    /// assets by slot).
    pub(crate) fn slot_asset(&self, slot: u32) -> Option<Asset> {
        self.records.get(slot)
    }

    /// Appends the name of the asset in `slot` to `out` (nothing else decoded); false for a
    /// free slot.
    pub(crate) fn slot_name(&self, slot: u32, out: &mut String) -> bool {
        self.records.name(slot, out)
    }

    /// A copy of every asset's record, still compressed, in id order: what a caller holding a
    /// lock on the engine takes (copying bytes: 0.07 s at a million assets in memory, 0.34 s
    /// read from the snapshot file; `examples/engine_snapshot.rs`) to decode after letting it
    /// go, where [`iter`](Self::iter) would decode under the lock (4–8 s).
    ///
    /// # Examples
    /// ```
    /// use assetmap_index::Engine;
    /// let engine = Engine::new(assetmap_synthetic::assets(1, 600));
    /// let copy = engine.copy_records();
    /// assert_eq!(copy.len(), 600);
    /// assert_eq!(copy.into_assets(), engine.iter().collect::<Vec<_>>());
    /// ```
    pub fn copy_records(&self) -> crate::RecordsCopy {
        crate::RecordsCopy::of(&self.records, &self.order)
    }

    /// How many assets' records are read from the engine's snapshot file when handed out
    /// (an engine read by [`SnapshotReader::open_file`](crate::SnapshotReader::open_file)
    /// with its records in the file; edited assets are kept in memory).
    pub fn records_in_file(&self) -> usize {
        self.records.in_file()
    }

    /// The check of the records this engine reads from its snapshot file, to run once off the
    /// request path ([`RecordsCheck`](crate::RecordsCheck)); `None` when it keeps them in memory.
    /// It holds the file, not the engine: it runs on while the engine is locked or replaced.
    pub fn records_check(&self) -> Option<crate::RecordsCheck> {
        self.records.check()
    }

    /// Whether part of the snapshot file this engine reads its records from was found damaged
    /// when read (each part is checked against its checksum the first time a record in it is
    /// read): those records cannot be handed out — searches leave them out — so the snapshot
    /// should be dropped and the engine built again from the store. False for an engine that
    /// keeps its records in memory.
    pub fn snapshot_damaged(&self) -> bool {
        self.records.file_damaged()
    }

    /// Bytes the records hold on the heap: ids, compressed records and their dictionary
    /// (to measure them).
    pub fn records_heap_bytes(&self) -> usize {
        self.records.heap_bytes()
    }

    /// Live slots in id order (for [`crate::tiles`]).
    pub(crate) fn live_slots(&self) -> &[u32] {
        &self.order
    }

    /// The packed record of every slot, by slot (stale for free slots).
    pub(crate) fn all_slot_facets(&self) -> &[SlotFacets] {
        &self.facets
    }

    /// The tile index (for [`crate::tiles`]).
    pub(crate) fn tile_index(&self) -> &TileIndex {
        &self.tiles
    }

    /// The text index (for [`crate::search`], and to measure it).
    pub fn text_index(&self) -> &TextIndex {
        &self.text
    }

    /// `words` read as a search's words against what this engine's records say
    /// ([`TextQuery::parse_checked`]): a word no record and no known phrase has is read as the
    /// known word it is one slip from ("councelling": counselling).
    pub fn read_words(&self, words: &str) -> TextQuery {
        TextQuery::parse_checked(words, |stem| self.text.has_term(stem))
    }

    /// The id of the asset in `slot` (no decoding).
    pub(crate) fn slot_id(&self, slot: u32) -> Option<&str> {
        self.records.id(slot)
    }

    /// Position of `id` in `order`, or where it would go (ids compared as bytes: the same order
    /// as text, without checking each one is UTF-8).
    fn find(&self, id: impl AsRef<str>) -> Result<usize, usize> {
        let id = id.as_ref().as_bytes();
        self.order
            .binary_search_by(|&s| self.records.id_bytes(s).cmp(&Some(id)))
    }

    /// The slot holding the asset with this id.
    pub(crate) fn slot_of(&self, id: impl AsRef<str>) -> Option<u32> {
        self.find(id).ok().map(|i| self.order[i])
    }

    /// The asset with this id (an [`AssetId`] or its text; binary search, `O(log n)`).
    ///
    /// # Examples
    /// ```
    /// use assetmap_core::AssetId;
    /// use assetmap_index::Engine;
    /// use assetmap_synthetic as synthetic;
    /// let engine = Engine::new(synthetic::assets(1, 10));
    /// let id = engine.iter().next().unwrap().id.clone();
    /// assert_eq!(engine.get(&id).unwrap().id, id);
    /// assert!(engine.get(&AssetId::parse("nope").unwrap()).is_none());
    /// assert_eq!(engine.get(id.as_str()).unwrap().id, id);
    /// ```
    pub fn get(&self, id: impl AsRef<str>) -> Option<Asset> {
        self.find(id)
            .ok()
            .and_then(|i| self.slot_asset(self.order[i]))
    }

    /// The form of the view each record carries ([`AssetView::form`]), when the engine was
    /// built with one ([`Engine::with_view`]).
    pub fn view_form(&self) -> Option<&str> {
        self.records.codec().view_form()
    }

    /// Appends the asset `id` as the engine's view renders it ([`Engine::with_view`]) to `out`:
    /// its record's view decompressed, nothing decoded. False when there is no such asset or
    /// the engine keeps no view.
    pub fn render(&self, id: impl AsRef<str>, out: &mut Vec<u8>) -> bool {
        self.slot_of(id)
            .is_some_and(|s| self.records.render(s, out))
    }

    /// The assets in `slots` as the engine's view renders them, with their ids (`None` for a
    /// free slot, or without a view): their records read from the snapshot file together.
    pub(crate) fn rendered(&self, slots: &[u32]) -> Vec<Option<Rendered>> {
        let ahead = self.records.read_ahead(slots);
        slots
            .iter()
            .map(|&slot| {
                let id = self.slot_id(slot)?;
                let mut view = Vec::new();
                self.records
                    .render_ahead(&ahead, slot, &mut view)
                    .then(|| Rendered {
                        id: id.into(),
                        view,
                    })
            })
            .collect()
    }

    /// The assets in `slots`, decoded (`None` for a free slot).
    pub(crate) fn decoded(&self, slots: &[u32]) -> Vec<Option<Asset>> {
        slots.iter().map(|&s| self.slot_asset(s)).collect()
    }

    /// Whether an asset with this id is held (no decoding).
    pub fn contains(&self, id: impl AsRef<str>) -> bool {
        self.find(id).is_ok()
    }

    /// Every asset, in id order, each decoded as it is reached.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = Asset> + '_ {
        self.order.iter().filter_map(|&s| self.slot_asset(s))
    }

    /// Every asset's id, in id order (no decoding).
    pub fn ids(&self) -> impl DoubleEndedIterator<Item = &str> + '_ {
        self.order.iter().filter_map(|&s| self.slot_id(s))
    }

    /// Inserts `asset`, or replaces the asset with the same id (moving it in the R-tree if
    /// its location changed). Returns the asset it replaced.
    ///
    /// Cost: `O(log n)` for the tree and the id search, plus an `O(n)` shift of a `u32`
    /// array when the id is new (about a millisecond at a million assets).
    ///
    /// # Panics
    /// When inserting the `u32::MAX`th asset.
    ///
    /// # Examples
    /// ```
    /// use assetmap_core::LonLat;
    /// use assetmap_index::{Engine, Filter};
    /// use assetmap_synthetic as synthetic;
    /// let mut engine = Engine::new(synthetic::assets(1, 100));
    /// let mut moved = engine.iter().next().unwrap();
    /// moved.location = LonLat::new(10.0, 10.0).unwrap();
    /// assert!(engine.upsert(moved.clone()).is_some());
    /// let hit = engine.nearest(LonLat::new(10.0, 10.0).unwrap(), 1, &Filter::default()).remove(0);
    /// assert_eq!((hit.asset.id.clone(), hit.distance_m), (moved.id, 0.0));
    /// ```
    pub fn upsert(&mut self, asset: Asset) -> Option<Asset> {
        match self.find(&asset.id) {
            Ok(pos) => {
                let s = self.order[pos];
                let facets = SlotFacets::of(&asset);
                let old_facets = &self.facets[s as usize];
                if (old_facets.lon, old_facets.lat) != (facets.lon, facets.lat) {
                    self.tree.remove(&facet_point(s, old_facets));
                    self.tree.insert(point(s, &asset));
                }
                self.tiles.replace(s, &self.facets[s as usize], &facets);
                self.facets[s as usize] = facets;
                // Secondary indexes: replace slot `s`.
                self.text.upsert(s, &asset);
                self.records.set(s, &asset)
            }
            Err(pos) => {
                let facets = SlotFacets::of(&asset);
                let s = match self.free.pop() {
                    Some(s) => {
                        self.facets[s as usize] = facets;
                        s
                    }
                    None => {
                        assert!(
                            self.records.len() < u32::MAX as usize - 1,
                            "the engine holds fewer than 2^32 - 1 assets"
                        );
                        self.facets.push(facets);
                        slot_index(self.records.len())
                    }
                };
                self.tree.insert(point(s, &asset));
                self.text.upsert(s, &asset);
                self.tiles.insert(s, &self.facets[s as usize]);
                self.records.set(s, &asset);
                self.order.insert(pos, s);
                // Secondary indexes: insert slot `s`.
                None
            }
        }
    }

    /// Removes the asset with this id from every index and returns it.
    ///
    /// # Examples
    /// ```
    /// use assetmap_index::Engine;
    /// use assetmap_synthetic as synthetic;
    /// let mut engine = Engine::new(synthetic::assets(1, 10));
    /// let id = engine.iter().next().unwrap().id.clone();
    /// assert_eq!(engine.remove(&id).unwrap().id, id);
    /// assert!(engine.remove(&id).is_none());
    /// assert_eq!(engine.len(), 9);
    /// ```
    pub fn remove(&mut self, id: &AssetId) -> Option<Asset> {
        let pos = self.find(id).ok()?;
        let s = self.order.remove(pos);
        // The slot is freed whatever its record reads as (`None` only for a record that does
        // not decode: a bug), so that every index stays in step.
        let old = self.records.take(s);
        self.tree.remove(&facet_point(s, &self.facets[s as usize]));
        self.free.push(s);
        // Secondary indexes: remove slot `s`.
        self.text.remove(s);
        self.tiles.remove(s, &self.facets[s as usize]);
        old
    }

    /// Slots of assets in `bbox` matching `c`, in no particular order. A box across the
    /// antimeridian is asked of the R-tree as its two [parts](BBox::parts); each asset is in
    /// at most one of them (longitudes 180 and -180 are told apart by the exact test).
    pub(crate) fn bbox_slots<'a>(
        &'a self,
        bbox: &BBox,
        c: &'a CompiledFilter,
    ) -> impl Iterator<Item = u32> + 'a {
        bbox.parts().into_iter().flat_map(move |part| {
            self.tree
                .locate_in_envelope(&enclosing_aabb(&part))
                .map(|p| p.data)
                .filter(move |&s| {
                    let f = &self.facets[s as usize];
                    part.contains_lon_lat(f.lon, f.lat) && self.accepts(s, c)
                })
        })
    }

    /// The position (longitude, latitude in degrees) of the asset in `slot`, from its packed
    /// facets.
    pub(crate) fn slot_position(&self, slot: u32) -> (f64, f64) {
        let f = &self.facets[slot as usize];
        (f.lon, f.lat)
    }

    /// The packed facets of `slot`.
    pub(crate) fn slot_facets(&self, slot: u32) -> &crate::facets::Facets {
        &self.facets[slot as usize].facets
    }

    /// Whether the asset in live `slot` passes `c`. Reads only the packed facets unless the
    /// filter needs the record itself (`open_at`): at a million assets the difference between
    /// one 40-byte entry and decoding each record is most of a scan's time.
    #[inline]
    pub(crate) fn accepts(&self, slot: u32, c: &CompiledFilter) -> bool {
        let f = &self.facets[slot as usize];
        c.admits(&f.facets)
            && c.admits_updated(f.updated_at)
            && (!c.needs_asset() || self.slot_asset(slot).is_some_and(|a| c.admits_asset(&a)))
    }

    /// Great-circle metres from `at` to the asset in `slot` (the same formula and argument
    /// order as `at.distance_m(&asset.location)`, read from the packed facets).
    #[inline]
    pub(crate) fn distance_m(&self, at: &LonLat, slot: u32) -> f64 {
        let f = &self.facets[slot as usize];
        haversine_m(at.lon(), at.lat(), f.lon, f.lat)
    }

    /// Sorts `slots` by id, or, when they are many, reads them in id order off `order`
    /// (one pass with a bit set instead of a sort of strings).
    pub(crate) fn in_id_order(&self, mut slots: Vec<u32>) -> Vec<u32> {
        if slots.len() > 64 && slots.len() > self.order.len() / 32 {
            let mut bits = vec![0u64; self.records.len().div_ceil(64)];
            for &s in &slots {
                bits[s as usize / 64] |= 1 << (s % 64);
            }
            slots.clear();
            slots.extend(
                self.order
                    .iter()
                    .copied()
                    .filter(|&s| bits[s as usize / 64] & (1 << (s % 64)) != 0),
            );
        } else {
            slots.sort_unstable_by(|&a, &b| self.slot_id(a).cmp(&self.slot_id(b)));
        }
        slots
    }

    fn assets_of(&self, slots: &[u32]) -> Vec<Asset> {
        slots.iter().filter_map(|&s| self.slot_asset(s)).collect()
    }

    /// Assets inside `bbox` (edges included; lon/lat compared exactly) that match `filter`,
    /// in id order.
    ///
    /// # Examples
    /// ```
    /// use assetmap_index::{BBox, Engine, Filter};
    /// use assetmap_synthetic as synthetic;
    /// let engine = Engine::new(synthetic::assets(1, 2_000));
    /// let b: BBox = "-2.4,53.4,-2.2,53.5".parse().unwrap();
    /// let found = engine.bbox(&b, &Filter::default());
    /// assert!(!found.is_empty());
    /// assert!(found.iter().all(|a| b.contains(&a.location)));
    /// assert!(found.windows(2).all(|w| w[0].id < w[1].id));
    /// assert_eq!(engine.bbox_count(&b, &Filter::default()), found.len());
    /// ```
    pub fn bbox(&self, bbox: &BBox, filter: &Filter) -> Vec<Asset> {
        let c = CompiledFilter::new(filter);
        let slots = self.bbox_slots(bbox, &c).collect();
        self.assets_of(&self.in_id_order(slots))
    }

    /// The ids of [`bbox`](Self::bbox), in id order (no record decoded but for the `open_at`
    /// filter).
    ///
    /// # Examples
    /// ```
    /// use assetmap_index::{BBox, Engine, Filter};
    /// use assetmap_synthetic as synthetic;
    /// let engine = Engine::new(synthetic::assets(1, 2_000));
    /// let b: BBox = "-2.4,53.4,-2.2,53.5".parse().unwrap();
    /// let ids: Vec<_> = engine.bbox(&b, &Filter::default()).into_iter().map(|a| a.id).collect();
    /// assert!(engine.bbox_ids(&b, &Filter::default()).into_iter().eq(ids.iter().map(|i| i.as_str())));
    /// ```
    pub fn bbox_ids(&self, bbox: &BBox, filter: &Filter) -> Vec<&str> {
        let c = CompiledFilter::new(filter);
        let slots = self.bbox_slots(bbox, &c).collect();
        self.in_id_order(slots)
            .into_iter()
            .filter_map(|s| self.slot_id(s))
            .collect()
    }

    /// How many assets [`bbox`](Self::bbox) would return, without sorting them.
    pub fn bbox_count(&self, bbox: &BBox, filter: &Filter) -> usize {
        let c = CompiledFilter::new(filter);
        self.bbox_slots(bbox, &c).count()
    }

    /// One page (`offset`, `limit`) of [`bbox`](Self::bbox) in id order, with the exact
    /// number matched.
    ///
    /// # Examples
    /// ```
    /// use assetmap_index::{BBox, Engine, Filter};
    /// use assetmap_synthetic as synthetic;
    /// let engine = Engine::new(synthetic::assets(1, 2_000));
    /// let all = engine.bbox(&BBox::WORLD, &Filter::default());
    /// let page = engine.bbox_page(&BBox::WORLD, &Filter::default(), 10, 5);
    /// assert_eq!(page.number_matched, 2_000);
    /// assert_eq!(page.items, all[10..15].to_vec());
    /// ```
    pub fn bbox_page(&self, bbox: &BBox, filter: &Filter, offset: usize, limit: usize) -> Page {
        self.bbox_page_with(bbox, filter, offset, limit, |s| self.decoded(s))
    }

    /// [`Engine::bbox_page`], each asset as the engine's view renders it ([`Engine::with_view`]):
    /// its view copied out, nothing decoded. An engine without a view hands out no items.
    ///
    /// # Examples
    /// ```
    /// use assetmap_index::{AssetView, BBox, Engine, Filter};
    /// struct IdView;
    /// impl AssetView for IdView {
    ///     fn form(&self) -> &str { "id/1" }
    ///     fn render(&self, a: &assetmap_core::Asset, out: &mut Vec<u8>) {
    ///         out.extend_from_slice(a.id.as_str().as_bytes());
    ///     }
    /// }
    /// let engine = Engine::with_view(assetmap_synthetic::assets(1, 2_000), std::sync::Arc::new(IdView));
    /// let b: BBox = "-2.4,53.4,-2.2,53.5".parse().unwrap();
    /// let decoded = engine.bbox_page(&b, &Filter::default(), 3, 10);
    /// let rendered = engine.bbox_page_rendered(&b, &Filter::default(), 3, 10);
    /// assert_eq!(rendered.number_matched, decoded.number_matched);
    /// assert!(rendered.items.iter().map(|r| r.view.as_slice())
    ///     .eq(decoded.items.iter().map(|a| a.id.as_str().as_bytes())));
    /// ```
    pub fn bbox_page_rendered(
        &self,
        bbox: &BBox,
        filter: &Filter,
        offset: usize,
        limit: usize,
    ) -> Page<Rendered> {
        self.bbox_page_with(bbox, filter, offset, limit, |s| self.rendered(s))
    }

    /// [`Engine::bbox_page`], the assets of the page as `read` makes them of their slots.
    fn bbox_page_with<T>(
        &self,
        bbox: &BBox,
        filter: &Filter,
        offset: usize,
        limit: usize,
        read: impl Fn(&[u32]) -> Vec<Option<T>>,
    ) -> Page<T> {
        let c = CompiledFilter::new(filter);
        let slots: Vec<u32> = self.bbox_slots(bbox, &c).collect();
        let number_matched = slots.len();
        if offset >= number_matched || limit == 0 {
            return Page {
                number_matched,
                items: Vec::new(),
            };
        }
        let end = offset.saturating_add(limit).min(number_matched);
        let ordered = self.in_id_order(slots);
        Page {
            number_matched,
            items: read(&ordered[offset..end]).into_iter().flatten().collect(),
        }
    }

    /// Every asset matching `filter`, in id order, lazily (no sort: `order` is kept sorted
    /// on writes).
    ///
    /// # Examples
    /// ```
    /// use assetmap_core::Status;
    /// use assetmap_index::{Engine, Filter};
    /// use assetmap_synthetic as synthetic;
    /// let engine = Engine::new(synthetic::assets(1, 500));
    /// let closed = Filter { statuses: vec![Status::Closed], ..Filter::default() };
    /// assert!(engine.scan(&closed).all(|a| a.status == Status::Closed));
    /// assert_eq!(engine.scan(&closed).count(), engine.count(&closed));
    /// ```
    pub fn scan<'a>(&'a self, filter: &Filter) -> impl Iterator<Item = Asset> + 'a {
        self.scan_slots(filter).filter_map(|s| self.slot_asset(s))
    }

    /// The [`Brief`] of each asset [`scan`](Self::scan) would return, in id order, with no
    /// record decoded but for the `open_at` filter (what per-area figures read of a million
    /// assets).
    ///
    /// # Examples
    /// ```
    /// use assetmap_index::{Engine, Filter};
    /// use assetmap_synthetic as synthetic;
    /// let engine = Engine::new(synthetic::assets(1, 100));
    /// for (brief, asset) in engine.scan_briefs(&Filter::default()).zip(engine.iter()) {
    ///     assert_eq!((brief.id, brief.location, brief.verified_at), (asset.id.as_str(), asset.location, asset.verified_at));
    ///     assert!(asset.categories.iter().all(|c| brief.category_bits & (1 << *c as u16) != 0));
    /// }
    /// ```
    pub fn scan_briefs<'a>(&'a self, filter: &Filter) -> impl Iterator<Item = Brief<'a>> + 'a {
        self.scan_slots(filter).filter_map(|s| {
            let f = &self.facets[s as usize];
            Some(Brief {
                id: self.slot_id(s)?,
                location: LonLat::new(f.lon, f.lat).ok()?,
                category_bits: f.facets.categories(),
                verified_at: f.verified_at,
            })
        })
    }

    /// The ids of [`scan`](Self::scan), in id order (no decoding but for the `open_at`
    /// filter).
    pub fn scan_ids<'a>(&'a self, filter: &Filter) -> impl Iterator<Item = &'a str> + 'a {
        self.scan_slots(filter).filter_map(|s| self.slot_id(s))
    }

    fn scan_slots<'a>(&'a self, filter: &Filter) -> impl Iterator<Item = u32> + 'a {
        let c = CompiledFilter::new(filter);
        self.order
            .iter()
            .copied()
            .filter(move |&s| self.accepts(s, &c))
    }

    /// How many assets match `filter` (`O(1)` for the empty filter).
    pub fn count(&self, filter: &Filter) -> usize {
        if filter.is_empty() {
            return self.len();
        }
        let c = CompiledFilter::new(filter);
        self.order.iter().filter(|&&s| self.accepts(s, &c)).count()
    }

    /// One page (`offset`, `limit`) of [`scan`](Self::scan), with the exact number matched.
    /// With the empty filter this is `O(limit)`.
    ///
    /// # Examples
    /// ```
    /// use assetmap_index::{Engine, Filter};
    /// use assetmap_synthetic as synthetic;
    /// let engine = Engine::new(synthetic::assets(1, 100));
    /// let page = engine.scan_page(&Filter::default(), 95, 10);
    /// assert_eq!((page.number_matched, page.items.len()), (100, 5));
    /// ```
    pub fn scan_page(&self, filter: &Filter, offset: usize, limit: usize) -> Page {
        self.scan_page_with(filter, offset, limit, |s| self.decoded(s))
    }

    /// [`Engine::scan_page`], each asset as the engine's view renders it (see
    /// [`Engine::bbox_page_rendered`]).
    pub fn scan_page_rendered(
        &self,
        filter: &Filter,
        offset: usize,
        limit: usize,
    ) -> Page<Rendered> {
        self.scan_page_with(filter, offset, limit, |s| self.rendered(s))
    }

    /// [`Engine::scan_page`], the assets of the page as `read` makes them of their slots.
    fn scan_page_with<T>(
        &self,
        filter: &Filter,
        offset: usize,
        limit: usize,
        read: impl Fn(&[u32]) -> Vec<Option<T>>,
    ) -> Page<T> {
        if filter.is_empty() {
            let start = offset.min(self.len());
            let end = offset.saturating_add(limit).min(self.len());
            return Page {
                number_matched: self.len(),
                items: read(&self.order[start..end])
                    .into_iter()
                    .flatten()
                    .collect(),
            };
        }
        // Count on the packed facets; read a record only for the page itself.
        let c = CompiledFilter::new(filter);
        let mut number_matched = 0;
        let mut page = Vec::new();
        for &s in &self.order {
            if self.accepts(s, &c) {
                if number_matched >= offset && page.len() < limit {
                    page.push(s);
                }
                number_matched += 1;
            }
        }
        Page {
            number_matched,
            items: read(&page).into_iter().flatten().collect(),
        }
    }

    /// The `k` assets nearest to `at` that match `filter`, nearest first (ties by id).
    /// Exact on the sphere: the same answer as sorting every matching asset by
    /// [`LonLat::distance_m`] from `at`.
    ///
    /// # Examples
    /// ```
    /// use assetmap_core::LonLat;
    /// use assetmap_index::{Engine, Filter};
    /// use assetmap_synthetic as synthetic;
    /// let engine = Engine::new(synthetic::assets(2, 300));
    /// let at = LonLat::new(-2.24, 53.48).unwrap();
    /// assert_eq!(engine.nearest(at, 1_000, &Filter::default()).len(), 300);
    /// assert!(engine.nearest(at, 0, &Filter::default()).is_empty());
    /// ```
    pub fn nearest(&self, at: LonLat, k: usize, filter: &Filter) -> Vec<Hit> {
        self.nearest_within(at, k, f64::INFINITY, filter)
    }

    /// Like [`nearest`](Self::nearest), but only assets at most `max_distance_m` metres from
    /// `at`. A negative or NaN distance finds nothing.
    ///
    /// # Examples
    /// ```
    /// use assetmap_core::LonLat;
    /// use assetmap_index::{Engine, Filter};
    /// use assetmap_synthetic as synthetic;
    /// let engine = Engine::new(synthetic::assets(2, 3_000));
    /// let at = LonLat::new(-2.24, 53.48).unwrap();
    /// let hits = engine.nearest_within(at, 10, 500.0, &Filter::default());
    /// assert!(hits.len() <= 10 && hits.iter().all(|h| h.distance_m <= 500.0));
    /// ```
    pub fn nearest_within(
        &self,
        at: LonLat,
        k: usize,
        max_distance_m: f64,
        filter: &Filter,
    ) -> Vec<Hit> {
        self.nearest_within_compiled(at, k, max_distance_m, &CompiledFilter::new(filter))
            .into_iter()
            .filter_map(|(slot, distance_m)| {
                Some(Hit {
                    asset: self.slot_asset(slot)?,
                    distance_m,
                })
            })
            .collect()
    }

    /// The slot and distance (metres) of every asset within `max_distance_m` metres of `at`
    /// that passes `c` (its `open_at` checked on the record), lazily and nearest
    /// first — up to rounding of a few micrometres, [`CHORD_SLACK`]; for a walk that decides
    /// as it goes when to stop.
    pub(crate) fn nearest_walk<'e, 'c>(
        &'e self,
        at: LonLat,
        max_distance_m: f64,
        c: &'c CompiledFilter,
    ) -> impl Iterator<Item = (u32, f64)> + use<'e, 'c> {
        let q = to_xyz(&at);
        let max_chord = if max_distance_m.is_nan() || max_distance_m < 0.0 {
            -1.0
        } else {
            chord_of_m(max_distance_m) + CHORD_SLACK
        };
        let max_c2 = max_chord * max_chord.abs();
        self.tree
            .nearest_neighbor_iter_with_distance_2(&q)
            .take_while(move |(_, d2)| *d2 <= max_c2)
            .filter(move |(p, _)| self.accepts(p.data, c))
            .filter_map(move |(p, _)| {
                let distance_m = self.distance_m(&at, p.data);
                (distance_m <= max_distance_m).then_some((p.data, distance_m))
            })
    }

    /// [`nearest_within`](Self::nearest_within) with a compiled filter (whose `open_at` is
    /// checked on the record): each hit's slot and distance in metres, nearest first, ties by
    /// id.
    pub(crate) fn nearest_within_compiled(
        &self,
        at: LonLat,
        k: usize,
        max_distance_m: f64,
        c: &CompiledFilter,
    ) -> Vec<(u32, f64)> {
        if k == 0 || max_distance_m.is_nan() || max_distance_m < 0.0 {
            return Vec::new();
        }
        let q = to_xyz(&at);
        let max_chord = chord_of_m(max_distance_m) + CHORD_SLACK;
        let max_c2 = max_chord * max_chord;
        let mut cutoff_c2 = f64::INFINITY;
        let mut hits = Vec::with_capacity(k.min(1024));
        for (p, d2) in self.tree.nearest_neighbor_iter_with_distance_2(&q) {
            if d2 > max_c2 || d2 > cutoff_c2 {
                break;
            }
            if !self.accepts(p.data, c) {
                continue;
            }
            let distance_m = self.distance_m(&at, p.data);
            if distance_m > max_distance_m {
                continue;
            }
            hits.push((p.data, distance_m));
            if hits.len() == k {
                // The tree yields chords in increasing order. Anything within rounding of
                // the k-th chord may still tie or beat it in metres: read on to just past it.
                let ck = d2.sqrt() + CHORD_SLACK;
                cutoff_c2 = ck * ck;
            }
        }
        hits.sort_unstable_by(|a, b| {
            a.1.total_cmp(&b.1)
                .then_with(|| self.slot_id(a.0).cmp(&self.slot_id(b.0)))
        });
        hits.truncate(k);
        hits
    }

    /// Every asset at most `radius_m` metres (great circle) from `at` that matches `filter`,
    /// nearest first (ties by id). A true circle on the ground; radius 0 finds assets at
    /// exactly `at`; a negative or NaN radius finds nothing.
    ///
    /// # Examples
    /// ```
    /// use assetmap_core::LonLat;
    /// use assetmap_index::{Engine, Filter};
    /// use assetmap_synthetic as synthetic;
    /// let engine = Engine::new(synthetic::assets(2, 3_000));
    /// let at = LonLat::new(-2.24, 53.48).unwrap();
    /// let hits = engine.within(at, 1_000.0, &Filter::default());
    /// assert!(hits.iter().all(|h| h.distance_m <= 1_000.0));
    /// assert_eq!(hits.len(), engine.iter().filter(|a| at.distance_m(&a.location) <= 1_000.0).count());
    /// ```
    pub fn within(&self, at: LonLat, radius_m: f64, filter: &Filter) -> Vec<Hit> {
        if radius_m.is_nan() || radius_m < 0.0 {
            return Vec::new();
        }
        let c = CompiledFilter::new(filter);
        let chord = chord_of_m(radius_m) + CHORD_SLACK;
        let mut hits: Vec<Hit> = self
            .tree
            .locate_within_distance(to_xyz(&at), chord * chord)
            .filter_map(|p| {
                if !self.accepts(p.data, &c) {
                    return None;
                }
                let distance_m = self.distance_m(&at, p.data);
                if distance_m > radius_m {
                    return None;
                }
                Some(Hit {
                    asset: self.slot_asset(p.data)?,
                    distance_m,
                })
            })
            .collect();
        hits.sort_unstable_by(by_distance_then_id);
        hits
    }

    /// Checks that every index agrees with the slots (for tests).
    #[doc(hidden)]
    pub fn check_invariants(&self) -> Result<(), String> {
        let live = self.records.slots().iter().filter(|s| s.is_some()).count();
        if live != self.order.len()
            || live != self.tree.size()
            || live != self.text.len()
            || live != self.tiles.len()
            || live + self.free.len() != self.records.len()
        {
            return Err(format!(
                "live {live}, order {}, tree {}, free {}, slots {}",
                self.order.len(),
                self.tree.size(),
                self.free.len(),
                self.records.len()
            ));
        }
        if !self.order_is_by_id() {
            return Err("order is not strictly sorted by id".into());
        }
        for p in self.tree.iter() {
            let a = self
                .slot_asset(p.data)
                .ok_or_else(|| format!("tree holds free slot {}", p.data))?;
            if *p.geom() != to_xyz(&a.location) {
                return Err(format!("tree point of {} is stale", a.id));
            }
            let f = &self.facets[p.data as usize];
            if (f.lon, f.lat) != (a.location.lon(), a.location.lat()) {
                return Err(format!("facets of {} are stale", a.id));
            }
        }
        for &s in &self.order {
            let a = self
                .slot_asset(s)
                .ok_or_else(|| format!("the record in slot {s} does not decode"))?;
            if Some(a.id.as_str()) != self.slot_id(s) {
                return Err(format!("the id kept for {} is not its record's", a.id));
            }
            if SlotFacets::of(&a) != self.facets[s as usize] {
                return Err(format!("facets of {} are stale", a.id));
            }
        }
        self.tiles.check(&self.order, &self.facets)
    }
}
