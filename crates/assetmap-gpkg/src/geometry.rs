//! GeoPackage geometry blobs: the `GP` header (version, flags, SRS id, envelope) followed by
//! little-endian OGC Well-Known Binary (GeoPackage 1.3, clause 2.1.3).
//!
//! Coordinates are `[x, y]` in the units of the SRS: for EPSG:4326 that is
//! `[longitude, latitude]` in decimal degrees. Only what assetmap writes is supported: Point,
//! Polygon and MultiPolygon in 2D. Every blob carries an `[minx, maxx, miny, maxy]` envelope.

/// The SRS id of WGS84 longitude/latitude in degrees (EPSG:4326), the only SRS assetmap stores.
pub const WGS84_SRS_ID: i32 = 4326;

const WKB_POINT: u32 = 1;
const WKB_POLYGON: u32 = 3;
const WKB_MULTIPOLYGON: u32 = 6;

/// A bounding box in SRS units (degrees for EPSG:4326).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Envelope {
    pub min_x: f64,
    pub max_x: f64,
    pub min_y: f64,
    pub max_y: f64,
}

impl Envelope {
    /// The box around one point.
    pub fn of_point(x: f64, y: f64) -> Self {
        Self {
            min_x: x,
            max_x: x,
            min_y: y,
            max_y: y,
        }
    }

    /// The box around every coordinate, or `None` when there is none.
    pub fn of_coords<'a>(coords: impl IntoIterator<Item = &'a [f64; 2]>) -> Option<Self> {
        coords
            .into_iter()
            .fold(None, |env: Option<Envelope>, [x, y]| {
                Some(match env {
                    None => Envelope::of_point(*x, *y),
                    Some(e) => e.union(&Envelope::of_point(*x, *y)),
                })
            })
    }

    /// The smallest box holding both.
    #[must_use]
    pub fn union(&self, other: &Envelope) -> Envelope {
        Envelope {
            min_x: self.min_x.min(other.min_x),
            max_x: self.max_x.max(other.max_x),
            min_y: self.min_y.min(other.min_y),
            max_y: self.max_y.max(other.max_y),
        }
    }
}

/// Why a blob is not a geometry this module can read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a readable GeoPackage geometry: {0}")]
pub struct GeometryError(pub String);

fn header(srs_id: i32, env: &Envelope, capacity: usize) -> Vec<u8> {
    let mut b = Vec::with_capacity(8 + 32 + capacity);
    b.extend_from_slice(b"GP");
    b.push(0); // version 1
               // flags: bit 0 = little-endian header, bits 1-3 = 1 (envelope [minx, maxx, miny, maxy]),
               // bit 4 = 0 (not empty), bit 5 = 0 (standard geometry type).
    b.push(0b0000_0011);
    b.extend_from_slice(&srs_id.to_le_bytes());
    for v in [env.min_x, env.max_x, env.min_y, env.max_y] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    b
}

fn put_wkb_header(b: &mut Vec<u8>, wkb_type: u32) {
    b.push(1); // little-endian
    b.extend_from_slice(&wkb_type.to_le_bytes());
}

fn put_u32(b: &mut Vec<u8>, n: usize) {
    // Counts above u32::MAX cannot be written in WKB; no real ring comes near it.
    b.extend_from_slice(&u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes());
}

fn put_polygon(b: &mut Vec<u8>, rings: &[&[[f64; 2]]]) {
    put_wkb_header(b, WKB_POLYGON);
    put_u32(b, rings.len());
    for ring in rings {
        put_u32(b, ring.len());
        for [x, y] in ring.iter() {
            b.extend_from_slice(&x.to_le_bytes());
            b.extend_from_slice(&y.to_le_bytes());
        }
    }
}

/// A Point blob at `(x, y)` (longitude, latitude in degrees for [`WGS84_SRS_ID`]).
///
/// # Examples
/// ```
/// use assetmap_gpkg::{decode_point, encode_point, WGS84_SRS_ID};
/// let blob = encode_point(WGS84_SRS_ID, -2.35, 53.38);
/// assert_eq!(&blob[..2], b"GP");
/// assert_eq!(decode_point(&blob).unwrap(), (-2.35, 53.38));
/// ```
pub fn encode_point(srs_id: i32, x: f64, y: f64) -> Vec<u8> {
    let mut b = header(srs_id, &Envelope::of_point(x, y), 21);
    put_wkb_header(&mut b, WKB_POINT);
    b.extend_from_slice(&x.to_le_bytes());
    b.extend_from_slice(&y.to_le_bytes());
    b
}

/// A Polygon blob: the first ring is the exterior, the others holes. Each ring is a closed
/// list of `[x, y]` (first point repeated last), as WKB requires; rings are written as given.
/// `None` when there is no coordinate at all (an empty polygon has no envelope).
///
/// # Examples
/// ```
/// use assetmap_gpkg::{encode_polygon, WGS84_SRS_ID};
/// let square = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.0, 0.0]];
/// let blob = encode_polygon(WGS84_SRS_ID, &[&square]).unwrap();
/// assert_eq!(blob.len(), 8 + 32 + 1 + 4 + 4 + 4 + 5 * 16);
/// ```
pub fn encode_polygon(srs_id: i32, rings: &[&[[f64; 2]]]) -> Option<Vec<u8>> {
    let env = Envelope::of_coords(rings.iter().flat_map(|r| r.iter()))?;
    let n: usize = rings.iter().map(|r| r.len()).sum();
    let mut b = header(srs_id, &env, 9 + 4 * rings.len() + 16 * n);
    put_polygon(&mut b, rings);
    Some(b)
}

/// A MultiPolygon blob: each polygon is a list of rings as in [`encode_polygon`].
/// `None` when there is no coordinate at all.
pub fn encode_multipolygon(srs_id: i32, polygons: &[Vec<&[[f64; 2]]>]) -> Option<Vec<u8>> {
    let env = Envelope::of_coords(
        polygons
            .iter()
            .flat_map(|p| p.iter().flat_map(|r| r.iter())),
    )?;
    let mut b = header(srs_id, &env, 64);
    put_wkb_header(&mut b, WKB_MULTIPOLYGON);
    put_u32(&mut b, polygons.len());
    for rings in polygons {
        put_polygon(&mut b, rings);
    }
    Some(b)
}

/// The `(x, y)` of a Point blob (longitude, latitude in degrees for [`WGS84_SRS_ID`]).
/// Accepts either byte order, any envelope kind, and the Z/M/ZM variants (extra ordinates
/// are ignored); refuses empty and non-point geometries.
pub fn decode_point(blob: &[u8]) -> Result<(f64, f64), GeometryError> {
    let bad = |why: &str| GeometryError(why.to_owned());
    let wkb = wkb_of(blob)?;
    if wkb.len() < 21 {
        return Err(bad("WKB too short for a point"));
    }
    let le = match wkb[0] {
        0 => false,
        1 => true,
        _ => return Err(bad("unknown WKB byte order")),
    };
    let word = |i: usize| -> [u8; 4] { [wkb[i], wkb[i + 1], wkb[i + 2], wkb[i + 3]] };
    let wkb_type = if le {
        u32::from_le_bytes(word(1))
    } else {
        u32::from_be_bytes(word(1))
    };
    // ISO WKB: 1 = Point, 1001 = Point Z, 2001 = Point M, 3001 = Point ZM.
    if wkb_type % 1000 != WKB_POINT || wkb_type > 3001 {
        return Err(GeometryError(format!("WKB type {wkb_type} is not a point")));
    }
    let double = |i: usize| -> f64 {
        let mut a = [0u8; 8];
        a.copy_from_slice(&wkb[i..i + 8]);
        if le {
            f64::from_le_bytes(a)
        } else {
            f64::from_be_bytes(a)
        }
    };
    Ok((double(5), double(13)))
}

/// The WKB part of a GeoPackage blob (after the header and envelope), checked.
fn wkb_of(blob: &[u8]) -> Result<&[u8], GeometryError> {
    let bad = |why: &str| GeometryError(why.to_owned());
    if blob.len() < 8 || &blob[..2] != b"GP" {
        return Err(bad("does not start with the GP magic"));
    }
    let flags = blob[3];
    if flags & 0b0001_0000 != 0 {
        return Err(bad("the geometry is empty"));
    }
    if flags & 0b0010_0000 != 0 {
        return Err(bad("extended geometry types are not supported"));
    }
    let envelope_len = match (flags >> 1) & 0b111 {
        0 => 0,
        1 => 32,
        2 | 3 => 48,
        4 => 64,
        other => return Err(GeometryError(format!("unknown envelope indicator {other}"))),
    };
    blob.get(8 + envelope_len..)
        .ok_or_else(|| bad("shorter than its envelope"))
}

/// Reads WKB: a cursor over the bytes, each geometry with its own byte order.
struct Wkb<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Wkb<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], GeometryError> {
        let end = self.at.checked_add(N).filter(|&e| e <= self.bytes.len());
        let Some(end) = end else {
            return Err(GeometryError("the WKB ends early".to_owned()));
        };
        let mut a = [0u8; N];
        a.copy_from_slice(&self.bytes[self.at..end]);
        self.at = end;
        Ok(a)
    }

    /// A geometry header: its byte order, base type (1 point … 6 multipolygon) and the
    /// number of ordinates per position (2, 3 or 4).
    fn header(&mut self) -> Result<(bool, u32, usize), GeometryError> {
        let le = match self.take::<1>()?[0] {
            0 => false,
            1 => true,
            _ => return Err(GeometryError("unknown WKB byte order".to_owned())),
        };
        let raw = self.u32(le)?;
        // ISO (1000 Z, 2000 M, 3000 ZM) and EWKB-style flags (0x80000000 Z, 0x40000000 M).
        let (ewkb_z, ewkb_m) = (raw & 0x8000_0000 != 0, raw & 0x4000_0000 != 0);
        let t = raw & 0x0FFF_FFFF;
        let (base, iso) = (t % 1000, t / 1000);
        let dims = 2 + match iso {
            0 => usize::from(ewkb_z) + usize::from(ewkb_m),
            1 | 2 => 1,
            3 => 2,
            _ => return Err(GeometryError(format!("unknown WKB type {raw}"))),
        };
        Ok((le, base, dims))
    }

    fn u32(&mut self, le: bool) -> Result<u32, GeometryError> {
        let w = self.take::<4>()?;
        Ok(if le {
            u32::from_le_bytes(w)
        } else {
            u32::from_be_bytes(w)
        })
    }

    fn f64(&mut self, le: bool) -> Result<f64, GeometryError> {
        let w = self.take::<8>()?;
        Ok(if le {
            f64::from_le_bytes(w)
        } else {
            f64::from_be_bytes(w)
        })
    }

    /// A count, checked against what is left (each item takes at least `min_bytes`).
    fn count(&mut self, le: bool, min_bytes: usize) -> Result<usize, GeometryError> {
        let n = self.u32(le)? as usize;
        if n.saturating_mul(min_bytes) > self.bytes.len() - self.at {
            return Err(GeometryError(format!(
                "a count of {n} is more than the WKB holds"
            )));
        }
        Ok(n)
    }

    fn polygon_body(&mut self, le: bool, dims: usize) -> Result<Vec<Vec<[f64; 2]>>, GeometryError> {
        let rings = self.count(le, 4)?;
        (0..rings)
            .map(|_| {
                let n = self.count(le, 8 * dims)?;
                (0..n)
                    .map(|_| {
                        let (x, y) = (self.f64(le)?, self.f64(le)?);
                        for _ in 2..dims {
                            self.f64(le)?;
                        }
                        Ok([x, y])
                    })
                    .collect()
            })
            .collect()
    }
}

/// The polygons of a Polygon or MultiPolygon blob: each a list of rings (the first the
/// exterior), each ring a list of `[x, y]` as written. Accepts either byte order, any envelope
/// kind and the Z/M/ZM variants (extra ordinates ignored); refuses other geometry types.
///
/// # Examples
/// ```
/// use assetmap_gpkg::{decode_polygons, encode_multipolygon, WGS84_SRS_ID};
/// let square = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.0, 0.0]];
/// let blob = encode_multipolygon(WGS84_SRS_ID, &[vec![&square[..]]]).unwrap();
/// assert_eq!(decode_polygons(&blob).unwrap(), vec![vec![square.to_vec()]]);
/// ```
pub fn decode_polygons(blob: &[u8]) -> Result<Vec<Vec<Vec<[f64; 2]>>>, GeometryError> {
    let mut w = Wkb {
        bytes: wkb_of(blob)?,
        at: 0,
    };
    let (le, base, dims) = w.header()?;
    match base {
        WKB_POLYGON => Ok(vec![w.polygon_body(le, dims)?]),
        WKB_MULTIPOLYGON => {
            let n = w.count(le, 9)?;
            (0..n)
                .map(|_| {
                    let (le, base, dims) = w.header()?;
                    if base != WKB_POLYGON {
                        return Err(GeometryError(format!(
                            "a MultiPolygon holds a WKB type {base}, not a polygon"
                        )));
                    }
                    w.polygon_body(le, dims)
                })
                .collect()
        }
        other => Err(GeometryError(format!(
            "WKB type {other} is not a polygon or multipolygon"
        ))),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn polygons_round_trip_and_bad_blobs_are_errors() {
        let outer = [[0.0, 0.0], [4.0, 0.0], [4.0, 4.0], [0.0, 4.0], [0.0, 0.0]];
        let hole = [[1.0, 1.0], [2.0, 1.0], [2.0, 2.0], [1.0, 1.0]];
        let b = encode_polygon(4326, &[&outer, &hole]).unwrap();
        assert_eq!(
            decode_polygons(&b).unwrap(),
            vec![vec![outer.to_vec(), hole.to_vec()]]
        );
        let m = encode_multipolygon(4326, &[vec![&outer[..]], vec![&hole[..]]]).unwrap();
        assert_eq!(decode_polygons(&m).unwrap().len(), 2);
        assert!(decode_polygons(&encode_point(4326, 1.0, 2.0)).is_err());
        for cut in [9, 45, 60, b.len() - 1] {
            assert!(decode_polygons(&b[..cut]).is_err(), "cut at {cut}");
        }
        // A count far beyond the bytes is refused, not allocated.
        let mut huge = b.clone();
        huge[45..49].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(decode_polygons(&huge).is_err());
    }

    #[test]
    fn point_blob_layout_is_gpkg_header_envelope_then_le_wkb() {
        let b = encode_point(4326, -2.5, 53.25);
        assert_eq!(b.len(), 8 + 32 + 21);
        assert_eq!(&b[..4], &[b'G', b'P', 0, 3]);
        assert_eq!(i32::from_le_bytes([b[4], b[5], b[6], b[7]]), 4326);
        let env: Vec<f64> = (0..4)
            .map(|i| f64::from_le_bytes(b[8 + i * 8..16 + i * 8].try_into().unwrap()))
            .collect();
        assert_eq!(env, vec![-2.5, -2.5, 53.25, 53.25]);
        assert_eq!(b[40], 1);
        assert_eq!(u32::from_le_bytes(b[41..45].try_into().unwrap()), 1);
        assert_eq!(decode_point(&b).unwrap(), (-2.5, 53.25));
    }

    #[test]
    fn decodes_big_endian_point_without_envelope() {
        let mut b = vec![b'G', b'P', 0, 0];
        b.extend_from_slice(&4326i32.to_be_bytes());
        b.push(0);
        b.extend_from_slice(&1u32.to_be_bytes());
        b.extend_from_slice(&1.5f64.to_be_bytes());
        b.extend_from_slice(&(-7.25f64).to_be_bytes());
        assert_eq!(decode_point(&b).unwrap(), (1.5, -7.25));
    }

    #[test]
    fn refuses_non_points_and_garbage() {
        let sq = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]];
        let poly = encode_polygon(4326, &[&sq]).unwrap();
        assert!(decode_point(&poly).unwrap_err().0.contains("not a point"));
        assert!(decode_point(b"XX").is_err());
        assert!(decode_point(&encode_point(4326, 1.0, 2.0)[..50]).is_err());
    }

    #[test]
    fn polygon_and_multipolygon_envelopes_and_counts() {
        let outer = [[0.0, 0.0], [4.0, 0.0], [4.0, 3.0], [0.0, 3.0], [0.0, 0.0]];
        let hole = [[1.0, 1.0], [2.0, 1.0], [2.0, 2.0], [1.0, 1.0]];
        let p = encode_polygon(4326, &[&outer, &hole]).unwrap();
        assert_eq!(p.len(), 40 + 1 + 4 + 4 + 4 + 5 * 16 + 4 + 4 * 16);
        assert_eq!(u32::from_le_bytes(p[41..45].try_into().unwrap()), 3);
        assert_eq!(u32::from_le_bytes(p[45..49].try_into().unwrap()), 2);
        let far = [[10.0, -5.0], [11.0, -5.0], [11.0, -4.0], [10.0, -5.0]];
        let m = encode_multipolygon(4326, &[vec![&outer[..], &hole[..]], vec![&far[..]]]).unwrap();
        let env: Vec<f64> = (0..4)
            .map(|i| f64::from_le_bytes(m[8 + i * 8..16 + i * 8].try_into().unwrap()))
            .collect();
        assert_eq!(env, vec![0.0, 11.0, -5.0, 3.0]);
        assert_eq!(u32::from_le_bytes(m[41..45].try_into().unwrap()), 6);
        assert_eq!(u32::from_le_bytes(m[45..49].try_into().unwrap()), 2);
        // The first member polygon starts with its own WKB header.
        assert_eq!(m[49], 1);
        assert_eq!(u32::from_le_bytes(m[50..54].try_into().unwrap()), 3);
        assert!(encode_polygon(4326, &[]).is_none());
    }
}
