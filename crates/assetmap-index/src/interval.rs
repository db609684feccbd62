//! Instants and intervals of time, as in the OGC API `datetime` parameter.

use crate::IndexError;
use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};

/// A closed interval of UTC time, either end open (`None`): what the OGC API Features
/// `datetime` parameter selects (Part 1, 7.15.6). An instant is the interval from it to
/// itself.
///
/// # Examples
/// ```
/// use assetmap_index::TimeInterval;
/// use chrono::{TimeZone, Utc};
/// let t = Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap();
/// assert!(TimeInterval::parse_ogc("2025-01-01/..").unwrap().contains(t));
/// assert!(TimeInterval::parse_ogc("../2025-03-01").unwrap().contains(t)); // the whole day
/// assert!(!TimeInterval::parse_ogc("2025-03-02T00:00:00Z/2025-06-01T00:00:00Z").unwrap().contains(t));
/// assert!(TimeInterval::parse_ogc("2025-03-01T13:00:00+01:00").unwrap().contains(t));
/// assert!(TimeInterval::parse_ogc("2025-06-01/2025-01-01").is_err()); // end before start
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeInterval {
    /// The first instant included; `None` for an interval open at the start.
    pub start: Option<DateTime<Utc>>,
    /// The last instant included; `None` for an interval open at the end.
    pub end: Option<DateTime<Utc>>,
}

/// Which end of an interval a date stands for: its first instant or its last.
#[derive(Clone, Copy)]
enum End {
    Start,
    End,
}

impl TimeInterval {
    /// Parses the OGC API `datetime` value: an instant (`2025-01-01T10:00:00Z`, any RFC 3339
    /// offset), a date (`2025-01-01`, the whole UTC day), or an interval `start/end` of those,
    /// either end `..` or empty for open. Both ends are included: a date as an end includes
    /// the whole day. The error says what is wrong.
    pub fn parse_ogc(input: &str) -> Result<TimeInterval, IndexError> {
        let syntax = |problem: String| IndexError::DatetimeSyntax {
            input: input.to_owned(),
            problem,
        };
        let value = input.trim();
        let interval = match value.split_once('/') {
            None => {
                if value.is_empty() || value == ".." {
                    return Err(syntax("it is empty; give an instant or an interval".into()));
                }
                TimeInterval {
                    start: Some(point(value, End::Start).map_err(&syntax)?),
                    end: Some(point(value, End::End).map_err(&syntax)?),
                }
            }
            Some((start, end)) => {
                let open = |s: &str| s.is_empty() || s == "..";
                let (start, end) = (start.trim(), end.trim());
                if end.contains('/') {
                    return Err(syntax("it has more than one '/'".into()));
                }
                TimeInterval {
                    start: (!open(start))
                        .then(|| point(start, End::Start))
                        .transpose()
                        .map_err(&syntax)?,
                    end: (!open(end))
                        .then(|| point(end, End::End))
                        .transpose()
                        .map_err(&syntax)?,
                }
            }
        };
        if let (Some(s), Some(e)) = (interval.start, interval.end) {
            if s > e {
                return Err(syntax("its start is after its end".into()));
            }
        }
        Ok(interval)
    }

    /// Whether `t` lies in the interval (ends included).
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.start.is_none_or(|s| s <= t) && self.end.is_none_or(|e| t <= e)
    }
}

/// One end: an RFC 3339 date-time (converted to UTC), or a date standing for its first
/// (`End::Start`) or last (`End::End`, one nanosecond before the next day) instant in UTC.
fn point(s: &str, end: End) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    let date = NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
        format!("{s:?} is not a date (2025-01-31) or an RFC 3339 date-time (2025-01-31T09:00:00Z)")
    })?;
    let first = date.and_time(NaiveTime::MIN).and_utc();
    Ok(match end {
        End::Start => first,
        End::End => first + TimeDelta::days(1) - TimeDelta::nanoseconds(1),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
    }

    #[test]
    fn instants_dates_and_open_ends() {
        let i = TimeInterval::parse_ogc("2025-01-01T00:00:00Z").unwrap();
        assert_eq!(
            (i.start, i.end),
            (Some(at(2025, 1, 1, 0)), Some(at(2025, 1, 1, 0)))
        );
        let day = TimeInterval::parse_ogc("2025-01-01").unwrap();
        assert!(day.contains(at(2025, 1, 1, 0)) && day.contains(at(2025, 1, 1, 23)));
        assert!(!day.contains(at(2025, 1, 2, 0)) && !day.contains(at(2024, 12, 31, 23)));
        for open in ["../2025-06-01T00:00:00Z", "/2025-06-01T00:00:00Z"] {
            let i = TimeInterval::parse_ogc(open).unwrap();
            assert_eq!((i.start, i.end), (None, Some(at(2025, 6, 1, 0))), "{open}");
        }
        let i = TimeInterval::parse_ogc("2025-01-01/..").unwrap();
        assert_eq!((i.start, i.end), (Some(at(2025, 1, 1, 0)), None));
        let both = TimeInterval::parse_ogc("2025-01-01/2025-06-01").unwrap();
        assert!(both.contains(at(2025, 6, 1, 23)) && !both.contains(at(2025, 6, 2, 0)));
        let all = TimeInterval::parse_ogc("../..").unwrap();
        assert_eq!((all.start, all.end), (None, None));
        let offset = TimeInterval::parse_ogc("2025-01-01T10:00:00+02:00").unwrap();
        assert_eq!(offset.start, Some(at(2025, 1, 1, 8)));
    }

    #[test]
    fn errors_say_what_is_wrong() {
        for (bad, says) in [
            ("", "empty"),
            ("..", "empty"),
            ("yesterday", "not a date"),
            ("2025-13-01", "not a date"),
            ("2025-01-01T25:00:00Z", "not a date"),
            ("2025-01-01/2025-02-01/2025-03-01", "more than one"),
            ("2025-06-01/2025-01-01", "start is after its end"),
        ] {
            let e = TimeInterval::parse_ogc(bad).unwrap_err().to_string();
            assert!(e.contains(says), "{bad:?}: {e}");
        }
    }
}
