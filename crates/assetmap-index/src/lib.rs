//! The in-memory assetmap engine: every read of the HTTP server is answered from here.
//!
//! An [`Engine`] owns the [`Asset`](assetmap_core::Asset)s, keeps them in id order, and
//! indexes their locations in an R-tree ([`rstar`]) of 3-D unit vectors, so that
//! [`Engine::nearest`], [`Engine::within`] and [`Engine::bbox`] are exact on the sphere of
//! radius [`EARTH_RADIUS_M`](assetmap_core::EARTH_RADIUS_M): a radius query is a true circle
//! on the ground, and distances are great-circle metres by the same haversine formula as
//! [`LonLat::distance_m`](assetmap_core::LonLat::distance_m). Every query takes a [`Filter`].
//!
//! Seeded, realistic fake assets for tests and benchmarks are the `assetmap-synthetic` crate.
//!
//! This crate knows nothing of HTTP, SQL or files. See `README.md` for the design.
#![forbid(unsafe_code)]

pub mod areas;
mod bbox;
mod engine;
mod error;
mod filter;
pub mod search;
mod sphere;
pub mod text;

pub use areas::{AreaCodes, AreaIndex, AreaInput, AreaLevel};
pub use bbox::BBox;
pub use engine::{Engine, Hit, Page};
pub use error::IndexError;
pub use filter::{Filter, OpenAt, OpenAtPolicy};
pub use search::{MatchedFilter, SearchOrder, SearchQuery, SearchResult};
pub use text::{TextIndex, TextQuery};
