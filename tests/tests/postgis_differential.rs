//! Differential test: the in-memory engine against PostGIS's own answers, on the bundled
//! Trafford data and on 100,000 seeded synthetic assets, both loaded through the PostGIS store
//! (so the engine is built from what PostGIS gives back).
//!
//! | question      | engine                     | PostGIS                                                     |
//! |---------------|----------------------------|-------------------------------------------------------------|
//! | within radius | `Engine::within`           | `ST_DWithin(geom::geography, p::geography, r, false)`       |
//! | k-nearest     | `Engine::nearest`          | candidates by `ORDER BY geom <-> p`, ranked by `ST_Distance(geography, false)` |
//! | bbox          | `Engine::bbox`             | `geom && ST_MakeEnvelope(…, 4326)`                          |
//! | point in area | `AreaIndex::containing`    | `ST_Contains(ward.geom, asset.geom)`                        |
//!
//! `use_spheroid = false` puts PostGIS on the sphere of radius 6,371,008.7714 m, the engine's.
//! Ids must be the same and distances within 0.5 m. The only disagreements allowed are
//! assets within 0.5 m of a radius, tied within 0.5 m at the k-th place, or within 1e-5° of a
//! bbox edge (PostGIS compares bounding boxes in single precision).

use assetmap_core::{Asset, Category, LonLat};
use assetmap_index::areas::{AreaIndex, AreaInput, AreaLevel};
use assetmap_index::{BBox, Engine, Filter};
use assetmap_store::{AssetStore, PostgisStore};
use assetmap_tests::{data_dir, fresh_postgis_database};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeMap, BTreeSet};

const TOLERANCE_M: f64 = 0.5;
const EDGE_DEG: f64 = 1e-5;

struct Loaded {
    name: &'static str,
    store: PostgisStore,
    engine: Engine,
    extent: [f64; 4],
}

async fn load(name: &'static str, assets: Vec<Asset>) -> Loaded {
    let url = fresh_postgis_database();
    let store = PostgisStore::open(&url).await.expect("open PostGIS");
    store
        .insert_many(
            &assets,
            &assetmap_core::ChangeBy::system(assetmap_core::Via::Seed),
        )
        .await
        .expect("bulk load");
    let back = store.all().await.expect("read back");
    assert_eq!(back.len(), assets.len());
    let mut extent = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    for a in &back {
        extent = [
            extent[0].min(a.location.lon()),
            extent[1].min(a.location.lat()),
            extent[2].max(a.location.lon()),
            extent[3].max(a.location.lat()),
        ];
    }
    Loaded {
        name,
        store,
        engine: Engine::new(back),
        extent,
    }
}

const POINT: &str = "ST_SetSRID(ST_MakePoint($1::float8, $2::float8), 4326)";

async fn pg_within(
    l: &Loaded,
    at: LonLat,
    r: f64,
    category: Option<Category>,
) -> BTreeMap<String, f64> {
    let client = l.store.pool().get().await.expect("connection");
    let sql = format!(
        "SELECT id, ST_Distance(geom::geography, {POINT}::geography, false) FROM assets \
         WHERE ST_DWithin(geom::geography, {POINT}::geography, $3::float8, false) \
         AND ($4::text IS NULL OR $4::text = ANY(categories))"
    );
    let rows = client
        .query(
            &sql,
            &[&at.lon(), &at.lat(), &r, &category.map(|c| c.slug())],
        )
        .await
        .expect("ST_DWithin");
    rows.iter()
        .map(|row| (row.get::<_, String>(0), row.get::<_, f64>(1)))
        .collect()
}

/// k nearest by PostGIS: `candidates` by the planar `<->` index order, ranked on the sphere.
/// Returns the ranked list and the planar distance (degrees) of the last candidate, which
/// bounds how far any asset left out can be.
async fn pg_nearest(
    l: &Loaded,
    at: LonLat,
    k: usize,
    candidates: i64,
) -> (Vec<(String, f64)>, f64) {
    let client = l.store.pool().get().await.expect("connection");
    let sql = format!(
        "SELECT id, ST_Distance(geom::geography, {POINT}::geography, false), geom <-> {POINT} \
         FROM assets ORDER BY geom <-> {POINT} LIMIT $3"
    );
    let rows = client
        .query(&sql, &[&at.lon(), &at.lat(), &candidates])
        .await
        .expect("<->");
    let last_planar = rows.last().map_or(f64::INFINITY, |r| r.get::<_, f64>(2));
    let mut ranked: Vec<(String, f64)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    ranked.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    if (candidates as usize) > rows.len() {
        // Fewer assets than candidates asked for: every asset was ranked.
        ranked.truncate(k);
        return (ranked, f64::INFINITY);
    }
    ranked.truncate(k);
    (ranked, last_planar)
}

async fn pg_bbox(l: &Loaded, b: [f64; 4]) -> BTreeMap<String, (f64, f64)> {
    let client = l.store.pool().get().await.expect("connection");
    let rows = client
        .query(
            "SELECT id, ST_X(geom), ST_Y(geom) FROM assets \
             WHERE geom && ST_MakeEnvelope($1::float8, $2::float8, $3::float8, $4::float8, 4326)",
            &[&b[0], &b[1], &b[2], &b[3]],
        )
        .await
        .expect("&&");
    rows.iter()
        .map(|r| {
            (
                r.get::<_, String>(0),
                (r.get::<_, f64>(1), r.get::<_, f64>(2)),
            )
        })
        .collect()
}

/// Compares radius answers; returns how many boundary cases were tolerated.
fn same_within(
    what: &str,
    engine: &BTreeMap<String, f64>,
    pg: &BTreeMap<String, f64>,
    r: f64,
) -> usize {
    let mut boundary = 0;
    for (id, d) in engine {
        match pg.get(id) {
            Some(p) => assert!(
                (d - p).abs() <= TOLERANCE_M,
                "{what}: {id} at {d} m by the engine, {p} m by PostGIS"
            ),
            None if (d - r).abs() <= TOLERANCE_M => boundary += 1,
            None => {
                panic!("{what}: {id} at {d} m is within {r} m for the engine but not for PostGIS")
            }
        }
    }
    for (id, p) in pg {
        if !engine.contains_key(id) {
            assert!(
                (p - r).abs() <= TOLERANCE_M,
                "{what}: {id} at {p} m is within {r} m for PostGIS but not for the engine"
            );
            boundary += 1;
        }
    }
    boundary
}

/// Compares k-nearest answers: distances place by place; ids except ties at the k-th place.
fn same_nearest(what: &str, engine: &[(String, f64)], pg: &[(String, f64)]) {
    assert_eq!(engine.len(), pg.len(), "{what}: result lengths");
    for (i, (e, p)) in engine.iter().zip(pg).enumerate() {
        assert!(
            (e.1 - p.1).abs() <= TOLERANCE_M,
            "{what}: place {i}: engine {e:?}, PostGIS {p:?}"
        );
    }
    let Some(kth) = engine.last().map(|e| e.1) else {
        return;
    };
    let clear = |v: &[(String, f64)]| -> BTreeSet<String> {
        v.iter()
            .filter(|(_, d)| *d < kth - TOLERANCE_M)
            .map(|(id, _)| id.clone())
            .collect()
    };
    assert_eq!(
        clear(engine),
        clear(pg),
        "{what}: the same assets short of the k-th place"
    );
}

async fn compare_queries(l: &Loaded, seed: u64) {
    // Seeded (ChaCha8, as the synthetic data): the same query points every run.
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let [w, s, e, n] = l.extent;
    let mut boundary = 0;
    let mut compared = 0;
    for q in 0..20 {
        let at = LonLat::new(rng.gen_range(w..e), rng.gen_range(s..n)).expect("inside the extent");

        for (r, category) in [
            (250.0, None),
            (1_000.0, None),
            (3_000.0, Some(Category::Food)),
        ] {
            let filter = Filter {
                categories: category.into_iter().collect(),
                ..Filter::default()
            };
            let engine: BTreeMap<String, f64> = l
                .engine
                .within(at, r, &filter)
                .iter()
                .map(|h| (h.asset.id.to_string(), h.distance_m))
                .collect();
            let pg = pg_within(l, at, r, category).await;
            boundary += same_within(
                &format!("{} query {q}: within {r} m {category:?}", l.name),
                &engine,
                &pg,
                r,
            );
            compared += engine.len();
        }

        for k in [1usize, 10, 100] {
            let engine: Vec<(String, f64)> = l
                .engine
                .nearest(at, k, &Filter::default())
                .iter()
                .map(|h| (h.asset.id.to_string(), h.distance_m))
                .collect();
            let candidates = i64::try_from(20 * k + 200).expect("small");
            let (pg, last_planar_deg) = pg_nearest(l, at, k, candidates).await;
            // Anything the planar index order left out is at least this far on the sphere:
            // a degree of longitude shrinks by cos(latitude), never by more than at the
            // highest latitude the candidates can reach.
            let lat_max = (at.lat().abs() + last_planar_deg).min(89.0);
            let floor_m = 0.999
                * last_planar_deg.to_radians()
                * assetmap_core::EARTH_RADIUS_M
                * lat_max.to_radians().cos();
            if let Some((_, kth)) = pg.last() {
                assert!(
                    *kth < floor_m,
                    "{}: {candidates} candidates are not enough for k = {k}",
                    l.name
                );
            }
            same_nearest(&format!("{} query {q}: nearest {k}", l.name), &engine, &pg);
            compared += engine.len();
        }

        let half_w = rng.gen_range(0.002..0.05);
        let half_h = rng.gen_range(0.002..0.04);
        let b = [
            at.lon() - half_w,
            at.lat() - half_h,
            at.lon() + half_w,
            at.lat() + half_h,
        ];
        let bbox = BBox::new(b[0], b[1], b[2], b[3]).expect("a valid bbox");
        let engine: BTreeSet<String> = l
            .engine
            .bbox(&bbox, &Filter::default())
            .iter()
            .map(|a| a.id.to_string())
            .collect();
        let pg = pg_bbox(l, b).await;
        let near_edge = |lon: f64, lat: f64| {
            [
                (lon - b[0]).abs(),
                (lon - b[2]).abs(),
                (lat - b[1]).abs(),
                (lat - b[3]).abs(),
            ]
            .iter()
            .any(|d| *d <= EDGE_DEG)
        };
        for id in engine.symmetric_difference(&pg.keys().cloned().collect()) {
            let a = l
                .engine
                .get(assetmap_core::AssetId::parse(id).expect("id"))
                .expect("known asset");
            assert!(
                near_edge(a.location.lon(), a.location.lat()),
                "{} query {q}: bbox {b:?} disagrees on {id} at {:?}",
                l.name,
                a.location
            );
            boundary += 1;
        }
        compared += engine.len();
    }
    println!(
        "{}: {compared} answers compared, {boundary} boundary cases tolerated",
        l.name
    );
    assert!(
        compared > 1_000,
        "{}: the queries found too little to compare ({compared})",
        l.name
    );
}

/// Ward polygons from the bundled full-resolution boundaries.
fn wards() -> (serde_json::Value, AreaIndex) {
    let path = data_dir().join("sources/trafford/boundaries/trafford_ward_full_resolution.geojson");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("ward boundaries"))
            .expect("JSON");
    let ring = |r: &serde_json::Value| -> Vec<[f64; 2]> {
        r.as_array()
            .expect("ring")
            .iter()
            .map(|p| [p[0].as_f64().expect("lon"), p[1].as_f64().expect("lat")])
            .collect()
    };
    let polygon = |p: &serde_json::Value| -> Vec<Vec<[f64; 2]>> {
        p.as_array().expect("polygon").iter().map(ring).collect()
    };
    let inputs: Vec<AreaInput> = json["features"]
        .as_array()
        .expect("features")
        .iter()
        .map(|f| {
            let g = &f["geometry"];
            let polygons = match g["type"].as_str() {
                Some("Polygon") => vec![polygon(&g["coordinates"])],
                Some("MultiPolygon") => g["coordinates"]
                    .as_array()
                    .expect("parts")
                    .iter()
                    .map(polygon)
                    .collect(),
                other => panic!("unexpected geometry {other:?}"),
            };
            AreaInput {
                code: f["properties"]["area_code"]
                    .as_str()
                    .expect("area_code")
                    .to_owned(),
                name: f["properties"]["area_name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                polygons,
            }
        })
        .collect();
    let index = AreaIndex::new(vec![(AreaLevel::Ward, inputs)]).expect("valid wards");
    (json, index)
}

async fn compare_point_in_area(l: &Loaded) {
    let (json, index) = wards();
    let client = l.store.pool().get().await.expect("connection");
    client
        .batch_execute("CREATE TEMP TABLE ward (code text, geom geometry(Geometry, 4326))")
        .await
        .expect("ward table");
    for f in json["features"].as_array().expect("features") {
        client
            .execute(
                "INSERT INTO ward VALUES ($1, ST_SetSRID(ST_GeomFromGeoJSON($2), 4326))",
                &[
                    &f["properties"]["area_code"].as_str().expect("code"),
                    &f["geometry"].to_string(),
                ],
            )
            .await
            .expect("insert ward");
    }
    client
        .batch_execute("CREATE INDEX ON ward USING gist (geom); ANALYZE ward")
        .await
        .expect("index");
    let rows = client
        .query(
            "SELECT a.id, string_agg(w.code, ',' ORDER BY w.code) FROM assets a \
             JOIN ward w ON ST_Contains(w.geom, a.geom) GROUP BY a.id",
            &[],
        )
        .await
        .expect("ST_Contains");
    let pg: BTreeMap<String, String> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    let mut inside = 0;
    for a in l.engine.iter() {
        let engine: Vec<&str> = index
            .containing(AreaLevel::Ward, a.location)
            .iter()
            .map(|&i| index.areas(AreaLevel::Ward)[i].code())
            .collect();
        let engine = engine.join(",");
        let want = pg.get(a.id.as_str()).cloned().unwrap_or_default();
        assert_eq!(engine, want, "{}: asset {} at {:?} is in ward(s) {engine:?} for the engine, {want:?} for ST_Contains", l.name, a.id, a.location);
        inside += usize::from(!engine.is_empty());
    }
    println!(
        "{}: point in ward agrees for all {} assets ({inside} inside a Trafford ward)",
        l.name,
        l.engine.len()
    );
    assert!(inside > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_engine_answers_like_postgis_on_the_trafford_data() {
    let assets = assetmap_server::startup::bundled_assets(&data_dir()).expect("bundled data");
    assert!(assets.len() > 1_000);
    let l = load("trafford", assets).await;
    compare_queries(&l, 0x007A_FF0D).await;
    compare_point_in_area(&l).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_engine_answers_like_postgis_on_100k_synthetic_assets() {
    let l = load("synthetic 100k", assetmap_synthetic::assets(42, 100_000)).await;
    compare_queries(&l, 0x5EED).await;
    compare_point_in_area(&l).await;
}
