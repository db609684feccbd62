//! Vector tiles over HTTP (OGC API Tiles paths, TileJSON, validators, errors), read with an
//! independent decoder: GDAL's MVT driver (`ogrinfo`).
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use assetmap_index::tiles::TileId;
use assetmap_tests::{sample_feature, spawn_app, TestApp, TestStore};
use std::collections::BTreeMap;

const TILES: &str = "/collections/assets/tiles/WebMercatorQuad";

/// The features of a tile as GDAL reads them: each one's fields.
fn ogr(dir: &std::path::Path, id: TileId, bytes: &[u8]) -> Vec<BTreeMap<String, String>> {
    assetmap_testing::gdal::read_mvt(dir, id.z, id.x, id.y, bytes)
        .features
        .into_iter()
        .map(|f| f.fields)
        .collect()
}

/// How many assets a decoded tile stands for: its clusters' counts and its points.
fn assets_in(features: &[BTreeMap<String, String>]) -> u64 {
    features
        .iter()
        .map(|f| match f.get("point_count") {
            Some(n) => n.parse::<u64>().unwrap(),
            None => 1,
        })
        .sum()
}

async fn tile(app: &TestApp, id: TileId, query: &str) -> assetmap_tests::Download {
    app.download(&format!("{TILES}/{}/{}/{}{query}", id.z, id.y, id.x))
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tiles_hold_the_map_points_with_their_filters() {
    let app = spawn_app(TestStore::GeoPackage).await;
    let dir = tempfile::tempdir().unwrap();
    for query in [
        "",
        "?category=learning",
        "?abcd_type=institution&status=active",
    ] {
        let points = app.get(&format!("/map/points{query}")).await.json();
        let features = points["features"].as_array().unwrap();
        assert!(features.len() > 10, "{query}");
        let world = TileId::new(0, 0, 0).unwrap();
        let t = tile(&app, world, query).await;
        assert_eq!(t.status, 200);
        assert_eq!(
            t.header("content-type"),
            "application/vnd.mapbox-vector-tile"
        );
        let decoded = ogr(dir.path(), world, &t.body);
        assert_eq!(assets_in(&decoded), features.len() as u64, "{query}");

        // At zoom 16 each asset is a point with its fields.
        let first = &features[0];
        let [lon, lat] = [0, 1].map(|i| first["geometry"]["coordinates"][i].as_f64().unwrap());
        let id = TileId::containing(lon, lat, 16);
        let decoded = ogr(dir.path(), id, &tile(&app, id, query).await.body);
        let found: Vec<_> = decoded
            .iter()
            .filter(|f| f.get("id").map(String::as_str) == first["id"].as_str())
            .collect();
        assert_eq!(found.len(), 1, "{query}: {decoded:?}");
        assert_eq!(
            found[0]["name"].as_str(),
            first["properties"]["name"].as_str().unwrap()
        );
        assert_eq!(
            found[0]["abcd_type"].as_str(),
            first["properties"]["abcd_type"].as_str().unwrap()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn words_keep_what_the_text_search_finds() {
    let app = spawn_app(TestStore::GeoPackage).await;
    let dir = tempfile::tempdir().unwrap();
    let world = TileId::new(0, 0, 0).unwrap();
    let all = assets_in(&ogr(dir.path(), world, &tile(&app, world, "").await.body));
    let library = assets_in(&ogr(
        dir.path(),
        world,
        &tile(&app, world, "?q=library").await.body,
    ));
    assert!(0 < library && library < all, "{library} of {all}");
    // What the engine's text index finds for the words, under the default statuses.
    let expected = {
        let engine = app.state.engine();
        let filter = assetmap_index::Filter {
            statuses: assetmap_core::Status::SHOWN_BY_DEFAULT.to_vec(),
            ..assetmap_index::Filter::default()
        };
        engine
            .tile_matching(world, &filter, &assetmap_index::TextQuery::parse("library"))
            .asset_count()
    };
    assert_eq!(library, expected);
    let none = tile(&app, world, "?q=xyzzyplugh").await;
    assert_eq!((none.status, none.body.len()), (204, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tile_is_revalidated_until_a_write_changes_it() {
    let app = spawn_app(TestStore::GeoPackage).await;
    let sale = TileId::containing(-2.3183, 53.4242, 16);
    let path = format!("{TILES}/16/{}/{}", sale.y, sale.x);
    let first = app.download(&path).await;
    let etag = first.header("etag").to_owned();
    assert!(!etag.is_empty());
    // Kept, but asked again every time: an edit shows on the map at once.
    assert_eq!(first.header("cache-control"), "no-cache");
    let again = app
        .send("GET", &path, None, None, &[("If-None-Match", &etag)])
        .await;
    assert_eq!(again.status, 304);

    let created = app.create(&sample_feature("Tiles test choir")).await;
    assert_eq!(created.status, 201, "{}", created.body);
    // A new tag (so If-None-Match with the old one no longer matches), and the new asset.
    let after = app.download(&path).await;
    assert_eq!(after.status, 200);
    assert_ne!(after.header("etag"), etag);
    let dir = tempfile::tempdir().unwrap();
    let decoded = ogr(dir.path(), sale, &after.body);
    assert!(decoded.iter().any(|f| f["name"] == "Tiles test choir"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_tiles_say_what_to_fix() {
    let app = spawn_app(TestStore::GeoPackage).await;
    for (path, status, says) in [
        (format!("{TILES}/17/0/0"), 404, "zoom 17 is above 16"),
        (format!("{TILES}/2/4/0"), 404, "0..=3"),
        (format!("{TILES}/2/0/-1"), 400, "not a whole number"),
        (format!("{TILES}/z/0/0"), 400, "tileMatrix"),
        (
            "/collections/assets/tiles/WorldCRS84Quad/0/0/0".to_owned(),
            404,
            "WebMercatorQuad",
        ),
        (format!("{TILES}/0/0/0?category=nope"), 400, "category"),
        (
            format!("{TILES}/0/0/0?zoom=1"),
            400,
            "allowed: category, abcd_type, status",
        ),
    ] {
        let r = app.get(&path).await;
        assert_eq!(r.status, status, "{path}: {}", r.body);
        assert_eq!(r.content_type, "application/problem+json", "{path}");
        assert!(r.body.contains(says), "{path}: {}", r.body);
    }
    // Nothing there: no content.
    let far = app.download(&format!("{TILES}/3/7/7")).await;
    assert_eq!((far.status, far.body.len()), (204, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tileset_and_tilejson_link_to_the_tiles_with_the_filters() {
    let app = spawn_app(TestStore::GeoPackage).await;
    let tj = app
        .get(&format!("{TILES}/tilejson.json?category=learning"))
        .await;
    assert_eq!(tj.status, 200, "{}", tj.body);
    let tj = tj.json();
    assert_eq!(tj["tilejson"], "3.0.0");
    assert_eq!(
        (tj["minzoom"].as_u64(), tj["maxzoom"].as_u64()),
        (Some(0), Some(16))
    );
    let url = tj["tiles"][0].as_str().unwrap();
    assert!(
        url.ends_with(&format!("{TILES}/{{z}}/{{y}}/{{x}}?category=learning")),
        "{url}"
    );
    assert_eq!(tj["vector_layers"][0]["id"], "assets");
    assert_eq!(tj["vector_layers"][0]["fields"]["point_count"], "Number");

    let ts = app.get(TILES).await;
    assert_eq!(ts.status, 200, "{}", ts.body);
    let ts = ts.json();
    assert_eq!(ts["dataType"], "vector");
    let item = ts["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "item")
        .unwrap();
    assert_eq!(item["type"], "application/vnd.mapbox-vector-tile");
    assert!(item["href"]
        .as_str()
        .unwrap()
        .ends_with("/{tileMatrix}/{tileRow}/{tileCol}"));
    let list = app.get("/collections/assets/tiles").await.json();
    assert_eq!(
        list["tilesets"][0]["tileMatrixSetURI"],
        ts["tileMatrixSetURI"]
    );
}
