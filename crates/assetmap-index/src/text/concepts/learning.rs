//! Learning and skills for adults, as a person says it ("never got his maths GCSE", "wants to go back to college", "can't read or write well"), tied to the adult education, literacy, numeracy and course providers for each.

use super::Concept;
#[allow(unused_imports)]
use assetmap_core::Category as C;

/// The concepts of this module.
pub const LEARNING: &[Concept] = &[];
