//! The GeoPackage store against its contract, on real files: round trips, errors, the change
//! feed, schema refusal, and GDAL reading the file (durability under SIGKILL is tested in
//! `tests/tests/durability.rs`).
#![allow(clippy::unwrap_used)]

use assetmap_core::{
    Asset, AssetDraft, AssetId, AssetName, AudienceDraft, ContactDraft, CostDraft,
    OpeningTimesDraft, PeriodDraft, Provenance, Tag,
};
use assetmap_store::gpkg::{self, GeoPackageStore};
use assetmap_store::{
    AccountStore, AssetStore, ChangeKind, IdempotencyRecord, Outcome, StoreError, SuggestionStore,
    Timeouts, Write,
};
use chrono::{DateTime, TimeZone, Utc};
use std::path::{Path, PathBuf};
use std::process::Command;

fn api() -> assetmap_core::ChangeBy {
    assetmap_core::ChangeBy::system(assetmap_core::Via::Api)
}

fn t0() -> DateTime<Utc> {
    // Nanoseconds on purpose: the store must keep them.
    Utc.with_ymd_and_hms(2025, 3, 14, 15, 9, 26).unwrap()
        + chrono::Duration::nanoseconds(535_897_932)
}

fn id(s: &str) -> AssetId {
    AssetId::parse(s).unwrap()
}

/// An asset with every optional field set, including awkward values (a `;` in a tag, a
/// period past midnight, nanosecond timestamps).
fn full_asset(key: &str) -> Asset {
    let draft = AssetDraft {
        name: Some("Hale Library & Community Hub".into()),
        description: Some("Books, computers and a café.\nSecond line; with a semicolon.".into()),
        abcd_type: Some("institution".into()),
        categories: vec!["learning".into(), "befriending".into(), "arts_heritage".into()],
        tags: vec!["reading group".into(), "chess;draughts".into(), r"back\slash".into()],
        address: Some("Leigh Road, Hale".into()),
        postcode: Some("wa15 9bg".into()),
        contact: ContactDraft {
            phone: Some("0161 912 5966".into()),
            email: Some("hale.library@trafford.gov.uk".into()),
            website: Some("www.trafford.gov.uk/libraries".into()),
        },
        opening_times: OpeningTimesDraft {
            periods: vec![
                PeriodDraft { day: "tue".into(), opens: "09:30".into(), closes: "17:00".into() },
                PeriodDraft { day: "fri".into(), opens: "22:00".into(), closes: "02:00".into() },
                PeriodDraft { day: "sun".into(), opens: "00:00".into(), closes: "24:00".into() },
            ],
            by_arrangement: true,
            note: Some("closed bank holidays".into()),
        },
        cost: Some(CostDraft { band: "low".into(), detail: Some("£2 a session, carers free".into()) }),
        access: vec!["step_free".into(), "hearing_loop".into()],
        audience: AudienceDraft { min_age: Some(16), max_age: Some(99), description: Some("adults learning English".into()) },
        languages: vec!["en".into(), "ur".into(), "bfi".into()],
        provenance: Provenance {
            source: Some("Trafford Council".into()),
            source_id: Some("libraries.csv:12".into()),
            licence: Some("OGL-3.0".into()),
            attribution: Some("Contains public sector information licensed under the Open Government Licence v3.0.".into()),
            geocode_method: Some("source_point".into()),
        },
        verified_at: Some("2025-02-28".into()),
        status: Some("temporarily_closed".into()),
    };
    let valid = draft
        .validate(Some((-2.347_812_345_678_9, 53.378_123_456_789)))
        .unwrap();
    let mut a = Asset::create(id(key), valid, t0());
    a.updated_at = t0() + chrono::Duration::milliseconds(1500);
    a
}

/// An asset with only the required fields.
fn minimal_asset(key: &str, lon: f64, lat: f64) -> Asset {
    let draft = AssetDraft {
        name: Some(format!("Asset {key}")),
        abcd_type: Some("association".into()),
        categories: vec!["food".into()],
        ..AssetDraft::default()
    };
    Asset::create(
        id(key),
        draft.validate(Some((lon, lat))).unwrap(),
        Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap(),
    )
}

fn next_version(a: &Asset) -> Asset {
    let mut draft = a.to_draft();
    draft.name = Some(format!("{} (v{})", a.name, a.version + 1));
    a.replaced_by(
        draft
            .validate(Some((a.location.lon(), a.location.lat())))
            .unwrap(),
        a.updated_at + chrono::Duration::seconds(1),
    )
}

fn temp_store() -> (tempfile::TempDir, PathBuf, GeoPackageStore) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/dir/assets.gpkg");
    let store = GeoPackageStore::open(&path).unwrap();
    (dir, path, store)
}

#[tokio::test]
async fn full_and_minimal_assets_round_trip_exactly_after_reopen() {
    let (_dir, path, store) = temp_store();
    let full = full_asset("trafford_libraries:12");
    let min = minimal_asset("m1", 0.0, -0.0);
    assert!(
        full.tags.iter().any(|t| t.as_str().contains(';')),
        "fixture exercises list escaping"
    );
    store.insert(&full, &api()).await.unwrap();
    store.insert(&min, &api()).await.unwrap();
    drop(store);

    let store = GeoPackageStore::open(&path).unwrap();
    assert_eq!(store.get(&full.id).await.unwrap().as_ref(), Some(&full));
    assert_eq!(store.get(&min.id).await.unwrap().as_ref(), Some(&min));
    assert_eq!(
        store.all().await.unwrap(),
        vec![min.clone(), full.clone()],
        "all() is in id order"
    );
    assert_eq!(store.count().await.unwrap(), 2);
    assert_eq!(store.get(&id("nope")).await.unwrap(), None);
    assert_eq!(store.kind(), "geopackage");
}

#[tokio::test]
async fn the_columns_are_flat_and_readable() {
    let (_dir, path, store) = temp_store();
    store.insert(&full_asset("a1"), &api()).await.unwrap();
    drop(store);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let row: (String, String, String, String, i64, String, String, String) = conn
        .query_row(
            "SELECT categories, tags, opening_times_text, postcode, by_arrangement, created_at, verified_at, cost_band FROM assets",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?)),
        )
        .unwrap();
    assert_eq!(row.0, "arts_heritage;befriending;learning");
    assert_eq!(row.1, r"back\\slash;chess\;draughts;reading group");
    assert_eq!(row.2, "Tuesday 09:30–17:00; Friday 22:00–02:00 (next day); Sunday all day; by arrangement; closed bank holidays");
    assert_eq!(row.3, "WA15 9BG");
    assert_eq!(row.4, 1);
    // Asset::create keeps timestamps to the microsecond (PostgreSQL's precision).
    assert_eq!(row.5, "2025-03-14T15:09:26.535897000Z");
    assert_eq!(row.6, "2025-02-28");
    assert_eq!(row.7, "low");
    let (app, ver): (i64, i64) = (
        conn.query_row("PRAGMA application_id", [], |r| r.get(0))
            .unwrap(),
        conn.query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap(),
    );
    assert_eq!((app, ver), (0x4750_4B47, 10300));
}

#[tokio::test]
async fn write_errors_follow_the_contract() {
    let (_dir, _path, store) = temp_store();
    let a = minimal_asset("a", 1.0, 2.0);
    store.insert(&a, &api()).await.unwrap();
    assert!(
        matches!(store.insert(&a, &api()).await, Err(StoreError::AlreadyExists(x)) if x == a.id)
    );

    let v2 = next_version(&a);
    let mut stale = v2.clone();
    stale.version = 3; // based on version 2, but 1 is stored
    match store.replace(&stale, &api()).await {
        Err(StoreError::VersionConflict {
            id,
            expected,
            actual,
        }) => assert_eq!((id, expected, actual), (a.id.clone(), 2, 1)),
        other => panic!("expected a version conflict, got {other:?}"),
    }
    store.replace(&v2, &api()).await.unwrap();
    assert_eq!(store.get(&a.id).await.unwrap(), Some(v2.clone()));
    assert!(
        matches!(
            store.replace(&v2, &api()).await,
            Err(StoreError::VersionConflict {
                expected: 1,
                actual: 2,
                ..
            })
        ),
        "replaying a write conflicts"
    );

    let ghost = minimal_asset("ghost", 0.0, 0.0);
    assert!(
        matches!(store.replace(&next_version(&ghost), &api()).await, Err(StoreError::NotFound(x)) if x == ghost.id)
    );
    assert!(matches!(
        store.delete(&ghost.id, &api()).await,
        Err(StoreError::NotFound(_))
    ));

    assert_eq!(store.count().await.unwrap(), 1);
    store.delete(&a.id, &api()).await.unwrap();
    assert_eq!(store.get(&a.id).await.unwrap(), None);
    assert_eq!(store.count().await.unwrap(), 0);
    assert!(matches!(
        store.delete(&a.id, &api()).await,
        Err(StoreError::NotFound(_))
    ));
    // The id is free again.
    store.insert(&a, &api()).await.unwrap();
}

#[tokio::test]
async fn insert_many_is_all_or_nothing() {
    let (_dir, _path, store) = temp_store();
    store
        .insert(&minimal_asset("existing", 0.0, 0.0), &api())
        .await
        .unwrap();
    let before = store.latest_seq().await.unwrap();

    let dup_in_batch: Vec<Asset> = vec![
        minimal_asset("b1", 0.0, 0.0),
        minimal_asset("b2", 0.0, 0.0),
        minimal_asset("b1", 1.0, 1.0),
    ];
    assert!(
        matches!(store.insert_many(&dup_in_batch, &api()).await, Err(StoreError::AlreadyExists(x)) if x.as_str() == "b1")
    );
    let dup_of_stored = vec![
        minimal_asset("c1", 0.0, 0.0),
        minimal_asset("existing", 0.0, 0.0),
    ];
    assert!(
        matches!(store.insert_many(&dup_of_stored, &api()).await, Err(StoreError::AlreadyExists(x)) if x.as_str() == "existing")
    );
    assert_eq!(
        store.count().await.unwrap(),
        1,
        "nothing of a failed batch is stored"
    );
    assert_eq!(
        store.latest_seq().await.unwrap(),
        before,
        "nor appended to the feed"
    );
    assert_eq!(store.get(&id("b2")).await.unwrap(), None);

    let batch: Vec<Asset> = (0..500)
        .map(|i| minimal_asset(&format!("n{i:04}"), -2.0 + f64::from(i) * 0.001, 53.0))
        .collect();
    let seq = store.insert_many(&batch, &api()).await.unwrap();
    assert_eq!(seq, before + 500);
    assert_eq!(store.count().await.unwrap(), 501);
    assert_eq!(
        store.insert_many(&[], &api()).await.unwrap(),
        seq,
        "an empty batch changes nothing"
    );
}

#[tokio::test]
async fn change_feed_is_ordered_complete_and_survives_reopen() {
    let (_dir, path, store) = temp_store();
    let a = minimal_asset("a", 1.0, 1.0);
    let b = full_asset("b");
    let c = minimal_asset("c", 2.0, 2.0);
    let s1 = store.insert(&a, &api()).await.unwrap();
    let s2 = store
        .insert_many(&[b.clone(), c.clone()], &api())
        .await
        .unwrap();
    let a2 = next_version(&a);
    let s3 = store.replace(&a2, &api()).await.unwrap();
    let s4 = store.delete(&c.id, &api()).await.unwrap();
    assert!(s1 < s2 && s2 < s3 && s3 < s4);
    assert_eq!(store.latest_seq().await.unwrap(), s4);
    drop(store);

    let store = GeoPackageStore::open(&path).unwrap();
    assert_eq!(store.latest_seq().await.unwrap(), s4);
    let all = store.changes_since(0, 100).await.unwrap();
    let summary: Vec<(u64, &str, ChangeKind)> =
        all.iter().map(|c| (c.seq, c.id.as_str(), c.kind)).collect();
    assert_eq!(
        summary,
        vec![
            (1, "a", ChangeKind::Upsert),
            (2, "b", ChangeKind::Upsert),
            (3, "c", ChangeKind::Upsert),
            (4, "a", ChangeKind::Upsert),
            (5, "c", ChangeKind::Delete),
        ]
    );
    // Upserts carry the asset as it is now; a since-deleted one and deletes carry none.
    assert_eq!(all[0].asset.as_ref(), Some(&a2));
    assert_eq!(all[1].asset.as_ref(), Some(&b));
    assert_eq!(all[2].asset, None);
    assert_eq!(all[3].asset.as_ref(), Some(&a2));
    assert_eq!(all[4].asset, None);

    let page: Vec<u64> = store
        .changes_since(2, 2)
        .await
        .unwrap()
        .iter()
        .map(|c| c.seq)
        .collect();
    assert_eq!(page, vec![3, 4]);
    assert!(store.changes_since(s4, 10).await.unwrap().is_empty());
    // Sequence numbers keep rising after a reopen.
    assert_eq!(store.insert(&c, &api()).await.unwrap(), s4 + 1);
}

#[tokio::test]
async fn a_second_store_on_the_same_file_sees_writes_through_the_feed() {
    let (_dir, path, one) = temp_store();
    let two = GeoPackageStore::open(&path).unwrap();
    let seq = one
        .insert(&minimal_asset("x", 3.0, 4.0), &api())
        .await
        .unwrap();
    let seen = two.changes_since(0, 10).await.unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].seq, seq);
    assert_eq!(two.count().await.unwrap(), 1);
}

/// What the file holds: `(schema_version, idempotency records)`, read without assetmap.
fn schema_and_records(path: &Path) -> (String, Vec<String>) {
    let conn = rusqlite::Connection::open(path).unwrap();
    let version = conn
        .query_row(
            "SELECT value FROM assetmap_meta WHERE key = 'schema_version'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let keys = conn
        .prepare("SELECT key FROM assetmap_idempotency ORDER BY key")
        .and_then(|mut s| {
            s.query_map([], |r| r.get(0))?
                .collect::<Result<Vec<String>, _>>()
        })
        .unwrap_or_else(|e| vec![format!("no table: {e}")]);
    (version, keys)
}

fn keyed(key: &str, expires_at: DateTime<Utc>) -> IdempotencyRecord {
    IdempotencyRecord {
        key: key.to_owned(),
        fingerprint: "fp".to_owned(),
        outcome: Outcome {
            status: 204,
            location: None,
            etag: None,
            body: String::new(),
        },
        created_at: expires_at - chrono::Duration::hours(24),
        expires_at,
    }
}

/// SQL that takes a current file back to what schema version 4 wrote: no suggestions table,
/// and accounts without a feed link.
macro_rules! back_to_version_4 {
    () => {
        "DROP TABLE assetmap_suggestions; DROP INDEX assetmap_accounts_feed; \
         ALTER TABLE assetmap_accounts DROP COLUMN feed_hash; \
         UPDATE assetmap_meta SET value = '4' WHERE key = 'schema_version'; "
    };
}
const BACK_TO_VERSION_4: &str = back_to_version_4!();

/// SQL that takes a current file back to what schema version 3 wrote: no account tables, and
/// the change feed without the history columns.
const BACK_TO_VERSION_3: &str = concat!(
    back_to_version_4!(),
    "DROP TABLE assetmap_accounts; DROP TABLE assetmap_stewardships; \
    DROP TABLE assetmap_sessions; DROP TABLE assetmap_api_tokens; \
    DROP TABLE assetmap_invitations; DROP TABLE assetmap_proposals; \
    ALTER TABLE asset_changes DROP COLUMN actor; ALTER TABLE asset_changes DROP COLUMN via; \
    ALTER TABLE asset_changes DROP COLUMN \"before\"; \
    UPDATE asset_changes SET version = NULL WHERE kind = 'delete'; \
    UPDATE assetmap_meta SET value = '3' WHERE key = 'schema_version';"
);

#[tokio::test]
async fn a_version_3_file_gains_history_and_accounts_on_opening() {
    let (_dir, path, store) = temp_store();
    let a = minimal_asset("old:1", -2.3, 53.4);
    store.insert(&a, &api()).await.unwrap();
    let a2 = next_version(&a);
    store.replace(&a2, &api()).await.unwrap();
    store.delete(&a.id, &api()).await.unwrap();
    drop(store);
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch(BACK_TO_VERSION_3)
        .unwrap();
    let columns = |path: &Path| -> Vec<String> {
        let conn = rusqlite::Connection::open(path).unwrap();
        let mut s = conn
            .prepare("SELECT name FROM pragma_table_info('asset_changes') ORDER BY cid")
            .unwrap();
        s.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    assert_eq!(
        columns(&path),
        ["seq", "asset_id", "kind", "version", "changed_at"],
        "what version 3 wrote"
    );
    assert_eq!(schema_and_records(&path).0, "3");

    let store = GeoPackageStore::open(&path).unwrap();
    assert_eq!(
        schema_and_records(&path).0,
        gpkg::SCHEMA_VERSION.to_string()
    );
    assert_eq!(gpkg::SCHEMA_VERSION, 6);
    assert_eq!(
        columns(&path),
        [
            "seq",
            "asset_id",
            "kind",
            "version",
            "changed_at",
            "actor",
            "via",
            "before"
        ]
    );
    // The old rows read back as unrecorded, with nothing before.
    let old = store.history(&a.id).await.unwrap();
    let seen: Vec<_> = old
        .iter()
        .map(|h| (h.seq, h.kind, h.version, h.by.clone(), h.before.is_some()))
        .collect();
    let unrecorded = assetmap_core::ChangeBy::system(assetmap_core::Via::Unrecorded);
    assert_eq!(
        seen,
        vec![
            (1, ChangeKind::Upsert, 1, unrecorded.clone(), false),
            (2, ChangeKind::Upsert, 2, unrecorded.clone(), false),
            (3, ChangeKind::Delete, 0, unrecorded, false),
        ]
    );
    // New writes are recorded, and the account tables are there.
    store.insert(&a, &api()).await.unwrap();
    let by = assetmap_core::ChangeBy::account("acc-1", assetmap_core::Via::Page);
    store.replace(&a2, &by).await.unwrap();
    let new = store.history(&a.id).await.unwrap();
    assert_eq!(new.len(), 5);
    assert_eq!(new[3].by, api());
    assert_eq!(new[4].by, by);
    assert_eq!(new[4].before.as_ref(), Some(&a));
    assert!(store.accounts().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_version_4_file_gains_suggestions_and_feeds_on_opening() {
    let (_dir, path, store) = temp_store();
    let a = minimal_asset("old:1", -2.3, 53.4);
    store.insert(&a, &api()).await.unwrap();
    let account = assetmap_store::Account {
        id: "acc-1".into(),
        email: "editor@example.org".into(),
        name: "Editor".into(),
        role: assetmap_core::Role::Editor,
        disabled: false,
        password_hash: "$argon2id$hash".into(),
        created_at: t0(),
        stewardships: vec![],
    };
    store.add_account(&account).await.unwrap();
    drop(store);
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch(BACK_TO_VERSION_4)
        .unwrap();
    let columns = |path: &Path| -> Vec<String> {
        let conn = rusqlite::Connection::open(path).unwrap();
        let mut s = conn
            .prepare("SELECT name FROM pragma_table_info('assetmap_accounts') ORDER BY cid")
            .unwrap();
        s.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let has_suggestions = |path: &Path| -> bool {
        rusqlite::Connection::open(path)
            .unwrap()
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'assetmap_suggestions'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .unwrap()
            == 1
    };
    assert!(
        !columns(&path).contains(&"feed_hash".to_owned()),
        "what version 4 wrote"
    );
    assert!(!has_suggestions(&path));
    assert_eq!(schema_and_records(&path).0, "4");

    let store = GeoPackageStore::open(&path).unwrap();
    assert_eq!(
        schema_and_records(&path).0,
        gpkg::SCHEMA_VERSION.to_string()
    );
    assert_eq!(gpkg::SCHEMA_VERSION, 6);
    assert_eq!(columns(&path).last().map(String::as_str), Some("feed_hash"));
    assert!(has_suggestions(&path));
    // What was there is kept; the new tables work, the feed link unique.
    assert_eq!(store.all().await.unwrap(), vec![a.clone()]);
    assert_eq!(store.account("acc-1").await.unwrap(), Some(account.clone()));
    store.set_feed("acc-1", Some("feed-hash")).await.unwrap();
    assert_eq!(
        store.account_by_feed("feed-hash").await.unwrap(),
        Some(account.clone())
    );
    let other = assetmap_store::Account {
        id: "acc-2".into(),
        email: "other@example.org".into(),
        ..account
    };
    store.add_account(&other).await.unwrap();
    assert!(matches!(
        store.set_feed("acc-2", Some("feed-hash")).await,
        Err(StoreError::Conflict(_))
    ));
    let n = store
        .add_suggestion(&assetmap_store::NewSuggestion {
            kind: assetmap_store::SuggestionKind::Closed,
            asset: Some(a.id.clone()),
            base_version: Some(1),
            changes: serde_json::json!({ "properties": { "status": "closed" } }),
            note: "shut in March".into(),
            contact: None,
            at: t0(),
        })
        .await
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(store.waiting_suggestions().await.unwrap(), (1, Some(t0())));
}

#[tokio::test]
async fn a_version_1_file_gains_the_idempotency_table_on_opening() {
    let (_dir, path, store) = temp_store();
    store
        .insert(&minimal_asset("old:1", -2.3, 53.4), &api())
        .await
        .unwrap();
    drop(store);
    // Back to what version 1 wrote.
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch(&format!(
            "{BACK_TO_VERSION_3} DROP TABLE assetmap_idempotency; \
                 DROP TABLE assetmap_source_records; \
                 UPDATE assetmap_meta SET value = '1' WHERE key = 'schema_version'"
        ))
        .unwrap();
    assert_eq!(schema_and_records(&path).0, "1");
    assert!(schema_and_records(&path).1[0].starts_with("no table"));

    let store = GeoPackageStore::open(&path).unwrap();
    assert_eq!(
        schema_and_records(&path),
        (gpkg::SCHEMA_VERSION.to_string(), vec![]),
        "upgraded to the current version, with an empty table"
    );
    assert_eq!(
        source_record_rows(&path),
        Ok(vec![]),
        "and the later versions' tables"
    );
    assert_eq!(store.count().await.unwrap(), 1, "the assets are kept");
    store
        .apply(
            Write::Delete(&id("old:1")),
            &api(),
            Some(&keyed(
                "after-upgrade",
                Utc::now() + chrono::Duration::hours(1),
            )),
        )
        .await
        .unwrap();
    assert_eq!(schema_and_records(&path).1, ["after-upgrade"]);
}

/// The source records table of the file, read without assetmap: `(source, asset_id,
/// imported_at)` rows, or why there are none.
fn source_record_rows(path: &Path) -> Result<Vec<(String, String, String)>, String> {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.prepare("SELECT source, asset_id, imported_at FROM assetmap_source_records ORDER BY source, asset_id")
        .and_then(|mut s| {
            s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(|e| e.to_string())
}

fn source_record(a: &Asset) -> assetmap_core::SourceRecord {
    assetmap_core::SourceRecord {
        source: "council".to_owned(),
        asset_id: a.id.clone(),
        fingerprint: "ab12".to_owned(),
        imported_version: a.version,
        imported_at: t0(),
        gone_since: None,
    }
}

#[tokio::test]
async fn a_version_2_file_gains_the_source_records_table_on_opening() {
    let (_dir, path, store) = temp_store();
    let kept = minimal_asset("old:1", -2.3, 53.4);
    store.insert(&kept, &api()).await.unwrap();
    store
        .apply(
            Write::Delete(&id("old:1")),
            &api(),
            Some(&keyed("before", Utc::now() + chrono::Duration::hours(1))),
        )
        .await
        .unwrap();
    store.insert(&kept, &api()).await.unwrap();
    drop(store);
    // Back to what version 2 wrote.
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch(&format!(
            "{BACK_TO_VERSION_3} DROP TABLE assetmap_source_records; \
                 UPDATE assetmap_meta SET value = '2' WHERE key = 'schema_version'"
        ))
        .unwrap();
    assert_eq!(schema_and_records(&path).0, "2");
    assert!(source_record_rows(&path)
        .unwrap_err()
        .contains("no such table"));

    let store = GeoPackageStore::open(&path).unwrap();
    assert_eq!(
        schema_and_records(&path),
        (gpkg::SCHEMA_VERSION.to_string(), vec!["before".to_owned()]),
        "upgraded to the current version, the idempotency records kept"
    );
    assert_eq!(gpkg::SCHEMA_VERSION, 6);
    assert_eq!(source_record_rows(&path), Ok(vec![]), "an empty table");
    assert_eq!(
        store.all().await.unwrap(),
        vec![kept.clone()],
        "the assets are kept"
    );
    // Not a layer: gpkg_contents does not list it.
    let registered: i64 = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row(
            "SELECT count(*) FROM gpkg_contents WHERE table_name = 'assetmap_source_records'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(registered, 0);

    let new = minimal_asset("new:1", -2.2, 53.5);
    store
        .apply_import(
            assetmap_store::ImportBatch {
                inserts: std::slice::from_ref(&new),
                replaces: &[],
                records: &[source_record(&kept), source_record(&new)],
                by: &api(),
            },
            &|_| {},
        )
        .await
        .unwrap();
    // Times in the file's time format: fixed-width ISO 8601 UTC with nine fractional digits.
    assert_eq!(
        source_record_rows(&path).unwrap(),
        vec![
            (
                "council".to_owned(),
                "new:1".to_owned(),
                "2025-03-14T15:09:26.535897932Z".to_owned()
            ),
            (
                "council".to_owned(),
                "old:1".to_owned(),
                "2025-03-14T15:09:26.535897932Z".to_owned()
            ),
        ]
    );
    drop(store);
    let store = GeoPackageStore::open(&path).unwrap();
    assert_eq!(
        store.source_records("council").await.unwrap(),
        vec![source_record(&new), source_record(&kept)],
        "kept across reopening, nanoseconds included"
    );
}

#[tokio::test]
async fn apply_import_widens_the_extent() {
    let (_dir, path, store) = temp_store();
    let a = minimal_asset("a", -2.0, 53.0);
    store.insert(&a, &api()).await.unwrap();
    let mut moved = next_version(&a);
    moved.location = assetmap_core::LonLat::new(1.5, 54.5).unwrap();
    store
        .apply_import(
            assetmap_store::ImportBatch {
                inserts: &[minimal_asset("b", -3.0, 52.0)],
                replaces: &[moved],
                records: &[],
                by: &api(),
            },
            &|_| {},
        )
        .await
        .unwrap();
    let extent: (f64, f64, f64, f64) = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row(
            "SELECT min_x, min_y, max_x, max_y FROM gpkg_contents WHERE table_name = 'assets'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(extent, (-3.0, 52.0, 1.5, 54.5));
}

#[tokio::test]
async fn every_write_purges_expired_idempotency_records() {
    let (_dir, path, store) = temp_store();
    let now = Utc::now();
    for (i, (key, expires)) in [
        ("expired", now - chrono::Duration::seconds(1)),
        ("live", now + chrono::Duration::hours(1)),
    ]
    .into_iter()
    .enumerate()
    {
        let a = minimal_asset(&format!("p:{i}"), -2.3, 53.4);
        store
            .apply(Write::Insert(&a), &api(), Some(&keyed(key, expires)))
            .await
            .unwrap();
    }
    // The first record was written already expired; the second write purged it before keeping
    // its own.
    assert_eq!(schema_and_records(&path).1, ["live"]);
    // A write without a key purges too.
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute(
            "UPDATE assetmap_idempotency SET expires_at = '2000-01-01T00:00:00.000000000Z'",
            [],
        )
        .unwrap();
    assert_eq!(store.idempotency_record("live").await.unwrap(), None);
    store.delete(&id("p:0"), &api()).await.unwrap();
    assert_eq!(schema_and_records(&path).1, Vec::<String>::new());
}

/// Two processes on one file: while another holds the write lock (here a plain SQLite
/// connection in an open `BEGIN IMMEDIATE`, as a writer frozen mid-transaction would), a write
/// waits the lock timeout and fails with `Unavailable`, reads go on, and once the lock is let
/// go writes work again.
#[tokio::test]
async fn a_write_waits_for_another_writers_lock_only_as_long_as_the_lock_timeout() {
    let (_dir, path, _) = temp_store();
    let timeouts = Timeouts {
        lock: std::time::Duration::from_secs(1),
        ..Timeouts::default()
    };
    let store = GeoPackageStore::open_with(&path, &timeouts).unwrap();
    store
        .insert(&minimal_asset("before", 1.0, 2.0), &api())
        .await
        .unwrap();

    let other = rusqlite::Connection::open(&path).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let started = std::time::Instant::now();
    match store
        .insert(&minimal_asset("during", 1.0, 2.0), &api())
        .await
    {
        Err(StoreError::Unavailable(why)) => assert!(why.contains("locked"), "{why}"),
        other => panic!("expected Unavailable, got {other:?}"),
    }
    let took = started.elapsed();
    assert!(
        took >= std::time::Duration::from_millis(900) && took < std::time::Duration::from_secs(4),
        "waited {took:?} for a 1 s lock timeout"
    );
    assert_eq!(store.count().await.unwrap(), 1, "reads go on");
    other.execute_batch("ROLLBACK").unwrap();
    store
        .insert(&minimal_asset("after", 1.0, 2.0), &api())
        .await
        .unwrap();
    assert_eq!(
        store.count().await.unwrap(),
        2,
        "nothing refused was written"
    );
}

#[tokio::test]
async fn refuses_a_newer_schema_and_foreign_files() {
    let (_dir, path, store) = temp_store();
    drop(store);
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute(
            "UPDATE assetmap_meta SET value = ?1 WHERE key = 'schema_version'",
            [(gpkg::SCHEMA_VERSION + 1).to_string()],
        )
        .unwrap();
    }
    match GeoPackageStore::open(&path) {
        Err(StoreError::Schema(msg)) => {
            assert!(msg.contains("newer than this build knows"), "{msg}");
            assert!(
                msg.contains(&format!("version {}", gpkg::SCHEMA_VERSION + 1)),
                "{msg}"
            );
        }
        other => panic!("expected a schema error, got {other:?}"),
    }

    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("other.sqlite");
    rusqlite::Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE t (x INTEGER)")
        .unwrap();
    match GeoPackageStore::open(&other) {
        Err(StoreError::Schema(msg)) => assert!(msg.contains("not a GeoPackage"), "{msg}"),
        other => panic!("expected a schema error, got {other:?}"),
    }
}

#[tokio::test]
async fn opening_another_geopackage_adds_the_store_beside_its_layers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("existing.gpkg");
    let mut w = assetmap_gpkg::GpkgWriter::create(&path).unwrap();
    let cols = [assetmap_gpkg::Column::new(
        "code",
        assetmap_gpkg::ColumnType::Text,
    )];
    w.create_features_table(&assetmap_gpkg::FeatureTable {
        name: "wards",
        identifier: "Wards",
        description: "",
        geometry_type: assetmap_gpkg::GeometryType::Polygon,
        srs_id: assetmap_gpkg::WGS84_SRS_ID,
        columns: &cols,
    })
    .unwrap();
    let square = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]];
    w.insert_feature(
        "wards",
        &assetmap_gpkg::encode_polygon(assetmap_gpkg::WGS84_SRS_ID, &[&square]).unwrap(),
        &[&"W1"],
    )
    .unwrap();
    w.finish().unwrap();

    let store = GeoPackageStore::open(&path).unwrap();
    store
        .insert(&minimal_asset("a", 0.5, 0.5), &api())
        .await
        .unwrap();
    drop(store);
    let store = GeoPackageStore::open(&path).unwrap();
    assert_eq!(store.count().await.unwrap(), 1);
    drop(store);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let wards: i64 = conn
        .query_row("SELECT count(*) FROM wards", [], |r| r.get(0))
        .unwrap();
    let layers: i64 = conn
        .query_row("SELECT count(*) FROM gpkg_contents", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        (wards, layers),
        (1, 3),
        "wards kept; assets and asset_changes added"
    );
}

#[tokio::test]
async fn extent_in_gpkg_contents_covers_every_asset() {
    let (_dir, path, store) = temp_store();
    store
        .insert(&minimal_asset("a", -2.5, 53.3), &api())
        .await
        .unwrap();
    store
        .insert_many(
            &[
                minimal_asset("b", -2.1, 53.5),
                minimal_asset("c", -2.3, 53.4),
            ],
            &api(),
        )
        .await
        .unwrap();
    drop(store);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let env = assetmap_gpkg::extent(&conn, gpkg::ASSETS_TABLE)
        .unwrap()
        .unwrap();
    assert_eq!(
        env,
        assetmap_gpkg::Envelope {
            min_x: -2.5,
            max_x: -2.1,
            min_y: 53.3,
            max_y: 53.5
        }
    );
}

// Durability under SIGKILL is tested end to end in `tests/tests/durability.rs`
// (`acknowledged_store_writes_survive_sigkill`), with the writer as a program of its own
// (`tests/src/bin/durability-writer.rs`) rather than a test that passes when run alone.

/// Runs a GDAL command-line tool, failing the test (never skipping it) when GDAL is absent.
fn gdal(tool: &str, args: &[&str], file: &Path) -> String {
    let out = match Command::new(tool).args(args).arg(file).output() {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            panic!("{tool} is not installed; install GDAL's tools: apt-get install gdal-bin")
        }
        Err(e) => panic!("cannot run {tool}: {e}"),
    };
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{tool} failed: {stderr}\n{stdout}");
    assert!(
        !stderr.contains("ERROR") && !stderr.contains("Warning"),
        "{tool} complained: {stderr}"
    );
    stdout
}

#[tokio::test]
async fn gdal_reads_the_store_as_a_point_layer() {
    let (_dir, path, store) = temp_store();
    store.insert(&full_asset("full"), &api()).await.unwrap();
    store
        .insert_many(
            &[
                minimal_asset("west", -2.5, 53.3),
                minimal_asset("east", -2.1, 53.5),
            ],
            &api(),
        )
        .await
        .unwrap();
    store
        .insert(&minimal_asset("gone", 10.0, 10.0), &api())
        .await
        .unwrap();
    store.delete(&id("gone"), &api()).await.unwrap();
    // Read while the store is still open (WAL not yet checkpointed), as an analyst would.
    let summary = gdal("ogrinfo", &["-so", "-al"], &path);
    assert!(summary.contains("Layer name: assets"), "{summary}");
    assert!(summary.contains("Geometry: Point"), "{summary}");
    assert!(summary.contains("Feature Count: 3"), "{summary}");
    // The extent only grows: the deleted asset at (10, 10) still widens it (allowed: the
    // extent in gpkg_contents is informative and must cover the data, not fit it).
    assert!(
        summary.contains("Extent: (-2.500000, 10.000000) - (10.000000, 53.500000)"),
        "{summary}"
    );
    assert!(summary.contains("WGS 84"), "{summary}");
    for field in [
        "asset_id: String",
        "name: String",
        "categories: String",
        "opening_times_text: String",
        "by_arrangement: Integer(Boolean)",
        "min_age: Integer",
        "verified_at: Date",
        "created_at: String",
        "version: Integer",
    ] {
        assert!(summary.contains(field), "no {field:?} in:\n{summary}");
    }
    assert!(summary.contains("Layer name: asset_changes"), "{summary}");
    assert!(summary.contains("changed_at: DateTime"), "{summary}");

    // Every feature decodes: GDAL prints the point and the parsed timestamp.
    let features = gdal(
        "ogrinfo",
        &["-al", "-q", "-where", "asset_id = 'full'"],
        &path,
    );
    assert!(
        features.contains("POINT (-2.3478123456789 53.378123456789)"),
        "{features}"
    );
    assert!(
        features.contains("postcode (String) = WA15 9BG"),
        "{features}"
    );
    assert!(
        features.contains("verified_at (Date) = 2025/02/28"),
        "{features}"
    );
    drop(store);
}

#[test]
fn gdal_reads_a_written_polygon_layer_with_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.gpkg");
    let mut w = assetmap_gpkg::GpkgWriter::create(&path).unwrap();
    let cols = [
        assetmap_gpkg::Column::new("code", assetmap_gpkg::ColumnType::Text).not_null(),
        assetmap_gpkg::Column::new("population", assetmap_gpkg::ColumnType::Integer),
    ];
    w.create_features_table(&assetmap_gpkg::FeatureTable {
        name: "wards",
        identifier: "Wards",
        description: "Electoral wards",
        geometry_type: assetmap_gpkg::GeometryType::MultiPolygon,
        srs_id: assetmap_gpkg::WGS84_SRS_ID,
        columns: &cols,
    })
    .unwrap();
    let outer = [
        [-2.4, 53.3],
        [-2.3, 53.3],
        [-2.3, 53.4],
        [-2.4, 53.4],
        [-2.4, 53.3],
    ];
    let hole = [
        [-2.38, 53.32],
        [-2.36, 53.32],
        [-2.36, 53.34],
        [-2.38, 53.32],
    ];
    let island = [[-2.2, 53.45], [-2.19, 53.45], [-2.19, 53.46], [-2.2, 53.45]];
    let blob = assetmap_gpkg::encode_multipolygon(
        assetmap_gpkg::WGS84_SRS_ID,
        &[vec![&outer[..], &hole[..]], vec![&island[..]]],
    )
    .unwrap();
    w.insert_feature("wards", &blob, &[&"E05000820", &11_000i64])
        .unwrap();
    w.insert_feature("wards", &blob, &[&"E05000821", &None::<i64>])
        .unwrap();
    assert!(w.insert_feature("wards", &blob, &[&"too few"]).is_err());
    w.add_metadata(
        Some("wards"),
        &assetmap_gpkg::DatasetMetadata {
            source: "ONS".into(),
            licence: "OGL-3.0".into(),
            attribution: Some("Contains OS data © Crown copyright".into()),
            date: chrono::NaiveDate::from_ymd_opt(2025, 5, 1).unwrap(),
            method: "assetmap export".into(),
        },
    )
    .unwrap();
    w.finish().unwrap();
    assert!(
        !dir.path().join("export.gpkg-wal").exists(),
        "an export is one self-contained file"
    );

    let summary = gdal("ogrinfo", &["-so", "-al"], &path);
    assert!(summary.contains("Layer name: wards"), "{summary}");
    assert!(summary.contains("Geometry: Multi Polygon"), "{summary}");
    assert!(summary.contains("Feature Count: 2"), "{summary}");
    assert!(
        summary.contains("Extent: (-2.400000, 53.300000) - (-2.190000, 53.460000)"),
        "{summary}"
    );
    assert!(summary.contains("LICENCE=OGL-3.0"), "{summary}");
    assert!(summary.contains("SOURCE=ONS"), "{summary}");
    let wkt = gdal(
        "ogrinfo",
        &["-al", "-q", "-where", "code = 'E05000820'"],
        &path,
    );
    assert!(
        wkt.contains(
            "MULTIPOLYGON (((-2.4 53.3,-2.3 53.3,-2.3 53.4,-2.4 53.4,-2.4 53.3),(-2.38 53.32,"
        ),
        "{wkt}"
    );
    assert!(wkt.contains("population (Integer64) = 11000"), "{wkt}");
}

/// A store file written by an earlier version can hold text that today's input rules refuse (a
/// bidi control in a name, an invisible-only tag): it still loads, as it was stored, so a server
/// never refuses to start over an old record.
#[tokio::test]
async fn records_an_earlier_version_accepted_still_load() {
    let (_dir, path, store) = temp_store();
    let a = minimal_asset("legacy:1", -2.3, 53.4);
    store.insert(&a, &api()).await.unwrap();
    drop(store);
    let old_name = "Sale \u{202E}Singers";
    let old_tag = "\u{200B}";
    assert!(AssetName::parse(old_name).is_err() && Tag::parse(old_tag).is_err());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "UPDATE assets SET name = ?1, tags = ?2 WHERE asset_id = 'legacy:1'",
        [old_name, old_tag],
    )
    .unwrap();
    drop(conn);

    let store = GeoPackageStore::open(&path).unwrap();
    let all = store.all().await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].name.as_str(), old_name);
    assert_eq!(all[0].tags.len(), 1);
}

/// An asset's history reads its own rows through the index, not the whole change feed: what a
/// national register with millions of changes needs.
#[tokio::test]
async fn an_assets_history_is_read_through_its_index() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.gpkg");
    drop(GeoPackageStore::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    let plan: Vec<String> = conn
        .prepare(
            "EXPLAIN QUERY PLAN SELECT seq, kind, \"before\" FROM asset_changes WHERE asset_id = ?1 ORDER BY seq",
        )
        .unwrap()
        .query_map(["x:1"], |r| r.get::<_, String>(3))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(
        plan.iter()
            .any(|p| p.contains("USING INDEX asset_changes_asset")),
        "{plan:?}"
    );
}
