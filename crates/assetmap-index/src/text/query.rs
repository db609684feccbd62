//! Query preparation: a free-text query, as a coordinator types what a person said, to its
//! distinct terms, each with the ways an asset can match it (the words themselves, synonyms,
//! categories, the [concepts](super::concepts) the words name and the
//! [venues](super::concepts::VENUES) of the activities they name). Resolving the terms against
//! one index (term ids, idf, ideal scores) is [`TextIndex::prepare`](super::TextIndex::prepare).
//!
//! Understanding the query, in order: the words are folded and stemmed (stop words kept for
//! now: phrases may hold them; a word with a clitic, "mum's", "he'll", is also judged by its
//! word); a number with an age cue ("82 years old", "aged 82", "nearly two") becomes a
//! [suggested age](TextQuery::suggested_age); at each place the longest known phrase (a
//! concept's, a venue's activity, a multi-word synonym or category keyword: "feeling low",
//! "table tennis", "food bank", "on my own") becomes one term, unless it is a
//! [filler phrase](super::concepts::FILLER_PHRASES) ("work out how"), left out; the remaining
//! words are terms of their own unless they are stop words, [filler](super::concepts::FILLER),
//! numbers, [one person](super::concepts::PERSON_WORDS) ("my mum is 82", "since dad died";
//! "other dads" is kept) or a [verb before an activity](super::concepts::ACTIVITY_VERBS)
//! ("play netball"). The two terms after a [word saying what is wanted](super::concepts::NEED_CUES)
//! ("needs", "loves", "misses") are [marked](QueryTerm::cued). Last,
//! [kind words](super::concepts::KIND_WORDS) ("club", "group") are left out when another term
//! says what it is about.

use super::analysis::{
    for_each_stem, for_each_word_and_base, forget_stems, is_stop_word, phrase, stem, STEM_OVERRIDES,
};
use super::concepts::{
    Concept, ACTIVITY_VERBS, AGE_AFTER, AGE_BEFORE, CONCEPTS, CONCEPT_CATEGORY_WEIGHT,
    CONCEPT_WORD_WEIGHT, FILLER, FILLER_PHRASES, INTENSIFIERS, KIND_WORDS, NEED_CUES, PERSON_WORDS,
    SHADOWING_PHRASES, VENUES, VENUE_WEIGHT,
};
use super::english::is_english;
use super::vocabulary::{category_term, CATEGORY_WEIGHT, STOP_WORDS, SYNONYMS, SYNONYM_WEIGHT};
use assetmap_core::Category;
use rustc_hash::FxHashMap;
use std::sync::{Arc, OnceLock};

/// At most this many distinct query terms are used; later ones are ignored.
pub const MAX_QUERY_TERMS: usize = 12;
const _: () = assert!(MAX_QUERY_TERMS <= 32);

/// One way an asset can match a query term: its `stems` present, together and in order when
/// there are several (see [`Expansion::index_term`]), counted at `weight`.
#[derive(Debug, Clone, PartialEq)]
pub struct Expansion {
    pub stems: Vec<String>,
    pub weight: f32,
    /// Where the expansion came from: `"word"`, `"synonym"`, `"category"`, `"concept"` or
    /// `"venue"`.
    pub via: &'static str,
    /// What to call the match in "why it matched": the concept's name ("mental wellbeing"),
    /// the category's label or the venue's name ("sports halls"); `None` for the words
    /// themselves and synonyms.
    pub through: Option<&'static str>,
}

impl Expansion {
    /// The index term it looks up: the stem, or a phrase's stems joined by spaces.
    pub fn index_term(&self) -> String {
        self.stems.join(" ")
    }

    /// True when it matches an asset's category (one pseudo-term) rather than its words.
    pub fn is_category(&self) -> bool {
        self.stems.len() == 1 && self.stems[0].starts_with('\u{1}')
    }
}

/// One distinct word or phrase of a query and the ways an asset can match it.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryTerm {
    /// The word or phrase as typed (folded: lower case, accents removed), e.g. `gardening`,
    /// `feeling low`.
    pub word: String,
    /// Its stems, space-separated, e.g. `garden`, `feel low`.
    pub stem: String,
    pub expansions: Vec<Expansion>,
    /// True when it is one of the two terms after a word that says what the person
    /// wants ("needs", "loves", "misses"…: [`NEED_CUES`]): "he fancies volunteering, maybe
    /// something on the radio".
    pub cued: bool,
}

/// How many terms after a word of [`NEED_CUES`] say what the person wants.
const CUED_TERMS: u8 = 2;

/// An analysed query: its distinct terms (at most [`MAX_QUERY_TERMS`]) with their expansions,
/// and what was understood besides.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TextQuery {
    pub terms: Vec<QueryTerm>,
    /// An age the words give ("my mum is 82", "aged 8", "79 years old"): to offer as the age
    /// filter, never applied by itself.
    pub suggested_age: Option<u8>,
    /// The words left out as not what the person is looking for (filler, numbers, family
    /// words), as typed and folded, in query order.
    pub dropped: Vec<String>,
    /// Words read as another, as typed and as read: a word that no record, no known phrase and
    /// no English word has, read as the known word it is one slip from ("councelling":
    /// counselling). Only [`TextQuery::parse_checked`] corrects.
    pub corrected: Vec<(String, String)>,
}

/// Where a known phrase comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Source {
    Concept(usize),
    Venue(usize),
    Filler,
    Synonym(usize),
    Category(Category),
}

/// The synonym groups, category vocabularies and concepts, analysed once.
struct Vocabulary {
    /// Each group: its entries as stem lists.
    synonyms: Vec<Vec<Vec<String>>>,
    /// Each category: its vocabulary entries as stem lists.
    categories: Vec<(Category, Vec<Vec<String>>)>,
    /// Each concept: its words as stem lists.
    concept_words: Vec<Vec<Vec<String>>>,
    /// Each venue: its words as stem lists.
    venue_words: Vec<Vec<Vec<String>>>,
    /// Every known phrase, as its stems with stop words kept (how it is found in a query)
    /// joined by spaces, with where it comes from. One string a phrase: as a list of stems
    /// each it took about twice the memory.
    phrases: FxHashMap<Box<str>, Box<[Source]>>,
    /// The most words in a known phrase.
    longest: usize,
    /// The synonym groups (indexes into `synonyms`) that have each entry.
    synonym_groups_of: FxHashMap<Vec<String>, Vec<usize>>,
    /// The categories (indexes into `categories`) whose vocabulary has each entry.
    categories_of: FxHashMap<Vec<String>, Vec<usize>>,
    /// Every entry of two stems or more (stop words out) that a query term can expand to —
    /// synonyms, category words, concepts' phrases and words — as its stems joined by spaces,
    /// by its first stem: the phrases the index keeps as terms of their own (see
    /// [`for_each_index_term`]).
    multi: FxHashMap<Box<str>, Vec<Box<str>>>,
    /// [`SHADOWING_PHRASES`], as stem lists.
    shadows: Vec<Vec<String>>,
    /// Two words of a known phrase run together ("lunchclub", "afterschool"), with where the
    /// second starts (in bytes; the two words as strings took 1.4 MB more): see
    /// [`split_compounds`].
    compounds: FxHashMap<Box<str>, u8>,
    /// Every word the vocabulary has, as written (folded), sorted: what a misspelt word is
    /// read as ([`correct_spelling`]).
    spellings: Vec<String>,
}

/// Each entry's stems (stop words out), the entries with none left out.
fn stem_lists(entries: &[&str]) -> Vec<Vec<String>> {
    entries
        .iter()
        .map(|e| phrase(e))
        .filter(|p| !p.is_empty())
        .collect()
}

/// Every word of `text` as a known phrase is looked up ([`phrase_word`]: its stem, or its
/// pronoun set's, verb's or auxiliary's), stop words kept, [`INTENSIFIERS`] and the extra
/// words of [`CANT_PARAPHRASES`] passed over inside a phrase of more words.
fn all_stems(text: &str) -> Vec<String> {
    phrase_key(&words_of(text))
}

/// Every word of `text`, read as [`TextQuery::parse`] reads a query's.
fn words_of(text: &str) -> Vec<Word> {
    let mut words = Vec::new();
    for_each_word_and_base(text, |w, base| words.push(Word::new(w, base)));
    read_cant_paraphrases(&mut words);
    words
}

/// "can't" said in more words ("unable to cope", "not able to drive", "no longer able to get
/// out", "can no longer manage"): each entry's words, and which of them stands for the
/// "can't" of [`AUXILIARY_SETS`]. In a known phrase the others are passed over, so a phrase
/// written with "can't" is found however the person puts it; outside one, each word is read
/// as it stands.
const CANT_PARAPHRASES: &[(&[&str], usize)] = &[
    (&["unable", "to"], 0),
    (&["no", "longer", "able", "to"], 2),
    (&["not", "able", "to"], 1),
    (&["never", "able", "to"], 1),
    (&["isnt", "able", "to"], 1),
    (&["wasnt", "able", "to"], 1),
    (&["arent", "able", "to"], 1),
    (&["werent", "able", "to"], 1),
    (&["can", "no", "longer"], 0),
    (&["can", "not"], 0),
];

/// Marks the [`CANT_PARAPHRASES`] in `words`: the word standing for "can't" looked up as it,
/// the others passed over.
fn read_cant_paraphrases(words: &mut [Word]) {
    let mut i = 0;
    while i < words.len() {
        let found = CANT_PARAPHRASES.iter().find(|(p, _)| {
            words.len() - i >= p.len() && p.iter().zip(&words[i..]).all(|(a, w)| w.text == *a)
        });
        let Some((p, at)) = found else {
            i += 1;
            continue;
        };
        for (j, w) in words[i..i + p.len()].iter_mut().enumerate() {
            if j == *at {
                w.key = phrase_word("cant", None);
            } else {
                w.passed_over = true;
            }
        }
        i += p.len();
    }
}

/// The pronouns a phrase may be said with, each set standing for one person whoever tells it:
/// a concept written "lost her purpose" is also "lost his purpose", "lost their purpose" and,
/// as a person says it of themselves, "I've lost my purpose".
const PRONOUN_SETS: [(&str, &[&str]); 3] = [
    ("\u{2}they", &["i", "he", "she", "they", "we", "you"]),
    (
        "\u{2}them",
        &[
            "me", "my", "him", "his", "her", "them", "their", "us", "our", "your",
        ],
    ),
    (
        "\u{2}themselves",
        &[
            "myself",
            "himself",
            "herself",
            "themself",
            "themselves",
            "ourselves",
            "yourself",
            "yourselves",
        ],
    ),
];

/// How a word is looked up in a known phrase: for a pronoun its set's token
/// ([`PRONOUN_SETS`]), with its clitic when it has one ("she's" and "he's" are one); for an
/// irregular past form its verb's stem ([`IRREGULAR_VERBS`]); for an auxiliary its set's token
/// ([`AUXILIARY_SETS`]); else its stem.
fn phrase_word(word: &str, base: Option<&str>) -> String {
    let set_of = |w: &str| {
        PRONOUN_SETS
            .iter()
            .find(|(_, words)| words.contains(&w))
            .map(|(token, _)| *token)
    };
    if let Some(token) = set_of(word) {
        return token.to_string();
    }
    if let Some((token, b)) = base.and_then(|b| set_of(b).map(|t| (t, b))) {
        return format!("{token}{}", &word[b.len()..]);
    }
    if let Some((_, present)) = IRREGULAR_VERBS.iter().find(|(past, _)| *past == word) {
        return stem(present).to_string();
    }
    if let Some((token, _)) = AUXILIARY_SETS
        .iter()
        .chain(FAMILY_WORD_SETS)
        .find(|(_, forms)| forms.contains(&word))
    {
        return (*token).to_string();
    }
    stem(word).to_string()
}

/// The forms of one auxiliary, in any tense and person, negated or not as they stand ("can't
/// cope" and "couldn't cope" are one; "can't" and "can" are not). Written as a word is folded:
/// the apostrophe dropped.
const AUXILIARY_SETS: &[(&str, &[&str])] = &[
    (
        "\u{2}be",
        &["am", "is", "are", "was", "were", "be", "been", "being"],
    ),
    ("\u{2}have", &["has", "have", "had"]),
    ("\u{2}do", &["do", "does", "did"]),
    ("\u{2}cant", &["cant", "cannot", "couldnt"]),
    ("\u{2}dont", &["dont", "doesnt", "didnt"]),
    ("\u{2}isnt", &["isnt", "arent", "wasnt", "werent", "aint"]),
    ("\u{2}hasnt", &["hasnt", "havent", "hadnt"]),
    ("\u{2}wont", &["wont", "wouldnt"]),
];

/// The ways of naming one relative, formal, familiar or regional ("mam" in the North East,
/// "nana", "hubby"), each set one word in a phrase: "caring for her mum" is also "caring for
/// her mam" and "looking after my mother".
const FAMILY_WORD_SETS: &[(&str, &[&str])] = &[
    (
        "\u{2}mum",
        &[
            "mum", "mam", "mom", "mummy", "mother", "mums", "mams", "moms", "mothers",
        ],
    ),
    ("\u{2}dad", &["dad", "father", "daddy", "dads", "fathers"]),
    (
        "\u{2}nan",
        &[
            "nan",
            "nana",
            "nanna",
            "gran",
            "granny",
            "grandma",
            "grandmother",
            "nans",
        ],
    ),
    (
        "\u{2}grandad",
        &["grandad", "granddad", "grandpa", "grandfather", "grandads"],
    ),
    ("\u{2}husband", &["husband", "hubby"]),
    ("\u{2}wife", &["wife", "missus"]),
];

/// Irregular past forms, with the verb they are a form of, so that a phrase is known in any
/// tense: stemming makes "losing" and "loses" one with "lose", but not "lost". A concept
/// written "losing her sight" is also found in "she lost her sight", "leaving school" in "left
/// school". Forms that are more often another word ("bit", "drunk", "saw", "lay") are not here.
const IRREGULAR_VERBS: &[(&str, &str)] = &[
    ("lost", "lose"),
    ("felt", "feel"),
    ("went", "go"),
    ("gone", "go"),
    ("got", "get"),
    ("came", "come"),
    ("fell", "fall"),
    ("fallen", "fall"),
    ("broke", "break"),
    ("broken", "break"),
    ("told", "tell"),
    ("took", "take"),
    ("taken", "take"),
    ("made", "make"),
    ("kept", "keep"),
    ("gave", "give"),
    ("given", "give"),
    ("brought", "bring"),
    ("began", "begin"),
    ("begun", "begin"),
    ("drank", "drink"),
    ("ate", "eat"),
    ("eaten", "eat"),
    ("sat", "sit"),
    ("paid", "pay"),
    ("bought", "buy"),
    ("slept", "sleep"),
    ("heard", "hear"),
    ("thought", "think"),
    ("wrote", "write"),
    ("written", "write"),
    ("spoke", "speak"),
    ("spoken", "speak"),
    ("forgot", "forget"),
    ("forgotten", "forget"),
    ("left", "leave"),
    ("met", "meet"),
    ("ran", "run"),
    ("spent", "spend"),
    ("found", "find"),
    ("won", "win"),
    ("wore", "wear"),
    ("fought", "fight"),
    ("sold", "sell"),
    ("sent", "send"),
    ("built", "build"),
    ("caught", "catch"),
    ("taught", "teach"),
    ("understood", "understand"),
    ("stood", "stand"),
    ("held", "hold"),
    ("meant", "mean"),
    ("lent", "lend"),
    ("dealt", "deal"),
    ("swam", "swim"),
    ("swum", "swim"),
    ("sang", "sing"),
    ("sung", "sing"),
    ("drove", "drive"),
    ("driven", "drive"),
    ("rode", "ride"),
    ("ridden", "ride"),
    ("flew", "fly"),
    ("grew", "grow"),
    ("grown", "grow"),
    ("knew", "know"),
    ("known", "know"),
    ("threw", "throw"),
    ("thrown", "throw"),
    ("chose", "choose"),
    ("chosen", "choose"),
    ("woke", "wake"),
    ("became", "become"),
    ("stole", "steal"),
    ("stolen", "steal"),
    ("hung", "hang"),
    ("shook", "shake"),
];

fn vocabulary() -> &'static Vocabulary {
    static V: OnceLock<Vocabulary> = OnceLock::new();
    V.get_or_init(|| {
        let mut phrases: FxHashMap<String, Vec<Source>> = FxHashMap::default();
        let mut longest = 1;
        let mut add = |text: &str, source: Source| {
            let stems = all_stems(text);
            if !stems.is_empty() {
                longest = longest.max(stems.len());
                let sources = phrases.entry(stems.join(" ")).or_default();
                if !sources.contains(&source) {
                    sources.push(source);
                }
            }
        };
        for (i, c) in CONCEPTS.iter().enumerate() {
            for p in c.phrases {
                add(p, Source::Concept(i));
            }
        }
        for (i, v) in VENUES.iter().enumerate() {
            for a in v.activities {
                add(a, Source::Venue(i));
            }
        }
        for p in FILLER_PHRASES {
            add(p, Source::Filler);
        }
        for (i, g) in SYNONYMS.iter().enumerate() {
            for e in *g {
                add(e, Source::Synonym(i));
            }
        }
        for c in Category::ALL {
            for k in c.keywords() {
                add(k, Source::Category(*c));
            }
            add(c.label(), Source::Category(*c));
        }
        let phrases: FxHashMap<Box<str>, Box<[Source]>> = phrases
            .into_iter()
            .map(|(k, v)| (k.into_boxed_str(), v.into_boxed_slice()))
            .collect();
        let mut multi: FxHashMap<Box<str>, Vec<Box<str>>> = FxHashMap::default();
        let entries = entry_texts()
            .chain(SHADOWING_PHRASES.iter().copied())
            .map(phrase)
            .chain(Category::ALL.iter().map(|c| phrase(c.label())))
            .chain(
                Category::ALL
                    .iter()
                    .map(|c| phrase(&c.slug().replace('_', " "))),
            );
        for stems in entries.filter(|p| p.len() > 1) {
            let list = multi.entry(stems[0].as_str().into()).or_default();
            let joined: Box<str> = stems.join(" ").into();
            if !list.contains(&joined) {
                list.push(joined);
            }
        }
        for list in multi.values_mut() {
            list.shrink_to_fit();
        }
        let synonyms: Vec<Vec<Vec<String>>> = SYNONYMS.iter().map(|g| stem_lists(g)).collect();
        let categories: Vec<(Category, Vec<Vec<String>>)> = Category::ALL
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
            .collect();
        let mut synonym_groups_of: FxHashMap<Vec<String>, Vec<usize>> = FxHashMap::default();
        for (gi, group) in synonyms.iter().enumerate() {
            for entry in group {
                let groups = synonym_groups_of.entry(entry.clone()).or_default();
                if !groups.contains(&gi) {
                    groups.push(gi);
                }
            }
        }
        let mut categories_of: FxHashMap<Vec<String>, Vec<usize>> = FxHashMap::default();
        for (ci, (_, entries)) in categories.iter().enumerate() {
            for entry in entries {
                categories_of.entry(entry.clone()).or_default().push(ci);
            }
        }
        let v = Vocabulary {
            synonyms,
            categories,
            synonym_groups_of,
            categories_of,
            concept_words: CONCEPTS.iter().map(|c| stem_lists(c.words)).collect(),
            venue_words: VENUES.iter().map(|v| stem_lists(v.words)).collect(),
            phrases,
            longest,
            multi,
            shadows: SHADOWING_PHRASES.iter().map(|p| phrase(p)).collect(),
            compounds: compounds(),
            spellings: spellings(),
        };
        // The vocabulary's own words (about 7,000) filled this thread's cache of stems; a
        // query's words are few, and often on another thread.
        forget_stems();
        v
    })
}

/// Every entry a query term can be read as or expand to: concepts' phrases and words, venues'
/// activities and words, synonyms and category words.
fn entry_texts() -> impl Iterator<Item = &'static str> {
    CONCEPTS
        .iter()
        .flat_map(|c| c.phrases.iter().chain(c.words))
        .chain(
            VENUES
                .iter()
                .flat_map(|v| v.activities.iter().chain(v.words)),
        )
        .chain(SYNONYMS.iter().flat_map(|g| g.iter()))
        .chain(Category::ALL.iter().flat_map(|c| c.keywords().iter()))
        .copied()
}

/// Every two neighbouring words of an entry ([`entry_texts`]) run together as typed
/// ("lunchclub", "walkingfootball"), with the length of the first in bytes. Only words of three
/// letters or more that are not stop words are joined, so that an everyday word is not read as
/// two ("apart" is not "a part").
fn compounds() -> FxHashMap<Box<str>, u8> {
    let mut out: FxHashMap<Box<str>, u8> = FxHashMap::default();
    for text in entry_texts() {
        for pair in words_of(text).windows(2) {
            let [a, b] = pair else { continue };
            let joinable = |w: &Word| !w.stop && w.base.is_none() && w.text.len() >= 3;
            let Ok(split) = u8::try_from(a.text.len()) else {
                continue;
            };
            if !(joinable(a) && joinable(b)) {
                continue;
            }
            out.entry(format!("{}{}", a.text, b.text).into_boxed_str())
                .or_insert(split);
        }
    }
    out
}

/// Every word of the vocabulary as written: its entries ([`entry_texts`]) and word lists
/// (filler, cues, kinds…), folded, sorted and without repeats.
fn spellings() -> Vec<String> {
    let texts = entry_texts().chain(FILLER_PHRASES.iter().copied()).chain(
        [
            FILLER,
            PERSON_WORDS,
            NEED_CUES,
            INTENSIFIERS,
            ACTIVITY_VERBS,
            KIND_WORDS,
        ]
        .into_iter()
        .flatten()
        .copied(),
    );
    let mut out: Vec<String> = Vec::new();
    for text in texts {
        for_each_word_and_base(text, |w, _| out.push(w.to_owned()));
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Shortest word read as another when misspelt: a shorter one is too often a word the
/// English list lacks ("bloke" is not "broke").
const MIN_CORRECTED_LEN: usize = 6;

/// `words` with each word that neither the vocabulary, nor `known` (an index term, by its
/// stem), nor the English list ([`is_english`]) has read as the vocabulary's word one slip
/// away — a letter added, left out, changed or two swapped ("councelling", "libary",
/// "alzhiemers", "lonley") — with the same first letter (a slip seldom changes it, and
/// "hitting" is not "sitting"), the closest in length, then the first in order. A word of
/// fewer than [`MIN_CORRECTED_LEN`] letters, a word with a digit (a number word is on the
/// English list), or a word with none one slip away is kept as typed. Each correction is
/// added to `corrected`.
fn correct_spelling(
    words: Vec<Word>,
    v: &Vocabulary,
    known: &impl Fn(&str) -> bool,
    corrected: &mut Vec<(String, String)>,
) -> Vec<Word> {
    words
        .into_iter()
        .map(|w| {
            let checked = w.stop
                || w.base.is_some()
                || w.text.chars().count() < MIN_CORRECTED_LEN
                || w.text.bytes().any(|b| b.is_ascii_digit())
                || v.spellings.binary_search(&w.text).is_ok()
                || known(&w.stem)
                || is_english(&w.text);
            let Some(first) = w.text.chars().next().filter(|_| !checked) else {
                return w;
            };
            // The spellings are sorted: those with the same first letter are together.
            let first = &w.text[..first.len_utf8()];
            let from = v.spellings.partition_point(|c| c.as_str() < first);
            let same_first = &v.spellings[from..];
            let same_first = &same_first[..same_first.partition_point(|c| c.starts_with(first))];
            let best = same_first
                .iter()
                .filter(|c| c.len().abs_diff(w.text.len()) <= 1)
                .filter(|c| strsim::osa_distance(&w.text, c) == 1)
                .min_by_key(|c| (c.len().abs_diff(w.text.len()), c.as_str()));
            match best {
                Some(c) => {
                    corrected.push((w.text.clone(), c.clone()));
                    Word::new(c, None)
                }
                None => w,
            }
        })
        .collect()
}

/// `words` with each word that is two words of a known phrase run together ("lunchclub",
/// "afterschool club", "daycentres": typed in a hurry, or on a phone) read as the two, unless
/// it is known as it stands. A plural's "s" may end the second word.
fn split_compounds(words: Vec<Word>, v: &Vocabulary) -> Vec<Word> {
    let mut out = Vec::with_capacity(words.len());
    for w in words {
        // A word the vocabulary writes as it stands, alone or in a phrase ("healthcare" in
        // "continuing healthcare"), is kept.
        let known =
            v.phrases.contains_key(w.key.as_str()) || v.spellings.binary_search(&w.text).is_ok();
        let found = v
            .compounds
            .get(w.text.as_str())
            .map(|&at| (w.text.as_str(), at))
            .or_else(|| {
                let singular = w.text.strip_suffix('s')?;
                v.compounds.get(singular).map(|&at| (singular, at))
            });
        match found {
            Some((joined, at)) if !w.stop && !w.passed_over && w.base.is_none() && !known => {
                let (a, b) = joined.split_at(usize::from(at));
                out.push(Word::new(a, None));
                out.push(Word::new(b, None));
            }
            _ => out.push(w),
        }
    }
    out
}

/// Calls `f` with every term the index keeps for `text`, in order: each stem (stop words
/// out) but those inside a [shadowing phrase](SHADOWING_PHRASES), then each known phrase of
/// two stems or more found whole and in order (stop words between its words skipped, as in
/// the phrase itself), as its stems joined by spaces ("food bank"). A phrase is matched as
/// such, so "community association" finds a community association, not a parents' association
/// serving the community; and "martial arts" is kept whole, not as art.
pub(crate) fn for_each_index_term(text: &str, mut f: impl FnMut(&Arc<str>)) {
    let mut stems: Vec<Arc<str>> = Vec::new();
    for_each_stem(text, |s| stems.push(s.clone()));
    let shadows = &vocabulary().shadows;
    let mut shadowed = 0;
    for (i, s) in stems.iter().enumerate() {
        if i < shadowed {
            continue;
        }
        let covers = shadows.iter().find(|p| {
            stems.len() - i >= p.len() && p.iter().zip(&stems[i..]).all(|(a, b)| a == b.as_ref())
        });
        match covers {
            Some(p) => shadowed = i + p.len(),
            None => f(s),
        }
    }
    if stems.len() < 2 {
        return;
    }
    let multi = &vocabulary().multi;
    for i in 0..stems.len() - 1 {
        let Some(candidates) = multi.get(stems[i].as_ref()) else {
            continue;
        };
        for p in candidates {
            let mut rest = stems[i..].iter();
            let fits = p
                .split(' ')
                .all(|a| rest.next().is_some_and(|b| a == b.as_ref()));
            if fits {
                f(&Arc::from(&**p));
            }
        }
    }
}

/// Everything that decides the terms the index keeps for a text, in a fixed order: the stop
/// words, the stem overrides and every phrase kept as a term of its own. An index built with
/// another list holds other terms (a snapshot's fingerprint includes it).
pub(crate) fn index_vocabulary() -> Vec<String> {
    let mut phrases: Vec<String> = vocabulary()
        .multi
        .values()
        .flatten()
        .map(|p| p.to_string())
        .collect();
    phrases.sort_unstable();
    STOP_WORDS
        .iter()
        .map(|w| w.to_string())
        .chain(STEM_OVERRIDES.iter().map(|(w, s)| format!("{w}>{s}")))
        .chain(SHADOWING_PHRASES.iter().map(|p| format!("shadow {p}")))
        .chain(std::iter::once(format!(
            "host after {}",
            super::analysis::HOST_WORD
        )))
        .chain(phrases)
        .collect()
}

/// One word of the query as typed.
struct Word {
    /// Folded.
    text: String,
    /// The word before its clitic ("mum" of "mum's", "he" of "he'll"), if it has one.
    base: Option<String>,
    stem: String,
    /// How it is looked up in a known phrase ([`phrase_word`]).
    key: String,
    stop: bool,
    /// Passed over inside a known phrase: an intensifier, or a word of a
    /// [`CANT_PARAPHRASES`] entry other than its "can't".
    passed_over: bool,
}

impl Word {
    /// The folded word `w`, with the word before its clitic when it has one.
    fn new(w: &str, base: Option<&str>) -> Word {
        Word {
            text: w.to_owned(),
            base: base.map(str::to_owned),
            stem: stem(w).to_string(),
            key: phrase_word(w, base),
            stop: is_stop_word(w) || base.is_some_and(is_stop_word),
            passed_over: INTENSIFIERS.contains(&w),
        }
    }

    /// The number the word is: digits ("82"), an ordinal ("80th") or a number word ("two",
    /// "eighty").
    fn number(&self) -> Option<u32> {
        let t = self.text.as_str();
        let digits = t.trim_end_matches(['s', 't', 'n', 'd', 'r', 'h']);
        let ordinal = ["st", "nd", "rd", "th"].contains(&&t[digits.len()..]);
        if !digits.is_empty()
            && digits.len() <= 3
            && digits.bytes().all(|b| b.is_ascii_digit())
            && (digits.len() == t.len() || ordinal)
        {
            return digits.parse().ok();
        }
        number_word(t)
    }

    /// True when the word is `list`'s, as typed or without its clitic ("mum's").
    fn is_in(&self, list: &[&str]) -> bool {
        list.contains(&self.text.as_str())
            || self.base.as_deref().is_some_and(|b| list.contains(&b))
    }
}

/// The number a number word names: "one" to "nineteen", and the tens to "ninety".
fn number_word(word: &str) -> Option<u32> {
    const UNITS: [&str; 19] = [
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
    ];
    const TENS: [&str; 8] = [
        "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
    ];
    if let Some(i) = UNITS.iter().position(|u| *u == word) {
        return Some(i as u32 + 1);
    }
    TENS.iter()
        .position(|t| *t == word)
        .map(|i| (i as u32 + 2) * 10)
}

/// The longest known phrase of two or more words starting at `words[i]`: its length and what
/// it names.
fn longest_phrase_at<'v>(
    words: &[Word],
    i: usize,
    v: &'v Vocabulary,
) -> Option<(usize, &'v [Source])> {
    let most = (v.longest + MAX_PASSED_OVER).min(words.len() - i);
    (2..=most).rev().find_map(|k| {
        let key = phrase_key(&words[i..i + k]);
        if key.len() < 2 || words[i + k - 1].passed_over {
            return None;
        }
        v.phrases
            .get(key.join(" ").as_str())
            .map(|sources| (k, &sources[..]))
    })
}

/// How many words passed over ([`Word::passed_over`]) a known phrase may be found with: two
/// intensifiers, or the three extra words of "no longer able to" and one more.
const MAX_PASSED_OVER: usize = 4;

/// How `span` is looked up as a known phrase: its words' keys, those [passed
/// over](Word::passed_over) left out when two words or more are left (as [`all_stems`] reads
/// the phrases themselves).
fn phrase_key(span: &[Word]) -> Vec<String> {
    let kept: Vec<String> = span
        .iter()
        .filter(|w| !w.passed_over)
        .map(|w| w.key.clone())
        .collect();
    if kept.len() >= 2 {
        kept
    } else {
        span.iter().map(|w| w.key.clone()).collect()
    }
}

/// True when the words from `j` on (stop words skipped) start with an activity: a venue's
/// activity ("table tennis") or an entry of a synonym group ("choir").
fn activity_follows(words: &[Word], j: usize, v: &Vocabulary) -> bool {
    let Some(j) = (j..words.len()).find(|&k| !words[k].stop) else {
        return false;
    };
    (1..=v.longest.min(words.len() - j)).any(|k| {
        let key = phrase_key(&words[j..j + k]);
        v.phrases
            .get(key.join(" ").as_str())
            .is_some_and(|sources| {
                sources
                    .iter()
                    .any(|s| matches!(s, Source::Venue(_) | Source::Synonym(_)))
            })
    })
}

/// The age a number at `i` gives, when a cue next to it says it is one ("aged 82", "she's
/// nearly two", "eighty two years old"). An ordinal ("her 80th") is a birthday, not an age, and
/// a number word after a bare "is" ("there is one group") is not taken for one.
fn age_at(words: &[Word], i: usize) -> Option<u8> {
    let w = &words[i];
    let spelt = number_word(&w.text);
    let mut n = match spelt {
        Some(n) => n,
        None if w.text.bytes().all(|b| b.is_ascii_digit()) => w.number()?,
        None => return None,
    };
    if spelt.is_some() && i > 0 && number_word(&words[i - 1].text).is_some_and(|t| t >= 20) {
        // The unit of "eighty two": counted with its tens.
        return None;
    }
    // "eighty two": the tens, then the unit.
    let mut last = i;
    if n >= 20 {
        if let Some(unit) = words
            .get(i + 1)
            .and_then(|u| number_word(&u.text))
            .filter(|u| *u < 10)
        {
            n += unit;
            last = i + 1;
        }
    }
    let before = i
        .checked_sub(1)
        .is_some_and(|j| words[j].is_in(AGE_BEFORE) && !(spelt.is_some() && words[j].text == "is"));
    // "82 years old", "8 yr old", "14 yo" — but not "for forty years", a time.
    let after = words.get(last + 1).is_some_and(|w| {
        AGE_AFTER.contains(&w.text.as_str())
            && (w.text == "yo" || words.get(last + 2).is_some_and(|o| o.text == "old"))
    });
    ((before || after) && n <= 120).then_some(n as u8)
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
    ///
    /// // What a person said: one idea per phrase, an age offered, the rest left out.
    /// let q = TextQuery::parse("my mum is 82 and feeling low since dad died");
    /// let words: Vec<&str> = q.terms.iter().map(|t| t.word.as_str()).collect();
    /// assert_eq!(words, ["feeling low", "died"]);
    /// assert_eq!(q.suggested_age, Some(82));
    /// assert!(q.terms[0].expansions.iter().any(|e| e.through == Some("mental wellbeing")));
    /// ```
    pub fn parse(text: &str) -> TextQuery {
        TextQuery::parse_checked(text, |_| true)
    }

    /// As [`parse`](Self::parse), with each word that neither the vocabulary nor `known` has
    /// (given its stem: whether some record has it) read as the known word it is one slip
    /// from: "councelling" as counselling, "lonley" as lonely (listed in
    /// [`corrected`](Self::corrected)).
    ///
    /// # Examples
    /// ```
    /// use assetmap_index::text::TextQuery;
    /// let q = TextQuery::parse_checked("councelling for her", |_| false);
    /// assert_eq!(q.terms[0].word, "counselling");
    /// assert_eq!(q.corrected, [("councelling".to_string(), "counselling".to_string())]);
    /// // A word some record has is kept as typed.
    /// let q = TextQuery::parse_checked("councelling", |stem| stem == "councel");
    /// assert_eq!(q.terms[0].word, "councelling");
    /// ```
    pub fn parse_checked(text: &str, known: impl Fn(&str) -> bool) -> TextQuery {
        let v = vocabulary();
        let mut corrected = Vec::new();
        let words = correct_spelling(
            split_compounds(words_of(text), v),
            v,
            &known,
            &mut corrected,
        );
        let mut q = TextQuery {
            suggested_age: (0..words.len()).find_map(|i| age_at(&words, i)),
            corrected,
            ..TextQuery::default()
        };
        let mut i = 0;
        let mut cue = 0u8;
        let phrases: Vec<Option<(usize, &[Source])>> = (0..words.len())
            .map(|i| longest_phrase_at(&words, i, v))
            .collect();
        while i < words.len() {
            if NEED_CUES.contains(&words[i].text.as_str()) {
                cue = CUED_TERMS;
            }
            let before = q.terms.len();
            i = q.step(&words, &phrases, i, v);
            if q.terms.len() > before && cue > 0 {
                if let Some(t) = q.terms.last_mut() {
                    t.cued = true;
                }
                cue -= 1;
            }
        }
        q.drop_kind_words();
        q
    }

    /// Reads the word or known phrase at `words[i]`, adding its term or leaving it out, and
    /// returns the index past it. `phrases[j]` is the longest known phrase starting at
    /// `words[j]` ([`longest_phrase_at`]).
    fn step(
        &mut self,
        words: &[Word],
        phrases: &[Option<(usize, &[Source])>],
        i: usize,
        v: &Vocabulary,
    ) -> usize {
        // The longest known phrase of two or more words starting here — unless a longer one
        // starts inside it ("get her washed and dressed" is washed and dressed, not "her
        // washing"): then this word is read alone and the longer phrase in its turn.
        let span = phrases[i].filter(|&(k, _)| {
            phrases[i + 1..i + k]
                .iter()
                .all(|p| p.is_none_or(|(kj, _)| kj <= k))
        });
        if let Some((k, sources)) = span {
            if *sources == [Source::Filler] {
                // "work out how", "find out": words that are not what the person looks for.
                self.dropped
                    .extend(words[i..i + k].iter().map(|w| w.text.clone()));
            } else {
                self.push_term(&words[i..i + k], v);
            }
            return i + k;
        }
        let w = &words[i];
        let person = w.is_in(PERSON_WORDS);
        if ACTIVITY_VERBS.contains(&w.text.as_str()) && activity_follows(words, i + 1, v) {
            // "play netball", "join a choir": the activity says it all.
            self.dropped.push(w.text.clone());
            return i + 1;
        }
        let single_concept = v
            .phrases
            .get(w.key.as_str())
            .is_some_and(|s| s.iter().any(|s| matches!(s, Source::Concept(_))));
        if w.stop && !single_concept {
            // Stop words are not search words.
        } else if w.number().is_some()
            || person
            || ((w.is_in(FILLER) || w.is_in(NEED_CUES)) && !single_concept)
        {
            self.dropped.push(w.text.clone());
        } else {
            self.push_term(std::slice::from_ref(w), v);
        }
        i + 1
    }

    /// Leaves out the words for a kind of organisation ("group", "club", "class": see
    /// [`KIND_WORDS`]) when another term says what it is about: "book club" searches for books,
    /// not for every club; "club" alone is still searched.
    fn drop_kind_words(&mut self) {
        let is_kind = |t: &QueryTerm| KIND_WORDS.contains(&t.word.as_str());
        if self.terms.iter().all(is_kind) {
            return;
        }
        let (kinds, rest): (Vec<QueryTerm>, Vec<QueryTerm>) =
            self.terms.drain(..).partition(is_kind);
        self.terms = rest;
        self.dropped.extend(kinds.into_iter().map(|t| t.word));
    }

    /// Adds the term for `span` (one word or a known phrase), unless an equal one is there.
    fn push_term(&mut self, span: &[Word], v: &Vocabulary) {
        let key: Vec<String> = span.iter().map(|w| w.stem.clone()).collect();
        let term_stem = key.join(" ");
        if self.terms.len() >= MAX_QUERY_TERMS || self.terms.iter().any(|t| t.stem == term_stem) {
            return;
        }
        // The words themselves: stop words out, and those passed over in a phrase.
        let own: Vec<&Word> = span
            .iter()
            .filter(|w| !w.stop && (!w.passed_over || span.len() == 1))
            .collect();
        let literal: Vec<String> = own.iter().map(|w| w.stem.clone()).collect();
        let lookup = phrase_key(span);
        let sources = v
            .phrases
            .get(lookup.join(" ").as_str())
            .map(|s| &s[..])
            .unwrap_or(&[]);
        // A concept's phrase left with one word of its own says little by that word ("on my
        // own" is not about "own", "get out of the house" not about housing): only its
        // concept counts.
        let concept_phrase =
            span.len() > 1 && sources.iter().any(|s| matches!(s, Source::Concept(_)));
        let literal_counts = !(concept_phrase && literal.len() < 2);
        let mut expansions: Vec<Expansion> = Vec::new();
        let mut add = |e: Expansion| {
            if e.stems.is_empty() {
                return;
            }
            match expansions.iter_mut().find(|x| x.stems == e.stems) {
                Some(x) if x.weight >= e.weight => {}
                Some(x) => *x = e,
                None => expansions.push(e),
            }
        };
        if literal_counts {
            add(Expansion {
                stems: literal.clone(),
                weight: 1.0,
                via: "word",
                through: None,
            });
        }
        // A phrase of two words is also the two run together, as some records write it
        // ("play group": "playgroup"; "day care": "daycare").
        if let [a, b] = own[..] {
            add(Expansion {
                stems: vec![stem(&format!("{}{}", a.text, b.text)).to_string()],
                weight: 1.0,
                via: "word",
                through: None,
            });
        }
        // Synonym groups that have the phrase as typed or the words as an entry, in the
        // groups' order (looked up: comparing the words with every group's entries was most of
        // building a query's terms).
        let mut groups: Vec<usize> = sources
            .iter()
            .filter_map(|s| match s {
                Source::Synonym(gi) => Some(*gi),
                _ => None,
            })
            .chain(
                v.synonym_groups_of
                    .get(&literal)
                    .into_iter()
                    .flatten()
                    .copied(),
            )
            .collect();
        groups.sort_unstable();
        groups.dedup();
        for gi in groups {
            let group = &v.synonyms[gi];
            for other in group.iter().filter(|e| **e != literal) {
                add(Expansion {
                    stems: other.clone(),
                    weight: SYNONYM_WEIGHT,
                    via: "synonym",
                    through: None,
                });
            }
        }
        // Categories whose vocabulary has the phrase as typed or the words as an entry, in
        // the categories' order.
        let mut categories: Vec<usize> = sources
            .iter()
            .filter_map(|s| match s {
                Source::Category(c) => v.categories.iter().position(|(x, _)| x == c),
                _ => None,
            })
            .chain(v.categories_of.get(&literal).into_iter().flatten().copied())
            .collect();
        categories.sort_unstable();
        categories.dedup();
        for ci in categories {
            let category = v.categories[ci].0;
            add(Expansion {
                stems: vec![category_term(category)],
                weight: CATEGORY_WEIGHT,
                via: "category",
                through: Some(category.label()),
            });
        }
        // Concepts the phrase (or the single word) names.
        for source in sources {
            let Source::Concept(ci) = *source else {
                continue;
            };
            let concept: &Concept = CONCEPTS[ci];
            for w in &v.concept_words[ci] {
                add(Expansion {
                    stems: w.clone(),
                    weight: CONCEPT_WORD_WEIGHT,
                    via: "concept",
                    through: Some(concept.name),
                });
            }
            for c in concept.categories {
                add(Expansion {
                    stems: vec![category_term(*c)],
                    weight: CONCEPT_CATEGORY_WEIGHT,
                    via: "concept",
                    through: Some(concept.name),
                });
            }
        }
        // The kind of place the activity happens in.
        for source in sources {
            let Source::Venue(vi) = *source else {
                continue;
            };
            for w in &v.venue_words[vi] {
                add(Expansion {
                    stems: w.clone(),
                    weight: VENUE_WEIGHT,
                    via: "venue",
                    through: Some(VENUES[vi].name),
                });
            }
        }
        if expansions.is_empty() {
            return;
        }
        self.terms.push(QueryTerm {
            word: span
                .iter()
                .map(|w| w.text.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            stem: term_stem,
            expansions,
            cued: false,
        });
    }

    /// True when the query has no terms (empty, or only stop words and filler).
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
                        .filter(|e| e.is_category())
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

    fn words(q: &TextQuery) -> Vec<&str> {
        q.terms.iter().map(|t| t.word.as_str()).collect()
    }

    #[test]
    fn filler_numbers_and_one_persons_family_words_are_not_search_words() {
        let q = TextQuery::parse("my mum is 82 years old and really lonely since dad died");
        assert_eq!(words(&q), ["lonely", "died"]);
        assert_eq!(q.suggested_age, Some(82));
        assert_eq!(
            q.dropped,
            ["mum", "82", "years", "old", "really", "since", "dad"]
        );
        // Ages with other cues; a number without one is dropped but is no age.
        assert_eq!(
            TextQuery::parse("aged 8, likes football").suggested_age,
            Some(8)
        );
        assert_eq!(TextQuery::parse("he's 79").suggested_age, Some(79));
        assert_eq!(TextQuery::parse("bus 263 to the park").suggested_age, None);
        assert_eq!(TextQuery::parse("she is 200").suggested_age, None);
        // Contractions are not what a person looks for; a phrase keeps its own words.
        assert_eq!(
            words(&TextQuery::parse(
                "he won't come off his Xbox and it wasn't always so"
            )),
            ["xbox"]
        );
        assert_eq!(words(&TextQuery::parse("off the drink")), ["off the drink"]);
        // A word with a clitic is its word: "mum's" is the mum (not "mums", a plural a person
        // may look for), "he'll" is he (not "hell"), "nobody's" is nobody.
        assert_eq!(
            words(&TextQuery::parse(
                "she wants a party for her mum's 80th in January, he'll help, nobody's hired a room"
            )),
            ["party", "hired a room"]
        );
        assert_eq!(
            words(&TextQuery::parse("meet other mums")),
            ["meet", "mums"]
        );
        // Number words are numbers, ages with a cue; an ordinal is a birthday, not an age.
        let q = TextQuery::parse("back at work and the baby will have only just turned one");
        assert_eq!(q.suggested_age, Some(1));
        assert_eq!(words(&q), ["work", "baby"]);
        assert_eq!(TextQuery::parse("she's nearly two").suggested_age, Some(2));
        assert_eq!(
            TextQuery::parse("he is eighty two years old").suggested_age,
            Some(82)
        );
        assert_eq!(TextQuery::parse("there is one group").suggested_age, None);
        assert_eq!(
            TextQuery::parse("for her 80th birthday").suggested_age,
            None
        );
        // A number of years is a time unless they are years old.
        assert_eq!(
            TextQuery::parse("she's lived round here forty years").suggested_age,
            None
        );
        assert_eq!(TextQuery::parse("lived here 40 years").suggested_age, None);
        assert_eq!(TextQuery::parse("my 14 yo son").suggested_age, Some(14));
        // Plurals are what a person looks for.
        assert_eq!(
            words(&TextQuery::parse("meet other dads")),
            ["meet", "dads"]
        );
        // The twelve-term budget is spent on meaning, not on filler.
        let long = TextQuery::parse(
            "my son is 14 years old and he really wants to find something to do with football, \
             swimming, chess, drama, cooking, gardening, singing, art, cycling, tennis, rugby, \
             fishing and karate",
        );
        assert_eq!(long.terms.len(), MAX_QUERY_TERMS);
        assert_eq!(words(&long)[..2], ["something to do", "football"]);
        assert!(!words(&long).contains(&"son") && !words(&long).contains(&"14"));
    }

    #[test]
    fn a_known_phrase_is_one_idea() {
        // "food bank" is one term: banks and post offices do not match it through "bank".
        let q = TextQuery::parse("food bank");
        assert_eq!(words(&q), ["food bank"]);
        let t = &q.terms[0];
        assert!(t
            .expansions
            .iter()
            .any(|e| e.stems == ["food", "bank"] && e.weight == 1.0));
        assert!(!t
            .expansions
            .iter()
            .any(|e| e.stems == [category_term(Category::AdviceMoney)]));
        assert!(!t.expansions.iter().any(|e| e.stems == ["bank"]));
        // A longer phrase starting inside a shorter one wins: "get her washed and dressed" is
        // personal care, not "her washing" (laundry), which its first words also spell.
        let q = TextQuery::parse("get her washed and dressed");
        assert_eq!(words(&q), ["washed and dressed"], "{q:?}");
        // Stop words inside a phrase count: "on my own" names a concept, not the word "own".
        let q = TextQuery::parse("she is on her own a lot");
        assert_eq!(words(&q), ["on her own"]);
        assert!(q.terms[0].expansions.iter().all(|e| e.via == "concept"));
        assert!(q.terms[0]
            .expansions
            .iter()
            .any(|e| e.stems == ["befriend"]));
    }

    #[test]
    fn a_phrase_is_known_whoever_it_is_said_of() {
        let concepts_of = |text: &str| -> Vec<&'static str> {
            TextQuery::parse(text)
                .terms
                .iter()
                .flat_map(|t| t.expansions.iter().filter_map(|e| e.through))
                .collect()
        };
        // Written of her, said of him, of them, or by the person of themselves.
        let of_her = concepts_of("she has lost her purpose since she retired");
        assert!(of_her.contains(&"a part to play"), "{of_her:?}");
        for said in [
            "he has lost his purpose since he retired",
            "they have lost their purpose since they retired",
            "I've lost my purpose since I retired",
        ] {
            assert_eq!(concepts_of(said), of_her, "{said}");
        }
        // Every concept phrase written with "her" or "his" is found said with "my".
        for c in CONCEPTS.iter() {
            for p in c.phrases {
                let words: Vec<&str> = p.split(' ').collect();
                if !words.iter().any(|w| *w == "her" || *w == "his") {
                    continue;
                }
                let mine: Vec<&str> = words
                    .iter()
                    .map(|w| if *w == "her" || *w == "his" { "my" } else { w })
                    .collect();
                let mine = mine.join(" ");
                assert!(
                    concepts_of(&mine).contains(&c.name),
                    "{mine:?} does not reach {}",
                    c.name
                );
            }
        }
        // A pronoun is still no search word, and a word that only looks like one is itself.
        assert!(TextQuery::parse("she and her").terms.is_empty());
        assert_eq!(
            words(&TextQuery::parse("his and hers towels")),
            ["hers", "towels"]
        );
    }

    #[test]
    fn a_phrase_is_known_however_its_verbs_and_relatives_are_worded() {
        // The concepts and venues a text reaches, each once.
        let concepts_of = |text: &str| -> Vec<&'static str> {
            let mut through: Vec<&'static str> = TextQuery::parse(text)
                .terms
                .iter()
                .flat_map(|t| t.expansions.iter().filter_map(|e| e.through))
                .collect();
            through.sort_unstable();
            through.dedup();
            through
        };
        // Stemming makes "losing" one with "lose"; the irregular "lost" is one with them too.
        let losing = concepts_of("she is losing her sight");
        assert!(losing.contains(&"sight loss"), "{losing:?}");
        assert_eq!(concepts_of("she lost her sight"), losing);
        assert_eq!(concepts_of("she loses her sight"), losing);
        // An auxiliary in any tense or person, negated as it stands.
        let cant = concepts_of("she can't cope");
        assert!(cant.contains(&"mental wellbeing"), "{cant:?}");
        assert_eq!(concepts_of("she couldn't cope"), cant);
        assert_eq!(concepts_of("she cannot cope"), cant);
        assert!(!concepts_of("she can cope").contains(&"mental wellbeing"));
        let sectioned = concepts_of("her son has been sectioned");
        assert!(!sectioned.is_empty());
        assert_eq!(concepts_of("her son was sectioned"), sectioned);
        let doesnt = concepts_of("he doesnt go out");
        assert!(!doesnt.is_empty());
        assert_eq!(concepts_of("he didn't go out"), doesnt);
        // A relative by any of their names, formal, familiar or regional.
        let young_mum = concepts_of("she's a young mum");
        assert!(!young_mum.is_empty());
        assert_eq!(concepts_of("she's a young mam"), young_mum);
        assert_eq!(concepts_of("she's a young mother"), young_mum);
        let husband = concepts_of("she visits her husband in the care home");
        assert!(!husband.is_empty());
        assert_eq!(
            concepts_of("she visits her hubby in the care home"),
            husband
        );
        // A word that only makes the next stronger does not break a phrase.
        let low = concepts_of("feeling low");
        assert!(low.contains(&"mental wellbeing"), "{low:?}");
        assert_eq!(concepts_of("feeling really low"), low);
        assert_eq!(concepts_of("feeling so very low"), low);
        assert_eq!(
            words(&TextQuery::parse("feeling really low")),
            ["feeling really low"]
        );
        // "a bit" is not a bite: a form more often another word stays what it is.
        assert_eq!(phrase_word("bit", None), stem("bit").to_string());
        assert_eq!(phrase_word("left", None), stem("leave").to_string());
    }

    #[test]
    fn a_word_one_slip_from_a_known_word_is_read_as_it() {
        let none = |_: &str| false;
        for (typed, read) in [
            ("councelling", "counselling"), // a letter changed
            ("libary", "library"),          // left out
            ("excercise", "exercise"),      // added
            ("lonley", "lonely"),           // two swapped
            ("wheelchiar", "wheelchair"),
        ] {
            let q = TextQuery::parse_checked(typed, none);
            assert_eq!(words(&q), [read], "{typed}");
            assert_eq!(q.corrected, [(typed.to_string(), read.to_string())]);
        }
        // The read word is the known word in every way: "lonley" finds company and friendship.
        let q = TextQuery::parse_checked("she's so lonley", none);
        assert_eq!(
            q.terms[0].expansions,
            TextQuery::parse("she's so lonely").terms[0].expansions
        );
        // Kept as typed: an English word or name the vocabulary lacks, a word some record has,
        // a short word, a word with a digit, and every word when nothing is checked.
        for kept in ["hitting", "bradford", "nearly", "bloke", "covid19"] {
            let q = TextQuery::parse_checked(kept, none);
            assert!(q.corrected.is_empty(), "{kept}: {:?}", q.corrected);
        }
        let q = TextQuery::parse_checked("libary", |stem| stem == "libari");
        assert!(q.corrected.is_empty());
        assert!(TextQuery::parse("councelling").corrected.is_empty());
    }

    #[test]
    fn a_phrase_is_known_however_its_words_are_typed() {
        let concepts = |q: &TextQuery| -> Vec<Option<&str>> {
            q.terms
                .iter()
                .flat_map(|t| t.expansions.iter().map(|e| e.through))
                .filter(|t| t.is_some())
                .collect()
        };
        // "can't" in more words.
        let cant = TextQuery::parse("she can't cope");
        assert!(!concepts(&cant).is_empty());
        for said in [
            "she is unable to cope",
            "she's not able to cope",
            "he's no longer able to cope",
            "she can no longer cope",
            "he just can not cope",
        ] {
            assert_eq!(concepts(&TextQuery::parse(said)), concepts(&cant), "{said}");
        }
        assert_ne!(
            concepts(&TextQuery::parse("she is able to cope")),
            concepts(&cant)
        );
        // Two words of a known phrase run together, as typed on a phone.
        for (typed, read) in [
            ("lunchclub", "lunch club"),
            ("lunchclubs near me", "lunch clubs"),
            ("afterschool club", "after school club"),
            ("walkingfootball", "walking football"),
        ] {
            let q = TextQuery::parse(typed);
            assert_eq!(words(&q), [read], "{typed}");
            assert_eq!(concepts(&q), concepts(&TextQuery::parse(read)), "{typed}");
        }
        // An everyday word is not read as two, nor a word known as it stands.
        assert_eq!(words(&TextQuery::parse("apart")), ["apart"]);
        assert_eq!(words(&TextQuery::parse("foodbank")), ["foodbank"]);
        // Nor a word a known phrase writes as it stands, though "health" and "care" are
        // known words.
        assert_eq!(
            words(&TextQuery::parse("continuing healthcare")),
            ["continuing healthcare"]
        );
        // A phrase of two words also finds them run together.
        let q = TextQuery::parse("play group");
        assert!(q.terms[0]
            .expansions
            .iter()
            .any(|e| e.stems == ["playgroup"] && e.via == "word"));
    }

    #[test]
    fn everyday_words_reach_the_assets_that_help() {
        let through = |text: &str| -> Vec<&'static str> {
            let q = TextQuery::parse(text);
            let mut out: Vec<&'static str> = q
                .terms
                .iter()
                .flat_map(|t| t.expansions.iter().filter(|e| e.via == "concept"))
                .filter_map(|e| e.through)
                .collect();
            out.dedup();
            out
        };
        assert_eq!(through("feeling low"), ["mental wellbeing"]);
        assert_eq!(through("somewhere to pray"), ["faith and worship"]);
        assert_eq!(through("he prays every friday"), ["faith and worship"]);
        assert_eq!(
            through("wants to walk somewhere green"),
            ["parks and green space"]
        );
        assert_eq!(through("struggling to pay the bills"), ["money advice"]);
        assert_eq!(through("looking after his wife"), ["support for carers"]);
        // A concept's category and its words are both ways in.
        let q = TextQuery::parse("anxious");
        let t = &q.terms[0];
        assert!(t
            .expansions
            .iter()
            .any(|e| e.stems == [category_term(Category::MentalWellbeing)] && e.via == "concept"));
        assert!(t.expansions.iter().any(|e| e.stems == ["counsel"]));
        // The word itself still counts most.
        assert!(t
            .expansions
            .iter()
            .any(|e| e.stems == ["anxious"] && e.weight == 1.0));
    }

    #[test]
    fn every_venue_activity_is_found_in_a_query_and_reaches_its_venue() {
        for venue in VENUES {
            assert!(!venue.words.is_empty(), "{}", venue.name);
            for a in venue.activities {
                let q = TextQuery::parse(a);
                assert!(
                    q.terms.iter().any(|t| t
                        .expansions
                        .iter()
                        .any(|e| e.via == "venue" && e.through == Some(venue.name))),
                    "{a:?} does not reach {}: {q:?}",
                    venue.name
                );
                // After a verb too, which is dropped.
                let q = TextQuery::parse(&format!("wants to play {a}"));
                assert!(!q.terms.iter().any(|t| t.word == "play"), "{a:?}: {q:?}");
            }
        }
    }

    #[test]
    fn kind_words_are_left_out_when_the_query_says_what() {
        let q = TextQuery::parse("she loves reading and wants a book club");
        assert_eq!(words(&q), ["reading", "book"]);
        assert!(q.dropped.contains(&"club".to_string()), "{q:?}");
        assert_eq!(words(&TextQuery::parse("toddler group")), ["toddler"]);
        // Alone, the kind is what is asked for.
        assert_eq!(words(&TextQuery::parse("clubs")), ["clubs"]);
        assert_eq!(
            words(&TextQuery::parse("a group or a class")),
            ["group", "class"]
        );
    }

    #[test]
    fn filler_phrases_are_left_out_whole() {
        let q = TextQuery::parse("can't work out how to video call the grandkids");
        assert_eq!(words(&q), ["video call"], "{q:?}");
        assert!(q.dropped.contains(&"work".to_string()), "{q:?}");
        // Alone, "work out" is exercise.
        let q = TextQuery::parse("wants to work out");
        assert!(
            q.terms[0]
                .expansions
                .iter()
                .any(|e| e.through == Some("getting active")),
            "{q:?}"
        );
    }

    #[test]
    fn the_index_vocabulary_names_what_the_index_keeps() {
        let v = index_vocabulary();
        assert!(v.iter().any(|t| t == "gardening>gardening"));
        assert!(v.iter().any(|t| t == "sport hall"), "a venue's phrase");
        assert!(v.iter().any(|t| t == "food bank"), "a concept's phrase");
        assert!(v.iter().any(|t| t == "the"), "a stop word");
        assert_eq!(v, index_vocabulary(), "in a fixed order");
    }

    #[test]
    fn every_concept_phrase_is_found_in_a_query_and_every_concept_reaches_something() {
        let mut lost = Vec::new();
        for c in super::super::concepts::CONCEPTS.iter() {
            assert!(
                !c.words.is_empty() || !c.categories.is_empty(),
                "{}",
                c.name
            );
            for p in c.phrases {
                let q = TextQuery::parse(p);
                if !q
                    .terms
                    .iter()
                    .any(|t| t.expansions.iter().any(|e| e.through == Some(c.name)))
                {
                    let read: Vec<&str> = q.terms.iter().map(|t| t.word.as_str()).collect();
                    lost.push(format!(
                        "{p:?} does not reach {:?} (read as {read:?})",
                        c.name
                    ));
                }
            }
        }
        assert!(lost.is_empty(), "{}", lost.join("\n"));
    }
}
