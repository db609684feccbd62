//! Points on the unit sphere and conversions between chord lengths and ground distances.
//!
//! A position is stored as the 3-D unit vector `(cos φ cos λ, cos φ sin λ, sin φ)`. The
//! straight-line (chord) distance `c` between two unit vectors and the great-circle angle `θ`
//! between them satisfy `c = 2 sin(θ / 2)`, which is strictly increasing on `0..=π`: ordering
//! points by chord is ordering them by distance on the ground. So the Euclidean R-tree answers
//! spherical nearest-neighbour and radius queries exactly.

use crate::BBox;
use assetmap_core::{LonLat, EARTH_RADIUS_M};
use rstar::AABB;

/// A unit vector on the sphere.
pub(crate) type Xyz = [f64; 3];

/// Slack added to chord lengths (unit-sphere units; 1e-12 is about 6 µm on the ground) so
/// that rounding in the vector maths never drops a candidate. The exact test after it is the
/// haversine distance.
pub(crate) const CHORD_SLACK: f64 = 1e-12;

/// The unit vector of a position.
pub(crate) fn to_xyz(p: &LonLat) -> Xyz {
    xyz(p.lon(), p.lat())
}

/// The unit vector of `lon`, `lat` in degrees.
pub(crate) fn xyz(lon: f64, lat: f64) -> Xyz {
    let (sl, cl) = lon.to_radians().sin_cos();
    let (sp, cp) = lat.to_radians().sin_cos();
    [cp * cl, cp * sl, sp]
}

/// The chord length on the unit sphere of a great-circle distance of `distance_m` metres
/// (capped at the diameter, 2).
pub(crate) fn chord_of_m(distance_m: f64) -> f64 {
    let theta = (distance_m / EARTH_RADIUS_M).min(std::f64::consts::PI);
    2.0 * (theta / 2.0).sin()
}

/// A 3-D box that encloses the image on the unit sphere of every lon/lat point in `b`,
/// padded by [`CHORD_SLACK`]. `b` must not cross the antimeridian: ask once per
/// [`BBox::parts`].
///
/// On the rectangle, `z = sin φ` is monotone in latitude; `x = cos φ · cos λ` and
/// `y = cos φ · sin λ` are products of a non-negative function of latitude (extreme at the
/// edges or at the equator) and a function of longitude (extreme at the edges or at
/// 0°, ±90°, ±180°), so their extremes are among those candidate combinations.
pub(crate) fn enclosing_aabb(b: &BBox) -> AABB<Xyz> {
    debug_assert!(!b.crosses_antimeridian(), "split {b:?} with BBox::parts");
    let mut lons = vec![b.west(), b.east()];
    for l in [-180.0, -90.0, 0.0, 90.0, 180.0] {
        if b.west() < l && l < b.east() {
            lons.push(l);
        }
    }
    let mut lats = vec![b.south(), b.north()];
    if b.south() < 0.0 && 0.0 < b.north() {
        lats.push(0.0);
    }
    let mut lo = [f64::INFINITY; 3];
    let mut hi = [f64::NEG_INFINITY; 3];
    for &lon in &lons {
        for &lat in &lats {
            let p = xyz(lon, lat);
            for i in 0..3 {
                lo[i] = lo[i].min(p[i]);
                hi[i] = hi[i].max(p[i]);
            }
        }
    }
    for i in 0..3 {
        lo[i] -= 1e-9;
        hi[i] += 1e-9;
    }
    AABB::from_corners(lo, hi)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn chord_matches_vector_distance() {
        let a = LonLat::new(-2.3, 53.4).unwrap();
        let b = LonLat::new(-2.2, 53.45).unwrap();
        let (va, vb) = (to_xyz(&a), to_xyz(&b));
        let c =
            ((va[0] - vb[0]).powi(2) + (va[1] - vb[1]).powi(2) + (va[2] - vb[2]).powi(2)).sqrt();
        assert!((c - chord_of_m(a.distance_m(&b))).abs() < 1e-12);
        assert_eq!(chord_of_m(1e9), 2.0);
    }

    #[test]
    fn aabb_encloses_a_dense_grid_of_the_box() {
        for (w, s, e, n) in [
            (-3.0, 53.2, -1.9, 53.7),
            (-179.0, -89.0, 179.0, 89.0),
            (-10.0, -5.0, 100.0, 5.0),
            (170.0, 80.0, 180.0, 90.0),
        ] {
            let b = BBox::new(w, s, e, n).unwrap();
            let aabb = enclosing_aabb(&b);
            for i in 0..=40 {
                for j in 0..=40 {
                    let lon = w + (e - w) * f64::from(i) / 40.0;
                    let lat = s + (n - s) * f64::from(j) / 40.0;
                    let p = xyz(lon, lat);
                    let (lo, hi) = (aabb.lower(), aabb.upper());
                    assert!(
                        (0..3).all(|k| lo[k] <= p[k] && p[k] <= hi[k]),
                        "{lon},{lat} outside box for {b:?}"
                    );
                }
            }
        }
    }
}
