//! Feelings and what helps with them, in finer grain than the core's mental wellbeing ("lost all her confidence", "can't switch off", "snaps at the kids"), tied to the groups, courses and services for each.

use super::Concept;
#[allow(unused_imports)]
use assetmap_core::Category as C;

/// The concepts of this module.
pub const FEELINGS: &[Concept] = &[];
