#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod allocator;
pub mod api_doc;
pub mod auth;
pub mod cli;
pub mod collections;
pub mod config;
pub mod dataset_cli;
pub mod edge;
pub mod engine_snapshot;
pub mod errors;
pub mod export_cli;
pub mod feature_schema;
pub mod html;
pub mod http;
pub mod idempotency;
pub mod import_cli;
pub mod oruk_feed;
pub mod params;
pub mod parse;
pub mod place_cli;
pub mod rate_limit;
pub mod routes;
pub mod staff;
pub mod staff_cli;
pub mod stale;
pub mod stale_cli;
pub mod starting;
pub mod startup;
pub mod state;
pub mod stop_signal;
pub mod suggest;
pub mod sync;
pub mod telemetry;
pub mod validators;

pub use config::{Seed, Settings, StoreLocation};
pub use startup::Application;
