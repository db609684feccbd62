#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod definition;
mod error;
mod figures;
pub mod pack;
mod place;
pub(crate) mod read;
mod report;

pub use assetmap_index::AreaLevel;
pub use definition::PlaceDefinition;
pub use error::PlaceError;
pub use figures::{AreaData, BestFit, NeedCounts, Population};
pub use place::{ManifestEntry, Place, PlaceInputs, PostcodeInfo};
pub use read::PostcodeRow;
pub use report::Report;
