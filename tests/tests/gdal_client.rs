//! A real OGC API Features client: GDAL's OAPIF driver (`ogrinfo`, `ogr2ogr`) reads the asset
//! layer from a running server, as QGIS would.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use assetmap_tests::{spawn_app, TestStore};
use std::process::Command;

fn gdal(tool: &str) -> Command {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(found, "{tool} is not installed: install GDAL's tools with `apt-get install gdal-bin` (bash tests/run.sh does this when run as root)");
    Command::new(tool)
}

async fn run(mut cmd: Command) -> String {
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "GDAL failed: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ogrinfo_and_ogr2ogr_read_the_asset_layer_over_oapif() {
    let app = spawn_app(TestStore::GeoPackage).await;
    let source = format!("OAPIF:{}", app.address);

    let mut info = gdal("ogrinfo");
    info.args(["-so", &source, "assets"]);
    let text = run(info).await;
    assert!(text.contains("Feature Count: 1910"), "{text}");
    assert!(text.contains("Geometry: Point"), "{text}");
    // Every property gets a field, with its type, from the collection's describedby schema —
    // also those the first page of features leaves out, which GDAL would otherwise drop.
    for field in [
        "access: StringList",
        "cost: String (",
        "languages: StringList",
        "verified_at: Date",
        "version: Integer",
    ] {
        assert!(text.contains(field), "{field} in\n{text}");
    }

    // The whole layer through ogr2ogr, paging with the server's `next` links.
    let out = app.dir.path().join("via-oapif.geojson");
    let mut convert = gdal("ogr2ogr");
    convert.args(["-f", "GeoJSON", out.to_str().unwrap(), &source, "assets"]);
    run(convert).await;
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let features = v["features"].as_array().unwrap();
    assert_eq!(features.len(), 1910);
    let library = features
        .iter()
        .find(|f| f["properties"]["id"] == "trafford_libraries:0")
        .unwrap();
    assert_eq!(library["properties"]["name"], "Altrincham Library");

    // A spatial filter is sent as bbox and honoured.
    let (w, s, e, n) = (-2.34, 53.41, -2.30, 53.43);
    let mut spat = gdal("ogrinfo");
    spat.args([
        "-so",
        "-spat",
        &w.to_string(),
        &s.to_string(),
        &e.to_string(),
        &n.to_string(),
        &source,
        "assets",
    ]);
    let text = run(spat).await;
    let expected = app
        .get(&format!(
            "/collections/assets/items?bbox={w},{s},{e},{n}&limit=1"
        ))
        .await
        .json()["numberMatched"]
        .as_u64()
        .unwrap();
    assert!(expected > 0);
    let mut listed = gdal("ogrinfo");
    listed.args([
        "-q",
        "-spat",
        &w.to_string(),
        &s.to_string(),
        &e.to_string(),
        &n.to_string(),
        &source,
        "assets",
    ]);
    let features = run(listed).await.matches("OGRFeature(assets)").count() as u64;
    assert_eq!(
        features, expected,
        "ogrinfo -spat returns exactly the server's bbox matches\n{text}"
    );
}

/// The area collections open in GDAL, whole and with `-spat` (which the OAPIF driver sends as
/// `bbox`): each layer's count is the server's, and a box inside the place keeps exactly the
/// areas the server says it meets.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ogrinfo_reads_every_area_collection_with_and_without_a_spatial_filter() {
    let app = spawn_app(TestStore::GeoPackage).await;
    let source = format!("OAPIF:{}", app.address);
    let (w, s, e, n) = (-2.40, 53.42, -2.35, 53.45);
    for layer in ["areas-la", "areas-ward", "areas-msoa", "areas-lsoa"] {
        let matched = |query: String| {
            let app = &app;
            async move {
                app.get(&format!("/collections/{layer}/items?limit=1{query}"))
                    .await
                    .json()["numberMatched"]
                    .as_u64()
                    .unwrap()
            }
        };
        let total = matched(String::new()).await;
        let mut whole = gdal("ogrinfo");
        whole.args(["-q", &source, layer]);
        let listed = run(whole).await;
        let prefix = format!("OGRFeature({layer})");
        assert_eq!(listed.matches(&prefix).count() as u64, total, "{layer}");

        let in_box = matched(format!("&bbox={w},{s},{e},{n}")).await;
        assert!(in_box > 0, "{layer}");
        if layer != "areas-la" {
            assert!(in_box < total, "{layer}: the box leaves some areas out");
        }
        let mut spat = gdal("ogrinfo");
        spat.args([
            "-q",
            "-spat",
            &w.to_string(),
            &s.to_string(),
            &e.to_string(),
            &n.to_string(),
            &source,
            layer,
        ]);
        let listed = run(spat).await;
        assert_eq!(
            listed.matches(&prefix).count() as u64,
            in_box,
            "ogrinfo -spat on {layer} lists exactly the server's bbox matches"
        );
    }
}

/// `ogrinfo -where` is answered by the server: GDAL reads from the API document that the items
/// take a CQL2 text `filter` (it asks for `filter-lang=cql-text`, the drafts' name) on `name`,
/// `categories`… and sends the condition, so it fetches only the matching features — one page
/// for a name — instead of the whole collection to filter itself. Counted from GDAL's own log
/// of the requests it makes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ogrinfo_where_is_answered_by_the_server() {
    let app = spawn_app(TestStore::GeoPackage).await;
    let source = format!("OAPIF:{}", app.address);
    for (clause, filter) in [
        ("name = 'Sale Library'", "name%20%3D%20%27Sale%20Library%27"),
        ("categories = 'food'", "categories%20%3D%20%27food%27"),
        (
            "abcd_type = 'association' AND postcode = 'M33 7ZF'",
            "abcd_type%20%3D%20%27association%27%20AND%20postcode%20%3D%20%27M33%207ZF%27",
        ),
    ] {
        let matched = app
            .get(&format!(
                "/collections/assets/items?limit=1&filter={filter}"
            ))
            .await
            .json()["numberMatched"]
            .as_u64()
            .unwrap();
        assert!(matched > 0, "{clause} matches something");
        let mut cmd = gdal("ogrinfo");
        cmd.env("CPL_CURL_VERBOSE", "YES")
            .args(["-q", "-where", clause, &source, "assets"]);
        let out = tokio::task::spawn_blocking(move || cmd.output())
            .await
            .unwrap()
            .unwrap();
        let (stdout, log) = (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        );
        assert!(out.status.success(), "{clause}: {log}");
        let listed = stdout.matches("OGRFeature(assets)").count() as u64;
        assert_eq!(listed, matched, "{clause}: the server's matches, no more");
        let items: Vec<&str> = log
            .lines()
            .filter(|l| l.starts_with("> GET /collections/assets/items"))
            .collect();
        let filtered = items.iter().filter(|l| l.contains("filter=")).count() as u64;
        // GDAL looks at one unfiltered page (10 features) to learn the layer, then asks for
        // pages of 10 matching features.
        assert_eq!(
            items.len() as u64 - filtered,
            1,
            "{clause}: one unfiltered page only\n{items:#?}"
        );
        assert_eq!(filtered, matched.div_ceil(10), "{clause}\n{items:#?}");
    }
}
