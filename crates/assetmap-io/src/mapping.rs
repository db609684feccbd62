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
//!
//! ## Richer sources
//!
//! Everything below is optional; each part is general, for any council's table.
//!
//! - **Several columns, templates.** A field may name a list of columns (text fields join
//!   their values — `address` with `", "`, `opening_times` with `", "`, the rest with a
//!   space; single-value fields take the first that is not empty; `categories`, `tags` and
//!   `access` gather them all). An item holding `{` is a template: `{column}` is the column's
//!   value, `{column|lower}` / `|upper` / `|sentence` (ends with a full stop) / `|list` (`a|b`
//!   → `a, b`) change it, `[ … ]` is a part left out when a column in it is empty, and the
//!   whole item is left out when a column outside `[ … ]` is empty. `{#row}` is the record's
//!   position in the file (from 0), `{#file}` the file's name, `{}` nothing (for fixed text).
//! - **`id = "#row"`**: ids from the record's position (0-based), for a table without its own
//!   key; stable as long as the file keeps its order.
//! - **`[columns]` `min_age`, `max_age`** (whole years), **`ages_text`** (ages from words:
//!   "aged 18 to 65", "aged between 16 and 25", "aged birth to 5", "aged 50 and over"),
//!   **`audience`** (who it is for, in words), **`opening_note`**, **`source_id`**
//!   (`provenance.source_id`; default the id).
//! - **`[when.<column>]`**: a value of any column (whole, or one of several split on
//!   `; , / |`; any case), `"*"` for any value, or `"<16"`, `">=65"`… for a number → what the
//!   record gets besides: `{ categories, tags, access, cost, cost_detail, abcd_type, audience }`
//!   (a `cost` band keeps the value as its detail unless `cost_detail` gives other words). The key may be a template instead of a column, to
//!   match several columns together: `[when."{Entrance} {Toilets}"]` with `"Yes Yes" = …`
//!   (a record with either column empty matches nothing).
//! - **`[rename.<column>]`**: a value → other words, wherever the column is read.
//! - **`[[words]]`**: `in` = columns (or templates), `words` = regular expressions matched as
//!   whole words in any case, `except` = phrases that do not count, `categories` / `tags`
//!   added when one is found, `tag_words = true` to add the words found as tags.
//! - **`[defaults]`** `tags` (every record) and `name` (a template for a record without one,
//!   e.g. `"{site_type} (unnamed)"`).
//! - **`[clean]`**: `empty` = values meaning "no value" (`"NA"`, `"Not known"`, placeholder
//!   phones); `phone_leading_zero = true` puts back the 0 a spreadsheet dropped from a
//!   10-digit number; `drop_invalid = ["phone", "email", "website", "postcode"]` drops an
//!   invalid value (listed in [`ImportRead::dropped`]) instead of rejecting the record;
//!   `replace = { "ÔÇÖ" = "’" }` puts right text the source wrote wrongly (characters
//!   garbled by a wrong encoding), in every column, before anything else reads it.
//!   Always: runs of spaces become one, address parts are trimmed and joined with `", "`, and
//!   a website written as `www.x.org` or a bare domain gets `https://`.
//! - **`[filter] inside_place = true`**: records placed outside the place's areas, or by a
//!   postcode not in its postcode table (or that cannot be placed at all), are left out —
//!   listed in [`ImportRead::left_out`], not rejected (needs [`MapContext::inside_place`] for
//!   points; [`read_mapped_file`] without it keeps every record it can place).
//! - **`[source] import = false`** with a `reason`: the file is deliberately not imported.
//! - **`[source] file`**: the table, relative to the mapping (for `assetmap dataset build`).
//!
//! ```
//! use assetmap_io::mapping::{read_mapped, Mapping};
//! use assetmap_io::table::read_csv_table;
//! let mapping = Mapping::from_toml(r##"
//!     [source]
//!     name = "Anytown"
//!     licence = "OGL-3.0"
//!     id_prefix = "anytown"
//!     [columns]
//!     id = "#row"
//!     name = "Name"
//!     description = ["{Kind}[ ({Places} places)].", "Notes: {Notes|sentence}"]
//!     address = ["Street", "Town"]
//!     phone = "Phone"
//!     lon = "X"
//!     lat = "Y"
//!     [defaults]
//!     abcd_type = "physical_space"
//!     categories = ["physical_activity_sport"]
//!     [when.Toilets]
//!     "Yes" = { access = ["accessible_toilet"] }
//!     [when.Access]
//!     "Free" = { cost = "free" }
//!     [[words]]
//!     in = ["Notes"]
//!     words = ["swim(?:ming)?"]
//!     tag_words = true
//!     [clean]
//!     empty = ["NA"]
//!     phone_leading_zero = true
//! "##).unwrap();
//! let csv = "Name,Kind,Places,Notes,Street,Town,Phone,X,Y,Toilets,Access\n\
//!            Pool,Leisure centre,NA,Swimming lessons,1 High St,Sale,1619123456,-2.3,53.4,Yes,Free\n";
//! let table = read_csv_table(csv.as_bytes()).unwrap();
//! let read = read_mapped(&table, &mapping, &|_| None, chrono::Utc::now()).unwrap();
//! let a = &read.assets[0];
//! assert_eq!(a.id.as_str(), "anytown:0");
//! assert_eq!(a.description.as_deref(), Some("Leisure centre. Notes: Swimming lessons."));
//! assert_eq!(a.address.as_deref(), Some("1 High St, Sale"));
//! assert_eq!(a.contact.phone.as_ref().unwrap().to_string(), "01619123456");
//! assert_eq!(a.access[0].to_string(), "accessible_toilet");
//! assert_eq!(a.cost.as_ref().unwrap().band.to_string(), "free");
//! assert!(a.tags.iter().any(|t| t.to_string() == "swimming"));
//! ```

use crate::geojson::{ImportProblem, ImportRead};
use crate::table::{read_csv_table, read_table, Polygons, Record, SourceGeometry, Table};
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
    /// Field → column name (or several, or templates).
    #[serde(default)]
    pub columns: Columns,
    /// Per field, the source's words (compared without regard to case and surrounding space)
    /// → our vocabulary.
    #[serde(default)]
    pub values: Values,
    /// What a record without a value gets.
    #[serde(default)]
    pub defaults: Defaults,
    /// Per column (or template of several columns, `"{a} {b}"`), a value (or `*` for any
    /// value, or `<16`, `>=65`… for a number) → what a record with it gets besides:
    /// categories, tags, access features, a cost band, an ABCD type, an audience description.
    #[serde(default)]
    pub when: BTreeMap<String, BTreeMap<String, Outcome>>,
    /// Per column, values (whole, any case) replaced by other words wherever the column is
    /// read (e.g. `"Academies" = "Academy"` for a description).
    #[serde(default)]
    pub rename: BTreeMap<String, BTreeMap<String, String>>,
    /// Word rules: whole words found in some columns → extra categories and tags.
    #[serde(default)]
    pub words: Vec<WordRule>,
    /// Clean-ups of the source's values.
    #[serde(default)]
    pub clean: Clean,
    /// Which records to keep.
    #[serde(default)]
    pub filter: Filter,
}

/// The source of a table.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceInfo {
    pub name: String,
    #[serde(default)]
    pub licence: String,
    #[serde(default)]
    pub attribution: Option<String>,
    /// Asset ids are `<id_prefix>:<id>`: unique across sources, stable across imports.
    #[serde(default)]
    pub id_prefix: String,
    /// The table this mapping reads, relative to the mapping file (for `assetmap dataset
    /// build`; `assetmap import --file` names it instead).
    #[serde(default)]
    pub file: Option<String>,
    /// The GeoPackage layer to read (needed only when the file has more than one).
    #[serde(default)]
    pub layer: Option<String>,
    /// Where a polygon record is placed: `"centroid"` (the default: its area-weighted
    /// centroid, geo's `Centroid`; `geocode_method` `source_polygon_centroid`) or
    /// `"vertex_mean"` (the mean of the exterior rings' vertices, closing vertex excluded;
    /// `source_polygon_vertex_mean`).
    #[serde(default)]
    pub polygon_point: PolygonPoint,
    /// `false`: the file is not imported (say why in `reason`); the mapping only records the
    /// decision.
    #[serde(default = "yes")]
    pub import: bool,
    /// Why the file is not imported.
    #[serde(default)]
    pub reason: Option<String>,
}

fn yes() -> bool {
    true
}

/// A field's source: one column, or a list whose values are joined (text fields) or
/// gathered (lists). Each item is a column name or, when it holds `{`, a template.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum FieldSpec {
    /// One column or template.
    One(String),
    /// Several.
    Many(Vec<String>),
}

impl FieldSpec {
    /// The items.
    pub fn pieces(&self) -> &[String] {
        match self {
            FieldSpec::One(s) => std::slice::from_ref(s),
            FieldSpec::Many(v) => v,
        }
    }

    /// The column, when this is exactly one plain column.
    pub fn column(&self) -> Option<&str> {
        match self.pieces() {
            [one] if !one.contains('{') => Some(one),
            _ => None,
        }
    }
}

/// Which column holds which field; every one optional but `id` and `name`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Columns {
    pub id: Option<FieldSpec>,
    pub name: Option<FieldSpec>,
    pub description: Option<FieldSpec>,
    pub lon: Option<FieldSpec>,
    pub lat: Option<FieldSpec>,
    pub easting: Option<FieldSpec>,
    pub northing: Option<FieldSpec>,
    pub postcode: Option<FieldSpec>,
    pub address: Option<FieldSpec>,
    pub phone: Option<FieldSpec>,
    pub email: Option<FieldSpec>,
    pub website: Option<FieldSpec>,
    pub categories: Option<FieldSpec>,
    pub abcd_type: Option<FieldSpec>,
    pub access: Option<FieldSpec>,
    pub cost: Option<FieldSpec>,
    pub status: Option<FieldSpec>,
    pub tags: Option<FieldSpec>,
    pub opening_times: Option<FieldSpec>,
    /// A note on the opening times (e.g. "Referral needed").
    pub opening_note: Option<FieldSpec>,
    /// Youngest age served (whole years).
    pub min_age: Option<FieldSpec>,
    /// Oldest age served.
    pub max_age: Option<FieldSpec>,
    /// Text whose words give the ages ("aged 18 to 65", "aged between 16 and 25",
    /// "aged birth to 5", "aged 50 and over").
    pub ages_text: Option<FieldSpec>,
    /// Who it is for, in words.
    pub audience: Option<FieldSpec>,
    /// `provenance.source_id` (default: the id column's value).
    pub source_id: Option<FieldSpec>,
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
    /// Categories of a record whose categories column gives none.
    #[serde(default)]
    pub categories: Vec<String>,
    pub status: Option<String>,
    /// Tags every record gets.
    #[serde(default)]
    pub tags: Vec<String>,
    /// The name (a template) of a record whose name is empty.
    pub name: Option<String>,
}

/// What a [`Mapping::when`] value gives a record.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outcome {
    #[serde(default)]
    pub categories: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub access: Vec<String>,
    /// A cost band (`free`, `low`, `paid`); the value is kept as its detail unless
    /// `cost_detail` is given.
    pub cost: Option<String>,
    /// The cost's detail in words, for a value that is not itself a price ("Public Park Or
    /// Garden" → "Free to enter").
    pub cost_detail: Option<String>,
    pub abcd_type: Option<String>,
    /// Who it is for, in words.
    pub audience: Option<String>,
}

/// Whole words (regular expressions, any case) found in some columns → categories and tags.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WordRule {
    /// The columns (or templates) searched.
    #[serde(rename = "in")]
    pub columns: Vec<String>,
    /// The words or phrases (regular expressions, matched as whole words in any case).
    pub words: Vec<String>,
    /// Phrases that do not count (regular expressions from a word start, e.g.
    /// `"learning disabilit"` so that `learning` does not match "learning disability").
    #[serde(default)]
    pub except: Vec<String>,
    #[serde(default)]
    pub categories: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// The words found become tags too (lower case).
    #[serde(default)]
    pub tag_words: bool,
}

/// Clean-ups of the source's values.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Clean {
    /// Cell values (whole, any case) that mean "no value": `"NA"`, `"Not known"`, a placeholder
    /// phone `"00000 000000"`.
    #[serde(default)]
    pub empty: Vec<String>,
    /// A phone number of 10 digits not starting with 0 gets its leading 0 back (spreadsheets
    /// drop it: `1617486414` → `01617486414`).
    #[serde(default)]
    pub phone_leading_zero: bool,
    /// Fields (`phone`, `email`, `website`, `postcode`) whose invalid values are dropped —
    /// listed in the report, the record kept — rather than rejecting the record.
    #[serde(default)]
    pub drop_invalid: Vec<String>,
    /// Text the source wrote wrongly → the right text, in every column, before anything else
    /// reads it: characters garbled when the file was saved in one encoding and read in
    /// another (`"ÔÇÖ" = "’"`, `"Ã©" = "é"`). Exact, case-sensitive, applied in key order; an
    /// empty text to replace is refused. For tables (an Open Referral feed's text is read as
    /// it is: JSON is UTF-8).
    #[serde(default)]
    pub replace: BTreeMap<String, String>,
}

/// Which records are kept.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    /// Keep only records inside the place: those placed outside its areas, or by a postcode
    /// that is not in its postcode table, are left out (listed in the report, not rejected).
    #[serde(default)]
    pub inside_place: bool,
}

/// What a mapped read may ask of the place.
pub struct MapContext<'a> {
    /// A postcode's centroid, from the place's postcode table.
    pub geocode: &'a (dyn Fn(&Postcode) -> Option<LonLat> + Sync),
    /// Whether a point is inside the place's areas; without it, `[filter] inside_place` keeps
    /// every record it can place.
    pub inside_place: Option<&'a (dyn Fn(LonLat) -> bool + Sync)>,
}

impl Mapping {
    /// Reads a mapping file (TOML); the error names the key at fault.
    /// A mapping for an Open Referral feed (`assetmap import --oruk FEED --mapping M.toml`):
    /// `[source]` (the publisher, licence, attribution; `id_prefix` is the source key),
    /// `[values]` for the feed's taxonomy terms and accessibility words, `[defaults]`; a feed
    /// has no columns, so none are needed.
    pub fn feed_from_toml(text: &str) -> Result<Mapping, String> {
        let m: Mapping = toml::from_str(text).map_err(|e| e.to_string())?;
        if m.source.id_prefix.is_empty() {
            return Err("[source] id_prefix must not be empty: it is the feed's source key".into());
        }
        if m.source.licence.is_empty() {
            return Err("[source] licence must not be empty".into());
        }
        Ok(m)
    }

    pub fn from_toml(text: &str) -> Result<Mapping, String> {
        let m: Mapping = toml::from_str(text).map_err(|e| e.to_string())?;
        if !m.source.import {
            if m.source
                .reason
                .as_deref()
                .is_none_or(|r| r.trim().is_empty())
            {
                return Err(
                    "[source] import = false needs a reason: why the file is not imported".into(),
                );
            }
            return Ok(m);
        }
        if m.columns.id.is_none() || m.columns.name.is_none() {
            return Err("[columns] needs id and name: the columns holding each record's own id and its name".into());
        }
        if m.source.id_prefix.is_empty() {
            return Err("[source] id_prefix must not be empty".into());
        }
        if m.source.licence.is_empty() {
            return Err("[source] licence must not be empty".into());
        }
        if m.clean.replace.contains_key("") {
            return Err(
                "[clean] replace has an empty text to replace: give the garbled text as the source writes it, e.g. \"ÔÇÖ\" = \"’\"".into(),
            );
        }
        Prepared::new(&m)?;
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

/// The value a map gives a source word (compared without regard to case and surrounding space).
pub(crate) fn lookup<'a, T>(map: &'a BTreeMap<String, T>, raw: &str) -> Option<&'a T> {
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
    geocode: &(dyn Fn(&Postcode) -> Option<LonLat> + Sync),
    now: chrono::DateTime<chrono::Utc>,
) -> Result<ImportRead, String> {
    read_mapped_file_with(
        path,
        mapping,
        &MapContext {
            geocode,
            inside_place: None,
        },
        now,
    )
}

/// [`read_mapped_file`] with the place's filter too (see [`MapContext`]).
pub fn read_mapped_file_with(
    path: &std::path::Path,
    mapping: &Mapping,
    ctx: &MapContext<'_>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<ImportRead, String> {
    if !mapping.source.import {
        return Err(format!(
            "the mapping says this file is not imported: {}",
            mapping.source.reason.as_deref().unwrap_or_default()
        ));
    }
    let table = read_table(path, mapping.source.layer.as_deref())?;
    read_mapped_with(&table, mapping, ctx, now)
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
    geocode: &(dyn Fn(&Postcode) -> Option<LonLat> + Sync),
    now: chrono::DateTime<chrono::Utc>,
) -> Result<ImportRead, String> {
    read_mapped(&read_csv_table(reader)?, mapping, geocode, now)
}

/// A template's parts: text, a column's value (with filters), an optional group.
#[derive(Debug, Clone)]
enum Part {
    Text(String),
    Column { name: String, filters: Vec<String> },
    Optional(Vec<Part>),
}

const FILTERS: [&str; 4] = ["lower", "upper", "sentence", "list"];

/// A field item: a plain column name, or a template (`{column}`, `{column|lower}`, optional
/// `[…]` groups).
fn parse_piece(piece: &str) -> Result<Vec<Part>, String> {
    if !piece.contains('{') {
        return Ok(vec![Part::Column {
            name: piece.trim().to_owned(),
            filters: vec![],
        }]);
    }
    let mut chars = piece.chars();
    parse_parts(&mut chars, false).map_err(|e| format!("template {piece:?}: {e}"))
}

fn parse_parts(chars: &mut std::str::Chars<'_>, in_group: bool) -> Result<Vec<Part>, String> {
    let mut out = Vec::new();
    let mut text = String::new();
    let flush = |text: &mut String, out: &mut Vec<Part>| {
        if !text.is_empty() {
            out.push(Part::Text(std::mem::take(text)));
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '{' => {
                flush(&mut text, &mut out);
                let mut spec = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(c) => spec.push(c),
                        None => return Err("a { without }".into()),
                    }
                }
                let mut bits = spec.split('|').map(str::trim);
                let name = bits.next().unwrap_or_default().to_owned();
                let filters: Vec<String> = bits.map(str::to_owned).collect();
                if let Some(f) = filters.iter().find(|f| !FILTERS.contains(&f.as_str())) {
                    return Err(format!("unknown filter {f:?}; use {}", FILTERS.join(", ")));
                }
                out.push(Part::Column { name, filters });
            }
            '[' if !in_group => {
                flush(&mut text, &mut out);
                out.push(Part::Optional(parse_parts(chars, true)?));
            }
            ']' if in_group => {
                flush(&mut text, &mut out);
                return Ok(out);
            }
            '}' => return Err("a } without {".into()),
            c => text.push(c),
        }
    }
    if in_group {
        return Err("a [ without ]".into());
    }
    flush(&mut text, &mut out);
    Ok(out)
}

fn columns_of<'p>(parts: &'p [Part], out: &mut Vec<&'p str>) {
    for p in parts {
        match p {
            Part::Column { name, .. } => out.push(name),
            Part::Optional(inner) => columns_of(inner, out),
            Part::Text(_) => {}
        }
    }
}

/// The template's text, or `None` when a column outside an optional group is empty.
fn render(parts: &[Part], get: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let out = render_parts(parts, get)?;
    let t = out.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

fn render_parts(parts: &[Part], get: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    let mut out = String::new();
    for p in parts {
        match p {
            Part::Text(t) => out.push_str(t),
            Part::Column { name, .. } if name.is_empty() => {}
            Part::Column { name, filters } => {
                let mut v = get(name)?;
                for f in filters {
                    v = match f.as_str() {
                        "lower" => v.to_lowercase(),
                        "upper" => v.to_uppercase(),
                        "list" => split_values(&v).join(", "),
                        _ if v.ends_with(['.', '!', '?']) => v,
                        _ => v + ".",
                    };
                }
                out.push_str(&v);
            }
            Part::Optional(inner) => {
                if let Some(v) = render_parts(inner, get) {
                    out.push_str(&v);
                }
            }
        }
    }
    Some(out)
}

/// How a `when` key matches a value.
enum Matcher {
    Any,
    Number(&'static str, f64),
    Equals(String),
}

impl Matcher {
    fn parse(key: &str) -> Result<Matcher, String> {
        let k = key.trim();
        if k == "*" {
            return Ok(Matcher::Any);
        }
        for op in ["<=", ">=", "<", ">"] {
            if let Some(rest) = k.strip_prefix(op) {
                return rest
                    .trim()
                    .parse()
                    .map(|n| Matcher::Number(op, n))
                    .map_err(|_| format!("[when] key {key:?}: {op} needs a number"));
            }
        }
        Ok(Matcher::Equals(k.to_lowercase()))
    }

    fn matches(&self, cell: &str) -> bool {
        match self {
            Matcher::Any => true,
            Matcher::Number(op, n) => cell.trim().parse::<f64>().is_ok_and(|v| match *op {
                "<=" => v <= *n,
                ">=" => v >= *n,
                "<" => v < *n,
                _ => v > *n,
            }),
            Matcher::Equals(want) => {
                cell.trim().to_lowercase() == *want
                    || split_values(cell).iter().any(|v| v.to_lowercase() == *want)
            }
        }
    }
}

/// The fields a mapping can fill, with their items and how several values are joined
/// (`None`: the first value).
fn field_specs(c: &Columns) -> Vec<(&'static str, &Option<FieldSpec>, Option<&'static str>)> {
    vec![
        ("id", &c.id, None),
        ("name", &c.name, Some(" ")),
        ("description", &c.description, Some(" ")),
        ("lon", &c.lon, None),
        ("lat", &c.lat, None),
        ("easting", &c.easting, None),
        ("northing", &c.northing, None),
        ("postcode", &c.postcode, None),
        ("address", &c.address, Some(", ")),
        ("phone", &c.phone, None),
        ("email", &c.email, None),
        ("website", &c.website, None),
        ("categories", &c.categories, None),
        ("abcd_type", &c.abcd_type, None),
        ("access", &c.access, None),
        ("cost", &c.cost, None),
        ("status", &c.status, None),
        ("tags", &c.tags, None),
        ("opening_times", &c.opening_times, Some(", ")),
        ("opening_note", &c.opening_note, Some(" ")),
        ("min_age", &c.min_age, None),
        ("max_age", &c.max_age, None),
        ("ages_text", &c.ages_text, Some(" ")),
        ("audience", &c.audience, Some(" ")),
        ("source_id", &c.source_id, Some(" ")),
    ]
}

struct Field {
    column: String,
    pieces: Vec<Vec<Part>>,
    join: Option<&'static str>,
}

struct Rule<'m> {
    pieces: Vec<Vec<Part>>,
    words: regex::Regex,
    except: Option<regex::Regex>,
    rule: &'m WordRule,
}

/// A `[when.<column or template>]` table made ready: the template (`None` for a plain
/// column) and each value's matcher with what it gives.
type When<'m> = (&'m str, Option<Vec<Part>>, Vec<(Matcher, &'m Outcome)>);

/// A mapping made ready to read: templates parsed, word rules compiled.
struct Prepared<'m> {
    fields: BTreeMap<&'static str, Field>,
    default_name: Option<Vec<Part>>,
    /// Per `[when]` key: the column (or template), the template parsed when it is one, and
    /// the value matchers.
    when: Vec<When<'m>>,
    rules: Vec<Rule<'m>>,
    empty: Vec<String>,
    renamed: Vec<&'m str>,
}

impl<'m> Prepared<'m> {
    fn new(m: &'m Mapping) -> Result<Prepared<'m>, String> {
        let mut fields = BTreeMap::new();
        for (field, spec, join) in field_specs(&m.columns) {
            if let Some(spec) = spec {
                let pieces = spec
                    .pieces()
                    .iter()
                    .map(|p| parse_piece(p))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| format!("[columns] {field}: {e}"))?;
                let column = spec
                    .column()
                    .map(str::to_owned)
                    .unwrap_or_else(|| field.to_owned());
                fields.insert(
                    field,
                    Field {
                        column,
                        pieces,
                        join,
                    },
                );
            }
        }
        let default_name = m
            .defaults
            .name
            .as_deref()
            .map(|t| match t.contains('{') {
                true => parse_piece(t),
                false => Ok(vec![Part::Text(t.to_owned())]),
            })
            .transpose()
            .map_err(|e| format!("[defaults] name: {e}"))?;
        let when = m
            .when
            .iter()
            .map(|(col, map)| {
                let template = col
                    .contains('{')
                    .then(|| parse_piece(col))
                    .transpose()
                    .map_err(|e| format!("[when.{col:?}]: {e}"))?;
                let ms = map
                    .iter()
                    .map(|(k, o)| Matcher::parse(k).map(|mt| (mt, o)))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok((col.as_str(), template, ms))
            })
            .collect::<Result<Vec<_>, String>>()?;
        let rules = m
            .words
            .iter()
            .enumerate()
            .map(|(i, rule)| {
                let bad = |e: regex::Error| format!("[[words]] rule {}: {e}", i + 1);
                let pieces = rule
                    .columns
                    .iter()
                    .map(|p| parse_piece(p))
                    .collect::<Result<Vec<_>, _>>()?;
                let words = regex::Regex::new(&format!(r"(?i)\b({})\b", rule.words.join("|")))
                    .map_err(bad)?;
                let except = (!rule.except.is_empty())
                    .then(|| regex::Regex::new(&format!(r"(?i)\b(?:{})", rule.except.join("|"))))
                    .transpose()
                    .map_err(bad)?;
                Ok(Rule {
                    pieces,
                    words,
                    except,
                    rule,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Prepared {
            fields,
            default_name,
            when,
            rules,
            empty: m
                .clean
                .empty
                .iter()
                .map(|e| e.trim().to_lowercase())
                .collect(),
            renamed: m.rename.keys().map(String::as_str).collect(),
        })
    }

    /// Every column the mapping reads.
    fn columns(&self) -> Vec<(String, &str)> {
        let mut out = Vec::new();
        for (field, f) in &self.fields {
            for p in &f.pieces {
                let mut cols = Vec::new();
                columns_of(p, &mut cols);
                out.extend(cols.into_iter().map(|c| (format!("for {field}"), c)));
            }
        }
        for (col, template, _) in &self.when {
            match template {
                Some(parts) => {
                    let mut cols = Vec::new();
                    columns_of(parts, &mut cols);
                    out.extend(cols.into_iter().map(|c| ("in [when]".to_owned(), c)));
                }
                None => out.push(("in [when]".to_owned(), col)),
            }
        }
        for col in &self.renamed {
            out.push(("in [rename]".to_owned(), col));
        }
        for r in &self.rules {
            for p in &r.pieces {
                let mut cols = Vec::new();
                columns_of(p, &mut cols);
                out.extend(cols.into_iter().map(|c| ("in [[words]]".to_owned(), c)));
            }
        }
        if let Some(p) = &self.default_name {
            let mut cols = Vec::new();
            columns_of(p, &mut cols);
            out.extend(
                cols.into_iter()
                    .map(|c| ("for defaults.name".to_owned(), c)),
            );
        }
        out.retain(|(_, c)| !c.is_empty() && !c.starts_with('#'));
        out
    }
}

/// The ages a text gives: "aged 18 to 65", "aged between 16 and 25 (up to 30 …)", "aged birth
/// to 5", "aged 50 and over".
fn ages_from_text(text: &str) -> (Option<i64>, Option<i64>) {
    let range =
        regex::Regex::new(r"(?i)\baged (?:between )?(\d{1,2}|birth) (?:to|and|-) (\d{1,3})\b")
            .expect("a valid pattern");
    let upto = regex::Regex::new(r"(?i)\(up to (\d{1,3})\b").expect("a valid pattern");
    let min = regex::Regex::new(r"(?i)\baged (\d{1,2})(?: years)? and (?:over|above)")
        .expect("a valid pattern");
    if let Some(c) = range.captures(text) {
        let lo = if c[1].eq_ignore_ascii_case("birth") {
            0
        } else {
            c[1].parse().unwrap_or(0)
        };
        let mut hi: i64 = c[2].parse().unwrap_or(0);
        let end = c.get(0).map_or(0, |m| m.end());
        if let Some(u) = upto.captures(&text[end..]) {
            hi = hi.max(u[1].parse().unwrap_or(0));
        }
        return (Some(lo), Some(hi));
    }
    if let Some(c) = min.captures(text) {
        return (c[1].parse().ok(), None);
    }
    (None, None)
}

/// A website as people write it: `www.x.org` or a bare domain with a real top-level domain
/// (letters only) gets `https://`; the scheme is lower-cased.
fn web_address(v: &str) -> String {
    let lower = v.to_lowercase();
    if let Some(i) = v.find("://") {
        if lower.starts_with("http://") || lower.starts_with("https://") {
            return format!("{}{}", &lower[..i], &v[i..]);
        }
        return v.to_owned();
    }
    let host = v.split('/').next().unwrap_or_default();
    let tld = host.rsplit('.').next().unwrap_or_default();
    let domain = host.contains('.')
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        && tld.len() >= 2
        && tld.chars().all(|c| c.is_ascii_alphabetic());
    if domain {
        format!("https://{v}")
    } else {
        v.to_owned()
    }
}

/// `read_row` over every record, on every available core (in order).
fn read_rows<T: Send>(
    records: &[Record],
    read_row: &(dyn Fn(usize, &Record) -> T + Sync),
) -> Vec<T> {
    const PER_THREAD_AT_LEAST: usize = 5_000;
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(records.len() / PER_THREAD_AT_LEAST)
        .max(1);
    if threads == 1 {
        return records
            .iter()
            .enumerate()
            .map(|(i, r)| read_row(i, r))
            .collect();
    }
    let chunk = records.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let parts: Vec<_> = records
            .chunks(chunk)
            .enumerate()
            .map(|(n, part)| {
                scope.spawn(move || {
                    part.iter()
                        .enumerate()
                        .map(|(i, r)| read_row(n * chunk + i, r))
                        .collect::<Vec<T>>()
                })
            })
            .collect();
        parts
            .into_iter()
            .flat_map(|h| match h.join() {
                Ok(rows) => rows,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

/// Reads the records of `table` with `mapping` (see [`read_mapped_file`]).
pub fn read_mapped(
    table: &Table,
    mapping: &Mapping,
    geocode: &(dyn Fn(&Postcode) -> Option<LonLat> + Sync),
    now: chrono::DateTime<chrono::Utc>,
) -> Result<ImportRead, String> {
    read_mapped_with(
        table,
        mapping,
        &MapContext {
            geocode,
            inside_place: None,
        },
        now,
    )
}

/// [`read_mapped`] with the place's filter too (see [`MapContext`]).
pub fn read_mapped_with(
    table: &Table,
    mapping: &Mapping,
    ctx: &MapContext<'_>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<ImportRead, String> {
    if !mapping.source.import {
        return Err(format!(
            "the mapping says this file is not imported: {}",
            mapping.source.reason.as_deref().unwrap_or_default()
        ));
    }
    let prepared = Prepared::new(mapping)?;
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    let mut missing = Vec::new();
    for (field, col) in prepared.columns() {
        match table.column(col) {
            Some(i) => {
                index.insert(col.to_owned(), i);
            }
            None if !index.contains_key(col) => missing.push(format!("{col:?} ({field})")),
            None => {}
        }
    }
    missing.dedup();
    if !missing.is_empty() {
        return Err(format!(
            "the table has no column {}; its columns are: {}",
            missing.join(", "),
            table.columns.join(", ")
        ));
    }
    let drop_invalid: Vec<&str> = mapping
        .clean
        .drop_invalid
        .iter()
        .map(String::as_str)
        .collect();

    let id_column = prepared
        .fields
        .get("id")
        .map_or_else(|| "id".to_owned(), |f| f.column.clone());
    // One record read into its own report (and the asset id it would have, to find ids used twice
    // once every record is read): the records are read on every core.
    // (The asset is returned beside the report, not in it: a million one-asset vectors would
    // each reserve room for four.)
    type RowRead = (ImportRead, Option<Asset>, Option<(String, String)>);
    let read_row = |i: usize, record: &Record| -> RowRead {
        let mut read = ImportRead::default();
        let mut made: Option<Asset> = None;
        let mut id_key: Option<(String, String)> = None;

        let row = i + 1;
        read.records += 1;
        let get = |col: &str| -> Option<String> {
            match col {
                "#row" => return Some(i.to_string()),
                "#file" => return table.file_name.clone(),
                _ => {}
            }
            let raw = record.cells.get(*index.get(col)?)?.as_deref()?;
            // Spaces collapsed (most cells have none to collapse: copied as they are).
            let tidy = !raw.starts_with(' ')
                && !raw.ends_with(' ')
                && !raw.contains("  ")
                && !raw.chars().any(|c| c.is_whitespace() && c != ' ');
            let mut v: String = if tidy {
                raw.to_owned()
            } else {
                raw.split(|c: char| c.is_whitespace() || c == '\u{a0}')
                    .filter(|w| !w.is_empty())
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            for (wrong, right) in &mapping.clean.replace {
                if v.contains(wrong.as_str()) {
                    v = v.replace(wrong.as_str(), right);
                }
            }
            if v.is_empty()
                || (!prepared.empty.is_empty() && prepared.empty.contains(&v.to_lowercase()))
            {
                return None;
            }
            match mapping.rename.get(col).and_then(|r| lookup(r, &v)) {
                Some(to) => Some(to.clone()),
                None => Some(v),
            }
        };
        let values = |field: &str| -> Vec<String> {
            prepared.fields.get(field).map_or_else(Vec::new, |f| {
                f.pieces.iter().filter_map(|p| render(p, &get)).collect()
            })
        };
        let text = |field: &str| -> Option<String> {
            let f = prepared.fields.get(field)?;
            let vs = values(field);
            match f.join {
                Some(sep) if !vs.is_empty() => Some(vs.join(sep)),
                _ => vs.into_iter().next(),
            }
        };
        let list = |field: &str| -> Vec<String> {
            values(field)
                .iter()
                .flat_map(|v| {
                    split_values(v)
                        .into_iter()
                        .map(str::to_owned)
                        .collect::<Vec<_>>()
                })
                .collect()
        };
        let column = |field: &str| -> String {
            prepared
                .fields
                .get(field)
                .map(|f| f.column.clone())
                .unwrap_or_else(|| field.to_owned())
        };
        let mut problems: Vec<(String, String)> = Vec::new();
        let mut problem = |field: &str, reason: String| problems.push((column(field), reason));

        let raw_id = text("id");
        let id = match &raw_id {
            None => {
                problem("id", "is empty; every row needs its own id".into());
                None
            }
            Some(raw) => match AssetId::parse(&format!("{}:{raw}", mapping.source.id_prefix)) {
                Ok(id) => {
                    id_key = Some((id.as_str().to_owned(), raw.clone()));
                    Some(id)
                }
                Err(e) => {
                    problem("id", format!("{raw:?}: {}", e.problem));
                    None
                }
            },
        };

        let mut draft = AssetDraft {
            name: text("name")
                .or_else(|| prepared.default_name.as_ref().and_then(|p| render(p, &get))),
            description: text("description"),
            // Address parts (comma-separated, from one column or several) tidied and joined.
            address: text("address").and_then(|a| {
                let parts: Vec<&str> = a
                    .split(',')
                    .map(str::trim)
                    .filter(|p| !p.is_empty() && !prepared.empty.contains(&p.to_lowercase()))
                    .collect();
                (!parts.is_empty()).then(|| parts.join(", "))
            }),
            postcode: text("postcode"),
            ..AssetDraft::default()
        };
        draft.contact.phone = text("phone").map(|p| {
            let leading_zero = mapping.clean.phone_leading_zero
                && p.len() == 10
                && p.chars().all(|c| c.is_ascii_digit())
                && !p.starts_with('0');
            if leading_zero {
                format!("0{p}")
            } else {
                p
            }
        });
        draft.contact.email = text("email");
        draft.contact.website = text("website").map(|w| web_address(&w));
        let mut tags: Vec<String> = mapping.defaults.tags.clone();
        tags.extend(list("tags"));

        // Categories: mapped words, else our own slugs, else the default.
        for raw in list("categories") {
            match lookup(&mapping.values.categories, &raw) {
                Some(slugs) => draft.categories.extend(slugs.iter().cloned()),
                None if Category::parse(&raw).is_ok() => draft.categories.push(raw.clone()),
                None => problem(
                    "categories",
                    format!("{raw:?} is not mapped; add it under [values.categories] (e.g. \"{raw}\" = [\"community_groups\"]) or use a category slug"),
                ),
            }
        }
        if draft.categories.is_empty() {
            draft.categories = mapping.defaults.categories.clone();
        }
        draft.abcd_type = match text("abcd_type") {
            Some(raw) => match lookup(&mapping.values.abcd_type, &raw) {
                Some(v) => Some(v.clone()),
                None if AbcdType::parse(&raw).is_ok() => Some(raw.clone()),
                None => {
                    problem("abcd_type", format!("{raw:?} is not mapped; add it under [values.abcd_type] or use one of association, institution, physical_space, economy, culture"));
                    None
                }
            },
            None => mapping.defaults.abcd_type.clone(),
        };
        for raw in list("access") {
            match lookup(&mapping.values.access, &raw) {
                Some(v) => draft.access.extend(v.iter().cloned()),
                None if AccessFeature::parse(&raw).is_ok() => draft.access.push(raw.clone()),
                None => problem(
                    "access",
                    format!("{raw:?} is not mapped; add it under [values.access]"),
                ),
            }
        }
        if let Some(raw) = text("cost") {
            match lookup(&mapping.values.cost, &raw) {
                Some(band) => {
                    draft.cost = Some(CostDraft {
                        band: band.clone(),
                        detail: Some(raw.clone()),
                    })
                }
                None if CostBand::parse(&raw).is_ok() => {
                    draft.cost = Some(CostDraft {
                        band: raw.clone(),
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
        draft.status = match text("status") {
            Some(raw) => match lookup(&mapping.values.status, &raw) {
                Some(v) => Some(v.clone()),
                None if Status::parse(&raw).is_ok() => Some(raw.clone()),
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
        if let Some(raw) = text("opening_times") {
            match assetmap_core::schedule_text::parse_opening_text(&raw) {
                Ok(times) => draft.opening_times = OpeningTimesDraft::from(&times),
                Err(e) => problem("opening_times", format!("{raw:?}: {}", e.problem)),
            }
        }
        if let Some(note) = text("opening_note") {
            draft.opening_times.note = Some(match draft.opening_times.note.take() {
                Some(n) => format!("{n}; {note}"),
                None => note,
            });
        }
        // Who it is for.
        for (field, slot) in [("min_age", 0), ("max_age", 1)] {
            if let Some(raw) = text(field) {
                match raw.parse::<i64>() {
                    Ok(n) if slot == 0 => draft.audience.min_age = Some(n),
                    Ok(n) => draft.audience.max_age = Some(n),
                    Err(_) => problem(field, format!("{raw:?} is not a whole number of years")),
                }
            }
        }
        if let Some(t) = text("ages_text") {
            if let (Some(lo), hi) = ages_from_text(&t) {
                draft.audience.min_age.get_or_insert(lo);
                if let Some(hi) = hi {
                    draft.audience.max_age.get_or_insert(hi);
                }
            }
        }
        draft.audience.description = text("audience");
        // Value rules on any column.
        for (col, template, matchers) in &prepared.when {
            let cell = match template {
                Some(parts) => render(parts, &get),
                None => get(col),
            };
            let Some(cell) = cell else { continue };
            for (m, o) in matchers {
                if !m.matches(&cell) {
                    continue;
                }
                draft.categories.extend(o.categories.iter().cloned());
                tags.extend(o.tags.iter().cloned());
                draft.access.extend(o.access.iter().cloned());
                if let Some(band) = &o.cost {
                    draft.cost = Some(CostDraft {
                        band: band.clone(),
                        detail: Some(o.cost_detail.clone().unwrap_or_else(|| cell.clone())),
                    });
                }
                if let Some(t) = &o.abcd_type {
                    draft.abcd_type = Some(t.clone());
                }
                if let Some(a) = &o.audience {
                    draft.audience.description = Some(a.clone());
                }
            }
        }
        // Word rules.
        for r in &prepared.rules {
            let text: Vec<String> = r.pieces.iter().filter_map(|p| render(p, &get)).collect();
            let text = text.join(" . ");
            let text = match &r.except {
                Some(x) => x.replace_all(&text, " ").into_owned(),
                None => text,
            };
            let mut found = false;
            for c in r.words.captures_iter(&text) {
                found = true;
                if r.rule.tag_words {
                    tags.push(c[1].to_lowercase());
                }
            }
            if found {
                draft.categories.extend(r.rule.categories.iter().cloned());
                tags.extend(r.rule.tags.iter().cloned());
            }
        }
        let mut tags: Vec<String> = tags
            .into_iter()
            .map(|t| t.trim().to_lowercase())
            .filter(|t| (1..=50).contains(&t.chars().count()))
            .collect();
        tags.sort();
        tags.dedup();
        draft.tags = tags;
        draft.categories.sort();
        draft.categories.dedup();
        draft.access.sort();
        draft.access.dedup();

        // Where it is: the record's own geometry, else lon/lat, else easting/northing, else
        // the postcode's centroid.
        let number = |field: &str| text(field).map(|v| v.replace(',', "").parse::<f64>());
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
        let mut outside: Option<String> = None;
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
                _ => match text("postcode").map(|p| Postcode::parse(&p)) {
                    Some(Ok(pc)) => match (ctx.geocode)(&pc) {
                        Some(at) => (Some((at.lon(), at.lat())), "postcode_centroid"),
                        None if mapping.filter.inside_place => {
                            outside = Some(format!(
                                "{pc} is not in the place's postcode table: outside the place"
                            ));
                            (None, "")
                        }
                        None => {
                            problem("postcode", format!("{pc} is not in the place's postcode table, and the row has no coordinates"));
                            (None, "")
                        }
                    },
                    Some(Err(e)) if mapping.filter.inside_place => {
                        outside = Some(format!("cannot be placed inside the place: {}", e.problem));
                        (None, "")
                    }
                    Some(Err(e)) => {
                        problem("postcode", e.problem);
                        (None, "")
                    }
                    None if mapping.filter.inside_place => {
                        outside = Some(
                            "cannot be placed inside the place: no coordinates and no postcode"
                                .into(),
                        );
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
        if let (true, Some(inside), Some((x, y))) =
            (mapping.filter.inside_place, ctx.inside_place, location)
        {
            if LonLat::new(x, y).is_ok_and(|at| !inside(at)) {
                outside = Some(format!("({x}, {y}) is outside the place"));
            }
        }
        if let Some(reason) = outside {
            read.left_out.push(ImportProblem {
                record: row,
                id: raw_id.clone(),
                field: if method.is_empty() {
                    column("postcode")
                } else {
                    "location".to_owned()
                },
                reason,
            });
            return (read, made, id_key);
        }
        draft.provenance = assetmap_core::Provenance {
            source: Some(mapping.source.name.clone()),
            source_id: text("source_id").or_else(|| raw_id.clone()),
            licence: Some(mapping.source.licence.clone()),
            attribution: mapping.source.attribution.clone(),
            geocode_method: (!method.is_empty()).then(|| method.to_owned()),
        };

        if problems.is_empty() {
            if let Some(id) = id {
                match validate_dropping(draft, location, &drop_invalid) {
                    Ok((valid, dropped)) => {
                        made = Some(Asset::create(id, valid, now));
                        read.dropped
                            .extend(dropped.into_iter().map(|d| ImportProblem {
                                record: row,
                                id: raw_id.clone(),
                                field: column(&d.field),
                                reason: format!("{:?} dropped: {}", d.value, d.reason),
                            }));
                    }
                    Err(errors) => {
                        for e in errors.errors() {
                            problems.push((field_column(&e.field, &prepared), e.problem.clone()));
                        }
                    }
                }
                if problems.is_empty() {
                    return (read, made, id_key);
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
        (read, made, id_key)
    };
    let rows = read_rows(&table.records, &read_row);
    let mut read = ImportRead::default();
    let mut seen = std::collections::HashSet::new();
    read.assets.reserve(rows.len());
    for (i, (mut row, mut made, key)) in rows.into_iter().enumerate() {
        if let Some((key, raw)) = key {
            if !seen.insert(key.clone()) && row.left_out.is_empty() {
                // An id used by an earlier record too: this one is rejected.
                if row.rejected == 0 {
                    made = None;
                    row.dropped.clear();
                    row.rejected = 1;
                }
                row.problems.insert(
                    0,
                    ImportProblem {
                        record: i + 1,
                        id: Some(raw.clone()),
                        field: id_column.clone(),
                        reason: format!(
                            "{raw:?} is the id of an earlier row too ({key}); ids must be unique"
                        ),
                    },
                );
            }
        }
        read.records += row.records;
        read.assets.extend(made);
        read.problems.append(&mut row.problems);
        read.rejected += row.rejected;
        read.left_out.append(&mut row.left_out);
        read.dropped.append(&mut row.dropped);
    }
    Ok(read)
}

/// A value [`validate_dropping`] dropped: the field (`phone`, `email`, `website`, `postcode`),
/// the value, and why it was invalid.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DroppedValue {
    pub field: String,
    pub value: String,
    pub reason: String,
}

/// Validates `draft`; when every error is in a field `drop_invalid` names (of `phone`,
/// `email`, `website`, `postcode`: `[clean] drop_invalid`), drops those values and validates
/// again, once. The draft's errors otherwise.
pub(crate) fn validate_dropping(
    mut draft: AssetDraft,
    location: Option<(f64, f64)>,
    drop_invalid: &[&str],
) -> Result<(assetmap_core::ValidAssetDraft, Vec<DroppedValue>), assetmap_core::ValidationErrors> {
    fn slot<'d>(draft: &'d mut AssetDraft, head: &str) -> Option<&'d mut Option<String>> {
        match head {
            "phone" => Some(&mut draft.contact.phone),
            "email" => Some(&mut draft.contact.email),
            "website" => Some(&mut draft.contact.website),
            "postcode" => Some(&mut draft.postcode),
            _ => None,
        }
    }
    let errors = match draft.clone().validate(location) {
        Ok(valid) => return Ok((valid, Vec::new())),
        Err(errors) => errors,
    };
    let head = |field: &str| field.trim_start_matches("contact.").to_owned();
    let droppable = errors.errors().iter().all(|e| {
        let h = head(&e.field);
        drop_invalid.contains(&h.as_str()) && slot(&mut draft, &h).is_some()
    });
    if !droppable {
        return Err(errors);
    }
    let mut dropped = Vec::new();
    for e in errors.errors() {
        let h = head(&e.field);
        let value = slot(&mut draft, &h)
            .and_then(Option::take)
            .unwrap_or_default();
        dropped.push(DroppedValue {
            field: h,
            value,
            reason: e.problem.clone(),
        });
    }
    draft.validate(location).map(|valid| (valid, dropped))
}

/// The column behind a validation error's field (`contact.email` → the email column).
fn field_column(field: &str, prepared: &Prepared<'_>) -> String {
    let head = field
        .split(['.', '['])
        .find(|p| !p.is_empty() && *p != "contact" && *p != "properties")
        .unwrap_or(field);
    let head = match head {
        "coordinates" | "geometry" => "lon",
        "audience" => "min_age",
        other => other,
    };
    prepared
        .fields
        .get(head)
        .map(|f| f.column.clone())
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

/// Words other directories use for a kind of place (OpenStreetMap's amenity and leisure values
/// among them) that are not among the vocabulary's own keywords, with the category a draft
/// mapping proposes for them.
const DIRECTORY_WORDS: [(&str, Category); 16] = [
    ("cafe", Category::Food),
    ("café", Category::Food),
    ("restaurant", Category::Food),
    ("community centre", Category::CommunityGroups),
    ("community center", Category::CommunityGroups),
    ("social facility", Category::CareSupport),
    ("playground", Category::ChildrenFamilies),
    ("nursery", Category::ChildrenFamilies),
    ("kindergarten", Category::ChildrenFamilies),
    ("sports centre", Category::PhysicalActivitySport),
    ("pitch", Category::PhysicalActivitySport),
    ("pharmacy", Category::HealthServices),
    ("doctors", Category::HealthServices),
    ("dentist", Category::HealthServices),
    ("arts centre", Category::ArtsHeritage),
    ("townhall", Category::PublicServices),
];

/// The category a source word most likely means: our slug, one of a category's keywords (the
/// vocabulary's: "park", "library", "theatre"…), a common directory word ("cafe",
/// "community_centre", "playground"), its label, or a word of its label.
fn guess_category(raw: &str) -> Option<Category> {
    if let Ok(c) = Category::parse(raw) {
        return Some(c);
    }
    let want = raw.trim().to_lowercase().replace(['_', '-'], " ");
    if let Some((_, c)) = DIRECTORY_WORDS.iter().find(|(w, _)| *w == want) {
        return Some(*c);
    }
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
    fn a_large_table_read_on_several_threads_keeps_order_and_finds_an_id_used_twice() {
        let mapping = Mapping::from_toml(
            "[source]\nname = \"A\"\nlicence = \"OGL-3.0\"\nid_prefix = \"a\"\n\
             [columns]\nid = \"Ref\"\nname = \"Name\"\nlon = \"X\"\nlat = \"Y\"\n\
             [defaults]\nabcd_type = \"association\"\ncategories = [\"community_groups\"]\n",
        )
        .unwrap();
        let mut csv = String::from("Ref,Name,X,Y\n");
        for i in 0..12_000 {
            // Row 11,001 (0-based 11,000) reuses the id of row 6; row 9,001 has no name.
            let id = if i == 11_000 { 5 } else { i };
            let name = if i == 9_000 {
                String::new()
            } else {
                format!("Group {i}")
            };
            csv.push_str(&format!("{id},{name},-2.3,53.4\n"));
        }
        let read =
            read_csv_import(csv.as_bytes(), &mapping, &|_| None, chrono::Utc::now()).unwrap();
        assert_eq!((read.records, read.rejected), (12_000, 2));
        assert_eq!(read.assets.len(), 11_998);
        let records: Vec<usize> = read.problems.iter().map(|p| p.record).collect();
        assert_eq!(records, [9_001, 11_001], "{:?}", read.problems);
        assert_eq!(read.problems[1].field, "Ref");
        assert!(read.problems[1].reason.contains("earlier row"));
        let ids: Vec<&str> = read.assets.iter().map(|a| a.id.as_str()).collect();
        let expected: Vec<String> = (0..12_000)
            .filter(|i| *i != 9_000 && *i != 11_000)
            .map(|i| format!("a:{i}"))
            .collect();
        assert_eq!(ids, expected, "the assets in the table's order");
    }

    #[test]
    fn a_suggested_mapping_reads_back_and_places_the_common_columns() {
        let csv = "Ref,Organisation,Type,Easting,Northing,Post Code,Tel,Notes\n\
                   1,Cafe,Food bank,377000,390000,M33 7XY,0161,\n\
                   2,Park,Parks and gardens; Food bank,377000,390000,,,\n\
                   3,X,Something odd,377000,390000,,,\n";
        let toml = suggest_mapping(csv.as_bytes(), "Anytown directory", 1000).unwrap();
        let m = Mapping::from_toml(&toml).unwrap();
        assert_eq!(
            m.columns.id.as_ref().and_then(FieldSpec::column),
            Some("Ref")
        );
        assert_eq!(
            m.columns.name.as_ref().and_then(FieldSpec::column),
            Some("Organisation")
        );
        assert_eq!(
            m.columns.easting.as_ref().and_then(FieldSpec::column),
            Some("Easting")
        );
        assert_eq!(
            m.columns.postcode.as_ref().and_then(FieldSpec::column),
            Some("Post Code")
        );
        assert_eq!(
            m.columns.phone.as_ref().and_then(FieldSpec::column),
            Some("Tel")
        );
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
        assert_eq!(
            m.columns.name.as_ref().and_then(FieldSpec::column),
            Some("Name")
        );
        assert_eq!(
            m.values.categories.get("Food bank"),
            Some(&vec!["food".to_owned()]),
            "{toml}"
        );
        assert!(m.columns.lon.is_none(), "the geometry places the records");
    }

    fn rich(extra: &str) -> Mapping {
        Mapping::from_toml(&format!(
            r##"
            [source]
            name = "Anytown"
            licence = "OGL-3.0"
            id_prefix = "any"
            [columns]
            id = "#row"
            name = "name"
            lon = "x"
            lat = "y"
            [defaults]
            abcd_type = "association"
            categories = ["community_groups"]
            {extra}
            "##
        ))
        .unwrap()
    }

    fn read_rich(mapping: &Mapping, csv: &str) -> ImportRead {
        read_mapped(
            &read_csv_table(csv.as_bytes()).unwrap(),
            mapping,
            &|_| None,
            chrono::Utc::now(),
        )
        .unwrap()
    }

    #[test]
    fn when_rules_match_values_any_value_and_numbers() {
        let m = rich(
            r#"
            [when.low]
            "<16" = { categories = ["children_families"] }
            [when.kind]
            "Nursing homes" = { tags = ["nursing home"] }
            "*" = { tags = ["typed"] }
            [when.sex]
            "Girls" = { audience = "Girls only" }
            "#,
        );
        let read = read_rich(
            &m,
            "name,x,y,low,kind,sex\nA,0,0,4,Residential homes|Nursing homes,Girls\nB,0,0,16,,Mixed\n",
        );
        let (a, b) = (&read.assets[0], &read.assets[1]);
        let cats = |x: &Asset| x.categories.iter().map(|c| c.slug()).collect::<Vec<_>>();
        assert!(cats(a).contains(&"children_families"));
        assert!(!cats(b).contains(&"children_families"));
        let tags: Vec<String> = a.tags.iter().map(|t| t.to_string()).collect();
        assert_eq!(tags, ["nursing home", "typed"]);
        assert!(b.tags.is_empty());
        assert_eq!(a.audience.description(), Some("Girls only"));
        assert_eq!(b.audience.description(), None);
    }

    #[test]
    fn text_the_source_garbled_is_put_right_before_anything_reads_it() {
        let m = Mapping::from_toml(
            r##"
            [source]
            name = "Anytown"
            licence = "OGL-3.0"
            id_prefix = "any"
            [columns]
            id = "#row"
            name = "name"
            description = "{notes|sentence}"
            lon = "x"
            lat = "y"
            [defaults]
            abcd_type = "association"
            categories = ["children_families"]
            [[words]]
            in = ["notes"]
            words = ["crèches?"]
            tags = ["childcare"]
            [clean]
            replace = { "+¿" = "è", "ÔÇÓ" = "•", "-ú" = "£" }
            "##,
        )
        .unwrap();
        let read = read_rich(
            &m,
            "name,x,y,notes\nFamily centre,0,0,Drop-ins; cr+¿ches ÔÇÓ -ú20 a term\nPlain,0,0,Open +5 -1\n",
        );
        let a = &read.assets[0];
        assert_eq!(
            a.description.as_deref(),
            Some("Drop-ins; crèches • £20 a term.")
        );
        assert!(a.tags.iter().any(|t| t.to_string() == "childcare"));
        // Text without the garbled characters is left as it is.
        assert_eq!(read.assets[1].description.as_deref(), Some("Open +5 -1."));
        // Nothing to replace is refused when the mapping is read, not put between every letter.
        let empty = Mapping::from_toml(
            r##"
            [source]
            name = "Anytown"
            licence = "OGL-3.0"
            id_prefix = "any"
            [columns]
            id = "#row"
            name = "name"
            [clean]
            replace = { "" = "x" }
            "##,
        )
        .unwrap_err();
        assert!(
            empty.contains("[clean] replace has an empty text"),
            "{empty}"
        );
    }

    #[test]
    fn a_when_rule_on_a_template_needs_every_column_it_names() {
        let m = rich(
            r#"
            [when."{entrance} {activity}"]
            "Yes Yes" = { access = ["step_free"] }
            [when.entrance]
            "Yes" = { tags = ["entrance"] }
            [clean]
            empty = ["NA"]
            "#,
        );
        let read = read_rich(
            &m,
            "name,x,y,entrance,activity\nA,0,0,Yes,Yes\nB,0,0,Yes,No\nC,0,0,No,Yes\nD,0,0,Yes,NA\nE,0,0,yes,YES\n",
        );
        let step_free: Vec<bool> = read
            .assets
            .iter()
            .map(|a| a.access.iter().any(|x| x.slug() == "step_free"))
            .collect();
        assert_eq!(step_free, [true, false, false, false, true]);
        // The plain column's rule still reads the column alone.
        assert_eq!(read.assets[1].tags.len(), 1);
        // The template's columns must be in the table, as a plain column's must.
        let err = read_mapped(
            &read_csv_table("name,x,y,entrance\nA,0,0,Yes\n".as_bytes()).unwrap(),
            &m,
            &|_| None,
            chrono::Utc::now(),
        )
        .unwrap_err();
        assert!(err.contains("\"activity\" (in [when])"), "{err}");
        // A bad template is refused when the mapping is read.
        let bad = Mapping::from_toml(
            r##"
            [source]
            name = "Anytown"
            licence = "OGL-3.0"
            id_prefix = "any"
            [columns]
            id = "#row"
            name = "name"
            [when."{entrance"]
            "Yes" = { access = ["step_free"] }
            "##,
        )
        .unwrap_err();
        assert!(bad.contains("[when."), "{bad}");
    }

    #[test]
    fn word_rules_find_whole_words_but_not_the_exceptions() {
        let m = rich(
            r#"
            [[words]]
            in = ["name", "about"]
            words = ["learning", "church(?:es)?"]
            except = ["learning disabilit"]
            categories = ["learning"]
            tag_words = true
            "#,
        );
        let read = read_rich(
            &m,
            "name,x,y,about\nA,0,0,Adult learning at the Churches\nB,0,0,learning disability support\nC,0,0,Churchill\n",
        );
        let tags = |i: usize| -> Vec<String> {
            read.assets[i].tags.iter().map(|t| t.to_string()).collect()
        };
        assert_eq!(tags(0), ["churches", "learning"]);
        assert!(tags(1).is_empty() && tags(2).is_empty());
        assert!(read.assets[1]
            .categories
            .iter()
            .all(|c| c.slug() != "learning"));
    }

    #[test]
    fn ages_come_from_columns_or_from_words() {
        let m = rich("");
        let mut m2 = m.clone();
        m2.columns.min_age = Some(FieldSpec::One("lo".into()));
        m2.columns.max_age = Some(FieldSpec::One("hi".into()));
        m2.columns.ages_text = Some(FieldSpec::One("about".into()));
        let read = read_rich(
            &m2,
            "name,x,y,lo,hi,about\nA,0,0,3,11,\nB,0,0,,,For people aged between 16 and 25 (up to 30 with a disability)\nC,0,0,,,Aged 50 and over\nD,0,0,,,Aged birth to 5\nE,0,0,x,,\n",
        );
        let ages: Vec<(Option<u8>, Option<u8>)> = read
            .assets
            .iter()
            .map(|a| (a.audience.min_age(), a.audience.max_age()))
            .collect();
        assert_eq!(
            ages,
            [
                (Some(3), Some(11)),
                (Some(16), Some(30)),
                (Some(50), None),
                (Some(0), Some(5))
            ]
        );
        assert_eq!(
            (read.problems[0].record, read.problems[0].field.as_str()),
            (5, "lo")
        );
    }

    #[test]
    fn clean_ups_drop_placeholders_and_invalid_values_and_repair_what_they_can() {
        let m = rich(
            r#"
            [clean]
            empty = ["NA", "00000 000000"]
            phone_leading_zero = true
            drop_invalid = ["email", "website"]
            [rename.kind]
            "Academies" = "Academy"
            "#,
        );
        let mut m = m;
        m.columns.phone = Some(FieldSpec::One("tel".into()));
        m.columns.email = Some(FieldSpec::One("mail".into()));
        m.columns.website = Some(FieldSpec::One("web".into()));
        m.columns.description = Some(FieldSpec::One("{kind|sentence}".into()));
        m.columns.address = Some(FieldSpec::Many(vec!["a1".into(), "a2".into()]));
        let read = read_rich(
            &m,
            "name,x,y,tel,mail,web,kind,a1,a2\n\
             A  two,0,0,1617486414,not an email,rslc.org.uk,Academies,\"1 High St,Sale\",NA\n\
             B,0,0,00000 000000,a@b.org,www.x.org,NA,NA,\n",
        );
        assert_eq!(read.rejected, 0, "{:?}", read.problems);
        let (a, b) = (&read.assets[0], &read.assets[1]);
        assert_eq!(a.name.as_str(), "A two");
        assert_eq!(a.contact.phone.as_ref().unwrap().to_string(), "01617486414");
        assert!(a.contact.email.is_none());
        assert_eq!(
            a.contact.website.as_ref().unwrap().to_string(),
            "https://rslc.org.uk"
        );
        assert_eq!(a.description.as_deref(), Some("Academy."));
        assert_eq!(a.address.as_deref(), Some("1 High St, Sale"));
        assert_eq!(read.dropped.len(), 1);
        assert_eq!(
            (read.dropped[0].record, read.dropped[0].field.as_str()),
            (1, "mail")
        );
        assert!(b.contact.phone.is_none() && b.description.is_none() && b.address.is_none());
        assert_eq!(
            b.contact.website.as_ref().unwrap().to_string(),
            "https://www.x.org"
        );
    }

    #[test]
    fn the_place_filter_leaves_records_out_rather_than_rejecting_them() {
        let mut m = rich("[filter]\ninside_place = true");
        m.columns.postcode = Some(FieldSpec::One("pc".into()));
        let table = read_csv_table(
            "name,x,y,pc\nIn,-2.3,53.4,\nOut,1.0,52.0,\nKnown,,,M33 7XY\nUnknown,,,M1 1AA\nNone,,,\n"
                .as_bytes(),
        )
        .unwrap();
        let at = LonLat::new(-2.31, 53.41).unwrap();
        let geocode = |pc: &Postcode| (pc.to_string() == "M33 7XY").then_some(at);
        let inside = |p: LonLat| p.lon() < 0.0;
        let ctx = MapContext {
            geocode: &geocode,
            inside_place: Some(&inside),
        };
        let read = read_mapped_with(&table, &m, &ctx, chrono::Utc::now()).unwrap();
        let names: Vec<&str> = read.assets.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["In", "Known"]);
        assert_eq!(read.rejected, 0);
        let out: Vec<usize> = read.left_out.iter().map(|p| p.record).collect();
        assert_eq!(out, [2, 4, 5]);
        // Without the filter, the same records are problems.
        m.filter.inside_place = false;
        let read = read_mapped_with(&table, &m, &ctx, chrono::Utc::now()).unwrap();
        assert_eq!((read.assets.len(), read.rejected), (3, 2));
    }

    #[test]
    fn a_mapping_may_say_its_file_is_not_imported_and_bad_templates_are_refused() {
        let m = Mapping::from_toml(
            "[source]\nname = \"X\"\nimport = false\nreason = \"entrances, not places\"\n",
        )
        .unwrap();
        let err = read_mapped(&Table::default(), &m, &|_| None, chrono::Utc::now()).unwrap_err();
        assert!(err.contains("entrances, not places"), "{err}");
        assert!(Mapping::from_toml("[source]\nname = \"X\"\nimport = false\n").is_err());
        for bad in ["{name|shout}", "{name", "[{name}", "{name}}"] {
            let toml = format!(
                "[source]\nname = \"X\"\nlicence = \"OGL-3.0\"\nid_prefix = \"x\"\n[columns]\nid = \"#row\"\nname = \"{{a}}\"\ndescription = \"{bad}\"\n"
            );
            let err = Mapping::from_toml(&toml).unwrap_err();
            assert!(err.contains("description"), "{bad}: {err}");
        }
        // A template's column must be in the table.
        let m = rich("");
        let mut m = m;
        m.columns.description = Some(FieldSpec::One("{nope} here".into()));
        let err = read_mapped(
            &read_csv_table("name,x,y\nA,0,0\n".as_bytes()).unwrap(),
            &m,
            &|_| None,
            chrono::Utc::now(),
        )
        .unwrap_err();
        assert!(err.contains("\"nope\" (for description)"), "{err}");
    }
}
