//! WGS84 positions and great-circle distances.

use crate::FieldError;

/// Radius in metres of the sphere used for every distance in assetmap: the IUGG mean Earth
/// radius (2a + b) / 3 of WGS84, the same sphere PostGIS uses for `geography` with
/// `use_spheroid = false`. Over the distances people walk (under 50 km) a great circle on this
/// sphere differs from the ellipsoidal distance by less than 0.5 %.
pub const EARTH_RADIUS_M: f64 = 6_371_008.771_4;

/// A WGS84 position: longitude then latitude, in decimal degrees.
///
/// Valid by construction: longitude in -180..=180, latitude in -90..=90, both finite.
///
/// # Examples
/// ```
/// use assetmap_core::LonLat;
/// let sale = LonLat::new(-2.3183, 53.4242).unwrap();
/// assert_eq!(sale.lon(), -2.3183);
/// assert!(LonLat::new(53.4, -200.0).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "[f64; 2]", into = "[f64; 2]")]
pub struct LonLat {
    lon: f64,
    lat: f64,
}

impl LonLat {
    /// Checks the ranges; the error names `lon` or `lat`.
    pub fn new(lon: f64, lat: f64) -> Result<Self, FieldError> {
        if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
            return Err(FieldError::new(
                "lon",
                format!("longitude {lon} is outside -180..=180 (coordinates are longitude first, then latitude)"),
            ));
        }
        if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
            return Err(FieldError::new(
                "lat",
                format!("latitude {lat} is outside -90..=90 (coordinates are longitude first, then latitude)"),
            ));
        }
        Ok(Self { lon, lat })
    }

    /// Longitude in degrees, -180..=180.
    pub fn lon(&self) -> f64 {
        self.lon
    }

    /// Latitude in degrees, -90..=90.
    pub fn lat(&self) -> f64 {
        self.lat
    }

    /// Great-circle distance in metres to `other`, by the haversine formula on a sphere of
    /// radius [`EARTH_RADIUS_M`].
    ///
    /// # Examples
    /// ```
    /// use assetmap_core::LonLat;
    /// let a = LonLat::new(0.0, 0.0).unwrap();
    /// let b = LonLat::new(0.0, 1.0).unwrap();
    /// assert!((a.distance_m(&b) - 111_195.08).abs() < 0.01);
    /// ```
    pub fn distance_m(&self, other: &LonLat) -> f64 {
        haversine_m(self.lon, self.lat, other.lon, other.lat)
    }
}

impl TryFrom<[f64; 2]> for LonLat {
    type Error = FieldError;
    fn try_from(v: [f64; 2]) -> Result<Self, FieldError> {
        LonLat::new(v[0], v[1])
    }
}

impl From<LonLat> for [f64; 2] {
    fn from(p: LonLat) -> Self {
        [p.lon, p.lat]
    }
}

/// Great-circle distance in metres between two lon/lat points in degrees (haversine, sphere of
/// radius [`EARTH_RADIUS_M`]).
pub fn haversine_m(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_out_of_range_and_nan() {
        assert_eq!(LonLat::new(0.0, 90.5).unwrap_err().field, "lat");
        assert_eq!(LonLat::new(-180.1, 0.0).unwrap_err().field, "lon");
        assert!(LonLat::new(f64::NAN, 0.0).is_err());
        assert!(LonLat::new(180.0, -90.0).is_ok());
    }

    #[test]
    fn distance_is_symmetric_and_zero_on_self() {
        let a = LonLat::new(-2.35, 53.38).unwrap();
        let b = LonLat::new(-2.26, 53.46).unwrap();
        assert_eq!(a.distance_m(&a), 0.0);
        assert!((a.distance_m(&b) - b.distance_m(&a)).abs() < 1e-9);
        // Altrincham to Old Trafford is roughly 10 km.
        assert!((9_000.0..12_000.0).contains(&a.distance_m(&b)));
    }
}
