//! [`GpkgError`]: why a GeoPackage could not be written or a row not read.

use std::path::PathBuf;

/// Why a GeoPackage could not be written, or a stored row could not be read as an asset.
///
/// The functions that take a [`rusqlite::Connection`] and only run SQL (`initialise`,
/// `create_features_table`, `extend_extent`, …) return [`rusqlite::Error`] as it is, so a
/// caller can still tell a busy or locked database from a broken one; everything else returns
/// this.
#[derive(Debug, thiserror::Error)]
pub enum GpkgError {
    /// SQLite refused (cannot open the file, disk full, constraint violated, …).
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// [`GpkgWriter::create`](crate::GpkgWriter::create) never replaces a file.
    #[error("{} already exists; choose another name or remove it first", .0.display())]
    Exists(PathBuf),
    /// A value cannot be written as asked (a version beyond what SQLite stores, a feature with
    /// the wrong number of attribute values).
    #[error("{0}")]
    Unwritable(String),
    /// A stored value does not read back as the asset field it holds (a hand-edited bad value,
    /// a geometry that is not a point): says which asset and column.
    #[error("{0}")]
    Unreadable(String),
}
