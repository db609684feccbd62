//! English words as a spelling checker knows them: SCOWL's British English list (size 50, as
//! Debian's `wbritish` 2020.12.07 packs it, possessives left out: about 74,300 words and
//! names, with their inflected forms), shipped with the crate (`data/english-words.zst`, its
//! copyright notice in `data/english-words.COPYRIGHT`). A query word on the list is never read
//! as another ([`super::query`]): "hitting" is not a slip for "sitting", nor "Bradford" for
//! anything, however few records say them.

use super::analysis::for_each_word_and_base;
use rustc_hash::FxHashSet;
use std::sync::OnceLock;

/// The list, one word a line, compressed with zstd.
const WORDS_ZST: &[u8] = include_bytes!("../../data/english-words.zst");

/// The list's words, folded as a query's are; read at the first call (a few milliseconds,
/// about 3 MB).
fn words() -> &'static FxHashSet<String> {
    static WORDS: OnceLock<FxHashSet<String>> = OnceLock::new();
    WORDS.get_or_init(|| {
        let size = match zstd_safe::get_frame_content_size(WORDS_ZST) {
            Ok(Some(size)) => size as usize,
            _ => panic!("data/english-words.zst is not a zstd frame with its size"),
        };
        let mut text = vec![0u8; size];
        let done = zstd_safe::decompress(&mut text[..], WORDS_ZST);
        assert_eq!(done, Ok(size), "data/english-words.zst does not decompress");
        let text = String::from_utf8(text).expect("data/english-words.zst is UTF-8");
        let mut words = FxHashSet::default();
        for_each_word_and_base(&text, |w, _| {
            words.insert(w.to_owned());
        });
        words
    })
}

/// True when `word` (folded) is an English word on the list.
pub(super) fn is_english(word: &str) -> bool {
    words().contains(word)
}

#[cfg(test)]
mod tests {
    use super::is_english;

    #[test]
    fn the_list_knows_everyday_words_and_their_forms_and_not_slips() {
        for w in [
            "hitting",
            "nearly",
            "implants",
            "counselling",
            "cafe",
            "lonely",
        ] {
            assert!(is_english(w), "{w}");
        }
        for w in ["councelling", "lonley", "libary", "wheelchiar"] {
            assert!(!is_english(w), "{w}");
        }
    }
}
