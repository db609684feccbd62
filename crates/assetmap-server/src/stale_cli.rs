//! `assetmap stale`: the assets nobody has confirmed lately, for a council's own reminders
//! (a mail-merge to the groups, a list for the directory team) — no e-mail is sent from here.
//!
//! An asset is *unchecked since* a date when its `verified_at` (the day someone last confirmed
//! its details; an import keeps its source's date) is before it, or missing. Closed assets are
//! left out: they need no check. Each row says where the asset is (its ward, from the place
//! served) and who keeps it (the e-mail addresses of its stewards' enabled accounts).

use crate::config::Settings;
use crate::stale::StaleReport;
use crate::startup;
use anyhow::Context;
use clap::Args;
use std::io::Write;

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
    let assets = store
        .all()
        .await
        .context("Failed to load assets from the store")?;
    let report = StaleReport::build(store.as_ref(), &place, &assets, today, since).await?;
    let mut stdout = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut stdout, &report.to_json(&args.older_than))?;
        writeln!(stdout)?;
    } else {
        let mut out = report
            .to_csv(stdout)
            .map_err(|e| anyhow::anyhow!("{}", e.detail()))?;
        out.flush()?;
    }
    eprintln!(
        "{} assets not confirmed since {since} (open or temporarily closed)",
        report.rows.len()
    );
    Ok(())
}
