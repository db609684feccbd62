//! The postcode table: the bundled extract (snake_case) or the ONS Postcode Directory / NSPL,
//! streamed record by record so that the national directory is never held whole.

use super::{at_line, find_column, open_csv, read_headers};
use crate::error::PlaceError;
use std::path::Path;

/// One row of the postcode table (an extract of the ONS Postcode Directory).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PostcodeRow {
    pub postcode: String,
    pub la_code: String,
    pub ward_code: String,
    /// Empty for the ONS Postcode Directory and NSPL (they have no names).
    pub ward_name: String,
    pub msoa_code: String,
    pub lsoa_code: String,
    pub lon: Option<f64>,
    pub lat: Option<f64>,
    /// The postcode has been terminated (`doterm` is set); always false for the bundled table.
    pub terminated: bool,
}

const BUNDLED_COLUMNS: &str =
    "postcode, ward_code, ward_name, msoa_code, lsoa_code, la_code, lon, lat";
const NATIONAL_COLUMNS: &str = "pcds (or pcd), lat, long, oslaua (or laua), osward (or ward), lsoa21 (or lsoa21cd), msoa21 (or msoa21cd), and optionally doterm";

/// Where each field is, in one of the two shapes.
struct Columns {
    postcode: usize,
    la: usize,
    ward: usize,
    ward_name: Option<usize>,
    msoa: usize,
    lsoa: usize,
    lon: usize,
    lat: usize,
    doterm: Option<usize>,
    /// ONSPD / NSPL: `99.999999` latitude means no grid reference.
    national: bool,
}

fn columns(h: &csv::StringRecord, path: &Path) -> Result<Columns, PlaceError> {
    let expected = || {
        format!("the bundled postcode table has columns {BUNDLED_COLUMNS}; the ONS Postcode Directory or NSPL has {NATIONAL_COLUMNS}")
    };
    let need = |names: &[&str], shape: &str| {
        find_column(h, names).ok_or_else(|| {
            PlaceError::new(format!(
                "The postcode table {} looks like {shape} but has no column {}; {}",
                path.display(),
                names.join(" or "),
                expected()
            ))
        })
    };
    if find_column(h, &["postcode"]).is_some() && find_column(h, &["la_code"]).is_some() {
        let shape = "the bundled extract";
        Ok(Columns {
            postcode: need(&["postcode"], shape)?,
            la: need(&["la_code"], shape)?,
            ward: need(&["ward_code"], shape)?,
            ward_name: Some(need(&["ward_name"], shape)?),
            msoa: need(&["msoa_code"], shape)?,
            lsoa: need(&["lsoa_code"], shape)?,
            lon: need(&["lon"], shape)?,
            lat: need(&["lat"], shape)?,
            doterm: None,
            national: false,
        })
    } else if find_column(h, &["pcds", "pcd"]).is_some() {
        let shape = "the ONS Postcode Directory or NSPL";
        Ok(Columns {
            postcode: need(&["pcds", "pcd"], shape)?,
            la: need(&["oslaua", "laua"], shape)?,
            ward: need(&["osward", "ward"], shape)?,
            ward_name: None,
            msoa: need(&["msoa21", "msoa21cd"], shape)?,
            lsoa: need(&["lsoa21", "lsoa21cd"], shape)?,
            lon: need(&["long"], shape)?,
            lat: need(&["lat"], shape)?,
            doterm: find_column(h, &["doterm"]),
            national: true,
        })
    } else {
        Err(PlaceError::new(format!(
            "The postcode table {} has neither a postcode and la_code column nor a pcds or pcd column: {}",
            path.display(),
            expected()
        )))
    }
}

fn set(field: &mut String, rec: &csv::StringRecord, i: usize) {
    field.clear();
    field.push_str(rec.get(i).unwrap_or_default().trim());
}

fn coordinate(
    rec: &csv::StringRecord,
    i: usize,
    name: &str,
    path: &Path,
) -> Result<Option<f64>, PlaceError> {
    let text = rec.get(i).unwrap_or_default().trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse().map(Some).map_err(|e| {
        PlaceError::context(
            format!(
                "The postcode table {}{}: {name} {text:?} is not a number",
                path.display(),
                at_line(rec)
            ),
            e,
        )
    })
}

/// The rows of the postcode table for which `keep` is true, in file order. The file is read
/// record by record (one reused record and row), so only the kept rows are ever held.
pub(crate) fn postcode_rows(
    path: &Path,
    keep: &mut dyn FnMut(&PostcodeRow) -> bool,
) -> Result<Vec<PostcodeRow>, PlaceError> {
    let mut r = open_csv(path, "the postcode table")?;
    let h = read_headers(&mut r, path)?;
    let c = columns(&h, path)?;
    let mut rec = csv::StringRecord::new();
    let mut row = PostcodeRow::default();
    let mut out = Vec::new();
    loop {
        let more = r.read_record(&mut rec).map_err(|e| {
            PlaceError::context(
                format!("Failed to read the postcode table {}", path.display()),
                e,
            )
        })?;
        if !more {
            break;
        }
        set(&mut row.postcode, &rec, c.postcode);
        set(&mut row.la_code, &rec, c.la);
        set(&mut row.ward_code, &rec, c.ward);
        match c.ward_name {
            Some(i) => set(&mut row.ward_name, &rec, i),
            None => row.ward_name.clear(),
        }
        set(&mut row.msoa_code, &rec, c.msoa);
        set(&mut row.lsoa_code, &rec, c.lsoa);
        row.lon = coordinate(&rec, c.lon, if c.national { "long" } else { "lon" }, path)?;
        row.lat = coordinate(&rec, c.lat, "lat", path)?;
        // ONSPD / NSPL: no grid reference is lat 99.999999, long 0.000000.
        if c.national && row.lat.is_some_and(|lat| lat > 90.0) {
            row.lon = None;
            row.lat = None;
        }
        row.terminated = c
            .doterm
            .is_some_and(|i| !rec.get(i).unwrap_or_default().trim().is_empty());
        if keep(&row) {
            out.push(row.clone());
        }
    }
    Ok(out)
}
