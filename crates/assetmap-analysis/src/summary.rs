//! Per-area summaries: the rows behind `/collections/areas-<level>/items`,
//! `/areas/<level>/summary.csv` and the area downloads — one function, [`summary`], so every
//! format carries the same figures.

use crate::access::{category_bit, level_index, AreaFigures};
use crate::checks::{jsna_cutoff, verified_since, CHECKED_WITHIN_MONTHS};
use assetmap_core::{round_to, Category, Status};
use assetmap_index::AreaLevel;
use assetmap_io::export::{Cell, CellType, Table, TableColumn, TableRow};
use assetmap_place::Place;
use chrono::NaiveDate;
use serde_json::{json, Value};
use std::collections::HashMap;

/// Default walking distance for the access measures, metres (about 10 minutes' walk).
pub const DEFAULT_WALK_M: f64 = 800.0;
/// Default desert threshold: an area is an asset desert for a category when fewer than this
/// share of its postcodes are within the walking distance of one.
pub const DEFAULT_DESERT_SHARE: f64 = 0.5;

/// What a summary is for.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryQuery {
    /// Categories to report; empty means every category.
    pub categories: Vec<Category>,
    /// Walking distance in metres (great circle), > 0.
    pub walk_m: f64,
    /// Desert threshold, a share of postcodes in `0..=1`.
    pub desert_share: f64,
}

impl Default for SummaryQuery {
    fn default() -> Self {
        SummaryQuery {
            categories: Vec::new(),
            walk_m: DEFAULT_WALK_M,
            desert_share: DEFAULT_DESERT_SHARE,
        }
    }
}

impl SummaryQuery {
    /// The categories reported, in vocabulary order, without repeats.
    pub fn categories(&self) -> Vec<Category> {
        if self.categories.is_empty() {
            return Category::ALL.to_vec();
        }
        Category::ALL
            .iter()
            .copied()
            .filter(|c| self.categories.contains(c))
            .collect()
    }
}

/// A column of a summary: its name (also the GeoJSON property and CSV header), type and
/// meaning (with units).
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub kind: CellType,
    pub description: String,
}

/// One area's row: `cells` line up with [`Summary::columns`] (the first two are `code` and
/// `name`); `geometry` is the area's generalised boundary as a GeoJSON geometry (WGS84).
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRow {
    pub code: String,
    pub name: String,
    pub cells: Vec<Cell>,
    pub geometry: Value,
}

/// A per-area summary: columns, one row per area (sorted by code), and metadata (title,
/// parameters, method, caveats, sources and licences, column descriptions) as JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub level: AreaLevel,
    /// The day the figures were made (UK date): "checked within 12 months" counts back from it.
    pub today: NaiveDate,
    pub columns: Vec<Column>,
    pub rows: Vec<SummaryRow>,
    pub metadata: Value,
}

fn share(n: u64, d: u64) -> Cell {
    if d == 0 {
        Cell::Null
    } else {
        Cell::Real(round_to(n as f64 / d as f64, 4))
    }
}

fn median(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    Some(if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    })
}

/// The columns of a summary for these categories, made on `today` (UK date; the
/// "checked within 12 months" columns state their cutoff).
pub fn columns(categories: &[Category], today: NaiveDate) -> Vec<Column> {
    let col = |name: String, kind, description: String| Column {
        name,
        kind,
        description,
    };
    let mut cols = vec![
        col("code".into(), CellType::Text, "ONS area code".into()),
        col("name".into(), CellType::Text, "Area name".into()),
        col("population".into(), CellType::Integer, "Usual residents, all ages, ONS mid-2024 estimate".into()),
        col("population_0_15".into(), CellType::Integer, "Usual residents aged 0 to 15, mid-2024".into()),
        col("population_16_64".into(), CellType::Integer, "Usual residents aged 16 to 64, mid-2024".into()),
        col("population_65_plus".into(), CellType::Integer, "Usual residents aged 65 and over, mid-2024".into()),
        col("postcodes".into(), CellType::Integer, "Postcodes in the area (ONS Postcode Directory, Feb 2025): the denominator of the access shares".into()),
        col("count_total".into(), CellType::Integer, "Active or temporarily closed assets in the area with any of the chosen categories (each asset once)".into()),
        col("per_1000_total".into(), CellType::Real, "count_total per 1,000 residents (mid-2024)".into()),
        col("assets_checked_12m".into(), CellType::Integer, format!("Of the assets in count_total, those checked within {CHECKED_WITHIN_MONTHS} months: verified_at on or after {}, {CHECKED_WITHIN_MONTHS} months before the day the figures were made ({today}, UK date). Imported records carry their source's date; an asset never checked (no verified_at) does not count", jsna_cutoff(today))),
        col("share_checked_12m".into(), CellType::Real, format!("assets_checked_12m / count_total: share (0 to 1) of the area's assets checked within {CHECKED_WITHIN_MONTHS} months (verified_at on or after {}); empty (null) when the area has no assets (count_total 0)", jsna_cutoff(today))),
    ];
    for c in categories {
        cols.push(col(
            format!("count_{}", c.slug()),
            CellType::Integer,
            format!("Assets in the area with category '{}'", c.label()),
        ));
    }
    for c in categories {
        cols.push(col(
            format!("per_1000_{}", c.slug()),
            CellType::Real,
            format!("count_{} per 1,000 residents (mid-2024)", c.slug()),
        ));
    }
    for c in categories {
        cols.push(col(format!("access_share_{}", c.slug()), CellType::Real, format!("Share (0 to 1) of the area's postcodes within the walking distance (great circle) of at least one '{}' asset anywhere", c.label())));
    }
    for c in categories {
        cols.push(col(format!("median_distance_m_{}", c.slug()), CellType::Integer, format!("Median over the area's postcodes of the distance in metres (great circle) to the nearest '{}' asset", c.label())));
    }
    for c in categories {
        cols.push(col(
            format!("desert_{}", c.slug()),
            CellType::Integer,
            format!(
                "1 when access_share_{} is below the desert threshold (an asset desert), else 0",
                c.slug()
            ),
        ));
    }
    cols.extend([
        col("deserts".into(), CellType::Integer, "How many of the chosen categories the area is an asset desert for".into()),
        col("bad_health_share".into(), CellType::Real, "Census 2021: share (0 to 1) of usual residents in bad or very bad health".into()),
        col("disabled_share".into(), CellType::Real, "Census 2021: share (0 to 1) of usual residents disabled under the Equality Act (day-to-day activities limited a lot or a little)".into()),
        col("unpaid_care_share".into(), CellType::Real, "Census 2021: share (0 to 1) of usual residents aged 5 and over providing any unpaid care".into()),
        col("no_car_share".into(), CellType::Real, "Census 2021: share (0 to 1) of households with no car or van".into()),
        col("census_residents".into(), CellType::Integer, "Census 2021: usual residents (denominator of bad_health_share and disabled_share)".into()),
        col("census_households".into(), CellType::Integer, "Census 2021: households (denominator of no_car_share)".into()),
        col("census_lsoas".into(), CellType::Integer, "LSOAs whose census counts were summed for this area (for wards: by the best fit to 2023 wards)".into()),
    ]);
    cols
}

/// The summary of `level` for `q` as of the last [`AreaFigures::refresh`] (call it first with
/// the engine, so the figures reflect every write acknowledged before).
///
/// `today` is the day the figures are made (UK date, e.g. `uk_local(Utc::now()).date()`):
/// `assets_checked_12m` counts the assets checked since [`jsna_cutoff`]`(today)`.
pub fn summary(
    figures: &AreaFigures,
    place: &Place,
    level: AreaLevel,
    q: &SummaryQuery,
    today: NaiveDate,
) -> Summary {
    let cats = q.categories();
    let snap = figures.snapshot(&cats, place);
    let li = level_index(level);
    let areas = place.areas.areas(level);
    let data = place.data(level);

    // Counts per area.
    let want: u32 = cats.iter().fold(0, |m, c| m | category_bit(*c));
    let since = jsna_cutoff(today);
    let mut total = vec![0i64; areas.len()];
    let mut checked = vec![0i64; areas.len()];
    let mut per_cat = vec![vec![0i64; cats.len()]; areas.len()];
    let mut outside = 0usize;
    let mut counted = 0usize;
    let mut counted_checked = 0usize;
    for p in snap.counted.iter() {
        if p.categories & want == 0 {
            continue;
        }
        counted += 1;
        let is_checked = verified_since(p.verified_at, since);
        counted_checked += usize::from(is_checked);
        let Some(i) = p.area(li) else {
            outside += 1;
            continue;
        };
        let i = i as usize;
        total[i] += 1;
        checked[i] += i64::from(is_checked);
        for (k, c) in cats.iter().enumerate() {
            if p.categories & category_bit(*c) != 0 {
                per_cat[i][k] += 1;
            }
        }
    }

    let geometry: HashMap<&str, &Value> = place
        .boundaries(level)
        .iter()
        .filter_map(|f| Some((f["id"].as_str()?, &f["geometry"])))
        .collect();

    let columns = columns(&cats, today);
    let mut rows = Vec::with_capacity(areas.len());
    let mut deserts_total = 0usize;
    for (i, (area, d)) in areas.iter().zip(data).enumerate() {
        let pop = d.population;
        let per_1000 = |n: i64| match pop {
            Some(p) if p.all_ages > 0 => {
                Cell::Real(round_to(n as f64 * 1000.0 / p.all_ages as f64, 2))
            }
            _ => Cell::Null,
        };
        let int = |n: Option<u64>| n.map_or(Cell::Null, |n| Cell::Integer(n as i64));
        let mut cells = vec![
            Cell::Text(area.code().to_owned()),
            Cell::Text(area.name().to_owned()),
            int(pop.map(|p| p.all_ages)),
            int(pop.map(|p| p.aged_0_to_15)),
            int(pop.map(|p| p.aged_16_to_64)),
            int(pop.map(|p| p.aged_65_and_over)),
            Cell::Integer(d.postcodes.len() as i64),
            Cell::Integer(total[i]),
            per_1000(total[i]),
            Cell::Integer(checked[i]),
            share(checked[i] as u64, total[i] as u64),
        ];
        cells.extend(per_cat[i].iter().map(|n| Cell::Integer(*n)));
        cells.extend(per_cat[i].iter().map(|n| per_1000(*n)));
        let mut access = Vec::with_capacity(cats.len());
        let mut medians = Vec::with_capacity(cats.len());
        let mut deserts = Vec::with_capacity(cats.len());
        let mut n_deserts = 0;
        for c in &cats {
            let dist = snap.nearest.get(c);
            let mut ds: Vec<f64> = d
                .postcodes
                .iter()
                .filter_map(|&k| dist.and_then(|v| v.get(k as usize).copied().flatten()))
                .collect();
            if d.postcodes.is_empty() {
                access.push(Cell::Null);
                medians.push(Cell::Null);
                deserts.push(Cell::Null);
                continue;
            }
            let within = ds.iter().filter(|x| **x <= q.walk_m).count();
            let s = within as f64 / d.postcodes.len() as f64;
            access.push(Cell::Real(round_to(s, 4)));
            ds.sort_by(f64::total_cmp);
            medians.push(median(&ds).map_or(Cell::Null, |m| Cell::Integer(m.round() as i64)));
            let desert = s < q.desert_share;
            if desert {
                n_deserts += 1;
            }
            deserts.push(Cell::Integer(i64::from(desert)));
        }
        deserts_total += n_deserts;
        cells.extend(access);
        cells.extend(medians);
        cells.extend(deserts);
        let n = &d.need;
        let has_need = d.need_lsoas > 0;
        cells.extend([
            Cell::Integer(n_deserts as i64),
            share(n.bad_health, n.health_total),
            share(n.disabled, n.disability_total),
            share(n.carers, n.care_total),
            share(n.no_car, n.households),
            if has_need {
                Cell::Integer(n.health_total as i64)
            } else {
                Cell::Null
            },
            if has_need {
                Cell::Integer(n.households as i64)
            } else {
                Cell::Null
            },
            Cell::Integer(d.need_lsoas as i64),
        ]);
        rows.push(SummaryRow {
            code: area.code().to_owned(),
            name: area.name().to_owned(),
            cells,
            geometry: geometry
                .get(area.code())
                .map_or(Value::Null, |g| (*g).clone()),
        });
    }

    let metadata = metadata(
        place,
        level,
        q,
        &cats,
        &columns,
        today,
        Figures {
            counted,
            checked: counted_checked,
            outside,
            deserts: deserts_total,
        },
    );
    Summary {
        level,
        today,
        columns,
        rows,
        metadata,
    }
}

/// `2021 LSOA`, or `LSOA` when the vintage is not known.
fn with_vintage(vintage: &str, noun: &str) -> String {
    if vintage.is_empty() {
        noun.to_owned()
    } else {
        format!("{vintage} {noun}")
    }
}

/// The whole-summary figures reported in the metadata.
struct Figures {
    /// Assets counted (with any chosen category), in some area or none.
    counted: usize,
    /// Of those, the ones checked within 12 months.
    checked: usize,
    /// Of those, the ones outside every area of the level.
    outside: usize,
    /// Area × category deserts.
    deserts: usize,
}

fn metadata(
    place: &Place,
    level: AreaLevel,
    q: &SummaryQuery,
    cats: &[Category],
    columns: &[Column],
    today: NaiveDate,
    figures: Figures,
) -> Value {
    let since = jsna_cutoff(today);
    let bf = &place.best_fit;
    let level_title = place.level_long_title(level);
    let need_method = match level {
        AreaLevel::Lsoa => "Census 2021 counts of the LSOA itself.".to_owned(),
        AreaLevel::Msoa => {
            "Sum of the census 2021 counts of the LSOAs in the MSOA (LSOAs nest exactly in MSOAs)."
                .to_owned()
        }
        AreaLevel::La => format!(
            "Sum of the census 2021 counts of every LSOA in {}.",
            place.authority_names()
        ),
        AreaLevel::Ward => {
            let (lsoas, wards) = (
                with_vintage(place.vintage(AreaLevel::Lsoa), "LSOA"),
                with_vintage(place.vintage(AreaLevel::Ward), "ward"),
            );
            let postcode_source = place
                .notes()
                .postcodes
                .as_deref()
                .map(|p| format!("{p}; "))
                .unwrap_or_default();
            format!(
                "{}Ward figures are sums of LSOA counts over a best fit of our own: each {lsoas} is assigned whole to the {wards} that holds most of its postcodes ({postcode_source}ties to the lowest ward code). {} of {} LSOAs have postcodes in more than one {wards}; {} of {} postcodes lie outside their LSOA's best-fit ward.",
                place.notes().ward_need.as_deref().map(|n| format!("{n} ")).unwrap_or_else(|| "Approximate. ".to_owned()),
                bf.split_lsoas, bf.lsoa_to_ward.len(), bf.postcodes_outside_best_fit, bf.postcodes
            )
        }
    };
    let mut caveats = vec![
        "Counts are of records in the asset register, not of services or capacity: one hospital can be several buildings, a charity is placed at its contact postcode (which may be a trustee's home), and dates of the sources range from 2017 to 2026.".to_owned(),
        "Postcodes stand in for where people live; they are not weighted by households or residents, and non-residential postcodes count like the rest.".to_owned(),
        "Distances are straight-line (great circle), not walking routes: the access share overstates access where rivers, canals, railways or motorways lie between.".to_owned(),
        format!("Access looks at assets anywhere in the dataset, including across area boundaries; assets outside {} are not in the dataset, so access near the edge is understated.", place.authority_names()),
        "Census 2021 figures are as at 21 March 2021; population is mid-2024: rates and need describe different years.".to_owned(),
    ];
    if level == AreaLevel::Ward {
        caveats.insert(0, "Ward need indicators (bad_health_share, disabled_share, unpaid_care_share, no_car_share) are derived from LSOAs by a best fit to 2023 wards and are approximate; see method.need.".to_owned());
    }
    if matches!(level, AreaLevel::Lsoa | AreaLevel::Msoa) {
        caveats.push("LSOA and MSOA boundaries are the generalised ones (the only ones bundled): an asset within metres of an LSOA or MSOA edge can be assigned to its neighbour.".to_owned());
    }
    json!({
        "title": format!("Community assets by {} — counts, rates, access and need", level_title.to_lowercase()),
        "level": level.slug(),
        "level_title": level_title,
        "generated_at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "parameters": {
            "categories": cats.iter().map(|c| c.slug()).collect::<Vec<_>>(),
            "walk_m": q.walk_m,
            "desert_share": q.desert_share,
            "statuses_counted": Status::SHOWN_BY_DEFAULT.iter().map(|s| s.slug()).collect::<Vec<_>>(),
            "figures_made_on": today.to_string(),
            "checked_within_months": CHECKED_WITHIN_MONTHS,
            "checked_since": since.to_string(),
        },
        "figures": {
            "assets_counted": figures.counted,
            "assets_checked_12m": figures.checked,
            "assets_outside_every_area": figures.outside,
            "area_category_deserts": figures.deserts,
            "postcodes": place.postcodes().len(),
        },
        "method": {
            "assignment": format!("Each asset is assigned to the area whose polygon contains its point (interior only, the same answer as PostGIS ST_Contains: a point exactly on a boundary is in no area and is counted as outside). Wards: the {} boundaries (full resolution where the place has them); each local authority: the union of its wards; LSOAs and MSOAs: the {} and {} boundaries of the place.", with_vintage(place.vintage(AreaLevel::Ward), "ward"), with_vintage(place.vintage(AreaLevel::Lsoa), "LSOA"), with_vintage(place.vintage(AreaLevel::Msoa), "MSOA")),
            "counts": "Only assets with status active or temporarily_closed count. count_<category> counts assets having that category (an asset with two categories counts in both); count_total counts each asset once if it has any chosen category.",
            "checks": format!("An asset counts as checked within {CHECKED_WITHIN_MONTHS} months when its verified_at (the UK date someone last confirmed its details) is on or after {since}, {CHECKED_WITHIN_MONTHS} months before the day the figures were made ({today}, UK date). Imported records carry their source's date (when the source last confirmed them), not the date of the import; an asset never checked (no verified_at) does not count. assets_checked_12m counts them among the assets of count_total; share_checked_12m = assets_checked_12m / count_total, rounded to 4 decimals, empty (null) when the area has no assets."),
            "rates": "per_1000 = count × 1000 / population, with the mid-year estimate of usual residents (all ages) for the same area; a local authority without its own estimate is the sum of its LSOAs.",
            "access": format!("For each postcode ({}postcode centroid) the great-circle distance (sphere of radius 6,371,008.8 m) to the nearest counted asset of each category anywhere in the dataset. Postcodes belong to areas by the ONS codes in the postcode table. access_share = share of the area's postcodes with that distance ≤ walk_m ({} m); median_distance_m = median of those distances (mean of the middle two for an even count).", place.notes().postcodes.as_deref().map(|p| format!("{p}, ")).unwrap_or_default(), q.walk_m),
            "deserts": format!("An area is an asset desert for a category when access_share < desert_share ({}): fewer than that share of its postcodes are within walk_m of one.", q.desert_share),
            "need": need_method,
            "need_definitions": "bad_health_share = (bad + very bad health) / all usual residents; disabled_share = disabled under the Equality Act (limited a lot + a little) / all usual residents; unpaid_care_share = residents providing any unpaid care / all usual residents aged 5+; no_car_share = households with no car or van / all households.",
        },
        "caveats": caveats,
        "sources": std::iter::once(json!({"name": "Community assets (the asset register and later edits)", "licence": "each asset's provenance.licence", "attribution": "See each asset's provenance (source, licence, attribution)"}))
            .chain(place.sources().iter().map(|s| json!({"name": s.name, "licence": s.licence, "attribution": s.attribution})))
            .collect::<Vec<_>>(),
        "columns": columns.iter().map(|c| json!({
            "name": c.name,
            "type": match c.kind { CellType::Text => "text", CellType::Integer => "integer", CellType::Real => "real" },
            "description": c.description,
        })).collect::<Vec<_>>(),
    })
}

impl Summary {
    /// The columns' names and types.
    pub fn table_columns(&self) -> Vec<TableColumn> {
        self.columns
            .iter()
            .map(|c| TableColumn {
                name: c.name.clone(),
                ty: c.kind,
            })
            .collect()
    }

    /// The summary as a format-neutral table (columns, rows with their boundaries) for the
    /// writers of `assetmap-io`.
    pub fn table(&self) -> Table {
        Table {
            columns: self.table_columns(),
            rows: self
                .rows
                .iter()
                .map(|r| TableRow {
                    geometry: r.geometry.clone(),
                    cells: r.cells.clone(),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use assetmap_core::{Asset, AssetDraft, AssetId};
    use assetmap_index::Engine;

    #[test]
    fn medians_and_shares() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3.0]), Some(3.0));
        assert_eq!(median(&[1.0, 2.0, 4.0, 10.0]), Some(3.0));
        assert_eq!(share(1, 3), Cell::Real(0.3333));
        assert_eq!(share(1, 0), Cell::Null);
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// An asset of `category` at `at`, last checked on `verified_at`, with `status`.
    fn asset_of(
        id: &str,
        category: &str,
        at: (f64, f64),
        verified_at: Option<&str>,
        status: &str,
    ) -> Asset {
        let draft = AssetDraft {
            name: Some(format!("Place {id}")),
            abcd_type: Some("association".into()),
            categories: vec![category.into()],
            verified_at: verified_at.map(str::to_owned),
            status: Some(status.into()),
            ..AssetDraft::default()
        };
        let valid = draft.validate(Some(at)).unwrap();
        Asset::create(AssetId::parse(id).unwrap(), valid, chrono::Utc::now())
    }

    /// An asset with category food at `at`, last checked on `verified_at`, with `status`.
    fn asset(id: &str, at: (f64, f64), verified_at: Option<&str>, status: &str) -> Asset {
        asset_of(id, "food", at, verified_at, status)
    }

    #[test]
    fn figures_read_from_an_older_engine_never_replace_newer_ones() {
        let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data");
        let place = Place::load(&data).unwrap();
        let here = (-2.3530, 53.3875);
        let older = Engine::new(vec![asset("t:a", here, None, "active")]);
        let newer = Engine::new(vec![
            asset("t:a", here, None, "active"),
            asset("t:b", here, None, "active"),
        ]);
        let counted = |f: &AreaFigures| f.snapshot(&[], &place).counted.len();
        let figures = AreaFigures::default();
        assert!(!figures.is_at(0));
        // Read under the lock at generation 1, placed after generation 2 was.
        let late = AreaFigures::read(&older);
        figures.refresh(&newer, 2, &place);
        figures.refresh_with(late, 1, &place);
        assert!(figures.is_at(2) && !figures.is_at(3));
        assert_eq!(counted(&figures), 2);
        figures.refresh_with(AreaFigures::read(&older), 3, &place);
        assert_eq!(counted(&figures), 1);
    }

    /// An asset of `category` at `at`, never checked, active.
    fn of(id: &str, category: &str, at: (f64, f64)) -> Asset {
        asset_of(id, category, at, None, "active")
    }

    #[test]
    fn a_cache_kept_in_step_through_edits_answers_as_one_built_afresh() {
        let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data");
        let place = Place::load(&data).unwrap();
        let today = day("2026-06-15");
        // A grid across the borough, two categories, two assets on one spot.
        let grid = |i: usize| {
            (
                -2.45 + (i % 6) as f64 * 0.035,
                53.37 + (i / 6) as f64 * 0.022,
            )
        };
        let cats = ["food", "faith", "physical_activity_sport"];
        let mut assets: Vec<Asset> = (0..30)
            .map(|i| of(&format!("t:{i:02}"), cats[i % 3], grid(i)))
            .collect();
        assets.push(of("t:twin", "food", grid(0)));
        let mut engine = Engine::new(assets);
        let kept = AreaFigures::default();
        kept.refresh(&engine, 0, &place);
        kept.warm(&place);
        let query = SummaryQuery::default();
        let before = summary(&kept, &place, AreaLevel::Lsoa, &query, today);

        // Moved (to another asset's spot and to a new one), removed (one of the twins, and the
        // only asset at its spot), added, and one that changed category.
        engine.upsert(of("t:03", "food", grid(4)));
        engine.upsert(of("t:05", "faith", (-2.30, 53.455)));
        engine.remove(&AssetId::parse("t:twin").unwrap());
        engine.remove(&AssetId::parse("t:07").unwrap());
        engine.upsert(of("t:new", "physical_activity_sport", (-2.41, 53.43)));
        engine.upsert(of("t:10", "faith", grid(10)));
        kept.refresh(&engine, 1, &place);
        let after = summary(&kept, &place, AreaLevel::Lsoa, &query, today);

        let afresh = AreaFigures::default();
        afresh.refresh(&engine, 1, &place);
        // What the figures are (the metadata also says when they were made: not compared).
        let figures = |s: Summary| (s.columns, s.rows, s.metadata["figures"].clone());
        assert_ne!(
            figures(before),
            figures(after),
            "the edits change the figures"
        );
        for level in AreaLevel::ALL {
            assert_eq!(
                figures(summary(&kept, &place, level, &query, today)),
                figures(summary(&afresh, &place, level, &query, today)),
                "{level:?}"
            );
        }
    }

    #[test]
    fn checked_within_12_months_counts_from_the_cutoff_of_the_day_given() {
        let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data");
        let place = Place::load(&data).unwrap();
        let today = day("2026-06-15");
        assert_eq!(crate::checks::jsna_cutoff(today), day("2025-06-15"));
        // Altrincham town centre, in ward E05015239.
        let here = (-2.3530, 53.3875);
        let engine = Engine::new(vec![
            asset("t:on-cutoff", here, Some("2025-06-15"), "active"),
            asset("t:day-before", here, Some("2025-06-14"), "active"),
            asset("t:never", here, None, "active"),
            asset("t:today", here, Some("2026-06-15"), "temporarily_closed"),
            // Closed: not counted at all, checked or not.
            asset("t:closed", here, Some("2026-06-01"), "closed"),
        ]);
        let figures = AreaFigures::default();
        figures.refresh(&engine, 0, &place);
        let s = summary(
            &figures,
            &place,
            AreaLevel::Ward,
            &SummaryQuery::default(),
            today,
        );
        assert_eq!(s.today, today);
        let cell = |code: &str, name: &str| {
            let i = s.columns.iter().position(|c| c.name == name).unwrap();
            s.rows.iter().find(|r| r.code == code).unwrap().cells[i].clone()
        };
        assert_eq!(cell("E05015239", "count_total"), Cell::Integer(4));
        assert_eq!(cell("E05015239", "assets_checked_12m"), Cell::Integer(2));
        assert_eq!(cell("E05015239", "share_checked_12m"), Cell::Real(0.5));
        // A ward with no assets: none checked, and no share.
        let empty = s.rows.iter().find(|r| r.code != "E05015239").unwrap();
        assert_eq!(cell(&empty.code, "count_total"), Cell::Integer(0));
        assert_eq!(cell(&empty.code, "assets_checked_12m"), Cell::Integer(0));
        assert_eq!(cell(&empty.code, "share_checked_12m"), Cell::Null);
        // The metadata states the day and the cutoff, in the columns and the method.
        let md = &s.metadata;
        assert_eq!(md["parameters"]["figures_made_on"], "2026-06-15");
        assert_eq!(md["parameters"]["checked_since"], "2025-06-15");
        assert_eq!(md["parameters"]["checked_within_months"], 12);
        assert_eq!(md["figures"]["assets_checked_12m"], 2);
        assert!(md["method"]["checks"]
            .as_str()
            .unwrap()
            .contains("on or after 2025-06-15"));
        for name in ["assets_checked_12m", "share_checked_12m"] {
            let c = md["columns"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["name"] == name)
                .unwrap();
            assert!(
                c["description"]
                    .as_str()
                    .unwrap()
                    .contains("verified_at on or after 2025-06-15"),
                "{c}"
            );
        }
        // The same assets a day later: the one checked on the cutoff has aged out.
        let s = summary(
            &figures,
            &place,
            AreaLevel::Ward,
            &SummaryQuery::default(),
            day("2026-06-16"),
        );
        let i = s
            .columns
            .iter()
            .position(|c| c.name == "share_checked_12m")
            .unwrap();
        let row = s.rows.iter().find(|r| r.code == "E05015239").unwrap();
        assert_eq!(row.cells[i], Cell::Real(0.25));
    }

    #[test]
    fn columns_line_up_with_categories() {
        let cols = columns(&[Category::Food, Category::Faith], day("2026-06-15"));
        let names: Vec<&str> = cols.iter().map(|c| c.name.as_str()).collect();
        assert!(names.contains(&"count_food") && names.contains(&"access_share_faith"));
        assert!(!names.contains(&"count_learning"));
        let q = SummaryQuery {
            categories: vec![Category::Faith, Category::Food, Category::Faith],
            ..SummaryQuery::default()
        };
        assert_eq!(q.categories(), vec![Category::Food, Category::Faith]);
        assert_eq!(
            SummaryQuery::default().categories().len(),
            Category::ALL.len()
        );
    }
}
