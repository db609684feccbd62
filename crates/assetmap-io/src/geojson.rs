//! GeoJSON (RFC 7946) features for assets.
//!
//! A feature's `id` is the asset id, its geometry a Point `[longitude, latitude]` in WGS84, and
//! its `properties` the asset's fields as [`Asset`]'s serde form gives them (without `id` and
//! `location`, which live in `id` and `geometry`).

use assetmap_core::{
    Asset, AssetDraft, AssetId, AssetProperties, Crs, CrsError, FieldError, LonLat,
    ValidationErrors,
};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};
use std::io::{Read, Write};

/// Why a GeoJSON document or feature could not be read.
#[derive(Debug, thiserror::Error)]
pub enum GeoJsonError {
    /// Not JSON, or not GeoJSON of the expected shape.
    #[error("not a GeoJSON {expected}: {detail}")]
    Shape {
        expected: &'static str,
        detail: String,
    },
    /// A feature that is GeoJSON but not a valid asset.
    #[error("feature {index} ({id}): {errors}")]
    Invalid {
        index: usize,
        id: String,
        errors: ValidationErrors,
    },
    /// Reading failed.
    #[error("could not read GeoJSON: {0}")]
    Io(#[from] std::io::Error),
}

/// What a GeoJSON feature says about an asset, before validation.
#[derive(Debug, Clone)]
pub struct FeatureInput {
    /// The feature's `id`, when it has one (validated).
    pub id: Option<AssetId>,
    /// The properties as a draft.
    pub draft: AssetDraft,
    /// `(lon, lat)` in degrees from a Point geometry, `None` when absent.
    pub location: Option<(f64, f64)>,
}

/// The asset as a GeoJSON Feature object.
///
/// # Examples
/// ```
/// # use assetmap_core::*;
/// let draft = AssetDraft { name: Some("Hale Library".into()), abcd_type: Some("institution".into()),
///     categories: vec!["learning".into()], ..Default::default() };
/// let asset = Asset::create(AssetId::parse("lib:1").unwrap(),
///     draft.validate(Some((-2.3456, 53.376))).unwrap(), chrono::Utc::now());
/// let f = assetmap_io::asset_to_feature(&asset);
/// assert_eq!(f["id"], "lib:1");
/// assert_eq!(f["geometry"]["coordinates"][0], -2.3456);
/// assert_eq!(f["properties"]["name"], "Hale Library");
/// ```
pub fn asset_to_feature(asset: &Asset) -> Value {
    let mut properties = match serde_json::to_value(asset) {
        Ok(Value::Object(m)) => m,
        // `Asset` always serialises to an object; keep going with what we can say.
        _ => Map::new(),
    };
    properties.remove("id");
    properties.remove("location");
    feature_with(asset, properties)
}

/// An asset as a GeoJSON feature that serde writes straight out, without building a JSON value
/// first (for responses of many features: building and freeing each feature's value was most
/// of a search's time), with `extra` properties after the asset's own: what a search adds to
/// each result. With no extra properties ([`NoExtra`]) it is [`asset_to_feature`]'s feature.
///
/// # Examples
/// ```
/// use assetmap_io::{asset_to_feature, AssetFeature, NoExtra};
/// use assetmap_synthetic as synthetic;
/// let asset = synthetic::asset(1, 0);
/// let direct = serde_json::to_value(AssetFeature { asset: &asset, extra: NoExtra {} }).unwrap();
/// assert_eq!(direct, asset_to_feature(&asset));
///
/// #[derive(serde::Serialize)]
/// struct Distance { distance_m: f64 }
/// let f = AssetFeature { asset: &asset, extra: Distance { distance_m: 12.5 } };
/// let text = serde_json::to_string(&f).unwrap();
/// assert!(text.ends_with(r#""distance_m":12.5}}"#));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct AssetFeature<'a, E> {
    pub asset: &'a Asset,
    /// Serialised as a map (a struct or a map), its entries after the asset's properties.
    pub extra: E,
}

/// No extra properties for an [`AssetFeature`].
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct NoExtra {}

/// The properties of an [`AssetFeature`]: the asset's, then the extra ones.
#[derive(serde::Serialize)]
struct PropertiesWith<'a, E> {
    #[serde(flatten)]
    asset: AssetProperties<'a>,
    #[serde(flatten)]
    extra: &'a E,
}

/// A GeoJSON point geometry.
struct PointGeometry(LonLat);

impl Serialize for PointGeometry {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("type", "Point")?;
        m.serialize_entry("coordinates", &[self.0.lon(), self.0.lat()])?;
        m.end()
    }
}

impl<E: Serialize> Serialize for AssetFeature<'_, E> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(4))?;
        m.serialize_entry("type", "Feature")?;
        m.serialize_entry("id", self.asset.id.as_str())?;
        m.serialize_entry("geometry", &PointGeometry(self.asset.location))?;
        m.serialize_entry(
            "properties",
            &PropertiesWith {
                asset: AssetProperties::of(self.asset),
                extra: &self.extra,
            },
        )?;
        m.end()
    }
}

/// The engine's view of an asset ([`assetmap_index::AssetView`]): the asset as the GeoJSON
/// feature [`AssetFeature`] writes with no extra properties, kept ready-made with each record
/// so that a page of results is copied out, not decoded and written again
/// ([`write_feature_with`] adds what a search says of each result).
///
/// # Examples
/// ```
/// use assetmap_index::Engine;
/// use assetmap_io::{asset_to_feature, FeatureView};
/// use std::sync::Arc;
/// let assets = assetmap_synthetic::assets(1, 300);
/// let engine = Engine::with_view(assets.clone(), Arc::new(FeatureView));
/// let mut view = Vec::new();
/// assert!(engine.render(assets[3].id.as_str(), &mut view));
/// let feature: serde_json::Value = serde_json::from_slice(&view).unwrap();
/// assert_eq!(feature, asset_to_feature(&assets[3]));
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct FeatureView;

impl assetmap_index::AssetView for FeatureView {
    fn form(&self) -> &str {
        // Raise the number whenever what `AssetFeature` writes changes.
        "geojson-feature/1"
    }

    fn render(&self, asset: &Asset, out: &mut Vec<u8>) {
        // Writing to a `Vec` fails only for a map key that is not a string: never here.
        let written = serde_json::to_writer(
            out,
            &AssetFeature {
                asset,
                extra: NoExtra {},
            },
        );
        debug_assert!(written.is_ok(), "{written:?}");
    }
}

/// Appends the feature `view` (as [`FeatureView`] renders it) with `extra`'s entries after the
/// asset's properties: the bytes [`AssetFeature`] writes for the asset with that extra, without
/// decoding the asset. `extra` must serialise as a map (a struct or a map).
///
/// # Examples
/// ```
/// use assetmap_index::AssetView;
/// use assetmap_io::{write_feature_with, AssetFeature, FeatureView};
/// #[derive(serde::Serialize)]
/// struct Distance { distance_m: f64 }
/// let asset = assetmap_synthetic::asset(1, 0);
/// let mut view = Vec::new();
/// FeatureView.render(&asset, &mut view);
/// let mut out = Vec::new();
/// write_feature_with(&mut out, &view, &Distance { distance_m: 12.5 }).unwrap();
/// let direct = serde_json::to_vec(&AssetFeature { asset: &asset, extra: Distance { distance_m: 12.5 } }).unwrap();
/// assert_eq!(out, direct);
/// ```
pub fn write_feature_with<E: Serialize>(
    out: &mut Vec<u8>,
    view: &[u8],
    extra: &E,
) -> Result<(), serde_json::Error> {
    // A view ends with its properties' closing brace and the feature's.
    let head = view.strip_suffix(b"}}").ok_or_else(|| {
        serde::ser::Error::custom("a feature view does not end with its properties")
    })?;
    let start = out.len();
    out.extend_from_slice(head);
    let extra_at = out.len();
    if let Err(e) = serde_json::to_writer(&mut *out, extra) {
        out.truncate(start);
        return Err(e);
    }
    match &out[extra_at..] {
        b"{}" => {
            out.truncate(extra_at);
            out.extend_from_slice(b"}}");
        }
        [b'{', ..] => {
            // The extra's opening brace becomes the comma after the asset's last property
            // (every asset has properties: its name, at least); its closing brace closes the
            // properties.
            out[extra_at] = b',';
            out.push(b'}');
        }
        _ => {
            out.truncate(start);
            return Err(serde::ser::Error::custom(
                "a feature's extra properties are not a map",
            ));
        }
    }
    Ok(())
}

/// A feature for `asset` with the given properties (for compact or extended views).
pub fn feature_with(asset: &Asset, properties: Map<String, Value>) -> Value {
    serde_json::json!({
        "type": "Feature",
        "id": asset.id.as_str(),
        "geometry": { "type": "Point", "coordinates": [asset.location.lon(), asset.location.lat()] },
        "properties": properties,
    })
}

/// Writes one feature as compact JSON (for streaming a FeatureCollection).
pub fn write_feature<W: Write>(out: &mut W, asset: &Asset) -> std::io::Result<()> {
    serde_json::to_writer(out, &asset_to_feature(asset)).map_err(std::io::Error::other)
}

/// The properties an asset feature may carry (besides [`SERVER_MANAGED`]).
pub const PROPERTY_NAMES: &[&str] = &[
    "name",
    "description",
    "abcd_type",
    "categories",
    "tags",
    "address",
    "postcode",
    "contact",
    "opening_times",
    "cost",
    "access",
    "audience",
    "languages",
    "provenance",
    "verified_at",
    "status",
];

/// Properties the server sets itself; ignored when a client sends them.
pub const SERVER_MANAGED: &[&str] = &["created_at", "updated_at", "version"];

/// Reads a feature (a JSON object) sent by a client or found in a file. Unknown or mistyped
/// properties are reported with their field names; the location is not range-checked here
/// (validation does that, naming `geometry.coordinates`).
pub fn draft_from_feature(value: Value) -> Result<FeatureInput, ValidationErrors> {
    let Value::Object(mut obj) = value else {
        return Err(FieldError::new("", "expected a GeoJSON Feature object").into());
    };
    match obj.get("type").and_then(Value::as_str) {
        Some("Feature") => {}
        other => {
            return Err(
                FieldError::new("type", format!("expected \"Feature\", found {other:?}")).into(),
            );
        }
    }
    let id = match obj.remove("id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(AssetId::parse(&s)?),
        Some(Value::Number(n)) => Some(AssetId::parse(&n.to_string())?),
        Some(_) => return Err(FieldError::new("id", "must be a string").into()),
    };
    let location = match obj.remove("geometry") {
        None | Some(Value::Null) => None,
        Some(g) => Some(point_coordinates(g)?),
    };
    let draft = match obj.remove("properties") {
        None | Some(Value::Null) => AssetDraft::default(),
        Some(Value::Object(mut p)) => {
            // A client may send back what it fetched: server-managed fields are ignored.
            for managed in SERVER_MANAGED {
                p.remove(*managed);
            }
            // Every unknown property at once (serde would stop at the first).
            let unknown: Vec<FieldError> = p
                .keys()
                .filter(|k| !PROPERTY_NAMES.contains(&k.as_str()))
                .map(|k| {
                    FieldError::new(
                        format!("properties.{k}"),
                        format!(
                            "is not a property of an asset; use one of: {}",
                            PROPERTY_NAMES.join(", ")
                        ),
                    )
                })
                .collect();
            if !unknown.is_empty() {
                return Err(ValidationErrors(unknown));
            }
            serde_path_to_error::deserialize::<_, AssetDraft>(Value::Object(p)).map_err(|e| {
                // The path of the value serde could not read: `properties.name`,
                // `properties.opening_times.periods[0].opens`.
                let field = match e.path().to_string().as_str() {
                    "." => "properties".to_owned(),
                    path => format!("properties.{path}"),
                };
                ValidationErrors::from(FieldError::new(field, serde_message(e.inner())))
            })?
        }
        Some(_) => return Err(FieldError::new("properties", "must be an object").into()),
    };
    Ok(FeatureInput {
        id,
        draft,
        location,
    })
}

fn point_coordinates(g: Value) -> Result<(f64, f64), FieldError> {
    let geometry = geojson::Geometry::from_json_value(g)
        .map_err(|e| FieldError::new("geometry", format!("is not a GeoJSON geometry: {e}")))?;
    match geometry.value {
        geojson::Value::Point(c) if c.len() >= 2 => Ok((c[0], c[1])),
        geojson::Value::Point(_) => Err(FieldError::new(
            "geometry.coordinates",
            "a Point needs [longitude, latitude]",
        )),
        other => Err(FieldError::new(
            "geometry.type",
            format!("assets are points; found {}", other.type_name()),
        )),
    }
}

/// serde's message with the "at line … column …" tail removed: the field name is what matters.
fn serde_message(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.find(" at line ") {
        Some(i) => s[..i].to_owned(),
        None => s,
    }
}

/// The features array of a GeoJSON FeatureCollection read from `reader`.
fn features_of<R: Read>(reader: R) -> Result<Vec<Value>, GeoJsonError> {
    let shape = |detail: String| GeoJsonError::Shape {
        expected: "FeatureCollection",
        detail,
    };
    let value: Value = serde_json::from_reader(reader).map_err(|e| shape(e.to_string()))?;
    match value {
        Value::Object(mut o)
            if o.get("type").and_then(Value::as_str) == Some("FeatureCollection") =>
        {
            match o.remove("features") {
                Some(Value::Array(a)) => Ok(a),
                _ => Err(shape("no features array".into())),
            }
        }
        _ => Err(shape("type is not FeatureCollection".into())),
    }
}

/// Reads a FeatureCollection of assets (such as the bundled `data/trafford/assets.geojson`).
/// Every feature must have an id; every asset is validated and created at `now`.
pub fn read_feature_collection<R: Read>(
    reader: R,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<Asset>, GeoJsonError> {
    let features = features_of(reader)?;
    let mut assets = Vec::with_capacity(features.len());
    for (index, f) in features.into_iter().enumerate() {
        let raw_id = f
            .get("id")
            .map(|v| v.to_string())
            .unwrap_or_else(|| "no id".into());
        let invalid = |errors| GeoJsonError::Invalid {
            index,
            id: raw_id.clone(),
            errors,
        };
        let input = draft_from_feature(f).map_err(invalid)?;
        let id = input
            .id
            .ok_or_else(|| invalid(FieldError::new("id", "every feature needs an id").into()))?;
        let valid = input.draft.validate(input.location).map_err(invalid)?;
        assets.push(Asset::create(id, valid, now));
    }
    Ok(assets)
}

/// One problem with one record of an import file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImportProblem {
    /// The record's number in the file, from 1 (the feature's position).
    pub record: usize,
    /// The record's id, when it has one.
    pub id: Option<String>,
    /// The field at fault (`properties.name`, `geometry.coordinates`, `id`).
    pub field: String,
    /// What is wrong, and what would be right.
    pub reason: String,
}

/// What reading an import file found: the valid assets and every problem, all at once.
#[derive(Debug, Clone, Default)]
pub struct ImportRead {
    /// Records in the file.
    pub records: usize,
    /// The valid ones, as assets created at the time given.
    pub assets: Vec<Asset>,
    /// Every problem of every rejected record.
    pub problems: Vec<ImportProblem>,
    /// How many records were rejected (each may have several problems).
    pub rejected: usize,
    /// Records a mapping's filter left out (not rejected), each with the reason.
    pub left_out: Vec<ImportProblem>,
    /// Values a mapping's clean-ups dropped from records that were kept, each with the reason.
    pub dropped: Vec<ImportProblem>,
}

/// Reads a FeatureCollection of assets like [`read_feature_collection`], but does not stop at
/// the first bad feature: every feature is checked, and every problem of every rejected one is
/// reported with its record number and field (a second feature with an id already seen is a
/// problem too). Only a file that is not a FeatureCollection at all is an error.
///
/// # Examples
/// ```
/// let file = br#"{"type": "FeatureCollection", "features": [
///   {"type": "Feature", "id": "a:1", "geometry": {"type": "Point", "coordinates": [-2.3, 53.4]},
///    "properties": {"name": "Good", "abcd_type": "association", "categories": ["food"]}},
///   {"type": "Feature", "id": "a:2", "geometry": {"type": "Point", "coordinates": [-2.3, 53.4]},
///    "properties": {"name": "Bad", "category": "cafe", "licence": "OGL"}}]}"#;
/// let read = assetmap_io::read_import(&file[..], chrono::Utc::now()).unwrap();
/// assert_eq!((read.records, read.assets.len(), read.rejected), (2, 1, 1));
/// let fields: Vec<&str> = read.problems.iter().map(|p| p.field.as_str()).collect();
/// assert_eq!(fields, ["properties.category", "properties.licence"]);
/// assert_eq!(read.problems[0].record, 2);
/// ```
pub fn read_import<R: Read>(
    reader: R,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<ImportRead, GeoJsonError> {
    let features = features_of(reader)?;
    let mut read = ImportRead {
        records: features.len(),
        ..ImportRead::default()
    };
    let mut seen = std::collections::HashSet::new();
    for (index, f) in features.into_iter().enumerate() {
        let record = index + 1;
        let raw_id = f.get("id").and_then(|v| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        });
        let checked = draft_from_feature(f).and_then(|input| {
            let id = input.id.ok_or_else(|| {
                ValidationErrors::from(FieldError::new(
                    "id",
                    "every feature needs an id (the record's id in its source)",
                ))
            })?;
            if !seen.insert(id.as_str().to_owned()) {
                return Err(FieldError::new(
                    "id",
                    format!("{id} is the id of an earlier feature too; ids must be unique"),
                )
                .into());
            }
            let valid = input.draft.validate(input.location)?;
            Ok(Asset::create(id, valid, now))
        });
        match checked {
            Ok(asset) => read.assets.push(asset),
            Err(errors) => {
                read.rejected += 1;
                for e in errors.errors() {
                    read.problems.push(ImportProblem {
                        record,
                        id: raw_id.clone(),
                        field: e.field.clone(),
                        reason: e.problem.clone(),
                    });
                }
            }
        }
    }
    Ok(read)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_feature_view_with_extras_is_the_feature_written_with_them() {
        use assetmap_index::AssetView;
        #[derive(serde::Serialize)]
        struct Extra<'a> {
            distance_m: f64,
            matched: Value,
            #[serde(skip_serializing_if = "Option::is_none")]
            same_site_as: Option<&'a str>,
        }
        let mut assets = assetmap_synthetic::assets(3, 400);
        // Text that needs escaping, and a name of one letter.
        assets[0].description = Some("\"Quoted\", back\\slash, tab\t and é ☕".into());
        let draft = draft_from_feature(feature()).unwrap();
        assets.push(Asset::create(
            draft.id.unwrap(),
            draft.draft.validate(draft.location).unwrap(),
            chrono::Utc::now(),
        ));
        for (i, asset) in assets.iter().enumerate() {
            let mut view = Vec::new();
            FeatureView.render(asset, &mut view);
            let extra = Extra {
                distance_m: i as f64 * 0.5,
                matched: json!({"terms": ["a", "b"], "filters": []}),
                same_site_as: (i % 2 == 0).then_some("site:1"),
            };
            let mut out = b"[".to_vec();
            write_feature_with(&mut out, &view, &extra).unwrap();
            let direct = serde_json::to_vec(&AssetFeature { asset, extra }).unwrap();
            assert_eq!(out[1..], direct, "{}", asset.id);
            // No extras: the view itself.
            out.clear();
            write_feature_with(&mut out, &view, &NoExtra {}).unwrap();
            assert_eq!(out, view);
        }
        // Not a view, or extras that are not a map: an error, and nothing written.
        let mut out = b"kept".to_vec();
        assert!(write_feature_with(&mut out, b"{}", &NoExtra {}).is_err());
        assert!(write_feature_with(&mut out, br#"{"a":{"b":1}}"#, &[1, 2]).is_err());
        assert_eq!(out, b"kept");
    }

    #[test]
    fn property_names_are_exactly_the_drafts_fields() {
        // serde names every field it knows when it meets one it does not.
        let e = serde_json::from_value::<AssetDraft>(json!({"zz_not_a_field": 1})).unwrap_err();
        let msg = e.to_string();
        let listed = msg.split("expected one of ").nth(1).unwrap();
        let mut known: Vec<&str> = listed
            .split(", ")
            .map(|f| f.trim().trim_matches('`'))
            .filter(|f| !f.is_empty())
            .collect();
        known.sort_unstable();
        let mut ours = PROPERTY_NAMES.to_vec();
        ours.sort_unstable();
        assert_eq!(ours, known, "{msg}");
    }

    fn feature() -> Value {
        json!({
            "type": "Feature",
            "id": "test:1",
            "geometry": {"type": "Point", "coordinates": [-2.35, 53.38]},
            "properties": {
                "name": "Sale Water Park walkers",
                "abcd_type": "association",
                "categories": ["physical_activity_sport", "green_space_nature"],
                "tags": ["Walking"],
                "opening_times": {"periods": [{"day": "sat", "opens": "10:00", "closes": "12:00"}]},
                "cost": {"band": "free"},
                "access": ["step_free"],
                "audience": {"min_age": 18}
            }
        })
    }

    #[test]
    fn round_trips_through_a_feature() {
        let input = draft_from_feature(feature()).unwrap();
        let id = input.id.clone().unwrap();
        let asset = Asset::create(
            id,
            input.draft.validate(input.location).unwrap(),
            chrono::Utc::now(),
        );
        let again = draft_from_feature(asset_to_feature(&asset)).unwrap();
        let back = Asset::create(
            asset.id.clone(),
            again.draft.validate(again.location).unwrap(),
            asset.created_at,
        );
        assert_eq!(back, asset);
        assert_eq!(asset.tags[0].as_str(), "walking");
    }

    #[test]
    fn names_unknown_properties_and_bad_geometry() {
        let mut f = feature();
        f["properties"]["colour"] = json!("red");
        let err = draft_from_feature(f).unwrap_err();
        assert!(err.to_string().contains("colour"), "{err}");

        let mut f = feature();
        f["geometry"] = json!({"type": "LineString", "coordinates": [[0, 0], [1, 1]]});
        assert_eq!(
            draft_from_feature(f).unwrap_err().errors()[0].field,
            "geometry.type"
        );

        let mut f = feature();
        f["geometry"]["coordinates"] = json!([53.38, -200.0]);
        let input = draft_from_feature(f).unwrap();
        let err = input.draft.validate(input.location).unwrap_err();
        assert_eq!(err.errors()[0].field, "geometry.coordinates.lat");
    }

    #[test]
    fn type_errors_name_the_field_path() {
        for (at, value, field) in [
            ("name", json!(12345), "properties.name"),
            (
                "categories",
                json!("arts_heritage"),
                "properties.categories",
            ),
            ("tags", json!([1, 2]), "properties.tags[0]"),
            (
                "opening_times",
                json!({"periods": [{"day": "mon", "opens": 25, "closes": "10:00"}]}),
                "properties.opening_times.periods[0].opens",
            ),
            (
                "audience",
                json!({"min_age": "ten"}),
                "properties.audience.min_age",
            ),
        ] {
            let mut f = feature();
            f["properties"][at] = value;
            let err = draft_from_feature(f).unwrap_err();
            assert_eq!(err.errors()[0].field, field, "{at}: {err}");
        }
    }

    #[test]
    fn type_errors_do_not_echo_a_huge_value() {
        let mut f = feature();
        f["properties"]["categories"] = json!("x".repeat(900_000));
        let err = draft_from_feature(f).unwrap_err();
        assert!(err.to_string().len() < 400, "{}", err.to_string().len());
    }
}

/// Puts a GeoJSON Feature's geometry into `crs` in place: every position of its `geometry`
/// (a Point's, every vertex of a Polygon or MultiPolygon) is transformed from WGS84 longitude,
/// latitude (degrees). For EPSG:27700 positions become `[easting, northing]` in metres, rounded
/// to the millimetre; for CRS84 nothing changes. A feature without geometry is left alone.
/// An error (and the feature partly transformed: discard it) when a position is outside the
/// CRS's area, e.g. far from Great Britain for EPSG:27700.
///
/// # Examples
/// ```
/// use assetmap_core::Crs;
/// let mut f = serde_json::json!({"type": "Feature", "properties": {},
///     "geometry": {"type": "Point", "coordinates": [-2.3183, 53.4242]}});
/// assetmap_io::reproject_feature(&mut f, Crs::Epsg27700).unwrap();
/// let e = f["geometry"]["coordinates"][0].as_f64().unwrap();
/// assert!((378_000.0..380_000.0).contains(&e));
/// ```
pub fn reproject_feature(feature: &mut Value, crs: Crs) -> Result<(), CrsError> {
    if crs == Crs::Crs84 {
        return Ok(());
    }
    match feature
        .get_mut("geometry")
        .and_then(|g| g.get_mut("coordinates"))
    {
        Some(coordinates) => reproject_positions(coordinates, crs),
        None => Ok(()),
    }
}

/// Transforms every position (an array whose first two members are numbers) inside a GeoJSON
/// `coordinates` value, however deeply nested.
fn reproject_positions(value: &mut Value, crs: Crs) -> Result<(), CrsError> {
    let Value::Array(items) = value else {
        return Ok(());
    };
    if let [Value::Number(x), Value::Number(y), ..] = items.as_slice() {
        let (Some(lon), Some(lat)) = (x.as_f64(), y.as_f64()) else {
            return Ok(());
        };
        let at = LonLat::new(lon, lat).map_err(|e| CrsError::OutsideArea(e.problem))?;
        let [x, y] = crs.from_wgs84(at)?;
        let millimetres = |v: f64| (v * 1000.0).round() / 1000.0;
        items[0] = Value::from(millimetres(x));
        items[1] = Value::from(millimetres(y));
        return Ok(());
    }
    items
        .iter_mut()
        .try_for_each(|item| reproject_positions(item, crs))
}

#[cfg(test)]
mod direct_feature_tests {
    use super::*;

    /// The keys of a JSON object in the order they are written.
    struct KeyOrder(Vec<String>);

    impl<'de> serde::Deserialize<'de> for KeyOrder {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct Keys;
            impl<'de> serde::de::Visitor<'de> for Keys {
                type Value = KeyOrder;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("an object")
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(
                    self,
                    mut map: A,
                ) -> Result<KeyOrder, A::Error> {
                    let mut keys = Vec::new();
                    while let Some(k) = map.next_key::<String>()? {
                        map.next_value::<serde::de::IgnoredAny>()?;
                        keys.push(k);
                    }
                    Ok(KeyOrder(keys))
                }
            }
            d.deserialize_map(Keys)
        }
    }

    /// The properties in the order they are written.
    fn property_order(text: &str) -> Vec<String> {
        #[derive(serde::Deserialize)]
        struct Feature {
            properties: KeyOrder,
        }
        serde_json::from_str::<Feature>(text).unwrap().properties.0
    }

    #[test]
    fn a_feature_written_directly_is_the_feature_built_as_a_value() {
        // Synthetic assets fill every field in some and leave each empty in others.
        let mut assets = assetmap_synthetic::assets(11, 2_000);
        let mut bare = assets[0].clone();
        bare.description = None;
        bare.tags.clear();
        bare.address = None;
        bare.postcode = None;
        bare.cost = None;
        bare.access.clear();
        bare.languages.clear();
        bare.verified_at = None;
        bare.provenance = Default::default();
        assets.push(bare);
        for a in &assets {
            let direct = AssetFeature {
                asset: a,
                extra: NoExtra {},
            };
            let text = serde_json::to_string(&direct).unwrap();
            let value: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(value, asset_to_feature(a), "{}", a.id);
            // The asset's own properties in the order every other answer gives them.
            let order = property_order(&text);
            let mut sorted = order.clone();
            sorted.sort();
            assert_eq!(order, sorted);
        }
    }

    #[test]
    fn extra_properties_follow_the_assets_own() {
        #[derive(serde::Serialize)]
        struct Extra {
            distance_m: f64,
            #[serde(skip_serializing_if = "Option::is_none")]
            open_status: Option<&'static str>,
        }
        let a = assetmap_synthetic::asset(3, 1);
        let f = AssetFeature {
            asset: &a,
            extra: Extra {
                distance_m: 3.5,
                open_status: None,
            },
        };
        let text = serde_json::to_string(&f).unwrap();
        let mut expected = asset_to_feature(&a);
        expected["properties"]["distance_m"] = serde_json::json!(3.5);
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), expected);
        assert_eq!(property_order(&text).last().unwrap(), "distance_m");
    }
}

#[cfg(test)]
mod reproject_tests {
    use super::*;

    #[test]
    fn every_vertex_of_a_polygon_is_transformed_and_comes_back() {
        let ring = [
            [-2.35, 53.40],
            [-2.30, 53.40],
            [-2.30, 53.45],
            [-2.35, 53.40],
        ];
        let mut f = serde_json::json!({"type": "Feature", "properties": {},
            "geometry": {"type": "MultiPolygon", "coordinates": [[ring]]}});
        reproject_feature(&mut f, Crs::Epsg27700).expect("in Great Britain");
        let out = &f["geometry"]["coordinates"][0][0];
        for (i, [lon, lat]) in ring.iter().enumerate() {
            let e = out[i][0].as_f64().expect("easting");
            let n = out[i][1].as_f64().expect("northing");
            assert!(e > 370_000.0 && n > 380_000.0, "{e} {n}");
            let back = Crs::Epsg27700.to_wgs84([e, n]).expect("in the grid");
            // A millimetre is about 1.5e-8 degrees of longitude here.
            assert!((back.lon() - lon).abs() < 1e-7 && (back.lat() - lat).abs() < 1e-7);
        }
    }

    #[test]
    fn crs84_is_untouched_and_far_away_is_an_error() {
        let original = serde_json::json!({"type": "Feature", "properties": {},
            "geometry": {"type": "Point", "coordinates": [151.2, -33.9]}});
        let mut f = original.clone();
        reproject_feature(&mut f, Crs::Crs84).expect("identity");
        assert_eq!(f, original);
        assert!(reproject_feature(&mut f, Crs::Epsg27700).is_err());
    }
}
