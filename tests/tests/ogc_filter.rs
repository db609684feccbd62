//! OGC API Features Part 3 on the assets collection: `filter` in cql2-text and cql2-json gives
//! the assets a brute-force evaluation of the same condition picks from the whole collection
//! (worked out here from the features themselves), on both stores; `filter-crs` in British
//! National Grid; the queryables document; bad filters are 400s naming the position.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use assetmap_core::{crs::wgs84_to_national_grid, LonLat};
use assetmap_tests::{sample_feature, spawn_app, url_encode, TestApp, TestStore};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// Every status, so that the brute force sees the same assets as the filter.
const ALL_STATUSES: &str = "status=active,temporarily_closed,closed";

fn text<'a>(f: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut v = &f["properties"];
    for p in path {
        v = &v[*p];
    }
    v.as_str()
}

fn number(f: &Value, path: &[&str]) -> Option<f64> {
    let mut v = &f["properties"];
    for p in path {
        v = &v[*p];
    }
    v.as_f64()
}

fn list<'a>(f: &'a Value, name: &str) -> Vec<&'a str> {
    f["properties"][name]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn lon_lat(f: &Value) -> (f64, f64) {
    let c = &f["geometry"]["coordinates"];
    (c[0].as_f64().unwrap(), c[1].as_f64().unwrap())
}

fn in_box(f: &Value, w: f64, s: f64, e: f64, n: f64) -> bool {
    let (x, y) = lon_lat(f);
    (w..=e).contains(&x) && (s..=n).contains(&y)
}

/// Whether the point is inside the ring (even-odd rule; points exactly on an edge do not
/// occur in the data).
fn in_ring(f: &Value, ring: &[(f64, f64)]) -> bool {
    let (x, y) = lon_lat(f);
    let mut inside = false;
    for i in 0..ring.len() - 1 {
        let ((x0, y0), (x1, y1)) = (ring[i], ring[i + 1]);
        if (y0 > y) != (y1 > y) && x < x0 + (y - y0) / (y1 - y0) * (x1 - x0) {
            inside = !inside;
        }
    }
    inside
}

type Oracle = Box<dyn Fn(&Value) -> bool>;

/// One row: the filter as cql2-text, as cql2-json, and the same condition in Rust.
struct Case {
    text: String,
    json: Value,
    oracle: Oracle,
}

fn case(text: impl Into<String>, json: Value, oracle: impl Fn(&Value) -> bool + 'static) -> Case {
    Case {
        text: text.into(),
        json,
        oracle: Box::new(oracle),
    }
}

fn prop(name: &str) -> Value {
    json!({"property": name})
}

fn op(name: &str, args: Value) -> Value {
    json!({"op": name, "args": args})
}

/// The table. `some` is a real feature, so that equality on an id, a name and a point finds
/// something.
fn cases(some: &Value) -> Vec<Case> {
    let some_id = some["id"].as_str().unwrap().to_owned();
    let some_name = text(some, &["name"]).unwrap().to_owned();
    let (px, py) = lon_lat(some);
    let triangle = [
        (-2.40, 53.40),
        (-2.30, 53.40),
        (-2.30, 53.46),
        (-2.40, 53.40),
    ];
    let outer = [
        (-2.40, 53.40),
        (-2.25, 53.40),
        (-2.25, 53.48),
        (-2.40, 53.48),
        (-2.40, 53.40),
    ];
    let hole = [
        (-2.35, 53.43),
        (-2.30, 53.43),
        (-2.30, 53.46),
        (-2.35, 53.46),
        (-2.35, 53.43),
    ];
    let wkt = |ring: &[(f64, f64)]| {
        ring.iter()
            .map(|(x, y)| format!("{x} {y}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let gj = |ring: &[(f64, f64)]| json!(ring.iter().map(|(x, y)| [*x, *y]).collect::<Vec<_>>());
    let name_is = some_name.clone();
    let id_is = some_id.clone();
    vec![
        case(
            format!("name = '{}'", some_name.replace('\'', "''")),
            op("=", json!([prop("name"), some_name])),
            move |f| text(f, &["name"]) == Some(name_is.as_str()),
        ),
        case(
            format!("id = '{some_id}'"),
            op("=", json!([prop("id"), some_id])),
            move |f| f["id"].as_str() == Some(id_is.as_str()),
        ),
        case(
            "name <> 'Sale Library'",
            op("<>", json!([prop("name"), "Sale Library"])),
            |f| text(f, &["name"]) != Some("Sale Library"),
        ),
        case(
            "name LIKE '%Library'",
            op("like", json!([prop("name"), "%Library"])),
            |f| text(f, &["name"]).unwrap().ends_with("Library"),
        ),
        case(
            "name LIKE 'St_%'",
            op("like", json!([prop("name"), "St_%"])),
            |f| {
                let n = text(f, &["name"]).unwrap();
                n.starts_with("St") && n.chars().count() >= 3
            },
        ),
        case(
            "name NOT LIKE '%School%'",
            op("not", json!([op("like", json!([prop("name"), "%School%"]))])),
            |f| !text(f, &["name"]).unwrap().contains("School"),
        ),
        case(
            "CASEI(name) LIKE CASEI('%LIBRARY%')",
            op(
                "like",
                json!([op("casei", json!([prop("name")])), op("casei", json!(["%LIBRARY%"]))]),
            ),
            |f| text(f, &["name"]).unwrap().to_lowercase().contains("library"),
        ),
        case(
            "CASEI(name) = CASEI('sale library')",
            op(
                "=",
                json!([op("casei", json!([prop("name")])), op("casei", json!(["sale library"]))]),
            ),
            |f| text(f, &["name"]).unwrap().to_lowercase() == "sale library",
        ),
        case(
            "name > 'T'",
            op(">", json!([prop("name"), "T"])),
            |f| text(f, &["name"]).unwrap() > "T",
        ),
        case(
            "abcd_type = 'association'",
            op("=", json!([prop("abcd_type"), "association"])),
            |f| text(f, &["abcd_type"]) == Some("association"),
        ),
        case(
            "abcd_type IN ('association', 'economy')",
            op("in", json!([prop("abcd_type"), ["association", "economy"]])),
            |f| matches!(text(f, &["abcd_type"]), Some("association" | "economy")),
        ),
        case(
            "abcd_type NOT IN ('physical_space')",
            op("not", json!([op("in", json!([prop("abcd_type"), ["physical_space"]]))])),
            |f| text(f, &["abcd_type"]) != Some("physical_space"),
        ),
        case(
            "postcode IS NULL",
            op("isNull", json!([prop("postcode")])),
            |f| text(f, &["postcode"]).is_none(),
        ),
        case(
            "postcode IS NOT NULL AND postcode LIKE 'M33%'",
            op(
                "and",
                json!([
                    op("not", json!([op("isNull", json!([prop("postcode")]))])),
                    op("like", json!([prop("postcode"), "M33%"]))
                ]),
            ),
            |f| text(f, &["postcode"]).is_some_and(|p| p.starts_with("M33")),
        ),
        case(
            "description IS NULL OR address IS NULL",
            op(
                "or",
                json!([
                    op("isNull", json!([prop("description")])),
                    op("isNull", json!([prop("address")]))
                ]),
            ),
            |f| text(f, &["description"]).is_none() || text(f, &["address"]).is_none(),
        ),
        case(
            "audience.min_age >= 11",
            op(">=", json!([prop("audience.min_age"), 11])),
            |f| number(f, &["audience", "min_age"]).is_some_and(|a| a >= 11.0),
        ),
        case(
            "audience.min_age BETWEEN 3 AND 5",
            op("between", json!([prop("audience.min_age"), 3, 5])),
            |f| number(f, &["audience", "min_age"]).is_some_and(|a| (3.0..=5.0).contains(&a)),
        ),
        case(
            // Unknown ages are neither in nor out of the range: NOT keeps them out.
            "audience.min_age NOT BETWEEN 3 AND 5",
            op("not", json!([op("between", json!([prop("audience.min_age"), 3, 5]))])),
            |f| number(f, &["audience", "min_age"]).is_some_and(|a| !(3.0..=5.0).contains(&a)),
        ),
        case(
            "NOT (audience.min_age < 5)",
            op("not", json!([op("<", json!([prop("audience.min_age"), 5]))])),
            |f| number(f, &["audience", "min_age"]).is_some_and(|a| a >= 5.0),
        ),
        case(
            "audience.min_age < audience.max_age",
            op("<", json!([prop("audience.min_age"), prop("audience.max_age")])),
            |f| {
                match (number(f, &["audience", "min_age"]), number(f, &["audience", "max_age"])) {
                    (Some(a), Some(b)) => a < b,
                    _ => false,
                }
            },
        ),
        case(
            "cost.band = 'free'",
            op("=", json!([prop("cost.band"), "free"])),
            |f| text(f, &["cost", "band"]) == Some("free"),
        ),
        case(
            "cost.band IN ('free', 'low') OR cost.band IS NULL",
            op(
                "or",
                json!([
                    op("in", json!([prop("cost.band"), ["free", "low"]])),
                    op("isNull", json!([prop("cost.band")]))
                ]),
            ),
            |f| matches!(text(f, &["cost", "band"]), None | Some("free" | "low")),
        ),
        case(
            "A_CONTAINS(categories, ('faith'))",
            op("a_contains", json!([prop("categories"), ["faith"]])),
            |f| list(f, "categories").contains(&"faith"),
        ),
        case(
            "A_OVERLAPS(categories, ('food', 'mental_wellbeing'))",
            op("a_overlaps", json!([prop("categories"), ["food", "mental_wellbeing"]])),
            |f| {
                list(f, "categories")
                    .iter()
                    .any(|c| *c == "food" || *c == "mental_wellbeing")
            },
        ),
        case(
            "A_CONTAINEDBY(categories, ('physical_activity_sport', 'green_space_nature'))",
            op(
                "a_containedBy",
                json!([prop("categories"), ["physical_activity_sport", "green_space_nature"]]),
            ),
            |f| {
                list(f, "categories")
                    .iter()
                    .all(|c| *c == "physical_activity_sport" || *c == "green_space_nature")
            },
        ),
        case(
            "A_EQUALS(access, ('parking', 'accessible_toilet'))",
            op("a_equals", json!([prop("access"), ["parking", "accessible_toilet"]])),
            |f| {
                let a: BTreeSet<&str> = list(f, "access").into_iter().collect();
                a == BTreeSet::from(["parking", "accessible_toilet"])
            },
        ),
        case(
            "categories = 'learning'",
            op("=", json!([prop("categories"), "learning"])),
            |f| list(f, "categories").contains(&"learning"),
        ),
        case(
            "tags LIKE '%club%'",
            op("like", json!([prop("tags"), "%club%"])),
            |f| list(f, "tags").iter().any(|t| t.contains("club")),
        ),
        case(
            "provenance.source LIKE 'Ordnance Survey%'",
            op("like", json!([prop("provenance.source"), "Ordnance Survey%"])),
            |f| text(f, &["provenance", "source"]).is_some_and(|s| s.starts_with("Ordnance Survey")),
        ),
        case(
            "S_INTERSECTS(geometry, BBOX(-2.35, 53.40, -2.30, 53.45))",
            op("s_intersects", json!([prop("geometry"), {"bbox": [-2.35, 53.40, -2.30, 53.45]}])),
            |f| in_box(f, -2.35, 53.40, -2.30, 53.45),
        ),
        case(
            "S_DISJOINT(geometry, BBOX(-2.35, 53.40, -2.30, 53.45))",
            op("s_disjoint", json!([prop("geometry"), {"bbox": [-2.35, 53.40, -2.30, 53.45]}])),
            |f| !in_box(f, -2.35, 53.40, -2.30, 53.45),
        ),
        case(
            format!("S_INTERSECTS(geometry, POLYGON(({})))", wkt(&triangle)),
            op(
                "s_intersects",
                json!([prop("geometry"), {"type": "Polygon", "coordinates": [gj(&triangle)]}]),
            ),
            move |f| in_ring(f, &triangle),
        ),
        case(
            format!("S_WITHIN(geometry, POLYGON(({}), ({})))", wkt(&outer), wkt(&hole)),
            op(
                "s_within",
                json!([prop("geometry"), {"type": "Polygon", "coordinates": [gj(&outer), gj(&hole)]}]),
            ),
            move |f| in_ring(f, &outer) && !in_ring(f, &hole),
        ),
        case(
            format!(
                "S_INTERSECTS(geometry, MULTIPOLYGON((({})), (({}))))",
                wkt(&triangle),
                wkt(&hole)
            ),
            op(
                "s_intersects",
                json!([prop("geometry"), {"type": "MultiPolygon", "coordinates": [[gj(&triangle)], [gj(&hole)]]}]),
            ),
            move |f| in_ring(f, &triangle) || in_ring(f, &hole),
        ),
        case(
            format!("S_INTERSECTS(geometry, POINT({px} {py}))"),
            op(
                "s_intersects",
                json!([prop("geometry"), {"type": "Point", "coordinates": [px, py]}]),
            ),
            move |f| lon_lat(f) == (px, py),
        ),
        case(
            "NOT (abcd_type = 'association' OR A_CONTAINS(categories, ('faith'))) AND postcode LIKE 'M%'",
            op(
                "and",
                json!([
                    op(
                        "not",
                        json!([op(
                            "or",
                            json!([
                                op("=", json!([prop("abcd_type"), "association"])),
                                op("a_contains", json!([prop("categories"), ["faith"]]))
                            ])
                        )])
                    ),
                    op("like", json!([prop("postcode"), "M%"]))
                ]),
            ),
            |f| {
                !(text(f, &["abcd_type"]) == Some("association")
                    || list(f, "categories").contains(&"faith"))
                    && text(f, &["postcode"]).is_some_and(|p| p.starts_with('M'))
            },
        ),
        case(
            "FALSE OR name LIKE 'A%'",
            op("or", json!([false, op("like", json!([prop("name"), "A%"]))])),
            |f| text(f, &["name"]).unwrap().starts_with('A'),
        ),
        case(
            "version = 1 AND verified_at IS NULL",
            op(
                "and",
                json!([
                    op("=", json!([prop("version"), 1])),
                    op("isNull", json!([prop("verified_at")]))
                ]),
            ),
            |f| number(f, &["version"]) == Some(1.0) && text(f, &["verified_at"]).is_none(),
        ),
        case(
            "created_at <= updated_at AND updated_at < TIMESTAMP('2100-01-01T00:00:00Z')",
            op(
                "and",
                json!([
                    op("<=", json!([prop("created_at"), prop("updated_at")])),
                    op("<", json!([prop("updated_at"), {"timestamp": "2100-01-01T00:00:00Z"}]))
                ]),
            ),
            |f| text(f, &["created_at"]) <= text(f, &["updated_at"]),
        ),
    ]
}

/// The ids a filter selects (every status, every page).
async fn ids(app: &TestApp, query: &str) -> BTreeSet<String> {
    let r = app
        .get(&format!(
            "/collections/assets/items?limit=10000&{ALL_STATUSES}&{query}"
        ))
        .await;
    assert_eq!(r.status, 200, "{query}: {}", r.body);
    let doc = r.json();
    let features = doc["features"].as_array().unwrap();
    assert_eq!(
        doc["numberMatched"].as_u64().unwrap() as usize,
        features.len()
    );
    features
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn filters_equal_brute_force(store: TestStore) {
    let app = spawn_app(store).await;
    let all = app
        .get(&format!(
            "/collections/assets/items?limit=10000&{ALL_STATUSES}"
        ))
        .await
        .json();
    let features = all["features"].as_array().unwrap();
    assert!(features.len() > 1000, "the bundled data");
    let table = cases(&features[features.len() / 2]);
    assert!(table.len() >= 30);
    let mut selective = 0;
    for c in &table {
        let expected: BTreeSet<String> = features
            .iter()
            .filter(|f| (c.oracle)(f))
            .map(|f| f["id"].as_str().unwrap().to_owned())
            .collect();
        let by_text = ids(&app, &format!("filter={}", url_encode(&c.text))).await;
        assert_eq!(by_text, expected, "cql2-text: {}", c.text);
        let by_json = ids(
            &app,
            &format!(
                "filter-lang=cql2-json&filter={}",
                url_encode(&c.json.to_string())
            ),
        )
        .await;
        assert_eq!(by_json, expected, "cql2-json: {}", c.json);
        if !expected.is_empty() && expected.len() < features.len() {
            selective += 1;
        }
    }
    // The table is worth something only if its filters pick out some assets, not none or all.
    assert!(
        selective >= 30,
        "only {selective} filters select a proper subset"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_equal_brute_force_on_the_geopackage_store() {
    filters_equal_brute_force(TestStore::GeoPackage).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_equal_brute_force_on_postgis() {
    filters_equal_brute_force(TestStore::Postgis).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filter_crs_national_grid_box() {
    let app = spawn_app(TestStore::GeoPackage).await;
    let all = app
        .get(&format!(
            "/collections/assets/items?limit=10000&{ALL_STATUSES}"
        ))
        .await
        .json();
    // A box around Sale and Altrincham, in National Grid metres.
    let (w, s, e, n) = (374_000.0, 388_000.0, 381_000.0, 393_000.0);
    let expected: BTreeSet<String> = all["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            let (lon, lat) = lon_lat(f);
            let [x, y] = wgs84_to_national_grid(LonLat::new(lon, lat).unwrap()).unwrap();
            (w..=e).contains(&x) && (s..=n).contains(&y)
        })
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(expected.len() > 50, "{}", expected.len());
    let crs = url_encode("http://www.opengis.net/def/crs/EPSG/0/27700");
    let by_box = ids(
        &app,
        &format!(
            "filter-crs={crs}&filter={}",
            url_encode(&format!("S_INTERSECTS(geometry, BBOX({w}, {s}, {e}, {n}))"))
        ),
    )
    .await;
    assert_eq!(by_box, expected);
    let by_polygon = ids(
        &app,
        &format!(
            "filter-crs={crs}&filter-lang=cql2-json&filter={}",
            url_encode(
                &op(
                    "s_within",
                    json!([prop("geometry"), {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}])
                )
                .to_string()
            )
        ),
    )
    .await;
    assert_eq!(by_polygon, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_filters_are_400s_naming_the_position() {
    let app = spawn_app(TestStore::GeoPackage).await;
    for (query, param, says) in [
        ("filter=name%20%3D%20", "filter", "character"),
        ("filter=colour%20%3D%20'red'", "filter", "character 1"),
        ("filter=name%20%3D%203", "filter", "character"),
        ("filter=status%20%3D%20'open'", "filter", "active, temporarily_closed, closed"),
        ("filter=name%20LIKE%203", "filter", "character"),
        (
            "filter=T_AFTER(updated_at%2C%20TIMESTAMP('2024-01-01T00%3A00%3A00Z'))",
            "filter",
            "temporal",
        ),
        (
            "filter-lang=cql2-json&filter=%7B%22op%22%3A%22%3D%22%2C%22args%22%3A%5B%7B%22property%22%3A%22nmae%22%7D%2C%22x%22%5D%7D",
            "filter",
            "/args/0",
        ),
        ("filter-lang=cql2-json&filter=%7B%22op%22", "filter", "column"),
        ("filter-lang=cql3&filter=TRUE", "filter-lang", "cql2-text"),
        ("filter-crs=EPSG%3A4326&filter=TRUE", "filter-crs", "27700"),
        ("filter-lang=cql2-text", "filter", "give one"),
    ] {
        let r = app.get(&format!("/collections/assets/items?{query}")).await;
        assert_eq!(r.status, 400, "{query}: {}", r.body);
        assert_eq!(
            r.header("content-type"),
            Some("application/problem+json"),
            "{query}"
        );
        let doc = r.json();
        assert_eq!(doc["invalid_params"][0]["name"], param, "{query}: {doc}");
        let reason = doc["invalid_params"][0]["reason"].as_str().unwrap();
        assert!(reason.contains(says), "{query}: {reason}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filter_on_status_replaces_the_default() {
    let app = spawn_app(TestStore::GeoPackage).await;
    let mut feature = sample_feature("Closed choir for the filter test");
    feature["properties"]["status"] = json!("closed");
    let r = app.create(&feature).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let by_name = url_encode("name = 'Closed choir for the filter test'");
    let found = |q: String| {
        let app = &app;
        async move {
            let doc = app
                .get(&format!("/collections/assets/items?{q}"))
                .await
                .json();
            doc["numberMatched"].as_u64().unwrap()
        }
    };
    // Closed assets are hidden unless the request speaks of status.
    assert_eq!(found(format!("filter={by_name}")).await, 0);
    let closed = url_encode("name = 'Closed choir for the filter test' AND status = 'closed'");
    assert_eq!(found(format!("filter={closed}")).await, 1);
    assert_eq!(found(format!("filter={by_name}&status=closed")).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queryables_describe_what_filters_accept() {
    let app = spawn_app(TestStore::GeoPackage).await;
    let collection = app.get("/collections/assets").await.json();
    let link = collection["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "http://www.opengis.net/def/rel/ogc/1.0/queryables")
        .expect("a queryables link");
    assert_eq!(link["type"], "application/schema+json");
    let r = app.get("/collections/assets/queryables").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/schema+json"));
    let doc = r.json();
    assert_eq!(doc["type"], "object");
    assert!(doc["$id"]
        .as_str()
        .unwrap()
        .ends_with("/collections/assets/queryables"));
    let props = doc["properties"].as_object().unwrap();
    assert_eq!(props["name"]["type"], "string");
    assert_eq!(props["geometry"]["x-ogc-role"], "primary-geometry");
    assert_eq!(props["categories"]["type"], "array");
    assert!(props["status"]["enum"]
        .as_array()
        .unwrap()
        .contains(&json!("temporarily_closed")));
    // Every queryable can be used in a filter (IS NULL accepts any type).
    for name in props.keys() {
        let r = app
            .get(&format!(
                "/collections/assets/items?limit=1&filter={}",
                url_encode(&format!("{name} IS NULL OR TRUE"))
            ))
            .await;
        assert_eq!(r.status, 200, "{name}: {}", r.body);
    }
    let conformance = app.get("/conformance").await.json();
    let classes: Vec<&str> = conformance["conformsTo"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for class in [
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
        "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
        "http://www.opengis.net/spec/cql2/1.0/conf/array-functions",
    ] {
        assert!(classes.contains(&class), "{class}");
    }
    assert!(!classes.iter().any(|c| c.ends_with("temporal-functions")));
}
