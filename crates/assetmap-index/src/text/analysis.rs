//! Analysis: text to words (folding case and accents, joining apostrophes), stop words out,
//! words to their Snowball English stems.

use super::vocabulary::STOP_WORDS;
use rust_stemmers::{Algorithm, Stemmer};
use rustc_hash::{FxHashMap, FxHashSet};
use std::sync::{Arc, OnceLock};

/// The Snowball English stemmer, built once.
fn stemmer() -> &'static Stemmer {
    static STEMMER: OnceLock<Stemmer> = OnceLock::new();
    STEMMER.get_or_init(|| Stemmer::create(Algorithm::English))
}

pub(super) fn is_stop_word(w: &str) -> bool {
    static SET: OnceLock<FxHashSet<&'static str>> = OnceLock::new();
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
pub(super) fn for_each_word(text: &str, mut f: impl FnMut(&str)) {
    for_each_word_and_base(text, |w, _| f(w));
}

/// The endings an apostrophe adds to a word that leave the word itself what it was: "mum's"
/// is the mum, "he'll" and "she'd" are he and she.
const CLITICS: &[&str] = &["s", "ll", "ve", "re", "d", "m"];

/// Calls `f` with every folded word of `text` (stop words included), in order, and, for a
/// word that ends in a clitic after an apostrophe ("mum's", "he'll", "she'd": [`CLITICS`]), the
/// word before it ("mum", "he", "she"). The word itself keeps the apostrophe's letters joined
/// ("mums"), as the index has it.
pub(super) fn for_each_word_and_base(text: &str, mut f: impl FnMut(&str, Option<&str>)) {
    let mut word = String::new();
    let mut folded = String::new();
    // The length of `word` at its last inner apostrophe.
    let mut apostrophe: Option<usize> = None;
    let mut emit = |word: &str, apostrophe: Option<usize>| {
        let base = apostrophe
            .filter(|&at| CLITICS.contains(&&word[at..]))
            .map(|at| &word[..at]);
        f(word, base);
    };
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
            apostrophe = Some(word.len());
        } else if !word.is_empty() {
            emit(&word, apostrophe.take());
            word.clear();
        }
    }
    if !word.is_empty() {
        emit(&word, apostrophe);
    }
}

/// The stems of `text`, in order, without stop words (repeats kept).
///
/// # Examples
/// ```
/// use assetmap_index::text::analyse;
/// assert_eq!(analyse("Walkers' Club"), ["walker", "club"]);
/// assert_eq!(analyse("Gardeners' Club"), ["gardening", "club"]); // an override
/// assert_eq!(analyse("Meet other DADS"), ["meet", "dad"]);
/// ```
pub fn analyse(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for_each_stem(text, |s| out.push(s.to_string()));
    out
}

/// Calls `f` with the stem of every word of `text` but the stop words, in order.
pub(super) fn for_each_stem(text: &str, mut f: impl FnMut(&Arc<str>)) {
    for_each_word(text, |w| {
        if !is_stop_word(w) {
            f(&stem(w));
        }
    });
}

/// Words whose Snowball stem would join them to a word that means something else to a
/// person looking for a place or an activity, with the stem they keep instead: gardening is an
/// activity and a garden a place ("Public Park Or Garden"), parking is not a park, housing is
/// not a house, a nursing home is not a nurse, a rowing club is not a row at home, running
/// (the sport) is not a library "run by" the council, gaming (video games) is not a game of
/// snooker, fishing and boxing are not fish and boxes, a Holy Trinity church is not the
/// festival of Holi, and feeling poorly (ill) is not being poor. Each word is folded; a word not here is stemmed by Snowball. (The same
/// idea as a search engine's stemmer override list.) Also the other way: irregular plurals
/// that Snowball leaves apart from their singulars ("children", "women's", "teeth") join them.
pub const STEM_OVERRIDES: &[(&str, &str)] = &[
    ("gardening", "gardening"),
    ("gardener", "gardening"),
    ("gardeners", "gardening"),
    ("parking", "parking"),
    ("housing", "housing"),
    ("nursing", "nursing"),
    ("rowing", "rowing"),
    ("rower", "rowing"),
    ("rowers", "rowing"),
    ("running", "running"),
    ("runner", "running"),
    ("runners", "running"),
    ("gaming", "gaming"),
    ("gamer", "gaming"),
    ("gamers", "gaming"),
    ("fishing", "fishing"),
    ("boxing", "boxing"),
    ("boxer", "boxing"),
    ("boxers", "boxing"),
    ("holy", "holy"),
    ("poorly", "poorly"),
    // A word Snowball would join to a concept's word of another sense: activities are not
    // being active, an animation is not an animal, a Conservative club is not conservation,
    // a collection is not collectables, a Protestant church is not a protest, human rights are
    // not humanism, an orientation is not orienteering, the mind is not mindfulness, physical
    // is not physics, probate is not probation, separate is not separated, a fire is not being
    // fired, expected is not expecting (a baby), a lone parent is not lonely, a group
    // formed in 1990 is not a form to fill in, a cemetery's tombstones are not tombstoning
    // (jumping into water), and a heartbreaking story is not a heartbreak.
    ("activity", "activity"),
    ("activities", "activity"),
    ("animation", "animation"),
    ("animations", "animation"),
    ("animated", "animation"),
    ("animator", "animation"),
    ("animators", "animation"),
    ("conservative", "conservative"),
    ("conservatives", "conservative"),
    ("collection", "collection"),
    ("collections", "collection"),
    ("collective", "collective"),
    ("protestant", "protestant"),
    ("protestants", "protestant"),
    ("humanism", "humanism"),
    ("orienteering", "orienteering"),
    ("mindfulness", "mindfulness"),
    ("mindful", "mindfulness"),
    ("physics", "physics"),
    ("probate", "probate"),
    ("separate", "separate"),
    ("separately", "separate"),
    ("fired", "fired"),
    ("expecting", "expecting"),
    ("lonely", "lonely"),
    ("formed", "formed"),
    ("tombstoning", "tombstoning"),
    ("heartbreaking", "heartbreaking"),
    // Irregular plurals, which Snowball leaves apart from their singulars ("children's
    // centre" and "my child"), each with its singular's stem (checked by a test).
    ("children", "child"),
    ("childrens", "child"),
    ("grandchildren", "grandchild"),
    ("grandchildrens", "grandchild"),
    ("women", "woman"),
    ("womens", "woman"),
    ("men", "man"),
    ("mens", "man"),
    ("teeth", "tooth"),
    ("feet", "foot"),
    ("wives", "wife"),
    ("mice", "mous"),
    ("geese", "goos"),
];

fn stem_override(word: &str) -> Option<&'static str> {
    STEM_OVERRIDES
        .iter()
        .find(|(w, _)| *w == word)
        .map(|(_, s)| *s)
}

/// The stem of one folded word (its [override](STEM_OVERRIDES), or its Snowball stem), through
/// a per-thread cache: the stemmer costs about a microsecond a word, and a community dataset
/// repeats a few thousand words endlessly.
pub(super) fn stem(word: &str) -> Arc<str> {
    STEM_CACHE.with_borrow_mut(|cache| {
        if let Some(s) = cache.get(word) {
            return s.clone();
        }
        let s: Arc<str> = match stem_override(word) {
            Some(s) => s.into(),
            None => stemmer().stem(word).into(),
        };
        if cache.len() >= 200_000 {
            // Bounded: a flood of distinct words (or ids) must not grow memory without end.
            cache.clear();
        }
        cache.insert(word.into(), s.clone());
        s
    })
}

thread_local! {
    static STEM_CACHE: std::cell::RefCell<FxHashMap<Box<str>, Arc<str>>> =
        std::cell::RefCell::new(FxHashMap::default());
}

/// Empties this thread's cache of stems (see [`stem`]), giving back its memory: for a thread
/// that has stemmed a once-only set of words (the vocabulary's, about 7,000) and may stem
/// little more.
pub(super) fn forget_stems() {
    STEM_CACHE.with_borrow_mut(|cache| *cache = FxHashMap::default());
}

/// The stems of one vocabulary entry ("board games" → `[board, game]`), stop words dropped.
pub(super) fn phrase(entry: &str) -> Vec<String> {
    analyse(entry)
}

/// A name's own words and, for a name that places the asset at another ("Defibrillator at
/// Urmston Leisure Centre", "Toddler Group at St Mary's"), the host's words after the first
/// standalone [`HOST_WORD`]: what the asset is, and where it is. The host's words count as a
/// description's, so a search for a leisure centre finds the leisure centre before the
/// defibrillator on its wall.
pub(crate) fn name_and_host(name: &str) -> (&str, Option<&str>) {
    let mut start = 0;
    for word in name.split(' ') {
        let end = start + word.len();
        if start > 0 && word.eq_ignore_ascii_case(HOST_WORD) && end < name.len() {
            let own = name[..start].trim_end();
            let host = name[end..].trim_start();
            if !own.is_empty() && !host.is_empty() {
                return (own, Some(host));
            }
        }
        start = end + 1;
    }
    (name, None)
}

/// The word that places an asset at another in its name ([`name_and_host`]).
pub(crate) const HOST_WORD: &str = "at";

#[cfg(test)]
mod tests {
    use super::*;

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
    fn a_pastime_or_a_habit_is_not_the_thing_it_is_named_after() {
        assert_eq!(analyse("gaming gamers gamer"), ["gaming"; 3]);
        assert_eq!(analyse("game games"), ["game"; 2]);
        // Fishing is not a fish supper, boxing not a food box.
        for (activity, thing) in [("fishing", "fish"), ("boxing", "box")] {
            assert_ne!(analyse(activity), analyse(thing), "{activity}");
        }
        // A habit is told in every form of its verb ("drinks", "drinking", "drank"): it keeps
        // Snowball's stem, so that its phrases are found in any of them.
        assert_eq!(analyse("drinking"), analyse("drinks"));
    }

    #[test]
    fn an_irregular_plural_is_one_with_its_singular() {
        for (plural, singular) in [
            ("children", "child"),
            ("children's", "child"),
            ("grandchildren", "grandchild"),
            ("women's", "woman"),
            ("men", "man"),
            ("teeth", "tooth"),
            ("feet", "foot"),
            ("wives", "wife"),
            ("mice", "mouse"),
            ("geese", "goose"),
        ] {
            assert_eq!(analyse(plural), analyse(singular), "{plural}");
            assert_eq!(
                analyse(singular),
                [stemmer().stem(singular).to_string()],
                "{singular} keeps its own stem"
            );
        }
    }

    #[test]
    fn a_clitic_is_joined_and_its_word_kept_apart() {
        let mut seen = Vec::new();
        for_each_word_and_base(
            "Her mum's flat; he'll ring. O'Brien's won't, Walkers' club",
            |w, b| seen.push((w.to_string(), b.map(str::to_string))),
        );
        let base = |w: &str| seen.iter().find(|(x, _)| x == w).unwrap().1.clone();
        assert_eq!(base("mums").as_deref(), Some("mum"));
        assert_eq!(base("hell").as_deref(), Some("he"));
        assert_eq!(base("obriens").as_deref(), Some("obrien"));
        assert_eq!(base("wont"), None);
        assert_eq!(base("walkers"), None);
        assert_eq!(base("flat"), None);
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
        for w in ["garden", "gardens"] {
            assert_eq!(analyse(w), ["garden"], "{w}");
        }
        // Overridden: the activity is not the place.
        for w in ["gardening", "gardeners", "Gardener's"] {
            assert_eq!(analyse(w), ["gardening"], "{w}");
        }
        assert_eq!(analyse("parking"), ["parking"]);
        assert_eq!(analyse("Rowing Club rowers"), ["rowing", "club", "rowing"]);
        assert_eq!(analyse("they row every night"), ["row", "everi", "night"]);
        assert_eq!(analyse("parks"), ["park"]);
        assert_eq!(analyse("walking walks walked"), ["walk", "walk", "walk"]);
        assert_eq!(analyse("allotments"), analyse("allotment"));
        assert_eq!(analyse("libraries"), analyse("library"));
    }
}
