//! `cargo fuzz run --fuzz-dir tests/fuzz search`: see [`assetmap_fuzz::targets::search`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| assetmap_fuzz::targets::search(data));
