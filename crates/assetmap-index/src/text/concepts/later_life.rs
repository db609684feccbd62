//! Older age, as a person says it ("hasn't been out since his fall", "can't manage the stairs now", "misses the work canteen"), tied to the day centres, lunch clubs, older people's groups and services for it.

use super::Concept;
#[allow(unused_imports)]
use assetmap_core::Category as C;

/// The concepts of this module.
pub const LATER_LIFE: &[Concept] = &[];
