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

/// Boundaries as a GeoPackage with ONS field names — wards in WGS84, LSOAs in British National
/// Grid — give the same place as the bundled GeoJSON files.
#[test]
fn geopackage_boundaries_read_like_geojson_ones() {
    use assetmap_gpkg::{
        encode_multipolygon, Column, ColumnType, FeatureTable, GeometryType, GpkgWriter,
    };
    use serde_json::Value;
    let dir = tempfile::tempdir().unwrap();
    let write = |file: &str, source: &str, prefix: &str, srs_id: i32| -> std::path::PathBuf {
        let v: Value = serde_json::from_str(
            &std::fs::read_to_string(data_dir().join("sources/trafford/boundaries").join(source))
                .unwrap(),
        )
        .unwrap();
        let path = dir.path().join(file);
        let mut w = GpkgWriter::create(&path).unwrap();
        if srs_id == 27700 {
            w.connection()
                .execute(
                    "INSERT INTO gpkg_spatial_ref_sys (srs_name, srs_id, organization, organization_coordsys_id, definition) VALUES ('OSGB36 / British National Grid', 27700, 'EPSG', 27700, 'undefined')",
                    [],
                )
                .unwrap();
        }
        let (cd, nm) = (format!("{prefix}CD"), format!("{prefix}NM"));
        let columns = [
            Column::new(&cd, ColumnType::Text),
            Column::new(&nm, ColumnType::Text),
        ];
        w.create_features_table(&FeatureTable {
            name: "boundaries",
            identifier: "boundaries",
            description: "",
            geometry_type: GeometryType::MultiPolygon,
            srs_id,
            columns: &columns,
        })
        .unwrap();
        for f in v["features"].as_array().unwrap() {
            let g = &f["geometry"];
            let polys: Vec<Vec<Vec<[f64; 2]>>> = match g["type"].as_str().unwrap() {
                "Polygon" => vec![serde_json::from_value(g["coordinates"].clone()).unwrap()],
                _ => serde_json::from_value(g["coordinates"].clone()).unwrap(),
            };
            let polys: Vec<Vec<Vec<[f64; 2]>>> = if srs_id == 27700 {
                polys
                    .into_iter()
                    .map(|p| {
                        p.into_iter()
                            .map(|r| {
                                r.into_iter()
                                    .map(|[x, y]| {
                                        assetmap_core::crs::wgs84_to_national_grid(
                                            assetmap_core::LonLat::new(x, y).unwrap(),
                                        )
                                        .unwrap()
                                    })
                                    .collect()
                            })
                            .collect()
                    })
                    .collect()
            } else {
                polys
            };
            let parts: Vec<Vec<&[[f64; 2]]>> = polys
                .iter()
                .map(|p| p.iter().map(Vec::as_slice).collect())
                .collect();
            let blob = encode_multipolygon(srs_id, &parts).unwrap();
            let (code, name) = (
                f["properties"]["area_code"].as_str().unwrap(),
                f["properties"]["area_name"].as_str().unwrap(),
            );
            w.insert_feature("boundaries", &blob, &[&code, &name])
                .unwrap();
        }
        w.finish().unwrap();
        path
    };
    let mut def = PlaceDefinition::read(&data_dir().join("place.toml")).unwrap();
    def.files.boundaries.ward = Some(write(
        "WD_MAY_2023_UK_BGC.gpkg",
        "trafford_ward_generalised.geojson",
        "WD23",
        4326,
    ));
    def.files.boundaries.lsoa = Some(write(
        "LSOA_2021_EW_BGC.gpkg",
        "trafford_lsoa_generalised.geojson",
        "LSOA21",
        27700,
    ));
    def.files.assignment.lsoa = def.files.boundaries.lsoa.clone();
    let from_gpkg = Place::build(&def).unwrap();
    let bundled = Place::load(&data_dir()).unwrap();
    // The same wards: codes, names and polygons (a GeoPackage layer holds MultiPolygons).
    let as_multi = |f: &Value| match f["geometry"]["type"].as_str() {
        Some("Polygon") => serde_json::json!([f["geometry"]["coordinates"]]),
        _ => f["geometry"]["coordinates"].clone(),
    };
    let (a, b) = (
        from_gpkg.boundaries(AreaLevel::Ward),
        bundled.boundaries(AreaLevel::Ward),
    );
    assert_eq!(a.len(), 21);
    assert_eq!(a.len(), b.len());
    for (f, g) in a.iter().zip(b) {
        assert_eq!(f["properties"], g["properties"]);
        assert_eq!(as_multi(f), as_multi(g), "{}", f["id"]);
    }
    for level in AreaLevel::ALL {
        let (a, b) = (from_gpkg.data(level), bundled.data(level));
        assert_eq!(a.len(), b.len(), "{level:?}");
        for (x, y) in a.iter().zip(b) {
            assert_eq!((x.population, x.need), (y.population, y.need));
        }
    }
    // The LSOAs went to the grid and back: within a millionth of a degree (~0.1 m).
    for (f, g) in from_gpkg
        .boundaries(AreaLevel::Lsoa)
        .iter()
        .zip(bundled.boundaries(AreaLevel::Lsoa))
    {
        assert_eq!(f["id"], g["id"]);
        let first = |v: &Value| {
            let mut c = &v["geometry"]["coordinates"];
            while c[0].is_array() {
                c = &c[0];
            }
            (c[0].as_f64().unwrap(), c[1].as_f64().unwrap())
        };
        let ((x1, y1), (x2, y2)) = (first(f), first(g));
        assert!(
            (x1 - x2).abs() < 1e-6 && (y1 - y2).abs() < 1e-6,
            "{}",
            f["id"]
        );
    }
}
