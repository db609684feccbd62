//! Encoded sizes of map tiles on synthetic assets: for every zoom 0..=16, the largest Mapbox
//! Vector Tile among the tiles holding a sample of the assets, and the tile over Manchester's
//! centre (the densest place), with the time to encode it.
//!
//! Run: `cargo run --release -p assetmap-io --example tile_sizes [N]` (N defaults to 1,000,000;
//! the sizes do not depend on the build profile, the times do).

use assetmap_core::Status;
use assetmap_index::tiles::{TileId, MAX_ZOOM};
use assetmap_index::{Engine, Filter};
use assetmap_synthetic as synthetic;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

/// Manchester's centre, the densest synthetic town.
const MANCHESTER: (f64, f64) = (-2.2426, 53.4808);

fn main() {
    let n = std::env::args()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let engine = Engine::new(synthetic::assets(42, n));
    let shown = Filter {
        statuses: Status::SHOWN_BY_DEFAULT.to_vec(),
        ..Filter::default()
    };
    let sample: Vec<(f64, f64)> = engine
        .iter()
        .step_by(97)
        .map(|a| (a.location.lon(), a.location.lat()))
        .collect();
    println!("{n} synthetic assets (seed 42), filter: statuses shown by default");
    println!(
        "zoom  tiles  largest(bytes)  slowest encode(ms)  manchester(bytes)  manchester features"
    );
    for z in 0..=MAX_ZOOM {
        let ids: BTreeSet<(u32, u32)> = sample
            .iter()
            .map(|&(lon, lat)| TileId::containing(lon, lat, z))
            .map(|t| (t.x, t.y))
            .collect();
        let step = ids.len().div_ceil(2_000).max(1);
        let (mut largest, mut slowest, mut count) = (0, Duration::ZERO, 0);
        for (x, y) in ids.into_iter().step_by(step) {
            let tile = engine.tile(TileId { z, x, y }, &shown);
            let t = Instant::now();
            let bytes = assetmap_io::mvt::encode(&tile);
            slowest = slowest.max(t.elapsed());
            largest = largest.max(bytes.len());
            count += 1;
        }
        let id = TileId::containing(MANCHESTER.0, MANCHESTER.1, z);
        let tile = engine.tile(id, &shown);
        let bytes = assetmap_io::mvt::encode(&tile);
        println!(
            "{z:>4}  {count:>5}  {largest:>14}  {:>18.3}  {:>17}  {} points, {} clusters",
            slowest.as_secs_f64() * 1e3,
            bytes.len(),
            tile.points.len(),
            tile.clusters.len()
        );
    }
}
