//! The engine against brute-force scans on seeded random data: same ids in the same order,
//! equal distances.
#![allow(clippy::unwrap_used)]

use assetmap_core::{
    AbcdType, AccessFeature, Asset, AssetId, Category, CostBand, LonLat, Status, TimeOfDay, Weekday,
};
use assetmap_index::{BBox, Engine, Filter, OpenAt, OpenAtPolicy, TimeInterval};
use assetmap_synthetic as synthetic;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;

fn ll(lon: f64, lat: f64) -> LonLat {
    LonLat::new(lon, lat).unwrap()
}

/// A position anywhere, with extra weight near the poles and the antimeridian.
fn anywhere(r: &mut SmallRng) -> LonLat {
    match r.gen_range(0..6) {
        0 => ll(r.gen_range(-180.0..=180.0), r.gen_range(-90.0..=90.0)),
        1 => ll(r.gen_range(-180.0..=180.0), r.gen_range(89.0..=90.0)),
        2 => ll(r.gen_range(-180.0..=180.0), r.gen_range(-90.0..=-89.5)),
        3 => ll(
            if r.gen() {
                r.gen_range(179.5..=180.0)
            } else {
                r.gen_range(-180.0..=-179.5)
            },
            r.gen_range(-60.0..60.0),
        ),
        4 => ll(r.gen_range(-1.0..1.0), r.gen_range(-1.0..1.0)),
        _ => ll(r.gen_range(-3.0..-1.9), r.gen_range(53.2..53.7)),
    }
}

/// 20,000 assets: most synthetic around Manchester, a third moved around the world, poles
/// and antimeridian included; some stacked on the same spot.
fn dataset(seed: u64, n: usize) -> Vec<Asset> {
    let mut r = SmallRng::seed_from_u64(seed);
    let mut assets = synthetic::assets(seed, n);
    for i in 0..n {
        if r.gen_bool(0.33) {
            assets[i].location = anywhere(&mut r);
        } else if i > 0 && r.gen_bool(0.02) {
            assets[i].location = assets[r.gen_range(0..i)].location;
        }
    }
    assets[0].location = ll(180.0, 0.0);
    assets[1].location = ll(-180.0, 0.0);
    assets[2].location = ll(0.0, 90.0);
    assets[3].location = ll(123.0, 90.0);
    assets[4].location = ll(0.0, -90.0);
    assets
}

fn some<T: Copy>(r: &mut SmallRng, all: &[T], p: f64) -> Vec<T> {
    if !r.gen_bool(p) {
        return Vec::new();
    }
    let k = r.gen_range(1..=3);
    (0..k).map(|_| all[r.gen_range(0..all.len())]).collect()
}

fn random_filter(r: &mut SmallRng) -> Filter {
    if r.gen_bool(0.3) {
        return Filter::default();
    }
    Filter {
        categories: some(r, Category::ALL, 0.4),
        abcd_types: some(r, AbcdType::ALL, 0.2),
        statuses: some(r, Status::ALL, 0.3),
        cost_bands: some(r, CostBand::ALL, 0.2),
        access: if r.gen_bool(0.2) {
            some(r, AccessFeature::ALL, 1.0)[..1].to_vec()
        } else {
            Vec::new()
        },
        age: r.gen_bool(0.2).then(|| r.gen_range(0..=100)),
        open_at: r.gen_bool(0.2).then(|| OpenAt {
            day: Weekday::ALL[r.gen_range(0..7)],
            time: TimeOfDay::from_hm(r.gen_range(0..24), [0, 30, 59][r.gen_range(0..3)]).unwrap(),
            policy: [
                OpenAtPolicy::OpenOnly,
                OpenAtPolicy::IncludeByArrangement,
                OpenAtPolicy::ExcludeOnlyClosed,
            ][r.gen_range(0..3)],
        }),
        // Synthetic assets are updated between 2019 and 2026: ends in that span, or open.
        updated: r.gen_bool(0.2).then(|| {
            let (from, to) = (r.gen_range(2019..2027), r.gen_range(2019..2027));
            let start = if r.gen_bool(0.3) {
                "..".to_owned()
            } else {
                format!("{}-06-01", from.min(to))
            };
            let end = if r.gen_bool(0.3) {
                "..".to_owned()
            } else {
                format!("{}-06-01", from.max(to))
            };
            TimeInterval::parse_ogc(&format!("{start}/{end}")).unwrap()
        }),
    }
}

fn brute_sorted<'a>(
    assets: impl Iterator<Item = &'a Asset>,
    at: LonLat,
    f: &Filter,
) -> Vec<(AssetId, f64)> {
    let mut v: Vec<(AssetId, f64)> = assets
        .filter(|a| f.matches(a))
        .map(|a| (a.id.clone(), at.distance_m(&a.location)))
        .collect();
    v.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    v
}

fn hits(h: Vec<assetmap_index::Hit>) -> Vec<(AssetId, f64)> {
    h.into_iter()
        .map(|h| (h.asset.id.clone(), h.distance_m))
        .collect()
}

fn query_point(r: &mut SmallRng, assets: &[Asset]) -> LonLat {
    if r.gen_bool(0.3) {
        assets[r.gen_range(0..assets.len())].location // exactly on an asset: distance 0
    } else {
        anywhere(r)
    }
}

fn check_queries(engine: &Engine, reference: &[Asset], seed: u64, queries: usize) {
    let mut r = SmallRng::seed_from_u64(seed);
    let n = reference.len();
    for q in 0..queries {
        let at = query_point(&mut r, reference);
        let f = random_filter(&mut r);
        let all = brute_sorted(reference.iter(), at, &f);

        let radius = match r.gen_range(0..5) {
            0 => 0.0,
            1 => 10f64.powf(r.gen_range(0.0..3.0)),
            2 => 10f64.powf(r.gen_range(3.0..5.0)),
            3 => 10f64.powf(r.gen_range(5.0..7.5)),
            _ => 2.1e7, // more than half way round: everything
        };
        let want: Vec<_> = all.iter().filter(|(_, d)| *d <= radius).cloned().collect();
        let got = hits(engine.within(at, radius, &f));
        assert_eq!(got, want, "within q{q} at {at:?} r={radius} {f:?}");

        let k = [0, 1, 5, 20, 100, n + 10][r.gen_range(0..6)];
        let want: Vec<_> = all.iter().take(k).cloned().collect();
        assert_eq!(
            hits(engine.nearest(at, k, &f)),
            want,
            "nearest q{q} at {at:?} k={k} {f:?}"
        );

        let want: Vec<_> = all
            .iter()
            .filter(|(_, d)| *d <= radius)
            .take(k)
            .cloned()
            .collect();
        assert_eq!(
            hits(engine.nearest_within(at, k, radius, &f)),
            want,
            "nearest_within q{q}"
        );
    }
}

fn random_bbox(r: &mut SmallRng) -> BBox {
    match r.gen_range(0..6) {
        5 => {
            // Across the antimeridian: west > east.
            let s = r.gen_range(-90.0..80.0);
            BBox::new(
                r.gen_range(150.0..180.0),
                s,
                r.gen_range(-180.0..-150.0),
                if r.gen() { 90.0 } else { s + 10.0 },
            )
            .unwrap()
        }
        0 => BBox::WORLD,
        1 => {
            let (w, s) = (r.gen_range(-3.0..-1.9), r.gen_range(53.2..53.7));
            BBox::new(
                w,
                s,
                w + r.gen_range(0.0..0.3),
                (s + r.gen_range(0.0..0.2f64)).min(90.0),
            )
            .unwrap()
        }
        2 => {
            // Touching the antimeridian or a pole.
            let s = r.gen_range(-90.0..80.0);
            BBox::new(
                r.gen_range(170.0..180.0),
                s,
                180.0,
                if r.gen() { 90.0 } else { s + 10.0 },
            )
            .unwrap()
        }
        3 => BBox::new(
            -180.0,
            -90.0,
            r.gen_range(-180.0..-170.0),
            r.gen_range(-90.0..-80.0),
        )
        .unwrap(),
        _ => {
            let (a, b) = (r.gen_range(-180.0..180.0), r.gen_range(-180.0..180.0));
            let (c, d) = (r.gen_range(-90.0..90.0), r.gen_range(-90.0..90.0));
            BBox::new(
                f64::min(a, b),
                f64::min(c, d),
                f64::max(a, b),
                f64::max(c, d),
            )
            .unwrap()
        }
    }
}

/// OGC API Features `bbox`, from its definition: latitude between the edges, and longitude
/// between them or, when west > east (across the antimeridian), east of west or west of east.
fn in_box_by_definition(b: &BBox, a: &Asset) -> bool {
    let (lon, lat) = (a.location.lon(), a.location.lat());
    let lat_in = b.south() <= lat && lat <= b.north();
    let lon_in = if b.west() <= b.east() {
        b.west() <= lon && lon <= b.east()
    } else {
        lon >= b.west() || lon <= b.east()
    };
    lat_in && lon_in
}

fn check_bboxes(engine: &Engine, reference: &[Asset], seed: u64, queries: usize) {
    let mut r = SmallRng::seed_from_u64(seed);
    let mut sorted: Vec<&Asset> = reference.iter().collect();
    sorted.sort_by(|a, b| a.id.cmp(&b.id));
    for q in 0..queries {
        let b = random_bbox(&mut r);
        let f = random_filter(&mut r);
        let want: Vec<&AssetId> = sorted
            .iter()
            .filter(|a| in_box_by_definition(&b, a) && f.matches(a))
            .map(|a| &a.id)
            .collect();
        let got: Vec<AssetId> = engine.bbox(&b, &f).into_iter().map(|a| a.id).collect();
        let got: Vec<&AssetId> = got.iter().collect();
        assert_eq!(got, want, "bbox q{q} {b:?} {f:?}");
        assert_eq!(engine.bbox_count(&b, &f), want.len());
        let (offset, limit) = (r.gen_range(0..=want.len() + 3), r.gen_range(0..50));
        let page = engine.bbox_page(&b, &f, offset, limit);
        assert_eq!(page.number_matched, want.len());
        let page_ids: Vec<&AssetId> = page.items.iter().map(|a| &a.id).collect();
        assert_eq!(
            page_ids,
            want.iter()
                .skip(offset)
                .take(limit)
                .copied()
                .collect::<Vec<_>>(),
            "bbox_page q{q}"
        );

        let want: Vec<&AssetId> = sorted
            .iter()
            .filter(|a| f.matches(a))
            .map(|a| &a.id)
            .collect();
        let got: Vec<AssetId> = engine.scan(&f).map(|a| a.id).collect();
        let got: Vec<&AssetId> = got.iter().collect();
        assert_eq!(got, want, "scan q{q} {f:?}");
        assert_eq!(engine.count(&f), want.len());
        let page = engine.scan_page(&f, offset, limit);
        assert_eq!(page.number_matched, want.len());
        let page_ids: Vec<&AssetId> = page.items.iter().map(|a| &a.id).collect();
        assert_eq!(
            page_ids,
            want.iter()
                .skip(offset)
                .take(limit)
                .copied()
                .collect::<Vec<_>>(),
            "scan_page q{q}"
        );
    }
}

#[test]
fn within_and_nearest_equal_brute_force_on_20000_points() {
    let assets = dataset(11, 20_000);
    let engine = Engine::new(assets.clone());
    engine.check_invariants().unwrap();
    check_queries(&engine, &assets, 12, 200);
}

#[test]
fn bbox_and_scan_equal_brute_force_on_20000_points() {
    let assets = dataset(21, 20_000);
    let engine = Engine::new(assets.clone());
    check_bboxes(&engine, &assets, 22, 200);
}

#[test]
fn dense_duplicates_tie_break_by_id() {
    // 300 assets on 3 spots: nearest must cut inside a run of equal distances by id.
    let mut assets = synthetic::assets(5, 300);
    for (i, a) in assets.iter_mut().enumerate() {
        a.location = [ll(-2.0, 53.0), ll(-2.001, 53.0), ll(179.9999, -89.9999)][i % 3];
    }
    assets.reverse();
    let engine = Engine::new(assets.clone());
    for k in [1, 7, 100, 101, 150, 299] {
        let at = ll(-2.0, 53.0);
        let want: Vec<_> = brute_sorted(assets.iter(), at, &Filter::default())
            .into_iter()
            .take(k)
            .collect();
        assert_eq!(
            hits(engine.nearest(at, k, &Filter::default())),
            want,
            "k={k}"
        );
    }
    check_queries(&engine, &assets, 6, 100);
}

#[test]
fn radius_zero_finds_exactly_the_assets_on_the_spot() {
    let assets = dataset(31, 2_000);
    let engine = Engine::new(assets.clone());
    for a in assets.iter().step_by(37) {
        let got = engine.within(a.location, 0.0, &Filter::default());
        assert!(got.iter().any(|h| h.asset.id == a.id));
        assert!(got.iter().all(|h| h.distance_m == 0.0));
        assert_eq!(
            got.len(),
            assets
                .iter()
                .filter(|b| a.location.distance_m(&b.location) == 0.0)
                .count()
        );
    }
    assert!(engine
        .within(assets[0].location, -1.0, &Filter::default())
        .is_empty());
    assert!(engine
        .within(assets[0].location, f64::NAN, &Filter::default())
        .is_empty());
}

#[test]
fn upsert_and_remove_keep_every_index_consistent() {
    let mut r = SmallRng::seed_from_u64(41);
    let base = dataset(41, 5_000);
    let mut engine = Engine::new(base[..4_000].to_vec());
    let mut model: BTreeMap<AssetId, Asset> = base[..4_000]
        .iter()
        .map(|a| (a.id.clone(), a.clone()))
        .collect();
    let mut next_new = 4_000;
    for step in 0..3_000 {
        let ids: Vec<AssetId> = model.keys().cloned().collect();
        match r.gen_range(0..5) {
            // Move an existing asset (and change what filters see).
            0 | 1 if !ids.is_empty() => {
                let mut a = model[&ids[r.gen_range(0..ids.len())]].clone();
                a.location = if r.gen_bool(0.2) {
                    a.location
                } else {
                    anywhere(&mut r)
                };
                a.status = Status::ALL[r.gen_range(0..3)];
                a.categories = vec![Category::ALL[r.gen_range(0..Category::ALL.len())]];
                a.version += 1;
                let old = engine
                    .upsert(a.clone())
                    .expect("existing asset is replaced");
                assert_eq!(Some(&old), model.get(&a.id));
                model.insert(a.id.clone(), a);
            }
            2 if next_new < base.len() => {
                let a = base[next_new].clone();
                next_new += 1;
                assert!(engine.upsert(a.clone()).is_none());
                model.insert(a.id.clone(), a);
            }
            3 if !ids.is_empty() => {
                let id = &ids[r.gen_range(0..ids.len())];
                assert_eq!(engine.remove(id), model.remove(id));
            }
            _ => assert!(engine
                .remove(&AssetId::parse(&format!("missing-{step}")).unwrap())
                .is_none()),
        }
        if step % 500 == 0 {
            engine.check_invariants().unwrap();
        }
    }
    engine.check_invariants().unwrap();
    assert_eq!(engine.len(), model.len());
    assert!(engine.iter().eq(model.values().cloned()));
    for (id, a) in &model {
        assert_eq!(engine.get(id).as_ref(), Some(a));
    }
    let reference: Vec<Asset> = model.values().cloned().collect();
    check_queries(&engine, &reference, 42, 100);
    check_bboxes(&engine, &reference, 43, 100);

    // Removing everything leaves an empty but working engine.
    for id in model.keys() {
        engine.remove(id).unwrap();
    }
    engine.check_invariants().unwrap();
    assert!(engine.is_empty());
    assert!(engine
        .nearest(ll(0.0, 0.0), 5, &Filter::default())
        .is_empty());
    assert!(engine.bbox(&BBox::WORLD, &Filter::default()).is_empty());
    engine.upsert(base[0].clone());
    assert_eq!(engine.nearest(ll(0.0, 0.0), 5, &Filter::default()).len(), 1);
}

#[test]
fn bulk_build_sorts_and_last_duplicate_wins() {
    let mut assets = synthetic::assets(51, 1_000);
    let mut r = SmallRng::seed_from_u64(51);
    for i in (1..assets.len()).rev() {
        assets.swap(i, r.gen_range(0..=i)); // shuffle
    }
    let mut dup = assets[10].clone();
    dup.location = ll(100.0, -45.0);
    dup.version = 77;
    assets.push(dup.clone());
    let engine = Engine::new(assets);
    engine.check_invariants().unwrap();
    assert_eq!(engine.len(), 1_000);
    assert_eq!(engine.get(&dup.id), Some(dup.clone()));
    assert!(engine
        .iter()
        .map(|a| a.id.clone())
        .eq((0..1_000).map(synthetic::id)));
    assert_eq!(
        engine.nearest(ll(100.0, -45.0), 1, &Filter::default())[0]
            .asset
            .version,
        77
    );
}

#[test]
fn engine_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Engine>();
}
