//! `cargo fuzz run --fuzz-dir tests/fuzz import_geojson`: see [`assetmap_fuzz::targets::import_geojson`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| assetmap_fuzz::targets::import_geojson(data));
