//! Keeping a source in step: what an import of a source that was imported before must write.
//!
//! Records are keyed by (source, source id) — for a mapped import the asset id is
//! `<id_prefix>:<the source's id>` and the source is the `id_prefix` — and the store keeps a
//! [`SourceRecord`] of each: a [`fingerprint`] of the record as the source last gave it and the
//! asset version that import wrote. Comparing the new file with those and with the stored
//! assets, [`plan_sync`] sorts every record into one of:
//!
//! | the source's record | the stored asset | outcome |
//! |---|---|---|
//! | new | none | **new**: inserted (version 1) |
//! | same as the stored asset | any | **unchanged**: nothing written to the asset (no version bump) |
//! | changed since the last import | not edited since | **changed**: replaced by its next version |
//! | unchanged since the last import | edited since (through the API) | **unchanged**: the edit is kept |
//! | changed since the last import | edited since | **conflict**: kept as edited, unless overwriting |
//! | any | deleted since the last import | **conflict**: kept deleted, unless overwriting |
//! | any, never imported from this source | a different asset with that id | **conflict**: kept, unless overwriting |
//! | gone from the file | any | **removed**: *kept*, marked for review (`gone_since`) |
//!
//! The plan is written by the store in one transaction (all or nothing).
//!
//! # Examples
//! ```
//! use assetmap_io::sync::{plan_sync, SyncOptions};
//! let now = chrono::Utc::now();
//! let first = asset_named("src:1", "Corner Cafe", now);
//! // First import: everything is new.
//! let plan = plan_sync("src", vec![first.clone()], &[], &[], SyncOptions::default(), now);
//! assert_eq!(plan.new.len(), 1);
//! // The same file again: unchanged, nothing to write but the record.
//! let stored = plan.new.clone();
//! let plan = plan_sync("src", vec![first], &stored, &plan.records, SyncOptions::default(), now);
//! assert_eq!((plan.new.len(), plan.changed.len(), plan.unchanged.len()), (0, 0, 1));
//! # fn asset_named(id: &str, name: &str, now: chrono::DateTime<chrono::Utc>) -> assetmap_core::Asset {
//! #     let draft = assetmap_core::AssetDraft { name: Some(name.into()), abcd_type: Some("economy".into()),
//! #         categories: vec!["food".into()], ..Default::default() };
//! #     let valid = draft.validate(Some((-2.3, 53.4))).unwrap();
//! #     assetmap_core::Asset::create(assetmap_core::AssetId::parse(id).unwrap(), valid, now)
//! # }
//! ```

use assetmap_core::{Asset, AssetId, SourceRecord};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};

/// A digest (hex SHA-256) of what a source says about a record: every field of the asset but
/// its id, version and timestamps, as canonical JSON (keys sorted). Equal content, equal digest.
pub fn fingerprint(asset: &Asset) -> String {
    // Destructured field by field, so that a new field on Asset must be placed here.
    let Asset {
        id: _,
        name,
        description,
        abcd_type,
        categories,
        tags,
        location,
        address,
        postcode,
        contact,
        opening_times,
        cost,
        access,
        audience,
        languages,
        provenance,
        verified_at,
        status,
        created_at: _,
        updated_at: _,
        version: _,
    } = asset;
    let content = (
        (name, description, abcd_type, categories, tags, location),
        (address, postcode, contact, opening_times, cost, access),
        (audience, languages, provenance, verified_at, status),
    );
    // Serialised into one buffer and hashed at once (many small hasher updates cost more).
    let mut json = Vec::with_capacity(1024);
    // Writing into a Vec cannot fail, and every field serialises.
    let _ = serde_json::to_writer(&mut json, &content);
    let digest = Sha256::digest(&json);
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(64);
    for b in digest.iter() {
        hex.push(char::from(HEX[usize::from(b >> 4)]));
        hex.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    hex
}

/// The [`fingerprint`]s of many assets, in order, computed on every available core (for
/// batches worth it).
fn fingerprints(assets: &[Asset]) -> Vec<String> {
    const PER_THREAD_AT_LEAST: usize = 10_000;
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(assets.len() / PER_THREAD_AT_LEAST)
        .max(1);
    if threads == 1 {
        return assets.iter().map(fingerprint).collect();
    }
    let chunk = assets.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let parts: Vec<_> = assets
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(fingerprint).collect::<Vec<_>>()))
            .collect();
        parts
            .into_iter()
            .flat_map(|h| match h.join() {
                Ok(prints) => prints,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

/// How to settle conflicts.
#[derive(Debug, Clone, Copy, Default)]
pub struct SyncOptions {
    /// Write the source's version over assets edited or deleted here since the last import
    /// (and over a different asset that has the id), instead of keeping them.
    pub overwrite: bool,
    /// The run holds only part of the source (what changed since a time): records it does not
    /// hold are not gone, so none is found removed.
    pub partial: bool,
}

/// Why a record is a conflict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictKind {
    /// The source changed the record, and the asset was edited here since the last import.
    EditedHere,
    /// The asset was deleted here since the last import, and the source still has it.
    DeletedHere,
    /// An asset with this id exists that this source did not bring in, with other content.
    NotFromThisSource,
}

/// A record the source and the store disagree on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conflict {
    pub id: AssetId,
    pub kind: ConflictKind,
    /// The stored asset's version (`None` if it was deleted).
    pub stored_version: Option<u64>,
    /// The version the last import of this source wrote (`None` if never imported from it).
    pub imported_version: Option<u64>,
    /// Whether the source's version was written over it (`overwrite`), else it was kept.
    pub overwritten: bool,
}

/// A record that has gone from the source: the asset is kept for someone to review.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Removed {
    pub id: AssetId,
    /// When an import first found it gone.
    pub gone_since: DateTime<Utc>,
    /// Whether this run is the first to find it gone.
    pub newly: bool,
    /// Whether the asset is still stored (it may have been deleted since).
    pub stored: bool,
}

/// What an import of one source writes, and why.
#[derive(Debug, Clone, Default)]
pub struct SyncPlan {
    /// The source's key.
    pub source: String,
    /// Assets to insert.
    pub new: Vec<Asset>,
    /// Next versions of stored assets.
    pub changed: Vec<Asset>,
    /// Records whose stored asset is left as it is (same content, or edited here while the
    /// source did not change it).
    pub unchanged: Vec<AssetId>,
    /// Of `unchanged`, those kept because they were edited here.
    pub kept_edits: Vec<AssetId>,
    /// Records the source and the store disagree on.
    pub conflicts: Vec<Conflict>,
    /// Records gone from the source, newly or before, in id order.
    pub removed: Vec<Removed>,
    /// The source records to keep after this run.
    pub records: Vec<SourceRecord>,
}

impl SyncPlan {
    /// Whether the run writes any asset.
    pub fn writes_assets(&self) -> bool {
        !self.new.is_empty() || !self.changed.is_empty()
    }
}

/// Plans the import of `incoming` (the source's records, read and validated, as new assets)
/// against the `stored` assets (at least those with the incoming ids and the records' ids) and
/// the source's kept `records`. `now` stamps the records.
pub fn plan_sync(
    source: &str,
    incoming: Vec<Asset>,
    stored: &[Asset],
    records: &[SourceRecord],
    options: SyncOptions,
    now: DateTime<Utc>,
) -> SyncPlan {
    let stored: HashMap<&AssetId, &Asset> = stored.iter().map(|a| (&a.id, a)).collect();
    let kept: HashMap<&AssetId, &SourceRecord> = records
        .iter()
        .filter(|r| r.source == source)
        .map(|r| (&r.asset_id, r))
        .collect();
    let mut plan = SyncPlan {
        source: source.to_owned(),
        ..SyncPlan::default()
    };
    let record = |id: &AssetId, fingerprint: String, version: u64| SourceRecord {
        source: source.to_owned(),
        asset_id: id.clone(),
        fingerprint,
        imported_version: version,
        imported_at: now,
        gone_since: None,
    };
    // Which kept records the file still has: only needed when there are kept records.
    let mut seen: HashSet<AssetId> = HashSet::new();
    let prints = fingerprints(&incoming);
    for (asset, print) in incoming.into_iter().zip(prints) {
        if kept.contains_key(&asset.id) {
            seen.insert(asset.id.clone());
        }
        let before = kept.get(&asset.id).copied();
        match (stored.get(&asset.id).copied(), before) {
            (None, None) => {
                plan.records.push(record(&asset.id, print, asset.version));
                plan.new.push(asset);
            }
            (None, Some(r)) => {
                // Deleted here since the last import.
                plan.conflicts.push(Conflict {
                    id: asset.id.clone(),
                    kind: ConflictKind::DeletedHere,
                    stored_version: None,
                    imported_version: Some(r.imported_version),
                    overwritten: options.overwrite,
                });
                if options.overwrite {
                    plan.records.push(record(&asset.id, print, asset.version));
                    plan.new.push(asset);
                } else {
                    plan.records.push(SourceRecord {
                        gone_since: None,
                        ..r.clone()
                    });
                }
            }
            // Not edited since the last import: the store holds what the record's fingerprint
            // says, so the stored asset need not be hashed again.
            (Some(s), Some(r)) if s.version == r.imported_version && r.fingerprint == print => {
                plan.unchanged.push(asset.id.clone());
                plan.records.push(record(&asset.id, print, s.version));
            }
            (Some(s), Some(r)) if s.version == r.imported_version => {
                let next = next_version(s, asset, now);
                plan.records.push(record(&next.id, print, next.version));
                plan.changed.push(next);
            }
            (Some(s), _) if fingerprint(s) == print => {
                // The store already holds what the source says (edited back, or brought by
                // another way).
                plan.unchanged.push(asset.id.clone());
                plan.records.push(record(&asset.id, print, s.version));
            }
            (Some(_), Some(r)) if r.fingerprint == print => {
                // Edited here; the source did not change it: the edit stays, and stays
                // recognised as an edit (the record keeps the version imported).
                plan.unchanged.push(asset.id.clone());
                plan.kept_edits.push(asset.id.clone());
                plan.records.push(SourceRecord {
                    imported_at: now,
                    gone_since: None,
                    ..r.clone()
                });
            }
            (Some(s), r) => {
                plan.conflicts.push(Conflict {
                    id: asset.id.clone(),
                    kind: if r.is_some() {
                        ConflictKind::EditedHere
                    } else {
                        ConflictKind::NotFromThisSource
                    },
                    stored_version: Some(s.version),
                    imported_version: r.map(|r| r.imported_version),
                    overwritten: options.overwrite,
                });
                if options.overwrite {
                    let next = next_version(s, asset, now);
                    plan.records.push(record(&next.id, print, next.version));
                    plan.changed.push(next);
                } else if let Some(r) = r {
                    // Kept as edited: the record keeps its old fingerprint, so the next
                    // import reports the conflict again until someone settles it.
                    plan.records.push(SourceRecord {
                        gone_since: None,
                        ..r.clone()
                    });
                }
            }
        }
    }
    let mut gone: Vec<&SourceRecord> = kept
        .values()
        .copied()
        .filter(|r| !options.partial && !seen.contains(&r.asset_id))
        .collect();
    gone.sort_by(|a, b| a.asset_id.cmp(&b.asset_id));
    for r in gone {
        let since = r.gone_since.unwrap_or(now);
        plan.removed.push(Removed {
            id: r.asset_id.clone(),
            gone_since: since,
            newly: r.gone_since.is_none(),
            stored: stored.contains_key(&r.asset_id),
        });
        if r.gone_since.is_none() {
            plan.records.push(SourceRecord {
                gone_since: Some(now),
                ..r.clone()
            });
        }
    }
    plan
}

/// `stored`'s next version with `incoming`'s content.
fn next_version(stored: &Asset, incoming: Asset, now: DateTime<Utc>) -> Asset {
    Asset {
        id: stored.id.clone(),
        created_at: stored.created_at,
        updated_at: chrono::SubsecRound::trunc_subsecs(now, 6),
        version: stored.version + 1,
        ..incoming
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use assetmap_core::AssetDraft;

    fn asset(id: &str, name: &str) -> Asset {
        let draft = AssetDraft {
            name: Some(name.into()),
            abcd_type: Some("association".into()),
            categories: vec!["community_groups".into()],
            ..AssetDraft::default()
        };
        let valid = draft.validate(Some((-2.3, 53.4))).unwrap();
        Asset::create(AssetId::parse(id).unwrap(), valid, Utc::now())
    }

    /// Runs an import and "writes" it: the stored assets and records after the run.
    fn run(
        incoming: Vec<Asset>,
        stored: &mut Vec<Asset>,
        records: &mut Vec<SourceRecord>,
        overwrite: bool,
    ) -> SyncPlan {
        let plan = plan_sync(
            "s",
            incoming,
            stored,
            records,
            SyncOptions {
                overwrite,
                partial: false,
            },
            Utc::now(),
        );
        for a in plan.new.iter().chain(&plan.changed) {
            stored.retain(|s| s.id != a.id);
            stored.push(a.clone());
        }
        for r in &plan.records {
            records.retain(|k| k.asset_id != r.asset_id);
            records.push(r.clone());
        }
        plan
    }

    fn ids(v: &[AssetId]) -> Vec<&str> {
        v.iter().map(AssetId::as_str).collect()
    }

    #[test]
    fn a_fingerprint_ignores_id_version_and_times_but_not_content() {
        let a = asset("s:1", "Hall");
        let mut b = a.clone();
        b.version = 7;
        b.updated_at += chrono::Duration::days(3);
        b.id = AssetId::parse("s:2").unwrap();
        assert_eq!(fingerprint(&a), fingerprint(&b));
        assert_ne!(fingerprint(&a), fingerprint(&asset("s:1", "Hall 2")));
        assert_eq!(fingerprint(&a).len(), 64);
    }

    #[test]
    fn fingerprints_on_several_threads_keep_the_order() {
        let one = asset("s:1", "Hall");
        let many: Vec<Asset> = (0..25_000)
            .map(|i| {
                let mut a = one.clone();
                a.description = Some(format!("number {i}"));
                a
            })
            .collect();
        let one_by_one: Vec<String> = many.iter().map(fingerprint).collect();
        assert_eq!(fingerprints(&many), one_by_one);
    }

    #[test]
    fn reimport_sorts_new_changed_unchanged_and_removed() {
        let (mut stored, mut records) = (Vec::new(), Vec::new());
        let first = run(
            vec![asset("s:1", "A"), asset("s:2", "B"), asset("s:3", "C")],
            &mut stored,
            &mut records,
            false,
        );
        assert_eq!(first.new.len(), 3);
        let second = run(
            vec![
                asset("s:1", "A"),
                asset("s:2", "B renamed"),
                asset("s:4", "D"),
            ],
            &mut stored,
            &mut records,
            false,
        );
        assert_eq!(ids(&second.unchanged), ["s:1"]);
        assert_eq!(second.changed.len(), 1);
        assert_eq!(second.changed[0].id.as_str(), "s:2");
        assert_eq!(second.changed[0].version, 2);
        assert_eq!(second.new.len(), 1);
        assert_eq!(second.removed.len(), 1);
        assert_eq!(second.removed[0].id.as_str(), "s:3");
        assert!(second.removed[0].newly && second.removed[0].stored);
        // Gone again: reported, not newly; the date stays the first one.
        let third = run(
            vec![
                asset("s:1", "A"),
                asset("s:2", "B renamed"),
                asset("s:4", "D"),
            ],
            &mut stored,
            &mut records,
            false,
        );
        assert_eq!(third.removed.len(), 1);
        assert!(!third.removed[0].newly);
        assert_eq!(third.removed[0].gone_since, second.removed[0].gone_since);
        assert!(!third.writes_assets());
        // Back in the source: no longer removed.
        let fourth = run(vec![asset("s:3", "C")], &mut stored, &mut records, false);
        assert_eq!(ids(&fourth.unchanged), ["s:3"]);
        assert!(records
            .iter()
            .find(|r| r.asset_id.as_str() == "s:3")
            .is_some_and(|r| r.gone_since.is_none()));
    }

    #[test]
    fn an_edit_here_is_kept_and_a_source_change_over_it_is_a_conflict() {
        let (mut stored, mut records) = (Vec::new(), Vec::new());
        run(vec![asset("s:1", "A")], &mut stored, &mut records, false);
        // Edited through the API: version 2.
        let edited = stored[0].replaced_by(
            asset("s:1", "A (edited)")
                .to_draft()
                .validate(Some((-2.3, 53.4)))
                .unwrap(),
            Utc::now(),
        );
        stored[0] = edited;
        // The source did not change it: the edit stays.
        let plan = run(vec![asset("s:1", "A")], &mut stored, &mut records, false);
        assert_eq!(ids(&plan.kept_edits), ["s:1"]);
        assert!(plan.conflicts.is_empty() && !plan.writes_assets());
        // The source changed it too: a conflict, kept as edited, and again next time.
        for _ in 0..2 {
            let plan = run(
                vec![asset("s:1", "A new")],
                &mut stored,
                &mut records,
                false,
            );
            assert_eq!(plan.conflicts.len(), 1);
            assert_eq!(plan.conflicts[0].kind, ConflictKind::EditedHere);
            assert_eq!(plan.conflicts[0].stored_version, Some(2));
            assert!(!plan.conflicts[0].overwritten && !plan.writes_assets());
            assert_eq!(stored[0].name.to_string(), "A (edited)");
        }
        // Asked to overwrite: the source's version is the next version.
        let plan = run(vec![asset("s:1", "A new")], &mut stored, &mut records, true);
        assert!(plan.conflicts[0].overwritten);
        assert_eq!(plan.changed[0].version, 3);
        assert_eq!(stored[0].name.to_string(), "A new");
        // Settled: the next run is quiet.
        let plan = run(
            vec![asset("s:1", "A new")],
            &mut stored,
            &mut records,
            false,
        );
        assert!(plan.conflicts.is_empty() && ids(&plan.unchanged) == ["s:1"]);
    }

    #[test]
    fn a_deletion_here_and_a_foreign_asset_are_conflicts() {
        let (mut stored, mut records) = (Vec::new(), Vec::new());
        run(vec![asset("s:1", "A")], &mut stored, &mut records, false);
        stored.clear();
        let plan = run(vec![asset("s:1", "A")], &mut stored, &mut records, false);
        assert_eq!(plan.conflicts[0].kind, ConflictKind::DeletedHere);
        assert!(stored.is_empty());
        let plan = run(vec![asset("s:1", "A")], &mut stored, &mut records, true);
        assert_eq!(plan.new.len(), 1);

        // An asset nobody imported from this source, same id, other content.
        let mut stored = vec![asset("s:9", "Someone else's")];
        let mut records = Vec::new();
        let plan = run(vec![asset("s:9", "Ours")], &mut stored, &mut records, false);
        assert_eq!(plan.conflicts[0].kind, ConflictKind::NotFromThisSource);
        assert!(records.is_empty() && stored[0].name.to_string() == "Someone else's");
        // The same content is adopted as unchanged.
        let plan = run(
            vec![asset("s:9", "Someone else's")],
            &mut stored,
            &mut records,
            false,
        );
        assert_eq!(ids(&plan.unchanged), ["s:9"]);
        assert_eq!(records.len(), 1);
    }

    #[test]
    fn a_partial_run_finds_nothing_removed() {
        let (mut stored, mut records) = (Vec::new(), Vec::new());
        run(
            vec![asset("s:1", "A"), asset("s:2", "B")],
            &mut stored,
            &mut records,
            false,
        );
        let plan = plan_sync(
            "s",
            vec![asset("s:2", "B changed")],
            &stored,
            &records,
            SyncOptions {
                overwrite: false,
                partial: true,
            },
            Utc::now(),
        );
        assert!(plan.removed.is_empty(), "{:?}", plan.removed);
        assert_eq!(plan.changed.len(), 1);
        // Only the record the run held is written; s:1's is left as it was.
        assert_eq!(plan.records.len(), 1);
        assert_eq!(plan.records[0].asset_id.as_str(), "s:2");
    }

    #[test]
    fn records_of_other_sources_are_not_removed() {
        let mut other = SourceRecord {
            source: "other".into(),
            asset_id: AssetId::parse("o:1").unwrap(),
            fingerprint: "x".into(),
            imported_version: 1,
            imported_at: Utc::now(),
            gone_since: None,
        };
        let plan = plan_sync(
            "s",
            vec![],
            &[],
            std::slice::from_ref(&other),
            SyncOptions::default(),
            Utc::now(),
        );
        assert!(plan.removed.is_empty());
        other.source = "s".into();
        let plan = plan_sync(
            "s",
            vec![],
            &[],
            &[other],
            SyncOptions::default(),
            Utc::now(),
        );
        assert_eq!(plan.removed.len(), 1);
        assert!(!plan.removed[0].stored);
    }
}
