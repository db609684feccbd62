#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod json;
mod shared;
mod text;

pub use json::{parse_json, parse_json_value};
pub use text::parse_text;

use chrono::{DateTime, NaiveDate, Utc};
use std::fmt;

/// Where in a filter a part was written: the place an error message points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum At {
    /// In `cql2-text`: the position of the part's first character, counting characters
    /// (not bytes) from 1.
    Char(usize),
    /// In `cql2-json`: the JSON Pointer (RFC 6901) of the part, `""` for the whole document.
    Pointer(String),
}

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            At::Char(n) => write!(f, "at character {n}"),
            At::Pointer(p) if p.is_empty() => write!(f, "at the top of the document"),
            At::Pointer(p) => write!(f, "at {p}"),
        }
    }
}

/// A filter that could not be read: what was wrong and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Where the problem is.
    pub at: At,
    /// What is wrong and, where it helps, what would be right; a sentence without the position.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.at)
    }
}

impl std::error::Error for ParseError {}

/// A boolean expression: a whole filter, or a part of one.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// `TRUE` or `FALSE`.
    Bool(bool),
    /// Every part is true (two or more parts).
    And(Vec<Expr>),
    /// Any part is true (two or more parts).
    Or(Vec<Expr>),
    /// The part is false.
    Not(Box<Expr>),
    /// `left op right`: `=`, `<>`, `<`, `<=`, `>`, `>=`.
    Compare {
        op: CompareOp,
        left: Operand,
        right: Operand,
        at: At,
    },
    /// `value LIKE pattern`: `%` stands for any run of characters, `_` for one, `\` makes the
    /// next character literal. (`NOT LIKE` is `Not(Like …)`.)
    Like {
        value: Operand,
        pattern: Operand,
        at: At,
    },
    /// `value BETWEEN low AND high`, both ends included. (`NOT BETWEEN` is `Not(Between …)`.)
    Between {
        value: Operand,
        low: Operand,
        high: Operand,
        at: At,
    },
    /// `value IN (list…)`. (`NOT IN` is `Not(In …)`.)
    In {
        value: Operand,
        list: Vec<Operand>,
        at: At,
    },
    /// `value IS NULL`. (`IS NOT NULL` is `Not(IsNull …)`.)
    IsNull { value: Operand, at: At },
    /// A spatial function such as `S_INTERSECTS(geometry, POINT(-2.3 53.4))`.
    Spatial {
        op: SpatialOp,
        left: Operand,
        right: Operand,
        at: At,
    },
    /// An array function such as `A_CONTAINS(categories, ('food', 'health'))`.
    Array {
        op: ArrayOp,
        left: Operand,
        right: Operand,
        at: At,
    },
}

/// A binary comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    /// `=`
    Eq,
    /// `<>`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

/// The spatial functions of CQL2 (`S_INTERSECTS`, …), named as in the standard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpatialOp {
    Intersects,
    Disjoint,
    Contains,
    Within,
    Equals,
    Touches,
    Crosses,
    Overlaps,
}

/// The array functions of CQL2, named as in the standard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArrayOp {
    /// `A_EQUALS`: the same items (as sets here: order and repeats do not matter).
    Equals,
    /// `A_CONTAINS`: the left holds every item of the right.
    Contains,
    /// `A_CONTAINEDBY`: every item of the left is in the right.
    ContainedBy,
    /// `A_OVERLAPS`: they share at least one item.
    Overlaps,
}

/// Something a predicate is about: a property, a literal, or a wrapper around one.
#[derive(Debug, Clone, PartialEq)]
pub struct Operand {
    /// What it is.
    pub term: Term,
    /// Where it was written.
    pub at: At,
}

/// The kinds of [`Operand`].
#[derive(Debug, Clone, PartialEq)]
pub enum Term {
    /// A queryable, by name as written (`name`, `"name"`, `{"property": "name"}`; names may
    /// hold dots, e.g. `cost.band`).
    Property(String),
    /// A character string literal, unescaped (`'it''s'` is `it's`).
    Text(String),
    /// A numeric literal.
    Number(f64),
    /// `TRUE` / `FALSE` where a value is expected.
    Boolean(bool),
    /// `TIMESTAMP('2024-05-01T10:00:00Z')` / `{"timestamp": …}`.
    Timestamp(DateTime<Utc>),
    /// `DATE('2024-05-01')` / `{"date": …}`.
    Date(NaiveDate),
    /// A geometry literal (WKT in text, GeoJSON in JSON), coordinates as written (x, y; in
    /// `filter-crs`, by default CRS84 longitude, latitude in degrees).
    Geometry(geo_types::Geometry<f64>),
    /// `BBOX(minx, miny, maxx, maxy)` / `{"bbox": […]}`; a 6-number box is kept as its 2-D
    /// corners.
    BBox([f64; 4]),
    /// An array literal: `('a', 'b')` in text, a JSON array in JSON.
    Array(Vec<Operand>),
    /// `CASEI(…)`: compare without regard to case.
    CaseI(Box<Operand>),
}

impl Expr {
    /// Calls `f` on every operand of the expression, depth first, including the items of
    /// array literals and the operand inside `CASEI` (after the array or wrapper itself). Used
    /// to move geometry literals from `filter-crs` into CRS84.
    pub fn visit_operands_mut(&mut self, f: &mut dyn FnMut(&mut Operand)) {
        fn operand(o: &mut Operand, f: &mut dyn FnMut(&mut Operand)) {
            f(o);
            match &mut o.term {
                Term::Array(items) => items.iter_mut().for_each(|i| operand(i, f)),
                Term::CaseI(inner) => operand(inner, f),
                _ => {}
            }
        }
        match self {
            Expr::Bool(_) => {}
            Expr::And(parts) | Expr::Or(parts) => {
                parts.iter_mut().for_each(|p| p.visit_operands_mut(f))
            }
            Expr::Not(inner) => inner.visit_operands_mut(f),
            Expr::Compare { left, right, .. }
            | Expr::Spatial { left, right, .. }
            | Expr::Array { left, right, .. } => {
                operand(left, f);
                operand(right, f);
            }
            Expr::Like { value, pattern, .. } => {
                operand(value, f);
                operand(pattern, f);
            }
            Expr::Between {
                value, low, high, ..
            } => {
                operand(value, f);
                operand(low, f);
                operand(high, f);
            }
            Expr::In { value, list, .. } => {
                operand(value, f);
                list.iter_mut().for_each(|i| operand(i, f));
            }
            Expr::IsNull { value, .. } => operand(value, f),
        }
    }
}
