//! The error types of this crate: a request's ([`IndexError`]) and a snapshot's
//! ([`SnapshotError`]).

/// What went wrong in an engine request. Each message says what is wrong and what would be
/// accepted, so the server can pass it on to a person.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IndexError {
    /// A `bbox` string that is not 4 (or 6) comma-separated numbers.
    #[error("bbox {input:?} is not valid: {problem}; expected minLon,minLat,maxLon,maxLat in degrees, e.g. -2.4,53.4,-2.2,53.5")]
    BBoxSyntax {
        /// The text as given.
        input: String,
        /// What is wrong with it.
        problem: String,
    },
    /// A longitude outside -180..=180 or a latitude outside -90..=90 (degrees).
    #[error("bbox {which} {value} is out of range; longitudes are -180..=180 and latitudes -90..=90 degrees (longitude first)")]
    BBoxOutOfRange {
        /// `minLon`, `minLat`, `maxLon` or `maxLat`.
        which: &'static str,
        /// The offending value in degrees.
        value: f64,
    },
    /// A `datetime` value that is not an instant, a date or an interval of them.
    #[error("datetime {input:?} is not valid: {problem}; expected an instant (2025-01-31T09:00:00Z), a date (2025-01-31) or an interval start/end with .. for an open end (2025-01-01/..)")]
    DatetimeSyntax {
        /// The text as given.
        input: String,
        /// What is wrong with it.
        problem: String,
    },
    /// A `sortby` value naming a property assets cannot be sorted by.
    #[error("sortby {input:?} is not valid: {problem}; use id, name, postcode, status, created_at, updated_at or verified_at, each with - for descending, e.g. -updated_at,name")]
    SortBy {
        /// The text as given.
        input: String,
        /// What is wrong with it.
        problem: String,
    },
    /// South is north of north.
    #[error("bbox minLat {south} is greater than maxLat {north}; give the southern edge first")]
    BBoxSouthAboveNorth {
        /// Southern edge in degrees.
        south: f64,
        /// Northern edge in degrees.
        north: f64,
    },
    /// A map tile that does not exist: zoom above the highest served, or a column or row
    /// outside `0..2^z`.
    #[error("tile at zoom {z}, column {x}, row {y} does not exist: {problem}; zoom is 0..=16 and at zoom z columns and rows run 0..=2^z-1")]
    Tile {
        /// Zoom as given.
        z: u32,
        /// Column as given.
        x: u64,
        /// Row as given.
        y: u64,
        /// What is wrong with it.
        problem: String,
    },
}

/// Why a snapshot could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// The file could not be read or written.
    #[error("the engine snapshot could not be read or written: {0}")]
    Io(#[from] std::io::Error),
    /// Not a snapshot, or one of another layout or vocabulary: not damaged, only not usable by
    /// this build.
    #[error("the engine snapshot is of another kind: {0}")]
    Stale(String),
    /// A frame's checksum or contents are wrong.
    #[error("the engine snapshot is damaged: {0}")]
    Corrupt(String),
}

impl SnapshotError {
    pub(crate) fn corrupt(what: impl Into<String>) -> Self {
        SnapshotError::Corrupt(what.into())
    }
}
