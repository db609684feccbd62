//! The validation report of a place: what `assetmap place build` prints before it writes the
//! pack, so that a council sees gaps, overlaps and mismatched vintages before serving figures.

use crate::place::{Place, PlaceInputs};
use assetmap_index::AreaLevel;
use std::fmt;

/// What was checked, and what was found. Counts are of the place's own postcodes and areas.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    /// The authorities served, `code name`.
    pub authorities: Vec<String>,
    /// Areas per level, in [`AreaLevel::ALL`] order.
    pub areas: [usize; 4],
    /// The boundaries' vintage per level (empty when not known).
    pub vintages: [String; 4],
    /// Postcodes read for the authorities.
    pub postcodes_read: usize,
    /// Of those, without a point (no grid reference): left out of search and access.
    pub postcodes_without_point: usize,
    /// Of those, terminated (kept, so that an old postcode still geocodes).
    pub postcodes_terminated: usize,
    /// Postcodes of neighbouring authorities kept within the buffer (they geocode; they do not
    /// count in the place's figures).
    pub postcodes_of_neighbours: usize,
    /// Postcodes with a point inside no ward polygon: a gap between the wards (or a postcode
    /// over the border).
    pub postcodes_outside_every_ward: Vec<String>,
    /// Postcodes with a point inside more than one ward polygon: the wards overlap.
    pub postcodes_in_several_wards: Vec<String>,
    /// Postcodes whose ward code (from the postcode table) names no ward of the boundaries: the
    /// table and the boundaries are of different vintages.
    pub postcodes_with_unknown_ward: Vec<String>,
    /// Areas without a population figure, `level code`.
    pub areas_without_population: Vec<String>,
    /// Areas no postcode of the table falls in, `level code`.
    pub areas_without_postcodes: Vec<String>,
    /// LSOAs split between wards, and postcodes outside their LSOA's best-fit ward (see
    /// [`crate::BestFit`]).
    pub split_lsoas: usize,
    pub postcodes_outside_best_fit: usize,
}

/// At most this many examples are listed per finding.
const EXAMPLES: usize = 5;

impl Report {
    /// Checks a place built from `inputs`.
    pub fn of(place: &Place, inputs: &PlaceInputs) -> Report {
        let mut r = Report {
            authorities: place
                .local_authorities()
                .iter()
                .map(|(c, n)| format!("{c} {n}"))
                .collect(),
            postcodes_read: inputs.postcodes.len(),
            postcodes_of_neighbours: inputs
                .postcodes
                .iter()
                .filter(|p| {
                    !place
                        .local_authorities()
                        .iter()
                        .any(|(c, _)| *c == p.la_code)
                })
                .count(),
            postcodes_without_point: inputs
                .postcodes
                .iter()
                .filter(|p| p.lon.is_none() || p.lat.is_none())
                .count(),
            postcodes_terminated: inputs.postcodes.iter().filter(|p| p.terminated).count(),
            split_lsoas: place.best_fit.split_lsoas,
            postcodes_outside_best_fit: place.best_fit.postcodes_outside_best_fit,
            ..Report::default()
        };
        for (i, level) in AreaLevel::ALL.into_iter().enumerate() {
            r.areas[i] = place.areas.areas(level).len();
            r.vintages[i] = place.vintage(level).to_owned();
            for (area, data) in place.areas.areas(level).iter().zip(place.data(level)) {
                if data.population.is_none() {
                    r.areas_without_population
                        .push(format!("{} {}", level.slug(), area.code()));
                }
                if data.postcodes.is_empty() {
                    r.areas_without_postcodes
                        .push(format!("{} {}", level.slug(), area.code()));
                }
            }
        }
        let ours = |la: &str| place.local_authorities().iter().any(|(c, _)| c == la);
        for p in place
            .postcodes()
            .iter()
            .filter(|p| ours(&p.la_code) && !p.terminated)
        {
            match place.areas.containing(AreaLevel::Ward, p.at).len() {
                0 => r.postcodes_outside_every_ward.push(p.postcode.clone()),
                1 => {}
                _ => r.postcodes_in_several_wards.push(p.postcode.clone()),
            }
            if place.areas.find(AreaLevel::Ward, &p.ward_code).is_none() {
                r.postcodes_with_unknown_ward.push(p.postcode.clone());
            }
        }
        r
    }

    /// Whether anything needs a person's attention (the pack is written either way).
    pub fn has_findings(&self) -> bool {
        !(self.postcodes_outside_every_ward.is_empty()
            && self.postcodes_in_several_wards.is_empty()
            && self.postcodes_with_unknown_ward.is_empty()
            && self.areas_without_population.is_empty()
            && self.areas_without_postcodes.is_empty())
    }
}

fn list(f: &mut fmt::Formatter<'_>, what: &str, items: &[String]) -> fmt::Result {
    if items.is_empty() {
        return writeln!(f, "  ok   {what}: none");
    }
    let shown: Vec<&str> = items.iter().take(EXAMPLES).map(String::as_str).collect();
    let more = items.len().saturating_sub(EXAMPLES);
    writeln!(
        f,
        "  WARN {what}: {} ({}{})",
        items.len(),
        shown.join(", "),
        if more > 0 {
            format!(", and {more} more")
        } else {
            String::new()
        }
    )
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Place: {}", self.authorities.join("; "))?;
        for (i, level) in AreaLevel::ALL.into_iter().enumerate() {
            let vintage = if self.vintages[i].is_empty() {
                String::new()
            } else {
                format!(" ({} boundaries)", self.vintages[i])
            };
            writeln!(
                f,
                "  {:<5} {:>6} areas{vintage}",
                level.slug(),
                self.areas[i]
            )?;
        }
        writeln!(
            f,
            "  postcodes: {} read, {} without a point (left out), {} terminated (kept for geocoding)",
            self.postcodes_read, self.postcodes_without_point, self.postcodes_terminated
        )?;
        if self.postcodes_of_neighbours > 0 {
            writeln!(
                f,
                "  postcodes of neighbouring authorities kept within the buffer: {} (they geocode; they do not count in the figures)",
                self.postcodes_of_neighbours
            )?;
        }
        writeln!(f, "Checks:")?;
        list(
            f,
            "postcodes outside every ward (gaps)",
            &self.postcodes_outside_every_ward,
        )?;
        list(
            f,
            "postcodes inside several wards (overlaps)",
            &self.postcodes_in_several_wards,
        )?;
        list(
            f,
            "postcodes whose ward code is not in the ward boundaries (another vintage?)",
            &self.postcodes_with_unknown_ward,
        )?;
        list(
            f,
            "areas without a population figure",
            &self.areas_without_population,
        )?;
        list(f, "areas without a postcode", &self.areas_without_postcodes)?;
        writeln!(
            f,
            "  note ward need is summed from LSOAs over a best fit (each LSOA to the ward holding most of its postcodes): {} LSOAs are split between wards; {} postcodes lie outside their LSOA's best-fit ward",
            self.split_lsoas, self.postcodes_outside_best_fit
        )
    }
}
