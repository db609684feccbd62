//! [`PostgisStore`]: the [`AssetStore`] on PostgreSQL + PostGIS.

use super::errors::{from_pg, from_pg_commit, from_pg_write, from_pool};
use super::listen;
use super::migrate::{self, MigrationReport};
use super::pool;
use crate::{
    AssetStore, Change, ChangeKind, HistoryEntry, IdempotencyRecord, ImportBatch, Outcome,
    StoreError, Timeouts, Write,
};
use assetmap_core::{
    AbcdType, AccessFeature, Asset, AssetId, AssetName, Audience, Category, ChangeBy, Contact,
    Cost, CostBand, Email, Language, LonLat, OpeningTimes, Phone, Postcode, Provenance,
    SourceRecord, Status, Tag, Via, Website,
};
use chrono::{DateTime, NaiveDate, Utc};
use deadpool_postgres::{Object, Pool};
use futures_util::{StreamExt, TryStreamExt};
use postgis::ewkb;
use std::future::Future;
use std::sync::OnceLock;
use tokio::sync::watch;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::Row;

/// SRID of WGS84 longitude/latitude.
pub const SRID_WGS84: i32 = 4326;

/// Key of the transaction-level advisory lock every write holds from before it draws a change
/// sequence number until it commits ("assetmap" in ASCII). Holding it makes sequence numbers
/// appear in commit order, so a reader that has seen change N never later finds a smaller
/// number appear; the price is that writes are serialised, which suits this write-light data.
/// Public so that tests can hold it (a session lock on the same key) to line writes up.
pub const CHANGE_FEED_LOCK_KEY: i64 = 0x6173_7365_746d_6170;

/// The columns of `assets`, in the order [`AssetParams::values`] and [`asset_from_row`] use.
const COLUMNS: &str = "id, name, description, abcd_type, categories, tags, geom, address, postcode, \
    phone, email, website, opening_times, cost_band, cost_detail, access, min_age, max_age, \
    audience_description, languages, provenance, verified_at, status, created_at, updated_at, version";
const N_COLUMNS: usize = 26;

/// The same columns qualified with the table alias `a` (for joins).
fn columns_of(alias: &str) -> String {
    COLUMNS
        .split(", ")
        .map(|c| format!("{alias}.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The assets store on PostgreSQL + PostGIS.
///
/// Assets live in the `assets` table (`geometry(Point, 4326)` with a GiST index); every write
/// appends to `asset_changes` in the same transaction, and a trigger sends
/// `NOTIFY assetmap_changes, '<seq>'`, heard by every other process through
/// [`AssetStore::change_signal`].
///
/// Connection failures are reported as [`StoreError::Unavailable`]; the pool reconnects by
/// itself when the database comes back. No call waits longer than its [`Timeouts`] allow.
pub struct PostgisStore {
    pool: Pool,
    config: tokio_postgres::Config,
    timeouts: Timeouts,
    runtime: tokio::runtime::Handle,
    signal: OnceLock<watch::Receiver<u64>>,
    postgis_version: String,
}

impl std::fmt::Debug for PostgisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // No URL here: it may hold a password.
        f.debug_struct("PostgisStore")
            .field("postgis_version", &self.postgis_version)
            .finish_non_exhaustive()
    }
}

impl PostgisStore {
    /// Every row of a read that may be large (all the assets, a source's records), converted
    /// as it arrives. Loading a million rows takes longer than a statement may run, so the read
    /// runs without the statement timeout; instead every step, and every row, must arrive
    /// within the client-side bound, which still ends the wait on a database that stops
    /// answering.
    async fn read_every_row<T>(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
        convert: impl Fn(&Row) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        let mut client = self.bounded(self.client()).await?;
        let tx = self
            .bounded(async {
                let tx = client.transaction().await.map_err(from_pg)?;
                tx.batch_execute("SET LOCAL statement_timeout = 0")
                    .await
                    .map_err(from_pg)?;
                Ok(tx)
            })
            .await?;
        let rows = self
            .bounded(async {
                let stmt = tx.prepare_cached(sql).await.map_err(from_pg)?;
                // Streamed: rows are converted as they arrive, not buffered twice.
                tx.query_raw(&stmt, params.iter().copied())
                    .await
                    .map_err(from_pg)
            })
            .await?;
        let mut rows = std::pin::pin!(rows);
        let mut out = Vec::new();
        while let Some(row) = self
            .bounded(async { rows.try_next().await.map_err(from_pg) })
            .await?
        {
            out.push(convert(&row)?);
        }
        self.bounded(async { tx.commit().await.map_err(from_pg) })
            .await?;
        Ok(out)
    }

    /// Connects to the database at `url` (`postgres://user[:password]@host[:port]/db`), checks
    /// that PostGIS 3.0 or newer is there and that the schema is not newer than this code knows.
    /// Does not migrate: call [`PostgisStore::migrate`], or use [`PostgisStore::open`].
    ///
    /// Must be called inside a Tokio runtime (the change signal runs on it).
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, &Timeouts::default()).await
    }

    /// [`PostgisStore::connect`] with these bounds on every wait.
    pub async fn connect_with(url: &str, timeouts: &Timeouts) -> Result<Self, StoreError> {
        let config = pool::parse_config(url, timeouts)?;
        let pool = pool::build(config.clone(), timeouts)?;
        let postgis_version = bounded(timeouts.call(), async {
            let client = pool.get().await.map_err(from_pool)?;
            let postgis_version = migrate::check_postgis(&**client).await?;
            migrate::check_not_newer(migrate::schema_version(&**client).await?)?;
            Ok(postgis_version)
        })
        .await?;
        Ok(Self {
            pool,
            config,
            timeouts: *timeouts,
            runtime: tokio::runtime::Handle::current(),
            signal: OnceLock::new(),
            postgis_version,
        })
    }

    /// Connects and applies pending migrations.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        Self::open_with(url, &Timeouts::default()).await
    }

    /// [`PostgisStore::open`] with these bounds on every wait.
    pub async fn open_with(url: &str, timeouts: &Timeouts) -> Result<Self, StoreError> {
        let store = Self::connect_with(url, timeouts).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// The bounds this store was opened with.
    pub fn timeouts(&self) -> &Timeouts {
        &self.timeouts
    }

    /// Applies pending migrations (in one transaction, under an advisory lock; safe to run from
    /// several processes at once). Refuses a schema newer than this code knows.
    ///
    /// Pending migrations run without a statement timeout (they take as long as they need)
    /// and with no client-side bound, but under the session's `lock_timeout`: a second process
    /// starting while one migrates waits at most the lock timeout for the migration lock and
    /// then fails with [`StoreError::Unavailable`] (the server tries again), and a migration
    /// that cannot get a lock on a table in use fails rather than queue everyone behind it.
    pub async fn migrate(&self) -> Result<MigrationReport, StoreError> {
        let mut client = self.client().await?;
        let client: &mut tokio_postgres::Client = &mut client;
        migrate::migrate(client).await
    }

    /// The database's schema version (0 before the first migration).
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        self.bounded(async {
            let client = self.client().await?;
            migrate::schema_version(&**client).await
        })
        .await
    }

    /// The PostGIS version found at connect time, e.g. `3.3.2`.
    pub fn postgis_version(&self) -> &str {
        &self.postgis_version
    }

    /// The connection pool, for queries beyond the [`AssetStore`] trait (differential tests,
    /// benchmarks).
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// [`AssetStore::insert_many`], calling `progress(n)` as the first `n` assets have been
    /// sent (every 10,000, and once with the total when all are). Nothing is visible to
    /// readers until the whole batch commits.
    pub async fn insert_many_with_progress(
        &self,
        assets: &[Asset],
        by: &ChangeBy,
        progress: &(dyn Fn(usize) + Send + Sync),
    ) -> Result<u64, StoreError> {
        if assets.is_empty() {
            return self.latest_seq().await;
        }
        let mut client = self.client().await?;
        let tx = begin_bulk_write(&mut client).await?;
        let started = std::time::Instant::now();
        let loaded = copy_new_assets(&tx, assets, progress).await?;
        let indexed = started.elapsed();
        copy_changes(&tx, assets.iter().map(|a| (a, None)), by).await?;
        let fed = started.elapsed();
        let seq = last_seq(&tx).await?;
        tx.commit().await.map_err(from_pg_commit)?;
        analyze_after_bulk(&client, assets.len()).await;
        tracing::info!(
            assets = assets.len(),
            copy_s = loaded.copied.as_secs_f64(),
            indexes_s = (indexed - loaded.copied).as_secs_f64(),
            feed_s = (fed - indexed).as_secs_f64(),
            commit_s = (started.elapsed() - fed).as_secs_f64(),
            rebuilt_indexes = loaded.rebuilt,
            "bulk load committed"
        );
        seq_to_u64(seq)
    }

    pub(super) async fn client(&self) -> Result<Object, StoreError> {
        self.pool.get().await.map_err(from_pool)
    }

    /// Runs one call under the client-side bound ([`Timeouts::call`]).
    pub(super) async fn bounded<T>(
        &self,
        call: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        bounded(self.timeouts.call(), call).await
    }
}

/// `call`, or [`StoreError::Unavailable`] once `limit` has passed without its answer. This is
/// what ends a wait on a database that does not answer at all (frozen, or the network cut):
/// PostgreSQL's own timeouts need PostgreSQL to be running, and TCP keepalives are answered
/// by the operating system even for a frozen process. The call is dropped mid-way: an open
/// transaction is rolled back (tokio-postgres queues the `ROLLBACK`), but a `COMMIT` already
/// sent may still take effect, so a write answered this way may have been saved.
async fn bounded<T>(
    limit: std::time::Duration,
    call: impl Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    tokio::time::timeout(limit, call).await.unwrap_or_else(|_| {
        Err(StoreError::Unavailable(format!(
            "PostgreSQL did not answer within {:.1} s",
            limit.as_secs_f64()
        )))
    })
}

/// Starts a write transaction holding the change-feed lock (see [`CHANGE_FEED_LOCK_KEY`]).
async fn begin_write(
    client: &mut Object,
) -> Result<deadpool_postgres::Transaction<'_>, StoreError> {
    let tx = client.transaction().await.map_err(from_pg)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&CHANGE_FEED_LOCK_KEY])
        .await
        .map_err(from_pg)?;
    Ok(tx)
}

/// Starts a bulk write ([`AssetStore::insert_many`], [`AssetStore::apply_import`]): a write
/// transaction holding the change-feed lock, with no statement timeout — a bulk load takes as
/// long as the data needs (the lock timeout still bounds waiting for other writers).
async fn begin_bulk_write(
    client: &mut Object,
) -> Result<deadpool_postgres::Transaction<'_>, StoreError> {
    let tx = begin_write(client).await?;
    tx.batch_execute("SET LOCAL statement_timeout = 0")
        .await
        .map_err(from_pg)?;
    Ok(tx)
}

/// What [`copy_new_assets`] took, for the log.
struct Loaded {
    /// Time from the start until the COPY finished.
    copied: std::time::Duration,
    /// How many secondary indexes were dropped and rebuilt.
    rebuilt: usize,
}

/// Rows written at once from which a bulk write refreshes the planner's statistics itself.
const ANALYZE_AFTER_ROWS: usize = 10_000;

/// After a committed bulk write of `rows` assets (and as many changes): `ANALYZE` the two
/// tables, when it was large. Until autovacuum gets to them the planner would plan the change
/// feed's catch-up (`seq > $1`) with no statistics — tens to hundreds of milliseconds each, and
/// a prepared statement can keep that plan for the life of its connection. The write is already
/// durable: a failure here is logged, not returned.
async fn analyze_after_bulk(client: &Object, rows: usize) {
    if rows < ANALYZE_AFTER_ROWS {
        return;
    }
    let started = std::time::Instant::now();
    match client.batch_execute("ANALYZE assets, asset_changes").await {
        Ok(()) => tracing::info!(
            secs = started.elapsed().as_secs_f64(),
            "statistics refreshed after a bulk write"
        ),
        Err(e) => tracing::warn!(error = %e, "could not ANALYZE after a bulk write"),
    }
}

/// Stores new assets by binary COPY in a bulk write's transaction ([`begin_bulk_write`]),
/// calling `progress(n)` as the first `n` have been sent (every [`PROGRESS_EVERY`], and once
/// with the total when all are). A duplicate id fails it with [`StoreError::AlreadyExists`].
///
/// Loading a large batch into an empty table builds the secondary indexes (GiST, GIN) once at
/// the end instead of row by row: the DDL is part of the transaction, so a failed load leaves
/// the indexes as they were. The primary key stays, to catch duplicate ids as they arrive.
async fn copy_new_assets(
    tx: &deadpool_postgres::Transaction<'_>,
    assets: &[Asset],
    progress: &(dyn Fn(usize) + Send + Sync),
) -> Result<Loaded, StoreError> {
    // The column types, for binary COPY (geometry's type is PostGIS's, looked up by name).
    let types: Vec<Type> = tx
        .prepare(&format!("SELECT {COLUMNS} FROM assets LIMIT 0"))
        .await
        .map_err(from_pg)?
        .columns()
        .iter()
        .map(|c| c.type_().clone())
        .collect();

    let started = std::time::Instant::now();
    let rebuild = if assets.len() >= REBUILD_INDEXES_FROM {
        secondary_indexes_if_empty(tx).await?
    } else {
        Vec::new()
    };
    for (name, _) in &rebuild {
        tx.batch_execute(&format!("DROP INDEX \"{name}\""))
            .await
            .map_err(from_pg)?;
    }

    let sink = tx
        .copy_in(&format!(
            "COPY assets ({COLUMNS}) FROM STDIN (FORMAT binary)"
        ))
        .await
        .map_err(from_pg)?;
    let writer = BinaryCopyInWriter::new(sink, &types);
    let mut writer = std::pin::pin!(writer);
    for (i, asset) in assets.iter().enumerate() {
        if i % PROGRESS_EVERY == 0 {
            progress(i);
        }
        let params = AssetParams::new(asset)?;
        writer
            .as_mut()
            .write(&params.values())
            .await
            .map_err(|e| from_pg_write(e, None))?;
    }
    writer.finish().await.map_err(|e| from_pg_write(e, None))?;
    progress(assets.len());

    let copied = started.elapsed();
    if !rebuild.is_empty() {
        tx.batch_execute("SET LOCAL maintenance_work_mem = '256MB'")
            .await
            .map_err(from_pg)?;
    }
    for (_, definition) in &rebuild {
        tx.batch_execute(definition).await.map_err(from_pg)?;
    }
    Ok(Loaded {
        copied,
        rebuilt: rebuild.len(),
    })
}

/// Appends one `upsert` change per asset written to the change feed by binary COPY, each with
/// `by` and the asset as it was before (`None` for an insert): one statement, so one `NOTIFY`
/// however many there are.
async fn copy_changes<'a>(
    tx: &deadpool_postgres::Transaction<'_>,
    written: impl Iterator<Item = (&'a Asset, Option<serde_json::Value>)>,
    by: &ChangeBy,
) -> Result<(), StoreError> {
    let sink = tx
        .copy_in(
            "COPY asset_changes (asset_id, kind, version, actor, via, before) \
             FROM STDIN (FORMAT binary)",
        )
        .await
        .map_err(from_pg)?;
    let writer = BinaryCopyInWriter::new(
        sink,
        &[
            Type::TEXT,
            Type::TEXT,
            Type::INT8,
            Type::TEXT,
            Type::TEXT,
            Type::JSONB,
        ],
    );
    let mut writer = std::pin::pin!(writer);
    let upsert = kind_slug(ChangeKind::Upsert);
    let actor = by.account.as_deref();
    let via = by.via.to_text();
    for (asset, before) in written {
        let version = version_to_i64(asset)?;
        writer
            .as_mut()
            .write(&[
                &asset.id.as_str(),
                &upsert,
                &version,
                &actor,
                &via.as_str(),
                &before,
            ])
            .await
            .map_err(from_pg)?;
    }
    writer.finish().await.map_err(from_pg)?;
    Ok(())
}

/// The newest change's sequence number (0 when there is none). Under the change-feed lock, in
/// a write's transaction, that is the last one it wrote if it wrote any.
async fn last_seq(tx: &deadpool_postgres::Transaction<'_>) -> Result<i64, StoreError> {
    Ok(tx
        .query_one("SELECT coalesce(max(seq), 0) FROM asset_changes", &[])
        .await
        .map_err(from_pg)?
        .get(0))
}

/// The columns of `source_records`, in the order [`keep_source_records`] and
/// [`source_record_from_row`] use.
const SOURCE_RECORD_COLUMNS: &str =
    "source, asset_id, fingerprint, imported_version, imported_at, gone_since";

/// Keeps `records` in the write's transaction, each replacing any kept for its (source, asset
/// id); of two in `records` with the same key, the later is kept. Binary COPY into a temporary
/// table (dropped at the end of the transaction), then one `INSERT … ON CONFLICT DO UPDATE`.
async fn keep_source_records(
    tx: &deadpool_postgres::Transaction<'_>,
    records: &[SourceRecord],
) -> Result<(), StoreError> {
    if records.is_empty() {
        return Ok(());
    }
    tx.batch_execute(
        "CREATE TEMPORARY TABLE source_records_in (LIKE source_records, ord bigint NOT NULL) \
         ON COMMIT DROP",
    )
    .await
    .map_err(from_pg)?;
    let sink = tx
        .copy_in(&format!(
            "COPY source_records_in ({SOURCE_RECORD_COLUMNS}, ord) FROM STDIN (FORMAT binary)"
        ))
        .await
        .map_err(from_pg)?;
    let types = [
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::INT8,
        Type::TIMESTAMPTZ,
        Type::TIMESTAMPTZ,
        Type::INT8,
    ];
    let writer = BinaryCopyInWriter::new(sink, &types);
    let mut writer = std::pin::pin!(writer);
    for (ord, r) in (0_i64..).zip(records) {
        let version = i64::try_from(r.imported_version).map_err(|_| {
            StoreError::Other(format!(
                "the source record of {} has imported_version {}, beyond what PostgreSQL stores",
                r.asset_id, r.imported_version
            ))
        })?;
        writer
            .as_mut()
            .write(&[
                &r.source.as_str(),
                &r.asset_id.as_str(),
                &r.fingerprint.as_str(),
                &version,
                &r.imported_at,
                &r.gone_since,
                &ord,
            ])
            .await
            .map_err(from_pg)?;
    }
    writer.finish().await.map_err(from_pg)?;
    tx.batch_execute(&format!(
        "INSERT INTO source_records ({SOURCE_RECORD_COLUMNS}) \
         SELECT DISTINCT ON (source, asset_id) {SOURCE_RECORD_COLUMNS} FROM source_records_in \
         ORDER BY source, asset_id, ord DESC \
         ON CONFLICT (source, asset_id) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, \
         imported_version = EXCLUDED.imported_version, imported_at = EXCLUDED.imported_at, \
         gone_since = EXCLUDED.gone_since; \
         DROP TABLE source_records_in"
    ))
    .await
    .map_err(from_pg)?;
    Ok(())
}

fn source_record_from_row(row: &Row) -> Result<SourceRecord, StoreError> {
    let bad =
        |e: tokio_postgres::Error| StoreError::Schema(format!("cannot read a source record: {e}"));
    let raw_id: String = row.try_get(1).map_err(bad)?;
    let asset_id = AssetId::parse(&raw_id).map_err(|e| {
        StoreError::Schema(format!(
            "a source record names asset {raw_id:?}: {}",
            e.problem
        ))
    })?;
    let version: i64 = row.try_get(3).map_err(bad)?;
    Ok(SourceRecord {
        source: row.try_get(0).map_err(bad)?,
        imported_version: u64::try_from(version).map_err(|_| {
            StoreError::Schema(format!(
                "the source record of {asset_id} has imported_version {version}"
            ))
        })?,
        asset_id,
        fingerprint: row.try_get(2).map_err(bad)?,
        imported_at: row.try_get(4).map_err(bad)?,
        gone_since: row.try_get(5).map_err(bad)?,
    })
}

/// The history's `before`: the asset as JSON.
fn before_json(asset: &Asset) -> Result<serde_json::Value, StoreError> {
    serde_json::to_value(asset)
        .map_err(|e| StoreError::Other(format!("asset {} as JSON: {e}", asset.id)))
}

/// Appends one change to the change feed — the asset, the kind, the version written (for a
/// delete, the version deleted), `by`, and the asset as it was before (`None` for an insert)
/// — and returns its sequence number (the caller commits: see [`PostgisStore::apply`]).
async fn append_change(
    tx: &deadpool_postgres::Transaction<'_>,
    id: &AssetId,
    kind: ChangeKind,
    version: i64,
    by: &ChangeBy,
    before: Option<&Asset>,
) -> Result<i64, StoreError> {
    let before = before.map(before_json).transpose()?;
    let stmt = tx
        .prepare_cached(
            "INSERT INTO asset_changes (asset_id, kind, version, actor, via, before) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING seq",
        )
        .await
        .map_err(from_pg)?;
    Ok(tx
        .query_one(
            &stmt,
            &[
                &id.as_str(),
                &kind_slug(kind),
                &version,
                &by.account,
                &by.via.to_text(),
                &before,
            ],
        )
        .await
        .map_err(from_pg)?
        .get(0))
}

async fn insert_row(
    tx: &deadpool_postgres::Transaction<'_>,
    asset: &Asset,
) -> Result<(), StoreError> {
    let params = AssetParams::new(asset)?;
    let stmt = tx.prepare_cached(&insert_sql()).await.map_err(from_pg)?;
    let n = tx
        .execute(&stmt, &params.values())
        .await
        .map_err(|e| from_pg_write(e, Some(&asset.id)))?;
    if n == 0 {
        return Err(StoreError::AlreadyExists(asset.id.clone()));
    }
    Ok(())
}

/// Replaces the stored asset with its next version; returns it as it was (the history's
/// `before`).
async fn replace_row(
    tx: &deadpool_postgres::Transaction<'_>,
    asset: &Asset,
) -> Result<Asset, StoreError> {
    replace_row_unmapped(tx, asset)
        .await
        .map_err(ReplaceFailure::into_store)
}

/// Why [`replace_row_unmapped`] failed: PostgreSQL's error still unmapped, so that a statement
/// refused only because another, pipelined one failed first can be told apart
/// ([`replace_rows`]).
enum ReplaceFailure {
    Pg(tokio_postgres::Error),
    Store(StoreError),
}

impl ReplaceFailure {
    fn into_store(self) -> StoreError {
        match self {
            ReplaceFailure::Pg(e) => from_pg(e),
            ReplaceFailure::Store(e) => e,
        }
    }

    /// Refused because the transaction had already failed (SQLSTATE 25P02).
    fn is_aborted_transaction(&self) -> bool {
        matches!(self, ReplaceFailure::Pg(e) if e.code() == Some(&SqlState::IN_FAILED_SQL_TRANSACTION))
    }
}

/// [`replace_row`]: locks and reads the stored row, checks its version, writes the next one,
/// and returns the stored one.
async fn replace_row_unmapped(
    tx: &deadpool_postgres::Transaction<'_>,
    asset: &Asset,
) -> Result<Asset, ReplaceFailure> {
    let params = AssetParams::new(asset).map_err(ReplaceFailure::Store)?;
    let expected = asset.version.saturating_sub(1);
    let select = tx
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM assets WHERE id = $1 FOR UPDATE"
        ))
        .await
        .map_err(ReplaceFailure::Pg)?;
    let row = tx
        .query_opt(&select, &[&asset.id.as_str()])
        .await
        .map_err(ReplaceFailure::Pg)?;
    let Some(row) = row else {
        return Err(ReplaceFailure::Store(StoreError::NotFound(
            asset.id.clone(),
        )));
    };
    let before = asset_from_row(&row, 0).map_err(ReplaceFailure::Store)?;
    let actual = before.version;
    if actual != expected {
        return Err(ReplaceFailure::Store(StoreError::VersionConflict {
            id: asset.id.clone(),
            expected,
            actual,
        }));
    }
    let stmt = tx
        .prepare_cached(&update_sql())
        .await
        .map_err(ReplaceFailure::Pg)?;
    tx.execute(&stmt, &params.values())
        .await
        .map_err(ReplaceFailure::Pg)?;
    Ok(before)
}

/// How many replacements of one import are in flight at once on its connection
/// ([`replace_rows`]).
const REPLACE_PIPELINE: usize = 64;

/// [`replace_row`] for each of `replaces`, in a bulk write's transaction, answering as the
/// first to fail in batch order would. The statements are pipelined — up to
/// [`REPLACE_PIPELINE`] replacements in flight, which saves a round trip per asset — unless an
/// id is repeated (then the second must see the first's write, so one at a time). Calls
/// `progress(n)` with the number of assets written so far (counting from `done`) before every
/// [`PROGRESS_EVERY`]-th. Returns the assets as they were stored, as JSON (the history's
/// `before`), in batch order.
async fn replace_rows(
    tx: &deadpool_postgres::Transaction<'_>,
    replaces: &[Asset],
    mut done: usize,
    progress: &(dyn Fn(usize) + Send + Sync),
) -> Result<Vec<serde_json::Value>, StoreError> {
    let mut befores = Vec::with_capacity(replaces.len());
    let mut seen = std::collections::HashSet::with_capacity(replaces.len());
    let distinct = replaces.iter().all(|a| seen.insert(a.id.as_str()));
    drop(seen);
    let depth = if distinct { REPLACE_PIPELINE } else { 1 };
    let mut pending = replaces.iter();
    let mut in_flight = futures_util::stream::FuturesOrdered::new();
    // A failed statement aborts the transaction, and the statements of other replacements
    // already sent behind it fail with 25P02, some of them earlier in the batch: those are
    // passed over in favour of the failure that caused them.
    let mut aborted = None;
    loop {
        while in_flight.len() < depth {
            let Some(asset) = pending.next() else { break };
            in_flight.push_back(replace_row_unmapped(tx, asset));
        }
        let Some(result) = in_flight.next().await else {
            break;
        };
        match result {
            Ok(before) => befores.push(before_json(&before)?),
            Err(failure) if failure.is_aborted_transaction() => {
                aborted.get_or_insert(failure);
                continue;
            }
            Err(failure) => return Err(failure.into_store()),
        }
        if done.is_multiple_of(PROGRESS_EVERY) {
            progress(done);
        }
        done += 1;
    }
    match aborted {
        Some(failure) => Err(failure.into_store()),
        None => Ok(befores),
    }
}

/// Deletes the stored asset; returns it as it was (the history's `before`).
async fn delete_row(
    tx: &deadpool_postgres::Transaction<'_>,
    id: &AssetId,
) -> Result<Asset, StoreError> {
    let stmt = tx
        .prepare_cached(&format!(
            "DELETE FROM assets WHERE id = $1 RETURNING {COLUMNS}"
        ))
        .await
        .map_err(from_pg)?;
    match tx
        .query_opt(&stmt, &[&id.as_str()])
        .await
        .map_err(from_pg)?
    {
        Some(row) => asset_from_row(&row, 0),
        None => Err(StoreError::NotFound(id.clone())),
    }
}

/// The columns of `idempotency_keys`, in the order [`keep_record`] and [`record_from_row`] use.
const RECORD_COLUMNS: &str =
    "key, fingerprint, status, location, etag, body, created_at, expires_at";

/// Deletes the idempotency records that have expired (by the database's clock, `now()`: the
/// start of this transaction).
async fn purge_expired_records(tx: &deadpool_postgres::Transaction<'_>) -> Result<(), StoreError> {
    tx.execute(
        "DELETE FROM idempotency_keys WHERE expires_at <= now()",
        &[],
    )
    .await
    .map_err(from_pg)?;
    Ok(())
}

/// Keeps `record` in the write's transaction, or answers [`StoreError::KeyAlreadyUsed`] with
/// the record already kept under its key. Call after [`purge_expired_records`], so that a kept
/// record found here has not expired.
async fn keep_record(
    tx: &deadpool_postgres::Transaction<'_>,
    record: &IdempotencyRecord,
) -> Result<(), StoreError> {
    let status = i16::try_from(record.outcome.status).map_err(|_| {
        StoreError::Other(format!("{} is not an HTTP status", record.outcome.status))
    })?;
    let kept = tx
        .execute(
            &format!(
                "INSERT INTO idempotency_keys ({RECORD_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (key) DO NOTHING"
            ),
            &[
                &record.key,
                &record.fingerprint,
                &status,
                &record.outcome.location,
                &record.outcome.etag,
                &record.outcome.body,
                &record.created_at,
                &record.expires_at,
            ],
        )
        .await
        .map_err(from_pg)?;
    if kept == 0 {
        let row = tx
            .query_one(
                &format!("SELECT {RECORD_COLUMNS} FROM idempotency_keys WHERE key = $1"),
                &[&record.key],
            )
            .await
            .map_err(from_pg)?;
        return Err(StoreError::KeyAlreadyUsed(Box::new(record_from_row(&row)?)));
    }
    Ok(())
}

fn record_from_row(row: &Row) -> Result<IdempotencyRecord, StoreError> {
    let bad = |e: tokio_postgres::Error| {
        StoreError::Schema(format!("cannot read an idempotency record: {e}"))
    };
    let status: i16 = row.try_get(2).map_err(bad)?;
    Ok(IdempotencyRecord {
        key: row.try_get(0).map_err(bad)?,
        fingerprint: row.try_get(1).map_err(bad)?,
        outcome: Outcome {
            status: u16::try_from(status).map_err(|_| {
                StoreError::Schema(format!("idempotency record with status {status}"))
            })?,
            location: row.try_get(3).map_err(bad)?,
            etag: row.try_get(4).map_err(bad)?,
            body: row.try_get(5).map_err(bad)?,
        },
        created_at: row.try_get(6).map_err(bad)?,
        expires_at: row.try_get(7).map_err(bad)?,
    })
}

/// From this many assets, a bulk load into an empty table rebuilds the secondary indexes
/// afterwards rather than maintaining them row by row.
const REBUILD_INDEXES_FROM: usize = 10_000;

/// How often a bulk load reports progress, in assets.
const PROGRESS_EVERY: usize = crate::IMPORT_PROGRESS_EVERY;

/// `(name, CREATE INDEX …)` of every index on `assets` but the primary key, when the table is
/// empty; nothing otherwise. Read from the catalogue so that indexes added by later
/// migrations are rebuilt the same way.
async fn secondary_indexes_if_empty(
    tx: &deadpool_postgres::Transaction<'_>,
) -> Result<Vec<(String, String)>, StoreError> {
    let empty: bool = tx
        .query_one("SELECT NOT EXISTS (SELECT 1 FROM assets)", &[])
        .await
        .map_err(from_pg)?
        .get(0);
    if !empty {
        return Ok(Vec::new());
    }
    let rows = tx
        .query(
            "SELECT i.relname::text, pg_get_indexdef(i.oid) FROM pg_index x \
             JOIN pg_class i ON i.oid = x.indexrelid \
             WHERE x.indrelid = 'assets'::regclass AND NOT x.indisprimary AND NOT x.indisunique",
            &[],
        )
        .await
        .map_err(from_pg)?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

fn kind_slug(kind: ChangeKind) -> &'static str {
    match kind {
        ChangeKind::Upsert => "upsert",
        ChangeKind::Delete => "delete",
    }
}

fn seq_to_u64(seq: i64) -> Result<u64, StoreError> {
    u64::try_from(seq)
        .map_err(|_| StoreError::Schema(format!("negative change sequence number {seq}")))
}

fn version_to_i64(asset: &Asset) -> Result<i64, StoreError> {
    i64::try_from(asset.version).map_err(|_| {
        StoreError::Other(format!(
            "asset {} has version {}, beyond what PostgreSQL stores",
            asset.id, asset.version
        ))
    })
}

/// An asset's column values, borrowed where possible.
struct AssetParams<'a> {
    id: &'a str,
    name: &'a str,
    description: Option<&'a str>,
    abcd_type: &'static str,
    categories: Vec<&'static str>,
    tags: Vec<&'a str>,
    geom: ewkb::Point,
    address: Option<&'a str>,
    postcode: Option<&'a str>,
    phone: Option<&'a str>,
    email: Option<&'a str>,
    website: Option<&'a str>,
    opening_times: serde_json::Value,
    cost_band: Option<&'static str>,
    cost_detail: Option<&'a str>,
    access: Vec<&'static str>,
    min_age: Option<i16>,
    max_age: Option<i16>,
    audience_description: Option<&'a str>,
    languages: Vec<&'a str>,
    provenance: serde_json::Value,
    verified_at: Option<NaiveDate>,
    status: &'static str,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    version: i64,
}

impl<'a> AssetParams<'a> {
    fn new(a: &'a Asset) -> Result<Self, StoreError> {
        let json = |what: &str, v: Result<serde_json::Value, serde_json::Error>| {
            v.map_err(|e| {
                StoreError::Other(format!("cannot encode the {what} of asset {}: {e}", a.id))
            })
        };
        Ok(Self {
            id: a.id.as_str(),
            name: a.name.as_str(),
            description: a.description.as_deref(),
            abcd_type: a.abcd_type.slug(),
            categories: a.categories.iter().map(|c| c.slug()).collect(),
            tags: a.tags.iter().map(Tag::as_str).collect(),
            geom: ewkb::Point {
                x: a.location.lon(),
                y: a.location.lat(),
                srid: Some(SRID_WGS84),
            },
            address: a.address.as_deref(),
            postcode: a.postcode.as_ref().map(Postcode::as_str),
            phone: a.contact.phone.as_ref().map(Phone::as_str),
            email: a.contact.email.as_ref().map(Email::as_str),
            website: a.contact.website.as_ref().map(Website::as_str),
            opening_times: json("opening times", serde_json::to_value(&a.opening_times))?,
            cost_band: a.cost.as_ref().map(|c| c.band.slug()),
            cost_detail: a.cost.as_ref().and_then(|c| c.detail.as_deref()),
            access: a.access.iter().map(|f| f.slug()).collect(),
            min_age: a.audience.min_age().map(i16::from),
            max_age: a.audience.max_age().map(i16::from),
            audience_description: a.audience.description(),
            languages: a.languages.iter().map(Language::as_str).collect(),
            provenance: json("provenance", serde_json::to_value(&a.provenance))?,
            verified_at: a.verified_at,
            status: a.status.slug(),
            created_at: a.created_at,
            updated_at: a.updated_at,
            version: version_to_i64(a)?,
        })
    }

    fn values(&self) -> [&(dyn ToSql + Sync); N_COLUMNS] {
        [
            &self.id,
            &self.name,
            &self.description,
            &self.abcd_type,
            &self.categories,
            &self.tags,
            &self.geom,
            &self.address,
            &self.postcode,
            &self.phone,
            &self.email,
            &self.website,
            &self.opening_times,
            &self.cost_band,
            &self.cost_detail,
            &self.access,
            &self.min_age,
            &self.max_age,
            &self.audience_description,
            &self.languages,
            &self.provenance,
            &self.verified_at,
            &self.status,
            &self.created_at,
            &self.updated_at,
            &self.version,
        ]
    }
}

/// Reads the asset whose [`COLUMNS`] start at column `at` of `row`. Every value is parsed
/// again into its domain type, so a row edited by hand into something invalid is reported as
/// [`StoreError::Schema`] naming the asset and the field, never passed on.
fn asset_from_row(row: &Row, at: usize) -> Result<Asset, StoreError> {
    let raw_id: String = row
        .try_get(at)
        .map_err(|e| StoreError::Schema(format!("cannot read an asset id: {e}")))?;
    let bad = |field: &str, problem: String| {
        StoreError::Schema(format!("stored asset {raw_id:?}: {field}: {problem}"))
    };
    macro_rules! get {
        ($i:expr, $name:literal) => {
            row.try_get(at + $i)
                .map_err(|e| bad($name, e.to_string()))?
        };
    }

    let id = AssetId::parse(&raw_id).map_err(|e| bad("id", e.problem))?;
    let name: String = get!(1, "name");
    let description: Option<String> = get!(2, "description");
    let abcd_type: String = get!(3, "abcd_type");
    let categories: Vec<String> = get!(4, "categories");
    let tags: Vec<String> = get!(5, "tags");
    let geom: ewkb::Point = get!(6, "geom");
    let address: Option<String> = get!(7, "address");
    let postcode: Option<String> = get!(8, "postcode");
    let phone: Option<String> = get!(9, "phone");
    let email: Option<String> = get!(10, "email");
    let website: Option<String> = get!(11, "website");
    let opening_times: serde_json::Value = get!(12, "opening_times");
    let cost_band: Option<String> = get!(13, "cost_band");
    let cost_detail: Option<String> = get!(14, "cost_detail");
    let access: Vec<String> = get!(15, "access");
    let min_age: Option<i16> = get!(16, "min_age");
    let max_age: Option<i16> = get!(17, "max_age");
    let audience_description: Option<String> = get!(18, "audience_description");
    let languages: Vec<String> = get!(19, "languages");
    let provenance: serde_json::Value = get!(20, "provenance");
    let verified_at: Option<NaiveDate> = get!(21, "verified_at");
    let status: String = get!(22, "status");
    let created_at: DateTime<Utc> = get!(23, "created_at");
    let updated_at: DateTime<Utc> = get!(24, "updated_at");
    let version: i64 = get!(25, "version");

    let age = |field: &str, v: Option<i16>| -> Result<Option<u8>, StoreError> {
        v.map(|v| u8::try_from(v).map_err(|_| bad(field, format!("{v} is not an age"))))
            .transpose()
    };

    Ok(Asset {
        name: AssetName::from_stored(&name).map_err(|e| bad("name", e.problem))?,
        description,
        abcd_type: AbcdType::parse(&abcd_type).map_err(|e| bad("abcd_type", e.problem))?,
        categories: categories
            .iter()
            .map(|c| Category::parse(c).map_err(|e| bad("categories", e.problem)))
            .collect::<Result<_, _>>()?,
        tags: tags
            .iter()
            .map(|t| Tag::from_stored(t).map_err(|e| bad("tags", e.problem)))
            .collect::<Result<_, _>>()?,
        location: LonLat::new(geom.x, geom.y).map_err(|e| bad("geom", e.problem))?,
        address,
        postcode: postcode
            .map(|p| Postcode::parse(&p).map_err(|e| bad("postcode", e.problem)))
            .transpose()?,
        contact: Contact {
            phone: phone
                .map(|v| Phone::parse(&v).map_err(|e| bad("phone", e.problem)))
                .transpose()?,
            email: email
                .map(|v| Email::from_stored(&v).map_err(|e| bad("email", e.problem)))
                .transpose()?,
            website: website
                .map(|v| Website::from_stored(&v).map_err(|e| bad("website", e.problem)))
                .transpose()?,
        },
        opening_times: serde_json::from_value::<OpeningTimes>(opening_times)
            .map_err(|e| bad("opening_times", e.to_string()))?,
        cost: match cost_band {
            Some(b) => Some(Cost {
                band: CostBand::parse(&b).map_err(|e| bad("cost_band", e.problem))?,
                detail: cost_detail,
            }),
            None => None,
        },
        access: access
            .iter()
            .map(|a| AccessFeature::parse(a).map_err(|e| bad("access", e.problem)))
            .collect::<Result<_, _>>()?,
        audience: Audience::new(
            age("min_age", min_age)?,
            age("max_age", max_age)?,
            audience_description,
        )
        .map_err(|e| bad("audience", e.problem))?,
        languages: languages
            .iter()
            .map(|l| Language::parse(l).map_err(|e| bad("languages", e.problem)))
            .collect::<Result<_, _>>()?,
        provenance: serde_json::from_value::<Provenance>(provenance)
            .map_err(|e| bad("provenance", e.to_string()))?,
        verified_at,
        status: Status::parse(&status).map_err(|e| bad("status", e.problem))?,
        created_at,
        updated_at,
        version: u64::try_from(version)
            .map_err(|_| bad("version", format!("{version} is not a version")))?,
        id,
    })
}

/// One row of the change-feed query in [`PostgisStore::changes_since`]: seq, id, kind, then
/// the asset's columns (all null when it is gone).
fn change_from_row(row: &Row) -> Result<Change, StoreError> {
    let seq = seq_to_u64(row.get(0))?;
    let raw_id: String = row.get(1);
    let id = AssetId::parse(&raw_id).map_err(|e| {
        StoreError::Schema(format!(
            "change {seq} names asset {raw_id:?}: {}",
            e.problem
        ))
    })?;
    let kind = change_kind(row.get(2))?;
    let present: Option<String> = row.get(3);
    let asset = match (kind, present) {
        (ChangeKind::Upsert, Some(_)) => Some(asset_from_row(row, 3)?),
        _ => None,
    };
    Ok(Change {
        seq,
        id,
        kind,
        asset,
    })
}

/// One row of [`AssetStore::history`]'s query: seq, kind, version, changed_at, actor, via,
/// before. Rows written before migration 4 have no via (unrecorded), version (0) or before.
fn history_entry(id: &AssetId, row: &Row) -> Result<HistoryEntry, StoreError> {
    let bad =
        |e: tokio_postgres::Error| StoreError::Schema(format!("cannot read a change of {id}: {e}"));
    let seq = seq_to_u64(row.try_get(0).map_err(bad)?)?;
    let version: Option<i64> = row.try_get(2).map_err(bad)?;
    let via: Option<String> = row.try_get(5).map_err(bad)?;
    let before: Option<serde_json::Value> = row.try_get(6).map_err(bad)?;
    let schema = |what: String| StoreError::Schema(format!("change {seq} of {id}: {what}"));
    Ok(HistoryEntry {
        seq,
        id: id.clone(),
        kind: change_kind(row.try_get(1).map_err(bad)?)?,
        version: match version {
            Some(v) => u64::try_from(v).map_err(|_| schema(format!("version {v}")))?,
            None => 0,
        },
        at: row.try_get(3).map_err(bad)?,
        by: ChangeBy {
            account: row.try_get(4).map_err(bad)?,
            via: match via {
                Some(v) => Via::parse(&v).map_err(schema)?,
                None => Via::Unrecorded,
            },
        },
        before: before
            .map(|b| serde_json::from_value::<Asset>(b).map_err(|e| schema(format!("before: {e}"))))
            .transpose()?,
    })
}

fn change_kind(kind: &str) -> Result<ChangeKind, StoreError> {
    match kind {
        "upsert" => Ok(ChangeKind::Upsert),
        "delete" => Ok(ChangeKind::Delete),
        other => Err(StoreError::Schema(format!(
            "unknown change kind {other:?} in asset_changes"
        ))),
    }
}

fn insert_sql() -> String {
    let params: Vec<String> = (1..=N_COLUMNS).map(|i| format!("${i}")).collect();
    format!(
        "INSERT INTO assets ({COLUMNS}) VALUES ({}) ON CONFLICT (id) DO NOTHING",
        params.join(", ")
    )
}

fn update_sql() -> String {
    let sets: Vec<String> = COLUMNS
        .split(", ")
        .enumerate()
        .skip(1)
        .map(|(i, c)| format!("{} = ${}", c.trim(), i + 1))
        .collect();
    format!("UPDATE assets SET {} WHERE id = $1", sets.join(", "))
}

#[async_trait::async_trait]
impl AssetStore for PostgisStore {
    fn kind(&self) -> &'static str {
        "postgis"
    }

    async fn all(&self) -> Result<Vec<Asset>, StoreError> {
        let mut out = self
            .read_every_row(&format!("SELECT {COLUMNS} FROM assets"), &[], |row| {
                asset_from_row(row, 0)
            })
            .await?;
        // Sorted here rather than by the database: a million wide rows would be sorted on
        // disk there, and here it is a sort of ids (byte order, as `COLLATE "C"`).
        out.sort_unstable_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    async fn page_after(
        &self,
        after: Option<&AssetId>,
        limit: usize,
    ) -> Result<Vec<Asset>, StoreError> {
        self.bounded(async {
            let client = self.client().await?;
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            // `id` is `COLLATE "C"`: byte order, the same order as `AssetId`'s `Ord`. Two
            // statements rather than `$1 IS NULL OR id > $1`, so each is a primary-key range
            // scan.
            let rows = match after {
                Some(after) => {
                    let stmt = client
                        .prepare_cached(&format!(
                            "SELECT {COLUMNS} FROM assets WHERE id > $1 ORDER BY id LIMIT $2"
                        ))
                        .await
                        .map_err(from_pg)?;
                    client.query(&stmt, &[&after.as_str(), &limit]).await
                }
                None => {
                    let stmt = client
                        .prepare_cached(&format!(
                            "SELECT {COLUMNS} FROM assets ORDER BY id LIMIT $1"
                        ))
                        .await
                        .map_err(from_pg)?;
                    client.query(&stmt, &[&limit]).await
                }
            }
            .map_err(from_pg)?;
            rows.iter().map(|r| asset_from_row(r, 0)).collect()
        })
        .await
    }

    async fn get(&self, id: &AssetId) -> Result<Option<Asset>, StoreError> {
        self.bounded(async {
            let client = self.client().await?;
            let stmt = client
                .prepare_cached(&format!("SELECT {COLUMNS} FROM assets WHERE id = $1"))
                .await
                .map_err(from_pg)?;
            let row = client
                .query_opt(&stmt, &[&id.as_str()])
                .await
                .map_err(from_pg)?;
            row.map(|r| asset_from_row(&r, 0)).transpose()
        })
        .await
    }

    async fn count(&self) -> Result<u64, StoreError> {
        self.bounded(async {
            let client = self.client().await?;
            let n: i64 = client
                .query_one("SELECT count(*) FROM assets", &[])
                .await
                .map_err(from_pg)?
                .get(0);
            Ok(u64::try_from(n).unwrap_or(0))
        })
        .await
    }

    /// One write in one transaction, under the change-feed lock: the expired idempotency
    /// records purged, the record kept (if any), the row written, and its change-feed row with
    /// `by` and the row as it was before (a replacement reads it with `SELECT … FOR UPDATE`, a
    /// delete with `DELETE … RETURNING`).
    ///
    /// A write [`Via::Review`]`(n)` first locks proposal `n` (`SELECT … FOR UPDATE`) and checks
    /// that it exists ([`StoreError::Missing`]), is still waiting ([`StoreError::Conflict`]) and
    /// is for this asset, and that the write is a [`Write::Replace`] ([`StoreError::Conflict`]
    /// otherwise); it then marks the proposal accepted by `by.account` at `now()`. A write
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
        let mut client = self.bounded(self.client()).await?;
        // Up to the commit, a call that runs out of time is rolled back: nothing was saved.
        let (tx, seq) = self
            .bounded(async {
                let tx = begin_write(&mut client).await?;
                purge_expired_records(&tx).await?;
                if let Some(record) = record {
                    keep_record(&tx, record).await?;
                }
                if let Via::Review(proposal) = by.via {
                    let replaces = match write {
                        Write::Replace(asset) => Some(&asset.id),
                        _ => None,
                    };
                    super::accounts::accept_proposal(
                        &tx,
                        proposal,
                        replaces,
                        by.account.as_deref(),
                    )
                    .await?;
                }
                if let Via::Suggestion(suggestion) = by.via {
                    super::suggestions::accept_suggestion(
                        &tx,
                        suggestion,
                        write,
                        by.account.as_deref(),
                    )
                    .await?;
                }
                let (version, before) = match write {
                    Write::Insert(asset) => {
                        insert_row(&tx, asset).await?;
                        (version_to_i64(asset)?, None)
                    }
                    Write::Replace(asset) => {
                        let before = replace_row(&tx, asset).await?;
                        (version_to_i64(asset)?, Some(before))
                    }
                    Write::Delete(id) => {
                        let before = delete_row(&tx, id).await?;
                        (version_to_i64(&before)?, Some(before))
                    }
                };
                let seq =
                    append_change(&tx, write.id(), write.kind(), version, by, before.as_ref())
                        .await?;
                Ok((tx, seq))
            })
            .await?;
        // Past this point a lost or silent connection leaves the outcome unknown: PostgreSQL
        // may have committed before the answer was lost.
        let limit = self.timeouts.call();
        match tokio::time::timeout(limit, tx.commit()).await {
            Ok(committed) => committed.map_err(from_pg_commit)?,
            Err(_) => {
                return Err(StoreError::OutcomeUnknown(format!(
                    "PostgreSQL did not answer the COMMIT within {:.1} s",
                    limit.as_secs_f64()
                )))
            }
        }
        seq_to_u64(seq)
    }

    async fn idempotency_record(&self, key: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
        self.bounded(async {
            let client = self.client().await?;
            let row = client
                .query_opt(
                    &format!(
                        "SELECT {RECORD_COLUMNS} FROM idempotency_keys \
                         WHERE key = $1 AND expires_at > now()"
                    ),
                    &[&key],
                )
                .await
                .map_err(from_pg)?;
            row.map(|r| record_from_row(&r)).transpose()
        })
        .await
    }

    async fn history(&self, id: &AssetId) -> Result<Vec<HistoryEntry>, StoreError> {
        self.bounded(async {
            let client = self.client().await?;
            // `asset_changes_asset_idx` finds the rows.
            let stmt = client
                .prepare_cached(
                    "SELECT seq, kind, version, changed_at, actor, via, before \
                     FROM asset_changes WHERE asset_id = $1 ORDER BY seq",
                )
                .await
                .map_err(from_pg)?;
            let rows = client
                .query(&stmt, &[&id.as_str()])
                .await
                .map_err(from_pg)?;
            rows.iter().map(|r| history_entry(id, r)).collect()
        })
        .await
    }

    async fn insert_many(&self, assets: &[Asset], by: &ChangeBy) -> Result<u64, StoreError> {
        self.insert_many_with_progress(assets, by, &|_| {}).await
    }

    async fn source_records(&self, source: &str) -> Result<Vec<SourceRecord>, StoreError> {
        // The primary key (source, asset_id) gives the order; both columns are `COLLATE "C"`,
        // byte order, as `AssetId`'s `Ord`.
        self.read_every_row(
            &format!(
                "SELECT {SOURCE_RECORD_COLUMNS} FROM source_records \
                 WHERE source = $1 ORDER BY asset_id"
            ),
            &[&source],
            source_record_from_row,
        )
        .await
    }

    async fn apply_import(
        &self,
        batch: ImportBatch<'_>,
        progress: &(dyn Fn(usize) + Send + Sync),
    ) -> Result<u64, StoreError> {
        // A bulk write, like `insert_many`: no statement timeout and no client-side bound.
        let mut client = self.client().await?;
        let tx = begin_bulk_write(&mut client).await?;
        let started = std::time::Instant::now();
        let mut rebuilt = 0;
        if !batch.inserts.is_empty() {
            rebuilt = copy_new_assets(&tx, batch.inserts, progress).await?.rebuilt;
        }
        let befores = replace_rows(&tx, batch.replaces, batch.inserts.len(), progress).await?;
        let done = batch.assets();
        progress(done);
        if done > 0 {
            let written = batch
                .inserts
                .iter()
                .map(|a| (a, None))
                .chain(batch.replaces.iter().zip(befores.into_iter().map(Some)));
            copy_changes(&tx, written, batch.by).await?;
        }
        keep_source_records(&tx, batch.records).await?;
        let seq = last_seq(&tx).await?;
        let written = started.elapsed();
        tx.commit().await.map_err(from_pg_commit)?;
        analyze_after_bulk(&client, done).await;
        tracing::info!(
            inserts = batch.inserts.len(),
            replaces = batch.replaces.len(),
            records = batch.records.len(),
            write_s = written.as_secs_f64(),
            commit_s = (started.elapsed() - written).as_secs_f64(),
            rebuilt_indexes = rebuilt,
            "import committed"
        );
        seq_to_u64(seq)
    }

    async fn changes_since(&self, since: u64, limit: usize) -> Result<Vec<Change>, StoreError> {
        let since = i64::try_from(since).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        // Streamed: a large backlog (a whole import) is decoded row by row, never held twice.
        // It may take longer than a statement may run, so, as in `all`, every step and every
        // row must arrive within the client-side bound rather than the whole.
        let client = self.bounded(self.client()).await?;
        let rows = self
            .bounded(async {
                let stmt = client
                    .prepare_cached(&format!(
                        "SELECT c.seq, c.asset_id, c.kind, {} FROM asset_changes c \
                         LEFT JOIN assets a ON c.kind = 'upsert' AND a.id = c.asset_id \
                         WHERE c.seq > $1 ORDER BY c.seq LIMIT $2",
                        columns_of("a")
                    ))
                    .await
                    .map_err(from_pg)?;
                let params: [&(dyn ToSql + Sync); 2] = [&since, &limit];
                client.query_raw(&stmt, params).await.map_err(from_pg)
            })
            .await?;
        let mut rows = std::pin::pin!(rows);
        let mut changes = Vec::new();
        while let Some(row) = self
            .bounded(async { rows.try_next().await.map_err(from_pg) })
            .await?
        {
            changes.push(change_from_row(&row)?);
        }
        Ok(changes)
    }

    async fn latest_seq(&self) -> Result<u64, StoreError> {
        self.bounded(async {
            let client = self.client().await?;
            let seq: i64 = client
                .query_one("SELECT coalesce(max(seq), 0) FROM asset_changes", &[])
                .await
                .map_err(from_pg)?
                .get(0);
            seq_to_u64(seq)
        })
        .await
    }

    fn change_signal(&self) -> Option<watch::Receiver<u64>> {
        let rx = self.signal.get_or_init(|| {
            let (tx, rx) = watch::channel(0);
            self.runtime.spawn(listen::run(self.config.clone(), tx));
            rx
        });
        Some(rx.clone())
    }
}
