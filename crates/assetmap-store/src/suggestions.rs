//! Suggestions from the public — "this has changed", "this has closed", "add a place we're
//! missing" — waiting for (or past) an editor's decision. Both stores keep them
//! ([`SuggestionStore`]), beside the assets.
//!
//! A suggestion holds only what the person chose to give: what should change, a note, and an
//! optional contact for following up. The contact is erased a set time after the suggestion
//! is decided ([`SuggestionStore::erase_contacts`]); the server decides when. What a suggestion
//! says is never written to an asset until an editor accepts it, through the same audited
//! write as any edit ([`crate::AssetStore::apply`] with [`assetmap_core::Via::Suggestion`]).

use crate::accounts::Decision;
use crate::{StoreError, Write};
use assetmap_core::AssetId;
use chrono::{DateTime, Utc};

/// What a suggestion is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SuggestionKind {
    /// Some details of a listed place are wrong or missing (or it has moved).
    Change,
    /// A listed place has closed.
    Closed,
    /// A place that is not listed yet.
    New,
}

impl SuggestionKind {
    /// Every kind.
    pub const ALL: [SuggestionKind; 3] = [
        SuggestionKind::Change,
        SuggestionKind::Closed,
        SuggestionKind::New,
    ];

    /// The name on the wire and in the store: `change`, `closed`, `new`.
    pub fn as_str(self) -> &'static str {
        match self {
            SuggestionKind::Change => "change",
            SuggestionKind::Closed => "closed",
            SuggestionKind::New => "new",
        }
    }

    /// Reads [`SuggestionKind::as_str`] back.
    pub fn parse(text: &str) -> Result<SuggestionKind, String> {
        SuggestionKind::ALL
            .into_iter()
            .find(|k| k.as_str() == text)
            .ok_or_else(|| {
                format!("{text:?} is not a kind of suggestion; use change, closed or new")
            })
    }
}

/// A suggestion as it is made, before the store numbers it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSuggestion {
    pub kind: SuggestionKind,
    /// The place it is about (`None` for [`SuggestionKind::New`]).
    pub asset: Option<AssetId>,
    /// The place's version when the suggestion was made (`None` for a new place), so that the
    /// review can say whether the place changed since.
    pub base_version: Option<u64>,
    /// What should change, as the server checked it: a JSON object with `properties` (the
    /// asset properties suggested, in the feature's wire names) and optionally `geometry` (a
    /// GeoJSON Point). The store keeps it as it is given.
    pub changes: serde_json::Value,
    /// What the person wrote to explain it (may be empty).
    pub note: String,
    /// How to reach the group or the suggester to follow up, if they gave it.
    pub contact: Option<String>,
    pub at: DateTime<Utc>,
}

/// A kept suggestion.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    /// Numbered by the store, from 1.
    pub id: u64,
    pub kind: SuggestionKind,
    /// The place it is about; for an accepted [`SuggestionKind::New`], the place it made.
    pub asset: Option<AssetId>,
    pub base_version: Option<u64>,
    pub changes: serde_json::Value,
    pub note: String,
    /// `None` when none was given, or once erased.
    pub contact: Option<String>,
    pub at: DateTime<Utc>,
    /// `None` while waiting.
    pub decision: Option<Decision>,
}

/// Which suggestions to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SuggestionQuery<'a> {
    /// Only those about this asset.
    pub asset: Option<&'a AssetId>,
    /// Only those still waiting for a decision.
    pub waiting_only: bool,
}

/// Where suggestions are kept. Every method is one transaction. Errors:
/// [`StoreError::Missing`] for a suggestion that is not there, [`StoreError::Conflict`] for
/// one already decided; the others as for assets.
#[async_trait::async_trait]
pub trait SuggestionStore: Send + Sync {
    /// Keeps a new suggestion, waiting; returns its number.
    async fn add_suggestion(&self, suggestion: &NewSuggestion) -> Result<u64, StoreError>;

    /// One suggestion.
    async fn suggestion(&self, id: u64) -> Result<Option<Suggestion>, StoreError>;

    /// Suggestions, oldest first (by number).
    async fn suggestions(&self, query: SuggestionQuery<'_>) -> Result<Vec<Suggestion>, StoreError>;

    /// How many suggestions are waiting, and when the oldest of them was made.
    async fn waiting_suggestions(&self) -> Result<(u64, Option<DateTime<Utc>>), StoreError>;

    /// Rejects a waiting suggestion. `Conflict` if it was already decided, `Missing` if there
    /// is none. (Accepting is a write: [`crate::AssetStore::apply`] with
    /// [`assetmap_core::Via::Suggestion`], which marks the suggestion accepted — and, for a
    /// new place, records the asset it made — in the write's transaction.)
    async fn reject_suggestion(
        &self,
        id: u64,
        by: Option<&str>,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Erases the contact of every suggestion decided before `decided_before`; returns how
    /// many were erased. Erased means gone from the store, not hidden.
    async fn erase_contacts(&self, decided_before: DateTime<Utc>) -> Result<u64, StoreError>;
}

/// Whether `write` is what accepting suggestion `id` (of `kind`, about `asset`) takes: a
/// [`Write::Insert`] for a new place, a [`Write::Replace`] of its asset otherwise
/// ([`StoreError::Conflict`] if not). Both stores check it inside the write's transaction.
pub(crate) fn check_acceptance(
    id: u64,
    kind: SuggestionKind,
    asset: Option<&str>,
    write: Write<'_>,
) -> Result<(), StoreError> {
    match (kind, write) {
        (SuggestionKind::New, Write::Insert(_)) => Ok(()),
        (SuggestionKind::New, _) => Err(StoreError::Conflict(format!(
            "suggestion {id} is for a new place: accepting it must insert an asset"
        ))),
        (_, Write::Replace(a)) if Some(a.id.as_str()) == asset => Ok(()),
        (_, _) => Err(StoreError::Conflict(format!(
            "suggestion {id} is for asset {}: accepting it must replace that asset",
            asset.unwrap_or("(none)")
        ))),
    }
}
