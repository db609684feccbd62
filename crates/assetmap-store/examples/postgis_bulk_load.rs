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
    let assets = assetmap_synthetic::assets(42, n);
    println!(
        "generated {n} synthetic assets in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let store = PostgisStore::open(&url).await?;
    let (client_cpu, server_cpu) = (cpu_seconds(Who::ThisProcess), cpu_seconds(Who::Postgres));
    let started = Instant::now();
    let seq = store
        .insert_many(
            &assets,
            &assetmap_core::ChangeBy::system(assetmap_core::Via::Seed),
        )
        .await?;
    let secs = started.elapsed().as_secs_f64();
    let client_cpu = cpu_seconds(Who::ThisProcess) - client_cpu;
    let server_cpu = cpu_seconds(Who::Postgres) - server_cpu;
    println!(
        "insert_many (binary COPY, one transaction, indexes rebuilt after): {n} assets in {secs:.1} s wall = {:.0} rows/s (last seq {seq})",
        n as f64 / secs
    );
    println!(
        "  CPU: {client_cpu:.1} s in this process, {server_cpu:.1} s in PostgreSQL = {:.0} rows per CPU-second; load average now {}",
        n as f64 / (client_cpu + server_cpu),
        std::fs::read_to_string("/proc/loadavg").unwrap_or_default().split(' ').take(3).collect::<Vec<_>>().join(" ")
    );
    drop(assets);

    let (client_cpu, server_cpu) = (cpu_seconds(Who::ThisProcess), cpu_seconds(Who::Postgres));
    let started = Instant::now();
    let back = store.all().await?;
    let client_cpu = cpu_seconds(Who::ThisProcess) - client_cpu;
    let server_cpu = cpu_seconds(Who::Postgres) - server_cpu;
    println!(
        "all(): {} assets read back in {:.1} s = {:.0} rows/s",
        back.len(),
        started.elapsed().as_secs_f64(),
        back.len() as f64 / started.elapsed().as_secs_f64()
    );
    println!("  CPU: {client_cpu:.1} s in this process, {server_cpu:.1} s in PostgreSQL");
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

enum Who {
    ThisProcess,
    /// Every process named `postgres` (the test cluster's postmaster and backends).
    Postgres,
}

/// User + system CPU seconds so far, from /proc (Linux); 0 elsewhere.
fn cpu_seconds(who: Who) -> f64 {
    let ticks: f64 = std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0);
    let of_stat = |stat: &str| -> Option<(String, f64)> {
        // pid (comm) state … utime stime: fields 14 and 15, counted after the `)`.
        let (head, rest) = stat.rsplit_once(')')?;
        let comm = head.split_once('(')?.1.to_owned();
        let f: Vec<&str> = rest.split_whitespace().collect();
        let t = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
        Some((comm, t / ticks))
    };
    match who {
        Who::ThisProcess => std::fs::read_to_string("/proc/self/stat")
            .ok()
            .and_then(|s| of_stat(&s))
            .map_or(0.0, |(_, t)| t),
        Who::Postgres => std::fs::read_dir("/proc")
            .map(|dir| {
                dir.filter_map(|e| e.ok())
                    .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
                    .filter_map(|s| of_stat(&s))
                    .filter(|(comm, _)| comm == "postgres")
                    .map(|(_, t)| t)
                    .sum()
            })
            .unwrap_or(0.0),
    }
}
