//! `cargo fuzz run --fuzz-dir tests/fuzz cql2`: see [`assetmap_fuzz::targets::cql2`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| assetmap_fuzz::targets::cql2(data));
