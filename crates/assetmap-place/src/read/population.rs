//! Mid-year population estimates: the bundled files (one row per area and sex) or the ONS
//! small-area tables (one row per area, single years of age by sex).

use super::{at_line, column, find_column, open_csv, read_headers};
use crate::error::PlaceError;
use crate::figures::Population;
use std::collections::HashMap;
use std::path::Path;

const BUNDLED_COLUMNS: &str =
    "area_code, sex (Persons rows are read), all_ages, aged_0_to_15, aged_16_to_64, aged_65_and_over";
const NOMIS_COLUMNS: &str = "geography code, age (All Ages, Age 0 … Aged 90+, or the bands 0 to 15, 16 to 64, 65 and over), value, and optionally gender (Total rows are read) and measures (Value rows are read)";
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
    } else if find_column(&h, &["geography code"]).is_some()
        && find_column(&h, &["age"]).is_some()
        && find_column(&h, &["value"]).is_some()
    {
        nomis(r, &h, path)
    } else {
        Err(PlaceError::new(format!(
            "The population file {} is neither the bundled shape ({BUNDLED_COLUMNS}), nor an ONS small-area estimates table ({ONS_COLUMNS}), nor a Nomis CSV ({NOMIS_COLUMNS})",
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

/// What a Nomis `age` label is.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Age {
    All,
    /// A single year; 90 is 90 and over.
    Year(u8),
    /// 0 to 15, 16 to 64, 65 and over: 0, 1, 2.
    Band(usize),
    /// Another band (quinary, 16 and over, …): not needed.
    Other,
}

fn age(label: &str) -> Age {
    let l = label.trim().to_ascii_lowercase();
    if l.starts_with("all") || l == "total" {
        return Age::All;
    }
    let numbers: Vec<u32> = l
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    let open = l.contains('+') || l.contains("over") || l.contains("older");
    match (numbers.as_slice(), open) {
        ([90], _) => Age::Year(90),
        ([n], false) => u8::try_from(*n).map_or(Age::Other, Age::Year),
        ([65], true) => Age::Band(2),
        ([0, 15], false) => Age::Band(0),
        ([16, 64], false) => Age::Band(1),
        _ => Age::Other,
    }
}

/// One area of a Nomis file, as it is read.
struct NomisArea {
    all: Option<u64>,
    years: [Option<u64>; 91],
    bands: [Option<u64>; 3],
}

impl Default for NomisArea {
    fn default() -> Self {
        NomisArea {
            all: None,
            years: [None; 91],
            bands: [None; 3],
        }
    }
}

/// Nomis's tidy CSV (`date, geography, geography code, gender, age, measures, value`): the
/// persons rows, from the single years of age (or, without them, the three bands).
fn nomis(
    mut r: csv::Reader<std::fs::File>,
    h: &csv::StringRecord,
    path: &Path,
) -> Result<HashMap<String, Population>, PlaceError> {
    let missing = |what: &str| {
        PlaceError::new(format!(
            "The population file {} has no {what} column; expected {NOMIS_COLUMNS}",
            path.display()
        ))
    };
    let code = find_column(h, &["geography code"]).ok_or_else(|| missing("geography code"))?;
    let age_col = find_column(h, &["age"]).ok_or_else(|| missing("age"))?;
    let value = find_column(h, &["value", "obs_value"]).ok_or_else(|| missing("value"))?;
    let gender = find_column(h, &["gender", "sex"]);
    let measures = find_column(h, &["measures", "measures_name"]);
    let mut areas: Vec<(String, NomisArea)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for rec in r.records() {
        let rec =
            rec.map_err(|e| PlaceError::context(format!("Failed to read {}", path.display()), e))?;
        let field = |i: Option<usize>| {
            i.and_then(|i| rec.get(i))
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        };
        if gender.is_some()
            && !matches!(
                field(gender).as_str(),
                "total" | "persons" | "all persons" | "total persons" | "people"
            )
        {
            continue;
        }
        if measures.is_some() && field(measures) != "value" {
            continue;
        }
        let area = rec.get(code).unwrap_or_default().trim();
        if area.is_empty() {
            continue;
        }
        let slot = *index.entry(area.to_owned()).or_insert_with(|| {
            areas.push((area.to_owned(), NomisArea::default()));
            areas.len() - 1
        });
        let n = count(&rec, value, path)?;
        let a = &mut areas[slot].1;
        match age(rec.get(age_col).unwrap_or_default()) {
            Age::All => a.all = Some(n),
            Age::Year(y) => {
                if let Some(v) = a.years.get_mut(usize::from(y)) {
                    *v = Some(n);
                }
            }
            Age::Band(b) => a.bands[b] = Some(n),
            Age::Other => {}
        }
    }
    if areas.is_empty() {
        return Err(PlaceError::new(format!(
            "The population file {} has no persons rows (gender Total, measures Value); expected {NOMIS_COLUMNS}",
            path.display()
        )));
    }
    let mut out = HashMap::with_capacity(areas.len());
    for (area, a) in areas {
        let p = if a.years.iter().any(Option::is_some) {
            if let Some(first_missing) = a.years.iter().position(Option::is_none) {
                return Err(PlaceError::new(format!(
                    "The population file {}: area {area} has single years of age but not age {first_missing}",
                    path.display()
                )));
            }
            let years = |range: std::ops::RangeInclusive<usize>| -> u64 {
                a.years
                    .get(range)
                    .unwrap_or_default()
                    .iter()
                    .flatten()
                    .sum()
            };
            Population {
                all_ages: years(0..=90),
                aged_0_to_15: years(0..=15),
                aged_16_to_64: years(16..=64),
                aged_65_and_over: years(65..=90),
            }
        } else if let [Some(c0), Some(c16), Some(c65)] = a.bands {
            Population {
                all_ages: c0 + c16 + c65,
                aged_0_to_15: c0,
                aged_16_to_64: c16,
                aged_65_and_over: c65,
            }
        } else {
            return Err(PlaceError::new(format!(
                "The population file {}: area {area} has neither the single years of age (Age 0 … Aged 90+) nor the bands 0 to 15, 16 to 64 and 65 and over (persons)",
                path.display()
            )));
        };
        let p = check_total(p, a.all, &area, path)?;
        out.insert(area, p);
    }
    Ok(out)
}

/// `p` when the stated all-ages count (if any) agrees with it.
fn check_total(
    p: Population,
    stated: Option<u64>,
    area: &str,
    path: &Path,
) -> Result<Population, PlaceError> {
    match stated {
        Some(all) if all != p.all_ages => Err(PlaceError::new(format!(
            "The population file {}: area {area} has All Ages {all} but its ages sum to {}",
            path.display(),
            p.all_ages
        ))),
        _ => Ok(p),
    }
}
