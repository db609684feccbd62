//! Mapbox Vector Tiles (specification 2.1, <https://github.com/mapbox/vector-tile-spec>): the
//! engine's [`Tile`] as one layer, [`LAYER`], of points.
//!
//! Written by hand: a vector tile of points is four small protobuf messages (tile, layer,
//! feature, value) of varints and length-prefixed bytes, about a hundred lines, where
//! `prost` or `protobuf` would add a code generator, a build script and a dozen crates.
//!
//! # What the layer holds
//!
//! Positions are in tile units (extent [`EXTENT`], 4096, from the top-left corner); a buffer
//! point is just outside `0..4096`. Feature ids are not set (MVT ids are integers; an asset id
//! is a string), so each feature says what it is in its properties:
//!
//! | feature | properties |
//! |---|---|
//! | an asset | `id` (the asset id), `name`, `abcd_type`, `categories` (slugs joined by `,`, the main one first), `status` (slugs as in the API) |
//! | a cluster | `cluster` (true), `point_count` (how many assets), `point_count_abbreviated` (`950`, `1.2k`, `13k`), and `abcd_<type>` for each ABCD type (`abcd_association`, …: how many of them are of that type, 0 included) |
//!
//! The cluster property names are MapLibre's own for its clustered GeoJSON sources, so a
//! style written for those (`['has', 'point_count']`) draws these tiles unchanged. A tile
//! with nothing in it is zero bytes (a tile with no layers).

use assetmap_core::AbcdType;
use assetmap_index::tiles::{Tile, TileCluster, TilePoint, EXTENT};
use std::collections::HashMap;

/// The media type of a vector tile.
pub const MEDIA_TYPE: &str = "application/vnd.mapbox-vector-tile";
/// The name of the one layer.
pub const LAYER: &str = "assets";

/// Every property a feature of [`LAYER`] may have, with its TileJSON type (`String`,
/// `Number`, `Boolean`) and what it says: for a TileJSON `vector_layers` entry.
pub const FIELDS: &[(&str, &str, &str)] = &[
    ("id", "String", "the asset id (an asset)"),
    ("name", "String", "the asset's name (an asset)"),
    (
        "abcd_type",
        "String",
        "the asset's ABCD type slug (an asset)",
    ),
    (
        "categories",
        "String",
        "the asset's category slugs, main first, joined by commas (an asset)",
    ),
    ("status", "String", "the asset's status slug (an asset)"),
    ("cluster", "Boolean", "true for a cluster"),
    (
        "point_count",
        "Number",
        "how many assets a cluster stands for",
    ),
    (
        "point_count_abbreviated",
        "String",
        "point_count as MapLibre writes it: 950, 1.2k, 13k",
    ),
    (
        "abcd_association",
        "Number",
        "how many of a cluster's assets are associations",
    ),
    (
        "abcd_institution",
        "Number",
        "how many of a cluster's assets are institutions",
    ),
    (
        "abcd_physical_space",
        "Number",
        "how many of a cluster's assets are physical spaces",
    ),
    (
        "abcd_economy",
        "Number",
        "how many of a cluster's assets are economy",
    ),
    (
        "abcd_culture",
        "Number",
        "how many of a cluster's assets are culture",
    ),
];

/// `tile` as a Mapbox Vector Tile (see the [module docs](self)).
///
/// # Examples
/// ```
/// use assetmap_index::{tiles::TileId, Engine, Filter};
/// use assetmap_synthetic as synthetic;
/// let engine = Engine::new(synthetic::assets(1, 500));
/// let tile = engine.tile(TileId::new(0, 0, 0).unwrap(), &Filter::default());
/// let bytes = assetmap_io::mvt::encode(&tile);
/// assert_eq!(bytes[0], 0x1a); // field 3 (layers), length-delimited
/// ```
pub fn encode(tile: &Tile) -> Vec<u8> {
    if tile.points.is_empty() && tile.clusters.is_empty() {
        return Vec::new();
    }
    let mut layer = LayerWriter::new(LAYER);
    for p in &tile.points {
        layer.point(p.x, p.y, point_properties(p));
    }
    for c in &tile.clusters {
        layer.point(c.x, c.y, cluster_properties(c));
    }
    let mut out = Vec::new();
    put_bytes(&mut out, 3, &layer.finish());
    out
}

fn point_properties(p: &TilePoint) -> Vec<(&'static str, Value)> {
    let a = &p.asset;
    let categories: Vec<&str> = a.categories.iter().map(|c| c.slug()).collect();
    vec![
        ("id", Value::String(a.id.as_str().to_owned())),
        ("name", Value::String(a.name.as_str().to_owned())),
        ("abcd_type", Value::String(a.abcd_type.slug().to_owned())),
        ("categories", Value::String(categories.join(","))),
        ("status", Value::String(a.status.slug().to_owned())),
    ]
}

fn cluster_properties(c: &TileCluster) -> Vec<(&'static str, Value)> {
    let mut props = vec![
        ("cluster", Value::Bool(true)),
        ("point_count", Value::Uint(u64::from(c.count))),
        (
            "point_count_abbreviated",
            Value::String(abbreviated(c.count)),
        ),
    ];
    for (t, n) in AbcdType::ALL.iter().zip(c.by_type) {
        props.push((abcd_key(*t), Value::Uint(u64::from(n))));
    }
    props
}

/// The property of a cluster that counts its assets of type `t`.
pub fn abcd_key(t: AbcdType) -> &'static str {
    match t {
        AbcdType::Association => "abcd_association",
        AbcdType::Institution => "abcd_institution",
        AbcdType::PhysicalSpace => "abcd_physical_space",
        AbcdType::Economy => "abcd_economy",
        AbcdType::Culture => "abcd_culture",
    }
}

/// A count as MapLibre abbreviates a cluster's (`point_count_abbreviated`): as it is below
/// 1,000, in thousands to one decimal below 10,000 (`1.2k`, `3k`), whole thousands above.
///
/// # Examples
/// ```
/// use assetmap_io::mvt::abbreviated;
/// assert_eq!(abbreviated(999), "999");
/// assert_eq!(abbreviated(1_000), "1k");
/// assert_eq!(abbreviated(1_250), "1.3k");
/// assert_eq!(abbreviated(9_960), "10k");
/// assert_eq!(abbreviated(12_499), "12k");
/// ```
pub fn abbreviated(count: u32) -> String {
    if count >= 10_000 {
        format!("{}k", (count + 500) / 1_000)
    } else if count >= 1_000 {
        let tenths = (count + 50) / 100;
        if tenths.is_multiple_of(10) {
            format!("{}k", tenths / 10)
        } else {
            format!("{}.{}k", tenths / 10, tenths % 10)
        }
    } else {
        count.to_string()
    }
}

/// A property value (the kinds this layer uses of the MVT `Value` message).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Value {
    String(String),
    Uint(u64),
    Bool(bool),
}

/// One layer being written: its encoded features, and its key and value tables (each key
/// and value once, by the position features refer to it by).
struct LayerWriter {
    name: &'static str,
    features: Vec<u8>,
    keys: HashMap<&'static str, u32>,
    values: HashMap<Value, u32>,
}

/// Protobuf wire types.
const VARINT: u64 = 0;
const LEN: u64 = 2;
/// Geometry command: MoveTo, once (`id | count << 3`).
const MOVE_TO_ONCE: u32 = 1 | (1 << 3);
/// `Feature.type` POINT.
const POINT: u64 = 1;

impl LayerWriter {
    fn new(name: &'static str) -> LayerWriter {
        LayerWriter {
            name,
            features: Vec::new(),
            keys: HashMap::new(),
            values: HashMap::new(),
        }
    }

    /// Adds a point feature at tile units `x`, `y` with `properties`.
    fn point(&mut self, x: i32, y: i32, properties: Vec<(&'static str, Value)>) {
        let mut tags = Vec::with_capacity(properties.len() * 2);
        for (k, v) in properties {
            let next = self.keys.len() as u32;
            let ki = *self.keys.entry(k).or_insert(next);
            let next = self.values.len() as u32;
            let vi = *self.values.entry(v).or_insert(next);
            tags.extend([ki, vi]);
        }
        // The cursor starts at (0, 0) for each feature: one MoveTo by (x, y).
        let geometry = [MOVE_TO_ONCE, zigzag(x), zigzag(y)];
        let mut f = Vec::with_capacity(16 + tags.len() * 2);
        put_packed(&mut f, 2, &tags);
        put_varint_field(&mut f, 3, POINT);
        put_packed(&mut f, 4, &geometry);
        put_bytes(&mut self.features, 2, &f);
    }

    /// The layer message.
    fn finish(self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.features.len() + 64 * self.values.len());
        put_bytes(&mut out, 1, self.name.as_bytes());
        out.extend_from_slice(&self.features);
        for k in in_order(self.keys) {
            put_bytes(&mut out, 3, k.as_bytes());
        }
        for v in in_order(self.values) {
            let mut m = Vec::new();
            match v {
                Value::String(s) => put_bytes(&mut m, 1, s.as_bytes()),
                Value::Uint(n) => put_varint_field(&mut m, 5, n),
                Value::Bool(b) => put_varint_field(&mut m, 7, u64::from(b)),
            }
            put_bytes(&mut out, 4, &m);
        }
        put_varint_field(&mut out, 5, u64::from(EXTENT));
        put_varint_field(&mut out, 15, 2); // version
        out
    }
}

/// The keys of a table, in the order of their positions.
fn in_order<T>(table: HashMap<T, u32>) -> Vec<T> {
    let mut entries: Vec<(T, u32)> = table.into_iter().collect();
    entries.sort_unstable_by_key(|e| e.1);
    entries.into_iter().map(|e| e.0).collect()
}

/// A geometry parameter: zigzag, so that small negative values stay small.
fn zigzag(v: i32) -> u32 {
    ((v << 1) ^ (v >> 31)) as u32
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_key(out: &mut Vec<u8>, field: u64, wire: u64) {
    put_varint(out, (field << 3) | wire);
}

fn put_varint_field(out: &mut Vec<u8>, field: u64, v: u64) {
    put_key(out, field, VARINT);
    put_varint(out, v);
}

fn put_bytes(out: &mut Vec<u8>, field: u64, bytes: &[u8]) {
    put_key(out, field, LEN);
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn put_packed(out: &mut Vec<u8>, field: u64, values: &[u32]) {
    let mut packed = Vec::with_capacity(values.len() * 2);
    for &v in values {
        put_varint(&mut packed, u64::from(v));
    }
    put_bytes(out, field, &packed);
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn zigzag_and_varints_are_the_protobuf_encodings() {
        assert_eq!([0, -1, 1, -2, 2, -64].map(zigzag), [0, 1, 2, 3, 4, 127]);
        let mut v = Vec::new();
        put_varint(&mut v, 300);
        assert_eq!(v, [0xac, 0x02]);
    }

    /// The spec's example point (25, 17) is `[9 50 34]`.
    #[test]
    fn a_point_is_one_move_to() {
        assert_eq!([MOVE_TO_ONCE, zigzag(25), zigzag(17)], [9, 50, 34]);
    }

    /// Every property written is listed in [`FIELDS`] with the type of its values.
    #[test]
    fn fields_list_every_property_with_its_type() {
        let engine = assetmap_index::Engine::new(assetmap_synthetic::assets(1, 3_000));
        let tiles = [0, 16].map(|z| {
            let a = engine.iter().next().unwrap().location;
            let id = assetmap_index::tiles::TileId::containing(a.lon(), a.lat(), z);
            engine.tile(id, &assetmap_index::Filter::default())
        });
        let mut seen = std::collections::BTreeSet::new();
        for t in &tiles {
            for p in &t.points {
                seen.extend(point_properties(p));
            }
            for c in &t.clusters {
                seen.extend(cluster_properties(c));
            }
        }
        let mut names = std::collections::BTreeSet::new();
        for (k, v) in seen {
            let (_, kind, _) = FIELDS.iter().find(|f| f.0 == k).unwrap();
            let expected = match v {
                Value::String(_) => "String",
                Value::Uint(_) => "Number",
                Value::Bool(_) => "Boolean",
            };
            assert_eq!(*kind, expected, "{k}");
            names.insert(k);
        }
        assert_eq!(names.len(), FIELDS.len());
    }

    #[test]
    fn keys_and_values_are_written_once() {
        let mut l = LayerWriter::new("t");
        let props = |n| vec![("kind", Value::String("a".into())), ("n", Value::Uint(n))];
        l.point(1, 2, props(1));
        l.point(3, 4, props(1));
        l.point(5, 6, props(2));
        assert_eq!(in_order(l.keys), ["kind", "n"]);
        assert_eq!(
            in_order(l.values),
            [Value::String("a".into()), Value::Uint(1), Value::Uint(2)]
        );
    }
}
