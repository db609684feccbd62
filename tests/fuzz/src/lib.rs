//! assetmap's fuzz targets: the functions in [`targets`] hold each target's body, and each
//! binary under `fuzz_targets/` hands libFuzzer's bytes to one of them.
#![forbid(unsafe_code)]

pub mod targets;
