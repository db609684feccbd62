//! Golden responses: ~60 representative requests (landing, items, areas, summaries, search,
//! geocode, shortlist, downloads, the map layer, writes and their errors) against the bundled
//! Trafford data, each answer compared byte for byte with the copy recorded in `tests/golden/`.
//!
//! It holds refactors to "behaviour must not change": a response that differs in one byte fails
//! with the request, the recorded file and the first difference. Only what changes from run to
//! run is masked before comparing: the server's address (`http://HOST`), the id the server gives
//! a new asset (`<new-id>`), timestamps and dates of the day the test runs (`<now>`, `<today>`:
//! seeding stamps the bundled assets with the time of the first start), and public-data
//! validators (`W/"<data-state>"`, random per process). GeoPackage downloads are
//! compared as a dump of every table's rows.
//!
//! To record the answers again after an intended change of behaviour:
//! `ASSETMAP_BLESS=1 cargo test -p assetmap-tests --test golden`, then review `git diff tests/golden`.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use assetmap_tests::{sample_feature, spawn_app, Reply, TestApp, TestStore, ADMIN_TOKEN};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// One request of the golden set.
struct Case {
    /// File name under `tests/golden/` (without extension).
    name: &'static str,
    method: &'static str,
    path: &'static str,
    accept: Option<&'static str>,
    body: Option<serde_json::Value>,
    token: bool,
    if_match: Option<String>,
}

fn get(name: &'static str, path: &'static str) -> Case {
    Case {
        name,
        method: "GET",
        path,
        accept: Some("application/json"),
        body: None,
        token: false,
        if_match: None,
    }
}

fn html(name: &'static str, path: &'static str) -> Case {
    Case {
        accept: Some("text/html"),
        ..get(name, path)
    }
}

fn plain(name: &'static str, path: &'static str) -> Case {
    Case {
        accept: None,
        ..get(name, path)
    }
}

/// The read-only requests, in the order they are made.
fn reads() -> Vec<Case> {
    vec![
        get("landing", "/"),
        html("landing_html", "/"),
        get("conformance", "/conformance"),
        get("collections", "/collections"),
        get("collection_assets", "/collections/assets"),
        get("collection_areas_ward", "/collections/areas-ward"),
        get("collection_unknown", "/collections/nope"),
        get("openapi", "/api"),
        get("vocabulary", "/vocabulary"),
        get("health", "/health"),
        get("config", "/config.json"),
        plain("static_missing", "/static/nope.js"),
        get("not_found", "/nothing/here"),
        // Items.
        get("items_first", "/collections/assets/items?limit=5"),
        get(
            "items_page",
            "/collections/assets/items?limit=3&offset=100&category=learning",
        ),
        get(
            "items_bbox",
            "/collections/assets/items?bbox=-2.36,53.40,-2.30,53.44&limit=4",
        ),
        get(
            "items_area",
            "/collections/assets/items?area=E05015239&limit=3",
        ),
        get(
            "items_area_lsoa",
            "/collections/assets/items?area=E01006161&limit=2&abcd_type=institution",
        ),
        get(
            "items_status",
            "/collections/assets/items?abcd_type=culture&status=active,closed&limit=2",
        ),
        get("item_one", "/collections/assets/items/trafford_libraries:6"),
        html("item_one_html", "/collections/assets/items/trafford_libraries:6"),
        get("item_missing", "/collections/assets/items/nope:1"),
        get("items_bad_limit", "/collections/assets/items?limit=abc"),
        get("items_unknown_param", "/collections/assets/items?colour=red"),
        get("items_bad_bbox", "/collections/assets/items?bbox=1,2,3"),
        get("items_bad_area", "/collections/assets/items?area=E99999999"),
        get("items_bad_category", "/collections/assets/items?category=dancing"),
        // Areas and their figures.
        get("areas_ward", "/collections/areas-ward/items?limit=2"),
        get(
            "areas_lsoa_food",
            "/collections/areas-lsoa/items?limit=2&offset=5&category=food&walk_m=1000",
        ),
        get(
            "areas_msoa_desert",
            "/collections/areas-msoa/items?limit=2&category=green_space_nature&desert_share=0.6",
        ),
        get("areas_la", "/collections/areas-la/items?category=learning"),
        get("area_one", "/collections/areas-ward/items/E05015239"),
        get("area_missing", "/collections/areas-ward/items/E05000000"),
        get("areas_bad_walk", "/collections/areas-ward/items?walk_m=0"),
        plain("summary_ward_csv", "/areas/ward/summary.csv"),
        plain(
            "summary_lsoa_csv",
            "/areas/lsoa/summary.csv?category=food,health_services&walk_m=1000&desert_share=0.6",
        ),
        plain("summary_bad_level", "/areas/county/summary.csv"),
        plain("summary_bad_param", "/areas/ward/summary.csv?walk=5"),
        // Search.
        get(
            "search_gardening",
            "/search?postcode=m33+7aa&q=gardening&walk_minutes=15&limit=3",
        ),
        get(
            "search_library_distance",
            "/search?postcode=M33%207AA&q=library&sort=distance&limit=2",
        ),
        get(
            "search_open_at",
            "/search?postcode=M33%207AA&category=health_services&open_at=2025-06-01T11:00&limit=3",
        ),
        get(
            "search_point_free",
            "/search?lon=-2.35&lat=53.41&radius=3000&cost=free&limit=4",
        ),
        get(
            "search_access_age",
            "/search?postcode=M33+7AA&access=parking&age=72&radius=2500&limit=4",
        ),
        get(
            "search_words_offset",
            "/search?postcode=WA14+1EP&abcd_type=association&q=singing+choir+walking&open_at=2025-06-03T18:30%2B01:00&limit=4",
        ),
        get(
            "search_open_at_offset",
            "/search?postcode=WA14+1EP&abcd_type=association&q=singing+choir+walking&open_at=2025-06-03T17:30:00Z&radius=5000&limit=4",
        ),
        get("search_no_origin", "/search"),
        get("search_unknown_postcode", "/search?postcode=ZZ99+9ZZ"),
        get("search_not_postcode", "/search?postcode=hello"),
        get(
            "search_both_radius",
            "/search?postcode=M33+7AA&radius=100&walk_minutes=5",
        ),
        get("geocode", "/geocode?postcode=M33%207AA"),
        get("geocode_unknown", "/geocode?postcode=M1%201AA"),
        // Shortlist.
        html(
            "shortlist_html",
            "/shortlist?ids=trafford_libraries:6,trafford_allotments:17&postcode=M33%207AA",
        ),
        plain(
            "shortlist_text",
            "/shortlist?ids=trafford_libraries:6,trafford_allotments:17&postcode=M33%207AA&format=text",
        ),
        html("shortlist_unknown", "/shortlist?ids=nope:1"),
        // Downloads.
        get("downloads", "/downloads"),
        plain(
            "download_assets_csv",
            "/downloads/assets.csv?area=E05015239&category=food,health_services",
        ),
        plain(
            "download_assets_geojson",
            "/downloads/assets.geojson?bbox=-2.36,53.40,-2.33,53.42",
        ),
        plain("download_areas_ward_csv", "/downloads/areas-ward.csv?category=food"),
        plain(
            "download_areas_msoa_geojson",
            "/downloads/areas-msoa.geojson?category=food&walk_m=1000",
        ),
        plain(
            "download_gpkg",
            "/downloads/assets.gpkg?layers=assets,ward&category=learning",
        ),
        plain("download_areas_la_gpkg", "/downloads/areas-la.gpkg?category=food"),
        plain("download_bad_param", "/downloads/assets.csv?colour=red"),
        plain("download_unknown", "/downloads/everything.zip"),
        // The map page's layer.
        get(
            "map_points",
            "/map/points?category=learning&bbox=-2.40,53.40,-2.30,53.45",
        ),
    ]
}

/// Today's date (UTC) as the server writes it, to mask.
fn today() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}

/// Today's UK date (the day the JSNA figures are made on), to mask.
fn uk_today() -> chrono::NaiveDate {
    assetmap_core::uk_time::uk_local(chrono::Utc::now()).date()
}

/// Masks the JSNA's "checked within 12 months" cutoff of `today` (12 months before it) where the
/// figures state it — after `on or after ` or as `checked_since` — with `<12 months ago>`; the
/// same date elsewhere (a source's date) is kept.
fn mask_cutoff(text: &str, today: chrono::NaiveDate) -> String {
    let cutoff = assetmap_analysis::checks::jsna_cutoff(today).to_string();
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(&cutoff) {
        let before = &rest[..i];
        let start = (before.len().saturating_sub(24)..before.len())
            .find(|k| before.is_char_boundary(*k))
            .unwrap_or(before.len());
        let tail = &before[start..];
        out.push_str(before);
        if tail.ends_with("on or after ") || tail.contains("checked_since") {
            out.push_str("<12 months ago>");
        } else {
            out.push_str(&cutoff);
        }
        rest = &rest[i + cutoff.len()..];
    }
    out.push_str(rest);
    out
}

/// Masks what changes between runs: the address, a new asset's id, and timestamps and dates of
/// `days` (the day or days the test ran on, UTC and UK), and the JSNA's 12 months' cutoff of
/// each.
fn normalise(text: &str, address: &str, new_id: Option<&str>, days: &[String]) -> String {
    let mut out = text.replace(address, "http://HOST");
    if let Some(id) = new_id {
        out = out.replace(id, "<new-id>");
    }
    for day in days {
        if let Ok(d) = day.parse() {
            out = mask_cutoff(&out, d);
        }
        out = mask_day(&out, day);
    }
    out
}

/// Replaces `day` (`YYYY-MM-DD`) and any time of day after it (`T12:34:56.789Z`, `+00:00`) with
/// `<now>`, or `<today>` when no time follows.
fn mask_day(text: &str, day: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(day) {
        out.push_str(&rest[..i]);
        let after = &rest[i + day.len()..];
        let bytes = after.as_bytes();
        if bytes.first().is_some_and(|b| *b == b'T' || *b == b' ')
            && bytes.get(1).is_some_and(u8::is_ascii_digit)
        {
            let mut j = 1;
            while j < bytes.len()
                && (bytes[j].is_ascii_digit() || bytes[j] == b':' || bytes[j] == b'.')
            {
                j += 1;
            }
            if j < bytes.len() && bytes[j] == b'Z' {
                j += 1;
            } else if j + 6 <= bytes.len()
                && (bytes[j] == b'+' || bytes[j] == b'-')
                && after[j + 1..j + 6].chars().enumerate().all(|(k, c)| {
                    if k == 2 {
                        c == ':'
                    } else {
                        c.is_ascii_digit()
                    }
                })
            {
                j += 6;
            }
            out.push_str("<now>");
            rest = &after[j..];
        } else {
            out.push_str("<today>");
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// The headers that are part of behaviour (not `date`, not `content-length`).
const KEPT_HEADERS: &[&str] = &[
    "content-type",
    "content-disposition",
    "cache-control",
    "etag",
    "location",
    "referrer-policy",
    "retry-after",
    "allow",
    "content-crs",
];

/// A response as text: status, the kept headers, the body (GeoPackages as a table dump).
fn render(reply: &Reply, bytes: Option<&[u8]>) -> String {
    let mut out = format!("status: {}\n", reply.status);
    let mut headers: Vec<(String, String)> = reply
        .headers
        .iter()
        .filter(|(k, _)| KEPT_HEADERS.contains(&k.to_ascii_lowercase().as_str()))
        .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
        .collect();
    headers.sort();
    for (k, v) in headers {
        // A public-data validator names this process's state of the data
        // (`assetmap_server::validators`): which state is checked in tests/tests/security_http.rs.
        let v = if k == "etag" && v.starts_with("W/\"") {
            "W/\"<data-state>\"".to_owned()
        } else {
            v
        };
        let _ = writeln!(out, "{k}: {v}");
    }
    out.push('\n');
    match bytes {
        Some(b) => out.push_str(&dump_geopackage(b)),
        None => out.push_str(&reply.body),
    }
    out
}

/// Every table of a GeoPackage, rows in rowid order, values as text (blobs in hex). R-tree
/// shadow tables are left out: their pages depend on insertion order, not on content.
fn dump_geopackage(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("download.gpkg");
    std::fs::write(&path, bytes).unwrap();
    let db = rusqlite::Connection::open(&path).unwrap();
    let mut tables: Vec<String> = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    tables.retain(|t| {
        !(t.starts_with("rtree_")
            && (t.ends_with("_node") || t.ends_with("_parent") || t.ends_with("_rowid")))
            && !t.starts_with("sqlite_")
    });
    let mut out = String::new();
    for t in tables {
        let _ = writeln!(out, "== table {t}");
        let mut stmt = db.prepare(&format!("SELECT * FROM \"{t}\"")).unwrap();
        let columns: Vec<String> = stmt.column_names().iter().map(|s| s.to_string()).collect();
        let _ = writeln!(out, "{}", columns.join(" | "));
        let n = columns.len();
        let mut rows = stmt.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            let cells: Vec<String> = (0..n)
                .map(|i| match row.get_ref(i).unwrap() {
                    rusqlite::types::ValueRef::Null => "NULL".to_owned(),
                    rusqlite::types::ValueRef::Integer(v) => v.to_string(),
                    rusqlite::types::ValueRef::Real(v) => format!("{v:?}"),
                    rusqlite::types::ValueRef::Text(v) => String::from_utf8_lossy(v).into_owned(),
                    rusqlite::types::ValueRef::Blob(v) => {
                        v.iter().fold(String::from("x'"), |mut s, b| {
                            let _ = write!(s, "{b:02x}");
                            s
                        }) + "'"
                    }
                })
                .collect();
            let _ = writeln!(out, "{}", cells.join(" | "));
        }
    }
    out
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("golden")
}

/// Sends one case; returns the reply and, for a GeoPackage, its bytes.
async fn send(app: &TestApp, case: &Case) -> (Reply, Option<Vec<u8>>) {
    if case.path.contains(".gpkg") && case.method == "GET" {
        let d = app.download(case.path).await;
        let reply = Reply {
            status: d.status,
            content_type: d.header("content-type").to_owned(),
            headers: d.headers,
            body: String::new(),
        };
        if reply.status == 200 {
            return (reply, Some(d.body));
        }
        let body = String::from_utf8_lossy(&d.body).into_owned();
        return (Reply { body, ..reply }, None);
    }
    let reply = match case.method {
        "GET" => app.get_with(case.path, case.accept).await,
        method => {
            let mut extra: Vec<(&str, &str)> = Vec::new();
            if let Some(v) = &case.if_match {
                extra.push(("If-Match", v.as_str()));
            }
            if let Some(a) = case.accept {
                extra.push(("Accept", a));
            }
            app.send(
                method,
                case.path,
                case.body.as_ref(),
                case.token.then_some(ADMIN_TOKEN),
                &extra,
            )
            .await
        }
    };
    (reply, None)
}

/// Compares (or, with `ASSETMAP_BLESS=1`, records) one case; returns a failure message.
fn check(name: &str, request: &str, got: &str, bless: bool) -> Option<String> {
    let path = golden_dir().join(format!("{name}.txt"));
    let text = format!("{request}\n{got}");
    if bless {
        std::fs::create_dir_all(golden_dir()).unwrap();
        std::fs::write(&path, &text).unwrap();
        return None;
    }
    let want = match std::fs::read_to_string(&path) {
        Ok(w) => w,
        Err(e) => {
            return Some(format!(
                "{name}: no recorded answer at {} ({e}); record with ASSETMAP_BLESS=1",
                path.display()
            ))
        }
    };
    if want == text {
        return None;
    }
    let at = want
        .bytes()
        .zip(text.bytes())
        .position(|(a, b)| a != b)
        .unwrap_or(want.len().min(text.len()));
    let from = at.saturating_sub(120);
    let clip = |s: &str| {
        let start = (from..=at.min(s.len()))
            .find(|i| s.is_char_boundary(*i))
            .unwrap_or(0);
        let end = (at + 200).min(s.len());
        let end = (end..=s.len())
            .find(|i| s.is_char_boundary(*i))
            .unwrap_or(s.len());
        s[start..end].to_owned()
    };
    Some(format!(
        "{name} ({request}) differs from {} at byte {at}:\n  recorded: {:?}\n  now:      {:?}",
        path.display(),
        clip(&want),
        clip(&text)
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn responses_match_the_recorded_answers_byte_for_byte() {
    let bless = std::env::var("ASSETMAP_BLESS").is_ok_and(|v| v == "1");
    let mut days = vec![today(), uk_today().to_string()];
    let app = spawn_app(TestStore::GeoPackage).await;

    let mut cases = reads();
    let mut failures = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let mut run = |name: &str, request: String, got: String, failures: &mut Vec<String>| {
        assert!(seen.insert(name.to_owned()), "two cases named {name}");
        if let Some(f) = check(name, &request, &got, bless) {
            failures.push(f);
        }
    };

    for case in cases.drain(..) {
        let (reply, gpkg) = send(&app, &case).await;
        let got = normalise(&render(&reply, gpkg.as_deref()), &app.address, None, &days);
        run(
            case.name,
            format!("{} {}", case.method, case.path),
            got,
            &mut failures,
        );
    }

    // Writes, then reads that show them.
    let mut feature = sample_feature("Golden Singers");
    let unauthorised = Case {
        method: "POST",
        body: Some(feature.clone()),
        ..get("write_no_token", "/collections/assets/items")
    };
    let invalid = Case {
        method: "POST",
        body: Some(
            serde_json::json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [200.0, 95.0]}, "properties": {"name": "", "abcd_type": "club"}}),
        ),
        token: true,
        ..get("write_invalid", "/collections/assets/items")
    };
    for case in [unauthorised, invalid] {
        let (reply, _) = send(&app, &case).await;
        let got = normalise(&render(&reply, None), &app.address, None, &days);
        run(
            case.name,
            format!("{} {}", case.method, case.path),
            got,
            &mut failures,
        );
    }

    let created = app.create(&feature).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let location = created.header("location").unwrap().to_owned();
    let new_id = location.rsplit('/').next().unwrap().to_owned();
    let etag = created.header("etag").unwrap().to_owned();
    let got = normalise(&render(&created, None), &app.address, Some(&new_id), &days);
    run(
        "write_create",
        "POST /collections/assets/items".into(),
        got,
        &mut failures,
    );

    let item_path = format!("/collections/assets/items/{new_id}");
    feature["properties"]["name"] = "Golden Singers (Tuesdays)".into();
    let mut after: Vec<(&str, String, String)> = Vec::new();
    let stale = app
        .send(
            "PUT",
            &item_path,
            Some(&feature),
            Some(ADMIN_TOKEN),
            &[("If-Match", "\"999\"")],
        )
        .await;
    after.push((
        "write_replace_stale",
        format!("PUT {item_path} (If-Match \"999\")"),
        render(&stale, None),
    ));
    let replaced = app
        .send(
            "PUT",
            &item_path,
            Some(&feature),
            Some(ADMIN_TOKEN),
            &[("If-Match", etag.as_str())],
        )
        .await;
    after.push((
        "write_replace",
        format!("PUT {item_path}"),
        render(&replaced, None),
    ));
    after.push((
        "write_read_back",
        format!("GET {item_path}"),
        render(&app.get(&item_path).await, None),
    ));
    for (name, path) in [
        (
            "write_search_finds_it",
            "/search?postcode=M33+7XY&q=golden+singers&limit=2",
        ),
        (
            "write_summary_counts_it",
            "/areas/ward/summary.csv?category=arts_heritage,befriending",
        ),
    ] {
        let accept = if path.ends_with(".csv") || path.contains(".csv?") {
            None
        } else {
            Some("application/json")
        };
        after.push((
            name,
            format!("GET {path}"),
            render(&app.get_with(path, accept).await, None),
        ));
    }
    let deleted = app
        .send("DELETE", &item_path, None, Some(ADMIN_TOKEN), &[])
        .await;
    after.push((
        "write_delete",
        format!("DELETE {item_path}"),
        render(&deleted, None),
    ));
    after.push((
        "write_gone",
        format!("GET {item_path}"),
        render(&app.get(&item_path).await, None),
    ));
    after.push((
        "write_summary_after_delete",
        "GET /areas/ward/summary.csv?category=arts_heritage,befriending".into(),
        render(
            &app.get_with(
                "/areas/ward/summary.csv?category=arts_heritage,befriending",
                None,
            )
            .await,
            None,
        ),
    ));

    days.push(today());
    days.push(uk_today().to_string());
    days.sort();
    days.dedup();
    for (name, request, got) in after {
        let request = normalise(&request, &app.address, Some(&new_id), &days);
        let got = normalise(&got, &app.address, Some(&new_id), &days);
        run(name, request, got, &mut failures);
    }

    assert!(
        failures.is_empty(),
        "{} of the golden responses changed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    assert!(!bless, "recorded the golden answers (ASSETMAP_BLESS=1): review `git diff tests/golden` and run again without it");
}

#[test]
fn masking_keeps_everything_but_the_days_timestamps() {
    let day = "2026-12-04";
    let text = "created 2026-12-04T10:11:12.123456Z, at 2026-12-04T10:11:12+00:00, on 2026-12-04; kept 2025-06-01T11:00";
    assert_eq!(
        mask_day(text, day),
        "created <now>, at <now>, on <today>; kept 2025-06-01T11:00"
    );
    let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
    let text = r#"verified_at on or after 2025-12-04, "checked_since":"2025-12-04", \"checked_since\": \"2025-12-04\"; source 2025-12-04"#;
    assert_eq!(
        mask_cutoff(text, today),
        r#"verified_at on or after <12 months ago>, "checked_since":"<12 months ago>", \"checked_since\": \"<12 months ago>\"; source 2025-12-04"#
    );
}
