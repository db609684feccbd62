#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod accounts;
pub mod gpkg;
pub mod idempotency;
pub mod postgis;
pub mod suggestions;

pub use accounts::{
    Account, AccountChange, AccountStore, ApiToken, Decision, Invitation, Proposal, Session,
    Stewardship,
};
pub use idempotency::{IdempotencyRecord, Outcome};
pub use postgis::PostgisStore;
pub use suggestions::{
    NewSuggestion, Suggestion, SuggestionKind, SuggestionQuery, SuggestionStore,
};

use assetmap_core::{Asset, AssetId, ChangeBy, SourceRecord};
use chrono::{DateTime, Utc};
use std::time::Duration;

/// How long the stores may wait, so that no call hangs on a slow, locked, frozen or unreachable
/// database: each wait ends in [`StoreError::Unavailable`] instead (the server answers `503`
/// with `Retry-After`). Which store uses which field is said on each; the server maps its
/// `db_*` settings onto this (see the README's Configuration table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Longest one SQL statement may run: PostgreSQL's `statement_timeout` on every session.
    /// Also the client-side bound on every PostGIS call, plus [`Timeouts::GRACE`]
    /// ([`Timeouts::call`]), which is what ends a call to a database that does not answer at
    /// all (a frozen server, a cut network). Bulk loads (`insert_many`), migrations and
    /// loading every asset (`all`) are exempt: they take as long as the data needs, but each
    /// step of `all` must still arrive within [`Timeouts::call`].
    pub statement: Duration,
    /// Longest wait for a lock: PostgreSQL's `lock_timeout` (rows, tables, the change-feed
    /// advisory lock), and SQLite's busy timeout (another process writing to the GeoPackage).
    pub lock: Duration,
    /// PostgreSQL's `idle_in_transaction_session_timeout`: a session of ours that sits in an
    /// open transaction this long, because its process is frozen or cut off, is ended by the
    /// server, which releases its locks for everyone else. assetmap never leaves a
    /// transaction idle on purpose.
    pub idle_in_transaction: Duration,
    /// Longest to open a PostgreSQL connection: TCP connect, start-up and authentication.
    pub connect: Duration,
    /// Longest wait for a free connection from the PostGIS pool (16 connections).
    pub pool_wait: Duration,
    /// TCP keepalive on PostgreSQL connections: the first probe after this long idle, then
    /// every third of it, three probes; and `TCP_USER_TIMEOUT` (Linux) of twice this for sent
    /// data never acknowledged. A peer that stops answering is given up within about twice
    /// this.
    pub keepalive: Duration,
}

impl Timeouts {
    /// How much longer than [`Timeouts::statement`] a PostGIS call is given before the client
    /// gives up on it: enough for PostgreSQL's own timeout, with its precise message, to come
    /// first when PostgreSQL is answering at all.
    pub const GRACE: Duration = Duration::from_secs(1);

    /// The client-side bound on one PostGIS call: [`Timeouts::statement`] +
    /// [`Timeouts::GRACE`].
    pub fn call(&self) -> Duration {
        self.statement + Self::GRACE
    }
}

impl Timeouts {
    /// The documented defaults: statement 10 s, lock 5 s, idle in transaction 10 s, connect
    /// 5 s, pool wait 5 s, keepalive 15 s.
    pub const DEFAULT: Timeouts = Timeouts {
        statement: Duration::from_secs(10),
        lock: Duration::from_secs(5),
        idle_in_transaction: Duration::from_secs(10),
        connect: Duration::from_secs(5),
        pool_wait: Duration::from_secs(5),
        keepalive: Duration::from_secs(15),
    };
}

impl Default for Timeouts {
    /// [`Timeouts::DEFAULT`].
    fn default() -> Self {
        Timeouts::DEFAULT
    }
}

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No asset with that id.
    #[error("no asset with id {0}")]
    NotFound(AssetId),
    /// An asset with that id already exists.
    #[error("an asset with id {0} already exists")]
    AlreadyExists(AssetId),
    /// The stored version is not the one the write was based on (someone else wrote first).
    #[error("asset {id} is at version {actual}, but the write was based on version {expected}")]
    VersionConflict {
        id: AssetId,
        expected: u64,
        actual: u64,
    },
    /// The store cannot be reached now (database down); retrying later may work. Nothing was
    /// written.
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
    /// The write's commit was sent but no answer came back (the connection was lost): it may
    /// or may not have been saved. Sending it again may write it twice, unless it carried an
    /// [`IdempotencyRecord`] and the retry carries the same key.
    #[error("the outcome of the write is unknown: {0}")]
    OutcomeUnknown(String),
    /// The write carried an [`IdempotencyRecord`] whose key is already kept for an earlier
    /// write (one that has not expired): nothing was written. Holds the kept record.
    #[error("the idempotency key {:?} is already kept for an earlier write", .0.key)]
    KeyAlreadyUsed(Box<IdempotencyRecord>),
    /// The record is not in a state that allows this: an e-mail address or id already taken, an
    /// invitation already used, a proposal already decided. Nothing was written.
    #[error("{0}")]
    Conflict(String),
    /// No such account, token, invitation or proposal (what is missing is said).
    #[error("{0}")]
    Missing(String),
    /// The schema is missing, too new or too old, or a stored record cannot be read.
    #[error("the store's schema or data is not usable: {0}")]
    Schema(String),
    /// Anything else, with context.
    #[error("{0}")]
    Other(String),
}

/// What happened to an asset in one change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// Created or replaced.
    Upsert,
    /// Deleted.
    Delete,
}

/// One entry of the change feed.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// Position in the feed; strictly increasing in commit order.
    pub seq: u64,
    pub id: AssetId,
    pub kind: ChangeKind,
    /// The asset as it is *now* for an upsert (`None` if it has since been deleted), `None`
    /// for a delete.
    pub asset: Option<Asset>,
}

/// One write to one asset, as [`AssetStore::apply`] takes it.
#[derive(Debug, Clone, Copy)]
pub enum Write<'a> {
    /// Store a new asset ([`AssetStore::insert`]).
    Insert(&'a Asset),
    /// Replace an asset with its next version ([`AssetStore::replace`]).
    Replace(&'a Asset),
    /// Delete an asset ([`AssetStore::delete`]).
    Delete(&'a AssetId),
}

impl Write<'_> {
    /// The asset written.
    pub fn id(&self) -> &AssetId {
        match self {
            Write::Insert(a) | Write::Replace(a) => &a.id,
            Write::Delete(id) => id,
        }
    }

    /// The change it appends to the feed.
    pub fn kind(&self) -> ChangeKind {
        match self {
            Write::Insert(_) | Write::Replace(_) => ChangeKind::Upsert,
            Write::Delete(_) => ChangeKind::Delete,
        }
    }
}

/// One import run, written by [`AssetStore::apply_import`] in one transaction.
#[derive(Debug, Clone, Copy)]
pub struct ImportBatch<'a> {
    /// New assets (as insert: AlreadyExists if an id is taken).
    pub inserts: &'a [Asset],
    /// Next versions of stored assets (as replace: stored version must be version-1, VersionConflict/NotFound otherwise).
    pub replaces: &'a [Asset],
    /// Source records to keep, replacing any kept for the same (source, asset id).
    pub records: &'a [assetmap_core::SourceRecord],
    /// Who ran the import and how ([`assetmap_core::Via::Import`] with the source): every
    /// change of the batch records it in the history.
    pub by: &'a ChangeBy,
}

impl ImportBatch<'_> {
    /// How many assets the batch writes: inserts + replaces.
    pub fn assets(&self) -> usize {
        self.inserts.len() + self.replaces.len()
    }
}

/// One change in an asset's history ([`AssetStore::history`]): the change feed's entry with
/// who made it, how, and what the asset was before.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    /// The change's position in the feed ([`Change::seq`]).
    pub seq: u64,
    pub id: AssetId,
    pub kind: ChangeKind,
    /// The version the change wrote; for a delete, the version deleted.
    pub version: u64,
    /// When the change was committed (the store's clock).
    pub at: DateTime<Utc>,
    pub by: ChangeBy,
    /// The asset as stored just before the change: `None` for a creation, and for changes
    /// written before the store kept history. A replacement's `before` is the previous version;
    /// a delete's is the version deleted.
    pub before: Option<Asset>,
}

/// How often [`AssetStore::apply_import`] reports progress, in assets written.
pub const IMPORT_PROGRESS_EVERY: usize = 10_000;

/// A place that keeps assets durably. Implementations: [`gpkg::GeoPackageStore`] (embedded, one
/// file) and, in production, the PostGIS store.
///
/// Every write method returns only after the change is committed and durable, and returns the
/// change-feed sequence number it was given. Every write records who made it and how
/// ([`ChangeBy`]) and what the asset was before, in its change-feed entry, in the same
/// transaction: the asset's history ([`AssetStore::history`]) is complete exactly when the
/// write is acknowledged.
///
/// A store also keeps the people who change it ([`AccountStore`]) and the public's
/// suggestions ([`SuggestionStore`]).
#[async_trait::async_trait]
pub trait AssetStore: AccountStore + SuggestionStore + Send + Sync {
    /// A short name for logs and `/health`: `"geopackage"` or `"postgis"`.
    fn kind(&self) -> &'static str;

    /// Every asset, in id order.
    async fn all(&self) -> Result<Vec<Asset>, StoreError>;

    /// Up to `limit` assets whose id sorts after `after` (from the first when `None`), in id
    /// order: keyset pagination, so an export can stream every asset in bounded memory
    /// (`page_after(Some(last id of the previous page), n)` continues where it left off).
    /// Each page is read on its own, so writes between pages may show in later pages.
    async fn page_after(
        &self,
        after: Option<&AssetId>,
        limit: usize,
    ) -> Result<Vec<Asset>, StoreError>;

    /// One asset.
    async fn get(&self, id: &AssetId) -> Result<Option<Asset>, StoreError>;

    /// How many assets are stored.
    async fn count(&self) -> Result<u64, StoreError>;

    /// Stores a new asset. [`StoreError::AlreadyExists`] if the id is taken.
    async fn insert(&self, asset: &Asset, by: &ChangeBy) -> Result<u64, StoreError> {
        self.apply(Write::Insert(asset), by, None).await
    }

    /// Replaces an asset with its next version: succeeds only if the stored version is
    /// `asset.version - 1` ([`StoreError::VersionConflict`] otherwise, [`StoreError::NotFound`]
    /// if there is none).
    async fn replace(&self, asset: &Asset, by: &ChangeBy) -> Result<u64, StoreError> {
        self.apply(Write::Replace(asset), by, None).await
    }

    /// Deletes an asset. [`StoreError::NotFound`] if there is none.
    async fn delete(&self, id: &AssetId, by: &ChangeBy) -> Result<u64, StoreError> {
        self.apply(Write::Delete(id), by, None).await
    }

    /// Makes one write ([`insert`](Self::insert), [`replace`](Self::replace) or
    /// [`delete`](Self::delete), with their errors) in one transaction, and returns its
    /// change-feed sequence number.
    ///
    /// Every write first purges the idempotency records that have expired (by the store's
    /// clock). With a `record`, the record is kept under its key **in the same transaction**,
    /// so it is there exactly when the write is; if a record with that key is still kept,
    /// nothing is written and the answer is [`StoreError::KeyAlreadyUsed`] with the kept record
    /// (the key is checked before the write, so a retry of an insert with a given id finds
    /// the record rather than [`StoreError::AlreadyExists`]).
    ///
    /// The change-feed entry records `by` and the asset as it was before (see
    /// [`HistoryEntry`]). A write [`assetmap_core::Via::Review`]`(n)` accepts proposal `n`: it
    /// must be a [`Write::Replace`] of the proposal's asset while the proposal waits
    /// ([`StoreError::Conflict`] if it was decided, [`StoreError::Missing`] if there is none),
    /// and the proposal is marked accepted by `by.account` in the same transaction. A write
    /// [`assetmap_core::Via::Suggestion`]`(n)` accepts suggestion `n` the same way: a
    /// [`Write::Insert`] for a [`SuggestionKind::New`] (the suggestion then records the asset
    /// it made), a [`Write::Replace`] of its asset for the other kinds.
    ///
    /// If the connection is lost after the commit was sent, the answer is
    /// [`StoreError::OutcomeUnknown`]: the write may have been saved.
    async fn apply(
        &self,
        write: Write<'_>,
        by: &ChangeBy,
        record: Option<&IdempotencyRecord>,
    ) -> Result<u64, StoreError>;

    /// The idempotency record kept under `key`, unless it has expired (`expires_at` is not
    /// after the store's clock).
    async fn idempotency_record(&self, key: &str) -> Result<Option<IdempotencyRecord>, StoreError>;

    /// Stores many new assets in one transaction: all or nothing. Each records `by` in the
    /// history.
    async fn insert_many(&self, assets: &[Asset], by: &ChangeBy) -> Result<u64, StoreError>;

    /// Every change to the asset with this id, oldest first (by sequence number) — including
    /// its deletion and any earlier life under the same id. Empty if it never existed.
    async fn history(&self, id: &AssetId) -> Result<Vec<HistoryEntry>, StoreError>;

    /// The source records kept for `source`, in asset id order (byte order, as [`AssetId`]'s
    /// `Ord`). Records are kept by [`AssetStore::apply_import`] only; deleting an asset keeps
    /// its record, so the next import sees that it was deleted here.
    async fn source_records(&self, source: &str) -> Result<Vec<SourceRecord>, StoreError>;

    /// Writes one import run in one transaction — the inserts, the replacements, one change-feed
    /// entry per insert and replacement (as insert_many does), and the source records — all or
    /// nothing. `progress` is called now and then (at least every 10,000 assets and at the end) with
    /// the number of assets (inserts + replaces) written so far. Returns the sequence number of the
    /// last change written (the latest sequence number if the batch writes no asset).
    ///
    /// The inserts fail as [`insert`](Self::insert) does ([`StoreError::AlreadyExists`], also
    /// for an id repeated in the batch), the replacements as [`replace`](Self::replace) does
    /// ([`StoreError::VersionConflict`], [`StoreError::NotFound`]); either leaves nothing
    /// written. The inserts are written before the replacements, and the change-feed entries
    /// follow the same order. A record whose (source, asset id) is repeated in the batch is
    /// kept as its last occurrence. Like [`insert_many`](Self::insert_many), it is a bulk
    /// load: no statement timeout applies to it (waiting for a lock is still bounded).
    /// A connection lost while committing is [`StoreError::OutcomeUnknown`].
    async fn apply_import(
        &self,
        batch: ImportBatch<'_>,
        progress: &(dyn Fn(usize) + Send + Sync),
    ) -> Result<u64, StoreError>;

    /// Changes with a sequence number above `since`, oldest first, at most `limit`. A `limit`
    /// may cut a transaction's changes in two; [`AssetStore::pending_changes`] never does.
    async fn changes_since(&self, since: u64, limit: usize) -> Result<Vec<Change>, StoreError>;

    /// Every change with a sequence number above `since`, oldest first, read in one snapshot:
    /// the changes of one transaction (one write, or a whole [`insert_many`]) are all there or
    /// none of them, so a reader that applies what it gets never shows part of an import.
    /// Both stores answer [`changes_since`] with one statement, which is one snapshot; this
    /// asks it for everything.
    ///
    /// [`insert_many`]: AssetStore::insert_many
    /// [`changes_since`]: AssetStore::changes_since
    async fn pending_changes(&self, since: u64) -> Result<Vec<Change>, StoreError> {
        self.changes_since(since, usize::MAX).await
    }

    /// The sequence number of the latest change (0 when there has been none).
    async fn latest_seq(&self) -> Result<u64, StoreError>;

    /// A signal that changes when another process may have written to the store (PostgreSQL
    /// `NOTIFY`): the value is the newest sequence number announced. `None` when the store has
    /// no such signal; the server then polls [`AssetStore::changes_since`] on a timer. Either
    /// way the server always catches up by sequence number, so a missed signal loses nothing.
    fn change_signal(&self) -> Option<tokio::sync::watch::Receiver<u64>> {
        None
    }
}
