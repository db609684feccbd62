//! `/auth/session`: staff sign in (`POST`), ask who is signed in (`GET`) and sign out
//! (`DELETE`). The session is a cookie (see [`crate::auth`]); the answer carries the CSRF token
//! the page sends back on every change.

use crate::auth::{self, Principal};
use crate::errors::ApiError;
use crate::http::json_body;
use crate::http::no_store_json;
use crate::params::Params;
use crate::state::AppState;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/auth/session")
            .route(web::get().to(current))
            .route(web::post().to(sign_in))
            .route(web::delete().to(sign_out)),
    );
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignIn {
    email: String,
    password: String,
}

async fn sign_in(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Params::parse(req.query_string(), &[])?;
    let form: SignIn = json_body(&req, &body, r#"{"email": "…", "password": "…"}"#)?;
    let email = form.email.trim().to_owned();
    let now = std::time::Instant::now();
    state.sign_in_throttle.check(&email, now)?;
    let account = state
        .store
        .account_by_email(&email)
        .await?
        .filter(|a| !a.disabled);
    let hash = account.as_ref().map(|a| a.password_hash.clone());
    let verified = auth::verify_password_off_thread(form.password, hash).await?;
    let Some(account) = account.filter(|_| verified) else {
        state.sign_in_throttle.failed(&email, now);
        tracing::info!("a sign-in was refused");
        return Err(ApiError::unauthorized(auth::SIGN_IN_REFUSED));
    };
    state.sign_in_throttle.succeeded(&email);
    auth::start_session(&state, account).await
}

async fn current(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Params::parse(req.query_string(), &[])?;
    let found = match auth::cookie(&req, auth::SESSION_COOKIE) {
        Some(secret) => auth::session_of(&secret, &state).await?,
        None => None,
    };
    let body = match &found {
        Some((session, account)) => auth::session_json(account, session),
        None => json!({"account": null}),
    };
    Ok(no_store_json(StatusCode::OK, body))
}

async fn sign_out(
    req: HttpRequest,
    who: Principal,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Params::parse(req.query_string(), &[])?;
    if let Some(id_hash) = &who.session {
        state.store.end_session(id_hash).await?;
    }
    Ok(HttpResponse::NoContent()
        .insert_header((
            header::SET_COOKIE,
            auth::cleared_cookie(state.settings.session_cookie_secure),
        ))
        .finish())
}
