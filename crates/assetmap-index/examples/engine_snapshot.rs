//! Time to write and read an engine snapshot of N synthetic assets (default 1,000,000), its
//! size, and the time to build the same engine from the assets for comparison.
//!
//! `cargo run --release -p assetmap-index --example engine_snapshot [N] [FILE]`
//!
//! FILE defaults to `engine-snapshot.bin` in the system's temporary directory; it is removed
//! at the end. The read is timed twice: the first may come from disk, the second from the
//! page cache; then once more keeping the records in the file (`SnapshotReader::open_file`),
//! with the time to copy the records and to decode every one read from the file. The allocator
//! is the server's (mimalloc): reading makes millions of small
//! allocations, and with the system allocator a read takes about a quarter longer.

use assetmap_index::{Engine, SnapshotReader};
use assetmap_synthetic as synthetic;
use std::io::{BufReader, BufWriter};
use std::time::Instant;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args
        .next()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let path = args
        .next()
        .map(Into::into)
        .unwrap_or_else(|| std::env::temp_dir().join("engine-snapshot.bin"));
    let assets = synthetic::assets(42, n);
    let t = Instant::now();
    let engine = Engine::new(assets);
    println!("assets:            {n}");
    println!("Engine::new:       {:.2} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let file = std::fs::File::create(&path).expect("create the snapshot file");
    engine
        .write_snapshot(BufWriter::with_capacity(1 << 20, file), "example")
        .expect("write the snapshot");
    println!("write_snapshot:    {:.2} s", t.elapsed().as_secs_f64());
    let size = std::fs::metadata(&path).map_or(0, |m| m.len());
    println!(
        "snapshot size:     {:.0} MiB ({:.0} B per asset)",
        size as f64 / 1048576.0,
        size as f64 / n.max(1) as f64
    );
    drop(engine);
    for pass in ["first", "second"] {
        let t = Instant::now();
        let file = std::fs::File::open(&path).expect("open the snapshot file");
        let engine = SnapshotReader::open(BufReader::with_capacity(1 << 20, file))
            .and_then(SnapshotReader::read_engine)
            .expect("read the snapshot");
        println!(
            "read ({pass}):      {:.2} s ({} assets)",
            t.elapsed().as_secs_f64(),
            engine.len()
        );
        let t = Instant::now();
        let copy = engine.copy_records();
        println!(
            "copy_records:      {:.2} s ({} records in memory)",
            t.elapsed().as_secs_f64(),
            copy.len()
        );
    }
    // Records kept in the file: the engine holds ids and places; each asset handed out is a
    // read of the file.
    let t = Instant::now();
    let file = std::fs::File::open(&path).expect("open the snapshot file");
    let engine = SnapshotReader::open_file(file, true)
        .and_then(SnapshotReader::read_engine)
        .expect("read the snapshot");
    println!(
        "read, records in the file: {:.2} s ({} records in the file, {:.0} MiB of records on the heap)",
        t.elapsed().as_secs_f64(),
        engine.records_in_file(),
        engine.records_heap_bytes() as f64 / 1048576.0
    );
    let t = Instant::now();
    let copy = engine.copy_records();
    println!(
        "copy_records:      {:.2} s ({} records read from the file)",
        t.elapsed().as_secs_f64(),
        copy.len()
    );
    let t = Instant::now();
    let decoded = engine.iter().count();
    println!(
        "decode every record from the file: {:.2} s ({:.2} µs each, one core)",
        t.elapsed().as_secs_f64(),
        t.elapsed().as_secs_f64() * 1e6 / decoded.max(1) as f64
    );
    let _ = std::fs::remove_file(&path);
}
