//! A place definition: which local authorities, which files, and what to say about them — the
//! recipe a place is built from (`data/place.toml` for the bundled place; `assetmap place
//! build` takes one too, or the same things as flags).

use crate::error::PlaceError;
use assetmap_index::AreaLevel;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The recipe of a place. Paths are relative to the definition file's folder.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PlaceDefinition {
    /// What the place is called on the map and in downloads, e.g. `Trafford`.
    pub title: String,
    /// The attribution the map and the downloads show for the reference data.
    pub attribution: String,
    /// The ONS codes of the local authorities served (`E08000009`); postcodes, areas,
    /// population and need are kept for these.
    pub local_authorities: Vec<String>,
    /// Keep postcodes of neighbouring authorities within this many metres of a kept postcode
    /// (so people just over the border can be searched from); 0 keeps none.
    #[serde(default)]
    pub buffer_m: f64,
    /// The input files.
    pub files: Files,
    /// The boundaries' vintage per level (`ward = "2023"`), shown in titles; read from the
    /// ONS field names (`WD23CD`) when not given.
    #[serde(default)]
    pub vintages: Vintages,
    /// Where the inputs come from, with licence and attribution (the pack's manifest).
    #[serde(default)]
    pub sources: Vec<Source>,
    /// Notes on method that the per-area figures' metadata repeats (e.g. how wards got need
    /// figures when the census tables are on other ward codes).
    #[serde(default)]
    pub notes: Notes,
    /// The place's own asset register, when it comes with one (the bundled place does): what a
    /// new store of this place starts with. Not kept in a pack.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset: Option<Dataset>,
}

/// A place's bundled asset register.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Dataset {
    /// The assets, a GeoJSON FeatureCollection (`assetmap dataset build` writes it).
    pub assets: PathBuf,
    /// The folder of mapping files it is built from (`assetmap dataset build` reads them).
    pub mappings: Option<PathBuf>,
}

/// The input files of a place.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Files {
    /// The postcode table: the ONS Postcode Directory or NSPL CSV (`pcds`, `lat`, `long`,
    /// `oslaua`, `osward`, `lsoa21`, `msoa21`, `doterm`), or an extract with snake_case names.
    pub postcodes: PathBuf,
    /// Boundaries to draw and serve, one file per level.
    pub boundaries: LevelFiles,
    /// Finer boundaries for point in area where there are some (e.g. full-resolution wards);
    /// a level without one uses its `boundaries` file.
    #[serde(default)]
    pub assignment: LevelFiles,
    /// Mid-year population estimates (one file per level, any of LSOA, MSOA, ward, LA).
    pub population: Vec<PathBuf>,
    /// Census 2021 tables by LSOA: general health, disability, unpaid care, car or van
    /// availability.
    pub census: Vec<PathBuf>,
}

/// One optional file per level.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LevelFiles {
    pub la: Option<PathBuf>,
    pub ward: Option<PathBuf>,
    pub msoa: Option<PathBuf>,
    pub lsoa: Option<PathBuf>,
}

impl LevelFiles {
    /// The file of `level`, if any.
    pub fn get(&self, level: AreaLevel) -> Option<&Path> {
        match level {
            AreaLevel::La => self.la.as_deref(),
            AreaLevel::Ward => self.ward.as_deref(),
            AreaLevel::Msoa => self.msoa.as_deref(),
            AreaLevel::Lsoa => self.lsoa.as_deref(),
        }
    }

    fn resolve(&mut self, base: &Path) {
        for f in [&mut self.la, &mut self.ward, &mut self.msoa, &mut self.lsoa]
            .into_iter()
            .flatten()
        {
            *f = base.join(&*f);
        }
    }
}

/// The boundaries' vintage per level (the LA level has none).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Vintages {
    pub ward: Option<String>,
    pub msoa: Option<String>,
    pub lsoa: Option<String>,
}

/// One source of the reference data.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// What it is, e.g. `ONS Postcode Directory, February 2025`.
    pub name: String,
    /// Licence identifier, e.g. `OGL-3.0`.
    pub licence: String,
    /// The attribution the licence asks for.
    pub attribution: String,
}

/// Method notes repeated in the per-area figures' metadata.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Notes {
    /// Why and how ward need is approximate (prefixed to the best-fit figures).
    #[serde(default)]
    pub ward_need: Option<String>,
    /// What the postcode table is (named in the access method), e.g. `ONS Postcode Directory,
    /// Feb 2025`.
    #[serde(default)]
    pub postcodes: Option<String>,
}

impl PlaceDefinition {
    /// Reads a definition (TOML) and makes its paths absolute (relative to its folder).
    pub fn read(path: &Path) -> Result<PlaceDefinition, PlaceError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            PlaceError::context(
                format!("Failed to read the place definition {}", path.display()),
                e,
            )
        })?;
        let mut def: PlaceDefinition = toml::from_str(&text).map_err(|e| {
            PlaceError::context(
                format!("The place definition {} is not valid", path.display()),
                e,
            )
        })?;
        def.resolve(path.parent().unwrap_or(Path::new(".")));
        if def.local_authorities.is_empty() {
            return Err(PlaceError::new(format!(
                "{} names no local authority; list their ONS codes in local_authorities",
                path.display()
            )));
        }
        Ok(def)
    }

    /// Makes every path absolute against `base`.
    pub fn resolve(&mut self, base: &Path) {
        let f = &mut self.files;
        f.postcodes = base.join(&f.postcodes);
        f.boundaries.resolve(base);
        f.assignment.resolve(base);
        for p in f.population.iter_mut().chain(f.census.iter_mut()) {
            *p = base.join(&*p);
        }
        if let Some(d) = &mut self.dataset {
            d.assets = base.join(&d.assets);
            if let Some(m) = &mut d.mappings {
                *m = base.join(&*m);
            }
        }
    }

    /// The vintage of `level`'s boundaries, if known.
    pub fn vintage(&self, level: AreaLevel) -> Option<&str> {
        match level {
            AreaLevel::La => None,
            AreaLevel::Ward => self.vintages.ward.as_deref(),
            AreaLevel::Msoa => self.vintages.msoa.as_deref(),
            AreaLevel::Lsoa => self.vintages.lsoa.as_deref(),
        }
    }
}
