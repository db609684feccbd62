//! `cargo fuzz run --fuzz-dir tests/fuzz opening_text`: see [`assetmap_fuzz::targets::opening_text`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| assetmap_fuzz::targets::opening_text(data));
