//! Practical help at home and getting about, as a person says it ("can't get to the shops", "no way of getting to appointments", "needs a bed for the kids"), tied to the transport schemes, home-help, furniture and clothing projects and handyperson services that give it.

use super::Concept;
#[allow(unused_imports)]
use assetmap_core::Category as C;

/// The concepts of this module.
pub const PRACTICAL: &[Concept] = &[];
