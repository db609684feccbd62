//! The assetmap HTTP server: OGC API - Features for the asset layer, coordinator search,
//! writes, and the map page.
//!
//! The crate is thin on purpose: domain rules live in `assetmap-core`, queries in
//! `assetmap-index`, area reference data in `assetmap-place`, per-area figures and export
//! orchestration in `assetmap-analysis`, persistence in `assetmap-store`, formats in
//! `assetmap-io`. This crate owns configuration ([`config`]), the mapping of errors to HTTP
//! ([`errors`]), request parsing ([`params`], [`parse`]), the routes ([`routes::configure`],
//! shared by `main` and the tests), start-up ([`startup::Application`]) and the command line
//! ([`cli`]).
#![forbid(unsafe_code)]

pub mod cli;
pub mod config;
pub mod errors;
pub mod export_cli;
pub mod http;
pub mod params;
pub mod parse;
pub mod routes;
pub mod startup;
pub mod state;
pub mod sync;
pub mod telemetry;

pub use config::{Seed, Settings, StoreLocation};
pub use startup::Application;
