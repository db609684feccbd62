//! The assetmap HTTP server: OGC API - Features for the asset layer, coordinator search,
//! writes, and the map page.
//!
//! The crate is thin on purpose: domain rules live in `assetmap-core`, queries in
//! `assetmap-index`, persistence in `assetmap-store`, formats in `assetmap-io`. This crate
//! owns configuration ([`config`]), the mapping of errors to HTTP ([`errors`]), the routes
//! ([`routes::configure`], shared by `main` and the tests), start-up ([`startup::Application`])
//! and the command line ([`cli`]).
#![forbid(unsafe_code)]

pub mod areas;
pub mod cli;
pub mod config;
pub mod downloads;
pub mod errors;
pub mod export_cli;
pub mod jsna;
pub mod params;
pub mod postcodes;
pub mod routes;
pub mod startup;
pub mod state;
pub mod sync;
pub mod telemetry;

pub use config::{Seed, Settings, StoreLocation};
pub use startup::Application;
