//! Posting lists, cell by cell: the assets of each ~1 km grid cell form a chunk, a small
//! inverted index of its own (each asset's position, length and facets once, then per term the
//! assets holding it, encoded in about 2 bytes a posting: [`super::posting_list`]); built in
//! bulk on all cores and kept in step by upsert/remove, which rewrite one chunk.

use super::analysis::name_and_host;
use super::grid::{cell_of, CellKey, Region};
use super::posting_list::{self, PostingList};
use super::query::for_each_index_term;
use super::vocabulary::{category_term_arc, W_CATEGORY, W_DESCRIPTION, W_NAME, W_TAG};
use crate::bytes::{In, Out};
use crate::error::SnapshotError;
use crate::facets::{Facets, SlotFacets};
use crate::records::Records;
use crate::snapshot::{FrameReader, FrameWriter};
use crate::sphere::{to_xyz, xyz};
use assetmap_core::Asset;
use rustc_hash::FxHashMap;
use std::sync::Arc;

/// One asset of a chunk: what a search reads for each of its postings, kept once per asset
/// rather than in every posting (a posting is about 2 bytes, this 28).
#[derive(Debug, Clone, Copy)]
pub(super) struct CellDoc {
    /// The engine's slot; [`FREE`] for a local number not in use.
    pub(super) slot: u32,
    /// Weighted length of the asset's text (field weights doubled, saturating).
    pub(super) len: u16,
    pub(super) xyz: [f32; 3],
    pub(super) facets: Facets,
}

pub(crate) type TermId = u32;

const _: () = assert!(size_of::<CellDoc>() == 28);

/// The bucket of `term` in a [`Chunk`]'s lookup table of `mask + 1` buckets (Fibonacci
/// hashing).
#[inline]
fn bucket(term: TermId, mask: usize) -> usize {
    (term.wrapping_mul(0x9E37_79B9) >> 8) as usize & mask
}

/// [`CellDoc::slot`] of a local number not in use.
const FREE: u32 = u32::MAX;

/// Most assets in one chunk: local numbers are `u16`, and an upsert rewrites its chunk's
/// postings, so a chunk is kept small enough for that to stay well under a millisecond.
const CHUNK_DOCS: usize = 4096;

#[derive(Debug, Default)]
pub(super) struct TermEntry {
    /// Number of assets holding the term.
    pub(super) df: u32,
    /// The chunks holding the term, in no particular order.
    chunks: Vec<u32>,
}

/// The assets of one grid cell (a cell with more than [`CHUNK_DOCS`] has several chunks) and
/// their postings, term by term: a small inverted index of its own, so that the postings of
/// a term in a cell are contiguous and the assets they name are a few cache lines away.
#[derive(Debug)]
struct Chunk {
    cell: CellKey,
    docs: Vec<CellDoc>,
    /// Local numbers not in use.
    free: Vec<u16>,
    /// `(term, start)` sorted by term: the term's postings are `postings[start..]` up to the
    /// next term's start.
    dir: Vec<(TermId, u32)>,
    /// An open-addressing table from a term to its place in `dir` (+ 1; 0 is empty), twice
    /// as many buckets as terms or more: a term is found in about one probe, where a binary
    /// search of `dir` took ten unpredictable branches and most of a search's time.
    lookup: Box<[u32]>,
    /// Every term's [`PostingList`], one after another in term order.
    postings: Vec<u8>,
    /// How many postings `postings` holds.
    n_postings: u32,
}

impl Chunk {
    fn new(cell: CellKey) -> Chunk {
        Chunk {
            cell,
            docs: Vec::new(),
            free: Vec::new(),
            dir: Vec::new(),
            lookup: Box::new([]),
            postings: Vec::new(),
            n_postings: 0,
        }
    }

    fn has_room(&self) -> bool {
        !self.free.is_empty() || self.docs.len() < CHUNK_DOCS
    }

    /// The postings of `term` in this chunk (empty when it has none).
    #[inline]
    fn postings(&self, term: TermId) -> PostingList<'_> {
        if self.lookup.is_empty() {
            return PostingList(&[]);
        }
        let mask = self.lookup.len() - 1;
        let mut b = bucket(term, mask);
        loop {
            let at = self.lookup[b];
            if at == 0 {
                return PostingList(&[]);
            }
            let i = at as usize - 1;
            if self.dir[i].0 == term {
                return self.run(i);
            }
            b = (b + 1) & mask;
        }
    }

    /// The postings of the `i`th term of `dir`.
    #[inline]
    fn run(&self, i: usize) -> PostingList<'_> {
        let start = self.dir[i].1 as usize;
        let end = self
            .dir
            .get(i + 1)
            .map_or(self.postings.len(), |d| d.1 as usize);
        PostingList(&self.postings[start..end])
    }

    /// Rebuilds `lookup` from `dir`.
    fn reindex(&mut self) {
        if self.dir.is_empty() {
            self.lookup = Box::new([]);
            return;
        }
        let buckets = (self.dir.len() * 2).next_power_of_two();
        let mut lookup = vec![0u32; buckets].into_boxed_slice();
        let mask = buckets - 1;
        for (i, &(term, _)) in self.dir.iter().enumerate() {
            let mut b = bucket(term, mask);
            while lookup[b] != 0 {
                b = (b + 1) & mask;
            }
            lookup[b] = i as u32 + 1;
        }
        self.lookup = lookup;
    }

    /// Rebuilds `dir` and `postings` from `(term, local, tf)` triples.
    fn set_postings(&mut self, mut triples: Vec<(TermId, u16, u16)>) {
        triples.sort_unstable();
        self.dir.clear();
        self.postings.clear();
        self.n_postings = triples.len() as u32;
        for run in triples.chunk_by(|a, b| a.0 == b.0) {
            self.dir.push((run[0].0, self.postings.len() as u32));
            posting_list::encode(
                &mut self.postings,
                run.iter().map(|&(_, local, tf)| (local, tf)),
            );
        }
        self.dir.shrink_to_fit();
        self.reindex();
        self.postings.shrink_to_fit();
    }

    /// Gives asset `local` the postings `terms` (`(term, tf)` sorted by term; none to remove
    /// it), in one rewrite of the chunk's postings. `held` says whether `local` may hold
    /// postings already (false for a number just taken: no list is searched for it). Lists
    /// that neither hold `local` nor gain it are copied whole, without decoding.
    fn rewrite_postings(&mut self, local: u16, terms: &[(TermId, u16)], held: bool) -> Replaced {
        let mut out = Replaced::default();
        let mut dir = Vec::with_capacity(self.dir.len() + terms.len());
        let mut bytes = Vec::with_capacity(self.postings.len() + terms.len() * 3);
        let mut run: Vec<(u16, u16)> = Vec::new();
        let mut new = terms.iter().peekable();
        for i in 0..self.dir.len() {
            let term = self.dir[i].0;
            while let Some(&(t, tf)) = new.next_if(|(t, _)| *t < term) {
                dir.push((t, bytes.len() as u32));
                posting_list::encode(&mut bytes, [(local, tf)]);
                out.fresh.push(t);
            }
            let list = self.run(i);
            let gains = new.next_if(|(t, _)| *t == term).map(|&(_, tf)| tf);
            let had = held && list.has(local);
            if had {
                out.had.push(term);
            }
            if !had && gains.is_none() {
                dir.push((term, bytes.len() as u32));
                bytes.extend_from_slice(list.0);
                continue;
            }
            run.clear();
            run.extend(list.iter().filter(|(l, _)| *l != local));
            if let Some(tf) = gains {
                let at = run.partition_point(|(l, _)| *l < local);
                run.insert(at, (local, tf));
            }
            if run.is_empty() {
                out.gone.push(term);
            } else {
                dir.push((term, bytes.len() as u32));
                posting_list::encode(&mut bytes, run.iter().copied());
            }
        }
        for &(t, tf) in new {
            dir.push((t, bytes.len() as u32));
            posting_list::encode(&mut bytes, [(local, tf)]);
            out.fresh.push(t);
        }
        self.n_postings = self.n_postings + terms.len() as u32 - out.had.len() as u32;
        self.dir = dir;
        self.postings = bytes;
        self.reindex();
        out
    }
}

/// What [`Chunk::rewrite_postings`] changed: the terms the asset held before, those the
/// chunk no longer holds, and those it holds now and did not before.
#[derive(Debug, Default)]
struct Replaced {
    had: Vec<TermId>,
    gone: Vec<TermId>,
    fresh: Vec<TermId>,
}

/// Where the index keeps an asset slot.
#[derive(Debug, Clone, Copy)]
struct DocRef {
    chunk: u32,
    local: u16,
    /// Weighted length of its text (unsaturated, for the average).
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
    chunks: Vec<Chunk>,
    /// The chunks of each cell holding assets.
    cells: FxHashMap<CellKey, Vec<u32>>,
    docs: Vec<Option<DocRef>>,
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
    fn cell_doc(&self, slot: u32) -> CellDoc {
        CellDoc {
            slot,
            len: self.len.min(u32::from(u16::MAX)) as u16,
            xyz: self.xyz,
            facets: self.facets,
        }
    }

    fn of(asset: &Asset) -> AnalysedDoc {
        let mut tf: Vec<(Arc<str>, u16)> = Vec::with_capacity(64);
        let mut len = 0u32;
        let (own, host) = name_and_host(asset.name.as_str());
        count_field(own, W_NAME, &mut tf, &mut len);
        if let Some(host) = host {
            count_field(host, W_DESCRIPTION, &mut tf, &mut len);
        }
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

/// Assets analysed per step of [`TextIndex::build`].
const BUILD_BATCH_DOCS: usize = 32_768;

/// The analysed text of each asset of each part, in order, on all available cores.
fn analyse_parts(parts: &[&[(CellKey, u32, &Asset)]]) -> Vec<Vec<AnalysedDoc>> {
    let analyse = |part: &&[(CellKey, u32, &Asset)]| -> Vec<AnalysedDoc> {
        part.iter().map(|(_, _, a)| AnalysedDoc::of(a)).collect()
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, |t| t.get())
        .clamp(1, 8);
    let docs: usize = parts.iter().map(|p| p.len()).sum();
    if threads == 1 || docs < 4_096 {
        return parts.iter().map(analyse).collect();
    }
    let per_thread = parts.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = parts
            .chunks(per_thread)
            .map(|group| scope.spawn(move || group.iter().map(analyse).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
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

    /// Bytes the index holds on the heap (its vectors' capacities; the dictionary's strings and
    /// the hash tables' buckets estimated): for sizing, not exact to the allocator's overhead.
    pub fn heap_bytes(&self) -> usize {
        self.heap_parts().iter().map(|(_, b)| b).sum()
    }

    /// [`heap_bytes`](Self::heap_bytes) part by part, named: where the index's memory goes.
    pub fn heap_parts(&self) -> Vec<(&'static str, usize)> {
        let sum = |f: &dyn Fn(&Chunk) -> usize| -> usize { self.chunks.iter().map(f).sum() };
        vec![
            ("chunks", self.chunks.capacity() * size_of::<Chunk>()),
            (
                "chunk assets",
                sum(&|c| c.docs.capacity() * size_of::<CellDoc>() + c.free.capacity() * 2),
            ),
            (
                "chunk term directories",
                sum(&|c| c.dir.capacity() * size_of::<(TermId, u32)>()),
            ),
            ("chunk term lookups", sum(&|c| c.lookup.len() * 4)),
            ("postings", sum(&|c| c.postings.capacity())),
            (
                "terms' chunks",
                self.terms
                    .iter()
                    .map(|t| size_of::<TermEntry>() + t.chunks.capacity() * 4)
                    .sum(),
            ),
            (
                "cells",
                self.cells
                    .values()
                    .map(|ids| size_of::<(CellKey, Vec<u32>)>() + ids.capacity() * 4)
                    .sum(),
            ),
            (
                "dictionary",
                self.dictionary
                    .keys()
                    .map(|k| k.len() + size_of::<(Box<str>, TermId)>())
                    .sum(),
            ),
            ("assets", self.docs.capacity() * size_of::<Option<DocRef>>()),
        ]
    }

    /// Number of chunks (each a cell's assets, or part of them).
    pub fn chunk_count(&self) -> usize {
        self.chunks.len()
    }

    /// Number of postings (an asset holding a term), over every chunk.
    pub fn posting_count(&self) -> usize {
        self.chunks.iter().map(|c| c.n_postings as usize).sum()
    }

    /// Number of postings, counted by decoding every list (what
    /// [`posting_count`](Self::posting_count) keeps count of).
    #[cfg(test)]
    pub(super) fn decoded_posting_count(&self) -> usize {
        self.chunks
            .iter()
            .map(|c| {
                (0..c.dir.len())
                    .map(|i| c.run(i).iter().count())
                    .sum::<usize>()
            })
            .sum()
    }

    /// True when some asset indexed now has the index term `term` (a stem, or a phrase's
    /// stems joined by spaces).
    pub fn has_term(&self, term: &str) -> bool {
        self.dictionary
            .get(term)
            .is_some_and(|&id| self.terms[id as usize].df > 0)
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
        let doc = AnalysedDoc::of(asset);
        match self.docs.get(slot as usize).copied().flatten() {
            // Still in the same cell (an edit that does not move it far): one rewrite of its
            // chunk instead of a removal and an insertion.
            Some(old) if self.chunks[old.chunk as usize].cell == doc.cell => {
                self.replace(slot, old, doc);
            }
            _ => {
                self.remove(slot);
                self.insert(slot, doc);
            }
        }
    }

    /// `doc`'s terms as ids (new ones added to the dictionary), sorted.
    fn term_ids(&mut self, doc: &AnalysedDoc) -> Vec<(TermId, u16)> {
        let mut terms: Vec<(TermId, u16)> = doc
            .terms
            .iter()
            .map(|(t, tf)| (self.term_id(t), *tf))
            .collect();
        terms.sort_unstable();
        terms
    }

    /// Gives asset `local` of chunk `chunk` the postings `terms` (sorted; none to remove it),
    /// keeping the document frequencies and each term's list of chunks in step.
    fn rewrite(&mut self, chunk: u32, local: u16, terms: &[(TermId, u16)], held: bool) {
        let change = self.chunks[chunk as usize].rewrite_postings(local, terms, held);
        for t in change.had {
            self.terms[t as usize].df -= 1;
        }
        for (t, _) in terms {
            self.terms[*t as usize].df += 1;
        }
        for t in change.gone {
            let chunks = &mut self.terms[t as usize].chunks;
            if let Some(i) = chunks.iter().position(|&c| c == chunk) {
                chunks.swap_remove(i);
            }
        }
        for t in change.fresh {
            self.terms[t as usize].chunks.push(chunk);
        }
    }

    /// Replaces what `slot` (at `old`) holds with `doc`, of the same cell, in place.
    fn replace(&mut self, slot: u32, old: DocRef, doc: AnalysedDoc) {
        let terms = self.term_ids(&doc);
        self.chunks[old.chunk as usize].docs[old.local as usize] = doc.cell_doc(slot);
        self.rewrite(old.chunk, old.local, &terms, true);
        self.total_len = self.total_len - u64::from(old.len) + u64::from(doc.len);
        self.docs[slot as usize] = Some(DocRef {
            len: doc.len,
            ..old
        });
    }

    /// An index of `(slot, asset)` pairs, analysing the text on all available cores.
    ///
    /// # Panics
    /// When a slot occurs twice.
    pub fn build<'a>(assets: impl ExactSizeIterator<Item = (u32, &'a Asset)>) -> TextIndex {
        // Cell by cell, each cell's assets in slot order, in chunks of at most CHUNK_DOCS.
        let mut items: Vec<(CellKey, u32, &Asset)> = assets
            .map(|(slot, a)| (cell_of(a.location), slot, a))
            .collect();
        items.sort_unstable_by_key(|(cell, slot, _)| (*cell, *slot));
        let parts: Vec<&[(CellKey, u32, &Asset)]> = items
            .chunk_by(|a, b| a.0 == b.0)
            .flat_map(|cell| cell.chunks(CHUNK_DOCS))
            .collect();
        let mut index = TextIndex::new();
        if let Some(max) = items.iter().map(|(_, s, _)| *s).max() {
            index.docs.resize(max as usize + 1, None);
        }
        // A batch of chunks at a time, analysed on all cores: what the analysis allocates
        // (every term of every asset) is freed batch by batch rather than held for the whole
        // build, where it would stay in the allocator's heap, fragmented, after the build.
        let mut rest = &parts[..];
        while !rest.is_empty() {
            let mut end = 0;
            let mut n = 0;
            while end < rest.len() && (end == 0 || n + rest[end].len() <= BUILD_BATCH_DOCS) {
                n += rest[end].len();
                end += 1;
            }
            let (batch, after) = rest.split_at(end);
            for (part, docs) in batch.iter().zip(analyse_parts(batch)) {
                index.add_chunk(part[0].0, part.iter().map(|(_, slot, _)| *slot), docs);
            }
            rest = after;
        }
        index
    }

    /// Adds the analysed `docs` of `slots` (all in `cell`, at most [`CHUNK_DOCS`]) as one new
    /// chunk.
    fn add_chunk(
        &mut self,
        cell: CellKey,
        slots: impl Iterator<Item = u32>,
        docs: Vec<AnalysedDoc>,
    ) {
        let id = self.chunks.len() as u32;
        let mut chunk = Chunk::new(cell);
        chunk.docs.reserve_exact(docs.len());
        let mut triples = Vec::with_capacity(docs.iter().map(|d| d.terms.len()).sum());
        for (slot, doc) in slots.zip(docs) {
            assert!(
                self.docs.get(slot as usize).is_none_or(Option::is_none),
                "slot {slot} given twice"
            );
            let local = chunk.docs.len() as u16;
            chunk.docs.push(doc.cell_doc(slot));
            for (term, tf) in &doc.terms {
                let t = self.term_id(term);
                self.terms[t as usize].df += 1;
                triples.push((t, local, *tf));
            }
            self.set_doc(
                slot,
                DocRef {
                    chunk: id,
                    local,
                    len: doc.len,
                },
            );
        }
        chunk.set_postings(triples);
        for &(t, _) in &chunk.dir {
            self.terms[t as usize].chunks.push(id);
        }
        self.chunks.push(chunk);
        self.cells.entry(cell).or_default().push(id);
    }

    fn set_doc(&mut self, slot: u32, doc: DocRef) {
        let idx = slot as usize;
        if self.docs.len() <= idx {
            self.docs.resize(idx + 1, None);
        }
        self.docs[idx] = Some(doc);
        self.live += 1;
        self.total_len += u64::from(doc.len);
    }

    fn insert(&mut self, slot: u32, doc: AnalysedDoc) {
        let room = self.cells.get(&doc.cell).and_then(|ids| {
            ids.iter()
                .copied()
                .find(|&i| self.chunks[i as usize].has_room())
        });
        let id = match room {
            Some(id) => id,
            None => {
                let id = self.chunks.len() as u32;
                self.chunks.push(Chunk::new(doc.cell));
                self.cells.entry(doc.cell).or_default().push(id);
                id
            }
        };
        let terms = self.term_ids(&doc);
        let chunk = &mut self.chunks[id as usize];
        let cell_doc = doc.cell_doc(slot);
        let local = match chunk.free.pop() {
            Some(l) => {
                chunk.docs[l as usize] = cell_doc;
                l
            }
            None => {
                chunk.docs.push(cell_doc);
                (chunk.docs.len() - 1) as u16
            }
        };
        self.rewrite(id, local, &terms, false);
        self.set_doc(
            slot,
            DocRef {
                chunk: id,
                local,
                len: doc.len,
            },
        );
    }

    /// Forgets whatever `slot` held (nothing happens if it held nothing).
    pub fn remove(&mut self, slot: u32) {
        let Some(doc) = self.docs.get_mut(slot as usize).and_then(Option::take) else {
            return;
        };
        let chunk = &mut self.chunks[doc.chunk as usize];
        chunk.docs[doc.local as usize].slot = FREE;
        chunk.free.push(doc.local);
        self.rewrite(doc.chunk, doc.local, &[], true);
        self.live -= 1;
        self.total_len -= u64::from(doc.len);
    }

    /// The id of an index term (a stem, a known phrase's stems joined by spaces, or a category
    /// pseudo-term), or `None` when no record has ever had it.
    pub(crate) fn known_term(&self, term: &str) -> Option<TermId> {
        self.dictionary.get(term).copied()
    }

    /// True when the record indexed under `slot` has the term `id` ([`TextIndex::known_term`]):
    /// what "why it matched" asks, without reading the record's text again.
    pub(crate) fn doc_has_id(&self, slot: u32, id: TermId) -> bool {
        self.docs
            .get(slot as usize)
            .and_then(Option::as_ref)
            .is_some_and(|d| self.chunks[d.chunk as usize].postings(id).has(d.local))
    }

    /// The postings of each of `leads` in `region` (everywhere when `None`), chunk by chunk:
    /// `(index into leads, the chunk's assets, the postings, which index them)`. Small regions
    /// are read cell by cell (one lookup of a cell's chunks for all the leads), rare terms
    /// chunk by chunk from their own list.
    pub(super) fn postings<'a>(
        &'a self,
        leads: &[TermId],
        region: Option<&Region>,
    ) -> Vec<(usize, &'a [CellDoc], PostingList<'a>)> {
        let mut out = Vec::new();
        let spread: usize = leads
            .iter()
            .map(|&t| self.terms[t as usize].chunks.len())
            .sum();
        match region {
            Some(r) if r.cell_count() <= spread => r.for_each_cell(|k| {
                for &id in self.cells.get(&k).map_or(&[][..], Vec::as_slice) {
                    let chunk = &self.chunks[id as usize];
                    for (i, &lead) in leads.iter().enumerate() {
                        let list = chunk.postings(lead);
                        if !list.is_empty() {
                            out.push((i, &chunk.docs[..], list));
                        }
                    }
                }
            }),
            _ => {
                for (i, &lead) in leads.iter().enumerate() {
                    for &id in &self.terms[lead as usize].chunks {
                        let chunk = &self.chunks[id as usize];
                        if region.is_none_or(|r| r.has_cell(chunk.cell)) {
                            out.push((i, &chunk.docs[..], chunk.postings(lead)));
                        }
                    }
                }
            }
        }
        out
    }
}

/// Chunks per frame of the text index's part of an engine snapshot.
const CHUNKS_PER_FRAME: usize = 1024;

impl TextIndex {
    /// Writes the index into an engine snapshot ([`crate::snapshot`]): the dictionary and
    /// cells in one frame, then the chunks as they are (each asset's slot and length, free
    /// numbers, directory, postings). What follows from those — each term's document
    /// frequency and chunk list, each chunk's lookup table, each asset's position and facets —
    /// is rebuilt on reading.
    pub(crate) fn write_snapshot<W: std::io::Write>(
        &self,
        frames: &mut FrameWriter<W>,
    ) -> Result<(), SnapshotError> {
        let mut meta = Out::default();
        meta.u32(self.live);
        meta.u64(self.total_len);
        meta.len(self.docs.len());
        let mut words: Vec<&str> = vec![""; self.terms.len()];
        for (word, &id) in &self.dictionary {
            words[id as usize] = word;
        }
        meta.len(words.len());
        words.iter().for_each(|w| meta.str(w));
        let mut cells: Vec<(&CellKey, &Vec<u32>)> = self.cells.iter().collect();
        cells.sort_unstable_by_key(|(cell, _)| **cell);
        meta.len(cells.len());
        for (cell, ids) in cells {
            meta.u64(*cell);
            meta.len(ids.len());
            ids.iter().for_each(|&c| meta.u32(c));
        }
        meta.len(self.chunks.len());
        frames.frame(meta)?;
        for group in self.chunks.chunks(CHUNKS_PER_FRAME) {
            let mut out = Out::default();
            out.len(group.len());
            for c in group {
                out.u64(c.cell);
                out.len(c.docs.len());
                for d in &c.docs {
                    out.u32(d.slot);
                    let len = self
                        .docs
                        .get(d.slot as usize)
                        .copied()
                        .flatten()
                        .map_or(0, |r| r.len);
                    out.u32(len);
                }
                out.len(c.free.len());
                c.free.iter().for_each(|&l| out.u16(l));
                out.len(c.dir.len());
                for &(term, start) in &c.dir {
                    out.u32(term);
                    out.u32(start);
                }
                out.len(c.postings.len());
                out.buf.extend_from_slice(&c.postings);
            }
            frames.frame(out)?;
        }
        Ok(())
    }

    /// Reads what [`TextIndex::write_snapshot`] wrote, for the engine's `records` (each live
    /// asset's position is read from `facets`, as when it was indexed).
    pub(crate) fn read_snapshot<R: std::io::Read>(
        frames: &mut FrameReader<R>,
        records: &Records,
        facets: &[SlotFacets],
    ) -> Result<TextIndex, SnapshotError> {
        let bad = SnapshotError::corrupt;
        let meta = frames.next()?;
        let mut input = In::new(&meta);
        let mut index = TextIndex {
            live: input.u32()?,
            total_len: input.u64()?,
            ..TextIndex::default()
        };
        let n_docs = input.u32()? as usize;
        if n_docs > records.len().max(1) * 2 {
            return Err(bad("the text index's slot count is not believable"));
        }
        index.docs = vec![None; n_docs];
        let n_terms = input.len(4)?;
        index.terms.reserve_exact(n_terms);
        index.dictionary.reserve(n_terms);
        for id in 0..n_terms {
            index.dictionary.insert(input.str()?.into(), id as TermId);
            index.terms.push(TermEntry::default());
        }
        if index.dictionary.len() != n_terms {
            return Err(bad("the text index's dictionary holds a word twice"));
        }
        let n_cells = input.len(12)?;
        for _ in 0..n_cells {
            let cell = input.u64()?;
            let n = input.len(4)?;
            let ids = (0..n).map(|_| input.u32()).collect::<Result<Vec<_>, _>>()?;
            index.cells.insert(cell, ids);
        }
        let n_chunks = input.u32()? as usize;
        if !input.is_empty() {
            return Err(bad("the text index's dictionary frame has bytes left over"));
        }
        if index
            .cells
            .values()
            .flatten()
            .any(|&c| c as usize >= n_chunks)
        {
            return Err(bad("the text index's cells name chunks it does not hold"));
        }
        index.chunks.reserve_exact(n_chunks.min(records.len() + 1));
        let mut total_len = 0u64;
        let mut live = 0u32;
        while index.chunks.len() < n_chunks {
            let frame = frames.next()?;
            let mut input = In::new(&frame);
            let count = input.len(8)?;
            for _ in 0..count {
                let id = index.chunks.len() as u32;
                let chunk = read_chunk(&mut input, id, &mut index, records, facets)?;
                for d in chunk.docs.iter().filter(|d| d.slot != FREE) {
                    live += 1;
                    total_len += index.docs[d.slot as usize].map_or(0, |r| u64::from(r.len));
                }
                index.chunks.push(chunk);
            }
            if !input.is_empty() {
                return Err(bad("a text index frame has bytes left over"));
            }
        }
        if index.chunks.len() != n_chunks || live != index.live || total_len != index.total_len {
            return Err(bad("the text index's counts do not add up"));
        }
        Ok(index)
    }
}

/// One chunk of a snapshot, numbered `id`: its assets recorded in `index.docs`, its terms'
/// frequencies and chunk lists in `index.terms`, checked against `records`.
fn read_chunk(
    input: &mut In<'_>,
    id: u32,
    index: &mut TextIndex,
    records: &Records,
    facets: &[SlotFacets],
) -> Result<Chunk, SnapshotError> {
    let bad = SnapshotError::corrupt;
    let mut chunk = Chunk::new(input.u64()?);
    let n_docs = input.len(8)?;
    if n_docs > CHUNK_DOCS {
        return Err(bad("a text chunk holds too many assets"));
    }
    chunk.docs.reserve_exact(n_docs);
    for local in 0..n_docs {
        let (slot, len) = (input.u32()?, input.u32()?);
        if slot == FREE {
            chunk.docs.push(CellDoc {
                slot,
                len: 0,
                xyz: [0.0; 3],
                facets: Facets::default(),
            });
            continue;
        }
        let (true, Some(f), Some(doc @ None)) = (
            records.is_live(slot),
            facets.get(slot as usize),
            index.docs.get_mut(slot as usize),
        ) else {
            return Err(bad("a text chunk names a slot that is free or named twice"));
        };
        *doc = Some(DocRef {
            chunk: id,
            local: local as u16,
            len,
        });
        let v = xyz(f.lon, f.lat);
        chunk.docs.push(CellDoc {
            slot,
            len: len.min(u32::from(u16::MAX)) as u16,
            xyz: [v[0] as f32, v[1] as f32, v[2] as f32],
            facets: f.facets,
        });
    }
    let n_free = input.len(2)?;
    chunk.free = (0..n_free)
        .map(|_| input.u16())
        .collect::<Result<Vec<_>, _>>()?;
    let n_dir = input.len(8)?;
    chunk.dir = (0..n_dir)
        .map(|_| Ok((input.u32()?, input.u32()?)))
        .collect::<Result<Vec<_>, SnapshotError>>()?;
    let n_bytes = input.len(1)?;
    chunk.postings = input.bytes(n_bytes)?.to_vec();
    let well_formed = chunk
        .dir
        .windows(2)
        .all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1)
        && chunk.dir.last().is_none_or(|d| (d.1 as usize) < n_bytes)
        && chunk.dir.first().is_none_or(|d| d.1 == 0)
        && (n_bytes == 0 || !chunk.dir.is_empty())
        && chunk.free.iter().all(|&l| (l as usize) < n_docs);
    if !well_formed {
        return Err(bad(
            "a text chunk's postings are out of order or out of range",
        ));
    }
    for i in 0..chunk.dir.len() {
        let n = chunk
            .run(i)
            .checked(n_docs)
            .ok_or_else(|| bad("a text chunk's postings do not read as postings of its assets"))?
            .len();
        chunk.n_postings += n as u32;
        let entry = index
            .terms
            .get_mut(chunk.dir[i].0 as usize)
            .ok_or_else(|| bad("a text chunk names a word not in the dictionary"))?;
        entry.df += n as u32;
        entry.chunks.push(id);
    }
    chunk.reindex();
    Ok(chunk)
}
