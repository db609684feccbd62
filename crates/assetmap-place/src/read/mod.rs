//! Readers for the files a place is built from: the postcode table, boundaries, mid-year
//! population and census 2021 tables. Each reader accepts the bundled shape (Trafford Data
//! Lab's snake_case republications of ONS data, in `data/sources/trafford/`) and the shape ONS
//! and Nomis publish nationally, telling them apart by the header (or the feature properties).
//! The national shapes' column names (and every postcode column) compare case-insensitively;
//! errors name the file and the columns each shape needs.
//!
//! | File | Bundled shape | National shape |
//! |------|---------------|----------------|
//! | Postcodes (CSV, streamed) | `postcode`, `ward_code`, `ward_name`, `msoa_code`, `lsoa_code`, `la_code`, `lon`, `lat` | ONS Postcode Directory or NSPL: `pcds` (or `pcd`), `lat`, `long`, `oslaua` (or `laua`), `osward` (or `ward`), `lsoa21` (or `lsoa21cd`), `msoa21` (or `msoa21cd`), optional `doterm` (non-empty: terminated); lat `99.999999` is no point; no ward names |
//! | Boundaries (GeoJSON or GeoPackage) | properties `area_code`, `area_name`, WGS84 | Open Geography Portal: properties `<letters><yy>CD` / `<letters><yy>NM` (`LAD23CD`, `WD23CD`, `MSOA21CD`, `LSOA21CD`, …; the finest level wins when a feature has several), WGS84 or British National Grid (a `crs` naming EPSG 27700, or coordinates beyond ±180), reprojected to WGS84; the vintage is `20<yy>` |
//! | Population (CSV) | `area_code`, `sex` (`Persons` rows), `all_ages`, `aged_0_to_15`, `aged_16_to_64`, `aged_65_and_over` | ONS small-area mid-year estimates (`sapelsoasyoa…` saved as CSV): a `… Code` column (the last one, e.g. `LSOA 2021 Code`, or `Code`), `Total`, `F0`…`F90`, `M0`…`M90` (both sexes summed into the bands; `Total` checked); or Nomis's tidy CSV: `geography code`, `gender` (`Total` rows), `age` (`All Ages`, `Age 0` … `Aged 90+`, or without single years the bands `Aged 0 to 15`, `Aged 16 to 64`, `Aged 65+`), `measures` (`Value` rows), `value` (`All Ages` checked) |
//! | Census 2021 (CSV, by LSOA) | long: `area_code`, `area_name`, `geography`, `period`, `indicator`, `<category column>`, `measure`, `unit`, `value` | Nomis bulk, wide: `geography code` and one column per category, `General health: Total: All usual residents`, … (TS037, TS038, TS039, TS045) |
//!
//! A GeoPackage is read from its first features layer (polygons decoded by `assetmap-gpkg`); a
//! layer whose SRS is 27700 is British National Grid.

mod boundaries;
mod census;
mod population;
mod postcodes;

#[allow(unused_imports)] // `boundary_vintage` is for the builder (vintages from field names).
pub(crate) use boundaries::{area_inputs, boundary_features, boundary_vintage, polygons};
pub(crate) use census::census_lsoa;
pub(crate) use population::population;
pub(crate) use postcodes::postcode_rows;
pub use postcodes::PostcodeRow;

use crate::error::PlaceError;
use std::path::Path;

fn open_csv(path: &Path, what: &str) -> Result<csv::Reader<std::fs::File>, PlaceError> {
    csv::Reader::from_path(path)
        .map_err(|e| PlaceError::context(format!("Failed to open {what} {}", path.display()), e))
}

fn read_headers(
    r: &mut csv::Reader<std::fs::File>,
    path: &Path,
) -> Result<csv::StringRecord, PlaceError> {
    Ok(r.headers()
        .map_err(|e| PlaceError::context(format!("Failed to read {}", path.display()), e))?
        .clone())
}

fn column(headers: &csv::StringRecord, path: &Path, name: &str) -> Result<usize, PlaceError> {
    headers
        .iter()
        .position(|c| c == name)
        .ok_or_else(|| PlaceError::new(format!("{} has no column {name}", path.display())))
}

/// The position of the first header equal (ignoring ASCII case and surrounding spaces) to one
/// of `names`, in the order of `names`.
fn find_column(headers: &csv::StringRecord, names: &[&str]) -> Option<usize> {
    names.iter().find_map(|name| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    })
}

/// Where in the file a record is, for messages: ` (line 12)`.
fn at_line(rec: &csv::StringRecord) -> String {
    rec.position()
        .map(|p| format!(" (line {})", p.line()))
        .unwrap_or_default()
}
