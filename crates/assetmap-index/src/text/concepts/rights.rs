//! Advice and rights by what the trouble is, as a person says it ("the landlord won't fix the damp", "they stopped her money", "her visa runs out"), tied to the advice services, law centres and advocates for each.

use super::Concept;
#[allow(unused_imports)]
use assetmap_core::Category as C;

/// The concepts of this module.
pub const RIGHTS: &[Concept] = &[];
