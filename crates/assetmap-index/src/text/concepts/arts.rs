//! Arts, culture and heritage as places and events, as a person says it ("somewhere to see a show", "loves a museum", "wants to see some art"), tied to the theatres, galleries, museums, heritage sites and cultural events that offer it.

use super::Concept;
#[allow(unused_imports)]
use assetmap_core::Category as C;

/// The concepts of this module.
pub const ARTS: &[Concept] = &[];
