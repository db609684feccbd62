//! cql2-json (OGC 21-065r2, CQL2 1.0): a filter as a JSON document, read from a
//! [`serde_json::Value`]. Every error carries the JSON Pointer of the node it is about.

use crate::shared::{self, Encoding, MAX_DEPTH, MAX_INPUT_BYTES};
use crate::{At, Expr, Operand, ParseError, Term};
use geo_types::{Coord, Geometry};
use serde_json::{Map, Value};

/// Parses a filter written in cql2-json.
///
/// # Errors
///
/// A [`ParseError`] at `At::Pointer("")` if the text is not JSON (with serde's line and
/// column), otherwise as [`parse_json_value`].
pub fn parse_json(input: &str) -> Result<Expr, ParseError> {
    if input.len() > MAX_INPUT_BYTES {
        return Err(error("", shared::too_long(input.len())));
    }
    let value: Value = serde_json::from_str(input).map_err(|e| {
        if e.to_string().starts_with("recursion limit exceeded") {
            return error("", shared::too_deep());
        }
        error(
            "",
            format!(
                "the filter is not valid JSON: {} (line {}, column {})",
                e.to_string()
                    .split(" at line ")
                    .next()
                    .unwrap_or("a syntax error"),
                e.line(),
                e.column()
            ),
        )
    })?;
    parse_json_value(&value)
}

/// Parses a filter in cql2-json that is already a JSON value.
///
/// # Errors
///
/// A [`ParseError`] at the JSON Pointer of the node that is wrong (e.g. `/args/1`), saying what
/// was found and what was expected; also for the parts of CQL2 that are not supported
/// (temporal operators, arithmetic, `interval`, `accenti`, functions, empty geometries).
pub fn parse_json_value(value: &Value) -> Result<Expr, ParseError> {
    expr(value, "", 0)
}

type Parsed<T> = Result<T, ParseError>;

fn error(pointer: &str, message: String) -> ParseError {
    ParseError {
        at: At::Pointer(pointer.to_string()),
        message,
    }
}

/// The pointer of member `key` of the node at `pointer` (RFC 6901 escaping).
fn child(pointer: &str, key: &str) -> String {
    format!("{pointer}/{}", key.replace('~', "~0").replace('/', "~1"))
}

fn index(pointer: &str, i: usize) -> String {
    format!("{pointer}/{i}")
}

/// A JSON value described for a message.
fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string \"{}\"", shared::shorten(s)),
        Value::Array(_) => "an array".to_string(),
        Value::Object(_) => "an object".to_string(),
    }
}

/// Fails if `depth` is past the limit.
fn check_depth(pointer: &str, depth: usize) -> Parsed<()> {
    if depth > MAX_DEPTH {
        return Err(error(pointer, shared::too_deep()));
    }
    Ok(())
}

/// The `op` of an object as written, if it has one.
fn op_of<'a>(object: &'a Map<String, Value>, pointer: &str) -> Parsed<Option<&'a str>> {
    match object.get("op") {
        None => Ok(None),
        Some(Value::String(op)) => Ok(Some(op)),
        Some(other) => Err(error(
            &child(pointer, "op"),
            format!(
                "\"op\" must be a string naming an operator, found {}",
                describe(other)
            ),
        )),
    }
}

/// The `args` of an operation, which must be an array of `count` values (at least `count` if
/// `at_least`).
fn args_of<'a>(
    object: &'a Map<String, Value>,
    pointer: &str,
    op: &str,
    count: usize,
    at_least: bool,
) -> Parsed<&'a [Value]> {
    let wanted = match (count, at_least) {
        (1, false) => "one argument".to_string(),
        (n, false) => format!("{n} arguments"),
        (n, true) => format!("at least {n} arguments"),
    };
    let args = match object.get("args") {
        Some(Value::Array(args)) => args,
        Some(other) => {
            return Err(error(
                &child(pointer, "args"),
                format!(
                    "\"args\" of \"{op}\" must be an array of {wanted}, found {}",
                    describe(other)
                ),
            ))
        }
        None => {
            return Err(error(
                pointer,
                format!("the \"{op}\" operation needs \"args\": an array of {wanted}"),
            ))
        }
    };
    let fits = if at_least {
        args.len() >= count
    } else {
        args.len() == count
    };
    if !fits {
        return Err(error(
            &child(pointer, "args"),
            format!("\"{op}\" takes {wanted}, found {}", args.len()),
        ));
    }
    Ok(args)
}

/// A boolean expression.
fn expr(value: &Value, pointer: &str, depth: usize) -> Parsed<Expr> {
    check_depth(pointer, depth)?;
    let object = match value {
        Value::Bool(b) => return Ok(Expr::Bool(*b)),
        Value::Object(object) => object,
        other => {
            return Err(error(
                pointer,
                format!(
                    "expected a condition (an object with \"op\" and \"args\", or true or false), found {}",
                    describe(other)
                ),
            ))
        }
    };
    let Some(op) = op_of(object, pointer)? else {
        if object.contains_key("function") {
            return Err(error(
                &child(pointer, "function"),
                "functions are not supported".to_string(),
            ));
        }
        return Err(error(
            pointer,
            "expected a condition: an object with \"op\" and \"args\", e.g. {\"op\": \"=\", \"args\": [{\"property\": \"name\"}, \"x\"]}".to_string(),
        ));
    };
    let at = At::Pointer(pointer.to_string());
    let lower = op.to_ascii_lowercase();
    let arg = |i: usize| index(&child(pointer, "args"), i);
    if let Some(compare) = shared::compare_op(op) {
        let args = args_of(object, pointer, op, 2, false)?;
        return Ok(Expr::Compare {
            op: compare,
            left: operand(&args[0], &arg(0), depth + 1, false)?,
            right: operand(&args[1], &arg(1), depth + 1, false)?,
            at,
        });
    }
    if let Some(spatial) = shared::spatial_op(op) {
        let args = args_of(object, pointer, op, 2, false)?;
        return Ok(Expr::Spatial {
            op: spatial,
            left: operand(&args[0], &arg(0), depth + 1, false)?,
            right: operand(&args[1], &arg(1), depth + 1, false)?,
            at,
        });
    }
    if let Some(array) = shared::array_op(op) {
        let args = args_of(object, pointer, op, 2, false)?;
        return Ok(Expr::Array {
            op: array,
            left: operand(&args[0], &arg(0), depth + 1, true)?,
            right: operand(&args[1], &arg(1), depth + 1, true)?,
            at,
        });
    }
    match lower.as_str() {
        "and" | "or" => {
            let args = args_of(object, pointer, op, 2, true)?;
            let parts = args
                .iter()
                .enumerate()
                .map(|(i, a)| expr(a, &arg(i), depth + 1))
                .collect::<Parsed<Vec<_>>>()?;
            Ok(if lower == "and" {
                Expr::And(parts)
            } else {
                Expr::Or(parts)
            })
        }
        "not" => {
            let args = args_of(object, pointer, op, 1, false)?;
            Ok(Expr::Not(Box::new(expr(&args[0], &arg(0), depth + 1)?)))
        }
        "like" => {
            let args = args_of(object, pointer, op, 2, false)?;
            Ok(Expr::Like {
                value: operand(&args[0], &arg(0), depth + 1, false)?,
                pattern: operand(&args[1], &arg(1), depth + 1, false)?,
                at,
            })
        }
        "between" => {
            let args = args_of(object, pointer, op, 3, false)?;
            Ok(Expr::Between {
                value: operand(&args[0], &arg(0), depth + 1, false)?,
                low: operand(&args[1], &arg(1), depth + 1, false)?,
                high: operand(&args[2], &arg(2), depth + 1, false)?,
                at,
            })
        }
        "in" => {
            let args = args_of(object, pointer, op, 2, false)?;
            let items = match &args[1] {
                Value::Array(items) if !items.is_empty() => items,
                Value::Array(_) => {
                    return Err(error(
                        &arg(1),
                        "the list of \"in\" is empty; it needs at least one value".to_string(),
                    ))
                }
                other => {
                    return Err(error(
                        &arg(1),
                        format!(
                            "the second argument of \"in\" must be an array of values, found {}",
                            describe(other)
                        ),
                    ))
                }
            };
            check_depth(&arg(1), depth + 1)?;
            let list = items
                .iter()
                .enumerate()
                .map(|(i, item)| operand(item, &index(&arg(1), i), depth + 2, false))
                .collect::<Parsed<Vec<_>>>()?;
            Ok(Expr::In {
                value: operand(&args[0], &arg(0), depth + 1, false)?,
                list,
                at,
            })
        }
        "isnull" => {
            let args = args_of(object, pointer, op, 1, false)?;
            Ok(Expr::IsNull {
                value: operand(&args[0], &arg(0), depth + 1, false)?,
                at,
            })
        }
        "casei" => Err(error(
            &child(pointer, "op"),
            "\"casei\" makes a value, not a condition; compare it, e.g. {\"op\": \"=\", \"args\": [{\"op\": \"casei\", \"args\": [{\"property\": \"name\"}]}, {\"op\": \"casei\", \"args\": [\"x\"]}]}".to_string(),
        )),
        _ => Err(error(
            &child(pointer, "op"),
            shared::unsupported_function(op, Encoding::Json),
        )),
    }
}

/// An operand (also an array literal if `arrays`).
fn operand(value: &Value, pointer: &str, depth: usize, arrays: bool) -> Parsed<Operand> {
    check_depth(pointer, depth)?;
    let term = match value {
        Value::String(s) => Term::Text(s.clone()),
        Value::Bool(b) => Term::Boolean(*b),
        Value::Number(n) => {
            let n = n.as_f64().ok_or_else(|| {
                error(pointer, format!("the number {n} cannot be read"))
            })?;
            Term::Number(shared::finite(n, &n.to_string()).map_err(|m| error(pointer, m))?)
        }
        Value::Null => {
            return Err(error(
                pointer,
                "null is not a value in CQL2; to test for a missing value use {\"op\": \"isNull\", \"args\": [{\"property\": \"name\"}]}".to_string(),
            ))
        }
        Value::Array(items) => {
            if !arrays {
                return Err(error(
                    pointer,
                    "an array is only allowed as an argument of a_equals, a_contains, a_containedBy and a_overlaps, or as the list of \"in\"".to_string(),
                ));
            }
            let items = items
                .iter()
                .enumerate()
                .map(|(i, item)| operand(item, &index(pointer, i), depth + 1, true))
                .collect::<Parsed<Vec<_>>>()?;
            Term::Array(items)
        }
        Value::Object(object) => object_term(object, pointer, depth)?,
    };
    Ok(Operand {
        term,
        at: At::Pointer(pointer.to_string()),
    })
}

/// An operand written as an object: a property, a typed literal, a geometry or `casei`.
fn object_term(object: &Map<String, Value>, pointer: &str, depth: usize) -> Parsed<Term> {
    let string_member = |key: &str, what: &str| -> Parsed<String> {
        match object.get(key) {
            Some(Value::String(s)) => Ok(s.clone()),
            Some(other) => Err(error(
                &child(pointer, key),
                format!(
                    "\"{key}\" must be a string ({what}), found {}",
                    describe(other)
                ),
            )),
            None => Err(error(pointer, format!("\"{key}\" is missing"))),
        }
    };
    if object.contains_key("property") {
        let name = string_member("property", "the name of a property")?;
        if name.is_empty() {
            return Err(error(
                &child(pointer, "property"),
                "a property name cannot be empty".to_string(),
            ));
        }
        return Ok(Term::Property(name));
    }
    if object.contains_key("timestamp") {
        let text = string_member("timestamp", "e.g. \"2024-05-01T10:00:00Z\"")?;
        return shared::parse_timestamp(&text)
            .map(Term::Timestamp)
            .map_err(|m| error(&child(pointer, "timestamp"), m));
    }
    if object.contains_key("date") {
        let text = string_member("date", "e.g. \"2024-05-01\"")?;
        return shared::parse_date(&text)
            .map(Term::Date)
            .map_err(|m| error(&child(pointer, "date"), m));
    }
    // Before "bbox": a GeoJSON geometry may have a "bbox" member of its own.
    if object.contains_key("type") {
        return geometry(object, pointer, depth).map(Term::Geometry);
    }
    if let Some(bbox) = object.get("bbox") {
        let at = child(pointer, "bbox");
        let Value::Array(items) = bbox else {
            return Err(error(
                &at,
                format!(
                    "\"bbox\" must be an array of 4 or 6 numbers, found {}",
                    describe(bbox)
                ),
            ));
        };
        let numbers = items
            .iter()
            .enumerate()
            .map(|(i, v)| number(v, &index(&at, i)))
            .collect::<Parsed<Vec<_>>>()?;
        return shared::bbox_from(&numbers)
            .map(Term::BBox)
            .map_err(|m| error(&at, m));
    }
    if object.contains_key("interval") {
        return Err(error(
            pointer,
            shared::unsupported_function("interval", Encoding::Json),
        ));
    }
    if object.contains_key("function") {
        return Err(error(
            &child(pointer, "function"),
            "functions are not supported".to_string(),
        ));
    }
    if let Some(op) = op_of(object, pointer)? {
        if op.eq_ignore_ascii_case("casei") {
            let args = args_of(object, pointer, op, 1, false)?;
            let arg = index(&child(pointer, "args"), 0);
            return Ok(Term::CaseI(Box::new(operand(
                &args[0],
                &arg,
                depth + 1,
                false,
            )?)));
        }
        let known_condition = shared::compare_op(op).is_some()
            || shared::spatial_op(op).is_some()
            || shared::array_op(op).is_some()
            || matches!(
                op.to_ascii_lowercase().as_str(),
                "and" | "or" | "not" | "like" | "between" | "in" | "isnull"
            );
        let message = if known_condition {
            format!("expected a value here, found the condition \"{op}\"")
        } else {
            shared::unsupported_function(op, Encoding::Json)
        };
        return Err(error(&child(pointer, "op"), message));
    }
    Err(error(
        pointer,
        "expected a value: {\"property\": …}, a string, a number, true or false, {\"timestamp\": …}, {\"date\": …}, {\"bbox\": […]}, a GeoJSON geometry, or {\"op\": \"casei\", …}".to_string(),
    ))
}

/// A JSON number, which must be finite.
fn number(value: &Value, pointer: &str) -> Parsed<f64> {
    match value.as_f64() {
        Some(n) => shared::finite(n, &n.to_string()).map_err(|m| error(pointer, m)),
        None => Err(error(
            pointer,
            format!("expected a number, found {}", describe(value)),
        )),
    }
}

// ---- GeoJSON geometries ----

/// A GeoJSON geometry object (RFC 7946).
fn geometry(object: &Map<String, Value>, pointer: &str, depth: usize) -> Parsed<Geometry<f64>> {
    check_depth(pointer, depth)?;
    let type_at = child(pointer, "type");
    let kind = match object.get("type") {
        Some(Value::String(kind)) => kind.as_str(),
        other => {
            return Err(error(
                &type_at,
                format!(
                    "\"type\" must name a GeoJSON geometry type, found {}",
                    other.map_or("nothing".to_string(), describe)
                ),
            ))
        }
    };
    let kind = kind.to_ascii_lowercase();
    if kind == "geometrycollection" {
        let at = child(pointer, "geometries");
        let Some(Value::Array(parts)) = object.get("geometries") else {
            return Err(error(
                pointer,
                "a GeometryCollection needs \"geometries\": an array of geometries".to_string(),
            ));
        };
        if parts.is_empty() {
            return Err(error(&at, "empty geometries are not supported".to_string()));
        }
        let parts = parts
            .iter()
            .enumerate()
            .map(|(i, part)| {
                let part_at = index(&at, i);
                match part {
                    Value::Object(part) => geometry(part, &part_at, depth + 1),
                    other => Err(error(
                        &part_at,
                        format!(
                            "expected a GeoJSON geometry object, found {}",
                            describe(other)
                        ),
                    )),
                }
            })
            .collect::<Parsed<Vec<_>>>()?;
        return Ok(Geometry::GeometryCollection(geo_types::GeometryCollection(
            parts,
        )));
    }
    let at = child(pointer, "coordinates");
    let Some(coordinates) = object.get("coordinates") else {
        return Err(error(
            pointer,
            format!("a {} needs \"coordinates\"", object_type_name(&kind)),
        ));
    };
    if matches!(coordinates, Value::Array(items) if items.is_empty()) {
        return Err(error(&at, "empty geometries are not supported".to_string()));
    }
    let geometry: Geometry<f64> = match kind.as_str() {
        "point" => geo_types::Point(position(coordinates, &at)?).into(),
        "linestring" => geo_types::LineString::new(line(coordinates, &at)?).into(),
        "polygon" => polygon(coordinates, &at)?.into(),
        "multipoint" => {
            let points = each(coordinates, &at, |v, p| position(v, p).map(geo_types::Point))?;
            geo_types::MultiPoint(points).into()
        }
        "multilinestring" => {
            let lines = each(coordinates, &at, |v, p| {
                line(v, p).map(geo_types::LineString::new)
            })?;
            geo_types::MultiLineString(lines).into()
        }
        "multipolygon" => geo_types::MultiPolygon(each(coordinates, &at, polygon)?).into(),
        _ => {
            return Err(error(
                &type_at,
                format!(
                    "\"{}\" is not a GeoJSON geometry type; expected Point, LineString, Polygon, MultiPoint, MultiLineString, MultiPolygon or GeometryCollection",
                    shared::shorten(&kind)
                ),
            ))
        }
    };
    Ok(geometry)
}

fn object_type_name(kind: &str) -> &str {
    match kind {
        "point" => "Point",
        "linestring" => "LineString",
        "polygon" => "Polygon",
        "multipoint" => "MultiPoint",
        "multilinestring" => "MultiLineString",
        "multipolygon" => "MultiPolygon",
        _ => "geometry",
    }
}

/// Reads every item of the array `value` with `item`.
fn each<T>(
    value: &Value,
    pointer: &str,
    item: impl Fn(&Value, &str) -> Parsed<T>,
) -> Parsed<Vec<T>> {
    let Value::Array(items) = value else {
        return Err(error(
            pointer,
            format!("expected an array, found {}", describe(value)),
        ));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, v)| item(v, &index(pointer, i)))
        .collect()
}

/// A position: `[x, y]` or `[x, y, z]` (z dropped).
fn position(value: &Value, pointer: &str) -> Parsed<Coord<f64>> {
    let numbers = each(value, pointer, number)?;
    match numbers[..] {
        [x, y] | [x, y, _] => Ok(Coord { x, y }),
        _ => Err(error(
            pointer,
            format!(
                "a position has 2 numbers [x, y] or 3 [x, y, z], found {}",
                numbers.len()
            ),
        )),
    }
}

fn line(value: &Value, pointer: &str) -> Parsed<Vec<Coord<f64>>> {
    let line = each(value, pointer, position)?;
    shared::check_line(&line).map_err(|m| error(pointer, m))?;
    Ok(line)
}

fn polygon(value: &Value, pointer: &str) -> Parsed<geo_types::Polygon<f64>> {
    let rings = each(value, pointer, |v, p| {
        let ring = each(v, p, position)?;
        shared::check_ring(&ring).map_err(|m| error(p, m))?;
        Ok(ring)
    })?;
    if rings.is_empty() {
        return Err(error(
            pointer,
            "empty geometries are not supported".to_string(),
        ));
    }
    Ok(shared::polygon(rings))
}
