//! How far people walk: the walking model that turns minutes' walk into a search radius and a
//! distance into minutes' walk.
//!
//! People walk at [`WalkingModel::SPEED_KMH`] (4.8 km/h, 80 m a minute) along streets that are
//! on average [`WalkingModel::DETOUR_FACTOR`] (1.3) times the straight-line distance, so a
//! minute's walk reaches about 61.5 m as the crow flies: `radius = minutes × 80 / 1.3` metres,
//! and `minutes = distance_m × 1.3 / 80`, rounded to the minute.

/// The walking model (see the module documentation).
///
/// ```
/// use assetmap_core::WalkingModel;
/// // 15 minutes' walk reaches 923 m as the crow flies…
/// assert_eq!(WalkingModel::radius_m(15.0).round(), 923.0);
/// // …and a place 369 m away is a 6-minute walk.
/// assert_eq!(WalkingModel::minutes(369.3), 6);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalkingModel;

impl WalkingModel {
    /// Walking speed on the ground, km/h.
    pub const SPEED_KMH: f64 = 4.8;
    /// Street distance over straight-line distance, on average.
    pub const DETOUR_FACTOR: f64 = 1.3;

    /// Metres walked on the ground in a minute (80).
    pub fn metres_per_minute() -> f64 {
        Self::SPEED_KMH * 1000.0 / 60.0
    }

    /// The straight-line radius, in metres, reached in `minutes` of walking.
    pub fn radius_m(minutes: f64) -> f64 {
        minutes * Self::metres_per_minute() / Self::DETOUR_FACTOR
    }

    /// Minutes of walking to cover a straight-line `distance_m` (metres), rounded to the minute.
    pub fn minutes(distance_m: f64) -> i64 {
        (distance_m * Self::DETOUR_FACTOR / Self::metres_per_minute()).round() as i64
    }

    /// The most whole minutes whose radius stays within `max_radius_m` metres.
    pub fn max_minutes_within(max_radius_m: f64) -> f64 {
        (max_radius_m * Self::DETOUR_FACTOR / Self::metres_per_minute()).floor()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_and_radius_are_inverse() {
        for m in [1.0, 5.0, 15.0, 60.0] {
            assert_eq!(WalkingModel::minutes(WalkingModel::radius_m(m)) as f64, m);
        }
        assert_eq!(WalkingModel::max_minutes_within(50_000.0), 812.0);
    }
}
