//! Children and young people, as a parent or the young person says it ("nothing for him to do in the holidays", "she's being bullied at school", "wants to be a footballer"), tied to the clubs, youth groups, holiday activities and services for them.

use super::Concept;
#[allow(unused_imports)]
use assetmap_core::Category as C;

/// The concepts of this module.
pub const YOUNG: &[Concept] = &[];
