//! What the text and the JSON parser share: the limits, the names of the functions and
//! operators, the messages for what is refused, and the checks of literals.

use crate::{ArrayOp, CompareOp, SpatialOp};
use chrono::{DateTime, NaiveDate, Utc};
use geo_types::Coord;

/// The deepest nesting of parentheses, `NOT`s, arrays, `CASEI`s and geometry collections a
/// filter may have: deep enough for any real filter, shallow enough that hostile input cannot
/// overflow the stack.
pub(crate) const MAX_DEPTH: usize = 64;

/// The longest filter read, in bytes (1 MiB): room for a detailed polygon, not for abuse.
pub(crate) const MAX_INPUT_BYTES: usize = 1 << 20;

/// The message for a filter nested deeper than [`MAX_DEPTH`].
pub(crate) fn too_deep() -> String {
    format!("the filter is nested too deeply (more than {MAX_DEPTH} levels)")
}

/// The message for a filter longer than [`MAX_INPUT_BYTES`].
pub(crate) fn too_long(bytes: usize) -> String {
    format!("the filter is too long ({bytes} bytes; at most {MAX_INPUT_BYTES})")
}

/// How a name is spelled in the messages: upper case in cql2-text, as in the standard's JSON
/// schema in cql2-json.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    Text,
    Json,
}

/// The spatial function called `name` (any case).
pub(crate) fn spatial_op(name: &str) -> Option<SpatialOp> {
    let op = match name.to_ascii_uppercase().as_str() {
        "S_INTERSECTS" => SpatialOp::Intersects,
        "S_DISJOINT" => SpatialOp::Disjoint,
        "S_CONTAINS" => SpatialOp::Contains,
        "S_WITHIN" => SpatialOp::Within,
        "S_EQUALS" => SpatialOp::Equals,
        "S_TOUCHES" => SpatialOp::Touches,
        "S_CROSSES" => SpatialOp::Crosses,
        "S_OVERLAPS" => SpatialOp::Overlaps,
        _ => return None,
    };
    Some(op)
}

/// The array function called `name` (any case).
pub(crate) fn array_op(name: &str) -> Option<ArrayOp> {
    let op = match name.to_ascii_uppercase().as_str() {
        "A_EQUALS" => ArrayOp::Equals,
        "A_CONTAINS" => ArrayOp::Contains,
        "A_CONTAINEDBY" => ArrayOp::ContainedBy,
        "A_OVERLAPS" => ArrayOp::Overlaps,
        _ => return None,
    };
    Some(op)
}

/// The comparison written `symbol`.
pub(crate) fn compare_op(symbol: &str) -> Option<CompareOp> {
    let op = match symbol {
        "=" => CompareOp::Eq,
        "<>" => CompareOp::Ne,
        "<" => CompareOp::Lt,
        "<=" => CompareOp::Le,
        ">" => CompareOp::Gt,
        ">=" => CompareOp::Ge,
        _ => return None,
    };
    Some(op)
}

/// Whether `name` is one of CQL2's arithmetic operators.
pub(crate) fn is_arithmetic(name: &str) -> bool {
    matches!(name, "+" | "-" | "*" | "/" | "%" | "^") || name.eq_ignore_ascii_case("div")
}

/// The message for arithmetic, which is refused.
pub(crate) fn arithmetic_refused(found: &str) -> String {
    format!(
        "arithmetic is not supported (found '{found}'); compare a property with a literal value instead"
    )
}

/// The message for a function (or JSON operator) called `name` that is not supported: the
/// temporal functions, `INTERVAL`, `ACCENTI`, arithmetic, or a name that CQL2 does not know.
pub(crate) fn unsupported_function(name: &str, encoding: Encoding) -> String {
    let upper = name.to_ascii_uppercase();
    if upper.starts_with("T_") {
        return format!(
            "{name} is a temporal function, and temporal functions are not supported; compare with <, >, BETWEEN, or use the datetime parameter"
        );
    }
    if is_arithmetic(name) {
        return arithmetic_refused(name);
    }
    match upper.as_str() {
        "INTERVAL" => format!(
            "{name} is not supported: intervals are not; compare the start and end with <, >, or BETWEEN instead"
        ),
        "ACCENTI" => format!(
            "{name} is not supported: comparing without regard to accents is not; CASEI (without regard to case) is supported"
        ),
        _ => match encoding {
            Encoding::Text => format!(
                "unknown function {name}; the supported functions are S_INTERSECTS, S_DISJOINT, S_CONTAINS, S_WITHIN, S_EQUALS, S_TOUCHES, S_CROSSES, S_OVERLAPS, A_EQUALS, A_CONTAINS, A_CONTAINEDBY, A_OVERLAPS, CASEI, TIMESTAMP, DATE, BBOX and the WKT geometries (POINT, LINESTRING, POLYGON, MULTIPOINT, MULTILINESTRING, MULTIPOLYGON, GEOMETRYCOLLECTION)"
            ),
            Encoding::Json => format!(
                "unknown operator \"{name}\"; the supported operators are and, or, not, =, <>, <, <=, >, >=, like, between, in, isNull, casei, s_intersects, s_disjoint, s_contains, s_within, s_equals, s_touches, s_crosses, s_overlaps, a_equals, a_contains, a_containedBy and a_overlaps"
            ),
        },
    }
}

/// A `TIMESTAMP` literal: RFC 3339 with a time zone.
pub(crate) fn parse_timestamp(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            format!(
                "'{}' is not a timestamp; the expected form is YYYY-MM-DDTHH:MM:SSZ (RFC 3339 with a time zone: Z or an offset such as +01:00), e.g. 2024-05-01T10:00:00Z",
                shorten(s)
            )
        })
}

/// A `DATE` literal: `YYYY-MM-DD`.
pub(crate) fn parse_date(s: &str) -> Result<NaiveDate, String> {
    let shaped = s.len() == 10
        && s.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    let date = if shaped {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
    } else {
        None
    };
    date.ok_or_else(|| {
        format!(
            "'{}' is not a date; the expected form is YYYY-MM-DD, e.g. 2024-05-01",
            shorten(s)
        )
    })
}

/// A numeric literal, which must be finite.
pub(crate) fn finite(n: f64, written: &str) -> Result<f64, String> {
    if n.is_finite() {
        Ok(n)
    } else {
        Err(format!(
            "the number {} is too large to be read",
            shorten(written)
        ))
    }
}

/// A bounding box from its 4 or 6 numbers, kept as its 2-D corners.
pub(crate) fn bbox_from(numbers: &[f64]) -> Result<[f64; 4], String> {
    match numbers {
        [minx, miny, maxx, maxy] => Ok([*minx, *miny, *maxx, *maxy]),
        [minx, miny, _minz, maxx, maxy, _maxz] => Ok([*minx, *miny, *maxx, *maxy]),
        _ => Err(format!(
            "a bounding box has 4 numbers (minx, miny, maxx, maxy) or 6 (minx, miny, minz, maxx, maxy, maxz), not {}",
            numbers.len()
        )),
    }
}

/// Checks a line's positions: at least two.
pub(crate) fn check_line(line: &[Coord<f64>]) -> Result<(), String> {
    if line.len() < 2 {
        return Err(format!(
            "a line needs at least 2 positions, found {}",
            line.len()
        ));
    }
    Ok(())
}

/// Checks a polygon ring: at least four positions, the last the same as the first.
pub(crate) fn check_ring(ring: &[Coord<f64>]) -> Result<(), String> {
    if ring.len() < 4 {
        return Err(format!(
            "a polygon ring needs at least 4 positions (the last repeating the first), found {}",
            ring.len()
        ));
    }
    if ring.first() != ring.last() {
        return Err(
            "the polygon ring is not closed: its last position must repeat its first".to_string(),
        );
    }
    Ok(())
}

/// A polygon from checked rings: the first is the exterior, the rest are holes.
pub(crate) fn polygon(rings: Vec<Vec<Coord<f64>>>) -> geo_types::Polygon<f64> {
    let mut rings = rings.into_iter().map(geo_types::LineString::new);
    let exterior = rings
        .next()
        .unwrap_or_else(|| geo_types::LineString::new(Vec::new()));
    geo_types::Polygon::new(exterior, rings.collect())
}

/// Outside input quoted in a message, cut to 40 characters.
pub(crate) fn shorten(s: &str) -> String {
    const MAX: usize = 40;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let cut: String = s.chars().take(MAX).collect();
        format!("{cut}…")
    }
}
