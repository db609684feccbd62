//! Per-asset score accumulators for one query: a small open-addressing map from slot to the
//! best BM25 per query term, sized to the hits and reused through [`crate::pool`].

use super::postings::CellDoc;
use super::query::MAX_QUERY_TERMS;
use crate::facets::CompiledFilter;
use crate::pool;

/// What one asset has accumulated.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Acc {
    /// Best word or synonym BM25 per query term.
    pub(super) best: [f32; MAX_QUERY_TERMS],
    /// Weighted length of its text.
    pub(super) len: u16,
    /// Its category bits.
    pub(super) categories: u16,
    /// Squared chord from the search centre.
    pub(super) chord2: f32,
    /// The most the ranking's "not recorded" factors leave of its score (from its facets).
    pub(super) unrecorded: f32,
}

/// Per-slot scores for one query: a small open-addressing hash map (slots are `u32`, the
/// empty key is `u32::MAX`), sized to the hits rather than to the whole index. Accumulators
/// are pooled per thread ([`crate::pool`]) and cleared by their touched buckets only, so a
/// query allocates nothing once the thread has warmed up.
pub(super) struct Accumulator {
    keys: Vec<u32>,
    vals: Vec<Acc>,
    /// Buckets in use, in insertion order.
    used: Vec<u32>,
}

/// The buffers of a cleared accumulator (every key empty), kept for reuse.
type Buffers = (Vec<u32>, Vec<Acc>, Vec<u32>);

/// Accumulators of more buckets than this (about 44 MB) are not kept.
const MAX_POOLED_BUCKETS: usize = 1 << 20;

impl Accumulator {
    /// An empty accumulator with room for about `n` slots, from this thread's pool.
    pub(super) fn with_capacity(n: usize) -> Self {
        let cap = (n * 2).next_power_of_two().max(16);
        // The largest pooled buffers: a search takes two (words, then categories) and gives
        // them back in either order; taking a small one for a big query would mean a fresh
        // multi-megabyte allocation every time.
        let pooled = pool::take(|b: &Buffers| b.0.len());
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

    pub(super) fn len(&self) -> usize {
        self.used.len()
    }

    #[inline]
    fn bucket(&self, slot: u32) -> usize {
        // Fibonacci hashing.
        (slot.wrapping_mul(0x9E37_79B9) as usize) & (self.keys.len() - 1)
    }

    /// The bucket of `slot`, inserting it if new.
    #[inline(always)]
    fn entry(&mut self, doc: &CellDoc, chord2: f32, filter: &CompiledFilter) -> usize {
        if (self.used.len() + 1) * 2 > self.keys.len() {
            self.grow();
        }
        let mask = self.keys.len() - 1;
        let mut i = self.bucket(doc.slot);
        loop {
            let k = self.keys[i];
            if k == doc.slot {
                return i;
            }
            if k == u32::MAX {
                self.keys[i] = doc.slot;
                self.vals[i] = Acc {
                    len: doc.len,
                    categories: doc.facets.categories(),
                    chord2,
                    unrecorded: filter.unrecorded_bound(&doc.facets) as f32,
                    ..Acc::default()
                };
                self.used.push(i as u32);
                return i;
            }
            i = (i + 1) & mask;
        }
    }

    #[inline]
    pub(super) fn add(
        &mut self,
        doc: &CellDoc,
        term: usize,
        contribution: f32,
        chord2: f32,
        filter: &CompiledFilter,
    ) {
        let i = self.entry(doc, chord2, filter);
        let best = &mut self.vals[i].best[term];
        *best = best.max(contribution);
    }

    #[inline]
    pub(super) fn insert(&mut self, doc: &CellDoc, chord2: f32, filter: &CompiledFilter) {
        self.entry(doc, chord2, filter);
    }

    pub(super) fn contains(&self, slot: u32) -> bool {
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

    /// Every accumulated slot with what it accumulated, in insertion order (the keys stay,
    /// for [`Accumulator::contains`]).
    pub(super) fn iter(&self) -> impl Iterator<Item = (u32, &Acc)> + '_ {
        self.used
            .iter()
            .map(|b| (self.keys[*b as usize], &self.vals[*b as usize]))
    }
}

impl Drop for Accumulator {
    fn drop(&mut self) {
        for b in self.used.drain(..) {
            self.keys[b as usize] = u32::MAX;
        }
        let buffers = (
            std::mem::take(&mut self.keys),
            std::mem::take(&mut self.vals),
            std::mem::take(&mut self.used),
        );
        pool::give_back(buffers, |b: &Buffers| b.0.len(), MAX_POOLED_BUCKETS);
    }
}
