//! What can go wrong loading a place.

/// A place's reference data could not be read or does not hold together. The message names the
/// file and what is wrong with it.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct PlaceError {
    message: String,
}

impl PlaceError {
    /// An error with a message that names the file and the problem.
    pub fn new(message: impl Into<String>) -> Self {
        PlaceError {
            message: message.into(),
        }
    }

    /// The same error with what was being done in front (`"Failed to read …: <error>"`).
    pub(crate) fn context(what: impl std::fmt::Display, e: impl std::fmt::Display) -> Self {
        PlaceError::new(format!("{what}: {e}"))
    }
}
