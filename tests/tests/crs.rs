//! OGC API Features Part 2 (CRS by reference) end to end: `crs`, `bbox-crs`, `Content-Crs`
//! and the collections' `crs` / `storageCrs`, on the bundled Trafford data.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use assetmap_core::{Crs, LonLat};
use assetmap_tests::{spawn_app, TestStore};
use serde_json::Value;

const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
const BNG: &str = "http://www.opengis.net/def/crs/EPSG/0/27700";

fn point(f: &Value) -> [f64; 2] {
    let c = &f["geometry"]["coordinates"];
    [c[0].as_f64().unwrap(), c[1].as_f64().unwrap()]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crs_bbox_crs_and_content_crs() {
    let app = spawn_app(TestStore::GeoPackage).await;

    // Part 2 is declared (clients such as GDAL use crs and bbox-crs only when it is).
    let conformance = app.get("/conformance").await.json();
    assert!(
        conformance["conformsTo"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs"),
        "{conformance}"
    );

    // Metadata: both CRSs listed, stored in CRS84.
    let c = app.get("/collections/assets").await.json();
    assert_eq!(c["crs"], serde_json::json!([CRS84, BNG]));
    assert_eq!(c["storageCrs"], CRS84);
    let areas = app.get("/collections/areas-ward").await.json();
    assert_eq!(areas["crs"], serde_json::json!([CRS84, BNG]));

    // Every bundled asset, in CRS84 and in the National Grid.
    let wgs = app.get("/collections/assets/items?limit=10000").await;
    assert_eq!(wgs.status, 200);
    assert_eq!(
        wgs.header("content-crs"),
        Some(format!("<{CRS84}>").as_str())
    );
    let bng = app
        .get(&format!("/collections/assets/items?limit=10000&crs={BNG}"))
        .await;
    assert_eq!(bng.status, 200, "{}", bng.body);
    assert_eq!(bng.header("content-crs"), Some(format!("<{BNG}>").as_str()));
    let (wgs, bng) = (wgs.json(), bng.json());
    let (wgs, bng) = (
        wgs["features"].as_array().unwrap(),
        bng["features"].as_array().unwrap(),
    );
    assert_eq!(wgs.len(), 1910);
    assert_eq!(wgs.len(), bng.len());
    let mut worst_round_trip_deg = 0.0_f64;
    for (w, b) in wgs.iter().zip(bng) {
        assert_eq!(w["id"], b["id"]);
        let [lon, lat] = point(w);
        let [e, n] = point(b);
        // In Trafford.
        assert!(
            (365_000.0..390_000.0).contains(&e),
            "{} easting {e}",
            b["id"]
        );
        assert!(
            (380_000.0..400_000.0).contains(&n),
            "{} northing {n}",
            b["id"]
        );
        // The library's transform of the CRS84 answer, to the millimetre the API rounds to.
        let at = LonLat::new(lon, lat).unwrap();
        let [le, ln] = Crs::Epsg27700.from_wgs84(at).unwrap();
        assert!(
            (le - e).abs() <= 0.0005 && (ln - n).abs() <= 0.0005,
            "{}",
            b["id"]
        );
        // EPSG:27700 round trip: back to WGS84 from the API's (rounded) grid position.
        let back = Crs::Epsg27700.to_wgs84([e, n]).unwrap();
        let deg = (back.lon() - lon).abs().max((back.lat() - lat).abs());
        worst_round_trip_deg = worst_round_trip_deg.max(deg);
        // And without the API's rounding, the library's own round trip.
        let exact = Crs::Epsg27700.to_wgs84([le, ln]).unwrap();
        assert!((exact.lon() - lon).abs() < 1e-9 && (exact.lat() - lat).abs() < 1e-9);
    }
    eprintln!(
        "worst EPSG:27700 round trip over the bundled assets: {worst_round_trip_deg:e} degrees"
    );
    assert!(worst_round_trip_deg < 1e-7);

    // One asset, and bbox-crs: a 100 m National Grid box around it finds it.
    let id = bng[0]["id"].as_str().unwrap();
    let [e, n] = point(&bng[0]);
    let one = app
        .get(&format!("/collections/assets/items/{id}?crs={BNG}"))
        .await;
    assert_eq!(one.status, 200);
    assert_eq!(one.header("content-crs"), Some(format!("<{BNG}>").as_str()));
    assert_eq!(point(&one.json()), [e, n]);
    let one = app.get(&format!("/collections/assets/items/{id}")).await;
    assert_eq!(
        one.header("content-crs"),
        Some(format!("<{CRS84}>").as_str())
    );

    let boxed = app
        .get(&format!(
            "/collections/assets/items?limit=10000&crs={BNG}&bbox-crs={BNG}&bbox={},{},{},{}",
            e - 50.0,
            n - 50.0,
            e + 50.0,
            n + 50.0
        ))
        .await;
    assert_eq!(boxed.status, 200, "{}", boxed.body);
    let boxed = boxed.json();
    let found = boxed["features"].as_array().unwrap();
    assert!(found.iter().any(|f| f["id"] == id), "{id} in its own box");
    for f in found {
        // The WGS84 envelope of a grid box takes in at most a few metres more at its corners.
        let [fe, fn_] = point(f);
        assert!(
            (fe - e).abs() < 55.0 && (fn_ - n).abs() < 55.0,
            "{} at {fe} {fn_}",
            f["id"]
        );
    }
    // A box in metres given without bbox-crs is out of range for CRS84.
    let wrong = app
        .get(&format!(
            "/collections/assets/items?bbox={},{},{},{}",
            e - 50.0,
            n - 50.0,
            e + 50.0,
            n + 50.0
        ))
        .await;
    assert_eq!(wrong.status, 400);

    // Areas: every vertex of every polygon in the grid, near Trafford.
    let ward = app
        .get(&format!("/collections/areas-ward/items?limit=1&crs={BNG}"))
        .await;
    assert_eq!(ward.status, 200, "{}", ward.body);
    assert_eq!(
        ward.header("content-crs"),
        Some(format!("<{BNG}>").as_str())
    );
    let ward = ward.json();
    let feature = &ward["features"][0];
    let mut vertices = 0;
    let mut stack = vec![&feature["geometry"]["coordinates"]];
    while let Some(v) = stack.pop() {
        let items = v.as_array().unwrap();
        if items[0].is_number() {
            let (e, n) = (items[0].as_f64().unwrap(), items[1].as_f64().unwrap());
            assert!((360_000.0..395_000.0).contains(&e) && (375_000.0..405_000.0).contains(&n));
            vertices += 1;
        } else {
            stack.extend(items);
        }
    }
    assert!(vertices > 3, "{vertices} vertices");
    let code = feature["id"].as_str().unwrap();
    let one_ward = app
        .get(&format!("/collections/areas-ward/items/{code}?crs={BNG}"))
        .await;
    assert_eq!(one_ward.status, 200);
    assert_eq!(
        one_ward.header("content-crs"),
        Some(format!("<{BNG}>").as_str())
    );
    assert_eq!(one_ward.json()["geometry"], feature["geometry"]);

    // An unsupported CRS: 400 naming the parameter and listing the supported ones.
    for (param, path) in [
        ("crs", "/collections/assets/items?crs=EPSG:4326"),
        ("crs", "/collections/areas-ward/items?crs=http://www.opengis.net/def/crs/EPSG/0/4326"),
        ("crs", &format!("/collections/assets/items/{id}?crs=nonsense")),
        ("bbox-crs", "/collections/assets/items?bbox=0,0,1,1&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/3857"),
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status, 400, "{path}");
        assert_eq!(r.content_type, "application/problem+json");
        let v = r.json();
        assert_eq!(v["invalid_params"][0]["name"], param, "{path}");
        let reason = v["invalid_params"][0]["reason"].as_str().unwrap();
        assert!(reason.contains(CRS84) && reason.contains(BNG), "{reason}");
    }
    // A National Grid box outside the OSTN15 grid is refused, naming bbox.
    let r = app
        .get(&format!(
            "/collections/assets/items?bbox-crs={BNG}&bbox=-5000,0,1000,1000"
        ))
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["invalid_params"][0]["name"], "bbox");
}
