//! Grid geometry: the ~1 km cells that posting lists are keyed by, and a search circle as the
//! index sees it (the cells to read, the chord test on `f32` unit vectors).

use crate::sphere::to_xyz;
use assetmap_core::{LonLat, EARTH_RADIUS_M};

/// Grid cell size for the posting lists, in degrees of latitude (about 1.1 km).
const CELL_LAT_DEG: f64 = 0.01;
/// Grid cell size in degrees of longitude (about 1.0 km at 53° N).
const CELL_LON_DEG: f64 = 0.015;

/// A circle on the Earth, for narrowing a text search: centre and radius in metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Circle {
    pub centre: LonLat,
    pub radius_m: f64,
}

/// Key of a grid cell: latitude row and longitude column packed into one `u64`.
pub(super) type CellKey = u64;

pub(super) fn cell_of(p: LonLat) -> CellKey {
    cell_key(
        (p.lat() / CELL_LAT_DEG).floor() as i32,
        (p.lon() / CELL_LON_DEG).floor() as i32,
    )
}

pub(super) fn cell_key(row: i32, col: i32) -> CellKey {
    (u64::from(row as u32) << 32) | u64::from(col as u32)
}

pub(super) fn cell_row_col(k: CellKey) -> (i32, i32) {
    ((k >> 32) as u32 as i32, k as u32 as i32)
}

/// The area of a [`Circle`] as the index sees it: the cells to read and the chord test.
pub(super) struct Region {
    centre: [f32; 3],
    /// Squared chord length (unit sphere) of the radius, with a little slack for `f32`.
    max_chord2: f32,
    /// Grid rows and columns (inclusive); `all_cols` when the circle spans every longitude.
    rows: (i32, i32),
    cols: (i32, i32),
    all_cols: bool,
    /// The cells of the bounding box that the circle reaches (when there are not too many
    /// to list).
    cells: Option<Vec<CellKey>>,
}

impl Region {
    pub(super) fn new(c: &Circle) -> Region {
        let v = to_xyz(&c.centre);
        let angle = (c.radius_m / EARTH_RADIUS_M).min(std::f64::consts::PI);
        // Positions are stored in f32 (about 0.4 m on the Earth); 1 m of slack on the radius
        // keeps every asset truly inside, and the caller checks distances exactly.
        let slack = 2.0 * ((angle + 1.0 / EARTH_RADIUS_M) / 2.0).sin();
        let dlat = angle.to_degrees();
        let (lat0, lat1) = (c.centre.lat() - dlat, c.centre.lat() + dlat);
        let rows = (
            (lat0.max(-90.0) / CELL_LAT_DEG).floor() as i32,
            (lat1.min(90.0) / CELL_LAT_DEG).floor() as i32,
        );
        let mut all_cols = lat0 <= -90.0 || lat1 >= 90.0;
        let mut cols = (0, 0);
        if !all_cols {
            // Widest longitude span of the circle: at the latitude farthest from the equator.
            let max_lat = lat0.abs().max(lat1.abs()).to_radians();
            let dlon = (angle.sin() / max_lat.cos()).min(1.0).asin().to_degrees() + 1e-9;
            let (lon0, lon1) = (c.centre.lon() - dlon, c.centre.lon() + dlon);
            if lon0 < -180.0 || lon1 > 180.0 || dlon >= 90.0 {
                all_cols = true;
            } else {
                cols = (
                    (lon0 / CELL_LON_DEG).floor() as i32,
                    (lon1 / CELL_LON_DEG).floor() as i32,
                );
            }
        }
        Region {
            centre: [v[0] as f32, v[1] as f32, v[2] as f32],
            max_chord2: (slack * slack) as f32,
            rows,
            cols,
            all_cols,
            cells: None,
        }
        .with_cells(c)
    }

    /// Squared chord to `p` when `p` may be inside the circle.
    #[inline]
    pub(super) fn chord2(&self, p: &[f32; 3]) -> Option<f32> {
        let (dx, dy, dz) = (
            p[0] - self.centre[0],
            p[1] - self.centre[1],
            p[2] - self.centre[2],
        );
        let d2 = dx * dx + dy * dy + dz * dz;
        (d2 <= self.max_chord2).then_some(d2)
    }

    pub(super) fn cell_count(&self) -> usize {
        if let Some(cells) = &self.cells {
            return cells.len();
        }
        if self.all_cols {
            return usize::MAX;
        }
        let r = (self.rows.1 - self.rows.0 + 1).max(0) as usize;
        let c = (self.cols.1 - self.cols.0 + 1).max(0) as usize;
        r.saturating_mul(c)
    }

    /// Lists the cells of the bounding box that the circle reaches. The nearest point of a
    /// cell to the centre is the centre clamped into the cell's latitude and longitude ranges
    /// (on the sphere that is off by about d²/R: 0.1 m at 2 km, 90 m at 50 km; the slack
    /// covers it).
    fn with_cells(mut self, c: &Circle) -> Region {
        let boxed = self.cell_count();
        if self.all_cols || boxed > 4096 {
            return self;
        }
        let (lon, lat) = (c.centre.lon(), c.centre.lat());
        let reach = c.radius_m * 1.01 + 5.0;
        let mut cells = Vec::with_capacity(boxed);
        for row in self.rows.0..=self.rows.1 {
            let (s, n) = (
                f64::from(row) * CELL_LAT_DEG,
                f64::from(row + 1) * CELL_LAT_DEG,
            );
            let near_lat = lat.clamp(s, n);
            for col in self.cols.0..=self.cols.1 {
                let (w, e) = (
                    f64::from(col) * CELL_LON_DEG,
                    f64::from(col + 1) * CELL_LON_DEG,
                );
                if assetmap_core::haversine_m(lon, lat, lon.clamp(w, e), near_lat) <= reach {
                    cells.push(cell_key(row, col));
                }
            }
        }
        self.cells = Some(cells);
        self
    }

    pub(super) fn for_each_cell(&self, mut f: impl FnMut(CellKey)) {
        match &self.cells {
            Some(cells) => cells.iter().for_each(|k| f(*k)),
            None => {
                for row in self.rows.0..=self.rows.1 {
                    for col in self.cols.0..=self.cols.1 {
                        f(cell_key(row, col));
                    }
                }
            }
        }
    }

    pub(super) fn has_cell(&self, k: CellKey) -> bool {
        let (row, col) = cell_row_col(k);
        (self.rows.0..=self.rows.1).contains(&row)
            && (self.all_cols || (self.cols.0..=self.cols.1).contains(&col))
    }
}

/// Squared chord from the search centre to `p`, or `None` when `p` is outside the search
/// circle; `Some(0.0)` when the search has no circle (every posting counts, distance unused).
#[inline]
pub(super) fn chord2_in(region: Option<&Region>, p: &[f32; 3]) -> Option<f32> {
    match region {
        Some(r) => r.chord2(p),
        None => Some(0.0),
    }
}

/// Ground distance in metres of a squared chord on the unit sphere. Up to chords of 0.02
/// (about 64 km) `asin` is replaced by its series to the x⁵ term (error below 1e-12 m).
#[inline]
pub(crate) fn chord2_to_m(chord2: f32) -> f64 {
    let x = f64::from(chord2).sqrt() / 2.0;
    let angle = if x < 0.01 {
        let x2 = x * x;
        x * (1.0 + x2 * (1.0 / 6.0 + x2 * (3.0 / 40.0)))
    } else {
        x.min(1.0).asin()
    };
    2.0 * EARTH_RADIUS_M * angle
}
