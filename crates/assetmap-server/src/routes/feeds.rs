//! Reminders without e-mail: a private Atom feed per staff account of the places it keeps
//! that need a check (every place for editors), which a steward subscribes to in any feed
//! reader. `POST /auth/feed` makes the account's feed link (replacing the old one), `DELETE`
//! takes it away; `GET /feeds/checks/{secret}` is the feed — the secret in the link is the
//! credential, kept in the store only as a hash, and a feed shows nothing but public details
//! of places and when they were last checked.

use crate::auth::{self, Principal};
use crate::errors::ApiError;
use crate::http::{base_url, no_store_json};
use crate::params::Params;
use crate::state::AppState;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use assetmap_core::Asset;
use serde_json::json;

/// The most entries a feed holds: the longest unchecked first.
pub const MAX_ENTRIES: usize = 200;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/auth/feed")
            .route(web::post().to(make_link))
            .route(web::delete().to(remove_link)),
    )
    .service(web::resource("/feeds/checks/{secret}").route(web::get().to(feed)));
}

fn account_id(who: &Principal) -> Result<String, ApiError> {
    who.account.as_ref().map(|a| a.id.clone()).ok_or_else(|| {
        ApiError::forbidden(
            "A feed belongs to a staff account; sign in with one (the bootstrap admin token has none).",
        )
    })
}

async fn make_link(
    req: HttpRequest,
    who: Principal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Params::parse(req.query_string(), &[])?;
    let account = account_id(&who)?;
    let secret = auth::new_secret()?;
    state
        .store
        .set_feed(&account, Some(&auth::hash_secret(&secret)))
        .await?;
    let url = format!("{}/feeds/checks/{secret}", base_url(&req));
    Ok(no_store_json(
        StatusCode::CREATED,
        json!({
            "url": url,
            "detail": "Add this link to a feed reader to hear of the places you keep that need a check. Keep it to yourself; making a new link stops the old one.",
        }),
    ))
}

async fn remove_link(
    req: HttpRequest,
    who: Principal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Params::parse(req.query_string(), &[])?;
    let account = account_id(&who)?;
    state.store.set_feed(&account, None).await?;
    Ok(HttpResponse::NoContent()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}

struct Entry {
    id: String,
    name: String,
    updated: String,
    href: String,
    summary: String,
}

#[derive(askama::Template)]
#[template(path = "checks.atom.xml")]
struct Feed {
    feed_id: String,
    title: String,
    account_name: String,
    site: String,
    since: String,
    updated: String,
    base: String,
    entries: Vec<Entry>,
}

fn atom_time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

async fn feed(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Params::parse(req.query_string(), &[])?;
    let gone = || {
        ApiError::not_found(
            "There is no feed at this link: it may have been replaced by a newer one. Make a new link from the editing page.",
        )
    };
    let account = state
        .store
        .account_by_feed(&auth::hash_secret(&path))
        .await?
        .filter(|a| !a.disabled)
        .ok_or_else(gone)?;
    let today = assetmap_core::uk_time::uk_local(chrono::Utc::now()).date();
    let since = assetmap_analysis::checks::cutoff(today, &state.settings.stale_after)
        .map_err(ApiError::internal)?;
    let base = base_url(&req);
    let mut due: Vec<Asset> = {
        let engine = state.engine();
        let needs = |a: &Asset| assetmap_analysis::checks::needs_check(a, since);
        if account.role.edits_every_asset() {
            engine.iter().filter(|a| needs(a)).collect()
        } else {
            account
                .stewardships
                .iter()
                .filter_map(|s| engine.get(&s.asset))
                .filter(|a| needs(a))
                .collect()
        }
    };
    due.sort_by(|a, b| a.verified_at.cmp(&b.verified_at).then(a.id.cmp(&b.id)));
    due.truncate(MAX_ENTRIES);
    let entries: Vec<Entry> = due
        .iter()
        .map(|a| {
            let checked = a
                .verified_at
                .map_or("never".to_owned(), |d| d.to_string());
            Entry {
                // A new entry each time a place falls due again after a check.
                id: format!("urn:assetmap:check:{}:{checked}", a.id),
                name: a.name.to_string(),
                updated: atom_time(a.updated_at),
                href: format!("{base}/collections/assets/items/{}?f=html", a.id),
                summary: format!(
                    "Last checked: {checked}. Are its details still right? Confirm them, or correct them, from its details on the map."
                ),
            }
        })
        .collect();
    let updated = due
        .iter()
        .map(|a| a.updated_at)
        .max()
        .unwrap_or(chrono::DateTime::<chrono::Utc>::UNIX_EPOCH);
    let page = Feed {
        feed_id: format!("urn:assetmap:checks:{}", account.id),
        title: format!("{}: places to check", state.title()),
        account_name: account.name.clone(),
        site: state.title(),
        since: since.to_string(),
        updated: atom_time(updated),
        base,
        entries,
    };
    let body = askama::Template::render(&page).map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("application/atom+xml; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "private, max-age=300"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .body(body))
}
