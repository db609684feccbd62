//! An engine written to a snapshot and read back answers every question as the engine written
//! did, and goes on answering edits as it would; a damaged snapshot is an error, never a panic
//! or a wrong engine.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use assetmap_core::{
    AccessFeature, Asset, AssetName, Audience, Contact, Cost, CostBand, Email, LonLat,
    OpeningPeriod, OpeningTimes, Phone, Postcode, Provenance, Status, Tag, TimeOfDay, Website,
    Weekday,
};
use assetmap_index::tiles::TileId;
use assetmap_index::{AssetView, BBox, Engine, Filter, SearchQuery, SnapshotError, SnapshotReader};
use assetmap_synthetic as synthetic;
use std::sync::Arc;

const SALE: (f64, f64) = (-2.3183, 53.4242);

fn sale() -> LonLat {
    LonLat::new(SALE.0, SALE.1).unwrap()
}

/// An asset with every field set, none at its default.
fn full_asset() -> Asset {
    let mut a = synthetic::asset(3, 1);
    a.description = Some("Tea, cake and a natter".into());
    a.tags = vec![Tag::parse("tea").unwrap(), Tag::parse("chat").unwrap()];
    a.address = Some("1 School Road, Sale".into());
    a.postcode = Some(Postcode::parse("M33 7XX").unwrap());
    a.contact = Contact {
        phone: Some(Phone::parse("0161 912 3456").unwrap()),
        email: Some(Email::parse("hello@example.org").unwrap()),
        website: Some(Website::parse("https://example.org/tea").unwrap()),
    };
    let t = |h, m| TimeOfDay::from_hm(h, m).unwrap();
    a.opening_times = OpeningTimes::new(
        vec![
            OpeningPeriod::new(Weekday::Fri, t(22, 0), t(2, 0)).unwrap(),
            OpeningPeriod::new(Weekday::Mon, t(0, 0), t(24, 0)).unwrap(),
        ],
        true,
        Some("closed bank holidays".into()),
    );
    a.cost = Some(Cost {
        band: CostBand::Low,
        detail: Some("£1 a cup".into()),
    });
    a.access = vec![AccessFeature::ALL[0], AccessFeature::ALL[2]];
    a.audience = Audience::new(Some(0), Some(120), Some("everyone".into())).unwrap();
    a.provenance = Provenance {
        source: Some("a council".into()),
        source_id: Some("row 7".into()),
        licence: Some("OGL-UK-3.0".into()),
        attribution: Some("Contains public sector information".into()),
        geocode_method: Some("postcode_centroid".into()),
    };
    a.verified_at = chrono::NaiveDate::from_ymd_opt(2026, 2, 28);
    a.status = Status::TemporarilyClosed;
    a.created_at = chrono::DateTime::from_timestamp(1_700_000_000, 123_456_789).unwrap();
    a.version = u64::MAX;
    a
}

fn snapshot_of(engine: &Engine, tag: &str) -> Vec<u8> {
    let mut file = Vec::new();
    engine.write_snapshot(&mut file, tag).unwrap();
    file
}

fn read(file: &[u8]) -> Result<Engine, SnapshotError> {
    SnapshotReader::open(file)?.read_engine()
}

/// What the engine answers to searches, nearest, radius, bbox and tile questions, as text.
fn answers(engine: &Engine) -> Vec<String> {
    let mut out = Vec::new();
    for words in [
        "",
        "gardening club",
        "walking football",
        "chess",
        "choir singing",
    ] {
        for radius_m in [500.0, 20_000.0] {
            let q = SearchQuery::new(sale(), radius_m, words);
            let got: Vec<_> = engine
                .search(&q)
                .iter()
                .map(|r| (r.asset.id.to_string(), r.score.to_bits(), r.matched))
                .collect();
            out.push(format!("search {words:?} {radius_m}: {got:?}"));
        }
    }
    let nearest: Vec<_> = engine
        .nearest(sale(), 50, &Filter::default())
        .iter()
        .map(|h| (h.asset.id.to_string(), h.distance_m.to_bits()))
        .collect();
    out.push(format!("nearest {nearest:?}"));
    out.push(format!(
        "within {:?}",
        engine
            .within(sale(), 2_000.0, &Filter::default())
            .iter()
            .map(|h| h.asset.id.as_str())
            .collect::<Vec<_>>()
    ));
    let bbox = BBox::new(-2.4, 53.3, -2.2, 53.5).unwrap();
    out.push(format!(
        "bbox {:?}",
        engine
            .bbox_page(&bbox, &Filter::default(), 10, 30)
            .items
            .iter()
            .map(|a| a.id.as_str())
            .collect::<Vec<_>>()
    ));
    for (z, x, y) in [(10, 504, 329), (14, 8087, 5293), (4, 7, 5)] {
        let tile = engine.tile(TileId::new(z, x, y).unwrap(), &Filter::default());
        let points: Vec<_> = tile
            .points
            .iter()
            .map(|p| (p.x, p.y, p.asset.id.as_str()))
            .collect();
        out.push(format!("tile {z}/{x}/{y}: {points:?} {:?}", tile.clusters));
    }
    out
}

/// 8,000 assets, 6,000 of them at one spot (a text cell of more than one chunk), then edits:
/// removals, renames, moves, re-insertions, so that free slots and free chunk numbers exist.
fn edited_engine() -> Engine {
    edited_engine_of(Engine::new)
}

/// [`edited_engine`], built by `build`.
fn edited_engine_of(build: impl Fn(Vec<Asset>) -> Engine) -> Engine {
    let mut assets = synthetic::assets(7, 8_000);
    for a in assets.iter_mut().take(6_000) {
        a.location = sale();
    }
    assets.push(full_asset());
    let mut engine = build(assets.clone());
    for (i, a) in assets.iter_mut().enumerate() {
        if i % 3 == 0 {
            engine.remove(&a.id);
        }
        if i % 5 == 0 {
            a.name = AssetName::parse(&format!("Chess and Gardening Club {i}")).unwrap();
            engine.upsert(a.clone());
        }
        if i % 7 == 0 && engine.get(&a.id).is_some() {
            a.location = LonLat::new(SALE.0 + 0.01, SALE.1).unwrap();
            engine.upsert(a.clone());
        }
    }
    engine
}

/// The same edits to both engines: `count` synthetic assets (`seed`) upserted, every other one
/// at the crowded spot, then every `every`th asset removed — each removal giving back the same
/// asset from both.
fn same_edits(engine: &mut Engine, other: &mut Engine, seed: u64, count: usize, every: usize) {
    for (i, mut a) in synthetic::assets(seed, count).into_iter().enumerate() {
        if i % 2 == 0 {
            a.location = sale();
        }
        engine.upsert(a.clone());
        other.upsert(a);
    }
    let ids: Vec<_> = engine.iter().step_by(every).map(|a| a.id.clone()).collect();
    for id in &ids {
        assert_eq!(engine.remove(id), other.remove(id));
    }
}

#[test]
fn an_engine_read_back_answers_as_the_engine_written() {
    let engine = edited_engine();
    let file = snapshot_of(&engine, "seq 7");
    let snapshot = SnapshotReader::open(file.as_slice()).unwrap();
    assert_eq!(snapshot.tag(), "seq 7");
    let back = snapshot.read_engine().unwrap();
    back.check_invariants().unwrap();
    assert_eq!(back.len(), engine.len());
    assert!(back.iter().eq(engine.iter()), "the assets differ");
    assert_eq!(answers(&back), answers(&engine));
    // Its own snapshot is the same bytes: nothing was lost or reordered on the way.
    assert_eq!(snapshot_of(&back, "seq 7"), file);
}

#[test]
fn an_engine_read_back_takes_edits_as_the_engine_written_would() {
    let mut engine = edited_engine();
    let mut back = read(&snapshot_of(&engine, "")).unwrap();
    // New assets reuse free slots in the same order; moves and removals rewrite chunks.
    same_edits(&mut engine, &mut back, 11, 300, 9);
    back.check_invariants().unwrap();
    assert_eq!(answers(&back), answers(&engine));
    assert_eq!(snapshot_of(&back, ""), snapshot_of(&engine, ""));
}

/// A temporary file of `bytes`, removed when dropped.
struct TempFile(std::path::PathBuf);

impl TempFile {
    fn of(bytes: &[u8], name: &str) -> TempFile {
        let path = std::env::temp_dir().join(format!(
            "assetmap-snapshot-{}-{name}.engine",
            std::process::id()
        ));
        std::fs::write(&path, bytes).unwrap();
        TempFile(path)
    }

    fn open(&self, records_in_file: bool) -> Engine {
        self.try_open(records_in_file).unwrap()
    }

    fn try_open(&self, records_in_file: bool) -> Result<Engine, SnapshotError> {
        let file = std::fs::File::open(&self.0).unwrap();
        SnapshotReader::open_file(file, records_in_file)?.read_engine()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn an_engine_keeping_its_records_in_the_file_answers_and_edits_as_one_keeping_them_in_memory() {
    let mut engine = edited_engine();
    let bytes = snapshot_of(&engine, "seq 9");
    let file = TempFile::of(&bytes, "records-in-file");
    let in_memory = file.open(false);
    let mut in_file = file.open(true);
    assert_eq!(in_memory.records_in_file(), 0);
    assert_eq!(in_file.records_in_file(), engine.len());
    assert!(in_file.records_heap_bytes() * 3 < in_memory.records_heap_bytes());
    in_file.check_invariants().unwrap();
    assert!(in_file.iter().eq(engine.iter()), "the assets differ");
    assert_eq!(answers(&in_file), answers(&engine));
    // Its own snapshot is the same bytes, its records read from the file.
    assert_eq!(snapshot_of(&in_file, "seq 9"), bytes);
    // Edits: new and changed assets are kept in memory, the rest still read from the file.
    same_edits(&mut engine, &mut in_file, 13, 200, 7);
    assert!(in_file.records_in_file() < engine.len());
    assert!(in_file.records_in_file() > engine.len() / 2);
    in_file.check_invariants().unwrap();
    assert_eq!(answers(&in_file), answers(&engine));
    assert_eq!(snapshot_of(&in_file, ""), snapshot_of(&engine, ""));
    // A copy of the records (what a large backlog's rebuild takes) reads them from the file.
    assert_eq!(
        in_file.copy_records().into_assets(),
        engine.iter().collect::<Vec<_>>()
    );
    // The file replaced by a new snapshot (renamed over it, as the server writes): the engine
    // still reads the one it opened.
    let newer = TempFile::of(
        &snapshot_of(&Engine::new(synthetic::assets(2, 50)), ""),
        "newer",
    );
    std::fs::rename(&newer.0, &file.0).unwrap();
    assert!(in_file.iter().eq(engine.iter()));
}

/// A view for tests: the asset's id, version and name.
struct TestView(&'static str);

impl AssetView for TestView {
    fn form(&self) -> &str {
        self.0
    }
    fn render(&self, a: &Asset, out: &mut Vec<u8>) {
        out.extend_from_slice(format!("{} v{} {}", a.id, a.version, a.name).as_bytes());
    }
}

/// Whether every asset of `engine` renders as [`TestView`] renders it decoded.
/// Searches and pages handing out views hand out each asset's view, in the order and with the
/// figures of those handing out the decoded assets (records in the file are read together).
fn rendered_answers_are_the_decoded_ones(engine: &Engine) {
    let view = |a: &Asset| {
        let mut out = Vec::new();
        TestView("").render(a, &mut out);
        out
    };
    for words in ["", "gardening", "chess club", "feeling lonely"] {
        for radius_m in [800.0, 5_000.0, 40_000.0] {
            let q = SearchQuery::new(sale(), radius_m, words);
            let decoded = engine.search(&q);
            let rendered = engine.search_rendered(&q);
            assert_eq!(rendered.len(), decoded.len(), "{words} {radius_m}");
            for (r, d) in rendered.iter().zip(&decoded) {
                assert_eq!(
                    (&*r.asset.id, &r.asset.view),
                    (d.asset.id.as_str(), &view(&d.asset))
                );
                assert_eq!(
                    (r.score, r.distance_m, r.matched),
                    (d.score, d.distance_m, d.matched)
                );
                assert_eq!(engine.explain(r, &q), engine.explain(d, &q), "{words}");
                assert_eq!(r.matched_filters(&q), d.matched_filters(&q));
            }
        }
    }
    let bbox = BBox::new(-2.5, 53.35, -2.2, 53.5).unwrap();
    let active = Filter {
        statuses: vec![Status::Active],
        ..Filter::default()
    };
    for (offset, limit) in [(0, 20), (7, 300), (0, 5_000)] {
        let pages = [
            (
                engine.bbox_page(&bbox, &Filter::default(), offset, limit),
                engine.bbox_page_rendered(&bbox, &Filter::default(), offset, limit),
            ),
            (
                engine.scan_page(&active, offset, limit),
                engine.scan_page_rendered(&active, offset, limit),
            ),
            (
                engine.scan_page(&Filter::default(), offset, limit),
                engine.scan_page_rendered(&Filter::default(), offset, limit),
            ),
        ];
        for (decoded, rendered) in pages {
            assert_eq!(decoded.number_matched, rendered.number_matched);
            assert!(!decoded.items.is_empty());
            assert!(decoded
                .items
                .iter()
                .map(|a| (a.id.as_str(), view(a)))
                .eq(rendered.items.iter().map(|r| (&*r.id, r.view.clone()))));
        }
    }
}

fn renders_every_asset(engine: &Engine) -> bool {
    engine.iter().all(|a| {
        let (mut kept, mut afresh) = (Vec::new(), Vec::new());
        TestView("").render(&a, &mut afresh);
        engine.render(a.id.as_str(), &mut kept) && kept == afresh
    })
}

#[test]
fn an_engine_with_a_view_reads_back_with_that_view_only_and_renders_each_asset_as_it_is_now() {
    let view = || -> Arc<dyn AssetView> { Arc::new(TestView("test/1")) };
    let mut engine = edited_engine_of(|assets| Engine::with_view(assets, view()));
    assert_eq!(engine.view_form(), Some("test/1"));
    assert!(renders_every_asset(&engine), "after edits");
    let bytes = snapshot_of(&engine, "seq 3");
    let open = || SnapshotReader::open(bytes.as_slice()).unwrap();
    assert_eq!(open().view_form(), Some("test/1"));
    assert_eq!(
        SnapshotReader::open(snapshot_of(&edited_engine(), "").as_slice())
            .unwrap()
            .view_form(),
        None
    );
    // Read with another view, or none, it is stale: the server builds afresh.
    for other in [
        None,
        Some(Arc::new(TestView("test/2")) as Arc<dyn AssetView>),
    ] {
        let refused = open().read_engine_with_view(other);
        assert!(
            matches!(refused, Err(SnapshotError::Stale(_))),
            "{refused:?}"
        );
    }
    assert!(matches!(open().read_engine(), Err(SnapshotError::Stale(_))));
    let file = TempFile::of(&bytes, "with-view");
    for records_in_file in [false, true] {
        let f = std::fs::File::open(&file.0).unwrap();
        let mut back = SnapshotReader::open_file(f, records_in_file)
            .unwrap()
            .read_engine_with_view(Some(view()))
            .unwrap();
        back.check_invariants().unwrap();
        assert!(
            renders_every_asset(&back),
            "read back (records in the file: {records_in_file})"
        );
        assert_eq!(answers(&back), answers(&engine));
        assert_eq!(snapshot_of(&back, "seq 3"), bytes);
        rendered_answers_are_the_decoded_ones(&back);
        // Edits render their new versions (kept in memory, beside those in the file); the
        // rest are still read as written.
        let mut twin = Engine::with_view(engine.iter().collect(), view());
        same_edits(&mut back, &mut twin, 17, 200, 5);
        for mut a in synthetic::assets(19, 50) {
            a.location = sale();
            back.upsert(a);
        }
        assert!(
            renders_every_asset(&back),
            "edited (records in the file: {records_in_file})"
        );
        rendered_answers_are_the_decoded_ones(&back);
    }
    // A search handing out views ranks as the one handing out assets.
    for mut a in synthetic::assets(19, 50) {
        a.location = sale();
        engine.upsert(a);
    }
    rendered_answers_are_the_decoded_ones(&engine);
    assert!(!engine
        .search(&SearchQuery::new(sale(), 5_000.0, "gardening"))
        .is_empty());
    // An engine without a view hands out no views, its records in memory or in the file.
    let plain = TempFile::of(&snapshot_of(&edited_engine(), ""), "without-view");
    for records_in_file in [false, true] {
        let f = std::fs::File::open(&plain.0).unwrap();
        let engine = SnapshotReader::open_file(f, records_in_file)
            .unwrap()
            .read_engine()
            .unwrap();
        assert!(engine.len() > 100);
        assert!(engine
            .search_rendered(&SearchQuery::new(sale(), 5_000.0, ""))
            .is_empty());
        assert!(engine
            .scan_page_rendered(&Filter::default(), 0, 50)
            .items
            .is_empty());
        let everywhere = BBox::new(-180.0, -90.0, 180.0, 90.0).unwrap();
        let page = engine.bbox_page_rendered(&everywhere, &Filter::default(), 0, 50);
        assert!(page.number_matched > 100 && page.items.is_empty());
    }
}

#[test]
fn every_field_of_an_asset_is_kept() {
    let full = full_asset();
    let engine = Engine::new(vec![full.clone(), synthetic::asset(3, 2)]);
    let back = read(&snapshot_of(&engine, "")).unwrap();
    assert_eq!(back.get(&full.id).as_ref(), Some(&full));
    assert!(back.iter().eq(engine.iter()));
}

#[test]
fn an_empty_engine_reads_back_empty() {
    let back = read(&snapshot_of(&Engine::new(Vec::new()), "empty")).unwrap();
    assert!(back.is_empty());
    back.check_invariants().unwrap();
}

#[test]
fn a_damaged_snapshot_is_an_error_not_an_engine() {
    let engine = Engine::new(synthetic::assets(5, 2_000));
    let file = snapshot_of(&engine, "tag");
    // Not a snapshot at all.
    assert!(matches!(
        SnapshotReader::open(&b"PRAGMA journal_mode"[..]),
        Err(SnapshotError::Stale(_))
    ));
    // Cut short anywhere, or a byte changed anywhere: an error, never a panic.
    for cut in [20, file.len() / 3, file.len() / 2, file.len() - 1] {
        assert!(read(&file[..cut]).is_err(), "cut at {cut}");
    }
    for at in (16..file.len()).step_by(file.len() / 97) {
        let mut bad = file.clone();
        bad[at] ^= 0x5a;
        assert!(read(&bad).is_err(), "byte {at} changed");
    }
    // Whole and unchanged, it reads.
    assert_eq!(read(&file).unwrap().len(), 2_000);
}

#[test]
fn an_engine_keeping_its_records_in_the_file_checks_each_part_of_them_when_first_read() {
    let engine = Engine::new(synthetic::assets(5, 2_000));
    let bytes = snapshot_of(&engine, "tag");
    let n = bytes.len();
    // The records come last, then their checksums' frame, then that frame's place.
    let checksums_at = u64::from_le_bytes(bytes[n - 8..].try_into().unwrap()) as usize;
    assert!(checksums_at < n - 8);

    // Sound: nothing damaged, every asset handed out.
    let sound = TempFile::of(&bytes, "sound-region");
    let opened = sound.open(true);
    assert!(opened.iter().eq(engine.iter()));
    assert!(!opened.snapshot_damaged());

    // A byte changed in the last record: the engine opens (the start reads no record), then
    // hands out every asset but those in the damaged part, and says so.
    let mut bad = bytes.clone();
    bad[checksums_at - 10] ^= 0x5a;
    let damaged = TempFile::of(&bad, "damaged-region");
    let opened = damaged.open(true);
    assert_eq!(opened.len(), 2_000);
    assert!(!opened.snapshot_damaged(), "a start reads no record");
    let handed_out = opened.iter().count();
    assert!(
        (1_000..2_000).contains(&handed_out),
        "{handed_out} assets handed out"
    );
    assert!(opened.snapshot_damaged());
    assert!(opened
        .iter()
        .all(|a| engine.get(&a.id).as_ref() == Some(&a)));
    // Its records checked all at once (as the server does after a start): the damage is found
    // without a record being asked for.
    let fresh = damaged.open(true);
    let check = fresh.records_check().unwrap();
    assert!(check.run().is_err());
    assert!(fresh.snapshot_damaged());
    let sound_check = sound.open(true).records_check().unwrap();
    let region_len = u64::from_le_bytes(
        bytes[checksums_at + 12..checksums_at + 20]
            .try_into()
            .unwrap(),
    );
    assert_eq!(sound_check.run().unwrap(), region_len);
    assert!(sound.open(false).records_check().is_none());
    // Read into memory, the same damage is an error before the engine is used.
    assert!(damaged.try_open(false).is_err());
    assert!(read(&bad).is_err());

    // Any byte of the checksums or of their place damaged, or the file cut short: an error at
    // the start, never a panic.
    for at in checksums_at..n {
        let mut bad = bytes.clone();
        bad[at] ^= 0x5a;
        let file = TempFile::of(&bad, &format!("damaged-{at}"));
        assert!(file.try_open(true).is_err(), "byte {at} changed");
    }
    for cut in [checksums_at - 1, n - 9, n - 1] {
        let file = TempFile::of(&bytes[..cut], &format!("cut-{cut}"));
        assert!(file.try_open(true).is_err(), "cut at {cut}");
    }
}
