//! Suggestions from the public and the editors' queue over real HTTP, on both stores: what
//! anyone may suggest and what is refused (with problem+json, keeping nothing), that nothing a
//! suggestion says reaches the public map before an editor accepts it, accepting (as it is
//! and edited) through the audited write, rejecting, the CSV export, the per-address budget,
//! contacts erased after the retention; and the stale report and the stewards' feed.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use assetmap_server::config::StoreLocation;
use assetmap_server::Seed;
use assetmap_store::SuggestionQuery;
use assetmap_tests::{
    sample_feature, spawn_app_with, spawn_app_with_settings, test_settings, Reply, TestApp,
    TestStore, ADMIN_TOKEN,
};
use serde_json::{json, Value};
use std::time::Duration;

const PASSWORD: &str = "a long enough passphrase";

async fn suggest(app: &TestApp, body: &Value) -> Reply {
    app.send("POST", "/suggestions", Some(body), None, &[])
        .await
}

async fn as_(app: &TestApp, token: &str, method: &str, path: &str, body: Option<&Value>) -> Reply {
    app.send(method, path, body, Some(token), &[]).await
}

async fn new_asset(app: &TestApp, name: &str) -> (String, Value) {
    let r = app.create(&sample_feature(name)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let f = r.json();
    (f["id"].as_str().unwrap().to_owned(), f)
}

/// An account with `role` and a token acting for it: (account id, token).
async fn staff(app: &TestApp, email: &str, role: &str) -> (String, String) {
    let r = as_(
        app,
        ADMIN_TOKEN,
        "POST",
        "/accounts",
        Some(&json!({"email": email, "name": format!("{role} {email}"), "role": role, "password": PASSWORD})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.json()["id"].as_str().unwrap().to_owned();
    let r = as_(
        app,
        ADMIN_TOKEN,
        "POST",
        "/tokens",
        Some(&json!({"name": format!("{role} script"), "role": role, "account": id})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    (id, r.json()["token"].as_str().unwrap().to_owned())
}

async fn give(app: &TestApp, account: &str, asset: &str, review: bool) {
    let r = as_(
        app,
        ADMIN_TOKEN,
        "PUT",
        &format!("/accounts/{account}/stewardships/{asset}"),
        Some(&json!({"review": review})),
    )
    .await;
    assert!(r.status == 200 || r.status == 204, "{}", r.body);
}

/// The names of the places on the public map, sorted.
async fn names(app: &TestApp) -> Vec<String> {
    let r = app.get("/collections/assets/items?limit=1000").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let mut names: Vec<String> = r.json()["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

fn today() -> String {
    assetmap_core::uk_time::uk_local(chrono::Utc::now())
        .date()
        .to_string()
}

async fn flow(store: TestStore) {
    let app = spawn_app_with(store, Seed::Empty).await;
    let (choir, before) = new_asset(&app, "Sale Community Choir").await;
    let (hall, _) = new_asset(&app, "Ashton Scout Hut").await;
    let (editor_id, editor) = staff(&app, "ed@example.org", "editor").await;
    let (steward_id, steward) = staff(&app, "choir@example.org", "steward").await;
    give(&app, &steward_id, &choir, false).await;

    // The public: a change (with a contact), a closure, a new place.
    let r = suggest(
        &app,
        &json!({"kind": "change", "asset": choir,
                "properties": {"description": "We now meet on Thursdays.", "name": "Sale Community Choir"},
                "note": "Moved to Thursdays in November", "contact": "jo@example.org"}),
    )
    .await;
    assert_eq!(r.status, 202, "{}", r.body);
    let change = r.json()["id"].as_u64().unwrap();
    assert!(r.json()["detail"].as_str().unwrap().contains("erase"));
    let r = suggest(
        &app,
        &json!({"kind": "closed", "asset": hall, "note": "Shut for good"}),
    )
    .await;
    assert_eq!(r.status, 202, "{}", r.body);
    let closed = r.json()["id"].as_u64().unwrap();
    let r = suggest(
        &app,
        &json!({"kind": "new", "properties": {"name": "Stretford Knit and Natter", "description": "Knitting and a cuppa"},
                "geometry": {"type": "Point", "coordinates": [-2.3101, 53.4465]}, "note": "Mondays 2pm"}),
    )
    .await;
    assert_eq!(r.status, 202, "{}", r.body);
    let new = r.json()["id"].as_u64().unwrap();

    // Nothing reaches the public map before an editor accepts it.
    let listed = app
        .get(&format!("/collections/assets/items/{choir}"))
        .await
        .json();
    assert_eq!(
        listed["properties"]["description"],
        before["properties"]["description"]
    );
    assert_eq!(listed["properties"]["version"], 1);
    let hall_now = app
        .get(&format!("/collections/assets/items/{hall}"))
        .await
        .json();
    assert_eq!(hall_now["properties"]["status"], "active");
    assert_eq!(
        names(&app).await,
        ["Ashton Scout Hut", "Sale Community Choir"]
    );

    // The queue is for staff: nobody, and a steward sees only its own place's.
    let r = app.send("GET", "/suggestions", None, None, &[]).await;
    assert_eq!(r.status, 401, "{}", r.body);
    assert_eq!(r.content_type, "application/problem+json");
    let q = as_(&app, &steward, "GET", "/suggestions", None)
        .await
        .json();
    let ids: Vec<u64> = q["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, vec![change]);
    assert_eq!(
        as_(
            &app,
            &steward,
            "GET",
            &format!("/suggestions/{closed}"),
            None
        )
        .await
        .status,
        404
    );
    let q = as_(&app, &editor, "GET", "/suggestions", None).await.json();
    assert_eq!(q["waiting"], 3);
    assert!(q["oldest_waiting_at"].is_string());
    let first = &q["suggestions"][0];
    assert_eq!(first["id"].as_u64(), Some(change));
    assert_eq!(first["contact"], "jo@example.org");
    // Only what differs is kept: the unchanged name is not a change.
    assert_eq!(
        first["suggested"]["properties"],
        json!({"description": "We now meet on Thursdays."})
    );
    assert_eq!(first["changes"][0]["field"], "description");
    assert_eq!(first["changes"][0]["after"], "We now meet on Thursdays.");

    // A steward who keeps the place accepts the change: the audited write, crediting it.
    let r = as_(
        &app,
        &steward,
        "POST",
        &format!("/suggestions/{change}/accept"),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let now = app
        .get(&format!("/collections/assets/items/{choir}"))
        .await
        .json();
    assert_eq!(
        now["properties"]["description"],
        "We now meet on Thursdays."
    );
    assert_eq!(now["properties"]["verified_at"], today());
    let h = as_(
        &app,
        &editor,
        "GET",
        &format!("/collections/assets/items/{choir}/history"),
        None,
    )
    .await
    .json();
    let last = h["entries"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["via"], format!("suggestion:{change}"));
    assert_eq!(last["by"]["account"], json!(steward_id));
    let r = as_(
        &app,
        &editor,
        "POST",
        &format!("/suggestions/{change}/accept"),
        None,
    )
    .await;
    assert_eq!(r.status, 409, "{}", r.body);

    // A new place needs what only an editor can say: plain accept names it, edit-accept works.
    let r = as_(
        &app,
        &steward,
        "POST",
        &format!("/suggestions/{new}/accept"),
        None,
    )
    .await;
    assert_eq!(
        r.status, 404,
        "a steward does not see new places: {}",
        r.body
    );
    let r = as_(
        &app,
        &editor,
        "POST",
        &format!("/suggestions/{new}/accept"),
        None,
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.body);
    let named: Vec<String> = r.json()["invalid_params"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(named, vec!["abcd_type", "categories"]);
    let edited = json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [-2.3101, 53.4465]},
        "properties": {"name": "Stretford Knit and Natter", "description": "Knitting and a cuppa, Mondays 2pm",
                       "abcd_type": "association", "categories": ["arts_heritage", "befriending"]}});
    let r = as_(
        &app,
        &editor,
        "POST",
        &format!("/suggestions/{new}/accept"),
        Some(&edited),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let made = r.json()["id"].as_str().unwrap().to_owned();
    assert!(r.header("location").unwrap().ends_with(&made));
    let s = as_(&app, &editor, "GET", &format!("/suggestions/{new}"), None)
        .await
        .json();
    assert_eq!(s["state"], "accepted");
    assert_eq!(s["asset"], json!(made));
    assert_eq!(s["decision"]["by"]["account"], json!(editor_id));
    assert_eq!(
        names(&app).await,
        [
            "Ashton Scout Hut",
            "Sale Community Choir",
            "Stretford Knit and Natter"
        ]
    );

    // Rejected with a reason; the place stays as it was.
    let r = as_(
        &app,
        &editor,
        "POST",
        &format!("/suggestions/{closed}/reject"),
        Some(&json!({"reason": ""})),
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.body);
    let r = as_(
        &app,
        &editor,
        "POST",
        &format!("/suggestions/{closed}/reject"),
        Some(&json!({"reason": "Phoned them: still open"})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["decision"]["reason"], "Phoned them: still open");
    assert_eq!(r.json()["state"], "rejected");
    let r = as_(
        &app,
        &editor,
        "POST",
        &format!("/suggestions/{closed}/reject"),
        Some(&json!({"reason": "again"})),
    )
    .await;
    assert_eq!(r.status, 409, "{}", r.body);
    let hall_now = app
        .get(&format!("/collections/assets/items/{hall}"))
        .await
        .json();
    assert_eq!(hall_now["properties"]["status"], "active");
    assert_eq!(hall_now["properties"]["version"], 1);

    // The queue is empty; everything is in the export.
    let q = as_(&app, &editor, "GET", "/suggestions", None).await.json();
    assert_eq!(q["waiting"], 0);
    assert!(q.get("oldest_waiting_at").is_none());
    let r = as_(&app, &editor, "GET", "/suggestions?state=all&f=csv", None).await;
    assert_eq!(r.status, 200);
    assert!(r.content_type.starts_with("text/csv"), "{}", r.content_type);
    let mut csv =
        csv::ReaderBuilder::new().from_reader(r.body.trim_start_matches('\u{feff}').as_bytes());
    let header: Vec<String> = csv.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(&header[..4], ["id", "kind", "state", "at"]);
    let rows: Vec<Vec<String>> = csv
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    let states: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| (r[1].as_str(), r[2].as_str()))
        .collect();
    assert_eq!(
        states,
        vec![
            ("change", "accepted"),
            ("closed", "rejected"),
            ("new", "accepted")
        ]
    );
}

#[tokio::test]
async fn suggestions_are_made_reviewed_and_decided_on_a_geopackage() {
    flow(TestStore::GeoPackage).await;
}

#[tokio::test]
async fn suggestions_are_made_reviewed_and_decided_on_postgis() {
    flow(TestStore::Postgis).await;
}

#[tokio::test]
async fn hostile_or_malformed_suggestions_are_refused_and_nothing_is_kept() {
    let app = spawn_app_with(TestStore::GeoPackage, Seed::Empty).await;
    let (id, _) = new_asset(&app, "Urmston Library").await;
    let cases: Vec<(&str, Value, u16, Option<&str>)> = vec![
        (
            "honeypot",
            json!({"kind": "change", "asset": id, "note": "x", "website": "http://spam.example"}),
            400,
            Some("website"),
        ),
        (
            "unknown kind",
            json!({"kind": "delete", "asset": id}),
            400,
            Some("kind"),
        ),
        (
            "server property",
            json!({"kind": "change", "asset": id, "properties": {"verified_at": "2026-01-01"}}),
            400,
            Some("properties.verified_at"),
        ),
        (
            "status",
            json!({"kind": "change", "asset": id, "properties": {"status": "closed"}}),
            400,
            Some("properties.status"),
        ),
        (
            "long note",
            json!({"kind": "change", "asset": id, "note": "a".repeat(2001)}),
            400,
            Some("note"),
        ),
        (
            "long contact",
            json!({"kind": "change", "asset": id, "note": "x", "contact": "c".repeat(201)}),
            400,
            Some("contact"),
        ),
        (
            "control character",
            json!({"kind": "change", "asset": id, "note": "bell\u{7}"}),
            400,
            Some("note"),
        ),
        (
            "direction override",
            json!({"kind": "change", "asset": id, "note": "txt\u{202E}gnp.exe"}),
            400,
            Some("note"),
        ),
        (
            "links",
            json!({"kind": "change", "asset": id, "note": "http://a.example https://b.example www.c.example http://d.example"}),
            400,
            Some("note"),
        ),
        (
            "bad opening times",
            json!({"kind": "change", "asset": id, "properties": {"opening_times": {"periods": [{"day": "tue", "opens": "25:00", "closes": "26:00"}]}}}),
            400,
            None,
        ),
        (
            "a name too long",
            json!({"kind": "change", "asset": id, "properties": {"name": "n".repeat(5000)}}),
            400,
            Some("name"),
        ),
        (
            "nothing different",
            json!({"kind": "change", "asset": id, "properties": {"name": "Urmston Library"}}),
            400,
            Some("properties"),
        ),
        (
            "new without a name",
            json!({"kind": "new", "geometry": {"type": "Point", "coordinates": [-2.3, 53.4]}}),
            400,
            Some("properties.name"),
        ),
        (
            "new without a pin",
            json!({"kind": "new", "properties": {"name": "Somewhere"}}),
            400,
            Some("geometry"),
        ),
        (
            "a pin off the earth",
            json!({"kind": "new", "properties": {"name": "Somewhere"}, "geometry": {"type": "Point", "coordinates": [-2.3, 95.0]}}),
            400,
            None,
        ),
        (
            "closed with properties",
            json!({"kind": "closed", "asset": id, "properties": {"name": "x"}}),
            400,
            Some("properties"),
        ),
        (
            "new naming an asset",
            json!({"kind": "new", "asset": id, "properties": {"name": "x"}, "geometry": {"type": "Point", "coordinates": [-2.3, 53.4]}}),
            400,
            Some("asset"),
        ),
        (
            "change without an asset",
            json!({"kind": "change", "note": "x"}),
            400,
            Some("asset"),
        ),
        (
            "unknown asset",
            json!({"kind": "change", "asset": "no-such-place", "note": "x"}),
            404,
            None,
        ),
        (
            "unknown field",
            json!({"kind": "change", "asset": id, "note": "x", "extra": 1}),
            400,
            None,
        ),
        (
            "a null",
            json!({"kind": "change", "asset": id, "note": null}),
            400,
            Some("note"),
        ),
        ("not an object", json!(["change"]), 400, None),
    ];
    for (what, body, status, field) in cases {
        let r = suggest(&app, &body).await;
        assert_eq!(r.status, status, "{what}: {}", r.body);
        assert_eq!(r.content_type, "application/problem+json", "{what}");
        let detail = r.json()["detail"].as_str().unwrap_or("").to_owned();
        assert!(!detail.is_empty(), "{what}: a detail");
        if let Some(f) = field {
            let names: Vec<String> = r.json()["invalid_params"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|p| p["name"].as_str().unwrap_or("").to_owned())
                        .collect()
                })
                .unwrap_or_default();
            assert!(
                names
                    .iter()
                    .any(|n| n == f || n.ends_with(&format!(".{f}"))),
                "{what}: {names:?} names {f}: {}",
                r.body
            );
        }
    }
    // Too big, not JSON, not declared JSON.
    let big = json!({"kind": "change", "asset": id, "note": "x".repeat(17 * 1024)});
    let r = suggest(&app, &big).await;
    assert_eq!(r.status, 413, "{}", r.body);
    assert_eq!(r.content_type, "application/problem+json");
    let r = app
        .send_text(
            "POST",
            "/suggestions",
            "kind=change",
            "application/x-www-form-urlencoded",
        )
        .await;
    assert_eq!(r.status, 415, "{}", r.body);
    let r = app
        .send_text("POST", "/suggestions", "{not json", "application/json")
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.content_type, "application/problem+json");

    let kept = app
        .state
        .store
        .suggestions(SuggestionQuery::default())
        .await
        .unwrap();
    assert!(kept.is_empty(), "nothing refused is kept: {kept:?}");
    // A place's page shows none of it either.
    let listed = app
        .get(&format!("/collections/assets/items/{id}"))
        .await
        .json();
    assert_eq!(listed["properties"]["version"], 1);
}

fn settings_with(
    dir: &tempfile::TempDir,
    change: impl FnOnce(&mut assetmap_server::config::Settings),
) -> assetmap_server::config::Settings {
    let mut s = test_settings(
        StoreLocation::GeoPackage(dir.path().join("assets.gpkg")),
        Seed::Empty,
    );
    change(&mut s);
    s
}

#[tokio::test]
async fn one_address_is_limited_to_its_hourly_suggestions() {
    let dir = tempfile::tempdir().unwrap();
    let settings = settings_with(&dir, |s| {
        s.suggestions_per_hour = 5;
        s.rate_limit_loopback = true;
        s.rate_limit_writes_per_minute = 0;
        s.rate_limit_reads_per_minute = 0;
    });
    let app = spawn_app_with_settings(dir, settings).await;
    let (id, _) = new_asset(&app, "Partington Allotments").await;
    let body = json!({"kind": "change", "asset": id, "note": "The gate code changed"});
    let mut statuses = Vec::new();
    for _ in 0..8 {
        let r = suggest(&app, &body).await;
        if r.status == 429 {
            assert_eq!(r.content_type, "application/problem+json");
            let wait: u64 = r.header("retry-after").unwrap().parse().unwrap();
            assert!((1..=3600).contains(&wait), "{wait}");
            assert!(r.json()["detail"].as_str().unwrap().contains("not kept"));
        }
        statuses.push(r.status);
    }
    assert_eq!(statuses, [202, 202, 202, 202, 202, 429, 429, 429]);
    let kept = app
        .state
        .store
        .suggestions(SuggestionQuery::default())
        .await
        .unwrap();
    assert_eq!(kept.len(), 5);
    // Readers are not affected.
    assert_eq!(names(&app).await, ["Partington Allotments"]);
}

#[tokio::test]
async fn a_contact_is_erased_once_the_decision_is_older_than_the_retention() {
    let dir = tempfile::tempdir().unwrap();
    // Two seconds.
    let settings = settings_with(&dir, |s| s.suggestion_contact_days = 2.0 / 86_400.0);
    let app = spawn_app_with_settings(dir, settings).await;
    let (id, _) = new_asset(&app, "Flixton Bowls Club").await;
    let r = suggest(
        &app,
        &json!({"kind": "change", "asset": id, "note": "New phone number", "contact": "07700 900123"}),
    )
    .await;
    assert_eq!(r.status, 202, "{}", r.body);
    let n = r.json()["id"].as_u64().unwrap();
    // Kept while waiting, however long.
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let s = as_(&app, ADMIN_TOKEN, "GET", &format!("/suggestions/{n}"), None)
        .await
        .json();
    assert_eq!(s["contact"], "07700 900123");
    let r = as_(
        &app,
        ADMIN_TOKEN,
        "POST",
        &format!("/suggestions/{n}/reject"),
        Some(&json!({"reason": "Number is right"})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["contact"], "07700 900123");
    assert!(r.json()["contact_erased_after"].is_string());
    // Past the retention, the store itself no longer holds it (erased by the server's timer,
    // with nobody reading the queue), and the queue does not show it.
    tokio::time::sleep(Duration::from_millis(4500)).await;
    let kept = app.state.store.suggestion(n).await.unwrap().unwrap();
    assert_eq!(kept.contact, None);
    assert_eq!(kept.note, "New phone number");
    let s = as_(&app, ADMIN_TOKEN, "GET", &format!("/suggestions/{n}"), None)
        .await
        .json();
    assert!(s.get("contact").is_none(), "{s}");
    assert!(s.get("contact_erased_after").is_none(), "{s}");
}

async fn verify(app: &TestApp, id: &str) {
    let r = as_(
        app,
        ADMIN_TOKEN,
        "POST",
        &format!("/collections/assets/items/{id}/verify"),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn the_stale_report_and_the_stewards_feed_list_places_to_check() {
    let app = spawn_app_with(TestStore::GeoPackage, Seed::Empty).await;
    let (checked, _) = new_asset(&app, "Checked Club").await;
    verify(&app, &checked).await;
    let mut old = sample_feature("Old Club");
    old["properties"]["verified_at"] = json!("2020-03-01");
    let r = app.create(&old).await;
    assert_eq!(r.status, 201);
    let old = r.json()["id"].as_str().unwrap().to_owned();
    let (never, _) = new_asset(&app, "Never Club").await;
    let (editor_id, editor) = staff(&app, "ed@example.org", "editor").await;
    let (steward_id, steward) = staff(&app, "club@example.org", "steward").await;
    give(&app, &steward_id, &old, true).await;
    let _ = editor_id;

    let r = app.send("GET", "/stale", None, None, &[]).await;
    assert_eq!(r.status, 401);
    let report = as_(&app, &editor, "GET", "/stale?f=json&older_than=6m", None)
        .await
        .json();
    assert_eq!(report["count"], 2, "{report}");
    let ids: Vec<&str> = report["assets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        vec![never.as_str(), old.as_str()],
        "never checked first"
    );
    assert_eq!(report["assets"][1]["last_checked"], "2020-03-01");
    assert_eq!(report["assets"][1]["stewards"], "club@example.org");
    assert_eq!(
        report["by_steward"],
        json!([{"key": "(none)", "count": 1}, {"key": "club@example.org", "count": 1}])
    );
    assert_eq!(
        report["by_source"],
        json!([{"key": "assetmap tests", "count": 2}])
    );
    let mine = as_(&app, &steward, "GET", "/stale?f=json", None)
        .await
        .json();
    assert_eq!(mine["count"], 1);
    assert_eq!(mine["assets"][0]["id"], json!(old));
    let r = as_(&app, &editor, "GET", "/stale?f=csv", None).await;
    assert!(r.content_type.starts_with("text/csv"));
    assert_eq!(r.body.trim_start_matches('\u{feff}').lines().count(), 3);
    let r = app
        .send(
            "GET",
            "/stale",
            None,
            Some(&editor),
            &[("Accept", "text/html")],
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(r.content_type.starts_with("text/html"));
    assert!(r.body.contains("Never Club") && !r.body.contains("Checked Club"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let r = as_(&app, &editor, "GET", "/stale?older_than=six%20months", None).await;
    assert_eq!(r.status, 400, "{}", r.body);

    // The steward's feed: its own place to check, in Atom.
    let r = as_(&app, ADMIN_TOKEN, "POST", "/auth/feed", None).await;
    assert_eq!(
        r.status, 403,
        "the bootstrap token has no account: {}",
        r.body
    );
    let r = as_(&app, &steward, "POST", "/auth/feed", None).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let url = r.json()["url"].as_str().unwrap().to_owned();
    let path = url.strip_prefix(&app.address).unwrap().to_owned();
    let feed = app.send("GET", &path, None, None, &[]).await;
    assert_eq!(feed.status, 200, "{}", feed.body);
    assert!(feed.content_type.starts_with("application/atom+xml"));
    let doc = roxmltree::Document::parse(&feed.body).unwrap();
    let titles: Vec<String> = doc
        .descendants()
        .filter(|n| n.has_tag_name("entry"))
        .map(|e| {
            e.children()
                .find(|c| c.has_tag_name("title"))
                .unwrap()
                .text()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(titles, vec!["Please check: Old Club"]);
    // Confirmed: it leaves the feed.
    verify(&app, &old).await;
    let feed = app.send("GET", &path, None, None, &[]).await;
    assert!(!feed.body.contains("<entry>"), "{}", feed.body);
    // A new link ends the old one.
    let r = as_(&app, &steward, "POST", "/auth/feed", None).await;
    assert_eq!(r.status, 201);
    assert_eq!(app.send("GET", &path, None, None, &[]).await.status, 404);
    let _ = checked;
}
