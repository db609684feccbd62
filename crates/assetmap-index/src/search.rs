//! Coordinator search: from a place, a few words about what matters to a person and some
//! practical limits, to a short ranked list of nearby assets, each with the reasons it matched.
//!
//! # Ranking
//! Every result lies within `radius_m` of the origin and passes every filter. Its score is
//!
//! ```text
//! with words:    score = (0.75 × relevance + 0.25 × proximity) × openness
//! without words: score = proximity × openness
//!
//! relevance = how well the asset matches the words, 0..=1: for each word, its best match
//!             (the word itself, a synonym, or the asset's category) measured against an
//!             ideal match (the word in the name of a typical record), capped at 1; summed
//!             over the words and divided by their number, at most 3, capped at 1 (see `text`)
//! proximity = 1 − distance / radius   (1 at the origin, 0 at the edge of the area)
//! openness  = 1 when no `open_at` was asked for, or the asset is open then;
//!             0.75 when it is open by arrangement; 0.5 when its times are not known
//!             (assets known to be closed then are left out);
//!             × 0.6 for each of age, cost and access asked for that its record does not give
//!             (a record that gives another cost, or other access features only, is left out)
//! ```
//!
//! Records of one site ([`same_site`]: alike names within 150 m) make way for
//! other places: in relevance order the search keeps the best record of each site in place and
//! moves the others after every other place, each marked with [`SearchResult::same_site_as`]
//! (it ranks half as many candidates again as asked for, and three times as many when more than
//! that made way, so that the list stays full).
//! Nearest first lists every record as it is.
//!
//! [`SearchOrder::Distance`] ranks by distance instead (the score is still reported), and with
//! words it keeps only assets that match a word itself or a synonym (not those matching only
//! through their category), so that "nearest library" lists libraries rather than schools.
//! Ties break by asset id, so the same question always gets the same answer.
//!
//! # Speed
//! With words, candidates come from the [text index](crate::text::TextIndex), which reads only
//! the postings of the query's terms in the grid cells the circle touches and filters them on
//! packed facets; assets themselves are read only for the few candidates that can still reach
//! the top `limit` (a threshold walk in order of each candidate's best possible score).
//! Without words, candidates come from the R-tree ([`Engine::within`]).

use crate::facets::{CompiledFilter, Facets};
use crate::pool;
use crate::recorded::age_factor;
pub use crate::recorded::{
    age_words, AgeWords, AGE_WORDS_FACTOR, NOT_RECORDED_FACTOR, OTHER_AGE_WORDS_FACTOR,
};
use crate::text::{chord2_to_m, Circle, TextHit, TextQuery};
use crate::{Engine, Filter, OpenAtPolicy};
use assetmap_core::{haversine_m, Asset, LonLat, Openness};
use std::cmp::Ordering;

/// Weight of text relevance in the score when the query has words.
pub const RELEVANCE_WEIGHT: f64 = 0.75;
/// Weight of proximity in the score when the query has words.
pub const PROXIMITY_WEIGHT: f64 = 0.25;
/// Score factor for an asset open by arrangement at the asked time.
pub const BY_ARRANGEMENT_FACTOR: f64 = 0.75;
/// Score factor for an asset whose opening times are not known.
pub const TIMES_UNKNOWN_FACTOR: f64 = 0.5;
/// Records with alike names this close (metres) are one site: a school, its pitch, its
/// defibrillator and its parents' association (their points and even postcodes differ: each
/// source places them its own way).
pub const SAME_SITE_M: f64 = 150.0;
/// How many more candidates than asked for are ranked, so that records at one site can make
/// way for other places.
const SITE_WINDOW: usize = 3;

/// How results are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SearchOrder {
    /// Best score first (see the module docs).
    #[default]
    Relevance,
    /// Nearest first; with words, only assets matching a word or a synonym.
    Distance,
}

/// A coordinator's question.
///
/// `filter.open_at`, when set, is evaluated with its policy: [`OpenAtPolicy::ExcludeOnlyClosed`]
/// keeps by-arrangement and unknown times (ranked lower, and flagged in
/// [`SearchResult::openness`]); the stricter policies drop them.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchQuery {
    /// Where the person is.
    pub origin: LonLat,
    /// How far they can go, in metres (great circle).
    pub radius_m: f64,
    /// What matters to them; empty for none.
    pub text: TextQuery,
    /// Practical limits.
    pub filter: Filter,
    /// How many results at most.
    pub limit: usize,
    pub order: SearchOrder,
}

impl SearchQuery {
    /// A query at `origin` within `radius_m` metres for `words` (may be empty), no filters,
    /// 20 results, by relevance.
    pub fn new(origin: LonLat, radius_m: f64, words: &str) -> SearchQuery {
        SearchQuery {
            origin,
            radius_m,
            text: TextQuery::parse(words),
            filter: Filter::default(),
            limit: 20,
            order: SearchOrder::Relevance,
        }
    }
}

/// A filter an asset met, for telling the person why it is on the list. Typed: how to name
/// it (the server uses its query parameter names) is up to the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MatchedFilter {
    /// It has this one of the asked-for categories.
    Category(assetmap_core::Category),
    /// Its ABCD type is one of those asked for.
    AbcdType(assetmap_core::AbcdType),
    /// Its cost band is one of those asked for.
    Cost(assetmap_core::CostBand),
    /// It offers this asked-for access feature.
    Access(assetmap_core::AccessFeature),
    /// Its age range admits this age (an asset with no age range is kept by the filter but
    /// does not say it suits the age: see [`SearchResult::not_recorded`]).
    Age(u8),
    /// It is open at the asked time (not by arrangement, not unknown).
    OpenAt,
    /// Its status is one of those asked for.
    Status(assetmap_core::Status),
}

/// One ranked result: the asset decoded ([`Engine::search`]), or as the engine's view renders
/// it ([`Rendered`], [`Engine::search_rendered`]).
#[derive(Debug, Clone, PartialEq)]
pub struct SearchResult<R = Asset> {
    /// The asset (decoded from the engine's compact record, or rendered).
    pub asset: R,
    /// Great-circle distance from the origin in metres (haversine, as
    /// [`LonLat::distance_m`]).
    pub distance_m: f64,
    /// The ranking score, 0..=1 (see the module docs).
    pub score: f64,
    /// Text relevance, 0..=1 (0 without words; see [`crate::text`]).
    pub relevance: f64,
    /// Bit `i` set when it matched query term `i`; the words are
    /// [`matched_terms`](Self::matched_terms). (A bit set rather than a list: a search
    /// allocates nothing per result.)
    pub matched: u32,
    /// Whether it is open at the asked time; `None` when no time was asked.
    pub openness: Option<Openness>,
    /// A better-ranked result at the same site (see [`same_site`]), when there is one: this
    /// one is listed after every other place (relevance order) and grouped under it.
    pub same_site_as: Option<Box<Asset>>,
    /// Its packed facets, as the ranking read them (for [`SearchResult::not_recorded`]).
    facets: Facets,
    /// The engine's slot for it when it was found (for [`Engine::explain`], which checks it
    /// still holds this asset).
    slot: u32,
}

/// An asset as the engine's view renders it ([`crate::AssetView`]): what
/// [`Engine::search_rendered`] hands out instead of the decoded asset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The asset's id.
    pub id: Box<str>,
    /// The view's bytes.
    pub view: Vec<u8>,
}

/// What a result holds of its asset: the asset decoded, or rendered ([`Rendered`]).
pub trait ResultAsset {
    /// The asset's id.
    fn id(&self) -> &str;
    /// The asset decoded, when the result holds it so.
    fn decoded(&self) -> Option<&Asset>;
}

impl ResultAsset for Asset {
    fn id(&self) -> &str {
        self.id.as_str()
    }
    fn decoded(&self) -> Option<&Asset> {
        Some(self)
    }
}

impl ResultAsset for Rendered {
    fn id(&self) -> &str {
        &self.id
    }
    fn decoded(&self) -> Option<&Asset> {
        None
    }
}

/// Whether two records are one site: within [`SAME_SITE_M`], with alike names
/// ([`names_alike`]: "Park Road Primary School" and its defibrillator "Park Road Sale Primary
/// School"). Different groups meeting in one building (a swimming club at the leisure centre)
/// stay places of their own.
pub fn same_site(a: &Asset, b: &Asset) -> bool {
    near_enough(a, b)
        && names_alike(a.name.as_str(), b.name.as_str())
        && a.location.distance_m(&b.location) <= SAME_SITE_M
}

/// A cheap test that rules out most pairs farther apart than [`SAME_SITE_M`] (never a pair
/// within it): a degree of latitude is at least 110 km, and a degree of longitude at least
/// 110 km × cos(latitude) — taken at the pair's higher latitude, and left out near the poles.
fn near_enough(a: &Asset, b: &Asset) -> bool {
    let position = |p: LonLat| (p.lon(), p.lat());
    near_enough_at(position(a.location), position(b.location))
}

/// [`near_enough`] on positions (longitude, latitude in degrees).
fn near_enough_at(pa: (f64, f64), pb: (f64, f64)) -> bool {
    if (pa.1 - pb.1).abs() * 110_000.0 > SAME_SITE_M {
        return false;
    }
    let high = pa.1.abs().max(pb.1.abs());
    if high > 80.0 {
        return true;
    }
    let dlon = (pa.0 - pb.0).abs();
    let dlon = dlon.min(360.0 - dlon);
    dlon * 110_000.0 * high.to_radians().cos() <= SAME_SITE_M
}

/// Names of one place: every word of the shorter name (at least two) is in the longer, or
/// they share three words (case folded, stop words out).
pub fn names_alike(a: &str, b: &str) -> bool {
    let mut keys = Vec::new();
    push_name_keys(a, &mut keys);
    let split = keys.len();
    push_name_keys(b, &mut keys);
    keys_alike(&keys[..split], &keys[split..])
}

/// Appends the words of a name that say which place it is, as case-folded hashes.
fn push_name_keys(name: &str, out: &mut Vec<u64>) {
    out.extend(
        name.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty() && !is_name_stop_word(w))
            .map(|w| {
                let mut h = rustc_hash::FxHasher::default();
                for c in w.chars().flat_map(char::to_lowercase) {
                    std::hash::Hasher::write_u32(&mut h, c as u32);
                }
                std::hash::Hasher::finish(&h)
            }),
    );
}

/// [`names_alike`] on [`name_keys`].
fn keys_alike(x: &[u64], y: &[u64]) -> bool {
    let (short, long) = if x.len() <= y.len() { (x, y) } else { (y, x) };
    let shared = short.iter().filter(|k| long.contains(k)).count();
    (short.len() >= 2 && shared == short.len()) || shared >= 3
}

/// Words that say nothing about which place a name is.
fn is_name_stop_word(w: &str) -> bool {
    [
        "a", "an", "and", "at", "for", "in", "of", "on", "the", "to", "st", "s",
    ]
    .iter()
    .any(|s| s.eq_ignore_ascii_case(w))
}

impl<R> SearchResult<R> {
    /// The query words it matched, as typed (folded), in query order.
    pub fn matched_terms<'q>(&self, q: &'q SearchQuery) -> Vec<&'q str> {
        q.text.matched_words(self.matched)
    }

    /// The filters of `q` its record says it meets.
    pub fn matched_filters(&self, q: &SearchQuery) -> Vec<MatchedFilter> {
        matched_filters(&q.filter, &self.facets, self.openness)
    }

    /// The filters of `q` it was kept for although its record does not say whether it meets
    /// them: [`MatchedFilter::OpenAt`] when its opening times are not known, and
    /// [`MatchedFilter::Age`] when it has no age range. (Cost and access filters never keep
    /// an asset whose record is silent on them.)
    pub fn not_recorded(&self, q: &SearchQuery) -> Vec<MatchedFilter> {
        let mut out = Vec::new();
        if self.openness == Some(Openness::Unknown) {
            out.push(MatchedFilter::OpenAt);
        }
        not_recorded_filters(&q.filter, &self.facets, &mut out);
        out
    }
}

/// The filters of `f` other than `open_at` that a record with facets `x` is silent on.
/// (What a record gives is read as the ranking reads it: [`crate::facets::Facets`].)
fn not_recorded_filters(f: &Filter, x: &Facets, out: &mut Vec<MatchedFilter>) {
    if let Some(age) = f.age.filter(|_| !x.ages_recorded()) {
        out.push(MatchedFilter::Age(age));
    }
    if !f.cost_bands.is_empty() && !x.cost_recorded() {
        out.extend(f.cost_bands.iter().map(|b| MatchedFilter::Cost(*b)));
    }
    if !f.access.is_empty() && !x.access_recorded() {
        out.extend(f.access.iter().map(|a| MatchedFilter::Access(*a)));
    }
}

/// [`NOT_RECORDED_FACTOR`] for each filter but `open_at` the record is silent on; for an age,
/// softened when the record's words name the person's age group ("junior", "over 60s") and
/// hardened when they name another ([`age_words`]).
#[cfg(test)]
fn not_recorded_factor(f: &Filter, asset: &Asset) -> f64 {
    not_recorded_factor_of(f, &crate::facets::Facets::of(asset))
}

/// [`not_recorded_factor`] from the packed facets (what the ranking reads).
fn not_recorded_factor_of(f: &Filter, x: &crate::facets::Facets) -> f64 {
    let mut factor = 1.0;
    if let Some(age) = f.age.filter(|_| !x.ages_recorded()) {
        factor *= age_factor(x.age_words(), age);
    }
    if !f.cost_bands.is_empty() && !x.cost_recorded() {
        factor *= NOT_RECORDED_FACTOR;
    }
    if !f.access.is_empty() && !x.access_recorded() {
        factor *= NOT_RECORDED_FACTOR;
    }
    factor
}

/// How an asset matched one query term, for "why it matched".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TermMatch<'q> {
    /// The query's word or phrase, as typed (folded): "feeling low".
    pub word: &'q str,
    /// `"word"` (the words themselves), `"synonym"`, `"category"` or `"concept"`.
    pub via: &'static str,
    /// The concept's name or the category's label it matched through ("mental wellbeing");
    /// `None` for the words themselves and synonyms.
    pub through: Option<&'static str>,
}

impl SearchResult {
    /// For each query term it matched, in query order, the strongest way it matched: the words
    /// themselves, a synonym, its category, or a concept. Read from the asset's own record
    /// (name, tags, description, categories), as the index reads it.
    pub fn explain<'q>(&self, q: &'q SearchQuery) -> Vec<TermMatch<'q>> {
        self.explain_from(&self.asset, q)
    }
}

impl<R> SearchResult<R> {
    /// [`SearchResult::explain`], reading the text of `a` (this result's asset).
    fn explain_from<'q>(&self, a: &Asset, q: &'q SearchQuery) -> Vec<TermMatch<'q>> {
        if self.matched == 0 {
            return Vec::new(); // no words, or none matched: nothing to read
        }
        let mut terms: Vec<std::sync::Arc<str>> = Vec::new();
        let fields = std::iter::once(a.name.as_str())
            .chain(a.tags.iter().map(|t| t.as_str()))
            .chain(a.description.as_deref());
        for text in fields {
            crate::text::for_each_index_term(text, |t| terms.push(t.clone()));
        }
        terms.sort_unstable();
        terms.dedup();
        self.explain_with(q, |term| {
            terms.binary_search_by(|t| t.as_ref().cmp(term)).is_ok()
        })
    }

    /// [`SearchResult::explain`], asking `has` whether the record has an index term (its
    /// categories are read from its facets).
    fn explain_with<'q>(
        &self,
        q: &'q SearchQuery,
        has_term: impl Fn(&str) -> bool,
    ) -> Vec<TermMatch<'q>> {
        let has = |e: &crate::text::Expansion| {
            if e.is_category() {
                assetmap_core::Category::ALL.iter().any(|c| {
                    self.facets.has_category(*c) && crate::text::category_term(*c) == e.stems[0]
                })
            } else {
                has_term(&e.index_term())
            }
        };
        q.text
            .terms
            .iter()
            .enumerate()
            .filter(|(i, _)| self.matched & (1 << i) != 0)
            .filter_map(|(_, t)| {
                // The weightiest expansion the record has.
                let best = in_trial_order(t).into_iter().find(|e| has(e))?;
                Some(TermMatch {
                    word: t.word.as_str(),
                    via: best.via,
                    through: best.through,
                })
            })
            .collect()
    }
}

impl Engine {
    /// [`SearchResult::explain`] from the text index's own list of the record's terms, without
    /// reading its text again. For several results of one search, [`Engine::explainer`] looks
    /// the query's terms up once.
    pub fn explain<'q, R: ResultAsset>(
        &self,
        r: &SearchResult<R>,
        q: &'q SearchQuery,
    ) -> Vec<TermMatch<'q>> {
        self.explainer(q).explain(r)
    }

    /// "Why it matched" for the results of `q` (what a search response says of each result):
    /// the query's expansions put in the order they are tried and looked up in the text
    /// index once, for [`Explainer::explain`].
    pub fn explainer<'q>(&self, q: &'q SearchQuery) -> Explainer<'_, 'q> {
        let ix = self.text_index();
        let terms = q
            .text
            .terms
            .iter()
            .map(|t| {
                in_trial_order(t)
                    .into_iter()
                    .filter_map(|e| {
                        let key = if e.is_category() {
                            ExpansionKey::Category(
                                *assetmap_core::Category::ALL
                                    .iter()
                                    .find(|c| crate::text::category_term(**c) == e.stems[0])?,
                            )
                        } else {
                            // A term no record has ever had matches nothing.
                            ExpansionKey::Term(ix.known_term(&e.index_term())?)
                        };
                        Some((key, e))
                    })
                    .collect()
            })
            .collect();
        Explainer {
            engine: self,
            query: q,
            terms,
        }
    }
}

/// The expansions of `t` in the order "why it matched" tries them: from the weightiest down,
/// the last of equals first (the one `max_by` would pick), so that the first a record has is
/// its weightiest and most records stop at the first.
fn in_trial_order(t: &crate::text::QueryTerm) -> Vec<&crate::text::Expansion> {
    let mut by_weight: Vec<&crate::text::Expansion> = t.expansions.iter().rev().collect();
    by_weight.sort_by(|x, y| y.weight.total_cmp(&x.weight));
    by_weight
}

/// "Why it matched" for the results of one search, its terms looked up once
/// ([`Engine::explainer`]).
pub struct Explainer<'e, 'q> {
    engine: &'e Engine,
    query: &'q SearchQuery,
    /// Per query term, the expansions the index knows, in the order they are tried.
    terms: Vec<Vec<(ExpansionKey, &'q crate::text::Expansion)>>,
}

/// What an expansion asks of a record: a category, or an index term.
#[derive(Clone, Copy)]
enum ExpansionKey {
    Category(assetmap_core::Category),
    Term(crate::text::TermId),
}

impl<'q> Explainer<'_, 'q> {
    /// [`SearchResult::explain`] of one result of the search, read from the text index's own
    /// list of the record's terms and its facets.
    pub fn explain<R: ResultAsset>(&self, r: &SearchResult<R>) -> Vec<TermMatch<'q>> {
        if r.matched == 0 {
            return Vec::new();
        }
        let engine = self.engine;
        // The slot it was found in, unless the engine has changed since (then look it up).
        let id = r.asset.id();
        let found = Some(r.slot).filter(|s| engine.slot_id(*s) == Some(id));
        let Some(slot) = found.or_else(|| engine.slot_of(id)) else {
            // Gone since: read from the result's own asset when it holds it decoded.
            return r
                .asset
                .decoded()
                .map_or_else(Vec::new, |a| r.explain_from(a, self.query));
        };
        let ix = engine.text_index();
        self.query
            .text
            .terms
            .iter()
            .zip(&self.terms)
            .enumerate()
            .filter(|(i, _)| r.matched & (1 << i) != 0)
            .filter_map(|(_, (t, tried))| {
                let (_, best) = tried.iter().find(|(key, _)| match *key {
                    ExpansionKey::Category(c) => r.facets.has_category(c),
                    ExpansionKey::Term(term) => ix.doc_has_id(slot, term),
                })?;
                Some(TermMatch {
                    word: t.word.as_str(),
                    via: best.via,
                    through: best.through,
                })
            })
            .collect()
    }
}

#[cfg(test)]
fn has_age_range(asset: &Asset) -> bool {
    asset.audience.min_age().is_some() || asset.audience.max_age().is_some()
}

/// The filters of `f` a record with facets `x` meets, in the filter's order.
fn matched_filters(f: &Filter, x: &Facets, openness: Option<Openness>) -> Vec<MatchedFilter> {
    let mut out = Vec::new();
    out.extend(
        f.categories
            .iter()
            .filter(|c| x.has_category(**c))
            .map(|c| MatchedFilter::Category(*c)),
    );
    let abcd = assetmap_core::AbcdType::ALL[x.abcd_index()];
    if f.abcd_types.contains(&abcd) {
        out.push(MatchedFilter::AbcdType(abcd));
    }
    out.extend(
        f.cost_bands
            .iter()
            .filter(|b| x.has_cost_band(**b))
            .map(|b| MatchedFilter::Cost(*b)),
    );
    out.extend(
        f.access
            .iter()
            .filter(|a| x.has_access(**a))
            .map(|a| MatchedFilter::Access(*a)),
    );
    if let Some(age) = f.age.filter(|_| x.ages_recorded()) {
        out.push(MatchedFilter::Age(age));
    }
    if openness == Some(Openness::Open) {
        out.push(MatchedFilter::OpenAt);
    }
    if f.statuses.len() < assetmap_core::Status::ALL.len() {
        out.extend(
            f.statuses
                .iter()
                .filter(|s| x.has_status(**s))
                .map(|s| MatchedFilter::Status(*s)),
        );
    }
    out
}

/// The openness of `asset` at the filter's time, or `Err(())` when the policy drops it.
fn openness_of(f: &Filter, asset: &Asset) -> Result<Option<Openness>, ()> {
    let Some(at) = f.open_at else { return Ok(None) };
    let o = asset.opening_times.openness_at(at.day, at.time);
    let kept = match o {
        Openness::Open => true,
        Openness::Closed => false,
        Openness::ByArrangement => at.policy != OpenAtPolicy::OpenOnly,
        Openness::Unknown => at.policy == OpenAtPolicy::ExcludeOnlyClosed,
    };
    if kept {
        Ok(Some(o))
    } else {
        Err(())
    }
}

fn openness_factor(o: Option<Openness>) -> f64 {
    match o {
        None | Some(Openness::Open) => 1.0,
        Some(Openness::ByArrangement) => BY_ARRANGEMENT_FACTOR,
        Some(Openness::Unknown) => TIMES_UNKNOWN_FACTOR,
        Some(Openness::Closed) => 0.0,
    }
}

/// How far out of order (metres) a nearest-first walk may yield two assets: the tree orders by
/// chord, exact to micrometres; the distances are haversine. Generous.
const WALK_SLACK_M: f64 = 0.01;

fn proximity(distance_m: f64, radius_m: f64) -> f64 {
    if radius_m > 0.0 {
        (1.0 - distance_m / radius_m).clamp(0.0, 1.0)
    } else {
        1.0
    }
}

/// Results in their final order: the key (higher first), then asset id.
fn final_order<'a>(order: SearchOrder) -> impl Fn(&Ranked<'a>, &Ranked<'a>) -> Ordering {
    move |a, b| {
        let by_key = match order {
            SearchOrder::Relevance => b.score.total_cmp(&a.score),
            SearchOrder::Distance => a.distance_m.total_cmp(&b.distance_m),
        };
        by_key.then_with(|| a.id.cmp(b.id))
    }
}

/// A candidate in the walk: its bound, slot, relevance and matched terms.
type Keyed = (f64, u32, f32, u32);

/// Pooled buffers (hits, candidates) over this many elements are not kept (about 24 MB).
const MAX_POOLED_LEN: usize = 1 << 20;

/// An empty hit buffer from this thread's pool (a search allocates nothing once warm).
fn scratch() -> Vec<TextHit> {
    pool::take(Vec::capacity).unwrap_or_default()
}

fn give_back(mut hits: Vec<TextHit>) {
    hits.clear();
    pool::give_back(hits, Vec::capacity, MAX_POOLED_LEN);
}

/// How far the index's `f32` distances may be from the exact ones, in metres (generous).
const APPROX_DISTANCE_SLACK_M: f64 = 2.0;

impl Engine {
    /// Answers a coordinator's question: assets within `q.radius_m` of `q.origin` that pass
    /// `q.filter` and (when `q.text` has words) match at least one of them, ranked as the
    /// [module docs](crate::search) say, at most `q.limit`.
    ///
    /// # Examples
    /// ```
    /// use assetmap_core::LonLat;
    /// use assetmap_index::{search::SearchQuery, Engine};
    /// use assetmap_synthetic as synthetic;
    /// let engine = Engine::new(synthetic::assets(1, 5_000));
    /// let sale = LonLat::new(-2.3183, 53.4242).unwrap();
    /// let q = SearchQuery::new(sale, 3_000.0, "gardening");
    /// let results = engine.search(&q);
    /// assert!(!results.is_empty() && results.len() <= 20);
    /// assert!(results.windows(2).all(|w| w[0].score >= w[1].score));
    /// assert!(results.iter().all(|r| r.distance_m <= 3_000.0 && r.matched_terms(&q) == ["gardening"]));
    /// ```
    pub fn search(&self, q: &SearchQuery) -> Vec<SearchResult> {
        self.results_of(self.ranked(q))
    }

    /// [`Engine::search`], each result's asset as the engine's view renders it
    /// ([`Engine::with_view`]): its record's view decompressed, the asset not decoded — what a
    /// page of results sent as they are needs. Empty for an engine without a view.
    ///
    /// # Examples
    /// ```
    /// use assetmap_core::LonLat;
    /// use assetmap_index::{search::SearchQuery, AssetView, Engine};
    /// use std::sync::Arc;
    /// struct IdView;
    /// impl AssetView for IdView {
    ///     fn form(&self) -> &str { "id/1" }
    ///     fn render(&self, a: &assetmap_core::Asset, out: &mut Vec<u8>) {
    ///         out.extend_from_slice(a.id.as_str().as_bytes());
    ///     }
    /// }
    /// let engine = Engine::with_view(assetmap_synthetic::assets(1, 2_000), Arc::new(IdView));
    /// let q = SearchQuery::new(LonLat::new(-2.3183, 53.4242).unwrap(), 3_000.0, "gardening");
    /// let decoded = engine.search(&q);
    /// let rendered = engine.search_rendered(&q);
    /// assert!(!rendered.is_empty() && rendered.len() == decoded.len());
    /// for (r, d) in rendered.iter().zip(&decoded) {
    ///     assert_eq!(r.asset.view, d.asset.id.as_str().as_bytes());
    ///     assert_eq!((r.score, r.matched_terms(&q)), (d.score, d.matched_terms(&q)));
    /// }
    /// ```
    pub fn search_rendered(&self, q: &SearchQuery) -> Vec<SearchResult<Rendered>> {
        if self.view_form().is_none() {
            return Vec::new();
        }
        self.results_with(self.ranked(q), |slots| self.rendered(slots))
    }

    /// The candidates of `q`, ranked, their records not yet read.
    fn ranked(&self, q: &SearchQuery) -> Vec<Ranked<'_>> {
        if q.limit == 0 || q.radius_m.is_nan() || q.radius_m < 0.0 {
            return Vec::new();
        }
        let ranked = |limit: usize| {
            if q.text.is_empty() {
                self.search_by_place(q, limit)
            } else {
                self.search_by_words(q, limit)
            }
        };
        if q.order == SearchOrder::Distance {
            // Nearest first lists every record as it is.
            return ranked(q.limit);
        }
        // Records of one site make way for other places: rank a few more candidates than asked
        // for, and when more of them made way than that, rank more so that the list is still
        // full (most searches have none or a few).
        let first_limit = q.limit.saturating_add(q.limit.div_ceil(2));
        let first = ranked(first_limit);
        let exhausted = first.len() < first_limit;
        let (out, places) = self.group_sites(first, q.limit);
        if places >= q.limit || exhausted {
            return out;
        }
        let wider = ranked(q.limit.saturating_mul(SITE_WINDOW));
        self.group_sites(wider, q.limit).0
    }

    /// The candidates as results, in their order: each record (and its leader's, when grouped
    /// under one) read — only now, for what is returned.
    fn results_of(&self, ranked: Vec<Ranked<'_>>) -> Vec<SearchResult> {
        self.results_with(ranked, |slots| self.decoded(slots))
    }

    /// The candidates as results, each with what `read` makes of its slot (`read` takes the
    /// slots together and answers for each in order).
    fn results_with<R>(
        &self,
        ranked: Vec<Ranked<'_>>,
        read: impl Fn(&[u32]) -> Vec<Option<R>>,
    ) -> Vec<SearchResult<R>> {
        let slots: Vec<u32> = ranked.iter().map(|r| r.slot).collect();
        ranked
            .into_iter()
            .zip(read(&slots))
            .filter_map(|(r, asset)| {
                Some(SearchResult {
                    asset: asset?,
                    facets: r.facets,
                    slot: r.slot,
                    distance_m: r.distance_m,
                    score: r.score,
                    relevance: f64::from(r.relevance),
                    matched: r.matched,
                    openness: r.openness,
                    same_site_as: r
                        .same_site_as
                        .and_then(|leader| self.slot_asset(leader))
                        .map(Box::new),
                })
            })
            .collect()
    }

    fn search_by_place(&self, q: &SearchQuery, limit: usize) -> Vec<Ranked<'_>> {
        let lenient = CompiledFilter::keeping_unrecorded(&q.filter);
        let f = &q.filter;
        if q.order == SearchOrder::Distance
            || (f.cost_bands.is_empty() && f.access.is_empty() && f.age.is_none())
        {
            return self.walk_place(q, limit, q.radius_m, &lenient, None);
        }
        // Records that give everything asked first (their score is proximity × openness);
        // then those silent on something, which score at most `most` × proximity, only as far
        // out as that can still make the list.
        let recorded = CompiledFilter::only_recorded(f);
        let mut out = self.walk_place(q, limit, q.radius_m, &recorded, None);
        let cutoff = if out.len() >= limit {
            out.last().map_or(0.0, |r| r.score)
        } else {
            0.0
        };
        let most = if f.age.is_some() {
            AGE_WORDS_FACTOR
        } else {
            NOT_RECORDED_FACTOR
        };
        let reach = (q.radius_m * (1.0 - cutoff / most)).min(q.radius_m);
        if reach >= 0.0 {
            out.extend(self.walk_place(q, limit, reach, &lenient, Some((&recorded, most))));
            out.sort_by(final_order(q.order));
            out.truncate(limit);
        }
        out
    }

    /// Without words the score is proximity × openness (× the not-recorded factors): nearest
    /// first, except that assets with unknown or by-arrangement times, or silent on a filter,
    /// drop back. Walks outwards from the origin (the engine's nearest-neighbour search, with
    /// the open-at policy applied) within `max_distance_m` until no farther asset can beat the
    /// `limit`-th score. With `except` (a filter, a factor), assets that filter admits are
    /// passed over (already ranked), and the rest score at most that factor × proximity.
    fn walk_place<'e>(
        &'e self,
        q: &SearchQuery,
        limit: usize,
        max_distance_m: f64,
        filter: &CompiledFilter,
        except: Option<(&CompiledFilter, f64)>,
    ) -> Vec<Ranked<'e>> {
        let most = except.map_or(1.0, |(_, m)| m);
        let rank = |slot: u32, distance_m: f64| -> Option<Ranked<'e>> {
            let facets = self.slot_facets(slot);
            if except.is_some_and(|(e, _)| e.admits(facets)) {
                return None;
            }
            let openness = self.openness_in(&q.filter, slot).ok().flatten();
            let score = proximity(distance_m, q.radius_m)
                * openness_factor(openness)
                * not_recorded_factor_of(&q.filter, facets);
            Some(Ranked {
                slot,
                id: self.slot_id(slot)?,
                facets: *facets,
                distance_m,
                score,
                relevance: 0.0,
                matched: 0,
                openness,
                same_site_as: None,
            })
        };
        let mut top = TopK::new(limit, q.order);
        if q.order == SearchOrder::Distance {
            for (slot, distance_m) in
                self.nearest_within_compiled(q.origin, limit, max_distance_m, filter)
            {
                top.extend(rank(slot, distance_m));
            }
            return top.items;
        }
        // Nearest first, in one walk: stop at the first asset that (like every one after it,
        // all at least as far) cannot beat the `limit`-th score even with nothing against it.
        for (slot, distance_m) in self.nearest_walk(q.origin, max_distance_m, filter) {
            let best_possible = proximity((distance_m - WALK_SLACK_M).max(0.0), q.radius_m) * most;
            if top.is_full() && best_possible < top.cutoff() {
                break;
            }
            top.extend(rank(slot, distance_m));
        }
        top.items
    }

    fn search_by_words(&self, q: &SearchQuery, limit: usize) -> Vec<Ranked<'_>> {
        let ix = self.text_index();
        let p = ix.prepare(&q.text);
        if p.matches_nothing() {
            return Vec::new();
        }
        let ff = CompiledFilter::keeping_unrecorded(&q.filter);
        let circle = |radius_m: f64| Circle {
            centre: q.origin,
            radius_m,
        };
        match q.order {
            SearchOrder::Distance => {
                // Nearest first: every match is as good as any other, so look in a small
                // circle first and widen it until it holds `limit` results.
                let mut r = (q.radius_m / 8.0).clamp(250.0_f64.min(q.radius_m), q.radius_m);
                let mut hits = scratch();
                let out = loop {
                    hits.clear();
                    // Nearest first puts every match on an equal footing, so only assets that
                    // match the words themselves (or a synonym) count, not every asset in a
                    // related category: the nearest libraries, not the nearest schools.
                    let _ = ix.word_hits(&p, Some(&circle(r)), &ff, &mut hits);
                    let out = self.rank(q, limit, r, &hits);
                    if out.len() >= limit || r >= q.radius_m {
                        break out;
                    }
                    r = (r * 2.0).min(q.radius_m);
                };
                give_back(hits);
                out
            }
            SearchOrder::Relevance => {
                let mut hits = scratch();
                let words = ix.word_hits(&p, Some(&circle(q.radius_m)), &ff, &mut hits);
                let mut out = self.rank(q, limit, q.radius_m, &hits);
                // Assets matching only through a category can score at most
                // RELEVANCE_WEIGHT × bound + PROXIMITY_WEIGHT × proximity: read them only
                // where that can still reach the list.
                let cutoff = if out.len() >= limit {
                    out.last().map_or(f64::NEG_INFINITY, |r| r.score)
                } else {
                    f64::NEG_INFINITY
                };
                let bound = RELEVANCE_WEIGHT * f64::from(ix.category_only_bound(&p));
                let min_proximity = ((cutoff - bound) / PROXIMITY_WEIGHT).max(0.0);
                if min_proximity <= 1.0 {
                    let reach = (q.radius_m * (1.0 - min_proximity) + APPROX_DISTANCE_SLACK_M)
                        .min(q.radius_m);
                    // A record silent on a filter scores that much less: read it only if it
                    // could still reach the list.
                    let could_make_it = |facets: &crate::facets::Facets, chord2: f32| {
                        let nearest = (chord2_to_m(chord2) - APPROX_DISTANCE_SLACK_M).max(0.0);
                        (bound + PROXIMITY_WEIGHT * proximity(nearest, q.radius_m))
                            * ff.unrecorded_bound(facets)
                            >= cutoff
                    };
                    hits.clear();
                    ix.category_only_hits_where(
                        &p,
                        Some(&circle(reach)),
                        &ff,
                        &words,
                        could_make_it,
                        &mut hits,
                    );
                    out.extend(self.rank(q, limit, q.radius_m, &hits));
                    out.sort_by(final_order(q.order));
                    out.truncate(limit);
                }
                give_back(hits);
                out
            }
        }
    }

    /// The best `q.limit` of `hits` within `radius_m` (exact distance) that pass the open-at
    /// filter, in final order. Assets are read only for candidates that can still make the
    /// list: candidates are taken in order of the best key they could reach, and the walk
    /// stops when the next one cannot beat the current `limit`-th result.
    fn rank(
        &self,
        q: &SearchQuery,
        limit: usize,
        radius_m: f64,
        hits: &[TextHit],
    ) -> Vec<Ranked<'_>> {
        let slack_score = PROXIMITY_WEIGHT * APPROX_DISTANCE_SLACK_M / q.radius_m.max(1.0);
        let base = |relevance: f32, distance_m: f64| {
            RELEVANCE_WEIGHT * f64::from(relevance)
                + PROXIMITY_WEIGHT * proximity(distance_m, q.radius_m)
        };
        let bound = |h: &TextHit| match q.order {
            SearchOrder::Relevance => {
                (base(h.relevance, h.approx_distance_m) + slack_score)
                    * f64::from(h.unrecorded_bound)
            }
            SearchOrder::Distance => -(h.approx_distance_m - APPROX_DISTANCE_SLACK_M),
        };
        // Each candidate's bound, computed once, with its slot for ties (a pooled buffer).
        let mut keyed: Vec<Keyed> = pool::take(Vec::capacity).unwrap_or_default();
        keyed.clear();
        keyed.extend(
            hits.iter()
                .map(|h| (bound(h), h.slot, h.relevance, h.matched)),
        );
        let by_bound = |a: &Keyed, b: &Keyed| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
        // Sort only a head of the candidates; the rest is sorted only if the walk reaches it.
        let head = (limit * 4).max(32);
        if keyed.len() > head {
            keyed.select_nth_unstable_by(head, by_bound);
            keyed[..head].sort_unstable_by(by_bound);
        } else {
            keyed.sort_unstable_by(by_bound);
        }
        let mut top = TopK::new(limit, q.order);
        for i in 0..keyed.len() {
            if i == head {
                keyed[head..].sort_unstable_by(by_bound);
            }
            let (b, slot, relevance, matched) = keyed[i];
            if top.is_full() && b < top.cutoff() {
                break;
            }
            let h = TextHit {
                slot,
                relevance,
                matched,
                approx_distance_m: 0.0,
                unrecorded_bound: 1.0,
            };
            let Some(id) = self.slot_id(h.slot) else {
                continue;
            };
            let distance_m = self.distance_m(&q.origin, h.slot);
            if distance_m > radius_m {
                continue;
            }
            let Ok(openness) = self.openness_in(&q.filter, h.slot) else {
                continue;
            };
            let facets = *self.slot_facets(h.slot);
            let score = base(h.relevance, distance_m)
                * openness_factor(openness)
                * not_recorded_factor_of(&q.filter, &facets);
            top.offer(Ranked {
                slot: h.slot,
                id,
                facets,
                distance_m,
                score,
                relevance: h.relevance,
                matched: h.matched,
                openness,
                same_site_as: None,
            });
        }
        keyed.clear();
        pool::give_back(keyed, Vec::capacity, MAX_POOLED_LEN);
        top.items
    }

    /// The openness of the asset in `slot` at the filter's time (`Ok(None)` when no time was
    /// asked: no record is read), or `Err(())` when the policy drops it.
    fn openness_in(&self, f: &Filter, slot: u32) -> Result<Option<Openness>, ()> {
        if f.open_at.is_none() {
            return Ok(None);
        }
        let asset = self.slot_asset(slot).ok_or(())?;
        openness_of(f, &asset)
    }
}

impl Engine {
    /// Records of one site make way for other places: in relevance order, a candidate of the
    /// same site as a better one ([`same_site`], on positions from the packed facets and names
    /// read from the records — only of candidates near another) is marked with it and moved
    /// after every other; but an association (the club) scoring within [`SITE_TIE`] of its
    /// site's leader (the ground) takes its place, and an institution that of the association
    /// named after it (the school, its PTA) ([`leads_its_site`]). The first `limit` are
    /// kept. Returns the list and how many places
    /// (candidates not grouped under another) it found.
    fn group_sites<'a>(
        &self,
        mut ranked: Vec<Ranked<'a>>,
        limit: usize,
    ) -> (Vec<Ranked<'a>>, usize) {
        // Each candidate is compared with the places kept before it; once `limit` places are
        // kept, the rest cannot make the list. Each one's name keys, once read: a span of one
        // shared buffer (no allocation per name).
        let mut spans: Vec<Option<(usize, usize)>> = vec![None; ranked.len()];
        let mut flat: Vec<u64> = Vec::new();
        let mut name = String::new();
        let mut leaders: usize = 0;
        let mut grouped: usize = 0;
        for i in 0..ranked.len() {
            if leaders == limit {
                ranked.truncate(i);
                break;
            }
            let mut leader = None;
            let here = self.slot_position(ranked[i].slot);
            for j in 0..i {
                let there = self.slot_position(ranked[j].slot);
                if ranked[j].same_site_as.is_some() || !near_enough_at(there, here) {
                    continue;
                }
                for k in [i, j] {
                    if spans[k].is_none() {
                        let start = flat.len();
                        name.clear();
                        if self.slot_name(ranked[k].slot, &mut name) {
                            push_name_keys(&name, &mut flat);
                        }
                        spans[k] = Some((start, flat.len()));
                    }
                }
                let keys = |k: usize| spans[k].map_or(&[][..], |(a, b)| &flat[a..b]);
                if keys_alike(keys(i), keys(j))
                    && haversine_m(there.0, there.1, here.0, here.1) <= SAME_SITE_M
                {
                    leader = Some(j);
                    break;
                }
            }
            let Some(j) = leader else {
                leaders += 1;
                continue;
            };
            grouped += 1;
            let keys = |k: usize| spans[k].map_or(&[][..], |(a, b)| &flat[a..b]);
            if leads_its_site(&ranked[i], &ranked[j], keys(i), keys(j)) {
                // It takes the leader's place, and the records grouped under that leader so
                // far follow it instead.
                ranked.swap(i, j);
                spans.swap(i, j);
                let (new, old) = (ranked[j].slot, ranked[i].slot);
                for r in &mut ranked[..i] {
                    if r.same_site_as == Some(old) {
                        r.same_site_as = Some(new);
                    }
                }
            }
            ranked[i].same_site_as = Some(ranked[j].slot);
        }
        if grouped > 0 {
            // Stable: both parts keep their order.
            ranked.sort_by_key(|r| r.same_site_as.is_some());
        }
        ranked.truncate(limit);
        (ranked, leaders)
    }
}

/// How close in score (0..=1) two records of one site are for the association among them to
/// lead ([`leads_its_site`]).
const SITE_TIE: f64 = 0.02;

/// Whether `candidate`, ranked below `leader` at the same site, leads it instead, when it
/// scores within [`SITE_TIE`] of it: an association (the people who do the thing: a club, a
/// group) leads the ground, the hall or the building it meets in; and an institution leads an
/// association named after it (a school its parents' association, "… School PTA", a library
/// its friends). `candidate_keys` and `leader_keys` are their names' keys
/// ([`push_name_keys`]).
fn leads_its_site(
    candidate: &Ranked<'_>,
    leader: &Ranked<'_>,
    candidate_keys: &[u64],
    leader_keys: &[u64],
) -> bool {
    use assetmap_core::AbcdType;
    let abcd = |r: &Ranked<'_>| AbcdType::ALL[r.facets.abcd_index()];
    // Whether the record whose name has the keys `association` is named after the one with
    // `other`: every key of the other's name is in it.
    let named_after = |association: &[u64], other: &[u64]| {
        !other.is_empty() && other.iter().all(|k| association.contains(k))
    };
    let precedes = match (abcd(candidate), abcd(leader)) {
        (AbcdType::Association, AbcdType::Association) => false,
        (AbcdType::Association, AbcdType::Institution) => !named_after(candidate_keys, leader_keys),
        (AbcdType::Association, _) => true,
        (AbcdType::Institution, AbcdType::Association) => named_after(leader_keys, candidate_keys),
        _ => false,
    };
    precedes && candidate.score >= leader.score - SITE_TIE
}

/// A candidate whose key is known, before its record is read.
#[derive(Clone, Copy)]
struct Ranked<'a> {
    slot: u32,
    id: &'a str,
    /// Its packed facets, as the ranking read them.
    facets: Facets,
    distance_m: f64,
    score: f64,
    relevance: f32,
    matched: u32,
    openness: Option<Openness>,
    /// The slot of a better-ranked candidate at the same site (see [`Engine::group_sites`]).
    same_site_as: Option<u32>,
}

/// The best `k` candidates so far, best first (key, then id).
struct TopK<'a> {
    k: usize,
    order: SearchOrder,
    items: Vec<Ranked<'a>>,
}

impl<'a> TopK<'a> {
    fn new(k: usize, order: SearchOrder) -> Self {
        TopK {
            k,
            order,
            items: Vec::with_capacity(k + 1),
        }
    }

    fn key(&self, r: &Ranked<'_>) -> f64 {
        match self.order {
            SearchOrder::Relevance => r.score,
            SearchOrder::Distance => -r.distance_m,
        }
    }

    fn is_full(&self) -> bool {
        self.items.len() >= self.k
    }

    /// The key of the `k`-th best (meaningful when full).
    fn cutoff(&self) -> f64 {
        self.items.last().map_or(f64::NEG_INFINITY, |r| self.key(r))
    }

    fn offer(&mut self, r: Ranked<'a>) {
        let key = self.key(&r);
        let before = |x: &Ranked<'_>| {
            let kx = self.key(x);
            kx > key || (kx == key && x.id < r.id)
        };
        let pos = self.items.partition_point(before);
        if pos < self.k {
            self.items.insert(pos, r);
            self.items.truncate(self.k);
        }
    }

    fn extend(&mut self, r: Option<Ranked<'a>>) {
        if let Some(r) = r {
            self.offer(r);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::OpenAt;
    use assetmap_core::{Category, CostBand, TimeOfDay, Weekday};
    use assetmap_synthetic as synthetic;

    /// One engine for all the tests (building one takes a while in debug builds).
    fn engine() -> &'static Engine {
        static E: std::sync::OnceLock<Engine> = std::sync::OnceLock::new();
        E.get_or_init(|| Engine::new(synthetic::assets(7, 12_000)))
    }

    fn sale() -> LonLat {
        LonLat::new(-2.3183, 53.4242).unwrap()
    }

    /// The filters an asset meets, read from the asset itself (what `matched_filters` read
    /// before it read the packed facets), in the filter's order.
    fn filters_met_by(f: &Filter, a: &Asset, openness: Option<Openness>) -> Vec<MatchedFilter> {
        let mut out: Vec<MatchedFilter> = f
            .categories
            .iter()
            .filter(|c| a.categories.contains(c))
            .map(|c| MatchedFilter::Category(*c))
            .collect();
        if f.abcd_types.contains(&a.abcd_type) {
            out.push(MatchedFilter::AbcdType(a.abcd_type));
        }
        out.extend(
            a.cost
                .iter()
                .filter(|c| f.cost_bands.contains(&c.band))
                .map(|c| MatchedFilter::Cost(c.band)),
        );
        out.extend(
            f.access
                .iter()
                .filter(|x| a.access.contains(x))
                .map(|x| MatchedFilter::Access(*x)),
        );
        if let Some(age) = f.age.filter(|_| has_age_range(a)) {
            out.push(MatchedFilter::Age(age));
        }
        if openness == Some(Openness::Open) {
            out.push(MatchedFilter::OpenAt);
        }
        if f.statuses.len() < assetmap_core::Status::ALL.len() && f.statuses.contains(&a.status) {
            out.push(MatchedFilter::Status(a.status));
        }
        out
    }

    #[test]
    fn the_filters_met_read_from_the_facets_are_those_the_asset_meets() {
        use assetmap_core::{AbcdType, AccessFeature, Status};
        let filters = [
            Filter {
                categories: Category::ALL.to_vec(),
                abcd_types: AbcdType::ALL.to_vec(),
                cost_bands: CostBand::ALL.to_vec(),
                access: AccessFeature::ALL.to_vec(),
                age: Some(8),
                statuses: vec![Status::Active, Status::TemporarilyClosed],
                ..Filter::default()
            },
            Filter {
                categories: vec![Category::Food, Category::Learning],
                cost_bands: vec![CostBand::Free],
                access: vec![AccessFeature::StepFree],
                age: Some(72),
                ..Filter::default()
            },
            Filter::default(),
        ];
        let mut met = 0;
        for a in synthetic::assets(3, 3_000) {
            let facets = Facets::of(&a);
            for f in &filters {
                for openness in [None, Some(Openness::Open), Some(Openness::Unknown)] {
                    let want = filters_met_by(f, &a, openness);
                    met += want.len();
                    assert_eq!(matched_filters(f, &facets, openness), want, "{}", a.id);
                }
            }
        }
        assert!(met > 10_000, "the filters met something ({met})");
    }

    /// The same question answered by brute force over every asset.
    ///
    /// A consistency check, not an oracle: relevance comes from a fresh [`TextIndex`] over
    /// every asset searched exhaustively (no grid region, no threshold walk), so this checks
    /// that the pruned search (`word_hits` in the circle, the bounds, `category_only_hits`
    /// only where it can still reach the list) finds what the exhaustive one does; it cannot
    /// find a wrong BM25. Everything else is written here from the documented definitions, not
    /// taken from the code it checks: the haversine distance to the origin (`LonLat::distance_m`,
    /// from assetmap-core), `proximity = 1 − distance / radius`, the openness factors
    /// 1 / 0.75 / 0.5 (closed → left out; by arrangement and unknown kept only as the policy
    /// says) and `score = (0.75 × relevance + 0.25 × proximity) × openness`. The ranking itself
    /// is checked against hand-judged answers in `tests/ranking_oracle.rs`.
    ///
    /// [`TextIndex`]: crate::text::TextIndex
    fn brute_force(engine: &Engine, q: &SearchQuery) -> Vec<(String, f64)> {
        let ff = CompiledFilter::keeping_unrecorded(&q.filter);
        let all: Vec<Asset> = engine.iter().collect();
        let mut ix = crate::text::TextIndex::new();
        for (i, a) in all.iter().enumerate() {
            ix.upsert(i as u32, a);
        }
        let hits = ix.search(&q.text, None, &ff);
        let mut out: Vec<(String, f64)> = hits
            .iter()
            .filter_map(|h| {
                let a = &all[h.slot as usize];
                let d = q.origin.distance_m(&a.location);
                if d > q.radius_m {
                    return None;
                }
                let factor = match q.filter.open_at {
                    None => 1.0,
                    Some(at) => match (a.opening_times.openness_at(at.day, at.time), at.policy) {
                        (Openness::Open, _) => 1.0,
                        (Openness::Closed, _) => return None,
                        (Openness::ByArrangement, OpenAtPolicy::OpenOnly) => return None,
                        (Openness::ByArrangement, _) => 0.75,
                        (Openness::Unknown, OpenAtPolicy::ExcludeOnlyClosed) => 0.5,
                        (Openness::Unknown, _) => return None,
                    },
                };
                // 0.6 for each of cost and access asked for that the record is silent on; for
                // an age it does not give, 0.9 when its name names the age group, 0.4 another
                // group, else 0.6.
                let silent = [
                    !q.filter.cost_bands.is_empty() && a.cost.is_none(),
                    !q.filter.access.is_empty() && a.access.is_empty(),
                ];
                let unrecorded = silent.iter().filter(|s| **s).count();
                let age_factor = match q.filter.age {
                    Some(age) if !has_age_range(a) => match age_words(a) {
                        Some(g) if g.suits(age) => 0.9,
                        Some(_) => 0.4,
                        None => 0.6,
                    },
                    _ => 1.0,
                };
                let factor = factor * 0.6_f64.powi(unrecorded as i32) * age_factor;
                let s = (0.75 * f64::from(h.relevance) + 0.25 * (1.0 - d / q.radius_m)) * factor;
                Some((a.id.to_string(), s))
            })
            .collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        out.truncate(q.limit);
        out
    }

    #[test]
    fn matches_brute_force_ranking() {
        let e = engine();
        for (words, filter) in [
            ("gardening", Filter::default()),
            (
                "singing choir",
                Filter {
                    cost_bands: vec![CostBand::Free, CostBand::Low],
                    ..Filter::default()
                },
            ),
            (
                "walking dads",
                Filter {
                    age: Some(40),
                    ..Filter::default()
                },
            ),
            (
                "meet other dads",
                Filter {
                    cost_bands: vec![CostBand::Free],
                    access: vec![assetmap_core::AccessFeature::StepFree],
                    age: Some(72),
                    ..Filter::default()
                },
            ),
            (
                "coffee",
                Filter {
                    open_at: Some(OpenAt {
                        day: Weekday::Tue,
                        time: TimeOfDay::parse("19:00").unwrap(),
                        policy: OpenAtPolicy::ExcludeOnlyClosed,
                    }),
                    ..Filter::default()
                },
            ),
        ] {
            let q = SearchQuery {
                filter,
                limit: 15,
                ..SearchQuery::new(sale(), 2_500.0, words)
            };
            // The ranking before records at one site make way (checked on its own below).
            let got: Vec<(String, f64)> = e
                .search_by_words(&q, q.limit)
                .iter()
                .map(|r| (r.id.to_string(), r.score))
                .collect();
            let want = brute_force(e, &q);
            assert!(!want.is_empty(), "{words}");
            assert_eq!(got.len(), want.len(), "{words}");
            for (g, w) in got.iter().zip(&want) {
                assert_eq!(g.0, w.0, "{words}: {got:?} vs {want:?}");
                assert!((g.1 - w.1).abs() < 1e-6);
            }
        }
    }

    /// Without words, with filters a record may be silent on: the two-phase walk (known
    /// matches, then silent records only as far out as they can still make the list) finds
    /// what scoring every asset in the circle does.
    #[test]
    fn without_words_silent_records_are_found_as_by_brute_force() {
        let e = engine();
        for filter in [
            Filter {
                cost_bands: vec![CostBand::Free, CostBand::Low],
                age: Some(72),
                ..Filter::default()
            },
            Filter {
                access: vec![assetmap_core::AccessFeature::StepFree],
                ..Filter::default()
            },
        ] {
            let q = SearchQuery {
                filter: filter.clone(),
                limit: 25,
                ..SearchQuery::new(sale(), 2_500.0, "")
            };
            let got: Vec<(String, f64)> = e
                .search_by_place(&q, q.limit)
                .iter()
                .map(|r| (r.id.to_string(), r.score))
                .collect();
            let lenient = CompiledFilter::keeping_unrecorded(&filter);
            let mut want: Vec<(String, f64)> = e
                .iter()
                .filter(|a| lenient.admits(&crate::facets::Facets::of(a)))
                .filter_map(|a| {
                    let d = q.origin.distance_m(&a.location);
                    (d <= q.radius_m).then(|| {
                        let s = (1.0 - d / q.radius_m) * not_recorded_factor(&filter, &a);
                        (a.id.to_string(), s)
                    })
                })
                .collect();
            want.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            want.truncate(q.limit);
            assert_eq!(got.len(), want.len(), "{filter:?}");
            for (g, w) in got.iter().zip(&want) {
                assert_eq!(g.0, w.0, "{filter:?}");
                assert!((g.1 - w.1).abs() < 1e-9);
            }
        }
    }

    #[test]
    fn distance_order_is_nearest_first_and_exact() {
        let e = engine();
        let q = SearchQuery {
            order: SearchOrder::Distance,
            limit: 30,
            ..SearchQuery::new(sale(), 3_000.0, "library books")
        };
        let got = e.search(&q);
        assert!(got.len() > 5);
        assert!(got.windows(2).all(|w| w[0].distance_m <= w[1].distance_m));
        // Distances from an independent formula: the spherical law of cosines on the same
        // sphere (not the haversine the engine uses), which agrees to well under a millimetre
        // at these distances.
        let independent = |a: LonLat, b: LonLat| {
            let (p1, p2) = (a.lat().to_radians(), b.lat().to_radians());
            let dl = (b.lon() - a.lon()).to_radians();
            let c = (p1.sin() * p2.sin() + p1.cos() * p2.cos() * dl.cos()).clamp(-1.0, 1.0);
            6_371_008.8 * c.acos()
        };
        for r in &got {
            let want = independent(sale(), r.asset.location);
            assert!(
                (r.distance_m - want).abs() < 0.01,
                "{}: {} m, independently {want} m",
                r.asset.id,
                r.distance_m
            );
        }
        // The nearest matching assets, whichever they are.
        let all_q = SearchQuery {
            limit: 100_000,
            ..q.clone()
        };
        let mut all: Vec<f64> = e.search(&all_q).iter().map(|r| r.distance_m).collect();
        all.sort_by(f64::total_cmp);
        assert_eq!(
            got.iter().map(|r| r.distance_m).collect::<Vec<_>>(),
            all[..got.len()]
        );
    }

    #[test]
    fn open_at_drops_closed_and_ranks_unknown_lower() {
        let e = engine();
        let at = OpenAt {
            day: Weekday::Sun,
            time: TimeOfDay::parse("11:00").unwrap(),
            policy: OpenAtPolicy::ExcludeOnlyClosed,
        };
        let q = SearchQuery {
            filter: Filter {
                open_at: Some(at),
                ..Filter::default()
            },
            limit: 500,
            ..SearchQuery::new(sale(), 3_000.0, "")
        };
        let got = e.search(&q);
        assert!(got.iter().all(|r| r.openness != Some(Openness::Closed)));
        assert!(got.iter().any(|r| r.openness == Some(Openness::Unknown)));
        assert!(got.iter().any(|r| r.openness == Some(Openness::Open)));
        for r in &got {
            assert_eq!(
                r.openness,
                Some(r.asset.opening_times.openness_at(Weekday::Sun, at.time))
            );
            assert_eq!(
                r.matched_filters(&q).contains(&MatchedFilter::OpenAt),
                r.openness == Some(Openness::Open)
            );
            assert_eq!(
                r.not_recorded(&q).contains(&MatchedFilter::OpenAt),
                r.openness == Some(Openness::Unknown)
            );
        }
        let strict = SearchQuery {
            filter: Filter {
                open_at: Some(OpenAt {
                    policy: OpenAtPolicy::OpenOnly,
                    ..at
                }),
                ..Filter::default()
            },
            ..q
        };
        assert!(e
            .search(&strict)
            .iter()
            .all(|r| r.openness == Some(Openness::Open)));
    }

    #[test]
    fn filters_are_hard_and_reported() {
        let e = engine();
        let filter = Filter {
            categories: vec![Category::GreenSpaceNature, Category::Food],
            cost_bands: vec![CostBand::Free],
            age: Some(8),
            ..Filter::default()
        };
        let q = SearchQuery {
            filter: filter.clone(),
            limit: 200,
            ..SearchQuery::new(sale(), 4_000.0, "park garden food")
        };
        let got = e.search(&q);
        assert!(!got.is_empty());
        for r in &got {
            // Free, or its record gives no cost: then kept, but "not recorded", never "free".
            let free = r.asset.cost.as_ref().map(|c| c.band);
            assert!(free == Some(CostBand::Free) || free.is_none(), "{free:?}");
            assert!(filter
                .categories
                .iter()
                .any(|c| r.asset.categories.contains(c)));
            assert!(r.asset.audience.admits_age(8));
            assert_eq!(
                r.matched_filters(&q)
                    .contains(&MatchedFilter::Cost(CostBand::Free)),
                free.is_some()
            );
            assert_eq!(
                r.not_recorded(&q)
                    .contains(&MatchedFilter::Cost(CostBand::Free)),
                free.is_none()
            );
            // Said only when its record gives an age range; otherwise "not recorded".
            assert_eq!(
                r.matched_filters(&q).contains(&MatchedFilter::Age(8)),
                has_age_range(&r.asset)
            );
            assert_eq!(
                r.not_recorded(&q).contains(&MatchedFilter::Age(8)),
                !has_age_range(&r.asset)
            );
            assert!(r
                .matched_filters(&q)
                .iter()
                .any(|m| matches!(m, MatchedFilter::Category(_))));
        }
    }

    #[test]
    fn empty_limits_and_bad_radius_find_nothing() {
        let e = engine();
        assert!(e
            .search(&SearchQuery {
                limit: 0,
                ..SearchQuery::new(sale(), 1_000.0, "chess")
            })
            .is_empty());
        assert!(e
            .search(&SearchQuery::new(sale(), f64::NAN, "chess"))
            .is_empty());
        assert!(e.search(&SearchQuery::new(sale(), -1.0, "")).is_empty());
        assert!(e
            .search(&SearchQuery::new(sale(), 1_000.0, "qwxyzzy"))
            .is_empty());
    }

    /// Known matches before records that do not say: with an age, a cost and an access
    /// feature asked for, every record that gives them all ranks above any silent one at the
    /// same relevance and distance, and each silent one says what it does not record.
    #[test]
    fn records_silent_on_a_filter_are_kept_lower_and_said() {
        use assetmap_core::{AccessFeature, Audience, Cost};
        let base = engine().iter().next().unwrap().clone();
        let mut known = base.clone();
        known.id = assetmap_core::AssetId::parse("t:known").unwrap();
        known.name = assetmap_core::AssetName::parse("Quokka Club").unwrap();
        known.location = sale();
        known.cost = Some(Cost {
            band: CostBand::Free,
            detail: None,
        });
        known.access = vec![AccessFeature::StepFree];
        known.audience = Audience::new(Some(60), None, None).unwrap();
        let mut silent = known.clone();
        silent.id = assetmap_core::AssetId::parse("t:silent").unwrap();
        silent.cost = None;
        silent.access = Vec::new();
        silent.audience = Audience::default();
        let mut other = known.clone();
        other.id = assetmap_core::AssetId::parse("t:paid").unwrap();
        other.cost = Some(Cost {
            band: CostBand::Low,
            detail: None,
        });
        let e = Engine::new(vec![known, silent, other]);
        let q = SearchQuery {
            filter: Filter {
                cost_bands: vec![CostBand::Free],
                access: vec![AccessFeature::StepFree],
                age: Some(72),
                ..Filter::default()
            },
            ..SearchQuery::new(sale(), 1_000.0, "quokka")
        };
        let got = e.search(&q);
        let ids: Vec<&str> = got.iter().map(|r| r.asset.id.as_str()).collect();
        // The paid one gives another cost: left out. The silent one: kept, lower.
        assert_eq!(ids, ["t:known", "t:silent"]);
        assert!((got[1].score - got[0].score * 0.6_f64.powi(3)).abs() < 1e-9);
        assert!(got[0].not_recorded(&q).is_empty());
        assert_eq!(
            got[1].not_recorded(&q),
            [
                MatchedFilter::Age(72),
                MatchedFilter::Cost(CostBand::Free),
                MatchedFilter::Access(AccessFeature::StepFree)
            ]
        );
        assert!(got[1].matched_filters(&q).is_empty());
    }

    /// A school, its pitch and its parents' association are one site: the best of them stays,
    /// the others follow every other place, marked with it.
    #[test]
    fn records_at_one_site_make_way_for_other_places() {
        let base = engine().iter().next().unwrap().clone();
        let named = |id: &str, name: &str, metres_north: f64, postcode: &str| {
            let mut a = base.clone();
            a.id = assetmap_core::AssetId::parse(id).unwrap();
            a.name = assetmap_core::AssetName::parse(name).unwrap();
            a.description = None;
            a.tags = Vec::new();
            a.location =
                LonLat::new(sale().lon(), sale().lat() + metres_north / 111_195.0).unwrap();
            a.postcode = Some(assetmap_core::Postcode::parse(postcode).unwrap());
            a
        };
        let e = Engine::new(vec![
            named("t:school", "Wombat Primary School", 0.0, "M33 7XY"),
            named("t:pta", "Wombat Primary School PTA", 60.0, "M33 7XY"),
            named("t:pitch", "Wombat Primary School pitch", 120.0, "M33 7XY"),
            named("t:other", "Wombat Scouts", 400.0, "M33 7AA"),
            // Near, but another postcode: another place.
            named("t:next-door", "Wombat Cafe", 80.0, "M33 7AB"),
        ]);
        let q = SearchQuery::new(sale(), 2_000.0, "wombat");
        let got = e.search(&q);
        let ids: Vec<&str> = got.iter().map(|r| r.asset.id.as_str()).collect();
        let at = |id: &str| ids.iter().position(|x| *x == id).unwrap();
        for grouped in ["t:pta", "t:pitch"] {
            assert!(
                at(grouped) > at("t:other") && at(grouped) > at("t:next-door"),
                "{ids:?}"
            );
            let r = &got[at(grouped)];
            assert_eq!(
                r.same_site_as.as_ref().map(|a| a.id.as_str()),
                Some("t:school"),
                "{ids:?}"
            );
        }
        assert!(got[at("t:school")].same_site_as.is_none());
        assert!(got[at("t:next-door")].same_site_as.is_none());
        // Nearest first lists every record as it is.
        let by_distance = SearchQuery {
            order: SearchOrder::Distance,
            ..q.clone()
        };
        assert!(e
            .search(&by_distance)
            .iter()
            .all(|r| r.same_site_as.is_none()));
        let near: Vec<String> = e
            .search(&by_distance)
            .iter()
            .map(|r| r.asset.id.to_string())
            .collect();
        assert_eq!(
            near,
            ["t:school", "t:pta", "t:next-door", "t:pitch", "t:other"]
        );
        // The limit counts after grouping: two places, not the school and its PTA.
        let two = SearchQuery { limit: 2, ..q };
        let top: Vec<String> = e
            .search(&two)
            .iter()
            .map(|r| r.asset.id.to_string())
            .collect();
        let top: Vec<&str> = top.iter().map(String::as_str).collect();
        assert!(
            top.contains(&"t:school") && !top.contains(&"t:pta") && !top.contains(&"t:pitch"),
            "{top:?}"
        );
    }

    /// A record `metres_north` of Sale with only a name, an ABCD type and a postcode (one of
    /// the bundled assets, stripped): for tests of one site's records.
    fn site_record(
        id: &str,
        name: &str,
        metres_north: f64,
        abcd: assetmap_core::AbcdType,
    ) -> Asset {
        let mut a = engine().iter().next().unwrap().clone();
        a.id = assetmap_core::AssetId::parse(id).unwrap();
        a.name = assetmap_core::AssetName::parse(name).unwrap();
        a.abcd_type = abcd;
        a.description = None;
        a.tags = Vec::new();
        a.location = LonLat::new(sale().lon(), sale().lat() + metres_north / 111_195.0).unwrap();
        a.postcode = Some(assetmap_core::Postcode::parse("M33 7XY").unwrap());
        a
    }

    /// A club and the ground it plays at, scoring about the same: the club (the people who
    /// play) leads the site, and what was grouped under the ground follows the club.
    #[test]
    fn the_association_at_a_site_leads_it_when_they_score_alike() {
        use assetmap_core::AbcdType;
        let e = Engine::new(vec![
            site_record(
                "t:ground",
                "Numbat Park Hockey Pitch",
                0.0,
                AbcdType::PhysicalSpace,
            ),
            site_record(
                "t:aed",
                "Numbat Park Hockey Pitch",
                10.0,
                AbcdType::Institution,
            ),
            site_record(
                "t:club",
                "Numbat Park Hockey Club",
                20.0,
                AbcdType::Association,
            ),
            site_record(
                "t:far",
                "Numbat Hockey Lions Club",
                900.0,
                AbcdType::Association,
            ),
        ]);
        let got = e.search(&SearchQuery::new(sale(), 2_000.0, "numbat hockey"));
        let ids: Vec<&str> = got.iter().map(|r| r.asset.id.as_str()).collect();
        let leader = |id: &str| {
            got.iter()
                .find(|r| r.asset.id.as_str() == id)
                .and_then(|r| r.same_site_as.as_ref())
                .map(|a| a.id.to_string())
        };
        assert_eq!(ids[0], "t:club", "{ids:?}");
        assert_eq!(ids[1], "t:far", "{ids:?}");
        assert_eq!(leader("t:club"), None);
        assert_eq!(leader("t:ground").as_deref(), Some("t:club"), "{ids:?}");
        assert_eq!(leader("t:aed").as_deref(), Some("t:club"), "{ids:?}");
    }

    /// A school leads its parents' association when they score alike: the association is
    /// named after it, and a search for the school wants the school.
    #[test]
    fn an_institution_leads_the_association_named_after_it() {
        use assetmap_core::AbcdType;
        // The association is nearer, so it scores a little higher; yet the school leads.
        let e = Engine::new(vec![
            site_record(
                "t:pta",
                "Wombat Lane Infant School PTA",
                0.0,
                AbcdType::Association,
            ),
            site_record(
                "t:school",
                "Wombat Lane Infant School",
                140.0,
                AbcdType::Institution,
            ),
        ]);
        let got = e.search(&SearchQuery::new(sale(), 2_000.0, "wombat infant school"));
        let ids: Vec<&str> = got.iter().map(|r| r.asset.id.as_str()).collect();
        let score = |id: &str| {
            got.iter()
                .find(|r| r.asset.id.as_str() == id)
                .unwrap()
                .score
        };
        assert!(
            score("t:pta") > score("t:school"),
            "the association scores higher"
        );
        assert_eq!(ids, ["t:school", "t:pta"]);
        assert_eq!(
            got[1].same_site_as.as_ref().map(|a| a.id.as_str()),
            Some("t:school")
        );
    }

    #[test]
    fn the_quick_nearness_test_never_rules_out_a_pair_within_a_site() {
        let base = engine().iter().next().unwrap().clone();
        let at = |lon: f64, lat: f64| {
            let mut a = base.clone();
            a.location = LonLat::new(lon, lat).unwrap();
            a
        };
        // East-west, north-south and diagonal pairs at several latitudes, across the
        // antimeridian and near a pole: wherever the exact distance is within a site, so is the
        // quick test; farther pairs at mid latitudes are ruled out.
        for lat in [0.0, 35.0, 53.4, 70.0, 79.9, 84.0, -60.0] {
            for lon in [-2.3, 179.9995, -179.9995] {
                let a = at(lon, lat);
                for (de, dn) in [(1.0, 0.0), (0.0, 1.0), (0.7, 0.7), (-1.0, 0.3)] {
                    for metres in [10.0, 100.0, SAME_SITE_M - 1.0, 400.0, 5_000.0] {
                        let dlat = dn * metres / 111_195.0;
                        let dlon = de * metres / (111_195.0 * f64::to_radians(lat).cos());
                        let mut blon = lon + dlon;
                        if blon > 180.0 {
                            blon -= 360.0;
                        }
                        if blon < -180.0 {
                            blon += 360.0;
                        }
                        let b = at(blon, lat + dlat);
                        let d = a.location.distance_m(&b.location);
                        if d <= SAME_SITE_M {
                            assert!(near_enough(&a, &b), "{lat} {lon} {de} {dn} {metres}: {d} m");
                        } else if d > 2.0 * SAME_SITE_M && lat.abs() < 75.0 {
                            assert!(
                                !near_enough(&a, &b),
                                "{lat} {lon} {de} {dn} {metres}: {d} m"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn the_engine_explains_from_its_index_as_the_record_reads() {
        let e = engine();
        let mut explained = 0;
        for words in [
            "gardening",
            "meet other dads",
            "feeling low",
            "food bank",
            "lonely",
        ] {
            let q = SearchQuery::new(sale(), 5_000.0, words);
            // One explainer for every result of the search, as a response uses it.
            let explainer = e.explainer(&q);
            for r in e.search(&q) {
                let from_index = explainer.explain(&r);
                assert_eq!(from_index, r.explain(&q), "{words}: {}", r.asset.name);
                assert_eq!(from_index, e.explain(&r, &q));
                explained += from_index.len();
            }
        }
        assert!(explained > 20, "{explained}");
    }

    #[test]
    fn a_records_words_can_name_an_age_group() {
        let mut a = engine().iter().next().unwrap().clone();
        let named = |a: &mut Asset, n: &str| {
            a.name = assetmap_core::AssetName::parse(n).unwrap();
            a.tags = Vec::new();
        };
        named(&mut a, "Flixton Junior Football Club");
        assert_eq!(age_words(&a), Some(AgeWords::Young));
        named(&mut a, "Over 60s Lunch Club");
        assert_eq!(age_words(&a), Some(AgeWords::Older));
        named(&mut a, "Old Stretfordians Amateur Football Club");
        assert_eq!(age_words(&a), None);
        assert!(AgeWords::Young.suits(9) && !AgeWords::Young.suits(40));
        assert!(AgeWords::Older.suits(72) && !AgeWords::Older.suits(9));
        // Ranked by what the words say, and still "not recorded".
        a.audience = assetmap_core::Audience::default();
        named(&mut a, "Flixton Junior Football Club");
        let f = |age| Filter {
            age: Some(age),
            ..Filter::default()
        };
        assert_eq!(not_recorded_factor(&f(9), &a), AGE_WORDS_FACTOR);
        assert_eq!(not_recorded_factor(&f(40), &a), OTHER_AGE_WORDS_FACTOR);
        let mut out = Vec::new();
        not_recorded_filters(&f(9), &Facets::of(&a), &mut out);
        assert_eq!(out, [MatchedFilter::Age(9)]);
    }

    #[test]
    fn names_of_one_place_are_alike() {
        assert!(names_alike(
            "Park Road Primary School",
            "Park Road Sale Primary School"
        ));
        assert!(names_alike(
            "Springfield Primary School",
            "SPRINGFIELD PRIMARY SCHOOL PARENT TEACHERS ASSOCIATION"
        ));
        assert!(!names_alike("St Mary's Church", "St Mary's Primary School"));
        assert!(!names_alike("Wombat Cafe", "Wombat Primary School"));
        assert!(
            !names_alike("Library", "Sale Library"),
            "one word is not enough"
        );
    }

    /// How each word matched, read from the record: the word itself, or a concept.
    #[test]
    fn explains_each_match_through_a_concept() {
        let base = engine().iter().next().unwrap().clone();
        let mut a = base.clone();
        a.id = assetmap_core::AssetId::parse("t:mind").unwrap();
        a.name = assetmap_core::AssetName::parse("Trafford Mind").unwrap();
        a.description = Some("Mental health support and counselling.".into());
        a.tags = Vec::new();
        a.location = sale();
        let e = Engine::new(vec![a]);
        let q = SearchQuery::new(sale(), 1_000.0, "my dad has been feeling low");
        let got = e.search(&q);
        assert_eq!(got.len(), 1);
        let why = got[0].explain(&q);
        assert_eq!(why.len(), 1);
        assert_eq!(why[0].word, "feeling low");
        assert_eq!(why[0].via, "concept");
        assert_eq!(why[0].through, Some("mental wellbeing"));
    }

    #[test]
    fn text_index_follows_upserts_and_removes() {
        let mut e = Engine::new(synthetic::assets(3, 500));
        let q = SearchQuery::new(sale(), 50_000.0, "zanzibar");
        assert!(e.search(&q).is_empty());
        let mut a = e.iter().next().unwrap().clone();
        a.name = assetmap_core::AssetName::parse("Zanzibar Social Club").unwrap();
        a.location = sale();
        e.upsert(a.clone());
        let got = e.search(&q);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].asset.id, a.id);
        assert_eq!(got[0].distance_m, 0.0);
        e.remove(&a.id);
        assert!(e.search(&q).is_empty());
    }
}
