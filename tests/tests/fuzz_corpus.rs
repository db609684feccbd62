//! Replays the fuzz targets' committed seed corpus (`tests/fuzz/corpus/<target>/`) through the
//! same target bodies as `bash scripts/fuzz.sh` runs under libFuzzer, without libFuzzer: every
//! seed, and every finding added to the seeds once fixed, is checked on each test run. The
//! bodies are compiled here from `tests/fuzz/src/targets.rs` itself, so no second build of the
//! fuzz crate is needed.

#[path = "../fuzz/src/targets.rs"]
mod targets;

use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// The files of one folder, sorted by name.
fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn every_seed_of_every_target_passes() {
    for (name, target) in targets::ALL {
        let seeds = files_in(&fuzz_dir().join("corpus").join(name));
        assert!(!seeds.is_empty(), "target {name} has no seed corpus");
        for seed in seeds {
            let data = std::fs::read(&seed).expect("a readable seed");
            let outcome = std::panic::catch_unwind(|| target(&data));
            assert!(outcome.is_ok(), "{name} fails on {}", seed.display());
        }
    }
}

#[test]
fn every_fuzz_binary_is_a_listed_target_with_a_corpus() {
    let mut binaries: Vec<String> = files_in(&fuzz_dir().join("fuzz_targets"))
        .iter()
        .filter_map(|p| p.file_stem()?.to_str().map(str::to_owned))
        .collect();
    binaries.sort();
    let mut listed: Vec<String> = targets::ALL.iter().map(|(n, _)| n.to_string()).collect();
    listed.sort();
    assert_eq!(binaries, listed, "fuzz_targets/ and targets::ALL disagree");
    let manifest = std::fs::read_to_string(fuzz_dir().join("Cargo.toml")).expect("the manifest");
    for name in &listed {
        assert!(
            manifest.contains(&format!("path = \"fuzz_targets/{name}.rs\"")),
            "{name} is not a [[bin]] of tests/fuzz/Cargo.toml"
        );
    }
}
