//! The OGC API collections this server publishes: `assets`, and one per level of area.

use assetmap_index::AreaLevel;

/// Every collection id, in the order listed: `assets`, then `areas-<level>`.
pub fn collection_ids() -> Vec<String> {
    let mut ids = vec!["assets".to_owned()];
    ids.extend(AreaLevel::ALL.iter().map(|l| format!("areas-{}", l.slug())));
    ids
}
