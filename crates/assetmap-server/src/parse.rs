//! Parsing requests into domain and library types — what several routes share, in one place
//! (no route file imports another). Each function names the parameter at fault.

use crate::errors::ApiError;
use crate::params::Params;
use assetmap_analysis::{SummaryQuery, DEFAULT_DESERT_SHARE, DEFAULT_WALK_M};
use assetmap_core::{AbcdType, Category, Crs, LonLat, Postcode, Status};
use assetmap_cql2::{Expr, Term};
use assetmap_index::areas::Area;
use assetmap_index::predicate::Predicate;
use assetmap_index::{AreaLevel, BBox, Filter, TimeInterval};
use assetmap_place::{Place, PostcodeInfo};

/// Longest `q` (words), in characters.
pub const MAX_QUERY_CHARS: usize = 300;

/// The words of `q` as given ("" when absent), refused when longer than [`MAX_QUERY_CHARS`].
pub fn words_from(p: &Params) -> Result<&str, ApiError> {
    let q = p.one("q")?.unwrap_or("");
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(ApiError::bad_param(
            "q",
            format!("is longer than {MAX_QUERY_CHARS} characters; use a few words"),
        ));
    }
    Ok(q)
}

/// Longest walking distance accepted for the per-area figures, metres.
pub const MAX_WALK_M: f64 = 10_000.0;

/// The filter parameters shared by the items list, the map layer and the downloads:
/// `category`, `abcd_type`, `status` (default [`Status::SHOWN_BY_DEFAULT`]).
pub fn filter_from(p: &Params) -> Result<Filter, ApiError> {
    let statuses = p.list_of("status", Status::parse)?;
    Ok(Filter {
        categories: p.list_of("category", Category::parse)?,
        abcd_types: p.list_of("abcd_type", AbcdType::parse)?,
        statuses: if statuses.is_empty() {
            Status::SHOWN_BY_DEFAULT.to_vec()
        } else {
            statuses
        },
        ..Filter::default()
    })
}

/// Parses the `bbox` parameter.
pub fn bbox_from(p: &Params) -> Result<Option<BBox>, ApiError> {
    p.one("bbox")?
        .map(|b| BBox::parse_ogc(b).map_err(|e| ApiError::bad_param("bbox", e.to_string())))
        .transpose()
}

/// A CRS parameter (`crs`, `bbox-crs`): an OGC CRS URI, CRS84 when absent. An unsupported one
/// is a 400 that names the parameter and lists the supported URIs.
pub fn crs_param(p: &Params, name: &str) -> Result<Crs, ApiError> {
    let Some(uri) = p.one(name)? else {
        return Ok(Crs::Crs84);
    };
    Crs::from_uri(uri).map_err(|_| {
        let supported: Vec<&str> = Crs::ALL.iter().map(|c| c.uri()).collect();
        ApiError::bad_param(
            name,
            format!(
                "{uri:?} is not a supported CRS; use one of: {}",
                supported.join(", ")
            ),
        )
    })
}

/// The `bbox` parameter given in `bbox-crs` (OGC API Features Part 2; CRS84 by default), as a
/// WGS84 box. A National Grid box (`minEasting,minNorthing,maxEasting,maxNorthing` in metres;
/// six numbers with heights accepted, heights ignored) becomes the WGS84 envelope of its edges
/// (corners and points along each edge, since a grid line is curved in longitude and latitude),
/// so it may take in a few metres more than the grid box near its corners.
pub fn bbox_in_wgs84(p: &Params) -> Result<Option<BBox>, ApiError> {
    let crs = crs_param(p, "bbox-crs")?;
    if crs == Crs::Crs84 {
        return bbox_from(p);
    }
    let Some(raw) = p.one("bbox")? else {
        return Ok(None);
    };
    let numbers: Vec<f64> = raw
        .split(',')
        .map(|v| v.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| {
            ApiError::bad_param(
                "bbox",
                format!("{raw:?} is not a list of numbers (minEasting,minNorthing,maxEasting,maxNorthing in metres for bbox-crs {})", crs.uri()),
            )
        })?;
    let (min_x, min_y, max_x, max_y) = match numbers.as_slice() {
        [a, b, c, d] => (*a, *b, *c, *d),
        [a, b, _, d, e, _] => (*a, *b, *d, *e),
        _ => {
            return Err(ApiError::bad_param(
                "bbox",
                format!("has {} numbers; give 4 (or 6 with heights)", numbers.len()),
            ))
        }
    };
    if min_x > max_x || min_y > max_y {
        return Err(ApiError::bad_param(
            "bbox",
            "the minimum comes first: minEasting,minNorthing,maxEasting,maxNorthing",
        ));
    }
    const STEPS: u32 = 8;
    let mut envelope = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    for i in 0..=STEPS {
        let t = f64::from(i) / f64::from(STEPS);
        let (x, y) = (min_x + t * (max_x - min_x), min_y + t * (max_y - min_y));
        for edge_point in [[x, min_y], [x, max_y], [min_x, y], [max_x, y]] {
            let at = crs
                .to_wgs84(edge_point)
                .map_err(|e| ApiError::bad_param("bbox", e.to_string()))?;
            envelope = [
                envelope[0].min(at.lon()),
                envelope[1].min(at.lat()),
                envelope[2].max(at.lon()),
                envelope[3].max(at.lat()),
            ];
        }
    }
    BBox::new(envelope[0], envelope[1], envelope[2], envelope[3])
        .map(Some)
        .map_err(|e| ApiError::bad_param("bbox", e.to_string()))
}

/// The languages `filter-lang` accepts. `cql-text` is the name earlier drafts of OGC API
/// Features Part 3 gave the text encoding, still sent by GDAL 3.6 and older; it is read as
/// `cql2-text`.
pub const FILTER_LANGS: [&str; 3] = ["cql2-text", "cql2-json", "cql-text"];

/// Queryables that may also be given as query parameters of the asset items (OGC API Features
/// Part 1, 7.15.5): `name=Sale Library` selects what `name = 'Sale Library'` does; on an array
/// queryable, assets with that item. GDAL reads these names from the API document to decide
/// which `-where` conditions it can send to the server.
pub const PROPERTY_PARAMS: [&str; 5] = ["name", "postcode", "categories", "access", "tags"];

/// The conditions of an asset items request on its queryables: the `filter` parameter (OGC API
/// Features Part 3) in `filter-lang` (cql2-text by default), its geometries in `filter-crs`
/// (CRS84 by default), and the [`PROPERTY_PARAMS`], all bound to the asset queryables. A filter
/// that cannot be read or bound is a 400 naming `filter` and the position of the fault.
pub fn cql_filter_from(p: &Params) -> Result<Option<Predicate>, ApiError> {
    let mut parts = Vec::new();
    if let Some(expr) = filter_expr(p)? {
        parts.push(expr);
    }
    for name in PROPERTY_PARAMS {
        let Some(value) = p.one(name)? else {
            continue;
        };
        let at = assetmap_cql2::At::Pointer(String::new());
        let operand = |term| assetmap_cql2::Operand {
            term,
            at: at.clone(),
        };
        let condition = Expr::Compare {
            op: assetmap_cql2::CompareOp::Eq,
            left: operand(Term::Property(name.to_owned())),
            right: operand(Term::Text(value.to_owned())),
            at: at.clone(),
        };
        Predicate::bind(&condition).map_err(|e| ApiError::bad_param(name, e.message))?;
        parts.push(condition);
    }
    let expr = match parts.len() {
        0 => return Ok(None),
        1 => parts.remove(0),
        _ => Expr::And(parts),
    };
    Predicate::bind(&expr).map(Some).map_err(|e| {
        ApiError::bad_param("filter", format!("{e}; see /collections/assets/queryables"))
    })
}

/// The `filter` parameter read in its language, its geometries moved to CRS84.
fn filter_expr(p: &Params) -> Result<Option<Expr>, ApiError> {
    let lang = p.one("filter-lang")?;
    let crs = crs_param(p, "filter-crs")?;
    let Some(text) = p.one("filter")? else {
        if lang.is_some() || p.one("filter-crs")?.is_some() {
            return Err(ApiError::bad_param(
                "filter",
                "is missing; filter-lang and filter-crs describe a filter, so give one",
            ));
        }
        return Ok(None);
    };
    let parsed = match lang.unwrap_or("cql2-text") {
        "cql2-text" | "cql-text" => assetmap_cql2::parse_text(text),
        "cql2-json" => assetmap_cql2::parse_json(text),
        other => {
            return Err(ApiError::bad_param(
                "filter-lang",
                format!(
                    "{other:?} is not supported; use one of: {}",
                    FILTER_LANGS.join(", ")
                ),
            ))
        }
    };
    let mut expr = parsed.map_err(|e| ApiError::bad_param("filter", e.to_string()))?;
    if crs != Crs::Crs84 {
        let mut failure = None;
        expr.visit_operands_mut(&mut |o| {
            if let Err(e) = geometry_to_wgs84(&mut o.term, crs) {
                failure.get_or_insert_with(|| format!("{e} ({})", o.at));
            }
        });
        if let Some(problem) = failure {
            return Err(ApiError::bad_param("filter", problem));
        }
    }
    Ok(Some(expr))
}

/// Moves a geometry or box literal from `crs` to CRS84. A box becomes the polygon of its edges
/// (with points along each, since a grid line is curved in longitude and latitude).
fn geometry_to_wgs84(term: &mut Term, crs: Crs) -> Result<(), assetmap_core::CrsError> {
    let to_wgs84 = |c: geo::Coord<f64>| {
        crs.to_wgs84([c.x, c.y])
            .map(|p| geo::coord! { x: p.lon(), y: p.lat() })
    };
    match term {
        Term::Geometry(g) => map_coords(g, &to_wgs84),
        Term::BBox([min_x, min_y, max_x, max_y]) => {
            const STEPS: u32 = 8;
            let (w, s, e, n) = (*min_x, *min_y, *max_x, *max_y);
            let mut ring = Vec::new();
            let corners = [(w, s), (e, s), (e, n), (w, n), (w, s)];
            for pair in corners.windows(2) {
                let ((x0, y0), (x1, y1)) = (pair[0], pair[1]);
                for i in 0..STEPS {
                    let t = f64::from(i) / f64::from(STEPS);
                    ring.push(to_wgs84(
                        geo::coord! { x: x0 + t * (x1 - x0), y: y0 + t * (y1 - y0) },
                    )?);
                }
            }
            ring.push(ring[0]);
            *term = Term::Geometry(geo::Geometry::Polygon(geo::Polygon::new(
                geo::LineString::new(ring),
                vec![],
            )));
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Applies `f` to every coordinate of `g`. (geo's `MapCoordsInPlace` cannot be used with a
/// capturing closure on a `Geometry`: its recursion into collections never ends at compile
/// time.)
fn map_coords<E>(
    g: &mut geo::Geometry<f64>,
    f: &dyn Fn(geo::Coord<f64>) -> Result<geo::Coord<f64>, E>,
) -> Result<(), E> {
    let line = |l: &mut geo::LineString<f64>| {
        l.0.iter_mut().try_for_each(|c| {
            *c = f(*c)?;
            Ok(())
        })
    };
    let polygon = |p: &mut geo::Polygon<f64>| {
        let mut result = Ok(());
        p.exterior_mut(|l| result = line(l));
        result?;
        let mut result = Ok(());
        p.interiors_mut(|rings| result = rings.iter_mut().try_for_each(line));
        result
    };
    match g {
        geo::Geometry::Point(p) => {
            p.0 = f(p.0)?;
            Ok(())
        }
        geo::Geometry::MultiPoint(m) => m.0.iter_mut().try_for_each(|p| {
            p.0 = f(p.0)?;
            Ok(())
        }),
        geo::Geometry::Line(l) => {
            l.start = f(l.start)?;
            l.end = f(l.end)?;
            Ok(())
        }
        geo::Geometry::LineString(l) => line(l),
        geo::Geometry::MultiLineString(m) => m.0.iter_mut().try_for_each(line),
        geo::Geometry::Polygon(p) => polygon(p),
        geo::Geometry::MultiPolygon(m) => m.0.iter_mut().try_for_each(polygon),
        geo::Geometry::Rect(r) => {
            let (min, max) = (f(r.min())?, f(r.max())?);
            *r = geo::Rect::new(min, max);
            Ok(())
        }
        geo::Geometry::Triangle(t) => {
            *t = geo::Triangle::new(f(t.v1())?, f(t.v2())?, f(t.v3())?);
            Ok(())
        }
        geo::Geometry::GeometryCollection(c) => c.0.iter_mut().try_for_each(|g| map_coords(g, f)),
    }
}

/// Parses the `datetime` parameter (OGC API Features: an instant, a date or an interval;
/// see [`TimeInterval::parse_ogc`]).
pub fn datetime_from(p: &Params) -> Result<Option<TimeInterval>, ApiError> {
    p.one("datetime")?
        .map(|d| {
            TimeInterval::parse_ogc(d).map_err(|e| ApiError::bad_param("datetime", e.to_string()))
        })
        .transpose()
}

/// Reads `category` (list, default every category), `walk_m` (metres, 1 to 10,000, default
/// 800) and `desert_share` (0 to 1, default 0.5).
pub fn summary_query(p: &Params) -> Result<SummaryQuery, ApiError> {
    Ok(SummaryQuery {
        categories: p.list_of("category", Category::parse)?,
        walk_m: p
            .number("walk_m", 1.0..=MAX_WALK_M)?
            .unwrap_or(DEFAULT_WALK_M),
        desert_share: p
            .number("desert_share", 0.0..=1.0)?
            .unwrap_or(DEFAULT_DESERT_SHARE),
    })
}

/// Parses a level slug from the path (404 naming the levels when unknown).
pub fn level_from_path(raw: &str) -> Result<AreaLevel, ApiError> {
    AreaLevel::parse(raw).ok_or_else(|| {
        ApiError::not_found(format!(
            "There is no area level '{raw}'; use one of: {}.",
            AreaLevel::ALL
                .iter()
                .map(|l| l.slug())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })
}

/// The `area` parameter: an ONS code of any level (LA, 2023 ward, MSOA or LSOA 2021). Unknown
/// codes are a 400 that names the parameter.
pub fn area_param<'a>(p: &Params, place: &'a Place) -> Result<Option<&'a Area>, ApiError> {
    let Some(code) = p.one("area")? else {
        return Ok(None);
    };
    place
        .areas
        .find_any(code)
        .map(|(_, _, a)| Some(a))
        .ok_or_else(|| {
            ApiError::bad_param(
                "area",
                format!("{code:?} is not the ONS code of a local authority, 2023 ward, MSOA or LSOA here (e.g. E05015239); see /collections/areas-ward/items"),
            )
        })
}

/// A postcode found in the place's table, or the centre of a postcode district when only the
/// outward code (`M33`) was given.
#[derive(Debug, Clone)]
pub struct Located<'a> {
    /// The postcode's row; for a district, its centre (the mean of the district's live
    /// postcodes in the table) with the ward, LSOA and MSOA that centre is in.
    pub info: std::borrow::Cow<'a, PostcodeInfo>,
    /// For a district: how many of the table's postcodes it has.
    pub district_postcodes: Option<usize>,
}

impl Located<'_> {
    /// For a district, what the point is, in words for the person who typed it (`area` is the
    /// place served, e.g. "Trafford"); `None` for a full postcode.
    pub fn district_note(&self, area: &str) -> Option<String> {
        self.district_postcodes.map(|n| {
            let code = &self.info.postcode;
            format!(
                "{code} is the first part of a postcode only: this is the middle of the {n} postcodes starting {code} in {area}. Add the rest of the postcode for distances from the person's own street."
            )
        })
    }
}

/// Where a search starts: a point, and for a postcode district what that point is.
#[derive(Debug, Clone, PartialEq)]
pub struct Origin {
    /// The point.
    pub at: LonLat,
    /// For an outward code alone ("M33"): [`Located::district_note`].
    pub district_note: Option<String>,
}

impl std::ops::Deref for Located<'_> {
    type Target = PostcodeInfo;
    fn deref(&self) -> &PostcodeInfo {
        &self.info
    }
}

/// The outward code ("M33", "WA14", "EC1A") when `raw` is one and nothing more.
pub fn outward_code(raw: &str) -> Option<String> {
    let c: String = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    let b = c.as_bytes();
    let letters = b.iter().take_while(|x| x.is_ascii_alphabetic()).count();
    let rest = &b[letters..];
    let ok = (1..=2).contains(&letters)
        && (1..=2).contains(&rest.len())
        && rest[0].is_ascii_digit()
        && rest.iter().all(u8::is_ascii_alphanumeric);
    ok.then_some(c)
}

/// A postcode of the place's table to show as an example: its first live one (a place with no
/// postcode table gets the shape of one).
fn example_postcode(place: &Place) -> &str {
    place
        .postcodes()
        .iter()
        .find(|p| !p.terminated)
        .map_or("AB1 2CD", |p| p.postcode.as_str())
}

/// Looks a postcode up in the place's table, in words for the person who typed it when it is
/// not there: which area the map covers, and what a full postcode looks like. An outward code
/// alone ("M33") is the centre of that district's postcodes.
pub fn lookup_postcode<'a>(place: &'a Place, raw: &str) -> Result<Located<'a>, ApiError> {
    let area = place.title();
    let example = example_postcode(place);
    if let Some(outward) = outward_code(raw) {
        let prefix = format!("{outward} ");
        let district: Vec<&PostcodeInfo> = place
            .postcodes()
            .iter()
            .filter(|p| !p.terminated && p.postcode.starts_with(&prefix))
            .collect();
        if district.is_empty() {
            return Err(ApiError::not_found(format!(
                "No postcodes starting {outward} are in {area}, the area this map covers. Try a full postcode in {area}, like {example}."
            )));
        }
        let n = district.len() as f64;
        let lon = district.iter().map(|p| p.at.lon()).sum::<f64>() / n;
        let lat = district.iter().map(|p| p.at.lat()).sum::<f64>() / n;
        let at = LonLat::new(lon, lat).unwrap_or(district[0].at);
        let codes = place.areas.locate(at);
        let code = |a: Option<&Area>| a.map(|a| a.code().to_owned()).unwrap_or_default();
        let info = PostcodeInfo {
            postcode: outward,
            at,
            la_code: code(codes.la),
            ward_code: code(codes.ward),
            ward_name: codes.ward.map(|a| a.name().to_owned()).unwrap_or_default(),
            lsoa_code: code(codes.lsoa),
            msoa_code: code(codes.msoa),
            terminated: false,
        };
        return Ok(Located {
            info: std::borrow::Cow::Owned(info),
            district_postcodes: Some(district.len()),
        });
    }
    let pc = Postcode::parse(raw).map_err(|_| {
        ApiError::bad_param(
            "postcode",
            format!(
                "{:?} is not a postcode. A full postcode has two parts, like {example}.",
                raw.trim()
            ),
        )
    })?;
    place
        .postcode(&pc)
        .map(|info| Located {
            info: std::borrow::Cow::Borrowed(info),
            district_postcodes: None,
        })
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "{pc} is not a postcode in {area}, the area this map covers. Check it, or try a postcode in {area}, like {example}."
            ))
        })
}

/// Where the person is: `postcode` (a district's centre for an outward code alone), or `lon` +
/// `lat`. `None` when neither is given.
pub fn origin_from(p: &Params, place: &Place) -> Result<Option<Origin>, ApiError> {
    let postcode = p.one("postcode")?;
    let lon = p.number("lon", -180.0..=180.0)?;
    let lat = p.number("lat", -90.0..=90.0)?;
    match (postcode, lon, lat) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => Err(ApiError::bad_param(
            "postcode",
            "give either postcode or lon and lat, not both",
        )),
        (Some(pc), None, None) => {
            let located = lookup_postcode(place, pc)?;
            Ok(Some(Origin {
                at: located.at,
                district_note: located.district_note(place.title()),
            }))
        }
        (None, Some(lon), Some(lat)) => LonLat::new(lon, lat)
            .map(|at| {
                Some(Origin {
                    at,
                    district_note: None,
                })
            })
            .map_err(|e| ApiError::bad_param(&e.field, e.problem)),
        (None, Some(_), None) => Err(ApiError::bad_param(
            "lat",
            "is needed with lon (WGS84 degrees)",
        )),
        (None, None, Some(_)) => Err(ApiError::bad_param(
            "lon",
            "is needed with lat (WGS84 degrees)",
        )),
        (None, None, None) => Ok(None),
    }
}

/// What of each feature to send: the `properties` to keep (every one when `None`) and whether
/// to leave out the geometry (`skipGeometry=true`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Shape {
    /// Property names, each one of [`crate::feature_schema::asset_property_names`].
    pub properties: Option<Vec<String>>,
    /// `true`: `"geometry": null`.
    pub skip_geometry: bool,
}

impl Shape {
    /// Applies the shape to one GeoJSON feature.
    pub fn apply(&self, feature: &mut serde_json::Value) {
        if let Some(keep) = &self.properties {
            if let Some(props) = feature["properties"].as_object_mut() {
                props.retain(|k, _| keep.iter().any(|name| name == k));
            }
        }
        if self.skip_geometry {
            feature["geometry"] = serde_json::Value::Null;
        }
    }
}

/// Reads `properties` (a comma list of asset property names; empty or absent: every one, as an
/// empty list parameter means "any" everywhere in this API) and `skipGeometry` (`true` or
/// `false`).
pub fn shape_from(p: &Params) -> Result<Shape, ApiError> {
    let known = crate::feature_schema::asset_property_names();
    let properties = match p.list("properties").is_empty() {
        true => None,
        false => Some(
            p.list("properties")
                .into_iter()
                .map(|name| {
                    if known.contains(&name) {
                        Ok(name.to_owned())
                    } else {
                        Err(ApiError::bad_param(
                            "properties",
                            format!(
                                "{name:?} is not a property of an asset; use any of: {}",
                                known.join(", ")
                            ),
                        ))
                    }
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
    };
    let skip_geometry = match p.one("skipGeometry")? {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(ApiError::bad_param(
                "skipGeometry",
                format!("{other:?} is not true or false"),
            ))
        }
    };
    Ok(Shape {
        properties,
        skip_geometry,
    })
}

/// Reads `sortby` ([`SortBy::parse_ogc`](assetmap_index::sort::SortBy::parse_ogc)); `None` when absent or empty (id order).
pub fn sortby_from(p: &Params) -> Result<Option<assetmap_index::sort::SortBy>, ApiError> {
    match p.one("sortby")? {
        None => Ok(None),
        Some(raw) => {
            let sort = assetmap_index::sort::SortBy::parse_ogc(raw)
                .map_err(|e| ApiError::bad_param("sortby", e.to_string()))?;
            Ok((!sort.0.is_empty()).then_some(sort))
        }
    }
}
