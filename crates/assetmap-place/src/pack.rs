//! The place pack: one GeoPackage holding everything a place is built from, cut to its local
//! authorities — boundaries (generalised, and finer ones for point in area), postcodes,
//! population, census need, the definition (title, attribution, authorities, vintages,
//! sources, method notes) and a manifest of the files it was built from with their SHA-256.
//!
//! QGIS and GDAL open it like any GeoPackage: the boundary and postcode layers draw, the rest are
//! tables. assetmap reads it back exactly: each boundary also keeps its GeoJSON geometry in a
//! `geometry_json` column, so coordinates come back bit for bit (the GeoPackage blob is for the
//! GIS tools; `assetmap-gpkg` decodes points only).

use crate::definition::PlaceDefinition;
use crate::error::PlaceError;
use crate::figures::{NeedCounts, Population};
use crate::place::{level_index, ManifestEntry, PlaceInputs};
use crate::read::{self, PostcodeRow};
use assetmap_gpkg::{
    encode_multipolygon, encode_point, AttributesTable, Column, ColumnType, FeatureTable,
    GeometryType, GpkgWriter, WGS84_SRS_ID,
};
use assetmap_index::{AreaInput, AreaLevel};
use rusqlite::{params, Connection, OpenFlags};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// What a pack says it is (the `place` table's `format`).
pub const FORMAT: &str = "assetmap place pack 1";

fn err(what: &str, e: impl std::fmt::Display) -> PlaceError {
    PlaceError::new(format!("{what}: {e}"))
}

const AREA_COLUMNS: [Column<'static>; 3] = [
    Column::new("code", ColumnType::Text).not_null(),
    Column::new("name", ColumnType::Text).not_null(),
    Column::new("geometry_json", ColumnType::Text).not_null(),
];

/// Writes `inputs` as a new pack at `path` (which must not exist).
pub fn write(inputs: &PlaceInputs, path: &Path) -> Result<(), PlaceError> {
    let mut w = GpkgWriter::create(path).map_err(|e| err("Cannot create the pack", e))?;
    let def = definition_for_pack(&inputs.definition, &inputs.manifest);
    let toml = toml::to_string(&def).map_err(|e| err("Cannot write the definition", e))?;

    w.create_attributes_table(&AttributesTable {
        name: "place",
        identifier: "The place",
        description: "What the pack is: format, and the place definition (TOML)",
        id_column: "id",
        columns: &[
            Column::new("key", ColumnType::Text).not_null().unique(),
            Column::new("value", ColumnType::Text).not_null(),
        ],
    })
    .map_err(|e| err("Cannot write the pack", e))?;
    for (key, value) in [("format", FORMAT), ("definition", toml.as_str())] {
        w.connection()
            .execute(
                "INSERT INTO place (key, value) VALUES (?1, ?2)",
                params![key, value],
            )
            .map_err(|e| err("Cannot write the pack", e))?;
    }

    w.create_attributes_table(&AttributesTable {
        name: "manifest",
        identifier: "Sources",
        description: "The files the pack was built from: name, size (bytes) and SHA-256",
        id_column: "id",
        columns: &[
            Column::new("file", ColumnType::Text).not_null(),
            Column::new("bytes", ColumnType::Integer).not_null(),
            Column::new("sha256", ColumnType::Text).not_null(),
        ],
    })
    .map_err(|e| err("Cannot write the pack", e))?;
    for m in &inputs.manifest {
        w.connection()
            .execute(
                "INSERT INTO manifest (file, bytes, sha256) VALUES (?1, ?2, ?3)",
                params![m.file, m.bytes as i64, m.sha256],
            )
            .map_err(|e| err("Cannot write the pack", e))?;
    }

    for level in AreaLevel::ALL {
        let name = format!("boundaries_{}", level.slug());
        let identifier = format!("Boundaries: {}", level.slug());
        w.create_features_table(&FeatureTable {
            name: &name,
            identifier: &identifier,
            description: "Generalised boundaries, to draw and serve",
            geometry_type: GeometryType::MultiPolygon,
            srs_id: WGS84_SRS_ID,
            columns: &AREA_COLUMNS,
        })
        .map_err(|e| err("Cannot write the pack", e))?;
        for f in &inputs.boundaries[level_index(level)] {
            let code = f["id"].as_str().unwrap_or_default();
            let name_ = f["properties"]["name"].as_str().unwrap_or_default();
            let polygons =
                read::polygons(&f["geometry"]).map_err(|e| err(&format!("Boundary {code}"), e))?;
            insert_area(&mut w, &name, code, name_, &f["geometry"], &polygons)?;
        }
    }
    for level in [AreaLevel::Ward, AreaLevel::Msoa, AreaLevel::Lsoa] {
        let name = format!("assignment_{}", level.slug());
        let identifier = format!("Assignment: {}", level.slug());
        w.create_features_table(&FeatureTable {
            name: &name,
            identifier: &identifier,
            description: "The polygons assets are assigned to areas with (point in polygon)",
            geometry_type: GeometryType::MultiPolygon,
            srs_id: WGS84_SRS_ID,
            columns: &AREA_COLUMNS,
        })
        .map_err(|e| err("Cannot write the pack", e))?;
        for a in &inputs.assignment[level_index(level)] {
            let geometry = json!({"type": "MultiPolygon", "coordinates": a.polygons});
            insert_area(&mut w, &name, &a.code, &a.name, &geometry, &a.polygons)?;
        }
    }

    w.create_features_table(&FeatureTable {
        name: "postcodes",
        identifier: "Postcodes",
        description: "The postcodes of the place: centroid, local authority, ward, MSOA and LSOA codes, terminated",
        geometry_type: GeometryType::Point,
        srs_id: WGS84_SRS_ID,
        columns: &[
            Column::new("postcode", ColumnType::Text).not_null(),
            Column::new("la_code", ColumnType::Text).not_null(),
            Column::new("ward_code", ColumnType::Text).not_null(),
            Column::new("ward_name", ColumnType::Text).not_null(),
            Column::new("msoa_code", ColumnType::Text).not_null(),
            Column::new("lsoa_code", ColumnType::Text).not_null(),
            Column::new("lon", ColumnType::Double),
            Column::new("lat", ColumnType::Double),
            Column::new("terminated", ColumnType::Boolean).not_null(),
        ],
    })
    .map_err(|e| err("Cannot write the pack", e))?;
    for r in &inputs.postcodes {
        let blob = match (r.lon, r.lat) {
            (Some(x), Some(y)) => encode_point(WGS84_SRS_ID, x, y),
            _ => Vec::new(),
        };
        w.insert_feature(
            "postcodes",
            &blob,
            &[
                &r.postcode,
                &r.la_code,
                &r.ward_code,
                &r.ward_name,
                &r.msoa_code,
                &r.lsoa_code,
                &r.lon,
                &r.lat,
                &r.terminated,
            ],
        )
        .map_err(|e| err("Cannot write the postcodes", e))?;
    }
    if inputs.postcodes.iter().any(|r| r.lon.is_none()) {
        w.connection()
            .execute(
                "UPDATE postcodes SET geom = NULL WHERE length(geom) = 0",
                [],
            )
            .map_err(|e| err("Cannot write the postcodes", e))?;
    }

    w.create_attributes_table(&AttributesTable {
        name: "population",
        identifier: "Population",
        description: "Mid-year population estimates (persons) by area code",
        id_column: "id",
        columns: &[
            Column::new("code", ColumnType::Text).not_null().unique(),
            Column::new("all_ages", ColumnType::Integer).not_null(),
            Column::new("aged_0_to_15", ColumnType::Integer).not_null(),
            Column::new("aged_16_to_64", ColumnType::Integer).not_null(),
            Column::new("aged_65_and_over", ColumnType::Integer).not_null(),
        ],
    })
    .map_err(|e| err("Cannot write the pack", e))?;
    let population: BTreeMap<&String, &Population> = inputs.population.iter().collect();
    for (code, p) in population {
        w.connection()
            .execute(
                "INSERT INTO population (code, all_ages, aged_0_to_15, aged_16_to_64, aged_65_and_over) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![code, p.all_ages as i64, p.aged_0_to_15 as i64, p.aged_16_to_64 as i64, p.aged_65_and_over as i64],
            )
            .map_err(|e| err("Cannot write the population", e))?;
    }

    w.create_attributes_table(&AttributesTable {
        name: "census_lsoa",
        identifier: "Census 2021 need",
        description: "Census 2021 counts behind the need indicators, by LSOA",
        id_column: "id",
        columns: &NEED_COLUMNS.map(|c| {
            if c == "lsoa_code" {
                Column::new(c, ColumnType::Text).not_null().unique()
            } else {
                Column::new(c, ColumnType::Integer).not_null()
            }
        }),
    })
    .map_err(|e| err("Cannot write the pack", e))?;
    for (code, n) in &inputs.census {
        w.connection()
            .execute(
                &format!(
                    "INSERT INTO census_lsoa ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    NEED_COLUMNS.join(", ")
                ),
                params![
                    code,
                    n.bad_health as i64,
                    n.health_total as i64,
                    n.disabled as i64,
                    n.disability_total as i64,
                    n.carers as i64,
                    n.care_total as i64,
                    n.no_car as i64,
                    n.households as i64
                ],
            )
            .map_err(|e| err("Cannot write the census counts", e))?;
    }
    w.finish().map_err(|e| err("Cannot finish the pack", e))
}

const NEED_COLUMNS: [&str; 9] = [
    "lsoa_code",
    "bad_health",
    "health_total",
    "disabled",
    "disability_total",
    "carers",
    "care_total",
    "no_car",
    "households",
];

fn insert_area(
    w: &mut GpkgWriter,
    table: &str,
    code: &str,
    name: &str,
    geometry: &Value,
    polygons: &[Vec<Vec<[f64; 2]>>],
) -> Result<(), PlaceError> {
    let parts: Vec<Vec<&[[f64; 2]]>> = polygons
        .iter()
        .map(|p| p.iter().map(Vec::as_slice).collect())
        .collect();
    let blob = encode_multipolygon(WGS84_SRS_ID, &parts)
        .ok_or_else(|| PlaceError::new(format!("Area {code} has no polygon to write")))?;
    w.insert_feature(table, &blob, &[&code, &name, &geometry.to_string()])
        .map_err(|e| err(&format!("Cannot write area {code}"), e))?;
    Ok(())
}

/// The definition as the pack keeps it: file paths replaced by the files' names (the builder's
/// folders are nobody's business).
fn definition_for_pack(def: &PlaceDefinition, manifest: &[ManifestEntry]) -> PlaceDefinition {
    let mut def = def.clone();
    let name = |p: &mut std::path::PathBuf| {
        if let Some(n) = p.file_name() {
            *p = n.into();
        }
    };
    let f = &mut def.files;
    name(&mut f.postcodes);
    for p in [
        &mut f.boundaries.la,
        &mut f.boundaries.ward,
        &mut f.boundaries.msoa,
        &mut f.boundaries.lsoa,
        &mut f.assignment.la,
        &mut f.assignment.ward,
        &mut f.assignment.msoa,
        &mut f.assignment.lsoa,
    ]
    .into_iter()
    .flatten()
    {
        name(p);
    }
    f.population.iter_mut().for_each(name);
    f.census.iter_mut().for_each(name);
    // A pack holds the place, not its asset register.
    def.dataset = None;
    let _ = manifest;
    def
}

/// The definition a pack was built from (its title, authorities, sources…), without reading
/// the rest of it.
pub fn definition(path: &Path) -> Result<PlaceDefinition, PlaceError> {
    let what = format!("The place pack {}", path.display());
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| err(&what, e))?;
    let text: String = conn
        .query_row(
            "SELECT value FROM place WHERE key = 'definition'",
            [],
            |r| r.get(0),
        )
        .map_err(|e| {
            err(
                &format!("{what} has no definition (is it a place pack?)"),
                e,
            )
        })?;
    toml::from_str(&text).map_err(|e| err(&format!("{what}: its definition"), e))
}

/// Opens a pack as the place it holds.
pub fn open(path: &Path) -> Result<crate::Place, PlaceError> {
    crate::Place::from_inputs(read(path)?)
}

/// Reads a pack written by [`write()`].
pub fn read(path: &Path) -> Result<PlaceInputs, PlaceError> {
    let what = format!("The place pack {}", path.display());
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| err(&what, e))?;
    let value = |key: &str| -> Result<String, PlaceError> {
        conn.query_row("SELECT value FROM place WHERE key = ?1", [key], |r| {
            r.get::<_, String>(0)
        })
        .map_err(|e| err(&format!("{what} has no {key} (is it a place pack?)"), e))
    };
    let format = value("format")?;
    if format != FORMAT {
        return Err(PlaceError::new(format!(
            "{what} is {format:?}; this assetmap reads {FORMAT:?}"
        )));
    }
    let definition: PlaceDefinition = toml::from_str(&value("definition")?)
        .map_err(|e| err(&format!("{what}: its definition"), e))?;

    let areas = |table: &str| -> Result<Vec<(String, String, Value)>, PlaceError> {
        let mut stmt = conn
            .prepare(&format!(
                "SELECT code, name, geometry_json FROM {table} ORDER BY fid"
            ))
            .map_err(|e| err(&what, e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .map_err(|e| err(&what, e))?;
        rows.map(|row| {
            let (code, name, geometry) = row.map_err(|e| err(&what, e))?;
            let geometry: Value = serde_json::from_str(&geometry)
                .map_err(|e| err(&format!("{what}: area {code}"), e))?;
            Ok((code, name, geometry))
        })
        .collect()
    };
    let mut boundaries: [Vec<Value>; 4] = Default::default();
    for level in AreaLevel::ALL {
        boundaries[level_index(level)] = areas(&format!("boundaries_{}", level.slug()))?
            .into_iter()
            .map(|(code, name, geometry)| {
                json!({"type": "Feature", "id": code, "geometry": geometry,
                       "properties": {"code": code, "name": name, "level": level.slug()}})
            })
            .collect();
    }
    let mut assignment: [Vec<AreaInput>; 4] = Default::default();
    for level in [AreaLevel::Ward, AreaLevel::Msoa, AreaLevel::Lsoa] {
        assignment[level_index(level)] = areas(&format!("assignment_{}", level.slug()))?
            .into_iter()
            .map(|(code, name, geometry)| {
                let polygons =
                    read::polygons(&geometry).map_err(|e| err(&format!("{what}: {code}"), e))?;
                Ok(AreaInput {
                    code,
                    name,
                    polygons,
                })
            })
            .collect::<Result<_, PlaceError>>()?;
    }

    let mut stmt = conn
        .prepare("SELECT postcode, la_code, ward_code, ward_name, msoa_code, lsoa_code, lon, lat, terminated FROM postcodes ORDER BY fid")
        .map_err(|e| err(&what, e))?;
    let postcodes = stmt
        .query_map([], |r| {
            Ok(PostcodeRow {
                postcode: r.get(0)?,
                la_code: r.get(1)?,
                ward_code: r.get(2)?,
                ward_name: r.get(3)?,
                msoa_code: r.get(4)?,
                lsoa_code: r.get(5)?,
                lon: r.get(6)?,
                lat: r.get(7)?,
                terminated: r.get(8)?,
            })
        })
        .map_err(|e| err(&what, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| err(&what, e))?;
    drop(stmt);

    let count = |r: &rusqlite::Row<'_>, i: usize| -> rusqlite::Result<u64> {
        Ok(r.get::<_, i64>(i)?.max(0) as u64)
    };
    let mut stmt = conn
        .prepare(
            "SELECT code, all_ages, aged_0_to_15, aged_16_to_64, aged_65_and_over FROM population",
        )
        .map_err(|e| err(&what, e))?;
    let population: HashMap<String, Population> = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                Population {
                    all_ages: count(r, 1)?,
                    aged_0_to_15: count(r, 2)?,
                    aged_16_to_64: count(r, 3)?,
                    aged_65_and_over: count(r, 4)?,
                },
            ))
        })
        .map_err(|e| err(&what, e))?
        .collect::<Result<_, _>>()
        .map_err(|e| err(&what, e))?;
    drop(stmt);

    let mut stmt = conn
        .prepare(&format!(
            "SELECT {} FROM census_lsoa",
            NEED_COLUMNS.join(", ")
        ))
        .map_err(|e| err(&what, e))?;
    let census: BTreeMap<String, NeedCounts> = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                NeedCounts {
                    bad_health: count(r, 1)?,
                    health_total: count(r, 2)?,
                    disabled: count(r, 3)?,
                    disability_total: count(r, 4)?,
                    carers: count(r, 5)?,
                    care_total: count(r, 6)?,
                    no_car: count(r, 7)?,
                    households: count(r, 8)?,
                },
            ))
        })
        .map_err(|e| err(&what, e))?
        .collect::<Result<_, _>>()
        .map_err(|e| err(&what, e))?;
    drop(stmt);

    let mut stmt = conn
        .prepare("SELECT file, bytes, sha256 FROM manifest ORDER BY id")
        .map_err(|e| err(&what, e))?;
    let manifest = stmt
        .query_map([], |r| {
            Ok(ManifestEntry {
                file: r.get(0)?,
                bytes: count(r, 1)?,
                sha256: r.get(2)?,
            })
        })
        .map_err(|e| err(&what, e))?
        .collect::<Result<_, _>>()
        .map_err(|e| err(&what, e))?;
    drop(stmt);

    Ok(PlaceInputs {
        definition,
        boundaries,
        assignment,
        postcodes,
        population,
        census,
        manifest,
    })
}
