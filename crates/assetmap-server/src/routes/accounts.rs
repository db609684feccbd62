//! Staff accounts and who keeps what: `/accounts` and API `/tokens` (admins), stewardships
//! and `/invitations` (editors), and the invitation page `/invite/{secret}` where a group takes
//! up its invitation and gets a steward account for its own listings.

use crate::auth::{self, AccountForm, Principal};
use crate::errors::ApiError;
use crate::html::not_found_page;
use crate::http::{base_url, json_body, no_store_json, origin_of};
use crate::params::Params;
use crate::staff::account_json;
use crate::state::AppState;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use assetmap_core::{AssetId, Role};
use assetmap_store::{AccountChange, ApiToken, Invitation, Stewardship};
use chrono::Utc;
use serde::Deserialize;
use serde_json::json;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/accounts")
            .route(web::get().to(list_accounts))
            .route(web::post().to(add_account)),
    )
    .service(web::resource("/accounts/{id}").route(web::patch().to(change_account)))
    .service(
        web::resource("/accounts/{id}/stewardships/{asset}")
            .route(web::put().to(give_asset))
            .route(web::delete().to(take_asset)),
    )
    .service(
        web::resource("/tokens")
            .route(web::get().to(list_tokens))
            .route(web::post().to(create_token)),
    )
    .service(web::resource("/tokens/{id}").route(web::delete().to(revoke_token)))
    .service(web::resource("/invitations").route(web::post().to(invite)))
    .service(
        web::resource("/invite/{secret}")
            .route(web::get().to(invitation_page))
            .route(web::post().to(take_up_invitation)),
    );
}

/// How long an invitation lasts when no `days` is given.
pub const DEFAULT_INVITATION_DAYS: u32 = 14;

fn days(n: Option<u32>, default: u32) -> Result<chrono::Duration, ApiError> {
    auth::lasting_days(n.unwrap_or(default))
        .map_err(|e| ApiError::invalid_fields("request", vec![("days".into(), e)]))
}

async fn list_accounts(
    req: HttpRequest,
    who: Principal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Params::parse(req.query_string(), &[])?;
    who.require(Role::Admin)?;
    let accounts: Vec<_> = state
        .store
        .accounts()
        .await?
        .iter()
        .map(account_json)
        .collect();
    Ok(no_store_json(
        StatusCode::OK,
        json!({ "accounts": accounts }),
    ))
}

async fn add_account(
    who: Principal,
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Params::parse(req.query_string(), &[])?;
    who.require(Role::Admin)?;
    let form: AccountForm = json_body(
        &req,
        &body,
        r#"{"email": "…", "name": "…", "role": "admin|editor|steward", "password": "…"}"#,
    )?;
    let account = auth::new_account(form, Vec::new()).await?;
    state.store.add_account(&account).await?;
    tracing::info!(account = %account.id, role = %account.role, by = ?who.change_by(None).account, "account added");
    Ok(no_store_json(StatusCode::CREATED, account_json(&account)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountPatch {
    disabled: Option<bool>,
    role: Option<String>,
    name: Option<String>,
    password: Option<String>,
}

async fn change_account(
    who: Principal,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Params::parse(req.query_string(), &[])?;
    who.require(Role::Admin)?;
    let patch: AccountPatch = json_body(
        &req,
        &body,
        r#"{"disabled"?: true, "role"?: "editor", "name"?: "…", "password"?: "…"}"#,
    )?;
    let id = path.into_inner();
    let mut changes = Vec::new();
    let mut problems = Vec::new();
    if let Some(d) = patch.disabled {
        changes.push(AccountChange::Disabled(d));
    }
    if let Some(r) = &patch.role {
        match Role::parse(r) {
            Ok(r) => changes.push(AccountChange::Role(r)),
            Err(e) => problems.push(("role".to_owned(), e)),
        }
    }
    if let Some(n) = &patch.name {
        match auth::check_name(n) {
            Ok(n) => changes.push(AccountChange::Name(n)),
            Err(e) => problems.push(("name".to_owned(), e)),
        }
    }
    if let Some(p) = patch.password {
        match auth::check_password(&p) {
            Ok(()) => changes.push(AccountChange::PasswordHash(
                auth::hash_password_off_thread(p).await?,
            )),
            Err(e) => problems.push(("password".to_owned(), e)),
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::invalid_fields("account", problems));
    }
    for change in &changes {
        state.store.update_account(&id, change).await?;
    }
    let account = state
        .store
        .account(&id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("There is no account with id '{id}'.")))?;
    Ok(no_store_json(StatusCode::OK, account_json(&account)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StewardshipBody {
    review: bool,
}

async fn give_asset(
    who: Principal,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Params::parse(req.query_string(), &[])?;
    who.require(Role::Editor)?;
    let b: StewardshipBody = json_body(&req, &body, r#"{"review": true}"#)?;
    let (account, asset) = path.into_inner();
    let asset = stored_asset_id(&state, &asset)?;
    state
        .store
        .set_stewardship(&account, &asset, Some(b.review))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn take_asset(
    req: HttpRequest,
    who: Principal,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Params::parse(req.query_string(), &[])?;
    who.require(Role::Editor)?;
    let (account, asset) = path.into_inner();
    let asset = AssetId::parse(&asset)
        .map_err(|e| ApiError::not_found(format!("There is no asset {asset:?}: {}", e.problem)))?;
    state.store.set_stewardship(&account, &asset, None).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The id of an asset the engine holds (`404` otherwise).
fn stored_asset_id(state: &AppState, raw: &str) -> Result<AssetId, ApiError> {
    let id = AssetId::parse(raw)
        .map_err(|e| ApiError::not_found(format!("There is no asset {raw:?}: {}", e.problem)))?;
    if !state.engine().contains(&id) {
        return Err(ApiError::not_found(format!(
            "There is no asset with id '{id}'."
        )));
    }
    Ok(id)
}

fn token_json(t: &ApiToken) -> serde_json::Value {
    let at = |d: &chrono::DateTime<Utc>| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    json!({
        "id": t.id,
        "name": t.name,
        "role": t.role.as_str(),
        "account": t.account,
        "created_at": at(&t.created_at),
        "expires_at": at(&t.expires_at),
        "revoked_at": t.revoked_at.as_ref().map(at),
    })
}

async fn list_tokens(
    req: HttpRequest,
    who: Principal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Params::parse(req.query_string(), &[])?;
    who.require(Role::Admin)?;
    let tokens: Vec<_> = state.store.tokens().await?.iter().map(token_json).collect();
    Ok(no_store_json(StatusCode::OK, json!({ "tokens": tokens })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenForm {
    name: String,
    role: String,
    days: Option<u32>,
    account: Option<String>,
}

async fn create_token(
    who: Principal,
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Params::parse(req.query_string(), &[])?;
    who.require(Role::Admin)?;
    let form: TokenForm = json_body(
        &req,
        &body,
        r#"{"name": "nightly import", "role": "editor", "days"?: 90, "account"?: "<account id>"}"#,
    )?;
    let mut problems = Vec::new();
    let name = auth::check_name(&form.name)
        .map_err(|e| problems.push(("name".to_owned(), e)))
        .ok();
    let role = Role::parse(&form.role)
        .map_err(|e| problems.push(("role".to_owned(), e)))
        .ok();
    if let Some(a) = &form.account {
        if state.store.account(a).await?.is_none() {
            return Err(ApiError::not_found(format!(
                "There is no account with id {a:?} for the token to act for; see GET /accounts."
            )));
        }
    }
    let length = days(form.days, auth::DEFAULT_TOKEN_DAYS)?;
    let (Some(name), Some(role), true) = (name, role, problems.is_empty()) else {
        return Err(ApiError::invalid_fields("token", problems));
    };
    let (secret, token) = auth::issue_token(name, role, form.account, length)?;
    state.store.create_token(&token).await?;
    let mut body = token_json(&token);
    body["token"] = json!(secret);
    Ok(no_store_json(StatusCode::CREATED, body))
}

async fn revoke_token(
    req: HttpRequest,
    who: Principal,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Params::parse(req.query_string(), &[])?;
    who.require(Role::Admin)?;
    state.store.revoke_token(&path, Utc::now()).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InvitationForm {
    assets: Vec<String>,
    #[serde(default)]
    review: bool,
    days: Option<u32>,
}

async fn invite(
    who: Principal,
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Params::parse(req.query_string(), &[])?;
    who.require(Role::Editor)?;
    let form: InvitationForm = json_body(
        &req,
        &body,
        r#"{"assets": ["<asset id>", …], "review": true, "days"?: 14}"#,
    )?;
    if form.assets.is_empty() {
        return Err(ApiError::invalid_fields(
            "invitation",
            vec![(
                "assets".into(),
                "name at least one asset for the group to keep".into(),
            )],
        ));
    }
    let assets = form
        .assets
        .iter()
        .map(|a| stored_asset_id(&state, a))
        .collect::<Result<Vec<_>, _>>()?;
    let length = days(form.days, DEFAULT_INVITATION_DAYS)?;
    let secret = auth::new_secret()?;
    let now = Utc::now();
    let invitation = Invitation {
        id_hash: auth::hash_secret(&secret),
        assets,
        review: form.review,
        created_by: who.change_by(None).account,
        created_at: now,
        expires_at: now + length,
        used_at: None,
        used_by: None,
    };
    state.store.create_invitation(&invitation).await?;
    Ok(no_store_json(
        StatusCode::CREATED,
        json!({
            "url": format!("{}/invite/{secret}", base_url(&req)),
            "assets": invitation.assets.iter().map(AssetId::as_str).collect::<Vec<_>>(),
            "review": invitation.review,
            "expires_at": invitation.expires_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        }),
    ))
}

#[derive(askama::Template)]
#[template(path = "invite.html")]
struct InvitePage<'a> {
    title: &'a str,
    secret: &'a str,
    /// (id, name) of each asset.
    assets: Vec<(String, String)>,
    review: bool,
    expires: String,
    problem: Option<String>,
}

/// The invitation if it can still be taken up; otherwise `404` (no such link) or `410` (used or
/// expired).
async fn usable_invitation(state: &AppState, secret: &str) -> Result<Invitation, ApiError> {
    let inv = state
        .store
        .invitation(&auth::hash_secret(secret))
        .await?
        .ok_or_else(|| {
            ApiError::not_found(
                "There is no invitation with this link; check that it was copied whole, or ask the council's editors for a new one.",
            )
        })?;
    if inv.used_at.is_some() || inv.expires_at <= Utc::now() {
        return Err(ApiError::gone(
            "This invitation link has been used or has expired; ask the council's editors for a new one.",
        ));
    }
    Ok(inv)
}

fn invite_page(
    state: &AppState,
    secret: &str,
    inv: &Invitation,
    problem: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, ApiError> {
    let engine = state.engine();
    let assets = inv
        .assets
        .iter()
        .map(|id| {
            let name = engine
                .get(id)
                .map(|a| a.name.as_str().to_owned())
                .unwrap_or_else(|| id.to_string());
            (id.to_string(), name)
        })
        .collect();
    drop(engine);
    let page = InvitePage {
        title: "Keep your listing on the map",
        secret,
        assets,
        review: inv.review,
        expires: inv.expires_at.format("%-d %B %Y").to_string(),
        problem,
    };
    let body = askama::Template::render(&page).map_err(ApiError::internal)?;
    Ok(HttpResponse::build(status)
        .content_type(crate::http::HTML)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        // The link's secret is in the URL: never sent to another site, but our own origin is
        // named when the form is posted (see `take_up_invitation`).
        .insert_header((header::REFERRER_POLICY, "same-origin"))
        .body(body))
}

async fn invitation_page(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Params::parse(req.query_string(), &[])?;
    match usable_invitation(&state, &path).await {
        Ok(inv) => invite_page(&state, &path, &inv, None, StatusCode::OK),
        Err(e) if matches!(e.status(), StatusCode::GONE | StatusCode::NOT_FOUND) => {
            let mut r = not_found_page("This invitation cannot be used", e.detail())?;
            *r.status_mut() = e.status();
            Ok(r)
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InviteForm {
    name: String,
    email: String,
    password: String,
}

/// Takes up an invitation: a steward account for its assets, signed in. A form post (the
/// invitation page) answers `303` to the map, or the page again with what was wrong; a JSON
/// post answers as signing in does.
async fn take_up_invitation(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Params::parse(req.query_string(), &[])?;
    let secret = path.into_inner();
    let from_form = crate::http::require_json(&req).is_err();
    if from_form {
        // A form can be posted from any site: only our own pages may post this one. (Our
        // invitation page is sent with `Referrer-Policy: same-origin`, so the browser names
        // its origin here; with `no-referrer` it would send `Origin: null`.)
        if let Some(origin) = req
            .headers()
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
        {
            let base = base_url(&req);
            if Some(origin) != origin_of(&base) {
                return Err(ApiError::forbidden(
                    "Invitations are taken up from their own page on this site.",
                ));
            }
        }
    }
    let form: InviteForm = if from_form {
        serde_urlencoded::from_bytes(&body).map_err(|e| {
            ApiError::bad_request(format!("Send name, email and password from the form: {e}"))
        })?
    } else {
        json_body(
            &req,
            &body,
            r#"{"name": "…", "email": "…", "password": "…"}"#,
        )?
    };
    let form = AccountForm {
        email: form.email,
        name: form.name,
        role: Role::Steward.as_str().to_owned(),
        password: form.password,
    };
    // What was sent is checked before whether the link still works, so that a form with
    // mistakes is answered as such (the page again, with what to fix).
    let inv = match auth::checked_account_form(&form) {
        Ok(_) => usable_invitation(&state, &secret).await?,
        Err(e) if from_form => {
            let inv = usable_invitation(&state, &secret).await?;
            return invite_page(
                &state,
                &secret,
                &inv,
                Some(e.detail().to_owned()),
                StatusCode::BAD_REQUEST,
            );
        }
        Err(e) => return Err(e),
    };
    let stewardships = inv
        .assets
        .iter()
        .map(|asset| Stewardship {
            asset: asset.clone(),
            review: inv.review,
        })
        .collect();
    let made = auth::new_account(form, stewardships).await;
    let account = match made {
        Ok(a) => a,
        Err(e) if from_form => {
            return invite_page(
                &state,
                &secret,
                &inv,
                Some(e.detail().to_owned()),
                StatusCode::BAD_REQUEST,
            )
        }
        Err(e) => return Err(e),
    };
    if let Err(e) = state
        .store
        .accept_invitation(&inv.id_hash, &account, Utc::now())
        .await
    {
        let e = ApiError::from(e);
        if from_form && e.status() == StatusCode::CONFLICT {
            return invite_page(
                &state,
                &secret,
                &inv,
                Some(e.detail().to_owned()),
                StatusCode::CONFLICT,
            );
        }
        return Err(e);
    }
    tracing::info!(account = %account.id, assets = inv.assets.len(), "invitation taken up");
    let signed_in = auth::start_session(&state, account).await?;
    if !from_form {
        let mut r = signed_in;
        *r.status_mut() = StatusCode::CREATED;
        return Ok(r);
    }
    let mut r = HttpResponse::SeeOther();
    r.insert_header((header::LOCATION, "/"));
    for cookie in signed_in.headers().get_all(header::SET_COOKIE) {
        r.append_header((header::SET_COOKIE, cookie.clone()));
    }
    Ok(r.finish())
}
