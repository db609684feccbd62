//! The production store: PostgreSQL + PostGIS.
//!
//! - [`pool`]: the deadpool-postgres connection pool (tokio-postgres, no TLS).
//! - [`migrate`]: the numbered SQL files of `migrations/`, embedded with `include_str!`,
//!   applied in one transaction under an advisory lock; PostGIS ≥ 3.0 is checked at connect
//!   time and a schema newer than the code is refused.
//! - [`store`]: [`PostgisStore`], the [`AssetStore`](crate::AssetStore) implementation. Bulk
//!   loads use binary `COPY` in one transaction.
//! - [`listen`]: the change signal, a `LISTEN assetmap_changes` connection that reconnects
//!   with backoff.
//! - [`errors`](self): PostgreSQL failures mapped onto [`StoreError`](crate::StoreError); a
//!   database that cannot be reached is `Unavailable`.
//!
//! Geometry crosses the wire as EWKB through the `postgis` crate (`ewkb::Point`, SRID 4326).

mod accounts;
mod errors;
pub mod listen;
pub mod migrate;
pub mod pool;
pub mod store;
mod suggestions;

pub use migrate::{latest_version, Migration, MigrationReport, MIGRATIONS};
pub use pool::MAX_CONNECTIONS;
pub use store::PostgisStore;
