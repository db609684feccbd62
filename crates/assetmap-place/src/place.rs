//! [`Place`]: everything about the area served that is not an asset.

use crate::error::PlaceError;
use crate::figures::{AreaData, BestFit, Population};
use crate::read;
use assetmap_core::{LonLat, Postcode};
use assetmap_index::{AreaIndex, AreaInput, AreaLevel, BBox};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// What the postcode table knows of one postcode.
#[derive(Debug, Clone, PartialEq)]
pub struct PostcodeInfo {
    /// The postcode in standard form (`M33 7XY`).
    pub postcode: String,
    /// The postcode's centroid (WGS84).
    pub at: LonLat,
    pub la_code: String,
    pub ward_code: String,
    pub ward_name: String,
    pub lsoa_code: String,
    pub msoa_code: String,
}

/// How a level of geography is named for people.
#[derive(Debug, Clone, Copy)]
struct LevelNames {
    /// `Electoral wards`.
    noun: &'static str,
    /// The boundaries' vintage, `2023`.
    vintage: &'static str,
}

/// The place served: its areas at every level (boundaries for drawing and polygons for point in
/// area), the postcode table, population, census need and how LSOAs fit wards. Loaded once and
/// shared (read-only) by search, the per-area figures and the exports.
#[derive(Debug, Default)]
pub struct Place {
    /// The area polygons for assignment (point in polygon): wards at full resolution, the local
    /// authority as the union of its wards, LSOAs and MSOAs generalised.
    pub areas: AreaIndex,
    /// Per level (in [`AreaLevel::ALL`] order), aligned with `areas.areas(level)`.
    data: [Vec<AreaData>; 4],
    /// Per level, the generalised boundaries as GeoJSON features sorted by code (what is served
    /// and drawn).
    boundaries: [Vec<Value>; 4],
    /// The same generalised boundaries as polygons, for the served collections' `bbox` filter
    /// and extents (what is tested is what is served).
    served: AreaIndex,
    /// Every postcode with a valid point, in table order: the proxy for where people live.
    postcodes: Vec<PostcodeInfo>,
    /// Postcode (standard form) → position in `postcodes`.
    by_postcode: HashMap<String, u32>,
    /// How LSOAs were fitted to wards.
    pub best_fit: BestFit,
    la_code: String,
    la_name: String,
    names: [Option<LevelNames>; 4],
}

fn level_index(level: AreaLevel) -> usize {
    match level {
        AreaLevel::La => 0,
        AreaLevel::Ward => 1,
        AreaLevel::Msoa => 2,
        AreaLevel::Lsoa => 3,
    }
}

impl Place {
    /// Loads the bundled place under `data_dir/sources/trafford/`: boundaries, postcodes,
    /// mid-2024 population and census 2021 need.
    pub fn load(data_dir: &Path) -> Result<Place, PlaceError> {
        let dir = data_dir.join("sources/trafford");
        let b = dir.join("boundaries");

        // Boundaries for drawing: the generalised ones.
        let mut boundaries: [Vec<Value>; 4] = Default::default();
        for (level, file) in [
            (
                AreaLevel::La,
                "trafford_local_authority_generalised.geojson",
            ),
            (AreaLevel::Ward, "trafford_ward_generalised.geojson"),
            (AreaLevel::Lsoa, "trafford_lsoa_generalised.geojson"),
            (AreaLevel::Msoa, "trafford_msoa_generalised.geojson"),
        ] {
            boundaries[level_index(level)] = read::boundary_features(&b.join(file), level)?;
        }
        let served = AreaIndex::new(
            AreaLevel::ALL
                .into_iter()
                .map(|level| {
                    let inputs = boundaries[level_index(level)]
                        .iter()
                        .map(served_input)
                        .collect::<Result<Vec<_>, _>>()?;
                    Ok((level, inputs))
                })
                .collect::<Result<Vec<_>, PlaceError>>()?,
        )
        .map_err(|e| PlaceError::context("The generalised boundaries are not valid polygons", e))?;
        let la = boundaries[level_index(AreaLevel::La)].first();
        let identity = |k: &str| {
            la.and_then(|f| f["properties"][k].as_str())
                .map(str::to_owned)
        };
        let (Some(la_code), Some(la_name)) = (identity("code"), identity("name")) else {
            return Err(PlaceError::new(format!(
                "{} has no area_code/area_name",
                b.join("trafford_local_authority_generalised.geojson")
                    .display()
            )));
        };

        // Polygons for assignment. Wards use the full-resolution boundaries (the generalised
        // ones are for drawing); the local authority is the union of those wards (its
        // generalised outline would disagree with the wards near the border).
        let wards = read::area_inputs(&b.join("trafford_ward_full_resolution.geojson"))?;
        let la = AreaInput {
            code: la_code.clone(),
            name: la_name.clone(),
            polygons: wards.iter().flat_map(|w| w.polygons.clone()).collect(),
        };
        let areas = AreaIndex::new(vec![
            (AreaLevel::La, vec![la]),
            (AreaLevel::Ward, wards),
            (
                AreaLevel::Msoa,
                read::area_inputs(&b.join("trafford_msoa_generalised.geojson"))?,
            ),
            (
                AreaLevel::Lsoa,
                read::area_inputs(&b.join("trafford_lsoa_generalised.geojson"))?,
            ),
        ])
        .map_err(|e| PlaceError::context("The bundled boundaries are not valid polygons", e))?;

        let mut data: [Vec<AreaData>; 4] = Default::default();
        for level in AreaLevel::ALL {
            data[level_index(level)] = vec![AreaData::default(); areas.areas(level).len()];
        }

        // Postcodes: points, and membership by the ONS codes in the table.
        let rows = read::postcode_rows(&dir.join("postcodes/trafford_postcodes.csv"))?;
        let mut postcodes = Vec::with_capacity(rows.len());
        let mut by_postcode = HashMap::with_capacity(rows.len());
        let mut lsoa_msoa: HashMap<String, String> = HashMap::new();
        let mut lsoa_ward_counts: BTreeMap<(String, String), usize> = BTreeMap::new();
        for row in rows {
            let (Some(lon), Some(lat)) = (row.lon, row.lat) else {
                continue;
            };
            let Ok(at) = LonLat::new(lon, lat) else {
                continue;
            };
            let pos = u32::try_from(postcodes.len())
                .map_err(|_| PlaceError::new("too many postcodes (more than 4 billion)"))?;
            for (level, code) in [
                (AreaLevel::La, &row.la_code),
                (AreaLevel::Ward, &row.ward_code),
                (AreaLevel::Msoa, &row.msoa_code),
                (AreaLevel::Lsoa, &row.lsoa_code),
            ] {
                if let Some((i, _)) = areas.find(level, code) {
                    data[level_index(level)][i].postcodes.push(pos);
                }
            }
            lsoa_msoa.insert(row.lsoa_code.clone(), row.msoa_code.clone());
            *lsoa_ward_counts
                .entry((row.lsoa_code.clone(), row.ward_code.clone()))
                .or_default() += 1;
            let standard = Postcode::parse(&row.postcode).ok().map(|p| p.to_string());
            if let Some(s) = &standard {
                by_postcode.insert(s.clone(), pos);
            }
            postcodes.push(PostcodeInfo {
                postcode: standard.unwrap_or(row.postcode),
                at,
                la_code: row.la_code,
                ward_code: row.ward_code,
                ward_name: row.ward_name,
                lsoa_code: row.lsoa_code,
                msoa_code: row.msoa_code,
            });
        }

        // Best fit: each LSOA to the ward holding most of its postcodes (ties: lowest code).
        let mut best_fit = BestFit {
            postcodes: postcodes.len(),
            ..BestFit::default()
        };
        let mut per_lsoa: BTreeMap<&str, Vec<(&str, usize)>> = BTreeMap::new();
        for ((lsoa, ward), n) in &lsoa_ward_counts {
            per_lsoa.entry(lsoa).or_default().push((ward, *n));
        }
        for (lsoa, wards) in per_lsoa {
            let total: usize = wards.iter().map(|w| w.1).sum();
            let Some(&(ward, n)) = wards
                .iter()
                .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(a.0)))
            else {
                continue;
            };
            if wards.len() > 1 {
                best_fit.split_lsoas += 1;
            }
            best_fit.postcodes_outside_best_fit += total - n;
            best_fit
                .lsoa_to_ward
                .insert(lsoa.to_owned(), ward.to_owned());
        }

        // Population: LSOA, MSOA and ward files; the local authority is the sum of its LSOAs.
        for (level, geo) in [
            (AreaLevel::Lsoa, "lsoa"),
            (AreaLevel::Msoa, "msoa"),
            (AreaLevel::Ward, "ward"),
        ] {
            let pop = read::population(&dir.join(format!(
                "population/mid-year_2024_population_estimates_{geo}.csv"
            )))?;
            for (i, area) in areas.areas(level).iter().enumerate() {
                data[level_index(level)][i].population = pop.get(area.code()).copied();
            }
        }
        let mut la_pop = Population::default();
        for d in &data[level_index(AreaLevel::Lsoa)] {
            if let Some(p) = d.population {
                la_pop += p;
            }
        }
        if let Some(d) = data[level_index(AreaLevel::La)].first_mut() {
            d.population = Some(la_pop);
        }

        // Need: by LSOA; summed to MSOA (nesting), ward (best fit) and the local authority.
        let census = read::census_lsoa(&dir.join("census2021"))?;
        for (lsoa, counts) in &census {
            if areas.find(AreaLevel::Lsoa, lsoa).is_none() {
                continue;
            }
            for (level, code) in [
                (AreaLevel::Lsoa, Some(lsoa)),
                (AreaLevel::Msoa, lsoa_msoa.get(lsoa)),
                (AreaLevel::Ward, best_fit.lsoa_to_ward.get(lsoa)),
                (AreaLevel::La, Some(&la_code)),
            ] {
                if let Some((i, _)) = code.and_then(|c| areas.find(level, c)) {
                    let d = &mut data[level_index(level)][i];
                    d.need += *counts;
                    d.need_lsoas += 1;
                }
            }
        }
        if census.len() != areas.areas(AreaLevel::Lsoa).len() {
            return Err(PlaceError::new(format!(
                "The census tables cover {} LSOAs but the boundaries have {}",
                census.len(),
                areas.areas(AreaLevel::Lsoa).len()
            )));
        }

        let names = |noun, vintage| Some(LevelNames { noun, vintage });
        Ok(Place {
            areas,
            data,
            boundaries,
            served,
            postcodes,
            by_postcode,
            best_fit,
            la_code,
            la_name,
            names: [
                names("Local authority", ""),
                names("Electoral wards", "2023"),
                names("Middle layer super output areas", "2021"),
                names("Lower layer super output areas", "2021"),
            ],
        })
    }

    /// The reference figures of each area of `level`, aligned with `self.areas.areas(level)`.
    pub fn data(&self, level: AreaLevel) -> &[AreaData] {
        &self.data[level_index(level)]
    }

    /// The generalised boundaries of `level` as GeoJSON features (`id` = code, properties
    /// `code`, `name`, `level`), sorted by code.
    pub fn boundaries(&self, level: AreaLevel) -> &[Value] {
        &self.boundaries[level_index(level)]
    }

    /// Whether the served (generalised) boundary of area `code` of `level` meets `bbox`, edges
    /// and boundary included ([`Area::intersects`](assetmap_index::areas::Area::intersects));
    /// `false` for an unknown code.
    pub fn boundary_intersects(&self, level: AreaLevel, code: &str, bbox: &BBox) -> bool {
        self.served
            .find(level, code)
            .is_some_and(|(_, area)| area.intersects(bbox))
    }

    /// The bounding box `[min_lon, min_lat, max_lon, max_lat]` (degrees) of every served
    /// (generalised) boundary of `level`: exactly the smallest and largest coordinates served,
    /// not rounded. `None` when the level has no areas.
    pub fn extent(&self, level: AreaLevel) -> Option<[f64; 4]> {
        self.served
            .areas(level)
            .iter()
            .map(|a| a.bbox())
            .reduce(|a, b| {
                [
                    a[0].min(b[0]),
                    a[1].min(b[1]),
                    a[2].max(b[2]),
                    a[3].max(b[3]),
                ]
            })
    }

    /// The generalised boundary of one area as a GeoJSON geometry.
    pub fn boundary(&self, level: AreaLevel, code: &str) -> Option<&Value> {
        self.boundaries(level)
            .iter()
            .find(|f| f["id"].as_str() == Some(code))
            .map(|f| &f["geometry"])
    }

    /// Every postcode with a point, in table order (the proxy for where people live).
    pub fn postcodes(&self) -> &[PostcodeInfo] {
        &self.postcodes
    }

    /// Looks a postcode up.
    pub fn postcode(&self, postcode: &Postcode) -> Option<&PostcodeInfo> {
        self.by_postcode
            .get(postcode.as_str())
            .map(|&i| &self.postcodes[i as usize])
    }

    /// The local authority's ONS code and name (`E08000009`, `Trafford`).
    pub fn local_authority(&self) -> (&str, &str) {
        (&self.la_code, &self.la_name)
    }

    /// True when nothing was loaded ([`Place::default`]).
    pub fn is_empty(&self) -> bool {
        self.areas.areas(AreaLevel::Ward).is_empty()
    }

    /// A short title for a level: `Electoral wards (2023)`, `Local authority (Trafford)`.
    pub fn level_title(&self, level: AreaLevel) -> String {
        match (level, self.names[level_index(level)]) {
            (AreaLevel::La, _) => format!("Local authority ({})", self.la_name),
            (_, Some(n)) => format!("{} ({})", n.noun, n.vintage),
            (_, None) => level.slug().to_owned(),
        }
    }

    /// A title that says which boundaries: `Electoral wards (2023 boundaries)`,
    /// `Local authority (Trafford, E08000009)`.
    pub fn level_long_title(&self, level: AreaLevel) -> String {
        match (level, self.names[level_index(level)]) {
            (AreaLevel::La, _) => format!("Local authority ({}, {})", self.la_name, self.la_code),
            (AreaLevel::Ward, Some(n)) => format!("{} ({} boundaries)", n.noun, n.vintage),
            _ => self.level_title(level),
        }
    }
}

/// A served boundary feature (`id` = code, `properties.name`) as polygons.
fn served_input(f: &Value) -> Result<AreaInput, PlaceError> {
    let code = f["id"].as_str().unwrap_or_default().to_owned();
    let polygons = read::polygons(&f["geometry"])
        .map_err(|e| PlaceError::context(format!("Generalised boundary of {code}"), e))?;
    Ok(AreaInput {
        name: f["properties"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        code,
        polygons,
    })
}
