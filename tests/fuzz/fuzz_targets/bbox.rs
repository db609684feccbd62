//! `cargo fuzz run --fuzz-dir tests/fuzz bbox`: see [`assetmap_fuzz::targets::bbox`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| assetmap_fuzz::targets::bbox(data));
