//! [`GeoPackageStore`]: the embedded [`AssetStore`] in one GeoPackage file.

use super::sql::{commit, format_time, is_unique_violation, now_text, parse_time};
use crate::{
    AssetStore, Change, ChangeKind, HistoryEntry, IdempotencyRecord, ImportBatch, Outcome,
    StoreError, Timeouts, Write, IMPORT_PROGRESS_EVERY,
};
use assetmap_core::{Asset, AssetId, ChangeBy, SourceRecord, Via};
use assetmap_gpkg::{
    asset_from_row, asset_values, create_attributes_table, create_features_table, encode_point,
    extend_extent, initialise, select_list, touch, AttributesTable, Column, ColumnType, Envelope,
    FeatureTable, GeometryType, GpkgError, ASSET_COLUMNS, GPKG_APPLICATION_ID, WGS84_SRS_ID,
};
use rusqlite::{
    params, Connection, ErrorCode, OptionalExtension, Transaction, TransactionBehavior,
};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// The features table holding the assets (the layer QGIS shows).
pub const ASSETS_TABLE: &str = "assets";
/// The attributes table holding the change feed.
pub const CHANGES_TABLE: &str = "asset_changes";
/// Internal key/value table (not a layer) holding `schema_version`.
pub const META_TABLE: &str = "assetmap_meta";
/// Internal table (not a layer) of idempotency records: see [`crate::idempotency`].
pub const IDEMPOTENCY_TABLE: &str = "assetmap_idempotency";
/// Internal table (not a layer) of the source records that imports keep: see
/// [`AssetStore::source_records`] and [`AssetStore::apply_import`].
pub const SOURCE_RECORDS_TABLE: &str = "assetmap_source_records";
/// The version of the assetmap tables this code writes. A file with a higher one is refused;
/// an older one is brought up to it on opening (see `upgrade_schema`).
///
/// 1: `assets`, `asset_changes`, `assetmap_meta`. 2: adds `assetmap_idempotency`.
/// 3: adds `assetmap_source_records`. 4: the history — `asset_changes` gains `actor`, `via`
/// and `before` (and a delete's row its version) — and the account tables (see
/// [`crate::accounts`]). 5: the suggestions table (see [`crate::suggestions`]) and a feed link
/// per account (`assetmap_accounts.feed_hash`).
pub const SCHEMA_VERSION: i64 = 6;

const CHANGE_COLUMNS: [Column<'static>; 4] = [
    Column::new("asset_id", ColumnType::Text).not_null(),
    Column::new("kind", ColumnType::Text).not_null(),
    Column::new("version", ColumnType::Integer),
    Column::new("changed_at", ColumnType::DateTime).not_null(),
];

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(
                ErrorCode::DatabaseBusy
                | ErrorCode::DatabaseLocked
                | ErrorCode::CannotOpen
                | ErrorCode::SystemIoFailure
                | ErrorCode::DiskFull,
            ) => StoreError::Unavailable(e.to_string()),
            Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => {
                StoreError::Schema(e.to_string())
            }
            _ => StoreError::Other(format!("SQLite: {e}")),
        }
    }
}

impl From<GpkgError> for StoreError {
    fn from(e: GpkgError) -> Self {
        match e {
            GpkgError::Sqlite(e) => e.into(),
            // A stored row that does not read back: the file's data is not usable.
            GpkgError::Unreadable(msg) => StoreError::Schema(msg),
            GpkgError::Unwritable(msg) => StoreError::Other(msg),
            other @ GpkgError::Exists(_) => StoreError::Other(other.to_string()),
        }
    }
}

pub(super) struct Inner {
    path: PathBuf,
    /// Every write goes through this connection, one at a time.
    writer: Mutex<Connection>,
    /// Reads use their own connection so a long read (loading every asset) does not hold up
    /// writes; in WAL mode it sees every committed write.
    reader: Mutex<Connection>,
    insert_sql: String,
    update_sql: String,
    select_sql: String,
}

fn lock(m: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    // A panic while holding the lock leaves no transaction open (rusqlite rolls back on drop),
    // so the connection is still usable.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The embedded store: one GeoPackage 1.3 file holding the `assets` point layer (flat,
/// human-readable columns QGIS and GDAL open), the `asset_changes` change feed and a small
/// `assetmap_meta` table with the schema version.
///
/// The file is in WAL mode with `synchronous=FULL`: a write is acknowledged only after its
/// commit record is fsynced to the write-ahead log, so it survives a killed process and a
/// power cut. Blocking SQLite calls run on tokio's blocking pool; writes are serialised on one
/// connection, reads use a second one. Several processes may share the file (SQLite's locks
/// keep writes serial; the change feed lets each catch up with the others).
#[derive(Clone)]
pub struct GeoPackageStore {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for GeoPackageStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeoPackageStore")
            .field("path", &self.inner.path)
            .finish()
    }
}

/// Opens a connection that waits at most `busy_timeout` for another connection's (or
/// process's) lock on the file before giving up with [`StoreError::Unavailable`].
fn connect(path: &Path, busy_timeout: Duration) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)
        .map_err(|e| StoreError::Unavailable(format!("cannot open {}: {e}", path.display())))?;
    conn.busy_timeout(busy_timeout)?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Unavailable(format!(
            "{} cannot be put in WAL mode (journal mode is {mode})",
            path.display()
        )));
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    // 64 MiB of page cache (SQLite's default is 2 MiB): a bulk import into a large file
    // otherwise spends its time re-reading index pages it has just evicted.
    conn.pragma_update(None, "cache_size", -65_536)?;
    Ok(conn)
}

fn table_exists(conn: &Connection, name: &str) -> Result<bool, StoreError> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [name],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

fn create_store_tables(tx: &Transaction<'_>) -> Result<(), StoreError> {
    create_features_table(
        tx,
        &FeatureTable {
            name: ASSETS_TABLE,
            identifier: "Community assets",
            description:
                "Community assets kept by assetmap: one point per asset, WGS84 longitude/latitude",
            geometry_type: GeometryType::Point,
            srs_id: WGS84_SRS_ID,
            columns: &ASSET_COLUMNS,
        },
    )?;
    create_attributes_table(
        tx,
        &AttributesTable {
            name: CHANGES_TABLE,
            identifier: "Asset change feed",
            description:
                "Every insert, replacement and deletion of an asset, in commit order (seq)",
            id_column: "seq",
            columns: &CHANGE_COLUMNS,
        },
    )?;
    tx.execute_batch(&format!(
        "CREATE TABLE {META_TABLE} (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL)"
    ))?;
    tx.execute(
        &format!("INSERT INTO {META_TABLE} VALUES ('schema_version', '1')"),
        [],
    )?;
    upgrade_schema(tx, 1)
}

/// Brings the store's tables from schema version `from` to [`SCHEMA_VERSION`], one step at a
/// time, and records the new version. Runs inside the opening transaction.
fn upgrade_schema(tx: &Transaction<'_>, from: i64) -> Result<(), StoreError> {
    if from < 2 {
        create_idempotency_table(tx)?;
    }
    if from < 3 {
        create_source_records_table(tx)?;
    }
    if from < 4 {
        add_history_columns(tx)?;
        super::accounts::create_tables(tx)?;
    }
    if from < 5 {
        super::suggestions::create_table(tx)?;
        super::accounts::add_feed_column(tx)?;
    }
    if from < 6 {
        index_changes_by_asset(tx)?;
    }
    tx.execute(
        &format!("UPDATE {META_TABLE} SET value = ?1 WHERE key = 'schema_version'"),
        [SCHEMA_VERSION.to_string()],
    )?;
    Ok(())
}

/// Schema version 6: the change feed indexed by asset, so that an asset's history (and its
/// restore) reads its own rows, not the whole feed (as PostGIS's `asset_changes_asset_idx`).
fn index_changes_by_asset(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch(&format!(
        "CREATE INDEX IF NOT EXISTS {CHANGES_TABLE}_asset ON {CHANGES_TABLE} (asset_id);"
    ))?;
    Ok(())
}

/// Schema version 2: the idempotency records. Internal (not registered in `gpkg_contents`),
/// like the meta table. Times are ISO 8601 UTC with nine fractional digits (see
/// [`format_time`]), so text order is time order.
fn create_idempotency_table(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch(&format!(
        "CREATE TABLE {IDEMPOTENCY_TABLE} (
            key TEXT PRIMARY KEY NOT NULL,
            fingerprint TEXT NOT NULL,
            status INTEGER NOT NULL,
            location TEXT,
            etag TEXT,
            body TEXT NOT NULL,
            created_at TEXT NOT NULL,
            expires_at TEXT NOT NULL
        );
        CREATE INDEX {IDEMPOTENCY_TABLE}_expires ON {IDEMPOTENCY_TABLE} (expires_at);"
    ))?;
    Ok(())
}

/// Schema version 3: the source records imports keep, one per (source, asset id). Internal
/// (not registered in `gpkg_contents`), like the meta table; times in the format of
/// [`format_time`]. `WITHOUT ROWID`: the rows live in the primary key's B-tree, which is both
/// how they are looked up (a source's records in asset id order) and one B-tree to write
/// rather than two.
fn create_source_records_table(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch(&format!(
        "CREATE TABLE {SOURCE_RECORDS_TABLE} (
            source TEXT NOT NULL,
            asset_id TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            imported_version INTEGER NOT NULL,
            imported_at TEXT NOT NULL,
            gone_since TEXT,
            PRIMARY KEY (source, asset_id)
        ) WITHOUT ROWID;"
    ))?;
    Ok(())
}

/// Schema version 4: the change feed becomes the history. Each row also keeps who made the
/// change (`actor`, the account id, NULL for none), how (`via`, [`Via::to_text`]) and the asset
/// as stored just before it (`before`, the asset as JSON; NULL for an insert). Rows written
/// before have NULL `via` and read as [`Via::Unrecorded`]. (From version 4 a delete's row
/// also has the version deleted in `version`.) Columns are added, so the upgrade does not
/// rewrite the table.
fn add_history_columns(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch(&format!(
        "ALTER TABLE {CHANGES_TABLE} ADD COLUMN actor TEXT;
         ALTER TABLE {CHANGES_TABLE} ADD COLUMN via TEXT;
         ALTER TABLE {CHANGES_TABLE} ADD COLUMN \"before\" TEXT;"
    ))?;
    Ok(())
}

/// Makes a new file a store, or checks that an existing one is a GeoPackage with a schema
/// version this code knows. Runs in one IMMEDIATE transaction so two processes opening a new
/// file at once do not both create the tables.
fn prepare_schema(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let app_id: i32 = tx.pragma_query_value(None, "application_id", |r| r.get(0))?;
    let objects: i64 = tx.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))?;
    if app_id == 0 && objects == 0 {
        initialise(&tx)?;
        create_store_tables(&tx)?;
    } else if app_id != GPKG_APPLICATION_ID {
        return Err(StoreError::Schema(format!(
            "{} is an SQLite file but not a GeoPackage (application_id 0x{app_id:08X}, expected 0x{GPKG_APPLICATION_ID:08X} 'GPKG'); \
             assetmap will not write into it — give a new file name",
            path.display()
        )));
    } else if !table_exists(&tx, META_TABLE)? {
        if table_exists(&tx, ASSETS_TABLE)? || table_exists(&tx, CHANGES_TABLE)? {
            return Err(StoreError::Schema(format!(
                "{} is a GeoPackage with an `{ASSETS_TABLE}` or `{CHANGES_TABLE}` table that assetmap did not make (no {META_TABLE} table); \
                 give a new file name",
                path.display()
            )));
        }
        // Another GeoPackage: add the store's layers beside what is there.
        initialise(&tx)?;
        create_store_tables(&tx)?;
    } else {
        let found: Option<String> = tx
            .query_row(
                &format!("SELECT value FROM {META_TABLE} WHERE key = 'schema_version'"),
                [],
                |r| r.get(0),
            )
            .optional()?;
        let version = found
            .as_deref()
            .and_then(|v| v.parse::<i64>().ok())
            .ok_or_else(|| {
                StoreError::Schema(format!(
                    "{}: {META_TABLE} has no readable schema_version ({found:?})",
                    path.display()
                ))
            })?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::Schema(format!(
                "{} has assetmap store schema version {version}, newer than this build knows ({SCHEMA_VERSION}); \
                 run a newer assetmap, or restore a backup made before the upgrade",
                path.display()
            )));
        }
        if version < 1 {
            return Err(StoreError::Schema(format!(
                "{}: schema_version {version} is not a version assetmap ever wrote",
                path.display()
            )));
        }
        if version < SCHEMA_VERSION {
            upgrade_schema(&tx, version)?;
        }
    }
    tx.commit()?;
    Ok(())
}

impl GeoPackageStore {
    /// Opens the store at `path`, creating the file (and its parent directories) as a new
    /// GeoPackage if it does not exist. Refuses a file that is not a GeoPackage or whose
    /// assetmap schema is newer than this code ([`StoreError::Schema`]).
    ///
    /// Blocks on file I/O; from async code call it inside `spawn_blocking` if the file may be
    /// slow to reach.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_with(path, &Timeouts::default())
    }

    /// [`GeoPackageStore::open`] with these bounds: of [`Timeouts`], the file uses only
    /// [`Timeouts::lock`], as SQLite's busy timeout (how long a write, or a read during a
    /// checkpoint, waits for another process's lock on the file before it fails with
    /// [`StoreError::Unavailable`]).
    pub fn open_with(path: impl AsRef<Path>, timeouts: &Timeouts) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| {
                StoreError::Unavailable(format!(
                    "cannot create the directory {}: {e}",
                    parent.display()
                ))
            })?;
        }
        let mut writer = connect(&path, timeouts.lock)?;
        prepare_schema(&mut writer, &path)?;
        // In WAL mode the new header (application_id 'GPKG', user_version) sits in the -wal
        // file until a checkpoint; GDAL reads the header from the main file before SQLite
        // opens it, so copy it there now. Busy readers only delay part of it, which is fine.
        writer.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
        let reader = connect(&path, timeouts.lock)?;
        reader.pragma_update(None, "query_only", true)?;

        let names: Vec<&str> = ASSET_COLUMNS.iter().map(|c| c.name).collect();
        let placeholders: Vec<String> = (1..=names.len() + 1).map(|i| format!("?{i}")).collect();
        let insert_sql = format!(
            "INSERT INTO {ASSETS_TABLE} (geom, {}) VALUES ({})",
            names.join(", "),
            placeholders.join(", ")
        );
        // ?1 is geom, ?2 asset_id (the key), ?3… the rest in column order.
        let sets: Vec<String> = names
            .iter()
            .enumerate()
            .skip(1)
            .map(|(i, n)| format!("{n} = ?{}", i + 2))
            .collect();
        let update_sql = format!(
            "UPDATE {ASSETS_TABLE} SET geom = ?1, {} WHERE asset_id = ?2",
            sets.join(", ")
        );
        let select_sql = format!("SELECT {} FROM {ASSETS_TABLE}", select_list(""));
        Ok(Self {
            inner: Arc::new(Inner {
                path,
                writer: Mutex::new(writer),
                reader: Mutex::new(reader),
                insert_sql,
                update_sql,
                select_sql,
            }),
        })
    }

    /// The file this store writes.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    pub(super) async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Inner, Transaction<'_>) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            let mut conn = lock(&inner.writer);
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            f(&inner, tx)
        })
        .await
        .map_err(|e| StoreError::Other(format!("store write task failed: {e}")))?
    }

    pub(super) async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Inner, &Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            let conn = lock(&inner.reader);
            f(&inner, &conn)
        })
        .await
        .map_err(|e| StoreError::Other(format!("store read task failed: {e}")))?
    }
}

fn bind_and_run(
    stmt: &mut rusqlite::CachedStatement<'_>,
    asset: &Asset,
) -> Result<(), rusqlite::Error> {
    let row = asset_row(asset).map_err(|e| {
        rusqlite::Error::ToSqlConversionFailure(Box::new(std::io::Error::other(e.to_string())))
    })?;
    bind_row_and_run(stmt, row)
}

/// An asset's row: its geometry blob and its column values, in column order.
type Row = (Vec<u8>, Vec<rusqlite::types::Value>);

fn asset_row(asset: &Asset) -> Result<Row, assetmap_gpkg::GpkgError> {
    let geom = encode_point(WGS84_SRS_ID, asset.location.lon(), asset.location.lat());
    Ok((geom, asset_values(asset)?))
}

fn bind_row_and_run(
    stmt: &mut rusqlite::CachedStatement<'_>,
    (geom, values): Row,
) -> Result<(), rusqlite::Error> {
    stmt.raw_bind_parameter(1, geom)?;
    for (i, v) in values.into_iter().enumerate() {
        stmt.raw_bind_parameter(i + 2, v)?;
    }
    stmt.raw_execute()?;
    Ok(())
}

fn insert_row(inner: &Inner, tx: &Transaction<'_>, asset: &Asset) -> Result<(), StoreError> {
    let mut stmt = tx.prepare_cached(&inner.insert_sql)?;
    bind_and_run(&mut stmt, asset).map_err(|e| unique_means_exists(e, &asset.id))
}

/// [`Write`] with what it borrows owned, to move onto the blocking pool.
enum OwnedWrite {
    Insert(Asset),
    Replace(Asset),
    Delete(AssetId),
}

impl OwnedWrite {
    /// The write, borrowed again.
    fn as_write(&self) -> Write<'_> {
        match self {
            OwnedWrite::Insert(a) => Write::Insert(a),
            OwnedWrite::Replace(a) => Write::Replace(a),
            OwnedWrite::Delete(id) => Write::Delete(id),
        }
    }
}

impl From<Write<'_>> for OwnedWrite {
    fn from(w: Write<'_>) -> Self {
        match w {
            Write::Insert(a) => OwnedWrite::Insert(a.clone()),
            Write::Replace(a) => OwnedWrite::Replace(a.clone()),
            Write::Delete(id) => OwnedWrite::Delete(id.clone()),
        }
    }
}

/// The stored asset with this id, read inside the write's transaction.
fn stored_asset(
    inner: &Inner,
    tx: &Transaction<'_>,
    id: &AssetId,
) -> Result<Option<Asset>, StoreError> {
    let mut stmt = tx.prepare_cached(&format!("{} WHERE asset_id = ?1", inner.select_sql))?;
    let mut rows = stmt.query([id.as_str()])?;
    match rows.next()? {
        Some(row) => Ok(Some(asset_from_row(row, 0)?)),
        None => Ok(None),
    }
}

/// Replaces the row of `asset.id` with `asset`, if the stored version is the one before;
/// returns the asset as it was stored (the history's `before`).
fn replace_row(inner: &Inner, tx: &Transaction<'_>, asset: &Asset) -> Result<Asset, StoreError> {
    let Some(before) = stored_asset(inner, tx, &asset.id)? else {
        return Err(StoreError::NotFound(asset.id.clone()));
    };
    let stored = before.version;
    let based_on = asset.version.saturating_sub(1);
    if asset.version == 0 || stored != based_on {
        return Err(StoreError::VersionConflict {
            id: asset.id.clone(),
            expected: based_on,
            actual: stored,
        });
    }
    let mut stmt = tx.prepare_cached(&inner.update_sql)?;
    bind_and_run(&mut stmt, asset)?;
    Ok(before)
}

/// Deletes the row of `id`; returns the asset as it was stored (the history's `before`).
fn delete_row(inner: &Inner, tx: &Transaction<'_>, id: &AssetId) -> Result<Asset, StoreError> {
    let Some(before) = stored_asset(inner, tx, id)? else {
        return Err(StoreError::NotFound(id.clone()));
    };
    tx.prepare_cached(&format!("DELETE FROM {ASSETS_TABLE} WHERE asset_id = ?1"))?
        .execute([id.as_str()])?;
    Ok(before)
}

fn unique_means_exists(e: rusqlite::Error, id: &AssetId) -> StoreError {
    if is_unique_violation(&e) {
        StoreError::AlreadyExists(id.clone())
    } else {
        e.into()
    }
}

fn version_sql(v: u64) -> Result<i64, StoreError> {
    i64::try_from(v)
        .map_err(|_| StoreError::Other(format!("version {v} is beyond what SQLite can store")))
}

/// Appends to the change feed: `asset_id`, `kind`, `version`, `actor`, `via`, `before`.
const APPEND_CHANGE_SQL: &str =
    "INSERT INTO asset_changes (asset_id, kind, version, changed_at, actor, via, \"before\") \
     VALUES (?1, ?2, ?3, strftime('%Y-%m-%dT%H:%M:%fZ','now'), ?4, ?5, ?6)";

/// `by` as the change feed stores it: the account id (or NULL) and [`Via::to_text`]. Made
/// once per write, however many changes it appends.
struct ByText {
    actor: Option<String>,
    via: String,
}

impl ByText {
    fn new(by: &ChangeBy) -> Self {
        ByText {
            actor: by.account.clone(),
            via: by.via.to_text(),
        }
    }
}

/// The history's `before`: the asset as JSON.
fn before_json(asset: &Asset) -> Result<String, StoreError> {
    serde_json::to_string(asset)
        .map_err(|e| StoreError::Other(format!("asset {} as JSON: {e}", asset.id)))
}

/// Appends to the change feed with a prepared [`APPEND_CHANGE_SQL`]; returns the new `seq`.
fn append_change_with(
    stmt: &mut rusqlite::CachedStatement<'_>,
    id: &AssetId,
    kind: ChangeKind,
    version: u64,
    by: &ByText,
    before: Option<&str>,
) -> Result<u64, StoreError> {
    let kind = match kind {
        ChangeKind::Upsert => "upsert",
        ChangeKind::Delete => "delete",
    };
    let seq = stmt.insert(params![
        id.as_str(),
        kind,
        version_sql(version)?,
        by.actor,
        by.via,
        before
    ])?;
    Ok(u64::try_from(seq).unwrap_or(0))
}

/// Appends to the change feed; returns the new `seq`.
fn append_change(
    tx: &Transaction<'_>,
    id: &AssetId,
    kind: ChangeKind,
    version: u64,
    by: &ByText,
    before: Option<&Asset>,
) -> Result<u64, StoreError> {
    let before = before.map(before_json).transpose()?;
    append_change_with(
        &mut tx.prepare_cached(APPEND_CHANGE_SQL)?,
        id,
        kind,
        version,
        by,
        before.as_deref(),
    )
}

/// The columns of [`IDEMPOTENCY_TABLE`], in the order [`keep_record`] and [`record_from_row`]
/// use.
const RECORD_COLUMNS: &str =
    "key, fingerprint, status, location, etag, body, created_at, expires_at";

/// Deletes the idempotency records that have expired by `now` (stored format).
fn purge_expired_records(tx: &Transaction<'_>, now: &str) -> Result<(), StoreError> {
    tx.prepare_cached(&format!(
        "DELETE FROM {IDEMPOTENCY_TABLE} WHERE expires_at <= ?1"
    ))?
    .execute([now])?;
    Ok(())
}

/// Keeps `record` in the write's transaction, or answers [`StoreError::KeyAlreadyUsed`] with
/// the record already kept under its key. Call after [`purge_expired_records`] with the same
/// `now`, so that every record left has not expired.
fn keep_record(
    tx: &Transaction<'_>,
    record: &IdempotencyRecord,
    now: &str,
) -> Result<(), StoreError> {
    if let Some(kept) = find_record(tx, &record.key, now)? {
        return Err(StoreError::KeyAlreadyUsed(Box::new(kept)));
    }
    tx.prepare_cached(&format!(
        "INSERT INTO {IDEMPOTENCY_TABLE} ({RECORD_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
    ))?
    .execute(params![
        record.key,
        record.fingerprint,
        record.outcome.status,
        record.outcome.location,
        record.outcome.etag,
        record.outcome.body,
        format_time(&record.created_at),
        format_time(&record.expires_at),
    ])?;
    Ok(())
}

/// Reads a record; a row that does not read back is [`StoreError::Schema`].
fn record_from_row(row: &rusqlite::Row<'_>) -> Result<IdempotencyRecord, StoreError> {
    let status: i64 = row.get(2)?;
    let created_at: String = row.get(6)?;
    let expires_at: String = row.get(7)?;
    Ok(IdempotencyRecord {
        key: row.get(0)?,
        fingerprint: row.get(1)?,
        outcome: Outcome {
            status: u16::try_from(status)
                .map_err(|_| StoreError::Schema(format!("{IDEMPOTENCY_TABLE}: status {status}")))?,
            location: row.get(3)?,
            etag: row.get(4)?,
            body: row.get(5)?,
        },
        created_at: parse_time(IDEMPOTENCY_TABLE, "created_at", &created_at)?,
        expires_at: parse_time(IDEMPOTENCY_TABLE, "expires_at", &expires_at)?,
    })
}

/// The record kept under `key` whose `expires_at` is after `now` (stored format).
fn find_record(
    conn: &Connection,
    key: &str,
    now: &str,
) -> Result<Option<IdempotencyRecord>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {RECORD_COLUMNS} FROM {IDEMPOTENCY_TABLE} WHERE key = ?1 AND expires_at > ?2"
    ))?;
    let mut rows = stmt.query([key, now])?;
    rows.next()?.map(record_from_row).transpose()
}

/// The columns of [`SOURCE_RECORDS_TABLE`], in the order [`keep_source_records`] and
/// [`source_record_from_row`] use.
const SOURCE_RECORD_COLUMNS: &str =
    "source, asset_id, fingerprint, imported_version, imported_at, gone_since";

/// Keeps `records`, each replacing any kept for its (source, asset id); of two in `records`
/// with the same key, the later is kept.
fn keep_source_records(tx: &Transaction<'_>, records: &[SourceRecord]) -> Result<(), StoreError> {
    let mut stmt = tx.prepare_cached(&format!(
        "INSERT INTO {SOURCE_RECORDS_TABLE} ({SOURCE_RECORD_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
         ON CONFLICT (source, asset_id) DO UPDATE SET fingerprint = excluded.fingerprint, \
         imported_version = excluded.imported_version, imported_at = excluded.imported_at, \
         gone_since = excluded.gone_since"
    ))?;
    for r in records {
        stmt.execute(params![
            r.source,
            r.asset_id.as_str(),
            r.fingerprint,
            version_sql(r.imported_version)?,
            format_time(&r.imported_at),
            r.gone_since.as_ref().map(format_time),
        ])?;
    }
    Ok(())
}

/// Reads a source record; a row that does not read back is [`StoreError::Schema`].
fn source_record_from_row(row: &rusqlite::Row<'_>) -> Result<SourceRecord, StoreError> {
    let raw_id: String = row.get(1)?;
    let version: i64 = row.get(3)?;
    let imported_at: String = row.get(4)?;
    let gone_since: Option<String> = row.get(5)?;
    let asset_id = AssetId::parse(&raw_id).map_err(|e| {
        StoreError::Schema(format!("{SOURCE_RECORDS_TABLE}: asset id {raw_id:?}: {e}"))
    })?;
    Ok(SourceRecord {
        source: row.get(0)?,
        imported_version: u64::try_from(version).map_err(|_| {
            StoreError::Schema(format!(
                "{SOURCE_RECORDS_TABLE}: record of {asset_id} has imported_version {version}"
            ))
        })?,
        asset_id,
        fingerprint: row.get(2)?,
        imported_at: parse_time(SOURCE_RECORDS_TABLE, "imported_at", &imported_at)?,
        gone_since: gone_since
            .map(|t| parse_time(SOURCE_RECORDS_TABLE, "gone_since", &t))
            .transpose()?,
    })
}

/// The asset writes of a bulk load ([`AssetStore::insert_many`], [`AssetStore::apply_import`]),
/// inside the caller's transaction: each insert and then each replacement, with the same checks
/// as [`insert_row`] and [`replace_row`] and one change-feed entry each, and then the extent
/// widened once to cover them all. `progress(n)` is called with the number of assets written
/// so far before every [`IMPORT_PROGRESS_EVERY`]-th and once with the total at the end.
/// Returns the last change's `seq`, `None` when there were no assets.
/// Rows made ready per message of the bulk-insert pipeline.
const ROWS_PER_CHUNK: usize = 1_000;

fn write_assets(
    inner: &Inner,
    tx: &Transaction<'_>,
    inserts: &[Asset],
    replaces: &[Asset],
    by: &ChangeBy,
    progress: &mut dyn FnMut(usize),
) -> Result<Option<u64>, StoreError> {
    let by = ByText::new(by);
    let mut seq = None;
    let mut env: Option<Envelope> = None;
    let mut done: usize = 0;
    progress(0);
    {
        let mut insert = tx.prepare_cached(&inner.insert_sql)?;
        let mut change = tx.prepare_cached(APPEND_CHANGE_SQL)?;
        let mut wrote =
            |a: &Asset, before: Option<&str>, done: &mut usize| -> Result<(), StoreError> {
                seq = Some(append_change_with(
                    &mut change,
                    &a.id,
                    ChangeKind::Upsert,
                    a.version,
                    &by,
                    before,
                )?);
                let p = point_envelope(a);
                env = Some(env.map_or(p, |e| e.union(&p)));
                *done += 1;
                if done.is_multiple_of(IMPORT_PROGRESS_EVERY) {
                    progress(*done);
                }
                Ok(())
            };
        // New rows are made ready (geometry blob, JSON columns) on a second thread while this
        // one inserts: a pipeline, so a bulk import uses two cores. A failed insert drops the
        // receiver, which stops the other thread.
        std::thread::scope(|scope| -> Result<(), StoreError> {
            let (ready, rows) = std::sync::mpsc::sync_channel::<Vec<Result<Row, String>>>(8);
            scope.spawn(move || {
                for chunk in inserts.chunks(ROWS_PER_CHUNK) {
                    let made = chunk
                        .iter()
                        .map(|a| asset_row(a).map_err(|e| e.to_string()))
                        .collect();
                    if ready.send(made).is_err() {
                        break;
                    }
                }
            });
            for (chunk, made) in inserts.chunks(ROWS_PER_CHUNK).zip(rows.iter()) {
                for (a, row) in chunk.iter().zip(made) {
                    let row = row.map_err(|e| StoreError::Other(format!("asset {}: {e}", a.id)))?;
                    bind_row_and_run(&mut insert, row)
                        .map_err(|e| unique_means_exists(e, &a.id))?;
                    wrote(a, None, &mut done)?;
                }
            }
            Ok(())
        })?;
        for a in replaces {
            let before = before_json(&replace_row(inner, tx, a)?)?;
            wrote(a, Some(&before), &mut done)?;
        }
    }
    if let Some(env) = env {
        extend_extent(tx, ASSETS_TABLE, &env)?;
    }
    progress(done);
    Ok(seq)
}

/// One row of [`AssetStore::history`]'s query: seq, kind, version, changed_at, actor, via,
/// before.
fn history_entry(id: &AssetId, row: &rusqlite::Row<'_>) -> Result<HistoryEntry, StoreError> {
    let seq: i64 = row.get(0)?;
    let kind: String = row.get(1)?;
    let version: Option<i64> = row.get(2)?;
    let changed_at: String = row.get(3)?;
    let actor: Option<String> = row.get(4)?;
    let via: Option<String> = row.get(5)?;
    let before: Option<String> = row.get(6)?;
    let bad = |what: String| StoreError::Schema(format!("{CHANGES_TABLE} row {seq}: {what}"));
    Ok(HistoryEntry {
        seq: u64::try_from(seq).map_err(|_| bad("negative seq".into()))?,
        id: id.clone(),
        kind: match kind.as_str() {
            "upsert" => ChangeKind::Upsert,
            "delete" => ChangeKind::Delete,
            other => return Err(bad(format!("unknown kind {other:?}"))),
        },
        // Deletes written before schema version 4 kept no version: 0.
        version: version
            .map(|v| u64::try_from(v).map_err(|_| bad(format!("version {v}"))))
            .transpose()?
            .unwrap_or(0),
        at: parse_time(CHANGES_TABLE, "changed_at", &changed_at)?,
        by: ChangeBy {
            account: actor,
            via: match via {
                Some(v) => Via::parse(&v).map_err(bad)?,
                None => Via::Unrecorded,
            },
        },
        before: before
            .map(|b| serde_json::from_str::<Asset>(&b).map_err(|e| bad(format!("before: {e}"))))
            .transpose()?,
    })
}

fn point_envelope(a: &Asset) -> Envelope {
    Envelope::of_point(a.location.lon(), a.location.lat())
}

fn latest_seq(conn: &Connection) -> Result<u64, StoreError> {
    let seq: i64 = conn.query_row(
        &format!("SELECT coalesce(max(seq), 0) FROM {CHANGES_TABLE}"),
        [],
        |r| r.get(0),
    )?;
    Ok(u64::try_from(seq).unwrap_or(0))
}

#[async_trait::async_trait]
impl AssetStore for GeoPackageStore {
    fn kind(&self) -> &'static str {
        "geopackage"
    }

    async fn all(&self) -> Result<Vec<Asset>, StoreError> {
        self.read(|inner, conn| {
            let mut stmt =
                conn.prepare_cached(&format!("{} ORDER BY asset_id", inner.select_sql))?;
            let mut rows = stmt.query([])?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                out.push(asset_from_row(row, 0)?);
            }
            Ok(out)
        })
        .await
    }

    async fn page_after(
        &self,
        after: Option<&AssetId>,
        limit: usize,
    ) -> Result<Vec<Asset>, StoreError> {
        let after = after.map(|a| a.as_str().to_owned());
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(move |inner, conn| {
            // SQLite compares TEXT with BINARY collation: byte order, as `AssetId`'s `Ord`.
            let mut stmt = conn.prepare_cached(&format!(
                "{} WHERE ?1 IS NULL OR asset_id > ?1 ORDER BY asset_id LIMIT ?2",
                inner.select_sql
            ))?;
            let mut rows = stmt.query(rusqlite::params![after, limit])?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                out.push(asset_from_row(row, 0)?);
            }
            Ok(out)
        })
        .await
    }

    async fn get(&self, id: &AssetId) -> Result<Option<Asset>, StoreError> {
        let id = id.clone();
        self.read(move |inner, conn| {
            let mut stmt =
                conn.prepare_cached(&format!("{} WHERE asset_id = ?1", inner.select_sql))?;
            let mut rows = stmt.query([id.as_str()])?;
            match rows.next()? {
                Some(row) => Ok(Some(asset_from_row(row, 0)?)),
                None => Ok(None),
            }
        })
        .await
    }

    async fn count(&self) -> Result<u64, StoreError> {
        self.read(|_, conn| {
            let n: i64 =
                conn.query_row(&format!("SELECT count(*) FROM {ASSETS_TABLE}"), [], |r| {
                    r.get(0)
                })?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
        .await
    }

    /// One write in one IMMEDIATE transaction: the expired idempotency records purged, the
    /// record kept (if any), the row written, and its change-feed row with `by` and the row as
    /// it was before (read in the same transaction).
    ///
    /// A write [`Via::Review`]`(n)` first checks, in the same transaction, that proposal `n`
    /// exists ([`StoreError::Missing`]), is still waiting ([`StoreError::Conflict`]) and is
    /// for this asset, and that the write is a [`Write::Replace`] ([`StoreError::Conflict`]
    /// otherwise); it then marks the proposal accepted by `by.account`, now. A write
    /// [`Via::Suggestion`]`(n)` does the same with suggestion `n`, which takes a
    /// [`Write::Insert`] for a new place and a [`Write::Replace`] of its asset otherwise, and
    /// records the asset written in the suggestion. If the write then fails, the whole
    /// transaction rolls back and the proposal or suggestion is left waiting.
    async fn apply(
        &self,
        write: Write<'_>,
        by: &ChangeBy,
        record: Option<&IdempotencyRecord>,
    ) -> Result<u64, StoreError> {
        let owned = OwnedWrite::from(write);
        let record = record.cloned();
        let by = by.clone();
        self.write(move |inner, tx| {
            let now = now_text();
            purge_expired_records(&tx, &now)?;
            if let Some(record) = &record {
                keep_record(&tx, record, &now)?;
            }
            if let Via::Review(proposal) = by.via {
                let replaces = match &owned {
                    OwnedWrite::Replace(asset) => Some(&asset.id),
                    _ => None,
                };
                super::accounts::accept_proposal(
                    &tx,
                    proposal,
                    replaces,
                    by.account.as_deref(),
                    &now,
                )?;
            }
            if let Via::Suggestion(suggestion) = by.via {
                super::suggestions::accept_suggestion(
                    &tx,
                    suggestion,
                    owned.as_write(),
                    by.account.as_deref(),
                    &now,
                )?;
            }
            let by = ByText::new(&by);
            let seq = match &owned {
                OwnedWrite::Insert(asset) => {
                    insert_row(inner, &tx, asset)?;
                    let seq = append_change(
                        &tx,
                        &asset.id,
                        ChangeKind::Upsert,
                        asset.version,
                        &by,
                        None,
                    )?;
                    extend_extent(&tx, ASSETS_TABLE, &point_envelope(asset))?;
                    seq
                }
                OwnedWrite::Replace(asset) => {
                    let before = replace_row(inner, &tx, asset)?;
                    let seq = append_change(
                        &tx,
                        &asset.id,
                        ChangeKind::Upsert,
                        asset.version,
                        &by,
                        Some(&before),
                    )?;
                    extend_extent(&tx, ASSETS_TABLE, &point_envelope(asset))?;
                    seq
                }
                OwnedWrite::Delete(id) => {
                    let before = delete_row(inner, &tx, id)?;
                    let seq = append_change(
                        &tx,
                        id,
                        ChangeKind::Delete,
                        before.version,
                        &by,
                        Some(&before),
                    )?;
                    touch(&tx, ASSETS_TABLE)?;
                    seq
                }
            };
            commit(tx)?;
            Ok(seq)
        })
        .await
    }

    async fn idempotency_record(&self, key: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
        let key = key.to_owned();
        self.read(move |_, conn| find_record(conn, &key, &now_text()))
            .await
    }

    /// The change feed's rows for `id`, by `seq`. There is no index on `asset_changes.asset_id`
    /// (one would slow every bulk import), so this scans the feed: fine for one asset's page,
    /// not for a loop over every asset.
    async fn history(&self, id: &AssetId) -> Result<Vec<HistoryEntry>, StoreError> {
        let id = id.clone();
        self.read(move |_, conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT seq, kind, version, changed_at, actor, via, \"before\" \
                 FROM {CHANGES_TABLE} WHERE asset_id = ?1 ORDER BY seq"
            ))?;
            let mut rows = stmt.query([id.as_str()])?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                out.push(history_entry(&id, row)?);
            }
            Ok(out)
        })
        .await
    }

    async fn insert_many(&self, assets: &[Asset], by: &ChangeBy) -> Result<u64, StoreError> {
        if assets.is_empty() {
            return self.latest_seq().await;
        }
        let assets = assets.to_vec();
        let by = by.clone();
        self.write(move |inner, tx| {
            let seq = write_assets(inner, &tx, &assets, &[], &by, &mut |_| {})?;
            tx.commit()?;
            Ok(seq.unwrap_or(0))
        })
        .await
    }

    async fn source_records(&self, source: &str) -> Result<Vec<SourceRecord>, StoreError> {
        let source = source.to_owned();
        self.read(move |_, conn| {
            // The primary key (source, asset_id) gives the order; BINARY collation is byte
            // order, as `AssetId`'s `Ord`.
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {SOURCE_RECORD_COLUMNS} FROM {SOURCE_RECORDS_TABLE} \
                 WHERE source = ?1 ORDER BY asset_id"
            ))?;
            let mut rows = stmt.query([source])?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                out.push(source_record_from_row(row)?);
            }
            Ok(out)
        })
        .await
    }

    async fn apply_import(
        &self,
        batch: ImportBatch<'_>,
        progress: &(dyn Fn(usize) + Send + Sync),
    ) -> Result<u64, StoreError> {
        let inserts = batch.inserts.to_vec();
        let replaces = batch.replaces.to_vec();
        let records = batch.records.to_vec();
        let by = batch.by.clone();
        // The write runs on the blocking pool, which cannot borrow `progress`: it sends its
        // counts here, and they are passed on while the write runs. The sender is dropped when
        // the write ends (or fails), which ends the loop.
        let (report, mut reports) = tokio::sync::mpsc::unbounded_channel::<usize>();
        let write = self.write(move |inner, tx| {
            let seq = write_assets(inner, &tx, &inserts, &replaces, &by, &mut |n| {
                let _ = report.send(n);
            })?;
            keep_source_records(&tx, &records)?;
            let seq = match seq {
                Some(seq) => seq,
                None => latest_seq(&tx)?,
            };
            commit(tx)?;
            Ok(seq)
        });
        let relay = async {
            while let Some(n) = reports.recv().await {
                progress(n);
            }
        };
        futures_util::future::join(write, relay).await.0
    }

    async fn changes_since(&self, since: u64, limit: usize) -> Result<Vec<Change>, StoreError> {
        let since = i64::try_from(since).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(move |_, conn| {
            // One statement, so the feed and the current assets come from one snapshot.
            let sql = format!(
                "SELECT c.seq, c.asset_id, c.kind, a.asset_id IS NOT NULL, {} FROM {CHANGES_TABLE} c \
                 LEFT JOIN {ASSETS_TABLE} a ON a.asset_id = c.asset_id AND c.kind = 'upsert' \
                 WHERE c.seq > ?1 ORDER BY c.seq LIMIT ?2",
                select_list("a.")
            );
            let mut stmt = conn.prepare_cached(&sql)?;
            let mut rows = stmt.query(params![since, limit])?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                let seq: i64 = row.get(0)?;
                let id: String = row.get(1)?;
                let kind: String = row.get(2)?;
                let present: bool = row.get(3)?;
                let id = AssetId::parse(&id).map_err(|e| StoreError::Schema(format!("change {seq}: {e}")))?;
                let kind = match kind.as_str() {
                    "upsert" => ChangeKind::Upsert,
                    "delete" => ChangeKind::Delete,
                    other => return Err(StoreError::Schema(format!("change {seq}: unknown kind {other:?}"))),
                };
                let asset = if present { Some(asset_from_row(row, 4)?) } else { None };
                out.push(Change { seq: u64::try_from(seq).unwrap_or(0), id, kind, asset });
            }
            Ok(out)
        })
        .await
    }

    async fn latest_seq(&self) -> Result<u64, StoreError> {
        self.read(|_, conn| latest_seq(conn)).await
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn connections_are_wal_full_with_foreign_keys() {
        let dir = tempfile::tempdir().unwrap();
        let store = GeoPackageStore::open(dir.path().join("a/b/store.gpkg")).unwrap();
        for conn in [&store.inner.writer, &store.inner.reader] {
            let conn = lock(conn);
            let mode: String = conn
                .pragma_query_value(None, "journal_mode", |r| r.get(0))
                .unwrap();
            let sync: i64 = conn
                .pragma_query_value(None, "synchronous", |r| r.get(0))
                .unwrap();
            let fk: i64 = conn
                .pragma_query_value(None, "foreign_keys", |r| r.get(0))
                .unwrap();
            let timeout: i64 = conn
                .pragma_query_value(None, "busy_timeout", |r| r.get(0))
                .unwrap();
            assert_eq!((mode.as_str(), sync, fk, timeout), ("wal", 2, 1, 5000));
        }
    }

    #[test]
    fn statements_name_every_column() {
        let dir = tempfile::tempdir().unwrap();
        let store = GeoPackageStore::open(dir.path().join("s.gpkg")).unwrap();
        let conn = lock(&store.inner.writer);
        assert_eq!(
            conn.prepare(&store.inner.insert_sql)
                .unwrap()
                .parameter_count(),
            ASSET_COLUMNS.len() + 1
        );
        assert_eq!(
            conn.prepare(&store.inner.update_sql)
                .unwrap()
                .parameter_count(),
            ASSET_COLUMNS.len() + 1
        );
        // The update sets every column but the key, each to its own position.
        assert!(store.inner.update_sql.contains("name = ?3,"));
        assert!(store
            .inner
            .update_sql
            .ends_with("version = ?32 WHERE asset_id = ?2"));
    }
}
