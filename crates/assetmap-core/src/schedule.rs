//! Weekly opening times, including hours that run past midnight and "by arrangement".

use crate::FieldError;
use std::fmt;

/// A day of the week. Serialised as a three-letter lower-case name (`mon` … `sun`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Weekday {
    /// Monday first.
    pub const ALL: [Weekday; 7] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];

    /// The following day (Sunday → Monday).
    pub fn next(self) -> Weekday {
        Weekday::ALL[(self.index() + 1) % 7]
    }

    /// 0 for Monday … 6 for Sunday.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The wire form, e.g. `"tue"` (as serialised).
    pub fn slug(self) -> &'static str {
        ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][self.index()]
    }

    /// The English name, e.g. "Tuesday".
    pub fn name(self) -> &'static str {
        [
            "Monday",
            "Tuesday",
            "Wednesday",
            "Thursday",
            "Friday",
            "Saturday",
            "Sunday",
        ][self.index()]
    }

    /// Parses `mon`, `Monday`, `TUE`… (the first three letters decide).
    pub fn parse(s: &str) -> Result<Weekday, FieldError> {
        let lower = s.trim().to_ascii_lowercase();
        let key = lower.get(..3).unwrap_or("");
        let idx = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
            .iter()
            .position(|d| *d == key);
        match idx {
            Some(i) if lower.len() == 3 || Weekday::ALL[i].name().eq_ignore_ascii_case(&lower) => {
                Ok(Weekday::ALL[i])
            }
            _ => Err(FieldError::new(
                "",
                format!("unknown day {s:?}; use mon, tue, wed, thu, fri, sat or sun"),
            )),
        }
    }
}

impl From<chrono::Weekday> for Weekday {
    fn from(d: chrono::Weekday) -> Self {
        Weekday::ALL[d.num_days_from_monday() as usize]
    }
}

/// A time of day to the minute, `00:00` to `24:00` inclusive (`24:00` only makes sense as a
/// closing time: "until midnight").
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct TimeOfDay(u16);

impl TimeOfDay {
    /// Midnight at the start of the day.
    pub const MIDNIGHT: TimeOfDay = TimeOfDay(0);
    /// Midnight at the end of the day.
    pub const END_OF_DAY: TimeOfDay = TimeOfDay(24 * 60);

    /// From hours and minutes; `24:00` is allowed, anything later is not.
    pub fn from_hm(hours: u16, minutes: u16) -> Result<Self, FieldError> {
        if minutes >= 60 || hours > 24 || (hours == 24 && minutes != 0) {
            return Err(FieldError::new(
                "",
                format!(
                    "{hours:02}:{minutes:02} is not a time of day; use HH:MM from 00:00 to 24:00"
                ),
            ));
        }
        Ok(TimeOfDay(hours * 60 + minutes))
    }

    /// Parses `HH:MM` (24-hour clock; `9:30` is accepted too): one or two ASCII digits, a
    /// colon, two ASCII digits, nothing else (a sign such as `+4:00` or `9:+5` is refused).
    pub fn parse(s: &str) -> Result<Self, FieldError> {
        let bad = || {
            FieldError::new(
                "",
                format!("{s:?} is not a time; use HH:MM on the 24-hour clock, e.g. 09:30 or 18:00"),
            )
        };
        let (h, m) = s.trim().split_once(':').ok_or_else(bad)?;
        let digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
        if h.is_empty() || h.len() > 2 || m.len() != 2 || !digits(h) || !digits(m) {
            return Err(bad());
        }
        let h: u16 = h.parse().map_err(|_| bad())?;
        let m: u16 = m.parse().map_err(|_| bad())?;
        Self::from_hm(h, m).map_err(|_| bad())
    }

    /// Minutes since midnight, 0..=1440.
    pub fn minutes(self) -> u16 {
        self.0
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

impl TryFrom<String> for TimeOfDay {
    type Error = FieldError;
    fn try_from(s: String) -> Result<Self, FieldError> {
        TimeOfDay::parse(&s)
    }
}

impl From<TimeOfDay> for String {
    fn from(t: TimeOfDay) -> String {
        t.to_string()
    }
}

/// One opening on one day. When `closes` is not after `opens` the period runs past midnight
/// into the next day (Friday 22:00–02:00 is open early on Saturday). `00:00`–`24:00` is all day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "RawPeriod", into = "RawPeriod")]
pub struct OpeningPeriod {
    day: Weekday,
    opens: TimeOfDay,
    closes: TimeOfDay,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct RawPeriod {
    day: Weekday,
    opens: TimeOfDay,
    closes: TimeOfDay,
}

impl TryFrom<RawPeriod> for OpeningPeriod {
    type Error = FieldError;
    fn try_from(r: RawPeriod) -> Result<Self, FieldError> {
        OpeningPeriod::new(r.day, r.opens, r.closes)
    }
}

impl From<OpeningPeriod> for RawPeriod {
    fn from(p: OpeningPeriod) -> Self {
        RawPeriod {
            day: p.day,
            opens: p.opens,
            closes: p.closes,
        }
    }
}

impl OpeningPeriod {
    /// Rejects `opens == closes` (ambiguous: use 00:00–24:00 for all day) and `opens` of 24:00.
    pub fn new(day: Weekday, opens: TimeOfDay, closes: TimeOfDay) -> Result<Self, FieldError> {
        if opens == TimeOfDay::END_OF_DAY {
            return Err(FieldError::new(
                "opens",
                "24:00 is not an opening time; use 00:00",
            ));
        }
        if opens == closes {
            return Err(FieldError::new(
                "closes",
                format!(
                    "closes ({closes}) equals opens; for all day use opens 00:00 and closes 24:00"
                ),
            ));
        }
        Ok(Self { day, opens, closes })
    }

    /// The day the period starts on.
    pub fn day(&self) -> Weekday {
        self.day
    }

    /// Opening time.
    pub fn opens(&self) -> TimeOfDay {
        self.opens
    }

    /// Closing time; not after `opens` means the next day.
    pub fn closes(&self) -> TimeOfDay {
        self.closes
    }

    /// True when the period runs past midnight into the next day.
    pub fn crosses_midnight(&self) -> bool {
        self.closes <= self.opens
    }

    /// Whether the asset is open at `time` on `day` because of this period. Opening time is
    /// inclusive, closing time exclusive.
    pub fn contains(&self, day: Weekday, time: TimeOfDay) -> bool {
        if self.crosses_midnight() {
            (day == self.day && time >= self.opens)
                || (day == self.day.next() && time < self.closes)
        } else {
            day == self.day && time >= self.opens && time < self.closes
        }
    }
}

/// What is known of when an asset is open.
///
/// Read from JSON (a store's column, a file) through [`OpeningTimes::new`], like every other
/// way in: periods sorted, exact duplicates dropped, a blank note absent.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(from = "RawOpeningTimes")]
pub struct OpeningTimes {
    /// Regular weekly periods, sorted by day then opening time.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    periods: Vec<OpeningPeriod>,
    /// Open by arrangement (appointment, referral or booking) rather than at set times.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    by_arrangement: bool,
    /// Words from the source, e.g. "closed bank holidays" or "term time only".
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
}

/// [`OpeningTimes`] as JSON has it, before [`OpeningTimes::new`].
#[derive(serde::Deserialize)]
struct RawOpeningTimes {
    #[serde(default)]
    periods: Vec<OpeningPeriod>,
    #[serde(default)]
    by_arrangement: bool,
    #[serde(default)]
    note: Option<String>,
}

impl From<RawOpeningTimes> for OpeningTimes {
    fn from(r: RawOpeningTimes) -> Self {
        OpeningTimes::new(r.periods, r.by_arrangement, r.note)
    }
}

/// The answer to "is it open then?".
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Openness {
    Open,
    Closed,
    /// Open by arrangement: contact them.
    ByArrangement,
    /// No times are recorded.
    Unknown,
}

impl OpeningTimes {
    /// Builds opening times; periods are sorted, exact duplicates dropped.
    pub fn new(
        mut periods: Vec<OpeningPeriod>,
        by_arrangement: bool,
        note: Option<String>,
    ) -> Self {
        periods.sort_by_key(|p| (p.day, p.opens, p.closes));
        periods.dedup();
        let note = note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
        Self {
            periods,
            by_arrangement,
            note,
        }
    }

    /// No times known.
    pub fn unknown() -> Self {
        Self::default()
    }

    /// The regular periods, sorted by day and time.
    pub fn periods(&self) -> &[OpeningPeriod] {
        &self.periods
    }

    /// Open by arrangement.
    pub fn by_arrangement(&self) -> bool {
        self.by_arrangement
    }

    /// Free-text note from the source.
    pub fn note(&self) -> Option<&str> {
        self.note.as_deref()
    }

    /// True when nothing at all is recorded.
    pub fn is_unknown(&self) -> bool {
        self.periods.is_empty() && !self.by_arrangement
    }

    /// Whether the asset is open at `time` on `day` (local time).
    pub fn openness_at(&self, day: Weekday, time: TimeOfDay) -> Openness {
        if self.periods.iter().any(|p| p.contains(day, time)) {
            Openness::Open
        } else if !self.periods.is_empty() {
            Openness::Closed
        } else if self.by_arrangement {
            Openness::ByArrangement
        } else {
            Openness::Unknown
        }
    }

    /// The words the map page uses (`openingSummary` and `openingTimesInWords` in
    /// `web/js/format.js`: keep the two in step), days with the same hours grouped and closed
    /// days left out: "Monday to Friday: 9am to 5:30pm; Saturday: 10am to midday",
    /// "By arrangement", "Opening times not known".
    pub fn in_words(&self) -> String {
        let per_day: Vec<String> = Weekday::ALL
            .iter()
            .map(|d| {
                let hours: Vec<String> = self
                    .periods
                    .iter()
                    .filter(|p| p.day == *d)
                    .map(period_in_words)
                    .collect();
                if hours.is_empty() {
                    "Closed".to_owned()
                } else {
                    hours.join(" and ")
                }
            })
            .collect();
        let mut parts = Vec::new();
        if !self.periods.is_empty() {
            let mut start = 0;
            for i in 1..=7 {
                if i == 7 || per_day[i] != per_day[start] {
                    let first = Weekday::ALL[start].name();
                    let last = Weekday::ALL[i - 1].name();
                    let days = match i - 1 - start {
                        0 => first.to_owned(),
                        1 => format!("{first} and {last}"),
                        _ => format!("{first} to {last}"),
                    };
                    if per_day[start] != "Closed" {
                        parts.push(format!("{days}: {}", per_day[start]));
                    }
                    start = i;
                }
            }
        }
        if self.by_arrangement {
            parts.push(
                if parts.is_empty() {
                    "By arrangement"
                } else {
                    "or by arrangement"
                }
                .to_owned(),
            );
        }
        if let Some(n) = &self.note {
            parts.push(n.clone());
        }
        if parts.is_empty() {
            "Opening times not known".to_owned()
        } else {
            parts.join("; ")
        }
    }

    /// Plain words for people, e.g. "Tuesday 18:00–21:00; Friday 22:00–02:00 (next day)".
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = self
            .periods
            .iter()
            .map(|p| {
                let tail = if p.crosses_midnight() && p.closes != TimeOfDay::MIDNIGHT {
                    " (next day)"
                } else {
                    ""
                };
                if p.opens == TimeOfDay::MIDNIGHT && p.closes == TimeOfDay::END_OF_DAY {
                    format!("{} all day", p.day.name())
                } else {
                    format!("{} {}–{}{tail}", p.day.name(), p.opens, p.closes)
                }
            })
            .collect();
        if self.by_arrangement {
            parts.push("by arrangement".to_owned());
        }
        if let Some(n) = &self.note {
            parts.push(n.clone());
        }
        if parts.is_empty() {
            "times unknown".to_owned()
        } else {
            parts.join("; ")
        }
    }
}

/// "09:00" → "9am", "17:30" → "5:30pm", "12:00" → "midday", "00:00"/"24:00" → "midnight"
/// (`timeInWords` in `web/js/format.js`).
pub fn time_in_words(t: TimeOfDay) -> String {
    let mins = t.minutes();
    if mins == 0 || mins == 1440 {
        return "midnight".to_owned();
    }
    if mins == 720 {
        return "midday".to_owned();
    }
    let (h, m) = (mins / 60, mins % 60);
    let suffix = if h < 12 { "am" } else { "pm" };
    let h12 = if h % 12 == 0 { 12 } else { h % 12 };
    if m == 0 {
        format!("{h12}{suffix}")
    } else {
        format!("{h12}:{m:02}{suffix}")
    }
}

/// One period's hours: "9am to 5:30pm", "7pm to 2am the next day", "All day"
/// (`periodInWords` in `web/js/format.js`).
fn period_in_words(p: &OpeningPeriod) -> String {
    let (o, c) = (p.opens.minutes(), p.closes.minutes());
    if o == 0 && c == 1440 {
        return "All day".to_owned();
    }
    let crosses = c <= o && c != 0;
    format!(
        "{} to {}{}",
        time_in_words(p.opens),
        time_in_words(p.closes),
        if crosses { " the next day" } else { "" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> TimeOfDay {
        TimeOfDay::parse(s).unwrap()
    }

    #[test]
    fn words_match_the_map_page() {
        let p = |d, o: &str, c: &str| OpeningPeriod::new(d, t(o), t(c)).unwrap();
        let weekdays: Vec<OpeningPeriod> = Weekday::ALL[..5]
            .iter()
            .map(|d| p(*d, "09:00", "17:30"))
            .collect();
        let mut ps = weekdays.clone();
        ps.push(p(Weekday::Sat, "10:00", "12:00"));
        assert_eq!(
            OpeningTimes::new(ps, false, None).in_words(),
            "Monday to Friday: 9am to 5:30pm; Saturday: 10am to midday"
        );
        let one = vec![
            p(Weekday::Tue, "11:00", "14:00"),
            p(Weekday::Wed, "11:00", "14:00"),
        ];
        assert_eq!(
            OpeningTimes::new(one, true, Some("term time".into())).in_words(),
            "Tuesday and Wednesday: 11am to 2pm; or by arrangement; term time"
        );
        let late = vec![
            p(Weekday::Fri, "19:00", "02:00"),
            p(Weekday::Sun, "00:00", "24:00"),
        ];
        assert_eq!(
            OpeningTimes::new(late, false, None).in_words(),
            "Friday: 7pm to 2am the next day; Sunday: All day"
        );
        assert_eq!(
            OpeningTimes::new(vec![], true, None).in_words(),
            "By arrangement"
        );
        assert_eq!(
            OpeningTimes::default().in_words(),
            "Opening times not known"
        );
        assert_eq!(time_in_words(t("00:00")), "midnight");
        assert_eq!(time_in_words(t("12:30")), "12:30pm");
        assert_eq!(time_in_words(t("00:15")), "12:15am");
    }

    #[test]
    fn parses_times_and_rejects_bad_ones() {
        assert_eq!(t("09:30").minutes(), 570);
        assert_eq!(t("9:30").minutes(), 570);
        assert_eq!(t("24:00"), TimeOfDay::END_OF_DAY);
        for bad in ["24:01", "12:60", "noon", "1230", "12:3", ":30", "-1:00"] {
            assert!(TimeOfDay::parse(bad).is_err(), "{bad} should be rejected");
        }
        // Found by fuzzing (tests/fuzz, target opening_times): `u16::from_str` takes a leading
        // `+`, so these were read as 04:00 and 09:05.
        for bad in ["+4:00", "9:+5", "+9:30", "1:+0"] {
            assert!(TimeOfDay::parse(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn past_midnight_period_is_open_early_next_day() {
        let p = OpeningPeriod::new(Weekday::Fri, t("22:00"), t("02:00")).unwrap();
        assert!(p.contains(Weekday::Fri, t("23:30")));
        assert!(p.contains(Weekday::Sat, t("01:59")));
        assert!(!p.contains(Weekday::Sat, t("02:00")));
        assert!(!p.contains(Weekday::Fri, t("01:00")));
        let sunday_late = OpeningPeriod::new(Weekday::Sun, t("20:00"), t("01:00")).unwrap();
        assert!(
            sunday_late.contains(Weekday::Mon, t("00:30")),
            "Sunday night wraps to Monday"
        );
    }

    #[test]
    fn all_day_and_equal_times() {
        let all = OpeningPeriod::new(Weekday::Mon, t("00:00"), t("24:00")).unwrap();
        assert!(all.contains(Weekday::Mon, t("00:00")) && all.contains(Weekday::Mon, t("23:59")));
        assert!(!all.contains(Weekday::Tue, t("00:00")));
        assert_eq!(
            OpeningPeriod::new(Weekday::Mon, t("09:00"), t("09:00"))
                .unwrap_err()
                .field,
            "closes"
        );
    }

    #[test]
    fn openness_distinguishes_unknown_and_by_arrangement() {
        assert_eq!(
            OpeningTimes::unknown().openness_at(Weekday::Mon, t("10:00")),
            Openness::Unknown
        );
        let arr = OpeningTimes::new(vec![], true, None);
        assert_eq!(
            arr.openness_at(Weekday::Mon, t("10:00")),
            Openness::ByArrangement
        );
        let tue = OpeningTimes::new(
            vec![OpeningPeriod::new(Weekday::Tue, t("18:00"), t("21:00")).unwrap()],
            false,
            None,
        );
        assert_eq!(tue.openness_at(Weekday::Tue, t("19:00")), Openness::Open);
        assert_eq!(tue.openness_at(Weekday::Wed, t("19:00")), Openness::Closed);
        assert_eq!(tue.describe(), "Tuesday 18:00–21:00");
    }

    #[test]
    fn stored_times_read_back_as_constructed_ones() {
        // Found by fuzzing (tests/fuzz, target opening_times): JSON was read field by field,
        // past `new`, so `{"note": ""}` kept an empty note and was described as "" instead of
        // "times unknown"; stored periods kept whatever order and repeats they had.
        let blank: OpeningTimes = serde_json::from_str(r#"{"note": " "}"#).unwrap();
        assert_eq!(blank, OpeningTimes::unknown());
        assert_eq!(blank.describe(), "times unknown");
        let stored = r#"{"periods": [
            {"day": "tue", "opens": "18:00", "closes": "21:00"},
            {"day": "mon", "opens": "09:00", "closes": "12:00"},
            {"day": "tue", "opens": "18:00", "closes": "21:00"}], "note": " term time "}"#;
        let times: OpeningTimes = serde_json::from_str(stored).unwrap();
        assert_eq!(
            times.describe(),
            "Monday 09:00–12:00; Tuesday 18:00–21:00; term time"
        );
        let again: OpeningTimes =
            serde_json::from_str(&serde_json::to_string(&times).unwrap()).unwrap();
        assert_eq!(again, times);
    }

    #[test]
    fn weekday_parsing() {
        assert_eq!(Weekday::parse("Tuesday").unwrap(), Weekday::Tue);
        assert_eq!(Weekday::parse("sun").unwrap(), Weekday::Sun);
        assert!(Weekday::parse("tuesdayish").is_err());
        assert_eq!(Weekday::Sun.next(), Weekday::Mon);
    }
}
