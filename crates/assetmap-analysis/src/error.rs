//! What can go wrong computing figures or writing an export.

use assetmap_io::export::ExportError;

/// Why an analysis or an export failed.
#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    /// The file or stream could not be written (including a client that went away).
    #[error(transparent)]
    Export(#[from] ExportError),
    /// The assets could not be read from their source (e.g. the store).
    #[error("could not read the assets: {0}")]
    Source(String),
    /// The request cannot be met as asked; the message says what to change.
    #[error("{0}")]
    Request(String),
}

impl AnalysisError {
    /// True when the export stopped because the reader went away (a broken pipe), which is
    /// not a fault of the export.
    pub fn is_disconnect(&self) -> bool {
        matches!(self, AnalysisError::Export(ExportError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe)
    }
}
