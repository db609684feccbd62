//! CQL2 predicates (`predicate.rs`) on 100,000 synthetic assets (seed 42): reading and binding
//! a filter, and running it over every asset, beside the packed `Filter` doing the same
//! category test, so the cost of a CQL2 `filter` against the facets is on record.
//!
//! Run: `cargo bench -p assetmap-index --bench predicate`.

use assetmap_core::Category;
use assetmap_index::predicate::Predicate;
use assetmap_index::{Engine, Filter};
use assetmap_synthetic as synthetic;
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use std::time::Duration;

const N: usize = 100_000;

fn bind(text: &str) -> Predicate {
    Predicate::bind(&assetmap_cql2::parse_text(text).expect("a valid filter"))
        .expect("bound to the queryables")
}

fn predicates(c: &mut Criterion) {
    let engine = Engine::new(synthetic::assets(42, N));
    let mut g = c.benchmark_group("cql2_100k");
    g.sample_size(20)
        .measurement_time(Duration::from_secs(4))
        .warm_up_time(Duration::from_secs(1));
    let typical = "A_OVERLAPS(categories, ('food', 'faith')) AND NOT (audience.min_age >= 18) \
                   AND name LIKE '%Club%'";
    g.bench_function("parse_and_bind", |b| b.iter(|| black_box(bind(typical))));
    for (name, text) in [
        ("category_eq", "categories = 'food'"),
        ("like_name", "CASEI(name) LIKE '%club%'"),
        ("typical", typical),
        (
            "s_intersects_polygon",
            "S_INTERSECTS(geometry, POLYGON((-2.40 53.40, -2.20 53.40, -2.20 53.50, -2.40 53.50, -2.40 53.40)))",
        ),
    ] {
        let p = bind(text);
        g.bench_function(name, |b| {
            b.iter(|| black_box(engine.iter().filter(|a| p.matches(a)).count()))
        });
    }
    let food = Filter {
        categories: vec![Category::Food],
        ..Filter::default()
    };
    g.bench_function("facets_category_for_comparison", |b| {
        b.iter(|| black_box(engine.count(&food)))
    });
    g.finish();
}

criterion_group!(benches, predicates);
criterion_main!(benches);
