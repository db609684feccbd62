//! Belonging and taking part, as a person says it ("wants to feel useful again", "somewhere for women only", "wants to do something about the litter"), tied to the groups, networks and community action that offer it.

use super::Concept;
#[allow(unused_imports)]
use assetmap_core::Category as C;

/// The concepts of this module.
pub const BELONGING: &[Concept] = &[];
