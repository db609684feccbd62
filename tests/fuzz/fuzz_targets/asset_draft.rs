//! `cargo fuzz run --fuzz-dir tests/fuzz asset_draft`: see [`assetmap_fuzz::targets::asset_draft`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| assetmap_fuzz::targets::asset_draft(data));
