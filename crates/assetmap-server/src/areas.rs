//! The bundled area boundaries (local authority, ward, LSOA, MSOA), served as OGC API
//! collections `areas-<level>` and drawn as the map's background when there is no base map.

use serde_json::{Map, Value};
use std::path::Path;

/// A level of geography.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    /// Local authority district (Trafford, E08000009).
    La,
    /// Electoral ward, 2023 boundaries.
    Ward,
    /// Lower layer super output area, 2021.
    Lsoa,
    /// Middle layer super output area, 2021.
    Msoa,
}

impl Level {
    /// All levels, largest first.
    pub const ALL: [Level; 4] = [Level::La, Level::Ward, Level::Msoa, Level::Lsoa];

    /// The slug used in collection ids (`areas-ward`).
    pub fn slug(self) -> &'static str {
        match self {
            Level::La => "la",
            Level::Ward => "ward",
            Level::Lsoa => "lsoa",
            Level::Msoa => "msoa",
        }
    }

    /// Parses a slug.
    pub fn parse(s: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.slug() == s)
    }

    /// A title for people.
    pub fn title(self) -> &'static str {
        match self {
            Level::La => "Local authority (Trafford)",
            Level::Ward => "Electoral wards (2023)",
            Level::Lsoa => "Lower layer super output areas (2021)",
            Level::Msoa => "Middle layer super output areas (2021)",
        }
    }

    fn file(self) -> &'static str {
        match self {
            Level::La => "trafford_local_authority_generalised.geojson",
            Level::Ward => "trafford_ward_generalised.geojson",
            Level::Lsoa => "trafford_lsoa_generalised.geojson",
            Level::Msoa => "trafford_msoa_generalised.geojson",
        }
    }
}

/// One level's boundaries as GeoJSON features with properties `code` and `name`, sorted by code.
#[derive(Debug, Default)]
pub struct AreaLayer {
    pub features: Vec<Value>,
}

/// Every level's boundaries.
#[derive(Debug, Default)]
pub struct Areas {
    pub la: AreaLayer,
    pub ward: AreaLayer,
    pub lsoa: AreaLayer,
    pub msoa: AreaLayer,
}

impl Areas {
    /// Loads the generalised boundaries under `sources/trafford/boundaries/`.
    pub fn load(data_dir: &Path) -> anyhow::Result<Areas> {
        let dir = data_dir.join("sources/trafford/boundaries");
        Ok(Areas {
            la: load_layer(&dir, Level::La)?,
            ward: load_layer(&dir, Level::Ward)?,
            lsoa: load_layer(&dir, Level::Lsoa)?,
            msoa: load_layer(&dir, Level::Msoa)?,
        })
    }

    /// One level's layer.
    pub fn layer(&self, level: Level) -> &AreaLayer {
        match level {
            Level::La => &self.la,
            Level::Ward => &self.ward,
            Level::Lsoa => &self.lsoa,
            Level::Msoa => &self.msoa,
        }
    }
}

fn load_layer(dir: &Path, level: Level) -> anyhow::Result<AreaLayer> {
    let path = dir.join(level.file());
    let text = std::fs::read_to_string(&path)
        .map_err(|e| anyhow::anyhow!("Failed to read boundaries {}: {e}", path.display()))?;
    let v: Value = serde_json::from_str(&text)
        .map_err(|e| anyhow::anyhow!("Boundaries {} are not JSON: {e}", path.display()))?;
    let mut features = Vec::new();
    for f in v["features"].as_array().cloned().unwrap_or_default() {
        let code = f["properties"]["area_code"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let name = f["properties"]["area_name"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if code.is_empty() {
            anyhow::bail!("A feature in {} has no area_code", path.display());
        }
        let mut props = Map::new();
        props.insert("code".into(), Value::String(code.clone()));
        props.insert("name".into(), Value::String(name));
        props.insert("level".into(), Value::String(level.slug().into()));
        features.push(serde_json::json!({"type": "Feature", "id": code, "geometry": f["geometry"], "properties": props}));
    }
    features.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    Ok(AreaLayer { features })
}
