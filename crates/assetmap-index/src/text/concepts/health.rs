//! Health services and healthy living, as a person says it ("can't get a dentist", "wants to stop smoking", "poorly in the night"), tied to the surgeries, pharmacies, clinics and healthy-living services that help.

use super::Concept;
#[allow(unused_imports)]
use assetmap_core::Category as C;

/// The concepts of this module.
pub const HEALTH: &[Concept] = &[];
