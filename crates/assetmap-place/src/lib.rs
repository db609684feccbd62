#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod definition;
mod error;
mod figures;
mod place;
mod read;

pub use assetmap_index::AreaLevel;
pub use definition::PlaceDefinition;
pub use error::PlaceError;
pub use figures::{AreaData, BestFit, NeedCounts, Population};
pub use place::{Place, PostcodeInfo};
