//! The fixed vocabulary: stop words, synonym groups, the pseudo-terms for categories, and how
//! much each kind of match and each field counts.

use assetmap_core::Category;
use std::sync::{Arc, OnceLock};

/// Weight of a match through a synonym rather than the word itself.
pub const SYNONYM_WEIGHT: f32 = 0.6;
/// Weight of a match through an asset's category (the word is in the category's vocabulary).
pub const CATEGORY_WEIGHT: f32 = 0.5;
// Field weights, doubled so that they are whole numbers (the factor cancels out in BM25 up to
// k1, which is scaled to match below).
pub(super) const W_NAME: u16 = 6;
pub(super) const W_TAG: u16 = 4;
pub(super) const W_CATEGORY: u16 = 3;
pub(super) const W_DESCRIPTION: u16 = 2;
/// The doubling of the field weights above.
pub(super) const WEIGHT_SCALE: f32 = 2.0;

/// Words too common to mean anything in a search for interests.
pub const STOP_WORDS: &[&str] = &[
    "a", "about", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be", "been", "but",
    "by", "can", "do", "does", "for", "from", "get", "go", "had", "has", "have", "he", "her",
    "here", "him", "his", "how", "i", "if", "in", "into", "is", "it", "its", "just", "like", "me",
    "more", "my", "near", "nearby", "not", "of", "on", "or", "other", "others", "our", "out",
    "she", "so", "some", "than", "that", "the", "their", "them", "then", "there", "these", "they",
    "this", "those", "to", "up", "us", "very", "want", "was", "we", "were", "what", "when",
    "where", "which", "who", "will", "with", "would", "you", "your",
];

/// Groups of words that mean much the same to someone looking for something to do. A query
/// word in a group also finds the other entries (at [`SYNONYM_WEIGHT`]). Entries are
/// analysed like any text, so each entry stands for all its word forms (`walk` covers
/// walking, walks, walked). Drawn from the category vocabulary and everyday words.
pub const SYNONYMS: &[&[&str]] = &[
    &["walking", "ramblers", "rambling", "hiking", "strolling"],
    &["singing", "choir", "chorus", "singers", "sing"],
    &[
        "gardening",
        "allotment",
        "growing",
        "horticulture",
        "plot holders",
    ],
    &["chess", "board games", "draughts", "backgammon"],
    &["fishing", "angling", "anglers", "angler"],
    &[
        "film",
        "films",
        "video",
        "cinema",
        "filmmaking",
        "camcorder",
        "movie",
        "movies",
    ],
    &[
        "history",
        "heritage",
        "historical",
        "local history",
        "museum",
    ],
    &["dads", "fathers", "father", "dad"],
    &["mums", "mothers", "mother", "mum", "mam"],
    &["grandparents", "grandad", "grandma", "nan"],
    &["knitting", "crochet", "sewing", "needlework", "quilting"],
    &["crafts", "arts and crafts", "handicrafts"],
    &["painting", "drawing", "art", "sketching"],
    &["football", "soccer"],
    &["swimming", "swim", "pool", "aqua"],
    &["cycling", "bike", "bicycle", "cyclists"],
    &["running", "jogging", "parkrun", "runners"],
    &["exercise", "fitness", "keep fit", "workout", "gym"],
    &["dance", "dancing", "ballroom", "zumba"],
    &["bowls", "crown green", "bowling green"],
    &["yoga", "pilates", "tai chi", "stretching"],
    &[
        "lonely",
        "loneliness",
        "isolated",
        "isolation",
        "befriending",
        "friendship",
    ],
    &[
        "older people",
        "elderly",
        "seniors",
        "pensioners",
        "retired",
        "later life",
    ],
    &["young people", "youth", "teenagers", "teens"],
    &["children", "kids", "child"],
    &[
        "baby",
        "babies",
        "toddler",
        "toddlers",
        "under fives",
        "parent and toddler",
        "mums and tots",
        "stay and play",
    ],
    &["autism", "autistic", "asd", "aspergers"],
    &[
        "food bank",
        "foodbank",
        "food parcels",
        "pantry",
        "food aid",
    ],
    &["cooking", "cookery", "baking"],
    &["meal", "lunch", "dinner", "breakfast"],
    &["coffee", "cuppa", "tea", "cafe"],
    &["library", "libraries", "books", "reading"],
    &[
        "computer",
        "computers",
        "digital skills",
        "internet",
        "laptop",
        "tablet",
    ],
    &["counselling", "therapy", "talking therapies", "counsellor"],
    &["mental health", "wellbeing", "emotional"],
    &["pharmacy", "chemist", "pharmacist"],
    &["gp", "doctor", "doctors", "surgery", "medical practice"],
    &["dentist", "dental"],
    &["money", "debt", "benefits", "budgeting", "finance"],
    &["job", "jobs", "employment", "careers", "jobseekers"],
    &["church", "chapel", "parish", "worship"],
    &["mosque", "masjid"],
    &[
        "park",
        "parks",
        "green space",
        "open space",
        "recreation ground",
    ],
    &["nature", "wildlife", "woodland", "birdwatching"],
    &["carer", "carers", "caregiver", "looking after"],
    &["dementia", "alzheimers", "memory loss", "memory cafe"],
    &["music", "musical", "band", "orchestra"],
    &[
        "theatre",
        "drama",
        "acting",
        "amateur dramatics",
        "stage",
        "performing arts",
        "stage school",
        "musical theatre",
    ],
    &[
        "playground",
        "play area",
        "play space",
        "play park",
        "swings",
    ],
    &["history", "heritage", "local history"],
    &["fishing", "angling", "anglers"],
    // One name, written joined or apart.
    &["taekwondo", "tae kwon do", "taekwon do"],
    &["ju jitsu", "jujitsu", "jiu jitsu", "jujutsu"],
    &["kickboxing", "kick boxing"],
    &["tai chi", "taichi"],
    &["keep fit", "keepfit"],
];

/// The pseudo-term that stands for "the asset is in category `c`".
pub(crate) fn category_term(c: Category) -> String {
    format!("\u{1}cat:{}", c.slug())
}

/// [`category_term`], shared.
pub(super) fn category_term_arc(c: Category) -> Arc<str> {
    static TERMS: OnceLock<Vec<Arc<str>>> = OnceLock::new();
    let all = TERMS.get_or_init(|| {
        Category::ALL
            .iter()
            .map(|c| category_term(*c).into())
            .collect()
    });
    let i = Category::ALL.iter().position(|x| *x == c).unwrap_or(0);
    all[i].clone()
}
