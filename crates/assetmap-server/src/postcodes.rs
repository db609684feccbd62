//! The bundled postcode table (ONS Postcode Directory, Trafford): postcode → point and areas.

use assetmap_core::{LonLat, Postcode};
use serde::Serialize;
use std::collections::HashMap;
use std::path::Path;

/// What the table knows of one postcode.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PostcodeInfo {
    pub postcode: String,
    /// Longitude, WGS84 degrees.
    pub lon: f64,
    /// Latitude, WGS84 degrees.
    pub lat: f64,
    pub ward_code: String,
    pub ward_name: String,
    pub lsoa_code: String,
    pub msoa_code: String,
}

impl PostcodeInfo {
    /// The postcode's point.
    pub fn location(&self) -> Option<LonLat> {
        LonLat::new(self.lon, self.lat).ok()
    }
}

/// Postcodes by their standard form (`M33 7XY`).
#[derive(Debug, Default)]
pub struct Postcodes {
    by_code: HashMap<String, PostcodeInfo>,
}

#[derive(serde::Deserialize)]
struct Row {
    postcode: String,
    ward_code: String,
    ward_name: String,
    msoa_code: String,
    lsoa_code: String,
    lon: Option<f64>,
    lat: Option<f64>,
}

impl Postcodes {
    /// Loads `postcodes/trafford_postcodes.csv` under the data folder's `sources/trafford/`.
    /// Rows without a position (terminated or unplaced postcodes) are skipped.
    pub fn load(data_dir: &Path) -> anyhow::Result<Postcodes> {
        let path = data_dir.join("sources/trafford/postcodes/trafford_postcodes.csv");
        let mut reader = csv::Reader::from_path(&path).map_err(|e| {
            anyhow::anyhow!("Failed to open the postcode table {}: {e}", path.display())
        })?;
        let mut by_code = HashMap::new();
        for row in reader.deserialize::<Row>() {
            let row = row.map_err(|e| {
                anyhow::anyhow!("Failed to read the postcode table {}: {e}", path.display())
            })?;
            let (Some(lon), Some(lat)) = (row.lon, row.lat) else {
                continue;
            };
            let Ok(pc) = Postcode::parse(&row.postcode) else {
                continue;
            };
            by_code.insert(
                pc.to_string(),
                PostcodeInfo {
                    postcode: pc.to_string(),
                    lon,
                    lat,
                    ward_code: row.ward_code,
                    ward_name: row.ward_name,
                    lsoa_code: row.lsoa_code,
                    msoa_code: row.msoa_code,
                },
            );
        }
        Ok(Postcodes { by_code })
    }

    /// Looks up a postcode already in standard form.
    pub fn get(&self, postcode: &Postcode) -> Option<&PostcodeInfo> {
        self.by_code.get(postcode.as_str())
    }

    /// How many postcodes are known.
    pub fn len(&self) -> usize {
        self.by_code.len()
    }

    /// True when the table is empty.
    pub fn is_empty(&self) -> bool {
        self.by_code.is_empty()
    }

    /// Every postcode (for access measures: postcodes stand in for where people live).
    pub fn iter(&self) -> impl Iterator<Item = &PostcodeInfo> {
        self.by_code.values()
    }
}
