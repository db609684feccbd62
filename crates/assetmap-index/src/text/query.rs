//! Query preparation: a free-text query to its distinct terms, each with the ways an asset can
//! match it (the word itself, synonyms, categories). Resolving the terms against one index
//! (term ids, idf, ideal scores) is [`TextIndex::prepare`](super::TextIndex::prepare).

use super::analysis::{for_each_word, is_stop_word, phrase, stem};
use super::vocabulary::{category_term, CATEGORY_WEIGHT, SYNONYMS, SYNONYM_WEIGHT};
use assetmap_core::Category;
use std::sync::OnceLock;

/// At most this many distinct query words are used; later words are ignored.
pub const MAX_QUERY_TERMS: usize = 8;
const _: () = assert!(MAX_QUERY_TERMS <= 32);

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

    /// The words of the terms whose bits are set in `matched` (see [`TextHit::matched`](super::TextHit::matched)).
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
}
