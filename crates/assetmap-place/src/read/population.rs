//! Mid-year population estimates: the bundled files (one row per area and sex) or the ONS
//! small-area tables (one row per area, single years of age by sex).

use super::{at_line, column, find_column, open_csv, read_headers};
use crate::error::PlaceError;
use crate::figures::Population;
use std::collections::HashMap;
use std::path::Path;

const BUNDLED_COLUMNS: &str =
    "area_code, sex (Persons rows are read), all_ages, aged_0_to_15, aged_16_to_64, aged_65_and_over";
const ONS_COLUMNS: &str =
    "a code column (LSOA 2021 Code, Ward 2023 Code, … or Code), Total, F0 … F90 and M0 … M90";

/// Reads a mid-year population file: persons by area code. Either the bundled shape (rows
/// with `sex` Persons) or an ONS small-area estimates table (single years by sex, summed).
pub(crate) fn population(path: &Path) -> Result<HashMap<String, Population>, PlaceError> {
    let mut r = open_csv(path, "population")?;
    let h = read_headers(&mut r, path)?;
    if h.iter().any(|c| c == "area_code") && h.iter().any(|c| c == "sex") {
        bundled(r, &h, path)
    } else if find_column(&h, &["Total"]).is_some() {
        single_years(r, &h, path)
    } else {
        Err(PlaceError::new(format!(
            "The population file {} is neither the bundled shape ({BUNDLED_COLUMNS}) nor an ONS small-area estimates table ({ONS_COLUMNS})",
            path.display()
        )))
    }
}

fn count(rec: &csv::StringRecord, i: usize, path: &Path) -> Result<u64, PlaceError> {
    let text = rec.get(i).unwrap_or_default().trim();
    // Tables saved from a spreadsheet may keep thousands separators.
    let digits: String = text.chars().filter(|&c| c != ',').collect();
    digits.parse().map_err(|e| {
        PlaceError::context(
            format!(
                "a count in {}{} ({text:?}) is not a whole number",
                path.display(),
                at_line(rec)
            ),
            e,
        )
    })
}

fn bundled(
    mut r: csv::Reader<std::fs::File>,
    h: &csv::StringRecord,
    path: &Path,
) -> Result<HashMap<String, Population>, PlaceError> {
    let column = |name: &str| {
        column(h, path, name).map_err(|e| {
            PlaceError::new(format!(
                "{e}; expected the bundled shape ({BUNDLED_COLUMNS}) or an ONS small-area estimates table ({ONS_COLUMNS})"
            ))
        })
    };
    let (code, sex, all, c0, c16, c65) = (
        column("area_code")?,
        column("sex")?,
        column("all_ages")?,
        column("aged_0_to_15")?,
        column("aged_16_to_64")?,
        column("aged_65_and_over")?,
    );
    let mut out = HashMap::new();
    for rec in r.records() {
        let rec =
            rec.map_err(|e| PlaceError::context(format!("Failed to read {}", path.display()), e))?;
        if rec.get(sex) != Some("Persons") {
            continue;
        }
        out.insert(
            rec.get(code).unwrap_or_default().to_owned(),
            Population {
                all_ages: count(&rec, all, path)?,
                aged_0_to_15: count(&rec, c0, path)?,
                aged_16_to_64: count(&rec, c16, path)?,
                aged_65_and_over: count(&rec, c65, path)?,
            },
        );
    }
    Ok(out)
}

/// The ONS small-area table: the area's code is the last `… Code` column before `Total` (the
/// LSOA's, when the LAD's comes first).
fn single_years(
    mut r: csv::Reader<std::fs::File>,
    h: &csv::StringRecord,
    path: &Path,
) -> Result<HashMap<String, Population>, PlaceError> {
    let missing = |what: &str| {
        PlaceError::new(format!(
            "The population file {} looks like an ONS small-area estimates table but has no {what} column; expected {ONS_COLUMNS} (or the bundled shape: {BUNDLED_COLUMNS})",
            path.display()
        ))
    };
    let total = find_column(h, &["Total"]).ok_or_else(|| missing("Total"))?;
    let code = (0..total)
        .rev()
        .find(|&i| {
            let c = h.get(i).unwrap_or_default().trim().to_ascii_lowercase();
            c == "code" || c.ends_with(" code")
        })
        .ok_or_else(|| missing("code (… Code)"))?;
    // (column, age) for both sexes.
    let mut ages = Vec::with_capacity(182);
    for sex in ["F", "M"] {
        for age in 0..=90u8 {
            let names = [format!("{sex}{age}"), format!("{sex}{age}+")];
            let i = find_column(h, &[&names[0], &names[1]]).ok_or_else(|| missing(&names[0]))?;
            ages.push((i, age));
        }
    }
    let mut out = HashMap::new();
    for rec in r.records() {
        let rec =
            rec.map_err(|e| PlaceError::context(format!("Failed to read {}", path.display()), e))?;
        let area = rec.get(code).unwrap_or_default().trim();
        if area.is_empty() {
            continue;
        }
        let mut p = Population::default();
        for &(i, age) in &ages {
            let n = count(&rec, i, path)?;
            p.all_ages += n;
            match age {
                0..=15 => p.aged_0_to_15 += n,
                16..=64 => p.aged_16_to_64 += n,
                _ => p.aged_65_and_over += n,
            }
        }
        let stated = count(&rec, total, path)?;
        if stated != p.all_ages {
            return Err(PlaceError::new(format!(
                "The population file {}{}: area {area} has Total {stated} but its single years of age sum to {}",
                path.display(),
                at_line(&rec),
                p.all_ages
            )));
        }
        out.insert(area.to_owned(), p);
    }
    Ok(out)
}
