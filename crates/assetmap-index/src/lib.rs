#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod area_query;
pub mod areas;
mod bbox;
mod bytes;
pub mod directory;
mod engine;
mod error;
mod facets;
mod filter;
mod interval;
mod pool;
pub mod predicate;
mod recorded;
mod records;
pub mod search;
mod snapshot;
pub mod sort;
mod sphere;
pub mod text;
pub mod tiles;

pub use areas::{AreaCodes, AreaIndex, AreaInput, AreaLevel};
pub use bbox::BBox;
pub use engine::{Brief, Engine, Extent, Hit, Page};
pub use error::IndexError;
pub use facets::CompiledFilter;
pub use filter::{Filter, OpenAt, OpenAtPolicy};
pub use interval::TimeInterval;
pub use records::{AssetView, RecordsCheck, RecordsCopy};
pub use search::{MatchedFilter, Rendered, SearchOrder, SearchQuery, SearchResult};
pub use snapshot::{SnapshotError, SnapshotReader};
pub use text::{TextIndex, TextQuery};
