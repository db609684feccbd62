//! UK local time (Europe/London, GMT or BST), the time every opening time is written in.
//!
//! Conversions go through the IANA time zone database ([`chrono_tz::Europe::London`]), so they
//! are right for every year, not only under the rule in force since 1996.

use crate::FieldError;
use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};
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
/// (`2025-06-03T18:30`), converted to UK local time when it has one (`…Z`, `…+01:00`, `…+0100`),
/// with or without seconds either way. A `+` sent unencoded in a query string arrives as a
/// space (`2025-06-03T18:30 01:00`): a space before the offset's digits is read as `+`. The
/// error says what is accepted (its `field` is empty: the caller names the parameter).
///
/// ```
/// use assetmap_core::uk_time::parse_local;
/// assert_eq!(parse_local("2025-06-03T18:30").unwrap().to_string(), "2025-06-03 18:30:00");
/// assert_eq!(parse_local("2025-06-03T17:30:00Z").unwrap().to_string(), "2025-06-03 18:30:00");
/// assert_eq!(parse_local("2025-06-03T17:30Z").unwrap().to_string(), "2025-06-03 18:30:00");
/// assert_eq!(parse_local("2025-12-03T18:30+01:00").unwrap().to_string(), "2025-12-03 17:30:00");
/// assert!(parse_local("next tuesday").is_err());
/// ```
pub fn parse_local(v: &str) -> Result<NaiveDateTime, FieldError> {
    let v = v.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(v) {
        return Ok(uk_local(dt.with_timezone(&Utc)));
    }
    let (local, offset) = split_offset(v);
    let Some(naive) = parse_naive(local) else {
        return Err(FieldError::new(
            "",
            format!(
                "{v:?} is not a date and time; use ISO 8601 UK local time such as \
                 2025-06-03T18:30, or a time with an offset such as 2025-06-03T17:30Z or \
                 2025-06-03T18:30+01:00"
            ),
        ));
    };
    let Some(offset) = offset else {
        return Ok(naive);
    };
    let at = offset
        .and_then(|o| o.from_local_datetime(&naive).single())
        .ok_or_else(|| {
            FieldError::new(
                "",
                format!(
                    "{v:?} has an offset that cannot be read; write Z for UTC, or +HH:MM or \
                     -HH:MM (e.g. 2025-06-03T18:30+01:00)"
                ),
            )
        })?;
    Ok(uk_local(at.with_timezone(&Utc)))
}

/// The date and time of `v` without an offset, as ISO 8601 (`T` or a space between them; with
/// or without seconds).
fn parse_naive(v: &str) -> Option<NaiveDateTime> {
    [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(v, f).ok())
}

/// Splits an offset off the end of `v`: the rest, and `None` when there is no offset,
/// `Some(None)` when there is one that is not a valid offset, `Some(Some(offset))` otherwise.
/// Offsets are looked for only after the date (whose `-` are not signs): `Z` (any case),
/// `±HH:MM`, `±HHMM` or `±HH`; a space in the sign's place is a `+` that a query string decoded.
fn split_offset(v: &str) -> (&str, Option<Option<FixedOffset>>) {
    // The time starts after "YYYY-MM-DD" and its separator.
    let Some(time) = v.get(11..) else {
        return (v, None);
    };
    if let Some(rest) = v.strip_suffix(['Z', 'z']) {
        return (rest, Some(FixedOffset::east_opt(0)));
    }
    let Some(at) = time.rfind(['+', '-', ' ']) else {
        return (v, None);
    };
    let (rest, sign_and_offset) = v.split_at(11 + at);
    let sign = match sign_and_offset.as_bytes()[0] {
        b'-' => -1,
        _ => 1,
    };
    let digits = &sign_and_offset[1..];
    if !digits.is_ascii() {
        return (rest, Some(None));
    }
    let (h, m) = match (digits.len(), digits.as_bytes().get(2)) {
        (5, Some(b':')) => (&digits[..2], &digits[3..]),
        (4, _) => (&digits[..2], &digits[2..]),
        (2, _) => (digits, "00"),
        _ => return (rest, Some(None)),
    };
    let number = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| s.parse::<i32>().ok())
            .flatten()
    };
    let offset = match (number(h), number(m)) {
        (Some(h), Some(m)) if h <= 23 && m <= 59 => {
            FixedOffset::east_opt(sign * (h * 3600 + m * 60))
        }
        _ => None,
    };
    (rest, Some(offset))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// The changes happen at 01:00 UTC on the last Sundays of March and October.
    #[test]
    fn bst_starts_and_ends_at_one_utc_on_the_last_sundays() {
        let at = |y, mo, d, h, mi| uk_local(Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap());
        assert_eq!(at(2025, 3, 30, 0, 59).to_string(), "2025-03-30 00:59:00");
        assert_eq!(at(2025, 3, 30, 1, 0).to_string(), "2025-03-30 02:00:00");
        assert_eq!(at(2025, 10, 26, 0, 59).to_string(), "2025-10-26 01:59:00");
        assert_eq!(at(2025, 10, 26, 1, 0).to_string(), "2025-10-26 01:00:00");
    }

    fn local(v: &str) -> String {
        parse_local(v).unwrap().to_string()
    }

    #[test]
    fn offsets_are_read_with_or_without_seconds() {
        // November: GMT, so UTC is UK local time.
        assert_eq!(local("2026-11-29T11:00"), "2026-11-29 11:00:00");
        for v in [
            "2026-11-29T11:00Z",
            "2026-11-29T11:00z",
            "2026-11-29T11:00:00Z",
            "2026-11-29T11:00+00:00",
            "2026-11-29T11:00-00:00",
            "2026-11-29T12:00+01:00",
            "2026-11-29T12:00:00+01:00",
            "2026-11-29T12:00+0100",
            "2026-11-29T12:00+01",
            "2026-11-29T06:00-05:00",
            "2026-11-29 12:00+01:00",
            // "+01:00" unencoded in a query string arrives as " 01:00".
            "2026-11-29T12:00 01:00",
            "2026-11-29T12:00:00 01:00",
            " 2026-11-29T11:00Z ",
        ] {
            assert_eq!(local(v), "2026-11-29 11:00:00", "{v}");
        }
        // June: BST, one hour ahead of UTC.
        assert_eq!(local("2026-06-03T17:30Z"), "2026-06-03 18:30:00");
        assert_eq!(local("2026-06-03T18:30+01:00"), "2026-06-03 18:30:00");
        assert_eq!(local("2026-06-03T17:30+00:00"), "2026-06-03 18:30:00");
        // An offset can move the time to another day.
        assert_eq!(local("2026-11-29T23:30-01:00"), "2026-11-30 00:30:00");
        assert_eq!(local("2026-11-29T00:30+01:00"), "2026-11-28 23:30:00");
    }

    /// 2026: BST from 01:00 UTC on Sunday 29 March to 01:00 UTC on Sunday 25 October.
    #[test]
    fn offset_times_convert_across_the_bst_changes() {
        assert_eq!(local("2026-03-29T00:59Z"), "2026-03-29 00:59:00");
        assert_eq!(local("2026-03-29T01:00Z"), "2026-03-29 02:00:00");
        assert_eq!(local("2026-03-29T02:30+01:00"), "2026-03-29 02:30:00");
        assert_eq!(local("2026-03-29T00:30+00:00"), "2026-03-29 00:30:00");
        assert_eq!(local("2026-10-25T00:59Z"), "2026-10-25 01:59:00");
        assert_eq!(local("2026-10-25T01:00Z"), "2026-10-25 01:00:00");
        // 01:30 happens twice on 25 October: once in BST, once in GMT.
        assert_eq!(local("2026-10-25T01:30+01:00"), "2026-10-25 01:30:00");
        assert_eq!(local("2026-10-25T01:30+00:00"), "2026-10-25 01:30:00");
        assert_eq!(local("2026-10-25T02:30+01:00"), "2026-10-25 01:30:00");
        // The same instant with and without seconds.
        assert_eq!(local("2026-10-25T00:59:00Z"), local("2026-10-25T00:59Z"));
        assert_eq!(
            local("2026-03-29T02:00:00+01:00"),
            local("2026-03-29T02:00+01:00")
        );
    }

    #[test]
    fn bad_times_and_bad_offsets_say_what_is_accepted() {
        for v in [
            "next tuesday",
            "2026-11-29",
            "2026-11-29Z",
            "2026-11-29T25:00Z",
            "2026-11-29T11:60+01:00",
            "2026-11-29T11Z",
            "2026-13-01T11:00Z",
        ] {
            let e = parse_local(v).unwrap_err();
            assert!(e.problem.contains("is not a date and time"), "{v}: {e}");
            assert!(e.problem.contains("2025-06-03T17:30Z"), "{v}: {e}");
        }
        for v in [
            "2026-11-29T11:00+25:00",
            "2026-11-29T11:00+01:60",
            "2026-11-29T11:00+1",
            "2026-11-29T11:00+01:0",
            "2026-11-29T11:00+01:0x",
            "2026-11-29T11:00+0€",
            "2026-11-29T11:00 soon",
        ] {
            let e = parse_local(v).unwrap_err();
            assert!(e.problem.contains("offset that cannot be read"), "{v}: {e}");
            assert!(e.problem.contains("+HH:MM"), "{v}: {e}");
        }
    }
}
