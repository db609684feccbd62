//! Assets inside an area: the R-tree narrows to the area's bounding box, then point in polygon
//! decides (the same test as the per-area counts, so a list and a count always agree).

use crate::areas::Area;
use crate::facets::CompiledFilter;
use crate::search::Rendered;
use crate::{BBox, Engine, Filter, Page};
use assetmap_core::LonLat;

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
    ) -> Page {
        self.area_page_with(area, bbox, filter, offset, limit, |s| self.decoded(s))
    }

    /// [`Engine::area_page`], each asset as the engine's view renders it (see
    /// [`Engine::bbox_page_rendered`]).
    pub fn area_page_rendered(
        &self,
        area: &Area,
        bbox: Option<&BBox>,
        filter: &Filter,
        offset: usize,
        limit: usize,
    ) -> Page<Rendered> {
        self.area_page_with(area, bbox, filter, offset, limit, |s| self.rendered(s))
    }

    /// [`Engine::area_page`], the assets of the page as `read` makes them of their slots.
    fn area_page_with<T>(
        &self,
        area: &Area,
        bbox: Option<&BBox>,
        filter: &Filter,
        offset: usize,
        limit: usize,
        read: impl Fn(&[u32]) -> Vec<Option<T>>,
    ) -> Page<T> {
        let [w, s, e, n] = area.bbox();
        let Ok(area_box) = BBox::new(w, s, e, n) else {
            return Page::of(Vec::new(), offset, limit);
        };
        let c = CompiledFilter::new(filter);
        // Positions from the packed facets: a record is read only for the page itself.
        let matching: Vec<u32> = self
            .bbox_slots(&area_box, &c)
            .filter(|&s| {
                let f = self.slot_position(s);
                LonLat::new(f.0, f.1)
                    .is_ok_and(|p| area.contains(p) && bbox.is_none_or(|b| b.contains(&p)))
            })
            .collect();
        let number_matched = matching.len();
        let ordered = self.in_id_order(matching);
        let start = offset.min(number_matched);
        let end = offset.saturating_add(limit).min(number_matched);
        Page {
            number_matched,
            items: read(&ordered[start..end]).into_iter().flatten().collect(),
        }
    }
}
