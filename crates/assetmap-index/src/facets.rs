//! The filterable attributes of an asset, packed into bit sets, and a [`Filter`] compiled into
//! masks over them: **one** layout, shared by the engine's record per slot (scans, bbox,
//! nearest, radius) and by the text index's postings. Adding a filterable attribute means one
//! field in [`Facets`], one in [`CompiledFilter`], and one line in each of [`Facets::of`],
//! [`CompiledFilter::new`] and [`CompiledFilter::admits`].
//!
//! | field | bits |
//! |---|---|
//! | `categories: u16` | bit `c as u16` for each of the asset's [`Category`]s (13 of 16 used) |
//! | `access: u16` | bit `a as u16` for each [`AccessFeature`] it offers (11 of 16) |
//! | `abcd: u8` | bit of its [`AbcdType`] (5 of 8) |
//! | `status: u8` | bit of its [`Status`] (3 of 8) |
//! | `cost: u8` | bit of its [`CostBand`] (3 of 8); 0 when the cost is not known, so that an unknown cost never matches a cost filter |
//! | `min_age: u8`, `max_age: u8` | the ages it admits, 0 and 255 when there is no limit |
//!
//! 10 bytes ([`Facets`]); the engine's record per slot adds the position in `f64` degrees
//! ([`SlotFacets`], 32 bytes), a text posting adds slot, term frequency, length and an `f32`
//! unit vector (32 bytes).

use crate::bytes::{In, Out};
use crate::error::SnapshotError;
use crate::records::encoding;
use crate::{Filter, OpenAt, TimeInterval};
use assetmap_core::{AbcdType, AccessFeature, Asset, Category, CostBand, Status};
use chrono::{DateTime, NaiveDate, Utc};

const _: () = assert!(Category::ALL.len() <= 16 && AccessFeature::ALL.len() <= 16);
const _: () =
    assert!(AbcdType::ALL.len() <= 8 && Status::ALL.len() <= 8 && CostBand::ALL.len() <= 8);
const _: () = assert!(size_of::<Facets>() == 10 && size_of::<SlotFacets>() == 48);

fn bit16(i: u16) -> u16 {
    1 << i
}
fn bit8(i: u8) -> u8 {
    1 << i
}

/// The bit of category `c` in [`Facets`] and [`CompiledFilter`] masks.
pub(crate) fn category_bit(c: Category) -> u16 {
    bit16(c as u16)
}

/// The filterable attributes of one asset, as bit sets (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Facets {
    categories: u16,
    access: u16,
    abcd: u8,
    status: u8,
    /// 0 when the cost is not known.
    cost: u8,
    /// 0 when there is no lower limit.
    min_age: u8,
    /// 255 when there is no upper limit.
    max_age: u8,
    /// [`AGES_RECORDED`] when the record gives an age range; otherwise the age group its words
    /// name ([`AGES_YOUNG`], [`AGES_OLDER`]) or 0. Precomputed: the ranking reads it for every
    /// candidate.
    ages: u8,
}

/// [`Facets`]' `ages`: the record gives an age range.
pub(crate) const AGES_RECORDED: u8 = 0x80;
/// [`Facets`]' `ages`: no age range; its words name children and young people.
pub(crate) const AGES_YOUNG: u8 = 1;
/// [`Facets`]' `ages`: no age range; its words name older people.
pub(crate) const AGES_OLDER: u8 = 2;

impl Facets {
    /// The facets of `a`.
    pub(crate) fn of(a: &Asset) -> Facets {
        Facets {
            categories: a.categories.iter().fold(0, |m, c| m | category_bit(*c)),
            access: a.access.iter().fold(0, |m, f| m | bit16(*f as u16)),
            abcd: bit8(a.abcd_type as u8),
            status: bit8(a.status as u8),
            cost: a.cost.as_ref().map_or(0, |c| bit8(c.band as u8)),
            min_age: a.audience.min_age().unwrap_or(0),
            max_age: a.audience.max_age().unwrap_or(u8::MAX),
            ages: if a.audience.min_age().is_some() || a.audience.max_age().is_some() {
                AGES_RECORDED
            } else {
                match crate::recorded::age_words(a) {
                    Some(crate::recorded::AgeWords::Young) => AGES_YOUNG,
                    Some(crate::recorded::AgeWords::Older) => AGES_OLDER,
                    None => 0,
                }
            },
        }
    }

    /// Whether the record gives its cost.
    #[inline]
    pub(crate) fn cost_recorded(&self) -> bool {
        self.cost != 0
    }

    /// Whether the record lists any access feature.
    #[inline]
    pub(crate) fn access_recorded(&self) -> bool {
        self.access != 0
    }

    /// Whether the record gives an age range.
    #[inline]
    pub(crate) fn ages_recorded(&self) -> bool {
        self.ages == AGES_RECORDED
    }

    /// With no age range: the age group the record's words name.
    #[inline]
    pub(crate) fn age_words(&self) -> Option<crate::recorded::AgeWords> {
        match self.ages {
            AGES_YOUNG => Some(crate::recorded::AgeWords::Young),
            AGES_OLDER => Some(crate::recorded::AgeWords::Older),
            _ => None,
        }
    }

    /// The position of its ABCD type in [`AbcdType::ALL`].
    #[inline]
    pub(crate) fn abcd_index(&self) -> usize {
        self.abcd.trailing_zeros() as usize
    }

    /// Whether the record lists category `c`.
    #[inline]
    pub(crate) fn has_category(&self, c: Category) -> bool {
        self.categories & category_bit(c) != 0
    }

    /// Whether the record lists access feature `a`.
    #[inline]
    pub(crate) fn has_access(&self, a: AccessFeature) -> bool {
        self.access & bit16(a as u16) != 0
    }

    /// Whether the record's cost is in band `b`.
    #[inline]
    pub(crate) fn has_cost_band(&self, b: CostBand) -> bool {
        self.cost == bit8(b as u8)
    }

    /// Whether the record's status is `s`.
    #[inline]
    pub(crate) fn has_status(&self, s: Status) -> bool {
        self.status == bit8(s as u8)
    }

    /// The category bits (see [`category_bit`]).
    #[inline]
    pub(crate) fn categories(&self) -> u16 {
        self.categories
    }
}

/// What the engine keeps per slot beside the record: the position, compared exactly by the bbox
/// test and read by the haversine, when the record was last updated (the `updated` filter, the
/// collection's extent) and last verified (the per-area figures), and the [`Facets`]. 48 bytes,
/// so that scans over a million assets touch one small array and decode no record.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct SlotFacets {
    pub(crate) lon: f64,
    pub(crate) lat: f64,
    pub(crate) updated_at: DateTime<Utc>,
    pub(crate) verified_at: Option<NaiveDate>,
    pub(crate) facets: Facets,
}

impl SlotFacets {
    /// Written to a snapshot beside the asset's record (so that reading one decodes no record).
    pub(crate) fn write(&self, out: &mut Out) {
        out.f64(self.lon);
        out.f64(self.lat);
        encoding::write_time(out, &self.updated_at);
        match &self.verified_at {
            Some(d) => {
                out.u8(1);
                encoding::write_date(out, d);
            }
            None => out.u8(0),
        }
        let f = &self.facets;
        out.u16(f.categories);
        out.u16(f.access);
        for b in [f.abcd, f.status, f.cost, f.min_age, f.max_age, f.ages] {
            out.u8(b);
        }
    }

    /// Read back from a snapshot, checked: a position on the globe, one ABCD type and one
    /// status, at most one cost band, and no bit that names no term of a vocabulary.
    pub(crate) fn read(input: &mut In<'_>) -> Result<SlotFacets, SnapshotError> {
        let (lon, lat) = (input.f64()?, input.f64()?);
        if assetmap_core::LonLat::new(lon, lat).is_err() {
            return Err(SnapshotError::corrupt("a position is off the globe"));
        }
        let updated_at = encoding::read_time(input)?;
        let verified_at = if input.bool()? {
            Some(encoding::read_date(input)?)
        } else {
            None
        };
        let (categories, access) = (input.u16()?, input.u16()?);
        let mut b = [0u8; 6];
        for x in &mut b {
            *x = input.u8()?;
        }
        let [abcd, status, cost, min_age, max_age, ages] = b;
        let within = |bits: u32, n: usize| n >= 32 || bits >> n == 0;
        let one_of = |bit: u8, n: usize| bit.count_ones() == 1 && within(bit.into(), n);
        let ok = within(categories.into(), Category::ALL.len())
            && within(access.into(), AccessFeature::ALL.len())
            && one_of(abcd, AbcdType::ALL.len())
            && one_of(status, Status::ALL.len())
            && (cost == 0 || one_of(cost, CostBand::ALL.len()))
            && matches!(ages, AGES_RECORDED | AGES_YOUNG | AGES_OLDER | 0);
        if !ok {
            return Err(SnapshotError::corrupt(
                "an asset's facets name no known term",
            ));
        }
        Ok(SlotFacets {
            lon,
            lat,
            updated_at,
            verified_at,
            facets: Facets {
                categories,
                access,
                abcd,
                status,
                cost,
                min_age,
                max_age,
                ages,
            },
        })
    }

    pub(crate) fn of(a: &Asset) -> SlotFacets {
        SlotFacets {
            lon: a.location.lon(),
            lat: a.location.lat(),
            updated_at: a.updated_at,
            verified_at: a.verified_at,
            facets: Facets::of(a),
        }
    }
}

/// A [`Filter`] compiled once into masks over the packed facets of each asset (0 = no
/// condition), for the engine's scans and the text index alike.
///
/// `open_at` needs the asset's opening times, which no packed record holds: the engine checks
/// it on the asset, the text index (which never reads assets) leaves it to its caller.
///
/// # Examples
/// ```
/// use assetmap_core::Category;
/// use assetmap_index::{CompiledFilter, Filter};
/// let f = Filter { categories: vec![Category::Food], age: Some(8), ..Filter::default() };
/// assert_ne!(CompiledFilter::new(&f), CompiledFilter::default());
/// assert_eq!(CompiledFilter::new(&Filter::default()), CompiledFilter::default());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CompiledFilter {
    /// Any of these categories.
    categories: u16,
    /// All of these access features.
    access: u16,
    /// Any of these ABCD types.
    abcd: u8,
    /// Any of these statuses.
    status: u8,
    /// Any of these cost bands (an unknown cost has no bit, so never matches).
    cost: u8,
    /// Admits a person of this age, in years.
    age: Option<u8>,
    open_at: Option<OpenAt>,
    updated: Option<TimeInterval>,
    /// Also admit an asset whose record says nothing of its cost (under a cost filter) or of
    /// its access (under an access filter): coordinator search keeps those, ranked lower and
    /// said to be "not recorded".
    keep_unrecorded: bool,
    /// Admit only an asset whose record gives what is asked: an age range under `age` (cost
    /// and access are always required unless `keep_unrecorded`).
    only_recorded: bool,
}

impl CompiledFilter {
    /// Compiles `f`: the one step from a [`Filter`] to masks.
    pub fn new(f: &Filter) -> CompiledFilter {
        CompiledFilter {
            categories: f.categories.iter().fold(0, |m, c| m | category_bit(*c)),
            access: f.access.iter().fold(0, |m, a| m | bit16(*a as u16)),
            abcd: f.abcd_types.iter().fold(0, |m, t| m | bit8(*t as u8)),
            status: f.statuses.iter().fold(0, |m, s| m | bit8(*s as u8)),
            cost: f.cost_bands.iter().fold(0, |m, b| m | bit8(*b as u8)),
            age: f.age,
            open_at: f.open_at,
            updated: f.updated,
            keep_unrecorded: false,
            only_recorded: false,
        }
    }

    /// As [`new`](Self::new), but admitting only assets whose record gives everything the
    /// filter asks about (an age range too): those the ranking's "not recorded" factors leave
    /// whole.
    pub fn only_recorded(f: &Filter) -> CompiledFilter {
        CompiledFilter {
            only_recorded: true,
            ..CompiledFilter::new(f)
        }
    }

    /// As [`new`](Self::new), but also admitting an asset whose record does not give its cost
    /// or its access features when the filter asks for them (a record that gives another cost,
    /// or other access features, is still left out).
    pub fn keeping_unrecorded(f: &Filter) -> CompiledFilter {
        CompiledFilter {
            keep_unrecorded: true,
            ..CompiledFilter::new(f)
        }
    }

    /// Every condition but `open_at` and `updated`, on the packed facets.
    #[inline]
    pub(crate) fn admits(&self, f: &Facets) -> bool {
        (self.categories == 0 || self.categories & f.categories != 0)
            && (self.abcd == 0 || self.abcd & f.abcd != 0)
            && (self.status == 0 || self.status & f.status != 0)
            && (self.cost == 0 || self.cost & f.cost != 0 || (self.keep_unrecorded && f.cost == 0))
            && (self.access & f.access == self.access || (self.keep_unrecorded && f.access == 0))
            && self
                .age
                .is_none_or(|age| f.min_age <= age && age <= f.max_age)
            && !(self.only_recorded && self.age.is_some() && !f.ages_recorded())
    }

    /// What the ranking's "not recorded" factors leave of a score, read from the facets (the
    /// search's `not_recorded_factor`, exactly), so that its walk can stop early.
    #[inline]
    pub(crate) fn unrecorded_bound(&self, f: &Facets) -> f64 {
        let mut b = 1.0;
        if self.keep_unrecorded {
            if self.cost != 0 && f.cost == 0 {
                b *= crate::recorded::NOT_RECORDED_FACTOR;
            }
            if self.access != 0 && f.access == 0 {
                b *= crate::recorded::NOT_RECORDED_FACTOR;
            }
        }
        if let Some(age) = self.age.filter(|_| !f.ages_recorded()) {
            b *= crate::recorded::age_factor(f.age_words(), age);
        }
        b
    }

    /// Whether the filter asks more than the packed [`Facets`] answer (`open_at`, `updated`).
    #[inline]
    pub(crate) fn beyond_facets(&self) -> bool {
        self.open_at.is_some() || self.updated.is_some()
    }

    /// Whether the filter needs the asset's record itself (`open_at`: opening times are in no
    /// packed form).
    #[inline]
    pub(crate) fn needs_asset(&self) -> bool {
        self.open_at.is_some()
    }

    /// Whether a record last updated at `t` passes the `updated` condition.
    #[inline]
    pub(crate) fn admits_updated(&self, t: DateTime<Utc>) -> bool {
        self.updated.is_none_or(|i| i.contains(t))
    }

    /// The conditions [`admits`](Self::admits) does not check.
    #[inline]
    pub(crate) fn admits_asset(&self, asset: &Asset) -> bool {
        self.open_at.is_none_or(|o| o.matches(asset)) && self.admits_updated(asset.updated_at)
    }
}

impl From<&Filter> for CompiledFilter {
    fn from(f: &Filter) -> CompiledFilter {
        CompiledFilter::new(f)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use assetmap_core::{TimeOfDay, Weekday};
    use assetmap_synthetic as synthetic;

    #[test]
    fn slot_facets_read_back_as_written_and_bits_naming_nothing_are_refused() {
        let assets = synthetic::assets(6, 3_000);
        let mut out = Out::default();
        for a in &assets {
            SlotFacets::of(a).write(&mut out);
        }
        let mut input = In::new(&out.buf);
        for a in &assets {
            assert_eq!(SlotFacets::read(&mut input).unwrap(), SlotFacets::of(a));
        }
        assert!(input.is_empty());
        // Each byte of the packed facets (after position and dates) spoiled in turn.
        let one = SlotFacets::of(&assets[0]);
        let mut out = Out::default();
        one.write(&mut out);
        let packed_from = out.buf.len() - 10;
        let spoil = |at: usize, value: u8| {
            let mut bytes = out.buf.clone();
            bytes[at] = value;
            SlotFacets::read(&mut In::new(&bytes))
        };
        if Category::ALL.len() < 16 {
            assert!(
                spoil(packed_from + 1, 0xFF).is_err(),
                "a category past the vocabulary"
            );
        }
        assert!(
            spoil(packed_from + 3, 0xFF).is_err(),
            "an access feature past the vocabulary"
        );
        assert!(spoil(packed_from + 4, 0).is_err(), "no ABCD type");
        assert!(spoil(packed_from + 4, 0b11).is_err(), "two ABCD types");
        assert!(
            spoil(packed_from + 5, 0x80).is_err(),
            "a status past the vocabulary"
        );
        assert!(spoil(packed_from + 6, 0b101).is_err(), "two cost bands");
        assert!(spoil(packed_from + 9, 7).is_err(), "ages that mean nothing");
        assert!(spoil(packed_from + 6, 0).is_ok(), "no cost recorded");
        // A position off the globe.
        let mut bytes = out.buf.clone();
        bytes[8..16].copy_from_slice(&95.0f64.to_le_bytes());
        assert!(SlotFacets::read(&mut In::new(&bytes)).is_err());
        assert!(
            SlotFacets::read(&mut In::new(&out.buf[..20])).is_err(),
            "cut short"
        );
    }

    /// The packed test agrees with the reference semantics of [`Filter::matches`].
    #[test]
    fn compiled_filters_agree_with_filter_matches() {
        let assets = synthetic::assets(5, 2_000);
        let filters = [
            Filter::default(),
            Filter {
                categories: vec![Category::Food, Category::Faith],
                ..Filter::default()
            },
            Filter {
                cost_bands: vec![CostBand::Free],
                age: Some(8),
                ..Filter::default()
            },
            Filter {
                access: vec![AccessFeature::StepFree, AccessFeature::HearingLoop],
                statuses: vec![Status::Active],
                abcd_types: vec![AbcdType::Association, AbcdType::Culture],
                ..Filter::default()
            },
            Filter {
                open_at: Some(OpenAt {
                    day: Weekday::Sat,
                    time: TimeOfDay::parse("10:30").unwrap(),
                    policy: crate::OpenAtPolicy::IncludeByArrangement,
                }),
                age: Some(72),
                ..Filter::default()
            },
            Filter {
                updated: Some(TimeInterval::parse_ogc("../2024-06-01").unwrap()),
                categories: vec![Category::Food],
                ..Filter::default()
            },
        ];
        for f in &filters {
            let c = CompiledFilter::new(f);
            for a in &assets {
                let packed = c.admits(&Facets::of(a)) && (!c.beyond_facets() || c.admits_asset(a));
                assert_eq!(packed, f.matches(a), "{f:?} on {}", a.id);
            }
        }
    }
}
