//! Which assets a query wants, besides where they are.

use crate::TimeInterval;
use assetmap_core::{
    AbcdType, AccessFeature, Asset, Category, CostBand, Openness, Status, TimeOfDay, Weekday,
};

/// Conditions on an asset's attributes. Every part is optional; the empty (default) filter
/// matches every asset, whatever its status.
///
/// An asset matches when it meets **every** part that is set:
/// - `categories`: it has **any** of these themes;
/// - `abcd_types`: its ABCD type is **any** of these;
/// - `statuses`: its status is **any** of these. The engine applies no default: the HTTP
///   layer decides (it shows `active` and `temporarily_closed` unless asked otherwise);
/// - `cost_bands`: its cost band is **any** of these. An asset whose cost is not known
///   (`cost: None`) never matches a cost filter;
/// - `access`: it offers **all** of these access features;
/// - `age` (whole years): its audience admits that age ([`Audience::admits_age`]; an asset
///   with no age range admits everyone);
/// - `open_at`: see [`OpenAt`];
/// - `updated`: its `updated_at` lies in this [`TimeInterval`] (ends included).
///
/// An empty list means "no condition", not "match nothing".
///
/// [`Audience::admits_age`]: assetmap_core::Audience::admits_age
///
/// # Examples
/// ```
/// use assetmap_core::{Category, Status};
/// use assetmap_index::Filter;
/// use assetmap_synthetic as synthetic;
/// let assets = synthetic::assets(7, 50);
/// let f = Filter { categories: vec![Category::Food], statuses: vec![Status::Active], ..Filter::default() };
/// for a in &assets {
///     assert_eq!(f.matches(a), a.categories.contains(&Category::Food) && a.status == Status::Active);
/// }
/// assert!(Filter::default().matches(&assets[0]));
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    /// Any of these themes.
    pub categories: Vec<Category>,
    /// Any of these ABCD asset types.
    pub abcd_types: Vec<AbcdType>,
    /// Any of these statuses.
    pub statuses: Vec<Status>,
    /// Any of these cost bands; unknown cost never matches.
    pub cost_bands: Vec<CostBand>,
    /// All of these access features.
    pub access: Vec<AccessFeature>,
    /// Admits a person of this age, in whole years.
    pub age: Option<u8>,
    /// Open at this time of the week.
    pub open_at: Option<OpenAt>,
    /// Last updated (`updated_at`, UTC) within this interval.
    pub updated: Option<TimeInterval>,
}

/// "Open at this time": a day of the week and a local time of day, and what to do with
/// assets whose times are not set hours.
///
/// An asset with regular periods is open when one of them contains the moment
/// ([`OpeningTimes::openness_at`] is `Open`; opening inclusive, closing exclusive, periods
/// running past midnight count on the next day). Assets open only by arrangement or with no
/// times recorded are kept or dropped according to `policy`.
///
/// [`OpeningTimes::openness_at`]: assetmap_core::OpeningTimes::openness_at
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenAt {
    /// Day of the week (local).
    pub day: Weekday,
    /// Time of day (local), to the minute.
    pub time: TimeOfDay,
    /// What to do with by-arrangement and unknown times.
    pub policy: OpenAtPolicy,
}

/// Which answers of [`OpeningTimes::openness_at`] count as "open" for an [`OpenAt`] filter.
/// `Closed` never counts.
///
/// [`OpeningTimes::openness_at`]: assetmap_core::OpeningTimes::openness_at
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OpenAtPolicy {
    /// Only assets known to be open then (`Open`).
    #[default]
    OpenOnly,
    /// Also assets open by arrangement (`ByArrangement`): "you could go then if you call".
    IncludeByArrangement,
    /// Also by arrangement and assets with no times recorded (`Unknown`): drop only those
    /// known to be closed then.
    ExcludeOnlyClosed,
}

impl OpenAt {
    /// Whether `asset` counts as open under this filter.
    ///
    /// # Examples
    /// ```
    /// use assetmap_core::{OpeningTimes, TimeOfDay, Weekday};
    /// use assetmap_index::{OpenAt, OpenAtPolicy};
    /// use assetmap_synthetic as synthetic;
    /// let mut a = synthetic::asset(1, 0);
    /// a.opening_times = OpeningTimes::new(vec![], true, None); // by arrangement only
    /// let at = |policy| OpenAt { day: Weekday::Mon, time: TimeOfDay::parse("10:00").unwrap(), policy };
    /// assert!(!at(OpenAtPolicy::OpenOnly).matches(&a));
    /// assert!(at(OpenAtPolicy::IncludeByArrangement).matches(&a));
    /// ```
    pub fn matches(&self, asset: &Asset) -> bool {
        match asset.opening_times.openness_at(self.day, self.time) {
            Openness::Open => true,
            Openness::Closed => false,
            Openness::ByArrangement => self.policy != OpenAtPolicy::OpenOnly,
            Openness::Unknown => self.policy == OpenAtPolicy::ExcludeOnlyClosed,
        }
    }
}

impl Filter {
    /// True when no condition is set (matches everything).
    pub fn is_empty(&self) -> bool {
        *self == Filter::default()
    }

    /// Whether `asset` meets every condition that is set (the reference semantics; the
    /// engine and the text index evaluate the same conditions on packed bit sets, see
    /// [`CompiledFilter`](crate::CompiledFilter)).
    pub fn matches(&self, asset: &Asset) -> bool {
        (self.categories.is_empty() || asset.categories.iter().any(|c| self.categories.contains(c)))
            && (self.abcd_types.is_empty() || self.abcd_types.contains(&asset.abcd_type))
            && (self.statuses.is_empty() || self.statuses.contains(&asset.status))
            && (self.cost_bands.is_empty()
                || asset
                    .cost
                    .as_ref()
                    .is_some_and(|c| self.cost_bands.contains(&c.band)))
            && self.access.iter().all(|f| asset.access.contains(f))
            && self.age.is_none_or(|age| asset.audience.admits_age(age))
            && self.open_at.is_none_or(|o| o.matches(asset))
            && self.updated.is_none_or(|i| i.contains(asset.updated_at))
    }
}
