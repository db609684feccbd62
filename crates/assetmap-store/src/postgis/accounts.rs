//! [`AccountStore`] for the PostGIS store: the tables of `migrations/0004_accounts_history.sql`.
//! Every call is one transaction (or one statement), bounded like the asset calls
//! ([`crate::Timeouts::call`]).

use super::errors::{from_pg, from_pg_commit, UNIQUE_VIOLATION};
use super::PostgisStore;
use crate::accounts::{
    Account, AccountChange, AccountStore, ApiToken, Decision, Invitation, Proposal, Session,
    Stewardship,
};
use crate::StoreError;
use assetmap_core::{Asset, AssetId, Role};
use chrono::{DateTime, Utc};
use deadpool_postgres::Transaction;
use tokio_postgres::{GenericClient, Row};

/// Accepts proposal `id` inside a write's transaction ([`crate::AssetStore::apply`] with
/// [`assetmap_core::Via::Review`]): locks it, `Missing` if there is none, `Conflict` if it was
/// decided or the write is not a replacement (`replaces`) of its asset. Marks it accepted by
/// `by` at `now()`.
pub(super) async fn accept_proposal(
    tx: &Transaction<'_>,
    id: u64,
    replaces: Option<&AssetId>,
    by: Option<&str>,
) -> Result<(), StoreError> {
    let key = i64::try_from(id).map_err(|_| no_proposal(id))?;
    let row = tx
        .query_opt(
            "SELECT asset_id, decided_at IS NOT NULL FROM proposals WHERE id = $1 FOR UPDATE",
            &[&key],
        )
        .await
        .map_err(from_pg)?
        .ok_or_else(|| no_proposal(id))?;
    let asset_id: String = row.get(0);
    if row.get::<_, bool>(1) {
        return Err(decided(id));
    }
    if replaces.map(AssetId::as_str) != Some(asset_id.as_str()) {
        return Err(StoreError::Conflict(format!(
            "proposal {id} is for asset {asset_id}: accepting it must replace that asset"
        )));
    }
    tx.execute(
        "UPDATE proposals SET accepted = true, decided_by = $2, decided_at = now() WHERE id = $1",
        &[&key, &by],
    )
    .await
    .map_err(from_pg)?;
    Ok(())
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

/// A unique violation as [`StoreError::Conflict`] (`what` is told the constraint's name); any
/// other error as usual.
fn conflict_on_unique(
    e: tokio_postgres::Error,
    what: impl FnOnce(Option<&str>) -> String,
) -> StoreError {
    if let Some(db) = e.as_db_error() {
        if db.code().code() == UNIQUE_VIOLATION {
            return StoreError::Conflict(what(db.constraint()));
        }
    }
    from_pg(e)
}

fn unreadable(table: &str) -> impl Fn(tokio_postgres::Error) -> StoreError + '_ {
    move |e| StoreError::Schema(format!("cannot read a row of {table}: {e}"))
}

fn role(table: &str, text: &str) -> Result<Role, StoreError> {
    Role::parse(text).map_err(|e| StoreError::Schema(format!("{table}: {e}")))
}

fn asset_id(table: &str, text: &str) -> Result<AssetId, StoreError> {
    AssetId::parse(text)
        .map_err(|e| StoreError::Schema(format!("{table}: asset id {text:?}: {}", e.problem)))
}

const ACCOUNT_COLUMNS: &str = "id, email, name, role, disabled, password_hash, created_at";

/// The accounts `filter` (an SQL condition on `$1`, or `true` for all) selects, by e-mail
/// address, each with its stewardships.
async fn load_accounts(
    client: &impl GenericClient,
    filter: &str,
    param: Option<&str>,
) -> Result<Vec<Account>, StoreError> {
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE {filter} ORDER BY email");
    let rows = match param {
        Some(p) => client.query(&sql, &[&p]).await,
        None => client.query(&sql, &[]).await,
    }
    .map_err(from_pg)?;
    let bad = unreadable("accounts");
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let id: String = row.try_get(0).map_err(&bad)?;
        let steward_rows = client
            .query(
                "SELECT asset_id, review FROM stewardships WHERE account = $1 ORDER BY asset_id",
                &[&id],
            )
            .await
            .map_err(from_pg)?;
        let stewardships = steward_rows
            .iter()
            .map(|r| {
                Ok(Stewardship {
                    asset: asset_id("stewardships", r.get(0))?,
                    review: r.get(1),
                })
            })
            .collect::<Result<_, StoreError>>()?;
        out.push(Account {
            id,
            email: row.try_get(1).map_err(&bad)?,
            name: row.try_get(2).map_err(&bad)?,
            role: role("accounts", row.try_get(3).map_err(&bad)?)?,
            disabled: row.try_get(4).map_err(&bad)?,
            password_hash: row.try_get(5).map_err(&bad)?,
            created_at: row.try_get(6).map_err(&bad)?,
            stewardships,
        });
    }
    Ok(out)
}

/// Adds `account` and its stewardships, its e-mail address lower-cased; `Conflict` if the id
/// or the address is taken.
async fn insert_account(tx: &Transaction<'_>, account: &Account) -> Result<(), StoreError> {
    let email = account.email.to_lowercase();
    tx.execute(
        &format!("INSERT INTO accounts ({ACCOUNT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"),
        &[
            &account.id,
            &email,
            &account.name,
            &account.role.as_str(),
            &account.disabled,
            &account.password_hash,
            &account.created_at,
        ],
    )
    .await
    .map_err(|e| {
        conflict_on_unique(e, |constraint| match constraint {
            Some("accounts_pkey") => format!("an account with id {:?} already exists", account.id),
            _ => format!("an account with e-mail {email} already exists"),
        })
    })?;
    for s in &account.stewardships {
        tx.execute(
            "INSERT INTO stewardships (account, asset_id, review) VALUES ($1, $2, $3) \
             ON CONFLICT (account, asset_id) DO UPDATE SET review = EXCLUDED.review",
            &[&account.id, &s.asset.as_str(), &s.review],
        )
        .await
        .map_err(from_pg)?;
    }
    Ok(())
}

const SESSION_COLUMNS: &str = "id_hash, account, csrf_token, created_at, expires_at";

const TOKEN_COLUMNS: &str =
    "id, name, role, account, secret_hash, created_at, expires_at, revoked_at";

fn token_from_row(row: &Row) -> Result<ApiToken, StoreError> {
    let bad = unreadable("api_tokens");
    Ok(ApiToken {
        id: row.try_get(0).map_err(&bad)?,
        name: row.try_get(1).map_err(&bad)?,
        role: role("api_tokens", row.try_get(2).map_err(&bad)?)?,
        account: row.try_get(3).map_err(&bad)?,
        secret_hash: row.try_get(4).map_err(&bad)?,
        created_at: row.try_get(5).map_err(&bad)?,
        expires_at: row.try_get(6).map_err(&bad)?,
        revoked_at: row.try_get(7).map_err(&bad)?,
    })
}

const INVITATION_COLUMNS: &str =
    "id_hash, assets, review, created_by, created_at, expires_at, used_at, used_by";

fn invitation_from_row(row: &Row) -> Result<Invitation, StoreError> {
    let bad = unreadable("invitations");
    let assets: Vec<String> = row.try_get(1).map_err(&bad)?;
    Ok(Invitation {
        id_hash: row.try_get(0).map_err(&bad)?,
        assets: assets
            .iter()
            .map(|a| asset_id("invitations", a))
            .collect::<Result<_, _>>()?,
        review: row.try_get(2).map_err(&bad)?,
        created_by: row.try_get(3).map_err(&bad)?,
        created_at: row.try_get(4).map_err(&bad)?,
        expires_at: row.try_get(5).map_err(&bad)?,
        used_at: row.try_get(6).map_err(&bad)?,
        used_by: row.try_get(7).map_err(&bad)?,
    })
}

const PROPOSAL_COLUMNS: &str =
    "id, asset, by_account, at, accepted, decided_by, decided_at, reason";

fn proposal_from_row(row: &Row) -> Result<Proposal, StoreError> {
    let bad = unreadable("proposals");
    let id: i64 = row.try_get(0).map_err(&bad)?;
    let asset: serde_json::Value = row.try_get(1).map_err(&bad)?;
    let accepted: Option<bool> = row.try_get(4).map_err(&bad)?;
    let decided_at: Option<DateTime<Utc>> = row.try_get(6).map_err(&bad)?;
    Ok(Proposal {
        id: u64::try_from(id).map_err(|_| StoreError::Schema(format!("proposals: id {id}")))?,
        asset: serde_json::from_value::<Asset>(asset)
            .map_err(|e| StoreError::Schema(format!("proposal {id}'s asset: {e}")))?,
        by: row.try_get(2).map_err(&bad)?,
        at: row.try_get(3).map_err(&bad)?,
        decision: match decided_at {
            Some(at) => Some(Decision {
                accepted: accepted.unwrap_or(false),
                by: row.try_get(5).map_err(&bad)?,
                at,
                reason: row.try_get(7).map_err(&bad)?,
            }),
            None => None,
        },
    })
}

#[async_trait::async_trait]
impl AccountStore for PostgisStore {
    async fn add_account(&self, account: &Account) -> Result<(), StoreError> {
        self.bounded(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await.map_err(from_pg)?;
            insert_account(&tx, account).await?;
            tx.commit().await.map_err(from_pg_commit)
        })
        .await
    }

    async fn account(&self, id: &str) -> Result<Option<Account>, StoreError> {
        self.bounded(async {
            let mut client = self.client().await?;
            // One snapshot for the account and its stewardships.
            let tx = client.transaction().await.map_err(from_pg)?;
            let found = load_accounts(&*tx, "id = $1", Some(id)).await?.pop();
            tx.commit().await.map_err(from_pg)?;
            Ok(found)
        })
        .await
    }

    async fn account_by_email(&self, email: &str) -> Result<Option<Account>, StoreError> {
        let email = email.to_lowercase();
        self.bounded(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await.map_err(from_pg)?;
            let found = load_accounts(&*tx, "email = $1", Some(&email)).await?.pop();
            tx.commit().await.map_err(from_pg)?;
            Ok(found)
        })
        .await
    }

    async fn accounts(&self) -> Result<Vec<Account>, StoreError> {
        self.bounded(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await.map_err(from_pg)?;
            let found = load_accounts(&*tx, "true", None).await?;
            tx.commit().await.map_err(from_pg)?;
            Ok(found)
        })
        .await
    }

    async fn update_account(&self, id: &str, change: &AccountChange) -> Result<(), StoreError> {
        self.bounded(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await.map_err(from_pg)?;
            let n = match change {
                AccountChange::Disabled(d) => {
                    tx.execute("UPDATE accounts SET disabled = $2 WHERE id = $1", &[&id, d])
                        .await
                }
                AccountChange::PasswordHash(h) => {
                    tx.execute(
                        "UPDATE accounts SET password_hash = $2 WHERE id = $1",
                        &[&id, h],
                    )
                    .await
                }
                AccountChange::Role(r) => {
                    tx.execute(
                        "UPDATE accounts SET role = $2 WHERE id = $1",
                        &[&id, &r.as_str()],
                    )
                    .await
                }
                AccountChange::Name(n) => {
                    tx.execute("UPDATE accounts SET name = $2 WHERE id = $1", &[&id, n])
                        .await
                }
            }
            .map_err(from_pg)?;
            if n == 0 {
                return Err(no_account(id));
            }
            if matches!(
                change,
                AccountChange::Disabled(true) | AccountChange::PasswordHash(_)
            ) {
                tx.execute("DELETE FROM sessions WHERE account = $1", &[&id])
                    .await
                    .map_err(from_pg)?;
            }
            if *change == AccountChange::Disabled(true) {
                tx.execute(
                    "UPDATE api_tokens SET revoked_at = now() \
                     WHERE account = $1 AND revoked_at IS NULL",
                    &[&id],
                )
                .await
                .map_err(from_pg)?;
            }
            tx.commit().await.map_err(from_pg_commit)
        })
        .await
    }

    async fn set_stewardship(
        &self,
        account: &str,
        asset: &AssetId,
        review: Option<bool>,
    ) -> Result<(), StoreError> {
        self.bounded(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await.map_err(from_pg)?;
            let exists = tx
                .query_opt(
                    "SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE",
                    &[&account],
                )
                .await
                .map_err(from_pg)?
                .is_some();
            if !exists {
                return Err(no_account(account));
            }
            match review {
                Some(review) => tx
                    .execute(
                        "INSERT INTO stewardships (account, asset_id, review) VALUES ($1, $2, $3) \
                         ON CONFLICT (account, asset_id) DO UPDATE SET review = EXCLUDED.review",
                        &[&account, &asset.as_str(), &review],
                    )
                    .await
                    .map_err(from_pg)?,
                None => tx
                    .execute(
                        "DELETE FROM stewardships WHERE account = $1 AND asset_id = $2",
                        &[&account, &asset.as_str()],
                    )
                    .await
                    .map_err(from_pg)?,
            };
            tx.commit().await.map_err(from_pg_commit)
        })
        .await
    }

    async fn create_session(&self, session: &Session) -> Result<(), StoreError> {
        self.bounded(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await.map_err(from_pg)?;
            tx.execute(
                "DELETE FROM sessions WHERE expires_at < $1",
                &[&session.created_at],
            )
            .await
            .map_err(from_pg)?;
            tx.execute(
                &format!("INSERT INTO sessions ({SESSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5)"),
                &[
                    &session.id_hash,
                    &session.account,
                    &session.csrf_token,
                    &session.created_at,
                    &session.expires_at,
                ],
            )
            .await
            .map_err(|e| {
                conflict_on_unique(e, |_| "a session with this id already exists".into())
            })?;
            tx.commit().await.map_err(from_pg_commit)
        })
        .await
    }

    async fn session(&self, id_hash: &str) -> Result<Option<Session>, StoreError> {
        self.bounded(async {
            let client = self.client().await?;
            let row = client
                .query_opt(
                    &format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE id_hash = $1"),
                    &[&id_hash],
                )
                .await
                .map_err(from_pg)?;
            let bad = unreadable("sessions");
            row.map(|row| {
                Ok(Session {
                    id_hash: row.try_get(0).map_err(&bad)?,
                    account: row.try_get(1).map_err(&bad)?,
                    csrf_token: row.try_get(2).map_err(&bad)?,
                    created_at: row.try_get(3).map_err(&bad)?,
                    expires_at: row.try_get(4).map_err(&bad)?,
                })
            })
            .transpose()
        })
        .await
    }

    async fn end_session(&self, id_hash: &str) -> Result<(), StoreError> {
        self.bounded(async {
            let client = self.client().await?;
            client
                .execute("DELETE FROM sessions WHERE id_hash = $1", &[&id_hash])
                .await
                .map_err(from_pg_commit)?;
            Ok(())
        })
        .await
    }

    async fn create_token(&self, token: &ApiToken) -> Result<(), StoreError> {
        self.bounded(async {
            let client = self.client().await?;
            client
                .execute(
                    &format!(
                        "INSERT INTO api_tokens ({TOKEN_COLUMNS}) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                    ),
                    &[
                        &token.id,
                        &token.name,
                        &token.role.as_str(),
                        &token.account,
                        &token.secret_hash,
                        &token.created_at,
                        &token.expires_at,
                        &token.revoked_at,
                    ],
                )
                .await
                .map_err(|e| {
                    conflict_on_unique(e, |_| {
                        format!(
                            "an API token with id {:?} or with this secret already exists",
                            token.id
                        )
                    })
                })?;
            Ok(())
        })
        .await
    }

    async fn token(&self, secret_hash: &str) -> Result<Option<ApiToken>, StoreError> {
        self.bounded(async {
            let client = self.client().await?;
            let row = client
                .query_opt(
                    &format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE secret_hash = $1"),
                    &[&secret_hash],
                )
                .await
                .map_err(from_pg)?;
            row.map(|r| token_from_row(&r)).transpose()
        })
        .await
    }

    async fn tokens(&self) -> Result<Vec<ApiToken>, StoreError> {
        self.bounded(async {
            let client = self.client().await?;
            let rows = client
                .query(
                    &format!(
                        "SELECT {TOKEN_COLUMNS} FROM api_tokens ORDER BY created_at DESC, id DESC"
                    ),
                    &[],
                )
                .await
                .map_err(from_pg)?;
            rows.iter().map(token_from_row).collect()
        })
        .await
    }

    async fn revoke_token(&self, id: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.bounded(async {
            let client = self.client().await?;
            let n = client
                .execute(
                    "UPDATE api_tokens SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1",
                    &[&id, &at],
                )
                .await
                .map_err(from_pg_commit)?;
            if n == 0 {
                return Err(StoreError::Missing(format!("no API token with id {id:?}")));
            }
            Ok(())
        })
        .await
    }

    async fn create_invitation(&self, invitation: &Invitation) -> Result<(), StoreError> {
        self.bounded(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await.map_err(from_pg)?;
            tx.execute(
                "DELETE FROM invitations WHERE used_at IS NULL AND expires_at < $1",
                &[&invitation.created_at],
            )
            .await
            .map_err(from_pg)?;
            let assets: Vec<&str> = invitation.assets.iter().map(AssetId::as_str).collect();
            tx.execute(
                &format!(
                    "INSERT INTO invitations ({INVITATION_COLUMNS}) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                ),
                &[
                    &invitation.id_hash,
                    &assets,
                    &invitation.review,
                    &invitation.created_by,
                    &invitation.created_at,
                    &invitation.expires_at,
                    &invitation.used_at,
                    &invitation.used_by,
                ],
            )
            .await
            .map_err(|e| {
                conflict_on_unique(e, |_| {
                    "an invitation with this secret already exists".into()
                })
            })?;
            tx.commit().await.map_err(from_pg_commit)
        })
        .await
    }

    async fn invitation(&self, id_hash: &str) -> Result<Option<Invitation>, StoreError> {
        self.bounded(async {
            let client = self.client().await?;
            let row = client
                .query_opt(
                    &format!("SELECT {INVITATION_COLUMNS} FROM invitations WHERE id_hash = $1"),
                    &[&id_hash],
                )
                .await
                .map_err(from_pg)?;
            row.map(|r| invitation_from_row(&r)).transpose()
        })
        .await
    }

    async fn accept_invitation(
        &self,
        id_hash: &str,
        account: &Account,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.bounded(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await.map_err(from_pg)?;
            let row = tx
                .query_opt(
                    "SELECT used_at IS NOT NULL FROM invitations WHERE id_hash = $1 FOR UPDATE",
                    &[&id_hash],
                )
                .await
                .map_err(from_pg)?
                .ok_or_else(|| StoreError::Missing("no such invitation".into()))?;
            if row.get::<_, bool>(0) {
                return Err(StoreError::Conflict(
                    "the invitation has already been used".into(),
                ));
            }
            insert_account(&tx, account).await?;
            tx.execute(
                "UPDATE invitations SET used_at = $2, used_by = $3 WHERE id_hash = $1",
                &[&id_hash, &at, &account.id],
            )
            .await
            .map_err(from_pg)?;
            tx.commit().await.map_err(from_pg_commit)
        })
        .await
    }

    async fn set_feed(&self, account: &str, secret_hash: Option<&str>) -> Result<(), StoreError> {
        self.bounded(async {
            let client = self.client().await?;
            let n = client
                .execute(
                    "UPDATE accounts SET feed_hash = $2 WHERE id = $1",
                    &[&account, &secret_hash],
                )
                .await
                .map_err(|e| {
                    let taken = e
                        .as_db_error()
                        .is_some_and(|db| db.code().code() == UNIQUE_VIOLATION);
                    if taken {
                        StoreError::Conflict(
                            "another account has a feed link with this secret".into(),
                        )
                    } else {
                        from_pg_commit(e)
                    }
                })?;
            if n == 0 {
                return Err(no_account(account));
            }
            Ok(())
        })
        .await
    }

    async fn account_by_feed(&self, secret_hash: &str) -> Result<Option<Account>, StoreError> {
        self.bounded(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await.map_err(from_pg)?;
            let found = load_accounts(&*tx, "feed_hash = $1", Some(secret_hash))
                .await?
                .pop();
            tx.commit().await.map_err(from_pg)?;
            Ok(found)
        })
        .await
    }

    async fn propose(&self, asset: &Asset, by: &str, at: DateTime<Utc>) -> Result<u64, StoreError> {
        let json = serde_json::to_value(asset)
            .map_err(|e| StoreError::Other(format!("asset {} as JSON: {e}", asset.id)))?;
        self.bounded(async {
            let client = self.client().await?;
            // One statement: kept only if the asset is stored.
            let row = client
                .query_opt(
                    "INSERT INTO proposals (asset_id, asset, by_account, at) \
                     SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM assets WHERE id = $1) \
                     RETURNING id",
                    &[&asset.id.as_str(), &json, &by, &at],
                )
                .await
                .map_err(from_pg_commit)?;
            match row {
                Some(row) => Ok(u64::try_from(row.get::<_, i64>(0)).unwrap_or(0)),
                None => Err(StoreError::Missing(format!(
                    "no asset with id {}",
                    asset.id
                ))),
            }
        })
        .await
    }

    async fn proposal(&self, id: u64) -> Result<Option<Proposal>, StoreError> {
        let Ok(key) = i64::try_from(id) else {
            return Ok(None);
        };
        self.bounded(async {
            let client = self.client().await?;
            let row = client
                .query_opt(
                    &format!("SELECT {PROPOSAL_COLUMNS} FROM proposals WHERE id = $1"),
                    &[&key],
                )
                .await
                .map_err(from_pg)?;
            row.map(|r| proposal_from_row(&r)).transpose()
        })
        .await
    }

    async fn proposals(
        &self,
        asset: Option<&AssetId>,
        waiting_only: bool,
    ) -> Result<Vec<Proposal>, StoreError> {
        let asset = asset.map(AssetId::as_str);
        self.bounded(async {
            let client = self.client().await?;
            let rows = client
                .query(
                    &format!(
                        "SELECT {PROPOSAL_COLUMNS} FROM proposals \
                         WHERE ($1::text IS NULL OR asset_id = $1) \
                         AND (NOT $2 OR decided_at IS NULL) ORDER BY id"
                    ),
                    &[&asset, &waiting_only],
                )
                .await
                .map_err(from_pg)?;
            rows.iter().map(proposal_from_row).collect()
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
        let key = i64::try_from(id).map_err(|_| no_proposal(id))?;
        self.bounded(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await.map_err(from_pg)?;
            let row = tx
                .query_opt(
                    "SELECT decided_at IS NOT NULL FROM proposals WHERE id = $1 FOR UPDATE",
                    &[&key],
                )
                .await
                .map_err(from_pg)?
                .ok_or_else(|| no_proposal(id))?;
            if row.get::<_, bool>(0) {
                return Err(decided(id));
            }
            tx.execute(
                "UPDATE proposals SET accepted = false, decided_by = $2, decided_at = $3, \
                 reason = $4 WHERE id = $1",
                &[&key, &by, &at, &reason],
            )
            .await
            .map_err(from_pg)?;
            tx.commit().await.map_err(from_pg_commit)
        })
        .await
    }
}
