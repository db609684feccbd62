//! `GET /search`: a coordinator's search near a person — where (a postcode or a point), how far
//! (metres or minutes' walk), what matters to them (free text) and their practical limits —
//! answered from the engine as a GeoJSON FeatureCollection in rank order, each feature saying
//! how far it is, how well it matched and why.
//!
//! Nothing about the person is stored, and the request log leaves out the query string
//! (see [`crate::telemetry`]); responses are marked `Cache-Control: no-store` and
//! `Referrer-Policy: no-referrer`.
//!
//! # Walking model
//! People walk at [`WALK_SPEED_KMH`] (4.8 km/h, 80 m a minute) along streets that are on
//! average [`DETOUR_FACTOR`] (1.3) times the straight-line distance, so a minute's walk
//! reaches about 61.5 m as the crow flies: `radius = walk_minutes × 80 / 1.3` metres, and each
//! result's `walk_minutes = distance_m × 1.3 / 80`, rounded to the minute.

use super::GEO_JSON;
use crate::errors::ApiError;
use crate::params::Params;
use crate::postcodes::PostcodeInfo;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse, HttpResponseBuilder};
use assetmap_core::{
    AbcdType, AccessFeature, Category, CostBand, LonLat, Openness, Postcode, Status, TimeOfDay,
    Weekday,
};
use assetmap_index::search::{MatchedFilter, SearchOrder, SearchQuery};
use assetmap_index::{Filter, OpenAt, OpenAtPolicy, TextQuery};
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, TimeDelta, Timelike, Utc};
use serde_json::{json, Value};

/// Walking speed on the ground, km/h.
pub const WALK_SPEED_KMH: f64 = 4.8;
/// Street distance over straight-line distance, on average.
pub const DETOUR_FACTOR: f64 = 1.3;
/// Default search radius, metres (about a 26-minute walk).
pub const DEFAULT_RADIUS_M: f64 = 1600.0;
/// Largest search radius, metres.
pub const MAX_RADIUS_M: f64 = 50_000.0;
/// Default number of results.
pub const DEFAULT_LIMIT: usize = 20;
/// Largest number of results.
pub const MAX_LIMIT: usize = 200;
/// Longest `q`, in characters.
pub const MAX_QUERY_CHARS: usize = 300;

/// Metres walked on the ground in a minute.
fn metres_per_minute() -> f64 {
    WALK_SPEED_KMH * 1000.0 / 60.0
}

/// The straight-line radius, in metres, reached in `minutes` of walking.
pub fn radius_for_walk_minutes(minutes: f64) -> f64 {
    minutes * metres_per_minute() / DETOUR_FACTOR
}

/// Minutes of walking to cover a straight-line `distance_m`, rounded to the minute.
pub fn walk_minutes(distance_m: f64) -> i64 {
    (distance_m * DETOUR_FACTOR / metres_per_minute()).round() as i64
}

/// Registers `/search`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/search")
            .route(web::get().to(search))
            .route(web::to(|| async {
                Err::<HttpResponse, _>(ApiError::method_not_allowed("Use GET /search."))
            })),
    );
}

/// A response builder with the headers every person-related answer carries: never cached,
/// and no `Referer` carrying the query (a postcode) to sites linked from it.
pub fn private_response(content_type: &str) -> HttpResponseBuilder {
    let mut r = HttpResponse::Ok();
    r.content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"));
    r
}

/// Looks up a postcode given in any case and spacing: 400 naming `postcode` when it is not a
/// postcode, 404 when it is not in the bundled table.
pub fn lookup_postcode<'a>(state: &'a AppState, raw: &str) -> Result<&'a PostcodeInfo, ApiError> {
    let pc = Postcode::parse(raw).map_err(|e| ApiError::bad_param("postcode", e.problem))?;
    state.postcodes.get(&pc).ok_or_else(|| {
        ApiError::not_found(format!(
            "The postcode {pc} is not in the bundled postcode table, which covers Trafford; check it, or give lon and lat instead."
        ))
    })
}

/// Where the person is: `postcode`, or `lon` + `lat`. `None` when neither is given.
pub fn origin_from(p: &Params, state: &AppState) -> Result<Option<LonLat>, ApiError> {
    let postcode = p.one("postcode")?;
    let lon = p.number("lon", -180.0..=180.0)?;
    let lat = p.number("lat", -90.0..=90.0)?;
    match (postcode, lon, lat) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => Err(ApiError::bad_param(
            "postcode",
            "give either postcode or lon and lat, not both",
        )),
        (Some(pc), None, None) => {
            let info = lookup_postcode(state, pc)?;
            info.location()
                .map(Some)
                .ok_or_else(|| ApiError::internal("a postcode in the table has no valid point"))
        }
        (None, Some(lon), Some(lat)) => LonLat::new(lon, lat)
            .map(Some)
            .map_err(|e| ApiError::bad_param(&e.field, e.problem)),
        (None, Some(_), None) => Err(ApiError::bad_param(
            "lat",
            "is needed with lon (WGS84 degrees)",
        )),
        (None, None, Some(_)) => Err(ApiError::bad_param(
            "lon",
            "is needed with lat (WGS84 degrees)",
        )),
        (None, None, None) => Ok(None),
    }
}

/// The parameters `/search` accepts.
pub const SEARCH_PARAMS: &[&str] = &[
    "postcode",
    "lon",
    "lat",
    "radius",
    "walk_minutes",
    "q",
    "category",
    "abcd_type",
    "open_at",
    "open",
    "cost",
    "access",
    "age",
    "limit",
    "sort",
];

/// The last Sunday of `month` in `year`.
fn last_sunday(year: i32, month: u32) -> Option<NaiveDate> {
    let first_next = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    }?;
    let last = first_next.pred_opt()?;
    Some(last - TimeDelta::days(i64::from(last.weekday().num_days_from_sunday())))
}

/// UK local time (Europe/London) of an instant: GMT, or BST (GMT+1) from 01:00 GMT on the last
/// Sunday of March to 01:00 GMT on the last Sunday of October (the rule since 1996).
pub fn uk_local(utc: DateTime<Utc>) -> NaiveDateTime {
    let t = utc.naive_utc();
    let at_one = |d: Option<NaiveDate>| d.and_then(|d| d.and_hms_opt(1, 0, 0));
    let bst = match (
        at_one(last_sunday(t.year(), 3)),
        at_one(last_sunday(t.year(), 10)),
    ) {
        (Some(start), Some(end)) => t >= start && t < end,
        _ => false,
    };
    if bst {
        t + TimeDelta::hours(1)
    } else {
        t
    }
}

/// Parses `open_at`: an ISO 8601 date-time, read as UK local time when it has no offset
/// (`2025-06-03T18:30`), converted to UK local time when it has one (`…Z`, `…+01:00`).
pub fn parse_open_at(v: &str) -> Result<NaiveDateTime, ApiError> {
    let bad = || {
        ApiError::bad_param(
            "open_at",
            format!(
                "{v:?} is not a date and time; use ISO 8601 UK local time such as 2025-06-03T18:30"
            ),
        )
    };
    if let Ok(dt) = DateTime::parse_from_rfc3339(v) {
        return Ok(uk_local(dt.with_timezone(&Utc)));
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(v, f) {
            return Ok(dt);
        }
    }
    Err(bad())
}

fn open_at_filter(local: NaiveDateTime) -> Result<OpenAt, ApiError> {
    let time = TimeOfDay::from_hm(local.hour() as u16, local.minute() as u16)
        .map_err(|e| ApiError::bad_param("open_at", e.problem))?;
    Ok(OpenAt {
        day: Weekday::from(local.weekday()),
        time,
        policy: OpenAtPolicy::ExcludeOnlyClosed,
    })
}

/// A checked `/search` request.
#[derive(Debug)]
pub struct SearchRequest {
    pub query: SearchQuery,
    /// The UK local time asked about, if any.
    pub open_at: Option<NaiveDateTime>,
}

/// Reads and checks every parameter, naming the first bad one.
pub fn parse_search(
    query_string: &str,
    state: &AppState,
    now: DateTime<Utc>,
) -> Result<SearchRequest, ApiError> {
    let p = Params::parse(query_string, SEARCH_PARAMS)?;
    let origin = origin_from(&p, state)?.ok_or_else(|| {
        ApiError::bad_param(
            "postcode",
            "say where the person is: give postcode (e.g. M33 7XY), or lon and lat",
        )
    })?;
    let radius = p.number("radius", 1.0..=MAX_RADIUS_M)?;
    let max_minutes = (MAX_RADIUS_M * DETOUR_FACTOR / metres_per_minute()).floor();
    let minutes = p.number("walk_minutes", 1.0..=max_minutes)?;
    let radius_m = match (radius, minutes) {
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_param(
                "walk_minutes",
                "give either radius (metres) or walk_minutes, not both",
            ))
        }
        (Some(r), None) => r,
        (None, Some(m)) => radius_for_walk_minutes(m),
        (None, None) => DEFAULT_RADIUS_M,
    };
    let q = p.one("q")?.unwrap_or("");
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(ApiError::bad_param(
            "q",
            format!("is longer than {MAX_QUERY_CHARS} characters; use a few words"),
        ));
    }
    let open_at = match (p.one("open_at")?, p.one("open")?) {
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_param(
                "open",
                "give either open_at or open=now, not both",
            ))
        }
        (Some(v), None) => Some(parse_open_at(v)?),
        (None, Some("now")) => Some(uk_local(now)),
        (None, Some(other)) => {
            return Err(ApiError::bad_param(
                "open",
                format!("{other:?} is not understood; use open=now, or open_at=2025-06-03T18:30"),
            ))
        }
        (None, None) => None,
    };
    let cost_bands = match p.one("cost")? {
        None => Vec::new(),
        Some("free") => vec![CostBand::Free],
        Some("low") => vec![CostBand::Free, CostBand::Low],
        Some(other) => {
            return Err(ApiError::bad_param(
                "cost",
                format!("{other:?} is not a cost limit; use free, or low (free or low cost)"),
            ))
        }
    };
    let age = p
        .integer("age", 0..=i64::from(assetmap_core::MAX_AGE_YEARS))?
        .map(|a| a as u8);
    let limit = p
        .integer("limit", 1..=MAX_LIMIT as i64)?
        .map_or(DEFAULT_LIMIT, |l| l as usize);
    let order = match p.one("sort")? {
        None | Some("relevance") => SearchOrder::Relevance,
        Some("distance") => SearchOrder::Distance,
        Some(other) => {
            return Err(ApiError::bad_param(
                "sort",
                format!("{other:?} is not an order; use relevance or distance"),
            ))
        }
    };
    let filter = Filter {
        categories: p.list_of("category", Category::parse)?,
        abcd_types: p.list_of("abcd_type", AbcdType::parse)?,
        // A person is pointed only at what is running now.
        statuses: vec![Status::Active],
        cost_bands,
        access: p.list_of("access", AccessFeature::parse)?,
        age,
        open_at: open_at.map(open_at_filter).transpose()?,
    };
    Ok(SearchRequest {
        query: SearchQuery {
            origin,
            radius_m,
            text: TextQuery::parse(q),
            filter,
            limit,
            order,
        },
        open_at,
    })
}

/// The wire name of an openness.
pub fn open_status(o: Openness) -> &'static str {
    match o {
        Openness::Open => "open",
        Openness::Closed => "closed",
        Openness::ByArrangement => "by_arrangement",
        Openness::Unknown => "unknown",
    }
}

/// A filter a result met, named as this API's query parameters name it: `name=value`
/// (`category=food`, `cost=free`, `age=72`), or just `open_at`.
fn filter_name(m: &MatchedFilter) -> String {
    match m {
        MatchedFilter::Category(c) => format!("category={}", c.slug()),
        MatchedFilter::AbcdType(t) => format!("abcd_type={}", t.slug()),
        MatchedFilter::Cost(c) => format!("cost={}", c.slug()),
        MatchedFilter::Access(a) => format!("access={}", a.slug()),
        MatchedFilter::Age(a) => format!("age={a}"),
        MatchedFilter::OpenAt => "open_at".to_owned(),
        MatchedFilter::Status(s) => format!("status={}", s.slug()),
    }
}

fn round_to(v: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (v * f).round() / f
}

async fn search(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let parsed = parse_search(req.query_string(), &state, Utc::now())?;
    let q = &parsed.query;
    let engine = state.engine();
    let results = engine.search(q);
    let features: Vec<Value> = results
        .iter()
        .map(|r| {
            let mut f = assetmap_io::asset_to_feature(r.asset);
            if let Some(props) = f.get_mut("properties").and_then(Value::as_object_mut) {
                props.insert("distance_m".into(), json!(round_to(r.distance_m, 1)));
                props.insert("walk_minutes".into(), json!(walk_minutes(r.distance_m)));
                props.insert("score".into(), json!(round_to(r.score, 4)));
                props.insert("relevance".into(), json!(round_to(r.relevance, 4)));
                props.insert(
                    "matched".into(),
                    json!({
                        "terms": r.matched_terms(q),
                        // The status filter is implied (active only), not the person's.
                        "filters": r
                            .matched_filters(q)
                            .iter()
                            .filter(|m| !matches!(m, MatchedFilter::Status(_)))
                            .map(filter_name)
                            .collect::<Vec<_>>(),
                    }),
                );
                if let Some(o) = r.openness {
                    props.insert("open_status".into(), json!(open_status(o)));
                }
            }
            f
        })
        .collect();
    drop(engine);
    let body = json!({
        "type": "FeatureCollection",
        "numberReturned": features.len(),
        "search": {
            "origin": [q.origin.lon(), q.origin.lat()],
            "radius_m": round_to(q.radius_m, 1),
            "terms": q.text.terms.iter().map(|t| t.word.as_str()).collect::<Vec<_>>(),
            "open_at": parsed.open_at.map(|t| t.format("%Y-%m-%dT%H:%M").to_string()),
            "order": match q.order { SearchOrder::Relevance => "relevance", SearchOrder::Distance => "distance" },
            "ranking": "score = (0.75 × relevance + 0.25 × proximity) × openness; proximity = 1 − distance/radius; openness 1 (open or no time asked), 0.75 by arrangement, 0.5 times unknown",
            "walking_model": format!("{WALK_SPEED_KMH} km/h on streets {DETOUR_FACTOR} times the straight-line distance"),
        },
        "features": features,
    });
    Ok(private_response(GEO_JSON).body(body.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn uk_time_follows_british_summer_time() {
        // 2025: BST from 30 March 01:00 GMT to 26 October 01:00 GMT.
        assert_eq!(
            uk_local(utc("2025-01-15T12:00:00Z")).to_string(),
            "2025-01-15 12:00:00"
        );
        assert_eq!(
            uk_local(utc("2025-03-30T00:59:00Z")).to_string(),
            "2025-03-30 00:59:00"
        );
        assert_eq!(
            uk_local(utc("2025-03-30T01:00:00Z")).to_string(),
            "2025-03-30 02:00:00"
        );
        assert_eq!(
            uk_local(utc("2025-07-01T23:30:00Z")).to_string(),
            "2025-07-02 00:30:00"
        );
        assert_eq!(
            uk_local(utc("2025-10-26T00:59:00Z")).to_string(),
            "2025-10-26 01:59:00"
        );
        assert_eq!(
            uk_local(utc("2025-10-26T01:00:00Z")).to_string(),
            "2025-10-26 01:00:00"
        );
    }

    #[test]
    fn open_at_accepts_local_and_offset_times() {
        assert_eq!(
            parse_open_at("2025-06-01T10:30").unwrap().to_string(),
            "2025-06-01 10:30:00"
        );
        assert_eq!(
            parse_open_at("2025-06-01T09:30:00Z").unwrap().to_string(),
            "2025-06-01 10:30:00"
        );
        assert_eq!(
            parse_open_at("2025-12-01T09:30:00+01:00")
                .unwrap()
                .to_string(),
            "2025-12-01 08:30:00"
        );
        assert!(parse_open_at("Sunday").is_err());
        let at = open_at_filter(parse_open_at("2025-06-01T10:30").unwrap()).unwrap();
        assert_eq!(at.day, Weekday::Sun);
    }

    #[test]
    fn matched_filters_are_named_as_the_parameters() {
        let names: Vec<String> = [
            MatchedFilter::Category(Category::Food),
            MatchedFilter::AbcdType(AbcdType::PhysicalSpace),
            MatchedFilter::Cost(CostBand::Free),
            MatchedFilter::Access(AccessFeature::StepFree),
            MatchedFilter::Age(72),
            MatchedFilter::OpenAt,
            MatchedFilter::Status(Status::TemporarilyClosed),
        ]
        .iter()
        .map(filter_name)
        .collect();
        assert_eq!(
            names,
            [
                "category=food",
                "abcd_type=physical_space",
                "cost=free",
                "access=step_free",
                "age=72",
                "open_at",
                "status=temporarily_closed"
            ]
        );
    }

    #[test]
    fn walking_model() {
        assert!((radius_for_walk_minutes(15.0) - 923.08).abs() < 0.01);
        assert_eq!(walk_minutes(923.08), 15);
        assert_eq!(walk_minutes(0.0), 0);
    }
}
