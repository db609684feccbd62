//! The HTML pages of the collections, the asset list, one asset, and the areas (`f=html`, or a
//! browser's `Accept`): each answers a readable page under the HTML Content-Security-Policy,
//! JSON clients still get JSON, what an asset says is escaped, and paging keeps the filters.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use assetmap_tests::{sample_feature, spawn_app, Reply, TestStore, ADMIN_TOKEN};

/// What Firefox sends for a page.
const BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

/// Every page with HTML, as paths without `f`.
const PAGES: &[&str] = &[
    "/conformance",
    "/collections",
    "/collections/assets",
    "/collections/areas-ward",
    "/collections/assets/items?limit=3",
    "/collections/assets/items/trafford_libraries:6",
    "/collections/areas-ward/items?limit=2",
    "/collections/areas-ward/items/E05015239",
];

fn with_f(path: &str, f: &str) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    format!("{path}{sep}f={f}")
}

/// A page fit to show: HTML, under the page policy, with nothing inline the policy would block.
fn assert_page(r: &Reply, what: &str) {
    assert_eq!(r.status, 200, "{what}: {}", r.body);
    assert_eq!(r.content_type, "text/html; charset=utf-8", "{what}");
    let csp = r.header("content-security-policy").unwrap();
    assert!(
        csp.contains("style-src 'self'") && !csp.contains("unsafe"),
        "{what}: {csp}"
    );
    let body = &r.body;
    assert!(body.starts_with("<!doctype html>"), "{what}");
    assert!(body.contains("<html lang=\"en-GB\">"), "{what}");
    assert!(body.contains("href=\"/static/pages.css\""), "{what}");
    assert!(body.contains("<a class=\"skip\" href=\"#main\">"), "{what}");
    assert!(body.contains("<main id=\"main\">"), "{what}");
    assert!(body.contains("<h1>"), "{what}");
    for inline in ["<script", "<style", " style=", " onclick="] {
        assert!(!body.contains(inline), "{what} has {inline}");
    }
}

/// The target of the link with `rel` on a page, unescaped.
fn link_target(body: &str, rel: &str) -> Option<String> {
    let marker = format!("\" rel=\"{rel}\">");
    let end = body.find(&marker)?;
    let start = body[..end].rfind("href=\"")? + "href=\"".len();
    Some(body[start..end].replace("&#38;", "&"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_answers_html_to_f_html_and_to_browsers_and_json_to_json_clients() {
    let app = spawn_app(TestStore::GeoPackage).await;
    for path in PAGES {
        let asked = app.get(&with_f(path, "html")).await;
        assert_page(&asked, &format!("{path} with f=html"));

        let browser = app.get_with(path, Some(BROWSER)).await;
        assert_page(&browser, &format!("{path} from a browser"));
        assert!(
            browser.header("vary").is_some_and(|v| v.contains("Accept")),
            "{path}: chosen by Accept, so Vary: Accept ({:?})",
            browser.header("vary")
        );
        assert_eq!(browser.header("cache-control"), Some("public, max-age=60"));

        let json = app.get(path).await;
        assert_eq!(json.status, 200, "{path}: {}", json.body);
        assert!(
            json.content_type == "application/json" || json.content_type == "application/geo+json",
            "{path}: {}",
            json.content_type
        );
        json.json();
        let asked_json = app.get_with(&with_f(path, "json"), Some(BROWSER)).await;
        assert!(asked_json.content_type.contains("json"), "{path}");
    }
    let css = app.get_with("/static/pages.css", Some("text/css")).await;
    assert_eq!(css.status, 200);
    assert_eq!(css.content_type, "text/css; charset=utf-8");
    assert!(css.body.contains(":focus-visible"), "a visible focus");

    // Every JSON document of these links its HTML page (`rel=alternate`), and that link works.
    for path in PAGES {
        let doc = app.get(path).await.json();
        let alternate = doc["links"]
            .as_array()
            .unwrap_or_else(|| panic!("{path} has links"))
            .iter()
            .find(|l| l["rel"] == "alternate" && l["type"] == "text/html")
            .unwrap_or_else(|| panic!("{path} links its HTML page"));
        let href = alternate["href"].as_str().unwrap();
        let local = href.strip_prefix(&app.address).unwrap();
        assert_page(&app.get(local).await, &format!("{path} → {href}"));
    }

    let bad = app.get("/collections/assets/items?f=xml").await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("\"f\""), "{}", bad.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_assets_page_is_what_a_coordinator_hands_over_and_escapes_what_it_says() {
    let app = spawn_app(TestStore::GeoPackage).await;
    let mut feature = sample_feature("<b>Tom & Jerry's</b> \"singers\"");
    feature["properties"]["contact"] = serde_json::json!({
        "phone": "0161 912 3168",
        "email": "sing@example.org",
        "website": "https://example.org/sing?a=1&b=2"
    });
    feature["properties"]["status"] = "temporarily_closed".into();
    feature["properties"]["verified_at"] = "2025-06-05".into();
    let created = app
        .send(
            "POST",
            "/collections/assets/items",
            Some(&feature),
            Some(ADMIN_TOKEN),
            &[],
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let location = created.header("location").unwrap();
    let path = &location[app.address.len()..];

    let page = app.get_with(path, Some(BROWSER)).await;
    assert_page(&page, "one asset");
    let b = &page.body;
    let escaped = "&#60;b&#62;Tom &#38; Jerry&#39;s&#60;/b&#62; &#34;singers&#34;";
    assert!(b.contains(&format!("<h1><bdi>{escaped}</bdi></h1>")), "{b}");
    assert!(
        b.contains(&format!("<title>{escaped} – assetmap</title>")),
        "{b}"
    );
    assert!(!b.contains("<b>Tom"), "the name is text, not markup");
    for want in [
        "<a href=\"tel:01619123168\">0161 912 3168</a>",
        "<a href=\"mailto:sing@example.org\">sing@example.org</a>",
        "<a href=\"https://example.org/sing?a=1&#38;b=2\" rel=\"noopener noreferrer\">",
        "Tuesday 18:30–20:30",
        "Low cost (£2 a session)",
        "Step-free access, Hearing loop",
        "ages 16 and over",
        "English",
        "Arts &#38; heritage",
        "Association",
        "M33 7XY",
        "<strong>Temporarily closed</strong>",
        "5 June 2025",
        "assetmap tests",
        "OGL-3.0",
    ] {
        assert!(b.contains(want), "the page lacks {want:?}:\n{b}");
    }
    let id = &path["/collections/assets/items/".len()..];
    assert!(b.contains(&format!("href=\"/collections/assets/items/{id}?f=json\"")));
    assert!(
        b.contains(&format!(
            "href=\"/#asset={id}&#38;map=16.00/53.42420/-2.31830\""
        )),
        "the map opens on it: {b}"
    );

    // The list shows it, escaped the same way, linked to its page.
    let list = app
        .get("/collections/assets/items?f=html&status=temporarily_closed&limit=100")
        .await;
    assert_page(&list, "the list");
    assert!(list.body.contains(&format!(
        "<a href=\"/collections/assets/items/{id}\"><bdi>{escaped}</bdi></a>"
    )));
    assert!(!list.body.contains("<b>Tom"));

    // Unknown: 404 for browsers (a page saying so) and JSON clients (a problem document).
    let missing = app
        .get_with("/collections/assets/items/nope:1", Some(BROWSER))
        .await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.content_type, "text/html; charset=utf-8");
    assert!(missing
        .header("content-security-policy")
        .unwrap()
        .contains("style-src 'self'"));
    assert!(
        missing.body.contains("<h1>This place is not listed</h1>"),
        "{}",
        missing.body
    );
    assert!(missing
        .body
        .contains("There is no asset with id &#39;nope:1&#39;."));
    let missing = app.get("/collections/assets/items/nope:1?f=html").await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.content_type, "text/html; charset=utf-8");
    let missing = app.get("/collections/assets/items/nope:1").await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.content_type, "application/problem+json");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging_links_keep_the_filters_and_the_count_is_the_jsons() {
    let app = spawn_app(TestStore::GeoPackage).await;
    let json = app
        .get("/collections/assets/items?category=learning&limit=2")
        .await
        .json();
    let matched = json["numberMatched"].as_u64().unwrap();
    assert!(matched > 4, "enough to page through: {matched}");

    let first = app
        .get("/collections/assets/items?category=learning&limit=2&f=html")
        .await;
    assert_page(&first, "first page");
    assert!(first
        .body
        .contains(&format!("{matched} assets match; this page shows 1 to 2")));
    assert!(first.body.contains("<caption>Assets 1 to 2 of "));
    assert!(first.body.contains("<th scope=\"col\">Name</th>"));
    assert_eq!(link_target(&first.body, "prev"), None);
    let next = link_target(&first.body, "next").unwrap();
    assert_eq!(
        next,
        "/collections/assets/items?category=learning&limit=2&offset=2&f=html"
    );
    assert!(first
        .body
        .contains("href=\"/collections/assets/items?category=learning&#38;limit=2&#38;offset=0&#38;f=json\">GeoJSON</a>"));

    let second = app.get_with(&next, Some(BROWSER)).await;
    assert_page(&second, "second page");
    assert!(second.body.contains("this page shows 3 to 4"));
    let prev = link_target(&second.body, "prev").unwrap();
    assert_eq!(
        prev,
        "/collections/assets/items?category=learning&limit=2&offset=0&f=html"
    );

    // The same for areas, and their figures as CSV with the same summary parameters.
    let areas = app
        .get("/collections/areas-ward/items?f=html&limit=3&category=food&walk_m=1000")
        .await;
    assert_page(&areas, "areas");
    let next = link_target(&areas.body, "next").unwrap();
    assert_eq!(
        next,
        "/collections/areas-ward/items?category=food&walk_m=1000&limit=3&offset=3&f=html"
    );
    assert!(areas
        .body
        .contains("href=\"/areas/ward/summary.csv?category=food&#38;walk_m=1000\">CSV</a>"));
    assert!(areas
        .body
        .contains("<th scope=\"col\" class=\"num\">Population</th>"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_data_page_lists_what_downloads_lists_and_downloads_and_api_answer_browsers_in_html() {
    let app = spawn_app(TestStore::GeoPackage).await;
    // JSON clients: the index as before (the default, and f=json even from a browser).
    let json = app.get("/downloads").await;
    assert_eq!(json.status, 200);
    assert_eq!(json.content_type, "application/json");
    let also = app.get_with("/downloads?f=json", Some(BROWSER)).await;
    assert_eq!(also.content_type, "application/json");
    assert_eq!(also.body, json.body);
    let none = app.get_with("/downloads", None).await;
    assert_eq!(none.body, json.body, "no Accept header: JSON");
    assert!(json.header("vary").is_some_and(|v| v.contains("Accept")));
    let index = json.json();

    // Browsers: the Data and API page, the same at /data.
    let pages = [
        ("/data", app.get_with("/data", Some(BROWSER)).await),
        (
            "/downloads (browser)",
            app.get_with("/downloads", Some(BROWSER)).await,
        ),
        ("/downloads?f=html", app.get("/downloads?f=html").await),
    ];
    for (what, r) in &pages {
        assert_page(r, what);
        let body = &r.body;
        assert!(body.contains("<h1>Data and API</h1>"), "{what}");
        for d in index["downloads"].as_array().unwrap() {
            assert!(
                body.contains(&d["title"].as_str().unwrap().replace('\'', "&#39;")),
                "{what}: {}",
                d["title"]
            );
            for f in d["files"].as_array().unwrap() {
                let href = f["href"].as_str().unwrap();
                assert!(
                    body.contains(&format!("href=\"{href}\" download")),
                    "{what}: {href}"
                );
            }
        }
        let n = index["downloads"][0]["assets"].as_u64().unwrap();
        let sized = format!("{},{:03} places", n / 1000, n % 1000);
        assert!(n >= 1000 && body.contains(&sized), "{what}: {sized}");
        for part in [
            ">GeoPackage</a>",
            "Open a download in QGIS",
            "Open a download in Excel",
            "href=\"/api\"",
            "href=\"/collections?f=html\"",
            "href=\"/oruk\"",
            "Open Government Licence v3.0",
            "<link rel=\"icon\" href=\"/static/favicon.svg\"",
        ] {
            assert!(body.contains(part), "{what}: {part}");
        }
    }
    // A GeoPackage link from the page downloads a GeoPackage.
    let page = &pages[0].1.body;
    let start = page.find("href=\"").unwrap();
    let gpkg = page[start..]
        .split("href=\"")
        .map(|s| &s[..s.find('"').unwrap_or(0)])
        .find(|h| h.ends_with("/downloads/assets.gpkg"))
        .unwrap()
        .to_owned();
    let path = &gpkg[gpkg.find("/downloads/").unwrap()..];
    let file = app.download(path).await;
    assert_eq!(file.status, 200);
    assert!(file.body.starts_with(b"SQLite format 3\0"));

    // Sizes: the whole file's, as downloaded (a row per file: format, size, …).
    let ward_csv = app.download("/downloads/areas-ward.csv").await;
    assert_eq!(ward_csv.status, 200);
    let n = ward_csv.body.len();
    assert!(n < 1_000_000);
    let want = format!("<td>about {} KB</td>", n.div_ceil(1000));
    let row = page
        .split("<tr>")
        .find(|r| r.contains("/downloads/areas-ward.csv\""))
        .unwrap();
    assert!(row.contains(&want), "{want} in {row}");
    let gpkg_row = page
        .split("<tr>")
        .find(|r| r.contains("/downloads/assets.gpkg\""))
        .unwrap();
    assert!(
        gpkg_row.contains("<td>built when you ask</td>"),
        "{gpkg_row}"
    );

    assert_eq!(app.get("/downloads?f=xml").await.status, 400);
    assert_eq!(
        app.get_with("/data?f=json", Some(BROWSER)).await.status,
        400
    );

    // /api: the documentation for a browser, the OpenAPI document for clients.
    let doc = app.get_with("/api", Some(BROWSER)).await;
    assert_eq!(doc.status, 200);
    assert!(doc.content_type.starts_with("text/html"));
    assert!(doc.body.contains("<main>") && doc.body.contains("href=\"/data\""));
    let api = app.get("/api").await;
    assert!(api
        .content_type
        .starts_with("application/vnd.oai.openapi+json"));
    assert!(api.json()["paths"]["/data"]["get"].is_object());
    let api_f = app.get_with("/api?f=json", Some(BROWSER)).await;
    assert_eq!(api_f.body, api.body);

    // The way in: the map page's footer and every server page's navigation.
    let map = app.get_with("/static/index.html", Some(BROWSER)).await;
    assert!(map.body.contains("<a href=\"/data\">Data and API</a>"));
    assert!(map.body.contains("href=\"/static/favicon.svg\""));
    let collections = app.get_with("/collections", Some(BROWSER)).await;
    assert!(collections
        .body
        .contains("<a href=\"/data\">Data and API</a>"));
}
