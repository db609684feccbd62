//! The connection pool (deadpool-postgres over tokio-postgres, without TLS), and the session
//! settings every connection is opened with: the bounded waits of [`Timeouts`].

use crate::{StoreError, Timeouts};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use std::str::FromStr;
use std::time::Duration;
use tokio_postgres::NoTls;

/// Most connections a store opens at once.
pub const MAX_CONNECTIONS: usize = 16;

/// Parses a `postgres://` URL (or a `key=value` connection string) into a client config with
/// the bounds of `timeouts`: connect timeout, TCP keepalives and `TCP_USER_TIMEOUT`, and
/// `statement_timeout`, `lock_timeout` and `idle_in_transaction_session_timeout` for the
/// session (sent as start-up `options`, after any the URL gives, so these win).
/// The message never repeats the URL, which may hold a password.
pub(crate) fn parse_config(
    url: &str,
    timeouts: &Timeouts,
) -> Result<tokio_postgres::Config, StoreError> {
    let mut config = tokio_postgres::Config::from_str(url).map_err(|e| {
        StoreError::Other(format!(
            "the PostgreSQL URL is not valid ({e}); expected postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE"
        ))
    })?;
    config.connect_timeout(timeouts.connect);
    config
        .keepalives(true)
        .keepalives_idle(timeouts.keepalive)
        .keepalives_interval((timeouts.keepalive / 3).max(Duration::from_secs(1)))
        .keepalives_retries(3)
        .tcp_user_timeout(timeouts.keepalive * 2);
    let session = session_options(timeouts);
    let options = match config.get_options() {
        Some(given) if !given.trim().is_empty() => format!("{given} {session}"),
        _ => session,
    };
    config.options(options);
    if config.get_application_name().is_none() {
        config.application_name("assetmap");
    }
    Ok(config)
}

/// `-c statement_timeout=… -c lock_timeout=… -c idle_in_transaction_session_timeout=…`, in
/// milliseconds.
fn session_options(t: &Timeouts) -> String {
    format!(
        "-c statement_timeout={} -c lock_timeout={} -c idle_in_transaction_session_timeout={}",
        millis(t.statement),
        millis(t.lock),
        millis(t.idle_in_transaction)
    )
}

/// Whole milliseconds, at least 1 (0 would turn the PostgreSQL timeout off).
fn millis(d: Duration) -> u128 {
    d.as_millis().max(1)
}

/// Builds the pool. No connection is opened until the first checkout.
pub(crate) fn build(
    config: tokio_postgres::Config,
    timeouts: &Timeouts,
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
        .max_size(MAX_CONNECTIONS)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(timeouts.pool_wait))
        // The connect timeout covers only the TCP connect; this covers start-up and
        // authentication too (a frozen server accepts the connection and never answers).
        .create_timeout(Some(timeouts.connect))
        .recycle_timeout(Some(timeouts.connect))
        .build()
        .map_err(|e| StoreError::Other(format!("cannot build the PostgreSQL pool: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_get_the_timeouts_in_milliseconds_after_the_urls_options() {
        let t = Timeouts {
            statement: Duration::from_millis(2500),
            lock: Duration::from_secs(1),
            idle_in_transaction: Duration::from_secs(30),
            ..Timeouts::default()
        };
        let c = parse_config("postgres://u@h/db?options=-c%20search_path%3Dx", &t).unwrap();
        assert_eq!(
            c.get_options(),
            Some(
                "-c search_path=x -c statement_timeout=2500 -c lock_timeout=1000 \
                 -c idle_in_transaction_session_timeout=30000"
            )
        );
        assert_eq!(c.get_connect_timeout(), Some(&t.connect));
        assert!(c.get_keepalives());
        assert_eq!(c.get_keepalives_idle(), t.keepalive);
        assert_eq!(c.get_tcp_user_timeout(), Some(&(t.keepalive * 2)));
        let c = parse_config("postgres://u@h/db", &t).unwrap();
        assert!(c
            .get_options()
            .unwrap()
            .starts_with("-c statement_timeout=2500 "));
    }
}
