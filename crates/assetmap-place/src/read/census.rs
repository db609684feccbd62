//! Census 2021 tables by LSOA: the bundled long files (one row per area and category) or the
//! Nomis bulk files (one row per area, one column per category).

use super::{at_line, column, find_column, open_csv, read_headers};
use crate::error::PlaceError;
use crate::figures::NeedCounts;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Which census table feeds which need count: a file name, and a function that adds one
/// category's value to the counts and says whether the category was expected.
type Pick = fn(&mut NeedCounts, &str, u64) -> bool;

/// The four census 2021 tables behind the need indicators, by LSOA: each known by a word in
/// the name of its category column (`general_health`, `disability_category`, …).
const CENSUS_TABLES: [(&str, Pick); 4] = [
    ("general_health", |n, cat, v| {
        n.health_total += v;
        if cat == "Bad health" || cat == "Very bad health" {
            n.bad_health += v;
        }
        cat.ends_with("health")
    }),
    ("disability", |n, cat, v| {
        n.disability_total += v;
        if cat.starts_with("Disabled under the Equality Act") {
            n.disabled += v;
        }
        cat.contains("Equality Act")
    }),
    ("unpaid_care", |n, cat, v| {
        n.care_total += v;
        if cat != "Provides no unpaid care" {
            n.carers += v;
        }
        cat.starts_with("Provides")
    }),
    ("availability", |n, cat, v| {
        n.households += v;
        if cat == "No cars or vans in household" {
            n.no_car += v;
        }
        cat.ends_with("in household")
    }),
];

const LONG_COLUMNS: &str = "long (bundled): area_code, area_name, geography, period, indicator, <category column: general_health, disability_category, unpaid_care or availability_category>, measure, unit, value";
const WIDE_COLUMNS: &str = "wide (Nomis bulk): geography code and one column per category, with a Total, e.g. `General health: Total: All usual residents`, `Disability: Total: All usual residents`, `Provision of unpaid care: Total: All usual residents aged 5 and over`, `Number of cars or vans: Total: All households`";

/// Reads census tables by LSOA (the four of [`CENSUS_TABLES`], each once): need counts by
/// LSOA 2021 code. A long table is known by its category column's name, a wide one by the
/// topic of its `…: Total: …` column.
pub(crate) fn census_lsoa(files: &[PathBuf]) -> Result<BTreeMap<String, NeedCounts>, PlaceError> {
    let mut out: BTreeMap<String, NeedCounts> = BTreeMap::new();
    let mut seen: Vec<&str> = Vec::new();
    for path in files {
        let mut r = open_csv(path, "census table")?;
        let h = read_headers(&mut r, path)?;
        let table = if ["area_code", "measure", "value"]
            .iter()
            .all(|c| h.iter().any(|x| x == *c))
        {
            long(r, &h, path, &mut out)?
        } else if find_column(&h, &["geography code"]).is_some() {
            wide(r, &h, path, &mut out)?
        } else {
            return Err(PlaceError::new(format!(
                "The census table {} is in neither shape: expected {LONG_COLUMNS}; or {WIDE_COLUMNS}",
                path.display()
            )));
        };
        if seen.contains(&table) {
            return Err(PlaceError::new(format!(
                "{} is a second {table} table; give each table once",
                path.display()
            )));
        }
        seen.push(table);
    }
    if let Some((missing, _)) = CENSUS_TABLES.iter().find(|(t, _)| !seen.contains(t)) {
        return Err(PlaceError::new(format!(
            "No {missing} census table was given; the need figures use general health, disability, unpaid care and car or van availability"
        )));
    }
    Ok(out)
}

fn not_used(path: &Path, what: &str) -> PlaceError {
    PlaceError::new(format!(
        "{} is not one of the census tables used (general health, disability, unpaid care, car or van availability): {what}",
        path.display()
    ))
}

/// The long (bundled) shape: `area_code, area_name, geography, period, indicator, <category>,
/// measure, unit, value`; `Count` rows are read. Returns which table it is.
fn long(
    mut r: csv::Reader<std::fs::File>,
    h: &csv::StringRecord,
    path: &Path,
    out: &mut BTreeMap<String, NeedCounts>,
) -> Result<&'static str, PlaceError> {
    let (code, measure, value) = (
        column(h, path, "area_code")?,
        column(h, path, "measure")?,
        column(h, path, "value")?,
    );
    let category = 5;
    let header = h.get(category).unwrap_or_default();
    let Some(&(table, pick)) = CENSUS_TABLES.iter().find(|(word, _)| header.contains(word)) else {
        return Err(not_used(
            path,
            &format!("its category column is {header:?}"),
        ));
    };
    for rec in r.records() {
        let rec =
            rec.map_err(|e| PlaceError::context(format!("Failed to read {}", path.display()), e))?;
        if rec.get(measure) != Some("Count") {
            continue;
        }
        let v: u64 = rec
            .get(value)
            .unwrap_or_default()
            .trim()
            .parse()
            .map_err(|e| {
                PlaceError::context(format!("a value in {} is not a count", path.display()), e)
            })?;
        let cat = rec.get(category).unwrap_or_default();
        let entry = out
            .entry(rec.get(code).unwrap_or_default().to_owned())
            .or_default();
        if !pick(entry, cat, v) {
            return Err(PlaceError::new(format!(
                "{}: unexpected category {cat:?}",
                path.display()
            )));
        }
    }
    Ok(table)
}

/// How a wide table gives its need counts: which of [`CENSUS_TABLES`] it is, the topics its
/// columns start with, the categories summed into the numerator (the first set whose columns
/// are all there), whether the numerator is the total minus those, and where the counts go.
struct WideTable {
    table: &'static str,
    topics: &'static [&'static str],
    numerator: &'static [&'static [&'static str]],
    complement: bool,
    set: fn(&mut NeedCounts, u64, u64),
}

const WIDE_TABLES: [WideTable; 4] = [
    WideTable {
        table: "general_health",
        topics: &["General health"],
        numerator: &[&["Bad health", "Very bad health"]],
        complement: false,
        set: |n, total, bad| {
            n.health_total += total;
            n.bad_health += bad;
        },
    },
    WideTable {
        table: "disability",
        topics: &["Disability"],
        // The parent category, not both children; the children where the parent is missing.
        numerator: &[
            &["Disabled under the Equality Act"],
            &[
                "Disabled under the Equality Act: Day-to-day activities limited a lot",
                "Disabled under the Equality Act: Day-to-day activities limited a little",
            ],
        ],
        complement: false,
        set: |n, total, disabled| {
            n.disability_total += total;
            n.disabled += disabled;
        },
    },
    WideTable {
        table: "unpaid_care",
        topics: &["Provision of unpaid care", "Unpaid care"],
        numerator: &[&["Provides no unpaid care"]],
        complement: true,
        set: |n, total, carers| {
            n.care_total += total;
            n.carers += carers;
        },
    },
    WideTable {
        table: "availability",
        topics: &["Number of cars or vans", "Car or van availability"],
        numerator: &[&["No cars or vans in household"]],
        complement: false,
        set: |n, total, no_car| {
            n.households += total;
            n.no_car += no_car;
        },
    },
];

/// A Nomis header without the `; measures: Value` some bulk files append.
fn plain(header: &str) -> &str {
    let h = header.trim();
    h.strip_suffix("; measures: Value").unwrap_or(h).trim()
}

/// The wide (Nomis bulk) shape: `date, geography, geography code, <topic>: Total: …,
/// <topic>: <category>, …`. Returns which table it is.
fn wide(
    mut r: csv::Reader<std::fs::File>,
    h: &csv::StringRecord,
    path: &Path,
    out: &mut BTreeMap<String, NeedCounts>,
) -> Result<&'static str, PlaceError> {
    let code = find_column(h, &["geography code"])
        .ok_or_else(|| not_used(path, "it has no geography code column"))?;
    let total = h
        .iter()
        .position(|c| plain(c).to_ascii_lowercase().contains(": total"))
        .ok_or_else(|| {
            not_used(
                path,
                &format!("it has no `…: Total: …` column; expected {WIDE_COLUMNS}"),
            )
        })?;
    let total_header = plain(h.get(total).unwrap_or_default());
    let topic = total_header
        .split(':')
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned();
    let Some(t) = WIDE_TABLES.iter().find(|t| {
        t.topics
            .iter()
            .any(|name| name.eq_ignore_ascii_case(&topic))
    }) else {
        return Err(not_used(
            path,
            &format!("its total column is {total_header:?}; expected {WIDE_COLUMNS}"),
        ));
    };
    let find = |category: &str| {
        let name = format!("{topic}: {category}");
        h.iter().position(|c| plain(c).eq_ignore_ascii_case(&name))
    };
    let numerator: Vec<usize> = t
        .numerator
        .iter()
        .find_map(|set| set.iter().map(|c| find(c)).collect::<Option<Vec<_>>>())
        .ok_or_else(|| {
            PlaceError::new(format!(
                "The census table {} ({topic}) has no column {}; the need figures use it",
                path.display(),
                t.numerator
                    .iter()
                    .map(|set| set
                        .iter()
                        .map(|c| format!("`{topic}: {c}`"))
                        .collect::<Vec<_>>()
                        .join(" and "))
                    .collect::<Vec<_>>()
                    .join(", or ")
            ))
        })?;
    let count = |rec: &csv::StringRecord, i: usize| -> Result<u64, PlaceError> {
        let text = rec.get(i).unwrap_or_default().trim();
        text.parse().map_err(|e| {
            PlaceError::context(
                format!(
                    "The census table {}{}: {text:?} in column {:?} is not a count",
                    path.display(),
                    at_line(rec),
                    h.get(i).unwrap_or_default()
                ),
                e,
            )
        })
    };
    for rec in r.records() {
        let rec =
            rec.map_err(|e| PlaceError::context(format!("Failed to read {}", path.display()), e))?;
        let area = rec.get(code).unwrap_or_default().trim();
        if area.is_empty() {
            continue;
        }
        let all = count(&rec, total)?;
        let mut part = 0;
        for &i in &numerator {
            part += count(&rec, i)?;
        }
        let numerator = if t.complement {
            all.checked_sub(part).ok_or_else(|| {
                PlaceError::new(format!(
                    "The census table {}{}: area {area} has more in {:?} than its total",
                    path.display(),
                    at_line(&rec),
                    t.numerator.first().and_then(|s| s.first()).unwrap_or(&"")
                ))
            })?
        } else {
            part
        };
        (t.set)(out.entry(area.to_owned()).or_default(), all, numerator);
    }
    Ok(t.table)
}
