//! Where a person or their family comes from: countries, peoples and languages, as a person says them ("came over from Poland", "misses speaking Urdu"), tied to the words of the community groups, language schools and faith places that serve them.

use super::Concept;
#[allow(unused_imports)]
use assetmap_core::Category as C;

/// The concepts of this module.
pub const ORIGINS: &[Concept] = &[];
