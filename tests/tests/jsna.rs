//! The JSNA asset layer on the real Trafford data, checked against independent computations:
//! per-area counts against PostGIS `ST_Contains` joins on the throwaway cluster, every
//! `per_1000_*` against those counts over the population CSV files read here, access shares against a brute-force distance scan, MSOA
//! population against its LSOAs, the share of assets checked within 12 months against the
//! assets' own dates, plus writes and error paths.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use assetmap_analysis::{Summary, SummaryQuery};
use assetmap_core::{Category, LonLat, Status};
use assetmap_index::AreaLevel;
use assetmap_io::export::Cell;
use assetmap_tests::{
    boundaries, data_dir, fresh_postgis_database, psql_file, spawn_app, TestApp, TestStore,
};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

const ALTRINCHAM: &str = "E05015239";

fn cell<'a>(s: &'a Summary, code: &str, column: &str) -> &'a Cell {
    let col = s.columns.iter().position(|c| c.name == column).unwrap();
    let row = s.rows.iter().find(|r| r.code == code).unwrap();
    &row.cells[col]
}

fn int(c: &Cell) -> i64 {
    match c {
        Cell::Integer(n) => *n,
        other => panic!("not an integer: {other:?}"),
    }
}

fn real(c: &Cell) -> f64 {
    match c {
        Cell::Real(x) => *x,
        other => panic!("not a number: {other:?}"),
    }
}

/// Every counted asset (active or temporarily closed) as (id, location, categories).
fn counted_assets(app: &TestApp) -> Vec<(String, LonLat, Vec<Category>)> {
    app.state
        .engine()
        .iter()
        .filter(|a| matches!(a.status, Status::Active | Status::TemporarilyClosed))
        .map(|a| (a.id.to_string(), a.location, a.categories.clone()))
        .collect()
}

/// Per-area counts of counted assets by PostGIS `ST_Contains`: `(level, code) → total` and
/// `(level, code, category) → count`, for ward, LSOA and MSOA.
struct PgCounts {
    totals: HashMap<(String, String), i64>,
    by_category: HashMap<(String, String, String), i64>,
}

/// Per-asset area codes and per-area counts by PostGIS `ST_Contains`, for ward (full
/// resolution), LSOA and MSOA, compared with the engine's area index and the summaries.
async fn counts_equal_postgis_st_contains(app: &TestApp) -> PgCounts {
    let url = fresh_postgis_database();
    let assets = counted_assets(app);
    let mut sql = String::from(
        "CREATE TABLE area(level text, code text, geom geometry(Geometry, 4326));\n\
         CREATE TABLE asset(id text, cats text[], geom geometry(Point, 4326));\n",
    );
    for (level, file) in [
        ("ward", "trafford_ward_full_resolution.geojson"),
        ("lsoa", "trafford_lsoa_generalised.geojson"),
        ("msoa", "trafford_msoa_generalised.geojson"),
    ] {
        for f in boundaries(file)["features"].as_array().unwrap() {
            let g = f["geometry"].to_string().replace('\'', "''");
            writeln!(
                sql,
                "INSERT INTO area VALUES ('{level}', '{}', ST_SetSRID(ST_GeomFromGeoJSON('{g}'), 4326));",
                f["properties"]["area_code"].as_str().unwrap()
            )
            .unwrap();
        }
    }
    for (id, at, cats) in &assets {
        let cats: Vec<String> = cats.iter().map(|c| format!("\"{}\"", c.slug())).collect();
        // `{:?}` prints the shortest decimal that reads back as the same double.
        writeln!(
            sql,
            "INSERT INTO asset VALUES ('{}', '{{{}}}', ST_SetSRID(ST_MakePoint({:?}, {:?}), 4326));",
            id.replace('\'', "''"),
            cats.join(","),
            at.lon(),
            at.lat()
        )
        .unwrap();
    }
    sql.push_str(
        "SELECT 'asset', a.id, l.level, coalesce(string_agg(ar.code, ',' ORDER BY ar.code), '')\n\
         FROM asset a CROSS JOIN (VALUES ('ward'), ('lsoa'), ('msoa')) l(level)\n\
         LEFT JOIN area ar ON ar.level = l.level AND ST_Contains(ar.geom, a.geom)\n\
         GROUP BY a.id, l.level;\n\
         SELECT 'count', ar.level, ar.code, c.cat, count(a.id)\n\
         FROM area ar JOIN asset a ON ST_Contains(ar.geom, a.geom)\n\
         CROSS JOIN LATERAL unnest(a.cats) c(cat) GROUP BY 1, 2, 3, 4;\n\
         SELECT 'total', ar.level, ar.code, count(a.id)\n\
         FROM area ar JOIN asset a ON ST_Contains(ar.geom, a.geom) GROUP BY 1, 2, 3;\n",
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("load.sql");
    std::fs::write(&file, sql).unwrap();
    let out = psql_file(&url, &file);

    let mut pg_codes: HashMap<(String, String), String> = HashMap::new();
    let mut pg_counts: HashMap<(String, String, String), i64> = HashMap::new();
    let mut pg_totals: HashMap<(String, String), i64> = HashMap::new();
    for line in out.lines() {
        let f: Vec<&str> = line.split('|').collect();
        match f[0] {
            "asset" => {
                pg_codes.insert((f[1].to_owned(), f[2].to_owned()), f[3].to_owned());
            }
            "count" => {
                pg_counts.insert(
                    (f[1].to_owned(), f[2].to_owned(), f[3].to_owned()),
                    f[4].parse().unwrap(),
                );
            }
            "total" => {
                pg_totals.insert((f[1].to_owned(), f[2].to_owned()), f[3].parse().unwrap());
            }
            _ => {}
        }
    }
    assert_eq!(pg_codes.len(), assets.len() * 3);

    // Per asset: the engine's area index gives the same area as ST_Contains, and never two.
    let index = &app.state.place.areas;
    let mut outside: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (id, at, _) in &assets {
        for level in [AreaLevel::Ward, AreaLevel::Lsoa, AreaLevel::Msoa] {
            let found = index.containing(level, *at);
            assert!(found.len() <= 1, "{id} is in {} {level}s", found.len());
            let ours = found
                .first()
                .map(|&i| index.areas(level)[i].code().to_owned())
                .unwrap_or_default();
            let theirs = &pg_codes[&(id.clone(), level.slug().to_owned())];
            assert_eq!(&ours, theirs, "{level} of {id} at {at:?}");
            if ours.is_empty() {
                outside.entry(level.slug()).or_default().push(id.clone());
            }
        }
    }
    // Reported for the record (see the README): which assets fall outside every ward.
    eprintln!("assets outside every area, by level: {outside:?}");
    let outside_wards = outside.get("ward").cloned().unwrap_or_default();
    assert!(
        outside_wards.len() <= 5,
        "only a handful of assets lie outside Trafford's wards: {outside_wards:?}"
    );

    // Per area and category: the summaries' counts equal the ST_Contains join's.
    for level in [AreaLevel::Ward, AreaLevel::Lsoa, AreaLevel::Msoa] {
        let s = app.state.summary(level, &SummaryQuery::default());
        let mut sum_total = 0;
        for row in &s.rows {
            let key = (level.slug().to_owned(), row.code.clone());
            let total = int(cell(&s, &row.code, "count_total"));
            assert_eq!(
                total,
                pg_totals.get(&key).copied().unwrap_or(0),
                "{level} {} total",
                row.code
            );
            sum_total += total;
            for c in Category::ALL {
                let ours = int(cell(&s, &row.code, &format!("count_{}", c.slug())));
                let theirs = pg_counts
                    .get(&(
                        level.slug().to_owned(),
                        row.code.clone(),
                        c.slug().to_owned(),
                    ))
                    .copied()
                    .unwrap_or(0);
                assert_eq!(ours, theirs, "{level} {} {c}", row.code);
            }
        }
        let out_n = outside.get(level.slug()).map_or(0, Vec::len);
        assert_eq!(
            sum_total as usize + out_n,
            assets.len(),
            "{level}: every asset in one area or outside"
        );
        assert_eq!(
            s.metadata["figures"]["assets_outside_every_area"],
            json!(out_n)
        );
    }
    // The local authority (the union of the wards) holds exactly the assets in some ward.
    let la = app.state.summary(AreaLevel::La, &SummaryQuery::default());
    assert_eq!(la.rows.len(), 1);
    assert_eq!(
        int(&la.rows[0].cells[7]) as usize,
        assets.len() - outside_wards.len()
    );
    PgCounts {
        totals: pg_totals,
        by_category: pg_counts,
    }
}

/// `all_ages` of the "Persons" rows of a mid-2024 population file, by area code.
fn population_csv(level: &str) -> BTreeMap<String, i64> {
    let path = data_dir().join(format!(
        "sources/trafford/population/mid-year_2024_population_estimates_{level}.csv"
    ));
    let mut r = csv::Reader::from_path(path).unwrap();
    let h = r.headers().unwrap().clone();
    let col = |name: &str| h.iter().position(|c| c == name).unwrap();
    let (code, sex, all) = (col("area_code"), col("sex"), col("all_ages"));
    r.records()
        .map(Result::unwrap)
        .filter(|rec| &rec[sex] == "Persons")
        .map(|rec| (rec[code].to_owned(), rec[all].parse().unwrap()))
        .collect()
}

/// count × 1000 / population, rounded to 2 decimals (README, "Columns").
fn per_1000(count: i64, population: i64) -> f64 {
    (count as f64 * 1000.0 / population as f64 * 100.0).round() / 100.0
}

/// Every `per_1000_*` of every area at every level against counts from PostGIS `ST_Contains`
/// and populations from the CSV files, read here (not the summary's own count and population).
async fn rates_equal_postgis_counts_over_csv_population(app: &TestApp, pg: &PgCounts) {
    let lsoa_pop = population_csv("lsoa");
    let mut checked = 0;
    for level in [
        AreaLevel::Ward,
        AreaLevel::Lsoa,
        AreaLevel::Msoa,
        AreaLevel::La,
    ] {
        let s = app.state.summary(level, &SummaryQuery::default());
        let pops = match level {
            // README: "the LA is the sum of its LSOAs".
            AreaLevel::La => {
                BTreeMap::from([("E08000009".to_owned(), lsoa_pop.values().sum::<i64>())])
            }
            _ => population_csv(level.slug()),
        };
        assert_eq!(s.rows.len(), pops.len(), "{level}: one row per area");
        // The LA holds every asset in some ward (it is the union of the wards).
        let count = |code: &str, category: Option<Category>| -> i64 {
            let (lv, codes): (&str, Vec<String>) = match level {
                AreaLevel::La => (
                    "ward",
                    population_csv("ward").into_keys().collect::<Vec<_>>(),
                ),
                _ => (level.slug(), vec![code.to_owned()]),
            };
            codes
                .iter()
                .map(|c| match category {
                    None => pg.totals.get(&(lv.to_owned(), c.clone())),
                    Some(cat) => {
                        pg.by_category
                            .get(&(lv.to_owned(), c.clone(), cat.slug().to_owned()))
                    }
                })
                .map(|n| n.copied().unwrap_or(0))
                .sum()
        };
        for row in &s.rows {
            let pop = pops[&row.code];
            assert_eq!(
                int(cell(&s, &row.code, "population")),
                pop,
                "{level} {}",
                row.code
            );
            let mut columns = vec![("per_1000_total".to_owned(), count(&row.code, None))];
            for c in Category::ALL {
                columns.push((format!("per_1000_{}", c.slug()), count(&row.code, Some(*c))));
            }
            for (column, n) in columns {
                let got = real(cell(&s, &row.code, &column));
                let want = per_1000(n, pop);
                assert!(
                    (got - want).abs() < 1e-9,
                    "{level} {} {column}: {got}, want {n} × 1000 / {pop} = {want}",
                    row.code
                );
                checked += 1;
            }
        }
    }
    assert_eq!(checked, (21 + 139 + 28 + 1) * 17);
}

/// Rates use the mid-2024 population of the same area: Altrincham by hand from the CSV.
async fn rates_use_the_right_population(app: &TestApp) {
    let path =
        data_dir().join("sources/trafford/population/mid-year_2024_population_estimates_ward.csv");
    let text = std::fs::read_to_string(path).unwrap();
    // period,area_code,area_name,geography,sex,all_ages,aged_0_to_15,aged_16_to_64,aged_65_and_over,...
    let row: Vec<&str> = text
        .lines()
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|f| f[1] == ALTRINCHAM && f[4] == "Persons")
        .unwrap();
    let pop: i64 = row[5].parse().unwrap();
    assert_eq!(pop, 11_278, "Altrincham, persons, all ages, mid-2024");
    let s = app.state.summary(AreaLevel::Ward, &SummaryQuery::default());
    assert_eq!(int(cell(&s, ALTRINCHAM, "population")), pop);
    assert_eq!(
        int(cell(&s, ALTRINCHAM, "population_65_plus")),
        row[8].parse::<i64>().unwrap()
    );
    // The rates themselves: `rates_equal_postgis_counts_over_csv_population`.

    // MSOA population equals the sum of its LSOAs ("Trafford 001A" is in "Trafford 001").
    let msoa = app.state.summary(AreaLevel::Msoa, &SummaryQuery::default());
    let lsoa = app.state.summary(AreaLevel::Lsoa, &SummaryQuery::default());
    assert_eq!((msoa.rows.len(), lsoa.rows.len()), (28, 139));
    let mut sums: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for r in &lsoa.rows {
        let msoa_name = r.name[..r.name.len() - 1].to_owned();
        let e = sums.entry(msoa_name).or_default();
        e.0 += int(cell(&lsoa, &r.code, "population"));
        e.1 += int(cell(&lsoa, &r.code, "census_residents"));
    }
    for r in &msoa.rows {
        let (pop, residents) = sums[&r.name];
        assert_eq!(
            int(cell(&msoa, &r.code, "population")),
            pop,
            "MSOA {} population",
            r.name
        );
        assert_eq!(
            int(cell(&msoa, &r.code, "census_residents")),
            residents,
            "MSOA {} census",
            r.name
        );
    }
    let la = app.state.summary(AreaLevel::La, &SummaryQuery::default());
    let total: i64 = sums.values().map(|v| v.0).sum();
    assert_eq!(int(&la.rows[0].cells[2]), total);

    // Wards: need is summed over the best fit (every LSOA exactly once), and says so.
    let wards = app.state.summary(AreaLevel::Ward, &SummaryQuery::default());
    let lsoas: i64 = wards
        .rows
        .iter()
        .map(|r| int(cell(&wards, &r.code, "census_lsoas")))
        .sum();
    assert_eq!(lsoas, 139);
    let residents: i64 = wards
        .rows
        .iter()
        .map(|r| int(cell(&wards, &r.code, "census_residents")))
        .sum();
    assert_eq!(residents, sums.values().map(|v| v.1).sum::<i64>());
    assert!(wards.metadata["method"]["need"]
        .as_str()
        .unwrap()
        .contains("best fit"));
    assert!(wards.metadata["caveats"][0]
        .as_str()
        .unwrap()
        .contains("approximate"));
}

/// Access shares and medians against a brute-force scan of every asset, for one ward.
async fn access_matches_brute_force(app: &TestApp) {
    let path = data_dir().join("sources/trafford/postcodes/trafford_postcodes.csv");
    let text = std::fs::read_to_string(path).unwrap();
    // postcode,ward_code,...,lon,lat (names may hold quoted commas: read from both ends).
    let points: Vec<LonLat> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|f| f[1] == ALTRINCHAM && !f[f.len() - 1].is_empty())
        .map(|f| {
            let n = f.len();
            LonLat::new(f[n - 2].parse().unwrap(), f[n - 1].parse().unwrap()).unwrap()
        })
        .collect();
    assert!(points.len() > 1000);
    let assets = counted_assets(app);
    for (category, walk_m) in [(Category::Food, 800.0), (Category::HealthServices, 400.0)] {
        let targets: Vec<LonLat> = assets
            .iter()
            .filter(|a| a.2.contains(&category))
            .map(|a| a.1)
            .collect();
        let mut d: Vec<f64> = points
            .iter()
            .map(|p| {
                targets
                    .iter()
                    .map(|t| p.distance_m(t))
                    .fold(f64::INFINITY, f64::min)
            })
            .collect();
        d.sort_by(f64::total_cmp);
        let within = d.iter().filter(|x| **x <= walk_m).count();
        let share = (within as f64 / d.len() as f64 * 10_000.0).round() / 10_000.0;
        let n = d.len();
        let median = if n % 2 == 1 {
            d[n / 2]
        } else {
            (d[n / 2 - 1] + d[n / 2]) / 2.0
        };

        let q = SummaryQuery {
            categories: vec![category],
            walk_m,
            ..SummaryQuery::default()
        };
        let s = app.state.summary(AreaLevel::Ward, &q);
        assert_eq!(
            int(cell(&s, ALTRINCHAM, "postcodes")) as usize,
            points.len()
        );
        assert_eq!(
            real(cell(
                &s,
                ALTRINCHAM,
                &format!("access_share_{}", category.slug())
            )),
            share,
            "{category}"
        );
        assert_eq!(
            int(cell(
                &s,
                ALTRINCHAM,
                &format!("median_distance_m_{}", category.slug())
            )),
            median.round() as i64,
            "{category}"
        );
        assert_eq!(
            int(cell(&s, ALTRINCHAM, &format!("desert_{}", category.slug()))),
            i64::from(share < 0.5)
        );
        eprintln!(
            "Altrincham {category}: {within} of {} postcodes within {walk_m} m (share {share}), median {median:.0} m",
            points.len()
        );
    }
}

/// Summaries follow writes: a new asset changes counts and access on the next request; deleting
/// it changes them back.
async fn summaries_follow_writes(app: &TestApp) {
    let url = "/collections/areas-ward/items/E05015239?category=food";
    let before = app.get(url).await.json();
    let n0 = before["properties"]["count_food"].as_i64().unwrap();
    let a0 = before["properties"]["access_share_food"].as_f64().unwrap();
    // Altrincham town centre: inside the ward.
    let feature = json!({
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [-2.3530, 53.3875]},
        "properties": {"name": "Test Pantry", "abcd_type": "association", "categories": ["food"]}
    });
    let r = app.create(&feature).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.json()["id"].as_str().unwrap().to_owned();
    let after = app.get(url).await.json();
    assert_eq!(after["properties"]["count_food"].as_i64().unwrap(), n0 + 1);
    assert!(after["properties"]["access_share_food"].as_f64().unwrap() > a0);
    let items = app
        .get(&format!(
            "/collections/assets/items?area={ALTRINCHAM}&category=food&limit=100"
        ))
        .await
        .json();
    assert_eq!(items["numberMatched"].as_i64().unwrap(), n0 + 1);
    assert!(items["features"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["id"] == id.as_str()));
    // The cached distances were updated incrementally: still equal to a brute-force scan.
    access_matches_brute_force(app).await;

    let r = app
        .send(
            "DELETE",
            &format!("/collections/assets/items/{id}"),
            None,
            Some(assetmap_tests::ADMIN_TOKEN),
            &[],
        )
        .await;
    assert_eq!(r.status, 204);
    let back = app.get(url).await.json();
    assert_eq!(back["properties"]["count_food"].as_i64().unwrap(), n0);
    assert_eq!(
        back["properties"]["access_share_food"].as_f64().unwrap(),
        a0
    );
    access_matches_brute_force(app).await;
}

/// The HTTP forms: collections with figures, CSV with a BOM, `area` filter, errors.
async fn http_forms_and_errors(app: &TestApp) {
    let wards = app.get("/collections/areas-ward/items?limit=100").await;
    assert_eq!(wards.status, 200);
    let v = wards.json();
    assert_eq!(v["numberMatched"], 21);
    let f = &v["features"][0];
    assert_eq!(f["geometry"]["type"], "Polygon");
    for key in [
        "code",
        "name",
        "population",
        "count_total",
        "per_1000_total",
        "count_food",
        "access_share_food",
        "median_distance_m_food",
        "bad_health_share",
        "no_car_share",
    ] {
        assert!(f["properties"].get(key).is_some(), "missing {key}");
    }
    assert!(v["metadata"]["method"]["access"]
        .as_str()
        .unwrap()
        .contains("great-circle"));
    let sum: i64 = v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["count_total"].as_i64().unwrap())
        .sum();
    let area_items = app
        .get(&format!(
            "/collections/assets/items?area={ALTRINCHAM}&limit=1"
        ))
        .await
        .json();
    let altrincham = v["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == ALTRINCHAM)
        .unwrap();
    assert_eq!(
        area_items["numberMatched"],
        altrincham["properties"]["count_total"]
    );
    assert!(sum > 1800);

    for level in ["lsoa", "msoa", "la"] {
        let r = app
            .get(&format!(
                "/collections/areas-{level}/items?limit=1000&category=faith&walk_m=1200"
            ))
            .await;
        assert_eq!(r.status, 200, "{level}");
        let v = r.json();
        assert!(v["features"][0]["properties"].get("count_faith").is_some());
        assert!(v["features"][0]["properties"].get("count_food").is_none());
        assert_eq!(v["metadata"]["parameters"]["walk_m"], 1200.0);
    }

    let csv = app.get("/areas/ward/summary.csv?category=food,faith").await;
    assert_eq!(csv.status, 200);
    assert!(csv.content_type.starts_with("text/csv"));
    assert!(csv.body.starts_with('\u{feff}'));
    let mut lines = csv.body.trim_start_matches('\u{feff}').lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(&header[..3], &["code", "name", "population"]);
    assert!(header.contains(&"access_share_faith") && !header.contains(&"count_learning"));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 21);
    let codes: BTreeSet<&str> = rows.iter().map(|r| r.split(',').next().unwrap()).collect();
    assert!(codes.iter().all(|c| c.starts_with("E0501524")
        || c.starts_with("E0501525")
        || c.starts_with("E0501523")));

    for (path, param) in [
        ("/collections/areas-ward/items?colour=red", "colour"),
        ("/collections/areas-ward/items?walk_m=0", "walk_m"),
        ("/collections/areas-ward/items?walk_m=far", "walk_m"),
        ("/collections/areas-lsoa/items?category=pubs", "category"),
        ("/areas/ward/summary.csv?desert_share=2", "desert_share"),
        ("/areas/msoa/summary.csv?limit=5", "limit"),
        ("/collections/assets/items?area=E05999999", "area"),
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status, 400, "{path}: {}", r.body);
        assert_eq!(r.content_type, "application/problem+json");
        assert_eq!(r.json()["invalid_params"][0]["name"], param, "{path}");
    }
    assert_eq!(app.get("/areas/county/summary.csv").await.status, 404);
    assert_eq!(app.get("/collections/areas-county/items").await.status, 404);
    assert_eq!(
        app.get("/collections/areas-ward/items/E05000001")
            .await
            .status,
        404
    );
}

/// Every ward's (count, checked within 12 months) counted here from the engine's assets: the
/// counted ones (active or temporarily closed) whose `verified_at` is on or after `cutoff`, by
/// the ward the area index puts them in (checked against PostGIS above).
fn checked_by_ward(app: &TestApp, cutoff: chrono::NaiveDate) -> BTreeMap<String, (i64, i64)> {
    let index = &app.state.place.areas;
    let mut out: BTreeMap<String, (i64, i64)> = index
        .areas(AreaLevel::Ward)
        .iter()
        .map(|a| (a.code().to_owned(), (0, 0)))
        .collect();
    for a in app
        .state
        .engine()
        .iter()
        .filter(|a| matches!(a.status, Status::Active | Status::TemporarilyClosed))
    {
        if let Some(&i) = index.containing(AreaLevel::Ward, a.location).first() {
            let e = out.get_mut(index.areas(AreaLevel::Ward)[i].code()).unwrap();
            e.0 += 1;
            e.1 += i64::from(a.verified_at.is_some_and(|d| d >= cutoff));
        }
    }
    out
}

/// `checked / total` rounded to 4 decimals, `None` for an area with no assets (README, "Columns").
fn share_of(checked: i64, total: i64) -> Option<f64> {
    (total > 0).then(|| (checked as f64 / total as f64 * 10_000.0).round() / 10_000.0)
}

/// `assets_checked_12m` and `share_checked_12m` in the collection, the CSV, GeoJSON and
/// GeoPackage downloads and their metadata, against the assets' own `verified_at` counted here
/// with the cutoff computed here (12 calendar months before today, UK date): new assets checked
/// on the cutoff (counts), the day before (does not), today, never, and a closed one (not
/// counted at all).
async fn checked_within_12_months(app: &TestApp) {
    let today = assetmap_core::uk_time::uk_local(chrono::Utc::now()).date();
    let cutoff = today.checked_sub_months(chrono::Months::new(12)).unwrap();
    let mut created = Vec::new();
    for (name, verified_at, status) in [
        ("Checked on the cutoff", Some(cutoff), "active"),
        ("Checked the day before", cutoff.pred_opt(), "active"),
        ("Checked today", Some(today), "temporarily_closed"),
        ("Never checked", None, "active"),
        ("Closed, checked today", Some(today), "closed"),
    ] {
        let feature = json!({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [-2.3530, 53.3875]},
            "properties": {
                "name": name, "abcd_type": "association", "categories": ["food"],
                "verified_at": verified_at.map(|d| d.to_string()), "status": status,
            }
        });
        let r = app.create(&feature).await;
        assert_eq!(r.status, 201, "{}", r.body);
        created.push(r.json()["id"].as_str().unwrap().to_owned());
    }
    let want = checked_by_ward(app, cutoff);
    let (all, checked) = want
        .values()
        .fold((0, 0), |(t, c), (t1, c1)| (t + t1, c + c1));
    assert!(checked >= 2 && checked < all, "{checked} of {all} checked");
    assert!(want[ALTRINCHAM].1 >= 2);
    assert_eq!(want.len(), 21);
    let described = format!("verified_at on or after {cutoff}");

    // The collection: every ward's figures, and the metadata's day, cutoff and descriptions.
    let v = app
        .get("/collections/areas-ward/items?limit=100")
        .await
        .json();
    let features = v["features"].as_array().unwrap();
    assert_eq!(features.len(), want.len());
    for f in features {
        let (total, n) = want[f["id"].as_str().unwrap()];
        let p = &f["properties"];
        assert_eq!(p["count_total"], total, "{}", f["id"]);
        assert_eq!(p["assets_checked_12m"], n, "{}", f["id"]);
        assert_eq!(
            p["share_checked_12m"],
            json!(share_of(n, total)),
            "{}",
            f["id"]
        );
    }
    let md = &v["metadata"];
    assert_eq!(md["parameters"]["figures_made_on"], today.to_string());
    assert_eq!(md["parameters"]["checked_since"], cutoff.to_string());
    assert_eq!(md["parameters"]["checked_within_months"], 12);
    assert_eq!(md["figures"]["assets_checked_12m"], checked);
    assert!(md["method"]["checks"]
        .as_str()
        .unwrap()
        .contains(&format!("on or after {cutoff}")));
    assert!(md["method"]["checks"]
        .as_str()
        .unwrap()
        .contains("source's date"));
    for name in ["assets_checked_12m", "share_checked_12m"] {
        let c = md["columns"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("{name} is not described"));
        assert!(
            c["description"].as_str().unwrap().contains(&described),
            "{c}"
        );
    }

    // The CSV download (and the summary CSV, the same writer): the same figures, empty share
    // for an area with no assets.
    for path in ["/downloads/areas-ward.csv", "/areas/ward/summary.csv"] {
        let r = app.download(path).await;
        assert_eq!(r.status, 200, "{path}");
        let text = String::from_utf8(r.body).unwrap();
        let mut csv = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let h = csv.headers().unwrap().clone();
        let col = |name: &str| h.iter().position(|c| c == name).unwrap();
        let (code, n, share) = (
            col("code"),
            col("assets_checked_12m"),
            col("share_checked_12m"),
        );
        let mut rows = 0;
        for rec in csv.records().map(Result::unwrap) {
            let (total, checked) = want[&rec[code]];
            assert_eq!(
                rec[n].parse::<i64>().unwrap(),
                checked,
                "{path} {}",
                &rec[code]
            );
            let got = (!rec[share].is_empty()).then(|| rec[share].parse::<f64>().unwrap());
            assert_eq!(got, share_of(checked, total), "{path} {}", &rec[code]);
            rows += 1;
        }
        assert_eq!(rows, want.len(), "{path}");
    }

    // The GeoJSON download: the figures, and its metadata's date and method state the cutoff.
    let r = app.download("/downloads/areas-ward.geojson").await;
    assert_eq!(r.status, 200);
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    for f in v["features"].as_array().unwrap() {
        let (total, n) = want[f["id"].as_str().unwrap()];
        assert_eq!(f["properties"]["assets_checked_12m"], n);
        assert_eq!(
            f["properties"]["share_checked_12m"],
            json!(share_of(n, total))
        );
    }
    assert_eq!(v["metadata"]["date"], today.to_string());
    assert!(v["metadata"]["method"]
        .as_str()
        .unwrap()
        .contains(&format!("on or after {cutoff}")));

    // The GeoPackage download: the layer's columns and the summary's metadata.
    let r = app.download("/downloads/areas-ward.gpkg").await;
    assert_eq!(r.status, 200);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("wards.gpkg");
    std::fs::write(&file, &r.body).unwrap();
    let db = rusqlite::Connection::open(&file).unwrap();
    let mut stmt = db
        .prepare("SELECT code, assets_checked_12m, share_checked_12m FROM areas_ward")
        .unwrap();
    let rows: Vec<(String, i64, Option<f64>)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows.len(), want.len());
    for (code, n, share) in rows {
        let (total, checked) = want[&code];
        assert_eq!(
            (n, share),
            (checked, share_of(checked, total)),
            "gpkg {code}"
        );
    }
    let json: String = db
        .query_row(
            "SELECT metadata FROM gpkg_metadata WHERE mime_type = 'application/json'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let md: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(md["parameters"]["checked_since"], cutoff.to_string());

    // The downloads index describes the columns.
    let index = app.get("/downloads").await.json();
    let wards = index["downloads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == "areas-ward")
        .unwrap();
    assert!(wards["description"]
        .as_str()
        .unwrap()
        .contains("share_checked_12m"));

    // The HTML table shows the count next to the other counts.
    let r = app
        .send(
            "GET",
            "/collections/areas-ward/items?limit=100&f=html",
            None,
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("Checked within 12 months"));
    assert!(r.body.contains(&format!("on or after {cutoff}")));

    for id in created {
        let r = app
            .send(
                "DELETE",
                &format!("/collections/assets/items/{id}"),
                None,
                Some(assetmap_tests::ADMIN_TOKEN),
                &[],
            )
            .await;
        assert_eq!(r.status, 204);
    }
}

#[tokio::test]
async fn jsna_layer_on_the_real_data() {
    let app = spawn_app(TestStore::GeoPackage).await;
    let pg = counts_equal_postgis_st_contains(&app).await;
    rates_use_the_right_population(&app).await;
    rates_equal_postgis_counts_over_csv_population(&app, &pg).await;
    access_matches_brute_force(&app).await;
    http_forms_and_errors(&app).await;
    summaries_follow_writes(&app).await;
    checked_within_12_months(&app).await;
}
