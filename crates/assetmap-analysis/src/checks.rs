//! When a place's details were last confirmed, and which places need a check: the one rule
//! used by the stale report (`assetmap stale`, `GET /stale`), the stewards' feed and the JSNA
//! figure "share of assets checked within 12 months".
//!
//! An asset is *checked since* a date when its `verified_at` (the UK date someone last
//! confirmed its details; an import keeps its source's date) is on or after it. Closed assets
//! need no check.

use assetmap_core::{Asset, Status};
use chrono::{Months, NaiveDate};

/// How long a check lasts in the JSNA figures: twelve months.
pub const CHECKED_WITHIN_MONTHS: u32 = 12;

/// The date `age` before `today`. `age` is a whole number and a unit: `d` (days), `w`
/// (weeks), `m` (calendar months) or `y` (years), e.g. `90d`, `6m`, `1y`.
///
/// ```
/// use chrono::NaiveDate;
/// let today = NaiveDate::from_ymd_opt(2026, 8, 31).unwrap();
/// assert_eq!(assetmap_analysis::checks::cutoff(today, "6m").unwrap().to_string(), "2026-02-28");
/// assert!(assetmap_analysis::checks::cutoff(today, "six months").is_err());
/// ```
pub fn cutoff(today: NaiveDate, age: &str) -> Result<NaiveDate, String> {
    let bad = || format!("{age:?} is not an age like 90d, 12w, 6m or 1y");
    let age = age.trim();
    let split = age.len().checked_sub(1).ok_or_else(bad)?;
    if !age.is_char_boundary(split) {
        return Err(bad());
    }
    let (n, unit) = age.split_at(split);
    let n: u32 = n.parse().map_err(|_| bad())?;
    let date = match unit {
        "d" => today.checked_sub_signed(chrono::Duration::days(i64::from(n))),
        "w" => today.checked_sub_signed(chrono::Duration::weeks(i64::from(n))),
        "m" => today.checked_sub_months(Months::new(n)),
        "y" => today.checked_sub_months(Months::new(n.saturating_mul(12))),
        _ => None,
    };
    date.ok_or_else(bad)
}

/// Whether `asset`'s details were confirmed on or after `since`.
pub fn checked_since(asset: &Asset, since: NaiveDate) -> bool {
    verified_since(asset.verified_at, since)
}

/// [`checked_since`] for an asset's `verified_at` alone (for figures that keep only the date,
/// not the asset): confirmed on or after `since`; never confirmed (`None`) is not.
pub fn verified_since(verified_at: Option<NaiveDate>, since: NaiveDate) -> bool {
    verified_at.is_some_and(|d| d >= since)
}

/// Whether `asset` needs a check: open (not closed) and not confirmed since `since`.
pub fn needs_check(asset: &Asset, since: NaiveDate) -> bool {
    asset.status != Status::Closed && !checked_since(asset, since)
}

/// The first day of the JSNA's "checked within 12 months" on `today`.
pub fn jsna_cutoff(today: NaiveDate) -> NaiveDate {
    today
        .checked_sub_months(Months::new(CHECKED_WITHIN_MONTHS))
        .unwrap_or(NaiveDate::MIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn ages_count_back_from_today() {
        let today = day("2026-12-05");
        assert_eq!(cutoff(today, "90d"), Ok(day("2026-09-06")));
        assert_eq!(cutoff(today, "2w"), Ok(day("2026-11-21")));
        assert_eq!(cutoff(today, " 6m "), Ok(day("2026-06-05")));
        assert_eq!(cutoff(today, "1y"), Ok(day("2025-12-05")));
        for bad in ["", "m", "6", "6x", "-6m", "6 months", "6é", "99999999999y"] {
            assert!(cutoff(today, bad).is_err(), "{bad:?}");
        }
        assert_eq!(jsna_cutoff(today), day("2025-12-05"));
    }

    #[test]
    fn checked_since_includes_the_cutoff_day() {
        let since = jsna_cutoff(day("2026-03-31"));
        assert_eq!(since, day("2025-03-31"));
        assert!(verified_since(Some(day("2025-03-31")), since));
        assert!(verified_since(Some(day("2026-03-31")), since));
        assert!(!verified_since(Some(day("2025-03-30")), since));
        assert!(!verified_since(None, since));
        // A month without the day: the last day of it.
        assert_eq!(jsna_cutoff(day("2028-02-29")), day("2027-02-28"));
    }
}
