//! Engine benchmarks on 1,000,000 synthetic assets (seed 42, see `assetmap_synthetic`).
//!
//! Run: `cargo bench -p assetmap-index --bench engine` (set `ENGINE_BENCH_N` for a smaller
//! set). Query origins are 1,000 seeded points near synthetic assets (where people search),
//! cycled through so that caches do not flatter the figures.

use assetmap_core::{Category, LonLat, Status};
use assetmap_index::{BBox, Engine, Filter};
use assetmap_synthetic as synthetic;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use std::hint::black_box;
use std::sync::OnceLock;
use std::time::Duration;

fn n() -> usize {
    std::env::var("ENGINE_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}

fn assets() -> &'static Vec<assetmap_core::Asset> {
    static A: OnceLock<Vec<assetmap_core::Asset>> = OnceLock::new();
    A.get_or_init(|| synthetic::assets(42, n()))
}

fn engine() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(|| Engine::new(assets().clone()))
}

/// 1,000 origins: every few-thousandth asset's location, nudged by up to ~300 m.
fn origins() -> Vec<LonLat> {
    let a = assets();
    (0..1_000)
        .filter_map(|i| {
            let p = a[(i * 7_919) % a.len()].location;
            let (dx, dy) = (((i * 37) % 11) as f64 - 5.0, ((i * 53) % 11) as f64 - 5.0);
            LonLat::new(p.lon() + dx * 0.0008, p.lat() + dy * 0.0005).ok()
        })
        .collect()
}

fn build(c: &mut Criterion) {
    let mut g = c.benchmark_group("engine_build");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(40))
        .warm_up_time(Duration::from_secs(1));
    g.bench_function(format!("new_{}", n()), |b| {
        b.iter_batched(|| assets().clone(), Engine::new, BatchSize::PerIteration)
    });
    g.finish();
}

fn queries(c: &mut Criterion) {
    let e = engine();
    let pts = origins();
    let mut g = c.benchmark_group("engine_query");
    g.sample_size(30)
        .measurement_time(Duration::from_secs(6))
        .warm_up_time(Duration::from_secs(1));
    let any = Filter::default();
    let default_status = Filter {
        statuses: vec![Status::Active, Status::TemporarilyClosed],
        ..Filter::default()
    };
    let sport = Filter {
        categories: vec![Category::PhysicalActivitySport],
        ..default_status.clone()
    };
    let mut i = 0;
    let mut next = || {
        i = (i + 1) % pts.len();
        pts[i]
    };
    g.bench_function("nearest_k20", |b| {
        b.iter(|| black_box(e.nearest(black_box(next()), 20, &any).len()))
    });
    g.bench_function("nearest_k20_status", |b| {
        b.iter(|| black_box(e.nearest(black_box(next()), 20, &default_status).len()))
    });
    g.bench_function("within_1km", |b| {
        b.iter(|| black_box(e.within(black_box(next()), 1_000.0, &any).len()))
    });
    g.bench_function("within_2km_category", |b| {
        b.iter(|| black_box(e.within(black_box(next()), 2_000.0, &sport).len()))
    });
    // A map view at about zoom 15 (~2.7 km x 1.7 km) and a district view (~13 km x 11 km).
    let view = |p: LonLat, dlon: f64, dlat: f64| {
        BBox::new(
            p.lon() - dlon,
            p.lat() - dlat,
            p.lon() + dlon,
            p.lat() + dlat,
        )
        .unwrap_or(BBox::WORLD)
    };
    g.bench_function("bbox_street_view", |b| {
        b.iter(|| black_box(e.bbox(&view(next(), 0.02, 0.008), &default_status).len()))
    });
    g.bench_function("bbox_district_page100", |b| {
        b.iter(|| {
            black_box(
                e.bbox_page(&view(next(), 0.1, 0.05), &default_status, 0, 100)
                    .number_matched,
            )
        })
    });
    g.bench_function("bbox_district_count", |b| {
        b.iter(|| black_box(e.bbox_count(&view(next(), 0.1, 0.05), &default_status)))
    });
    g.finish();

    let mut g = c.benchmark_group("engine_scan");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(5))
        .warm_up_time(Duration::from_secs(1));
    g.bench_function("scan_page100_status", |b| {
        b.iter(|| black_box(e.scan_page(&default_status, 5_000, 100).number_matched))
    });
    g.bench_function("scan_page100_category", |b| {
        b.iter(|| black_box(e.scan_page(&sport, 0, 100).number_matched))
    });
    g.bench_function("scan_page100_unfiltered", |b| {
        b.iter(|| black_box(e.scan_page(&any, 500_000, 100).items.len()))
    });
    g.finish();
}

/// Writes into the full engine: an asset replaced where it is (renamed: its text index chunk is
/// rewritten), and one moved about 2 km (out of its chunk into another, and across the R-tree).
fn writes(c: &mut Criterion) {
    let base = assets();
    let mut engine = Engine::new(base.clone());
    let mut g = c.benchmark_group("engine_write");
    let mut i = 0usize;
    let mut next = |base: &[assetmap_core::Asset]| {
        i = (i + 7_919) % base.len();
        let mut a = base[i].clone();
        a.version += 1;
        a
    };
    g.bench_function("upsert_renamed", |b| {
        b.iter_batched(
            || {
                let mut a = next(base);
                a.name = assetmap_core::AssetName::parse(&format!("{} Gardening Club", a.name))
                    .unwrap_or(a.name);
                a
            },
            |a| black_box(engine.upsert(a)),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("upsert_moved_2km", |b| {
        b.iter_batched(
            || {
                let mut a = next(base);
                let p = a.location;
                a.location = LonLat::new(p.lon() + 0.02, p.lat() + 0.01).unwrap_or(p);
                a
            },
            |a| black_box(engine.upsert(a)),
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(benches, queries, writes, build);
criterion_main!(benches);
