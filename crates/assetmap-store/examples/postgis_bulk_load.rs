//! Measures `PostgisStore::insert_many` (binary COPY, one transaction) and the cold read of
//! everything back (`all()`, what a server does at start-up) on seeded synthetic assets.
//!
//! ```text
//! bash tests/run.sh -- cargo run --release -p assetmap-store --example postgis_bulk_load -- [COUNT]
//! ```
//! COUNT defaults to 1,000,000. Needs `ASSETMAP_TEST_DATABASE_URL` (a superuser URL, as
//! `bash tests/run.sh` provides): a fresh database is created for the run and dropped after,
//! unless `KEEP=1`, when its URL is printed for further measurements.

use assetmap_store::{AssetStore, PostgisStore};
use std::time::Instant;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("info"))
        .init();
    let n: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let admin_url = std::env::var("ASSETMAP_TEST_DATABASE_URL").map_err(|_| {
        "ASSETMAP_TEST_DATABASE_URL is not set: run this through `bash tests/run.sh -- …`"
    })?;
    let db = format!("assetmap_bulk_{}", std::process::id());
    let (admin, conn) = tokio_postgres::connect(&admin_url, tokio_postgres::NoTls).await?;
    tokio::spawn(conn);
    admin
        .batch_execute(&format!("CREATE DATABASE {db}"))
        .await?;
    let url = match admin_url.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{db}"),
        None => return Err("the URL has no database part".into()),
    };

    let started = Instant::now();
    let assets = assetmap_index::synthetic::assets(42, n);
    println!(
        "generated {n} synthetic assets in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let store = PostgisStore::open(&url).await?;
    let started = Instant::now();
    let seq = store.insert_many(&assets).await?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "insert_many (binary COPY, one transaction, GiST + GIN maintained): {n} assets in {secs:.1} s = {:.0} rows/s (last seq {seq})",
        n as f64 / secs
    );
    drop(assets);

    let started = Instant::now();
    let back = store.all().await?;
    println!(
        "all(): {} assets read back in {:.1} s = {:.0} rows/s",
        back.len(),
        started.elapsed().as_secs_f64(),
        back.len() as f64 / started.elapsed().as_secs_f64()
    );
    let size: String = admin
        .query_one("SELECT pg_size_pretty(pg_database_size($1))", &[&db])
        .await?
        .get(0);
    println!("database size: {size}");
    drop(back);
    drop(store);

    if std::env::var("KEEP").as_deref() == Ok("1") {
        println!("kept: {url}");
    } else {
        admin
            .batch_execute(&format!("DROP DATABASE {db} WITH (FORCE)"))
            .await?;
    }
    Ok(())
}
