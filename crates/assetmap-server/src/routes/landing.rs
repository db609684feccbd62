//! OGC API - Features Part 1 core: landing page, conformance, collections.

use crate::collections::collection_ids;
use crate::errors::ApiError;
use crate::html::render;
use crate::http::{base_url, json_response, Format};
use crate::params::Params;
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use assetmap_core::Crs;
use assetmap_index::AreaLevel;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};

/// Conformance classes implemented.
pub const CONFORMANCE: &[&str] = &[
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    // Every resource of Part 1 as HTML too (`f=html` or `Accept: text/html`): the landing page
    // (the map), /conformance, /collections, each collection, items and one item; the API
    // definition as /api.html (tests/tests/html_pages.rs).
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    // Part 2: `crs` on every collection's items and features, `bbox-crs` on every item list,
    // `Content-Crs`, `crs` and `storageCrs` in each collection (tests/tests/crs.rs).
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    // Part 3 and CQL2: `filter` on the assets collection, evaluated by the engine
    // (assetmap-index predicate.rs); tests/tests/ogc_filter.rs checks each class against a
    // brute-force evaluation. Not implemented: temporal functions, other functions,
    // arithmetic, accent-insensitive comparison.
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/array-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/property-property",
];

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(landing))
        .route("/conformance", web::get().to(conformance))
        .route("/collections", web::get().to(collections))
        .route("/collections/{collection}", web::get().to(collection))
        .route("/api", web::get().to(api))
        .route("/api.html", web::get().to(api_html));
}

async fn landing(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let p = Params::parse(req.query_string(), &["f"])?;
    if Format::negotiate(&req, &p)? == Format::Html {
        return Ok(super::site::index_page());
    }
    let base = base_url(&req);
    Ok(json_response(
        "application/json",
        &json!({
            "title": state.settings.title,
            "description": "Community assets — groups, clubs, venues, services, green spaces — as OGC API Features, with coordinator search near a postcode.",
            "links": [
                {"href": format!("{base}/?f=json"), "rel": "self", "type": "application/json", "title": "This document"},
                {"href": format!("{base}/?f=html"), "rel": "alternate", "type": "text/html", "title": "The map"},
                {"href": format!("{base}/api"), "rel": "service-desc", "type": "application/vnd.oai.openapi+json;version=3.0", "title": "The API definition"},
                {"href": format!("{base}/api.html"), "rel": "service-doc", "type": "text/html", "title": "The API documentation"},
                {"href": format!("{base}/conformance"), "rel": "conformance", "type": "application/json", "title": "Conformance classes"},
                {"href": format!("{base}/collections"), "rel": "data", "type": "application/json", "title": "Collections"},
                {"href": format!("{base}/vocabulary"), "rel": "describedby", "type": "application/json", "title": "Categories, ABCD types and access features"},
                {"href": format!("{base}/health"), "rel": "status", "type": "application/json", "title": "Health"}
            ]
        }),
    ))
}

async fn conformance(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let p = Params::parse(req.query_string(), &["f"])?;
    if Format::negotiate(&req, &p)? == Format::Html {
        return render(&ConformancePage {
            title: "Conformance".to_owned(),
            classes: CONFORMANCE.to_vec(),
        });
    }
    let base = base_url(&req);
    Ok(json_response(
        "application/json",
        &json!({
            "conformsTo": CONFORMANCE,
            "links": [
                {"href": format!("{base}/conformance"), "rel": "self", "type": "application/json", "title": "This document"},
                {"href": format!("{base}/conformance?f=html"), "rel": "alternate", "type": "text/html", "title": "This document as HTML"}
            ]
        }),
    ))
}

/// `/conformance` as a page (`templates/conformance.html`).
#[derive(askama::Template)]
#[template(path = "conformance.html")]
struct ConformancePage {
    title: String,
    classes: Vec<&'static str>,
}

/// The collection document for `id`, or `None` when there is no such collection.
fn collection_doc(base: &str, id: &str, state: &AppState) -> Option<Value> {
    let crs: Vec<&str> = Crs::ALL.iter().map(|c| c.uri()).collect();
    let (title, description, extent) = if id == "assets" {
        let extent = state.engine().extent();
        let bbox = extent.map_or([-180.0, -90.0, 180.0, 90.0], |e| e.bbox);
        let updated = extent.map(|e| e.updated);
        let instant = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::AutoSi, true);
        let interval = match updated {
            Some((lo, hi)) => json!([instant(lo), instant(hi)]),
            None => json!([null, null]),
        };
        (
            "Community assets".to_owned(),
            "Groups, clubs, venues, services, green spaces and more, with opening times, cost, access and audience. The temporal extent and the datetime parameter are of updated_at, when each record was last changed.".to_owned(),
            json!({
                "spatial": {"bbox": [bbox], "crs": crs[0]},
                "temporal": {"interval": [interval], "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}
            }),
        )
    } else {
        let level = AreaLevel::parse(id.strip_prefix("areas-")?)?;
        let title = state.place.level_title(level);
        let bbox = state
            .place
            .extent(level)
            .unwrap_or([-180.0, -90.0, 180.0, 90.0]);
        (
            title.clone(),
            format!("{title} boundaries with ONS codes and names, mid-2024 population, asset counts and rates per 1,000 residents, access (share of postcodes within walk_m of each category, median distance), asset deserts and census 2021 need; parameters category, walk_m, desert_share. The same figures as CSV: /areas/{}/summary.csv. The boundaries have no time: datetime selects every area.", level.slug()),
            json!({"spatial": {"bbox": [bbox], "crs": crs[0]}}),
        )
    };
    let mut doc = json!({
        "id": id,
        "title": title,
        "description": description,
        "itemType": "feature",
        "crs": crs,
        "storageCrs": Crs::Crs84.uri(),
        "extent": extent,
        "links": [
            {"href": format!("{base}/collections/{id}"), "rel": "self", "type": "application/json", "title": "This collection"},
            {"href": format!("{base}/collections/{id}?f=html"), "rel": "alternate", "type": "text/html", "title": "This collection as HTML"},
            {"href": format!("{base}/collections/{id}/items"), "rel": "items", "type": "application/geo+json", "title": "Items"}
        ]
    });
    if id == "assets" {
        if let Some(links) = doc["links"].as_array_mut() {
            // `describedby` as registered; `describedBy` too, because GDAL 3.6 (Debian 12's)
            // compares the relation type case-sensitively with that spelling (RFC 8288 says
            // relation types compare case-insensitively, so both name the same relation).
            for rel in ["describedby", "describedBy"] {
                links.push(json!({"href": format!("{base}/collections/assets/schema"), "rel": rel, "type": crate::http::SCHEMA_JSON, "title": "Its features, as JSON Schema"}));
            }
            links.push(json!({"href": format!("{base}/collections/assets/queryables"), "rel": "http://www.opengis.net/def/rel/ogc/1.0/queryables", "type": crate::http::SCHEMA_JSON, "title": "What a filter can name"}));
            links.push(json!({"href": format!("{base}/collections/assets/tiles"), "rel": "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector", "type": "application/json", "title": "Vector tiles of the assets"}));
        }
    }
    Some(doc)
}

async fn collections(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let p = Params::parse(req.query_string(), &["f"])?;
    let format = Format::negotiate(&req, &p)?;
    let base = base_url(&req);
    let list: Vec<Value> = collection_ids()
        .iter()
        .filter_map(|id| collection_doc(&base, id, &state))
        .collect();
    if format == Format::Html {
        let page = CollectionsPage {
            title: "Collections".to_owned(),
            collections: list.iter().map(CollectionView::from_doc).collect(),
        };
        return render(&page);
    }
    Ok(json_response(
        "application/json",
        &json!({
            "links": [
                {"href": format!("{base}/collections"), "rel": "self", "type": "application/json", "title": "Collections"},
                {"href": format!("{base}/collections?f=html"), "rel": "alternate", "type": "text/html", "title": "Collections as HTML"}
            ],
            "collections": list
        }),
    ))
}

async fn collection(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let p = Params::parse(req.query_string(), &["f"])?;
    let format = Format::negotiate(&req, &p)?;
    let id = path.into_inner();
    let doc = collection_doc(&base_url(&req), &id, &state)
        .ok_or_else(|| ApiError::unknown_collection(&id))?;
    if format == Format::Html {
        let c = CollectionView::from_doc(&doc);
        return render(&CollectionPage {
            title: c.title.clone(),
            c,
        });
    }
    Ok(json_response("application/json", &doc))
}

/// `/collections` as a page (`templates/collections.html`).
#[derive(askama::Template)]
#[template(path = "collections.html")]
struct CollectionsPage {
    title: String,
    collections: Vec<CollectionView>,
}

/// `/collections/{id}` as a page (`templates/collection.html`).
#[derive(askama::Template)]
#[template(path = "collection.html")]
struct CollectionPage {
    title: String,
    c: CollectionView,
}

/// What a page says about one collection, read from its JSON document (so the two agree).
struct CollectionView {
    id: String,
    title: String,
    description: String,
    /// West, south, east, north, in degrees (CRS84), to 5 decimals (about a metre).
    extent: Option<[String; 4]>,
}

impl CollectionView {
    fn from_doc(doc: &Value) -> CollectionView {
        let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        let bbox = &doc["extent"]["spatial"]["bbox"][0];
        let corner = |i: usize| bbox[i].as_f64().map(|v| format!("{v:.5}"));
        let extent = match (corner(0), corner(1), corner(2), corner(3)) {
            (Some(w), Some(s), Some(e), Some(n)) => Some([w, s, e, n]),
            _ => None,
        };
        CollectionView {
            id: text(&doc["id"]),
            title: text(&doc["title"]),
            description: text(&doc["description"]),
            extent,
        }
    }
}

/// `/api`: the OpenAPI document, or (`f=html`, or a browser) the page `/api.html` shows.
async fn api(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let p = Params::parse(req.query_string(), &["f"])?;
    if Format::negotiate(&req, &p)? == Format::Html {
        return api_page();
    }
    Ok(HttpResponse::Ok()
        .content_type("application/vnd.oai.openapi+json;version=3.0")
        .body(crate::api_doc::OPENAPI_TEXT))
}

/// `/api.html`: the OpenAPI document as a page for people (the landing page's `service-doc`).
async fn api_html(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Params::parse(req.query_string(), &[])?;
    api_page()
}

fn api_page() -> Result<HttpResponse, ApiError> {
    let html = crate::api_doc::rendered().map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use assetmap_core::text;

    /// The caps `/api` states are the caps validation enforces.
    #[test]
    fn the_api_states_the_caps_of_validation() {
        let api: serde_json::Value = serde_json::from_str(include_str!("openapi.json")).unwrap();
        let p =
            &api["components"]["schemas"]["AssetFeature"]["properties"]["properties"]["properties"];
        let n = |v: &serde_json::Value| v.as_u64().unwrap() as usize;
        assert_eq!(n(&p["name"]["maxLength"]), text::MAX_NAME_CHARS);
        assert_eq!(
            n(&p["description"]["maxLength"]),
            text::MAX_DESCRIPTION_CHARS
        );
        assert_eq!(n(&p["address"]["maxLength"]), text::MAX_ADDRESS_CHARS);
        assert_eq!(n(&p["categories"]["maxItems"]), text::MAX_CATEGORIES);
        assert_eq!(n(&p["tags"]["maxItems"]), text::MAX_TAGS);
        assert_eq!(n(&p["tags"]["items"]["maxLength"]), text::MAX_TAG_CHARS);
        assert_eq!(n(&p["access"]["maxItems"]), text::MAX_ACCESS);
        assert_eq!(n(&p["languages"]["maxItems"]), text::MAX_LANGUAGES);
        let ot = &p["opening_times"]["properties"];
        assert_eq!(n(&ot["periods"]["maxItems"]), text::MAX_PERIODS);
        assert_eq!(n(&ot["note"]["maxLength"]), text::MAX_NOTE_CHARS);
        assert_eq!(
            n(&p["contact"]["properties"]["website"]["maxLength"]),
            text::MAX_WEBSITE_CHARS
        );
        for short in [
            &p["cost"]["properties"]["detail"],
            &p["audience"]["properties"]["description"],
            &p["provenance"]["properties"]["source"],
            &p["provenance"]["properties"]["attribution"],
        ] {
            assert_eq!(n(&short["maxLength"]), text::MAX_SHORT_TEXT_CHARS);
        }
        let limit = &api["components"]["parameters"]["limit"]["schema"];
        assert_eq!(limit["maximum"].as_i64(), Some(crate::http::MAX_LIMIT));
        assert_eq!(limit["default"].as_i64(), Some(crate::http::DEFAULT_LIMIT));
        let key = &api["components"]["parameters"]["IdempotencyKey"];
        assert_eq!(key["name"], crate::idempotency::HEADER);
        assert_eq!(
            n(&key["schema"]["maxLength"]),
            crate::idempotency::MAX_KEY_LEN
        );
    }
}
