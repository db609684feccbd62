//! Pastimes and interests, as a person says them ("good with his hands", "loves the old films"), tied to the clubs, societies and classes that share them.

use super::Concept;
#[allow(unused_imports)]
use assetmap_core::Category as C;

/// The concepts of this module.
pub const PASTIMES: &[Concept] = &[];
