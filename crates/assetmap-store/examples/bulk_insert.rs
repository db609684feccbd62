//! Measures `GeoPackageStore::insert_many` on synthetic assets.
//!
//! ```text
//! cargo run --release -p assetmap-store --example bulk_insert -- [COUNT] [FILE]
//! ```
//! COUNT defaults to 1,000,000; FILE to a temporary `bulk.gpkg` (removed afterwards). The
//! assets are `assetmap_synthetic::assets(42, COUNT)`: realistic, fully varied records, the
//! same every run (seeded).

use assetmap_store::gpkg::GeoPackageStore;
use assetmap_store::AssetStore;
use std::time::Instant;

/// CPU time (user + system) of this process so far, in seconds, from `/proc/self/stat`
/// (Linux, clock ticks of 1/100 s). Reported beside wall time because the build machine is
/// shared: wall time there includes waiting for a CPU.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let count: usize = args
        .next()
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir()?;
    let path = args
        .next()
        .map_or_else(|| dir.path().join("bulk.gpkg"), Into::into);

    let t = Instant::now();
    let assets = assetmap_synthetic::assets(42, count);
    println!("generated {count} assets in {:.2?}", t.elapsed());

    let store = GeoPackageStore::open(&path)?;
    let t = Instant::now();
    let cpu0 = cpu_seconds();
    let seq = store
        .insert_many(
            &assets,
            &assetmap_core::ChangeBy::system(assetmap_core::Via::Seed),
        )
        .await?;
    let secs = t.elapsed().as_secs_f64();
    let cpu = cpu_seconds().zip(cpu0).map_or(f64::NAN, |(b, a)| b - a);
    println!(
        "insert_many: {count} assets in {secs:.2} s wall = {:.0} assets/s; {cpu:.2} s CPU = {:.0} assets per CPU-second (last seq {seq})",
        count as f64 / secs,
        count as f64 / cpu
    );

    let t = Instant::now();
    let loaded = store.all().await?;
    let secs = t.elapsed().as_secs_f64();
    println!(
        "all(): {} assets in {secs:.2} s = {:.0} assets/s",
        loaded.len(),
        loaded.len() as f64 / secs
    );
    assert_eq!(loaded.len(), count);
    assert!(
        loaded.iter().zip(&assets).all(|(a, b)| a == b),
        "every asset reads back equal"
    );
    let size = std::fs::metadata(&path)?.len()
        + std::fs::metadata(path.with_extension("gpkg-wal"))
            .map(|m| m.len())
            .unwrap_or(0);
    println!(
        "file size: {:.1} MB ({} bytes/asset)",
        size as f64 / 1e6,
        size / count.max(1) as u64
    );
    Ok(())
}
