//! Posting lists: per term and grid cell, one entry per asset with its weighted term frequency,
//! length, position and facets; built in bulk on all cores and kept in step by upsert/remove.

use super::grid::{cell_of, CellKey, Region};
use super::query::for_each_index_term;
use super::vocabulary::{category_term_arc, W_CATEGORY, W_DESCRIPTION, W_NAME, W_TAG};
use crate::facets::Facets;
use crate::sphere::to_xyz;
use assetmap_core::Asset;
use rustc_hash::FxHashMap;
use std::sync::Arc;

/// One asset's entry in one (term, cell) posting list.
#[derive(Debug, Clone, Copy)]
pub(super) struct Posting {
    pub(super) slot: u32,
    /// Weighted term frequency (field weights doubled).
    pub(super) tf: u16,
    /// Weighted length of the asset's text (field weights doubled, saturating).
    pub(super) len: u16,
    pub(super) xyz: [f32; 3],
    pub(super) facets: Facets,
}

pub(super) type TermId = u32;

// As compact as before the facets were shared: a posting is 32 bytes.
const _: () = assert!(size_of::<Posting>() == 32);

#[derive(Debug, Default)]
pub(super) struct TermEntry {
    /// Number of assets holding the term.
    pub(super) df: u32,
    cells: FxHashMap<CellKey, Vec<Posting>>,
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
/// use assetmap_index::{text::{TextIndex, TextQuery}, CompiledFilter};
/// use assetmap_synthetic as synthetic;
/// let mut asset = synthetic::asset(1, 0);
/// asset.name = AssetName::parse("Sale Gardeners' Club").unwrap();
/// let mut index = TextIndex::default();
/// index.upsert(0, &asset);
/// let hits = index.search(&TextQuery::parse("gardening"), None, &CompiledFilter::default());
/// assert_eq!(hits.len(), 1);
/// assert_eq!(hits[0].matched, 0b1); // the first (only) query term
/// ```
#[derive(Debug, Default)]
pub struct TextIndex {
    pub(super) dictionary: FxHashMap<Box<str>, TermId>,
    pub(super) terms: Vec<TermEntry>,
    docs: Vec<Option<Doc>>,
    pub(super) live: u32,
    pub(super) total_len: u64,
}

/// Appends `(term, weight)` for every term of `text` to `tf` ([`for_each_index_term`]).
/// Known phrases count as terms of their own, not in the length.
fn count_field(text: &str, weight: u16, tf: &mut Vec<(Arc<str>, u16)>, len: &mut u32) {
    for_each_index_term(text, |t| {
        tf.push((t.clone(), weight));
        if !t.contains(' ') {
            *len += u32::from(weight);
        }
    });
}

/// An asset's text, analysed: what [`TextIndex::insert`] needs, computed without the index
/// (so that it can run on many threads).
struct AnalysedDoc {
    /// (term, weighted frequency), sorted by term so that posting order never depends on
    /// hash iteration order.
    terms: Vec<(Arc<str>, u16)>,
    len: u32,
    cell: CellKey,
    xyz: [f32; 3],
    facets: Facets,
}

impl AnalysedDoc {
    fn of(asset: &Asset) -> AnalysedDoc {
        let mut tf: Vec<(Arc<str>, u16)> = Vec::with_capacity(64);
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
        let mut terms: Vec<(Arc<str>, u16)> = Vec::with_capacity(tf.len());
        for (t, w) in tf {
            match terms.last_mut() {
                Some(last) if last.0 == t => last.1 = last.1.saturating_add(w),
                _ => terms.push((t, w)),
            }
        }
        let v = to_xyz(&asset.location);
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

    /// True when the record indexed under `slot` has `term` (a stem, a known phrase's stems
    /// joined by spaces, or a category pseudo-term): what "why it matched" asks, without
    /// reading the record's text again.
    pub(crate) fn doc_has(&self, slot: u32, term: &str) -> bool {
        let Some(&id) = self.dictionary.get(term) else {
            return false;
        };
        self.docs
            .get(slot as usize)
            .and_then(Option::as_ref)
            .is_some_and(|d| d.terms.binary_search(&id).is_ok())
    }

    /// Visits the postings of `lead` in `region` (everywhere when `None`).
    pub(super) fn postings<'a>(
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
}
