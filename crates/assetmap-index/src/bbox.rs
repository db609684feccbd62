//! Longitude/latitude rectangles, as in the OGC API `bbox` parameter.

use crate::IndexError;
use assetmap_core::LonLat;
use std::str::FromStr;

/// A rectangle in WGS84 degrees, edges included: `south ≤ lat ≤ north`, and
/// `west ≤ lon ≤ east` — or, when `west > east`, a box that crosses the antimeridian (180°):
/// `west ≤ lon ≤ 180` or `-180 ≤ lon ≤ east` (OGC API Features Part 1, `bbox`: "the lower
/// left corner … may have a larger longitude than the upper right corner").
///
/// Valid by construction: all four values finite and in range, and `south ≤ north`.
/// [`parts`](Self::parts) splits a crossing box into the two boxes on either side of 180°.
///
/// # Examples
/// ```
/// use assetmap_core::LonLat;
/// use assetmap_index::BBox;
/// let b: BBox = "-2.4,53.4,-2.2,53.5".parse().unwrap();
/// assert_eq!(b.west(), -2.4);
/// assert!(b.contains(&LonLat::new(-2.3, 53.45).unwrap()));
/// let fiji: BBox = "177,-20,-178,-15".parse().unwrap(); // across 180°
/// assert!(fiji.crosses_antimeridian());
/// assert!(fiji.contains(&LonLat::new(179.5, -17.0).unwrap()));
/// assert!(fiji.contains(&LonLat::new(-179.5, -17.0).unwrap()));
/// assert!(!fiji.contains(&LonLat::new(0.0, -17.0).unwrap()));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BBox {
    west: f64,
    south: f64,
    east: f64,
    north: f64,
}

impl BBox {
    /// The whole world, -180,-90,180,90.
    pub const WORLD: BBox = BBox {
        west: -180.0,
        south: -90.0,
        east: 180.0,
        north: 90.0,
    };

    /// Checks ranges and order; the error says which value is wrong. `west > east` is a box
    /// across the antimeridian, not an error.
    ///
    /// # Examples
    /// ```
    /// use assetmap_index::{BBox, IndexError};
    /// assert!(BBox::new(-3.0, 53.2, -1.9, 53.7).is_ok());
    /// assert!(BBox::new(170.0, 0.0, -170.0, 1.0).unwrap().crosses_antimeridian());
    /// assert!(matches!(BBox::new(0.0, 2.0, 1.0, 1.0), Err(IndexError::BBoxSouthAboveNorth { .. })));
    /// assert!(matches!(BBox::new(0.0, 0.0, 181.0, 1.0), Err(IndexError::BBoxOutOfRange { .. })));
    /// ```
    pub fn new(west: f64, south: f64, east: f64, north: f64) -> Result<BBox, IndexError> {
        for (which, value, limit) in [
            ("minLon", west, 180.0),
            ("minLat", south, 90.0),
            ("maxLon", east, 180.0),
            ("maxLat", north, 90.0),
        ] {
            if !value.is_finite() || value.abs() > limit {
                return Err(IndexError::BBoxOutOfRange { which, value });
            }
        }
        if south > north {
            return Err(IndexError::BBoxSouthAboveNorth { south, north });
        }
        Ok(BBox {
            west,
            south,
            east,
            north,
        })
    }

    /// Parses the OGC API Features `bbox` value `minLon,minLat,maxLon,maxLat` (degrees,
    /// WGS84). Six numbers (`minLon,minLat,minHeight,maxLon,maxLat,maxHeight`) are accepted
    /// too and the heights ignored. Spaces around the numbers are allowed. `minLon > maxLon`
    /// is a box across the antimeridian.
    ///
    /// # Examples
    /// ```
    /// use assetmap_index::BBox;
    /// let b = BBox::parse_ogc("-2.4, 53.4, -2.2, 53.5").unwrap();
    /// assert_eq!((b.south(), b.north()), (53.4, 53.5));
    /// let err = BBox::parse_ogc("-2.4,53.4,-2.2").unwrap_err().to_string();
    /// assert!(err.contains("4 numbers"), "{err}");
    /// ```
    pub fn parse_ogc(input: &str) -> Result<BBox, IndexError> {
        let syntax = |problem: String| IndexError::BBoxSyntax {
            input: input.to_owned(),
            problem,
        };
        let parts: Vec<&str> = input.split(',').map(str::trim).collect();
        let mut nums = Vec::with_capacity(parts.len());
        for (i, p) in parts.iter().enumerate() {
            match p.parse::<f64>() {
                Ok(v) if v.is_finite() => nums.push(v),
                _ => return Err(syntax(format!("item {} ({p:?}) is not a number", i + 1))),
            }
        }
        match nums[..] {
            [w, s, e, n] | [w, s, _, e, n, _] => BBox::new(w, s, e, n),
            _ => Err(syntax(format!(
                "it has {} numbers, not 4 numbers (or 6 with heights)",
                nums.len()
            ))),
        }
    }

    /// Western edge, degrees of longitude.
    pub fn west(&self) -> f64 {
        self.west
    }

    /// Southern edge, degrees of latitude.
    pub fn south(&self) -> f64 {
        self.south
    }

    /// Eastern edge, degrees of longitude.
    pub fn east(&self) -> f64 {
        self.east
    }

    /// Northern edge, degrees of latitude.
    pub fn north(&self) -> f64 {
        self.north
    }

    /// Whether the box crosses the antimeridian (`west > east`).
    pub fn crosses_antimeridian(&self) -> bool {
        self.west > self.east
    }

    /// The box as one or two boxes that do not cross the antimeridian: itself, or, when it
    /// crosses, `[west, 180]` and `[-180, east]` (same latitudes). A point is in the box
    /// exactly when it is in one of the parts.
    ///
    /// # Examples
    /// ```
    /// use assetmap_index::BBox;
    /// let b = BBox::new(177.0, 65.0, -177.0, 70.0).unwrap();
    /// assert_eq!(b.parts(), vec![
    ///     BBox::new(177.0, 65.0, 180.0, 70.0).unwrap(),
    ///     BBox::new(-180.0, 65.0, -177.0, 70.0).unwrap(),
    /// ]);
    /// let one = BBox::new(-2.4, 53.4, -2.2, 53.5).unwrap();
    /// assert_eq!(one.parts(), vec![one]);
    /// ```
    pub fn parts(&self) -> Vec<BBox> {
        if !self.crosses_antimeridian() {
            return vec![*self];
        }
        vec![
            BBox {
                east: 180.0,
                ..*self
            },
            BBox {
                west: -180.0,
                ..*self
            },
        ]
    }

    /// Whether `p` is inside or on the edge.
    pub fn contains(&self, p: &LonLat) -> bool {
        self.contains_lon_lat(p.lon(), p.lat())
    }

    /// Whether `lon`, `lat` (degrees) is inside or on the edge.
    pub(crate) fn contains_lon_lat(&self, lon: f64, lat: f64) -> bool {
        let in_lon = if self.crosses_antimeridian() {
            self.west <= lon || lon <= self.east
        } else {
            self.west <= lon && lon <= self.east
        };
        in_lon && self.south <= lat && lat <= self.north
    }
}

impl FromStr for BBox {
    type Err = IndexError;
    /// Same as [`BBox::parse_ogc`].
    fn from_str(s: &str) -> Result<BBox, IndexError> {
        BBox::parse_ogc(s)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn errors_say_what_is_wrong() {
        let e = BBox::parse_ogc("a,1,2,3").unwrap_err().to_string();
        assert!(e.contains("item 1") && e.contains("\"a\""), "{e}");
        let e = BBox::parse_ogc("").unwrap_err().to_string();
        assert!(e.contains("not a number"), "{e}");
        let e = BBox::parse_ogc("0,95,1,96").unwrap_err();
        assert_eq!(
            e,
            IndexError::BBoxOutOfRange {
                which: "minLat",
                value: 95.0
            }
        );
        assert!(e.to_string().contains("latitudes -90..=90"));
        assert!(BBox::parse_ogc("0,1,1,0")
            .unwrap_err()
            .to_string()
            .contains("minLat 1 is greater than maxLat 0"));
        assert!(BBox::parse_ogc("0,0,1,1,2").is_err());
        assert!(BBox::parse_ogc("0,0,NaN,1").is_err());
        assert!(BBox::parse_ogc("0,0,inf,1").is_err());
    }

    #[test]
    fn six_numbers_drop_heights_and_degenerate_boxes_are_fine() {
        let b = BBox::parse_ogc("-2.4,53.4,0,-2.2,53.5,100").unwrap();
        assert_eq!(b, BBox::new(-2.4, 53.4, -2.2, 53.5).unwrap());
        let line = BBox::new(1.0, 2.0, 1.0, 3.0).unwrap();
        assert!(line.contains(&LonLat::new(1.0, 2.5).unwrap()));
        assert!(BBox::WORLD.contains(&LonLat::new(180.0, -90.0).unwrap()));
    }

    #[test]
    fn boxes_across_the_antimeridian_contain_both_sides_and_split_in_two() {
        let b = BBox::parse_ogc("177,65,-177,70").unwrap();
        assert!(b.crosses_antimeridian());
        let at = |lon, lat| LonLat::new(lon, lat).unwrap();
        for (lon, lat, inside) in [
            (177.0, 65.0, true),
            (180.0, 67.0, true),
            (-180.0, 67.0, true),
            (-177.0, 70.0, true),
            (178.5, 66.0, true),
            (-178.5, 66.0, true),
            (176.9, 66.0, false),
            (-176.9, 66.0, false),
            (0.0, 66.0, false),
            (178.0, 64.9, false),
        ] {
            assert_eq!(b.contains(&at(lon, lat)), inside, "{lon},{lat}");
            let in_parts = b
                .parts()
                .iter()
                .filter(|p| p.contains(&at(lon, lat)))
                .count();
            assert_eq!(in_parts, usize::from(inside), "{lon},{lat} in parts");
        }
        let parts = b.parts();
        assert_eq!(parts.len(), 2);
        assert!(parts.iter().all(|p| !p.crosses_antimeridian()));
        assert_eq!((parts[0].west(), parts[0].east()), (177.0, 180.0));
        assert_eq!((parts[1].west(), parts[1].east()), (-180.0, -177.0));
        // Six numbers across the antimeridian too; heights ignored.
        assert_eq!(BBox::parse_ogc("177,65,0,-177,70,10").unwrap(), b);
    }
}
