//! The people who keep the map: staff accounts and the assets stewards are given, browser
//! sessions, API tokens, one-time invitations for stewards, and stewards' changes waiting for an
//! editor's review. Both stores keep them ([`AccountStore`]), beside the assets.
//!
//! Secrets are never stored: a session id, a token or an invitation is kept only as a hash
//! (the server makes and hashes them, [`crate`] only keeps what it is given); a password only
//! as an argon2 hash. Accounts hold the minimum — name, e-mail address, role.
//!
//! Time rules (a session or token past its `expires_at`) are the server's: the store returns
//! what it keeps, and purges expired sessions and invitations when new ones are made.

use crate::StoreError;
use assetmap_core::{Asset, AssetId, Role};
use chrono::{DateTime, Utc};

/// A staff account.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    /// A random id the server makes (a UUID), never reused.
    pub id: String,
    /// Lower-cased; unique among accounts.
    pub email: String,
    /// The name shown in history ("Priya at Trafford Council", "Sale Runners").
    pub name: String,
    pub role: Role,
    /// A disabled account cannot sign in, and its sessions have ended.
    pub disabled: bool,
    /// The argon2 hash of the password (PHC string format).
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
    /// The assets a steward keeps (empty for admins and editors), in asset id order.
    pub stewardships: Vec<Stewardship>,
}

/// One asset a steward keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stewardship {
    pub asset: AssetId,
    /// `true`: the steward's changes wait for an editor's review ([`Proposal`]); `false`: they
    /// publish at once.
    pub review: bool,
}

/// One change to an account, made by [`AccountStore::update_account`].
#[derive(Debug, Clone, PartialEq)]
pub enum AccountChange {
    /// Disables (`true`) or enables the account. Disabling ends its sessions and revokes its
    /// API tokens in the same transaction.
    Disabled(bool),
    /// A new password hash. Ends the account's sessions in the same transaction.
    PasswordHash(String),
    Role(Role),
    Name(String),
}

/// A signed-in browser session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// SHA-256 (hex) of the session id in the cookie.
    pub id_hash: String,
    /// The account signed in.
    pub account: String,
    /// The CSRF token the page sends back in `X-CSRF-Token` on every write.
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// An API token for scripts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    /// A random id, shown in listings and used to revoke it.
    pub id: String,
    /// What the token is for ("nightly import", "ORUK sync").
    pub name: String,
    /// What the token may do.
    pub role: Role,
    /// The account the token acts as, if any: changes are credited to it, and a steward token
    /// changes only that account's assets. `None`: credited to the token itself.
    pub account: Option<String>,
    /// SHA-256 (hex) of the secret.
    pub secret_hash: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A one-time invitation for a group to keep its own listings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    /// SHA-256 (hex) of the secret in the invitation link.
    pub id_hash: String,
    /// The assets the steward account will keep.
    pub assets: Vec<AssetId>,
    /// Whether the steward's changes wait for review (see [`Stewardship::review`]).
    pub review: bool,
    /// The account that made the invitation (`None`: the bootstrap admin token).
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// When it was used, and the account it made; an invitation is used once.
    pub used_at: Option<DateTime<Utc>>,
    pub used_by: Option<String>,
}

/// A steward's change waiting for (or past) an editor's review.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    /// Numbered by the store, from 1.
    pub id: u64,
    /// The proposed next version of the asset (its `version` is the stored version + 1 at the
    /// time of proposing).
    pub asset: Asset,
    /// The steward's account.
    pub by: String,
    pub at: DateTime<Utc>,
    /// `None` while waiting.
    pub decision: Option<Decision>,
}

/// What an editor decided about a [`Proposal`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub accepted: bool,
    /// The editor's account (`None`: the bootstrap admin token).
    pub by: Option<String>,
    pub at: DateTime<Utc>,
    /// Why it was rejected (`None` when accepted).
    pub reason: Option<String>,
}

/// Where accounts, sessions, tokens, invitations and proposals are kept. Every method is one
/// transaction. Errors: [`StoreError::Conflict`] for a taken e-mail address or id, a used
/// invitation or a decided proposal; [`StoreError::Missing`] for an account, token,
/// invitation or proposal that is not there; the others as for assets.
#[async_trait::async_trait]
pub trait AccountStore: Send + Sync {
    /// Adds an account with its stewardships. `Conflict` if the id or e-mail address is taken.
    async fn add_account(&self, account: &Account) -> Result<(), StoreError>;

    /// One account by id.
    async fn account(&self, id: &str) -> Result<Option<Account>, StoreError>;

    /// One account by e-mail address (compared lower-cased).
    async fn account_by_email(&self, email: &str) -> Result<Option<Account>, StoreError>;

    /// Every account, by e-mail address.
    async fn accounts(&self) -> Result<Vec<Account>, StoreError>;

    /// Changes one thing about an account (see [`AccountChange`] for what else goes with it).
    /// `Missing` if there is no such account.
    async fn update_account(&self, id: &str, change: &AccountChange) -> Result<(), StoreError>;

    /// Gives `asset` to the steward `account` (`Some(review)`), changes whether its changes
    /// wait for review, or takes it away (`None`). `Missing` if there is no such account.
    async fn set_stewardship(
        &self,
        account: &str,
        asset: &AssetId,
        review: Option<bool>,
    ) -> Result<(), StoreError>;

    /// Keeps a new session, and purges sessions that expired before its `created_at`.
    async fn create_session(&self, session: &Session) -> Result<(), StoreError>;

    /// The session kept under `id_hash`, expired or not.
    async fn session(&self, id_hash: &str) -> Result<Option<Session>, StoreError>;

    /// Ends a session (signing out). Ending one that is not there is not an error.
    async fn end_session(&self, id_hash: &str) -> Result<(), StoreError>;

    /// Keeps a new API token. `Conflict` if its id or hash is taken.
    async fn create_token(&self, token: &ApiToken) -> Result<(), StoreError>;

    /// The token whose secret hashes to `secret_hash`, revoked or expired or not.
    async fn token(&self, secret_hash: &str) -> Result<Option<ApiToken>, StoreError>;

    /// Every token, newest first.
    async fn tokens(&self) -> Result<Vec<ApiToken>, StoreError>;

    /// Revokes a token at `at`. `Missing` if there is no token with that id; revoking a
    /// revoked token keeps the first time.
    async fn revoke_token(&self, id: &str, at: DateTime<Utc>) -> Result<(), StoreError>;

    /// Keeps a new invitation, and purges unused ones that expired before its `created_at`.
    async fn create_invitation(&self, invitation: &Invitation) -> Result<(), StoreError>;

    /// The invitation kept under `id_hash`, used or expired or not.
    async fn invitation(&self, id_hash: &str) -> Result<Option<Invitation>, StoreError>;

    /// Uses an invitation: in one transaction, checks it is not used yet (`Conflict`
    /// otherwise; `Missing` if there is none), adds `account` (with its stewardships, which the
    /// caller made from the invitation), and marks the invitation used at `at` by it.
    async fn accept_invitation(
        &self,
        id_hash: &str,
        account: &Account,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Gives `account` a new feed link (`Some(secret_hash)`, the SHA-256 hex of the secret in
    /// its URL), replacing any it had, or takes its feed away (`None`). `Missing` if there is
    /// no such account.
    async fn set_feed(&self, account: &str, secret_hash: Option<&str>) -> Result<(), StoreError>;

    /// The account whose feed link's secret hashes to `secret_hash`, disabled or not.
    async fn account_by_feed(&self, secret_hash: &str) -> Result<Option<Account>, StoreError>;

    /// Keeps a steward's proposed next version of an asset, waiting for review; returns its
    /// number. `Missing` (for the asset) if the asset is not stored.
    async fn propose(&self, asset: &Asset, by: &str, at: DateTime<Utc>) -> Result<u64, StoreError>;

    /// One proposal.
    async fn proposal(&self, id: u64) -> Result<Option<Proposal>, StoreError>;

    /// Proposals, oldest first: for one asset or all (`asset`), waiting only or all
    /// (`waiting_only`).
    async fn proposals(
        &self,
        asset: Option<&AssetId>,
        waiting_only: bool,
    ) -> Result<Vec<Proposal>, StoreError>;

    /// Rejects a waiting proposal. `Conflict` if it was already decided, `Missing` if there is
    /// none. (Accepting is a write: [`crate::AssetStore::apply`] with
    /// [`assetmap_core::Via::Review`], which marks the proposal accepted in the write's
    /// transaction.)
    async fn reject_proposal(
        &self,
        id: u64,
        by: Option<&str>,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
}
