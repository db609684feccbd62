//! Reading a Mapbox Vector Tile back with an independent decoder: GDAL's MVT driver, through
//! `ogrinfo` (Debian's `gdal-bin`, which `bash tests/run.sh` installs when run as root).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// One feature as `ogrinfo` prints it.
#[derive(Debug, Clone, PartialEq)]
pub struct OgrFeature {
    /// The layer it is in.
    pub layer: String,
    /// Its fields, by name, as printed.
    pub fields: BTreeMap<String, String>,
    /// Its point, in EPSG:3857 metres, when it is a point.
    pub point: Option<(f64, f64)>,
}

/// What `ogrinfo` read from one tile: its features, and what it said on stderr.
#[derive(Debug, Clone)]
pub struct OgrRead {
    pub features: Vec<OgrFeature>,
    pub stderr: String,
}

/// Writes `bytes` as `dir/{z}/{x}/{y}.mvt` and reads every feature back with `ogrinfo` (which
/// must succeed).
pub fn read_mvt(dir: &Path, z: u8, x: u32, y: u32, bytes: &[u8]) -> OgrRead {
    let path = dir.join(format!("{z}/{x}/{y}.mvt"));
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("a folder for the tile");
    }
    std::fs::write(&path, bytes).expect("the tile written");
    let out = match Command::new("ogrinfo")
        .args(["-ro", "-al", "-q"])
        .args(["-oo", &format!("Z={z}")])
        .args(["-oo", &format!("X={x}")])
        .args(["-oo", &format!("Y={y}")])
        .arg(&path)
        .output()
    {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            panic!("ogrinfo is not installed; install GDAL's tools: apt-get install gdal-bin")
        }
        Err(e) => panic!("cannot run ogrinfo: {e}"),
    };
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "ogrinfo failed: {stderr}\n{stdout}");
    let features = stdout
        .split("OGRFeature(")
        .skip(1)
        .map(|block| {
            let layer = block.split_once(')').map_or("", |(l, _)| l).to_owned();
            let mut fields = BTreeMap::new();
            let mut point = None;
            for line in block.lines().skip(1).map(str::trim) {
                if let Some(xy) = line
                    .strip_prefix("POINT (")
                    .and_then(|l| l.strip_suffix(')'))
                {
                    point = xy
                        .split_once(' ')
                        .and_then(|(x, y)| Some((x.parse().ok()?, y.parse().ok()?)));
                } else if let Some((name, value)) = line.split_once(" = ") {
                    let name = name.split_once(" (").map_or(name, |(n, _)| n);
                    fields.insert(name.to_owned(), value.to_owned());
                }
            }
            OgrFeature {
                layer,
                fields,
                point,
            }
        })
        .collect();
    OgrRead { features, stderr }
}
