//! CQL2 filters over assets (OGC API Features Part 3): the queryables, binding a parsed
//! filter ([`assetmap_cql2::Expr`]) to them with its types checked, and evaluating it on an
//! asset.
//!
//! Logic is three-valued, as in SQL: a comparison with a missing value (an asset without a
//! postcode, never verified) is *unknown*, `NOT unknown` is unknown, and only assets for which
//! the whole filter is *true* match. `IS NULL` is how to ask for missing values.
//!
//! Spatial functions compare the asset's point with the literal geometry on the plane of
//! longitude and latitude (degrees), as PostGIS does for `geometry`; a `BBOX` whose west edge
//! is east of its east edge crosses the antimeridian.
//!
//! One convenience beyond the standard: a comparison or `LIKE` between an array queryable
//! (`categories`, `access`, `tags`, `languages`) and a single value is true when **any** item
//! is — `categories = 'food'` — so that clients whose query language has no array functions
//! (GDAL's `-where`) can still filter on them. The CQL2 array functions (`A_CONTAINS`, …) are
//! the standard way.

use assetmap_core::{AbcdType, AccessFeature, Asset, Category, CostBand, Status};
use assetmap_cql2::{ArrayOp, At, CompareOp, Expr, Operand, ParseError, SpatialOp, Term};
use chrono::{DateTime, NaiveDate, Utc};
use geo::{Intersects, Relate};
use std::borrow::Cow;
use std::cmp::Ordering;
use std::sync::OnceLock;

/// The type of a queryable, as its JSON Schema states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryableType {
    /// A string.
    Text,
    /// A string from a closed list.
    Enum(&'static [&'static str]),
    /// A whole number.
    Integer,
    /// A calendar date (`DATE('2024-05-01')`).
    Date,
    /// An instant, UTC (`TIMESTAMP('2024-05-01T10:00:00Z')`).
    Timestamp,
    /// An array of strings.
    TextArray,
    /// An array of strings from a closed list.
    EnumArray(&'static [&'static str]),
    /// The asset's location, a point (CRS84 longitude, latitude).
    Point,
}

/// A property a filter can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Queryable {
    /// Its name in filters (dots name the parts of an object: `cost.band`).
    pub name: &'static str,
    /// Its type.
    pub kind: QueryableType,
    /// What it is, for people.
    pub title: &'static str,
    field: Field,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Id,
    Name,
    Description,
    AbcdType,
    Categories,
    Tags,
    Address,
    Postcode,
    Access,
    Languages,
    CostBand,
    MinAge,
    MaxAge,
    Source,
    VerifiedAt,
    Status,
    CreatedAt,
    UpdatedAt,
    Version,
    Geometry,
}

fn slugs<T: Copy + 'static>(
    all: &'static [T],
    slug: fn(T) -> &'static str,
) -> &'static [&'static str] {
    Box::leak(
        all.iter()
            .map(|t| slug(*t))
            .collect::<Vec<_>>()
            .into_boxed_slice(),
    )
}

/// Every queryable of the assets collection, in the order they are documented.
///
/// # Examples
/// ```
/// use assetmap_index::predicate::{queryables, QueryableType};
/// let q = queryables();
/// assert!(q.iter().any(|q| q.name == "name" && q.kind == QueryableType::Text));
/// assert!(q.iter().any(|q| q.name == "geometry" && q.kind == QueryableType::Point));
/// ```
pub fn queryables() -> &'static [Queryable] {
    static ALL: OnceLock<Vec<Queryable>> = OnceLock::new();
    ALL.get_or_init(|| {
        use QueryableType as T;
        let q = |name, kind, title, field| Queryable {
            name,
            kind,
            title,
            field,
        };
        vec![
            q("id", T::Text, "Identifier", Field::Id),
            q("name", T::Text, "Name", Field::Name),
            q("description", T::Text, "Description", Field::Description),
            q(
                "abcd_type",
                T::Enum(slugs(AbcdType::ALL, AbcdType::slug)),
                "ABCD asset type",
                Field::AbcdType,
            ),
            q(
                "categories",
                T::EnumArray(slugs(Category::ALL, Category::slug)),
                "Themes",
                Field::Categories,
            ),
            q("tags", T::TextArray, "Tags", Field::Tags),
            q("address", T::Text, "Address", Field::Address),
            q("postcode", T::Text, "Postcode", Field::Postcode),
            q(
                "access",
                T::EnumArray(slugs(AccessFeature::ALL, AccessFeature::slug)),
                "Access features",
                Field::Access,
            ),
            q(
                "languages",
                T::TextArray,
                "Languages (codes)",
                Field::Languages,
            ),
            q(
                "cost.band",
                T::Enum(slugs(CostBand::ALL, CostBand::slug)),
                "Cost band",
                Field::CostBand,
            ),
            q(
                "audience.min_age",
                T::Integer,
                "Youngest age admitted (years)",
                Field::MinAge,
            ),
            q(
                "audience.max_age",
                T::Integer,
                "Oldest age admitted (years)",
                Field::MaxAge,
            ),
            q(
                "provenance.source",
                T::Text,
                "Source of the record",
                Field::Source,
            ),
            q(
                "verified_at",
                T::Date,
                "Last checked (date)",
                Field::VerifiedAt,
            ),
            q(
                "status",
                T::Enum(slugs(Status::ALL, Status::slug)),
                "Status",
                Field::Status,
            ),
            q(
                "created_at",
                T::Timestamp,
                "Created (UTC)",
                Field::CreatedAt,
            ),
            q(
                "updated_at",
                T::Timestamp,
                "Last updated (UTC)",
                Field::UpdatedAt,
            ),
            q(
                "version",
                T::Integer,
                "Version (increases with every change)",
                Field::Version,
            ),
            q("geometry", T::Point, "Location", Field::Geometry),
        ]
    })
}

/// A value while a filter is evaluated.
#[derive(Debug, Clone, PartialEq)]
enum Value<'a> {
    Null,
    Text(Cow<'a, str>),
    Number(f64),
    Bool(bool),
    Date(NaiveDate),
    Time(DateTime<Utc>),
    Geometry(Cow<'a, geo::Geometry<f64>>),
    List(Vec<Value<'a>>),
}

impl Value<'_> {
    /// The same value borrowing from this one (no text or geometry copied).
    fn reborrow(&self) -> Value<'_> {
        match self {
            Value::Null => Value::Null,
            Value::Text(s) => Value::Text(Cow::Borrowed(s.as_ref())),
            Value::Number(n) => Value::Number(*n),
            Value::Bool(b) => Value::Bool(*b),
            Value::Date(d) => Value::Date(*d),
            Value::Time(t) => Value::Time(*t),
            Value::Geometry(g) => Value::Geometry(Cow::Borrowed(g.as_ref())),
            Value::List(items) => Value::List(items.iter().map(Value::reborrow).collect()),
        }
    }
}

impl Field {
    fn value(self, a: &Asset) -> Value<'_> {
        fn text(s: Option<&str>) -> Value<'_> {
            s.map_or(Value::Null, |s| Value::Text(Cow::Borrowed(s)))
        }
        fn list<'a>(items: impl Iterator<Item = &'a str>) -> Value<'a> {
            Value::List(items.map(|s| Value::Text(Cow::Borrowed(s))).collect())
        }
        fn number(n: Option<u8>) -> Value<'static> {
            n.map_or(Value::Null, |n| Value::Number(f64::from(n)))
        }
        match self {
            Field::Id => text(Some(a.id.as_str())),
            Field::Name => text(Some(a.name.as_str())),
            Field::Description => text(a.description.as_deref()),
            Field::AbcdType => text(Some(a.abcd_type.slug())),
            Field::Categories => list(a.categories.iter().map(|c| c.slug())),
            Field::Tags => list(a.tags.iter().map(|t| t.as_str())),
            Field::Address => text(a.address.as_deref()),
            Field::Postcode => text(a.postcode.as_ref().map(|p| p.as_str())),
            Field::Access => list(a.access.iter().map(|f| f.slug())),
            Field::Languages => list(a.languages.iter().map(|l| l.as_str())),
            Field::CostBand => text(a.cost.as_ref().map(|c| c.band.slug())),
            Field::MinAge => number(a.audience.min_age()),
            Field::MaxAge => number(a.audience.max_age()),
            Field::Source => text(a.provenance.source.as_deref()),
            Field::VerifiedAt => a.verified_at.map_or(Value::Null, Value::Date),
            Field::Status => text(Some(a.status.slug())),
            Field::CreatedAt => Value::Time(a.created_at),
            Field::UpdatedAt => Value::Time(a.updated_at),
            // Versions stay far below 2^53, where f64 is exact.
            Field::Version => Value::Number(a.version as f64),
            Field::Geometry => Value::Geometry(Cow::Owned(geo::Geometry::Point(geo::Point::new(
                a.location.lon(),
                a.location.lat(),
            )))),
        }
    }
}

/// The type of an operand, checked when a filter is bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    Text,
    Number,
    Bool,
    Date,
    Time,
    Geometry,
    /// An array; the type of its items (`None` for an empty literal, which fits any).
    List(Option<Scalar>),
}

/// The item types of arrays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scalar {
    Text,
    Number,
    Bool,
    Date,
    Time,
}

impl Ty {
    fn words(self) -> &'static str {
        match self {
            Ty::Text => "text",
            Ty::Number => "a number",
            Ty::Bool => "true or false",
            Ty::Date => "a date",
            Ty::Time => "a timestamp",
            Ty::Geometry => "a geometry",
            Ty::List(_) => "an array",
        }
    }

    /// What to write to get a value of this type.
    fn example(self) -> &'static str {
        match self {
            Ty::Text => "a string in single quotes, e.g. 'Library'",
            Ty::Number => "a number, e.g. 18",
            Ty::Bool => "TRUE or FALSE",
            Ty::Date => "DATE('2024-05-01')",
            Ty::Time => "TIMESTAMP('2024-05-01T10:00:00Z')",
            Ty::Geometry => "a geometry, e.g. POINT(-2.35 53.45) or BBOX(-2.4,53.4,-2.3,53.5)",
            Ty::List(_) => "an array, e.g. ('food', 'health')",
        }
    }

    fn scalar(self) -> Option<Scalar> {
        match self {
            Ty::Text => Some(Scalar::Text),
            Ty::Number => Some(Scalar::Number),
            Ty::Bool => Some(Scalar::Bool),
            Ty::Date => Some(Scalar::Date),
            Ty::Time => Some(Scalar::Time),
            Ty::Geometry | Ty::List(_) => None,
        }
    }
}

impl From<Scalar> for Ty {
    fn from(s: Scalar) -> Ty {
        match s {
            Scalar::Text => Ty::Text,
            Scalar::Number => Ty::Number,
            Scalar::Bool => Ty::Bool,
            Scalar::Date => Ty::Date,
            Scalar::Time => Ty::Time,
        }
    }
}

/// A bound operand.
#[derive(Debug, Clone)]
enum Arg {
    Field(Field),
    Const(Value<'static>),
    CaseI(Box<Arg>),
    List(Vec<Arg>),
}

impl Arg {
    fn eval<'a>(&'a self, a: &'a Asset) -> Value<'a> {
        match self {
            Arg::Field(f) => f.value(a),
            Arg::Const(v) => v.reborrow(),
            Arg::CaseI(inner) => lower(inner.eval(a)),
            Arg::List(items) => Value::List(items.iter().map(|i| i.eval(a)).collect()),
        }
    }
}

fn lower(v: Value<'_>) -> Value<'_> {
    match v {
        Value::Text(s) => Value::Text(Cow::Owned(s.to_lowercase())),
        Value::List(items) => Value::List(items.into_iter().map(lower).collect()),
        other => other,
    }
}

/// A bound filter node.
#[derive(Debug, Clone)]
enum Node {
    Bool(bool),
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    Compare(CompareOp, Arg, Arg),
    Like(Arg, Like),
    Between(Arg, Arg, Arg),
    In(Arg, Vec<Arg>),
    IsNull(Arg),
    Spatial(SpatialOp, Arg, Arg),
    Array(ArrayOp, Arg, Arg),
}

/// One character of a `LIKE` pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PatternChar {
    /// `%`: any run of characters, including none.
    AnyRun,
    /// `_`: any one character.
    AnyOne,
    /// This character.
    Char(char),
}

/// A CQL2 filter bound to the asset queryables: every name known, every type checked.
#[derive(Debug, Clone)]
pub struct Predicate {
    root: Node,
    /// The queryables the filter names, each once.
    names: Vec<&'static str>,
}

impl Predicate {
    /// Binds a parsed filter. Errors name the position of the part that is wrong: an unknown
    /// queryable, values of different types compared, an unknown value of a closed list, a
    /// `LIKE` pattern that is not a string.
    ///
    /// # Examples
    /// ```
    /// use assetmap_index::predicate::Predicate;
    /// use assetmap_synthetic as synthetic;
    /// let p = Predicate::bind(&assetmap_cql2::parse_text("status = 'active' AND name LIKE '%a%'").unwrap()).unwrap();
    /// for a in synthetic::assets(3, 50) {
    ///     let expected = a.status.slug() == "active" && a.name.as_str().contains('a');
    ///     assert_eq!(p.matches(&a), expected);
    /// }
    /// let e = Predicate::bind(&assetmap_cql2::parse_text("colour = 'red'").unwrap()).unwrap_err();
    /// assert!(e.message.contains("colour"));
    /// ```
    pub fn bind(expr: &Expr) -> Result<Predicate, ParseError> {
        let root = bind(expr)?;
        let mut names = Vec::new();
        expr.clone().visit_operands_mut(&mut |o| {
            if let Term::Property(name) = &o.term {
                if let Some(q) = queryables().iter().find(|q| q.name == name) {
                    if !names.contains(&q.name) {
                        names.push(q.name);
                    }
                }
            }
        });
        Ok(Predicate { root, names })
    }

    /// Whether the filter names the queryable `name` anywhere (the server shows only assets
    /// that are open or temporarily closed unless a request says something about `status`).
    pub fn names(&self, name: &str) -> bool {
        self.names.contains(&name)
    }

    /// Whether the filter is true for `asset` (unknown counts as not matching).
    pub fn matches(&self, asset: &Asset) -> bool {
        eval(&self.root, asset) == Some(true)
    }
}

fn error(at: &At, message: impl Into<String>) -> ParseError {
    ParseError {
        at: at.clone(),
        message: message.into(),
    }
}

fn bind(expr: &Expr) -> Result<Node, ParseError> {
    Ok(match expr {
        Expr::Bool(b) => Node::Bool(*b),
        Expr::And(parts) => Node::And(parts.iter().map(bind).collect::<Result<_, _>>()?),
        Expr::Or(parts) => Node::Or(parts.iter().map(bind).collect::<Result<_, _>>()?),
        Expr::Not(inner) => Node::Not(Box::new(bind(inner)?)),
        Expr::Compare {
            op,
            left,
            right,
            at,
        } => {
            let (l, lt) = operand(left)?;
            let (r, rt) = operand(right)?;
            let ordered = !matches!(op, CompareOp::Eq | CompareOp::Ne);
            let (lt_item, rt_item) = (item_type(lt), item_type(rt));
            if lt_item != rt_item || lt_item.is_none() {
                return Err(mismatch(at, left, lt, right, rt));
            }
            if ordered && lt_item == Some(Ty::Bool) {
                return Err(error(
                    at,
                    "true and false have no order; compare them with = or <>",
                ));
            }
            if matches!(lt, Ty::List(_)) && matches!(rt, Ty::List(_)) {
                return Err(error(
                    at,
                    "two arrays cannot be compared with =, <, >…; use A_EQUALS, A_CONTAINS, A_CONTAINEDBY or A_OVERLAPS",
                ));
            }
            check_enum(left, right)?;
            check_enum(right, left)?;
            Node::Compare(*op, l, r)
        }
        Expr::Like { value, pattern, at } => {
            let (v, vt) = operand(value)?;
            if item_type(vt) != Some(Ty::Text) {
                return Err(error(
                    &value.at,
                    format!(
                        "LIKE works on text, and this is {}; compare it with =, <, > instead",
                        vt.words()
                    ),
                ));
            }
            let (text, casei) = match &pattern.term {
                Term::Text(s) => (s.as_str(), false),
                Term::CaseI(inner) => match &inner.term {
                    Term::Text(s) => (s.as_str(), true),
                    _ => return Err(not_a_pattern(at)),
                },
                _ => return Err(not_a_pattern(at)),
            };
            let casei = casei || matches!(value.term, Term::CaseI(_));
            let v = if casei && !matches!(value.term, Term::CaseI(_)) {
                Arg::CaseI(Box::new(v))
            } else {
                v
            };
            let text = if casei {
                text.to_lowercase()
            } else {
                text.to_owned()
            };
            Node::Like(v, Like::new(compile_pattern(&text)))
        }
        Expr::Between {
            value,
            low,
            high,
            at,
        } => {
            let (v, vt) = operand(value)?;
            let (l, lt) = operand(low)?;
            let (h, ht) = operand(high)?;
            if !matches!(vt, Ty::Number | Ty::Text | Ty::Date | Ty::Time) {
                return Err(error(
                    &value.at,
                    format!(
                        "BETWEEN needs a number, text, date or timestamp, not {}",
                        vt.words()
                    ),
                ));
            }
            if lt != vt {
                return Err(mismatch(at, value, vt, low, lt));
            }
            if ht != vt {
                return Err(mismatch(at, value, vt, high, ht));
            }
            Node::Between(v, l, h)
        }
        Expr::In { value, list, at } => {
            let (v, vt) = operand(value)?;
            if vt.scalar().is_none() {
                return Err(error(
                    &value.at,
                    format!(
                        "IN needs a single value on the left, not {}; for arrays use A_OVERLAPS",
                        vt.words()
                    ),
                ));
            }
            let mut items = Vec::with_capacity(list.len());
            for item in list {
                let (i, it) = operand(item)?;
                if it != vt {
                    return Err(mismatch(at, value, vt, item, it));
                }
                check_enum(value, item)?;
                items.push(i);
            }
            Node::In(v, items)
        }
        Expr::IsNull { value, .. } => Node::IsNull(operand(value)?.0),
        Expr::Spatial {
            op,
            left,
            right,
            at: _,
        } => {
            let (l, lt) = operand(left)?;
            let (r, rt) = operand(right)?;
            for (o, t) in [(left, lt), (right, rt)] {
                if t != Ty::Geometry {
                    return Err(error(
                        &o.at,
                        format!(
                            "spatial functions compare geometries, and this is {}; use the queryable geometry or {}",
                            t.words(),
                            Ty::Geometry.example()
                        ),
                    ));
                }
            }
            Node::Spatial(*op, l, r)
        }
        Expr::Array {
            op,
            left,
            right,
            at,
        } => {
            let (l, lt) = operand(left)?;
            let (r, rt) = operand(right)?;
            for (o, t) in [(left, lt), (right, rt)] {
                if !matches!(t, Ty::List(_)) {
                    return Err(error(
                        &o.at,
                        format!(
                            "array functions compare arrays, and this is {}; write {}",
                            t.words(),
                            Ty::List(None).example()
                        ),
                    ));
                }
            }
            if let (Ty::List(Some(a)), Ty::List(Some(b))) = (lt, rt) {
                if a != b {
                    return Err(mismatch(at, left, lt, right, rt));
                }
            }
            check_enum(left, right)?;
            check_enum(right, left)?;
            Node::Array(*op, l, r)
        }
    })
}

/// The type compared when one side is an array and the other a single value (any item), or
/// both are single values; `None` when they cannot be compared at all.
fn item_type(t: Ty) -> Option<Ty> {
    match t {
        Ty::List(Some(s)) => Some(s.into()),
        Ty::List(None) => None,
        Ty::Geometry => None,
        other => Some(other),
    }
}

fn not_a_pattern(at: &At) -> ParseError {
    error(
        at,
        "the pattern of LIKE must be a string in single quotes, e.g. 'St %' (% is any run of characters, _ any one)",
    )
}

/// Two operands of types that cannot be compared; the message names the queryable (if one
/// side is) and says what to write instead.
fn mismatch(at: &At, a: &Operand, a_ty: Ty, b: &Operand, b_ty: Ty) -> ParseError {
    let words = |t: Ty| match t {
        Ty::List(Some(s)) => format!("an array of {}", Ty::from(s).words()),
        t => t.words().to_owned(),
    };
    let example = |t: Ty| match t {
        Ty::List(Some(s)) => Ty::from(s).example(),
        t => t.example(),
    };
    let ((prop, prop_ty), other_ty) = match (&a.term, &b.term) {
        (_, Term::Property(_)) if !matches!(a.term, Term::Property(_)) => ((b, b_ty), a_ty),
        _ => ((a, a_ty), b_ty),
    };
    let subject = match &prop.term {
        Term::Property(name) => format!("{name} ({})", words(prop_ty)),
        _ => words(prop_ty),
    };
    error(
        at,
        format!(
            "cannot compare {subject} with {}; write {}",
            words(other_ty),
            example(prop_ty)
        ),
    )
}

/// When `a` is a queryable with a closed list of values and `b` a string literal (or an array
/// of them), each string must be on the list.
fn check_enum(a: &Operand, b: &Operand) -> Result<(), ParseError> {
    let Term::Property(name) = &a.term else {
        return Ok(());
    };
    let Some(q) = queryables().iter().find(|q| q.name == name) else {
        return Ok(());
    };
    let (QueryableType::Enum(allowed) | QueryableType::EnumArray(allowed)) = q.kind else {
        return Ok(());
    };
    let mut literals = Vec::new();
    match &b.term {
        Term::Text(s) => literals.push((s, &b.at)),
        Term::Array(items) => {
            for i in items {
                if let Term::Text(s) = &i.term {
                    literals.push((s, &i.at));
                }
            }
        }
        _ => {}
    }
    for (s, at) in literals {
        if !allowed.contains(&s.as_str()) {
            return Err(error(
                at,
                format!(
                    "{s:?} is not a value of {name}; use one of: {}",
                    allowed.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

fn operand(o: &Operand) -> Result<(Arg, Ty), ParseError> {
    Ok(match &o.term {
        Term::Property(name) => {
            let q = queryables()
                .iter()
                .find(|q| q.name == name)
                .ok_or_else(|| {
                    let names: Vec<&str> = queryables().iter().map(|q| q.name).collect();
                    error(
                        &o.at,
                        format!(
                            "{name:?} is not a queryable; use one of: {}",
                            names.join(", ")
                        ),
                    )
                })?;
            let ty = match q.kind {
                QueryableType::Text | QueryableType::Enum(_) => Ty::Text,
                QueryableType::Integer => Ty::Number,
                QueryableType::Date => Ty::Date,
                QueryableType::Timestamp => Ty::Time,
                QueryableType::TextArray | QueryableType::EnumArray(_) => {
                    Ty::List(Some(Scalar::Text))
                }
                QueryableType::Point => Ty::Geometry,
            };
            (Arg::Field(q.field), ty)
        }
        Term::Text(s) => (Arg::Const(Value::Text(Cow::Owned(s.clone()))), Ty::Text),
        Term::Number(n) => (Arg::Const(Value::Number(*n)), Ty::Number),
        Term::Boolean(b) => (Arg::Const(Value::Bool(*b)), Ty::Bool),
        Term::Timestamp(t) => (Arg::Const(Value::Time(*t)), Ty::Time),
        Term::Date(d) => (Arg::Const(Value::Date(*d)), Ty::Date),
        Term::Geometry(g) => (
            Arg::Const(Value::Geometry(Cow::Owned(g.clone()))),
            Ty::Geometry,
        ),
        Term::BBox([w, s, e, n]) => (
            Arg::Const(Value::Geometry(Cow::Owned(bbox_geometry(*w, *s, *e, *n)))),
            Ty::Geometry,
        ),
        Term::Array(items) => {
            let mut args = Vec::with_capacity(items.len());
            let mut item_ty: Option<Scalar> = None;
            for i in items {
                let (arg, t) = operand(i)?;
                let Some(s) = t.scalar() else {
                    return Err(error(
                        &i.at,
                        format!("array items must be single values, not {}", t.words()),
                    ));
                };
                if item_ty.is_some_and(|first| first != s) {
                    return Err(error(
                        &i.at,
                        "the items of an array must all be of one type",
                    ));
                }
                item_ty = Some(s);
                args.push(arg);
            }
            (Arg::List(args), Ty::List(item_ty))
        }
        Term::CaseI(inner) => {
            let (arg, t) = operand(inner)?;
            if item_type(t) != Some(Ty::Text) && t != Ty::List(None) {
                return Err(error(
                    &o.at,
                    format!("CASEI works on text, not {}", t.words()),
                ));
            }
            (Arg::CaseI(Box::new(arg)), t)
        }
    })
}

/// A box in degrees as a geometry; across the antimeridian (`west > east`) it is two boxes.
fn bbox_geometry(west: f64, south: f64, east: f64, north: f64) -> geo::Geometry<f64> {
    let rect = |w: f64, e: f64| {
        geo::Rect::new(
            geo::coord! { x: w, y: south },
            geo::coord! { x: e, y: north },
        )
        .to_polygon()
    };
    if west > east {
        geo::Geometry::MultiPolygon(geo::MultiPolygon(vec![
            rect(west, 180.0),
            rect(-180.0, east),
        ]))
    } else {
        geo::Geometry::Polygon(rect(west, east))
    }
}

fn compile_pattern(pattern: &str) -> Vec<PatternChar> {
    let mut out = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        out.push(match c {
            '%' => PatternChar::AnyRun,
            '_' => PatternChar::AnyOne,
            '\\' => PatternChar::Char(chars.next().unwrap_or('\\')),
            c => PatternChar::Char(c),
        });
    }
    out
}

/// A compiled `LIKE` pattern: the common shapes (`'abc'`, `'abc%'`, `'%abc'`, `'%abc%'`) as
/// plain string tests, anything else through [`like`].
#[derive(Debug, Clone)]
enum Like {
    Exact(String),
    Prefix(String),
    Suffix(String),
    Contains(String),
    General(Vec<PatternChar>),
}

impl Like {
    fn new(pattern: Vec<PatternChar>) -> Like {
        let literal = |p: &[PatternChar]| -> Option<String> {
            p.iter()
                .map(|c| match c {
                    PatternChar::Char(c) => Some(*c),
                    _ => None,
                })
                .collect()
        };
        let starts = pattern.first() == Some(&PatternChar::AnyRun);
        let ends = pattern.len() > 1 && pattern.last() == Some(&PatternChar::AnyRun);
        let inner = &pattern[usize::from(starts)..pattern.len() - usize::from(ends)];
        match (starts, ends, literal(inner)) {
            (false, false, Some(s)) => Like::Exact(s),
            (false, true, Some(s)) => Like::Prefix(s),
            (true, false, Some(s)) => Like::Suffix(s),
            (true, true, Some(s)) => Like::Contains(s),
            _ => Like::General(pattern),
        }
    }

    fn matches(&self, text: &str) -> bool {
        match self {
            Like::Exact(s) => text == s,
            Like::Prefix(s) => text.starts_with(s.as_str()),
            Like::Suffix(s) => text.ends_with(s.as_str()),
            Like::Contains(s) => text.contains(s.as_str()),
            Like::General(p) => like(text, p),
        }
    }
}

/// Whether `text` matches `pattern` (time: their lengths' product at worst).
fn like(text: &str, pattern: &[PatternChar]) -> bool {
    // matched[j]: the text read so far matches the first j characters of the pattern.
    let mut matched = vec![false; pattern.len() + 1];
    let mut next = vec![false; pattern.len() + 1];
    matched[0] = true;
    for (j, p) in pattern.iter().enumerate() {
        matched[j + 1] = matched[j] && *p == PatternChar::AnyRun;
    }
    for c in text.chars() {
        next[0] = false;
        for (j, p) in pattern.iter().enumerate() {
            next[j + 1] = match p {
                PatternChar::AnyRun => next[j] || matched[j + 1],
                PatternChar::AnyOne => matched[j],
                PatternChar::Char(want) => matched[j] && *want == c,
            };
        }
        std::mem::swap(&mut matched, &mut next);
    }
    matched[pattern.len()]
}

/// Three-valued: `None` is unknown.
fn eval(node: &Node, a: &Asset) -> Option<bool> {
    match node {
        Node::Bool(b) => Some(*b),
        Node::And(parts) => {
            let mut result = Some(true);
            for p in parts {
                match eval(p, a) {
                    Some(false) => return Some(false),
                    None => result = None,
                    Some(true) => {}
                }
            }
            result
        }
        Node::Or(parts) => {
            let mut result = Some(false);
            for p in parts {
                match eval(p, a) {
                    Some(true) => return Some(true),
                    None => result = None,
                    Some(false) => {}
                }
            }
            result
        }
        Node::Not(inner) => eval(inner, a).map(|b| !b),
        Node::Compare(op, l, r) => {
            let (l, r) = (l.eval(a), r.eval(a));
            let test = |x: &Value, y: &Value| {
                compare(x, y).map(|o| match op {
                    CompareOp::Eq => o == Ordering::Equal,
                    CompareOp::Ne => o != Ordering::Equal,
                    CompareOp::Lt => o == Ordering::Less,
                    CompareOp::Le => o != Ordering::Greater,
                    CompareOp::Gt => o == Ordering::Greater,
                    CompareOp::Ge => o != Ordering::Less,
                })
            };
            match (&l, &r) {
                (Value::List(items), single) => any(items.iter().map(|i| test(i, single))),
                (single, Value::List(items)) => any(items.iter().map(|i| test(single, i))),
                _ => test(&l, &r),
            }
        }
        Node::Like(v, pattern) => match v.eval(a) {
            Value::Text(s) => Some(pattern.matches(&s)),
            Value::List(items) => any(items.iter().map(|i| match i {
                Value::Text(s) => Some(pattern.matches(s)),
                _ => None,
            })),
            _ => None,
        },
        Node::Between(v, low, high) => {
            let v = v.eval(a);
            let above = compare(&v, &low.eval(a))?.is_ge();
            let below = compare(&v, &high.eval(a))?.is_le();
            Some(above && below)
        }
        Node::In(v, list) => {
            let v = v.eval(a);
            any(list
                .iter()
                .map(|i| compare(&v, &i.eval(a)).map(|o| o == Ordering::Equal)))
        }
        Node::IsNull(v) => Some(v.eval(a) == Value::Null),
        Node::Spatial(op, l, r) => {
            let (Value::Geometry(l), Value::Geometry(r)) = (l.eval(a), r.eval(a)) else {
                return None;
            };
            Some(match op {
                SpatialOp::Intersects => l.intersects(r.as_ref()),
                SpatialOp::Disjoint => !l.intersects(r.as_ref()),
                other => {
                    let m = l.relate(r.as_ref());
                    match other {
                        SpatialOp::Contains => m.is_contains(),
                        SpatialOp::Within => m.is_within(),
                        SpatialOp::Equals => m.is_equal_topo(),
                        SpatialOp::Touches => m.is_touches(),
                        SpatialOp::Crosses => m.is_crosses(),
                        SpatialOp::Overlaps => m.is_overlaps(),
                        SpatialOp::Intersects | SpatialOp::Disjoint => unreachable!(),
                    }
                }
            })
        }
        Node::Array(op, l, r) => {
            let (Value::List(l), Value::List(r)) = (l.eval(a), r.eval(a)) else {
                return None;
            };
            let has = |set: &[Value], x: &Value| set.iter().any(|y| y == x);
            Some(match op {
                ArrayOp::Equals => l.iter().all(|x| has(&r, x)) && r.iter().all(|x| has(&l, x)),
                ArrayOp::Contains => r.iter().all(|x| has(&l, x)),
                ArrayOp::ContainedBy => l.iter().all(|x| has(&r, x)),
                ArrayOp::Overlaps => l.iter().any(|x| has(&r, x)),
            })
        }
    }
}

/// True if any is true, else unknown if any is unknown, else false (an empty array: false).
fn any(results: impl Iterator<Item = Option<bool>>) -> Option<bool> {
    let mut out = Some(false);
    for r in results {
        match r {
            Some(true) => return Some(true),
            None => out = None,
            Some(false) => {}
        }
    }
    out
}

/// The order of two single values of one type; `None` when either is missing.
fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Text(x), Value::Text(y)) => Some(x.cmp(y)),
        (Value::Number(x), Value::Number(y)) => x.partial_cmp(y),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        (Value::Date(x), Value::Date(y)) => Some(x.cmp(y)),
        (Value::Time(x), Value::Time(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiled_shapes_agree_with_the_general_matcher() {
        for pattern in [
            "St%",
            "%Library",
            "%ford%",
            "Sale Library",
            "%",
            "%%",
            "",
            "S_%",
            "100\\%",
        ] {
            for text in [
                "Stretford Library",
                "Sale Library",
                "St",
                "",
                "100%",
                "S",
                "%",
            ] {
                let chars = compile_pattern(pattern);
                assert_eq!(
                    Like::new(chars.clone()).matches(text),
                    like(text, &chars),
                    "{text:?} LIKE {pattern:?}"
                );
            }
        }
    }

    #[test]
    fn like_patterns() {
        let p = |s: &str| compile_pattern(s);
        assert!(like("Stretford Library", &p("St%")));
        assert!(like("Stretford Library", &p("%Library")));
        assert!(like("Stretford Library", &p("%ford%")));
        assert!(!like("Stretford Library", &p("ford%")));
        assert!(like("cat", &p("c_t")));
        assert!(!like("caat", &p("c_t")));
        assert!(like("100%", &p("100\\%")));
        assert!(!like("1000", &p("100\\%")));
        assert!(like("", &p("%")));
        assert!(!like("", &p("_")));
    }

    #[test]
    fn three_valued_logic() {
        let t = Node::Bool(true);
        let f = Node::Bool(false);
        let unknown = Node::IsNull(Arg::Const(Value::Null));
        let a = assetmap_synthetic::asset(1, 0);
        // IS NULL of a null constant is true; comparisons with null are unknown.
        assert_eq!(eval(&unknown, &a), Some(true));
        let cmp_null = Node::Compare(
            CompareOp::Eq,
            Arg::Const(Value::Null),
            Arg::Const(Value::Null),
        );
        assert_eq!(eval(&cmp_null, &a), None);
        assert_eq!(eval(&Node::Not(Box::new(cmp_null.clone())), &a), None);
        assert_eq!(
            eval(&Node::And(vec![cmp_null.clone(), f.clone()]), &a),
            Some(false)
        );
        assert_eq!(
            eval(&Node::And(vec![cmp_null.clone(), t.clone()]), &a),
            None
        );
        assert_eq!(eval(&Node::Or(vec![cmp_null.clone(), t]), &a), Some(true));
        assert_eq!(eval(&Node::Or(vec![cmp_null, f]), &a), None);
    }

    #[test]
    fn antimeridian_box_is_two_boxes() {
        let g = bbox_geometry(170.0, -10.0, -170.0, 10.0);
        assert!(g.intersects(&geo::Point::new(175.0, 0.0)));
        assert!(g.intersects(&geo::Point::new(-175.0, 0.0)));
        assert!(!g.intersects(&geo::Point::new(0.0, 0.0)));
    }
}
