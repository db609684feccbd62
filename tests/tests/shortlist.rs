//! The shortlist's text version (`/shortlist?…&format=text`), the one pasted into a text
//! message, on the bundled Trafford data: every place's name, its distance and walk from the
//! postcode worked out here independently (haversine from the `/geocode` point, the documented
//! walking model), its "When:" line, the order of the ids kept, and missing ids counted.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use assetmap_tests::{data_dir, spawn_app, TestApp, TestStore};
use serde_json::Value;
use std::collections::HashMap;

/// Great-circle metres on the mean-radius sphere, written out here rather than borrowed from
/// the code under test.
fn haversine(a: (f64, f64), b: (f64, f64)) -> f64 {
    let r = 6_371_008.8;
    let (la1, la2) = (a.1.to_radians(), b.1.to_radians());
    let dla = la2 - la1;
    let dlo = (b.0 - a.0).to_radians();
    let h = (dla / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlo / 2.0).sin().powi(2);
    2.0 * r * h.sqrt().asin()
}

/// The bundled features by id, read straight from the file.
fn bundled() -> HashMap<String, Value> {
    let text = std::fs::read_to_string(data_dir().join("trafford/assets.geojson")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["id"].as_str().unwrap().to_owned(), f.clone()))
        .collect()
}

fn point(f: &Value) -> (f64, f64) {
    let c = &f["geometry"]["coordinates"];
    (c[0].as_f64().unwrap(), c[1].as_f64().unwrap())
}

/// The postcode's point, as `/geocode` gives it.
async fn geocode(app: &TestApp, postcode: &str) -> (f64, f64) {
    let r = app.get(&format!("/geocode?postcode={postcode}")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    (v["lon"].as_f64().unwrap(), v["lat"].as_f64().unwrap())
}

/// The distance line, from the walking model in the README: metres rounded to 10 under a
/// kilometre (kilometres to one decimal from there), minutes = distance × 1.3 / 80 rounded,
/// at least 1.
fn walk_line(metres: f64) -> String {
    let distance = if metres < 1000.0 {
        format!("{} m", (metres / 10.0).round() as i64 * 10)
    } else {
        let tenths = (metres / 100.0).round() as i64;
        format!("{}.{} km", tenths / 10, tenths % 10)
    };
    let minutes = ((metres * 1.3 / 80.0).round() as i64).max(1);
    let unit = if minutes == 1 { "minute's" } else { "minutes'" };
    format!("{distance} (about {minutes} {unit} walk) from you")
}

/// The text version's blocks: the heading, one block per place, then the notes.
fn blocks(body: &str) -> Vec<Vec<&str>> {
    body.split("\n\n")
        .map(|b| b.lines().filter(|l| !l.is_empty()).collect::<Vec<_>>())
        .filter(|b| !b.is_empty())
        .collect()
}

/// Checks one place's block against the bundled record and the independent distance.
fn check_place(block: &[&str], n: usize, f: &Value, origin: (f64, f64)) {
    let p = &f["properties"];
    let name = p["name"].as_str().unwrap();
    assert!(
        block[0].starts_with(&format!("{n}. {name} - ")),
        "place {n} is {name}: {block:?}"
    );
    let metres = haversine(origin, point(f));
    let want = walk_line(metres);
    assert!(
        block.contains(&want.as_str()),
        "{name} ({metres} m): {want:?} in {block:?}"
    );
    let when: Vec<&&str> = block.iter().filter(|l| l.starts_with("When: ")).collect();
    assert_eq!(when.len(), 1, "one When: line for {name}: {block:?}");
    let has_times = p["opening_times"]["periods"]
        .as_array()
        .is_some_and(|a| !a.is_empty());
    let by_arrangement = p["opening_times"]["by_arrangement"] == Value::Bool(true);
    if !has_times && !by_arrangement {
        assert_eq!(*when[0], "When: Opening times not known", "{name}");
    } else {
        assert!(
            when[0].len() > "When: ".len() && *when[0] != "When: Opening times not known",
            "{name} has times: {block:?}"
        );
    }
}

#[tokio::test]
async fn the_text_version_lists_each_place_with_its_walk_in_the_order_given() {
    let app = spawn_app(TestStore::GeoPackage).await;
    let data = bundled();
    let origin = geocode(&app, "M33%207AA").await;
    // Not in distance or id order; one id that is not (or no longer) listed, in the middle.
    let ids = [
        "trafford_pharmacies:4",       // Boots, with opening times, about 400 m
        "no-such-asset",               // gone
        "trafford_defibrillators:112", // about 110 m
        "trafford_libraries:6",        // Sale Library, times unknown, about 210 m
        "charities_operating_in_trafford:212", // over a kilometre
    ];
    let r = app
        .get_with(
            &format!(
                "/shortlist?ids={}&postcode=M33%207AA&format=text",
                ids.join(",")
            ),
            Some("text/plain"),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.content_type.starts_with("text/plain"),
        "{}",
        r.content_type
    );
    let b = blocks(&r.body);
    let listed: Vec<&str> = ids
        .iter()
        .copied()
        .filter(|id| data.contains_key(*id))
        .collect();
    assert_eq!(listed.len(), 4);
    assert_eq!(b[0], ["Your shortlist (4)"], "{}", r.body);
    assert!(b.len() >= 1 + listed.len() + 2, "{}", r.body);
    for (i, id) in listed.iter().enumerate() {
        check_place(&b[1 + i], i + 1, &data[*id], origin);
    }
    // The distances differ enough for the order to matter: the list is not sorted by them.
    let d: Vec<f64> = listed
        .iter()
        .map(|id| haversine(origin, point(&data[*id])))
        .collect();
    assert!(
        d.windows(2).any(|w| w[0] > w[1]),
        "the ids given are not nearest first: {d:?}"
    );
    assert_eq!(
        b[1 + listed.len()],
        ["(1 no longer listed: the place with reference no-such-asset)"],
        "{}",
        r.body
    );
    assert!(r
        .body
        .trim_end()
        .ends_with("Please ring before you go: details change."));
    assert!(!r.body.contains('<'), "plain text, no markup");

    // A place a few metres from the postcode: rounded to 10 m, and at least a minute's walk.
    let origin = geocode(&app, "M33%201ZF").await;
    let near = &data["trafford_mental_health_services:38"];
    let metres = haversine(origin, point(near));
    assert!(
        metres * 1.3 / 80.0 < 0.5,
        "{metres} m is under half a minute"
    );
    let r = app
        .get("/shortlist?ids=trafford_mental_health_services:38&postcode=m331zf&format=text")
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let b = blocks(&r.body);
    assert_eq!(b[0], ["Your shortlist (1)"]);
    check_place(&b[1], 1, near, origin);
    assert!(
        r.body.contains("10 m (about 1 minute's walk) from you"),
        "{}",
        r.body
    );
    assert!(!r.body.contains("no longer listed"), "{}", r.body);

    // Without a postcode: the same places in the same order, with no distances.
    let r = app
        .get(&format!("/shortlist?ids={}&format=text", ids.join(",")))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let b = blocks(&r.body);
    for (i, id) in listed.iter().enumerate() {
        let name = data[*id]["properties"]["name"].as_str().unwrap();
        assert!(b[1 + i][0].starts_with(&format!("{}. {name} - ", i + 1)));
    }
    assert!(!r.body.contains("from you"), "{}", r.body);
    assert!(r.body.contains("(1 no longer listed: "));
}

/// What Firefox sends for a page.
const BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/// The first `href` on `page` that contains `part`, unescaped.
fn href_with(page: &str, part: &str) -> Option<String> {
    page.split("href=\"")
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].replace("&#38;", "&"))
        .find(|h| h.contains(part))
}

fn escaped(s: &str) -> String {
    s.replace('&', "&#38;").replace('\'', "&#39;")
}

#[tokio::test]
async fn the_page_offers_print_copy_share_the_text_version_and_the_way_back() {
    let app = spawn_app(TestStore::GeoPackage).await;
    let data = bundled();
    let ids = [
        "trafford_pharmacies:4",
        "trafford_libraries:6",
        "trafford_defibrillators:112",
    ];
    let r = app
        .get_with(
            &format!("/shortlist?ids={}&postcode=m337aa", ids.join(",")),
            Some(BROWSER),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let page = &r.body;
    // Landmarks (axe: landmark-one-main, region), a favicon, the buttons' script from here.
    for part in [
        "<header class=\"noprint\">",
        "<main id=\"main\">",
        "<footer class=\"noprint\">",
        "<link rel=\"icon\" href=\"/static/favicon.svg\" type=\"image/svg+xml\">",
        "<script type=\"module\" src=\"/static/js/shortlist-page.js\"></script>",
        "id=\"sl-print\"",
        "id=\"sl-copy\"",
        "id=\"sl-share\"",
        "role=\"status\"",
    ] {
        assert!(page.contains(part), "{part}");
    }
    // Still nothing from elsewhere, and no inline script.
    for bad in ["src=\"http", "href=\"//", "<script>", " onclick="] {
        assert!(!page.contains(bad), "{bad}");
    }
    // The text version, one click away: the same list, as plain text.
    let text = href_with(page, "format=text").unwrap();
    assert_eq!(
        text,
        "/shortlist?ids=trafford_pharmacies:4,trafford_libraries:6,trafford_defibrillators:112&postcode=M33%207AA&format=text"
    );
    let t = app.get_with(&text, Some(BROWSER)).await;
    assert_eq!(t.status, 200);
    assert!(t.content_type.starts_with("text/plain"));
    assert!(t.body.starts_with("Your shortlist (3)"));
    // Back to the map, searching the same postcode.
    assert!(href_with(page, "/#postcode=M33%207AA").is_some(), "{page}");
    // The sketch: one numbered dot per place, the postcode labelled.
    let svg = &page[page.find("<svg").unwrap()..page.find("</svg>").unwrap()];
    assert_eq!(svg.matches("<circle").count(), 3, "{svg}");
    for n in 1..=3 {
        assert!(svg.contains(&format!(">{n}</text>")), "{svg}");
    }
    assert!(svg.contains(">M33 7AA</text>"), "{svg}");
    // The map page's time words ("9am to 5:30pm"), not clock times.
    let when: Vec<&str> = page
        .split("<dt>When</dt><dd>")
        .skip(1)
        .map(|rest| &rest[..rest.find("</dd>").unwrap()])
        .collect();
    assert_eq!(when.len(), 3);
    for w in &when {
        assert!(
            !w.contains(':') || w.contains(": "),
            "no 11:00–14:00 clock times: {w}"
        );
        assert!(!w.contains('–'), "{w}");
    }
    let has_times = |id: &str| {
        data[id]["properties"]["opening_times"]["periods"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
    };
    assert!(has_times("trafford_pharmacies:4"));
    assert!(
        when[0].contains("am to ") || when[0].contains("pm to "),
        "{}",
        when[0]
    );
    assert!(!has_times("trafford_libraries:6"));
    assert_eq!(when[1], "Opening times not known");
    // The script behind the buttons is served.
    let js = app
        .get_with("/static/js/shortlist-page.js", Some("*/*"))
        .await;
    assert_eq!(js.status, 200);
    assert!(js.body.contains("navigator.share"));
    let icon = app.get_with("/static/favicon.svg", Some("*/*")).await;
    assert_eq!(icon.status, 200);
    assert!(icon.content_type.starts_with("image/svg+xml"));
}

#[tokio::test]
async fn a_stale_link_names_the_places_no_longer_listed_and_shows_the_rest() {
    let app = spawn_app(TestStore::GeoPackage).await;
    let data = bundled();
    let gone = "trafford_libraries:6";
    let kept = "trafford_pharmacies:4";
    let gone_name = data[gone]["properties"]["name"].as_str().unwrap();
    let kept_name = data[kept]["properties"]["name"].as_str().unwrap();
    let r = app
        .send(
            "DELETE",
            &format!("/collections/assets/items/{gone}"),
            None,
            Some(assetmap_tests::ADMIN_TOKEN),
            &[],
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);

    // Some gone: named, and the rest shown.
    let list = format!("/shortlist?ids={gone},{kept},no-such-asset&postcode=M33%207AA");
    let r = app.get_with(&list, Some(BROWSER)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let section = &r.body[r.body.find("<section class=\"gone\"").unwrap()..];
    let section = &section[..section.find("</section>").unwrap()];
    assert!(section.contains("No longer listed"), "{section}");
    assert!(section.contains(&escaped(gone_name)), "{section}");
    assert!(
        section.contains("the place with reference no-such-asset"),
        "{section}"
    );
    let places = &r.body[r.body.find("<ol class=\"places\">").unwrap()..];
    assert!(places.contains(&escaped(kept_name)));
    assert!(!places.contains(&escaped(gone_name)));
    assert_eq!(places.matches("<h2>").count(), 1);

    let t = app.get(&format!("{list}&format=text")).await;
    assert_eq!(t.status, 200);
    assert!(
        t.body.contains(&format!(
            "(2 no longer listed: {gone_name}; the place with reference no-such-asset)"
        )),
        "{}",
        t.body
    );

    // All gone: a page for a browser that says which, with the way back; JSON clients keep
    // their problem document.
    let r = app
        .get_with(
            &format!("/shortlist?ids={gone}&postcode=M33%207AA"),
            Some(BROWSER),
        )
        .await;
    assert_eq!(r.status, 404);
    assert!(
        r.content_type.starts_with("text/html"),
        "{}",
        r.content_type
    );
    assert!(r.body.contains("<main id=\"main\">"));
    assert!(r.body.contains(&escaped(gone_name)), "{}", r.body);
    assert!(href_with(&r.body, "/#postcode=M33%207AA").is_some());
    assert!(!r.body.contains("<svg"));
    let j = app.get(&format!("/shortlist?ids={gone}")).await;
    assert_eq!(j.status, 404);
    assert!(j.content_type.starts_with("application/problem+json"));
    let v = j.json();
    assert_eq!(v["status"], 404);
    assert!(v["detail"].as_str().unwrap().contains(gone_name));
}

#[tokio::test]
async fn a_list_from_a_postcode_district_says_distances_are_from_its_middle() {
    let app = spawn_app(TestStore::GeoPackage).await;
    let r = app
        .get_with(
            "/shortlist?ids=trafford_libraries:6,trafford_pharmacies:4&postcode=m33",
            Some(BROWSER),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body
            .contains("distances are from the middle of the M33 postcode district"),
        "{}",
        r.body
    );
    assert!(href_with(&r.body, "/#postcode=M33").is_some());
    assert!(r.body.contains(">M33</text>"));
    assert!(r.body.contains("<dt>How far</dt>"));
}
