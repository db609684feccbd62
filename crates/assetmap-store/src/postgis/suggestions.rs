//! [`SuggestionStore`] for the PostGIS store: the table `suggestions` of
//! `migrations/0005_suggestions.sql`. Every call is one transaction (or one statement), bounded
//! like the asset calls ([`crate::Timeouts::call`]).

use super::errors::{from_pg, from_pg_commit};
use super::PostgisStore;
use crate::accounts::Decision;
use crate::suggestions::{
    check_acceptance, NewSuggestion, Suggestion, SuggestionKind, SuggestionQuery,
};
use crate::{StoreError, SuggestionStore, Write};
use assetmap_core::AssetId;
use chrono::{DateTime, Utc};
use deadpool_postgres::Transaction;
use tokio_postgres::Row;

/// Accepts suggestion `id` inside a write's transaction ([`crate::AssetStore::apply`] with
/// [`assetmap_core::Via::Suggestion`]): locks it, `Missing` if there is none, `Conflict` if it
/// was decided or `write` is not what accepting it takes (an insert for a new place, a
/// replacement of its asset otherwise). Marks it accepted by `by` at `now()`, and records the
/// asset written (for a new place, the asset it made).
pub(super) async fn accept_suggestion(
    tx: &Transaction<'_>,
    id: u64,
    write: Write<'_>,
    by: Option<&str>,
) -> Result<(), StoreError> {
    let key = i64::try_from(id).map_err(|_| no_suggestion(id))?;
    let row = tx
        .query_opt(
            "SELECT kind, asset_id, decided_at IS NOT NULL FROM suggestions \
             WHERE id = $1 FOR UPDATE",
            &[&key],
        )
        .await
        .map_err(from_pg)?
        .ok_or_else(|| no_suggestion(id))?;
    if row.get::<_, bool>(2) {
        return Err(decided(id));
    }
    let kind = SuggestionKind::parse(row.get(0)).map_err(bad)?;
    let asset_id: Option<&str> = row.get(1);
    check_acceptance(id, kind, asset_id, write)?;
    tx.execute(
        "UPDATE suggestions SET accepted = true, decided_by = $2, decided_at = now(), \
         asset_id = $3 WHERE id = $1",
        &[&key, &by, &write.id().as_str()],
    )
    .await
    .map_err(from_pg)?;
    Ok(())
}

fn no_suggestion(id: u64) -> StoreError {
    StoreError::Missing(format!("no suggestion {id}"))
}

fn decided(id: u64) -> StoreError {
    StoreError::Conflict(format!("suggestion {id} has already been decided"))
}

fn bad(what: impl std::fmt::Display) -> StoreError {
    StoreError::Schema(format!("suggestions: {what}"))
}

const SUGGESTION_COLUMNS: &str = "id, kind, asset_id, base_version, changes, note, contact, at, \
     accepted, decided_by, decided_at, reason";

fn suggestion_from_row(row: &Row) -> Result<Suggestion, StoreError> {
    let unreadable = |e: tokio_postgres::Error| bad(format!("cannot read a row: {e}"));
    let id: i64 = row.try_get(0).map_err(unreadable)?;
    let kind: &str = row.try_get(1).map_err(unreadable)?;
    let asset_id: Option<&str> = row.try_get(2).map_err(unreadable)?;
    let base_version: Option<i64> = row.try_get(3).map_err(unreadable)?;
    let accepted: Option<bool> = row.try_get(8).map_err(unreadable)?;
    let decided_at: Option<DateTime<Utc>> = row.try_get(10).map_err(unreadable)?;
    Ok(Suggestion {
        id: u64::try_from(id).map_err(|_| bad(format!("id {id}")))?,
        kind: SuggestionKind::parse(kind).map_err(bad)?,
        asset: asset_id
            .map(|a| {
                AssetId::parse(a)
                    .map_err(|e| bad(format!("suggestion {id}'s asset id {a:?}: {}", e.problem)))
            })
            .transpose()?,
        base_version: base_version
            .map(|v| u64::try_from(v).map_err(|_| bad(format!("suggestion {id}'s version {v}"))))
            .transpose()?,
        changes: row.try_get(4).map_err(unreadable)?,
        note: row.try_get(5).map_err(unreadable)?,
        contact: row.try_get(6).map_err(unreadable)?,
        at: row.try_get(7).map_err(unreadable)?,
        decision: match decided_at {
            Some(at) => Some(Decision {
                accepted: accepted.unwrap_or(false),
                by: row.try_get(9).map_err(unreadable)?,
                at,
                reason: row.try_get(11).map_err(unreadable)?,
            }),
            None => None,
        },
    })
}

#[async_trait::async_trait]
impl SuggestionStore for PostgisStore {
    async fn add_suggestion(&self, suggestion: &NewSuggestion) -> Result<u64, StoreError> {
        let base_version = suggestion
            .base_version
            .map(|v| {
                i64::try_from(v)
                    .map_err(|_| StoreError::Other(format!("base version {v} is too large")))
            })
            .transpose()?;
        let asset = suggestion.asset.as_ref().map(AssetId::as_str);
        self.bounded(async {
            let client = self.client().await?;
            let row = client
                .query_one(
                    "INSERT INTO suggestions \
                     (kind, asset_id, base_version, changes, note, contact, at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                    &[
                        &suggestion.kind.as_str(),
                        &asset,
                        &base_version,
                        &suggestion.changes,
                        &suggestion.note,
                        &suggestion.contact,
                        &suggestion.at,
                    ],
                )
                .await
                .map_err(from_pg_commit)?;
            Ok(u64::try_from(row.get::<_, i64>(0)).unwrap_or(0))
        })
        .await
    }

    async fn suggestion(&self, id: u64) -> Result<Option<Suggestion>, StoreError> {
        let Ok(key) = i64::try_from(id) else {
            return Ok(None);
        };
        self.bounded(async {
            let client = self.client().await?;
            let row = client
                .query_opt(
                    &format!("SELECT {SUGGESTION_COLUMNS} FROM suggestions WHERE id = $1"),
                    &[&key],
                )
                .await
                .map_err(from_pg)?;
            row.map(|r| suggestion_from_row(&r)).transpose()
        })
        .await
    }

    async fn suggestions(&self, query: SuggestionQuery<'_>) -> Result<Vec<Suggestion>, StoreError> {
        let asset = query.asset.map(AssetId::as_str);
        self.bounded(async {
            let client = self.client().await?;
            let rows = client
                .query(
                    &format!(
                        "SELECT {SUGGESTION_COLUMNS} FROM suggestions \
                         WHERE ($1::text IS NULL OR asset_id = $1) \
                         AND (NOT $2 OR decided_at IS NULL) ORDER BY id"
                    ),
                    &[&asset, &query.waiting_only],
                )
                .await
                .map_err(from_pg)?;
            rows.iter().map(suggestion_from_row).collect()
        })
        .await
    }

    async fn waiting_suggestions(&self) -> Result<(u64, Option<DateTime<Utc>>), StoreError> {
        self.bounded(async {
            let client = self.client().await?;
            let row = client
                .query_one(
                    "SELECT count(*), min(at) FROM suggestions WHERE decided_at IS NULL",
                    &[],
                )
                .await
                .map_err(from_pg)?;
            let count: i64 = row.get(0);
            Ok((u64::try_from(count).unwrap_or(0), row.get(1)))
        })
        .await
    }

    async fn reject_suggestion(
        &self,
        id: u64,
        by: Option<&str>,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let key = i64::try_from(id).map_err(|_| no_suggestion(id))?;
        self.bounded(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await.map_err(from_pg)?;
            let row = tx
                .query_opt(
                    "SELECT decided_at IS NOT NULL FROM suggestions WHERE id = $1 FOR UPDATE",
                    &[&key],
                )
                .await
                .map_err(from_pg)?
                .ok_or_else(|| no_suggestion(id))?;
            if row.get::<_, bool>(0) {
                return Err(decided(id));
            }
            tx.execute(
                "UPDATE suggestions SET accepted = false, decided_by = $2, decided_at = $3, \
                 reason = $4 WHERE id = $1",
                &[&key, &by, &at, &reason],
            )
            .await
            .map_err(from_pg)?;
            tx.commit().await.map_err(from_pg_commit)
        })
        .await
    }

    async fn erase_contacts(&self, decided_before: DateTime<Utc>) -> Result<u64, StoreError> {
        self.bounded(async {
            let client = self.client().await?;
            client
                .execute(
                    "UPDATE suggestions SET contact = NULL \
                     WHERE contact IS NOT NULL AND decided_at < $1",
                    &[&decided_before],
                )
                .await
                .map_err(from_pg_commit)
        })
        .await
    }
}
