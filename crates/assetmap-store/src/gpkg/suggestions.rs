//! [`SuggestionStore`] for the GeoPackage store: the internal table `assetmap_suggestions`
//! (not a layer, not registered in `gpkg_contents`), made by schema version 5. Times are in
//! the file's time format ([`format_time`]: fixed-width ISO 8601 UTC, so text order is time
//! order); `changes` is the JSON text of what was suggested. Every call is one transaction,
//! through the store's reader or writer connection.

use super::sql::{commit, format_time, parse_time};
use super::GeoPackageStore;
use crate::accounts::Decision;
use crate::suggestions::{
    check_acceptance, NewSuggestion, Suggestion, SuggestionKind, SuggestionQuery,
};
use crate::{StoreError, SuggestionStore, Write};
use assetmap_core::AssetId;
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Transaction};

/// Suggestions from the public.
pub const SUGGESTIONS_TABLE: &str = "assetmap_suggestions";

/// Schema version 5's suggestions table (see [`crate::suggestions`]). Decided when
/// `decided_at` is set; `accepted` says how. Indexed by asset, and by `decided_at` for
/// erasing contacts.
pub(super) fn create_table(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch(&format!(
        "CREATE TABLE {SUGGESTIONS_TABLE} (
            id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('change', 'closed', 'new')),
            asset_id TEXT,
            base_version INTEGER,
            changes TEXT NOT NULL,
            note TEXT NOT NULL,
            contact TEXT,
            at TEXT NOT NULL,
            accepted INTEGER,
            decided_by TEXT,
            decided_at TEXT,
            reason TEXT
        );
        CREATE INDEX {SUGGESTIONS_TABLE}_asset ON {SUGGESTIONS_TABLE} (asset_id);
        CREATE INDEX {SUGGESTIONS_TABLE}_decided ON {SUGGESTIONS_TABLE} (decided_at);"
    ))?;
    Ok(())
}

/// Accepts suggestion `id` inside a write's transaction ([`crate::AssetStore::apply`] with
/// [`assetmap_core::Via::Suggestion`]): `Missing` if there is none, `Conflict` if it was
/// decided or `write` is not what accepting it takes (an insert for a new place, a
/// replacement of its asset otherwise). Marks it accepted by `by` at `now`, and records the
/// asset written (for a new place, the asset it made).
pub(super) fn accept_suggestion(
    tx: &Transaction<'_>,
    id: u64,
    write: Write<'_>,
    by: Option<&str>,
    now: &str,
) -> Result<(), StoreError> {
    let key = suggestion_key(id)?;
    let found: Option<(String, Option<String>, Option<String>)> = tx
        .query_row(
            &format!("SELECT kind, asset_id, decided_at FROM {SUGGESTIONS_TABLE} WHERE id = ?1"),
            [key],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((kind, asset_id, decided_at)) = found else {
        return Err(no_suggestion(id));
    };
    if decided_at.is_some() {
        return Err(decided(id));
    }
    let kind = SuggestionKind::parse(&kind).map_err(bad)?;
    check_acceptance(id, kind, asset_id.as_deref(), write)?;
    tx.execute(
        &format!(
            "UPDATE {SUGGESTIONS_TABLE} SET accepted = 1, decided_by = ?2, decided_at = ?3, \
             asset_id = ?4 WHERE id = ?1"
        ),
        params![key, by, now, write.id().as_str()],
    )?;
    Ok(())
}

fn suggestion_key(id: u64) -> Result<i64, StoreError> {
    i64::try_from(id).map_err(|_| no_suggestion(id))
}

fn no_suggestion(id: u64) -> StoreError {
    StoreError::Missing(format!("no suggestion {id}"))
}

fn decided(id: u64) -> StoreError {
    StoreError::Conflict(format!("suggestion {id} has already been decided"))
}

fn bad(what: impl std::fmt::Display) -> StoreError {
    StoreError::Schema(format!("{SUGGESTIONS_TABLE}: {what}"))
}

fn opt_time(column: &str, t: Option<String>) -> Result<Option<DateTime<Utc>>, StoreError> {
    t.map(|t| parse_time(SUGGESTIONS_TABLE, column, &t))
        .transpose()
}

const SUGGESTION_COLUMNS: &str = "id, kind, asset_id, base_version, changes, note, contact, at, \
     accepted, decided_by, decided_at, reason";

fn suggestion_from_row(row: &rusqlite::Row<'_>) -> Result<Suggestion, StoreError> {
    let id: i64 = row.get(0)?;
    let kind: String = row.get(1)?;
    let asset_id: Option<String> = row.get(2)?;
    let base_version: Option<i64> = row.get(3)?;
    let changes: String = row.get(4)?;
    let at: String = row.get(7)?;
    let accepted: Option<bool> = row.get(8)?;
    let decided_at = opt_time("decided_at", row.get(10)?)?;
    Ok(Suggestion {
        id: u64::try_from(id).map_err(|_| bad(format!("id {id}")))?,
        kind: SuggestionKind::parse(&kind).map_err(bad)?,
        asset: asset_id
            .map(|a| {
                AssetId::parse(&a)
                    .map_err(|e| bad(format!("suggestion {id}'s asset id {a:?}: {}", e.problem)))
            })
            .transpose()?,
        base_version: base_version
            .map(|v| u64::try_from(v).map_err(|_| bad(format!("suggestion {id}'s version {v}"))))
            .transpose()?,
        changes: serde_json::from_str(&changes)
            .map_err(|e| bad(format!("suggestion {id}'s changes: {e}")))?,
        note: row.get(5)?,
        contact: row.get(6)?,
        at: parse_time(SUGGESTIONS_TABLE, "at", &at)?,
        decision: match decided_at {
            Some(at) => Some(Decision {
                accepted: accepted.unwrap_or(false),
                by: row.get(9)?,
                at,
                reason: row.get(11)?,
            }),
            None => None,
        },
    })
}

#[async_trait::async_trait]
impl SuggestionStore for GeoPackageStore {
    async fn add_suggestion(&self, suggestion: &NewSuggestion) -> Result<u64, StoreError> {
        let s = suggestion.clone();
        let changes = serde_json::to_string(&s.changes)
            .map_err(|e| StoreError::Other(format!("suggestion changes as JSON: {e}")))?;
        let base_version = s
            .base_version
            .map(|v| {
                i64::try_from(v)
                    .map_err(|_| StoreError::Other(format!("base version {v} is too large")))
            })
            .transpose()?;
        self.write(move |_, tx| {
            tx.execute(
                &format!(
                    "INSERT INTO {SUGGESTIONS_TABLE} \
                     (kind, asset_id, base_version, changes, note, contact, at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
                ),
                params![
                    s.kind.as_str(),
                    s.asset.as_ref().map(AssetId::as_str),
                    base_version,
                    changes,
                    s.note,
                    s.contact,
                    format_time(&s.at),
                ],
            )?;
            let id = tx.last_insert_rowid();
            commit(tx)?;
            Ok(u64::try_from(id).unwrap_or(0))
        })
        .await
    }

    async fn suggestion(&self, id: u64) -> Result<Option<Suggestion>, StoreError> {
        let Ok(key) = i64::try_from(id) else {
            return Ok(None);
        };
        self.read(move |_, conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {SUGGESTION_COLUMNS} FROM {SUGGESTIONS_TABLE} WHERE id = ?1"
            ))?;
            let mut rows = stmt.query([key])?;
            rows.next()?.map(suggestion_from_row).transpose()
        })
        .await
    }

    async fn suggestions(&self, query: SuggestionQuery<'_>) -> Result<Vec<Suggestion>, StoreError> {
        let asset = query.asset.map(|a| a.as_str().to_owned());
        let waiting_only = query.waiting_only;
        self.read(move |_, conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {SUGGESTION_COLUMNS} FROM {SUGGESTIONS_TABLE} \
                 WHERE (?1 IS NULL OR asset_id = ?1) AND (NOT ?2 OR decided_at IS NULL) \
                 ORDER BY id"
            ))?;
            let mut rows = stmt.query(params![asset, waiting_only])?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                out.push(suggestion_from_row(row)?);
            }
            Ok(out)
        })
        .await
    }

    async fn waiting_suggestions(&self) -> Result<(u64, Option<DateTime<Utc>>), StoreError> {
        self.read(|_, conn| {
            let (count, oldest): (i64, Option<String>) = conn.query_row(
                &format!(
                    "SELECT count(*), min(at) FROM {SUGGESTIONS_TABLE} WHERE decided_at IS NULL"
                ),
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            Ok((u64::try_from(count).unwrap_or(0), opt_time("at", oldest)?))
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
        let by = by.map(str::to_owned);
        let reason = reason.to_owned();
        self.write(move |_, tx| {
            let key = suggestion_key(id)?;
            let decided_at: Option<Option<String>> = tx
                .query_row(
                    &format!("SELECT decided_at FROM {SUGGESTIONS_TABLE} WHERE id = ?1"),
                    [key],
                    |r| r.get(0),
                )
                .optional()?;
            match decided_at {
                None => return Err(no_suggestion(id)),
                Some(Some(_)) => return Err(decided(id)),
                Some(None) => {}
            }
            tx.execute(
                &format!(
                    "UPDATE {SUGGESTIONS_TABLE} SET accepted = 0, decided_by = ?2, \
                     decided_at = ?3, reason = ?4 WHERE id = ?1"
                ),
                params![key, by, format_time(&at), reason],
            )?;
            commit(tx)
        })
        .await
    }

    async fn erase_contacts(&self, decided_before: DateTime<Utc>) -> Result<u64, StoreError> {
        let before = format_time(&decided_before);
        self.write(move |_, tx| {
            let n = tx.execute(
                &format!(
                    "UPDATE {SUGGESTIONS_TABLE} SET contact = NULL \
                     WHERE contact IS NOT NULL AND decided_at < ?1"
                ),
                [&before],
            )?;
            commit(tx)?;
            Ok(u64::try_from(n).unwrap_or(u64::MAX))
        })
        .await
    }
}
