//! `GET /search`: a coordinator's search near a person — where (a postcode or a point), how far
//! (metres or minutes' walk), what matters to them (free text) and their practical limits —
//! answered from the engine as a GeoJSON FeatureCollection in rank order, each feature saying
//! how far it is, how well it matched and why.
//!
//! Nothing about the person is stored, and the request log leaves out the query string
//! (see [`crate::telemetry`]); responses are marked `Cache-Control: no-store` and
//! `Referrer-Policy: no-referrer`.
//!
//! Minutes' walk follow [`WalkingModel`]; times are UK local time ([`assetmap_core::uk_time`]).

use crate::errors::ApiError;
use crate::http::{private_response, GEO_JSON};
use crate::params::Params;
use crate::parse::origin_from;
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use assetmap_core::uk_time::{parse_local, uk_local};
use assetmap_core::{
    round_to, AbcdType, AccessFeature, Category, CostBand, Openness, Status, TimeOfDay,
    WalkingModel, Weekday,
};
use assetmap_index::search::{
    MatchedFilter, SearchOrder, SearchQuery, AGE_WORDS_FACTOR, BY_ARRANGEMENT_FACTOR,
    NOT_RECORDED_FACTOR, OTHER_AGE_WORDS_FACTOR, PROXIMITY_WEIGHT, RELEVANCE_WEIGHT,
    TIMES_UNKNOWN_FACTOR,
};
use assetmap_index::AssetView;
use assetmap_index::{Filter, OpenAt, OpenAtPolicy, TextQuery};
use assetmap_io::{write_feature_with, FeatureView};
use assetmap_place::Place;
use chrono::{DateTime, Datelike, NaiveDateTime, Timelike, Utc};
use serde_json::{json, Value};
use std::sync::LazyLock;

/// Default search radius, metres (about a 26-minute walk).
pub const DEFAULT_RADIUS_M: f64 = 1600.0;
/// Largest search radius, metres.
pub const MAX_RADIUS_M: f64 = 50_000.0;
/// Default number of results.
pub const DEFAULT_LIMIT: usize = 20;
/// Largest number of results.
pub const MAX_LIMIT: usize = 200;

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

/// Parses `open_at`: ISO 8601 UK local time, or converted to it from an offset.
fn parse_open_at(v: &str) -> Result<NaiveDateTime, ApiError> {
    parse_local(v).map_err(|e| ApiError::bad_param("open_at", e.problem))
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
    /// When the search starts from a postcode district's centre, what that point is.
    pub origin_note: Option<String>,
    /// The words given (`q`), trimmed; empty for none.
    pub words: String,
}

/// Reads and checks every parameter, naming the first bad one. The words are read by
/// `read_words`: [`assetmap_index::Engine::read_words`] to read them against what the records
/// say (a misspelt word read as the known word it is one slip from), or
/// [`TextQuery::parse`].
pub fn parse_search(
    query_string: &str,
    place: &Place,
    now: DateTime<Utc>,
    read_words: impl FnOnce(&str) -> TextQuery,
) -> Result<SearchRequest, ApiError> {
    let p = Params::parse(query_string, SEARCH_PARAMS)?;
    let origin = origin_from(&p, place)?.ok_or_else(|| {
        ApiError::bad_param(
            "postcode",
            "say where the person is: give postcode (e.g. M33 7XY), or lon and lat",
        )
    })?;
    let radius = p.number("radius", 1.0..=MAX_RADIUS_M)?;
    let max_minutes = WalkingModel::max_minutes_within(MAX_RADIUS_M);
    let minutes = p.number("walk_minutes", 1.0..=max_minutes)?;
    let radius_m = match (radius, minutes) {
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_param(
                "walk_minutes",
                "give either radius (metres) or walk_minutes, not both",
            ))
        }
        (Some(r), None) => r,
        (None, Some(m)) => WalkingModel::radius_m(m),
        (None, None) => DEFAULT_RADIUS_M,
    };
    let q = crate::parse::words_from(&p)?;
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
        updated: None,
    };
    Ok(SearchRequest {
        query: SearchQuery {
            origin: origin.at,
            radius_m,
            text: read_words(q),
            filter,
            limit,
            order,
        },
        open_at,
        origin_note: origin.district_note,
        words: q.trim().to_owned(),
    })
}

/// What `/search` says when the words matched nothing: the words, and what it lists instead.
fn no_match_answer(words: &str, q: &SearchQuery) -> Value {
    let message = if q.text.is_empty() {
        format!(
            "“{words}” has no words to search for (numbers and everyday words such as “really” or “my mum” are left out). These are the nearest places of any kind: add what matters to the person, such as “singing” or “feeling lonely”."
        )
    } else {
        format!(
            "Nothing within {} m matches “{words}”. These are the nearest places of any kind: try other words, or a longer walk.",
            q.radius_m.round()
        )
    };
    json!({"words": words, "instead": "nearest", "message": message})
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

async fn search(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let engine = state.engine();
    let parsed = parse_search(req.query_string(), &state.place, Utc::now(), |words| {
        engine.read_words(words)
    })?;
    let q = &parsed.query;
    if engine.view_form() != Some(FeatureView.form()) {
        return Err(ApiError::internal(
            "the engine keeps no feature view of its assets (a bug: the server builds it with one)",
        ));
    }
    let mut results = engine.search_rendered(q);
    // Words were given but none is a search word, or nothing nearby matches them: say so, and
    // offer the nearest places of any kind (with the same filters) instead of nothing.
    let no_match = !parsed.words.is_empty() && (q.text.is_empty() || results.is_empty());
    if no_match && !q.text.is_empty() {
        let nearest = SearchQuery {
            text: TextQuery::default(),
            ..q.clone()
        };
        results = engine.search_rendered(&nearest);
    }
    // Each result's feature as the engine keeps it ready-made, with what the search says of
    // it after its own properties: sized for the answer (a feature is about 1.3 KB), so that
    // the buffer is not grown and copied again as it is written.
    let explainer = engine.explainer(q);
    let mut text = Vec::with_capacity(4_096 + results.len() * 1_536);
    text.extend_from_slice(br#"{"features":["#);
    for (i, r) in results.iter().enumerate() {
        if i > 0 {
            text.push(b',');
        }
        let extra = ResultExtra {
            distance_m: round_to(r.distance_m, 1),
            matched: Matched {
                // The status filter is implied (active only), not the person's.
                filters: r
                    .matched_filters(q)
                    .iter()
                    .filter(|m| !matches!(m, MatchedFilter::Status(_)))
                    .map(filter_name)
                    .collect(),
                // Kept, but its record does not say: times not known, no age range.
                not_recorded: r.not_recorded(q).iter().map(filter_name).collect(),
                terms: r.matched_terms(q),
                // How each word matched: itself, a synonym, a category or a concept
                // ("feeling low" through "mental wellbeing").
                through: explainer
                    .explain(r)
                    .iter()
                    .map(|m| Through {
                        through: m.through,
                        term: m.word,
                        via: m.via,
                    })
                    .collect(),
            },
            open_status: r.openness.map(open_status),
            relevance: round_to(r.relevance, 4),
            // A better-ranked place at the same site: this one is grouped under it.
            same_site_as: r.same_site_as.as_ref().map(|site| SiteRef {
                id: site.id.as_str(),
                name: site.name.as_str(),
            }),
            score: round_to(r.score, 4),
            walk_minutes: WalkingModel::minutes(r.distance_m),
        };
        write_feature_with(&mut text, &r.asset.view, &extra)
            .map_err(|e| ApiError::internal(e.to_string()))?;
    }
    // The results are copied out: nothing below reads the engine.
    drop(explainer);
    drop(engine);
    let search = json!({
        "origin": [q.origin.lon(), q.origin.lat()],
        "origin_note": parsed.origin_note,
        "radius_m": round_to(q.radius_m, 1),
        "terms": q.text.terms.iter().map(|t| t.word.as_str()).collect::<Vec<_>>(),
        // Words left out as not what the person looks for ("my mum is 82": mum, 82).
        "dropped": q.text.dropped,
        // Words read as another, one slip away ("councelling": counselling).
        "corrected": q.text.corrected.iter().map(|(typed, read)| json!({"typed": typed, "read_as": read})).collect::<Vec<_>>(),
        // An age the words give, to offer as the age filter (never applied by itself).
        "suggested_age": q.text.suggested_age.filter(|_| q.filter.age.is_none()),
        "no_match": no_match.then(|| no_match_answer(&parsed.words, q)),
        "open_at": parsed.open_at.map(|t| t.format("%Y-%m-%dT%H:%M").to_string()),
        "order": match q.order { SearchOrder::Relevance => "relevance", SearchOrder::Distance => "distance" },
        "ranking": RANKING.as_str(),
        "walking_model": WALKING_MODEL.as_str(),
    });
    // The rest of the collection, its members in the order serde writes a struct's: features,
    // numberReturned, search, type.
    text.extend_from_slice(format!(r#"],"numberReturned":{},"search":"#, results.len()).as_bytes());
    serde_json::to_writer(&mut text, &search).map_err(|e| ApiError::internal(e.to_string()))?;
    text.extend_from_slice(br#","type":"FeatureCollection"}"#);
    Ok(private_response(GEO_JSON).body(text))
}

/// How results are ranked, as every answer states it.
static RANKING: LazyLock<String> = LazyLock::new(|| {
    format!("score = ({RELEVANCE_WEIGHT} × relevance + {PROXIMITY_WEIGHT} × proximity) × openness; proximity = 1 − distance/radius; openness 1 (open or no time asked), {BY_ARRANGEMENT_FACTOR} by arrangement, {TIMES_UNKNOWN_FACTOR} times unknown; × {NOT_RECORDED_FACTOR} for each of cost and access asked for that its record does not give; with no age range × {NOT_RECORDED_FACTOR} ({AGE_WORDS_FACTOR} when its name names the person's age group, {OTHER_AGE_WORDS_FACTOR} another); a record of the same site as a better one is listed after the other places")
});

/// The walking model behind `walk_minutes`, as every answer states it.
static WALKING_MODEL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "{} km/h on streets {} times the straight-line distance",
        WalkingModel::SPEED_KMH,
        WalkingModel::DETOUR_FACTOR
    )
});

/// What a search adds to each result's properties, after the asset's own (alphabetical).
#[derive(serde::Serialize)]
struct ResultExtra<'a> {
    distance_m: f64,
    matched: Matched<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    open_status: Option<&'static str>,
    relevance: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    same_site_as: Option<SiteRef<'a>>,
    score: f64,
    walk_minutes: i64,
}

#[derive(serde::Serialize)]
struct SiteRef<'a> {
    id: &'a str,
    name: &'a str,
}

#[derive(serde::Serialize)]
struct Matched<'a> {
    filters: Vec<String>,
    not_recorded: Vec<String>,
    terms: Vec<&'a str>,
    through: Vec<Through<'a>>,
}

#[derive(serde::Serialize)]
struct Through<'a> {
    #[serde(rename = "as")]
    through: Option<&'static str>,
    term: &'a str,
    via: &'static str,
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
