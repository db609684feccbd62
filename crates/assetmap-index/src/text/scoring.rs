//! BM25F scoring over the posting lists: a query resolved against the index, then the two
//! phases of a search (words and synonyms, then category-only matches) accumulated per asset.

use super::accumulator::Accumulator;
use super::grid::{chord2_in, chord2_to_m, Circle, Region};
use super::posting_list::PostingList;
use super::postings::{CellDoc, TermId, TextIndex};
use super::query::{TextQuery, MAX_QUERY_TERMS};
use super::vocabulary::{category_term, WEIGHT_SCALE, W_CATEGORY, W_NAME};
use crate::facets::{category_bit, CompiledFilter, Facets};
use assetmap_core::Category;

const K1: f32 = 1.2;
/// What a term's informativeness is multiplied by when the query says what the person wants
/// ([`QueryTerm::cued`](super::query::QueryTerm::cued)) and the term is not that: the story
/// around the need ("retired off the buses in the summer, loves his music… fancies
/// volunteering") counts, but less than the need.
const STORY_TERM_WEIGHT: f32 = 0.8;
/// BM25's length normalisation (see the module docs for why it is below the usual 0.75).
const B: f32 = 0.3;

/// BM25 saturation of a name match in an asset of average length: the "ideal" match that
/// relevance is measured against.
const REFERENCE_SATURATION: f32 = W_NAME as f32 / (W_NAME as f32 + K1 * WEIGHT_SCALE);

impl TextIndex {
    /// The assets matching `query` within `area` (everywhere when `None`) that pass `filter`
    /// (all but its `open_at`, which needs the asset: the caller checks it), in no particular
    /// order, each with its relevance, the query terms it matched and its
    /// distance from the area's centre. Exhaustive: [`TextIndex::word_hits`] and
    /// [`TextIndex::category_only_hits`] together.
    pub fn search(
        &self,
        query: &TextQuery,
        area: Option<&Circle>,
        filter: &CompiledFilter,
    ) -> Vec<TextHit> {
        let p = self.prepare(query);
        let mut hits = Vec::new();
        let words = self.word_hits(&p, area, filter, &mut hits);
        self.category_only_hits(&p, area, filter, &words, &mut hits);
        hits
    }

    /// Calls `f` with the slot of every asset in `area` (everywhere when `None`) passing
    /// `filter` (all but its `open_at`) that matches `query` — the assets [`search`](Self::search)
    /// finds — without scoring them: once per matching posting, so an asset matching several
    /// ways is given more than once. For a set of matches (a map tile's), not a ranking.
    pub fn for_each_match(
        &self,
        query: &TextQuery,
        area: Option<&Circle>,
        filter: &CompiledFilter,
        mut f: impl FnMut(u32),
    ) {
        let p = self.prepare(query);
        let region = area.map(Region::new);
        let leads: Vec<TermId> = p
            .terms
            .iter()
            .flat_map(|t| {
                t.words
                    .iter()
                    .map(|w| w.lead)
                    .chain(t.categories.iter().map(|c| c.id))
            })
            .collect();
        for (_, docs, list) in self.postings(&leads, region.as_ref()) {
            for (local, _) in list.iter() {
                let doc = &docs[local as usize];
                if chord2_in(region.as_ref(), &doc.xyz).is_some() && filter.admits(&doc.facets) {
                    f(doc.slot);
                }
            }
        }
    }

    /// Resolves `query` against this index: term ids, inverse document frequencies and the
    /// ideal score of each query term.
    pub fn prepare(&self, query: &TextQuery) -> PreparedQuery {
        let n = self.live.max(1) as f32;
        let idf = |id: TermId| {
            let df = self.terms[id as usize].df as f32;
            (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
        };
        // The idf of a word no asset has: the most a word can say.
        let idf_unseen = (1.0 + (n + 0.5) / 0.5).ln();
        let mut terms = Vec::new();
        let any_cued = query.terms.iter().any(|t| t.cued);
        for term in query.terms.iter().take(MAX_QUERY_TERMS) {
            // The index term of the words as typed, when some asset has them.
            let mut own: Option<TermId> = None;
            let mut words = Vec::new();
            let mut categories = Vec::new();
            let mut ideal: f32 = 0.0;
            for exp in &term.expansions {
                if exp.is_category() {
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
                // A phrase is one term of the index: found whole and in order.
                let Some(&lead) = self.dictionary.get(exp.index_term().as_str()) else {
                    continue;
                };
                if self.terms[lead as usize].df == 0 {
                    continue;
                }
                // The words as typed, or run together ("playgroup" for "play group"): one
                // way of writing them counts no more than the first, however rare it is.
                let idf_lead = match own {
                    Some(first) if exp.via == "word" => idf(lead).min(idf(first)),
                    _ => idf(lead),
                };
                if exp.via == "word" && own.is_none() {
                    own = Some(lead);
                }
                let scale = exp.weight * idf_lead * (K1 + 1.0);
                ideal = ideal.max(scale);
                words.push(PreparedWord { lead, scale });
            }
            let names_something = term
                .expansions
                .iter()
                .any(|e| e.via == "concept" || e.via == "venue");
            let informativeness = match own {
                Some(id) if !names_something => (idf(id) / idf_unseen).min(1.0),
                _ => 1.0,
            };
            let informativeness = if any_cued && !term.cued {
                informativeness * STORY_TERM_WEIGHT
            } else {
                informativeness
            };
            terms.push(PreparedTerm {
                words,
                categories,
                ideal: ideal * REFERENCE_SATURATION,
                informativeness,
            });
        }
        PreparedQuery {
            divisor: divisor(&terms),
            terms,
            avg: (self.total_len as f32 / n).max(1.0),
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
        filter: &CompiledFilter,
        out: &mut Vec<TextHit>,
    ) -> WordHits {
        let region = area.map(Region::new);
        // (query term, scale) of each word or synonym read.
        let words: Vec<(usize, f32)> = p
            .terms
            .iter()
            .enumerate()
            .flat_map(|(ti, t)| t.words.iter().map(move |w| (ti, w.scale)))
            .collect();
        let leads: Vec<TermId> = p
            .terms
            .iter()
            .flat_map(|t| t.words.iter().map(|w| w.lead))
            .collect();
        let lists = self.postings(&leads, region.as_ref());
        let expected = lists.iter().map(|(_, _, l)| l.len_hint()).sum::<usize>();
        let mut acc = Accumulator::with_capacity(expected.min(1 << 20));
        let norm = |len: u16| K1 * WEIGHT_SCALE * (1.0 - B + B * f32::from(len) / p.avg);
        let mut read = Vec::new();
        for (i, docs, list) in lists {
            let (ti, scale) = words[i];
            gather(docs, list, &mut read);
            for (doc, tf) in &read {
                let Some(chord2) = chord2_in(region.as_ref(), &doc.xyz) else {
                    continue;
                };
                if !filter.admits(&doc.facets) {
                    continue;
                }
                let tf = f32::from(*tf);
                acc.add(doc, ti, scale * tf / (tf + norm(doc.len)), chord2, filter);
            }
        }
        push_hits(&acc, p, norm, out);
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
                    t.informativeness * (best / t.ideal).min(1.0)
                } else {
                    0.0
                }
            })
            .sum();
        (sum / p.divisor).min(1.0)
    }

    /// Phase 2 of a search: the assets in `area` passing `filter` that match the query only
    /// through their categories (none of `words`' hits).
    /// The hits are appended to `out`.
    pub fn category_only_hits(
        &self,
        p: &PreparedQuery,
        area: Option<&Circle>,
        filter: &CompiledFilter,
        words: &WordHits,
        out: &mut Vec<TextHit>,
    ) {
        self.category_only_hits_where(p, area, filter, words, |_, _| true, out);
    }

    /// [`category_only_hits`](Self::category_only_hits) of only the postings `keep` accepts,
    /// given the asset's facets and its squared chord from the centre (unit sphere): a search
    /// that knows some assets cannot make its list passes them over before scoring them.
    pub(crate) fn category_only_hits_where(
        &self,
        p: &PreparedQuery,
        area: Option<&Circle>,
        filter: &CompiledFilter,
        words: &WordHits,
        keep: impl Fn(&Facets, f32) -> bool,
        out: &mut Vec<TextHit>,
    ) {
        let region = area.map(Region::new);
        let norm = |len: u16| K1 * WEIGHT_SCALE * (1.0 - B + B * f32::from(len) / p.avg);
        let leads: Vec<TermId> = p
            .terms
            .iter()
            .flat_map(|t| t.categories.iter().map(|c| c.id))
            .collect();
        let lists = self.postings(&leads, region.as_ref());
        let expected = lists.iter().map(|(_, _, l)| l.len_hint()).sum::<usize>();
        let mut acc = Accumulator::with_capacity(expected.min(1 << 20));
        let mut read = Vec::new();
        for (_, docs, list) in lists {
            gather(docs, list, &mut read);
            for (doc, _) in &read {
                let Some(chord2) = chord2_in(region.as_ref(), &doc.xyz) else {
                    continue;
                };
                if !filter.admits(&doc.facets)
                    || !keep(&doc.facets, chord2)
                    || words.seen.contains(doc.slot)
                {
                    continue;
                }
                acc.insert(doc, chord2, filter);
            }
        }
        push_hits(&acc, p, norm, out);
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
    /// What the sum of the terms' weighted matches is divided by ([`divisor`]).
    divisor: f32,
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
    /// How much the term says about which asset is meant, 0..=1: its words' (as typed) inverse document
    /// frequency over that of a word no asset has, so a word half the directory has ("hall",
    /// "lads") counts less than one a few have ("gaelic"); 1 for a phrase that names a
    /// concept or a venue ("feeling low"), and for words no asset has.
    informativeness: f32,
}

#[derive(Debug, Clone)]
struct PreparedWord {
    lead: TermId,
    /// `weight × idf × (k1 + 1)`.
    scale: f32,
}

#[derive(Debug, Clone)]
struct PreparedCategory {
    id: TermId,
    bit: u16,
    scale: f32,
}

/// One asset found by a text search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TextHit {
    /// The engine's slot for the asset.
    pub slot: u32,
    /// Relevance, 0..=1: the sum over the query terms of each term's best match relative to
    /// an ideal one, weighted by how informative the term is, divided by the weights of the
    /// [`FULL_MATCH_TERMS`] most informative terms and capped at 1 (see the module docs);
    /// above 0.
    pub relevance: f32,
    /// Bit `i` set when the asset matched query term `i` ([`TextQuery::terms`]).
    pub matched: u32,
    /// Distance from the search circle's centre in metres, from the index's `f32` positions
    /// (within about a metre); 0 when the search had no circle.
    pub approx_distance_m: f64,
    /// The most the search's "not recorded" factors can leave of its score (1 when the
    /// filter asks nothing its record may be silent on): an upper bound, from its facets.
    pub unrecorded_bound: f32,
}

/// Copies the asset of each posting of `list`, with its term frequency, into `out` (cleared
/// first). The copies depend only on the postings, not on each other, so the processor fetches
/// many assets from memory at once; tested one by one, each test waited for its fetch.
#[inline]
fn gather(docs: &[CellDoc], list: PostingList<'_>, out: &mut Vec<(CellDoc, u16)>) {
    out.clear();
    out.extend(list.iter().map(|(local, tf)| (docs[local as usize], tf)));
}

/// A query's terms that an asset must match fully for a relevance of 1: a sentence as a
/// person tells it ("our little girl was born deaf, she's nearly two and just had her cochlear
/// implants…") holds a few needs among many words, and no place matches every word; were
/// relevance the mean over all of them, a long sentence would leave every match weak and
/// distance would rank alone.
pub const FULL_MATCH_TERMS: usize = 3;

/// What the sum of a query's weighted term matches is divided by: the informativeness of its
/// [`FULL_MATCH_TERMS`] most informative terms, added. Matching those fully is a relevance of
/// 1; for a query of up to three equally informative terms it is their number (the mean).
fn divisor(terms: &[PreparedTerm]) -> f32 {
    let mut weights: Vec<f32> = terms.iter().map(|t| t.informativeness).collect();
    weights.sort_unstable_by(|a, b| b.total_cmp(a));
    weights
        .iter()
        .take(FULL_MATCH_TERMS)
        .sum::<f32>()
        .max(f32::MIN_POSITIVE)
}

/// Appends the hits of `acc` to `out`, with category matches added and relevance computed.
fn push_hits(
    acc: &Accumulator,
    p: &PreparedQuery,
    norm: impl Fn(u16) -> f32,
    out: &mut Vec<TextHit>,
) {
    let tf = f32::from(W_CATEGORY);
    let divide_by = p.divisor;
    out.reserve(acc.len());
    for (slot, a) in acc.iter() {
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
                relevance += t.informativeness * (best / t.ideal).min(1.0);
                matched |= 1 << ti;
            }
        }
        if matched == 0 {
            continue;
        }
        out.push(TextHit {
            slot,
            relevance: (relevance / divide_by).min(1.0),
            matched,
            approx_distance_m: chord2_to_m(a.chord2),
            unrecorded_bound: a.unrecorded,
        });
    }
}
