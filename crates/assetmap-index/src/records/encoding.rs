//! One [`Asset`] as the bytes of a record (and of a snapshot), and back.
//!
//! Every field is named (no `..`), so a field added to `Asset` or its parts fails to compile
//! here until the snapshot carries it. Values are read back through their types' own
//! constructors (`parse`, `new`), which check them as the store's reader does; a vocabulary
//! term is kept as its place in the vocabulary.

use crate::bytes::{In, Out};
use crate::error::SnapshotError;
use assetmap_core::{
    AbcdType, AccessFeature, Asset, AssetId, AssetName, Audience, Category, Contact, Cost,
    CostBand, Email, FieldError, Language, LonLat, OpeningPeriod, OpeningTimes, Phone, Postcode,
    Provenance, Status, Tag, TimeOfDay, Website, Weekday,
};
use chrono::{DateTime, Datelike, NaiveDate, Utc};

fn bad(what: &str, e: FieldError) -> SnapshotError {
    SnapshotError::corrupt(format!("an asset's {what} does not read back: {e}"))
}

/// A vocabulary term as its place in the vocabulary's `ALL` (the snapshot's header carries
/// a fingerprint of every vocabulary, so a reordered one makes the snapshot stale).
fn term_index<T: PartialEq>(all: &[T], term: &T) -> u8 {
    all.iter().position(|t| t == term).unwrap_or(0) as u8
}

fn read_term<T: Copy>(input: &mut In<'_>, all: &[T], what: &str) -> Result<T, SnapshotError> {
    let i = input.u8()? as usize;
    all.get(i)
        .copied()
        .ok_or_else(|| SnapshotError::corrupt(format!("an asset's {what} is not a known term")))
}

fn write_terms<T: PartialEq>(out: &mut Out, all: &[T], terms: &[T]) {
    out.len(terms.len());
    for t in terms {
        out.u8(term_index(all, t));
    }
}

fn read_terms<T: Copy>(input: &mut In<'_>, all: &[T], what: &str) -> Result<Vec<T>, SnapshotError> {
    let n = input.len(1)?;
    (0..n).map(|_| read_term(input, all, what)).collect()
}

/// A day, as days from the common era.
pub(crate) fn write_date(out: &mut Out, d: &NaiveDate) {
    out.i64(i64::from(d.num_days_from_ce()));
}

pub(crate) fn read_date(input: &mut In<'_>) -> Result<NaiveDate, SnapshotError> {
    i32::try_from(input.i64()?)
        .ok()
        .and_then(NaiveDate::from_num_days_from_ce_opt)
        .ok_or_else(|| SnapshotError::corrupt("a date is out of range"))
}

pub(crate) fn write_time(out: &mut Out, t: &DateTime<Utc>) {
    out.i64(t.timestamp());
    out.u32(t.timestamp_subsec_nanos());
}

pub(crate) fn read_time(input: &mut In<'_>) -> Result<DateTime<Utc>, SnapshotError> {
    let (secs, nanos) = (input.i64()?, input.u32()?);
    DateTime::from_timestamp(secs, nanos)
        .ok_or_else(|| SnapshotError::corrupt("a time is out of range"))
}

fn write_strs<'a>(out: &mut Out, items: impl ExactSizeIterator<Item = &'a str>) {
    out.len(items.len());
    for s in items {
        out.str(s);
    }
}

fn read_list<T>(
    input: &mut In<'_>,
    what: &str,
    parse: impl Fn(&str) -> Result<T, FieldError>,
) -> Result<Vec<T>, SnapshotError> {
    let n = input.len(4)?;
    (0..n)
        .map(|_| parse(input.str()?).map_err(|e| bad(what, e)))
        .collect()
}

fn read_opt<T>(
    input: &mut In<'_>,
    what: &str,
    parse: impl Fn(&str) -> Result<T, FieldError>,
) -> Result<Option<T>, SnapshotError> {
    input
        .opt_str()?
        .map(|s| parse(s).map_err(|e| bad(what, e)))
        .transpose()
}

fn opt_owned(s: Option<&str>) -> Option<String> {
    s.map(str::to_owned)
}

/// Appends `asset` to `out`.
pub(crate) fn write(out: &mut Out, asset: &Asset) {
    let Asset {
        id,
        name,
        description,
        abcd_type,
        categories,
        tags,
        location,
        address,
        postcode,
        contact,
        opening_times,
        cost,
        access,
        audience,
        languages,
        provenance,
        verified_at,
        status,
        created_at,
        updated_at,
        version,
    } = asset;
    out.str(id.as_str());
    out.str(name.as_str());
    out.opt_str(description.as_deref());
    out.u8(term_index(AbcdType::ALL, abcd_type));
    write_terms(out, Category::ALL, categories);
    write_strs(out, tags.iter().map(Tag::as_str));
    out.f64(location.lon());
    out.f64(location.lat());
    out.opt_str(address.as_deref());
    out.opt_str(postcode.as_ref().map(Postcode::as_str));
    let Contact {
        phone,
        email,
        website,
    } = contact;
    out.opt_str(phone.as_ref().map(Phone::as_str));
    out.opt_str(email.as_ref().map(Email::as_str));
    out.opt_str(website.as_ref().map(Website::as_str));
    out.len(opening_times.periods().len());
    for p in opening_times.periods() {
        out.u8(p.day().index() as u8);
        out.u16(p.opens().minutes());
        out.u16(p.closes().minutes());
    }
    out.bool(opening_times.by_arrangement());
    out.opt_str(opening_times.note());
    match cost {
        Some(Cost { band, detail }) => {
            out.u8(1);
            out.u8(term_index(CostBand::ALL, band));
            out.opt_str(detail.as_deref());
        }
        None => out.u8(0),
    }
    write_terms(out, AccessFeature::ALL, access);
    for age in [audience.min_age(), audience.max_age()] {
        // 0 for none, else the age + 1 (ages are at most 120).
        out.u8(age.map_or(0, |a| a.saturating_add(1)));
    }
    out.opt_str(audience.description());
    write_strs(out, languages.iter().map(Language::as_str));
    let Provenance {
        source,
        source_id,
        licence,
        attribution,
        geocode_method,
    } = provenance;
    for s in [source, source_id, licence, attribution, geocode_method] {
        out.opt_str(s.as_deref());
    }
    match verified_at {
        Some(d) => {
            out.u8(1);
            write_date(out, d);
        }
        None => out.u8(0),
    }
    out.u8(term_index(Status::ALL, status));
    write_time(out, created_at);
    write_time(out, updated_at);
    out.u64(*version);
}

fn read_age(input: &mut In<'_>) -> Result<Option<u8>, SnapshotError> {
    Ok(input.u8()?.checked_sub(1))
}

fn time_of_day(minutes: u16) -> Result<TimeOfDay, SnapshotError> {
    TimeOfDay::from_hm(minutes / 60, minutes % 60).map_err(|e| bad("opening times", e))
}

/// Reads one asset written by [`write`].
pub(crate) fn read(input: &mut In<'_>) -> Result<Asset, SnapshotError> {
    let id = AssetId::parse(input.str()?).map_err(|e| bad("id", e))?;
    let name = AssetName::parse(input.str()?).map_err(|e| bad("name", e))?;
    let description = opt_owned(input.opt_str()?);
    let abcd_type = read_term(input, AbcdType::ALL, "abcd_type")?;
    let categories = read_terms(input, Category::ALL, "categories")?;
    let tags = read_list(input, "tags", Tag::parse)?;
    let (lon, lat) = (input.f64()?, input.f64()?);
    let location = LonLat::new(lon, lat).map_err(|e| bad("location", e))?;
    let address = opt_owned(input.opt_str()?);
    let postcode = read_opt(input, "postcode", Postcode::parse)?;
    let contact = Contact {
        phone: read_opt(input, "phone", Phone::parse)?,
        email: read_opt(input, "email", Email::parse)?,
        website: read_opt(input, "website", Website::parse)?,
    };
    let n = input.len(5)?;
    let mut periods = Vec::with_capacity(n);
    for _ in 0..n {
        let day = Weekday::ALL
            .get(input.u8()? as usize)
            .copied()
            .ok_or_else(|| SnapshotError::corrupt("an opening period's day is not a weekday"))?;
        let opens = time_of_day(input.u16()?)?;
        let closes = time_of_day(input.u16()?)?;
        periods.push(OpeningPeriod::new(day, opens, closes).map_err(|e| bad("opening times", e))?);
    }
    let by_arrangement = input.bool()?;
    let note = opt_owned(input.opt_str()?);
    let opening_times = OpeningTimes::new(periods, by_arrangement, note);
    let cost = if input.bool()? {
        Some(Cost {
            band: read_term(input, CostBand::ALL, "cost band")?,
            detail: opt_owned(input.opt_str()?),
        })
    } else {
        None
    };
    let access = read_terms(input, AccessFeature::ALL, "access")?;
    let (min_age, max_age) = (read_age(input)?, read_age(input)?);
    let audience = Audience::new(min_age, max_age, opt_owned(input.opt_str()?))
        .map_err(|e| bad("audience", e))?;
    let languages = read_list(input, "languages", Language::parse)?;
    let provenance = Provenance {
        source: opt_owned(input.opt_str()?),
        source_id: opt_owned(input.opt_str()?),
        licence: opt_owned(input.opt_str()?),
        attribution: opt_owned(input.opt_str()?),
        geocode_method: opt_owned(input.opt_str()?),
    };
    let verified_at = if input.bool()? {
        Some(read_date(input)?)
    } else {
        None
    };
    let status = read_term(input, Status::ALL, "status")?;
    let created_at = read_time(input)?;
    let updated_at = read_time(input)?;
    let version = input.u64()?;
    Ok(Asset {
        id,
        name,
        description,
        abcd_type,
        categories,
        tags,
        location,
        address,
        postcode,
        contact,
        opening_times,
        cost,
        access,
        audience,
        languages,
        provenance,
        verified_at,
        status,
        created_at,
        updated_at,
        version,
    })
}
