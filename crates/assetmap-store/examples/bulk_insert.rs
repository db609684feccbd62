//! Measures `GeoPackageStore::insert_many` on synthetic assets.
//!
//! ```text
//! cargo run --release -p assetmap-store --example bulk_insert -- [COUNT] [FILE]
//! ```
//! COUNT defaults to 1,000,000; FILE to a temporary `bulk.gpkg` (removed afterwards). The
//! assets are the same every run (a seeded generator), about half fully populated.

use assetmap_core::{
    Asset, AssetDraft, AssetId, ContactDraft, CostDraft, OpeningTimesDraft, PeriodDraft, Provenance,
};
use assetmap_store::gpkg::GeoPackageStore;
use assetmap_store::AssetStore;
use chrono::{TimeZone, Utc};
use std::time::Instant;

/// xorshift64*: a fixed sequence, so every run measures the same data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

const CATEGORIES: [&str; 6] = [
    "food",
    "learning",
    "befriending",
    "green_space_nature",
    "faith",
    "carers",
];
const TYPES: [&str; 5] = [
    "association",
    "institution",
    "physical_space",
    "economy",
    "culture",
];

fn synthetic(i: usize, rng: &mut Rng) -> Result<Asset, String> {
    let full = i.is_multiple_of(2);
    let pick = |rng: &mut Rng, n: usize| (rng.next() % n as u64) as usize;
    let mut draft = AssetDraft {
        name: Some(format!("Synthetic asset {i}")),
        abcd_type: Some(TYPES[pick(rng, TYPES.len())].to_owned()),
        categories: vec![
            CATEGORIES[pick(rng, CATEGORIES.len())].to_owned(),
            CATEGORIES[pick(rng, CATEGORIES.len())].to_owned(),
        ],
        ..AssetDraft::default()
    };
    if full {
        draft.description =
            Some("A weekly group meeting in the community centre, all welcome.".into());
        draft.tags = vec!["coffee".into(), "chat".into()];
        draft.address = Some(format!("{} High Street, Sale", i % 300 + 1));
        draft.postcode = Some("M33 7XY".into());
        draft.contact = ContactDraft {
            phone: Some("0161 912 2000".into()),
            email: Some("hello@example.org".into()),
            website: Some("https://example.org".into()),
        };
        draft.opening_times = OpeningTimesDraft {
            periods: vec![PeriodDraft {
                day: "tue".into(),
                opens: "10:00".into(),
                closes: "12:00".into(),
            }],
            by_arrangement: false,
            note: Some("term time only".into()),
        };
        draft.cost = Some(CostDraft {
            band: "low".into(),
            detail: Some("£2 a session".into()),
        });
        draft.access = vec!["step_free".into()];
        draft.languages = vec!["en".into()];
        draft.provenance = Provenance {
            source: Some("synthetic".into()),
            source_id: Some(i.to_string()),
            licence: Some("OGL-3.0".into()),
            attribution: None,
            geocode_method: Some("manual".into()),
        };
        draft.verified_at = Some("2025-01-31".into());
    }
    // Greater Manchester, roughly.
    let lon = -2.7 + rng.unit() * 0.8;
    let lat = 53.3 + rng.unit() * 0.4;
    let valid = draft
        .validate(Some((lon, lat)))
        .map_err(|e| e.to_string())?;
    let id = AssetId::parse(&format!("synthetic:{i:07}")).map_err(|e| e.to_string())?;
    let now = Utc
        .with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
        .single()
        .ok_or("bad date")?
        + chrono::Duration::nanoseconds(i as i64 * 1_234_567);
    Ok(Asset::create(id, valid, now))
}

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
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let assets = (0..count)
        .map(|i| synthetic(i, &mut rng))
        .collect::<Result<Vec<_>, _>>()?;
    println!("generated {count} assets in {:.2?}", t.elapsed());

    let store = GeoPackageStore::open(&path)?;
    let t = Instant::now();
    let cpu0 = cpu_seconds();
    let seq = store.insert_many(&assets).await?;
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
