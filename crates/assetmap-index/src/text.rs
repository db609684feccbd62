//! Text relevance: which assets match a coordinator's words ("gardening", "singing", "meet
//! other dads"), how well, and which of the words they matched.
//!
//! # Analysis
//! Text is cut into words at anything that is not a letter or digit (apostrophes inside a word
//! are dropped, so `St John's` gives `st`, `johns`), lower-cased and accent-folded (`Café` →
//! `cafe`: Unicode NFD, then combining marks removed; `ß` → `ss`, `æ` → `ae`, `ø` → `o`,
//! `ł` → `l`), common English [stop words](STOP_WORDS) are dropped, and every word is reduced to
//! its Snowball English (Porter 2) stem, so `garden`, `gardens`, `gardening` and `gardeners`
//! are one term.
//!
//! # What is indexed, and how much each field counts
//! | field | weight |
//! |---|---|
//! | name | 3.0 |
//! | tags | 2.0 |
//! | categories (one term per category) | 1.5 |
//! | description | 1.0 |
//!
//! Addresses are not indexed: the person's location comes from the postcode, and street names
//! ("Church Road", "Park Avenue") would otherwise match interests.
//!
//! # Query expansion
//! Each distinct stem of the query is one *query term*; an asset matches the term through the
//! best of its *expansions*:
//! - the stem itself (weight 1.0);
//! - every other entry of a [synonym group](SYNONYMS) that the query triggers (weight
//!   [`SYNONYM_WEIGHT`]); a multi-word entry such as "board games" needs all its words in
//!   the asset, and triggers only when all its words are in the query;
//! - every [`Category`] whose vocabulary — its [keywords](Category::keywords), its label and its
//!   slug — the query triggers, matched on the asset's categories (weight [`CATEGORY_WEIGHT`]).
//!   So "allotment" or "gardening" finds every green space even when the word is not in its
//!   record.
//!
//! # Scoring
//! BM25F-style: an asset's weighted term frequency `tf` (sum of the field weights of every
//! occurrence) is saturated against its weighted length `len` and the mean length `avg`, and
//! scaled by the term's inverse document frequency and the expansion's weight:
//!
//! `bm25 = weight × idf × tf × (k1 + 1) / (tf + k1 × (1 − b + b × len / avg))`, with
//! `k1 = 1.2`, `b = 0.75`, `idf = ln(1 + (N − df + 0.5) / (df + 0.5))`.
//!
//! A query term's match is its best expansion's `bm25`. It is measured against the term's
//! *ideal* match — its strongest expansion found in the name of an asset of average length —
//! and capped at 1. An asset's **relevance** is the mean of that over the query's terms
//! (0..=1; a term it does not match counts 0), so an asset matching two of two words well
//! scores about twice one matching one of them. Terms are combined by OR: an asset matching
//! any term is a hit. Because relevance is absolute (not relative to the other hits), a
//! search can stop early: assets that can only match through their categories are read only
//! where they could still make the list (see [`TextIndex::category_only_bound`]).
//!
//! # Layout, for speed
//! Posting lists are keyed by term *and* by a ~1 km grid cell, and every posting carries the
//! asset's position (a unit vector in `f32`) and a compact copy of its filterable facets. A
//! radius query therefore reads only the postings of the query's terms in the cells the circle
//! touches, sequentially, and rejects far or filtered-out assets without touching the assets
//! themselves.

use assetmap_core::{
    AbcdType, AccessFeature, Asset, Category, CostBand, LonLat, Status, EARTH_RADIUS_M,
};
use rust_stemmers::{Algorithm, Stemmer};
use std::collections::HashMap;
use std::sync::OnceLock;

/// Weight of a match through a synonym rather than the word itself.
pub const SYNONYM_WEIGHT: f32 = 0.6;
/// Weight of a match through an asset's category (the word is in the category's vocabulary).
pub const CATEGORY_WEIGHT: f32 = 0.5;
/// At most this many distinct query words are used; later words are ignored.
pub const MAX_QUERY_TERMS: usize = 8;
const _: () = assert!(MAX_QUERY_TERMS <= 32);

const K1: f32 = 1.2;
const B: f32 = 0.75;

// Field weights, doubled so that they are whole numbers (the factor cancels out in BM25 up to
// k1, which is scaled to match below).
const W_NAME: u16 = 6;
const W_TAG: u16 = 4;
const W_CATEGORY: u16 = 3;
const W_DESCRIPTION: u16 = 2;
/// The doubling of the field weights above.
const WEIGHT_SCALE: f32 = 2.0;

/// Grid cell size for the posting lists, in degrees of latitude (about 1.1 km).
const CELL_LAT_DEG: f64 = 0.01;
/// Grid cell size in degrees of longitude (about 1.0 km at 53° N).
const CELL_LON_DEG: f64 = 0.015;

/// Words too common to mean anything in a search for interests.
pub const STOP_WORDS: &[&str] = &[
    "a", "about", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be", "been", "but",
    "by", "can", "do", "does", "for", "from", "get", "go", "had", "has", "have", "he", "her",
    "here", "him", "his", "how", "i", "if", "in", "into", "is", "it", "its", "just", "like", "me",
    "more", "my", "near", "nearby", "not", "of", "on", "or", "other", "others", "our", "out",
    "she", "so", "some", "than", "that", "the", "their", "them", "then", "there", "these", "they",
    "this", "those", "to", "up", "us", "very", "want", "was", "we", "were", "what", "when",
    "where", "which", "who", "will", "with", "would", "you", "your",
];

/// Groups of words that mean much the same to someone looking for something to do. A query
/// word in a group also finds the other entries (at [`SYNONYM_WEIGHT`]). Entries are
/// analysed like any text, so each entry stands for all its word forms (`walk` covers
/// walking, walks, walkers). Drawn from the category vocabulary and everyday words.
pub const SYNONYMS: &[&[&str]] = &[
    &["walking", "ramblers", "rambling", "hiking", "strolling"],
    &["singing", "choir", "chorus", "singers", "sing"],
    &[
        "gardening",
        "allotment",
        "growing",
        "horticulture",
        "plot holders",
    ],
    &["chess", "board games", "draughts", "backgammon"],
    &["dads", "fathers", "father", "dad"],
    &["mums", "mothers", "mother", "mum", "mam"],
    &["grandparents", "grandad", "grandma", "nan"],
    &["knitting", "crochet", "sewing", "needlework", "quilting"],
    &["crafts", "arts and crafts", "handicrafts"],
    &["painting", "drawing", "art", "sketching"],
    &["football", "soccer"],
    &["swimming", "swim", "pool", "aqua"],
    &["cycling", "bike", "bicycle", "cyclists"],
    &["running", "jogging", "parkrun", "runners"],
    &["exercise", "fitness", "keep fit", "workout", "gym"],
    &["dance", "dancing", "ballroom", "zumba"],
    &["bowls", "crown green", "bowling green"],
    &["yoga", "pilates", "tai chi", "stretching"],
    &[
        "lonely",
        "loneliness",
        "isolated",
        "isolation",
        "befriending",
        "friendship",
    ],
    &[
        "older people",
        "elderly",
        "seniors",
        "pensioners",
        "retired",
        "later life",
    ],
    &["young people", "youth", "teenagers", "teens"],
    &["children", "kids", "child"],
    &["baby", "babies", "toddler", "toddlers", "under fives"],
    &["food bank", "food parcels", "pantry", "food aid"],
    &["cooking", "cookery", "baking"],
    &["meal", "lunch", "dinner", "breakfast"],
    &["coffee", "cuppa", "tea", "cafe"],
    &["library", "libraries", "books", "reading"],
    &[
        "computer",
        "computers",
        "digital skills",
        "internet",
        "laptop",
        "tablet",
    ],
    &["counselling", "therapy", "talking therapies", "counsellor"],
    &["mental health", "wellbeing", "emotional"],
    &["pharmacy", "chemist", "pharmacist"],
    &["gp", "doctor", "doctors", "surgery", "medical practice"],
    &["dentist", "dental"],
    &["money", "debt", "benefits", "budgeting", "finance"],
    &["job", "jobs", "employment", "careers", "jobseekers"],
    &["church", "chapel", "parish", "worship"],
    &["mosque", "masjid"],
    &[
        "park",
        "parks",
        "green space",
        "open space",
        "recreation ground",
    ],
    &["nature", "wildlife", "woodland", "birdwatching"],
    &["carer", "carers", "caregiver", "looking after"],
    &["dementia", "alzheimers", "memory"],
    &["music", "musical", "band", "orchestra"],
    &["theatre", "drama", "acting", "amateur dramatics"],
    &["history", "heritage", "local history"],
    &["fishing", "angling", "anglers"],
];

/// A small, fast, non-cryptographic hasher (the Fx hash of rustc and Firefox) for the
/// index's own maps: keys are stems and cell numbers from our own data, not chosen by an
/// attacker, and SipHash was a fifth of the build time.
#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

impl FxHasher {
    #[inline]
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

type FxMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<FxHasher>>;

/// The Snowball English stemmer, built once.
fn stemmer() -> &'static Stemmer {
    static STEMMER: OnceLock<Stemmer> = OnceLock::new();
    STEMMER.get_or_init(|| Stemmer::create(Algorithm::English))
}

fn is_stop_word(w: &str) -> bool {
    static SET: OnceLock<
        std::collections::HashSet<&'static str, std::hash::BuildHasherDefault<FxHasher>>,
    > = OnceLock::new();
    // Every stop word is short; most words in a description are not stop words.
    w.len() <= 7
        && SET
            .get_or_init(|| STOP_WORDS.iter().copied().collect())
            .contains(w)
}

/// Appends the lower-case, accent-folded form of `c` to `out`.
fn fold_char(c: char, out: &mut String) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
        return;
    }
    match c {
        'ß' | 'ẞ' => out.push_str("ss"),
        'æ' | 'Æ' => out.push_str("ae"),
        'œ' | 'Œ' => out.push_str("oe"),
        'ø' | 'Ø' => out.push('o'),
        'ł' | 'Ł' => out.push('l'),
        'đ' | 'Đ' | 'ð' | 'Ð' => out.push('d'),
        'þ' | 'Þ' => out.push_str("th"),
        'ı' => out.push('i'),
        _ => {
            unicode_normalization::char::decompose_canonical(c, |d| {
                if !unicode_normalization::char::is_combining_mark(d) {
                    out.extend(d.to_lowercase());
                }
            });
        }
    }
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '’' | 'ʼ' | '‘')
}

/// Lower-cases and accent-folds `text`, keeping every other character.
///
/// # Examples
/// ```
/// assert_eq!(assetmap_index::text::fold("Café Crème ŁÓDŹ"), "cafe creme lodz");
/// ```
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        fold_char(c, &mut out);
    }
    out
}

/// Calls `f` with every folded word of `text` (stop words included), in order.
fn for_each_word(text: &str, mut f: impl FnMut(&str)) {
    let mut word = String::new();
    let mut folded = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_alphanumeric() {
            folded.clear();
            fold_char(c, &mut folded);
            // Folding may yield combining marks only (dropped) or non-alphanumerics: keep letters.
            word.extend(folded.chars().filter(|c| c.is_alphanumeric()));
        } else if is_apostrophe(c)
            && !word.is_empty()
            && chars.peek().is_some_and(|n| n.is_alphanumeric())
        {
            // "john's" → "johns": an apostrophe inside a word joins it.
        } else if !word.is_empty() {
            f(&word);
            word.clear();
        }
    }
    if !word.is_empty() {
        f(&word);
    }
}

/// The stems of `text`, in order, without stop words (repeats kept).
///
/// # Examples
/// ```
/// use assetmap_index::text::analyse;
/// assert_eq!(analyse("Gardeners' Club"), ["garden", "club"]);
/// assert_eq!(analyse("Meet other DADS"), ["meet", "dad"]);
/// ```
pub fn analyse(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for_each_stem(text, |s| out.push(s.to_string()));
    out
}

/// Calls `f` with the stem of every word of `text` but the stop words, in order.
fn for_each_stem(text: &str, mut f: impl FnMut(&std::sync::Arc<str>)) {
    for_each_word(text, |w| {
        if !is_stop_word(w) {
            f(&stem(w));
        }
    });
}

/// The Snowball stem of one folded word, through a per-thread cache: the stemmer costs about
/// a microsecond a word, and a community dataset repeats a few thousand words endlessly.
fn stem(word: &str) -> std::sync::Arc<str> {
    thread_local! {
        static CACHE: std::cell::RefCell<FxMap<Box<str>, std::sync::Arc<str>>> = std::cell::RefCell::new(FxMap::default());
    }
    CACHE.with_borrow_mut(|cache| {
        if let Some(s) = cache.get(word) {
            return s.clone();
        }
        let s: std::sync::Arc<str> = stemmer().stem(word).into();
        if cache.len() >= 200_000 {
            // Bounded: a flood of distinct words (or ids) must not grow memory without end.
            cache.clear();
        }
        cache.insert(word.into(), s.clone());
        s
    })
}

/// The stems of one vocabulary entry ("board games" → `[board, game]`), stop words dropped.
fn phrase(entry: &str) -> Vec<String> {
    analyse(entry)
}

/// A compact copy of the facets an asset is filtered on, kept in every posting so that
/// filtering needs no trip to the asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Facets {
    /// Bit `i` for `Category::ALL[i]`.
    categories: u16,
    /// Bit `i` for `AccessFeature::ALL[i]`.
    access: u16,
    /// Bit `i` for `AbcdType::ALL[i]`.
    abcd: u8,
    /// Bit `i` for `Status::ALL[i]`.
    status: u8,
    /// Bit 0 free, 1 low, 2 paid, 3 not known.
    cost: u8,
    /// Youngest age admitted in years (0 when no limit).
    min_age: u8,
    /// Oldest age admitted in years (255 when no limit).
    max_age: u8,
}

fn bit_of<T: PartialEq>(all: &[T], v: &T) -> u32 {
    all.iter().position(|x| x == v).map_or(0, |i| 1 << i)
}

/// The bit for one category in a [`FacetFilter`] or [`Facets`] mask.
pub fn category_bit(c: Category) -> u16 {
    bit_of(Category::ALL, &c) as u16
}

/// The bit for one access feature.
pub fn access_bit(a: AccessFeature) -> u16 {
    bit_of(AccessFeature::ALL, &a) as u16
}

/// The bit for one ABCD type.
pub fn abcd_bit(a: AbcdType) -> u8 {
    bit_of(AbcdType::ALL, &a) as u8
}

/// The bit for one status.
pub fn status_bit(s: Status) -> u8 {
    bit_of(Status::ALL, &s) as u8
}

/// The bit for a cost band; `None` (cost not known) is bit 3.
pub fn cost_bit(c: Option<CostBand>) -> u8 {
    match c {
        Some(CostBand::Free) => 1,
        Some(CostBand::Low) => 2,
        Some(CostBand::Paid) => 4,
        None => 8,
    }
}

impl Facets {
    /// The facets of `asset`.
    pub fn of(asset: &Asset) -> Facets {
        Facets {
            categories: asset.categories.iter().fold(0, |m, c| m | category_bit(*c)),
            access: asset.access.iter().fold(0, |m, a| m | access_bit(*a)),
            abcd: abcd_bit(asset.abcd_type),
            status: status_bit(asset.status),
            cost: cost_bit(asset.cost.as_ref().map(|c| c.band)),
            min_age: asset.audience.min_age().unwrap_or(0),
            max_age: asset.audience.max_age().unwrap_or(u8::MAX),
        }
    }
}

/// Which facets an asset must have. Every part is optional (0 or `None` = no constraint).
///
/// # Examples
/// ```
/// use assetmap_index::text::{category_bit, FacetFilter};
/// use assetmap_core::Category;
/// let f = FacetFilter { categories: category_bit(Category::Food), age: Some(8), ..FacetFilter::default() };
/// assert!(!f.is_unconstrained());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FacetFilter {
    /// At least one of these categories.
    pub categories: u16,
    /// All of these access features.
    pub access: u16,
    /// One of these ABCD types.
    pub abcd: u8,
    /// One of these statuses.
    pub status: u8,
    /// One of these cost bits (see [`cost_bit`]).
    pub cost: u8,
    /// Admits a person of this age, in years.
    pub age: Option<u8>,
}

impl FacetFilter {
    /// True when the filter lets everything through.
    pub fn is_unconstrained(&self) -> bool {
        *self == FacetFilter::default()
    }

    /// Whether an asset with facets `f` passes.
    #[inline]
    pub fn admits(&self, f: &Facets) -> bool {
        (self.categories == 0 || self.categories & f.categories != 0)
            && (self.access & f.access == self.access)
            && (self.abcd == 0 || self.abcd & f.abcd != 0)
            && (self.status == 0 || self.status & f.status != 0)
            && (self.cost == 0 || self.cost & f.cost != 0)
            && self.age.is_none_or(|a| a >= f.min_age && a <= f.max_age)
    }
}

/// The unit vector of a position on the sphere, `f64`.
pub(crate) fn unit_vector(p: LonLat) -> [f64; 3] {
    let (lon, lat) = (p.lon().to_radians(), p.lat().to_radians());
    [lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()]
}

/// A circle on the Earth, for narrowing a text search: centre and radius in metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Circle {
    pub centre: LonLat,
    pub radius_m: f64,
}

/// One asset's entry in one (term, cell) posting list.
#[derive(Debug, Clone, Copy)]
struct Posting {
    slot: u32,
    /// Weighted term frequency (field weights doubled).
    tf: u16,
    /// Weighted length of the asset's text (field weights doubled, saturating).
    len: u16,
    xyz: [f32; 3],
    facets: Facets,
}

type TermId = u32;

/// Key of a grid cell: latitude row and longitude column packed into one `u64`.
type CellKey = u64;

fn cell_of(p: LonLat) -> CellKey {
    cell_key(
        (p.lat() / CELL_LAT_DEG).floor() as i32,
        (p.lon() / CELL_LON_DEG).floor() as i32,
    )
}

fn cell_key(row: i32, col: i32) -> CellKey {
    (u64::from(row as u32) << 32) | u64::from(col as u32)
}

fn cell_row_col(k: CellKey) -> (i32, i32) {
    ((k >> 32) as u32 as i32, k as u32 as i32)
}

#[derive(Debug, Default)]
struct TermEntry {
    /// Number of assets holding the term.
    df: u32,
    cells: FxMap<CellKey, Vec<Posting>>,
}

/// What the index keeps per asset slot, to remove it again.
#[derive(Debug, Clone)]
struct Doc {
    cell: CellKey,
    /// Sorted, distinct.
    terms: Box<[TermId]>,
    len: u32,
}

/// The text index over the assets of an engine. Assets are known by *slot*, the engine's
/// dense number for them; [`TextIndex::upsert`] and [`TextIndex::remove`] keep it in step.
///
/// # Examples
/// ```
/// use assetmap_core::AssetName;
/// use assetmap_index::text::{FacetFilter, TextIndex, TextQuery};
/// use assetmap_synthetic as synthetic;
/// let mut asset = synthetic::asset(1, 0);
/// asset.name = AssetName::parse("Sale Gardeners' Club").unwrap();
/// let mut index = TextIndex::default();
/// index.upsert(0, &asset);
/// let hits = index.search(&TextQuery::parse("gardening"), None, &FacetFilter::default());
/// assert_eq!(hits.len(), 1);
/// assert_eq!(hits[0].matched, 0b1); // the first (only) query term
/// ```
#[derive(Debug, Default)]
pub struct TextIndex {
    dictionary: FxMap<Box<str>, TermId>,
    terms: Vec<TermEntry>,
    docs: Vec<Option<Doc>>,
    live: u32,
    total_len: u64,
}

/// The pseudo-term that stands for "the asset is in category `c`".
fn category_term(c: Category) -> String {
    format!("\u{1}cat:{}", c.slug())
}

/// [`category_term`], shared.
fn category_term_arc(c: Category) -> std::sync::Arc<str> {
    static TERMS: OnceLock<Vec<std::sync::Arc<str>>> = OnceLock::new();
    let all = TERMS.get_or_init(|| {
        Category::ALL
            .iter()
            .map(|c| category_term(*c).into())
            .collect()
    });
    let i = Category::ALL.iter().position(|x| *x == c).unwrap_or(0);
    all[i].clone()
}

/// Appends `(stem, weight)` for every stem of `text` to `tf`.
fn count_field(text: &str, weight: u16, tf: &mut Vec<(std::sync::Arc<str>, u16)>, len: &mut u32) {
    for_each_stem(text, |s| {
        tf.push((s.clone(), weight));
        *len += u32::from(weight);
    });
}

/// An asset's text, analysed: what [`TextIndex::insert`] needs, computed without the index
/// (so that it can run on many threads).
struct AnalysedDoc {
    /// (term, weighted frequency), sorted by term so that posting order never depends on
    /// hash iteration order.
    terms: Vec<(std::sync::Arc<str>, u16)>,
    len: u32,
    cell: CellKey,
    xyz: [f32; 3],
    facets: Facets,
}

impl AnalysedDoc {
    fn of(asset: &Asset) -> AnalysedDoc {
        let mut tf: Vec<(std::sync::Arc<str>, u16)> = Vec::with_capacity(64);
        let mut len = 0u32;
        count_field(asset.name.as_str(), W_NAME, &mut tf, &mut len);
        for tag in &asset.tags {
            count_field(tag.as_str(), W_TAG, &mut tf, &mut len);
        }
        if let Some(d) = &asset.description {
            count_field(d, W_DESCRIPTION, &mut tf, &mut len);
        }
        for c in &asset.categories {
            tf.push((category_term_arc(*c), W_CATEGORY));
            len += u32::from(W_CATEGORY);
        }
        // Sum the weights of repeated stems.
        tf.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut terms: Vec<(std::sync::Arc<str>, u16)> = Vec::with_capacity(tf.len());
        for (t, w) in tf {
            match terms.last_mut() {
                Some(last) if last.0 == t => last.1 = last.1.saturating_add(w),
                _ => terms.push((t, w)),
            }
        }
        let v = unit_vector(asset.location);
        AnalysedDoc {
            terms,
            len,
            cell: cell_of(asset.location),
            xyz: [v[0] as f32, v[1] as f32, v[2] as f32],
            facets: Facets::of(asset),
        }
    }
}

impl TextIndex {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of assets indexed.
    pub fn len(&self) -> usize {
        self.live as usize
    }

    /// True when nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Number of distinct terms ever seen (including category terms).
    pub fn vocabulary_len(&self) -> usize {
        self.dictionary.len()
    }

    fn term_id(&mut self, term: &str) -> TermId {
        if let Some(id) = self.dictionary.get(term) {
            return *id;
        }
        let id = self.terms.len() as TermId;
        self.terms.push(TermEntry::default());
        self.dictionary.insert(term.into(), id);
        id
    }

    /// Indexes `asset` under `slot`, replacing whatever the slot held.
    pub fn upsert(&mut self, slot: u32, asset: &Asset) {
        self.remove(slot);
        let doc = AnalysedDoc::of(asset);
        self.insert(slot, doc);
    }

    /// An index of `(slot, asset)` pairs, analysing the text on all available cores.
    ///
    /// # Panics
    /// When a slot occurs twice.
    pub fn build<'a>(assets: impl ExactSizeIterator<Item = (u32, &'a Asset)>) -> TextIndex {
        let items: Vec<(u32, &Asset)> = assets.collect();
        let threads = std::thread::available_parallelism()
            .map_or(1, |t| t.get())
            .clamp(1, 8);
        let chunk = items.len().div_ceil(threads).max(1);
        let analysed: Vec<Vec<AnalysedDoc>> = if items.len() < 20_000 || threads == 1 {
            vec![items.iter().map(|(_, a)| AnalysedDoc::of(a)).collect()]
        } else {
            std::thread::scope(|scope| {
                let handles: Vec<_> = items
                    .chunks(chunk)
                    .map(|part| {
                        scope.spawn(move || {
                            part.iter()
                                .map(|(_, a)| AnalysedDoc::of(a))
                                .collect::<Vec<_>>()
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                    .collect()
            })
        };
        let mut docs: Vec<(u32, AnalysedDoc)> = items
            .iter()
            .map(|(slot, _)| *slot)
            .zip(analysed.into_iter().flatten())
            .collect();
        // Insert cell by cell: the posting lists being appended to are then a few hot ones
        // rather than a random one per posting (a cache miss each), several times faster.
        docs.sort_unstable_by_key(|(slot, d)| (d.cell, *slot));
        let mut index = TextIndex::new();
        if let Some(max) = docs.iter().map(|(s, _)| *s).max() {
            index.docs.resize(max as usize + 1, None);
        }
        for (slot, doc) in docs {
            assert!(
                index.docs.get(slot as usize).is_none_or(Option::is_none),
                "slot {slot} given twice"
            );
            index.insert(slot, doc);
        }
        index
    }

    fn insert(&mut self, slot: u32, doc: AnalysedDoc) {
        let AnalysedDoc {
            terms: entries,
            len,
            cell,
            xyz,
            facets,
        } = doc;
        let plen = len.min(u32::from(u16::MAX)) as u16;
        let mut terms: Vec<TermId> = Vec::with_capacity(entries.len());
        for (term, count) in entries {
            let id = self.term_id(term.as_ref());
            let entry = &mut self.terms[id as usize];
            entry.df += 1;
            entry.cells.entry(cell).or_default().push(Posting {
                slot,
                tf: count,
                len: plen,
                xyz,
                facets,
            });
            terms.push(id);
        }
        terms.sort_unstable();
        let idx = slot as usize;
        if self.docs.len() <= idx {
            self.docs.resize(idx + 1, None);
        }
        self.docs[idx] = Some(Doc {
            cell,
            terms: terms.into_boxed_slice(),
            len,
        });
        self.live += 1;
        self.total_len += u64::from(len);
    }

    /// Forgets whatever `slot` held (nothing happens if it held nothing).
    pub fn remove(&mut self, slot: u32) {
        let Some(doc) = self.docs.get_mut(slot as usize).and_then(Option::take) else {
            return;
        };
        for id in doc.terms.iter() {
            let entry = &mut self.terms[*id as usize];
            entry.df -= 1;
            if let Some(list) = entry.cells.get_mut(&doc.cell) {
                if let Some(i) = list.iter().position(|p| p.slot == slot) {
                    list.swap_remove(i);
                }
                if list.is_empty() {
                    entry.cells.remove(&doc.cell);
                }
            }
        }
        self.live -= 1;
        self.total_len -= u64::from(doc.len);
    }

    fn doc_has(&self, slot: u32, term: TermId) -> bool {
        self.docs
            .get(slot as usize)
            .and_then(Option::as_ref)
            .is_some_and(|d| d.terms.binary_search(&term).is_ok())
    }

    /// The assets matching `query` within `area` (everywhere when `None`) that pass `filter`,
    /// in no particular order, each with its relevance, the query terms it matched and its
    /// distance from the area's centre. Exhaustive: [`TextIndex::word_hits`] and
    /// [`TextIndex::category_only_hits`] together.
    pub fn search(
        &self,
        query: &TextQuery,
        area: Option<&Circle>,
        filter: &FacetFilter,
    ) -> Vec<TextHit> {
        let p = self.prepare(query);
        let mut hits = Vec::new();
        let words = self.word_hits(&p, area, filter, &mut hits);
        self.category_only_hits(&p, area, filter, &words, &mut hits);
        hits
    }

    /// Resolves `query` against this index: term ids, inverse document frequencies and the
    /// ideal score of each query term.
    pub fn prepare(&self, query: &TextQuery) -> PreparedQuery {
        let n = self.live.max(1) as f32;
        let idf = |id: TermId| {
            let df = self.terms[id as usize].df as f32;
            (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
        };
        let mut terms = Vec::new();
        for term in query.terms.iter().take(MAX_QUERY_TERMS) {
            let mut words = Vec::new();
            let mut categories = Vec::new();
            let mut ideal: f32 = 0.0;
            for exp in &term.expansions {
                if exp.via == "category" {
                    let Some(c) = Category::ALL
                        .iter()
                        .find(|c| category_term(**c) == exp.stems[0])
                    else {
                        continue;
                    };
                    let Some(&id) = self.dictionary.get(exp.stems[0].as_str()) else {
                        continue;
                    };
                    if self.terms[id as usize].df == 0 {
                        continue;
                    }
                    let scale = exp.weight * idf(id) * (K1 + 1.0);
                    ideal = ideal.max(scale);
                    categories.push(PreparedCategory {
                        id,
                        bit: category_bit(*c),
                        scale,
                    });
                    continue;
                }
                let ids: Option<Vec<TermId>> = exp
                    .stems
                    .iter()
                    .map(|s| self.dictionary.get(s.as_str()).copied())
                    .collect();
                let Some(mut ids) = ids else { continue };
                // Walk the rarest stem's postings; check the others in the asset's term list.
                ids.sort_by_key(|id| (self.terms[*id as usize].df, *id));
                if self.terms[ids[0] as usize].df == 0 {
                    continue;
                }
                let scale = exp.weight * idf(ids[0]) * (K1 + 1.0);
                ideal = ideal.max(scale);
                words.push(PreparedWord {
                    lead: ids[0],
                    rest: ids[1..].to_vec(),
                    scale,
                });
            }
            terms.push(PreparedTerm {
                words,
                categories,
                ideal: ideal * REFERENCE_SATURATION,
            });
        }
        PreparedQuery {
            terms,
            avg: (self.total_len as f32 / n).max(1.0),
        }
    }

    /// Visits the postings of `lead` in `region` (everywhere when `None`).
    fn postings<'a>(
        &'a self,
        lead: TermId,
        region: Option<&Region>,
        mut f: impl FnMut(&'a [Posting]),
    ) {
        let entry = &self.terms[lead as usize];
        match region {
            Some(r) if r.cell_count() <= entry.cells.len() => r.for_each_cell(|k| {
                if let Some(list) = entry.cells.get(&k) {
                    f(list);
                }
            }),
            _ => {
                for (k, list) in &entry.cells {
                    if region.is_none_or(|r| r.has_cell(*k)) {
                        f(list);
                    }
                }
            }
        }
    }

    /// Phase 1 of a search: every asset in `area` passing `filter` that matches a query term
    /// through a word or a synonym, with its complete relevance (its category matches are
    /// read from the posting, without walking the category lists).
    /// The hits are appended to `out`; the returned [`WordHits`] remembers which assets they
    /// were, for [`TextIndex::category_only_hits`].
    pub fn word_hits(
        &self,
        p: &PreparedQuery,
        area: Option<&Circle>,
        filter: &FacetFilter,
        out: &mut Vec<TextHit>,
    ) -> WordHits {
        let region = area.map(Region::new);
        let mut expected = 0usize;
        for t in &p.terms {
            for w in &t.words {
                self.postings(w.lead, region.as_ref(), |list| expected += list.len());
            }
        }
        let mut acc = Accumulator::with_capacity(expected.min(1 << 20));
        let norm = |len: u16| K1 * WEIGHT_SCALE * (1.0 - B + B * f32::from(len) / p.avg);
        for (ti, t) in p.terms.iter().enumerate() {
            for w in &t.words {
                self.postings(w.lead, region.as_ref(), |list| {
                    for post in list {
                        let Some(chord2) = chord2_in(region.as_ref(), &post.xyz) else {
                            continue;
                        };
                        if !filter.admits(&post.facets)
                            || (!w.rest.is_empty()
                                && !w.rest.iter().all(|t| self.doc_has(post.slot, *t)))
                        {
                            continue;
                        }
                        let tf = f32::from(post.tf);
                        acc.add(post, ti, w.scale * tf / (tf + norm(post.len)), chord2);
                    }
                });
            }
        }
        acc.drain(p, norm, out);
        WordHits { seen: acc }
    }

    /// The highest relevance an asset can reach through category matches alone.
    pub fn category_only_bound(&self, p: &PreparedQuery) -> f32 {
        // Length 0 makes the BM25 saturation largest.
        let norm0 = K1 * WEIGHT_SCALE * (1.0 - B);
        let tf = f32::from(W_CATEGORY);
        let sum: f32 = p
            .terms
            .iter()
            .map(|t| {
                let best = t
                    .categories
                    .iter()
                    .map(|c| c.scale * tf / (tf + norm0))
                    .fold(0.0, f32::max);
                if t.ideal > 0.0 {
                    (best / t.ideal).min(1.0)
                } else {
                    0.0
                }
            })
            .sum();
        sum / p.terms.len().max(1) as f32
    }

    /// Phase 2 of a search: the assets in `area` passing `filter` that match the query only
    /// through their categories (none of `words`' hits).
    /// The hits are appended to `out`.
    pub fn category_only_hits(
        &self,
        p: &PreparedQuery,
        area: Option<&Circle>,
        filter: &FacetFilter,
        words: &WordHits,
        out: &mut Vec<TextHit>,
    ) {
        let region = area.map(Region::new);
        let norm = |len: u16| K1 * WEIGHT_SCALE * (1.0 - B + B * f32::from(len) / p.avg);
        let mut expected = 0usize;
        for t in &p.terms {
            for c in &t.categories {
                self.postings(c.id, region.as_ref(), |list| expected += list.len());
            }
        }
        let mut acc = Accumulator::with_capacity(expected.min(1 << 20));
        for t in &p.terms {
            for c in &t.categories {
                self.postings(c.id, region.as_ref(), |list| {
                    for post in list {
                        let Some(chord2) = chord2_in(region.as_ref(), &post.xyz) else {
                            continue;
                        };
                        if !filter.admits(&post.facets) || words.seen.contains(post.slot) {
                            continue;
                        }
                        acc.insert(post, chord2);
                    }
                });
            }
        }
        acc.drain(p, norm, out);
    }
}

/// Which assets [`TextIndex::word_hits`] found.
pub struct WordHits {
    seen: Accumulator,
}

/// A query resolved against one [`TextIndex`] (see [`TextIndex::prepare`]).
#[derive(Debug, Clone)]
pub struct PreparedQuery {
    terms: Vec<PreparedTerm>,
    avg: f32,
}

impl PreparedQuery {
    /// True when no term can match anything in the index.
    pub fn matches_nothing(&self) -> bool {
        self.terms
            .iter()
            .all(|t| t.words.is_empty() && t.categories.is_empty())
    }
}

#[derive(Debug, Clone)]
struct PreparedTerm {
    words: Vec<PreparedWord>,
    categories: Vec<PreparedCategory>,
    /// The BM25 of an ideal match: the term's strongest expansion, found in the name of an
    /// asset of average length.
    ideal: f32,
}

#[derive(Debug, Clone)]
struct PreparedWord {
    lead: TermId,
    rest: Vec<TermId>,
    /// `weight × idf × (k1 + 1)`.
    scale: f32,
}

#[derive(Debug, Clone)]
struct PreparedCategory {
    id: TermId,
    bit: u16,
    scale: f32,
}

/// BM25 saturation of a name match in an asset of average length: the "ideal" match that
/// relevance is measured against.
const REFERENCE_SATURATION: f32 = W_NAME as f32 / (W_NAME as f32 + K1 * WEIGHT_SCALE);

/// The area of a [`Circle`] as the index sees it: the cells to read and the chord test.
struct Region {
    centre: [f32; 3],
    /// Squared chord length (unit sphere) of the radius, with a little slack for `f32`.
    max_chord2: f32,
    /// Grid rows and columns (inclusive); `all_cols` when the circle spans every longitude.
    rows: (i32, i32),
    cols: (i32, i32),
    all_cols: bool,
    /// The cells of the bounding box that the circle reaches (when there are not too many
    /// to list).
    cells: Option<Vec<CellKey>>,
}

impl Region {
    fn new(c: &Circle) -> Region {
        let v = unit_vector(c.centre);
        let angle = (c.radius_m / EARTH_RADIUS_M).min(std::f64::consts::PI);
        // Positions are stored in f32 (about 0.4 m on the Earth); 1 m of slack on the radius
        // keeps every asset truly inside, and the caller checks distances exactly.
        let slack = 2.0 * ((angle + 1.0 / EARTH_RADIUS_M) / 2.0).sin();
        let dlat = angle.to_degrees();
        let (lat0, lat1) = (c.centre.lat() - dlat, c.centre.lat() + dlat);
        let rows = (
            (lat0.max(-90.0) / CELL_LAT_DEG).floor() as i32,
            (lat1.min(90.0) / CELL_LAT_DEG).floor() as i32,
        );
        let mut all_cols = lat0 <= -90.0 || lat1 >= 90.0;
        let mut cols = (0, 0);
        if !all_cols {
            // Widest longitude span of the circle: at the latitude farthest from the equator.
            let max_lat = lat0.abs().max(lat1.abs()).to_radians();
            let dlon = (angle.sin() / max_lat.cos()).min(1.0).asin().to_degrees() + 1e-9;
            let (lon0, lon1) = (c.centre.lon() - dlon, c.centre.lon() + dlon);
            if lon0 < -180.0 || lon1 > 180.0 || dlon >= 90.0 {
                all_cols = true;
            } else {
                cols = (
                    (lon0 / CELL_LON_DEG).floor() as i32,
                    (lon1 / CELL_LON_DEG).floor() as i32,
                );
            }
        }
        Region {
            centre: [v[0] as f32, v[1] as f32, v[2] as f32],
            max_chord2: (slack * slack) as f32,
            rows,
            cols,
            all_cols,
            cells: None,
        }
        .with_cells(c)
    }

    /// Squared chord to `p` when `p` may be inside the circle.
    #[inline]
    fn chord2(&self, p: &[f32; 3]) -> Option<f32> {
        let (dx, dy, dz) = (
            p[0] - self.centre[0],
            p[1] - self.centre[1],
            p[2] - self.centre[2],
        );
        let d2 = dx * dx + dy * dy + dz * dz;
        (d2 <= self.max_chord2).then_some(d2)
    }

    fn cell_count(&self) -> usize {
        if let Some(cells) = &self.cells {
            return cells.len();
        }
        if self.all_cols {
            return usize::MAX;
        }
        let r = (self.rows.1 - self.rows.0 + 1).max(0) as usize;
        let c = (self.cols.1 - self.cols.0 + 1).max(0) as usize;
        r.saturating_mul(c)
    }

    /// Lists the cells of the bounding box that the circle reaches. The nearest point of a
    /// cell to the centre is the centre clamped into the cell's latitude and longitude ranges
    /// (on the sphere that is off by about d²/R: 0.1 m at 2 km, 90 m at 50 km; the slack
    /// covers it).
    fn with_cells(mut self, c: &Circle) -> Region {
        let boxed = self.cell_count();
        if self.all_cols || boxed > 4096 {
            return self;
        }
        let (lon, lat) = (c.centre.lon(), c.centre.lat());
        let reach = c.radius_m * 1.01 + 5.0;
        let mut cells = Vec::with_capacity(boxed);
        for row in self.rows.0..=self.rows.1 {
            let (s, n) = (
                f64::from(row) * CELL_LAT_DEG,
                f64::from(row + 1) * CELL_LAT_DEG,
            );
            let near_lat = lat.clamp(s, n);
            for col in self.cols.0..=self.cols.1 {
                let (w, e) = (
                    f64::from(col) * CELL_LON_DEG,
                    f64::from(col + 1) * CELL_LON_DEG,
                );
                if assetmap_core::haversine_m(lon, lat, lon.clamp(w, e), near_lat) <= reach {
                    cells.push(cell_key(row, col));
                }
            }
        }
        self.cells = Some(cells);
        self
    }

    fn for_each_cell(&self, mut f: impl FnMut(CellKey)) {
        match &self.cells {
            Some(cells) => cells.iter().for_each(|k| f(*k)),
            None => {
                for row in self.rows.0..=self.rows.1 {
                    for col in self.cols.0..=self.cols.1 {
                        f(cell_key(row, col));
                    }
                }
            }
        }
    }

    fn has_cell(&self, k: CellKey) -> bool {
        let (row, col) = cell_row_col(k);
        (self.rows.0..=self.rows.1).contains(&row)
            && (self.all_cols || (self.cols.0..=self.cols.1).contains(&col))
    }
}

/// Squared chord from the search centre to `p`, or `None` when `p` is outside the search
/// circle; `Some(0.0)` when the search has no circle (every posting counts, distance unused).
#[inline]
fn chord2_in(region: Option<&Region>, p: &[f32; 3]) -> Option<f32> {
    match region {
        Some(r) => r.chord2(p),
        None => Some(0.0),
    }
}

/// Ground distance in metres of a squared chord on the unit sphere. Up to chords of 0.02
/// (about 64 km) `asin` is replaced by its series to the x⁵ term (error below 1e-12 m).
#[inline]
fn chord2_to_m(chord2: f32) -> f64 {
    let x = f64::from(chord2).sqrt() / 2.0;
    let angle = if x < 0.01 {
        let x2 = x * x;
        x * (1.0 + x2 * (1.0 / 6.0 + x2 * (3.0 / 40.0)))
    } else {
        x.min(1.0).asin()
    };
    2.0 * EARTH_RADIUS_M * angle
}

/// One asset found by a text search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TextHit {
    /// The engine's slot for the asset.
    pub slot: u32,
    /// Relevance, 0..=1: the mean over the query terms of each term's best match relative to
    /// an ideal one (see the module docs); above 0.
    pub relevance: f32,
    /// Bit `i` set when the asset matched query term `i` ([`TextQuery::terms`]).
    pub matched: u32,
    /// Distance from the search circle's centre in metres, from the index's `f32` positions
    /// (within about a metre); 0 when the search had no circle.
    pub approx_distance_m: f64,
}

#[derive(Debug, Clone, Copy, Default)]
struct Acc {
    /// Best word or synonym BM25 per query term.
    best: [f32; MAX_QUERY_TERMS],
    len: u16,
    categories: u16,
    chord2: f32,
}

/// Per-slot scores for one query: a small open-addressing hash map (slots are `u32`, the
/// empty key is `u32::MAX`), sized to the hits rather than to the whole index. Accumulators
/// are pooled per thread and cleared by their touched buckets only, so a query allocates
/// nothing once the thread has warmed up.
struct Accumulator {
    keys: Vec<u32>,
    vals: Vec<Acc>,
    /// Buckets in use, in insertion order.
    used: Vec<u32>,
}

/// The buffers of a cleared accumulator, kept for reuse.
type Buffers = (Vec<u32>, Vec<Acc>, Vec<u32>);

thread_local! {
    static POOL: std::cell::RefCell<Vec<Buffers>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl Accumulator {
    /// An empty accumulator with room for about `n` slots, from this thread's pool.
    fn with_capacity(n: usize) -> Self {
        let cap = (n * 2).next_power_of_two().max(16);
        // The largest pooled buffers: a search takes two (words, then categories) and gives
        // them back in either order; taking a small one for a big query would mean a fresh
        // multi-megabyte allocation every time.
        let pooled = POOL.with_borrow_mut(|pool| {
            let i = (0..pool.len()).max_by_key(|&i| pool[i].0.len())?;
            Some(pool.swap_remove(i))
        });
        match pooled {
            Some((keys, vals, used)) if keys.len() >= cap => Accumulator { keys, vals, used },
            Some((_, _, used)) => Accumulator {
                keys: vec![u32::MAX; cap],
                vals: vec![Acc::default(); cap],
                used,
            },
            None => Accumulator {
                keys: vec![u32::MAX; cap],
                vals: vec![Acc::default(); cap],
                used: Vec::new(),
            },
        }
    }

    fn len(&self) -> usize {
        self.used.len()
    }

    #[inline]
    fn bucket(&self, slot: u32) -> usize {
        // Fibonacci hashing.
        (slot.wrapping_mul(0x9E37_79B9) as usize) & (self.keys.len() - 1)
    }

    /// The bucket of `slot`, inserting it if new.
    #[inline]
    fn entry(&mut self, post: &Posting, chord2: f32) -> usize {
        if (self.used.len() + 1) * 2 > self.keys.len() {
            self.grow();
        }
        let mask = self.keys.len() - 1;
        let mut i = self.bucket(post.slot);
        loop {
            let k = self.keys[i];
            if k == post.slot {
                return i;
            }
            if k == u32::MAX {
                self.keys[i] = post.slot;
                self.vals[i] = Acc {
                    len: post.len,
                    categories: post.facets.categories,
                    chord2,
                    ..Acc::default()
                };
                self.used.push(i as u32);
                return i;
            }
            i = (i + 1) & mask;
        }
    }

    #[inline]
    fn add(&mut self, post: &Posting, term: usize, contribution: f32, chord2: f32) {
        let i = self.entry(post, chord2);
        let best = &mut self.vals[i].best[term];
        *best = best.max(contribution);
    }

    #[inline]
    fn insert(&mut self, post: &Posting, chord2: f32) {
        self.entry(post, chord2);
    }

    fn contains(&self, slot: u32) -> bool {
        let mask = self.keys.len() - 1;
        let mut i = self.bucket(slot);
        loop {
            match self.keys[i] {
                k if k == slot => return true,
                u32::MAX => return false,
                _ => i = (i + 1) & mask,
            }
        }
    }

    fn grow(&mut self) {
        let cap = self.keys.len() * 2;
        let mut keys = vec![u32::MAX; cap];
        let mut vals = vec![Acc::default(); cap];
        let mask = cap - 1;
        for b in &mut self.used {
            let (k, v) = (self.keys[*b as usize], self.vals[*b as usize]);
            let mut i = (k.wrapping_mul(0x9E37_79B9) as usize) & mask;
            while keys[i] != u32::MAX {
                i = (i + 1) & mask;
            }
            keys[i] = k;
            vals[i] = v;
            *b = i as u32;
        }
        self.keys = keys;
        self.vals = vals;
    }

    /// The hits, with category matches added and relevance computed (the keys stay, for
    /// [`Accumulator::contains`]).
    fn drain(&self, p: &PreparedQuery, norm: impl Fn(u16) -> f32, out: &mut Vec<TextHit>) {
        let tf = f32::from(W_CATEGORY);
        let n_terms = p.terms.len().max(1) as f32;
        out.reserve(self.len());
        for b in &self.used {
            let (slot, a) = (&self.keys[*b as usize], &self.vals[*b as usize]);
            let cat_sat = tf / (tf + norm(a.len));
            let mut relevance = 0.0;
            let mut matched = 0u32;
            for (ti, t) in p.terms.iter().enumerate() {
                let mut best = a.best[ti];
                for c in &t.categories {
                    if a.categories & c.bit != 0 {
                        best = best.max(c.scale * cat_sat);
                    }
                }
                if best > 0.0 && t.ideal > 0.0 {
                    relevance += (best / t.ideal).min(1.0);
                    matched |= 1 << ti;
                }
            }
            if matched == 0 {
                continue;
            }
            out.push(TextHit {
                slot: *slot,
                relevance: relevance / n_terms,
                matched,
                approx_distance_m: chord2_to_m(a.chord2),
            });
        }
    }
}

impl Drop for Accumulator {
    fn drop(&mut self) {
        for b in self.used.drain(..) {
            self.keys[b as usize] = u32::MAX;
        }
        // Keep at most two per thread (a search holds two at once), and none over a million
        // buckets (about 44 MB).
        if self.keys.len() <= 1 << 20 {
            let buffers = (
                std::mem::take(&mut self.keys),
                std::mem::take(&mut self.vals),
                std::mem::take(&mut self.used),
            );
            let _ = POOL.try_with(|pool| {
                let mut pool = pool.borrow_mut();
                pool.push(buffers);
                if pool.len() > 2 {
                    // Keep the two largest.
                    if let Some(i) = (0..pool.len()).min_by_key(|&i| pool[i].0.len()) {
                        pool.swap_remove(i);
                    }
                }
            });
        }
    }
}

/// One way an asset can match a query term: all of `stems` present, counted at `weight`.
#[derive(Debug, Clone, PartialEq)]
pub struct Expansion {
    pub stems: Vec<String>,
    pub weight: f32,
    /// Where the expansion came from: `"word"`, `"synonym"` or `"category"`.
    pub via: &'static str,
}

/// One distinct word of a query and the ways an asset can match it.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryTerm {
    /// The word as typed (folded: lower case, accents removed), e.g. `gardening`.
    pub word: String,
    /// Its stem, e.g. `garden`.
    pub stem: String,
    pub expansions: Vec<Expansion>,
}

/// An analysed query: its distinct terms (at most [`MAX_QUERY_TERMS`]) with their expansions.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TextQuery {
    pub terms: Vec<QueryTerm>,
}

/// The synonym groups and category vocabularies, analysed once.
struct Vocabulary {
    /// Each group: its entries as stem lists.
    synonyms: Vec<Vec<Vec<String>>>,
    /// Each category: its vocabulary entries as stem lists.
    categories: Vec<(Category, Vec<Vec<String>>)>,
}

fn vocabulary() -> &'static Vocabulary {
    static V: OnceLock<Vocabulary> = OnceLock::new();
    V.get_or_init(|| Vocabulary {
        synonyms: SYNONYMS
            .iter()
            .map(|g| {
                g.iter()
                    .map(|e| phrase(e))
                    .filter(|p| !p.is_empty())
                    .collect()
            })
            .collect(),
        categories: Category::ALL
            .iter()
            .map(|c| {
                let mut entries: Vec<Vec<String>> =
                    c.keywords().iter().map(|k| phrase(k)).collect();
                entries.push(phrase(c.label()));
                entries.push(phrase(&c.slug().replace('_', " ")));
                entries.retain(|p| !p.is_empty());
                entries.sort();
                entries.dedup();
                (*c, entries)
            })
            .collect(),
    })
}

impl TextQuery {
    /// Analyses a free-text query ("gardening, singing; meet other dads").
    ///
    /// # Examples
    /// ```
    /// use assetmap_index::text::TextQuery;
    /// let q = TextQuery::parse("Gardening and singing");
    /// let words: Vec<&str> = q.terms.iter().map(|t| t.word.as_str()).collect();
    /// assert_eq!(words, ["gardening", "singing"]);
    /// // "singing" also finds choirs.
    /// assert!(q.terms[1].expansions.iter().any(|e| e.stems == ["choir"]));
    /// ```
    pub fn parse(text: &str) -> TextQuery {
        let mut terms: Vec<QueryTerm> = Vec::new();
        for_each_word(text, |w| {
            if is_stop_word(w) || terms.len() >= MAX_QUERY_TERMS {
                return;
            }
            let stem = stem(w).to_string();
            if terms.iter().any(|t| t.stem == stem) {
                return;
            }
            let expansions = vec![Expansion {
                stems: vec![stem.clone()],
                weight: 1.0,
                via: "word",
            }];
            terms.push(QueryTerm {
                word: w.to_owned(),
                stem,
                expansions,
            });
        });
        let stems: Vec<String> = terms.iter().map(|t| t.stem.clone()).collect();
        let in_query = |entry: &[String]| entry.iter().all(|s| stems.contains(s));
        // The term an entry triggered from: its first word's term.
        let owner = |entry: &[String]| stems.iter().position(|s| *s == entry[0]);
        let v = vocabulary();
        for group in &v.synonyms {
            for trigger in group.iter().filter(|e| in_query(e)) {
                let Some(ti) = owner(trigger) else { continue };
                for other in group.iter().filter(|e| *e != trigger) {
                    let exp = Expansion {
                        stems: other.clone(),
                        weight: SYNONYM_WEIGHT,
                        via: "synonym",
                    };
                    if !terms[ti].expansions.iter().any(|e| e.stems == exp.stems) {
                        terms[ti].expansions.push(exp);
                    }
                }
            }
        }
        for (category, entries) in &v.categories {
            if let Some(ti) = entries
                .iter()
                .filter(|e| in_query(e))
                .find_map(|e| owner(e))
            {
                terms[ti].expansions.push(Expansion {
                    stems: vec![category_term(*category)],
                    weight: CATEGORY_WEIGHT,
                    via: "category",
                });
            }
        }
        TextQuery { terms }
    }

    /// True when the query has no terms (empty, or only stop words).
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The words of the terms whose bits are set in `matched` (see [`TextHit::matched`]).
    pub fn matched_words(&self, matched: u32) -> Vec<&str> {
        self.terms
            .iter()
            .enumerate()
            .filter(|(i, _)| matched & (1 << i) != 0)
            .map(|(_, t)| t.word.as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use assetmap_core::{AssetDraft, AssetId, AudienceDraft, CostDraft};

    fn asset(
        id: &str,
        name: &str,
        description: &str,
        categories: &[&str],
        tags: &[&str],
        lonlat: (f64, f64),
    ) -> Asset {
        let draft = AssetDraft {
            name: Some(name.into()),
            description: (!description.is_empty()).then(|| description.into()),
            abcd_type: Some("association".into()),
            categories: categories.iter().map(|s| (*s).into()).collect(),
            tags: tags.iter().map(|s| (*s).into()).collect(),
            ..AssetDraft::default()
        };
        let valid = draft.validate(Some(lonlat)).unwrap();
        Asset::create(
            AssetId::parse(id).unwrap(),
            valid,
            chrono::DateTime::UNIX_EPOCH,
        )
    }

    const SALE: (f64, f64) = (-2.3183, 53.4242);

    fn index(assets: &[Asset]) -> TextIndex {
        let mut ix = TextIndex::new();
        for (i, a) in assets.iter().enumerate() {
            ix.upsert(i as u32, a);
        }
        ix
    }

    fn ranked(ix: &TextIndex, assets: &[Asset], q: &str) -> Vec<String> {
        let mut hits = ix.search(&TextQuery::parse(q), None, &FacetFilter::default());
        hits.sort_by(|a, b| {
            b.relevance
                .total_cmp(&a.relevance)
                .then(a.slot.cmp(&b.slot))
        });
        hits.iter()
            .map(|h| assets[h.slot as usize].id.to_string())
            .collect()
    }

    #[test]
    fn stop_words_are_sorted_and_short() {
        let mut sorted = STOP_WORDS.to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, STOP_WORDS);
        // `is_stop_word` skips longer words without looking them up.
        assert!(STOP_WORDS.iter().all(|w| w.len() <= 7));
        assert!(is_stop_word("the") && is_stop_word("nearby") && !is_stop_word("garden"));
    }

    #[test]
    fn folding_removes_case_and_accents() {
        assert_eq!(fold("CAFÉ"), "cafe");
        assert_eq!(fold("Straße"), "strasse");
        assert_eq!(fold("Zoë's Crèche"), "zoe's creche");
        assert_eq!(analyse("Café crème"), analyse("cafe CREME"));
        assert_eq!(analyse("Naïve  résumé"), ["naiv", "resum"]);
    }

    #[test]
    fn tokenising_splits_on_punctuation_and_joins_apostrophes() {
        assert_eq!(analyse("St John's Centre"), ["st", "john", "centr"]);
        assert_eq!(
            analyse("arts&crafts/knit-and-natter"),
            ["art", "craft", "knit", "natter"]
        );
        assert_eq!(
            analyse("Over 50s club, U3A"),
            ["over", "50s", "club", "u3a"]
        );
        assert_eq!(analyse("'quoted'"), ["quot"]);
        assert!(analyse("the and of").is_empty());
    }

    #[test]
    fn stemming_unifies_word_forms() {
        for w in ["garden", "gardens", "gardening", "gardeners", "Gardener's"] {
            assert_eq!(analyse(w), ["garden"], "{w}");
        }
        assert_eq!(analyse("walking walks walked"), ["walk", "walk", "walk"]);
        assert_eq!(analyse("allotments"), analyse("allotment"));
        assert_eq!(analyse("libraries"), analyse("library"));
    }

    #[test]
    fn synonyms_expand_both_ways() {
        let q = TextQuery::parse("walking");
        assert!(q.terms[0]
            .expansions
            .iter()
            .any(|e| e.stems == ["rambler"] && e.via == "synonym"));
        let q = TextQuery::parse("ramblers");
        assert!(q.terms[0].expansions.iter().any(|e| e.stems == ["walk"]));
        let q = TextQuery::parse("chess");
        assert!(
            q.terms[0]
                .expansions
                .iter()
                .any(|e| e.stems == ["board", "game"]),
            "{q:?}"
        );
        let q = TextQuery::parse("board games");
        assert!(
            q.terms[0].expansions.iter().any(|e| e.stems == ["chess"]),
            "{q:?}"
        );
        let q = TextQuery::parse("dads");
        assert!(q.terms[0].expansions.iter().any(|e| e.stems == ["father"]));
    }

    #[test]
    fn every_synonym_group_has_at_least_two_distinct_entries() {
        for g in &vocabulary().synonyms {
            let mut g = g.clone();
            g.sort();
            g.dedup();
            assert!(g.len() >= 2, "{g:?}");
        }
    }

    #[test]
    fn category_vocabulary_triggers_on_whole_phrases() {
        let cats = |q: &str| -> Vec<String> {
            TextQuery::parse(q)
                .terms
                .iter()
                .flat_map(|t| {
                    t.expansions
                        .iter()
                        .filter(|e| e.via == "category")
                        .map(|e| e.stems[0].clone())
                })
                .collect()
        };
        assert!(cats("allotment").contains(&category_term(Category::GreenSpaceNature)));
        assert!(cats("gardening").contains(&category_term(Category::GreenSpaceNature)));
        // "mental health" is one keyword: "health" alone is health services only.
        assert_eq!(cats("health"), [category_term(Category::HealthServices)]);
        assert!(cats("mental health").contains(&category_term(Category::MentalWellbeing)));
        assert!(cats("xyzzy").is_empty());
    }

    #[test]
    fn gardening_finds_allotments_and_green_spaces_with_name_matches_first() {
        let assets = vec![
            asset(
                "club",
                "Sale Gardeners' Club",
                "Monthly talks",
                &["community_groups"],
                &[],
                SALE,
            ),
            asset(
                "allot",
                "Walton Park Allotments",
                "",
                &["green_space_nature"],
                &[],
                SALE,
            ),
            asset(
                "park",
                "Worthington Park",
                "",
                &["green_space_nature"],
                &[],
                SALE,
            ),
            asset(
                "choir",
                "Sale Community Choir",
                "We sing",
                &["arts_heritage"],
                &[],
                SALE,
            ),
        ];
        let ix = index(&assets);
        let r = ranked(&ix, &assets, "gardening");
        assert_eq!(r[0], "club", "{r:?}");
        assert_eq!(
            r[1], "allot",
            "allotments (synonym + category) before a plain park: {r:?}"
        );
        assert_eq!(r[2], "park");
        assert_eq!(r.len(), 3);
        assert_eq!(ranked(&ix, &assets, "singing"), ["choir"]);
    }

    #[test]
    fn field_weights_put_name_before_tags_before_description() {
        let assets = vec![
            asset(
                "desc",
                "Tuesday Group",
                "We play chess and cards",
                &["community_groups"],
                &[],
                SALE,
            ),
            asset(
                "tag",
                "Tuesday Group",
                "We play cards",
                &["community_groups"],
                &["chess"],
                SALE,
            ),
            asset(
                "name",
                "Tuesday Chess Group",
                "We play cards",
                &["community_groups"],
                &[],
                SALE,
            ),
        ];
        let ix = index(&assets);
        assert_eq!(ranked(&ix, &assets, "chess"), ["name", "tag", "desc"]);
    }

    #[test]
    fn more_matched_terms_rank_higher_and_matched_bits_say_which() {
        let assets = vec![
            asset(
                "both",
                "Dads and Tots Chess",
                "",
                &["children_families"],
                &[],
                SALE,
            ),
            asset("one", "Chess Club", "", &["community_groups"], &[], SALE),
        ];
        let ix = index(&assets);
        let q = TextQuery::parse("chess dads");
        let mut hits = ix.search(&q, None, &FacetFilter::default());
        hits.sort_by(|a, b| b.relevance.total_cmp(&a.relevance));
        assert_eq!(hits[0].slot, 0);
        assert_eq!(q.matched_words(hits[0].matched), ["chess", "dads"]);
        assert_eq!(q.matched_words(hits[1].matched), ["chess"]);
    }

    #[test]
    fn synonyms_score_below_the_word_itself() {
        let assets = vec![
            asset(
                "ramblers",
                "Trafford Ramblers",
                "",
                &["physical_activity_sport"],
                &[],
                SALE,
            ),
            asset(
                "walking",
                "Trafford Walking Group",
                "",
                &["physical_activity_sport"],
                &[],
                SALE,
            ),
        ];
        let ix = index(&assets);
        assert_eq!(ranked(&ix, &assets, "walking"), ["walking", "ramblers"]);
        assert_eq!(ranked(&ix, &assets, "ramblers"), ["ramblers", "walking"]);
    }

    #[test]
    fn circle_and_filter_narrow_the_hits_and_distances_are_close() {
        let far = (-2.2, 53.48); // ~10 km from Sale
        let near = (-2.3183, 53.4332); // 1 km north of Sale
        let mut assets = vec![
            asset("near", "Chess Club", "", &["community_groups"], &[], near),
            asset("far", "Chess Club", "", &["community_groups"], &[], far),
        ];
        let draft = AssetDraft {
            cost: Some(CostDraft {
                band: "paid".into(),
                detail: None,
            }),
            audience: AudienceDraft {
                min_age: Some(18),
                ..AudienceDraft::default()
            },
            ..assets[0].to_draft()
        };
        assets.push(Asset::create(
            AssetId::parse("paid").unwrap(),
            draft.validate(Some(near)).unwrap(),
            chrono::DateTime::UNIX_EPOCH,
        ));
        let ix = index(&assets);
        let q = TextQuery::parse("chess");
        let circle = Circle {
            centre: LonLat::new(SALE.0, SALE.1).unwrap(),
            radius_m: 2000.0,
        };
        let mut hits = ix.search(&q, Some(&circle), &FacetFilter::default());
        hits.sort_by_key(|h| h.slot);
        assert_eq!(hits.iter().map(|h| h.slot).collect::<Vec<_>>(), [0, 2]);
        let exact = circle.centre.distance_m(&assets[0].location);
        assert!(
            (hits[0].approx_distance_m - exact).abs() < 1.0,
            "{} vs {exact}",
            hits[0].approx_distance_m
        );

        let free = FacetFilter {
            cost: cost_bit(Some(CostBand::Free)) | cost_bit(None),
            ..FacetFilter::default()
        };
        assert_eq!(ix.search(&q, Some(&circle), &free).len(), 1);
        let child = FacetFilter {
            age: Some(8),
            ..FacetFilter::default()
        };
        assert_eq!(
            ix.search(&q, Some(&circle), &child)
                .iter()
                .map(|h| h.slot)
                .collect::<Vec<_>>(),
            [0]
        );
        let everywhere = Circle {
            radius_m: 50_000.0,
            ..circle
        };
        assert_eq!(
            ix.search(&q, Some(&everywhere), &FacetFilter::default())
                .len(),
            3
        );
    }

    #[test]
    fn large_circles_and_circles_near_the_antimeridian_and_poles_still_find_everything_inside() {
        let spots = [
            (179.999, 10.0),
            (-179.999, 10.0),
            (0.0, 89.999),
            (120.0, 89.99),
        ];
        let assets: Vec<Asset> = spots
            .iter()
            .enumerate()
            .map(|(i, p)| {
                asset(
                    &format!("a{i}"),
                    "Chess",
                    "",
                    &["community_groups"],
                    &[],
                    *p,
                )
            })
            .collect();
        let ix = index(&assets);
        let q = TextQuery::parse("chess");
        let c = Circle {
            centre: LonLat::new(180.0, 10.0).unwrap(),
            radius_m: 1000.0,
        };
        assert_eq!(ix.search(&q, Some(&c), &FacetFilter::default()).len(), 2);
        let c = Circle {
            centre: LonLat::new(60.0, 90.0).unwrap(),
            radius_m: 5000.0,
        };
        assert_eq!(ix.search(&q, Some(&c), &FacetFilter::default()).len(), 2);
    }

    #[test]
    fn upsert_replaces_and_remove_forgets() {
        let mut assets = vec![
            asset("a", "Chess Club", "", &["community_groups"], &[], SALE),
            asset("b", "Bridge Club", "", &["community_groups"], &[], SALE),
        ];
        let mut ix = index(&assets);
        assert_eq!(ix.len(), 2);
        let q = TextQuery::parse("chess");
        assert_eq!(ix.search(&q, None, &FacetFilter::default()).len(), 1);
        assets[1] = asset(
            "b",
            "Bridge and Chess Club",
            "",
            &["community_groups"],
            &[],
            SALE,
        );
        ix.upsert(1, &assets[1]);
        assert_eq!(ix.len(), 2);
        assert_eq!(ix.search(&q, None, &FacetFilter::default()).len(), 2);
        ix.remove(0);
        ix.remove(0);
        assert_eq!(ix.len(), 1);
        let hits = ix.search(&q, None, &FacetFilter::default());
        assert_eq!(hits.iter().map(|h| h.slot).collect::<Vec<_>>(), [1]);
        ix.remove(1);
        assert!(ix.is_empty());
        assert!(ix.search(&q, None, &FacetFilter::default()).is_empty());
    }

    #[test]
    fn accumulator_grows_without_losing_hits() {
        let assets: Vec<Asset> = (0..500)
            .map(|i| {
                asset(
                    &format!("a{i}"),
                    "Chess Club",
                    "",
                    &["community_groups"],
                    &[],
                    (-2.3 + f64::from(i) * 1e-4, 53.4),
                )
            })
            .collect();
        let ix = index(&assets);
        let hits = ix.search(
            &TextQuery::parse("chess club"),
            None,
            &FacetFilter::default(),
        );
        assert_eq!(hits.len(), 500);
        assert!(hits.iter().all(|h| h.matched == 0b11));
        let s0 = hits[0].relevance;
        assert!(hits.iter().all(|h| (h.relevance - s0).abs() < 1e-6));
    }
}
