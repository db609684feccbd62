//! The vector tiles decoded by an independent reader: GDAL's MVT driver (`ogrinfo`).
#![allow(clippy::unwrap_used)]

use assetmap_index::tiles::{Tile, TileId, EXTENT};
use assetmap_index::{Engine, Filter};
use assetmap_synthetic as synthetic;
use std::collections::BTreeMap;
use std::path::Path;

/// Sale, a busy synthetic town centre.
const SALE: (f64, f64) = (-2.3183, 53.4242);
/// Web Mercator's sphere radius (EPSG:3857), metres.
const R: f64 = 6_378_137.0;

/// One decoded feature: its fields as GDAL prints them, and its point in EPSG:3857 metres.
#[derive(Debug)]
struct Decoded {
    fields: BTreeMap<String, String>,
    point: (f64, f64),
}

/// Reads every feature of the tile back with `ogrinfo`: one layer, `assets`; nothing said.
fn ogr_features(dir: &Path, id: TileId, bytes: &[u8]) -> Vec<Decoded> {
    let read = assetmap_testing::gdal::read_mvt(dir, id.z, id.x, id.y, bytes);
    assert!(
        !read.stderr.contains("ERROR") && !read.stderr.contains("Warning"),
        "ogrinfo complained: {}",
        read.stderr
    );
    read.features
        .into_iter()
        .map(|f| {
            assert_eq!(f.layer, "assets", "{f:?}");
            Decoded {
                point: f.point.unwrap_or_else(|| panic!("no point in {f:?}")),
                fields: f.fields,
            }
        })
        .collect()
}

/// EPSG:3857 metres of a WGS84 position.
fn mercator(lon: f64, lat: f64) -> (f64, f64) {
    let y = (std::f64::consts::FRAC_PI_4 + lat.to_radians() / 2.0)
        .tan()
        .ln();
    (lon.to_radians() * R, y * R)
}

/// Metres per tile unit at zoom `z`.
fn unit_m(z: u8) -> f64 {
    2.0 * std::f64::consts::PI * R / f64::from(1u32 << z) / f64::from(EXTENT)
}

#[test]
fn gdal_reads_every_asset_of_a_z16_tile_where_it_is() {
    let engine = Engine::new(synthetic::assets(3, 40_000));
    let dir = tempfile::tempdir().unwrap();
    let id = TileId::containing(SALE.0, SALE.1, 16);
    let tile: Tile = engine.tile(id, &Filter::default());
    assert!(tile.is_points());
    let bytes = assetmap_io::mvt::encode(&tile);
    let decoded = ogr_features(dir.path(), id, &bytes);

    // GDAL clips to the tile: it reads the points inside it, not the buffer.
    let inside: Vec<_> = tile.points.iter().filter(|p| p.in_tile()).collect();
    assert!(inside.len() > 20, "{}", inside.len());
    assert_eq!(decoded.len(), inside.len());
    let by_id: BTreeMap<&str, &Decoded> = decoded
        .iter()
        .map(|d| (d.fields["id"].as_str(), d))
        .collect();
    assert_eq!(by_id.len(), inside.len(), "each asset once");
    for p in inside {
        let a = &p.asset;
        let d = by_id[a.id.as_str()];
        assert_eq!(d.fields["name"], a.name.as_str());
        assert_eq!(d.fields["abcd_type"], a.abcd_type.slug());
        assert_eq!(d.fields["status"], a.status.slug());
        let slugs: Vec<&str> = a.categories.iter().map(|c| c.slug()).collect();
        assert_eq!(d.fields["categories"], slugs.join(","));
        // Within one tile unit (positions are rounded down to a unit): ~2.4 m at z16.
        let (mx, my) = mercator(a.location.lon(), a.location.lat());
        let tol = 1.5 * unit_m(16);
        assert!(
            (d.point.0 - mx).abs() < tol && (d.point.1 - my).abs() < tol,
            "{} decoded at {:?}, is at {:?}",
            a.id,
            d.point,
            (mx, my)
        );
    }
}

#[test]
fn gdal_reads_clusters_whose_counts_add_up() {
    let engine = Engine::new(synthetic::assets(3, 40_000));
    let dir = tempfile::tempdir().unwrap();
    for z in [0u8, 8, 12, 14] {
        let id = TileId::containing(SALE.0, SALE.1, z);
        let tile = engine.tile(id, &Filter::default());
        let decoded = ogr_features(dir.path(), id, &assetmap_io::mvt::encode(&tile));
        let mut total = 0u64;
        let mut clusters = 0;
        for d in &decoded {
            if d.fields.get("cluster").is_some_and(|c| c == "1") {
                clusters += 1;
                let n: u64 = d.fields["point_count"].parse().unwrap();
                let mix: u64 = d
                    .fields
                    .iter()
                    .filter(|(k, _)| k.starts_with("abcd_"))
                    .map(|(_, v)| v.parse::<u64>().unwrap())
                    .sum();
                assert_eq!(mix, n, "z{z}: {:?}", d.fields);
                total += n;
            } else {
                assert!(d.fields.contains_key("id"), "z{z}: {:?}", d.fields);
                total += 1;
            }
        }
        assert_eq!(clusters, tile.clusters.len(), "z{z}");
        assert_eq!(total, tile.asset_count(), "z{z}");
    }
}

#[test]
fn an_empty_tile_is_empty() {
    let engine = Engine::new(synthetic::assets(3, 100));
    let tile = engine.tile(TileId::new(3, 0, 0).unwrap(), &Filter::default());
    assert_eq!(tile.asset_count(), 0);
    assert!(assetmap_io::mvt::encode(&tile).is_empty());
}
