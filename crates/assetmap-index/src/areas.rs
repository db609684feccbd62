//! Areas: which local authority, ward, MSOA and LSOA contain a point.
//!
//! An [`AreaIndex`] holds the polygons of each [`AreaLevel`] (handed over as coordinate
//! arrays: this crate reads no files), an R-tree over their bounding boxes, and answers
//! "which area of this level contains this point" with an exact point-in-polygon test.
//!
//! # Boundary rule (the same answer as PostGIS `ST_Contains`)
//!
//! A point is *in* an area when it is in the interior of one of the area's polygons: inside
//! the outer ring and not inside or on any hole. A point **exactly on** a ring (a vertex or
//! an edge) is *not* contained — that is what `ST_Contains(polygon, point)` answers, and
//! the test below mirrors PostGIS's own point-in-ring code: a winding number over the ring's
//! edges, with the side of each edge taken from the sign of the same double-precision cross
//! product `(b.x − a.x)(p.y − a.y) − (p.x − a.x)(b.y − a.y)` and a point with side exactly 0
//! inside an edge's box reported as "on the boundary". Zero-length edges are skipped.
//!
//! Consequences, all intended: for areas that tile a region (wards of a local authority), a
//! point lands in **at most one** area of a level (two areas could only both contain it if
//! their interiors overlapped); a point on a shared edge lands in **none** and is reported as
//! outside, exactly as a `ST_Contains` join would drop it. Coordinates are compared as given
//! (WGS84 degrees, planar in lon/lat like PostGIS `geometry`, not `geography`).

use crate::BBox;
use assetmap_core::LonLat;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::RTree;
use std::fmt;

/// A level of geography.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AreaLevel {
    /// Local authority district.
    La,
    /// Electoral ward (2023 boundaries in the bundled data).
    Ward,
    /// Middle layer super output area (2021).
    Msoa,
    /// Lower layer super output area (2021).
    Lsoa,
}

impl AreaLevel {
    /// Every level, largest first.
    pub const ALL: [AreaLevel; 4] = [
        AreaLevel::La,
        AreaLevel::Ward,
        AreaLevel::Msoa,
        AreaLevel::Lsoa,
    ];

    /// The slug used on the wire (`la`, `ward`, `msoa`, `lsoa`).
    pub fn slug(self) -> &'static str {
        match self {
            AreaLevel::La => "la",
            AreaLevel::Ward => "ward",
            AreaLevel::Msoa => "msoa",
            AreaLevel::Lsoa => "lsoa",
        }
    }

    /// Parses a slug.
    ///
    /// # Examples
    /// ```
    /// use assetmap_index::areas::AreaLevel;
    /// assert_eq!(AreaLevel::parse("ward"), Some(AreaLevel::Ward));
    /// assert_eq!(AreaLevel::parse("county"), None);
    /// ```
    pub fn parse(s: &str) -> Option<AreaLevel> {
        AreaLevel::ALL.into_iter().find(|l| l.slug() == s)
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for AreaLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

/// One area as handed to [`AreaIndex::new`]: an ONS code, a name, and a multipolygon as
/// GeoJSON coordinate arrays (`polygons[i][0]` is the outer ring of polygon `i`, the other
/// rings its holes; each ring a list of `[lon, lat]` in WGS84 degrees, closed or not).
#[derive(Debug, Clone, PartialEq)]
pub struct AreaInput {
    /// ONS code, e.g. `E05015239`.
    pub code: String,
    /// Name, e.g. `Altrincham`.
    pub name: String,
    /// Polygons, each a list of rings, each a list of `[lon, lat]`.
    pub polygons: Vec<Vec<Vec<[f64; 2]>>>,
}

/// A polygon that cannot be used, with the area it belongs to.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("area {code} ({level}): {problem}")]
pub struct AreaError {
    /// The area's level.
    pub level: AreaLevel,
    /// The area's code.
    pub code: String,
    /// What is wrong.
    pub problem: String,
}

/// A closed ring of `[lon, lat]` vertices (first == last) and its bounding box.
#[derive(Debug, Clone)]
struct Ring {
    pts: Vec<[f64; 2]>,
}

#[derive(Debug, Clone)]
struct Polygon {
    outer: Ring,
    holes: Vec<Ring>,
    /// `[min_lon, min_lat, max_lon, max_lat]` of the outer ring.
    bbox: [f64; 4],
}

/// Where a point is relative to a ring or polygon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Position {
    Inside,
    Boundary,
    Outside,
}

/// `> 0` when `p` is left of `a → b`, `< 0` right, `0` on the line (PostGIS `determineSide`).
#[inline]
fn side(a: [f64; 2], b: [f64; 2], p: [f64; 2]) -> f64 {
    (b[0] - a[0]) * (p[1] - a[1]) - (p[0] - a[0]) * (b[1] - a[1])
}

/// Whether `p` lies in the box spanned by `a` and `b` (edges included).
#[inline]
fn in_segment_box(a: [f64; 2], b: [f64; 2], p: [f64; 2]) -> bool {
    p[0] >= a[0].min(b[0])
        && p[0] <= a[0].max(b[0])
        && p[1] >= a[1].min(b[1])
        && p[1] <= a[1].max(b[1])
}

impl Ring {
    /// Winding-number point-in-ring (PostGIS `point_in_ring`): inside for a non-zero winding
    /// number, boundary when the point is exactly on an edge.
    fn position(&self, p: [f64; 2]) -> Position {
        let mut wn = 0i32;
        for w in self.pts.windows(2) {
            let (a, b) = (w[0], w[1]);
            if a == b {
                continue;
            }
            let s = side(a, b, p);
            if s == 0.0 && in_segment_box(a, b, p) {
                return Position::Boundary;
            }
            if a[1] <= p[1] && p[1] < b[1] && s > 0.0 {
                wn += 1;
            } else if b[1] <= p[1] && p[1] < a[1] && s < 0.0 {
                wn -= 1;
            }
        }
        if wn == 0 {
            Position::Outside
        } else {
            Position::Inside
        }
    }
}

/// Whether the segment `a → b` meets the box `[west, south, east, north]` (edges included):
/// Liang–Barsky clipping of the segment to the box leaves something.
fn segment_meets_box(a: [f64; 2], b: [f64; 2], [w, s, e, n]: [f64; 4]) -> bool {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (p, q) in [
        (-dx, a[0] - w),
        (dx, e - a[0]),
        (-dy, a[1] - s),
        (dy, n - a[1]),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return false; // parallel to this edge and outside it
            }
        } else {
            let r = q / p;
            if p < 0.0 {
                t0 = t0.max(r);
            } else {
                t1 = t1.min(r);
            }
            if t0 > t1 {
                return false;
            }
        }
    }
    true
}

impl Polygon {
    /// Whether the closed polygon (boundary included) and the box `[west, south, east,
    /// north]` (edges included, not across the antimeridian) share a point: a corner of the
    /// box is in or on the polygon, or an edge of one of its rings meets the box.
    fn meets_box(&self, bx: [f64; 4]) -> bool {
        let [w, s, e, n] = bx;
        let [pw, ps, pe, pn] = self.bbox;
        if pw > e || pe < w || ps > n || pn < s {
            return false;
        }
        if [[w, s], [e, s], [e, n], [w, n]]
            .iter()
            .any(|&c| self.position(c) != Position::Outside)
        {
            return true;
        }
        std::iter::once(&self.outer)
            .chain(&self.holes)
            .any(|r| r.pts.windows(2).any(|p| segment_meets_box(p[0], p[1], bx)))
    }

    fn position(&self, p: [f64; 2]) -> Position {
        let [w, s, e, n] = self.bbox;
        if p[0] < w || p[0] > e || p[1] < s || p[1] > n {
            return Position::Outside;
        }
        match self.outer.position(p) {
            Position::Inside => {}
            other => return other,
        }
        for h in &self.holes {
            match h.position(p) {
                Position::Outside => {}
                Position::Inside => return Position::Outside,
                Position::Boundary => return Position::Boundary,
            }
        }
        Position::Inside
    }
}

/// An area of one level: code, name and polygons.
#[derive(Debug, Clone)]
pub struct Area {
    code: String,
    name: String,
    polygons: Vec<Polygon>,
    bbox: [f64; 4],
}

impl Area {
    /// The ONS code.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `[min_lon, min_lat, max_lon, max_lat]` in degrees.
    pub fn bbox(&self) -> [f64; 4] {
        self.bbox
    }

    /// Whether the area contains `at` (interior only, as `ST_Contains`; see the module docs).
    ///
    /// # Examples
    /// ```
    /// use assetmap_core::LonLat;
    /// use assetmap_index::areas::{AreaIndex, AreaInput, AreaLevel};
    /// let square = vec![vec![[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.0, 0.0]]];
    /// let index = AreaIndex::new(vec![(AreaLevel::Ward, vec![AreaInput {
    ///     code: "W1".into(), name: "Square".into(), polygons: vec![square] }])]).unwrap();
    /// let w = &index.areas(AreaLevel::Ward)[0];
    /// assert!(w.contains(LonLat::new(0.5, 0.5).unwrap()));
    /// assert!(!w.contains(LonLat::new(1.0, 0.5).unwrap())); // on the edge: not contained
    /// ```
    pub fn contains(&self, at: LonLat) -> bool {
        let p = [at.lon(), at.lat()];
        self.polygons
            .iter()
            .any(|poly| poly.position(p) == Position::Inside)
    }

    /// Whether the area and `bbox` share a point, boundaries and edges included (PostGIS
    /// `ST_Intersects(area, ST_MakeEnvelope(…))`, planar in lon/lat degrees). A box across the
    /// antimeridian is tested as its two [parts](BBox::parts).
    ///
    /// # Examples
    /// ```
    /// use assetmap_index::areas::{AreaIndex, AreaInput, AreaLevel};
    /// use assetmap_index::BBox;
    /// let square = vec![vec![[0.0, 0.0], [4.0, 0.0], [4.0, 4.0], [0.0, 4.0], [0.0, 0.0]]];
    /// let hole = vec![[1.0, 1.0], [3.0, 1.0], [3.0, 3.0], [1.0, 3.0], [1.0, 1.0]];
    /// let index = AreaIndex::new(vec![(AreaLevel::Ward, vec![AreaInput {
    ///     code: "W1".into(), name: "Frame".into(), polygons: vec![vec![square[0].clone(), hole]] }])]).unwrap();
    /// let w = &index.areas(AreaLevel::Ward)[0];
    /// let b = |w, s, e, n| BBox::new(w, s, e, n).unwrap();
    /// assert!(w.intersects(&b(3.5, 3.5, 9.0, 9.0))); // overlaps a corner
    /// assert!(w.intersects(&b(4.0, 0.0, 5.0, 1.0))); // touches an edge
    /// assert!(w.intersects(&b(-1.0, -1.0, 5.0, 5.0))); // encloses it
    /// assert!(!w.intersects(&b(1.5, 1.5, 2.5, 2.5))); // inside the hole
    /// assert!(!w.intersects(&b(5.0, 0.0, 6.0, 4.0))); // beside it
    /// ```
    pub fn intersects(&self, bbox: &BBox) -> bool {
        bbox.parts().iter().any(|part| {
            let bx = [part.west(), part.south(), part.east(), part.north()];
            self.polygons.iter().any(|poly| poly.meets_box(bx))
        })
    }
}

type Entry = GeomWithData<Rectangle<[f64; 2]>, u32>;

#[derive(Debug, Default)]
struct Layer {
    /// Sorted by code.
    areas: Vec<Area>,
    tree: RTree<Entry>,
}

/// The areas of every level, an R-tree of their bounding boxes, and exact point-in-polygon.
///
/// `Send + Sync`, immutable once built.
///
/// # Examples
/// ```
/// use assetmap_core::LonLat;
/// use assetmap_index::areas::{AreaIndex, AreaInput, AreaLevel};
/// let sq = |x0: f64, code: &str| AreaInput {
///     code: code.into(),
///     name: code.into(),
///     polygons: vec![vec![vec![[x0, 0.0], [x0 + 1.0, 0.0], [x0 + 1.0, 1.0], [x0, 1.0]]]],
/// };
/// let index = AreaIndex::new(vec![(AreaLevel::Ward, vec![sq(0.0, "A"), sq(1.0, "B")])]).unwrap();
/// let found = index.locate(LonLat::new(1.5, 0.5).unwrap());
/// assert_eq!(found.ward.map(|a| a.code()), Some("B"));
/// assert!(found.lsoa.is_none());
/// // On the shared edge: in neither (reported as outside), like ST_Contains.
/// assert!(index.locate(LonLat::new(1.0, 0.5).unwrap()).ward.is_none());
/// ```
#[derive(Debug, Default)]
pub struct AreaIndex {
    layers: [Layer; 4],
}

/// The areas containing a point, one per level (`None`: outside every area of that level).
#[derive(Debug, Clone, Copy, Default)]
pub struct AreaCodes<'a> {
    /// Local authority.
    pub la: Option<&'a Area>,
    /// Ward.
    pub ward: Option<&'a Area>,
    /// MSOA.
    pub msoa: Option<&'a Area>,
    /// LSOA.
    pub lsoa: Option<&'a Area>,
}

impl AreaCodes<'_> {
    /// The area of `level`.
    pub fn get(&self, level: AreaLevel) -> Option<&Area> {
        match level {
            AreaLevel::La => self.la,
            AreaLevel::Ward => self.ward,
            AreaLevel::Msoa => self.msoa,
            AreaLevel::Lsoa => self.lsoa,
        }
    }
}

fn build_area(level: AreaLevel, input: AreaInput) -> Result<Area, AreaError> {
    let err = |problem: String| AreaError {
        level,
        code: input.code.clone(),
        problem,
    };
    if input.code.trim().is_empty() {
        return Err(err("the code is empty".into()));
    }
    let mut polygons = Vec::with_capacity(input.polygons.len());
    let mut bbox = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    for (i, rings) in input.polygons.iter().enumerate() {
        let mut closed = Vec::with_capacity(rings.len());
        for (j, ring) in rings.iter().enumerate() {
            if let Some(bad) = ring
                .iter()
                .find(|p| !((-180.0..=180.0).contains(&p[0]) && (-90.0..=90.0).contains(&p[1])))
            {
                return Err(err(format!(
                    "polygon {i} ring {j} has a vertex {bad:?} that is not a longitude, latitude in degrees"
                )));
            }
            let mut pts = ring.clone();
            if pts.first() != pts.last() {
                if let Some(&first) = pts.first() {
                    pts.push(first);
                }
            }
            if pts.len() < 4 {
                return Err(err(format!(
                    "polygon {i} ring {j} has {} vertices; a ring needs at least 3 distinct ones",
                    pts.len().saturating_sub(1)
                )));
            }
            closed.push(Ring { pts });
        }
        let mut it = closed.into_iter();
        let Some(outer) = it.next() else {
            return Err(err(format!("polygon {i} has no rings")));
        };
        let mut pb = [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ];
        for p in &outer.pts {
            pb = [
                pb[0].min(p[0]),
                pb[1].min(p[1]),
                pb[2].max(p[0]),
                pb[3].max(p[1]),
            ];
        }
        bbox = [
            bbox[0].min(pb[0]),
            bbox[1].min(pb[1]),
            bbox[2].max(pb[2]),
            bbox[3].max(pb[3]),
        ];
        polygons.push(Polygon {
            outer,
            holes: it.collect(),
            bbox: pb,
        });
    }
    if polygons.is_empty() {
        return Err(err("it has no polygons".into()));
    }
    Ok(Area {
        code: input.code,
        name: input.name,
        polygons,
        bbox,
    })
}

impl AreaIndex {
    /// Builds the index from the areas of each level given (levels not given stay empty).
    /// Areas are kept sorted by code; a level given twice keeps the second.
    ///
    /// # Errors
    /// An empty code, a duplicate code within a level, a polygon with no rings, a ring with
    /// fewer than three distinct vertices or a vertex that is not a longitude, latitude.
    pub fn new(levels: Vec<(AreaLevel, Vec<AreaInput>)>) -> Result<AreaIndex, AreaError> {
        let mut index = AreaIndex::default();
        for (level, inputs) in levels {
            let mut areas = inputs
                .into_iter()
                .map(|a| build_area(level, a))
                .collect::<Result<Vec<_>, _>>()?;
            areas.sort_by(|a, b| a.code.cmp(&b.code));
            if let Some(w) = areas.windows(2).find(|w| w[0].code == w[1].code) {
                return Err(AreaError {
                    level,
                    code: w[0].code.clone(),
                    problem: "the code occurs more than once".into(),
                });
            }
            let entries: Vec<Entry> = areas
                .iter()
                .enumerate()
                .flat_map(|(i, a)| {
                    a.polygons.iter().map(move |p| {
                        let [w, s, e, n] = p.bbox;
                        GeomWithData::new(
                            Rectangle::from_corners([w, s], [e, n]),
                            u32::try_from(i).unwrap_or(u32::MAX),
                        )
                    })
                })
                .collect();
            index.layers[level.index()] = Layer {
                areas,
                tree: RTree::bulk_load(entries),
            };
        }
        Ok(index)
    }

    /// The areas of `level`, sorted by code.
    pub fn areas(&self, level: AreaLevel) -> &[Area] {
        &self.layers[level.index()].areas
    }

    /// The position (in [`areas`](Self::areas)) and area with this code at `level`.
    pub fn find(&self, level: AreaLevel, code: &str) -> Option<(usize, &Area)> {
        let areas = self.areas(level);
        areas
            .binary_search_by(|a| a.code.as_str().cmp(code))
            .ok()
            .map(|i| (i, &areas[i]))
    }

    /// Every area of any level with this code, as (level, position, area).
    pub fn find_any(&self, code: &str) -> Option<(AreaLevel, usize, &Area)> {
        AreaLevel::ALL
            .into_iter()
            .find_map(|l| self.find(l, code).map(|(i, a)| (l, i, a)))
    }

    /// Positions of the areas of `level` whose interior holds `at`, in R-tree order (an area
    /// may appear more than once if it has several envelopes).
    fn inside(&self, level: AreaLevel, at: LonLat) -> impl Iterator<Item = usize> + '_ {
        let layer = &self.layers[level.index()];
        let p = [at.lon(), at.lat()];
        layer
            .tree
            .locate_all_at_point(&p)
            .map(|e| e.data as usize)
            .filter(move |&i| {
                layer.areas[i]
                    .polygons
                    .iter()
                    .any(|poly| poly.position(p) == Position::Inside)
            })
    }

    /// Positions of every area of `level` that contains `at`, ascending. For areas that do not
    /// overlap this has at most one element; tests use it to prove that.
    pub fn containing(&self, level: AreaLevel, at: LonLat) -> Vec<usize> {
        let mut found: Vec<usize> = self.inside(level, at).collect();
        found.sort_unstable();
        found.dedup();
        found
    }

    /// The position of the area of `level` containing `at` (the first by code if areas
    /// overlap), or `None` when the point is outside every area or on a boundary.
    pub fn locate_in(&self, level: AreaLevel, at: LonLat) -> Option<usize> {
        self.inside(level, at).min()
    }

    /// The area of each level containing `at`.
    pub fn locate(&self, at: LonLat) -> AreaCodes<'_> {
        let get = |l: AreaLevel| self.locate_in(l, at).map(|i| &self.areas(l)[i]);
        AreaCodes {
            la: get(AreaLevel::La),
            ward: get(AreaLevel::Ward),
            msoa: get(AreaLevel::Msoa),
            lsoa: get(AreaLevel::Lsoa),
        }
    }
}

/// For each point of `from`, the great-circle distance in metres to the nearest point of
/// `to` (`None` when `to` is empty): the same haversine metres on the same sphere as
/// [`Engine::nearest`](crate::Engine::nearest), from an R-tree of `to` built once, so a
/// batch (every postcode against one category's assets) costs one tree and one query per
/// point instead of filtering the whole engine's tree for each.
///
/// # Examples
/// ```
/// use assetmap_core::LonLat;
/// use assetmap_index::areas::nearest_distances_m;
/// let a = LonLat::new(-2.30, 53.45).unwrap();
/// let b = LonLat::new(-2.31, 53.45).unwrap();
/// let d = nearest_distances_m(&[a, b], &[a]);
/// assert_eq!(d[0], Some(0.0));
/// assert_eq!(d[1], Some(b.distance_m(&a)));
/// assert_eq!(nearest_distances_m(&[a], &[]), vec![None]);
/// ```
pub fn nearest_distances_m(from: &[LonLat], to: &[LonLat]) -> Vec<Option<f64>> {
    use crate::sphere::{to_xyz, CHORD_SLACK};
    if to.is_empty() {
        return vec![None; from.len()];
    }
    let tree: RTree<GeomWithData<[f64; 3], u32>> = RTree::bulk_load(
        to.iter()
            .enumerate()
            .map(|(i, p)| GeomWithData::new(to_xyz(p), u32::try_from(i).unwrap_or(u32::MAX)))
            .collect(),
    );
    from.iter()
        .map(|at| {
            let mut best = f64::INFINITY;
            let mut cutoff = f64::INFINITY;
            // Chords order points exactly as ground distance does; read on just past the
            // first chord so that rounding in the vector maths cannot pick the wrong one.
            for (p, d2) in tree.nearest_neighbor_iter_with_distance_2(&to_xyz(at)) {
                if d2 > cutoff {
                    break;
                }
                if cutoff.is_infinite() {
                    let c = d2.sqrt() + CHORD_SLACK;
                    cutoff = c * c;
                }
                best = best.min(at.distance_m(&to[p.data as usize]));
            }
            Some(best)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn ring(pts: &[[f64; 2]]) -> Vec<[f64; 2]> {
        pts.to_vec()
    }

    fn ll(lon: f64, lat: f64) -> LonLat {
        LonLat::new(lon, lat).unwrap()
    }

    #[test]
    fn a_box_meets_an_area_through_corners_edges_or_crossings_and_across_the_antimeridian() {
        let triangle = ring(&[[0.0, 0.0], [10.0, 0.0], [5.0, 10.0], [0.0, 0.0]]);
        let near_180 = ring(&[[178.0, 60.0], [179.5, 60.0], [179.5, 61.0], [178.0, 60.0]]);
        let index = AreaIndex::new(vec![(
            AreaLevel::Ward,
            vec![
                AreaInput {
                    code: "A".into(),
                    name: "Triangle".into(),
                    polygons: vec![vec![triangle]],
                },
                AreaInput {
                    code: "B".into(),
                    name: "Near 180".into(),
                    polygons: vec![vec![near_180]],
                },
            ],
        )])
        .unwrap();
        let (a, b) = (
            &index.areas(AreaLevel::Ward)[0],
            &index.areas(AreaLevel::Ward)[1],
        );
        let bx = |w, s, e, n| BBox::new(w, s, e, n).unwrap();
        // A band wider than the triangle: no corner inside, no vertex inside, edges cross.
        assert!(a.intersects(&bx(-1.0, 1.0, 11.0, 2.0)));
        // Inside the triangle entirely.
        assert!(a.intersects(&bx(4.9, 1.0, 5.1, 2.0)));
        // Touching the apex only.
        assert!(a.intersects(&bx(4.0, 10.0, 6.0, 11.0)));
        // Beside the sloping edge, inside the triangle's bounding box.
        assert!(!a.intersects(&bx(0.0, 8.0, 1.0, 10.0)));
        // Across the antimeridian: the eastern part meets B, the western part nothing.
        assert!(b.intersects(&bx(179.0, 60.0, -179.0, 61.0)));
        assert!(!b.intersects(&bx(179.6, 60.0, -179.0, 61.0)));
        assert!(!a.intersects(&bx(179.0, 0.0, -179.0, 10.0)));
    }

    #[test]
    fn nearest_distances_match_brute_force() {
        let pts: Vec<LonLat> = (0..300)
            .map(|i| {
                ll(
                    -2.45 + f64::from(i % 17) * 0.013,
                    53.36 + f64::from(i % 23) * 0.005,
                )
            })
            .collect();
        let targets: Vec<LonLat> = pts
            .iter()
            .step_by(7)
            .map(|p| ll(p.lon() + 0.0031, p.lat() - 0.0017))
            .collect();
        let got = nearest_distances_m(&pts, &targets);
        for (p, d) in pts.iter().zip(got) {
            let brute = targets
                .iter()
                .map(|t| p.distance_m(t))
                .fold(f64::INFINITY, f64::min);
            assert_eq!(d, Some(brute));
        }
    }

    #[test]
    fn holes_concave_and_boundaries() {
        // A "C" shape (concave) with a square hole in its bottom arm.
        let c = AreaInput {
            code: "C".into(),
            name: "C".into(),
            polygons: vec![vec![
                ring(&[
                    [0.0, 0.0],
                    [3.0, 0.0],
                    [3.0, 1.0],
                    [1.0, 1.0],
                    [1.0, 2.0],
                    [3.0, 2.0],
                    [3.0, 3.0],
                    [0.0, 3.0],
                    [0.0, 0.0],
                ]),
                ring(&[
                    [1.5, 0.25],
                    [2.5, 0.25],
                    [2.5, 0.75],
                    [1.5, 0.75],
                    [1.5, 0.25],
                ]),
            ]],
        };
        let idx = AreaIndex::new(vec![(AreaLevel::Lsoa, vec![c])]).unwrap();
        let a = &idx.areas(AreaLevel::Lsoa)[0];
        assert!(a.contains(ll(0.5, 1.5))); // the spine
        assert!(!a.contains(ll(2.0, 1.5))); // the mouth of the C
        assert!(!a.contains(ll(2.0, 0.5))); // in the hole
        assert!(!a.contains(ll(1.5, 0.5))); // on the hole's edge
        assert!(a.contains(ll(1.2, 0.5))); // between hole and mouth
        assert!(!a.contains(ll(0.0, 0.0))); // a vertex
        assert!(!a.contains(ll(3.0, 0.5))); // on an edge
                                            // A ray through a vertex must not double count.
        assert!(a.contains(ll(0.5, 1.0)));
        assert!(a.contains(ll(0.5, 2.0)));
        assert!(!a.contains(ll(3.5, 1.0)));
    }

    #[test]
    fn multipolygon_parts_and_lookup() {
        let two = AreaInput {
            code: "M".into(),
            name: "Two parts".into(),
            polygons: vec![
                vec![ring(&[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])],
                vec![ring(&[[5.0, 5.0], [6.0, 5.0], [6.0, 6.0], [5.0, 6.0]])],
            ],
        };
        let idx = AreaIndex::new(vec![(AreaLevel::Msoa, vec![two])]).unwrap();
        assert_eq!(idx.locate_in(AreaLevel::Msoa, ll(5.5, 5.5)), Some(0));
        assert_eq!(idx.locate_in(AreaLevel::Msoa, ll(3.0, 3.0)), None);
        assert_eq!(
            idx.find(AreaLevel::Msoa, "M").unwrap().1.name(),
            "Two parts"
        );
        assert_eq!(idx.find_any("M").unwrap().0, AreaLevel::Msoa);
        assert!(idx.find(AreaLevel::Ward, "M").is_none());
    }

    #[test]
    fn rejects_bad_input() {
        let bad = |polygons| AreaInput {
            code: "X".into(),
            name: String::new(),
            polygons,
        };
        assert!(AreaIndex::new(vec![(AreaLevel::Ward, vec![bad(vec![])])]).is_err());
        assert!(AreaIndex::new(vec![(
            AreaLevel::Ward,
            vec![bad(vec![vec![ring(&[[0.0, 0.0], [1.0, 1.0]])]])]
        )])
        .is_err());
        let e = AreaIndex::new(vec![(
            AreaLevel::Ward,
            vec![bad(vec![vec![ring(&[
                [0.0, 0.0],
                [1.0, 0.0],
                [200.0, 1.0],
            ])]])],
        )])
        .unwrap_err();
        assert!(e.to_string().contains("X"), "{e}");
        let sq = vec![vec![ring(&[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]])]];
        let dup = AreaIndex::new(vec![(AreaLevel::Ward, vec![bad(sq.clone()), bad(sq)])]);
        assert!(dup.unwrap_err().problem.contains("more than once"));
    }

    /// A grid of squares tiles the plane: every point off the grid lines lands in exactly one.
    #[test]
    fn tiling_puts_each_point_in_one_area() {
        let mut areas = Vec::new();
        for i in 0..10 {
            for j in 0..10 {
                let (x, y) = (f64::from(i) * 0.1, f64::from(j) * 0.1);
                areas.push(AreaInput {
                    code: format!("{i:02}{j:02}"),
                    name: String::new(),
                    polygons: vec![vec![ring(&[
                        [x, y],
                        [x + 0.1, y],
                        [x + 0.1, y + 0.1],
                        [x, y + 0.1],
                    ])]],
                });
            }
        }
        let idx = AreaIndex::new(vec![(AreaLevel::Lsoa, areas)]).unwrap();
        let mut seed = 12345u64;
        for _ in 0..2000 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let x = (seed >> 11) as f64 / (1u64 << 53) as f64 * 0.999 + 0.0005;
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let y = (seed >> 11) as f64 / (1u64 << 53) as f64 * 0.999 + 0.0005;
            let found = idx.containing(AreaLevel::Lsoa, ll(x, y));
            assert_eq!(found.len(), 1, "{x},{y} in {found:?}");
        }
    }
}
