//! Fetching an Open Referral UK feed for `assetmap import --oruk`: the pages of `/services`
//! (with `modified_after` for an incremental run), then each service in full
//! (`/services/{id}`), as the profile publishes them; or a file holding a page, a list of
//! services or one service. What the services mean is `assetmap_io::oruk_import`'s business.

use anyhow::{bail, Context};
use serde_json::Value;
use std::time::Duration;

/// Services asked for per page.
const PER_PAGE: u32 = 100;
/// The most pages followed: a feed that never says `last_page` is not followed for ever.
const MAX_PAGES: u32 = 100_000;

/// Whether `source` is a web address rather than a file.
pub fn is_url(source: &str) -> bool {
    source.starts_with("http://") || source.starts_with("https://")
}

/// The full services of the feed or file at `source`. `progress` is told how many services
/// have been fetched, and how many there are once the first page has said.
pub fn services(
    source: &str,
    modified_after: Option<chrono::DateTime<chrono::Utc>>,
    progress: &dyn Fn(usize, usize),
) -> anyhow::Result<Vec<Value>> {
    if !is_url(source) {
        let text =
            std::fs::read_to_string(source).with_context(|| format!("Failed to read {source}"))?;
        let doc: Value =
            serde_json::from_str(&text).with_context(|| format!("{source} is not JSON"))?;
        return assetmap_io::oruk_import::services_of(&doc)
            .map_err(|e| anyhow::anyhow!("{source}: {e}"));
    }
    let base = source
        .trim_end_matches('/')
        .trim_end_matches("/services")
        .to_owned();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(60)))
        .http_status_as_error(false)
        .build()
        .into();
    let get = |url: &str| -> anyhow::Result<Value> {
        let mut response = agent
            .get(url)
            .header("Accept", "application/json")
            .call()
            .with_context(|| format!("Failed to fetch {url}"))?;
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_string()
            .with_context(|| format!("Failed to read the answer from {url}"))?;
        if status != 200 {
            let detail = serde_json::from_str::<Value>(&body)
                .ok()
                .and_then(|v| v.get("detail").and_then(Value::as_str).map(str::to_owned))
                .unwrap_or_else(|| body.chars().take(200).collect());
            bail!("{url} answered {status}: {detail}");
        }
        serde_json::from_str(&body).with_context(|| format!("{url} did not answer JSON"))
    };

    let mut ids: Vec<String> = Vec::new();
    let mut total = 0usize;
    for page in 1..=MAX_PAGES {
        let mut url = format!("{base}/services?page={page}&per_page={PER_PAGE}");
        if let Some(t) = modified_after {
            url.push_str(&format!(
                "&modified_after={}",
                t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ));
        }
        let doc = get(&url)?;
        let Some(contents) = doc.get("contents").and_then(Value::as_array) else {
            bail!("{url}: not an Open Referral page (no `contents`)");
        };
        total = doc
            .get("total_items")
            .and_then(Value::as_u64)
            .map_or(total, |t| t as usize);
        for s in contents {
            match s.get("id").and_then(Value::as_str) {
                Some(id) => ids.push(id.to_owned()),
                None => bail!("{url}: a service on this page has no id"),
            }
        }
        progress(0, total);
        let last = doc
            .get("last_page")
            .and_then(Value::as_bool)
            .unwrap_or(true);
        if last || contents.is_empty() {
            break;
        }
    }
    let mut out = Vec::with_capacity(ids.len());
    for (n, id) in ids.iter().enumerate() {
        let encoded = percent_encoding::utf8_percent_encode(id, percent_encoding::NON_ALPHANUMERIC);
        out.push(get(&format!("{base}/services/{encoded}"))?);
        progress(n + 1, total.max(ids.len()));
    }
    Ok(out)
}
