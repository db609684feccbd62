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
    Account, AccountChange, ApiToken, AssetStore, ChangeKind, Decision, IdempotencyRecord,
    ImportBatch, Invitation, NewSuggestion, Outcome, Proposal, Session, Stewardship, StoreError,
    Suggestion, SuggestionKind, SuggestionQuery, Write,
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

/// The history every write leaves, on a store that is empty: who, how, which version, and the
/// asset as it was before; a failed write leaves none; accepting a proposal is a write that
/// marks it accepted.
pub async fn keeps_history(store: &dyn AssetStore) {
    let a1 = asset(1);
    let a2 = next_version(&a1, "Second name");
    let a3 = next_version(&a2, "Third name");
    let editor = ChangeBy::account("editor-1", Via::Page);
    let started = Utc::now() - Duration::minutes(5);

    assert!(store.history(&a1.id).await.expect("history").is_empty());
    let s1 = store.insert(&a1, &api()).await.expect("insert");
    let s2 = store.replace(&a2, &editor).await.expect("replace");
    let s3 = store
        .replace(&a3, &ChangeBy::account("editor-2", Via::Restore(1)))
        .await
        .expect("replace again");
    // A failed write leaves no entry.
    let stale = next_version(&a1, "Stale");
    assert!(matches!(
        store.replace(&stale, &editor).await,
        Err(StoreError::VersionConflict { .. })
    ));
    let s4 = store.delete(&a1.id, &api()).await.expect("delete");
    let s5 = store
        .insert(&a1, &ChangeBy::system(Via::Seed))
        .await
        .expect("insert again");

    let h = store.history(&a1.id).await.expect("history");
    let seen: Vec<_> = h
        .iter()
        .map(|e| (e.seq, e.kind, e.version, e.by.clone(), e.before.clone()))
        .collect();
    assert_eq!(
        seen,
        vec![
            (s1, ChangeKind::Upsert, 1, api(), None),
            (s2, ChangeKind::Upsert, 2, editor.clone(), Some(a1.clone())),
            (
                s3,
                ChangeKind::Upsert,
                3,
                ChangeBy::account("editor-2", Via::Restore(1)),
                Some(a2.clone())
            ),
            (s4, ChangeKind::Delete, 3, api(), Some(a3.clone())),
            (s5, ChangeKind::Upsert, 1, ChangeBy::system(Via::Seed), None),
        ]
    );
    assert!(h.iter().all(|e| e.id == a1.id));
    assert!(
        h.iter()
            .all(|e| e.at > started && e.at < Utc::now() + Duration::minutes(5)),
        "committed now: {h:?}"
    );
    assert!(h.windows(2).all(|w| w[0].at <= w[1].at));

    // An import's entries carry Via::Import; a replacement's `before` is the stored version.
    let b = asset(2);
    let b2 = next_version(&b, "Imported name");
    let c = asset(3);
    store.insert(&b, &api()).await.expect("insert b");
    let by_import = ChangeBy::system(Via::Import("council".into()));
    store
        .apply_import(
            ImportBatch {
                inserts: std::slice::from_ref(&c),
                replaces: std::slice::from_ref(&b2),
                records: &[],
                by: &by_import,
            },
            &|_| {},
        )
        .await
        .expect("import");
    let hb = store.history(&b.id).await.expect("history of b");
    assert_eq!(hb.len(), 2);
    assert_eq!(
        (hb[1].version, &hb[1].by, hb[1].before.as_ref()),
        (2, &by_import, Some(&b))
    );
    let hc = store.history(&c.id).await.expect("history of c");
    assert_eq!(hc.len(), 1);
    assert_eq!(
        (hc[0].version, &hc[0].by, &hc[0].before),
        (1, &by_import, &None)
    );
    // insert_many records its `by` too.
    let d = asset(4);
    store
        .insert_many(std::slice::from_ref(&d), &ChangeBy::system(Via::Seed))
        .await
        .expect("insert_many");
    let hd = store.history(&d.id).await.expect("history of d");
    assert_eq!(
        hd.iter().map(|e| e.by.clone()).collect::<Vec<_>>(),
        [ChangeBy::system(Via::Seed)]
    );

    // Accepting a proposal: the write marks it accepted; a second acceptance is a Conflict.
    let proposed = next_version(&b2, "Proposed name");
    let n = store
        .propose(&proposed, "steward-1", now_micros())
        .await
        .expect("propose");
    let review = ChangeBy::account("editor-1", Via::Review(n));
    // Not a replacement of the proposal's asset: refused, nothing written, still waiting.
    assert!(matches!(
        store.delete(&b.id, &review).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.replace(&next_version(&a1, "Other"), &review).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.history(&b.id).await.expect("history").len(), 2);
    assert_eq!(
        store
            .proposal(n)
            .await
            .expect("proposal")
            .expect("kept")
            .decision,
        None
    );
    let before_accept = Utc::now() - Duration::minutes(5);
    let sa = store.replace(&proposed, &review).await.expect("accept");
    let p = store.proposal(n).await.expect("proposal").expect("kept");
    let decision = p.decision.expect("decided");
    assert!(decision.accepted);
    assert_eq!(decision.by.as_deref(), Some("editor-1"));
    assert_eq!(decision.reason, None);
    assert!(decision.at > before_accept);
    let hb = store.history(&b.id).await.expect("history of b");
    assert_eq!(
        (hb.last().map(|e| e.seq), hb.last().map(|e| &e.by)),
        (Some(sa), Some(&review))
    );
    let again = next_version(&proposed, "Again");
    assert!(matches!(
        store.replace(&again, &review).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store
            .replace(&again, &ChangeBy::account("editor-1", Via::Review(n + 100)))
            .await,
        Err(StoreError::Missing(_))
    ));
    assert_eq!(
        store.get(&b.id).await.expect("get").map(|a| a.version),
        Some(3),
        "the refused acceptances wrote nothing"
    );
}

fn account(id: &str, email: &str, role: assetmap_core::Role) -> Account {
    Account {
        id: id.to_owned(),
        email: email.to_owned(),
        name: format!("Name of {id}"),
        role,
        disabled: false,
        password_hash: format!("$argon2id$v=19$m=19456,t=2,p=1$salt${id}"),
        created_at: now_micros(),
        stewardships: Vec::new(),
    }
}

async fn stewardships_of(store: &dyn AssetStore, account: &str) -> Vec<Stewardship> {
    store
        .account(account)
        .await
        .expect("account")
        .expect("kept")
        .stewardships
}

fn session(id_hash: &str, account: &str, created_at: DateTime<Utc>) -> Session {
    Session {
        id_hash: id_hash.to_owned(),
        account: account.to_owned(),
        csrf_token: format!("csrf-{id_hash}"),
        created_at,
        expires_at: created_at + Duration::hours(12),
    }
}

fn token(id: &str, account: Option<&str>, created_at: DateTime<Utc>) -> ApiToken {
    ApiToken {
        id: id.to_owned(),
        name: format!("token {id}"),
        role: assetmap_core::Role::Editor,
        account: account.map(str::to_owned),
        secret_hash: format!("hash-of-{id}"),
        created_at,
        expires_at: created_at + Duration::days(90),
        revoked_at: None,
    }
}

/// Accounts, stewardships, sessions, tokens, invitations and proposals, on an empty store.
pub async fn keeps_accounts(store: &dyn AssetStore) {
    use assetmap_core::Role;
    let now = now_micros();

    // Accounts: e-mail lower-cased and unique, found case-insensitively.
    let mut admin = account("acc-admin", "Priya@Trafford.GOV.uk", Role::Admin);
    store.add_account(&admin).await.expect("add");
    admin.email = "priya@trafford.gov.uk".into();
    assert_eq!(
        store.account("acc-admin").await.expect("account"),
        Some(admin.clone())
    );
    assert_eq!(
        store
            .account_by_email("PRIYA@trafford.gov.UK")
            .await
            .expect("by email"),
        Some(admin.clone())
    );
    assert_eq!(store.account("nobody").await.expect("account"), None);
    match store
        .add_account(&account("acc-other", "priya@TRAFFORD.gov.uk", Role::Editor))
        .await
    {
        Err(StoreError::Conflict(m)) => assert!(m.contains("priya@trafford.gov.uk"), "{m}"),
        other => panic!("a taken e-mail address: {other:?}"),
    }
    assert!(matches!(
        store
            .add_account(&account("acc-admin", "else@example.org", Role::Editor))
            .await,
        Err(StoreError::Conflict(_))
    ));
    let mut steward = account("acc-steward", "runners@example.org", Role::Steward);
    steward.stewardships = vec![Stewardship {
        asset: id("fixture:000002"),
        review: true,
    }];
    store.add_account(&steward).await.expect("add steward");
    assert_eq!(
        store
            .accounts()
            .await
            .expect("accounts")
            .iter()
            .map(|a| a.id.as_str())
            .collect::<Vec<_>>(),
        ["acc-admin", "acc-steward"],
        "by e-mail address"
    );

    // Stewardships: set, changed, removed.
    store
        .set_stewardship("acc-steward", &id("fixture:000001"), Some(false))
        .await
        .expect("give");
    store
        .set_stewardship("acc-steward", &id("fixture:000002"), Some(false))
        .await
        .expect("change");
    assert_eq!(
        stewardships_of(store, "acc-steward").await,
        vec![
            Stewardship {
                asset: id("fixture:000001"),
                review: false
            },
            Stewardship {
                asset: id("fixture:000002"),
                review: false
            },
        ]
    );
    store
        .set_stewardship("acc-steward", &id("fixture:000001"), None)
        .await
        .expect("take away");
    assert_eq!(
        stewardships_of(store, "acc-steward").await,
        vec![Stewardship {
            asset: id("fixture:000002"),
            review: false
        }]
    );
    assert!(matches!(
        store
            .set_stewardship("nobody", &id("fixture:000001"), Some(true))
            .await,
        Err(StoreError::Missing(_))
    ));

    // Sessions: kept, expired ones purged by a new one, ended.
    let old = Session {
        expires_at: now - Duration::hours(1),
        created_at: now - Duration::hours(13),
        ..session("s-old", "acc-admin", now)
    };
    store.create_session(&old).await.expect("old session");
    assert_eq!(store.session("s-old").await.expect("session"), Some(old));
    let s1 = session("s-1", "acc-admin", now);
    store.create_session(&s1).await.expect("session");
    assert_eq!(
        store.session("s-old").await.expect("session"),
        None,
        "purged"
    );
    assert_eq!(
        store.session("s-1").await.expect("session"),
        Some(s1.clone())
    );
    store.end_session("s-1").await.expect("end");
    store.end_session("s-1").await.expect("end again is fine");
    assert_eq!(store.session("s-1").await.expect("session"), None);

    // A password change ends the account's sessions.
    store.create_session(&s1).await.expect("session");
    store
        .create_session(&session("s-steward", "acc-steward", now))
        .await
        .expect("session");
    store
        .update_account(
            "acc-admin",
            &AccountChange::PasswordHash("$argon2id$new".into()),
        )
        .await
        .expect("password");
    assert_eq!(store.session("s-1").await.expect("session"), None);
    assert!(store.session("s-steward").await.expect("session").is_some());
    let a = store
        .account("acc-admin")
        .await
        .expect("account")
        .expect("kept");
    assert_eq!(a.password_hash, "$argon2id$new");

    // Tokens: created, found by hash, listed newest first, revoked once.
    let t1 = token("tok-1", None, now - Duration::days(2));
    let t2 = token("tok-2", Some("acc-steward"), now - Duration::days(1));
    let t3 = token("tok-3", Some("acc-admin"), now);
    for t in [&t1, &t2, &t3] {
        store.create_token(t).await.expect("token");
    }
    assert!(matches!(
        store.create_token(&t1).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store.token("hash-of-tok-2").await.expect("token"),
        Some(t2.clone())
    );
    assert_eq!(store.token("hash-of-nothing").await.expect("token"), None);
    assert_eq!(
        store.tokens().await.expect("tokens"),
        vec![t3.clone(), t2.clone(), t1.clone()]
    );
    let first = now + Duration::minutes(1);
    store.revoke_token("tok-1", first).await.expect("revoke");
    store
        .revoke_token("tok-1", first + Duration::hours(1))
        .await
        .expect("revoke again");
    assert_eq!(
        store
            .token("hash-of-tok-1")
            .await
            .expect("token")
            .and_then(|t| t.revoked_at),
        Some(first),
        "the first time is kept"
    );
    assert!(matches!(
        store.revoke_token("tok-none", first).await,
        Err(StoreError::Missing(_))
    ));

    // Disabling ends the sessions and revokes the tokens of that account only.
    let before_disable = Utc::now() - Duration::minutes(5);
    store
        .update_account("acc-steward", &AccountChange::Disabled(true))
        .await
        .expect("disable");
    let s = store
        .account("acc-steward")
        .await
        .expect("account")
        .expect("kept");
    assert!(s.disabled);
    assert_eq!(store.session("s-steward").await.expect("session"), None);
    let revoked = store
        .token("hash-of-tok-2")
        .await
        .expect("token")
        .and_then(|t| t.revoked_at)
        .expect("revoked");
    assert!(revoked > before_disable);
    assert_eq!(
        store
            .token("hash-of-tok-3")
            .await
            .expect("token")
            .and_then(|t| t.revoked_at),
        None
    );
    store
        .update_account("acc-steward", &AccountChange::Role(Role::Editor))
        .await
        .expect("role");
    store
        .update_account("acc-steward", &AccountChange::Name("Sale Runners".into()))
        .await
        .expect("name");
    let s = store
        .account("acc-steward")
        .await
        .expect("account")
        .expect("kept");
    assert_eq!((s.role, s.name.as_str()), (Role::Editor, "Sale Runners"));
    assert!(matches!(
        store
            .update_account("nobody", &AccountChange::Disabled(true))
            .await,
        Err(StoreError::Missing(_))
    ));

    // Invitations: accepted once, then Conflict; Missing for an unknown one.
    let invitation = Invitation {
        id_hash: "inv-1".into(),
        assets: vec![id("fixture:000001"), id("fixture:000003")],
        review: true,
        created_by: Some("acc-admin".into()),
        created_at: now,
        expires_at: now + Duration::days(7),
        used_at: None,
        used_by: None,
    };
    let stale = Invitation {
        id_hash: "inv-stale".into(),
        created_at: now - Duration::days(10),
        expires_at: now - Duration::days(3),
        ..invitation.clone()
    };
    store.create_invitation(&stale).await.expect("stale");
    store.create_invitation(&invitation).await.expect("invite");
    assert_eq!(
        store.invitation("inv-stale").await.expect("invitation"),
        None
    );
    assert_eq!(
        store.invitation("inv-1").await.expect("invitation"),
        Some(invitation.clone())
    );
    let mut group = account("acc-group", "Group@Example.org", Role::Steward);
    group.stewardships = invitation
        .assets
        .iter()
        .map(|a| Stewardship {
            asset: a.clone(),
            review: true,
        })
        .collect();
    let used_at = now + Duration::hours(1);
    store
        .accept_invitation("inv-1", &group, used_at)
        .await
        .expect("accept");
    let got = store
        .account_by_email("group@example.org")
        .await
        .expect("account");
    assert_eq!(
        got.map(|g| g.stewardships),
        Some(group.stewardships.clone())
    );
    let used = store
        .invitation("inv-1")
        .await
        .expect("invitation")
        .expect("kept");
    assert_eq!(
        (used.used_at, used.used_by.as_deref()),
        (Some(used_at), Some("acc-group"))
    );
    let mut second = account("acc-group-2", "group2@example.org", Role::Steward);
    second.stewardships = group.stewardships.clone();
    assert!(matches!(
        store.accept_invitation("inv-1", &second, used_at).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.account("acc-group-2").await.expect("account"), None);
    assert!(matches!(
        store.accept_invitation("inv-none", &second, used_at).await,
        Err(StoreError::Missing(_))
    ));

    // Proposals: Missing for an asset not stored; listed by asset and waiting; rejected once.
    let p_asset = asset(1);
    let q_asset = asset(3);
    assert!(matches!(
        store
            .propose(&next_version(&p_asset, "x"), "acc-group", now)
            .await,
        Err(StoreError::Missing(_))
    ));
    store.insert(&p_asset, &api()).await.expect("insert");
    store.insert(&q_asset, &api()).await.expect("insert");
    let p1 = next_version(&p_asset, "Proposed one");
    let p2 = next_version(&p_asset, "Proposed two");
    let q1 = next_version(&q_asset, "Proposed three");
    let n1 = store.propose(&p1, "acc-group", now).await.expect("propose");
    let n2 = store.propose(&p2, "acc-group", now).await.expect("propose");
    let n3 = store.propose(&q1, "acc-group", now).await.expect("propose");
    assert_eq!((n1, n2, n3), (1, 2, 3), "numbered from 1");
    let p = store.proposal(n1).await.expect("proposal").expect("kept");
    assert_eq!(
        (p.id, &p.asset, p.by.as_str(), p.at, &p.decision),
        (1, &p1, "acc-group", now, &None)
    );
    let at = now + Duration::minutes(3);
    store
        .reject_proposal(n2, Some("acc-admin"), "not a real change", at)
        .await
        .expect("reject");
    assert_eq!(
        store
            .proposal(n2)
            .await
            .expect("proposal")
            .and_then(|p| p.decision),
        Some(Decision {
            accepted: false,
            by: Some("acc-admin".into()),
            at,
            reason: Some("not a real change".into()),
        })
    );
    assert!(matches!(
        store.reject_proposal(n2, None, "again", at).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.reject_proposal(99, None, "none", at).await,
        Err(StoreError::Missing(_))
    ));
    let ids = |ps: Vec<Proposal>| ps.iter().map(|p| p.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.proposals(None, false).await.expect("all")),
        [1, 2, 3]
    );
    assert_eq!(
        ids(store.proposals(None, true).await.expect("waiting")),
        [1, 3]
    );
    assert_eq!(
        ids(store
            .proposals(Some(&p_asset.id), false)
            .await
            .expect("of p")),
        [1, 2]
    );
    assert_eq!(
        ids(store
            .proposals(Some(&p_asset.id), true)
            .await
            .expect("of p, waiting")),
        [1]
    );
    assert_eq!(
        ids(store
            .proposals(Some(&id("fixture:000099")), false)
            .await
            .expect("none")),
        Vec::<u64>::new()
    );
}

/// A suggestion as the server would make it.
fn new_suggestion(
    kind: SuggestionKind,
    asset: Option<&Asset>,
    changes: serde_json::Value,
    note: &str,
    contact: Option<&str>,
    at: DateTime<Utc>,
) -> NewSuggestion {
    NewSuggestion {
        kind,
        asset: asset.map(|a| a.id.clone()),
        base_version: asset.map(|a| a.version),
        changes,
        note: note.to_owned(),
        contact: contact.map(str::to_owned),
        at,
    }
}

/// `s` as kept under number `id`, waiting.
fn kept(id: u64, s: &NewSuggestion) -> Suggestion {
    Suggestion {
        id,
        kind: s.kind,
        asset: s.asset.clone(),
        base_version: s.base_version,
        changes: s.changes.clone(),
        note: s.note.clone(),
        contact: s.contact.clone(),
        at: s.at,
        decision: None,
    }
}

/// Suggestions (kept, listed, counted, rejected, accepted through `apply`, contacts erased)
/// and feed links, on an empty store.
pub async fn keeps_suggestions(store: &dyn AssetStore) {
    use assetmap_core::Role;
    let now = now_micros();
    let a = asset(1);
    let b = asset(2);
    store.insert(&a, &api()).await.expect("insert a");
    store.insert(&b, &api()).await.expect("insert b");
    assert_eq!(
        store.waiting_suggestions().await.expect("waiting"),
        (0, None)
    );
    assert_eq!(
        store
            .suggestions(SuggestionQuery::default())
            .await
            .expect("none"),
        vec![]
    );

    // Kept, numbered from 1, every field read back as given.
    let s1 = new_suggestion(
        SuggestionKind::Change,
        Some(&a),
        serde_json::json!({
            "properties": {
                "name": "Café Ünïcode — ☕",
                "tags": ["tea & cake", "chess;draughts"],
                "opening_times": {
                    "periods": [{ "day": "mon", "opens": "09:00", "closes": "12:30" }],
                    "by_arrangement": false,
                    "note": null
                },
                "audience": { "min_age": 16, "max_age": 99 }
            },
            "geometry": { "type": "Point", "coordinates": [-2.351_234, 53.412_345] }
        }),
        "Now open on Mondays — 日本語, emoji 🎉 and \"quotes\"\nand a second line",
        Some("sam@example.org"),
        now - Duration::days(60),
    );
    let s2 = new_suggestion(
        SuggestionKind::Closed,
        Some(&b),
        serde_json::json!({ "properties": { "status": "closed" } }),
        "",
        None,
        now - Duration::days(2),
    );
    let s3 = new_suggestion(
        SuggestionKind::New,
        None,
        serde_json::json!({
            "properties": { "name": "Tuesday walkers", "categories": ["physical_activity"] },
            "geometry": { "type": "Point", "coordinates": [-2.3, 53.4] }
        }),
        "We meet on Tuesdays",
        Some("07700 900123"),
        now - Duration::days(1),
    );
    let s4 = new_suggestion(
        SuggestionKind::Change,
        Some(&a),
        serde_json::json!({ "properties": { "phone": "0161 000 0000" } }),
        "new number",
        Some("call Jo"),
        now - Duration::hours(12),
    );
    let mut numbers = Vec::new();
    for s in [&s1, &s2, &s3, &s4] {
        numbers.push(store.add_suggestion(s).await.expect("add"));
    }
    assert_eq!(numbers, [1, 2, 3, 4], "numbered from 1");
    let (n1, n2, n3, n4) = (1, 2, 3, 4);
    for (n, s) in [(n1, &s1), (n2, &s2), (n3, &s3), (n4, &s4)] {
        assert_eq!(
            store.suggestion(n).await.expect("suggestion"),
            Some(kept(n, s)),
            "suggestion {n} reads back as given"
        );
    }
    assert_eq!(store.suggestion(99).await.expect("suggestion"), None);
    assert_eq!(store.suggestion(u64::MAX).await.expect("suggestion"), None);

    // Listed oldest first, by asset and waiting; counted.
    let ids = |ss: Vec<Suggestion>| ss.iter().map(|s| s.id).collect::<Vec<_>>();
    let list = |asset: Option<&Asset>, waiting_only: bool| {
        let asset = asset.map(|a| a.id.clone());
        async move {
            ids(store
                .suggestions(SuggestionQuery {
                    asset: asset.as_ref(),
                    waiting_only,
                })
                .await
                .expect("suggestions"))
        }
    };
    assert_eq!(list(None, false).await, [1, 2, 3, 4]);
    assert_eq!(list(Some(&a), false).await, [1, 4]);
    assert_eq!(list(Some(&b), false).await, [2]);
    assert_eq!(list(Some(&asset(9)), false).await, Vec::<u64>::new());
    assert_eq!(
        store.waiting_suggestions().await.expect("waiting"),
        (4, Some(s1.at))
    );

    // Rejected once: Conflict after, Missing for none.
    let rejected_at = now - Duration::days(40);
    store
        .reject_suggestion(n1, Some("acc-editor"), "it already says so", rejected_at)
        .await
        .expect("reject");
    let decision = Decision {
        accepted: false,
        by: Some("acc-editor".into()),
        at: rejected_at,
        reason: Some("it already says so".into()),
    };
    assert_eq!(
        store.suggestion(n1).await.expect("suggestion"),
        Some(Suggestion {
            decision: Some(decision.clone()),
            ..kept(n1, &s1)
        })
    );
    assert!(matches!(
        store.reject_suggestion(n1, None, "again", now).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.reject_suggestion(99, None, "none", now).await,
        Err(StoreError::Missing(_))
    ));
    assert!(matches!(
        store.reject_suggestion(u64::MAX, None, "none", now).await,
        Err(StoreError::Missing(_))
    ));
    assert_eq!(list(None, true).await, [2, 3, 4]);
    assert_eq!(list(Some(&a), true).await, [4]);
    assert_eq!(
        store.waiting_suggestions().await.expect("waiting"),
        (3, Some(s2.at))
    );

    // Accepting a change (closed): a replacement of its asset, and nothing else.
    let by2 = ChangeBy::account("acc-editor", Via::Suggestion(n2));
    let b2 = next_version(&b, "Closed now");
    for wrong in [
        Write::Insert(&asset(5)),
        Write::Replace(&next_version(&a, "Other")),
        Write::Delete(&b.id),
    ] {
        match store.apply(wrong, &by2, None).await {
            Err(StoreError::Conflict(m)) => assert!(m.contains("suggestion 2"), "{m}"),
            other => panic!("{wrong:?} does not accept a change of b: {other:?}"),
        }
    }
    assert_eq!(store.get(&asset(5).id).await.expect("get"), None);
    assert_eq!(store.history(&a.id).await.expect("history").len(), 1);
    assert_eq!(store.history(&b.id).await.expect("history").len(), 1);
    assert_eq!(
        store.suggestion(n2).await.expect("suggestion"),
        Some(kept(n2, &s2)),
        "still waiting"
    );
    let before_accept = Utc::now() - Duration::minutes(5);
    let seq = store.replace(&b2, &by2).await.expect("accept");
    let got = store
        .suggestion(n2)
        .await
        .expect("suggestion")
        .expect("kept");
    let decision = got.decision.clone().expect("decided");
    assert!(decision.accepted);
    assert_eq!(
        (decision.by.as_deref(), decision.reason.as_deref()),
        (Some("acc-editor"), None)
    );
    assert!(decision.at > before_accept && decision.at < Utc::now() + Duration::minutes(5));
    assert_eq!(
        got,
        Suggestion {
            decision: Some(decision),
            ..kept(n2, &s2)
        }
    );
    let hb = store.history(&b.id).await.expect("history of b");
    let last = hb.last().expect("the acceptance");
    assert_eq!((last.seq, &last.by), (seq, &by2));
    assert_eq!(last.by.via, Via::Suggestion(n2));
    assert!(matches!(
        store.replace(&next_version(&b2, "Again"), &by2).await,
        Err(StoreError::Conflict(_))
    ));

    // Accepting a new place: an insert, any id; the suggestion records the asset made. A write
    // that fails leaves it waiting.
    let by3 = ChangeBy::account("acc-editor", Via::Suggestion(n3));
    assert!(matches!(
        store.replace(&next_version(&a, "Not new"), &by3).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.insert(&a, &by3).await,
        Err(StoreError::AlreadyExists(_))
    ));
    assert_eq!(
        store.suggestion(n3).await.expect("suggestion"),
        Some(kept(n3, &s3)),
        "the failed write left it waiting, about no asset"
    );
    assert_eq!(store.history(&a.id).await.expect("history").len(), 1);
    let made = asset(5);
    store.insert(&made, &by3).await.expect("accept new");
    let got = store
        .suggestion(n3)
        .await
        .expect("suggestion")
        .expect("kept");
    assert_eq!(got.asset.as_ref(), Some(&made.id), "the asset it made");
    assert_eq!(got.base_version, None);
    assert!(got.decision.as_ref().is_some_and(|d| d.accepted));
    let hm = store.history(&made.id).await.expect("history");
    assert_eq!(hm.len(), 1);
    assert_eq!((&hm[0].by, hm[0].before.as_ref()), (&by3, None));
    assert_eq!(hm[0].by.via, Via::Suggestion(n3));
    assert!(matches!(
        store.insert(&asset(6), &by3).await,
        Err(StoreError::Conflict(_))
    ));

    // A suggestion that is not there: Missing, nothing written.
    let by_none = ChangeBy::account("acc-editor", Via::Suggestion(99));
    assert!(matches!(
        store.insert(&asset(7), &by_none).await,
        Err(StoreError::Missing(_))
    ));
    assert_eq!(store.get(&asset(7).id).await.expect("get"), None);
    assert_eq!(list(Some(&made), false).await, [3]);
    assert_eq!(list(None, true).await, [4]);
    assert_eq!(
        store.waiting_suggestions().await.expect("waiting"),
        (1, Some(s4.at))
    );

    // Contacts erased only for suggestions decided before the time given; waiting ones kept.
    assert_eq!(
        store
            .erase_contacts(now - Duration::days(50))
            .await
            .expect("erase none"),
        0
    );
    assert_eq!(
        store
            .erase_contacts(now - Duration::days(30))
            .await
            .expect("erase"),
        1,
        "only suggestion 1 was decided before then"
    );
    assert_eq!(
        store.suggestion(n1).await.expect("suggestion"),
        Some(Suggestion {
            contact: None,
            decision: Some(Decision {
                accepted: false,
                by: Some("acc-editor".into()),
                at: rejected_at,
                reason: Some("it already says so".into()),
            }),
            ..kept(n1, &s1)
        }),
        "the contact is gone, the rest kept"
    );
    let contact = |n: u64| async move {
        store
            .suggestion(n)
            .await
            .expect("suggestion")
            .expect("kept")
            .contact
    };
    assert_eq!(contact(n3).await.as_deref(), Some("07700 900123"));
    assert_eq!(
        store
            .erase_contacts(Utc::now() + Duration::minutes(5))
            .await
            .expect("erase"),
        1,
        "suggestion 3 (suggestion 2 had none, 1 is erased already)"
    );
    assert_eq!(contact(n3).await, None);
    assert_eq!(
        contact(n4).await.as_deref(),
        Some("call Jo"),
        "a waiting one keeps it"
    );
    assert_eq!(
        store
            .erase_contacts(Utc::now() + Duration::minutes(5))
            .await
            .expect("erase again"),
        0
    );

    // Feed links: set, found, replaced, taken, cleared; Missing for no account.
    let mut keeper = account("acc-feed", "feed@example.org", Role::Steward);
    keeper.stewardships = vec![Stewardship {
        asset: a.id.clone(),
        review: true,
    }];
    store.add_account(&keeper).await.expect("add");
    store
        .add_account(&account("acc-other", "other@example.org", Role::Editor))
        .await
        .expect("add");
    assert_eq!(store.account_by_feed("h1").await.expect("feed"), None);
    store.set_feed("acc-feed", Some("h1")).await.expect("set");
    assert_eq!(
        store.account_by_feed("h1").await.expect("feed"),
        Some(keeper.clone()),
        "the account, with its stewardships"
    );
    match store.set_feed("acc-other", Some("h1")).await {
        Err(StoreError::Conflict(_)) => {}
        other => panic!("a feed hash another account has: {other:?}"),
    }
    store
        .set_feed("acc-feed", Some("h2"))
        .await
        .expect("replace");
    assert_eq!(store.account_by_feed("h1").await.expect("feed"), None);
    assert_eq!(
        store.account_by_feed("h2").await.expect("feed"),
        Some(keeper.clone())
    );
    store
        .set_feed("acc-other", Some("h1"))
        .await
        .expect("h1 is free again");
    store.set_feed("acc-other", None).await.expect("clear");
    assert_eq!(store.account_by_feed("h1").await.expect("feed"), None);
    store
        .set_feed("acc-other", None)
        .await
        .expect("clearing twice, and two accounts without one, is fine");
    store
        .update_account("acc-feed", &AccountChange::Disabled(true))
        .await
        .expect("disable");
    assert!(
        store
            .account_by_feed("h2")
            .await
            .expect("feed")
            .is_some_and(|k| k.disabled),
        "a disabled account is still found (the server checks)"
    );
    store.set_feed("acc-feed", None).await.expect("clear");
    assert_eq!(store.account_by_feed("h2").await.expect("feed"), None);
    for hash in [Some("h3"), None] {
        assert!(matches!(
            store.set_feed("nobody", hash).await,
            Err(StoreError::Missing(_))
        ));
    }
    assert_eq!(store.account_by_feed("h3").await.expect("feed"), None);
}
