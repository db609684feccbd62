//! Food, as a person says it ("cooking for one since she was widowed", "the kids get free dinners in term time", "needs halal food"), tied to the community cafes, pantries, cooking courses and meal projects that give it.

use super::Concept;
#[allow(unused_imports)]
use assetmap_core::Category as C;

/// The concepts of this module.
pub const FOOD: &[Concept] = &[];
