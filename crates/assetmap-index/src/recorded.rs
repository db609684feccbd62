//! What a record says and does not say about the filters a person asks for: how much of a
//! search score a silent record keeps, and the age group a record's words name when it gives
//! no ages. Shared by the packed facets (precomputed, for the ranking walk's bounds) and the
//! search ranking.

use assetmap_core::Asset;

/// Score factor for each other filter an asset's record does not say it meets (no age range
/// under `age`, no cost under a cost filter, no access features under an access filter).
pub const NOT_RECORDED_FACTOR: f64 = 0.6;
/// The factor for a record with no age range, given the age group its words name, if any.
pub(crate) fn age_factor(words: Option<AgeWords>, age: u8) -> f64 {
    match words {
        Some(group) if group.suits(age) => AGE_WORDS_FACTOR,
        Some(_) => OTHER_AGE_WORDS_FACTOR,
        None => NOT_RECORDED_FACTOR,
    }
}

/// Score factor for a record with no age range whose words name the person's age group.
pub const AGE_WORDS_FACTOR: f64 = 0.9;
/// Score factor for a record with no age range whose words name another age group.
pub const OTHER_AGE_WORDS_FACTOR: f64 = 0.4;

/// The age group a record's words name when it gives no ages: "Flixton Junior Football Club",
/// "over 60s lunch club". Still "not recorded" (the words are not an age range), but ranked as
/// the words suggest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgeWords {
    /// Children and young people: junior, youth, kids, children, boys, girls, cubs, brownies…
    Young,
    /// Older people: older, elderly, senior, over 50s/60s, retired, later life.
    Older,
}

impl AgeWords {
    /// Whether a person of `age` years is in the group.
    pub fn suits(self, age: u8) -> bool {
        match self {
            AgeWords::Young => age < 18,
            AgeWords::Older => age >= 50,
        }
    }
}

const YOUNG_WORDS: &[&str] = &[
    "junior",
    "juniors",
    "jfc",
    "youth",
    "kids",
    "children",
    "childrens",
    "boys",
    "girls",
    "cubs",
    "brownies",
    "beavers",
    "rainbows",
    "scouts",
    "guides",
    "youngsters",
    "teens",
    "teenagers",
    "playgroup",
    "toddler",
    "toddlers",
    "under",
];
const OLDER_WORDS: &[&str] = &[
    "older",
    "elderly",
    "senior",
    "seniors",
    "over",
    "retired",
    "pensioners",
    "veterans",
    "u3a",
];

/// The age group the name and tags of `asset` name, if one.
pub fn age_words(asset: &Asset) -> Option<AgeWords> {
    let mut found = None;
    let mut look = |text: &str| {
        for w in text
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
        {
            let is = |list: &[&str]| list.iter().any(|x| x.eq_ignore_ascii_case(w));
            if is(YOUNG_WORDS) {
                found = found.or(Some(AgeWords::Young));
            } else if is(OLDER_WORDS) {
                found = found.or(Some(AgeWords::Older));
            }
        }
    };
    look(asset.name.as_str());
    for t in &asset.tags {
        look(t.as_str());
    }
    found
}
