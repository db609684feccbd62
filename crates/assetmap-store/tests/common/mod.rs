//! What every [`AssetStore`] must do, written once and run on each implementation
//! (`behaves_like_a_store`), plus seeded fixtures.
//!
//! Timestamps in the fixtures are whole microseconds: PostgreSQL keeps `timestamptz` to the
//! microsecond, so that is the precision every store is held to.
#![allow(dead_code)] // each test binary uses its own part of this module

pub mod pg;

use assetmap_core::{
    Asset, AssetDraft, AssetId, AudienceDraft, ContactDraft, CostDraft, OpeningTimesDraft,
    PeriodDraft, Provenance, SourceRecord,
};
use assetmap_core::{ChangeBy, Via};
use assetmap_store::{
    AssetStore, ChangeKind, IdempotencyRecord, ImportBatch, Outcome, StoreError, Write,
};
use chrono::{DateTime, Duration, TimeZone, Utc};
use std::sync::Mutex;

/// A fixed instant with a sub-second part (microseconds).
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 14, 9, 26, 53)
        .single()
        .expect("valid date")
        + Duration::microseconds(589_793)
}

/// The `i`-th fixture asset, id `fixture:{i}`. Every field of the domain model is filled for
/// even `i` (opening times past midnight, cost, access, audience, languages, provenance…);
/// odd `i` leave the optional ones empty, so both shapes round-trip.
pub fn asset(i: u32) -> Asset {
    let full = i.is_multiple_of(2);
    let lon = -2.40 + f64::from(i % 97) * 0.0021;
    let lat = 53.38 + f64::from(i % 89) * 0.0017;
    let draft = if full {
        AssetDraft {
            name: Some(format!("Fixture asset {i} — café & garden")),
            description: Some(format!(
                "Number {i}. Quotes \" and backslashes \\ and tabs\tsurvive."
            )),
            abcd_type: Some(
                [
                    "association",
                    "institution",
                    "physical_space",
                    "economy",
                    "culture",
                ][(i % 5) as usize]
                    .to_owned(),
            ),
            categories: vec![
                "green_space_nature".into(),
                "befriending".into(),
                "food".into(),
            ],
            tags: vec!["gardening".into(), "tea & cake".into()],
            address: Some("1 Talbot Road, Stretford".into()),
            postcode: Some("m32 0te".into()),
            contact: ContactDraft {
                phone: Some("0161 912 2000".into()),
                email: Some("hello@example.org".into()),
                website: Some("www.example.org/asset".into()),
            },
            opening_times: OpeningTimesDraft {
                periods: vec![
                    PeriodDraft {
                        day: "fri".into(),
                        opens: "22:00".into(),
                        closes: "02:00".into(),
                    },
                    PeriodDraft {
                        day: "tue".into(),
                        opens: "09:30".into(),
                        closes: "12:00".into(),
                    },
                ],
                by_arrangement: true,
                note: Some("closed bank holidays".into()),
            },
            cost: Some(CostDraft {
                band: "low".into(),
                detail: Some("£2 a session, carers free".into()),
            }),
            access: vec!["step_free".into(), "hearing_loop".into()],
            audience: AudienceDraft {
                min_age: Some(16),
                max_age: Some(99),
                description: Some("carers".into()),
            },
            languages: vec!["en".into(), "ur".into()],
            provenance: Provenance {
                source: Some("Fixture".into()),
                source_id: Some(format!("row {i}")),
                licence: Some("OGL-3.0".into()),
                attribution: Some("Contains public sector information".into()),
                geocode_method: Some("manual".into()),
            },
            verified_at: Some("2024-11-05".into()),
            status: Some(["active", "temporarily_closed", "closed"][(i % 3) as usize].to_owned()),
        }
    } else {
        AssetDraft {
            name: Some(format!("Bare asset {i}")),
            abcd_type: Some("institution".into()),
            categories: vec!["learning".into()],
            ..AssetDraft::default()
        }
    };
    let valid = draft
        .validate(Some((lon, lat)))
        .expect("fixture drafts are valid");
    let id = AssetId::parse(&format!("fixture:{i:06}")).expect("fixture ids are valid");
    Asset::create(id, valid, t0() + Duration::seconds(i64::from(i)))
}

/// Fixtures `from..to`.
pub fn assets(from: u32, to: u32) -> Vec<Asset> {
    (from..to).map(asset).collect()
}

/// The next version of `a`, with a new name, updated a minute later.
pub fn next_version(a: &Asset, name: &str) -> Asset {
    let mut draft = a.to_draft();
    draft.name = Some(name.to_owned());
    let valid = draft
        .validate(Some((a.location.lon(), a.location.lat())))
        .expect("still valid");
    a.replaced_by(valid, a.updated_at + Duration::minutes(1))
}

/// Who the fixtures' writes are made by: no account, through the API.
pub fn api() -> ChangeBy {
    ChangeBy::system(Via::Api)
}

/// Who an import batch's writes are made by.
pub fn import_by() -> &'static ChangeBy {
    static BY: std::sync::OnceLock<ChangeBy> = std::sync::OnceLock::new();
    BY.get_or_init(|| ChangeBy::system(Via::Import("council".into())))
}

fn id(s: &str) -> AssetId {
    AssetId::parse(s).expect("valid id")
}

/// The behaviour every store shares. `store` must be empty (no assets, no changes).
pub async fn behaves_like_a_store(store: &dyn AssetStore) {
    // Empty.
    assert_eq!(store.count().await.expect("count"), 0);
    assert!(store.all().await.expect("all").is_empty());
    assert_eq!(store.latest_seq().await.expect("latest_seq"), 0);
    assert!(store
        .changes_since(0, 100)
        .await
        .expect("changes")
        .is_empty());
    assert_eq!(store.get(&id("fixture:000000")).await.expect("get"), None);
    assert_eq!(
        store
            .insert_many(&[], &api())
            .await
            .expect("empty insert_many"),
        0,
        "an empty batch changes nothing"
    );

    // Insert and read back every field.
    let a0 = asset(0);
    let a1 = asset(1);
    let s1 = store.insert(&a0, &api()).await.expect("insert a0");
    let s2 = store.insert(&a1, &api()).await.expect("insert a1");
    assert!(s1 > 0 && s2 > s1, "sequence numbers increase: {s1}, {s2}");
    assert_eq!(
        store.get(&a0.id).await.expect("get a0").as_ref(),
        Some(&a0),
        "full asset round-trips"
    );
    assert_eq!(
        store.get(&a1.id).await.expect("get a1").as_ref(),
        Some(&a1),
        "bare asset round-trips"
    );
    assert_eq!(store.latest_seq().await.expect("latest"), s2);

    // Keyset pages, in id order (what exports stream with).
    let first = store.page_after(None, 1).await.expect("first page");
    assert_eq!(first, vec![a0.clone()], "a page of one from the start");
    let rest = store.page_after(Some(&a0.id), 10).await.expect("next page");
    assert_eq!(rest, vec![a1.clone()], "the page after a0");
    assert!(store
        .page_after(Some(&a1.id), 10)
        .await
        .expect("last page")
        .is_empty());

    // Same id again.
    match store.insert(&a0, &api()).await {
        Err(StoreError::AlreadyExists(got)) => assert_eq!(got, a0.id),
        other => panic!("inserting a0 twice should be AlreadyExists, got {other:?}"),
    }
    assert_eq!(
        store.latest_seq().await.expect("latest"),
        s2,
        "a refused write appends no change"
    );

    // Replace: only the next version of the stored one.
    let a0v2 = next_version(&a0, "Renamed fixture 0");
    let s3 = store.replace(&a0v2, &api()).await.expect("replace to v2");
    assert!(s3 > s2);
    assert_eq!(store.get(&a0.id).await.expect("get").as_ref(), Some(&a0v2));
    match store.replace(&a0v2, &api()).await {
        Err(StoreError::VersionConflict {
            id: got,
            expected,
            actual,
        }) => {
            assert_eq!(
                (got, expected, actual),
                (a0.id.clone(), 1, 2),
                "v2 again is based on v1, stored is v2"
            );
        }
        other => panic!("a stale replace should be VersionConflict, got {other:?}"),
    }
    let skip = next_version(&next_version(&a0v2, "v3"), "v4");
    assert!(matches!(
        store.replace(&skip, &api()).await,
        Err(StoreError::VersionConflict {
            expected: 3,
            actual: 2,
            ..
        })
    ));
    let ghost = next_version(&asset(999), "ghost");
    match store.replace(&ghost, &api()).await {
        Err(StoreError::NotFound(got)) => assert_eq!(got, ghost.id),
        other => panic!("replacing a missing asset should be NotFound, got {other:?}"),
    }

    // Delete.
    let s4 = store.delete(&a1.id, &api()).await.expect("delete a1");
    assert!(s4 > s3);
    assert_eq!(store.get(&a1.id).await.expect("get"), None);
    match store.delete(&a1.id, &api()).await {
        Err(StoreError::NotFound(got)) => assert_eq!(got, a1.id),
        other => panic!("deleting twice should be NotFound, got {other:?}"),
    }
    assert_eq!(store.count().await.expect("count"), 1);

    // The change feed: in order, the current asset for upserts, None for deletes and for
    // upserts of assets deleted since.
    let feed = store.changes_since(0, 100).await.expect("feed");
    let summary: Vec<(u64, String, ChangeKind)> = feed
        .iter()
        .map(|c| (c.seq, c.id.to_string(), c.kind))
        .collect();
    assert_eq!(
        summary,
        vec![
            (s1, a0.id.to_string(), ChangeKind::Upsert),
            (s2, a1.id.to_string(), ChangeKind::Upsert),
            (s3, a0.id.to_string(), ChangeKind::Upsert),
            (s4, a1.id.to_string(), ChangeKind::Delete),
        ]
    );
    assert_eq!(
        feed[0].asset.as_ref(),
        Some(&a0v2),
        "an upsert carries the asset as it is now"
    );
    assert_eq!(feed[1].asset, None, "a1 has since been deleted");
    assert_eq!(feed[3].asset, None, "a delete carries no asset");
    let tail = store.changes_since(s2, 1).await.expect("tail");
    assert_eq!(
        tail.iter().map(|c| c.seq).collect::<Vec<_>>(),
        vec![s3],
        "since is exclusive, limit is honoured"
    );
    assert!(store
        .changes_since(s4, 10)
        .await
        .expect("after the end")
        .is_empty());

    // Bulk: all or nothing.
    let batch = assets(10, 60);
    let s5 = store
        .insert_many(&batch, &api())
        .await
        .expect("insert_many");
    assert!(s5 > s4);
    assert_eq!(store.count().await.expect("count"), 51);
    assert_eq!(store.latest_seq().await.expect("latest"), s5);
    let feed = store.changes_since(s4, 1000).await.expect("feed");
    assert_eq!(feed.len(), 50, "one change per bulk-loaded asset");
    assert_eq!(feed.last().map(|c| c.seq), Some(s5));
    assert_eq!(feed[7].asset.as_ref(), Some(&batch[7]));

    let mut clashing = assets(60, 70);
    clashing.push(asset(10)); // already stored
    assert!(
        matches!(store.insert_many(&clashing, &api()).await, Err(StoreError::AlreadyExists(got)) if got == asset(10).id)
    );
    let mut twice = assets(70, 75);
    twice.push(asset(72)); // repeated inside the batch
    assert!(
        store.insert_many(&twice, &api()).await.is_err(),
        "a batch repeating an id is refused"
    );
    assert_eq!(
        store.count().await.expect("count"),
        51,
        "a refused batch stores nothing"
    );
    assert_eq!(store.get(&asset(60).id).await.expect("get"), None);
    assert_eq!(
        store.latest_seq().await.expect("latest"),
        s5,
        "a refused batch appends no change"
    );

    // Everything, in id order.
    let all = store.all().await.expect("all");
    let mut expected: Vec<Asset> = std::iter::once(a0v2).chain(batch).collect();
    expected.sort_by(|x, y| x.id.cmp(&y.id));
    assert_eq!(all, expected);

    // Keyset pages cover the same assets in the same order.
    let mut paged: Vec<Asset> = Vec::new();
    loop {
        let page = store
            .page_after(paged.last().map(|a| &a.id), 7)
            .await
            .expect("page");
        assert!(page.len() <= 7);
        if page.is_empty() {
            break;
        }
        paged.extend(page);
    }
    assert_eq!(paged, expected, "page_after walks every asset in id order");
    assert!(store
        .page_after(Some(&id("zzz")), 7)
        .await
        .expect("past the end")
        .is_empty());
    assert_eq!(
        store.page_after(None, 0).await.expect("limit 0"),
        Vec::<Asset>::new()
    );
}

/// The real clock, to the whole microsecond (what PostgreSQL keeps).
pub fn now_micros() -> DateTime<Utc> {
    let now = Utc::now();
    now - Duration::nanoseconds(i64::from(now.timestamp_subsec_nanos() % 1000))
}

/// An idempotency record for `key`: a request with `fingerprint`, answered `status` with a
/// body naming the key, kept from `created_at` for `keep`.
pub fn record(
    key: &str,
    fingerprint: &str,
    status: u16,
    created_at: DateTime<Utc>,
    keep: Duration,
) -> IdempotencyRecord {
    IdempotencyRecord {
        key: key.to_owned(),
        fingerprint: fingerprint.to_owned(),
        outcome: Outcome {
            status,
            location: (status == 201).then(|| format!("http://example.org/items/{key}")),
            etag: (status != 204).then(|| "\"1\"".to_owned()),
            body: if status == 204 {
                String::new()
            } else {
                format!("{{\"answer to\":\"{key}\",\"text\":\"café \\\" ✓\"}}")
            },
        },
        created_at,
        expires_at: created_at + keep,
    }
}

/// Idempotency records, on every store. `store` must be empty. Times are whole microseconds
/// (PostgreSQL's precision) and relative to the real clock, which the stores expire by.
pub async fn keeps_idempotency_records(store: &dyn AssetStore) {
    let now = now_micros();
    let day = Duration::hours(24);

    // A write with a record: the write and the record, together.
    let a = asset(100);
    let first = record("key-insert", "fp-a", 201, now, day);
    let seq = store
        .apply(Write::Insert(&a), &api(), Some(&first))
        .await
        .expect("a keyed insert");
    assert_eq!(store.get(&a.id).await.expect("get").as_ref(), Some(&a));
    assert_eq!(
        store
            .idempotency_record("key-insert")
            .await
            .expect("lookup"),
        Some(first.clone()),
        "the record reads back exactly"
    );
    assert_eq!(
        store.idempotency_record("key-other").await.expect("lookup"),
        None
    );

    // The same key again (a retry, even of another asset): nothing written, the kept record
    // given back — with its fingerprint, so the caller can tell a retry from a reuse.
    let b = asset(101);
    for (again, what) in [(a.clone(), "the same asset"), (b.clone(), "another asset")] {
        let retry = record("key-insert", "fp-b", 201, now + Duration::seconds(1), day);
        match store
            .apply(Write::Insert(&again), &api(), Some(&retry))
            .await
        {
            Err(StoreError::KeyAlreadyUsed(kept)) => assert_eq!(*kept, first, "{what}"),
            other => panic!("a used key with {what} should be KeyAlreadyUsed, got {other:?}"),
        }
    }
    assert_eq!(store.count().await.expect("count"), 1, "exactly one asset");
    assert_eq!(store.get(&b.id).await.expect("get"), None);
    assert_eq!(
        store.latest_seq().await.expect("latest"),
        seq,
        "no change appended"
    );

    // A write that fails keeps no record: the key stays free.
    let clash = record("key-clash", "fp", 201, now, day);
    assert!(matches!(
        store.apply(Write::Insert(&a), &api(), Some(&clash)).await,
        Err(StoreError::AlreadyExists(_))
    ));
    assert_eq!(
        store.idempotency_record("key-clash").await.expect("lookup"),
        None
    );

    // Replace and delete carry records too.
    let a2 = next_version(&a, "Renamed with a key");
    let replaced = record("key-replace", "fp-r", 200, now, day);
    store
        .apply(Write::Replace(&a2), &api(), Some(&replaced))
        .await
        .expect("a keyed replace");
    match store
        .apply(Write::Replace(&a2), &api(), Some(&replaced))
        .await
    {
        Err(StoreError::KeyAlreadyUsed(kept)) => assert_eq!(*kept, replaced),
        other => panic!("a replayed replace should be KeyAlreadyUsed, got {other:?}"),
    }
    assert_eq!(
        store.get(&a.id).await.expect("get").map(|x| x.version),
        Some(2)
    );
    let deleted = record("key-delete", "fp-d", 204, now, day);
    store
        .apply(Write::Delete(&a.id), &api(), Some(&deleted))
        .await
        .expect("a keyed delete");
    match store
        .apply(Write::Delete(&a.id), &api(), Some(&deleted))
        .await
    {
        Err(StoreError::KeyAlreadyUsed(kept)) => {
            assert_eq!(kept.outcome.status, 204);
            assert_eq!(kept.outcome.body, "");
        }
        other => panic!("a replayed delete should be KeyAlreadyUsed, not {other:?}"),
    }

    // Expiry: a record whose time has passed is not answered, and its key is free again.
    let old = record("key-old", "fp-old", 201, now - day * 2, day);
    let c = asset(102);
    store
        .apply(Write::Insert(&c), &api(), Some(&old))
        .await
        .expect("a write with an already expired record");
    assert_eq!(
        store.idempotency_record("key-old").await.expect("lookup"),
        None,
        "an expired record is not answered"
    );
    let renewed = record("key-old", "fp-new", 201, now, day);
    let d = asset(103);
    store
        .apply(Write::Insert(&d), &api(), Some(&renewed))
        .await
        .expect("an expired key is free again");
    assert_eq!(
        store.idempotency_record("key-old").await.expect("lookup"),
        Some(renewed)
    );
    assert_eq!(store.count().await.expect("count"), 2);
}

/// A source record of `source` for `a` at its version, found by the import at `at`.
pub fn source_record(
    source: &str,
    a: &Asset,
    fingerprint: &str,
    at: DateTime<Utc>,
    gone_since: Option<DateTime<Utc>>,
) -> SourceRecord {
    SourceRecord {
        source: source.to_owned(),
        asset_id: a.id.clone(),
        fingerprint: fingerprint.to_owned(),
        imported_version: a.version,
        imported_at: at,
        gone_since,
    }
}

/// An import batch.
pub fn batch<'a>(
    inserts: &'a [Asset],
    replaces: &'a [Asset],
    records: &'a [SourceRecord],
) -> ImportBatch<'a> {
    ImportBatch {
        inserts,
        replaces,
        records,
        by: import_by(),
    }
}

/// Runs `apply_import`, returning its answer and every count it reported.
pub async fn import_reporting(
    store: &dyn AssetStore,
    b: ImportBatch<'_>,
) -> (Result<u64, StoreError>, Vec<usize>) {
    let seen = Mutex::new(Vec::new());
    let answer = store
        .apply_import(b, &|n| seen.lock().expect("progress lock").push(n))
        .await;
    (answer, seen.into_inner().expect("progress lock"))
}

/// Source records, on every store. `store` must be empty. Times are whole microseconds.
pub async fn keeps_source_records(store: &dyn AssetStore) {
    assert!(store
        .source_records("council")
        .await
        .expect("no records yet")
        .is_empty());
    let day = Duration::days(1);
    let at = t0();
    let a = assets(0, 3);

    // A first import: the assets and their records, given out of id order (and with
    // fingerprints in another order), for two sources (a record of "other" for the same asset
    // is a different record).
    let records = vec![
        source_record("council", &a[2], "a-2", at, None),
        source_record("council", &a[0], "c-0", at, None),
        source_record("council", &a[1], "b-1", at + day, Some(at)),
        source_record("other", &a[1], "other-fp-1", at, None),
    ];
    let seq = store
        .apply_import(batch(&a, &[], &records), &|_| {})
        .await
        .expect("first import");
    assert_eq!(seq, store.latest_seq().await.expect("latest"));
    let council = vec![records[1].clone(), records[2].clone(), records[0].clone()];
    assert_eq!(
        store.source_records("council").await.expect("council"),
        council,
        "the records read back exactly, in asset id order"
    );
    assert_eq!(
        store.source_records("other").await.expect("other"),
        vec![records[3].clone()],
        "only the source's own records"
    );
    assert!(store
        .source_records("counci")
        .await
        .expect("no such source")
        .is_empty());

    // A records-only batch writes no asset and no change, answers the latest sequence
    // number, and replaces the record kept for the same (source, asset id) only.
    let newer = source_record("council", &a[0], "d-0-new", at + day * 2, Some(at + day));
    let seq2 = store
        .apply_import(batch(&[], &[], std::slice::from_ref(&newer)), &|_| {})
        .await
        .expect("records only");
    assert_eq!(seq2, seq, "no change written");
    assert_eq!(store.latest_seq().await.expect("latest"), seq);
    assert_eq!(
        store.source_records("council").await.expect("council"),
        vec![newer.clone(), records[2].clone(), records[0].clone()],
        "a0's record replaced, the others kept"
    );
    assert_eq!(
        store.source_records("other").await.expect("other"),
        vec![records[3].clone()],
        "another source's record of the same asset is kept"
    );

    // The same key twice in one batch: the later is kept. A record of a replaced asset
    // carries its new version.
    let a2v2 = next_version(&a[2], "Renamed by the source");
    let first = source_record("council", &a2v2, "z-2-first", at + day * 3, None);
    let last = source_record("council", &a2v2, "a-2-last", at + day * 3, None);
    store
        .apply_import(
            batch(&[], std::slice::from_ref(&a2v2), &[first, last.clone()]),
            &|_| {},
        )
        .await
        .expect("a replace with its record");
    assert_eq!(
        store.source_records("council").await.expect("council"),
        vec![newer.clone(), records[2].clone(), last.clone()]
    );
    assert_eq!(last.imported_version, 2);

    // Deleting an asset keeps its records: the next import must see it was deleted here.
    store.delete(&a[1].id, &api()).await.expect("delete a1");
    assert_eq!(store.get(&a[1].id).await.expect("get"), None);
    assert_eq!(
        store.source_records("council").await.expect("council"),
        vec![newer, records[2].clone(), last],
        "the deleted asset's record is still there"
    );
    assert_eq!(
        store.source_records("other").await.expect("other"),
        vec![records[3].clone()]
    );
}

/// `apply_import`, on every store: the writes, the change feed, progress, all or nothing.
/// `store` must be empty.
pub async fn applies_imports_all_or_nothing(store: &dyn AssetStore) {
    let at = t0();
    let a0 = asset(0);
    let base = store.insert(&a0, &api()).await.expect("insert a0");

    // Three new assets and the next version of a stored one.
    let new = assets(1, 4);
    let a0v2 = next_version(&a0, "Renamed by the council");
    let records: Vec<SourceRecord> = new
        .iter()
        .chain(std::iter::once(&a0v2))
        .map(|a| source_record("council", a, "fp", at, None))
        .collect();
    let (answer, progress) =
        import_reporting(store, batch(&new, std::slice::from_ref(&a0v2), &records)).await;
    let seq = answer.expect("an import");
    assert_eq!(
        progress.last(),
        Some(&4),
        "progress reaches the total: {progress:?}"
    );
    assert!(progress.windows(2).all(|w| w[0] <= w[1]), "{progress:?}");
    assert_eq!(store.latest_seq().await.expect("latest"), seq);
    let feed = store.changes_since(base, 100).await.expect("feed");
    let summary: Vec<(String, ChangeKind)> =
        feed.iter().map(|c| (c.id.to_string(), c.kind)).collect();
    assert_eq!(
        summary,
        vec![
            (new[0].id.to_string(), ChangeKind::Upsert),
            (new[1].id.to_string(), ChangeKind::Upsert),
            (new[2].id.to_string(), ChangeKind::Upsert),
            (a0.id.to_string(), ChangeKind::Upsert),
        ],
        "one change per insert, then per replacement"
    );
    assert_eq!(
        feed.last().map(|c| c.seq),
        Some(seq),
        "the last change's seq"
    );
    assert_eq!(feed[1].asset.as_ref(), Some(&new[1]));
    assert_eq!(feed[3].asset.as_ref(), Some(&a0v2));
    assert_eq!(store.get(&a0.id).await.expect("get").as_ref(), Some(&a0v2));
    assert_eq!(store.count().await.expect("count"), 4);
    assert_eq!(
        store
            .source_records("council")
            .await
            .expect("records")
            .len(),
        4
    );

    // Refused batches, each with a new asset, a good replacement and a record besides the
    // bad write: nothing of them is written.
    let fresh = asset(10);
    let a1v2 = next_version(&new[0], "Would be renamed");
    let fresh_record = source_record("refused", &fresh, "fp", at, None);
    let stale = a0v2.clone(); // based on v1; v2 is stored
    let ghost = next_version(&asset(999), "ghost");
    let cases: Vec<(&str, Vec<Asset>, Vec<Asset>)> = vec![
        (
            "a clashing insert",
            vec![fresh.clone(), new[2].clone()],
            vec![a1v2.clone()],
        ),
        (
            "an id inserted twice",
            vec![fresh.clone(), asset(11), fresh.clone()],
            vec![a1v2.clone()],
        ),
        (
            "a stale replace",
            vec![fresh.clone()],
            vec![a1v2.clone(), stale.clone()],
        ),
        (
            "a replace of a missing asset",
            vec![fresh.clone()],
            vec![a1v2.clone(), ghost.clone()],
        ),
    ];
    for (what, inserts, replaces) in cases {
        let (answer, _) = import_reporting(
            store,
            batch(&inserts, &replaces, std::slice::from_ref(&fresh_record)),
        )
        .await;
        match (what, answer) {
            ("a clashing insert", Err(StoreError::AlreadyExists(id))) => {
                assert_eq!(id, new[2].id)
            }
            ("an id inserted twice", Err(_)) => {}
            (
                "a stale replace",
                Err(StoreError::VersionConflict {
                    id,
                    expected,
                    actual,
                }),
            ) => assert_eq!((id, expected, actual), (a0.id.clone(), 1, 2)),
            ("a replace of a missing asset", Err(StoreError::NotFound(id))) => {
                assert_eq!(id, ghost.id)
            }
            (what, other) => panic!("{what}: unexpected answer {other:?}"),
        }
        assert_eq!(store.count().await.expect("count"), 4, "{what}: no asset");
        assert_eq!(store.get(&fresh.id).await.expect("get"), None, "{what}");
        assert_eq!(
            store.get(&new[0].id).await.expect("get").map(|a| a.version),
            Some(1),
            "{what}: the good replacement is not written either"
        );
        assert_eq!(
            store.latest_seq().await.expect("latest"),
            seq,
            "{what}: no change-feed entry"
        );
        assert!(
            store
                .source_records("refused")
                .await
                .expect("records")
                .is_empty(),
            "{what}: no source record"
        );
    }

    // An empty batch writes nothing and answers the latest sequence number.
    let (answer, progress) = import_reporting(store, batch(&[], &[], &[])).await;
    assert_eq!(answer.expect("empty import"), seq);
    assert_eq!(progress.last(), Some(&0), "{progress:?}");

    // A larger batch reports progress at least every 10,000 assets, up to the total.
    let many = assets(1000, 13_000);
    let renamed: Vec<Asset> = new.iter().map(|a| next_version(a, "Bulk rename")).collect();
    let (answer, progress) = import_reporting(store, batch(&many, &renamed, &[])).await;
    let bulk = answer.expect("a larger import");
    let total = many.len() + renamed.len();
    assert_eq!(progress.last(), Some(&total), "{progress:?}");
    assert!(
        progress.first().is_some_and(|&n| n <= 10_000),
        "{progress:?}"
    );
    assert!(
        progress
            .windows(2)
            .all(|w| w[0] <= w[1] && w[1] - w[0] <= 10_000),
        "at least every 10,000 assets: {progress:?}"
    );
    let feed = store.changes_since(seq, usize::MAX).await.expect("feed");
    assert_eq!(feed.len(), total, "one change per asset");
    assert_eq!(feed.last().map(|c| c.seq), Some(bulk));
    assert_eq!(
        store.count().await.expect("count"),
        4 + u64::try_from(many.len()).expect("small")
    );
    assert_eq!(
        store.get(&new[2].id).await.expect("get").map(|a| a.version),
        Some(2)
    );

    // Two versions of one asset in one batch: the second is based on the first.
    let v3 = next_version(&renamed[0], "v3");
    let v4 = next_version(&v3, "v4");
    store
        .apply_import(batch(&[], &[v3, v4.clone()], &[]), &|_| {})
        .await
        .expect("two successive versions");
    assert_eq!(store.get(&v4.id).await.expect("get"), Some(v4));
}
