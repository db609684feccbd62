//! Longitude/latitude rectangles, as in the OGC API `bbox` parameter.

use crate::IndexError;
use assetmap_core::LonLat;
use std::str::FromStr;

/// A rectangle in WGS84 degrees: `west ≤ lon ≤ east`, `south ≤ lat ≤ north`, edges included.
///
/// Valid by construction: all four values finite and in range, `west ≤ east` (a box across
/// the antimeridian is rejected: split it in two) and `south ≤ north`.
///
/// # Examples
/// ```
/// use assetmap_core::LonLat;
/// use assetmap_index::BBox;
/// let b: BBox = "-2.4,53.4,-2.2,53.5".parse().unwrap();
/// assert_eq!(b.west(), -2.4);
/// assert!(b.contains(&LonLat::new(-2.3, 53.45).unwrap()));
/// assert!("-2.2,53.4,-2.4,53.5".parse::<BBox>().is_err()); // west > east
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

    /// Checks ranges and order; the error says which value is wrong.
    ///
    /// # Examples
    /// ```
    /// use assetmap_index::{BBox, IndexError};
    /// assert!(BBox::new(-3.0, 53.2, -1.9, 53.7).is_ok());
    /// assert!(matches!(BBox::new(170.0, 0.0, -170.0, 1.0), Err(IndexError::BBoxCrossesAntimeridian { .. })));
    /// assert!(matches!(BBox::new(0.0, 2.0, 1.0, 1.0), Err(IndexError::BBoxSouthAboveNorth { .. })));
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
        if west > east {
            return Err(IndexError::BBoxCrossesAntimeridian { west, east });
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
    /// too and the heights ignored. Spaces around the numbers are allowed.
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

    /// Whether `p` is inside or on the edge.
    pub fn contains(&self, p: &LonLat) -> bool {
        self.contains_lon_lat(p.lon(), p.lat())
    }

    /// Whether `lon`, `lat` (degrees) is inside or on the edge.
    pub(crate) fn contains_lon_lat(&self, lon: f64, lat: f64) -> bool {
        self.west <= lon && lon <= self.east && self.south <= lat && lat <= self.north
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
        let e = BBox::parse_ogc("179,0,-179,1").unwrap_err();
        assert!(matches!(e, IndexError::BBoxCrossesAntimeridian { .. }));
        assert!(e.to_string().contains("antimeridian"));
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
}
