//! `cargo fuzz run --fuzz-dir tests/fuzz query_params`: see [`assetmap_fuzz::targets::query_params`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| assetmap_fuzz::targets::query_params(data));
