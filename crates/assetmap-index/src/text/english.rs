//! English words as a spelling checker knows them: SCOWL's British English list (size 50, as
//! Debian's `wbritish` 2020.12.07 packs it, possessives left out: about 74,300 words and
//! names, with their inflected forms), shipped with the crate (`data/english-words.zst`, its
//! copyright notice in `data/english-words.COPYRIGHT`). A query word on the list is never read
//! as another ([`super::query`]): "hitting" is not a slip for "sitting", nor "Bradford" for
//! anything, however few records say them.

use super::analysis::for_each_word_and_base;
use std::sync::OnceLock;

/// The list, one word a line, compressed with zstd.
const WORDS_ZST: &[u8] = include_bytes!("../../data/english-words.zst");

/// The list's words, folded as a query's are, one after another in one string, and each
/// word's place in it, sorted by the word: about 1.3 MB, where a set of strings took 6.
struct Words {
    text: String,
    /// `(start, len)` in bytes, sorted by the word they name, without repeats.
    sorted: Vec<(u32, u32)>,
}

impl Words {
    fn word(&self, (start, len): (u32, u32)) -> &str {
        &self.text[start as usize..(start + len) as usize]
    }
}

/// The list, read at the first call (a few milliseconds).
fn words() -> &'static Words {
    static WORDS: OnceLock<Words> = OnceLock::new();
    WORDS.get_or_init(|| {
        let size = match zstd_safe::get_frame_content_size(WORDS_ZST) {
            Ok(Some(size)) => size as usize,
            _ => panic!("data/english-words.zst is not a zstd frame with its size"),
        };
        let mut raw = vec![0u8; size];
        let done = zstd_safe::decompress(&mut raw[..], WORDS_ZST);
        assert_eq!(done, Ok(size), "data/english-words.zst does not decompress");
        let raw = String::from_utf8(raw).expect("data/english-words.zst is UTF-8");
        let mut words = Words {
            text: String::with_capacity(raw.len()),
            sorted: Vec::new(),
        };
        for_each_word_and_base(&raw, |w, _| {
            words.sorted.push((words.text.len() as u32, w.len() as u32));
            words.text.push_str(w);
        });
        let mut sorted = std::mem::take(&mut words.sorted);
        sorted.sort_unstable_by(|a, b| words.word(*a).cmp(words.word(*b)));
        sorted.dedup_by(|a, b| words.word(*a) == words.word(*b));
        sorted.shrink_to_fit();
        words.text.shrink_to_fit();
        words.sorted = sorted;
        words
    })
}

/// True when `word` (folded) is an English word on the list.
pub(super) fn is_english(word: &str) -> bool {
    let w = words();
    w.sorted.binary_search_by(|r| w.word(*r).cmp(word)).is_ok()
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
