//! Stages and events of life, as a person says them ("just retired", "leaving care", "a new mum"), tied to the groups and services for them.

use super::Concept;
#[allow(unused_imports)]
use assetmap_core::Category as C;

/// The concepts of this module.
pub const LIFE: &[Concept] = &[];
