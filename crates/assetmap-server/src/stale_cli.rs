//! `assetmap stale`: the assets nobody has confirmed lately, for a council's own reminders
//! (a mail-merge to the groups, a list for the directory team) — no e-mail is sent from here.
//!
//! An asset is *unchecked since* a date when its `verified_at` (the day someone last confirmed
//! its details; an import keeps its source's date) is before it, or missing. Closed assets are
//! left out: they need no check. Each row says where the asset is (its ward, from the place
//! served) and who keeps it (the e-mail addresses of its stewards' enabled accounts).

use crate::config::Settings;
use crate::startup;
use anyhow::Context;
use assetmap_core::{Asset, AssetId};
use assetmap_io::export::{Cell, CellType, Table, TableColumn, TableRow};
use clap::Args;
use std::collections::HashMap;

/// `assetmap stale` flags.
#[derive(Debug, Args)]
pub struct StaleArgs {
    /// Not confirmed for this long: a number and d (days), w (weeks), m (months) or y (years),
    /// e.g. 90d, 6m, 1y.
    #[arg(long, default_value = "6m", value_name = "AGE")]
    pub older_than: String,
    /// csv (for a spreadsheet or a mail-merge) or json.
    #[arg(long, default_value = "csv")]
    pub format: String,
}

/// Runs `assetmap stale`.
pub async fn run(settings: Settings, args: StaleArgs) -> anyhow::Result<()> {
    let json = match args.format.as_str() {
        "csv" => false,
        "json" => true,
        other => anyhow::bail!("--format {other:?}: use csv or json"),
    };
    let today = assetmap_core::uk_time::uk_local(chrono::Utc::now()).date();
    let since = assetmap_analysis::checks::cutoff(today, &args.older_than)
        .map_err(|e| anyhow::anyhow!("--older-than {e}"))?;
    let place = startup::load_place(&settings)?;
    let store = startup::open_store_as_serve_would(&settings).await?;
    let mut stewards: HashMap<AssetId, Vec<String>> = HashMap::new();
    for account in store.accounts().await? {
        if account.disabled {
            continue;
        }
        for s in &account.stewardships {
            stewards
                .entry(s.asset.clone())
                .or_default()
                .push(account.email.clone());
        }
    }
    let mut stale: Vec<Asset> = store
        .all()
        .await
        .context("Failed to load assets from the store")?
        .into_iter()
        .filter(|a| assetmap_analysis::checks::needs_check(a, since))
        .collect();
    // Never checked first, then the longest unchecked; ties by id.
    stale.sort_by(|a, b| a.verified_at.cmp(&b.verified_at).then(a.id.cmp(&b.id)));

    let columns = [
        "id",
        "name",
        "last_checked",
        "status",
        "source",
        "ward_code",
        "ward_name",
        "categories",
        "stewards",
    ];
    let rows: Vec<Vec<String>> = stale
        .iter()
        .map(|a| {
            let areas = assetmap_analysis::export::area_codes(&place.areas, a.location);
            vec![
                a.id.to_string(),
                a.name.to_string(),
                a.verified_at.map(|d| d.to_string()).unwrap_or_default(),
                a.status.slug().to_owned(),
                a.provenance.source.clone().unwrap_or_default(),
                areas.ward_code.unwrap_or_default(),
                areas.ward_name.unwrap_or_default(),
                a.categories
                    .iter()
                    .map(|c| c.slug())
                    .collect::<Vec<_>>()
                    .join(";"),
                stewards.get(&a.id).map(|e| e.join(";")).unwrap_or_default(),
            ]
        })
        .collect();
    let stdout = std::io::stdout().lock();
    if json {
        let list: Vec<serde_json::Map<String, serde_json::Value>> = rows
            .into_iter()
            .map(|r| {
                columns
                    .iter()
                    .zip(r)
                    .map(|(k, v)| {
                        let v = if v.is_empty() {
                            serde_json::Value::Null
                        } else {
                            serde_json::Value::String(v)
                        };
                        ((*k).to_owned(), v)
                    })
                    .collect()
            })
            .collect();
        serde_json::to_writer_pretty(
            stdout,
            &serde_json::json!({
                "unchecked_since": since.to_string(),
                "today": today.to_string(),
                "count": list.len(),
                "assets": list,
            }),
        )?;
        println!();
    } else {
        // Through the export's CSV writer: a name that begins with `=` stays text in a
        // spreadsheet.
        let table = Table {
            columns: columns
                .iter()
                .map(|c| TableColumn {
                    name: (*c).to_owned(),
                    ty: CellType::Text,
                })
                .collect(),
            rows: rows
                .into_iter()
                .map(|r| TableRow {
                    geometry: serde_json::Value::Null,
                    cells: r.into_iter().map(Cell::Text).collect(),
                })
                .collect(),
        };
        let mut out = assetmap_io::export::csv::write_table(stdout, &table)?;
        std::io::Write::flush(&mut out)?;
    }
    eprintln!(
        "{} assets not confirmed since {since} (open or temporarily closed)",
        stale.len()
    );
    Ok(())
}
