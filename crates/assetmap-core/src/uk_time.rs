//! UK local time (Europe/London, GMT or BST), the time every opening time is written in.
//!
//! Conversions go through the IANA time zone database ([`chrono_tz::Europe::London`]), so they
//! are right for every year, not only under the rule in force since 1996.

use crate::FieldError;
use chrono::{DateTime, NaiveDateTime, Utc};
use chrono_tz::Europe::London;

/// The UK local date and time of an instant.
///
/// ```
/// use assetmap_core::uk_time::uk_local;
/// use chrono::{TimeZone, Utc};
/// // Summer: BST, one hour ahead of UTC.
/// let summer = Utc.with_ymd_and_hms(2025, 6, 3, 17, 30, 0).unwrap();
/// assert_eq!(uk_local(summer).to_string(), "2025-06-03 18:30:00");
/// // Winter: GMT.
/// let winter = Utc.with_ymd_and_hms(2025, 12, 2, 17, 30, 0).unwrap();
/// assert_eq!(uk_local(winter).to_string(), "2025-12-02 17:30:00");
/// ```
pub fn uk_local(utc: DateTime<Utc>) -> NaiveDateTime {
    utc.with_timezone(&London).naive_local()
}

/// Parses a date and time for "open at": ISO 8601, read as UK local time when it has no offset
/// (`2025-06-03T18:30`), converted to UK local time when it has one (`…Z`, `…+01:00`). The
/// error says what is accepted (its `field` is empty: the caller names the parameter).
///
/// ```
/// use assetmap_core::uk_time::parse_local;
/// assert_eq!(parse_local("2025-06-03T18:30").unwrap().to_string(), "2025-06-03 18:30:00");
/// assert_eq!(parse_local("2025-06-03T17:30:00Z").unwrap().to_string(), "2025-06-03 18:30:00");
/// assert!(parse_local("next tuesday").is_err());
/// ```
pub fn parse_local(v: &str) -> Result<NaiveDateTime, FieldError> {
    if let Ok(dt) = DateTime::parse_from_rfc3339(v) {
        return Ok(uk_local(dt.with_timezone(&Utc)));
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(v, f) {
            return Ok(dt);
        }
    }
    Err(FieldError::new(
        "",
        format!(
            "{v:?} is not a date and time; use ISO 8601 UK local time such as 2025-06-03T18:30"
        ),
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use chrono::TimeZone;

    /// The changes happen at 01:00 UTC on the last Sundays of March and October.
    #[test]
    fn bst_starts_and_ends_at_one_utc_on_the_last_sundays() {
        let at = |y, mo, d, h, mi| uk_local(Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap());
        assert_eq!(at(2025, 3, 30, 0, 59).to_string(), "2025-03-30 00:59:00");
        assert_eq!(at(2025, 3, 30, 1, 0).to_string(), "2025-03-30 02:00:00");
        assert_eq!(at(2025, 10, 26, 0, 59).to_string(), "2025-10-26 01:59:00");
        assert_eq!(at(2025, 10, 26, 1, 0).to_string(), "2025-10-26 01:00:00");
    }
}
