//! Coordinate reference systems the API can answer in: WGS84 longitude/latitude (CRS84, what
//! assetmap stores) and the British National Grid (EPSG:27700, what UK analysts' other layers
//! are in).
//!
//! The National Grid transform is Ordnance Survey's OSTN15, the definitive transformation
//! between ETRS89 and OSGB36 / National Grid: ETRS89 latitude and longitude are projected onto
//! the National Grid transverse Mercator with the GRS80 ellipsoid, then shifted by the OSTN15
//! east and north shifts, interpolated bilinearly from its 1 km grid
//! (`data/ostn15/ostn15_shifts.bin`, made from OS's data file by `scripts/ostn15-shifts.py`;
//! OS's BSD licence in `data/ostn15/LICENCE-OSTN15.txt`). The way back iterates on the shift.
//! Formulas: OS, *A guide to coordinate systems in Great Britain* (Annex C) and
//! *Transformations and OSGM15 User Guide* (section 6).
//!
//! WGS84 is taken to be ETRS89, as OS and EPSG's own WGS84 → OSGB36 transformations through
//! OSTN15 do: the two differ by under a metre in Great Britain (ETRS89 moves with Europe), which
//! no source of community asset positions comes near.

use crate::LonLat;

/// The OGC URI of WGS84 longitude, latitude (degrees), axis order longitude first.
pub const CRS84_URI: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
/// The OGC URI of the British National Grid (OSGB36 / EPSG:27700), easting then northing in
/// metres.
pub const EPSG_27700_URI: &str = "http://www.opengis.net/def/crs/EPSG/0/27700";

/// A coordinate reference system positions can be given in or answered in.
///
/// # Examples
/// ```
/// use assetmap_core::{Crs, LonLat};
/// let crs = Crs::from_uri("http://www.opengis.net/def/crs/EPSG/0/27700").unwrap();
/// assert_eq!(crs, Crs::Epsg27700);
/// // Sale town hall, roughly: easting and northing in metres.
/// let [e, n] = crs.from_wgs84(LonLat::new(-2.3183, 53.4242).unwrap()).unwrap();
/// assert!((378_000.0..380_000.0).contains(&e) && (391_000.0..393_000.0).contains(&n));
/// let back = crs.to_wgs84([e, n]).unwrap();
/// assert!((back.lon() + 2.3183).abs() < 1e-8 && (back.lat() - 53.4242).abs() < 1e-8);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Crs {
    /// WGS84 longitude, latitude in degrees (OGC CRS84): what assetmap stores.
    Crs84,
    /// British National Grid: OSGB36 easting, northing in metres (EPSG:27700), by OSTN15.
    Epsg27700,
}

/// Why a CRS or a position in one was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CrsError {
    /// The URI names no CRS assetmap supports.
    #[error("{0:?} is not a supported CRS; supported: {CRS84_URI}, {EPSG_27700_URI}")]
    Unsupported(String),
    /// The position lies outside the area the CRS's transform is defined over.
    #[error("{0}")]
    OutsideArea(String),
}

impl Crs {
    /// Every supported CRS, the storage CRS (CRS84) first.
    pub const ALL: [Crs; 2] = [Crs::Crs84, Crs::Epsg27700];

    /// The OGC URI naming this CRS (what `crs`, `bbox-crs` and `Content-Crs` carry).
    pub fn uri(self) -> &'static str {
        match self {
            Crs::Crs84 => CRS84_URI,
            Crs::Epsg27700 => EPSG_27700_URI,
        }
    }

    /// The CRS named by an OGC URI (exactly as [`Crs::uri`] gives it; `https:` is accepted
    /// too), or [`CrsError::Unsupported`].
    pub fn from_uri(uri: &str) -> Result<Crs, CrsError> {
        let trimmed = uri.trim();
        let normal = trimmed
            .strip_prefix("https://")
            .map_or_else(|| trimmed.to_string(), |rest| format!("http://{rest}"));
        Crs::ALL
            .into_iter()
            .find(|crs| crs.uri() == normal)
            .ok_or_else(|| CrsError::Unsupported(uri.to_string()))
    }

    /// A WGS84 position in this CRS: `[lon, lat]` in degrees for CRS84, `[easting, northing]`
    /// in metres for EPSG:27700 (an error outside the OSTN15 grid, i.e. far from Great Britain).
    pub fn from_wgs84(self, p: LonLat) -> Result<[f64; 2], CrsError> {
        match self {
            Crs::Crs84 => Ok([p.lon(), p.lat()]),
            Crs::Epsg27700 => wgs84_to_national_grid(p),
        }
    }

    /// A position in this CRS (`[lon, lat]` degrees for CRS84, `[easting, northing]` metres for
    /// EPSG:27700) as WGS84; an error for a position out of range or outside the OSTN15 grid.
    pub fn to_wgs84(self, xy: [f64; 2]) -> Result<LonLat, CrsError> {
        match self {
            Crs::Crs84 => LonLat::new(xy[0], xy[1]).map_err(|e| CrsError::OutsideArea(e.problem)),
            Crs::Epsg27700 => national_grid_to_wgs84(xy),
        }
    }
}

/// WGS84 (taken as ETRS89) to National Grid `[easting, northing]` in metres, by OSTN15.
pub fn wgs84_to_national_grid(p: LonLat) -> Result<[f64; 2], CrsError> {
    // The projection's series are only meant for near the central meridian; beyond this box
    // no position can be in the OSTN15 grid anyway.
    if !(-15.0..=10.0).contains(&p.lon()) || !(45.0..=65.0).contains(&p.lat()) {
        return Err(outside_grid(format!(
            "longitude {}, latitude {}",
            p.lon(),
            p.lat()
        )));
    }
    let [e, n] = project(GRS80, p.lat().to_radians(), p.lon().to_radians());
    let [se, sn] = shift_at(e, n)?;
    Ok([e + se, n + sn])
}

/// National Grid `[easting, northing]` in metres to WGS84 (taken as ETRS89), by OSTN15.
pub fn national_grid_to_wgs84(xy: [f64; 2]) -> Result<LonLat, CrsError> {
    let [east, north] = xy;
    if !east.is_finite() || !north.is_finite() {
        return Err(outside_grid(format!("easting {east}, northing {north}")));
    }
    // OS's iteration: the shift is looked up where the ETRS89 grid position is believed to be,
    // until that stops moving.
    let [mut se, mut sn] = shift_at(east, north)?;
    for _ in 0..20 {
        let [next_se, next_sn] = shift_at(east - se, north - sn)?;
        let converged = (next_se - se).abs() < 1e-5 && (next_sn - sn).abs() < 1e-5;
        [se, sn] = [next_se, next_sn];
        if converged {
            break;
        }
    }
    let [lat, lon] = unproject(GRS80, east - se, north - sn);
    LonLat::new(lon.to_degrees(), lat.to_degrees()).map_err(|e| CrsError::OutsideArea(e.problem))
}

fn outside_grid(what: String) -> CrsError {
    CrsError::OutsideArea(format!(
        "{what} is outside the area of the British National Grid transform (OSTN15: Great \
         Britain and its waters, National Grid easting 0–700000 m, northing 0–1250000 m)"
    ))
}

/// An ellipsoid: semi-major and semi-minor axes in metres.
#[derive(Clone, Copy)]
struct Ellipsoid {
    a: f64,
    b: f64,
}

/// GRS80, the ellipsoid of ETRS89 (OSTN15 projects ETRS89 with it).
const GRS80: Ellipsoid = Ellipsoid {
    a: 6_378_137.0,
    b: 6_356_752.314_140,
};

/// National Grid projection: scale on the central meridian, true origin (49°N, 2°W) and false
/// origin (metres).
const F0: f64 = 0.999_601_271_7;
const LAT0_DEG: f64 = 49.0;
const LON0_DEG: f64 = -2.0;
const E0: f64 = 400_000.0;
const N0: f64 = -100_000.0;

/// Meridional arc in metres from the true origin's latitude to `lat` (radians).
fn meridional_arc(ell: Ellipsoid, lat: f64) -> f64 {
    let lat0 = LAT0_DEG.to_radians();
    let n = (ell.a - ell.b) / (ell.a + ell.b);
    let (n2, n3) = (n * n, n * n * n);
    let (d, s) = (lat - lat0, lat + lat0);
    ell.b
        * F0
        * ((1.0 + n + 1.25 * n2 + 1.25 * n3) * d
            - (3.0 * n + 3.0 * n2 + 21.0 / 8.0 * n3) * d.sin() * s.cos()
            + (15.0 / 8.0 * n2 + 15.0 / 8.0 * n3) * (2.0 * d).sin() * (2.0 * s).cos()
            - 35.0 / 24.0 * n3 * (3.0 * d).sin() * (3.0 * s).cos())
}

/// Radii of curvature (transverse ν, meridional ρ, in metres, scaled by F0) and η² at `lat`.
fn curvature(ell: Ellipsoid, lat: f64) -> (f64, f64, f64) {
    let e2 = (ell.a * ell.a - ell.b * ell.b) / (ell.a * ell.a);
    let w = 1.0 - e2 * lat.sin().powi(2);
    let nu = ell.a * F0 / w.sqrt();
    let rho = ell.a * F0 * (1.0 - e2) / w.powf(1.5);
    (nu, rho, nu / rho - 1.0)
}

/// Latitude and longitude (radians) to National Grid transverse Mercator `[easting, northing]`
/// in metres (OS guide, C.1).
fn project(ell: Ellipsoid, lat: f64, lon: f64) -> [f64; 2] {
    let (nu, rho, eta2) = curvature(ell, lat);
    let (sin, cos, tan) = (lat.sin(), lat.cos(), lat.tan());
    let tan2 = tan * tan;
    let m = meridional_arc(ell, lat);
    let i = m + N0;
    let ii = nu / 2.0 * sin * cos;
    let iii = nu / 24.0 * sin * cos.powi(3) * (5.0 - tan2 + 9.0 * eta2);
    let iiia = nu / 720.0 * sin * cos.powi(5) * (61.0 - 58.0 * tan2 + tan2 * tan2);
    let iv = nu * cos;
    let v = nu / 6.0 * cos.powi(3) * (nu / rho - tan2);
    let vi = nu / 120.0
        * cos.powi(5)
        * (5.0 - 18.0 * tan2 + tan2 * tan2 + 14.0 * eta2 - 58.0 * tan2 * eta2);
    let l = lon - LON0_DEG.to_radians();
    let north = i + ii * l.powi(2) + iii * l.powi(4) + iiia * l.powi(6);
    let east = E0 + iv * l + v * l.powi(3) + vi * l.powi(5);
    [east, north]
}

/// National Grid transverse Mercator `[easting, northing]` (metres) to `[latitude, longitude]`
/// in radians (OS guide, C.2).
fn unproject(ell: Ellipsoid, east: f64, north: f64) -> [f64; 2] {
    let mut lat = (north - N0) / (ell.a * F0) + LAT0_DEG.to_radians();
    for _ in 0..100 {
        let residual = north - N0 - meridional_arc(ell, lat);
        if residual.abs() < 1e-6 {
            break;
        }
        lat += residual / (ell.a * F0);
    }
    let (nu, rho, eta2) = curvature(ell, lat);
    let (tan, sec) = (lat.tan(), 1.0 / lat.cos());
    let (t2, t4, t6) = (tan * tan, tan.powi(4), tan.powi(6));
    let vii = tan / (2.0 * rho * nu);
    let viii = tan / (24.0 * rho * nu.powi(3)) * (5.0 + 3.0 * t2 + eta2 - 9.0 * t2 * eta2);
    let ix = tan / (720.0 * rho * nu.powi(5)) * (61.0 + 90.0 * t2 + 45.0 * t4);
    let x = sec / nu;
    let xi = sec / (6.0 * nu.powi(3)) * (nu / rho + 2.0 * t2);
    let xii = sec / (120.0 * nu.powi(5)) * (5.0 + 28.0 * t2 + 24.0 * t4);
    let xiia = sec / (5040.0 * nu.powi(7)) * (61.0 + 662.0 * t2 + 1320.0 * t4 + 720.0 * t6);
    let d = east - E0;
    let lat_out = lat - vii * d.powi(2) + viii * d.powi(4) - ix * d.powi(6);
    let lon_out =
        LON0_DEG.to_radians() + x * d - xi * d.powi(3) + xii * d.powi(5) - xiia * d.powi(7);
    [lat_out, lon_out]
}

/// The OSTN15 grid: 701 columns (easting 0–700 km) by 1251 rows (northing 0–1250 km), 1 km
/// apart, east fastest; per node two little-endian u16: east shift + 80 m and north shift
/// − (−85 m), in millimetres.
static OSTN15_SHIFTS: &[u8] = include_bytes!("../data/ostn15/ostn15_shifts.bin");
const GRID_COLUMNS: usize = 701;
const GRID_ROWS: usize = 1251;
const GRID_SPACING_M: f64 = 1000.0;
const EAST_SHIFT_BASE_M: f64 = 80.0;
const NORTH_SHIFT_BASE_M: f64 = -85.0;

/// The OSTN15 `[east, north]` shift in metres at one grid node.
fn node_shift(column: usize, row: usize) -> [f64; 2] {
    let at = (row * GRID_COLUMNS + column) * 4;
    let read = |i: usize| f64::from(u16::from_le_bytes([OSTN15_SHIFTS[i], OSTN15_SHIFTS[i + 1]]));
    [
        read(at) / 1000.0 + EAST_SHIFT_BASE_M,
        read(at + 2) / 1000.0 + NORTH_SHIFT_BASE_M,
    ]
}

/// The OSTN15 `[east, north]` shift in metres at an ETRS89 grid position (metres), bilinear
/// between the four nodes around it; an error outside the grid.
fn shift_at(east: f64, north: f64) -> Result<[f64; 2], CrsError> {
    let max_east = (GRID_COLUMNS - 1) as f64 * GRID_SPACING_M;
    let max_north = (GRID_ROWS - 1) as f64 * GRID_SPACING_M;
    if !(0.0..max_east).contains(&east) || !(0.0..max_north).contains(&north) {
        return Err(outside_grid(format!(
            "National Grid easting {east:.0} m, northing {north:.0} m"
        )));
    }
    let (column_f, row_f) = (
        (east / GRID_SPACING_M).floor(),
        (north / GRID_SPACING_M).floor(),
    );
    let (t, u) = (
        east / GRID_SPACING_M - column_f,
        north / GRID_SPACING_M - row_f,
    );
    // In range by the check above, so the casts neither truncate nor wrap.
    let (column, row) = (column_f as usize, row_f as usize);
    let s0 = node_shift(column, row);
    let s1 = node_shift(column + 1, row);
    let s2 = node_shift(column + 1, row + 1);
    let s3 = node_shift(column, row + 1);
    let blend = |k: usize| {
        (1.0 - t) * (1.0 - u) * s0[k]
            + t * (1.0 - u) * s1[k]
            + t * u * s2[k]
            + (1.0 - t) * u * s3[k]
    };
    Ok([blend(0), blend(1)])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// OS's published OSTN15 test points (`OSTN15_OSGM15_TestInput_ETRStoOSGB.txt` and
    /// `…TestOutput_ETRStoOSGB.txt` from the OSTN15 developer pack, as CSV): ETRS89 latitude,
    /// longitude in, National Grid easting, northing out.
    fn os_test_points() -> Vec<(String, LonLat, [f64; 2])> {
        let input = include_str!("../data/ostn15/OSTN15_OSGM15_TestInput_ETRStoOSGB.csv");
        let output = include_str!("../data/ostn15/OSTN15_OSGM15_TestOutput_ETRStoOSGB.csv");
        let mut points = Vec::new();
        for (inp, out) in input.lines().skip(1).zip(output.lines().skip(1)) {
            let i: Vec<&str> = inp.trim().split(',').collect();
            let o: Vec<&str> = out.trim().split(',').collect();
            assert_eq!(i[0], o[0]);
            let num = |s: &str| s.parse::<f64>().expect("a number in OS's test data");
            let p = LonLat::new(num(i[2]), num(i[1])).expect("a position");
            points.push((i[0].to_string(), p, [num(o[1]), num(o[2])]));
        }
        points
    }

    #[test]
    fn uris_round_trip_and_unknown_ones_are_refused() {
        for crs in Crs::ALL {
            assert_eq!(Crs::from_uri(crs.uri()), Ok(crs));
        }
        assert_eq!(
            Crs::from_uri("https://www.opengis.net/def/crs/EPSG/0/27700"),
            Ok(Crs::Epsg27700)
        );
        let err = Crs::from_uri("http://www.opengis.net/def/crs/EPSG/0/4326").unwrap_err();
        assert!(err.to_string().contains(EPSG_27700_URI), "{err}");
    }

    #[test]
    fn matches_every_published_os_test_point_within_a_tenth_of_a_metre() {
        let points = os_test_points();
        assert_eq!(points.len(), 40);
        let (mut worst, mut worst_back) = (0.0_f64, 0.0_f64);
        for (id, p, [e, n]) in points {
            let [ge, gn] = Crs::Epsg27700.from_wgs84(p).expect("inside the grid");
            let error = (ge - e).hypot(gn - n);
            worst = worst.max(error);
            assert!(
                error < 0.1,
                "{id}: {ge:.3} {gn:.3} vs {e} {n}: {error:.4} m"
            );
            // And back: the published grid position gives the published latitude, longitude.
            let back = Crs::Epsg27700.to_wgs84([e, n]).expect("inside the grid");
            let metres = back.distance_m(&p);
            worst_back = worst_back.max(metres);
            assert!(metres < 0.1, "{id} back: {metres:.4} m");
        }
        // OS gives its figures to the millimetre; this is what we reach.
        eprintln!("worst OSTN15 test point: {worst:.4} m there, {worst_back:.4} m back");
        assert!(
            worst < 0.001 && worst_back < 0.01,
            "worst {worst:.4} m, {worst_back:.4} m"
        );
    }

    #[test]
    fn far_from_great_britain_is_an_error_not_a_number() {
        for (lon, lat) in [(151.2, -33.9), (0.0, 0.0), (-20.0, 53.0), (2.35, 48.85)] {
            let p = LonLat::new(lon, lat).expect("a position");
            assert!(
                matches!(Crs::Epsg27700.from_wgs84(p), Err(CrsError::OutsideArea(_))),
                "{lon} {lat}"
            );
        }
        for xy in [
            [-10.0, 100.0],
            [100.0, 1_300_000.0],
            [f64::NAN, 0.0],
            [800_000.0, 5.0],
        ] {
            assert!(Crs::Epsg27700.to_wgs84(xy).is_err(), "{xy:?}");
        }
    }

    #[test]
    fn crs84_is_the_identity() {
        let p = LonLat::new(-2.3, 53.4).expect("a position");
        assert_eq!(Crs::Crs84.from_wgs84(p), Ok([-2.3, 53.4]));
        assert_eq!(Crs::Crs84.to_wgs84([-2.3, 53.4]), Ok(p));
        assert!(Crs::Crs84.to_wgs84([200.0, 0.0]).is_err());
    }
}
