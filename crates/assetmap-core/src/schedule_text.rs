//! Opening hours written as free text, as councils' spreadsheets have them, read into
//! [`OpeningTimes`] by [`parse_opening_text`].
//!
//! Case does not matter. Commas, semicolons, full stops, colons, slashes, new lines, `&` and
//! `and` separate parts; hyphens, en and em dashes, `to`, `till`, `until` make ranges.
//!
//! | Form | Examples | Read as |
//! |------|----------|---------|
//! | a day | `Mon`, `Tues`, `Weds`, `Thurs`, `Monday`, `Mondays`, `Every Monday` | that day |
//! | a day range | `Mon–Fri`, `Monday to Friday`, `Fri-Mon` | the days between, wrapping past Sunday |
//! | a day list | `Sat & Sun`, `Tues, Thurs`, `Sat/Sun` | those days |
//! | day words | `Weekdays`, `Weekends`, `Daily`, `Every day`, `Everyday`, `7 days (a week)`, `All week` | Mon–Fri, Sat–Sun, every day |
//! | 12-hour times | `9am`, `9.30am`, `4:30 p.m.`, `12pm` (noon), `12am` (midnight) | |
//! | 24-hour times | `9:00`, `09.30`, `0900`, `17:00`, `24:00` | |
//! | bare hours | `9-5`, `10-12`, `7-10pm` | see "Guesses" below |
//! | time words | `noon`, `midday`, `12 noon`, `midnight` | 12:00, 00:00 (24:00 as a closing time) |
//! | time ranges | `9am–5pm`, `9:00-17:00`, `from 9 to 5`, `6pm–2am` (past midnight) | |
//! | several ranges | `Mon–Fri 9am–1pm, 2pm–5pm` | both ranges on each day |
//! | several groups | `Mon–Fri 9am–5pm, Sat 10am–12pm` | |
//! | days after times | `9am-5pm Mon-Fri` | as `Mon-Fri 9am-5pm` |
//! | all day | `24 hours`, `open 24 hours`, `24/7`, `Sat all day`, `Mon-Fri 24 hours` | 00:00–24:00 (every day, unless days are given) |
//! | by arrangement | `by appointment (only)`, `by arrangement`, `appointment only`, `on request`, `call to book`, `ring for times`, `other times by appointment` | `by_arrangement`, alone or beside hours |
//! | closed | `Sun closed`, `Closed on Sundays`, `closed weekends`, `Daily 9-5 except Sun`, `Closed` | no period on those days (removed even if another part gave hours) |
//! | remarks | `(term time only)`, ` - closed bank holidays` | the note |
//! | filler | `open`, `from`, `on`, `only` | ignored |
//!
//! # Guesses
//!
//! - **Bare closing hour.** A closing time with no am/pm, 12 or less and written without a
//!   leading zero (`5`, `5:30`, not `05:00`) is read as the first time after the opening:
//!   `9-5` is 09:00–17:00, `10-12` is 10:00–12:00, `9-9` is 09:00–21:00, `6pm-11` is
//!   18:00–23:00, `8pm-2` is 20:00–02:00 (no later reading exists). After an opening on the
//!   24-hour clock (`19:00`, `08:00`) it is taken as written: `19:00-08:00` runs overnight.
//! - **Bare opening hour before an am/pm closing.** It takes the end's pm when that keeps it
//!   before the closing (`7-10pm` is 19:00–22:00, but `9-5pm` is 09:00–17:00); before an am
//!   closing it is am if that is before the closing, else pm (`1-4am` is 01:00–04:00, `10-2am`
//!   is 22:00–02:00).
//! - **Both bare.** An opening hour from 1 to 6 is read as pm (`2-4` is 14:00–16:00, `1-4`
//!   13:00–16:00, `6-9` 18:00–21:00); from 7 to 12 as written (`7-9` is 07:00–09:00). Write
//!   `2am-4am` or `02:00-04:00` for the small hours.
//! - **Midnight** closes at 24:00 (`6pm–midnight`, `6pm-12am`, `18:00-00:00` are all
//!   18:00–24:00); it opens at 00:00. `24 hours` is 00:00–24:00, which [`OpeningPeriod`] takes as
//!   all day.
//! - **Times with no days.** A text whose only days are closed days or none (`9am-5pm`,
//!   `9-1, 2-5`, `9-5, Sun closed`, `9-5, other times by appointment`) reads its times as every
//!   day (but the closed ones). Times with no days *first*, followed by weekend days only, are
//!   the working week: `9:00-17:00, Sat 10-12` is Monday to Friday 09:00–17:00 and Saturday
//!   10:00–12:00. Beside weekdays named elsewhere (`9-5, Wed 10-12`), or after other days, they
//!   are refused: the days meant are not written.
//! - **Days with "by appointment"** (`Tuesdays by appointment`) set `by_arrangement` and put the
//!   days in the note ("on Tuesday"), since [`OpeningTimes`] has no days for arrangements.
//!
//! # Refused
//!
//! Anything not read in full: unknown words (`Mon-Frii 9-5`, `every other Tuesday`, `closed
//! bank holidays` outside brackets or a " - " remark), a time with no range (`9am`), a range
//! with no end (`Mon-Fri 9am-`), impossible times (`25:00`, `13pm`, `9:75`), days with no times
//! (`Sat & Sun`), times with no days beside weekdays named elsewhere, opening and closing at the same time,
//! different hours overlapping on one day (`Mon–Fri 7.30am–6pm (term time), 8am–6pm
//! (holidays)` is two seasons, not one week), unbalanced brackets, and texts over
//! [`MAX_TEXT_CHARS`] characters. A bracketed remark or a remark after " - " is only a note when
//! it has no day, time or "by appointment" in it;
//! otherwise it is read like the rest (`Mon-Fri 9-5 (Sat 10-12)` gives Saturday too).

use crate::schedule::{OpeningPeriod, OpeningTimes, TimeOfDay, Weekday};
use crate::FieldError;

/// The longest text read, in characters; a longer one is refused.
pub const MAX_TEXT_CHARS: usize = 500;

/// How the problems end: an example of what is read.
const EXAMPLE: &str = "write hours like \"Mon–Fri 9am–5pm, Sat 10am–12pm\"";

/// Reads opening hours written as free text (see the [module documentation](self) for the
/// forms read and the guesses made).
///
/// Empty or blank text is [`OpeningTimes::unknown`]. Anything read only in part is an error
/// whose problem names the part and gives an example; only bracketed remarks and a remark after
/// " - " with no day or time in them go to the note.
///
/// ```
/// use assetmap_core::schedule::{TimeOfDay, Weekday};
/// use assetmap_core::schedule_text::parse_opening_text;
///
/// let times = parse_opening_text("Mon–Fri 9am–5pm, Sat 10-12 (term time only)").unwrap();
/// assert_eq!(times.periods().len(), 6);
/// assert_eq!(times.periods()[5].day(), Weekday::Sat);
/// assert_eq!(times.periods()[5].closes(), TimeOfDay::parse("12:00").unwrap());
/// assert_eq!(times.note(), Some("term time only"));
/// assert!(parse_opening_text("Mon-Frii 9-5").unwrap_err().problem.contains("Frii"));
/// ```
pub fn parse_opening_text(text: &str) -> Result<OpeningTimes, FieldError> {
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(problem(format!(
            "the opening hours are longer than {MAX_TEXT_CHARS} characters; {EXAMPLE}"
        )));
    }
    if text.trim().is_empty() {
        return Ok(OpeningTimes::unknown());
    }
    let mut tokens = tokenize(text)?;
    mark_arrangements(&mut tokens);
    let mut notes = Vec::new();
    take_dash_note(text, &mut tokens, &mut notes);
    take_bracket_notes(text, &mut tokens, &mut notes)?;
    let mut parser = Parser {
        text,
        tokens: &tokens,
        pos: 0,
        reading: Reading::default(),
    };
    parser.run()?;
    parser.reading.finish(text, notes)
}

fn problem(problem: String) -> FieldError {
    FieldError::new("", problem)
}

// ---------------------------------------------------------------------------------------------
// Tokens

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    /// Letters, lower-cased (`and` is a [`Kind::Sep`], `a.m.` is `am`).
    Word(String),
    Num(Num),
    Dash {
        /// With white space on both sides: may start a remark.
        spaced: bool,
    },
    Sep,
    Slash,
    Open,
    Close,
    /// A "by appointment" phrase, with the words around it that belong to it.
    Arrangement,
}

/// A number as written: `9`, `9:30`, `09.30`, `0930`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Num {
    hour: u16,
    minute: u16,
    has_minutes: bool,
    /// Written as on the 24-hour clock: a leading zero, hour 0 or over 12.
    clock24: bool,
}

#[derive(Debug, Clone, PartialEq)]
struct Token {
    kind: Kind,
    /// Byte span in the original text.
    start: usize,
    end: usize,
}

fn is_dash(c: char) -> bool {
    matches!(c, '-' | '–' | '—' | '‒' | '−' | '~')
}

/// Splits the text into words, numbers, dashes, separators and brackets.
fn tokenize(text: &str) -> Result<Vec<Token>, FieldError> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let at = |i: usize| chars.get(i).map(|&(_, c)| c);
    let offset = |i: usize| chars.get(i).map_or(text.len(), |&(o, _)| o);
    let mut tokens = Vec::new();
    let mut i = 0;
    while let Some(c) = at(i) {
        let start = offset(i);
        let simple = match c {
            _ if c.is_whitespace() => {
                i += 1;
                continue;
            }
            ',' | ';' | '.' | ':' | '&' | '+' | '|' => Some(Kind::Sep),
            '/' => Some(Kind::Slash),
            '(' | '[' => Some(Kind::Open),
            ')' | ']' => Some(Kind::Close),
            _ if is_dash(c) => {
                let before = i == 0 || at(i - 1).is_some_and(char::is_whitespace);
                let after = at(i + 1).is_none_or(char::is_whitespace);
                Some(Kind::Dash {
                    spaced: before && after,
                })
            }
            _ => None,
        };
        if let Some(kind) = simple {
            i += 1;
            tokens.push(Token {
                kind,
                start,
                end: offset(i),
            });
        } else if c.is_ascii_digit() {
            let (num, next) = read_number(text, &chars, i)?;
            i = next;
            tokens.push(Token {
                kind: Kind::Num(num),
                start,
                end: offset(i),
            });
        } else if c.is_alphabetic() {
            let mut word = String::new();
            while let Some(c) = at(i).filter(|c| c.is_alphabetic()) {
                word.extend(c.to_lowercase());
                i += 1;
            }
            // "a.m." and "p.m."
            if (word == "a" || word == "p") && at(i) == Some('.') && at(i + 1) == Some('m') {
                word.push('m');
                i += 2;
                if at(i) == Some('.') {
                    i += 1;
                }
            }
            let end = offset(i);
            let kind = if word == "and" {
                Kind::Sep
            } else {
                Kind::Word(word)
            };
            tokens.push(Token { kind, start, end });
        } else {
            return Err(problem(format!(
                "could not read {:?} in {:?}; {EXAMPLE}",
                c.to_string(),
                text.trim()
            )));
        }
    }
    Ok(tokens)
}

/// Reads `9`, `9:30`, `9.30`, `930`, `0930` from `chars[i]`; returns the number and the index
/// after it.
fn read_number(text: &str, chars: &[(usize, char)], i: usize) -> Result<(Num, usize), FieldError> {
    let digits_from = |mut j: usize| {
        let from = j;
        while chars.get(j).is_some_and(|&(_, c)| c.is_ascii_digit()) {
            j += 1;
        }
        (
            chars[from..j].iter().map(|&(_, c)| c).collect::<String>(),
            j,
        )
    };
    let (first, mut j) = digits_from(i);
    let mut minutes = None;
    if chars.get(j).is_some_and(|&(_, c)| c == ':' || c == '.')
        && chars.get(j + 1).is_some_and(|&(_, c)| c.is_ascii_digit())
    {
        let (m, next) = digits_from(j + 1);
        minutes = Some(m);
        j = next;
    }
    let written = &text[chars[i].0..chars.get(j).map_or(text.len(), |&(o, _)| o)];
    let bad = || {
        problem(format!(
            "{written:?} is not a time; write times like 9am, 9.30am, 09:30 or 17:00; {EXAMPLE}"
        ))
    };
    let (hour_digits, minute_digits) = match &minutes {
        Some(m) if first.len() <= 2 && m.len() == 2 => (first.as_str(), m.as_str()),
        Some(_) => return Err(bad()),
        None if first.len() <= 2 => (first.as_str(), "0"),
        None if first.len() <= 4 => first.split_at(first.len() - 2),
        None => return Err(bad()),
    };
    let hour: u16 = hour_digits.parse().map_err(|_| bad())?;
    let minute: u16 = minute_digits.parse().map_err(|_| bad())?;
    let num = Num {
        hour,
        minute,
        has_minutes: minutes.is_some() || first.len() > 2,
        clock24: hour > 12 || hour == 0 || (hour_digits.len() == 2 && hour_digits.starts_with('0')),
    };
    Ok((num, j))
}

fn word(t: &Token) -> Option<&str> {
    match &t.kind {
        Kind::Word(w) => Some(w),
        _ => None,
    }
}

/// The "by appointment" phrases, longest first where one starts another.
const ARRANGEMENT_PHRASES: &[&[&str]] = &[
    &["by", "prior", "arrangement"],
    &["by", "appointment"],
    &["by", "appointments"],
    &["by", "arrangement"],
    &["by", "referral"],
    &["appointment", "only"],
    &["appointments", "only"],
    &["on", "request"],
    &["upon", "request"],
    &["call", "to", "book"],
    &["phone", "to", "book"],
    &["ring", "to", "book"],
    &["call", "for", "times"],
    &["phone", "for", "times"],
    &["ring", "for", "times"],
];

/// Words that belong to a "by appointment" phrase when just before it ("other times by
/// appointment", "or by arrangement").
const ARRANGEMENT_LEAD: &[&str] = &[
    "other",
    "times",
    "time",
    "at",
    "any",
    "otherwise",
    "or",
    "also",
    "open",
];

/// Replaces each "by appointment" phrase, with its lead words and a following "only", by one
/// [`Kind::Arrangement`] token.
fn mark_arrangements(tokens: &mut Vec<Token>) {
    let mut out: Vec<Token> = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        let len = ARRANGEMENT_PHRASES.iter().find_map(|phrase| {
            let matches = phrase.len() <= tokens.len() - i
                && phrase
                    .iter()
                    .zip(&tokens[i..])
                    .all(|(p, t)| word(t) == Some(p));
            matches.then_some(phrase.len())
        });
        let Some(mut len) = len else {
            out.push(tokens[i].clone());
            i += 1;
            continue;
        };
        if tokens.get(i + len).and_then(word) == Some("only") {
            len += 1;
        }
        let mut start = tokens[i].start;
        while let Some(lead) = out
            .last()
            .filter(|t| word(t).is_some_and(|w| ARRANGEMENT_LEAD.contains(&w)))
        {
            start = lead.start;
            out.pop();
        }
        out.push(Token {
            kind: Kind::Arrangement,
            start,
            end: tokens[i + len - 1].end,
        });
        i += len;
    }
    *tokens = out;
}

/// A day name: `mon`, `tues`, `thurs`, `monday`, `mondays`…
fn day_word(w: &str) -> Option<Weekday> {
    use Weekday::*;
    const SHORT: &[(&str, Weekday)] = &[
        ("mon", Mon),
        ("tue", Tue),
        ("tues", Tue),
        ("wed", Wed),
        ("weds", Wed),
        ("thu", Thu),
        ("thur", Thu),
        ("thurs", Thu),
        ("fri", Fri),
        ("sat", Sat),
        ("sun", Sun),
    ];
    if let Some(&(_, d)) = SHORT.iter().find(|(s, _)| *s == w) {
        return Some(d);
    }
    let singular = w.strip_suffix('s').unwrap_or(w);
    Weekday::ALL
        .into_iter()
        .find(|d| d.name().eq_ignore_ascii_case(singular))
}

/// Whether a token is something the parser reads (a day, a time, a number, "by appointment"),
/// so that a remark holding it is read rather than kept as a note.
fn meaningful(t: &Token) -> bool {
    match &t.kind {
        Kind::Num(_) | Kind::Arrangement => true,
        Kind::Word(w) => {
            day_word(w).is_some()
                || matches!(
                    w.as_str(),
                    "weekdays"
                        | "weekday"
                        | "weekends"
                        | "weekend"
                        | "daily"
                        | "everyday"
                        | "noon"
                        | "midday"
                        | "midnight"
                        | "am"
                        | "pm"
                )
        }
        _ => false,
    }
}

/// A remark after a spaced dash (" - closed bank holidays") with no day or time in it becomes
/// a note, and is cut from the tokens.
fn take_dash_note(text: &str, tokens: &mut Vec<Token>, notes: &mut Vec<String>) {
    let mut depth = 0usize;
    for k in 0..tokens.len() {
        match tokens[k].kind {
            Kind::Open => depth += 1,
            Kind::Close => depth = depth.saturating_sub(1),
            Kind::Dash { spaced: true } if depth == 0 => {
                let rest = &tokens[k + 1..];
                if rest.iter().any(|t| word(t).is_some()) && !rest.iter().any(meaningful) {
                    notes.push(text[tokens[k].end..].trim().to_owned());
                    tokens.truncate(k);
                    return;
                }
            }
            _ => {}
        }
    }
}

/// Bracketed remarks with no day or time in them become notes; other brackets are read as
/// separators.
fn take_bracket_notes(
    text: &str,
    tokens: &mut Vec<Token>,
    notes: &mut Vec<String>,
) -> Result<(), FieldError> {
    let unbalanced = || {
        problem(format!(
            "the brackets in {:?} do not pair up; {EXAMPLE}, with remarks in brackets",
            text.trim()
        ))
    };
    let mut i = 0;
    while i < tokens.len() {
        match tokens[i].kind {
            Kind::Close => return Err(unbalanced()),
            Kind::Open => {
                let mut depth = 0usize;
                let close = (i..tokens.len())
                    .find(|&j| {
                        match tokens[j].kind {
                            Kind::Open => depth += 1,
                            Kind::Close => depth -= 1,
                            _ => {}
                        }
                        depth == 0
                    })
                    .ok_or_else(unbalanced)?;
                if tokens[i + 1..close].iter().any(meaningful) {
                    tokens[i].kind = Kind::Sep;
                    tokens[close].kind = Kind::Sep;
                    i += 1;
                } else {
                    let note = text[tokens[i].end..tokens[close].start].trim();
                    if !note.is_empty() {
                        notes.push(note.to_owned());
                    }
                    tokens.drain(i..=close);
                }
            }
            _ => i += 1,
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Parsing

#[derive(Debug, Clone, Copy, PartialEq)]
enum Meridiem {
    Am,
    Pm,
}

/// A time as written, checked to be a possible time.
#[derive(Debug, Clone, Copy)]
struct RawTime {
    hour: u16,
    minute: u16,
    meridiem: Option<Meridiem>,
    clock24: bool,
}

impl RawTime {
    /// Minutes since midnight as written (12am is 0, 12pm is 720).
    fn minutes(self) -> u16 {
        let hour = match self.meridiem {
            None => self.hour,
            Some(Meridiem::Am) => self.hour % 12,
            Some(Meridiem::Pm) => self.hour % 12 + 12,
        };
        hour * 60 + self.minute
    }
}

/// Opening and closing minutes of a range, with the guesses of the module documentation;
/// a closing midnight is 1440 (24:00).
fn resolve(s: RawTime, e: RawTime) -> (u16, u16) {
    let opens = match (s.meridiem, e.meridiem) {
        (None, Some(m)) if !s.clock24 => {
            let am = (s.hour % 12) * 60 + s.minute;
            let pm = am + 720;
            let closes = e.minutes();
            match m {
                Meridiem::Pm if pm < closes => pm,
                Meridiem::Pm => am,
                Meridiem::Am if am < closes => am,
                Meridiem::Am => pm,
            }
        }
        // Both without am/pm: nobody opens at 1 to 6 in the morning unless they say so.
        (None, None) if !s.clock24 && (1..=6).contains(&s.hour) => s.minutes() + 720,
        _ => s.minutes(),
    };
    let closes = match e.meridiem {
        None if !e.clock24 && (s.meridiem.is_some() || !s.clock24) => {
            let written = e.minutes();
            let later = if e.hour < 12 {
                written + 720
            } else {
                1440 + e.minute
            };
            if written > opens {
                written
            } else if later > opens && later <= 1440 {
                later
            } else {
                written
            }
        }
        _ => e.minutes(),
    };
    (opens, if closes == 0 { 1440 } else { closes })
}

/// One time range, as minutes, and where it is written.
#[derive(Debug, Clone, Copy)]
struct Range {
    opens: u16,
    closes: u16,
    start: usize,
    end: usize,
}

/// Time ranges for some days (`None`: no days written).
#[derive(Debug)]
struct Group {
    days: Option<Vec<Weekday>>,
    ranges: Vec<Range>,
}

#[derive(Debug, Default)]
struct Reading {
    groups: Vec<Group>,
    closed: Vec<Weekday>,
    by_arrangement: bool,
    notes: Vec<String>,
}

impl Reading {
    fn finish(self, text: &str, mut notes: Vec<String>) -> Result<OpeningTimes, FieldError> {
        // Times with no days beside other parts: for the other days of the week when the only
        // days named are the weekend ("9:00-17:00, Sat 10-12": Monday to Friday) or none at all
        // ("9-5, Sun closed", "9-5, other times by appointment": every day); refused otherwise,
        // since the days meant are not written.
        let named: Vec<Weekday> = self
            .groups
            .iter()
            .filter_map(|g| g.days.clone())
            .flatten()
            .collect();
        let weekend_only = named
            .iter()
            .all(|d| matches!(d, Weekday::Sat | Weekday::Sun));
        let first_is_dayless = self.groups.first().is_some_and(|g| g.days.is_none());
        let dayless_groups = self.groups.iter().filter(|g| g.days.is_none()).count();
        let dayless_days: Vec<Weekday> = if named.is_empty() {
            Weekday::ALL.to_vec()
        } else if weekend_only && first_is_dayless && dayless_groups == 1 {
            Weekday::ALL[..5].to_vec()
        } else if let Some(g) = self.groups.iter().find(|g| g.days.is_none()) {
            let (start, end) = (g.ranges[0].start, g.ranges[g.ranges.len() - 1].end);
            return Err(problem(format!(
                "{:?} has times but no days, beside weekdays named elsewhere (times with no \
                 days are read as every day when they stand alone, as Monday to Friday before \
                 weekend days); put the days first, {EXAMPLE}",
                &text[start..end]
            )));
        } else {
            Vec::new()
        };
        let mut periods = Vec::new();
        for g in &self.groups {
            let days = g.days.clone().unwrap_or_else(|| dayless_days.clone());
            for r in &g.ranges {
                let written = &text[r.start..r.end];
                let bad = |e: FieldError| {
                    problem(format!(
                        "could not read {written:?}: {}; {EXAMPLE}",
                        e.problem
                    ))
                };
                let opens = TimeOfDay::from_hm(r.opens / 60, r.opens % 60).map_err(bad)?;
                let closes = TimeOfDay::from_hm(r.closes / 60, r.closes % 60).map_err(bad)?;
                for &day in &days {
                    if !self.closed.contains(&day) {
                        periods.push(OpeningPeriod::new(day, opens, closes).map_err(bad)?);
                    }
                }
            }
        }
        notes.extend(self.notes);
        let note = (!notes.is_empty()).then(|| notes.join("; "));
        let times = OpeningTimes::new(periods, self.by_arrangement, note);
        // Two different periods on one day that overlap are hours for different seasons
        // ("7.30am-6pm (term time), 8am-6pm (holidays)"), not one week: refused.
        for w in times.periods().windows(2) {
            let end = |p: &OpeningPeriod| {
                if p.crosses_midnight() {
                    TimeOfDay::END_OF_DAY
                } else {
                    p.closes()
                }
            };
            if w[0].day() == w[1].day() && w[1].opens() < end(&w[0]) {
                return Err(problem(format!(
                    "the hours given for {} overlap ({}–{} and {}–{}); give each day's hours \
                     once, with remarks such as \"(term time only)\" at the end; {EXAMPLE}",
                    w[0].day().name(),
                    w[0].opens(),
                    w[0].closes(),
                    w[1].opens(),
                    w[1].closes()
                )));
            }
        }
        Ok(times)
    }
}

/// Words skipped wherever a part may start.
const FILLER: &[&str] = &["open", "from", "on", "only"];

/// Words that make a range between two days or two times, besides dashes.
const RANGE_WORDS: &[&str] = &["to", "till", "til", "until", "thru", "through"];

struct Parser<'a> {
    text: &'a str,
    tokens: &'a [Token],
    pos: usize,
    reading: Reading,
}

impl<'a> Parser<'a> {
    fn peek(&self, ahead: usize) -> Option<&'a Token> {
        self.tokens.get(self.pos + ahead)
    }

    fn word_at(&self, ahead: usize) -> Option<&'a str> {
        self.peek(ahead).and_then(word)
    }

    fn num_at(&self, ahead: usize) -> Option<Num> {
        match self.peek(ahead)?.kind {
            Kind::Num(n) => Some(n),
            _ => None,
        }
    }

    fn skip_seps(&mut self) {
        while self
            .peek(0)
            .is_some_and(|t| matches!(t.kind, Kind::Sep | Kind::Slash))
        {
            self.pos += 1;
        }
    }

    fn skip_fillers(&mut self) {
        while self.word_at(0).is_some_and(|w| FILLER.contains(&w)) {
            self.pos += 1;
        }
    }

    fn at_range_word(&self) -> bool {
        match self.peek(0).map(|t| &t.kind) {
            Some(Kind::Dash { .. }) => true,
            Some(Kind::Word(w)) => RANGE_WORDS.contains(&w.as_str()),
            _ => false,
        }
    }

    /// The part holding token `i`: from the separator before it to the one after.
    fn part_around(&self, i: usize) -> &'a str {
        let is_sep = |t: &Token| matches!(t.kind, Kind::Sep);
        let i = i.min(self.tokens.len().saturating_sub(1));
        let Some(tok) = self.tokens.get(i) else {
            return self.text.trim();
        };
        let first = self.tokens[..i]
            .iter()
            .rposition(is_sep)
            .map_or(0, |p| p + 1);
        let last = self.tokens[i..]
            .iter()
            .position(is_sep)
            .map_or(self.tokens.len(), |p| i + p);
        let start = self.tokens.get(first).map_or(tok.start, |t| t.start);
        let end = self.tokens[..last].last().map_or(tok.end, |t| t.end);
        &self.text[start.min(tok.start)..end.max(tok.end)]
    }

    fn unreadable(&self, i: usize) -> FieldError {
        let Some(tok) = self.tokens.get(i) else {
            return problem(format!("{:?} stops short; {EXAMPLE}", self.text.trim()));
        };
        problem(format!(
            "could not read {:?} in {:?}; {EXAMPLE}",
            &self.text[tok.start..tok.end],
            self.part_around(i)
        ))
    }

    /// Reads every part.
    fn run(&mut self) -> Result<(), FieldError> {
        loop {
            while self.peek(0).is_some_and(|t| {
                matches!(
                    t.kind,
                    Kind::Sep | Kind::Slash | Kind::Dash { spaced: true }
                )
            }) {
                self.pos += 1;
            }
            self.skip_fillers();
            let Some(tok) = self.peek(0) else {
                return Ok(());
            };
            if tok.kind == Kind::Arrangement {
                self.pos += 1;
                self.reading.by_arrangement = true;
            } else if matches!(self.word_at(0), Some("closed" | "except")) {
                // "closed" alone closes nothing more; "except" needs its days.
                let except = self.word_at(0) == Some("except");
                self.pos += 1;
                self.skip_fillers();
                match self.days()? {
                    Some(days) => self.reading.closed.extend(days),
                    None if except => return Err(self.unreadable(self.pos - 1)),
                    None => {}
                }
            } else if self.all_week_all_day() {
                self.push_all_day(Weekday::ALL.to_vec());
            } else if let Some(days) = self.days()? {
                self.after_days(days)?;
            } else if self.at_time() {
                let ranges = self.time_ranges()?;
                let save = self.pos;
                self.skip_fillers();
                let days = match self.days()? {
                    Some(days) if !self.at_time() => Some(days),
                    _ => {
                        self.pos = save;
                        None
                    }
                };
                self.reading.groups.push(Group { days, ranges });
            } else {
                return Err(self.unreadable(self.pos));
            }
        }
    }

    /// `24/7`, `24 hours` (`a day`), `24hrs`: consumed if there.
    fn all_week_all_day(&mut self) -> bool {
        if self
            .num_at(0)
            .is_some_and(|n| n.hour == 24 && !n.has_minutes)
            && matches!(self.peek(1).map(|t| &t.kind), Some(Kind::Slash))
            && self
                .num_at(2)
                .is_some_and(|n| n.hour == 7 && !n.has_minutes)
        {
            self.pos += 3;
            return true;
        }
        self.twenty_four_hours()
    }

    /// `24 hours`, `24hrs`, `all day`, with `a day` after: consumed if there.
    fn twenty_four_hours(&mut self) -> bool {
        let hours = self
            .num_at(0)
            .is_some_and(|n| n.hour == 24 && !n.has_minutes)
            && matches!(self.word_at(1), Some("hours" | "hour" | "hrs" | "hr"));
        let all_day = self.word_at(0) == Some("all") && self.word_at(1) == Some("day");
        if !(hours || all_day) {
            return false;
        }
        self.pos += 2;
        if self.word_at(0) == Some("a") && self.word_at(1) == Some("day") {
            self.pos += 2;
        }
        // "24 hours a day, 7 days a week"
        let save = self.pos;
        self.skip_seps();
        if !matches!(self.day_term(), Ok(Some(days)) if days.len() == 7) {
            self.pos = save;
        }
        true
    }

    fn push_all_day(&mut self, days: Vec<Weekday>) {
        let (start, end) = (
            self.tokens[self.pos - 1].start,
            self.tokens[self.pos - 1].end,
        );
        self.reading.groups.push(Group {
            days: Some(days),
            ranges: vec![Range {
                opens: 0,
                closes: 1440,
                start,
                end,
            }],
        });
    }

    /// What follows a day selection: times, "closed", "by appointment" or "24 hours".
    fn after_days(&mut self, days: Vec<Weekday>) -> Result<(), FieldError> {
        let days_at = self.pos;
        self.skip_seps();
        self.skip_fillers();
        if self.word_at(0) == Some("closed") {
            self.pos += 1;
            self.reading.closed.extend(days);
        } else if self.peek(0).is_some_and(|t| t.kind == Kind::Arrangement) {
            self.pos += 1;
            self.reading.by_arrangement = true;
            let names: Vec<&str> = days.iter().map(|d| d.name()).collect();
            self.reading.notes.push(format!("on {}", names.join(", ")));
        } else if self.twenty_four_hours() {
            self.push_all_day(days);
        } else if self.at_time() {
            let ranges = self.time_ranges()?;
            self.reading.groups.push(Group {
                days: Some(days),
                ranges,
            });
        } else {
            let part = self.part_around(days_at.saturating_sub(1));
            return Err(match self.peek(0) {
                Some(_) => self.unreadable(self.pos),
                None => problem(format!("{part:?} gives days but no times; {EXAMPLE}")),
            });
        }
        Ok(())
    }

    /// A day selection (`Mon–Fri`, `Sat & Sun`, `Weekdays`, `Daily except Sun`…), if one
    /// starts here.
    fn days(&mut self) -> Result<Option<Vec<Weekday>>, FieldError> {
        let Some(mut days) = self.day_term()? else {
            return Ok(None);
        };
        loop {
            let save = self.pos;
            self.skip_seps();
            if self.word_at(0) == Some("except") {
                self.pos += 1;
                let Some(except) = self.days()? else {
                    return Err(self.unreadable(self.pos.min(self.tokens.len())));
                };
                days.retain(|d| !except.contains(d));
                continue;
            }
            match self.day_term()? {
                Some(more) => days.extend(more),
                None => {
                    self.pos = save;
                    return Ok(Some(days));
                }
            }
        }
    }

    /// One day, day range or day word, if one starts here.
    fn day_term(&mut self) -> Result<Option<Vec<Weekday>>, FieldError> {
        let all = Weekday::ALL.to_vec();
        if self
            .num_at(0)
            .is_some_and(|n| n.hour == 7 && !n.has_minutes)
            && self.word_at(1) == Some("days")
        {
            self.pos += 2;
            if self.word_at(0) == Some("a") && self.word_at(1) == Some("week") {
                self.pos += 2;
            }
            return Ok(Some(all));
        }
        // "Every Tuesday" is Tuesday ("every other Tuesday" is not read).
        if self.word_at(0) == Some("every") && self.word_at(1).and_then(day_word).is_some() {
            self.pos += 1;
        }
        let Some(w) = self.word_at(0) else {
            return Ok(None);
        };
        let (days, len) = match (w, self.word_at(1)) {
            ("weekdays" | "weekday", _) => (Weekday::ALL[..5].to_vec(), 1),
            ("weekends" | "weekend", _) => (Weekday::ALL[5..].to_vec(), 1),
            ("daily" | "everyday", _) => (all, 1),
            ("every", Some("day")) | ("all", Some("week")) => (all, 2),
            ("seven", Some("days")) => (all, 2),
            _ => {
                let Some(first) = day_word(w) else {
                    return Ok(None);
                };
                self.pos += 1;
                if !self.at_range_word() || self.num_at(1).is_some() {
                    return Ok(Some(vec![first]));
                }
                self.pos += 1;
                let Some(last) = self.word_at(0).and_then(day_word) else {
                    return Err(self.unreadable(self.pos));
                };
                self.pos += 1;
                let mut days = vec![first];
                let mut d = first;
                while d != last {
                    d = d.next();
                    days.push(d);
                }
                return Ok(Some(days));
            }
        };
        self.pos += len;
        if self.word_at(0) == Some("a") && self.word_at(1) == Some("week") {
            self.pos += 2;
        }
        Ok(Some(days))
    }

    /// Whether a time starts here (not `24/7` or `7 days`).
    fn at_time(&self) -> bool {
        match self.peek(0).map(|t| &t.kind) {
            Some(Kind::Num(n)) => {
                !(n.hour == 7 && self.word_at(1) == Some("days"))
                    && !(n.hour == 24
                        && (matches!(self.peek(1).map(|t| &t.kind), Some(Kind::Slash))
                            || matches!(self.word_at(1), Some("hours" | "hour" | "hrs" | "hr"))))
            }
            Some(Kind::Word(w)) => matches!(w.as_str(), "noon" | "midday" | "midnight"),
            _ => false,
        }
    }

    /// One or more time ranges, separated or not.
    fn time_ranges(&mut self) -> Result<Vec<Range>, FieldError> {
        let mut ranges = vec![self.time_range()?];
        loop {
            let save = self.pos;
            self.skip_seps();
            self.skip_fillers();
            if self.at_time() {
                ranges.push(self.time_range()?);
            } else {
                self.pos = save;
                return Ok(ranges);
            }
        }
    }

    /// `9am–5pm`, `9:00 to 17:00`, `noon-midnight`…
    fn time_range(&mut self) -> Result<Range, FieldError> {
        let first = self.pos;
        let opens = self.time()?;
        let no_end = |p: &Self| {
            let part = p.part_around(first);
            problem(format!(
                "{part:?} has an opening time but no closing time; {EXAMPLE}"
            ))
        };
        if !self.at_range_word() {
            return Err(no_end(self));
        }
        self.pos += 1;
        if !self.at_time() {
            return Err(if self.peek(0).is_some() {
                self.unreadable(self.pos)
            } else {
                no_end(self)
            });
        }
        let closes = self.time()?;
        let (opens, closes) = resolve(opens, closes);
        Ok(Range {
            opens,
            closes,
            start: self.tokens[first].start,
            end: self.tokens[self.pos - 1].end,
        })
    }

    /// One time, with its am/pm (`9`, `9.30am`, `12 noon`, `midnight`); the caller checked
    /// [`Self::at_time`].
    fn time(&mut self) -> Result<RawTime, FieldError> {
        let first = self.pos;
        let noon = |meridiem| RawTime {
            hour: 12,
            minute: 0,
            meridiem: Some(meridiem),
            clock24: false,
        };
        let raw = match self.word_at(0) {
            Some("noon" | "midday") => noon(Meridiem::Pm),
            Some("midnight") => noon(Meridiem::Am),
            _ => {
                let Some(n) = self.num_at(0) else {
                    return Err(self.unreadable(self.pos));
                };
                let word = if n.hour == 12 && !n.has_minutes {
                    self.word_at(1)
                        .filter(|w| matches!(*w, "noon" | "midday" | "midnight"))
                } else {
                    None
                };
                match word {
                    Some("midnight") => {
                        self.pos += 1;
                        noon(Meridiem::Am)
                    }
                    Some(_) => {
                        self.pos += 1;
                        noon(Meridiem::Pm)
                    }
                    None => {
                        let meridiem = match self.word_at(1) {
                            Some("am") => Some(Meridiem::Am),
                            Some("pm") => Some(Meridiem::Pm),
                            _ => None,
                        };
                        if meridiem.is_some() {
                            self.pos += 1;
                        }
                        RawTime {
                            hour: n.hour,
                            minute: n.minute,
                            meridiem,
                            clock24: n.clock24,
                        }
                    }
                }
            }
        };
        self.pos += 1;
        let fine = raw.minute < 60
            && match raw.meridiem {
                Some(_) => (1..=12).contains(&raw.hour),
                None => raw.hour < 24 || (raw.hour == 24 && raw.minute == 0),
            };
        if !fine {
            let written = &self.text[self.tokens[first].start..self.tokens[self.pos - 1].end];
            return Err(problem(format!(
                "{written:?} is not a time of day; write times like 9am, 9.30am, 09:30 or 17:00 \
                 (00:00 to 24:00); {EXAMPLE}"
            )));
        }
        Ok(raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Weekday::*;

    const WEEK: [Weekday; 7] = Weekday::ALL;
    const WEEKDAYS: [Weekday; 5] = [Mon, Tue, Wed, Thu, Fri];

    /// What a text should read as.
    enum Want {
        /// Periods as (day, opens, closes), by_arrangement, note.
        Times(
            Vec<(Weekday, &'static str, &'static str)>,
            bool,
            Option<&'static str>,
        ),
        /// An error whose problem holds this.
        Error(&'static str),
    }

    fn on(
        days: &[Weekday],
        opens: &'static str,
        closes: &'static str,
    ) -> Vec<(Weekday, &'static str, &'static str)> {
        days.iter().map(|&d| (d, opens, closes)).collect()
    }

    fn times(periods: Vec<(Weekday, &'static str, &'static str)>) -> Want {
        Want::Times(periods, false, None)
    }

    fn build(periods: &[(Weekday, &str, &str)], arr: bool, note: Option<&str>) -> OpeningTimes {
        let periods = periods
            .iter()
            .map(|&(d, o, c)| {
                OpeningPeriod::new(
                    d,
                    TimeOfDay::parse(o).unwrap(),
                    TimeOfDay::parse(c).unwrap(),
                )
                .unwrap()
            })
            .collect();
        OpeningTimes::new(periods, arr, note.map(str::to_owned))
    }

    fn table() -> Vec<(&'static str, Want)> {
        use Want::*;
        let cat = |parts: &[Vec<(Weekday, &'static str, &'static str)>]| parts.concat();
        vec![
            // Day ranges and lists.
            ("Mon–Fri 9am–5pm", times(on(&WEEKDAYS, "09:00", "17:00"))),
            (
                "Monday to Friday 9am to 5pm",
                times(on(&WEEKDAYS, "09:00", "17:00")),
            ),
            (
                "mon-sat 10:00-16:00",
                times(on(&[Mon, Tue, Wed, Thu, Fri, Sat], "10:00", "16:00")),
            ),
            ("Sat & Sun 10-4", times(on(&[Sat, Sun], "10:00", "16:00"))),
            (
                "Tues, Thurs 10am-2pm",
                times(on(&[Tue, Thu], "10:00", "14:00")),
            ),
            (
                "Weds and Fri 1-3pm",
                times(on(&[Wed, Fri], "13:00", "15:00")),
            ),
            ("Sat/Sun 11-3", times(on(&[Sat, Sun], "11:00", "15:00"))),
            ("Mondays 6-8pm", times(on(&[Mon], "18:00", "20:00"))),
            ("THURSDAYS 7.30PM-9PM", times(on(&[Thu], "19:30", "21:00"))),
            ("Thur 9-12", times(on(&[Thu], "09:00", "12:00"))),
            (
                "Weekdays 09.30-16.30",
                times(on(&WEEKDAYS, "09:30", "16:30")),
            ),
            (
                "Weekends 10am-4pm",
                times(on(&[Sat, Sun], "10:00", "16:00")),
            ),
            ("Daily 8am - 8pm", times(on(&WEEK, "08:00", "20:00"))),
            ("Every day 7-7", times(on(&WEEK, "07:00", "19:00"))),
            (
                "7 days a week 0900-1700",
                times(on(&WEEK, "09:00", "17:00")),
            ),
            (
                "Fri–Mon 10:00–16:00",
                times(on(&[Fri, Sat, Sun, Mon], "10:00", "16:00")),
            ),
            ("Every Tuesday 7pm-9pm", times(on(&[Tue], "19:00", "21:00"))),
            (
                "Tues & Thurs 7-9pm",
                times(on(&[Tue, Thu], "19:00", "21:00")),
            ),
            ("9am-5pm Mon-Fri", times(on(&WEEKDAYS, "09:00", "17:00"))),
            ("Mon-Fri: 9-5", times(on(&WEEKDAYS, "09:00", "17:00"))),
            // Times.
            ("Mon 9.30am - 4.30pm", times(on(&[Mon], "09:30", "16:30"))),
            ("Mon 9:00-17:00", times(on(&[Mon], "09:00", "17:00"))),
            ("Mon 10-12", times(on(&[Mon], "10:00", "12:00"))),
            ("Mon 9-9", times(on(&[Mon], "09:00", "21:00"))),
            ("Mon 1-4", times(on(&[Mon], "13:00", "16:00"))),
            ("Mon 7-9", times(on(&[Mon], "07:00", "09:00"))),
            ("Mon 7-10pm", times(on(&[Mon], "19:00", "22:00"))),
            ("Mon 1am-4am", times(on(&[Mon], "01:00", "04:00"))),
            ("Mon 10-4pm", times(on(&[Mon], "10:00", "16:00"))),
            ("Mon 9am-5", times(on(&[Mon], "09:00", "17:00"))),
            ("Mon 6pm-11", times(on(&[Mon], "18:00", "23:00"))),
            ("Tue noon-2pm", times(on(&[Tue], "12:00", "14:00"))),
            ("Tue 10am-midday", times(on(&[Tue], "10:00", "12:00"))),
            ("Tue 12 noon to 3", times(on(&[Tue], "12:00", "15:00"))),
            ("Fri 8pm-midnight", times(on(&[Fri], "20:00", "24:00"))),
            ("Fri 12pm-12am", times(on(&[Fri], "12:00", "24:00"))),
            ("Sat 12am-6am", times(on(&[Sat], "00:00", "06:00"))),
            ("Sat 10-2am", times(on(&[Sat], "22:00", "02:00"))),
            (
                "Mon-Sat 6pm-2am",
                times(on(&[Mon, Tue, Wed, Thu, Fri, Sat], "18:00", "02:00")),
            ),
            ("Sun 19:00-08:00", times(on(&[Sun], "19:00", "08:00"))),
            ("Sun 22:00-00:00", times(on(&[Sun], "22:00", "24:00"))),
            (
                "Wed 4:30 p.m. - 6 p.m.",
                times(on(&[Wed], "16:30", "18:00")),
            ),
            ("Wed from 10 until 12", times(on(&[Wed], "10:00", "12:00"))),
            // Several ranges and groups.
            (
                "Mon–Fri 9am–1pm, 2pm–5pm",
                times(cat(&[
                    on(&WEEKDAYS, "09:00", "13:00"),
                    on(&WEEKDAYS, "14:00", "17:00"),
                ])),
            ),
            (
                "Mon–Fri 9am–5pm, Sat 10am–12pm",
                times(cat(&[
                    on(&WEEKDAYS, "09:00", "17:00"),
                    on(&[Sat], "10:00", "12:00"),
                ])),
            ),
            (
                "Monday 10-12\nWednesday 2-4; Friday 10am-noon",
                times(vec![
                    (Mon, "10:00", "12:00"),
                    (Wed, "14:00", "16:00"),
                    (Fri, "10:00", "12:00"),
                ]),
            ),
            // Times with no days before the weekend: Monday to Friday; alone beside closed
            // days or "by appointment": every day; beside weekdays named: refused.
            (
                "9:00-17:00, Sat 10-12",
                times(cat(&[
                    on(&WEEKDAYS, "09:00", "17:00"),
                    on(&[Sat], "10:00", "12:00"),
                ])),
            ),
            (
                "9-5, Sat & Sun 10-4",
                times(cat(&[
                    on(&WEEKDAYS, "09:00", "17:00"),
                    on(&[Sat, Sun], "10:00", "16:00"),
                ])),
            ),
            (
                "9-5, Sun closed",
                times(on(&[Mon, Tue, Wed, Thu, Fri, Sat], "09:00", "17:00")),
            ),
            (
                "9:00-17:00, Wed 10-12",
                Error("\"9:00-17:00\" has times but no days, beside weekdays named elsewhere"),
            ),
            // Times alone: every day.
            ("9am-5pm", times(on(&WEEK, "09:00", "17:00"))),
            (
                "9-1, 2-5",
                times(cat(&[
                    on(&WEEK, "09:00", "13:00"),
                    on(&WEEK, "14:00", "17:00"),
                ])),
            ),
            // By arrangement.
            ("By appointment only", Times(vec![], true, None)),
            ("by arrangement", Times(vec![], true, None)),
            ("Appointment only", Times(vec![], true, None)),
            ("On request", Times(vec![], true, None)),
            ("Call to book", Times(vec![], true, None)),
            ("ring for times", Times(vec![], true, None)),
            (
                "Mon 10-12; other times by appointment",
                Times(on(&[Mon], "10:00", "12:00"), true, None),
            ),
            (
                "Tue 2-4pm or by arrangement",
                Times(on(&[Tue], "14:00", "16:00"), true, None),
            ),
            (
                "Tuesdays by appointment",
                Times(vec![], true, Some("on Tuesday")),
            ),
            // Closed.
            ("Sun closed", times(vec![])),
            ("Closed", times(vec![])),
            (
                "Mon-Sat 9-5, Closed on Sundays",
                times(on(&[Mon, Tue, Wed, Thu, Fri, Sat], "09:00", "17:00")),
            ),
            (
                "Daily 9-5, Sun: closed",
                times(on(&[Mon, Tue, Wed, Thu, Fri, Sat], "09:00", "17:00")),
            ),
            (
                "Daily except Sun 9-5",
                times(on(&[Mon, Tue, Wed, Thu, Fri, Sat], "09:00", "17:00")),
            ),
            (
                "Mon-Fri 8am-6pm - closed Sundays",
                times(on(&WEEKDAYS, "08:00", "18:00")),
            ),
            (
                "Saturdays 10am-4pm (closed Sundays)",
                times(on(&[Sat], "10:00", "16:00")),
            ),
            (
                "Mon-Fri 9-5 closed weekends",
                times(on(&WEEKDAYS, "09:00", "17:00")),
            ),
            // All day.
            ("24/7", times(on(&WEEK, "00:00", "24:00"))),
            ("Open 24 hours", times(on(&WEEK, "00:00", "24:00"))),
            (
                "24 hours a day, 7 days a week",
                times(on(&WEEK, "00:00", "24:00")),
            ),
            ("Mon-Fri 24 hours", times(on(&WEEKDAYS, "00:00", "24:00"))),
            ("Sat all day", times(on(&[Sat], "00:00", "24:00"))),
            // Notes.
            (
                "Mon-Fri 9-5 (term time only)",
                Times(
                    on(&WEEKDAYS, "09:00", "17:00"),
                    false,
                    Some("term time only"),
                ),
            ),
            (
                "Sat 10-12 - closed bank holidays",
                Times(
                    on(&[Sat], "10:00", "12:00"),
                    false,
                    Some("closed bank holidays"),
                ),
            ),
            (
                "9am-5pm (not August)",
                Times(on(&WEEK, "09:00", "17:00"), false, Some("not August")),
            ),
            (
                "Mon–Fri 7.30am–6pm (term time), 8am–6pm (holidays)",
                Error("the hours given for Monday overlap (07:30–18:00 and 08:00–18:00)"),
            ),
            (
                "Daily 9-5, Sat 10-12",
                Error("the hours given for Saturday overlap"),
            ),
            ("Mon 6pm-2am, Mon 11pm-1am", Error("overlap")),
            (
                "Mon 9-5, Mon 9-5, Mon 5pm-7pm",
                times(vec![(Mon, "09:00", "17:00"), (Mon, "17:00", "19:00")]),
            ),
            (
                "Mon-Fri 9-5 (Sat 10-12)",
                times(cat(&[
                    on(&WEEKDAYS, "09:00", "17:00"),
                    on(&[Sat], "10:00", "12:00"),
                ])),
            ),
            // Empty.
            ("", times(vec![])),
            ("  \n\t ", times(vec![])),
            // Errors.
            (
                "Mon-Fri 25:00-26:00",
                Error("\"25:00\" is not a time of day"),
            ),
            ("Mon 13pm-2pm", Error("\"13pm\" is not a time of day")),
            ("Mon 9:75-10", Error("\"9:75\" is not a time of day")),
            (
                "Mon-Frii 9-5",
                Error("could not read \"Frii\" in \"Mon-Frii 9-5\""),
            ),
            (
                "9am",
                Error("\"9am\" has an opening time but no closing time"),
            ),
            (
                "Mon-Fri 9am-",
                Error("\"Mon-Fri 9am-\" has an opening time but no closing time"),
            ),
            (
                "Mon-Fri 9am-5pm, Sat",
                Error("\"Sat\" gives days but no times"),
            ),
            (
                "every other Tuesday",
                Error("could not read \"every\" in \"every other Tuesday\""),
            ),
            (
                "Mon-Fri 9-5, closed bank holidays",
                Error("could not read \"bank\""),
            ),
            ("Mon 9am-9am", Error("equals opens")),
            ("Mon 9-5 (term time", Error("brackets")),
            ("Mon 9-5 * except", Error("could not read \"*\"")),
            (
                "Daily 9-5 except",
                Error("could not read \"except\" in \"Daily 9-5 except\""),
            ),
            ("Mon 123456-5", Error("\"123456\" is not a time")),
            (
                "Mon 9-5 hello",
                Error("could not read \"hello\" in \"Mon 9-5 hello\""),
            ),
        ]
    }

    #[test]
    fn reads_the_table() {
        let table = table();
        assert!(table.len() >= 40);
        let mut failures = Vec::new();
        for (text, want) in table {
            let got = parse_opening_text(text);
            match (want, got) {
                (Want::Times(periods, arr, note), Ok(got)) => {
                    let want = build(&periods, arr, note);
                    if got != want {
                        failures.push(format!(
                            "{text:?}: got {}, want {}",
                            got.describe(),
                            want.describe()
                        ));
                    }
                }
                (Want::Times(..), Err(e)) => {
                    failures.push(format!("{text:?}: error {}", e.problem))
                }
                (Want::Error(part), Ok(got)) => failures.push(format!(
                    "{text:?}: read as {}, want an error with {part}",
                    got.describe()
                )),
                (Want::Error(part), Err(e)) => {
                    if !e.problem.contains(part) || !e.problem.contains("Mon–Fri 9am–5pm") {
                        failures.push(format!(
                            "{text:?}: problem {:?} lacks {part:?} or the example",
                            e.problem
                        ));
                    }
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn empty_is_unknown_and_long_text_is_refused() {
        assert_eq!(parse_opening_text(" ").unwrap(), OpeningTimes::unknown());
        let long = "Mon 9-5, ".repeat(67);
        assert!(long.chars().count() > MAX_TEXT_CHARS);
        let e = parse_opening_text(&long).unwrap_err();
        assert!(e.problem.contains("longer than 500"), "{}", e.problem);
        let just_fits = "Mon 9-5, ".repeat(55);
        assert_eq!(parse_opening_text(&just_fits).unwrap().periods().len(), 1);
    }

    #[test]
    fn crossing_midnight_and_all_day_are_modelled() {
        let late = parse_opening_text("Mon-Sat 6pm-2am").unwrap();
        assert!(late.periods().iter().all(|p| p.crosses_midnight()));
        assert_eq!(
            late.openness_at(Sun, TimeOfDay::parse("01:00").unwrap()),
            crate::Openness::Open,
            "Saturday night runs into Sunday"
        );
        let always = parse_opening_text("24/7").unwrap();
        assert!(always
            .describe()
            .starts_with("Monday all day; Tuesday all day"));
    }

    /// A tiny xorshift generator, so the property test needs no dependency and replays.
    struct Rng(u64);
    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n
        }
    }

    #[test]
    fn generated_day_ranges_and_times_read_back() {
        let spellings = |d: Weekday| -> Vec<String> {
            let short = match d {
                Tue => "Tues",
                Wed => "Weds",
                Thu => "Thurs",
                _ => &d.name()[..3],
            };
            vec![
                d.name().to_owned(),
                format!("{}s", d.name()),
                d.name()[..3].to_owned(),
                short.to_owned(),
            ]
        };
        let dashes = ["–", "-", "—", " to ", " - "];
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut overlaps = 0;
        for _ in 0..500 {
            let mut text = Vec::new();
            let mut want = Vec::new();
            for _ in 0..=rng.below(3) {
                let first = Weekday::ALL[rng.below(7) as usize];
                let last = Weekday::ALL[rng.below(7) as usize];
                let (open_h, close_h) = (1 + rng.below(11) as u16, 1 + rng.below(11) as u16);
                let pick = |rng: &mut Rng, d| {
                    let s = spellings(d);
                    s[rng.below(s.len() as u64) as usize].clone()
                };
                let (a, b) = (pick(&mut rng, first), pick(&mut rng, last));
                let dash = |rng: &mut Rng| dashes[rng.below(dashes.len() as u64) as usize];
                let days = if first == last {
                    a
                } else {
                    format!("{a}{}{b}", dash(&mut rng))
                };
                text.push(format!("{days} {open_h}am{}{close_h}pm", dash(&mut rng)));
                let mut d = first;
                loop {
                    let opens = TimeOfDay::from_hm(open_h, 0).unwrap();
                    let closes = TimeOfDay::from_hm(close_h + 12, 0).unwrap();
                    want.push(OpeningPeriod::new(d, opens, closes).unwrap());
                    if d == last {
                        break;
                    }
                    d = d.next();
                }
            }
            let sep = [", ", "; ", "\n", " & "][rng.below(4) as usize];
            let text = text.join(sep);
            let got = parse_opening_text(&text);
            // Different hours overlapping on one day are refused.
            let overlapping = want.iter().any(|a| {
                want.iter().any(|b| {
                    a != b && a.day() == b.day() && a.opens() < b.closes() && b.opens() < a.closes()
                })
            });
            if overlapping {
                overlaps += 1;
                let e = got.expect_err(&text);
                assert!(e.problem.contains("overlap"), "{text:?}: {}", e.problem);
            } else {
                let got = got.unwrap_or_else(|e| panic!("{text:?}: {e}"));
                assert!(!got.periods().is_empty());
                assert_eq!(got, OpeningTimes::new(want, false, None), "{text:?}");
            }
        }

        assert!(
            overlaps > 0 && overlaps < 400,
            "{overlaps} of 500 overlap: both kinds tested"
        );
    }

    #[test]
    fn never_panics_on_odd_input() {
        let pieces = [
            "Mon",
            "-",
            "–",
            "9",
            "9:30",
            "am",
            "pm",
            "(",
            ")",
            ",",
            "24",
            "/",
            "7",
            "days",
            "closed",
            "by",
            "appointment",
            "except",
            "noon",
            "midnight",
            " ",
            "0900",
            "12",
            "a.m.",
            "é",
            "every",
            "day",
            "all",
            "to",
            ":",
            ".",
            "hours",
        ];
        let odd = [
            "-",
            "(",
            ")",
            "24/",
            "24/7/7",
            "7 days",
            "Mon-",
            "Mon to",
            "except",
            "closed on",
            "24 hours a day,",
            "12",
            "a.m",
            "p.",
            "9.",
            "9:",
            "9:5",
            "Mon-Fri 9-5 - ",
            " - term",
            "((()))",
            "Mon 9-5 (x (y) z)",
            "Daily except",
            "Mon 24-8",
            "Mon 0-0",
            "ｍｏｎ ９-５",
            "Mon 9-5 - Tue",
            "by",
            "Mon–",
            "Sun 12-12",
            "99:99-1",
            "Mon 9-5 )(",
        ];
        for text in odd {
            if let Ok(t) = parse_opening_text(text) {
                let _ = t.describe();
            }
        }
        let mut rng = Rng(12345);
        for _ in 0..5000 {
            let text: String = (0..rng.below(12))
                .map(|_| pieces[rng.below(pieces.len() as u64) as usize])
                .collect::<Vec<_>>()
                .join(if rng.below(2) == 0 { " " } else { "" });
            if let Ok(t) = parse_opening_text(&text) {
                let _ = t.describe();
            }
        }
    }
}
