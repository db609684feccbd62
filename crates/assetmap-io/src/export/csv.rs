//! CSV for spreadsheets: UTF-8 with a byte-order mark, RFC 4180 quoting, one row per asset.
//!
//! Excel opens a UTF-8 CSV correctly only when it starts with a byte-order mark, so every file
//! here starts with one (`EF BB BF`); other readers (Python's `utf-8-sig`, GDAL, R) skip it.
//!
//! Every **text** cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
//! leading `'`: a spreadsheet would otherwise run it as a formula ("CSV injection"), and the
//! text of a community asset is written by the public (a phone number such as `+44 7946…` is
//! text too). The rule is applied in one place, `cell`, by column type: only the numeric
//! columns ([`NUMERIC_COLUMNS`]: ages, version, `lon`, `lat`) are written as they are, so a
//! negative longitude stays a number.

use super::{AreaCodes, ExportError, Table, AREA_COLUMNS};
use assetmap_core::{Asset, Language, Phone, Postcode, Tag, Website};
use std::borrow::Cow;
use std::io::Write;

/// The UTF-8 byte-order mark.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// What lists are joined with.
pub const LIST_SEPARATOR: &str = "; ";

/// The asset columns before the area codes.
const HEAD: [&str; 27] = [
    "id",
    "name",
    "description",
    "abcd_type",
    "categories",
    "tags",
    "address",
    "postcode",
    "phone",
    "email",
    "website",
    "opening_times",
    "opening_times_json",
    "by_arrangement",
    "cost_band",
    "cost_detail",
    "access",
    "min_age",
    "max_age",
    "audience",
    "languages",
    "verified_at",
    "status",
    "created_at",
    "updated_at",
    "version",
    "geocode_method",
];

/// The columns after the area codes.
const TAIL: [&str; 6] = [
    "source",
    "source_id",
    "licence",
    "attribution",
    "lon",
    "lat",
];

/// The asset columns that hold numbers: written as they are (a leading `-` is a sign).
pub const NUMERIC_COLUMNS: [&str; 5] = ["min_age", "max_age", "version", "lon", "lat"];

/// Every column of the asset CSV, in order: the asset's fields, the area codes
/// ([`AREA_COLUMNS`]), provenance (source, licence, attribution) and `lon`, `lat` last.
pub fn asset_columns() -> Vec<&'static str> {
    HEAD.iter()
        .chain(AREA_COLUMNS.iter())
        .chain(TAIL.iter())
        .copied()
        .collect()
}

/// Text a spreadsheet could take for a formula gets a leading `'`.
fn safe_text(s: &str) -> Cow<'_, str> {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{s}")),
        _ => Cow::Borrowed(s),
    }
}

/// A cell as written: text defused ([`safe_text`]), numbers as they are.
fn cell(numeric: bool, value: Cow<'_, str>) -> Cow<'_, str> {
    if numeric {
        return value;
    }
    match safe_text(&value) {
        Cow::Borrowed(_) => value,
        Cow::Owned(s) => Cow::Owned(s),
    }
}

fn opt(s: Option<&str>) -> Cow<'_, str> {
    Cow::Borrowed(s.unwrap_or(""))
}

fn joined<'a>(items: impl Iterator<Item = &'a str>) -> Cow<'a, str> {
    let v: Vec<&str> = items.collect();
    match v.as_slice() {
        [] => Cow::Borrowed(""),
        [one] => Cow::Borrowed(one),
        _ => Cow::Owned(v.join(LIST_SEPARATOR)),
    }
}

/// Writes assets as CSV rows, one at a time.
///
/// # Examples
/// ```
/// # use assetmap_core::*;
/// use assetmap_io::export::{csv::AssetCsvWriter, AreaCodes};
/// let draft = AssetDraft { name: Some("Hale Library".into()), abcd_type: Some("institution".into()),
///     categories: vec!["learning".into(), "arts_heritage".into()], ..Default::default() };
/// let asset = Asset::create(AssetId::parse("lib:1").unwrap(),
///     draft.validate(Some((-2.3456, 53.376))).unwrap(), chrono::Utc::now());
/// let mut w = AssetCsvWriter::new(Vec::new()).unwrap();
/// w.write(&asset, &AreaCodes { ward_code: Some("E05015239".into()), ..Default::default() }).unwrap();
/// let bytes = w.finish().unwrap();
/// assert!(bytes.starts_with(b"\xEF\xBB\xBFid,name,"));
/// let text = String::from_utf8(bytes).unwrap();
/// let row = text.lines().nth(1).unwrap();
/// assert!(row.starts_with("lib:1,Hale Library,,institution,"), "{row}");
/// assert!(row.contains("learning; arts_heritage") || row.contains("arts_heritage; learning"));
/// assert!(text.trim_end().ends_with(",-2.3456,53.376"));
/// ```
pub struct AssetCsvWriter<W: Write> {
    w: ::csv::Writer<W>,
    rows: u64,
    /// Per column, whether it holds numbers ([`NUMERIC_COLUMNS`]).
    numeric: Vec<bool>,
}

impl<W: Write> AssetCsvWriter<W> {
    /// Writes the byte-order mark and the header row.
    pub fn new(mut out: W) -> Result<Self, ExportError> {
        out.write_all(BOM)?;
        let mut w = ::csv::WriterBuilder::new()
            .terminator(::csv::Terminator::CRLF)
            .from_writer(out);
        let columns = asset_columns();
        w.write_record(&columns)?;
        let numeric = columns
            .iter()
            .map(|c| NUMERIC_COLUMNS.contains(c))
            .collect();
        Ok(Self {
            w,
            rows: 0,
            numeric,
        })
    }

    /// Writes one asset's row.
    pub fn write(&mut self, a: &Asset, areas: &AreaCodes) -> Result<(), ExportError> {
        let opening_json = serde_json::to_string(&a.opening_times)
            .map_err(|e| ExportError::Data(format!("opening times of {}: {e}", a.id)))?;
        let mut rec: Vec<Cow<'_, str>> = Vec::with_capacity(HEAD.len() + 8 + TAIL.len());
        rec.push(Cow::Borrowed(a.id.as_str()));
        rec.push(Cow::Borrowed(a.name.as_str()));
        rec.push(opt(a.description.as_deref()));
        rec.push(Cow::Borrowed(a.abcd_type.slug()));
        rec.push(joined(a.categories.iter().map(|c| c.slug())));
        rec.push(joined(a.tags.iter().map(Tag::as_str)));
        rec.push(opt(a.address.as_deref()));
        rec.push(Cow::Borrowed(
            a.postcode.as_ref().map_or("", Postcode::as_str),
        ));
        rec.push(Cow::Borrowed(
            a.contact.phone.as_ref().map_or("", Phone::as_str),
        ));
        rec.push(opt(a.contact.email.as_ref().map(|e| e.as_str())));
        rec.push(opt(a.contact.website.as_ref().map(Website::as_str)));
        rec.push(Cow::Owned(a.opening_times.describe()));
        rec.push(Cow::Owned(opening_json));
        rec.push(Cow::Borrowed(if a.opening_times.by_arrangement() {
            "true"
        } else {
            "false"
        }));
        rec.push(Cow::Borrowed(a.cost.as_ref().map_or("", |c| c.band.slug())));
        rec.push(opt(a.cost.as_ref().and_then(|c| c.detail.as_deref())));
        rec.push(joined(a.access.iter().map(|x| x.slug())));
        rec.push(Cow::Owned(
            a.audience
                .min_age()
                .map(|v| v.to_string())
                .unwrap_or_default(),
        ));
        rec.push(Cow::Owned(
            a.audience
                .max_age()
                .map(|v| v.to_string())
                .unwrap_or_default(),
        ));
        rec.push(opt(a.audience.description()));
        rec.push(joined(a.languages.iter().map(Language::as_str)));
        rec.push(Cow::Owned(
            a.verified_at
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
        ));
        rec.push(Cow::Borrowed(a.status.slug()));
        rec.push(Cow::Owned(
            a.created_at
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        ));
        rec.push(Cow::Owned(
            a.updated_at
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        ));
        rec.push(Cow::Owned(a.version.to_string()));
        rec.push(opt(a.provenance.geocode_method.as_deref()));
        for v in areas.values() {
            rec.push(Cow::Borrowed(v.unwrap_or("")));
        }
        rec.push(opt(a.provenance.source.as_deref()));
        rec.push(opt(a.provenance.source_id.as_deref()));
        rec.push(opt(a.provenance.licence.as_deref()));
        rec.push(opt(a.provenance.attribution.as_deref()));
        rec.push(Cow::Owned(a.location.lon().to_string()));
        rec.push(Cow::Owned(a.location.lat().to_string()));
        debug_assert_eq!(rec.len(), self.numeric.len());
        let cells = rec
            .into_iter()
            .zip(&self.numeric)
            .map(|(v, numeric)| cell(*numeric, v));
        self.w.write_record(cells.map(|c| c.into_owned()))?;
        self.rows += 1;
        Ok(())
    }

    /// Rows written so far (without the header).
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Flushes and gives back the writer.
    pub fn finish(self) -> Result<W, ExportError> {
        self.w
            .into_inner()
            .map_err(|e| ExportError::Io(std::io::Error::other(e.to_string())))
    }

    /// Flushes what is buffered to the underlying writer (for streaming in chunks).
    pub fn flush(&mut self) -> Result<(), ExportError> {
        Ok(self.w.flush()?)
    }
}

/// Writes a table of per-area figures as CSV (byte-order mark, header, one row per area;
/// geometries are left out).
///
/// # Examples
/// ```
/// use assetmap_io::export::{csv::write_table, Cell, CellType, Table, TableColumn, TableRow};
/// let t = Table {
///     columns: vec![TableColumn { name: "code".into(), ty: CellType::Text },
///                   TableColumn { name: "total".into(), ty: CellType::Integer }],
///     rows: vec![TableRow { geometry: serde_json::Value::Null,
///                           cells: vec![Cell::Text("E05015239".into()), Cell::Integer(42)] }],
/// };
/// let out = write_table(Vec::new(), &t).unwrap();
/// assert_eq!(out, b"\xEF\xBB\xBFcode,total\r\nE05015239,42\r\n");
/// ```
pub fn write_table<W: Write>(mut out: W, table: &Table) -> Result<W, ExportError> {
    out.write_all(BOM)?;
    let mut w = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(out);
    w.write_record(table.columns.iter().map(|c| c.name.as_str()))?;
    for row in &table.rows {
        w.write_record(row.cells.iter().map(|c| match c {
            super::Cell::Text(s) => safe_text(s).into_owned(),
            other => other.to_text(),
        }))?;
    }
    w.into_inner()
        .map_err(|e| ExportError::Io(std::io::Error::other(e.to_string())))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_formula_start_is_defused_in_text_but_not_in_numbers() {
        for start in ["=", "+", "-", "@", "\t", "\r"] {
            let text = format!("{start}1+1");
            assert_eq!(cell(false, Cow::Borrowed(&text)), format!("'{text}"));
            assert_eq!(cell(true, Cow::Borrowed(&text)), text);
        }
        assert_eq!(cell(false, Cow::Borrowed("Sale")), "Sale");
        assert_eq!(cell(false, Cow::Borrowed("")), "");
        assert_eq!(asset_columns().len(), 27 + 8 + 6);
        assert_eq!(asset_columns().last(), Some(&"lat"));
        assert!(NUMERIC_COLUMNS.iter().all(|c| asset_columns().contains(c)));
    }

    /// Each text field of an asset that a member of the public can write, starting with each
    /// formula character: every text cell of the row comes out defused, the coordinates stay
    /// numbers.
    #[test]
    fn no_text_cell_of_an_asset_row_starts_a_formula() {
        use assetmap_core::{AssetDraft, AssetId, ContactDraft, CostDraft};
        for start in ['=', '+', '-', '@'] {
            let t = |what: &str| format!("{start}{what}");
            let draft = AssetDraft {
                name: Some(t("HYPERLINK(\"http://x\")")),
                description: Some(t("desc")),
                abcd_type: Some("association".into()),
                categories: vec!["learning".into()],
                tags: vec![t("tag")],
                address: Some(t("1 Road")),
                contact: ContactDraft {
                    phone: Some("+44 161 912 3456".into()),
                    ..Default::default()
                },
                cost: Some(CostDraft {
                    band: "low".into(),
                    detail: Some(t("2 a session")),
                }),
                ..Default::default()
            };
            let valid = draft.validate(Some((-2.3456, 53.376))).unwrap();
            let a = Asset::create(AssetId::parse("x:1").unwrap(), valid, chrono::Utc::now());
            let mut w = AssetCsvWriter::new(Vec::new()).unwrap();
            w.write(&a, &AreaCodes::default()).unwrap();
            let bytes = w.finish().unwrap();
            let mut r = ::csv::Reader::from_reader(&bytes[BOM.len()..]);
            let header = r.headers().unwrap().clone();
            let row = r.records().next().unwrap().unwrap();
            for (column, value) in header.iter().zip(row.iter()) {
                if NUMERIC_COLUMNS.contains(&column) {
                    continue;
                }
                assert!(
                    !value.starts_with(['=', '+', '-', '@', '\t', '\r']),
                    "{column} = {value:?} starts a formula"
                );
            }
            let col = |name: &str| header.iter().position(|c| c == name).unwrap();
            assert_eq!(&row[col("phone")], "'+44 161 912 3456");
            assert_eq!(
                &row[col("name")],
                format!("'{start}HYPERLINK(\"http://x\")")
            );
            assert_eq!(&row[col("lon")], "-2.3456");
        }
    }
}
