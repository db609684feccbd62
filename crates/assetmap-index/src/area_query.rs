//! Assets inside an area: the R-tree narrows to the area's bounding box, then point in polygon
//! decides (the same test as the per-area counts, so a list and a count always agree).

use crate::areas::Area;
use crate::{BBox, Engine, Filter, Page};
use assetmap_core::Asset;

impl Engine {
    /// One page (from `offset`, at most `limit`) of the assets inside `area` that also lie in
    /// `bbox` (if given) and match `filter`, in id order, with how many match in all.
    pub fn area_page(
        &self,
        area: &Area,
        bbox: Option<&BBox>,
        filter: &Filter,
        offset: usize,
        limit: usize,
    ) -> Page<'_> {
        let [w, s, e, n] = area.bbox();
        let matching: Vec<&Asset> = match BBox::new(w, s, e, n) {
            Ok(b) => self
                .bbox(&b, filter)
                .into_iter()
                .filter(|a| {
                    area.contains(a.location) && bbox.is_none_or(|b| b.contains(&a.location))
                })
                .collect(),
            Err(_) => Vec::new(),
        };
        Page {
            number_matched: matching.len(),
            items: matching.into_iter().skip(offset).take(limit).collect(),
        }
    }
}
