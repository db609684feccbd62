//! Directory queries: the filters a service directory's API offers (Open Referral's
//! `/services` and `/service_at_locations`), answered from the engine in one stable order.
//!
//! Everything in a [`DirectoryQuery`] must hold at once:
//!
//! * `filter`: the engine's [`Filter`] (categories, ABCD types, statuses, `updated` for
//!   "modified after");
//! * `text`: words, matched with the engine's text index (every asset that matches at least one
//!   word, or whose category a word names), best first;
//! * `near`: within `radius_m` of a point, nearest first;
//! * `minimum_age`: the asset's minimum age is set and at least this; `maximum_age`: its
//!   maximum age is set and at most this (Open Referral's wording: "a minimum age of at least
//!   the specified value", "a maximum age equal to or below");
//! * `day`, `start_time`, `end_time`: one weekly opening period on `day` (any day when not
//!   given) that opens at or after `start_time` and closes at or before `end_time` (a period
//!   past midnight closes after every `end_time`).
//!
//! Order: by relevance with words, else by distance with `near`, else by asset id; ties by id.

use crate::{Engine, Filter, TextQuery};
use assetmap_core::{Asset, AssetId, LonLat, TimeOfDay, Weekday};
use std::collections::HashMap;

/// A directory query (see the module docs).
#[derive(Debug, Clone, Default)]
pub struct DirectoryQuery {
    pub filter: Filter,
    pub text: TextQuery,
    /// `(centre, radius in metres)`.
    pub near: Option<(LonLat, f64)>,
    pub minimum_age: Option<u8>,
    pub maximum_age: Option<u8>,
    pub day: Option<Weekday>,
    pub start_time: Option<TimeOfDay>,
    pub end_time: Option<TimeOfDay>,
}

impl DirectoryQuery {
    /// Whether `a` meets the conditions that need the asset itself (ages and opening times).
    pub fn admits(&self, a: &Asset) -> bool {
        if let Some(lo) = self.minimum_age {
            if a.audience.min_age().is_none_or(|m| m < lo) {
                return false;
            }
        }
        if let Some(hi) = self.maximum_age {
            if a.audience.max_age().is_none_or(|m| m > hi) {
                return false;
            }
        }
        if self.day.is_none() && self.start_time.is_none() && self.end_time.is_none() {
            return true;
        }
        a.opening_times.periods().iter().any(|p| {
            let closes = if p.crosses_midnight() {
                u32::from(p.closes().minutes()) + 24 * 60
            } else {
                u32::from(p.closes().minutes())
            };
            self.day.is_none_or(|d| p.day() == d)
                && self.start_time.is_none_or(|t| p.opens() >= t)
                && self
                    .end_time
                    .is_none_or(|t| closes <= u32::from(t.minutes()))
        })
    }
}

impl Engine {
    /// Every asset meeting `q`, in the order the module docs give.
    ///
    /// ```
    /// use assetmap_index::{directory::DirectoryQuery, Engine, TextQuery};
    /// use assetmap_synthetic as synthetic;
    /// let engine = Engine::new(synthetic::assets(1, 300));
    /// let all = engine.directory(&DirectoryQuery::default());
    /// assert_eq!(all.len(), 300);
    /// let q = DirectoryQuery { text: TextQuery::parse("gardening"), ..Default::default() };
    /// assert!(engine.directory(&q).len() < 300);
    /// ```
    pub fn directory(&self, q: &DirectoryQuery) -> Vec<Asset> {
        let near_hits = q.near.map(|(at, r)| self.within(at, r, &q.filter));
        let distances: Option<HashMap<AssetId, f64>> = near_hits.as_ref().map(|hits| {
            hits.iter()
                .map(|h| (h.asset.id.clone(), h.distance_m))
                .collect()
        });
        let mut out: Vec<(f64, Asset)> = if !q.text.is_empty() {
            let ff = crate::CompiledFilter::new(&q.filter);
            self.text_index()
                .search(&q.text, None, &ff)
                .into_iter()
                .filter_map(|h| Some((-f64::from(h.relevance), self.slot_asset(h.slot)?)))
                .collect()
        } else if let Some(hits) = near_hits {
            hits.into_iter().map(|h| (h.distance_m, h.asset)).collect()
        } else {
            self.scan(&q.filter).map(|a| (0.0, a)).collect()
        };
        out.retain(|(_, a)| {
            q.admits(a) && distances.as_ref().is_none_or(|d| d.contains_key(&a.id))
        });
        out.sort_by(|x, y| x.0.total_cmp(&y.0).then_with(|| x.1.id.cmp(&y.1.id)));
        out.into_iter().map(|(_, a)| a).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use assetmap_core::{OpeningPeriod, OpeningTimes};
    use assetmap_synthetic as synthetic;

    #[test]
    fn ages_and_times_follow_the_profile_wording() {
        let mut a = synthetic::asset(1, 0);
        a.audience = assetmap_core::Audience::new(Some(65), None, None).unwrap();
        let t = |s| TimeOfDay::parse(s).unwrap();
        a.opening_times = OpeningTimes::new(
            vec![
                OpeningPeriod::new(Weekday::Tue, t("10:00"), t("12:00")).unwrap(),
                OpeningPeriod::new(Weekday::Fri, t("22:00"), t("02:00")).unwrap(),
            ],
            false,
            None,
        );
        let q = |f: fn(&mut DirectoryQuery)| {
            let mut q = DirectoryQuery::default();
            f(&mut q);
            q.admits(&a)
        };
        assert!(q(|q| q.minimum_age = Some(60)));
        assert!(!q(|q| q.minimum_age = Some(70)));
        assert!(!q(|q| q.maximum_age = Some(90)));
        assert!(q(|q| q.day = Some(Weekday::Tue)));
        assert!(!q(|q| q.day = Some(Weekday::Wed)));
        assert!(q(|q| {
            q.day = Some(Weekday::Tue);
            q.start_time = Some(TimeOfDay::parse("09:00").unwrap());
            q.end_time = Some(TimeOfDay::parse("12:00").unwrap());
        }));
        assert!(!q(|q| {
            q.day = Some(Weekday::Fri);
            q.end_time = Some(TimeOfDay::parse("23:59").unwrap());
        }));
    }
}
