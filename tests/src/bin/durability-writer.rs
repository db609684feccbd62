//! The writer process of the store durability test (`tests/tests/durability.rs`,
//! `acknowledged_store_writes_survive_sigkill`): opens the GeoPackage store at the path given as
//! its only argument and writes forever — single inserts, replacements and batches — printing
//! `ACK <id> <version>` after each acknowledged write, until it is killed.
//!
//! A program, not a test, so that nothing can pass by running it on its own.
#![forbid(unsafe_code)]

use anyhow::Context;
use assetmap_core::{Asset, AssetDraft, AssetId, ChangeBy, Via};
use assetmap_store::gpkg::GeoPackageStore;
use assetmap_store::AssetStore;
use chrono::{TimeZone, Utc};
use std::io::Write;

fn minimal_asset(key: &str, lon: f64, lat: f64) -> anyhow::Result<Asset> {
    let draft = AssetDraft {
        name: Some(format!("Asset {key}")),
        abcd_type: Some("association".into()),
        categories: vec!["food".into()],
        ..AssetDraft::default()
    };
    let valid = draft
        .validate(Some((lon, lat)))
        .map_err(|e| anyhow::anyhow!("invalid draft: {e:?}"))?;
    let t = Utc
        .with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
        .single()
        .context("a time")?;
    let id = AssetId::parse(key).map_err(|e| anyhow::anyhow!("invalid id {key}: {e:?}"))?;
    Ok(Asset::create(id, valid, t))
}

fn next_version(a: &Asset) -> anyhow::Result<Asset> {
    let mut draft = a.to_draft();
    draft.name = Some(format!("{} (v{})", a.name, a.version + 1));
    let valid = draft
        .validate(Some((a.location.lon(), a.location.lat())))
        .map_err(|e| anyhow::anyhow!("invalid draft: {e:?}"))?;
    Ok(a.replaced_by(valid, a.updated_at + chrono::Duration::seconds(1)))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let path = std::env::args()
        .nth(1)
        .context("usage: durability-writer STORE.gpkg")?;
    let store = GeoPackageStore::open(&path).with_context(|| format!("opening {path}"))?;
    let mut out = std::io::stdout().lock();
    let by = ChangeBy::system(Via::Api);
    for round in 0u64.. {
        let a = minimal_asset(&format!("single-{round}"), -2.0, 53.0)?;
        store.insert(&a, &by).await?;
        writeln!(out, "ACK {} 1", a.id)?;
        out.flush()?;
        let a2 = next_version(&a)?;
        store.replace(&a2, &by).await?;
        writeln!(out, "ACK {} 2", a2.id)?;
        out.flush()?;
        let batch = (0..20)
            .map(|i| minimal_asset(&format!("batch-{round}-{i}"), -2.1, 53.1))
            .collect::<anyhow::Result<Vec<Asset>>>()?;
        store.insert_many(&batch, &by).await?;
        for b in &batch {
            writeln!(out, "ACK {} 1", b.id)?;
        }
        out.flush()?;
    }
    Ok(())
}
