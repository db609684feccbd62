//! `cargo fuzz run --fuzz-dir tests/fuzz search_text`: see [`assetmap_fuzz::targets::search_text`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| assetmap_fuzz::targets::search_text(data));
