//! How an [`Asset`] maps onto the flat columns of the `assets` layer, and back.
//!
//! Lists are `;`-separated (a `;` or `\` inside an item is escaped with `\`), timestamps are
//! ISO 8601 UTC, dates `YYYY-MM-DD`, opening times are JSON (plus a plain-words column for
//! people). Empty lists and absent values are SQL `NULL`. Reading parses every value back
//! into its validated type, so a hand-edited bad value is reported, never loaded.

use crate::schema::{Column, ColumnType};
use crate::GpkgError;
use assetmap_core::{
    AbcdType, AccessFeature, Asset, AssetId, AssetName, Audience, Category, Contact, Cost,
    CostBand, Email, FieldError, Language, LonLat, OpeningTimes, Phone, Postcode, Provenance,
    Status, Tag, Website,
};
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use rusqlite::types::{Value, ValueRef};
use rusqlite::Row;

const fn text(name: &'static str) -> Column<'static> {
    Column::new(name, ColumnType::Text)
}

/// The attribute columns of the `assets` layer, in the order of [`asset_values`] and
/// [`asset_from_row`]. `fid` and `geom` come before them.
pub const ASSET_COLUMNS: [Column<'static>; 31] = [
    text("asset_id").not_null().unique(),
    text("name").not_null(),
    text("description"),
    text("abcd_type").not_null(),
    text("categories").not_null(),
    text("tags"),
    text("address"),
    text("postcode"),
    text("phone"),
    text("email"),
    text("website"),
    text("opening_times").not_null(),
    text("opening_times_text").not_null(),
    Column::new("by_arrangement", ColumnType::Boolean).not_null(),
    text("cost_band"),
    text("cost_detail"),
    text("access"),
    Column::new("min_age", ColumnType::Integer),
    Column::new("max_age", ColumnType::Integer),
    text("audience"),
    text("languages"),
    text("source"),
    text("source_id"),
    text("licence"),
    text("attribution"),
    text("geocode_method"),
    Column::new("verified_at", ColumnType::Date),
    text("status").not_null(),
    text("created_at").not_null(),
    text("updated_at").not_null(),
    Column::new("version", ColumnType::Integer).not_null(),
];

/// `"geom", "asset_id", "name", …` for SELECT and INSERT statements, each name after
/// `prefix` (a table alias such as `"a."`, or `""`).
///
/// # Examples
/// ```
/// let s = assetmap_gpkg::select_list("a.");
/// assert!(s.starts_with("a.geom, a.asset_id, a.name,"));
/// assert!(s.ends_with(", a.version"));
/// ```
pub fn select_list(prefix: &str) -> String {
    let mut s = format!("{prefix}geom");
    for c in &ASSET_COLUMNS {
        s.push_str(&format!(", {prefix}{}", c.name));
    }
    s
}

/// Joins list items with `;`, escaping `;` and `\` inside an item (`["a", "b;c"]` →
/// `a;b\;c`); `None` for an empty list.
pub(crate) fn join_list<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> Option<String> {
    let mut out = String::new();
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(';');
        }
        for ch in item.as_ref().chars() {
            if ch == ';' || ch == '\\' {
                out.push('\\');
            }
            out.push(ch);
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Splits what [`join_list`] wrote. `NULL` or empty text is the empty list.
pub(crate) fn split_list(s: Option<&str>) -> Vec<String> {
    let Some(s) = s.filter(|s| !s.is_empty()) else {
        return Vec::new();
    };
    let mut items = vec![String::new()];
    let mut chars = s.chars();
    while let Some(ch) = chars.next() {
        match ch {
            '\\' => {
                if let (Some(next), Some(last)) = (chars.next(), items.last_mut()) {
                    last.push(next);
                }
            }
            ';' => items.push(String::new()),
            other => {
                if let Some(last) = items.last_mut() {
                    last.push(other);
                }
            }
        }
    }
    items
}

/// ISO 8601 UTC with `Z` and always nine fractional digits (`2025-03-14T15:09:26.535897932Z`):
/// exact to the nanosecond, and fixed width so the text sorts in time order.
///
/// The `created_at`/`updated_at` columns are TEXT, not GeoPackage DATETIME, on purpose:
/// DATETIME allows only milliseconds (`…:26.535Z`; GDAL warns of anything else), and the
/// store must give back exactly the timestamps it was given.
pub(crate) fn format_datetime(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

fn opt_text(s: Option<&str>) -> Value {
    s.map_or(Value::Null, |s| Value::Text(s.to_owned()))
}

fn opt_owned(s: Option<String>) -> Value {
    s.map_or(Value::Null, Value::Text)
}

/// The values of [`ASSET_COLUMNS`] for an asset, in order (bind them after the `geom` blob).
/// [`GpkgError::Unwritable`] for a version beyond `i64::MAX` (the only value SQLite cannot
/// hold).
pub fn asset_values(a: &Asset) -> Result<Vec<Value>, GpkgError> {
    let version = i64::try_from(a.version).map_err(|_| {
        GpkgError::Unwritable(format!(
            "asset {} has version {} beyond what SQLite can store",
            a.id, a.version
        ))
    })?;
    let opening_json = serde_json::to_string(&a.opening_times).map_err(|e| {
        GpkgError::Unwritable(format!("cannot write opening times of {}: {e}", a.id))
    })?;
    let values = vec![
        Value::Text(a.id.as_str().to_owned()),
        Value::Text(a.name.as_str().to_owned()),
        opt_text(a.description.as_deref()),
        Value::Text(a.abcd_type.slug().to_owned()),
        Value::Text(join_list(a.categories.iter().map(|c| c.slug())).unwrap_or_default()),
        opt_owned(join_list(a.tags.iter().map(Tag::as_str))),
        opt_text(a.address.as_deref()),
        opt_text(a.postcode.as_ref().map(Postcode::as_str)),
        opt_text(a.contact.phone.as_ref().map(Phone::as_str)),
        opt_text(a.contact.email.as_ref().map(Email::as_str)),
        opt_text(a.contact.website.as_ref().map(Website::as_str)),
        Value::Text(opening_json),
        Value::Text(a.opening_times.describe()),
        Value::Integer(i64::from(a.opening_times.by_arrangement())),
        opt_text(a.cost.as_ref().map(|c| c.band.slug())),
        opt_text(a.cost.as_ref().and_then(|c| c.detail.as_deref())),
        opt_owned(join_list(a.access.iter().map(|x| x.slug()))),
        a.audience
            .min_age()
            .map_or(Value::Null, |v| Value::Integer(i64::from(v))),
        a.audience
            .max_age()
            .map_or(Value::Null, |v| Value::Integer(i64::from(v))),
        opt_text(a.audience.description()),
        opt_owned(join_list(a.languages.iter().map(Language::as_str))),
        opt_text(a.provenance.source.as_deref()),
        opt_text(a.provenance.source_id.as_deref()),
        opt_text(a.provenance.licence.as_deref()),
        opt_text(a.provenance.attribution.as_deref()),
        opt_text(a.provenance.geocode_method.as_deref()),
        opt_owned(a.verified_at.map(|d| d.format("%Y-%m-%d").to_string())),
        Value::Text(a.status.slug().to_owned()),
        Value::Text(format_datetime(&a.created_at)),
        Value::Text(format_datetime(&a.updated_at)),
        Value::Integer(version),
    ];
    debug_assert_eq!(values.len(), ASSET_COLUMNS.len());
    Ok(values)
}

/// Reads the columns of one row, reporting a bad value with the asset id and column name.
struct Reader<'r, 's> {
    row: &'r Row<'s>,
    /// Index of the `geom` column; the attribute columns follow it.
    offset: usize,
    id: String,
}

impl Reader<'_, '_> {
    fn bad(&self, column: &str, why: impl std::fmt::Display) -> GpkgError {
        GpkgError::Unreadable(format!("asset {:?}: column {column}: {why}", self.id))
    }

    fn get_ref(&self, i: usize) -> Result<ValueRef<'_>, GpkgError> {
        self.row
            .get_ref(self.offset + 1 + i)
            .map_err(|e| self.bad(ASSET_COLUMNS[i].name, e))
    }

    fn opt_str(&self, i: usize) -> Result<Option<&str>, GpkgError> {
        match self.get_ref(i)? {
            ValueRef::Null => Ok(None),
            ValueRef::Text(t) => std::str::from_utf8(t)
                .map(Some)
                .map_err(|e| self.bad(ASSET_COLUMNS[i].name, e)),
            other => Err(self.bad(
                ASSET_COLUMNS[i].name,
                format!("expected text, found {:?}", other.data_type()),
            )),
        }
    }

    fn str(&self, i: usize) -> Result<&str, GpkgError> {
        self.opt_str(i)?
            .ok_or_else(|| self.bad(ASSET_COLUMNS[i].name, "is empty (NULL)"))
    }

    fn opt_string(&self, i: usize) -> Result<Option<String>, GpkgError> {
        Ok(self.opt_str(i)?.map(str::to_owned))
    }

    fn opt_int(&self, i: usize) -> Result<Option<i64>, GpkgError> {
        match self.get_ref(i)? {
            ValueRef::Null => Ok(None),
            ValueRef::Integer(v) => Ok(Some(v)),
            other => Err(self.bad(
                ASSET_COLUMNS[i].name,
                format!("expected an integer, found {:?}", other.data_type()),
            )),
        }
    }

    fn parse<T>(
        &self,
        i: usize,
        s: &str,
        parse: impl Fn(&str) -> Result<T, FieldError>,
    ) -> Result<T, GpkgError> {
        parse(s).map_err(|e| self.bad(ASSET_COLUMNS[i].name, e.problem))
    }

    fn opt_parse<T>(
        &self,
        i: usize,
        parse: impl Fn(&str) -> Result<T, FieldError>,
    ) -> Result<Option<T>, GpkgError> {
        self.opt_str(i)?
            .map(|s| self.parse(i, s, parse))
            .transpose()
    }

    fn list<T>(
        &self,
        i: usize,
        parse: impl Fn(&str) -> Result<T, FieldError>,
    ) -> Result<Vec<T>, GpkgError> {
        split_list(self.opt_str(i)?)
            .iter()
            .map(|s| self.parse(i, s, &parse))
            .collect()
    }

    fn datetime(&self, i: usize) -> Result<DateTime<Utc>, GpkgError> {
        let s = self.str(i)?;
        DateTime::parse_from_rfc3339(s)
            .map(|d| d.with_timezone(&Utc))
            .map_err(|e| self.bad(ASSET_COLUMNS[i].name, format!("{s:?}: {e}")))
    }

    fn age(&self, i: usize) -> Result<Option<u8>, GpkgError> {
        self.opt_int(i)?
            .map(|v| {
                u8::try_from(v)
                    .map_err(|_| self.bad(ASSET_COLUMNS[i].name, format!("{v} is not an age")))
            })
            .transpose()
    }
}

/// Reads an asset from a row whose column `offset` is `geom`, followed by [`ASSET_COLUMNS`]
/// (as [`select_list`] lists them). A value that does not parse back into its validated type
/// is [`GpkgError::Unreadable`], naming the asset and the column.
pub fn asset_from_row(row: &Row<'_>, offset: usize) -> Result<Asset, GpkgError> {
    let id: String = row
        .get(offset + 1)
        .map_err(|e| GpkgError::Unreadable(format!("column asset_id: {e}")))?;
    let r = Reader { row, offset, id };
    let geom = match row.get_ref(offset).map_err(|e| r.bad("geom", e))? {
        ValueRef::Blob(b) => b,
        other => {
            return Err(r.bad(
                "geom",
                format!(
                    "expected a GeoPackage geometry blob, found {:?}",
                    other.data_type()
                ),
            ))
        }
    };
    let (lon, lat) = crate::geometry::decode_point(geom).map_err(|e| r.bad("geom", e))?;
    let location = LonLat::new(lon, lat).map_err(|e| r.bad("geom", e.problem))?;

    let opening_json = r.str(11)?;
    let opening_times: OpeningTimes =
        serde_json::from_str(opening_json).map_err(|e| r.bad("opening_times", e))?;
    let cost = match r.opt_parse(14, CostBand::parse)? {
        Some(band) => Some(Cost {
            band,
            detail: r.opt_string(15)?,
        }),
        None => None,
    };
    let audience = Audience::new(r.age(17)?, r.age(18)?, r.opt_string(19)?)
        .map_err(|e| r.bad("audience", e))?;
    let version = r
        .opt_int(30)?
        .ok_or_else(|| r.bad("version", "is empty (NULL)"))?;
    let version =
        u64::try_from(version).map_err(|_| r.bad("version", format!("{version} is negative")))?;
    let verified_at = r
        .opt_str(26)?
        .map(|s| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map_err(|e| r.bad("verified_at", format!("{s:?}: {e}")))
        })
        .transpose()?;

    Ok(Asset {
        id: r.parse(0, &r.id, AssetId::parse)?,
        name: r.parse(1, r.str(1)?, AssetName::from_stored)?,
        description: r.opt_string(2)?,
        abcd_type: r.parse(3, r.str(3)?, AbcdType::parse)?,
        categories: r.list(4, Category::parse)?,
        tags: r.list(5, Tag::from_stored)?,
        location,
        address: r.opt_string(6)?,
        postcode: r.opt_parse(7, Postcode::parse)?,
        contact: Contact {
            phone: r.opt_parse(8, Phone::parse)?,
            email: r.opt_parse(9, Email::from_stored)?,
            website: r.opt_parse(10, Website::from_stored)?,
        },
        opening_times,
        cost,
        access: r.list(16, AccessFeature::parse)?,
        audience,
        languages: r.list(20, Language::parse)?,
        provenance: Provenance {
            source: r.opt_string(21)?,
            source_id: r.opt_string(22)?,
            licence: r.opt_string(23)?,
            attribution: r.opt_string(24)?,
            geocode_method: r.opt_string(25)?,
        },
        verified_at,
        status: r.parse(27, r.str(27)?, Status::parse)?,
        created_at: r.datetime(28)?,
        updated_at: r.datetime(29)?,
        version,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn lists_round_trip_with_separators_inside_items() {
        for items in [
            vec![],
            vec!["a"],
            vec!["a", "b"],
            vec!["x;y", r"back\slash", ""],
            vec!["", ""],
            vec![";", r"\"],
        ] {
            let joined = join_list(items.iter());
            let back = split_list(joined.as_deref());
            // An empty list and a list of one empty item both write as nothing; tags and slugs
            // are never empty, so that ambiguity cannot arise in the store.
            if items.iter().all(|s| s.is_empty()) && items.len() <= 1 {
                assert!(back.is_empty());
            } else {
                assert_eq!(back, items, "{joined:?}");
            }
        }
        assert_eq!(
            join_list(["arts_heritage", "food"]).as_deref(),
            Some("arts_heritage;food")
        );
    }

    #[test]
    fn datetimes_keep_every_nanosecond() {
        let base = Utc.with_ymd_and_hms(2025, 1, 2, 3, 4, 5).unwrap();
        assert_eq!(format_datetime(&base), "2025-01-02T03:04:05.000000000Z");
        for ns in [0, 1, 120_000_000, 123_456_000, 999_999_999] {
            let t = base + chrono::Duration::nanoseconds(ns);
            let back = DateTime::parse_from_rfc3339(&format_datetime(&t))
                .unwrap()
                .with_timezone(&Utc);
            assert_eq!(back, t);
        }
    }

    #[test]
    fn select_list_names_every_column_once() {
        let s = select_list("a.");
        assert!(s.starts_with("a.geom, a.asset_id"));
        assert_eq!(s.matches(", ").count(), ASSET_COLUMNS.len());
    }
}
