//! `cargo fuzz run --fuzz-dir tests/fuzz gpkg_geometry`: see [`assetmap_fuzz::targets::gpkg_geometry`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| assetmap_fuzz::targets::gpkg_geometry(data));
