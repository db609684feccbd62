//! Accounts, roles and history over real HTTP, on both stores: every write route × every role
//! × every way credentials go wrong (none, an expired session, a wrong or missing CSRF token, a
//! revoked or expired token, a disabled account) — refused writes leave nothing — and the
//! history each allowed write leaves (who, how, what changed), restore and review included.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use assetmap_server::auth::hash_secret;
use assetmap_server::Seed;
use assetmap_store::{ApiToken, Session};
use assetmap_tests::{sample_feature, spawn_app_with, Reply, TestApp, TestStore, ADMIN_TOKEN};
use chrono::{Duration, Utc};
use serde_json::{json, Value};

const PASSWORD: &str = "a long enough passphrase";

/// How a request proves who sends it.
#[derive(Debug, Clone)]
enum Cred {
    /// No credentials at all.
    Nobody,
    /// A session cookie, with the CSRF header given (`Some`) or left out.
    Session {
        secret: String,
        csrf: Option<String>,
    },
    /// `Authorization: Bearer`.
    Token(String),
}

async fn send(app: &TestApp, cred: &Cred, method: &str, path: &str, body: Option<&Value>) -> Reply {
    match cred {
        Cred::Nobody => app.send(method, path, body, None, &[]).await,
        Cred::Token(t) => app.send(method, path, body, Some(t), &[]).await,
        Cred::Session { secret, csrf } => {
            let cookie = format!("assetmap_session={secret}");
            let mut headers = vec![("Cookie", cookie.as_str())];
            if let Some(c) = csrf {
                headers.push(("X-CSRF-Token", c.as_str()));
            }
            app.send(method, path, body, None, &headers).await
        }
    }
}

/// Signs in; the session's cookie secret and CSRF token.
async fn sign_in(app: &TestApp, email: &str) -> Cred {
    let r = app
        .send(
            "POST",
            "/auth/session",
            Some(&json!({"email": email, "password": PASSWORD})),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let cookie = r.header("set-cookie").expect("a session cookie").to_owned();
    for attr in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/"] {
        assert!(cookie.contains(attr), "{cookie} lacks {attr}");
    }
    let secret = cookie
        .strip_prefix("assetmap_session=")
        .and_then(|c| c.split(';').next())
        .expect("the cookie's value")
        .to_owned();
    let csrf = r.json()["csrf_token"]
        .as_str()
        .expect("a CSRF token")
        .to_owned();
    Cred::Session {
        secret,
        csrf: Some(csrf),
    }
}

async fn add_account(app: &TestApp, email: &str, role: &str) -> String {
    let r = app
        .send(
            "POST",
            "/accounts",
            Some(&json!({"email": email, "name": format!("{role} {email}"), "role": role, "password": PASSWORD})),
            Some(ADMIN_TOKEN),
            &[],
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["id"].as_str().unwrap().to_owned()
}

async fn token_for(app: &TestApp, account: &str, role: &str) -> (String, String) {
    let r = app
        .send(
            "POST",
            "/tokens",
            Some(&json!({"name": format!("{role} script"), "role": role, "account": account})),
            Some(ADMIN_TOKEN),
            &[],
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let b = r.json();
    (
        b["token"].as_str().unwrap().to_owned(),
        b["id"].as_str().unwrap().to_owned(),
    )
}

async fn new_asset(app: &TestApp, name: &str) -> String {
    let r = app.create(&sample_feature(name)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["id"].as_str().unwrap().to_owned()
}

async fn give(app: &TestApp, account: &str, asset: &str, review: bool) {
    let r = app
        .send(
            "PUT",
            &format!("/accounts/{account}/stewardships/{asset}"),
            Some(&json!({"review": review})),
            Some(ADMIN_TOKEN),
            &[],
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
}

async fn feature(app: &TestApp, id: &str) -> Value {
    let r = app.get(&format!("/collections/assets/items/{id}")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

fn renamed(mut f: Value, name: &str) -> Value {
    f["properties"]["name"] = json!(name);
    f
}

/// What a refused write must leave as it was: the change feed (hence every asset and its
/// history), the accounts, the tokens and the proposals.
async fn fingerprint(app: &TestApp) -> String {
    let s = &app.state.store;
    let accounts = s.accounts().await.unwrap();
    let tokens = s.tokens().await.unwrap();
    let proposals = s.proposals(None, false).await.unwrap();
    format!(
        "seq {} accounts {:?} tokens {:?} proposals {:?}",
        s.latest_seq().await.unwrap(),
        accounts
            .iter()
            .map(|a| (
                &a.id,
                &a.name,
                a.role,
                a.disabled,
                &a.password_hash,
                &a.stewardships
            ))
            .collect::<Vec<_>>(),
        tokens
            .iter()
            .map(|t| (&t.id, t.revoked_at))
            .collect::<Vec<_>>(),
        proposals
            .iter()
            .map(|p| (p.id, p.decision.is_some()))
            .collect::<Vec<_>>()
    )
}

/// A number not used before in this process, for unique names and addresses.
fn stamp() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
}

/// One write route with what it needs made fresh (so an allowed write never finds the target
/// gone or changed by the cell before), and the least role that may make it.
struct Route {
    method: &'static str,
    path: String,
    body: Option<Value>,
    /// Who may: "admin", "editor", "steward" (a steward only on its own asset: the `steward
    /// asset` below), or "session" (anyone signed in: signing out).
    least: &'static str,
}

struct World {
    steward: String,
    reviewed_steward: Cred,
    reviewed_asset: String,
}

/// Every write route, with fresh targets: `own` is an asset the steward keeps.
async fn routes(app: &TestApp, w: &World) -> Vec<Route> {
    let own = new_asset(app, "Steward's own group").await;
    give(app, &w.steward, &own, false).await;
    let other = new_asset(app, "Someone else's group").await;
    let own_f = feature(app, &own).await;
    let other_f = feature(app, &other).await;
    // Two proposals waiting for review (one to accept, one to reject): the reviewed steward
    // changes its asset twice.
    let mut proposals = Vec::new();
    for n in 0..2 {
        let f = feature(app, &w.reviewed_asset).await;
        let r = send(
            app,
            &w.reviewed_steward,
            "PUT",
            &format!("/collections/assets/items/{}", w.reviewed_asset),
            Some(&renamed(f, &format!("Proposed {n} {}", stamp()))),
        )
        .await;
        assert_eq!(r.status, 202, "{}", r.body);
        proposals.push(r.json()["proposal"]["id"].as_u64().unwrap());
    }
    let spare = add_account(app, &format!("spare{}@example.org", stamp()), "steward").await;
    let (_, spare_token) = token_for(app, &spare, "steward").await;
    vec![
        Route {
            method: "POST",
            path: "/collections/assets/items".into(),
            body: Some(sample_feature("A new group")),
            least: "editor",
        },
        Route {
            method: "PUT",
            path: format!("/collections/assets/items/{own}"),
            body: Some(renamed(own_f, "Renamed by its keeper")),
            least: "steward",
        },
        Route {
            method: "PUT",
            path: format!("/collections/assets/items/{other}"),
            body: Some(renamed(other_f, "Renamed")),
            least: "editor",
        },
        Route {
            method: "POST",
            path: format!("/collections/assets/items/{own}/verify"),
            body: None,
            least: "steward",
        },
        Route {
            method: "POST",
            path: format!("/collections/assets/items/{own}/history/1/restore"),
            body: None,
            least: "editor",
        },
        Route {
            method: "POST",
            path: format!("/proposals/{}/accept", proposals[0]),
            body: None,
            least: "editor",
        },
        Route {
            method: "POST",
            path: format!("/proposals/{}/reject", proposals[1]),
            body: Some(json!({"reason": "not right"})),
            least: "editor",
        },
        Route {
            method: "POST",
            path: "/accounts".into(),
            body: Some(
                json!({"email": format!("new{}@example.org", stamp()), "name": "New", "role": "editor", "password": PASSWORD}),
            ),
            least: "admin",
        },
        Route {
            method: "PATCH",
            path: format!("/accounts/{spare}"),
            body: Some(json!({"name": "Renamed account"})),
            least: "admin",
        },
        Route {
            method: "PUT",
            path: format!("/accounts/{spare}/stewardships/{other}"),
            body: Some(json!({"review": true})),
            least: "editor",
        },
        Route {
            method: "DELETE",
            path: format!("/accounts/{}/stewardships/{own}", w.steward),
            body: None,
            least: "editor",
        },
        Route {
            method: "POST",
            path: "/tokens".into(),
            body: Some(json!({"name": "another", "role": "editor"})),
            least: "admin",
        },
        Route {
            method: "DELETE",
            path: format!("/tokens/{spare_token}"),
            body: None,
            least: "admin",
        },
        Route {
            method: "POST",
            path: "/invitations".into(),
            body: Some(json!({"assets": [other], "review": true})),
            least: "editor",
        },
        Route {
            method: "DELETE",
            path: format!("/collections/assets/items/{other}"),
            body: None,
            least: "editor",
        },
        Route {
            method: "DELETE",
            path: "/auth/session".into(),
            body: None,
            least: "session",
        },
    ]
}

fn allowed(least: &str, role: &str, by_session: bool) -> bool {
    match least {
        "admin" => role == "admin",
        "editor" => role == "admin" || role == "editor",
        "steward" => true,
        "session" => by_session,
        other => panic!("unknown least role {other}"),
    }
}

async fn auth_matrix(store: TestStore) {
    let app = spawn_app_with(store, Seed::Empty).await;
    let mut accounts = Vec::new();
    for role in ["admin", "editor", "steward"] {
        let email = format!("{role}@example.org");
        let id = add_account(&app, &email, role).await;
        accounts.push((role, email, id));
    }
    let steward = accounts[2].2.clone();
    let reviewed = add_account(&app, "reviewed@example.org", "steward").await;
    let reviewed_asset = new_asset(&app, "A reviewed group").await;
    give(&app, &reviewed, &reviewed_asset, true).await;
    let world = World {
        steward,
        reviewed_steward: sign_in(&app, "reviewed@example.org").await,
        reviewed_asset,
    };

    // ---- Refused: every route, with credentials that must not work. ----
    let role_account = &accounts[1].2;
    let Cred::Session { secret: live, .. } = sign_in(&app, "editor@example.org").await else {
        unreachable!()
    };
    let expired_secret = "an-expired-session-secret-of-enough-length";
    app.state
        .store
        .create_session(&Session {
            id_hash: hash_secret(expired_secret),
            account: role_account.clone(),
            csrf_token: "expired-csrf".into(),
            created_at: Utc::now() - Duration::hours(9),
            expires_at: Utc::now() - Duration::hours(1),
        })
        .await
        .unwrap();
    let (revoked, revoked_id) = token_for(&app, role_account, "editor").await;
    let r = app
        .send(
            "DELETE",
            &format!("/tokens/{revoked_id}"),
            None,
            Some(ADMIN_TOKEN),
            &[],
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    let expired_token = "amt_an-expired-token-secret";
    app.state
        .store
        .create_token(&ApiToken {
            id: "expiredtok".into(),
            name: "expired".into(),
            role: assetmap_core::Role::Editor,
            account: None,
            secret_hash: hash_secret(expired_token),
            created_at: Utc::now() - Duration::days(100),
            expires_at: Utc::now() - Duration::days(10),
            revoked_at: None,
        })
        .await
        .unwrap();
    let disabled = add_account(&app, "disabled@example.org", "editor").await;
    let disabled_session = sign_in(&app, "disabled@example.org").await;
    let (disabled_token, _) = token_for(&app, &disabled, "editor").await;
    let r = app
        .send(
            "PATCH",
            &format!("/accounts/{disabled}"),
            Some(&json!({"disabled": true})),
            Some(ADMIN_TOKEN),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);

    let refused: Vec<(&str, Cred, u16)> = vec![
        ("no credentials", Cred::Nobody, 401),
        (
            "an expired session",
            Cred::Session {
                secret: expired_secret.into(),
                csrf: Some("expired-csrf".into()),
            },
            401,
        ),
        (
            "a session with no CSRF token",
            Cred::Session {
                secret: live.clone(),
                csrf: None,
            },
            403,
        ),
        (
            "a session with a wrong CSRF token",
            Cred::Session {
                secret: live.clone(),
                csrf: Some("not-the-token".into()),
            },
            403,
        ),
        (
            "an unknown session",
            Cred::Session {
                secret: "made-up".into(),
                csrf: Some("x".into()),
            },
            401,
        ),
        ("a revoked token", Cred::Token(revoked), 401),
        ("an expired token", Cred::Token(expired_token.into()), 401),
        ("an unknown token", Cred::Token("amt_made-up".into()), 401),
        ("a disabled account's session", disabled_session, 401),
        (
            "a disabled account's token",
            Cred::Token(disabled_token),
            401,
        ),
    ];
    let table = routes(&app, &world).await;
    for (what, cred, status) in &refused {
        for route in &table {
            let before = fingerprint(&app).await;
            let r = send(&app, cred, route.method, &route.path, route.body.as_ref()).await;
            assert_eq!(
                r.status, *status,
                "{} {} with {what}: {}",
                route.method, route.path, r.body
            );
            assert!(
                r.content_type.starts_with("application/problem+json"),
                "{what}: {}",
                r.content_type
            );
            assert!(!r.json()["detail"].as_str().unwrap_or("").is_empty());
            assert_eq!(
                fingerprint(&app).await,
                before,
                "{} {} with {what} left something",
                route.method,
                route.path
            );
        }
    }

    // ---- Each role, by session and by token: allowed, or 403 and nothing left. ----
    for (role, email, id) in &accounts {
        for by_session in [true, false] {
            let cred = if by_session {
                sign_in(&app, email).await
            } else {
                Cred::Token(token_for(&app, id, role).await.0)
            };
            let table = routes(&app, &world).await;
            for route in &table {
                let before = fingerprint(&app).await;
                let r = send(&app, &cred, route.method, &route.path, route.body.as_ref()).await;
                let how = format!(
                    "{role} by {} {} {}",
                    if by_session { "session" } else { "token" },
                    route.method,
                    route.path
                );
                if allowed(route.least, role, by_session) {
                    assert!(
                        (200..300).contains(&r.status),
                        "{how}: {} {}",
                        r.status,
                        r.body
                    );
                } else {
                    assert!(
                        r.status == 403 || (route.least == "session" && r.status == 204),
                        "{how}: {} {}",
                        r.status,
                        r.body
                    );
                    if r.status == 403 {
                        assert_eq!(
                            fingerprint(&app).await,
                            before,
                            "{how} was refused but left something"
                        );
                    }
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_write_route_for_every_role_and_every_bad_credential_geopackage() {
    auth_matrix(TestStore::GeoPackage).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_write_route_for_every_role_and_every_bad_credential_postgis() {
    auth_matrix(TestStore::Postgis).await;
}

async fn history_round_trip(store: TestStore) {
    let app = spawn_app_with(store, Seed::Empty).await;
    let editor = add_account(&app, "priya@example.org", "editor").await;
    let steward = add_account(&app, "runners@example.org", "steward").await;
    let editor_s = sign_in(&app, "priya@example.org").await;
    let id = new_asset(&app, "Sale Runners").await; // bootstrap token: the system
    give(&app, &steward, &id, true).await;

    // The editor renames it on the page; the steward proposes a description.
    let f = feature(&app, &id).await;
    let r = send(
        &app,
        &editor_s,
        "PUT",
        &format!("/collections/assets/items/{id}"),
        Some(&renamed(f, "Sale Runners Club")),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let steward_s = sign_in(&app, "runners@example.org").await;
    let mut f = feature(&app, &id).await;
    let first_description = f["properties"]["description"].clone();
    f["properties"]["description"] = json!("Thursday evening runs from the leisure centre.");
    let r = send(
        &app,
        &steward_s,
        "PUT",
        &format!("/collections/assets/items/{id}"),
        Some(&f),
    )
    .await;
    assert_eq!(r.status, 202, "{}", r.body);
    let proposal = r.json()["proposal"]["id"].as_u64().unwrap();
    assert_eq!(
        feature(&app, &id).await["properties"]["description"],
        first_description,
        "a proposal is not published"
    );

    // The steward sees its own history; the editor accepts.
    let h = send(
        &app,
        &steward_s,
        "GET",
        &format!("/collections/assets/items/{id}/history"),
        None,
    )
    .await;
    assert_eq!(h.status, 200, "{}", h.body);
    assert_eq!(h.json()["proposals"][0]["state"], "waiting");
    // Staff data: never cached, and no validator that could answer 304 without asking who.
    assert_eq!(h.header("cache-control"), Some("no-store"));
    assert_eq!(h.header("etag"), None);
    let r = send(
        &app,
        &editor_s,
        "POST",
        &format!("/proposals/{proposal}/accept"),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["properties"]["version"], 3);

    // Restore version 1: a new version 4 with version 1's name and no description.
    let r = send(
        &app,
        &editor_s,
        "POST",
        &format!("/collections/assets/items/{id}/history/1/restore"),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let now = feature(&app, &id).await;
    assert_eq!(now["properties"]["name"], "Sale Runners");
    assert_eq!(now["properties"]["version"], 4);

    // The steward confirms the details are still right: only verified_at changes, at once
    // (even though its changes are otherwise reviewed).
    let r = send(
        &app,
        &steward_s,
        "POST",
        &format!("/collections/assets/items/{id}/verify"),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let today = assetmap_core::uk_time::uk_local(Utc::now())
        .date()
        .to_string();
    assert_eq!(
        feature(&app, &id).await["properties"]["verified_at"],
        json!(today)
    );

    let h = send(
        &app,
        &editor_s,
        "GET",
        &format!("/collections/assets/items/{id}/history"),
        None,
    )
    .await
    .json();
    let entries = h["entries"].as_array().unwrap();
    let summary: Vec<(u64, &str, &str, Option<&str>)> = entries
        .iter()
        .map(|e| {
            (
                e["version"].as_u64().unwrap(),
                e["kind"].as_str().unwrap(),
                e["via"].as_str().unwrap(),
                e["by"]["account"].as_str(),
            )
        })
        .collect();
    let proposal_via = format!("review:{proposal}");
    assert_eq!(
        summary,
        vec![
            (1, "create", "api", None),
            (2, "update", "page", Some(editor.as_str())),
            (3, "update", proposal_via.as_str(), Some(editor.as_str())),
            (4, "update", "restore:1", Some(editor.as_str())),
            (5, "update", "verify", Some(steward.as_str())),
        ]
    );
    let changed = |i: usize| -> Vec<(String, Value, Value)> {
        entries[i]["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["field"].as_str().unwrap().to_owned(),
                    c["before"].clone(),
                    c["after"].clone(),
                )
            })
            .collect()
    };
    assert_eq!(
        changed(1),
        vec![(
            "name".to_owned(),
            json!("Sale Runners"),
            json!("Sale Runners Club")
        )]
    );
    assert_eq!(
        changed(2),
        vec![(
            "description".to_owned(),
            first_description.clone(),
            json!("Thursday evening runs from the leisure centre.")
        )]
    );
    let restore: Vec<String> = changed(3).into_iter().map(|c| c.0).collect();
    assert_eq!(restore, vec!["name", "description"]);
    assert_eq!(
        changed(4),
        vec![("verified_at".to_owned(), Value::Null, json!(today))]
    );
    assert_eq!(h["proposals"][0]["state"], "accepted");
    assert_eq!(entries[1]["by"]["name"], "editor priya@example.org");

    // Someone else's history is not the steward's to read.
    let other = new_asset(&app, "Another group").await;
    let r = send(
        &app,
        &steward_s,
        "GET",
        &format!("/collections/assets/items/{other}/history"),
        None,
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = send(
        &app,
        &Cred::Nobody,
        "GET",
        &format!("/collections/assets/items/{other}/history"),
        None,
    )
    .await;
    assert_eq!(r.status, 401, "{}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_records_who_how_and_what_and_restores_geopackage() {
    history_round_trip(TestStore::GeoPackage).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_records_who_how_and_what_and_restores_postgis() {
    history_round_trip(TestStore::Postgis).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invitation_makes_a_steward_once_and_sign_out_ends_the_session() {
    let app = spawn_app_with(TestStore::GeoPackage, Seed::Empty).await;
    let id = new_asset(&app, "Stretford Allotments").await;
    let r = app
        .send(
            "POST",
            "/invitations",
            Some(&json!({"assets": [id], "review": false})),
            Some(ADMIN_TOKEN),
            &[],
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let url = r.json()["url"].as_str().unwrap().to_owned();
    let path = url.strip_prefix(&app.address).unwrap().to_owned();
    let page = app.get_with(&path, Some("text/html")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Stretford Allotments"), "{}", page.body);
    let form =
        json!({"name": "Allotment society", "email": "plots@example.org", "password": PASSWORD});
    let r = app.send("POST", &path, Some(&form), None, &[]).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let account = r.json()["account"].clone();
    assert_eq!(account["role"], "steward");
    assert_eq!(
        account["stewardships"],
        json!([{"asset": id, "review": false}])
    );
    let again = app
        .send(
            "POST",
            &path,
            Some(&json!({"name": "x", "email": "other@example.org", "password": PASSWORD})),
            None,
            &[],
        )
        .await;
    assert_eq!(again.status, 410, "{}", again.body);
    assert_eq!(app.get_with(&path, Some("text/html")).await.status, 410);
    // A link no invitation has: not found (used or expired ones are gone).
    assert_eq!(
        app.get_with("/invite/not-a-link", Some("text/html"))
            .await
            .status,
        404
    );

    // The new steward edits its own listing at once (no review), then signs out.
    let s = sign_in(&app, "plots@example.org").await;
    let f = feature(&app, &id).await;
    let r = send(
        &app,
        &s,
        "PUT",
        &format!("/collections/assets/items/{id}"),
        Some(&renamed(f, "Stretford Allotment Society")),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = send(&app, &s, "DELETE", "/auth/session", None).await;
    assert_eq!(r.status, 204, "{}", r.body);
    let f = feature(&app, &id).await;
    let r = send(
        &app,
        &s,
        "PUT",
        &format!("/collections/assets/items/{id}"),
        Some(&renamed(f, "After signing out")),
    )
    .await;
    assert_eq!(r.status, 401, "{}", r.body);
    let Cred::Session { secret, .. } = &s else {
        unreachable!()
    };
    let r = app
        .send(
            "GET",
            "/auth/session",
            None,
            None,
            &[("Cookie", &format!("assetmap_session={secret}"))],
        )
        .await;
    assert_eq!(r.json(), json!({"account": null}));
    // Wrong password and unknown address: the same answer.
    for (email, pw) in [
        ("plots@example.org", "wrong password!!"),
        ("nobody@example.org", PASSWORD),
    ] {
        let r = app
            .send(
                "POST",
                "/auth/session",
                Some(&json!({"email": email, "password": pw})),
                None,
                &[],
            )
            .await;
        assert_eq!(r.status, 401);
        assert_eq!(
            r.json()["detail"],
            "The e-mail address or password is not right."
        );
    }
    // Guessing one account's password: after ten failures (one above), even the right one
    // waits, with Retry-After; other accounts are not held up.
    for _ in 0..9 {
        let r = app
            .send(
                "POST",
                "/auth/session",
                Some(&json!({"email": "plots@example.org", "password": "another guess!"})),
                None,
                &[],
            )
            .await;
        assert_eq!(r.status, 401, "{}", r.body);
    }
    let r = app
        .send(
            "POST",
            "/auth/session",
            Some(&json!({"email": "PLOTS@example.org", "password": PASSWORD})),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 429, "{}", r.body);
    assert!(r.header("retry-after").is_some());
    let r = app
        .send(
            "POST",
            "/auth/session",
            Some(&json!({"email": "nobody@example.org", "password": PASSWORD})),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, 401, "{}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_invitation_form_is_taken_only_from_its_own_page() {
    let app = spawn_app_with(TestStore::GeoPackage, Seed::Empty).await;
    let id = new_asset(&app, "Urmston Bowls Club").await;
    let r = app
        .send(
            "POST",
            "/invitations",
            Some(&json!({"assets": [id]})),
            Some(ADMIN_TOKEN),
            &[],
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let url = r.json()["url"].as_str().unwrap().to_owned();
    let path = url.strip_prefix(&app.address).unwrap().to_owned();
    // The page names our origin when its form is posted, and the secret to no other site.
    let page = app.get_with(&path, Some("text/html")).await;
    assert_eq!(page.header("referrer-policy"), Some("same-origin"));
    let form = "name=Bowls+club&email=bowls%40example.org&password=a+long+enough+passphrase";
    let post = |origin: Option<String>| {
        let (url, form) = (url.clone(), form.to_owned());
        tokio::task::spawn_blocking(move || {
            let mut req = ureq::http::Request::builder()
                .method("POST")
                .uri(&url)
                .header("Content-Type", "application/x-www-form-urlencoded");
            if let Some(o) = origin {
                req = req.header("Origin", o);
            }
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .max_redirects(0)
                .build()
                .into();
            let resp = agent.run(req.body(form).unwrap()).unwrap();
            (
                resp.status().as_u16(),
                resp.headers()
                    .get("set-cookie")
                    .map(|v| v.to_str().unwrap().to_owned()),
                resp.headers()
                    .get("location")
                    .map(|v| v.to_str().unwrap().to_owned()),
            )
        })
    };
    for forged in ["https://elsewhere.example", "null"] {
        let (status, cookie, _) = post(Some(forged.to_owned())).await.unwrap();
        assert_eq!(status, 403, "Origin {forged}");
        assert_eq!(cookie, None);
    }
    assert!(app
        .state
        .store
        .account_by_email("bowls@example.org")
        .await
        .unwrap()
        .is_none());
    let (status, cookie, location) = post(Some(app.address.clone())).await.unwrap();
    assert_eq!(status, 303);
    assert_eq!(location.as_deref(), Some("/"));
    assert!(cookie.unwrap().starts_with("assetmap_session="));
    let made = app
        .state
        .store
        .account_by_email("bowls@example.org")
        .await
        .unwrap()
        .expect("the steward account");
    assert_eq!(made.role, assetmap_core::Role::Steward);
}
