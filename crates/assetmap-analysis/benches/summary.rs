//! Per-area figures on the bundled Trafford data: the ward summary with every category (the
//! default of `/collections/areas-ward/items` and `/areas/ward/summary.csv`), three ways:
//!
//! 1. **cold**: a new [`AreaFigures`] (as after start-up or a restart): `refresh` places every
//!    counted asset in its areas (point in polygon, 4 levels), then `summary` computes the
//!    nearest-asset distance of every postcode for each of the 16 categories;
//! 2. **warm**: the cache up to date, `summary` only counts and aggregates;
//! 3. **after one added asset** (incremental): the cache warm for the bundled assets, then
//!    `refresh` on an engine with one more (food) asset and `summary`: only the new asset is
//!    placed and food's distances are updated by a minimum.
//!
//! Run: `cargo bench -p assetmap-analysis --bench summary` (figures in `BENCHMARKS.md`).
//! Replaces the `summary_timings` test that printed these without checking anything.

use assetmap_analysis::{summary, AreaFigures, SummaryQuery};
use assetmap_core::{Asset, AssetDraft, AssetId};
use assetmap_index::{AreaLevel, Engine};
use assetmap_place::Place;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data")
}

/// A new food asset in Altrincham town centre (inside the ward).
fn one_more() -> Asset {
    let draft = AssetDraft {
        name: Some("Bench Pantry".to_owned()),
        abcd_type: Some("association".to_owned()),
        categories: vec!["food".to_owned()],
        ..AssetDraft::default()
    };
    let valid = draft
        .validate(Some((-2.3530, 53.3875)))
        .expect("a valid draft");
    Asset::create(
        AssetId::parse("bench:1").expect("a valid id"),
        valid,
        chrono::Utc::now(),
    )
}

fn bench(c: &mut Criterion) {
    let t = Instant::now();
    let place = Place::load(&data_dir()).expect("the bundled place data");
    let file = std::fs::File::open(data_dir().join("trafford/assets.geojson"))
        .expect("the bundled assets");
    let assets =
        assetmap_io::read_feature_collection(std::io::BufReader::new(file), chrono::Utc::now())
            .expect("the bundled assets read");
    eprintln!(
        "place ({} postcodes) and {} assets loaded in {:.2?}",
        place.postcodes().len(),
        assets.len(),
        t.elapsed()
    );
    let mut plus = assets.clone();
    plus.push(one_more());
    let engine = Engine::new(assets);
    let engine_plus = Engine::new(plus);
    let q = SummaryQuery::default();
    let today = chrono::Utc::now().date_naive();

    let mut g = c.benchmark_group("ward summary, 16 categories");
    g.sample_size(20);
    g.bench_function("cold (refresh + summary, new cache)", |b| {
        b.iter_batched(
            AreaFigures::default,
            |figures| {
                figures.refresh(&engine, 1, &place);
                black_box(summary(&figures, &place, AreaLevel::Ward, &q, today))
            },
            BatchSize::PerIteration,
        )
    });

    let warm = AreaFigures::default();
    warm.refresh(&engine, 1, &place);
    warm.warm(&place);
    g.bench_function("warm (summary)", |b| {
        b.iter(|| black_box(summary(&warm, &place, AreaLevel::Ward, &q, today)))
    });

    g.bench_function(
        "after one added asset (refresh + summary, incremental)",
        |b| {
            b.iter_batched(
                || {
                    let f = AreaFigures::default();
                    f.refresh(&engine, 1, &place);
                    f.warm(&place);
                    f
                },
                |figures| {
                    figures.refresh(&engine_plus, 2, &place);
                    black_box(summary(&figures, &place, AreaLevel::Ward, &q, today))
                },
                BatchSize::PerIteration,
            )
        },
    );
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
