//! The asset itself, and the draft a client or importer sends to create or replace one.

use crate::error::Collector;
use crate::text::{self, Lines};
use crate::{
    AbcdType, AccessFeature, AssetId, AssetName, Category, CostBand, Email, FieldError, Language,
    LonLat, OpeningPeriod, OpeningTimes, Phone, Postcode, Status, Tag, TimeOfDay, ValidationErrors,
    Website, Weekday,
};
use chrono::{DateTime, NaiveDate, Utc};

/// How to reach the people who run an asset. Every part is optional.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Contact {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<Phone>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<Email>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website: Option<Website>,
}

/// What using an asset costs, as a band for filtering and words for people.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Cost {
    pub band: CostBand,
    /// E.g. "£2 a session, carers free".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// Who an asset is for. Ages are whole years, inclusive; `None` means no limit.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "RawAudience", into = "RawAudience")]
pub struct Audience {
    min_age: Option<u8>,
    max_age: Option<u8>,
    description: Option<String>,
}

#[derive(serde::Serialize, serde::Deserialize, Default)]
struct RawAudience {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    min_age: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_age: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
}

impl TryFrom<RawAudience> for Audience {
    type Error = FieldError;
    fn try_from(r: RawAudience) -> Result<Self, FieldError> {
        Audience::new(r.min_age, r.max_age, r.description)
    }
}

impl From<Audience> for RawAudience {
    fn from(a: Audience) -> Self {
        RawAudience {
            min_age: a.min_age,
            max_age: a.max_age,
            description: a.description,
        }
    }
}

/// The oldest age assetmap accepts for an audience bound, in years.
pub const MAX_AGE_YEARS: u8 = 120;

impl Audience {
    /// Checks `min_age <= max_age <= 120`.
    pub fn new(
        min_age: Option<u8>,
        max_age: Option<u8>,
        description: Option<String>,
    ) -> Result<Self, FieldError> {
        for (name, v) in [("min_age", min_age), ("max_age", max_age)] {
            if let Some(v) = v {
                if v > MAX_AGE_YEARS {
                    return Err(FieldError::new(
                        name,
                        format!("{v} is above {MAX_AGE_YEARS} years"),
                    ));
                }
            }
        }
        if let (Some(lo), Some(hi)) = (min_age, max_age) {
            if lo > hi {
                return Err(FieldError::new(
                    "max_age",
                    format!("max_age {hi} is below min_age {lo}"),
                ));
            }
        }
        let description = description
            .map(|d| d.trim().to_owned())
            .filter(|d| !d.is_empty());
        Ok(Self {
            min_age,
            max_age,
            description,
        })
    }

    /// Youngest age admitted, in years.
    pub fn min_age(&self) -> Option<u8> {
        self.min_age
    }

    /// Oldest age admitted, in years.
    pub fn max_age(&self) -> Option<u8> {
        self.max_age
    }

    /// Who it is for, in words ("carers of people with dementia").
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// Whether a person of `age` years is within the age range (no range admits everyone).
    pub fn admits_age(&self, age: u8) -> bool {
        self.min_age.is_none_or(|lo| age >= lo) && self.max_age.is_none_or(|hi| age <= hi)
    }
}

/// Where a record came from and under which terms it may be reused.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Provenance {
    /// Publisher of the source data, e.g. "DCMS / Trafford Council".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The record's id in the source (file name and row, or the publisher's own id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_id: Option<String>,
    /// Licence identifier, e.g. "OGL-3.0".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licence: Option<String>,
    /// Attribution statement required by the licence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribution: Option<String>,
    /// How the point was placed: `source_point`, `polygon_vertex_mean`, `postcode_centroid`,
    /// or `manual`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub geocode_method: Option<String>,
}

/// A community asset: a group, club, place, venue, service, green space… that people can use.
///
/// Every field holds a valid value by construction: validate an [`AssetDraft`] and build one with
/// [`Asset::create`]. Coordinates are WGS84 longitude, latitude.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Asset {
    pub id: AssetId,
    pub name: AssetName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub abcd_type: AbcdType,
    /// At least one theme, sorted and without repeats.
    pub categories: Vec<Category>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
    pub location: LonLat,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postcode: Option<Postcode>,
    #[serde(default)]
    pub contact: Contact,
    #[serde(default)]
    pub opening_times: OpeningTimes,
    /// `None` when the cost is not known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<Cost>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub access: Vec<AccessFeature>,
    #[serde(default)]
    pub audience: Audience,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub languages: Vec<Language>,
    #[serde(default)]
    pub provenance: Provenance,
    /// The day someone last checked the record against reality.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_at: Option<NaiveDate>,
    pub status: Status,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// 1 on creation, +1 on every replacement.
    pub version: u64,
}

/// One opening period as sent by a client: `{"day": "tue", "opens": "18:00", "closes": "21:00"}`.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeriodDraft {
    pub day: String,
    pub opens: String,
    pub closes: String,
}

/// Opening times as sent by a client.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpeningTimesDraft {
    #[serde(default)]
    pub periods: Vec<PeriodDraft>,
    #[serde(default)]
    pub by_arrangement: bool,
    #[serde(default)]
    pub note: Option<String>,
}

impl From<&OpeningTimes> for OpeningTimesDraft {
    /// Checked opening times in the form a client sends them (`"mon"`, `"09:00"`).
    fn from(times: &OpeningTimes) -> OpeningTimesDraft {
        OpeningTimesDraft {
            periods: times
                .periods()
                .iter()
                .map(|p| PeriodDraft {
                    day: p.day().slug().to_owned(),
                    opens: p.opens().to_string(),
                    closes: p.closes().to_string(),
                })
                .collect(),
            by_arrangement: times.by_arrangement(),
            note: times.note().map(str::to_owned),
        }
    }
}

/// Contact details as sent by a client.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactDraft {
    pub phone: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
}

/// Cost as sent by a client.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostDraft {
    pub band: String,
    pub detail: Option<String>,
}

/// Audience as sent by a client. Ages in years.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AudienceDraft {
    pub min_age: Option<i64>,
    pub max_age: Option<i64>,
    pub description: Option<String>,
}

/// An asset as a client (or an importer) sends it: loosely typed, so that every problem can be
/// reported with its field name. The location is given separately (it comes from the GeoJSON
/// geometry, or the `lon`/`lat` columns of a table).
///
/// Server-managed fields (`id`, `created_at`, `updated_at`, `version`) are not part of a draft.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssetDraft {
    pub name: Option<String>,
    pub description: Option<String>,
    pub abcd_type: Option<String>,
    #[serde(default)]
    pub categories: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    pub address: Option<String>,
    pub postcode: Option<String>,
    #[serde(default)]
    pub contact: ContactDraft,
    #[serde(default)]
    pub opening_times: OpeningTimesDraft,
    pub cost: Option<CostDraft>,
    #[serde(default)]
    pub access: Vec<String>,
    #[serde(default)]
    pub audience: AudienceDraft,
    #[serde(default)]
    pub languages: Vec<String>,
    #[serde(default)]
    pub provenance: Provenance,
    /// `YYYY-MM-DD`.
    pub verified_at: Option<String>,
    /// Defaults to `active`.
    pub status: Option<String>,
}

fn blank_to_none(s: Option<String>) -> Option<String> {
    s.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// Parses each item of a list, naming failures `field[i]`. A list longer than `max` is one
/// error naming `field` (its items are not parsed, so a huge list is not a huge error).
fn parse_list<T: Ord>(
    c: &mut Collector,
    field: &str,
    items: &[String],
    max: usize,
    parse: impl Fn(&str) -> Result<T, FieldError>,
) -> Vec<T> {
    if c.take(text::check_count(field, items.len(), max)).is_none() {
        return Vec::new();
    }
    let mut out: Vec<T> = items
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            c.take(parse(s).map_err(|e| FieldError::new(format!("{field}[{i}]"), e.problem)))
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Checks an optional free-text field (see [`text::check_text`]); blank means absent.
fn optional_text(
    c: &mut Collector,
    field: &str,
    v: Option<&str>,
    max: usize,
    lines: Lines,
) -> Option<String> {
    c.take(text::check_text(field, v?, max, lines)).flatten()
}

impl AssetDraft {
    /// Validates every field and returns all the problems at once, each naming its field.
    ///
    /// `location` is `(lon, lat)` in degrees; `None` is reported as a missing `geometry`.
    pub fn validate(
        self,
        location: Option<(f64, f64)>,
    ) -> Result<ValidAssetDraft, ValidationErrors> {
        let mut c = Collector::default();

        let name = match self.name.as_deref() {
            Some(n) => c.take(AssetName::parse(n)),
            None => {
                c.push(FieldError::new("name", "is required"));
                None
            }
        };
        let abcd_type = match self.abcd_type.as_deref() {
            Some(t) => c.take(AbcdType::parse(t).map_err(|e| e.under("abcd_type"))),
            None => {
                c.push(FieldError::new(
                    "abcd_type",
                    "is required; use association, institution, physical_space, economy or culture",
                ));
                None
            }
        };
        let categories = parse_list(
            &mut c,
            "categories",
            &self.categories,
            text::MAX_CATEGORIES,
            Category::parse,
        );
        if self.categories.is_empty() {
            c.push(FieldError::new(
                "categories",
                "needs at least one category from the vocabulary (see /vocabulary)",
            ));
        }
        let tags = parse_list(&mut c, "tags", &self.tags, text::MAX_TAGS, Tag::parse);
        let access = parse_list(
            &mut c,
            "access",
            &self.access,
            text::MAX_ACCESS,
            AccessFeature::parse,
        );
        let languages = parse_list(
            &mut c,
            "languages",
            &self.languages,
            text::MAX_LANGUAGES,
            Language::parse,
        );

        let location = match location {
            Some((lon, lat)) => {
                c.take(LonLat::new(lon, lat).map_err(|e| e.under("geometry.coordinates")))
            }
            None => {
                c.push(FieldError::new(
                    "geometry",
                    "is required: a GeoJSON Point [longitude, latitude] in WGS84",
                ));
                None
            }
        };
        let postcode = blank_to_none(self.postcode).and_then(|p| c.take(Postcode::parse(&p)));
        let contact = Contact {
            phone: blank_to_none(self.contact.phone)
                .and_then(|v| c.take(Phone::parse(&v).map_err(|e| e.under("contact")))),
            email: blank_to_none(self.contact.email)
                .and_then(|v| c.take(Email::parse(&v).map_err(|e| e.under("contact")))),
            website: blank_to_none(self.contact.website)
                .and_then(|v| c.take(Website::parse(&v).map_err(|e| e.under("contact")))),
        };

        let mut periods = Vec::new();
        let period_drafts: &[PeriodDraft] = match c.take(text::check_count(
            "opening_times.periods",
            self.opening_times.periods.len(),
            text::MAX_PERIODS,
        )) {
            Some(()) => &self.opening_times.periods,
            None => &[],
        };
        for (i, p) in period_drafts.iter().enumerate() {
            let at = format!("opening_times.periods[{i}]");
            let day = c.take(
                Weekday::parse(&p.day).map_err(|e| FieldError::new(format!("{at}.day"), e.problem)),
            );
            let opens = c.take(
                TimeOfDay::parse(&p.opens)
                    .map_err(|e| FieldError::new(format!("{at}.opens"), e.problem)),
            );
            let closes = c.take(
                TimeOfDay::parse(&p.closes)
                    .map_err(|e| FieldError::new(format!("{at}.closes"), e.problem)),
            );
            if let (Some(d), Some(o), Some(cl)) = (day, opens, closes) {
                if let Some(period) = c.take(OpeningPeriod::new(d, o, cl).map_err(|e| e.under(&at)))
                {
                    periods.push(period);
                }
            }
        }
        let note = optional_text(
            &mut c,
            "opening_times.note",
            self.opening_times.note.as_deref(),
            text::MAX_NOTE_CHARS,
            Lines::Multi,
        );
        let opening_times = OpeningTimes::new(periods, self.opening_times.by_arrangement, note);

        let cost = self.cost.and_then(|cd| {
            let detail = optional_text(
                &mut c,
                "cost.detail",
                cd.detail.as_deref(),
                text::MAX_SHORT_TEXT_CHARS,
                Lines::Single,
            );
            let band = c.take(CostBand::parse(&cd.band).map_err(|e| e.under("cost.band")))?;
            Some(Cost { band, detail })
        });

        let age = |c: &mut Collector, field: &str, v: Option<i64>| -> Option<u8> {
            let v = v?;
            match u8::try_from(v) {
                Ok(a) if a <= crate::asset::MAX_AGE_YEARS => Some(a),
                _ => {
                    c.push(FieldError::new(
                        format!("audience.{field}"),
                        format!(
                            "{v} is not an age; use whole years from 0 to {}",
                            crate::asset::MAX_AGE_YEARS
                        ),
                    ));
                    None
                }
            }
        };
        let min_age = age(&mut c, "min_age", self.audience.min_age);
        let max_age = age(&mut c, "max_age", self.audience.max_age);
        let audience_description = optional_text(
            &mut c,
            "audience.description",
            self.audience.description.as_deref(),
            text::MAX_SHORT_TEXT_CHARS,
            Lines::Single,
        );
        let audience = c
            .take(
                Audience::new(min_age, max_age, audience_description)
                    .map_err(|e| e.under("audience")),
            )
            .unwrap_or_default();

        let verified_at = blank_to_none(self.verified_at).and_then(|d| {
            c.take(NaiveDate::parse_from_str(&d, "%Y-%m-%d").map_err(|_| {
                FieldError::new(
                    "verified_at",
                    format!("{d:?} is not a date; use YYYY-MM-DD"),
                )
            }))
        });
        let status = match self.status.as_deref() {
            Some(s) => c.take(Status::parse(s).map_err(|e| e.under("status"))),
            None => Some(Status::Active),
        };
        let description = optional_text(
            &mut c,
            "description",
            self.description.as_deref(),
            text::MAX_DESCRIPTION_CHARS,
            Lines::Multi,
        );
        let address = optional_text(
            &mut c,
            "address",
            self.address.as_deref(),
            text::MAX_ADDRESS_CHARS,
            Lines::Single,
        );
        let short = |c: &mut Collector, field: &str, v: Option<String>| {
            optional_text(
                c,
                &format!("provenance.{field}"),
                v.as_deref(),
                text::MAX_SHORT_TEXT_CHARS,
                Lines::Single,
            )
        };
        let p = self.provenance;
        let provenance = Provenance {
            source: short(&mut c, "source", p.source),
            source_id: short(&mut c, "source_id", p.source_id),
            licence: short(&mut c, "licence", p.licence),
            attribution: short(&mut c, "attribution", p.attribution),
            geocode_method: short(&mut c, "geocode_method", p.geocode_method),
        };

        c.finish()?;
        // Every `None` below has pushed an error, so `finish` returned early.
        match (name, abcd_type, location, status) {
            (Some(name), Some(abcd_type), Some(location), Some(status)) => Ok(ValidAssetDraft {
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
            }),
            _ => Err(ValidationErrors(vec![FieldError::new("", "invalid asset")])),
        }
    }
}

/// A draft whose every field has been checked: everything an [`Asset`] needs but the
/// server-managed id, timestamps and version.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidAssetDraft {
    pub name: AssetName,
    pub description: Option<String>,
    pub abcd_type: AbcdType,
    pub categories: Vec<Category>,
    pub tags: Vec<Tag>,
    pub location: LonLat,
    pub address: Option<String>,
    pub postcode: Option<Postcode>,
    pub contact: Contact,
    pub opening_times: OpeningTimes,
    pub cost: Option<Cost>,
    pub access: Vec<AccessFeature>,
    pub audience: Audience,
    pub languages: Vec<Language>,
    pub provenance: Provenance,
    pub verified_at: Option<NaiveDate>,
    pub status: Status,
}

/// An asset's properties as a GeoJSON feature carries them: every field of [`Asset`] but `id`
/// and `location` (the feature's own `id` and `geometry`), borrowed, in alphabetical order —
/// the order a `serde_json::Map` of the asset would have. Serialises each field as [`Asset`]
/// does (same names, same fields left out when empty); a test holds the two in step. For
/// writing features straight to a response, without building a JSON value first.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct AssetProperties<'a> {
    pub abcd_type: AbcdType,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub access: &'a [AccessFeature],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<&'a String>,
    pub audience: &'a Audience,
    pub categories: &'a [Category],
    pub contact: &'a Contact,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost: Option<&'a Cost>,
    pub created_at: &'a DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<&'a String>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub languages: &'a [Language],
    pub name: &'a AssetName,
    pub opening_times: &'a OpeningTimes,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postcode: Option<&'a Postcode>,
    pub provenance: &'a Provenance,
    pub status: Status,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub tags: &'a [Tag],
    pub updated_at: &'a DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified_at: Option<&'a NaiveDate>,
    pub version: u64,
}

impl<'a> AssetProperties<'a> {
    /// The properties of `asset`.
    pub fn of(asset: &'a Asset) -> AssetProperties<'a> {
        AssetProperties {
            abcd_type: asset.abcd_type,
            access: &asset.access,
            address: asset.address.as_ref(),
            audience: &asset.audience,
            categories: &asset.categories,
            contact: &asset.contact,
            cost: asset.cost.as_ref(),
            created_at: &asset.created_at,
            description: asset.description.as_ref(),
            languages: &asset.languages,
            name: &asset.name,
            opening_times: &asset.opening_times,
            postcode: asset.postcode.as_ref(),
            provenance: &asset.provenance,
            status: asset.status,
            tags: &asset.tags,
            updated_at: &asset.updated_at,
            verified_at: asset.verified_at.as_ref(),
            version: asset.version,
        }
    }
}

impl Asset {
    /// A new asset (version 1) from a checked draft, created and updated at `now`.
    ///
    /// Timestamps are kept to the microsecond (`now` is truncated), the precision of
    /// PostgreSQL's `timestamptz`, so an asset reads back from either store, and from every
    /// server process sharing one, exactly as it was written.
    pub fn create(id: AssetId, draft: ValidAssetDraft, now: DateTime<Utc>) -> Asset {
        let now = chrono::SubsecRound::trunc_subsecs(now, 6);
        Self::assemble(id, draft, now, now, 1)
    }

    /// The next version, with everything as it is but `verified_at`: someone confirmed the
    /// details were still right on `on` (a UK date).
    pub fn verified(&self, on: NaiveDate, now: DateTime<Utc>) -> Asset {
        Asset {
            verified_at: Some(on),
            updated_at: chrono::SubsecRound::trunc_subsecs(now, 6),
            version: self.version + 1,
            ..self.clone()
        }
    }

    /// The next version of `self` with the draft's content: keeps id and `created_at`, bumps
    /// `version`, sets `updated_at` to `now` (truncated to the microsecond, as in
    /// [`Asset::create`]).
    pub fn replaced_by(&self, draft: ValidAssetDraft, now: DateTime<Utc>) -> Asset {
        Self::assemble(
            self.id.clone(),
            draft,
            self.created_at,
            chrono::SubsecRound::trunc_subsecs(now, 6),
            self.version + 1,
        )
    }

    fn assemble(
        id: AssetId,
        d: ValidAssetDraft,
        created_at: DateTime<Utc>,
        updated_at: DateTime<Utc>,
        version: u64,
    ) -> Asset {
        Asset {
            id,
            name: d.name,
            description: d.description,
            abcd_type: d.abcd_type,
            categories: d.categories,
            tags: d.tags,
            location: d.location,
            address: d.address,
            postcode: d.postcode,
            contact: d.contact,
            opening_times: d.opening_times,
            cost: d.cost,
            access: d.access,
            audience: d.audience,
            languages: d.languages,
            provenance: d.provenance,
            verified_at: d.verified_at,
            status: d.status,
            created_at,
            updated_at,
            version,
        }
    }

    /// The asset as a draft again (for editing, or for re-validation in tests).
    pub fn to_draft(&self) -> AssetDraft {
        AssetDraft {
            name: Some(self.name.to_string()),
            description: self.description.clone(),
            abcd_type: Some(self.abcd_type.slug().to_owned()),
            categories: self
                .categories
                .iter()
                .map(|c| c.slug().to_owned())
                .collect(),
            tags: self.tags.iter().map(|t| t.to_string()).collect(),
            address: self.address.clone(),
            postcode: self.postcode.as_ref().map(|p| p.to_string()),
            contact: ContactDraft {
                phone: self.contact.phone.as_ref().map(|v| v.to_string()),
                email: self.contact.email.as_ref().map(|v| v.to_string()),
                website: self.contact.website.as_ref().map(|v| v.to_string()),
            },
            opening_times: OpeningTimesDraft::from(&self.opening_times),
            cost: self.cost.as_ref().map(|c| CostDraft {
                band: c.band.slug().to_owned(),
                detail: c.detail.clone(),
            }),
            access: self.access.iter().map(|a| a.slug().to_owned()).collect(),
            audience: AudienceDraft {
                min_age: self.audience.min_age().map(i64::from),
                max_age: self.audience.max_age().map(i64::from),
                description: self.audience.description().map(str::to_owned),
            },
            languages: self.languages.iter().map(|l| l.to_string()).collect(),
            provenance: self.provenance.clone(),
            verified_at: self.verified_at.map(|d| d.to_string()),
            status: Some(self.status.slug().to_owned()),
        }
    }
}
