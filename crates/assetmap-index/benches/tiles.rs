//! Map tiles (`Engine::tile`) on 1,000,000 synthetic assets (seed 42, see `assetmap_synthetic`).
//!
//! The target (issue 21): no tile over 50 ms at any zoom (and none over 500 KB encoded; the
//! sizes come from `cargo run -p assetmap-io --example tile_sizes`).
//!
//! Three parts:
//! 1. what the tile index costs: its size and the time to build it (at engine start-up);
//! 2. a sweep of every zoom 0..=16 over up to 2,000 tiles that hold assets (the tiles of a
//!    sample of the assets), each timed alone: the slowest tile and the largest per zoom;
//! 3. criterion benches of the tile over Manchester's centre, the densest place, at zooms 0,
//!    5, 10, 14, 15 and 16, with no filter, with the map page's filters, and with words.
//!
//! Run: `cargo bench -p assetmap-index --bench tiles` (set `TILES_BENCH_N` for a smaller set).

use assetmap_core::{Category, Status};
use assetmap_index::tiles::{self, TileId, MAX_ZOOM};
use assetmap_index::{Engine, Filter, TextQuery};
use assetmap_synthetic as synthetic;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::collections::BTreeSet;
use std::hint::black_box;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Manchester's centre, the densest synthetic town.
const MANCHESTER: (f64, f64) = (-2.2426, 53.4808);

fn n() -> usize {
    std::env::var("TILES_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}

fn engine() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| {
        let t = Instant::now();
        let assets = synthetic::assets(42, n());
        let generated = t.elapsed();
        let t = Instant::now();
        let e = Engine::new(assets);
        eprintln!(
            "{} synthetic assets generated in {generated:.2?}, engine built in {:.2?}",
            e.len(),
            t.elapsed()
        );
        e
    })
}

/// The map page's filters: the statuses it shows, and the same with one category.
fn map_filters() -> [(&'static str, Filter); 3] {
    let shown = Filter {
        statuses: Status::SHOWN_BY_DEFAULT.to_vec(),
        ..Filter::default()
    };
    let food = Filter {
        categories: vec![Category::Food],
        ..shown.clone()
    };
    [
        ("none", Filter::default()),
        ("shown", shown),
        ("shown+food", food),
    ]
}

fn index_cost() {
    let e = engine();
    let mut best = Duration::MAX;
    let mut bytes = 0;
    for _ in 0..3 {
        let t = Instant::now();
        bytes = black_box(tiles::rebuild_index(e));
        best = best.min(t.elapsed());
    }
    eprintln!(
        "tile index: {:.1} MiB ({} bytes per asset), built in {best:.2?} (best of 3)",
        bytes as f64 / (1024.0 * 1024.0),
        bytes / e.len().max(1)
    );
}

fn sweep() {
    let e = engine();
    let sample: Vec<(f64, f64)> = e
        .iter()
        .step_by(97)
        .map(|a| (a.location.lon(), a.location.lat()))
        .collect();
    let (_, shown) = map_filters()[1].clone();
    let words = TextQuery::parse("gardening");
    eprintln!("filter: the statuses shown by default; then with the words \"gardening\" too");
    eprintln!("zoom  tiles  slowest(ms)  mean(ms)  most points  most clusters  most assets  slowest with words(ms)");
    for z in 0..=MAX_ZOOM {
        let distinct: BTreeSet<(u32, u32)> = sample
            .iter()
            .map(|&(lon, lat)| TileId::containing(lon, lat, z))
            .map(|t| (t.x, t.y))
            .collect();
        // Every k-th of them, so that at most 2,000 are timed, spread over the data.
        let step = distinct.len().div_ceil(2_000).max(1);
        let ids: Vec<TileId> = distinct
            .into_iter()
            .step_by(step)
            .map(|(x, y)| TileId { z, x, y })
            .collect();
        let (mut slowest, mut total, mut slowest_words) =
            (Duration::ZERO, Duration::ZERO, Duration::ZERO);
        let (mut points, mut clusters, mut assets) = (0, 0, 0);
        for id in &ids {
            let t = Instant::now();
            let tile = black_box(e.tile(*id, &shown));
            let took = t.elapsed();
            slowest = slowest.max(took);
            total += took;
            points = points.max(tile.points.len());
            clusters = clusters.max(tile.clusters.len());
            assets = assets.max(tile.asset_count());
            let t = Instant::now();
            black_box(e.tile_matching(*id, &shown, &words));
            slowest_words = slowest_words.max(t.elapsed());
        }
        eprintln!(
            "{z:>4}  {:>5}  {:>11.3}  {:>8.3}  {points:>11}  {clusters:>13}  {assets:>11}  {:>22.3}",
            ids.len(),
            slowest.as_secs_f64() * 1e3,
            total.as_secs_f64() * 1e3 / ids.len().max(1) as f64,
            slowest_words.as_secs_f64() * 1e3
        );
    }
}

fn bench_tiles(c: &mut Criterion) {
    engine();
    index_cost();
    sweep();
    let e = engine();
    let mut g = c.benchmark_group("tile_manchester");
    for z in [0u8, 5, 10, 14, 15, 16] {
        let id = TileId::containing(MANCHESTER.0, MANCHESTER.1, z);
        for (name, f) in map_filters() {
            let tile = e.tile(id, &f);
            eprintln!(
                "z{z} {}/{}/{} filter {name}: {} assets, {} points, {} clusters",
                id.z,
                id.x,
                id.y,
                tile.asset_count(),
                tile.points.len(),
                tile.clusters.len()
            );
            g.bench_with_input(BenchmarkId::new(format!("z{z}"), name), &f, |b, f| {
                b.iter(|| e.tile(black_box(id), black_box(f)))
            });
        }
        let (_, shown) = map_filters()[1].clone();
        let words = TextQuery::parse("gardening");
        let tile = e.tile_matching(id, &shown, &words);
        eprintln!(
            "z{z} {}/{}/{} filter shown, words gardening: {} assets",
            id.z,
            id.x,
            id.y,
            tile.asset_count()
        );
        g.bench_function(BenchmarkId::new(format!("z{z}"), "shown+gardening"), |b| {
            b.iter(|| e.tile_matching(black_box(id), black_box(&shown), black_box(&words)))
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = bench_tiles
}
criterion_main!(benches);
