//! `cargo fuzz run --fuzz-dir tests/fuzz postcode`: see [`assetmap_fuzz::targets::postcode`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| assetmap_fuzz::targets::postcode(data));
