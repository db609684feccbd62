//! What the store remembers of each record an import brought in, so that the next import of
//! the same source can tell new, changed, unchanged, gone and locally edited records apart.

use crate::AssetId;
use chrono::{DateTime, Utc};

/// One record of one source, as its last import left it.
///
/// A source is keyed by a short name — a mapping file's `id_prefix`, or the name an import
/// gives with `--source` — and each of its records by the asset id it became, which is
/// `<id_prefix>:<the source's own id>` for a mapped import: so (source, source id) is the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRecord {
    /// The source's key.
    pub source: String,
    /// The asset the record became.
    pub asset_id: AssetId,
    /// A digest of the record as the source last gave it (hex; opaque to the store): the next
    /// import compares its own digest with this one to know whether the source changed it.
    pub fingerprint: String,
    /// The asset version that the last import wrote or found. A stored asset with a later
    /// version was edited since (through the API); one with no stored asset was deleted since.
    pub imported_version: u64,
    /// When the source last had this record.
    pub imported_at: DateTime<Utc>,
    /// When an import of the source first found the record missing (the asset is kept, for
    /// someone to review); `None` while the source has it.
    pub gone_since: Option<DateTime<Utc>>,
}
