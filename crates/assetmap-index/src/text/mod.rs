//! Text relevance: which assets match a coordinator's words ("gardening", "singing", "meet
//! other dads"), how well, and which of the words they matched.
//!
//! # Analysis
//! Text is cut into words at anything that is not a letter or digit (apostrophes inside a word
//! are dropped, so `St John's` gives `st`, `johns`), lower-cased and accent-folded (`Café` →
//! `cafe`: Unicode NFD, then combining marks removed; `ß` → `ss`, `æ` → `ae`, `ø` → `o`,
//! `ł` → `l`), common English [stop words](STOP_WORDS) are dropped, and every word is reduced to
//! its Snowball English (Porter 2) stem, so `walk`, `walks`, `walking` and `walked` are one
//! term — except the few words in [`STEM_OVERRIDES`], whose shared stem would mean something
//! else to a person looking (`gardening` and `gardeners` are one term, `garden` and `gardens`
//! another; `parking` is not `park`) — and the irregular plurals Snowball leaves apart
//! (`children`, `women's`, `teeth`), which it joins to their singulars.
//!
//! # What is indexed, and how much each field counts
//! | field | weight |
//! |---|---|
//! | name | 3.0 |
//! | tags | 2.0 |
//! | categories (one term per category) | 1.5 |
//! | description | 1.0 |
//!
//! A name that places the asset at another ("Defibrillator at Urmston Leisure Centre") counts
//! its host's words, after the first standalone "at", at the description's weight: what the
//! asset is stays in its name, and a search for the host finds the host first.
//!
//! Addresses are not indexed: the person's location comes from the postcode, and street names
//! ("Church Road", "Park Avenue") would otherwise match interests.
//!
//! # Query expansion
//! Each distinct stem of the query is one *query term*; an asset matches the term through the
//! best of its *expansions*:
//! - the stem itself (weight 1.0);
//! - every other entry of a [synonym group](SYNONYMS) that the query triggers (weight
//!   [`SYNONYM_WEIGHT`]); a multi-word entry such as "board games" matches where its words
//!   stand together and in order in one field (the index keeps each known phrase as a term of
//!   its own: `for_each_index_term`), and triggers only when all its words are in the query;
//! - every [`Category`](assetmap_core::Category) whose vocabulary — its
//!   [keywords](assetmap_core::Category::keywords), its label and its
//!   slug — the query triggers, matched on the asset's categories (weight [`CATEGORY_WEIGHT`]).
//!   So "allotment" or "gardening" finds every green space even when the word is not in its
//!   record;
//! - every [concept](concepts) the term names — "feeling low" names *mental wellbeing* — through
//!   the concept's words (weight [`CONCEPT_WORD_WEIGHT`]) and its categories
//!   ([`CONCEPT_CATEGORY_WEIGHT`]);
//! - the kind of place the activity it names happens in ([`VENUES`]: "badminton" finds sports
//!   halls) through the venue's words (weight [`VENUE_WEIGHT`]).
//!
//! A query term is one word or one known phrase ("food bank", "on my own"): how a query is
//! read — phrases, filler, numbers and ages — is [`TextQuery::parse`].
//!
//! # Scoring
//! BM25F-style: an asset's weighted term frequency `tf` (sum of the field weights of every
//! occurrence) is saturated against its weighted length `len` and the mean length `avg`, and
//! scaled by the term's inverse document frequency and the expansion's weight:
//!
//! `bm25 = weight × idf × tf × (k1 + 1) / (tf + k1 × (1 − b + b × len / avg))`, with
//! `k1 = 1.2`, `b = 0.3`, `idf = ln(1 + (N − df + 0.5) / (df + 0.5))`. The length
//! normalisation `b` is below the usual 0.75: a directory's records run from a park's three
//! words to a charity's paragraph of objects, and the paragraph says what the charity does
//! (measured on the relevance set's dev questions: nDCG@5 0.879 at 0.75, 0.888 at 0.3).
//!
//! A query term's match is its best expansion's `bm25`. It is measured against the term's
//! *ideal* match — its strongest expansion found in the name of an asset of average length —
//! and capped at 1. Each term counts by its *informativeness*: the idf of its own words over
//! the idf of a word no asset has (1 for a phrase naming a concept or venue, and for words no
//! asset has), so in "he misses playing Gaelic with the lads" a place matching *gaelic* (a
//! few assets have it) counts for more than one matching *lads* or *playing*. An asset's
//! **relevance** is the sum of its terms' weighted matches (a term it does not match counts 0)
//! divided by the informativeness of the query's [`FULL_MATCH_TERMS`]
//! (3) most informative terms, and capped at 1: for up to three terms a weighted mean, so an
//! asset matching two of two words well scores about twice one matching one of them; in a
//! longer sentence, its three most telling words fully matched are a full match. Terms are
//! combined by OR: an asset matching any term is a hit. Because relevance is absolute (not
//! relative to the other hits), a search can stop early: assets that can only match through
//! their categories are read only where they could still make the list (see
//! [`TextIndex::category_only_bound`]).
//!
//! # Layout, for speed
//! The index is cut by a ~1 km grid: the assets of a cell form a *chunk* (a cell of more than
//! 4,096 assets has several), a small inverted index of its own. A chunk keeps each asset once —
//! its slot, text length, position (a unit vector in `f32`) and a compact copy of its filterable
//! facets, 28 bytes — and, term by term, the postings naming those assets by their number in the
//! chunk, about 2 bytes each (the gap from the previous number and the term frequency, each a
//! variable-length integer: `posting_list`); a table hashed by term finds a term's
//! postings in a chunk in about one probe. A radius query therefore reads only the chunks of
//! the cells the circle touches, and rejects far or filtered-out assets without touching the
//! assets themselves. It copies the chunk entries of a posting list out first
//! and tests them after: the copies do not depend on each other, so the processor fetches many
//! at once (tested one by one, each waited for its fetch and a search took 30 % longer).
//! An upsert or removal rewrites one chunk (microseconds); nothing is kept per term and cell
//! but what a search reads, so at 1,000,000 assets the index holds about 160 MiB (62 MiB of it
//! the 32 million postings; [`TextIndex::heap_parts`]), where posting lists each carrying
//! position and facets (32 bytes a posting, a vector per term and cell) held 2.7 GiB.
//!
//! # Modules
//! | module | what |
//! |---|---|
//! | `vocabulary` | the fixed tables: [`STOP_WORDS`], [`SYNONYMS`], match and field weights, category pseudo-terms |
//! | `concepts` | the concept layer: [`CONCEPTS`], [`VENUES`], query filler, activity verbs, one person's family words, age cues |
//! | `analysis` | text to stems: [`fold`], words, stop words, [`analyse`] (Snowball English, cached per thread) |
//! | `query` | query preparation: [`TextQuery::parse`] and its expansions |
//! | `grid` | grid geometry: the cells, [`Circle`] and the region a search reads |
//! | `posting_list` | one term's postings in a chunk, encoded: gaps and frequencies as LEB128 |
//! | `postings` | the posting lists and [`TextIndex`] storage: build, upsert, remove |
//! | `scoring` | BM25F: [`TextIndex::prepare`], [`TextIndex::word_hits`], [`TextIndex::category_only_hits`], [`TextHit`] |
//! | `accumulator` | per-asset score accumulators, pooled (the crate's `pool` module) |

mod accumulator;
mod analysis;
pub mod concepts;
mod english;
mod grid;
mod posting_list;
mod postings;
mod query;
mod scoring;
#[cfg(test)]
mod tests;
mod vocabulary;

pub use analysis::{analyse, fold, STEM_OVERRIDES};
pub use concepts::{
    Concept, Venue, CONCEPTS, CONCEPT_CATEGORY_WEIGHT, CONCEPT_WORD_WEIGHT, VENUES, VENUE_WEIGHT,
};
pub(crate) use grid::chord2_to_m;
pub use grid::Circle;
pub(crate) use postings::TermId;
pub use postings::TextIndex;
pub(crate) use query::for_each_index_term;
pub(crate) use query::index_vocabulary;
pub use query::{Expansion, QueryTerm, TextQuery, MAX_QUERY_TERMS};
pub use scoring::{PreparedQuery, TextHit, WordHits, FULL_MATCH_TERMS};
pub(crate) use vocabulary::category_term;
pub use vocabulary::{CATEGORY_WEIGHT, STOP_WORDS, SYNONYMS, SYNONYM_WEIGHT};
