//! The stale report: places nobody has confirmed lately, where they are, what they are, where
//! they came from and who keeps them — shared by `assetmap stale` (for a council's own
//! mail-merge) and `GET /stale` (a page, CSV and JSON for the directory team). The rule for
//! "needs a check" is [`assetmap_analysis::checks`]'s.

use crate::errors::ApiError;
use assetmap_core::{Asset, AssetId};
use assetmap_io::export::{Cell, CellType, Table, TableColumn, TableRow};
use assetmap_place::Place;
use assetmap_store::AssetStore;
use chrono::NaiveDate;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};

/// One place that needs a check.
#[derive(Debug, Clone, PartialEq)]
pub struct StaleRow {
    pub id: String,
    pub name: String,
    /// `None`: never confirmed.
    pub last_checked: Option<NaiveDate>,
    pub status: String,
    pub source: String,
    pub ward_code: String,
    pub ward_name: String,
    pub categories: Vec<String>,
    /// The e-mail addresses of the enabled accounts that keep it.
    pub stewards: Vec<String>,
}

/// The columns of the report, in order (CSV header, JSON keys).
pub const COLUMNS: [&str; 9] = [
    "id",
    "name",
    "last_checked",
    "status",
    "source",
    "ward_code",
    "ward_name",
    "categories",
    "stewards",
];

/// The report: the places not confirmed since `since`, never-checked first, then the longest
/// unchecked, ties by id.
#[derive(Debug, Clone)]
pub struct StaleReport {
    pub today: NaiveDate,
    pub since: NaiveDate,
    pub rows: Vec<StaleRow>,
}

impl StaleReport {
    /// Builds the report over `assets` (every one, or a steward's own), with the stewards the
    /// store keeps.
    pub async fn build(
        store: &dyn AssetStore,
        place: &Place,
        assets: &[Asset],
        today: NaiveDate,
        since: NaiveDate,
    ) -> Result<StaleReport, assetmap_store::StoreError> {
        let mut stewards: HashMap<AssetId, Vec<String>> = HashMap::new();
        for account in store.accounts().await? {
            if account.disabled {
                continue;
            }
            for s in &account.stewardships {
                stewards
                    .entry(s.asset.clone())
                    .or_default()
                    .push(account.email.clone());
            }
        }
        let mut stale: Vec<&Asset> = assets
            .iter()
            .filter(|a| assetmap_analysis::checks::needs_check(a, since))
            .collect();
        stale.sort_by(|a, b| a.verified_at.cmp(&b.verified_at).then(a.id.cmp(&b.id)));
        let rows = stale
            .into_iter()
            .map(|a| {
                let areas = assetmap_analysis::export::area_codes(&place.areas, a.location);
                StaleRow {
                    id: a.id.to_string(),
                    name: a.name.to_string(),
                    last_checked: a.verified_at,
                    status: a.status.slug().to_owned(),
                    source: a.provenance.source.clone().unwrap_or_default(),
                    ward_code: areas.ward_code.unwrap_or_default(),
                    ward_name: areas.ward_name.unwrap_or_default(),
                    categories: a.categories.iter().map(|c| c.slug().to_owned()).collect(),
                    stewards: stewards.get(&a.id).cloned().unwrap_or_default(),
                }
            })
            .collect();
        Ok(StaleReport { today, since, rows })
    }

    /// How many rows fall under each key of `key` (a row may count under several, e.g. its
    /// categories), most first, then by key; rows with none count under "(none)".
    pub fn counts(&self, key: impl Fn(&StaleRow) -> Vec<String>) -> Vec<(String, usize)> {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for r in &self.rows {
            let keys = key(r);
            if keys.is_empty() {
                *counts.entry("(none)".into()).or_default() += 1;
            }
            for k in keys {
                *counts.entry(k).or_default() += 1;
            }
        }
        let mut out: Vec<_> = counts.into_iter().collect();
        out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        out
    }

    /// The groups the report is read by: source, ward, category, steward.
    pub fn groups(&self) -> [(&'static str, Vec<(String, usize)>); 4] {
        let one = |s: &str| {
            if s.is_empty() {
                Vec::new()
            } else {
                vec![s.to_owned()]
            }
        };
        [
            ("by_source", self.counts(|r| one(&r.source))),
            (
                "by_ward",
                self.counts(|r| {
                    one(&if r.ward_name.is_empty() {
                        r.ward_code.clone()
                    } else {
                        r.ward_name.clone()
                    })
                }),
            ),
            ("by_category", self.counts(|r| r.categories.clone())),
            ("by_steward", self.counts(|r| r.stewards.clone())),
        ]
    }

    /// One row's cells, as text in [`COLUMNS`] order (lists joined with `;`).
    pub fn cells(row: &StaleRow) -> [String; 9] {
        [
            row.id.clone(),
            row.name.clone(),
            row.last_checked.map(|d| d.to_string()).unwrap_or_default(),
            row.status.clone(),
            row.source.clone(),
            row.ward_code.clone(),
            row.ward_name.clone(),
            row.categories.join(";"),
            row.stewards.join(";"),
        ]
    }

    /// The report as JSON: the dates, the group counts and every row (an empty cell is
    /// `null`).
    pub fn to_json(&self, older_than: &str) -> Value {
        let assets: Vec<Map<String, Value>> = self
            .rows
            .iter()
            .map(|r| {
                COLUMNS
                    .iter()
                    .zip(Self::cells(r))
                    .map(|(k, v)| {
                        let v = if v.is_empty() {
                            Value::Null
                        } else {
                            Value::String(v)
                        };
                        ((*k).to_owned(), v)
                    })
                    .collect()
            })
            .collect();
        let mut out = json!({
            "older_than": older_than,
            "unchecked_since": self.since.to_string(),
            "today": self.today.to_string(),
            "count": self.rows.len(),
        });
        for (name, counts) in self.groups() {
            out[name] = counts
                .into_iter()
                .map(|(key, count)| json!({"key": key, "count": count}))
                .collect();
        }
        out["assets"] = json!(assets);
        out
    }

    /// The report as CSV, through the export's CSV writer (a name that begins with `=` stays
    /// text in a spreadsheet).
    pub fn to_csv<W: std::io::Write>(&self, out: W) -> Result<W, ApiError> {
        let table = Table {
            columns: COLUMNS
                .iter()
                .map(|c| TableColumn {
                    name: (*c).to_owned(),
                    ty: CellType::Text,
                })
                .collect(),
            rows: self
                .rows
                .iter()
                .map(|r| TableRow {
                    geometry: Value::Null,
                    cells: Self::cells(r).into_iter().map(Cell::Text).collect(),
                })
                .collect(),
        };
        assetmap_io::export::csv::write_table(out, &table).map_err(ApiError::internal)
    }
}
