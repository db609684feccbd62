//! Who is asking, and what they may do.
//!
//! Three ways in, all resolved here into one [`Principal`]:
//! - a **session** (the editing page): the `assetmap_session` cookie (HttpOnly, SameSite=Strict,
//!   Secure unless configured off), whose id the store keeps only as a SHA-256 hash; every
//!   unsafe request with a session must echo the session's CSRF token in `X-CSRF-Token`;
//! - an **API token** for scripts (`Authorization: Bearer amt_…`), kept only as a SHA-256 hash,
//!   scoped to a role, named, expiring and revocable;
//! - the **bootstrap admin token** from configuration (`ASSETMAP_ADMIN_TOKEN`): an admin with no
//!   account, for the first accounts and for scripts written before accounts existed.
//!
//! [`crate::edge`] resolves the principal of every write before its body is read (refusing
//! anonymous, expired, revoked and CSRF-less writes) and leaves it in the request's extensions;
//! handlers take it as an extractor argument and check the role ([`Principal::require`]) or the
//! asset ([`Principal::may_change`]). What a role may do is decided by
//! [`assetmap_core::may_change`] and [`Role`]'s methods.
//!
//! Passwords are hashed with argon2id (the `argon2` crate's defaults: 19 MiB, 2 passes), off
//! the async workers.

use crate::errors::ApiError;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::http::{header, Method};
use actix_web::HttpResponse;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use assetmap_core::{AssetId, ChangeBy, Role, Via};
use assetmap_store::{Account, ApiToken, Session, Stewardship};
use base64::Engine as _;
use chrono::Utc;
use futures_util::future::LocalBoxFuture;
use serde_json::json;
use sha2::{Digest, Sha256};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "assetmap_session";

/// The header that carries the session's CSRF token on unsafe requests.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// How API tokens begin, so that a leaked one is recognisable (and secret scanners can find it).
pub const TOKEN_PREFIX: &str = "amt_";

/// The shortest password accepted (a passphrase of a few words; NCSC's advice favours length).
pub const MIN_PASSWORD_CHARS: usize = 12;

/// The longest password accepted (hashing is deliberately slow; this bounds it).
pub const MAX_PASSWORD_CHARS: usize = 256;

/// The one answer to a failed sign-in, whatever failed (unknown address, wrong password,
/// disabled account), so that it says nothing about which accounts exist.
pub const SIGN_IN_REFUSED: &str = "The e-mail address or password is not right.";

/// The person or script behind a request.
#[derive(Debug, Clone)]
pub struct Principal {
    pub role: Role,
    /// The account (`None`: the bootstrap admin token, or a token that acts as no account).
    pub account: Option<Account>,
    /// The API token's id, when the request came with one (not the bootstrap token).
    pub token: Option<String>,
    /// The session's id hash, when the request came with a session.
    pub session: Option<String>,
}

impl Principal {
    /// How changes made by this principal are recorded: the account (or, for a token acting
    /// as no account, `token:<id>`), via the page for a session and the API otherwise.
    pub fn change_by(&self, via: Option<Via>) -> ChangeBy {
        let account = match (&self.account, &self.token) {
            (Some(a), _) => Some(a.id.clone()),
            (None, Some(t)) => Some(format!("token:{t}")),
            (None, None) => None,
        };
        let via = via.unwrap_or(if self.session.is_some() {
            Via::Page
        } else {
            Via::Api
        });
        ChangeBy { account, via }
    }

    /// The assets this principal keeps as a steward.
    pub fn stewardships(&self) -> &[Stewardship] {
        self.account
            .as_ref()
            .map(|a| a.stewardships.as_slice())
            .unwrap_or(&[])
    }

    /// Whether this principal may change `asset` (`None`: create a new one).
    pub fn may_change(&self, asset: Option<&AssetId>) -> bool {
        let kept: Vec<AssetId> = self
            .stewardships()
            .iter()
            .map(|s| s.asset.clone())
            .collect();
        assetmap_core::may_change(self.role, &kept, asset)
    }

    /// Whether a change to `asset` by this principal waits for an editor's review: a steward
    /// whose stewardship of it says so.
    pub fn needs_review(&self, asset: &AssetId) -> bool {
        !self.role.edits_every_asset()
            && self
                .stewardships()
                .iter()
                .any(|s| &s.asset == asset && s.review)
    }

    /// Whether this principal may read the history of `asset`: editors and admins, and its
    /// stewards.
    pub fn may_see_history(&self, asset: &AssetId) -> bool {
        self.role.edits_every_asset() || self.stewardships().iter().any(|s| &s.asset == asset)
    }

    /// `Ok` when the principal may change `asset` (`None`: create one), else a `403` saying
    /// why.
    pub fn require_change(&self, asset: Option<&AssetId>) -> Result<(), ApiError> {
        if self.may_change(asset) {
            return Ok(());
        }
        Err(ApiError::forbidden(match asset {
            Some(id) => format!(
                "Your account keeps only its own listings, and '{id}' is not one of them; ask an editor to change it or to give it to you."
            ),
            None => "Only editors add new places; ask an editor to add it, or suggest it to them.".to_owned(),
        }))
    }

    /// `Ok` when the principal's role is at least `least` (admin ⊇ editor ⊇ steward), else a
    /// `403` naming the role needed.
    pub fn require(&self, least: Role) -> Result<(), ApiError> {
        let enough = match least {
            Role::Steward => true,
            Role::Editor => self.role.edits_every_asset(),
            Role::Admin => self.role.manages_accounts(),
        };
        if enough {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "This needs an {} account; yours is a {} account.",
                least, self.role
            )))
        }
    }
}

/// The principal the edge resolved (for writes), or resolved now (for reads that need one):
/// `401` when the request carries no credentials.
impl FromRequest for Principal {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Principal, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            if let Some(p) = req.extensions().get::<Principal>() {
                return Ok(p.clone());
            }
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(|| ApiError::internal("the application state is not registered"))?;
            principal(&req, &state).await?.ok_or_else(no_credentials)
        })
    }
}

/// The `401` for a request that needs someone and names no one.
pub fn no_credentials() -> ApiError {
    ApiError::unauthorized(
        "This needs a signed-in staff account (sign in on the map page) or an API token ('Authorization: Bearer <token>').",
    )
}

/// Resolves the request's credentials: `Ok(None)` when it carries none; `Err` (`401`, `403`)
/// when they are wrong, expired, revoked or disabled, or when an unsafe request with a session
/// lacks its CSRF token. A bearer token wins over a cookie.
pub async fn principal(req: &HttpRequest, state: &AppState) -> Result<Option<Principal>, ApiError> {
    if let Some(value) = req.headers().get(header::AUTHORIZATION) {
        let token = value.to_str().ok().and_then(bearer_token).ok_or_else(|| {
            ApiError::unauthorized(
                "The Authorization header is not 'Bearer <token>'; send an API token that way.",
            )
        })?;
        return by_token(token, state).await.map(Some);
    }
    let Some(secret) = cookie(req, SESSION_COOKIE) else {
        return Ok(None);
    };
    let (session, account) = session_of(&secret, state).await?.ok_or_else(|| {
        ApiError::unauthorized("Your session has ended; sign in again on the map page.")
    })?;
    if is_unsafe(req.method()) {
        let sent = req
            .headers()
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !constant_time_eq(sent.as_bytes(), session.csrf_token.as_bytes()) {
            return Err(ApiError::forbidden(
                "This change came without the page's X-CSRF-Token (or with another one); send the csrf_token that signing in gave, in the X-CSRF-Token header. Reload the page if you signed in elsewhere.",
            ));
        }
    }
    Ok(Some(Principal {
        role: account.role,
        account: Some(account),
        token: None,
        session: Some(session.id_hash),
    }))
}

/// The live session whose cookie secret is `secret`, with its account: `None` when it is
/// unknown, expired, or its account is disabled or gone.
pub async fn session_of(
    secret: &str,
    state: &AppState,
) -> Result<Option<(assetmap_store::Session, Account)>, ApiError> {
    let Some(session) = state.store.session(&hash_secret(secret)).await? else {
        return Ok(None);
    };
    if session.expires_at <= Utc::now() {
        return Ok(None);
    }
    match state.store.account(&session.account).await? {
        Some(account) if !account.disabled => Ok(Some((session, account))),
        _ => Ok(None),
    }
}

async fn by_token(token: &str, state: &AppState) -> Result<Principal, ApiError> {
    if let Some(bootstrap) = state.settings.admin_token.as_deref() {
        if constant_time_eq(token.as_bytes(), bootstrap.as_bytes()) {
            return Ok(Principal {
                role: Role::Admin,
                account: None,
                token: None,
                session: None,
            });
        }
    }
    let refused =
        || ApiError::unauthorized("The bearer token is not a valid API token of this server.");
    if !token.starts_with(TOKEN_PREFIX) {
        return Err(refused());
    }
    let Some(t) = state.store.token(&hash_secret(token)).await? else {
        return Err(refused());
    };
    if t.revoked_at.is_some() {
        return Err(ApiError::unauthorized(format!(
            "The API token '{}' was revoked; ask an admin for a new one.",
            t.name
        )));
    }
    if t.expires_at <= Utc::now() {
        return Err(ApiError::unauthorized(format!(
            "The API token '{}' expired on {}; ask an admin for a new one.",
            t.name,
            t.expires_at.format("%Y-%m-%d")
        )));
    }
    let account = match &t.account {
        None => None,
        Some(id) => match state.store.account(id).await? {
            Some(a) if !a.disabled => Some(a),
            _ => {
                return Err(ApiError::unauthorized(format!(
                    "The API token '{}' acts for an account that is disabled.",
                    t.name
                )))
            }
        },
    };
    // A token never does more than its account may.
    let role = match &account {
        Some(a) => t.role.max(a.role),
        None => t.role,
    };
    Ok(Principal {
        role,
        account,
        token: Some(t.id),
        session: None,
    })
}

/// Whether the method changes something (everything but GET, HEAD, OPTIONS).
pub fn is_unsafe(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie(req: &HttpRequest, name: &str) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"').to_owned())
        .filter(|v| !v.is_empty())
}

/// The `Set-Cookie` value that keeps `secret` as the session for `max_age_secs`.
pub fn session_cookie(secret: &str, max_age_secs: i64, secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}={secret}; Path=/; Max-Age={max_age_secs}; HttpOnly; SameSite=Strict{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn cleared_cookie(secure: bool) -> String {
    session_cookie("", 0, secure)
}

/// A new random secret: 32 bytes from the operating system, base64url without padding.
pub fn new_secret() -> Result<String, ApiError> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).map_err(ApiError::internal)?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// How a secret (session id, token, invitation) is kept: SHA-256, hex. The secrets are 256
/// random bits, so a fast hash is enough: there is nothing to guess.
pub fn hash_secret(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Checks a new password's length: `Err` with the reason.
pub fn check_password(password: &str) -> Result<(), String> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(format!(
            "must be at least {MIN_PASSWORD_CHARS} characters (a few words make a good one)"
        ));
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(format!("must be at most {MAX_PASSWORD_CHARS} characters"));
    }
    Ok(())
}

/// The argon2id hash of `password` with a new random salt (PHC string).
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let mut salt = [0u8; 16];
    getrandom::getrandom(&mut salt)?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing the password failed: {e}"))
}

/// Whether `password` matches the PHC `hash`. A hash that cannot be read matches nothing.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// [`hash_password`] on the blocking pool (it takes tens of milliseconds on purpose).
pub async fn hash_password_off_thread(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)
}

/// [`verify_password`] on the blocking pool. With no stored hash (no such account), a hash of
/// nothing is checked instead, so that the answer takes as long either way.
pub async fn verify_password_off_thread(
    password: String,
    hash: Option<String>,
) -> Result<bool, ApiError> {
    tokio::task::spawn_blocking(move || match hash {
        Some(h) => verify_password(&password, &h),
        None => {
            let _ = hash_password(&password);
            false
        }
    })
    .await
    .map_err(ApiError::internal)
}

/// Signs `account` in: a new session kept (as a hash) in the store, its cookie set, and the
/// answer the page needs (the account and the CSRF token). Also used when an invitation makes
/// a steward account.
pub async fn start_session(state: &AppState, account: Account) -> Result<HttpResponse, ApiError> {
    let secret = new_secret()?;
    let now = Utc::now();
    let length = state.settings.session_length();
    let session = Session {
        id_hash: hash_secret(&secret),
        account: account.id.clone(),
        csrf_token: new_secret()?,
        created_at: now,
        expires_at: now + length,
    };
    state.store.create_session(&session).await?;
    tracing::info!(account = %account.id, role = %account.role, "staff signed in");
    let mut r = crate::http::no_store_json(
        actix_web::http::StatusCode::OK,
        session_json(&account, &session),
    );
    let cookie = session_cookie(
        &secret,
        length.num_seconds().max(1),
        state.settings.session_cookie_secure,
    );
    r.headers_mut().insert(
        header::SET_COOKIE,
        header::HeaderValue::from_str(&cookie).map_err(ApiError::internal)?,
    );
    Ok(r)
}

pub fn session_json(account: &Account, session: &Session) -> serde_json::Value {
    json!({
        "account": crate::staff::account_json(account),
        "csrf_token": session.csrf_token,
        "expires_at": session.expires_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    })
}

/// Longest an API token or an invitation may last, in days.
pub const MAX_DAYS: u32 = 366;

/// How long a token or an invitation given for `n` days lasts: `Err` with the reason unless
/// `n` is from 1 to [`MAX_DAYS`].
pub fn lasting_days(n: u32) -> Result<chrono::Duration, String> {
    if n == 0 || n > MAX_DAYS {
        return Err(format!("{n} is not from 1 to {MAX_DAYS}"));
    }
    Ok(chrono::Duration::days(i64::from(n)))
}

/// How long an API token lasts when no `days` is given.
pub const DEFAULT_TOKEN_DAYS: u32 = 90;

/// A new API token (its secret, shown once, and what the store keeps: its hash).
pub fn issue_token(
    name: String,
    role: Role,
    account: Option<String>,
    length: chrono::Duration,
) -> Result<(String, ApiToken), ApiError> {
    let secret = format!("{}{}", TOKEN_PREFIX, new_secret()?);
    let now = Utc::now();
    let token = ApiToken {
        id: uuid::Uuid::new_v4().simple().to_string()[..12].to_owned(),
        name,
        role,
        account,
        secret_hash: hash_secret(&secret),
        created_at: now,
        expires_at: now + length,
        revoked_at: None,
    };
    Ok((secret, token))
}

/// What a new account is made from (the API, the command line, an invitation).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountForm {
    pub email: String,
    pub name: String,
    pub role: String,
    pub password: String,
}

/// The longest account name, in characters.
pub const MAX_NAME_CHARS: usize = 120;

/// Checks an account's name: `Err` with the reason.
pub fn check_name(name: &str) -> Result<String, String> {
    let n = name.trim();
    if n.is_empty() {
        return Err("must not be empty: the name shown in the history of changes".into());
    }
    if n.chars().count() > MAX_NAME_CHARS || n.chars().any(char::is_control) {
        return Err(format!(
            "must be at most {MAX_NAME_CHARS} characters, on one line"
        ));
    }
    Ok(n.to_owned())
}

/// A new account from `form`, every field checked (a `400` listing each problem), the password
/// hashed off the async workers. Stewards get `stewardships`; other roles none.
pub async fn new_account(
    form: AccountForm,
    stewardships: Vec<Stewardship>,
) -> Result<Account, ApiError> {
    let (email, name, role) = checked_account_form(&form)?;
    let password_hash = hash_password_off_thread(form.password).await?;
    Ok(Account {
        id: uuid::Uuid::new_v4().to_string(),
        email,
        name,
        role,
        disabled: false,
        password_hash,
        created_at: Utc::now(),
        stewardships: if role == Role::Steward {
            stewardships
        } else {
            Vec::new()
        },
    })
}

/// Checks every field of an account form: its e-mail address (lower-cased), name and role, or
/// a `400` listing each problem (the password's too).
pub fn checked_account_form(form: &AccountForm) -> Result<(String, String, Role), ApiError> {
    let mut problems = Vec::new();
    let email = assetmap_core::Email::parse(&form.email)
        .map(|e| e.as_str().to_lowercase())
        .map_err(|e| problems.push(("email".to_owned(), e.problem)))
        .ok();
    let name = check_name(&form.name)
        .map_err(|e| problems.push(("name".to_owned(), e)))
        .ok();
    let role = Role::parse(&form.role)
        .map_err(|e| problems.push(("role".to_owned(), e)))
        .ok();
    if let Err(e) = check_password(&form.password) {
        problems.push(("password".to_owned(), e));
    }
    match (email, name, role) {
        (Some(email), Some(name), Some(role)) if problems.is_empty() => Ok((email, name, role)),
        _ => Err(ApiError::invalid_fields("account", problems)),
    }
}

/// The token of an `Authorization: Bearer <token>` header value, whatever the scheme's case.
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once([' ', '\t'])?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_scheme_is_case_insensitive() {
        for v in ["Bearer abc", "bearer abc", "BEARER  abc ", "bEaReR\tabc"] {
            assert_eq!(bearer_token(v), Some("abc"), "{v:?}");
        }
        for v in ["Basic abc", "Bearer", "Bearer   ", "Bearerabc", "abc"] {
            assert_eq!(bearer_token(v), None, "{v:?}");
        }
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }

    #[test]
    fn passwords_verify_only_against_their_own_hash() {
        let h = hash_password("correct horse battery").expect("hash");
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("correct horse batterY", &h));
        assert!(!verify_password("correct horse battery", "not a hash"));
        // A new salt each time.
        assert_ne!(h, hash_password("correct horse battery").expect("hash"));
        assert!(check_password("short").is_err());
        assert!(check_password("twelve chars").is_ok());
    }

    #[test]
    fn secrets_are_random_and_kept_as_hashes() {
        let a = new_secret().expect("secret");
        let b = new_secret().expect("secret");
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(hash_secret(&a).len(), 64);
        assert_ne!(hash_secret(&a), hash_secret(&b));
        assert_eq!(hash_secret("abc"), hash_secret("abc"));
    }

    #[test]
    fn cookies_are_http_only_strict_and_secure_unless_turned_off() {
        let c = session_cookie("s3cret", 60, true);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.ends_with("; Secure"));
        assert!(!session_cookie("s3cret", 60, false).contains("Secure"));
        assert!(cleared_cookie(true).contains("Max-Age=0"));
    }
}
