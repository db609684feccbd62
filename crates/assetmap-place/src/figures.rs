//! The reference figures of an area: population, census need, and which postcodes it holds.

/// Usual residents on 30 June (ONS mid-year estimates), persons.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Population {
    pub all_ages: u64,
    pub aged_0_to_15: u64,
    pub aged_16_to_64: u64,
    pub aged_65_and_over: u64,
}

impl std::ops::AddAssign for Population {
    fn add_assign(&mut self, o: Population) {
        self.all_ages += o.all_ages;
        self.aged_0_to_15 += o.aged_0_to_15;
        self.aged_16_to_64 += o.aged_16_to_64;
        self.aged_65_and_over += o.aged_65_and_over;
    }
}

/// Census 2021 counts behind the need indicators, for one area. Each indicator is a share:
/// numerator over the sum of every category of the same table (its total).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NeedCounts {
    /// Residents in bad or very bad health (general health table).
    pub bad_health: u64,
    /// All residents in the general health table.
    pub health_total: u64,
    /// Residents disabled under the Equality Act (day-to-day activities limited a lot or a little).
    pub disabled: u64,
    /// All residents in the disability table.
    pub disability_total: u64,
    /// Residents providing any unpaid care.
    pub carers: u64,
    /// All residents in the unpaid care table (aged 5 and over).
    pub care_total: u64,
    /// Households with no car or van.
    pub no_car: u64,
    /// All households in the car or van availability table.
    pub households: u64,
}

impl std::ops::AddAssign for NeedCounts {
    fn add_assign(&mut self, o: NeedCounts) {
        self.bad_health += o.bad_health;
        self.health_total += o.health_total;
        self.disabled += o.disabled;
        self.disability_total += o.disability_total;
        self.carers += o.carers;
        self.care_total += o.care_total;
        self.no_car += o.no_car;
        self.households += o.households;
    }
}

/// Reference figures for one area (aligned with `AreaIndex::areas(level)`).
#[derive(Debug, Clone, Default)]
pub struct AreaData {
    /// Mid-year population (persons); `None` when the source has no row for the area.
    pub population: Option<Population>,
    /// Census 2021 need counts (summed from LSOAs; for wards through the best fit).
    pub need: NeedCounts,
    /// LSOAs whose need counts were summed into this area.
    pub need_lsoas: usize,
    /// Positions (in [`Place::postcodes`](crate::Place::postcodes)) of the postcodes in this
    /// area by the postcode table's codes.
    pub postcodes: Vec<u32>,
}

/// How LSOAs were fitted to wards (census need is published by LSOA; wards are summed over a
/// best fit: each LSOA goes whole to the ward holding most of its postcodes).
#[derive(Debug, Clone, Default)]
pub struct BestFit {
    /// LSOA code → ward code.
    pub lsoa_to_ward: std::collections::BTreeMap<String, String>,
    /// LSOAs whose postcodes fall in more than one ward.
    pub split_lsoas: usize,
    /// Postcodes (of all LSOAs) outside their LSOA's best-fit ward.
    pub postcodes_outside_best_fit: usize,
    /// All postcodes used.
    pub postcodes: usize,
}
