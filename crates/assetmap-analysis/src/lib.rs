#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod access;
pub mod checks;
mod error;
pub mod export;
mod summary;

pub use access::{AreaFigures, CountedAssets};
pub use error::AnalysisError;
pub use summary::{
    columns, summary, Column, Summary, SummaryQuery, SummaryRow, DEFAULT_DESERT_SHARE,
    DEFAULT_WALK_M,
};
