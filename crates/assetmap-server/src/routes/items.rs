//! `/collections/assets/items`: OGC API Features items (read from the engine) and writes
//! (to the store first, then the engine), with a bearer token and an optional
//! `Idempotency-Key` (see [`crate::idempotency`]).

use crate::auth::Principal;
use crate::errors::ApiError;
use crate::html::{
    access_words, age_words, cost_words, date_words, language_name, not_found_page, phone_dial,
    render, what_it_is,
};
use crate::http::{
    base_url, content_crs, feature_text, if_match_version, no_store_json, paging_links, reproject,
    require_version, Format, HtmlPaging, PageInfo, DEFAULT_LIMIT, GEO_JSON, MAX_LIMIT,
};
use crate::idempotency::Keyed;
use crate::params::Params;
use crate::parse::{
    area_param, bbox_in_wgs84, cql_filter_from, crs_param, datetime_from, filter_from, shape_from,
    sortby_from, Shape, PROPERTY_PARAMS,
};
use crate::staff::{proposal_json, Names};
use crate::state::AppState;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use assetmap_core::{Asset, AssetId, ChangeBy, Crs, Role, Status};
use assetmap_index::{AssetView, Filter, Page};
use assetmap_io::FeatureView;
use assetmap_store::{Outcome, StoreError, Write};
use serde_json::{json, Value};

/// Registers the routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/collections/assets/items")
            .route(web::get().to(list))
            .route(web::post().to(create))
            .route(web::to(|| async {
                Err::<HttpResponse, _>(ApiError::method_not_allowed(
                    "Use GET to read items or POST to create one.",
                ))
            })),
    )
    .service(
        web::resource("/collections/assets/items/{id}")
            .route(web::get().to(get_one))
            .route(web::put().to(replace))
            .route(web::delete().to(delete))
            .route(web::to(|| async {
                Err::<HttpResponse, _>(ApiError::method_not_allowed(
                    "Use GET, PUT or DELETE on an item.",
                ))
            })),
    )
    .service(web::resource("/collections/assets/items/{id}/verify").route(web::post().to(verify)));
}

/// The parameters of the asset items list, besides the queryables in
/// [`PROPERTY_PARAMS`].
const LIST_PARAMS: [&str; 17] = [
    "f",
    "bbox",
    "bbox-crs",
    "crs",
    "datetime",
    "limit",
    "offset",
    "category",
    "abcd_type",
    "status",
    "area",
    "properties",
    "skipGeometry",
    "sortby",
    "filter",
    "filter-lang",
    "filter-crs",
];

async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let p = Params::parse(
        req.query_string(),
        &[LIST_PARAMS.as_slice(), PROPERTY_PARAMS.as_slice()].concat(),
    )?;
    let format = Format::negotiate(&req, &p)?;
    let shape = shape_from(&p)?;
    let sortby = sortby_from(&p)?;
    let requested = p.one("limit")?.map(|v| {
        v.parse::<i64>().map_err(|_| {
            ApiError::bad_param(
                "limit",
                format!("{v:?} is not a whole number; use 1 to {MAX_LIMIT}"),
            )
        })
    });
    let limit = match requested.transpose()? {
        None => DEFAULT_LIMIT,
        Some(n) if n < 1 => {
            return Err(ApiError::bad_param(
                "limit",
                format!("{n} is too small; use 1 to {MAX_LIMIT}"),
            ))
        }
        Some(n) => n.min(MAX_LIMIT),
    };
    let offset = p.integer("offset", 0..=i64::from(u32::MAX))?.unwrap_or(0);
    let bbox = bbox_in_wgs84(&p)?;
    let crs = crs_param(&p, "crs")?;
    let filter = Filter {
        // OGC API `datetime`: the assets' temporal property is `updated_at`.
        updated: datetime_from(&p)?,
        ..filter_from(&p)?
    };

    let predicate = cql_filter_from(&p)?;
    // A filter that says something about `status` replaces the default (open or temporarily
    // closed), as the `status` parameter does.
    let filter = match &predicate {
        Some(q) if q.names("status") && p.list("status").is_empty() => Filter {
            statuses: Vec::new(),
            ..filter
        },
        _ => filter,
    };
    let (limit, offset) = (limit as usize, offset as usize);
    let area = area_param(&p, &state.place)?;
    let engine = state.engine();
    // Nothing asks to change the features (another CRS, a property list, no geometry) and no
    // sort or CQL2 filter needs every match decoded: the engine's ready-made features are
    // copied out as they are (`assetmap_io::FeatureView`), none decoded or written again.
    let ready_made = format == Format::Json
        && crs == Crs::Crs84
        && shape.properties.is_none()
        && !shape.skip_geometry
        && sortby.is_none()
        && predicate.is_none()
        && engine.view_form() == Some(FeatureView.form());
    if ready_made {
        let page = match (&bbox, area) {
            (_, Some(area)) => {
                engine.area_page_rendered(area, bbox.as_ref(), &filter, offset, limit)
            }
            (Some(b), None) => engine.bbox_page_rendered(b, &filter, offset, limit),
            (None, None) => engine.scan_page_rendered(&filter, offset, limit),
        };
        drop(engine);
        let (returned, matched) = (page.items.len(), page.number_matched);
        let size: usize = page.items.iter().map(|r| r.view.len() + 1).sum();
        let mut text = Vec::with_capacity(1_024 + size);
        // The members in the order `items_body` writes them (serde_json's, by name).
        text.extend_from_slice(br#"{"features":["#);
        for (i, r) in page.items.iter().enumerate() {
            if i > 0 {
                text.push(b',');
            }
            text.extend_from_slice(&r.view);
        }
        let rest = items_body(&req, Vec::new(), offset, limit, matched, returned);
        let rest = rest.to_string();
        // `rest` is `{"features":[],…}`: its members after the empty list follow ours.
        let tail = rest
            .strip_prefix(r#"{"features":[]"#)
            .ok_or_else(|| ApiError::internal("a page's members do not start with its features"))?;
        text.push(b']');
        text.extend_from_slice(tail.as_bytes());
        return Ok(HttpResponse::Ok()
            .content_type(GEO_JSON)
            .insert_header(content_crs(crs))
            .body(text));
    }
    let page = match (&sortby, &predicate, &bbox, area) {
        (None, None, _, Some(area)) => {
            engine.area_page(area, bbox.as_ref(), &filter, offset, limit)
        }
        (None, None, Some(b), None) => engine.bbox_page(b, &filter, offset, limit),
        (None, None, None, None) => engine.scan_page(&filter, offset, limit),
        // Sorted or filtered with CQL2: every match (in id order), then the order asked for,
        // then the page.
        (_, _, _, area) => {
            let mut matching = match (&bbox, area) {
                (_, Some(area)) => {
                    engine
                        .area_page(area, bbox.as_ref(), &filter, 0, usize::MAX)
                        .items
                }
                (Some(b), None) => engine.bbox(b, &filter),
                (None, None) => engine.scan(&filter).collect(),
            };
            if let Some(predicate) = &predicate {
                matching.retain(|a| predicate.matches(a));
            }
            match &sortby {
                Some(sort) => sort.page(matching, offset, limit),
                None => Page::of(matching, offset, limit),
            }
        }
    };
    if format == Format::Html {
        let rows: Vec<AssetRow> = page.items.iter().map(AssetRow::of).collect();
        let info = PageInfo {
            offset,
            limit,
            returned: rows.len(),
            matched: page.number_matched,
        };
        drop(engine);
        return render(&ItemsPage {
            title: "Community assets".to_owned(),
            paging: HtmlPaging::new(&req, "/collections/assets/items", info),
            rows,
        });
    }
    let features: Vec<Value> = page
        .items
        .iter()
        .map(|a| {
            let mut feature = assetmap_io::asset_to_feature(a);
            reproject(&mut feature, crs)?;
            shape.apply(&mut feature);
            Ok::<_, ApiError>(feature)
        })
        .collect::<Result<_, _>>()?;
    let returned = features.len();
    let matched = page.number_matched;
    drop(engine);
    let body = items_body(&req, features, offset, limit, matched, returned);
    Ok(HttpResponse::Ok()
        .content_type(GEO_JSON)
        .insert_header(content_crs(crs))
        .body(body.to_string()))
}

/// A page of items as a GeoJSON FeatureCollection with OGC API Features' members: the
/// features, the paging links, how many matched and how many are returned, and when.
fn items_body(
    req: &HttpRequest,
    features: Vec<Value>,
    offset: usize,
    limit: usize,
    matched: usize,
    returned: usize,
) -> Value {
    let base = base_url(req);
    let mut links = paging_links(
        req,
        "/collections/assets/items",
        PageInfo {
            offset,
            limit,
            returned,
            matched,
        },
    );
    links.push(json!({"href": format!("{base}/collections/assets"), "rel": "collection", "type": "application/json", "title": "The collection"}));
    json!({
        "type": "FeatureCollection",
        "features": features,
        "numberMatched": matched,
        "numberReturned": returned,
        "timeStamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "links": links,
    })
}

/// A page of assets (`templates/items.html`).
#[derive(askama::Template)]
#[template(path = "items.html")]
struct ItemsPage {
    title: String,
    rows: Vec<AssetRow>,
    paging: HtmlPaging,
}

/// One asset in the table of a page of assets.
struct AssetRow {
    id: String,
    name: String,
    /// Its categories' labels.
    what: String,
    address: Option<String>,
    postcode: Option<String>,
    /// Its status's label.
    status: &'static str,
    status_slug: &'static str,
    active: bool,
}

impl AssetRow {
    fn of(a: &Asset) -> AssetRow {
        AssetRow {
            id: a.id.to_string(),
            name: a.name.as_str().to_owned(),
            what: what_it_is(a),
            address: a.address.clone(),
            postcode: a.postcode.as_ref().map(|p| p.to_string()),
            status: a.status.label(),
            status_slug: a.status.slug(),
            active: a.status == Status::Active,
        }
    }
}

/// One asset's page (`templates/item.html`): everything a coordinator hands over.
#[derive(askama::Template)]
#[template(path = "item.html")]
struct ItemPage {
    id: String,
    /// The asset's name.
    title: String,
    /// Its categories' labels.
    what: String,
    abcd_type: &'static str,
    status: &'static str,
    status_slug: &'static str,
    description: Option<String>,
    rows: Vec<Row>,
    contact: Vec<Contact>,
    source: Vec<Row>,
    /// The map page opened on the asset: `/#asset=…&map=zoom/lat/lon` (`web/js/state.js`).
    map_href: String,
}

/// One labelled line of text on an asset's page.
struct Row {
    label: &'static str,
    value: String,
}

/// One way of reaching the asset's people, as a link.
enum Contact {
    Phone { dial: String, shown: String },
    Email(String),
    Website(String),
}

impl ItemPage {
    fn of(a: &Asset) -> ItemPage {
        let mut rows = Vec::new();
        let mut row = |label, value: Option<String>| {
            if let Some(value) = value {
                rows.push(Row { label, value });
            }
        };
        row(
            "Address",
            Some(
                a.address
                    .clone()
                    .unwrap_or_else(|| "Not recorded".to_owned()),
            ),
        );
        row("Postcode", a.postcode.as_ref().map(|p| p.to_string()));
        row("When", Some(capitalised(&a.opening_times.describe())));
        row("Cost", Some(cost_words(a)));
        row("Access", Some(access_words(a)));
        row("Who for", age_words(a));
        row(
            "Languages",
            (!a.languages.is_empty()).then(|| {
                a.languages
                    .iter()
                    .map(|l| language_name(l.as_str()))
                    .collect::<Vec<_>>()
                    .join(", ")
            }),
        );
        row(
            "Tags",
            (!a.tags.is_empty()).then(|| {
                a.tags
                    .iter()
                    .map(|t| t.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            }),
        );
        row("Status", Some(a.status.label().to_owned()));
        row(
            "Last checked",
            Some(
                a.verified_at
                    .map(date_words)
                    .unwrap_or_else(|| "Not recorded".to_owned()),
            ),
        );
        let mut contact = Vec::new();
        if let Some(p) = &a.contact.phone {
            contact.push(Contact::Phone {
                dial: phone_dial(p.as_str()),
                shown: p.as_str().to_owned(),
            });
        }
        if let Some(e) = &a.contact.email {
            contact.push(Contact::Email(e.as_str().to_owned()));
        }
        if let Some(w) = &a.contact.website {
            contact.push(Contact::Website(w.as_str().to_owned()));
        }
        let pr = &a.provenance;
        let source = [
            ("Source", pr.source.clone()),
            ("Record", pr.source_id.clone()),
            ("Licence", pr.licence.clone()),
            ("Attribution", pr.attribution.clone()),
        ]
        .into_iter()
        .filter_map(|(label, value)| value.map(|value| Row { label, value }))
        .collect();
        ItemPage {
            id: a.id.to_string(),
            title: a.name.as_str().to_owned(),
            what: what_it_is(a),
            abcd_type: a.abcd_type.label(),
            status: a.status.label(),
            status_slug: a.status.slug(),
            description: a.description.clone(),
            rows,
            contact,
            source,
            map_href: format!(
                "/#asset={}&map=16.00/{:.5}/{:.5}",
                a.id,
                a.location.lat(),
                a.location.lon()
            ),
        }
    }
}

/// `text` with its first letter a capital ("times unknown" → "Times unknown").
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn parse_id(raw: &str) -> Result<AssetId, ApiError> {
    AssetId::parse(raw).map_err(|e| {
        ApiError::not_found(format!("There is no asset with id {raw:?}: {}", e.problem))
    })
}

fn etag(asset: &Asset) -> String {
    format!("\"{}\"", asset.version)
}

/// A steward's change that waits for review: kept as a proposal (nothing is published), and
/// answered `202` with it.
async fn propose(
    state: &AppState,
    who: &Principal,
    next: &Asset,
) -> Result<HttpResponse, ApiError> {
    let by = who
        .account
        .as_ref()
        .map(|a| a.id.clone())
        .ok_or_else(|| ApiError::internal("a steward without an account"))?;
    let at = chrono::Utc::now();
    let id = state.store.propose(next, &by, at).await?;
    let proposal = assetmap_store::Proposal {
        id,
        asset: next.clone(),
        by,
        at,
        decision: None,
    };
    let current = state.engine().get(&next.id);
    let names = Names::load(state).await?;
    Ok(no_store_json(
        StatusCode::ACCEPTED,
        json!({
            "proposal": proposal_json(&proposal, current.as_ref(), &names),
            "detail": "Your change waits for an editor's review; it shows on the map once they accept it.",
        }),
    ))
}

/// The answer a write gives (and keeps under its `Idempotency-Key`) when it returns `asset`.
fn feature_outcome(
    status: StatusCode,
    req: &HttpRequest,
    asset: &Asset,
    location: Option<String>,
) -> Result<Outcome, ApiError> {
    Ok(Outcome {
        status: status.as_u16(),
        location,
        etag: Some(etag(asset)),
        body: feature_text(req, asset, Crs::Crs84, &Shape::default())?,
    })
}

/// An answer as HTTP: the one rendering of a write's answer, whether given first or again to a
/// retry with the same `Idempotency-Key`, so the two are the same byte for byte.
fn respond(outcome: &Outcome) -> Result<HttpResponse, ApiError> {
    let status = StatusCode::from_u16(outcome.status).map_err(ApiError::internal)?;
    let mut b = HttpResponse::build(status);
    if let Some(location) = &outcome.location {
        b.insert_header((header::LOCATION, location.as_str()));
    }
    if let Some(etag) = &outcome.etag {
        b.insert_header((header::ETAG, etag.as_str()));
    }
    if outcome.body.is_empty() {
        return Ok(b.finish());
    }
    Ok(b.content_type(GEO_JSON)
        .insert_header(content_crs(Crs::Crs84))
        .body(outcome.body.clone()))
}

/// The answer kept under the request's key, if it has one and one is kept (`422` when the key
/// was used for a different request). Call under the write lock, before anything else is
/// checked: a retry of a write that succeeded would otherwise be judged against the state that
/// write made (an id now taken, a version now stale, an asset now deleted).
async fn kept_answer(
    state: &AppState,
    keyed: Option<&Keyed>,
) -> Result<Option<HttpResponse>, ApiError> {
    let Some(keyed) = keyed else {
        return Ok(None);
    };
    match state.store.idempotency_record(&keyed.key).await? {
        Some(kept) => respond(&keyed.kept_outcome(&kept)?).map(Some),
        None => Ok(None),
    }
}

/// Makes `write` in the store — keeping `outcome` under the request's key, in the same
/// transaction, when it has one — then, once the store has acknowledged it, in the engine, and
/// answers `outcome`. If the key is found kept by then (another process made the write
/// meanwhile), the kept answer is given instead and nothing is written.
async fn write_and_answer(
    state: &AppState,
    write: Write<'_>,
    by: &ChangeBy,
    outcome: Outcome,
    keyed: Option<&Keyed>,
) -> Result<HttpResponse, ApiError> {
    let record = keyed.map(|k| k.record(&outcome, state.settings.idempotency_key_hours));
    match (state.write(write, by, record.as_ref()).await, keyed) {
        (Ok(_), _) => {}
        (Err(StoreError::KeyAlreadyUsed(kept)), Some(keyed)) => {
            return respond(&keyed.kept_outcome(&kept)?)
        }
        (Err(e), _) => return Err(ApiError::from_write(e, keyed.is_some())),
    }
    respond(&outcome)
}

async fn get_one(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let p = Params::parse(
        req.query_string(),
        &["f", "crs", "properties", "skipGeometry"],
    )?;
    let format = Format::negotiate(&req, &p)?;
    let crs = crs_param(&p, "crs")?;
    let shape = shape_from(&p)?;
    let id = parse_id(&path)?;
    let Some(asset) = state.engine().get(&id) else {
        let detail = format!("There is no asset with id '{id}'.");
        if format == Format::Html {
            return not_found_page(
                "This place is not listed",
                &format!("{detail} It may have closed, or been removed or merged with another."),
            );
        }
        return Err(ApiError::not_found(detail));
    };
    if format == Format::Html {
        return render(&ItemPage::of(&asset));
    }
    Ok(HttpResponse::Ok()
        .content_type(GEO_JSON)
        .insert_header((header::ETAG, etag(&asset)))
        .insert_header(content_crs(crs))
        .body(feature_text(&req, &asset, crs, &shape)?))
}

/// Reads a Feature body (`application/geo+json` or `application/json`).
pub(crate) fn feature_body(
    req: &HttpRequest,
    body: &web::Bytes,
) -> Result<assetmap_io::FeatureInput, ApiError> {
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = ct.split(';').next().unwrap_or("").trim();
    if mime != GEO_JSON && mime != "application/json" {
        return Err(ApiError::unsupported_media_type(format!(
            "Send the asset as a GeoJSON Feature with Content-Type: application/geo+json (got {:?}).",
            if ct.is_empty() { "none" } else { ct }
        )));
    }
    parse_feature_body(body)
}

/// Reads the bytes of a write's body as a GeoJSON Feature, before validation: what POST and
/// PUT do once the content type is accepted (public so that the fuzz targets in `tests/fuzz`
/// exercise this very function).
pub fn parse_feature_body(body: &[u8]) -> Result<assetmap_io::FeatureInput, ApiError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("The body is not valid JSON: {e}")))?;
    assetmap_io::draft_from_feature(value).map_err(|e| ApiError::invalid_body(&e))
}

async fn create(
    who: Principal,
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    who.require_change(None)?;
    Params::parse(req.query_string(), &[])?;
    let keyed = Keyed::from_request(&req, &body)?;
    let _claim = keyed
        .as_ref()
        .map(|k| state.keys_in_flight.claim(&k.key))
        .transpose()?;
    let input = feature_body(&req, &body)?;
    let valid = input
        .draft
        .validate(input.location)
        .map_err(|e| ApiError::invalid_body(&e))?;
    let _guard = state.lock_writes().await?;
    if let Some(kept) = kept_answer(&state, keyed.as_ref()).await? {
        return Ok(kept);
    }
    let id = match input.id {
        Some(id) => id,
        None => AssetId::parse(&format!("asset:{}", uuid::Uuid::new_v4().simple()))
            .map_err(ApiError::internal)?,
    };
    let asset = Asset::create(id, valid, chrono::Utc::now());
    let location = format!("{}/collections/assets/items/{}", base_url(&req), asset.id);
    let outcome = feature_outcome(StatusCode::CREATED, &req, &asset, Some(location))?;
    write_and_answer(
        &state,
        Write::Insert(&asset),
        &who.change_by(None),
        outcome,
        keyed.as_ref(),
    )
    .await
}

async fn replace(
    who: Principal,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Params::parse(req.query_string(), &[])?;
    let id = parse_id(&path)?;
    who.require_change(Some(&id))?;
    let keyed = Keyed::from_request(&req, &body)?;
    let _claim = keyed
        .as_ref()
        .map(|k| state.keys_in_flight.claim(&k.key))
        .transpose()?;
    let input = feature_body(&req, &body)?;
    if let Some(body_id) = &input.id {
        if *body_id != id {
            return Err(ApiError::bad_request(format!(
                "The feature's id '{body_id}' differs from the id in the URL '{id}'; leave it out or make them match."
            )));
        }
    }
    let valid = input
        .draft
        .validate(input.location)
        .map_err(|e| ApiError::invalid_body(&e))?;
    let expected = if_match_version(&req)?;
    let _guard = state.lock_writes().await?;
    if let Some(kept) = kept_answer(&state, keyed.as_ref()).await? {
        return Ok(kept);
    }
    let current = state.store.get(&id).await?.ok_or_else(|| {
        ApiError::not_found(format!(
            "There is no asset with id '{id}'; create it with POST /collections/assets/items."
        ))
    })?;
    require_version(
        &id,
        expected,
        current.version,
        "Fetch it again and re-apply your change.",
    )?;
    let next = current.replaced_by(valid, chrono::Utc::now());
    if who.needs_review(&id) {
        return propose(&state, &who, &next).await;
    }
    let outcome = feature_outcome(StatusCode::OK, &req, &next, None)?;
    write_and_answer(
        &state,
        Write::Replace(&next),
        &who.change_by(None),
        outcome,
        keyed.as_ref(),
    )
    .await
}

/// "Confirm these details are still right": the next version with `verified_at` today (UK
/// date) and nothing else changed, recorded as `verify` by whoever confirmed. Editors, and the
/// asset's stewards (at once, even where their changes are reviewed: nothing else changes).
async fn verify(
    who: Principal,
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Params::parse(req.query_string(), &[])?;
    let id = parse_id(&path)?;
    who.require_change(Some(&id))?;
    let keyed = Keyed::from_request(&req, b"")?;
    let _claim = keyed
        .as_ref()
        .map(|k| state.keys_in_flight.claim(&k.key))
        .transpose()?;
    let expected = if_match_version(&req)?;
    let _guard = state.lock_writes().await?;
    if let Some(kept) = kept_answer(&state, keyed.as_ref()).await? {
        return Ok(kept);
    }
    let current = state
        .store
        .get(&id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("There is no asset with id '{id}'.")))?;
    require_version(
        &id,
        expected,
        current.version,
        "Look at it again before confirming it.",
    )?;
    let now = chrono::Utc::now();
    let next = current.verified(assetmap_core::uk_time::uk_local(now).date(), now);
    let outcome = feature_outcome(StatusCode::OK, &req, &next, None)?;
    write_and_answer(
        &state,
        Write::Replace(&next),
        &who.change_by(Some(assetmap_core::Via::Verify)),
        outcome,
        keyed.as_ref(),
    )
    .await
}

async fn delete(
    who: Principal,
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Params::parse(req.query_string(), &[])?;
    let id = parse_id(&path)?;
    // Deleting is for editors; a steward closes its listing instead (status "closed").
    who.require(Role::Editor).map_err(|_| {
        ApiError::forbidden(
            "Only editors delete places; to say a place has closed, set its status to \"closed\" instead.",
        )
    })?;
    let keyed = Keyed::from_request(&req, b"")?;
    let _claim = keyed
        .as_ref()
        .map(|k| state.keys_in_flight.claim(&k.key))
        .transpose()?;
    let _guard = state.lock_writes().await?;
    if let Some(kept) = kept_answer(&state, keyed.as_ref()).await? {
        return Ok(kept);
    }
    let outcome = Outcome {
        status: StatusCode::NO_CONTENT.as_u16(),
        location: None,
        etag: None,
        body: String::new(),
    };
    write_and_answer(
        &state,
        Write::Delete(&id),
        &who.change_by(None),
        outcome,
        keyed.as_ref(),
    )
    .await
}
