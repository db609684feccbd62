//! The connection pool (deadpool-postgres over tokio-postgres, without TLS).

use crate::StoreError;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use std::str::FromStr;
use std::time::Duration;
use tokio_postgres::NoTls;

/// How long to wait for the server to accept a new connection before the store reports
/// [`StoreError::Unavailable`].
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Settings of the pool.
#[derive(Debug, Clone)]
pub struct PoolOptions {
    /// Most connections open at once.
    pub max_size: usize,
    /// Longest wait for a free connection before giving up with `Unavailable`.
    pub wait_timeout: Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        Self {
            max_size: 16,
            wait_timeout: Duration::from_secs(10),
        }
    }
}

/// Parses a `postgres://` URL (or a `key=value` connection string) into a client config.
/// The message never repeats the URL, which may hold a password.
pub(crate) fn parse_config(url: &str) -> Result<tokio_postgres::Config, StoreError> {
    let mut config = tokio_postgres::Config::from_str(url).map_err(|e| {
        StoreError::Other(format!(
            "the PostgreSQL URL is not valid ({e}); expected postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE"
        ))
    })?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    if config.get_application_name().is_none() {
        config.application_name("assetmap");
    }
    Ok(config)
}

/// Builds the pool. No connection is opened until the first checkout.
pub(crate) fn build(
    config: tokio_postgres::Config,
    options: &PoolOptions,
) -> Result<Pool, StoreError> {
    // `Fast` recycling checks only that the connection is still open; a connection that died
    // with the server fails its next query with `Unavailable` and is dropped.
    let manager = Manager::from_config(
        config,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(options.max_size.max(1))
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(options.wait_timeout))
        .create_timeout(Some(CONNECT_TIMEOUT))
        .recycle_timeout(Some(CONNECT_TIMEOUT))
        .build()
        .map_err(|e| StoreError::Other(format!("cannot build the PostgreSQL pool: {e}")))
}
