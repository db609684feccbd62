//! Mapping files: how a council's own table becomes assets — which column holds which field,
//! which of its words mean which category, ABCD type, access feature, cost band or status,
//! defaults, and the source's name, licence and attribution. One TOML file per source,
//! committed beside the data.
//!
//! The table may be a CSV file (any columns), a GeoJSON FeatureCollection (the properties are
//! the columns; numbers and booleans are read as text) or a GeoPackage layer (`[source] layer
//! = "name"` picks it when the file has several); [`read_mapped_file`] reads any of them by the
//! file's extension. A GeoJSON or GeoPackage record is placed by its own geometry: a Point as
//! it is (`geocode_method` `source_point`), a Polygon or MultiPolygon at its area-weighted
//! centroid (`source_polygon_centroid`), or with `[source] polygon_point = "vertex_mean"` at
//! the mean of its exterior rings' vertices (`source_polygon_vertex_mean`). A record without a
//! geometry is placed by the mapped lon/lat, easting/northing or postcode columns, as a CSV row
//! is. Problems name the record (row or feature, from 1) and the column.
//!
//! ```toml
//! [source]
//! name = "Anytown Council community directory"
//! licence = "OGL-3.0"
//! attribution = "Contains public sector information licensed under the OGL v3.0"
//! id_prefix = "anytown"            # asset id = "anytown:<the id column>"
//!
//! [columns]                        # field = the column that holds it
//! id = "Ref"
//! name = "Organisation"
//! easting = "Easting"              # or lon/lat, or only postcode (geocoded)
//! northing = "Northing"
//! postcode = "Postcode"
//! categories = "Type"              # several values split on ; , /
//!
//! [values.categories]              # the column's words (any case) → category slugs
//! "Cafe" = ["food"]
//! "Park" = ["green_space_nature"]
//!
//! [defaults]
//! abcd_type = "association"
//! ```

use crate::geojson::{ImportProblem, ImportRead};
use crate::table::{read_csv_table, read_table, Polygons, SourceGeometry, Table};
use assetmap_core::{
    crs::national_grid_to_wgs84, AbcdType, AccessFeature, Asset, AssetDraft, AssetId, Category,
    CostBand, CostDraft, LonLat, OpeningTimesDraft, Postcode, Status,
};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::io::Read;

/// A mapping file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// Where the data comes from.
    pub source: SourceInfo,
    /// Field → column name.
    #[serde(default)]
    pub columns: Columns,
    /// Per field, the source's words (compared without regard to case and surrounding space)
    /// → our vocabulary.
    #[serde(default)]
    pub values: Values,
    /// What a record without a value gets.
    #[serde(default)]
    pub defaults: Defaults,
}

/// The source of a table.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceInfo {
    pub name: String,
    pub licence: String,
    #[serde(default)]
    pub attribution: Option<String>,
    /// Asset ids are `<id_prefix>:<id>`: unique across sources, stable across imports.
    pub id_prefix: String,
    /// The GeoPackage layer to read (needed only when the file has more than one).
    #[serde(default)]
    pub layer: Option<String>,
    /// Where a polygon record is placed: `"centroid"` (the default: its area-weighted
    /// centroid, geo's `Centroid`; `geocode_method` `source_polygon_centroid`) or
    /// `"vertex_mean"` (the mean of the exterior rings' vertices, closing vertex excluded;
    /// `source_polygon_vertex_mean`).
    #[serde(default)]
    pub polygon_point: PolygonPoint,
}

/// How a polygon becomes the point an asset is placed at.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolygonPoint {
    /// The area-weighted centroid (geo's `Centroid`).
    #[default]
    Centroid,
    /// The mean of the exterior rings' vertices (the closing vertex excluded).
    VertexMean,
}

impl PolygonPoint {
    /// The point for `polygons`, with the `geocode_method` that says how it was found.
    fn place(self, polygons: &Polygons) -> Option<((f64, f64), &'static str)> {
        match self {
            PolygonPoint::Centroid => {
                use geo::Centroid;
                let mp = geo::MultiPolygon::new(
                    polygons
                        .iter()
                        .filter_map(|rings| {
                            let mut rings = rings.iter().map(|r| {
                                geo::LineString::from(
                                    r.iter().map(|&[x, y]| (x, y)).collect::<Vec<_>>(),
                                )
                            });
                            Some(geo::Polygon::new(rings.next()?, rings.collect()))
                        })
                        .collect(),
                );
                mp.centroid()
                    .map(|p| ((p.x(), p.y()), "source_polygon_centroid"))
            }
            PolygonPoint::VertexMean => {
                let pts: Vec<[f64; 2]> = polygons
                    .iter()
                    .filter_map(|rings| rings.first())
                    .flat_map(|r| {
                        let closed = r.len() > 1 && r.first() == r.last();
                        r[..r.len() - usize::from(closed)].iter().copied()
                    })
                    .collect();
                let n = pts.len() as f64;
                (!pts.is_empty()).then(|| {
                    (
                        (
                            pts.iter().map(|p| p[0]).sum::<f64>() / n,
                            pts.iter().map(|p| p[1]).sum::<f64>() / n,
                        ),
                        "source_polygon_vertex_mean",
                    )
                })
            }
        }
    }
}

/// Which column holds which field; every one optional but `id` and `name`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Columns {
    pub id: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub lon: Option<String>,
    pub lat: Option<String>,
    pub easting: Option<String>,
    pub northing: Option<String>,
    pub postcode: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
    pub categories: Option<String>,
    pub abcd_type: Option<String>,
    pub access: Option<String>,
    pub cost: Option<String>,
    pub status: Option<String>,
    pub tags: Option<String>,
    pub opening_times: Option<String>,
}

/// Value maps.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Values {
    #[serde(default)]
    pub categories: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub abcd_type: BTreeMap<String, String>,
    #[serde(default)]
    pub access: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub cost: BTreeMap<String, String>,
    #[serde(default)]
    pub status: BTreeMap<String, String>,
}

/// Defaults for records without a value.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    pub abcd_type: Option<String>,
    #[serde(default)]
    pub categories: Vec<String>,
    pub status: Option<String>,
}

impl Mapping {
    /// Reads a mapping file (TOML); the error names the key at fault.
    pub fn from_toml(text: &str) -> Result<Mapping, String> {
        let m: Mapping = toml::from_str(text).map_err(|e| e.to_string())?;
        if m.columns.id.is_none() || m.columns.name.is_none() {
            return Err("[columns] needs id and name: the columns holding each record's own id and its name".into());
        }
        if m.source.id_prefix.is_empty() {
            return Err("[source] id_prefix must not be empty".into());
        }
        Ok(m)
    }
}

/// Splits a cell holding several values (`a; b`, `a, b`, `a / b`).
fn split_values(cell: &str) -> Vec<&str> {
    cell.split([';', ',', '/', '|'])
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect()
}

fn lookup<'a, T>(map: &'a BTreeMap<String, T>, raw: &str) -> Option<&'a T> {
    let want = raw.trim().to_lowercase();
    map.iter()
        .find(|(k, _)| k.trim().to_lowercase() == want)
        .map(|(_, v)| v)
}

/// Reads the table at `path` — CSV (`.csv`), a GeoJSON FeatureCollection (`.geojson`,
/// `.json`: the properties are the columns) or a GeoPackage layer (`.gpkg`; `[source] layer`
/// picks it) — with `mapping`, like [`read_csv_import`]. A GeoJSON or GeoPackage record is
/// placed by its own geometry (a Point as it is; a Polygon or MultiPolygon by
/// `[source] polygon_point`); one without a geometry falls back to the mapped lon/lat,
/// easting/northing or postcode columns. Problems name the record (row or feature, from 1)
/// and the column (`geometry` for the record's geometry).
pub fn read_mapped_file(
    path: &std::path::Path,
    mapping: &Mapping,
    geocode: &dyn Fn(&Postcode) -> Option<LonLat>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<ImportRead, String> {
    let table = read_table(path, mapping.source.layer.as_deref())?;
    read_mapped(&table, mapping, geocode, now)
}

/// Reads a CSV table with `mapping`: every row checked, every problem reported with its row
/// number (1 = the first row after the header), the CSV column and the value. `geocode` places
/// a postcode (from the place pack) when a row has no coordinates. Only a table that cannot be
/// read at all, or lacks a column the mapping names, is an error.
///
/// # Examples
/// ```
/// use assetmap_io::mapping::{read_csv_import, Mapping};
/// let mapping = Mapping::from_toml(r#"
///     [source]
///     name = "Anytown"
///     licence = "OGL-3.0"
///     id_prefix = "anytown"
///     [columns]
///     id = "Ref"
///     name = "Name"
///     lon = "X"
///     lat = "Y"
///     categories = "Type"
///     [values.categories]
///     "Cafe" = ["food"]
///     [defaults]
///     abcd_type = "economy"
/// "#).unwrap();
/// let csv = "Ref,Name,X,Y,Type\n1,Corner Cafe,-2.30,53.40,cafe\n2,Odd,-2.31,53.41,bowling\n";
/// let read = read_csv_import(csv.as_bytes(), &mapping, &|_| None, chrono::Utc::now()).unwrap();
/// assert_eq!(read.assets.len(), 1);
/// assert_eq!(read.assets[0].id.as_str(), "anytown:1");
/// assert_eq!(read.problems[0].record, 2);
/// assert!(read.problems[0].reason.contains("bowling"));
/// ```
pub fn read_csv_import<R: Read>(
    reader: R,
    mapping: &Mapping,
    geocode: &dyn Fn(&Postcode) -> Option<LonLat>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<ImportRead, String> {
    read_mapped(&read_csv_table(reader)?, mapping, geocode, now)
}

/// Reads the records of `table` with `mapping` (see [`read_mapped_file`]).
pub fn read_mapped(
    table: &Table,
    mapping: &Mapping,
    geocode: &dyn Fn(&Postcode) -> Option<LonLat>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<ImportRead, String> {
    let c = &mapping.columns;
    let named: Vec<(&str, &Option<String>)> = vec![
        ("id", &c.id),
        ("name", &c.name),
        ("description", &c.description),
        ("lon", &c.lon),
        ("lat", &c.lat),
        ("easting", &c.easting),
        ("northing", &c.northing),
        ("postcode", &c.postcode),
        ("address", &c.address),
        ("phone", &c.phone),
        ("email", &c.email),
        ("website", &c.website),
        ("categories", &c.categories),
        ("abcd_type", &c.abcd_type),
        ("access", &c.access),
        ("cost", &c.cost),
        ("status", &c.status),
        ("tags", &c.tags),
        ("opening_times", &c.opening_times),
    ];
    let mut index: BTreeMap<&str, usize> = BTreeMap::new();
    let mut missing = Vec::new();
    for (field, column) in &named {
        if let Some(col) = column {
            match table.column(col) {
                Some(i) => {
                    index.insert(field, i);
                }
                None => missing.push(format!("{col:?} (for {field})")),
            }
        }
    }
    if !missing.is_empty() {
        return Err(format!(
            "the table has no column {}; its columns are: {}",
            missing.join(", "),
            table.columns.join(", ")
        ));
    }

    let mut read = ImportRead::default();
    let mut seen = std::collections::HashSet::new();
    for (i, record) in table.records.iter().enumerate() {
        let row = i + 1;
        read.records += 1;
        let cell = |field: &str| -> Option<&str> {
            index
                .get(field)
                .and_then(|&i| record.cells.get(i))
                .and_then(|c| c.as_deref())
        };
        let column = |field: &str| -> String {
            named
                .iter()
                .find(|(f, _)| *f == field)
                .and_then(|(_, c)| (*c).clone())
                .unwrap_or_else(|| field.to_owned())
        };
        let mut problems: Vec<(String, String)> = Vec::new();
        let mut problem = |field: &str, reason: String| problems.push((column(field), reason));

        let raw_id = cell("id").map(str::to_owned);
        let id = match &raw_id {
            None => {
                problem("id", "is empty; every row needs its own id".into());
                None
            }
            Some(raw) => {
                match AssetId::parse(&format!("{}:{raw}", mapping.source.id_prefix)) {
                    Ok(id) if seen.insert(id.as_str().to_owned()) => Some(id),
                    Ok(id) => {
                        problem("id", format!("{raw:?} is the id of an earlier row too ({id}); ids must be unique"));
                        None
                    }
                    Err(e) => {
                        problem("id", format!("{raw:?}: {}", e.problem));
                        None
                    }
                }
            }
        };

        let mut draft = AssetDraft {
            name: cell("name").map(str::to_owned),
            description: cell("description").map(str::to_owned),
            address: cell("address").map(str::to_owned),
            postcode: cell("postcode").map(str::to_owned),
            ..AssetDraft::default()
        };
        draft.contact.phone = cell("phone").map(str::to_owned);
        draft.contact.email = cell("email").map(str::to_owned);
        draft.contact.website = cell("website").map(str::to_owned);
        draft.tags = cell("tags")
            .map(split_values)
            .unwrap_or_default()
            .into_iter()
            .map(str::to_owned)
            .collect();

        // Categories: mapped words, else our own slugs, else the default.
        for raw in cell("categories").map(split_values).unwrap_or_default() {
            match lookup(&mapping.values.categories, raw) {
                Some(slugs) => draft.categories.extend(slugs.iter().cloned()),
                None if Category::parse(raw).is_ok() => draft.categories.push(raw.to_owned()),
                None => problem(
                    "categories",
                    format!("{raw:?} is not mapped; add it under [values.categories] (e.g. \"{raw}\" = [\"community_groups\"]) or use a category slug"),
                ),
            }
        }
        if draft.categories.is_empty() {
            draft.categories = mapping.defaults.categories.clone();
        }
        draft.abcd_type = match cell("abcd_type") {
            Some(raw) => match lookup(&mapping.values.abcd_type, raw) {
                Some(v) => Some(v.clone()),
                None if AbcdType::parse(raw).is_ok() => Some(raw.to_owned()),
                None => {
                    problem("abcd_type", format!("{raw:?} is not mapped; add it under [values.abcd_type] or use one of association, institution, physical_space, economy, culture"));
                    None
                }
            },
            None => mapping.defaults.abcd_type.clone(),
        };
        for raw in cell("access").map(split_values).unwrap_or_default() {
            match lookup(&mapping.values.access, raw) {
                Some(v) => draft.access.extend(v.iter().cloned()),
                None if AccessFeature::parse(raw).is_ok() => draft.access.push(raw.to_owned()),
                None => problem(
                    "access",
                    format!("{raw:?} is not mapped; add it under [values.access]"),
                ),
            }
        }
        if let Some(raw) = cell("cost") {
            match lookup(&mapping.values.cost, raw) {
                Some(band) => {
                    draft.cost = Some(CostDraft {
                        band: band.clone(),
                        detail: Some(raw.to_owned()),
                    })
                }
                None if CostBand::parse(raw).is_ok() => {
                    draft.cost = Some(CostDraft {
                        band: raw.to_owned(),
                        detail: None,
                    })
                }
                None => problem(
                    "cost",
                    format!(
                        "{raw:?} is not mapped; add it under [values.cost] (free, low or paid)"
                    ),
                ),
            }
        }
        draft.status = match cell("status") {
            Some(raw) => match lookup(&mapping.values.status, raw) {
                Some(v) => Some(v.clone()),
                None if Status::parse(raw).is_ok() => Some(raw.to_owned()),
                None => {
                    problem(
                        "status",
                        format!("{raw:?} is not mapped; add it under [values.status]"),
                    );
                    None
                }
            },
            None => mapping.defaults.status.clone(),
        };
        // Opening hours as people write them ("Mon–Fri 9am–5pm, Sat 10–12", "by appointment").
        if let Some(raw) = cell("opening_times") {
            match assetmap_core::schedule_text::parse_opening_text(raw) {
                Ok(times) => draft.opening_times = OpeningTimesDraft::from(&times),
                Err(e) => problem("opening_times", format!("{raw:?}: {}", e.problem)),
            }
        }

        // Where it is: the record's own geometry, else lon/lat, else easting/northing, else
        // the postcode's centroid.
        let number = |field: &str| cell(field).map(|v| v.replace(',', "").parse::<f64>());
        if let Some(why) = &record.geometry_problem {
            problem("geometry", why.clone());
        }
        let own = match &record.geometry {
            Some(SourceGeometry::Point(x, y)) => Some(((*x, *y), "source_point")),
            Some(SourceGeometry::Polygons(p)) => {
                let placed = mapping.source.polygon_point.place(p);
                if placed.is_none() {
                    problem(
                        "geometry",
                        "the polygon has no vertices to place it by".into(),
                    );
                }
                placed
            }
            None => None,
        };
        let (location, method) = match own {
            Some((at, method)) => (Some(at), method),
            None if record.geometry_problem.is_some() => (None, ""),
            None => match (
                number("lon"),
                number("lat"),
                number("easting"),
                number("northing"),
            ) {
                (Some(Ok(x)), Some(Ok(y)), _, _) => (Some((x, y)), "source_point"),
                (_, _, Some(Ok(e)), Some(Ok(n))) => match national_grid_to_wgs84([e, n]) {
                    Ok(p) => (Some((p.lon(), p.lat())), "source_point_national_grid"),
                    Err(err) => {
                        problem("easting", format!("({e}, {n}): {err}"));
                        (None, "")
                    }
                },
                (Some(Err(_)), ..) | (_, Some(Err(_)), ..) => {
                    problem(
                        "lon",
                        "longitude and latitude must be numbers in degrees".into(),
                    );
                    (None, "")
                }
                (.., Some(Err(_)), _) | (.., Some(Err(_))) => {
                    problem(
                        "easting",
                        "easting and northing must be numbers in metres".into(),
                    );
                    (None, "")
                }
                _ => match cell("postcode").map(Postcode::parse) {
                    Some(Ok(pc)) => match geocode(&pc) {
                        Some(at) => (Some((at.lon(), at.lat())), "postcode_centroid"),
                        None => {
                            problem("postcode", format!("{pc} is not in the place's postcode table, and the row has no coordinates"));
                            (None, "")
                        }
                    },
                    Some(Err(e)) => {
                        problem("postcode", e.problem);
                        (None, "")
                    }
                    None => {
                        problem(
                            "postcode",
                            "the row has no coordinates and no postcode to place it by".into(),
                        );
                        (None, "")
                    }
                },
            },
        };
        draft.provenance = assetmap_core::Provenance {
            source: Some(mapping.source.name.clone()),
            source_id: raw_id.clone(),
            licence: Some(mapping.source.licence.clone()),
            attribution: mapping.source.attribution.clone(),
            geocode_method: (!method.is_empty()).then(|| method.to_owned()),
        };

        if problems.is_empty() {
            if let Some(id) = id {
                match draft.validate(location) {
                    Ok(valid) => {
                        read.assets.push(Asset::create(id, valid, now));
                        continue;
                    }
                    Err(errors) => {
                        for e in errors.errors() {
                            problems.push((field_column(&e.field, &named), e.problem.clone()));
                        }
                    }
                }
            }
        }
        read.rejected += 1;
        for (field, reason) in problems {
            read.problems.push(ImportProblem {
                record: row,
                id: raw_id.clone(),
                field,
                reason,
            });
        }
    }
    Ok(read)
}

/// The CSV column behind a validation error's field (`contact.email` → the email column).
fn field_column(field: &str, named: &[(&str, &Option<String>)]) -> String {
    let head = field
        .split(['.', '['])
        .find(|p| !p.is_empty() && *p != "contact" && *p != "properties")
        .unwrap_or(field);
    let head = match head {
        "coordinates" | "geometry" => "lon",
        other => other,
    };
    named
        .iter()
        .find(|(f, _)| *f == head)
        .and_then(|(_, c)| (*c).clone())
        .unwrap_or_else(|| field.to_owned())
}

/// Header names (compared lower-case, spaces and punctuation dropped) that suggest each field.
const GUESSES: [(&str, &[&str]); 19] = [
    (
        "id",
        &[
            "id",
            "ref",
            "reference",
            "uid",
            "identifier",
            "recordid",
            "code",
        ],
    ),
    (
        "name",
        &[
            "name",
            "title",
            "organisation",
            "organization",
            "venue",
            "groupname",
            "servicename",
            "sitename",
        ],
    ),
    (
        "description",
        &["description", "about", "summary", "details"],
    ),
    ("lon", &["lon", "lng", "long", "longitude", "x"]),
    ("lat", &["lat", "latitude", "y"]),
    ("easting", &["easting", "eastings"]),
    ("northing", &["northing", "northings"]),
    ("postcode", &["postcode", "postalcode", "zip"]),
    ("address", &["address", "address1", "street", "fulladdress"]),
    (
        "phone",
        &["phone", "telephone", "tel", "phonenumber", "contactnumber"],
    ),
    ("email", &["email", "emailaddress"]),
    ("website", &["website", "web", "url", "webaddress"]),
    (
        "categories",
        &[
            "category",
            "categories",
            "type",
            "types",
            "theme",
            "activity",
            "amenity",
        ],
    ),
    ("abcd_type", &["abcdtype", "assettype"]),
    ("access", &["accessibility", "access"]),
    ("cost", &["cost", "price", "fee", "fees", "charges"]),
    ("status", &["status"]),
    ("tags", &["tags", "keywords"]),
    (
        "opening_times",
        &["openinghours", "hours", "openingtimes", "times"],
    ),
];

fn normalise(header: &str) -> String {
    header
        .to_lowercase()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

/// The category a source word most likely means: our slug, one of a category's keywords (the
/// vocabulary's: "cafe", "park", "library"…), its label, or a word of its label.
fn guess_category(raw: &str) -> Option<Category> {
    if let Ok(c) = Category::parse(raw) {
        return Some(c);
    }
    let want = raw.trim().to_lowercase().replace(['_', '-'], " ");
    if let Some(c) = Category::ALL
        .iter()
        .copied()
        .find(|c| c.keywords().iter().any(|k| k.to_lowercase() == want))
    {
        return Some(c);
    }
    // A keyword that is one of the words (`place of worship` → worship).
    if let Some(c) = Category::ALL.iter().copied().find(|c| {
        c.keywords()
            .iter()
            .any(|k| k.len() > 3 && want.split_whitespace().any(|w| w == k.to_lowercase()))
    }) {
        return Some(c);
    }
    Category::ALL.iter().copied().find(|c| {
        let label = c.label().to_lowercase();
        label == want
            || label
                .split(|ch: char| !ch.is_alphanumeric())
                .any(|w| w.len() > 3 && (w == want || want.split_whitespace().any(|v| v == w)))
    })
}

/// A draft mapping file (TOML) for a CSV table: each column placed by its header where a
/// common name says which field it holds, the distinct words of the categories column with a
/// guess from the vocabulary (or a TODO), and a list of what could not be placed. Reads at most
/// `max_rows` rows for the words.
pub fn suggest_mapping<R: Read>(
    reader: R,
    source_name: &str,
    max_rows: usize,
) -> Result<String, String> {
    suggest_for_table(&read_csv_table(reader)?, source_name, max_rows)
}

/// [`suggest_mapping`] for any table file [`read_mapped_file`] reads: CSV, GeoJSON (its
/// properties) or a GeoPackage (its only layer).
pub fn suggest_mapping_file(
    path: &std::path::Path,
    source_name: &str,
    max_rows: usize,
) -> Result<String, String> {
    suggest_for_table(&read_table(path, None)?, source_name, max_rows)
}

fn suggest_for_table(table: &Table, source_name: &str, max_rows: usize) -> Result<String, String> {
    let mut placed: Vec<(&str, String)> = Vec::new();
    let mut unplaced = Vec::new();
    let geometry = table.records.iter().any(|r| r.geometry.is_some());
    for h in &table.columns {
        let n = normalise(h);
        match GUESSES.iter().find(|(field, names)| {
            names.contains(&n.as_str())
                && !placed.iter().any(|(f, _)| f == field)
                && !(geometry && matches!(*field, "lon" | "lat" | "easting" | "northing"))
        }) {
            Some((field, _)) => placed.push((field, h.to_owned())),
            None => unplaced.push(h.to_owned()),
        }
    }
    let categories_at = placed
        .iter()
        .find(|(f, _)| *f == "categories")
        .and_then(|(_, h)| table.column(h));
    let mut words: BTreeMap<String, usize> = BTreeMap::new();
    let rows = table.records.len().min(max_rows);
    for record in &table.records[..rows] {
        if let Some(cell) = categories_at.and_then(|i| record.cells.get(i)?.as_deref()) {
            for w in split_values(cell) {
                *words.entry(w.to_owned()).or_default() += 1;
            }
        }
    }
    let slug: String = source_name
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let quote = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
    let mut out = String::new();
    out.push_str(&format!(
        "# A draft mapping for {} ({rows} rows read). Check every line, then import with\n# assetmap import --file <table> --mapping <this file>\n\n[source]\nname = {}\nlicence = \"OGL-3.0\"  # TODO: the source's licence\nattribution = \"\"  # TODO: what the licence asks you to say\nid_prefix = {}\n\n[columns]\n",
        source_name,
        quote(source_name),
        quote(slug.trim_matches('_')),
    ));
    for (field, header) in &placed {
        out.push_str(&format!("{field} = {}\n", quote(header)));
    }
    for needed in ["id", "name"] {
        if !placed.iter().any(|(f, _)| *f == needed) {
            out.push_str(&format!(
                "# {needed} = \"\"  # TODO: no column looks like the {needed}; it is required\n"
            ));
        }
    }
    if !words.is_empty() {
        out.push_str("\n[values.categories]  # the categories column's words → category slugs (see /vocabulary)\n");
        for (w, n) in &words {
            match guess_category(w) {
                Some(c) => {
                    out.push_str(&format!("{} = [\"{}\"]  # {n} rows\n", quote(w), c.slug()))
                }
                None => out.push_str(&format!(
                    "# {} = []  # TODO ({n} rows): no category matched\n",
                    quote(w)
                )),
            }
        }
    }
    out.push_str("\n[defaults]\nabcd_type = \"association\"  # TODO: association, institution, physical_space, economy or culture\n");
    if !unplaced.is_empty() {
        out.push_str(&format!(
            "\n# Columns not placed (no field matched their names): {}\n",
            unplaced.join(", ")
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_suggested_mapping_reads_back_and_places_the_common_columns() {
        let csv = "Ref,Organisation,Type,Easting,Northing,Post Code,Tel,Notes\n\
                   1,Cafe,Food bank,377000,390000,M33 7XY,0161,\n\
                   2,Park,Parks and gardens; Food bank,377000,390000,,,\n\
                   3,X,Something odd,377000,390000,,,\n";
        let toml = suggest_mapping(csv.as_bytes(), "Anytown directory", 1000).unwrap();
        let m = Mapping::from_toml(&toml).unwrap();
        assert_eq!(m.columns.id.as_deref(), Some("Ref"));
        assert_eq!(m.columns.name.as_deref(), Some("Organisation"));
        assert_eq!(m.columns.easting.as_deref(), Some("Easting"));
        assert_eq!(m.columns.postcode.as_deref(), Some("Post Code"));
        assert_eq!(m.columns.phone.as_deref(), Some("Tel"));
        assert_eq!(m.values.categories["Food bank"], ["food"]);
        assert!(
            toml.contains("# \"Something odd\" = []  # TODO (1 rows)"),
            "{toml}"
        );
        assert!(
            toml.contains("Columns not placed (no field matched their names): Notes"),
            "{toml}"
        );
        assert_eq!(m.source.id_prefix, "anytown_directory");
    }

    fn mapping(extra: &str) -> Mapping {
        Mapping::from_toml(&format!(
            r#"
            [source]
            name = "Anytown"
            licence = "OGL-3.0"
            id_prefix = "any"
            {extra}
            [columns]
            id = "ref"
            name = "name"
            postcode = "pc"
            categories = "kind"
            [defaults]
            abcd_type = "association"
            categories = ["community_groups"]
            "#
        ))
        .unwrap()
    }

    fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn geojson_features_are_records_placed_by_their_geometry_or_their_columns() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            &dir,
            "a.geojson",
            r#"{"type": "FeatureCollection", "features": [
              {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-2.3, 53.4]},
               "properties": {"ref": 7, "name": "Point hall", "open": true}},
              {"type": "Feature", "geometry": {"type": "Polygon", "coordinates":
                [[[-2.0, 53.0], [-1.0, 53.0], [-1.0, 54.0], [-2.0, 54.0], [-2.0, 53.0]]]},
               "properties": {"ref": "p", "name": "Square park"}},
              {"type": "Feature", "geometry": null,
               "properties": {"ref": "c", "name": "By postcode", "pc": "M33 7XY"}},
              {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
               "properties": {"ref": "l", "name": "A path", "kind": "nonsense"}}
            ]}"#,
        );
        let at = LonLat::new(-2.31, 53.41).unwrap();
        let read =
            read_mapped_file(&path, &mapping(""), &|_| Some(at), chrono::Utc::now()).unwrap();
        assert_eq!((read.records, read.assets.len(), read.rejected), (4, 3, 1));
        let a = &read.assets;
        // A number is read as text.
        assert_eq!(a[0].id.as_str(), "any:7");
        assert_eq!((a[0].location.lon(), a[0].location.lat()), (-2.3, 53.4));
        assert_eq!(
            a[0].provenance.geocode_method.as_deref(),
            Some("source_point")
        );
        assert!((a[1].location.lon() + 1.5).abs() < 1e-9);
        assert!((a[1].location.lat() - 53.5).abs() < 1e-9);
        assert_eq!(
            a[1].provenance.geocode_method.as_deref(),
            Some("source_polygon_centroid")
        );
        assert_eq!(a[2].location, at);
        assert_eq!(
            a[2].provenance.geocode_method.as_deref(),
            Some("postcode_centroid")
        );
        // Every problem of the fourth feature, with its number and column.
        let problems: Vec<(usize, &str)> = read
            .problems
            .iter()
            .map(|p| (p.record, p.field.as_str()))
            .collect();
        assert_eq!(
            problems,
            [(4, "kind"), (4, "geometry")],
            "{:?}",
            read.problems
        );
        assert!(read.problems[1].reason.contains("LineString"));
    }

    #[test]
    fn a_polygon_can_be_placed_at_the_mean_of_its_vertices() {
        // An L-shape: the centroid and the vertex mean differ.
        let l = vec![vec![vec![
            [0.0, 0.0],
            [2.0, 0.0],
            [2.0, 1.0],
            [1.0, 1.0],
            [1.0, 3.0],
            [0.0, 3.0],
            [0.0, 0.0],
        ]]];
        let ((x, y), m) = PolygonPoint::VertexMean.place(&l).unwrap();
        assert_eq!((x, y, m), (1.0, 4.0 / 3.0, "source_polygon_vertex_mean"));
        let ((cx, cy), m) = PolygonPoint::Centroid.place(&l).unwrap();
        assert_eq!(m, "source_polygon_centroid");
        assert!(
            (cx - 0.75).abs() < 1e-9 && (cy - 1.25).abs() < 1e-9,
            "{cx} {cy}"
        );
        let m = mapping("polygon_point = \"vertex_mean\"");
        assert_eq!(m.source.polygon_point, PolygonPoint::VertexMean);
    }

    #[test]
    fn a_geopackage_layer_is_read_by_name_or_as_the_only_layer() {
        use assetmap_gpkg::{Column, ColumnType, FeatureTable, GeometryType, GpkgWriter};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.gpkg");
        let mut w = GpkgWriter::create(&path).unwrap();
        let columns = [
            Column::new("ref", ColumnType::Integer),
            Column::new("name", ColumnType::Text),
            Column::new("kind", ColumnType::Text),
            Column::new("pc", ColumnType::Text),
        ];
        for layer in ["halls", "parks"] {
            w.create_features_table(&FeatureTable {
                name: layer,
                identifier: layer,
                description: "",
                geometry_type: GeometryType::Geometry,
                srs_id: assetmap_gpkg::WGS84_SRS_ID,
                columns: &columns,
            })
            .unwrap();
        }
        let blob = assetmap_gpkg::encode_point(assetmap_gpkg::WGS84_SRS_ID, -2.3, 53.4);
        w.insert_feature(
            "halls",
            &blob,
            &[&1i64, &"Hall", &"Cafe", &rusqlite::types::Null],
        )
        .unwrap();
        w.insert_feature(
            "halls",
            &blob,
            &[&2i64, &"", &"Cafe", &rusqlite::types::Null],
        )
        .unwrap();
        let square = [
            [-2.0, 53.0],
            [-1.0, 53.0],
            [-1.0, 54.0],
            [-2.0, 54.0],
            [-2.0, 53.0],
        ];
        let blob =
            assetmap_gpkg::encode_polygon(assetmap_gpkg::WGS84_SRS_ID, &[&square[..]]).unwrap();
        w.insert_feature(
            "parks",
            &blob,
            &[
                &9i64,
                &"Park",
                &rusqlite::types::Null,
                &rusqlite::types::Null,
            ],
        )
        .unwrap();
        w.finish().unwrap();

        let err = read_mapped_file(&path, &mapping(""), &|_| None, chrono::Utc::now()).unwrap_err();
        assert!(err.contains("halls, parks"), "{err}");
        let mut m = mapping("layer = \"halls\"");
        m.values
            .categories
            .insert("cafe".into(), vec!["food".into()]);
        let read = read_mapped_file(&path, &m, &|_| None, chrono::Utc::now()).unwrap();
        assert_eq!((read.records, read.assets.len()), (2, 1));
        assert_eq!(read.assets[0].id.as_str(), "any:1");
        assert_eq!(read.assets[0].location.lat(), 53.4);
        assert_eq!(
            (read.problems[0].record, read.problems[0].field.as_str()),
            (2, "name")
        );
        let read = read_mapped_file(
            &path,
            &mapping("layer = \"parks\""),
            &|_| None,
            chrono::Utc::now(),
        )
        .unwrap();
        assert_eq!(read.assets[0].id.as_str(), "any:9");
        assert!((read.assets[0].location.lon() + 1.5).abs() < 1e-9);
        let suggested = suggest_mapping_file(&dir.path().join("x.txt"), "x", 10).unwrap_err();
        assert!(suggested.contains(".csv"), "{suggested}");
    }

    #[test]
    fn csv_files_go_through_the_same_reader_and_geojson_tables_can_be_suggested() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            &dir,
            "t.csv",
            "ref,name,pc,kind\n1,Hall,M33 7XY,\n2,Nowhere,,\n",
        );
        let at = LonLat::new(-2.31, 53.41).unwrap();
        let read =
            read_mapped_file(&path, &mapping(""), &|_| Some(at), chrono::Utc::now()).unwrap();
        assert_eq!((read.assets.len(), read.rejected), (1, 1));
        assert_eq!(
            (read.problems[0].record, read.problems[0].field.as_str()),
            (2, "pc")
        );
        let path = write(
            &dir,
            "s.geojson",
            r#"{"type": "FeatureCollection", "features": [{"type": "Feature",
              "geometry": {"type": "Point", "coordinates": [0, 0]},
              "properties": {"Ref": 1, "Name": "A", "Type": "Food bank", "lon": 0}}]}"#,
        );
        let toml = suggest_mapping_file(&path, "Anytown", 10).unwrap();
        let m = Mapping::from_toml(&toml).unwrap();
        assert_eq!(m.columns.name.as_deref(), Some("Name"));
        assert_eq!(
            m.values.categories.get("Food bank"),
            Some(&vec!["food".to_owned()]),
            "{toml}"
        );
        assert_eq!(m.columns.lon, None, "the geometry places the records");
    }
}
