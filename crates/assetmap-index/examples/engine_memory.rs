//! Build time and resident memory of the engine on N synthetic assets (default 1,000,000).
//!
//! `cargo run --release -p assetmap-index --example engine_memory [N]`
//!
//! Resident memory is read from `/proc/self/status` (`VmRSS`, and the peak `VmHWM`), so it
//! works on Linux only. The engine is measured as the RSS after building it minus the RSS
//! before generating the assets: the assets are moved into the engine, so this is everything
//! the engine holds (assets and indexes).

use assetmap_core::{Category, LonLat, Status};
use assetmap_index::{BBox, Engine, Filter};
use assetmap_synthetic as synthetic;
use std::time::Instant;

fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let rss0 = status_kib("VmRSS:");
    let t = Instant::now();
    let assets = synthetic::assets(42, n);
    let gen = t.elapsed();
    let rss_assets = status_kib("VmRSS:");
    let t = Instant::now();
    let engine = Engine::new(assets);
    let build = t.elapsed();
    let rss_engine = status_kib("VmRSS:");
    println!("assets:             {n}");
    println!("generate:           {:.2} s", gen.as_secs_f64());
    println!("Engine::new:        {:.2} s", build.as_secs_f64());
    println!("RSS before:         {:.0} MiB", mib(rss0));
    println!("RSS assets (Vec):   {:.0} MiB", mib(rss_assets - rss0));
    println!(
        "RSS engine:         {:.0} MiB ({:.0} B per asset)",
        mib(rss_engine - rss0),
        (rss_engine - rss0) as f64 * 1024.0 / n as f64
    );
    println!(
        "  of which indexes: {:.0} MiB",
        mib(rss_engine.saturating_sub(rss_assets))
    );
    println!(
        "  of which text:    {:.0} MiB (heap, counted)",
        engine.text_index().heap_bytes() as f64 / 1024.0 / 1024.0
    );
    for (part, bytes) in engine.text_index().heap_parts() {
        println!("    {part:<24} {:.1} MiB", bytes as f64 / 1024.0 / 1024.0);
    }
    println!(
        "  chunks: {}, postings: {}",
        engine.text_index().chunk_count(),
        engine.text_index().posting_count()
    );
    println!(
        "  of which records: {:.0} MiB (heap, counted: ids, compressed records, dictionary)",
        engine.records_heap_bytes() as f64 / 1024.0 / 1024.0
    );
    println!("peak RSS (VmHWM):   {:.0} MiB", mib(status_kib("VmHWM:")));
    let t = Instant::now();
    let decoded = engine.iter().count();
    println!(
        "decode every record: {:.2} s ({:.2} µs each, one core)",
        t.elapsed().as_secs_f64(),
        t.elapsed().as_secs_f64() * 1e6 / decoded.max(1) as f64
    );
    println!(
        "size_of::<Asset>(): {} B",
        std::mem::size_of::<assetmap_core::Asset>()
    );
    // The result sizes behind the benchmark figures (same origins as benches/engine.rs).
    let origins: Vec<LonLat> = (0..1_000)
        .filter_map(|i| {
            let p = engine
                .scan_page(&Filter::default(), (i * 7_919) % n, 1)
                .items
                .first()?
                .location;
            let (dx, dy) = (((i * 37) % 11) as f64 - 5.0, ((i * 53) % 11) as f64 - 5.0);
            LonLat::new(p.lon() + dx * 0.0008, p.lat() + dy * 0.0005).ok()
        })
        .collect();
    let status = Filter {
        statuses: vec![Status::Active, Status::TemporarilyClosed],
        ..Filter::default()
    };
    let sport = Filter {
        categories: vec![Category::PhysicalActivitySport],
        ..status.clone()
    };
    let view = |p: &LonLat, dlon: f64, dlat: f64| {
        BBox::new(
            p.lon() - dlon,
            p.lat() - dlat,
            p.lon() + dlon,
            p.lat() + dlat,
        )
        .unwrap_or(BBox::WORLD)
    };
    let mean = |f: &dyn Fn(&LonLat) -> usize| {
        origins.iter().map(f).sum::<usize>() as f64 / origins.len() as f64
    };
    println!(
        "mean hits, within 1 km:              {:.0}",
        mean(&|p| engine.within(*p, 1_000.0, &Filter::default()).len())
    );
    println!(
        "mean hits, within 2 km + category:   {:.0}",
        mean(&|p| engine.within(*p, 2_000.0, &sport).len())
    );
    println!(
        "mean hits, bbox street view:         {:.0}",
        mean(&|p| engine.bbox(&view(p, 0.02, 0.008), &status).len())
    );
    println!(
        "mean matched, bbox district view:    {:.0}",
        mean(&|p| engine.bbox_count(&view(p, 0.1, 0.05), &status))
    );
    println!(
        "matched, whole-collection status:    {}",
        engine.count(&status)
    );
    println!(
        "matched, whole-collection category:  {}",
        engine.count(&sport)
    );
}
