//! [`AccountStore`] for the GeoPackage store: internal tables (not layers, not registered in
//! `gpkg_contents`), made by schema version 4. Ids are text; times are in the file's time
//! format ([`format_time`]: fixed-width ISO 8601 UTC, so text order is time order). Every call
//! is one transaction, through the store's reader or writer connection.

use super::sql::{commit, format_time, is_unique_violation, now_text, parse_time};
use super::GeoPackageStore;
use crate::accounts::{
    Account, AccountChange, AccountStore, ApiToken, Decision, Invitation, Proposal, Session,
    Stewardship,
};
use crate::StoreError;
use assetmap_core::{Asset, AssetId, Role};
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Transaction};

/// Staff accounts.
pub const ACCOUNTS_TABLE: &str = "assetmap_accounts";
/// The assets each steward keeps.
pub const STEWARDSHIPS_TABLE: &str = "assetmap_stewardships";
/// Browser sessions, by the hash of their id.
pub const SESSIONS_TABLE: &str = "assetmap_sessions";
/// API tokens, with the hash of their secret.
pub const TOKENS_TABLE: &str = "assetmap_api_tokens";
/// Invitations for stewards, by the hash of their secret.
pub const INVITATIONS_TABLE: &str = "assetmap_invitations";
/// Stewards' proposed changes.
pub const PROPOSALS_TABLE: &str = "assetmap_proposals";

/// Schema version 4's account tables (see [`crate::accounts`]). E-mail addresses are stored
/// lower-cased, unique. An invitation's assets are a JSON list of ids.
pub(super) fn create_tables(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch(&format!(
        "CREATE TABLE {ACCOUNTS_TABLE} (
            id TEXT PRIMARY KEY NOT NULL,
            email TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            role TEXT NOT NULL,
            disabled INTEGER NOT NULL,
            password_hash TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE TABLE {STEWARDSHIPS_TABLE} (
            account TEXT NOT NULL REFERENCES {ACCOUNTS_TABLE} (id) ON DELETE CASCADE,
            asset_id TEXT NOT NULL,
            review INTEGER NOT NULL,
            PRIMARY KEY (account, asset_id)
        ) WITHOUT ROWID;
        CREATE TABLE {SESSIONS_TABLE} (
            id_hash TEXT PRIMARY KEY NOT NULL,
            account TEXT NOT NULL REFERENCES {ACCOUNTS_TABLE} (id) ON DELETE CASCADE,
            csrf_token TEXT NOT NULL,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL
        );
        CREATE INDEX {SESSIONS_TABLE}_account ON {SESSIONS_TABLE} (account);
        CREATE INDEX {SESSIONS_TABLE}_expires ON {SESSIONS_TABLE} (expires_at);
        CREATE TABLE {TOKENS_TABLE} (
            id TEXT PRIMARY KEY NOT NULL,
            name TEXT NOT NULL,
            role TEXT NOT NULL,
            account TEXT REFERENCES {ACCOUNTS_TABLE} (id),
            secret_hash TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            revoked_at TEXT
        );
        CREATE TABLE {INVITATIONS_TABLE} (
            id_hash TEXT PRIMARY KEY NOT NULL,
            assets TEXT NOT NULL,
            review INTEGER NOT NULL,
            created_by TEXT,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            used_at TEXT,
            used_by TEXT
        );
        CREATE TABLE {PROPOSALS_TABLE} (
            id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
            asset_id TEXT NOT NULL,
            asset TEXT NOT NULL,
            by_account TEXT NOT NULL,
            at TEXT NOT NULL,
            accepted INTEGER,
            decided_by TEXT,
            decided_at TEXT,
            reason TEXT
        );
        CREATE INDEX {PROPOSALS_TABLE}_asset ON {PROPOSALS_TABLE} (asset_id);"
    ))?;
    Ok(())
}

/// Schema version 5: a feed link per account, kept as the SHA-256 (hex) of its secret; NULL
/// for none, unique among accounts. (SQLite's `ALTER TABLE` cannot add a UNIQUE column: the
/// column is added, then a unique index on it.)
pub(super) fn add_feed_column(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch(&format!(
        "ALTER TABLE {ACCOUNTS_TABLE} ADD COLUMN feed_hash TEXT;
         CREATE UNIQUE INDEX {ACCOUNTS_TABLE}_feed ON {ACCOUNTS_TABLE} (feed_hash);"
    ))?;
    Ok(())
}

/// Accepts proposal `id` inside a write's transaction ([`crate::AssetStore::apply`] with
/// [`assetmap_core::Via::Review`]): `Missing` if there is none, `Conflict` if it was decided or
/// the write is not a replacement (`replaces`) of its asset. Marks it accepted by `by` at `now`.
pub(super) fn accept_proposal(
    tx: &Transaction<'_>,
    id: u64,
    replaces: Option<&AssetId>,
    by: Option<&str>,
    now: &str,
) -> Result<(), StoreError> {
    let key = proposal_key(id)?;
    let found: Option<(String, Option<String>)> = tx
        .query_row(
            &format!("SELECT asset_id, decided_at FROM {PROPOSALS_TABLE} WHERE id = ?1"),
            [key],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((asset_id, decided_at)) = found else {
        return Err(no_proposal(id));
    };
    if decided_at.is_some() {
        return Err(decided(id));
    }
    if replaces.map(AssetId::as_str) != Some(asset_id.as_str()) {
        return Err(StoreError::Conflict(format!(
            "proposal {id} is for asset {asset_id}: accepting it must replace that asset"
        )));
    }
    tx.execute(
        &format!(
            "UPDATE {PROPOSALS_TABLE} SET accepted = 1, decided_by = ?2, decided_at = ?3 \
             WHERE id = ?1"
        ),
        params![key, by, now],
    )?;
    Ok(())
}

fn proposal_key(id: u64) -> Result<i64, StoreError> {
    i64::try_from(id).map_err(|_| no_proposal(id))
}

fn no_proposal(id: u64) -> StoreError {
    StoreError::Missing(format!("no proposal {id}"))
}

fn decided(id: u64) -> StoreError {
    StoreError::Conflict(format!("proposal {id} has already been decided"))
}

fn no_account(id: &str) -> StoreError {
    StoreError::Missing(format!("no account with id {id:?}"))
}

fn bad(table: &str, what: impl std::fmt::Display) -> StoreError {
    StoreError::Schema(format!("{table}: {what}"))
}

fn role(table: &str, text: &str) -> Result<Role, StoreError> {
    Role::parse(text).map_err(|e| bad(table, e))
}

fn asset_id(table: &str, text: &str) -> Result<AssetId, StoreError> {
    AssetId::parse(text).map_err(|e| bad(table, format!("asset id {text:?}: {}", e.problem)))
}

const ACCOUNT_COLUMNS: &str = "id, email, name, role, disabled, password_hash, created_at";

/// The accounts `filter` (an SQL condition on ?1, or `1` for all) selects, by e-mail address,
/// each with its stewardships.
fn load_accounts(
    conn: &Connection,
    filter: &str,
    param: Option<&str>,
) -> Result<Vec<Account>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {ACCOUNT_COLUMNS} FROM {ACCOUNTS_TABLE} WHERE {filter} ORDER BY email"
    ))?;
    let mut rows = match param {
        Some(p) => stmt.query([p])?,
        None => stmt.query([])?,
    };
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let role_text: String = row.get(3)?;
        let created_at: String = row.get(6)?;
        out.push(Account {
            id: row.get(0)?,
            email: row.get(1)?,
            name: row.get(2)?,
            role: role(ACCOUNTS_TABLE, &role_text)?,
            disabled: row.get(4)?,
            password_hash: row.get(5)?,
            created_at: parse_time(ACCOUNTS_TABLE, "created_at", &created_at)?,
            stewardships: Vec::new(),
        });
    }
    drop(rows);
    for account in &mut out {
        account.stewardships = stewardships(conn, &account.id)?;
    }
    Ok(out)
}

fn stewardships(conn: &Connection, account: &str) -> Result<Vec<Stewardship>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT asset_id, review FROM {STEWARDSHIPS_TABLE} WHERE account = ?1 ORDER BY asset_id"
    ))?;
    let mut rows = stmt.query([account])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let id: String = row.get(0)?;
        out.push(Stewardship {
            asset: asset_id(STEWARDSHIPS_TABLE, &id)?,
            review: row.get(1)?,
        });
    }
    Ok(out)
}

fn account_exists(conn: &Connection, id: &str) -> Result<bool, StoreError> {
    Ok(conn
        .query_row(
            &format!("SELECT 1 FROM {ACCOUNTS_TABLE} WHERE id = ?1"),
            [id],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// Adds `account` and its stewardships, its e-mail address lower-cased; `Conflict` if the id
/// or the address is taken.
fn insert_account(tx: &Transaction<'_>, account: &Account) -> Result<(), StoreError> {
    let email = account.email.to_lowercase();
    let taken: Option<String> = tx
        .query_row(
            &format!("SELECT id FROM {ACCOUNTS_TABLE} WHERE id = ?1 OR email = ?2"),
            params![account.id, email],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(taken) = taken {
        return Err(if taken == account.id {
            StoreError::Conflict(format!(
                "an account with id {:?} already exists",
                account.id
            ))
        } else {
            StoreError::Conflict(format!("an account with e-mail {email} already exists"))
        });
    }
    tx.execute(
        &format!(
            "INSERT INTO {ACCOUNTS_TABLE} ({ACCOUNT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
        ),
        params![
            account.id,
            email,
            account.name,
            account.role.as_str(),
            account.disabled,
            account.password_hash,
            format_time(&account.created_at),
        ],
    )
    .map_err(|e| {
        if is_unique_violation(&e) {
            StoreError::Conflict(format!("an account with e-mail {email} already exists"))
        } else {
            e.into()
        }
    })?;
    let mut stmt = tx.prepare_cached(&format!(
        "INSERT INTO {STEWARDSHIPS_TABLE} (account, asset_id, review) VALUES (?1, ?2, ?3) \
         ON CONFLICT (account, asset_id) DO UPDATE SET review = excluded.review"
    ))?;
    for s in &account.stewardships {
        stmt.execute(params![account.id, s.asset.as_str(), s.review])?;
    }
    Ok(())
}

fn unique_is_conflict(what: String) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |e| {
        if is_unique_violation(&e) {
            StoreError::Conflict(what)
        } else {
            e.into()
        }
    }
}

fn opt_time(
    table: &str,
    column: &str,
    t: Option<String>,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    t.map(|t| parse_time(table, column, &t)).transpose()
}

const SESSION_COLUMNS: &str = "id_hash, account, csrf_token, created_at, expires_at";

const TOKEN_COLUMNS: &str =
    "id, name, role, account, secret_hash, created_at, expires_at, revoked_at";

fn token_from_row(row: &rusqlite::Row<'_>) -> Result<ApiToken, StoreError> {
    let role_text: String = row.get(2)?;
    let created_at: String = row.get(5)?;
    let expires_at: String = row.get(6)?;
    Ok(ApiToken {
        id: row.get(0)?,
        name: row.get(1)?,
        role: role(TOKENS_TABLE, &role_text)?,
        account: row.get(3)?,
        secret_hash: row.get(4)?,
        created_at: parse_time(TOKENS_TABLE, "created_at", &created_at)?,
        expires_at: parse_time(TOKENS_TABLE, "expires_at", &expires_at)?,
        revoked_at: opt_time(TOKENS_TABLE, "revoked_at", row.get(7)?)?,
    })
}

const INVITATION_COLUMNS: &str =
    "id_hash, assets, review, created_by, created_at, expires_at, used_at, used_by";

fn invitation_from_row(row: &rusqlite::Row<'_>) -> Result<Invitation, StoreError> {
    let assets: String = row.get(1)?;
    let assets: Vec<String> = serde_json::from_str(&assets)
        .map_err(|e| bad(INVITATIONS_TABLE, format!("assets {assets:?}: {e}")))?;
    let created_at: String = row.get(4)?;
    let expires_at: String = row.get(5)?;
    Ok(Invitation {
        id_hash: row.get(0)?,
        assets: assets
            .iter()
            .map(|a| asset_id(INVITATIONS_TABLE, a))
            .collect::<Result<_, _>>()?,
        review: row.get(2)?,
        created_by: row.get(3)?,
        created_at: parse_time(INVITATIONS_TABLE, "created_at", &created_at)?,
        expires_at: parse_time(INVITATIONS_TABLE, "expires_at", &expires_at)?,
        used_at: opt_time(INVITATIONS_TABLE, "used_at", row.get(6)?)?,
        used_by: row.get(7)?,
    })
}

const PROPOSAL_COLUMNS: &str =
    "id, asset, by_account, at, accepted, decided_by, decided_at, reason";

fn proposal_from_row(row: &rusqlite::Row<'_>) -> Result<Proposal, StoreError> {
    let id: i64 = row.get(0)?;
    let asset: String = row.get(1)?;
    let at: String = row.get(3)?;
    let accepted: Option<bool> = row.get(4)?;
    let decided_at = opt_time(PROPOSALS_TABLE, "decided_at", row.get(6)?)?;
    Ok(Proposal {
        id: u64::try_from(id).map_err(|_| bad(PROPOSALS_TABLE, format!("id {id}")))?,
        asset: serde_json::from_str::<Asset>(&asset)
            .map_err(|e| bad(PROPOSALS_TABLE, format!("proposal {id}'s asset: {e}")))?,
        by: row.get(2)?,
        at: parse_time(PROPOSALS_TABLE, "at", &at)?,
        decision: match decided_at {
            Some(at) => Some(Decision {
                accepted: accepted.unwrap_or(false),
                by: row.get(5)?,
                at,
                reason: row.get(7)?,
            }),
            None => None,
        },
    })
}

#[async_trait::async_trait]
impl AccountStore for GeoPackageStore {
    async fn add_account(&self, account: &Account) -> Result<(), StoreError> {
        let account = account.clone();
        self.write(move |_, tx| {
            insert_account(&tx, &account)?;
            commit(tx)
        })
        .await
    }

    async fn account(&self, id: &str) -> Result<Option<Account>, StoreError> {
        let id = id.to_owned();
        self.read(move |_, conn| Ok(load_accounts(conn, "id = ?1", Some(&id))?.pop()))
            .await
    }

    async fn account_by_email(&self, email: &str) -> Result<Option<Account>, StoreError> {
        let email = email.to_lowercase();
        self.read(move |_, conn| Ok(load_accounts(conn, "email = ?1", Some(&email))?.pop()))
            .await
    }

    async fn accounts(&self) -> Result<Vec<Account>, StoreError> {
        self.read(|_, conn| load_accounts(conn, "1", None)).await
    }

    async fn update_account(&self, id: &str, change: &AccountChange) -> Result<(), StoreError> {
        let id = id.to_owned();
        let change = change.clone();
        self.write(move |_, tx| {
            let set = |column: &str, value: &dyn rusqlite::ToSql| -> Result<usize, StoreError> {
                Ok(tx.execute(
                    &format!("UPDATE {ACCOUNTS_TABLE} SET {column} = ?2 WHERE id = ?1"),
                    params![id, value],
                )?)
            };
            let n = match &change {
                AccountChange::Disabled(d) => set("disabled", d)?,
                AccountChange::PasswordHash(h) => set("password_hash", h)?,
                AccountChange::Role(r) => set("role", &r.as_str())?,
                AccountChange::Name(n) => set("name", n)?,
            };
            if n == 0 {
                return Err(no_account(&id));
            }
            let ends_sessions = matches!(
                change,
                AccountChange::Disabled(true) | AccountChange::PasswordHash(_)
            );
            if ends_sessions {
                tx.execute(
                    &format!("DELETE FROM {SESSIONS_TABLE} WHERE account = ?1"),
                    [&id],
                )?;
            }
            if change == AccountChange::Disabled(true) {
                tx.execute(
                    &format!(
                        "UPDATE {TOKENS_TABLE} SET revoked_at = ?2 \
                         WHERE account = ?1 AND revoked_at IS NULL"
                    ),
                    params![id, now_text()],
                )?;
            }
            commit(tx)
        })
        .await
    }

    async fn set_stewardship(
        &self,
        account: &str,
        asset: &AssetId,
        review: Option<bool>,
    ) -> Result<(), StoreError> {
        let account = account.to_owned();
        let asset = asset.clone();
        self.write(move |_, tx| {
            if !account_exists(&tx, &account)? {
                return Err(no_account(&account));
            }
            match review {
                Some(review) => tx.execute(
                    &format!(
                        "INSERT INTO {STEWARDSHIPS_TABLE} (account, asset_id, review) \
                         VALUES (?1, ?2, ?3) \
                         ON CONFLICT (account, asset_id) DO UPDATE SET review = excluded.review"
                    ),
                    params![account, asset.as_str(), review],
                )?,
                None => tx.execute(
                    &format!(
                        "DELETE FROM {STEWARDSHIPS_TABLE} WHERE account = ?1 AND asset_id = ?2"
                    ),
                    params![account, asset.as_str()],
                )?,
            };
            commit(tx)
        })
        .await
    }

    async fn create_session(&self, session: &Session) -> Result<(), StoreError> {
        let s = session.clone();
        self.write(move |_, tx| {
            let created_at = format_time(&s.created_at);
            tx.execute(
                &format!("DELETE FROM {SESSIONS_TABLE} WHERE expires_at < ?1"),
                [&created_at],
            )?;
            tx.execute(
                &format!(
                    "INSERT INTO {SESSIONS_TABLE} ({SESSION_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5)"
                ),
                params![
                    s.id_hash,
                    s.account,
                    s.csrf_token,
                    created_at,
                    format_time(&s.expires_at)
                ],
            )
            .map_err(unique_is_conflict(
                "a session with this id already exists".into(),
            ))?;
            commit(tx)
        })
        .await
    }

    async fn session(&self, id_hash: &str) -> Result<Option<Session>, StoreError> {
        let id_hash = id_hash.to_owned();
        self.read(move |_, conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {SESSION_COLUMNS} FROM {SESSIONS_TABLE} WHERE id_hash = ?1"
            ))?;
            let mut rows = stmt.query([&id_hash])?;
            let Some(row) = rows.next()? else {
                return Ok(None);
            };
            let created_at: String = row.get(3)?;
            let expires_at: String = row.get(4)?;
            Ok(Some(Session {
                id_hash: row.get(0)?,
                account: row.get(1)?,
                csrf_token: row.get(2)?,
                created_at: parse_time(SESSIONS_TABLE, "created_at", &created_at)?,
                expires_at: parse_time(SESSIONS_TABLE, "expires_at", &expires_at)?,
            }))
        })
        .await
    }

    async fn end_session(&self, id_hash: &str) -> Result<(), StoreError> {
        let id_hash = id_hash.to_owned();
        self.write(move |_, tx| {
            tx.execute(
                &format!("DELETE FROM {SESSIONS_TABLE} WHERE id_hash = ?1"),
                [&id_hash],
            )?;
            commit(tx)
        })
        .await
    }

    async fn create_token(&self, token: &ApiToken) -> Result<(), StoreError> {
        let t = token.clone();
        self.write(move |_, tx| {
            tx.execute(
                &format!(
                    "INSERT INTO {TOKENS_TABLE} ({TOKEN_COLUMNS}) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
                ),
                params![
                    t.id,
                    t.name,
                    t.role.as_str(),
                    t.account,
                    t.secret_hash,
                    format_time(&t.created_at),
                    format_time(&t.expires_at),
                    t.revoked_at.as_ref().map(format_time),
                ],
            )
            .map_err(unique_is_conflict(format!(
                "an API token with id {:?} or with this secret already exists",
                t.id
            )))?;
            commit(tx)
        })
        .await
    }

    async fn token(&self, secret_hash: &str) -> Result<Option<ApiToken>, StoreError> {
        let secret_hash = secret_hash.to_owned();
        self.read(move |_, conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {TOKEN_COLUMNS} FROM {TOKENS_TABLE} WHERE secret_hash = ?1"
            ))?;
            let mut rows = stmt.query([&secret_hash])?;
            rows.next()?.map(token_from_row).transpose()
        })
        .await
    }

    async fn tokens(&self) -> Result<Vec<ApiToken>, StoreError> {
        self.read(|_, conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {TOKEN_COLUMNS} FROM {TOKENS_TABLE} ORDER BY created_at DESC, id DESC"
            ))?;
            let mut rows = stmt.query([])?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                out.push(token_from_row(row)?);
            }
            Ok(out)
        })
        .await
    }

    async fn revoke_token(&self, id: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        let id = id.to_owned();
        self.write(move |_, tx| {
            let n = tx.execute(
                &format!(
                    "UPDATE {TOKENS_TABLE} SET revoked_at = coalesce(revoked_at, ?2) WHERE id = ?1"
                ),
                params![id, format_time(&at)],
            )?;
            if n == 0 {
                return Err(StoreError::Missing(format!("no API token with id {id:?}")));
            }
            commit(tx)
        })
        .await
    }

    async fn create_invitation(&self, invitation: &Invitation) -> Result<(), StoreError> {
        let inv = invitation.clone();
        self.write(move |_, tx| {
            let created_at = format_time(&inv.created_at);
            tx.execute(
                &format!(
                    "DELETE FROM {INVITATIONS_TABLE} WHERE used_at IS NULL AND expires_at < ?1"
                ),
                [&created_at],
            )?;
            let assets: Vec<&str> = inv.assets.iter().map(AssetId::as_str).collect();
            let assets = serde_json::to_string(&assets)
                .map_err(|e| StoreError::Other(format!("invitation assets as JSON: {e}")))?;
            tx.execute(
                &format!(
                    "INSERT INTO {INVITATIONS_TABLE} ({INVITATION_COLUMNS}) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
                ),
                params![
                    inv.id_hash,
                    assets,
                    inv.review,
                    inv.created_by,
                    created_at,
                    format_time(&inv.expires_at),
                    inv.used_at.as_ref().map(format_time),
                    inv.used_by,
                ],
            )
            .map_err(unique_is_conflict(
                "an invitation with this secret already exists".into(),
            ))?;
            commit(tx)
        })
        .await
    }

    async fn invitation(&self, id_hash: &str) -> Result<Option<Invitation>, StoreError> {
        let id_hash = id_hash.to_owned();
        self.read(move |_, conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {INVITATION_COLUMNS} FROM {INVITATIONS_TABLE} WHERE id_hash = ?1"
            ))?;
            let mut rows = stmt.query([&id_hash])?;
            rows.next()?.map(invitation_from_row).transpose()
        })
        .await
    }

    async fn accept_invitation(
        &self,
        id_hash: &str,
        account: &Account,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let id_hash = id_hash.to_owned();
        let account = account.clone();
        self.write(move |_, tx| {
            let used: Option<Option<String>> = tx
                .query_row(
                    &format!("SELECT used_at FROM {INVITATIONS_TABLE} WHERE id_hash = ?1"),
                    [&id_hash],
                    |r| r.get(0),
                )
                .optional()?;
            match used {
                None => return Err(StoreError::Missing("no such invitation".into())),
                Some(Some(_)) => {
                    return Err(StoreError::Conflict(
                        "the invitation has already been used".into(),
                    ))
                }
                Some(None) => {}
            }
            insert_account(&tx, &account)?;
            tx.execute(
                &format!(
                    "UPDATE {INVITATIONS_TABLE} SET used_at = ?2, used_by = ?3 WHERE id_hash = ?1"
                ),
                params![id_hash, format_time(&at), account.id],
            )?;
            commit(tx)
        })
        .await
    }

    async fn set_feed(&self, account: &str, secret_hash: Option<&str>) -> Result<(), StoreError> {
        let account = account.to_owned();
        let secret_hash = secret_hash.map(str::to_owned);
        self.write(move |_, tx| {
            let n = tx
                .execute(
                    &format!("UPDATE {ACCOUNTS_TABLE} SET feed_hash = ?2 WHERE id = ?1"),
                    params![account, secret_hash],
                )
                .map_err(unique_is_conflict(
                    "another account has a feed link with this secret".into(),
                ))?;
            if n == 0 {
                return Err(no_account(&account));
            }
            commit(tx)
        })
        .await
    }

    async fn account_by_feed(&self, secret_hash: &str) -> Result<Option<Account>, StoreError> {
        let secret_hash = secret_hash.to_owned();
        self.read(move |_, conn| {
            Ok(load_accounts(conn, "feed_hash = ?1", Some(&secret_hash))?.pop())
        })
        .await
    }

    async fn propose(&self, asset: &Asset, by: &str, at: DateTime<Utc>) -> Result<u64, StoreError> {
        let asset = asset.clone();
        let by = by.to_owned();
        self.write(move |_, tx| {
            let stored = tx
                .query_row(
                    &format!("SELECT 1 FROM {} WHERE asset_id = ?1", super::ASSETS_TABLE),
                    [asset.id.as_str()],
                    |_| Ok(()),
                )
                .optional()?
                .is_some();
            if !stored {
                return Err(StoreError::Missing(format!(
                    "no asset with id {}",
                    asset.id
                )));
            }
            let json = serde_json::to_string(&asset)
                .map_err(|e| StoreError::Other(format!("asset {} as JSON: {e}", asset.id)))?;
            tx.execute(
                &format!(
                    "INSERT INTO {PROPOSALS_TABLE} (asset_id, asset, by_account, at) \
                     VALUES (?1, ?2, ?3, ?4)"
                ),
                params![asset.id.as_str(), json, by, format_time(&at)],
            )?;
            let id = tx.last_insert_rowid();
            commit(tx)?;
            Ok(u64::try_from(id).unwrap_or(0))
        })
        .await
    }

    async fn proposal(&self, id: u64) -> Result<Option<Proposal>, StoreError> {
        let Ok(key) = i64::try_from(id) else {
            return Ok(None);
        };
        self.read(move |_, conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {PROPOSAL_COLUMNS} FROM {PROPOSALS_TABLE} WHERE id = ?1"
            ))?;
            let mut rows = stmt.query([key])?;
            rows.next()?.map(proposal_from_row).transpose()
        })
        .await
    }

    async fn proposals(
        &self,
        asset: Option<&AssetId>,
        waiting_only: bool,
    ) -> Result<Vec<Proposal>, StoreError> {
        let asset = asset.map(|a| a.as_str().to_owned());
        self.read(move |_, conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {PROPOSAL_COLUMNS} FROM {PROPOSALS_TABLE} \
                 WHERE (?1 IS NULL OR asset_id = ?1) AND (NOT ?2 OR decided_at IS NULL) \
                 ORDER BY id"
            ))?;
            let mut rows = stmt.query(params![asset, waiting_only])?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                out.push(proposal_from_row(row)?);
            }
            Ok(out)
        })
        .await
    }

    async fn reject_proposal(
        &self,
        id: u64,
        by: Option<&str>,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let by = by.map(str::to_owned);
        let reason = reason.to_owned();
        self.write(move |_, tx| {
            let key = proposal_key(id)?;
            let decided_at: Option<Option<String>> = tx
                .query_row(
                    &format!("SELECT decided_at FROM {PROPOSALS_TABLE} WHERE id = ?1"),
                    [key],
                    |r| r.get(0),
                )
                .optional()?;
            match decided_at {
                None => return Err(no_proposal(id)),
                Some(Some(_)) => return Err(decided(id)),
                Some(None) => {}
            }
            tx.execute(
                &format!(
                    "UPDATE {PROPOSALS_TABLE} SET accepted = 0, decided_by = ?2, \
                     decided_at = ?3, reason = ?4 WHERE id = ?1"
                ),
                params![key, by, format_time(&at), reason],
            )?;
            commit(tx)
        })
        .await
    }
}
