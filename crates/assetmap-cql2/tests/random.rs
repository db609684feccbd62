//! Randomised checks (a fixed seed, so every run is the same): random trees printed as
//! cql2-text and as cql2-json read back as the same tree; random edits of those filters never
//! panic and always point inside the input.

mod common;

use assetmap_cql2::{
    parse_json, parse_json_value, parse_text, ArrayOp, At, CompareOp, Expr, Operand, SpatialOp,
    Term,
};
use chrono::{DateTime, NaiveDate, SecondsFormat};
use common::{op, strip};
use geo_types::{coord, Geometry, LineString, Point, Polygon};
use serde_json::{json, Value};

/// xorshift64*: small, fast and good enough to pick test cases.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn number(&mut self) -> f64 {
        (self.below(2001) as f64 - 1000.0) / 4.0
    }
}

const NAMES: &[&str] = &[
    "name",
    "cost.band",
    "a_b:c",
    "my name",
    "it\"s",
    "AND",
    "date",
    "Ünïcode",
];
const TEXTS: &[&str] = &["", "x", "it's", "50% off_", "\"quoted\"", "ünï ©", "a''b"];

fn scalar(rng: &mut Rng, depth: usize) -> Operand {
    let term = match rng.below(if depth > 0 { 8 } else { 7 }) {
        0 => Term::Property(rng.pick(NAMES).to_string()),
        1 => Term::Text(rng.pick(TEXTS).to_string()),
        2 => Term::Number(rng.number()),
        3 => Term::Boolean(rng.below(2) == 0),
        4 => Term::Timestamp(
            DateTime::from_timestamp(rng.below(2_000_000_000) as i64, 0).unwrap_or_default(),
        ),
        5 => Term::Date(
            NaiveDate::from_num_days_from_ce_opt(730_000 + rng.below(20_000) as i32)
                .unwrap_or_default(),
        ),
        6 => Term::Property(rng.pick(NAMES).to_string()),
        _ => Term::CaseI(Box::new(scalar(rng, depth - 1))),
    };
    op(term)
}

fn ring(rng: &mut Rng) -> LineString<f64> {
    let (x, y) = (rng.number(), rng.number());
    LineString::new(vec![
        coord! { x: x, y: y },
        coord! { x: x + 1.0, y: y },
        coord! { x: x + 1.0, y: y + 1.0 },
        coord! { x: x, y: y },
    ])
}

fn geometry(rng: &mut Rng, depth: usize) -> Geometry<f64> {
    let point = |rng: &mut Rng| Point::new(rng.number(), rng.number());
    let line = |rng: &mut Rng| LineString::from(vec![point(rng), point(rng), point(rng)]);
    let polygon = |rng: &mut Rng| {
        let holes = (0..rng.below(3)).map(|_| ring(rng)).collect();
        Polygon::new(ring(rng), holes)
    };
    match rng.below(if depth > 0 { 7 } else { 6 }) {
        0 => point(rng).into(),
        1 => line(rng).into(),
        2 => polygon(rng).into(),
        3 => geo_types::MultiPoint((0..1 + rng.below(3)).map(|_| point(rng)).collect()).into(),
        4 => geo_types::MultiLineString((0..1 + rng.below(3)).map(|_| line(rng)).collect()).into(),
        5 => geo_types::MultiPolygon((0..1 + rng.below(3)).map(|_| polygon(rng)).collect()).into(),
        _ => Geometry::GeometryCollection(geo_types::GeometryCollection(
            (0..1 + rng.below(3))
                .map(|_| geometry(rng, depth - 1))
                .collect(),
        )),
    }
}

fn spatial_operand(rng: &mut Rng) -> Operand {
    match rng.below(3) {
        0 => op(Term::Property(rng.pick(NAMES).to_string())),
        1 => op(Term::Geometry(geometry(rng, 2))),
        _ => op(Term::BBox([
            rng.number(),
            rng.number(),
            rng.number(),
            rng.number(),
        ])),
    }
}

fn array_operand(rng: &mut Rng, depth: usize) -> Operand {
    match rng.below(if depth > 0 { 3 } else { 2 }) {
        0 => scalar(rng, 1),
        1 => op(Term::Array(
            (0..rng.below(4)).map(|_| scalar(rng, 1)).collect(),
        )),
        _ => op(Term::Array(
            (0..rng.below(4))
                .map(|_| array_operand(rng, depth - 1))
                .collect(),
        )),
    }
}

fn expr(rng: &mut Rng, depth: usize) -> Expr {
    let at = At::Char(0);
    let kinds = if depth > 0 { 11 } else { 8 };
    match rng.below(kinds) {
        0 => Expr::Bool(rng.below(2) == 0),
        1 => Expr::Compare {
            op: *rng.pick(&[
                CompareOp::Eq,
                CompareOp::Ne,
                CompareOp::Lt,
                CompareOp::Le,
                CompareOp::Gt,
                CompareOp::Ge,
            ]),
            left: scalar(rng, 2),
            right: scalar(rng, 2),
            at,
        },
        2 => Expr::Like {
            value: scalar(rng, 2),
            pattern: scalar(rng, 2),
            at,
        },
        3 => Expr::Between {
            value: scalar(rng, 1),
            low: scalar(rng, 1),
            high: scalar(rng, 1),
            at,
        },
        4 => Expr::In {
            value: scalar(rng, 1),
            list: (0..1 + rng.below(4)).map(|_| scalar(rng, 1)).collect(),
            at,
        },
        5 => Expr::IsNull {
            value: scalar(rng, 1),
            at,
        },
        6 => Expr::Spatial {
            op: *rng.pick(&[
                SpatialOp::Intersects,
                SpatialOp::Disjoint,
                SpatialOp::Contains,
                SpatialOp::Within,
                SpatialOp::Equals,
                SpatialOp::Touches,
                SpatialOp::Crosses,
                SpatialOp::Overlaps,
            ]),
            left: spatial_operand(rng),
            right: spatial_operand(rng),
            at,
        },
        7 => Expr::Array {
            op: *rng.pick(&[
                ArrayOp::Equals,
                ArrayOp::Contains,
                ArrayOp::ContainedBy,
                ArrayOp::Overlaps,
            ]),
            left: array_operand(rng, 2),
            right: array_operand(rng, 2),
            at,
        },
        8 => Expr::And(
            (0..2 + rng.below(2))
                .map(|_| expr(rng, depth - 1))
                .collect(),
        ),
        9 => Expr::Or(
            (0..2 + rng.below(2))
                .map(|_| expr(rng, depth - 1))
                .collect(),
        ),
        _ => Expr::Not(Box::new(expr(rng, depth - 1))),
    }
}

// ---- printers ----

fn quote(s: &str, q: char) -> String {
    let doubled = format!("{q}{q}");
    format!("{q}{}{q}", s.replace(q, &doubled))
}

fn wkt_coords(points: &[geo_types::Coord<f64>]) -> String {
    let items: Vec<String> = points.iter().map(|c| format!("{} {}", c.x, c.y)).collect();
    format!("({})", items.join(", "))
}

fn wkt_polygon(p: &Polygon<f64>) -> String {
    let rings: Vec<String> = std::iter::once(p.exterior())
        .chain(p.interiors())
        .map(|r| wkt_coords(&r.0))
        .collect();
    format!("({})", rings.join(", "))
}

fn wkt(g: &Geometry<f64>) -> String {
    let list = |items: Vec<String>| format!("({})", items.join(", "));
    match g {
        Geometry::Point(p) => format!("POINT({} {})", p.x(), p.y()),
        Geometry::LineString(l) => format!("LINESTRING{}", wkt_coords(&l.0)),
        Geometry::Polygon(p) => format!("POLYGON{}", wkt_polygon(p)),
        Geometry::MultiPoint(m) => format!(
            "MULTIPOINT{}",
            list(
                m.0.iter()
                    .map(|p| format!("({} {})", p.x(), p.y()))
                    .collect()
            )
        ),
        Geometry::MultiLineString(m) => {
            format!(
                "MULTILINESTRING{}",
                list(m.0.iter().map(|l| wkt_coords(&l.0)).collect())
            )
        }
        Geometry::MultiPolygon(m) => {
            format!(
                "MULTIPOLYGON{}",
                list(m.0.iter().map(wkt_polygon).collect())
            )
        }
        Geometry::GeometryCollection(c) => {
            format!("GEOMETRYCOLLECTION{}", list(c.0.iter().map(wkt).collect()))
        }
        other => panic!("not generated: {other:?}"),
    }
}

/// Whether a property name can be written without quotes.
fn is_plain(name: &str) -> bool {
    let keyword = ["AND", "DATE"].contains(&name.to_uppercase().as_str());
    let mut chars = name.chars();
    let first = chars.next().is_some_and(|c| c.is_alphabetic() || c == '_');
    !keyword && first && chars.all(|c| c.is_alphanumeric() || "_.:".contains(c))
}

fn text_operand(o: &Operand) -> String {
    match &o.term {
        Term::Property(name) if is_plain(name) => name.clone(),
        Term::Property(name) => quote(name, '"'),
        Term::Text(s) => quote(s, '\''),
        Term::Number(n) => n.to_string(),
        Term::Boolean(b) => b.to_string().to_uppercase(),
        Term::Timestamp(t) => format!(
            "TIMESTAMP('{}')",
            t.to_rfc3339_opts(SecondsFormat::Secs, true)
        ),
        Term::Date(d) => format!("DATE('{d}')"),
        Term::Geometry(g) => wkt(g),
        Term::BBox(b) => format!("BBOX({}, {}, {}, {})", b[0], b[1], b[2], b[3]),
        Term::Array(items) => format!(
            "({})",
            items
                .iter()
                .map(text_operand)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Term::CaseI(inner) => format!("CASEI({})", text_operand(inner)),
    }
}

fn text(e: &Expr) -> String {
    let join = |parts: &[Expr], word: &str| {
        parts
            .iter()
            .map(|p| format!("({})", text(p)))
            .collect::<Vec<_>>()
            .join(word)
    };
    let spatial = |op: SpatialOp| format!("S_{op:?}").to_uppercase();
    let array = |op: ArrayOp| format!("A_{op:?}").to_uppercase();
    match e {
        Expr::Bool(b) => b.to_string(),
        Expr::And(parts) => join(parts, " AND "),
        Expr::Or(parts) => join(parts, " or "),
        Expr::Not(inner) => format!("NOT ({})", text(inner)),
        Expr::Compare {
            op, left, right, ..
        } => {
            let symbol = match op {
                CompareOp::Eq => "=",
                CompareOp::Ne => "<>",
                CompareOp::Lt => "<",
                CompareOp::Le => "<=",
                CompareOp::Gt => ">",
                CompareOp::Ge => ">=",
            };
            format!("{} {symbol} {}", text_operand(left), text_operand(right))
        }
        Expr::Like { value, pattern, .. } => {
            format!("{} LIKE {}", text_operand(value), text_operand(pattern))
        }
        Expr::Between {
            value, low, high, ..
        } => format!(
            "{} BETWEEN {} AND {}",
            text_operand(value),
            text_operand(low),
            text_operand(high)
        ),
        Expr::In { value, list, .. } => format!(
            "{} IN ({})",
            text_operand(value),
            list.iter().map(text_operand).collect::<Vec<_>>().join(", ")
        ),
        Expr::IsNull { value, .. } => format!("{} IS NULL", text_operand(value)),
        Expr::Spatial {
            op, left, right, ..
        } => {
            format!(
                "{}({}, {})",
                spatial(*op),
                text_operand(left),
                text_operand(right)
            )
        }
        Expr::Array {
            op, left, right, ..
        } => {
            format!(
                "{}({}, {})",
                array(*op),
                text_operand(left),
                text_operand(right)
            )
        }
    }
}

fn positions(points: &[geo_types::Coord<f64>]) -> Value {
    points.iter().map(|c| json!([c.x, c.y])).collect()
}

fn polygon_json(p: &Polygon<f64>) -> Value {
    std::iter::once(p.exterior())
        .chain(p.interiors())
        .map(|r| positions(&r.0))
        .collect()
}

fn geojson(g: &Geometry<f64>) -> Value {
    match g {
        Geometry::Point(p) => json!({"type": "Point", "coordinates": [p.x(), p.y()]}),
        Geometry::LineString(l) => json!({"type": "LineString", "coordinates": positions(&l.0)}),
        Geometry::Polygon(p) => json!({"type": "Polygon", "coordinates": polygon_json(p)}),
        Geometry::MultiPoint(m) => {
            let points: Vec<Value> = m.0.iter().map(|p| json!([p.x(), p.y()])).collect();
            json!({"type": "MultiPoint", "coordinates": points})
        }
        Geometry::MultiLineString(m) => {
            let lines: Vec<Value> = m.0.iter().map(|l| positions(&l.0)).collect();
            json!({"type": "MultiLineString", "coordinates": lines})
        }
        Geometry::MultiPolygon(m) => {
            let polygons: Vec<Value> = m.0.iter().map(polygon_json).collect();
            json!({"type": "MultiPolygon", "coordinates": polygons})
        }
        Geometry::GeometryCollection(c) => {
            let parts: Vec<Value> = c.0.iter().map(geojson).collect();
            json!({"type": "GeometryCollection", "geometries": parts})
        }
        other => panic!("not generated: {other:?}"),
    }
}

fn json_operand(o: &Operand) -> Value {
    match &o.term {
        Term::Property(name) => json!({ "property": name }),
        Term::Text(s) => json!(s),
        Term::Number(n) => json!(n),
        Term::Boolean(b) => json!(b),
        Term::Timestamp(t) => json!({ "timestamp": t.to_rfc3339_opts(SecondsFormat::Secs, true) }),
        Term::Date(d) => json!({ "date": d.to_string() }),
        Term::Geometry(g) => geojson(g),
        Term::BBox(b) => json!({ "bbox": b }),
        Term::Array(items) => Value::Array(items.iter().map(json_operand).collect()),
        Term::CaseI(inner) => json!({"op": "casei", "args": [json_operand(inner)]}),
    }
}

fn json_expr(e: &Expr) -> Value {
    let call = |op: &str, args: Vec<Value>| json!({ "op": op, "args": args });
    match e {
        Expr::Bool(b) => json!(b),
        Expr::And(parts) => call("and", parts.iter().map(json_expr).collect()),
        Expr::Or(parts) => call("or", parts.iter().map(json_expr).collect()),
        Expr::Not(inner) => call("not", vec![json_expr(inner)]),
        Expr::Compare {
            op, left, right, ..
        } => {
            let symbol = match op {
                CompareOp::Eq => "=",
                CompareOp::Ne => "<>",
                CompareOp::Lt => "<",
                CompareOp::Le => "<=",
                CompareOp::Gt => ">",
                CompareOp::Ge => ">=",
            };
            call(symbol, vec![json_operand(left), json_operand(right)])
        }
        Expr::Like { value, pattern, .. } => {
            call("like", vec![json_operand(value), json_operand(pattern)])
        }
        Expr::Between {
            value, low, high, ..
        } => call(
            "between",
            vec![json_operand(value), json_operand(low), json_operand(high)],
        ),
        Expr::In { value, list, .. } => call(
            "in",
            vec![
                json_operand(value),
                Value::Array(list.iter().map(json_operand).collect()),
            ],
        ),
        Expr::IsNull { value, .. } => call("isNull", vec![json_operand(value)]),
        Expr::Spatial {
            op, left, right, ..
        } => call(
            &format!("s_{op:?}").to_lowercase(),
            vec![json_operand(left), json_operand(right)],
        ),
        Expr::Array {
            op, left, right, ..
        } => {
            let name = match op {
                ArrayOp::Equals => "a_equals",
                ArrayOp::Contains => "a_contains",
                ArrayOp::ContainedBy => "a_containedBy",
                ArrayOp::Overlaps => "a_overlaps",
            };
            call(name, vec![json_operand(left), json_operand(right)])
        }
    }
}

/// Pieces random edits insert: CQL2's own punctuation and words, and some that are not.
const SPLICES: &[&str] = &[
    "(", ")", ",", "'", "\"", " ", "=", "<", ">", "-", "+", "*", "/", "%", "~", "!", "AND ",
    " OR ", "NOT ", "LIKE", "BETWEEN", "IN", "IS", "NULL", "POINT", "EMPTY", "Z", "(((", ")))",
    "1e999", ".", "e", "9", "é", "\u{0}", "{", "}", "[", "]", ":", "T_AFTER(", "CASEI(", "BBOX(",
    "\\",
];

fn edit(rng: &mut Rng, s: &str) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    for _ in 0..1 + rng.below(3) {
        let i = rng.below(chars.len() + 1);
        match rng.below(3) {
            0 if i < chars.len() => {
                chars.remove(i);
            }
            1 if i < chars.len() => {
                let end = (i + 1 + rng.below(8)).min(chars.len());
                chars.drain(i..end);
            }
            _ => {
                let piece: Vec<char> = rng.pick(SPLICES).chars().collect();
                chars.splice(i..i, piece);
            }
        }
    }
    chars.into_iter().collect()
}

#[test]
fn random_trees_read_back_the_same_in_both_encodings() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..1000 {
        let tree = expr(&mut rng, 3);
        let written = text(&tree);
        if std::env::var_os("CQL2_SHOW").is_some() {
            println!("{written}");
        }
        match parse_text(&written) {
            Ok(parsed) => assert_eq!(strip(parsed), tree, "text: {written}"),
            Err(e) => panic!("text {written}\nfailed: {e}"),
        }
        let value = json_expr(&tree);
        match parse_json_value(&value) {
            Ok(parsed) => assert_eq!(strip(parsed), tree, "json: {value}"),
            Err(e) => panic!("json {value}\nfailed: {e}"),
        }
        let written_json = value.to_string();
        assert_eq!(parse_json(&written_json).map(strip), Ok(tree));
    }
}

#[test]
fn random_edits_never_panic_and_point_inside_the_input() {
    let mut rng = Rng(0x0123_4567_89AB_CDEF);
    let mut refused = 0;
    for _ in 0..300 {
        let tree = expr(&mut rng, 3);
        let written = text(&tree);
        for _ in 0..20 {
            let edited = edit(&mut rng, &written);
            if let Err(e) = parse_text(&edited) {
                refused += 1;
                let At::Char(at) = e.at else {
                    panic!("{edited}: a text error with a pointer: {e}");
                };
                assert!(
                    (1..=edited.chars().count() + 1).contains(&at),
                    "{edited}: {e}"
                );
                assert!(!e.message.is_empty());
            }
        }
        let written_json = json_expr(&tree).to_string();
        for _ in 0..5 {
            let edited = edit(&mut rng, &written_json);
            if let Err(e) = parse_json(&edited) {
                refused += 1;
                assert!(matches!(e.at, At::Pointer(_)), "{edited}: {e}");
            }
        }
    }
    // The edits do break filters: the check above is not idle.
    assert!(refused > 3000, "only {refused} edits were refused");
}
