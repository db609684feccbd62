//! A place pack holds the place exactly: the bundled place, written to a pack and opened again,
//! has the same areas, boundaries, postcodes and figures; a file that is not a pack is a clear
//! error.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use assetmap_place::{pack, AreaLevel, Place, PlaceDefinition, PlaceInputs};
use std::path::Path;

fn data_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data")
}

#[test]
fn a_pack_opens_as_the_place_it_was_built_from() {
    let def = PlaceDefinition::read(&data_dir().join("place.toml")).unwrap();
    let inputs = PlaceInputs::read(&def).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trafford.gpkg");
    pack::write(&inputs, &path).unwrap();

    let built = Place::from_inputs(inputs.clone()).unwrap();
    let opened = pack::open(&path).unwrap();
    assert_eq!(opened.title(), "Trafford");
    assert_eq!(opened.local_authorities(), built.local_authorities());
    assert_eq!(opened.sources(), built.sources());
    assert_eq!(opened.postcodes(), built.postcodes());
    for level in AreaLevel::ALL {
        assert_eq!(
            opened.boundaries(level),
            built.boundaries(level),
            "{level:?}"
        );
        assert_eq!(opened.level_title(level), built.level_title(level));
        let (a, b) = (opened.data(level), built.data(level));
        assert_eq!(a.len(), b.len());
        assert!(!a.is_empty());
        for (x, y) in a.iter().zip(b) {
            assert_eq!(x.population, y.population);
            assert_eq!(x.need, y.need);
            assert_eq!(x.postcodes, y.postcodes);
        }
        let codes = |p: &Place| -> Vec<String> {
            p.areas
                .areas(level)
                .iter()
                .map(|a| a.code().to_owned())
                .collect()
        };
        assert_eq!(codes(&opened), codes(&built));
    }
    // The manifest names every file read, with its checksum, and no builder's folders.
    let back = pack::read(&path).unwrap();
    assert_eq!(back.manifest, inputs.manifest);
    assert!(back
        .manifest
        .iter()
        .any(|m| m.file == "trafford_postcodes.csv" && m.sha256.len() == 64));
    assert!(!back
        .definition
        .files
        .postcodes
        .to_string_lossy()
        .contains('/'));
    // Not twice over the same file.
    assert!(pack::write(&inputs, &path).is_err());
}

#[test]
fn a_file_that_is_not_a_pack_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("not-a-pack.gpkg");
    std::fs::write(&path, b"hello").unwrap();
    let e = pack::open(&path).unwrap_err().to_string();
    assert!(e.contains("not-a-pack.gpkg"), "{e}");
}
