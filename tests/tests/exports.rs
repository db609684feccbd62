#![allow(clippy::unwrap_used)]
//! Downloads and `assetmap export`, through the real server and the real binary, checked with
//! real readers: GDAL's `ogrinfo` and `ogr2ogr` open the GeoPackage, the `csv` crate reads the
//! CSV, and `assetmap_io::read_feature_collection` reads the GeoJSON back.

use assetmap_tests::{
    boundaries, fresh_postgis_database, psql_file, spawn_app, Download, TestApp, TestStore,
    ADMIN_TOKEN,
};
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

/// The bundled dataset's size and the bundled boundaries' counts.
const ASSETS: usize = 1_910;
const WARDS: usize = 21;
const LSOAS: usize = 139;
const MSOAS: usize = 28;

/// Which ward, LSOA and MSOA hold each point, by PostGIS `ST_Contains` on the bundled boundary
/// files (wards at full resolution, LSOAs and MSOAs generalised, as the README says), loaded
/// into a fresh database of the throwaway cluster: `(id, level) → codes` (comma-separated,
/// empty when none), and each ward's name from the same file.
fn postgis_areas(
    points: &[(String, f64, f64)],
) -> (HashMap<(String, String), String>, HashMap<String, String>) {
    let url = fresh_postgis_database();
    let mut sql = String::from(
        "CREATE TABLE area(level text, code text, geom geometry(Geometry, 4326));\n\
         CREATE TABLE asset(id text, geom geometry(Point, 4326));\n",
    );
    let mut ward_names = HashMap::new();
    for (level, file) in [
        ("ward", "trafford_ward_full_resolution.geojson"),
        ("lsoa", "trafford_lsoa_generalised.geojson"),
        ("msoa", "trafford_msoa_generalised.geojson"),
    ] {
        for f in boundaries(file)["features"].as_array().unwrap() {
            let code = f["properties"]["area_code"].as_str().unwrap();
            if level == "ward" {
                ward_names.insert(
                    code.to_owned(),
                    f["properties"]["area_name"].as_str().unwrap().to_owned(),
                );
            }
            let g = f["geometry"].to_string().replace('\'', "''");
            writeln!(
                sql,
                "INSERT INTO area VALUES ('{level}', '{code}', ST_SetSRID(ST_GeomFromGeoJSON('{g}'), 4326));"
            )
            .unwrap();
        }
    }
    for (id, lon, lat) in points {
        // `{:?}` prints the shortest decimal that reads back as the same double.
        writeln!(
            sql,
            "INSERT INTO asset VALUES ('{}', ST_SetSRID(ST_MakePoint({lon:?}, {lat:?}), 4326));",
            id.replace('\'', "''"),
        )
        .unwrap();
    }
    sql.push_str(
        "SELECT a.id, l.level, coalesce(string_agg(ar.code, ',' ORDER BY ar.code), '')\n\
         FROM asset a CROSS JOIN (VALUES ('ward'), ('lsoa'), ('msoa')) l(level)\n\
         LEFT JOIN area ar ON ar.level = l.level AND ST_Contains(ar.geom, a.geom)\n\
         GROUP BY a.id, l.level;\n",
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("areas.sql");
    std::fs::write(&file, sql).unwrap();
    let out = psql_file(&url, &file);
    let codes: HashMap<(String, String), String> = out
        .lines()
        .map(|line| {
            let f: Vec<&str> = line.split('|').collect();
            ((f[0].to_owned(), f[1].to_owned()), f[2].to_owned())
        })
        .collect();
    assert_eq!(codes.len(), points.len() * 3, "{out}");
    (codes, ward_names)
}

async fn fetch(app: &TestApp, path: &str) -> Download {
    app.download(path).await
}

/// Runs a GDAL tool; fails (never skips) when GDAL is missing.
fn gdal(tool: &str, args: &[&str]) -> String {
    let out = match Command::new(tool).args(args).output() {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "{tool} is not installed: the export tests need GDAL's tools; install them with `apt-get install gdal-bin` (bash tests/run.sh does this when run as root)"
        ),
        Err(e) => panic!("cannot run {tool}: {e}"),
    };
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{tool} {args:?} failed: {stderr}\n{stdout}"
    );
    assert!(
        !stderr.contains("ERROR") && !stderr.contains("Warning"),
        "{tool} {args:?} complained: {stderr}"
    );
    stdout
}

/// `Feature Count: N` of one layer, by `ogrinfo -so`.
fn ogr_count(file: &Path, layer: &str) -> usize {
    let out = gdal("ogrinfo", &["-ro", "-so", file.to_str().unwrap(), layer]);
    out.lines()
        .find_map(|l| l.strip_prefix("Feature Count: "))
        .unwrap_or_else(|| panic!("no feature count for {layer}: {out}"))
        .trim()
        .parse()
        .unwrap()
}

/// Checks a full GeoPackage export: layers, counts, metadata, and that ogr2ogr converts it.
fn check_gpkg(file: &Path) {
    let all = gdal("ogrinfo", &["-ro", "-q", file.to_str().unwrap()]);
    for layer in ["assets", "areas_ward", "areas_lsoa", "areas_msoa"] {
        assert!(all.contains(layer), "layer {layer} missing: {all}");
    }
    assert_eq!(ogr_count(file, "assets"), ASSETS);
    assert_eq!(ogr_count(file, "areas_ward"), WARDS);
    assert_eq!(ogr_count(file, "areas_lsoa"), LSOAS);
    assert_eq!(ogr_count(file, "areas_msoa"), MSOAS);

    let assets = gdal("ogrinfo", &["-ro", "-so", file.to_str().unwrap(), "assets"]);
    assert!(assets.contains("Geometry: Point"), "{assets}");
    for item in [
        "LICENCE=Open Government Licence v3.0",
        "SOURCE=",
        "ATTRIBUTION=",
        "DATE=",
        "METHOD=",
    ] {
        assert!(
            assets.contains(item),
            "assets metadata lacks {item}: {assets}"
        );
    }
    for column in [
        "asset_id: String",
        "ward_code: String",
        "lsoa_code: String",
        "licence: String",
    ] {
        assert!(assets.contains(column), "assets lacks {column}: {assets}");
    }
    let wards = gdal(
        "ogrinfo",
        &["-ro", "-so", file.to_str().unwrap(), "areas_ward"],
    );
    assert!(wards.contains("Multi Polygon"), "{wards}");
    assert!(wards.contains("population: Integer"), "{wards}");
    assert!(
        wards.contains("LICENCE=Open Government Licence v3.0"),
        "{wards}"
    );
    assert!(
        wards.contains("best fit"),
        "the ward method states the best fit: {wards}"
    );

    // Per-ward counts in the file agree with the assets' own ward codes (GDAL's SQL).
    let sql = gdal(
        "ogrinfo",
        &[
            "-ro",
            "-q",
            file.to_str().unwrap(),
            "-sql",
            "SELECT w.code, w.count_total, (SELECT count(*) FROM assets a WHERE a.ward_code = w.code AND a.status <> 'closed') AS n FROM areas_ward w",
        ],
    );
    let mut compared = 0;
    let mut current: HashMap<&str, String> = HashMap::new();
    for line in sql.lines() {
        for key in ["code", "count_total", "n"] {
            if let Some(v) = line.trim().strip_prefix(&format!("{key} (")) {
                let value = v.split(" = ").nth(1).unwrap_or("").trim().to_owned();
                current.insert(key, value);
            }
        }
        if current.len() == 3 {
            assert_eq!(
                current["count_total"], current["n"],
                "ward {}",
                current["code"]
            );
            compared += 1;
            current.clear();
        }
    }
    assert_eq!(compared, WARDS, "{sql}");

    // ogr2ogr converts the asset layer to CSV with every row.
    let dir = tempfile::tempdir().unwrap();
    let csv_path = dir.path().join("assets.csv");
    gdal(
        "ogr2ogr",
        &[
            "-f",
            "CSV",
            csv_path.to_str().unwrap(),
            file.to_str().unwrap(),
            "assets",
            "-lco",
            "GEOMETRY=AS_XY",
        ],
    );
    let mut r = csv::Reader::from_path(&csv_path).unwrap();
    let headers = r.headers().unwrap().clone();
    assert!(headers.iter().any(|h| h == "X") && headers.iter().any(|h| h == "ward_code"));
    assert_eq!(r.records().count(), ASSETS);
}

/// The postcode table's ward for each postcode.
fn postcode_wards() -> HashMap<String, String> {
    let path = assetmap_tests::data_dir().join("sources/trafford/postcodes/trafford_postcodes.csv");
    let mut r = csv::Reader::from_path(path).unwrap();
    let h = r.headers().unwrap().clone();
    let pc = h.iter().position(|c| c == "postcode").unwrap();
    let wd = h.iter().position(|c| c == "ward_code").unwrap();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            (rec[pc].to_owned(), rec[wd].to_owned())
        })
        .collect()
}

/// Parses a CSV download: checks the byte-order mark, returns the header and rows by column.
fn parse_csv(body: &[u8]) -> (Vec<String>, Vec<HashMap<String, String>>) {
    assert!(
        body.starts_with(b"\xEF\xBB\xBF"),
        "a UTF-8 byte-order mark for Excel"
    );
    let mut r = csv::Reader::from_reader(&body[3..]);
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = r
        .records()
        .map(|rec| {
            let rec = rec.unwrap();
            header
                .iter()
                .cloned()
                .zip(rec.iter().map(str::to_owned))
                .collect()
        })
        .collect();
    (header, rows)
}

fn ids_of_csv(body: &[u8]) -> BTreeSet<String> {
    parse_csv(body)
        .1
        .into_iter()
        .map(|r| r["id"].clone())
        .collect()
}

async fn item_ids(app: &TestApp, query: &str) -> BTreeSet<String> {
    let r = fetch(
        app,
        &format!("/collections/assets/items?limit=10000&{query}"),
    )
    .await;
    assert_eq!(r.status, 200);
    let v = r.json();
    assert!(v["numberMatched"].as_u64().unwrap() <= 10_000);
    v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn geopackage_download_opens_in_gdal_with_every_layer_and_its_metadata() {
    let app = spawn_app(TestStore::GeoPackage).await;
    let r = fetch(&app, "/downloads/assets.gpkg").await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.header("content-type"), "application/geopackage+sqlite3");
    assert_eq!(
        r.header("content-disposition"),
        "attachment; filename=\"assets.gpkg\""
    );
    assert!(r.body.starts_with(b"SQLite format 3\0"));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("assets.gpkg");
    std::fs::write(&file, &r.body).unwrap();
    check_gpkg(&file);

    // Only the asset layer when asked.
    let r = fetch(
        &app,
        "/downloads/assets.gpkg?layers=assets&category=learning",
    )
    .await;
    assert_eq!(r.status, 200);
    let file = dir.path().join("learning.gpkg");
    std::fs::write(&file, &r.body).unwrap();
    let layers = gdal("ogrinfo", &["-ro", "-q", file.to_str().unwrap()]);
    assert!(!layers.contains("areas_ward"), "{layers}");
    assert_eq!(
        ogr_count(&file, "assets"),
        item_ids(&app, "category=learning").await.len()
    );

    // A summary on its own.
    let r = fetch(&app, "/downloads/areas-lsoa.gpkg").await;
    assert_eq!(r.status, 200);
    let file = dir.path().join("lsoa.gpkg");
    std::fs::write(&file, &r.body).unwrap();
    assert_eq!(ogr_count(&file, "areas_lsoa"), LSOAS);
}

#[tokio::test(flavor = "multi_thread")]
async fn csv_download_has_every_column_and_the_right_area_codes() {
    let app = spawn_app(TestStore::GeoPackage).await;
    let r = fetch(&app, "/downloads/assets.csv").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), "text/csv; charset=utf-8");
    assert_eq!(
        r.header("content-disposition"),
        "attachment; filename=\"assets.csv\""
    );
    let (header, rows) = parse_csv(&r.body);
    assert_eq!(rows.len(), ASSETS);
    assert_eq!(header.first().map(String::as_str), Some("id"));
    assert_eq!(&header[header.len() - 2..], ["lon", "lat"]);
    for c in [
        "name",
        "description",
        "abcd_type",
        "categories",
        "tags",
        "address",
        "postcode",
        "phone",
        "email",
        "website",
        "opening_times",
        "opening_times_json",
        "by_arrangement",
        "cost_band",
        "cost_detail",
        "access",
        "min_age",
        "max_age",
        "audience",
        "languages",
        "verified_at",
        "status",
        "created_at",
        "updated_at",
        "version",
        "la_code",
        "ward_code",
        "ward_name",
        "msoa_code",
        "lsoa_code",
        "source",
        "source_id",
        "licence",
        "attribution",
        "geocode_method",
    ] {
        assert!(
            header.iter().any(|h| h == c),
            "column {c} missing: {header:?}"
        );
    }

    // The oracle for the area codes: PostGIS ST_Contains on the boundary files, at the
    // coordinates the CSV itself states (not the area index that wrote the codes).
    let points: Vec<(String, f64, f64)> = rows
        .iter()
        .map(|r| {
            (
                r["id"].clone(),
                r["lon"].parse().unwrap(),
                r["lat"].parse().unwrap(),
            )
        })
        .collect();
    let (pg, ward_names) = postgis_areas(&points);
    let engine = app.state.engine();
    let pc_wards = postcode_wards();
    let (mut by_postcode, mut agree) = (0, 0);
    for row in &rows {
        let id = assetmap_core::AssetId::parse(&row["id"]).unwrap();
        let asset = engine.get(&id).unwrap();
        // Coordinates are exactly the engine's.
        assert_eq!(row["lon"].parse::<f64>().unwrap(), asset.location.lon());
        assert_eq!(row["lat"].parse::<f64>().unwrap(), asset.location.lat());
        // Codes are those of the one area of each level whose polygon contains the point.
        let theirs = |level: &str| pg[&(row["id"].clone(), level.to_owned())].clone();
        for (column, level) in [
            ("ward_code", "ward"),
            ("lsoa_code", "lsoa"),
            ("msoa_code", "msoa"),
        ] {
            assert_eq!(
                row[column],
                theirs(level),
                "{column} of {} at {}, {}",
                row["id"],
                row["lon"],
                row["lat"]
            );
        }
        // The LA is the union of the wards; the ward's name is the boundary file's.
        let ward = theirs("ward");
        let la = if ward.is_empty() { "" } else { "E08000009" };
        assert_eq!(row["la_code"], la, "{}", row["id"]);
        let name = ward_names.get(&ward).map_or("", String::as_str);
        assert_eq!(row["ward_name"], name, "{}", row["id"]);
        // Lists joined with "; ".
        let cats: Vec<&str> = asset.categories.iter().map(|c| c.slug()).collect();
        assert_eq!(row["categories"], cats.join("; "));
        if let Some(p) = &asset.provenance.licence {
            assert_eq!(&row["licence"], p);
        }
        // Where the point is the postcode's centroid, the ward is the postcode table's.
        if row["geocode_method"] == "postcode_centroid" {
            if let Some(w) = pc_wards.get(&row["postcode"]) {
                by_postcode += 1;
                if *w == row["ward_code"] {
                    agree += 1;
                }
            }
        }
        if !asset.opening_times.periods().is_empty() {
            assert!(row["opening_times_json"].starts_with('{'));
            assert!(!row["opening_times"].is_empty());
        }
    }
    assert!(by_postcode > 200, "{by_postcode} assets placed by postcode");
    assert_eq!(
        agree, by_postcode,
        "every asset placed at its postcode's centroid is in the postcode table's ward"
    );
    // Every asset is in Trafford, or reported as outside every area (a greenspace site whose
    // centroid falls just over the borough edge): then no ward, MSOA or LSOA either.
    let outside: Vec<&HashMap<String, String>> = rows
        .iter()
        .filter(|r| r["la_code"] != "E08000009")
        .collect();
    assert!(
        outside.len() <= 5,
        "{} assets outside Trafford",
        outside.len()
    );
    for r in outside {
        assert_eq!(
            (
                r["la_code"].as_str(),
                r["ward_code"].as_str(),
                r["lsoa_code"].as_str()
            ),
            ("", "", ""),
            "{}",
            r["id"]
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn geojson_download_round_trips_through_the_reader() {
    let app = spawn_app(TestStore::GeoPackage).await;
    let r = fetch(&app, "/downloads/assets.geojson").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), "application/geo+json");
    let v = r.json();
    assert_eq!(v["type"], "FeatureCollection");
    assert!(v["metadata"]["licence"]
        .as_str()
        .unwrap()
        .contains("Open Government Licence"));
    let back = assetmap_io::read_feature_collection(&r.body[..], chrono::Utc::now()).unwrap();
    assert_eq!(back.len(), ASSETS);
    let engine = app.state.engine();
    for mut a in back {
        let original = engine.get(&a.id).unwrap();
        // The reader creates assets anew: only the server-managed fields differ.
        a.created_at = original.created_at;
        a.updated_at = original.updated_at;
        a.version = original.version;
        assert_eq!(a, original);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn filters_give_the_same_assets_as_the_items_endpoint() {
    let app = spawn_app(TestStore::GeoPackage).await;
    for query in [
        "category=learning",
        "category=food,health_services",
        "bbox=-2.36,53.40,-2.30,53.44",
        "bbox=-2.36,53.40,-2.30,53.44&category=physical_activity_sport",
        "abcd_type=association",
    ] {
        let expected = item_ids(&app, query).await;
        assert!(!expected.is_empty(), "{query}");
        let csv = fetch(&app, &format!("/downloads/assets.csv?{query}")).await;
        assert_eq!(csv.status, 200, "{query}");
        assert_eq!(ids_of_csv(&csv.body), expected, "CSV {query}");
        let gj = fetch(&app, &format!("/downloads/assets.geojson?{query}")).await;
        let ids: BTreeSet<String> = gj.json()["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(ids, expected, "GeoJSON {query}");
    }

    // Area: every asset whose codes name the area, at each level.
    let all = parse_csv(&fetch(&app, "/downloads/assets.csv").await.body).1;
    let ward = all[0]["ward_code"].clone();
    let lsoa = all[0]["lsoa_code"].clone();
    let msoa = all[0]["msoa_code"].clone();
    for (column, code) in [
        ("ward_code", &ward),
        ("lsoa_code", &lsoa),
        ("msoa_code", &msoa),
    ] {
        let expected: BTreeSet<String> = all
            .iter()
            .filter(|r| &r[column] == code)
            .map(|r| r["id"].clone())
            .collect();
        let got = ids_of_csv(
            &fetch(&app, &format!("/downloads/assets.csv?area={code}"))
                .await
                .body,
        );
        assert!(!expected.is_empty());
        assert_eq!(got, expected, "area={code}");
        assert_eq!(
            got,
            item_ids(&app, &format!("area={code}")).await,
            "items area={code}"
        );
    }
    let la = ids_of_csv(
        &fetch(&app, "/downloads/assets.csv?area=E08000009")
            .await
            .body,
    );
    let in_la = all.iter().filter(|r| r["la_code"] == "E08000009").count();
    assert_eq!(la.len(), in_la);
    assert!(in_la >= ASSETS - 5);
    // Area and category together.
    let expected: BTreeSet<String> = item_ids(&app, "category=learning")
        .await
        .intersection(
            &all.iter()
                .filter(|r| r["ward_code"] == ward)
                .map(|r| r["id"].clone())
                .collect(),
        )
        .cloned()
        .collect();
    let got = ids_of_csv(
        &fetch(
            &app,
            &format!("/downloads/assets.csv?area={ward}&category=learning"),
        )
        .await
        .body,
    );
    assert_eq!(got, expected);
}

/// A feature with this status (inside Trafford, Sale).
fn feature_with_status(name: &str, status: &str) -> Value {
    json!({
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [-2.3183, 53.4242]},
        "properties": {
            "name": name,
            "abcd_type": "association",
            "categories": ["community_groups"],
            "status": status
        }
    })
}

/// Downloads list active and temporarily closed assets unless `status` says otherwise
/// (README: counts and downloads are of "active or temporarily closed" assets).
#[tokio::test(flavor = "multi_thread")]
async fn downloads_default_to_active_and_temporarily_closed_and_filter_by_status() {
    let app = spawn_app(TestStore::GeoPackage).await;
    let mut ids = HashMap::new();
    for status in ["closed", "temporarily_closed"] {
        let r = app
            .send(
                "POST",
                "/collections/assets/items",
                Some(&feature_with_status(
                    &format!("Status test {status}"),
                    status,
                )),
                Some(ADMIN_TOKEN),
                &[],
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let v = r.json();
        assert_eq!(v["properties"]["status"], status, "{v}");
        ids.insert(status, v["id"].as_str().unwrap().to_owned());
    }
    let (closed, temporarily) = (&ids["closed"], &ids["temporarily_closed"]);

    let all = ids_of_csv(&fetch(&app, "/downloads/assets.csv").await.body);
    assert_eq!(all.len(), ASSETS + 1, "the bundled assets are all active");
    assert!(
        all.contains(temporarily),
        "temporarily closed is listed by default"
    );
    assert!(!all.contains(closed), "closed is not listed by default");
    let gj = fetch(&app, "/downloads/assets.geojson").await.json();
    let gj_ids: BTreeSet<String> = gj["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(gj_ids, all, "GeoJSON has the same default");

    let only_closed = fetch(&app, "/downloads/assets.csv?status=closed").await;
    assert_eq!(only_closed.status, 200);
    let rows = parse_csv(&only_closed.body).1;
    assert_eq!(
        rows.iter().map(|r| r["id"].as_str()).collect::<Vec<_>>(),
        [closed.as_str()]
    );
    assert_eq!(rows[0]["status"], "closed");
    let only_temporarily = ids_of_csv(
        &fetch(&app, "/downloads/assets.csv?status=temporarily_closed")
            .await
            .body,
    );
    assert_eq!(only_temporarily, BTreeSet::from([temporarily.clone()]));
    let active = ids_of_csv(
        &fetch(&app, "/downloads/assets.csv?status=active")
            .await
            .body,
    );
    assert_eq!(active.len(), ASSETS);
    assert!(!active.contains(closed) && !active.contains(temporarily));
    let every = ids_of_csv(
        &fetch(
            &app,
            "/downloads/assets.csv?status=active,temporarily_closed,closed",
        )
        .await
        .body,
    );
    assert_eq!(every.len(), ASSETS + 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn area_summaries_download_in_every_format() {
    let app = spawn_app(TestStore::GeoPackage).await;
    let (header, rows) = parse_csv(&fetch(&app, "/downloads/areas-ward.csv").await.body);
    assert_eq!(rows.len(), WARDS);
    assert_eq!(&header[..2], ["code", "name"]);
    assert!(header.iter().any(|h| h == "per_1000_total"));
    let gj = fetch(&app, "/downloads/areas-msoa.geojson").await;
    assert_eq!(gj.status, 200);
    assert_eq!(
        gj.header("content-disposition"),
        "attachment; filename=\"areas-msoa.geojson\""
    );
    let v = gj.json();
    assert_eq!(v["features"].as_array().unwrap().len(), MSOAS);
    assert!(v["features"][0]["geometry"]["type"]
        .as_str()
        .unwrap()
        .contains("Polygon"));
    let cat = parse_csv(
        &fetch(&app, "/downloads/areas-lsoa.csv?category=learning")
            .await
            .body,
    );
    assert_eq!(cat.1.len(), LSOAS);
    assert!(cat.0.iter().any(|h| h == "count_learning"));
    assert!(!cat.0.iter().any(|h| h == "count_food"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_index_lists_the_downloads_with_their_licence() {
    let app = spawn_app(TestStore::GeoPackage).await;
    let r = fetch(&app, "/downloads").await;
    assert_eq!(r.status, 200);
    let v = r.json();
    assert!(v["licence"]
        .as_str()
        .unwrap()
        .contains("Open Government Licence v3.0"));
    assert!(v["attribution"]
        .as_str()
        .unwrap()
        .contains("© Crown copyright"));
    let hrefs: Vec<String> = v["downloads"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d["files"].as_array().unwrap().clone())
        .map(|f| f["href"].as_str().unwrap().to_owned())
        .collect();
    for f in [
        "assets.gpkg",
        "assets.csv",
        "assets.geojson",
        "areas-ward.gpkg",
        "areas-lsoa.csv",
        "areas-msoa.geojson",
    ] {
        assert!(
            hrefs
                .iter()
                .any(|h| h.ends_with(&format!("/downloads/{f}"))),
            "{f}: {hrefs:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_requests_are_problems_naming_the_parameter() {
    let app = spawn_app(TestStore::GeoPackage).await;
    for (path, param) in [
        ("/downloads/assets.csv?colour=red", "colour"),
        ("/downloads/assets.csv?bbox=1,2,3", "bbox"),
        ("/downloads/assets.geojson?category=knitting", "category"),
        ("/downloads/assets.csv?area=E99999999", "area"),
        ("/downloads/assets.csv?layers=ward", "layers"),
        ("/downloads/assets.gpkg?layers=county", "layers"),
        ("/downloads/areas-ward.csv?walk_m=-5", "walk_m"),
        ("/downloads/areas-ward.csv?bbox=1,2,3,4", "bbox"),
    ] {
        let r = fetch(&app, path).await;
        assert_eq!(r.status, 400, "{path}");
        assert_eq!(
            r.header("content-type"),
            "application/problem+json",
            "{path}"
        );
        let v = r.json();
        assert_eq!(v["invalid_params"][0]["name"], param, "{path}: {v}");
    }
    for path in [
        "/downloads/assets.xlsx",
        "/downloads/areas-county.csv",
        "/downloads/things.csv",
    ] {
        let r = fetch(&app, path).await;
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(r.header("content-type"), "application/problem+json");
    }
}

fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_assetmap-under-test")
}

fn run_cli(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(binary())
        .args(args)
        .env("ASSETMAP_DATA", assetmap_tests::data_dir())
        .env("ASSETMAP_LOG", "warn")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_cli_exports_the_configured_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store.gpkg");
    let store = store.to_str().unwrap();
    let (ok, out, err) = run_cli(&["--store", store, "import"]);
    assert!(ok, "import failed: {out}{err}");

    // GeoPackage with every default layer, from the store.
    let gpkg = dir.path().join("all.gpkg");
    let (ok, out, err) = run_cli(&["--store", store, "export", "--out", gpkg.to_str().unwrap()]);
    assert!(ok, "export failed: {out}{err}");
    assert!(out.contains("assets (1910)"), "{out}");
    assert!(
        !err.contains('\r'),
        "no progress bar when stderr is not a terminal: {err}"
    );
    check_gpkg(&gpkg);
    let (ok, _, err) = run_cli(&["--store", store, "export", "--out", gpkg.to_str().unwrap()]);
    assert!(
        !ok && err.contains("--force"),
        "refuses to overwrite: {err}"
    );

    // CSV of one ward's learning assets, streamed from the store without the engine.
    let all = dir.path().join("all.csv");
    let (ok, out, err) = run_cli(&[
        "--store",
        store,
        "export",
        "--format",
        "csv",
        "--out",
        all.to_str().unwrap(),
    ]);
    assert!(ok, "{out}{err}");
    let rows = parse_csv(&std::fs::read(&all).unwrap()).1;
    assert_eq!(rows.len(), ASSETS);
    let ward = rows[0]["ward_code"].clone();
    let some = dir.path().join("some.csv");
    let (ok, out, err) = run_cli(&[
        "--store",
        store,
        "export",
        "--format",
        "csv",
        "--out",
        some.to_str().unwrap(),
        "--area",
        &ward,
        "--category",
        "learning,food",
    ]);
    assert!(ok, "{out}{err}");
    let expected: BTreeSet<String> = rows
        .iter()
        .filter(|r| {
            r["ward_code"] == ward
                && r["categories"]
                    .split("; ")
                    .any(|c| c == "learning" || c == "food")
        })
        .map(|r| r["id"].clone())
        .collect();
    assert_eq!(ids_of_csv(&std::fs::read(&some).unwrap()), expected);

    // GeoJSON with a bbox; a ward summary as CSV.
    let gj = dir.path().join("box.geojson");
    let (ok, out, err) = run_cli(&[
        "--store",
        store,
        "export",
        "--out",
        gj.to_str().unwrap(),
        "--bbox",
        "-2.36,53.40,-2.30,53.44",
    ]);
    assert!(ok, "{out}{err}");
    let back =
        assetmap_io::read_feature_collection(std::fs::File::open(&gj).unwrap(), chrono::Utc::now())
            .unwrap();
    assert!(!back.is_empty() && back.len() < ASSETS);
    assert!(back
        .iter()
        .all(|a| (-2.36..=-2.30).contains(&a.location.lon())
            && (53.40..=53.44).contains(&a.location.lat())));
    let wards = dir.path().join("wards.csv");
    let (ok, out, err) = run_cli(&[
        "--store",
        store,
        "export",
        "--out",
        wards.to_str().unwrap(),
        "--layers",
        "ward",
    ]);
    assert!(ok, "{out}{err}");
    assert_eq!(parse_csv(&std::fs::read(&wards).unwrap()).1.len(), WARDS);

    // Errors say what to fix.
    for (args, says) in [
        (vec!["--out", "x.xlsx"], "--format"),
        (vec!["--out", "x.csv", "--area", "E99999999"], "--area"),
        (
            vec!["--out", "x.csv", "--category", "knitting"],
            "--category",
        ),
        (
            vec!["--out", "x.csv", "--layers", "assets,ward"],
            "--layers",
        ),
    ] {
        let mut full = vec!["--store", store, "export"];
        full.extend(args);
        let (ok, _, err) = run_cli(&full);
        assert!(!ok && err.contains(says), "{full:?}: {err}");
    }
}

/// `assetmap export` has the API's status default (active and temporarily closed) and filter.
#[test]
fn the_cli_export_defaults_to_active_and_temporarily_closed_and_filters_by_status() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store.gpkg");
    let store = store.to_str().unwrap();
    let mut features = Vec::new();
    for status in ["active", "temporarily_closed", "closed"] {
        let mut f = feature_with_status(&format!("Status test {status}"), status);
        f["id"] = json!(format!("status:{status}"));
        features.push(f);
    }
    let file = dir.path().join("statuses.geojson");
    std::fs::write(
        &file,
        json!({"type": "FeatureCollection", "features": features}).to_string(),
    )
    .unwrap();
    let (ok, out, err) = run_cli(&["--store", store, "import", "--file", file.to_str().unwrap()]);
    assert!(ok, "import failed: {out}{err}");

    let export = |name: &str, extra: &[&str]| -> Vec<HashMap<String, String>> {
        let path = dir.path().join(name);
        let mut args = vec![
            "--store",
            store,
            "export",
            "--format",
            "csv",
            "--out",
            path.to_str().unwrap(),
        ];
        args.extend(extra);
        let (ok, out, err) = run_cli(&args);
        assert!(ok, "{args:?}: {out}{err}");
        parse_csv(&std::fs::read(&path).unwrap()).1
    };
    let ids = |rows: &[HashMap<String, String>]| -> BTreeSet<String> {
        rows.iter().map(|r| r["id"].clone()).collect()
    };
    let by_default = export("default.csv", &[]);
    assert_eq!(
        ids(&by_default),
        BTreeSet::from([
            "status:active".to_owned(),
            "status:temporarily_closed".to_owned()
        ])
    );
    let closed = export("closed.csv", &["--status", "closed"]);
    assert_eq!(ids(&closed), BTreeSet::from(["status:closed".to_owned()]));
    assert_eq!(closed[0]["status"], "closed");
    let all = export("all.csv", &["--status", "active,temporarily_closed,closed"]);
    assert_eq!(ids(&all).len(), 3);
}
