//! Health conditions and disabilities, as a person says them ("had a stroke", "her eyesight's going"), tied to the support groups, charities and services for each.

use super::Concept;
#[allow(unused_imports)]
use assetmap_core::Category as C;

/// The concepts of this module.
pub const CONDITIONS: &[Concept] = &[];
