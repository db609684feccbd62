//! Rounding figures for people and files.

/// `x` rounded to `places` decimal places (half away from zero), as figures are reported.
///
/// ```
/// assert_eq!(assetmap_core::round_to(369.2849, 1), 369.3);
/// assert_eq!(assetmap_core::round_to(0.33333, 4), 0.3333);
/// ```
pub fn round_to(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}
