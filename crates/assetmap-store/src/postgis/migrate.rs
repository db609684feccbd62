//! Schema migrations: the numbered SQL files of `migrations/`, embedded in the binary.
//!
//! `migrate` applies the pending ones in one transaction, holding an advisory lock so that
//! two servers starting at once do not race, and records each in `schema_migrations`. A
//! database whose schema is newer than this code knows is refused rather than guessed at.

use super::errors::from_pg;
use crate::StoreError;
use tokio_postgres::{Client, GenericClient};

/// One migration: `migrations/NNNN_name.sql`.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// The number in the file name; migrations apply in this order.
    pub version: i64,
    /// The file name without `.sql`.
    pub name: &'static str,
    /// The SQL, run as one batch.
    pub sql: &'static str,
}

/// Every migration this code knows, oldest first.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_assets",
        sql: include_str!("../../../../migrations/0001_assets.sql"),
    },
    Migration {
        version: 2,
        name: "0002_idempotency",
        sql: include_str!("../../../../migrations/0002_idempotency.sql"),
    },
    Migration {
        version: 3,
        name: "0003_source_records",
        sql: include_str!("../../../../migrations/0003_source_records.sql"),
    },
    Migration {
        version: 4,
        name: "0004_accounts_history",
        sql: include_str!("../../../../migrations/0004_accounts_history.sql"),
    },
    Migration {
        version: 5,
        name: "0005_suggestions",
        sql: include_str!("../../../../migrations/0005_suggestions.sql"),
    },
];

/// The schema version this code expects: the newest migration's number.
pub fn latest_version() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// The oldest PostGIS major version assetmap runs on.
pub const MIN_POSTGIS_MAJOR: u32 = 3;

/// Key of the advisory lock held while migrating ("assetmap" in ASCII, plus one).
pub(crate) const MIGRATION_LOCK_KEY: i64 = 0x6173_7365_746d_6171;

/// What `migrate` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationReport {
    /// Schema version before (0 for an empty database).
    pub from: i64,
    /// Schema version after.
    pub to: i64,
    /// Names of the migrations applied now, in order (empty when already up to date).
    pub applied: Vec<&'static str>,
}

const CREATE_MIGRATIONS_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version    bigint PRIMARY KEY,
    name       text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)";

/// Checks that PostGIS 3.0 or newer is installed in the database, or at least available to
/// install; returns its version.
pub(crate) async fn check_postgis(
    client: &(impl GenericClient + Sync),
) -> Result<String, StoreError> {
    let installed = client
        .query_opt(
            "SELECT extversion FROM pg_extension WHERE extname = 'postgis'",
            &[],
        )
        .await
        .map_err(from_pg)?
        .map(|r| r.get::<_, String>(0));
    let version = match installed {
        Some(v) => v,
        None => client
            .query_opt("SELECT default_version FROM pg_available_extensions WHERE name = 'postgis'", &[])
            .await
            .map_err(from_pg)?
            .and_then(|r| r.get::<_, Option<String>>(0))
            .ok_or_else(|| {
                StoreError::Schema(
                    "PostGIS is not installed on this PostgreSQL server; assetmap needs PostGIS 3.0 or newer \
                     (on Debian: apt-get install postgresql-NN-postgis-3, then CREATE EXTENSION postgis)"
                        .to_owned(),
                )
            })?,
    };
    require_postgis_3(&version)?;
    Ok(version)
}

/// Refuses PostGIS versions older than [`MIN_POSTGIS_MAJOR`].0.
fn require_postgis_3(version: &str) -> Result<(), StoreError> {
    let major: u32 = version
        .split('.')
        .next()
        .and_then(|m| m.trim().parse().ok())
        .unwrap_or(0);
    if major < MIN_POSTGIS_MAJOR {
        return Err(StoreError::Schema(format!(
            "PostGIS {version} is too old: assetmap needs PostGIS {MIN_POSTGIS_MAJOR}.0 or newer \
             (upgrade the extension with ALTER EXTENSION postgis UPDATE, or install postgresql-NN-postgis-3)"
        )));
    }
    Ok(())
}

/// The database's schema version: 0 when it has never been migrated.
pub(crate) async fn schema_version(
    client: &(impl GenericClient + Sync),
) -> Result<i64, StoreError> {
    let exists: bool = client
        .query_one("SELECT to_regclass('schema_migrations') IS NOT NULL", &[])
        .await
        .map_err(from_pg)?
        .get(0);
    if !exists {
        return Ok(0);
    }
    let v: Option<i64> = client
        .query_one("SELECT max(version) FROM schema_migrations", &[])
        .await
        .map_err(from_pg)?
        .get(0);
    Ok(v.unwrap_or(0))
}

/// Refuses a schema newer than this code knows.
pub(crate) fn check_not_newer(version: i64) -> Result<(), StoreError> {
    if version > latest_version() {
        return Err(StoreError::Schema(format!(
            "the database schema is at version {version}, newer than this assetmap knows (version {}): \
             a newer assetmap has migrated it; run that version, or restore a backup",
            latest_version()
        )));
    }
    Ok(())
}

/// Applies every pending migration in one transaction under an advisory lock.
pub(crate) async fn migrate(client: &mut Client) -> Result<MigrationReport, StoreError> {
    let tx = client.transaction().await.map_err(from_pg)?;
    // Held until commit: a second migrator waits here, then finds nothing left to do.
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK_KEY])
        .await
        .map_err(from_pg)?;
    tx.batch_execute(CREATE_MIGRATIONS_TABLE)
        .await
        .map_err(from_pg)?;
    let from = schema_version(&tx).await?;
    check_not_newer(from)?;
    let mut applied = Vec::new();
    let pending: Vec<&Migration> = MIGRATIONS.iter().filter(|m| m.version > from).collect();
    if !pending.is_empty() {
        // A migration takes as long as it needs (creating PostGIS, building an index over
        // every asset): no statement timeout for it. The lock timeout stays, so a migration
        // never queues every reader and writer behind a lock it cannot get.
        tx.batch_execute("SET LOCAL statement_timeout = 0")
            .await
            .map_err(from_pg)?;
    }
    for m in pending {
        tx.batch_execute(m.sql)
            .await
            .map_err(|e| match from_pg(e) {
                StoreError::Unavailable(msg) => StoreError::Unavailable(msg),
                other => StoreError::Schema(format!("migration {} failed: {other}", m.name)),
            })?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
            &[&m.version, &m.name],
        )
        .await
        .map_err(from_pg)?;
        applied.push(m.name);
    }
    tx.commit().await.map_err(from_pg)?;
    Ok(MigrationReport {
        from,
        to: from.max(latest_version()),
        applied,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_in_order_and_match_their_names() {
        let mut last = 0;
        for m in MIGRATIONS {
            assert!(m.version > last, "{} is out of order", m.name);
            assert!(
                m.name.starts_with(&format!("{:04}_", m.version)),
                "{} does not start with its number",
                m.name
            );
            last = m.version;
        }
        assert_eq!(latest_version(), last);
    }

    #[test]
    fn every_file_in_migrations_is_embedded() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations");
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .expect("migrations/ exists")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        files.sort();
        let embedded: Vec<String> = MIGRATIONS
            .iter()
            .map(|m| format!("{}.sql", m.name))
            .collect();
        assert_eq!(
            files, embedded,
            "add new files in migrations/ to MIGRATIONS"
        );
    }

    #[test]
    fn postgis_older_than_3_is_refused() {
        assert!(require_postgis_3("3.0.0").is_ok());
        assert!(require_postgis_3("3.3.2").is_ok());
        assert!(require_postgis_3("3.5.0dev").is_ok());
        let err = require_postgis_3("2.5.5").expect_err("too old").to_string();
        assert!(
            err.contains("PostGIS 2.5.5 is too old") && err.contains("3.0 or newer"),
            "{err}"
        );
    }

    #[test]
    fn a_newer_schema_is_refused() {
        assert!(check_not_newer(latest_version()).is_ok());
        let err = check_not_newer(latest_version() + 1)
            .expect_err("refused")
            .to_string();
        assert!(err.contains("newer than this assetmap knows"), "{err}");
    }
}
