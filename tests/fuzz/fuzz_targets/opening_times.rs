//! `cargo fuzz run --fuzz-dir tests/fuzz opening_times`: see [`assetmap_fuzz::targets::opening_times`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| assetmap_fuzz::targets::opening_times(data));
