//! `/oruk/…`, the directory as Open Referral UK 3.0: every response validated against the
//! bundled UK-profile and HSDS 3.0 schemas (Python's `jsonschema`, from the test venv, through
//! `tests/clients/oruk_validate.py`), the page envelope on first, middle, last and past-the-end
//! pages of every list, each filter, CORS, 404s, and what is not published.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use assetmap_io::oruk;
use assetmap_tests::{data_dir, sample_feature, spawn_app, TestApp, TestStore};
use serde_json::{json, Value};
use std::path::Path;
use std::process::{Command, Stdio};

/// The venv's Python (with `jsonschema`, installed by `tests/run.sh` with the pinned clients).
fn python() -> std::path::PathBuf {
    let bin = assetmap_testing::required_env("ASSETMAP_TEST_CLIENTS_BIN");
    let python = Path::new(&bin).join("python");
    assert!(
        python.exists(),
        "{} is missing: run the tests through `bash tests/run.sh`",
        python.display()
    );
    python
}

/// Validates each `(name, schema file, document)`; returns the problems found.
fn validate(checks: &[(String, &str, Value)]) -> Vec<Value> {
    let input: Vec<Value> = checks
        .iter()
        .map(|(n, s, d)| json!({"name": n, "schema": s, "document": d}))
        .collect();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("clients/oruk_validate.py");
    let mut child = Command::new(python())
        .arg(script)
        .arg(data_dir().join("openreferral/schemas"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        // A validator that stops reading early says why on stderr, asserted below.
        let _ = stdin.write_all(Value::Array(input).to_string().as_bytes());
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the validator failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<Vec<Value>>(&out.stdout).unwrap()
}

/// A rich asset (every field the mapping carries), created through the API; its asset id.
async fn create_rich(app: &TestApp, name: &str, props: Value) -> String {
    let mut f = sample_feature(name);
    let p = f["properties"].as_object_mut().unwrap();
    p.insert(
        "contact".into(),
        json!({"phone": "0161 912 3456", "email": "hello@example.org", "website": "https://example.org/x"}),
    );
    p.insert("address".into(), json!("Chapel Road, Sale"));
    p.insert("verified_at".into(), json!("2025-05-01"));
    for (k, v) in props.as_object().unwrap() {
        p.insert(k.clone(), v.clone());
    }
    let r = app.create(&f).await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["id"].as_str().unwrap().to_owned()
}

fn sid(asset_id: &str) -> String {
    oruk::stable_id("service", asset_id)
}

fn ids(page: &Value) -> Vec<String> {
    page["contents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Every id in every page of `path` (per_page 500).
async fn all_ids(app: &TestApp, path: &str) -> Vec<String> {
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut out = Vec::new();
    for n in 1.. {
        let p = app.get(&format!("{path}{sep}per_page=500&page={n}")).await;
        assert_eq!(p.status, 200, "{path}: {}", p.body);
        let p = p.json();
        out.extend(ids(&p));
        if p["last_page"] == true {
            break;
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_matches_the_uk_profile_schemas() {
    let app = spawn_app(TestStore::GeoPackage).await;
    let rich = create_rich(
        &app,
        "Schema Singers",
        json!({"opening_times": {"periods": [
            {"day": "tue", "opens": "18:30", "closes": "20:30"},
            {"day": "fri", "opens": "22:00", "closes": "02:00"}], "by_arrangement": true, "note": "Not on bank holidays"}}),
    )
    .await;
    let mut checks: Vec<(String, &str, Value)> = Vec::new();
    let services = app.get("/oruk/services?per_page=30").await.json();
    let mut service_ids = ids(&services);
    service_ids.push(sid(&rich));
    for item in services["contents"].as_array().unwrap() {
        checks.push((
            "services list".into(),
            "oruk3_compiled_service.json",
            item.clone(),
        ));
        checks.push((
            "services list (hsds)".into(),
            "hsds3_service.json",
            item.clone(),
        ));
    }
    for id in &service_ids {
        let r = app.get(&format!("/oruk/services/{id}")).await;
        assert_eq!(r.status, 200, "{}", r.body);
        checks.push((
            format!("service {id}"),
            "oruk3_compiled_service.json",
            r.json(),
        ));
        checks.push((
            format!("service {id} (hsds)"),
            "hsds3_service.json",
            r.json(),
        ));
    }
    let sals = app
        .get("/oruk/service_at_locations?per_page=30")
        .await
        .json();
    for item in sals["contents"].as_array().unwrap() {
        checks.push((
            "service_at_locations list".into(),
            "oruk3_compiled_service_at_location_list.json",
            item.clone(),
        ));
        let id = item["id"].as_str().unwrap();
        let full = app.get(&format!("/oruk/service_at_locations/{id}")).await;
        assert_eq!(full.status, 200, "{}", full.body);
        checks.push((
            format!("service_at_location {id}"),
            "hsds3_service_at_location.json",
            full.json(),
        ));
    }
    let rich_sal = oruk::stable_id("service_at_location", &rich);
    let full = app
        .get(&format!("/oruk/service_at_locations/{rich_sal}"))
        .await
        .json();
    assert_eq!(
        full["location"]["accessibility"].as_array().unwrap().len(),
        2
    );
    checks.push(("rich sal".into(), "hsds3_service_at_location.json", full));
    for t in app.get("/oruk/taxonomies").await.json()["contents"]
        .as_array()
        .unwrap()
    {
        checks.push(("taxonomies list".into(), "hsds3_taxonomy.json", t.clone()));
        let id = t["id"].as_str().unwrap();
        let one = app.get(&format!("/oruk/taxonomies/{id}")).await.json();
        checks.push((format!("taxonomy {id}"), "hsds3_taxonomy.json", one));
    }
    let terms = app.get("/oruk/taxonomy_terms?per_page=500").await.json();
    assert_eq!(
        terms["total_items"],
        assetmap_core::Category::ALL.len() + assetmap_core::AbcdType::ALL.len()
    );
    for t in terms["contents"].as_array().unwrap() {
        checks.push((
            "taxonomy_terms list".into(),
            "hsds3_taxonomy_term.json",
            t.clone(),
        ));
        let id = t["id"].as_str().unwrap();
        let one = app.get(&format!("/oruk/taxonomy_terms/{id}")).await.json();
        checks.push((
            format!("taxonomy_term {id}"),
            "hsds3_taxonomy_term.json",
            one,
        ));
    }
    let orgs = app.get("/oruk/organizations?per_page=10").await.json();
    for o in orgs["contents"].as_array().unwrap() {
        checks.push((
            "organizations list".into(),
            "hsds3_organization.json",
            o.clone(),
        ));
        let id = o["id"].as_str().unwrap();
        let one = app.get(&format!("/oruk/organizations/{id}")).await.json();
        checks.push((format!("organization {id}"), "hsds3_organization.json", one));
    }
    let n = checks.len();
    let problems = validate(&checks);
    assert!(problems.is_empty(), "{n} documents checked: {problems:#?}");
    assert!(n > 150, "{n} documents");

    // The validator does catch a wrong document.
    let mut bad = app
        .get(&format!("/oruk/services/{}", sid(&rich)))
        .await
        .json();
    bad["status"] = json!("open");
    bad["id"] = json!("not-a-uuid");
    assert_eq!(
        validate(&[("bad".into(), "oruk3_compiled_service.json", bad)]).len(),
        2
    );

    // The rich asset as a consumer sees it.
    let s = app
        .get(&format!("/oruk/services/{}", sid(&rich)))
        .await
        .json();
    assert_eq!(s["url"], "https://example.org/x");
    assert_eq!(s["minimum_age"], 16);
    assert_eq!(s["assured_date"], "2025-05-01");
    let schedules = s["schedules"].as_array().unwrap();
    assert!(schedules
        .iter()
        .any(|x| x["byday"] == "FR" && x["opens_at"] == "22:00" && x["closes_at"] == "02:00"));
    assert!(schedules
        .iter()
        .any(|x| x["description"] == oruk::BY_ARRANGEMENT));
    // And back: the service reads back into the same asset content.
    let back = oruk::draft_from_service(&s).unwrap();
    assert_eq!(back.draft.name.as_deref(), Some("Schema Singers"));
    assert_eq!(back.draft.opening_times.periods.len(), 2);

    // The landing document and the OpenAPI document.
    let root = app.get("/oruk/").await;
    assert_eq!(root.status, 200);
    let root = root.json();
    assert_eq!(root["version"], "3.0");
    assert!(root["openapi_url"]
        .as_str()
        .unwrap()
        .ends_with("/oruk/openapi.json"));
    let api = app.get("/oruk/openapi.json").await.json();
    assert!(api["paths"]["/services"].is_object());
}

/// The envelope of one page, checked against the whole list.
fn check_page(path: &str, p: &Value, n: usize, per: usize, total: usize) {
    let pages = total.div_ceil(per);
    let size = if n > pages {
        0
    } else {
        per.min(total - (n - 1) * per)
    };
    assert_eq!(p["total_items"], total, "{path}");
    assert_eq!(p["total_pages"], pages, "{path}");
    assert_eq!(p["page_number"], n, "{path}");
    assert_eq!(p["size"], size, "{path}");
    assert_eq!(p["contents"].as_array().unwrap().len(), size, "{path}");
    assert_eq!(p["first_page"], n == 1, "{path}");
    assert_eq!(p["last_page"], n >= pages, "{path}");
    assert_eq!(p["empty"], size == 0, "{path}");
}

async fn pagination_on(app: &TestApp) {
    for (list, per) in [
        ("/oruk/services", 5),
        ("/oruk/service_at_locations", 5),
        ("/oruk/organizations", 5),
        ("/oruk/taxonomy_terms", 5),
        ("/oruk/taxonomies", 1),
    ] {
        let all = all_ids(app, list).await;
        let total = all.len();
        assert!(total >= 2, "{list}");
        let pages = total.div_ceil(per);
        let mut seen = Vec::new();
        for n in [
            1,
            pages.div_ceil(2).max(2).min(pages),
            pages,
            pages + 1,
            pages + 7,
        ] {
            let path = format!("{list}?per_page={per}&page={n}");
            let r = app.get(&path).await;
            assert_eq!(r.status, 200, "{path}: {}", r.body);
            let p = r.json();
            check_page(&path, &p, n, per, total);
            let got = ids(&p);
            let start = ((n - 1) * per).min(total);
            assert_eq!(got, all[start..(start + per).min(total)], "{path}");
            seen.extend(got);
        }
        assert!(!seen.is_empty());
        // The default page size.
        let p = app.get(list).await.json();
        check_page(list, &p, 1, 50, total);
    }
    for bad in [
        "per_page=0",
        "per_page=501",
        "per_page=abc",
        "page=0",
        "page=-1",
    ] {
        let r = app.get(&format!("/oruk/services?{bad}")).await;
        assert_eq!(r.status, 400, "{bad}");
        assert!(r.content_type.starts_with("application/problem+json"));
        let name = bad.rsplit('&').next().unwrap().split('=').next().unwrap();
        assert_eq!(
            r.json()["invalid_params"][0]["name"],
            name,
            "{bad}: {}",
            r.body
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pagination_is_consistent_on_every_list_geopackage() {
    pagination_on(&spawn_app(TestStore::GeoPackage).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pagination_is_consistent_on_every_list_postgis() {
    pagination_on(&spawn_app(TestStore::Postgis).await).await;
}

async fn filters_on(app: &TestApp) {
    let everything = all_ids(app, "/oruk/services").await;
    let before = chrono::Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let old = create_rich(
        app,
        "Zebra Silver Singers",
        json!({"audience": {"min_age": 70, "max_age": 95},
               "opening_times": {"periods": [{"day": "wed", "opens": "06:00", "closes": "07:00"}]}}),
    )
    .await;
    let young = create_rich(
        app,
        "Zebra Toddler Time",
        json!({"audience": {"min_age": 0, "max_age": 4}, "categories": ["children_families"],
               "opening_times": {"periods": [{"day": "thu", "opens": "22:00", "closes": "01:00"}]}}),
    )
    .await;
    let closed = create_rich(app, "Zebra Closed Club", json!({"status": "closed"})).await;
    let (old, young, closed) = (sid(&old), sid(&young), sid(&closed));

    // Only public assets.
    let all = all_ids(app, "/oruk/services").await;
    assert_eq!(all.len(), everything.len() + 2);
    assert!(!all.contains(&closed));
    assert_eq!(
        app.get(&format!("/oruk/services/{closed}")).await.status,
        404
    );

    // modified_after: exactly the assets written since.
    let since = before.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let mut changed = all_ids(
        app,
        &format!(
            "/oruk/services?modified_after={}",
            since.replace('+', "%2B")
        ),
    )
    .await;
    changed.sort();
    let mut want = vec![old.clone(), young.clone()];
    want.sort();
    assert_eq!(changed, want);
    assert_eq!(
        app.get("/oruk/services?modified_after=yesterday")
            .await
            .status,
        400
    );

    // Ages, as the profile words them.
    let got = all_ids(app, "/oruk/services?minimum_age=70").await;
    assert!(got.contains(&old) && !got.contains(&young));
    let got = all_ids(app, "/oruk/services?maximum_age=4").await;
    assert!(got.contains(&young) && !got.contains(&old));
    for id in &got {
        let s = app.get(&format!("/oruk/services/{id}")).await.json();
        assert!(s["maximum_age"].as_u64().unwrap() <= 4, "{id}");
    }
    assert_eq!(app.get("/oruk/services?minimum_age=old").await.status, 400);

    // Day and times.
    let got = all_ids(app, "/oruk/services?day=WE&start_time=05:30&end_time=07:00").await;
    assert!(got.contains(&old), "{got:?}");
    assert!(got.len() < all.len());
    for id in &got {
        let s = app.get(&format!("/oruk/services/{id}")).await.json();
        assert!(
            s["schedules"].as_array().unwrap().iter().any(|x| {
                x["byday"].as_str().unwrap_or("").contains("WE")
                    && x["opens_at"].as_str().unwrap() >= "05:30"
                    && x["closes_at"].as_str().unwrap() <= "07:00"
            }),
            "{id}: {s}"
        );
    }
    assert!(!all_ids(app, "/oruk/services?day=TH&end_time=07:00")
        .await
        .contains(&old));
    // Past midnight closes after any end_time.
    assert!(all_ids(app, "/oruk/services?day=TH&start_time=21:00")
        .await
        .contains(&young));
    assert!(
        !all_ids(app, "/oruk/services?day=TH&start_time=21:00&end_time=23:59")
            .await
            .contains(&young)
    );
    assert_eq!(app.get("/oruk/services?day=funday").await.status, 400);
    assert_eq!(app.get("/oruk/services?start_time=9am").await.status, 400);

    // Taxonomy terms and taxonomies.
    let food = oruk::Term::Category(assetmap_core::Category::ChildrenFamilies).id();
    let got = all_ids(app, &format!("/oruk/services?taxonomy_term_id={food}")).await;
    let ogc = app
        .get("/collections/assets/items?category=children_families&limit=1")
        .await
        .json();
    assert_eq!(got.len() as u64, ogc["numberMatched"].as_u64().unwrap());
    assert!(got.contains(&young) && !got.contains(&old));
    assert!(all_ids(app, "/oruk/services?taxonomy_term_id=not-ours")
        .await
        .is_empty());
    let tax = &oruk::taxonomy_ids()[0];
    assert_eq!(
        all_ids(app, &format!("/oruk/services?taxonomy_id={tax}"))
            .await
            .len(),
        all.len()
    );
    assert!(all_ids(app, "/oruk/services?taxonomy_id=not-ours")
        .await
        .is_empty());

    // Words.
    let got = all_ids(app, "/oruk/services?search=zebra").await;
    let mut want = vec![old.clone(), young.clone()];
    want.sort();
    let mut got_sorted = got.clone();
    got_sorted.sort();
    assert_eq!(got_sorted, want);

    // Postcode and proximity: within the distance, nearest first.
    let pc = app.get("/geocode?postcode=M33%207XY").await.json();
    let (lon0, lat0) = (pc["lon"].as_f64().unwrap(), pc["lat"].as_f64().unwrap());
    let p = app
        .get("/oruk/service_at_locations?postcode=M33%207XY&proximity=800&per_page=500")
        .await;
    assert_eq!(p.header("cache-control"), Some("no-store"));
    let p = p.json();
    let items = p["contents"].as_array().unwrap();
    assert!(!items.is_empty() && (items.len() as u64) < all.len() as u64);
    let d: Vec<f64> = items
        .iter()
        .map(|i| {
            let l = &i["location"];
            assetmap_core::haversine_m(
                lon0,
                lat0,
                l["longitude"].as_f64().unwrap(),
                l["latitude"].as_f64().unwrap(),
            )
        })
        .collect();
    assert!(d.iter().all(|m| *m <= 801.0), "{d:?}");
    assert!(d.windows(2).all(|w| w[0] <= w[1] + 1.0), "{d:?}");
    assert_eq!(
        app.get("/oruk/service_at_locations?proximity=800")
            .await
            .status,
        400
    );
    let r = app
        .get("/oruk/service_at_locations?postcode=ZZ1%201ZZ")
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["invalid_params"][0]["name"], "postcode");
    // postcode is not a parameter of /services.
    assert_eq!(
        app.get("/oruk/services?postcode=M33%207XY").await.status,
        400
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_geopackage() {
    filters_on(&spawn_app(TestStore::GeoPackage).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_postgis() {
    filters_on(&spawn_app(TestStore::Postgis).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_to_any_origin_and_404_for_unknown_ids() {
    let app = spawn_app(TestStore::GeoPackage).await;
    for path in ["/oruk/", "/oruk/services", "/oruk/taxonomy_terms"] {
        let r = app.get(path).await;
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.header("access-control-allow-origin"), Some("*"), "{path}");
        assert!(r.content_type.starts_with("application/json"), "{path}");
    }
    let id = app.get("/oruk/services?per_page=1").await.json()["contents"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app.get(&format!("/oruk/services/{id}")).await;
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    for list in [
        "services",
        "service_at_locations",
        "taxonomies",
        "taxonomy_terms",
        "organizations",
    ] {
        let r = app
            .get(&format!(
                "/oruk/{list}/00000000-0000-8000-8000-000000000000"
            ))
            .await;
        assert_eq!(r.status, 404, "{list}");
        assert!(
            r.content_type.starts_with("application/problem+json"),
            "{list}"
        );
    }
    let r = app
        .send("POST", "/oruk/services", Some(&json!({})), None, &[])
        .await;
    assert_eq!(r.status, 405);
}
