//! The bodies of the fuzz targets: each takes the raw bytes libFuzzer makes up and feeds them
//! to the very function the server or the command line uses on outside input, then checks what
//! can be checked of the answer. A panic (a failed `assert!` included) is a finding.
//!
//! This file is compiled twice: by the fuzz crate (`tests/fuzz`, one binary per target under
//! `fuzz_targets/`), and by the workspace's end-to-end tests (`tests/tests/fuzz_corpus.rs`),
//! which replay the committed seed corpus through [`ALL`] on every `bash tests/run.sh`.

use assetmap_analysis::export::{Layer, Selection};
use assetmap_core::schedule::{OpeningTimes, Openness, TimeOfDay, Weekday};
use assetmap_core::schedule_text::{parse_opening_text, MAX_TEXT_CHARS};
use assetmap_core::text::{self, is_bidi_control};
use assetmap_core::{
    Asset, AssetDraft, AssetId, OpeningTimesDraft, Postcode, ValidAssetDraft, ValidationErrors,
};
use assetmap_index::text::{analyse, fold, TextQuery, MAX_QUERY_TERMS};
use assetmap_index::{BBox, Engine, SearchOrder};
use assetmap_place::Place;
use assetmap_server::errors::ApiError;
use assetmap_server::params::Params;
use assetmap_server::parse::{
    area_param, bbox_from, cql_filter_from, datetime_from, filter_from, level_from_path,
    lookup_postcode, origin_from, summary_query, MAX_WALK_M, PROPERTY_PARAMS,
};
use assetmap_server::routes::items::parse_feature_body;
use assetmap_server::routes::search::parse_search;
use chrono::{DateTime, TimeZone, Utc};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// A fuzz target's body: any bytes in, a panic on a finding.
pub type Target = fn(&[u8]);

/// Every target by name; the name is also its binary under `fuzz_targets/` and its seed
/// corpus folder under `corpus/`.
pub const ALL: &[(&str, Target)] = &[
    ("asset_draft", asset_draft),
    ("query_params", query_params),
    ("search", search),
    ("search_text", search_text),
    ("opening_times", opening_times),
    ("postcode", postcode),
    ("bbox", bbox),
    ("import_geojson", import_geojson),
    ("gpkg_geometry", gpkg_geometry),
    ("cql2", cql2),
    ("opening_text", opening_text),
];

/// Every query parameter some endpoint accepts: a query string is parsed against all of them
/// (the per-endpoint lists only decide which names are refused).
const ALL_PARAMS: &[&str] = &[
    "f",
    "filter",
    "filter-lang",
    "filter-crs",
    "bbox",
    "datetime",
    "limit",
    "offset",
    "category",
    "abcd_type",
    "status",
    "area",
    "walk_m",
    "desert_share",
    "layers",
    "postcode",
    "lon",
    "lat",
    "radius",
    "walk_minutes",
    "q",
    "open_at",
    "open",
    "cost",
    "access",
    "age",
    "sort",
    "ids",
    "format",
];

/// The longest problem sentence a field error may have, in characters: the core's cap and the
/// "…" that marks a cut. Anything longer echoes outside input whole.
const MAX_PROBLEM_CHARS: usize = text::MAX_PROBLEM_CHARS + 1;

/// The fixed "now" of every target (17:30 UTC on Tuesday 3 June 2025), so that a finding
/// replays the same way.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 3, 17, 30, 0)
        .single()
        .expect("a valid fixed instant")
}

/// The repository root: the first folder up from this crate's manifest holding the bundled
/// data (the two crates that compile this file sit at different depths).
fn repo_root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .ancestors()
            .find(|d| d.join("data/trafford/assets.geojson").is_file())
            .expect("the repository's data/ folder above the crate")
            .to_path_buf()
    })
}

/// The bundled place (boundaries, postcodes), loaded once per process as the server loads it.
fn place() -> &'static Place {
    static PLACE: OnceLock<Place> = OnceLock::new();
    PLACE.get_or_init(|| Place::load(&repo_root().join("data")).expect("the bundled place loads"))
}

/// The engine over the bundled assets, built once per process as the server builds it.
fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let path = repo_root().join("data/trafford/assets.geojson");
        let file = std::fs::File::open(&path).expect("the bundled dataset opens");
        let assets = assetmap_io::read_feature_collection(std::io::BufReader::new(file), now())
            .expect("the bundled dataset is valid");
        Engine::new(assets)
    })
}

/// Every field error names a field and says what is wrong without echoing the input whole.
fn check_validation_errors(errors: &ValidationErrors) {
    assert!(
        !errors.errors().is_empty(),
        "an error with no problem in it"
    );
    for e in errors.errors() {
        assert!(!e.problem.is_empty(), "an empty problem for {:?}", e.field);
        let n = e.problem.chars().count();
        assert!(
            n <= MAX_PROBLEM_CHARS,
            "the problem for {:?} is {n} characters long: {}…",
            e.field,
            e.problem.chars().take(200).collect::<String>()
        );
    }
}

/// An error answer says something.
fn check_api_error(e: &ApiError) {
    assert!(!e.detail().is_empty(), "an error answer with no detail");
}

/// Text that a client typed and a validated draft kept: trimmed, visible, no bidirectional
/// controls, no control characters (but new lines and tabs in paragraphs), at most `max`
/// characters.
fn check_text_field(field: &str, value: &str, max: usize, multi_line: bool) {
    let n = value.chars().count();
    assert!(n >= 1 && n <= max, "{field} has {n} characters (cap {max})");
    assert_eq!(value, value.trim(), "{field} is not trimmed");
    assert!(
        value.chars().any(text::is_visible),
        "{field} has no visible character"
    );
    assert!(
        !value.chars().any(is_bidi_control),
        "{field} has a bidirectional control"
    );
    let bad = |c: char| c.is_control() && !(multi_line && matches!(c, '\n' | '\r' | '\t'));
    assert!(!value.chars().any(bad), "{field} has a control character");
}

/// A validated draft respects every cap of `assetmap_core::text`.
fn check_caps(v: &ValidAssetDraft) {
    check_text_field("name", v.name.as_str(), text::MAX_NAME_CHARS, false);
    if let Some(d) = &v.description {
        check_text_field("description", d, text::MAX_DESCRIPTION_CHARS, true);
    }
    if let Some(a) = &v.address {
        check_text_field("address", a, text::MAX_ADDRESS_CHARS, false);
    }
    assert!((1..=text::MAX_CATEGORIES).contains(&v.categories.len()));
    assert!(v.tags.len() <= text::MAX_TAGS);
    for t in &v.tags {
        check_text_field("tag", t.as_str(), text::MAX_TAG_CHARS, false);
    }
    assert!(v.access.len() <= text::MAX_ACCESS);
    assert!(v.languages.len() <= text::MAX_LANGUAGES);
    assert!(v.opening_times.periods().len() <= text::MAX_PERIODS);
    if let Some(n) = v.opening_times.note() {
        check_text_field("opening_times.note", n, text::MAX_NOTE_CHARS, true);
    }
    if let Some(w) = &v.contact.website {
        check_text_field("website", w.as_str(), text::MAX_WEBSITE_CHARS, false);
    }
    if let Some(d) = v.cost.as_ref().and_then(|c| c.detail.as_deref()) {
        check_text_field("cost.detail", d, text::MAX_SHORT_TEXT_CHARS, false);
    }
    if let Some(d) = v.audience.description() {
        check_text_field("audience.description", d, text::MAX_SHORT_TEXT_CHARS, false);
    }
    let p = &v.provenance;
    for (field, value) in [
        ("provenance.source", &p.source),
        ("provenance.source_id", &p.source_id),
        ("provenance.licence", &p.licence),
        ("provenance.attribution", &p.attribution),
        ("provenance.geocode_method", &p.geocode_method),
    ] {
        if let Some(value) = value {
            check_text_field(field, value, text::MAX_SHORT_TEXT_CHARS, false);
        }
    }
    if let (Some(lo), Some(hi)) = (v.audience.min_age(), v.audience.max_age()) {
        assert!(lo <= hi);
    }
    check_opening_times(&v.opening_times);
}

/// Opening times answer "is it open then?" consistently, and say something in words.
fn check_opening_times(t: &OpeningTimes) {
    assert!(!t.describe().is_empty());
    let samples = [0u16, 1, 9 * 60, 12 * 60 + 30, 23 * 60 + 59];
    for day in Weekday::ALL {
        for m in samples {
            let time = TimeOfDay::from_hm(m / 60, m % 60).expect("a sample time of day");
            let open = t.periods().iter().any(|p| p.contains(day, time));
            let answer = t.openness_at(day, time);
            assert_eq!(open, answer == Openness::Open, "{day:?} {time}");
        }
    }
}

/// The body of `POST` / `PUT /collections/assets/items`: read as the server reads it, then
/// validated; a valid draft respects the caps, and the asset made from it is served and read
/// back unchanged (what a client that edits a record it fetched relies on).
pub fn asset_draft(data: &[u8]) {
    let input = match parse_feature_body(data) {
        Ok(input) => input,
        Err(e) => {
            check_api_error(&e);
            // The field error inside that answer, as `parse_feature_body` got it.
            if let Ok(value) = serde_json::from_slice(data) {
                if let Err(errors) = assetmap_io::draft_from_feature(value) {
                    check_validation_errors(&errors);
                }
            }
            return;
        }
    };
    let id = input.id.clone();
    let valid = match input.draft.validate(input.location) {
        Ok(valid) => valid,
        Err(errors) => {
            check_validation_errors(&errors);
            return check_api_error(&ApiError::invalid_body(&errors));
        }
    };
    check_caps(&valid);
    let id = id.unwrap_or_else(|| AssetId::parse("fuzz:1").expect("a valid id"));
    let asset = Asset::create(id, valid, now());
    let served = assetmap_io::asset_to_feature(&asset).to_string();
    let again = parse_feature_body(served.as_bytes()).expect("a served asset reads back");
    let valid_again = again
        .draft
        .validate(again.location)
        .expect("a served asset validates again");
    let back = Asset::create(
        again.id.expect("a served asset has its id"),
        valid_again,
        now(),
    );
    assert_eq!(back, asset, "the asset changed on the way out and back in");
}

/// A query string through the parsing every read endpoint shares (`Params` and
/// `assetmap_server::parse`), against the bundled place.
pub fn query_params(data: &[u8]) {
    let Ok(query) = std::str::from_utf8(data) else {
        return;
    };
    // Writes take no parameter at all.
    if let Err(e) = Params::parse(query, &[]) {
        check_api_error(&e);
    }
    // A path segment: `/collections/areas-{level}/items`.
    if let Err(e) = level_from_path(query) {
        check_api_error(&e);
    }
    let p = match Params::parse(query, ALL_PARAMS) {
        Ok(p) => p,
        Err(e) => return check_api_error(&e),
    };
    let place = place();
    for name in ALL_PARAMS {
        if let Ok(Some(v)) = p.one(name) {
            assert!(!v.is_empty() && v == v.trim(), "{name}={v:?}");
        }
        assert!(p.list(name).iter().all(|v| !v.is_empty() && *v == v.trim()));
    }
    match filter_from(&p) {
        Ok(f) => assert!(!f.statuses.is_empty(), "a filter that matches no status"),
        Err(e) => check_api_error(&e),
    }
    match bbox_from(&p) {
        Ok(Some(b)) => check_bbox(&b),
        Ok(None) => {}
        Err(e) => check_api_error(&e),
    }
    match datetime_from(&p) {
        Ok(Some(i)) => {
            if let (Some(start), Some(end)) = (i.start, i.end) {
                assert!(start <= end, "an interval that ends before it starts");
            }
        }
        Ok(None) => {}
        Err(e) => check_api_error(&e),
    }
    match summary_query(&p) {
        Ok(q) => {
            assert!(
                (1.0..=MAX_WALK_M).contains(&q.walk_m),
                "walk_m {}",
                q.walk_m
            );
            assert!((0.0..=1.0).contains(&q.desert_share));
        }
        Err(e) => check_api_error(&e),
    }
    if let Err(e) = area_param(&p, place) {
        check_api_error(&e);
    }
    if let Ok(Some(code)) = p.one("area") {
        if let Ok(choice) = Selection::area_from_code(&place.areas, code) {
            assert_eq!(choice.code, code);
        }
    }
    match origin_from(&p, place) {
        Ok(Some(origin)) => {
            let at = origin.at;
            assert!(at.lon().abs() <= 180.0 && at.lat().abs() <= 90.0);
            // Only a district's centre carries a note, and it names the district.
            if let Some(note) = &origin.district_note {
                let raw = p.one("postcode").ok().flatten().unwrap_or_default();
                let code = assetmap_server::parse::outward_code(raw);
                assert!(code.is_some_and(|c| note.starts_with(&c)), "{note}");
            }
        }
        Ok(None) => {}
        Err(e) => check_api_error(&e),
    }
    for (name, range) in [("limit", 1..=i64::MAX), ("offset", 0..=i64::from(u32::MAX))] {
        match p.integer(name, range.clone()) {
            Ok(Some(n)) => assert!(range.contains(&n)),
            Ok(None) => {}
            Err(e) => check_api_error(&e),
        }
    }
    for raw in p.list("ids") {
        if let Ok(id) = AssetId::parse(raw) {
            assert_eq!(id.as_str(), raw);
        }
    }
    let _ = Layer::parse_list(p.list("layers"));
    // `filter` (with the queryable parameters, which are not in ALL_PARAMS: given here by
    // name when the query has them).
    if let Err(e) = cql_filter_from(&p) {
        check_api_error(&e);
    }
    if let Ok(q) = Params::parse(query, PROPERTY_PARAMS.as_slice()) {
        if let Err(e) = cql_filter_from(&q) {
            check_api_error(&e);
        }
    }
}

/// A CQL2 filter in either encoding: read, bound to the queryables, and run on the bundled
/// assets. An error points inside the filter: a character position within the text (or just
/// after its end), a JSON Pointer to a node that exists.
pub fn cql2(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let chars = text.chars().count();
    let json: Option<serde_json::Value> = serde_json::from_str(text).ok();
    for parsed in [
        assetmap_cql2::parse_text(text),
        assetmap_cql2::parse_json(text),
    ] {
        let expr = match parsed {
            Ok(expr) => expr,
            Err(e) => {
                check_position(&e.at, chars, json.as_ref());
                assert!(!e.message.is_empty());
                continue;
            }
        };
        match assetmap_index::predicate::Predicate::bind(&expr) {
            Ok(p) => {
                let matched = engine().iter().take(200).filter(|a| p.matches(a)).count();
                assert!(matched <= 200);
            }
            Err(e) => {
                check_position(&e.at, chars, json.as_ref());
                assert!(!e.message.is_empty());
            }
        }
    }
}

fn check_position(at: &assetmap_cql2::At, chars: usize, json: Option<&serde_json::Value>) {
    match at {
        assetmap_cql2::At::Char(n) => {
            assert!((1..=chars + 1).contains(n), "position {n} of {chars}")
        }
        assetmap_cql2::At::Pointer(p) => {
            if let Some(doc) = json {
                assert!(doc.pointer(p).is_some(), "pointer {p:?} into the document");
            }
        }
    }
}

/// `GET /search`: the query string parsed as the server parses it, then the search run on the
/// bundled assets; the answer is within the radius, at most `limit` long, and in order.
pub fn search(data: &[u8]) {
    let Ok(query) = std::str::from_utf8(data) else {
        return;
    };
    let request = match parse_search(query, place(), now(), |words| engine().read_words(words)) {
        Ok(r) => r,
        Err(e) => return check_api_error(&e),
    };
    let q = &request.query;
    assert!(
        q.radius_m >= 1.0 && q.radius_m.is_finite(),
        "{}",
        q.radius_m
    );
    assert!(q.text.terms.len() <= MAX_QUERY_TERMS);
    let results = engine().search(q);
    assert!(results.len() <= q.limit);
    for r in &results {
        // A little slack for rounding at the edge of the circle, in metres.
        assert!(
            r.distance_m <= q.radius_m + 1e-6,
            "{} > {}",
            r.distance_m,
            q.radius_m
        );
        assert!((0.0..=1.0).contains(&r.score), "score {}", r.score);
        assert!(
            (0.0..=1.0).contains(&r.relevance),
            "relevance {}",
            r.relevance
        );
        assert!(r.matched_terms(q).len() <= q.text.terms.len());
    }
    match q.order {
        SearchOrder::Relevance => {
            // Places in score order, then the records grouped under one of them (each after
            // the place it names), in score order.
            let places = results
                .iter()
                .take_while(|r| r.same_site_as.is_none())
                .count();
            let (lead, grouped) = results.split_at(places);
            assert!(grouped.iter().all(|r| r.same_site_as.is_some()));
            for part in [lead, grouped] {
                assert!(part.windows(2).all(|w| w[0].score >= w[1].score));
            }
            for r in grouped {
                let leader = r.same_site_as.as_ref().map(|a| a.id.as_str());
                assert!(lead.iter().any(|l| Some(l.asset.id.as_str()) == leader));
            }
        }
        SearchOrder::Distance => {
            assert!(results
                .windows(2)
                .all(|w| w[0].distance_m <= w[1].distance_m));
            assert!(results.iter().all(|r| r.same_site_as.is_none()));
        }
    }
}

/// The search box's text (`q`): analysis and query preparation.
pub fn search_text(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = fold(&text);
    assert!(analyse(&text).iter().all(|stem| !stem.is_empty()));
    let q = TextQuery::parse(&text);
    assert!(q.terms.len() <= MAX_QUERY_TERMS);
    for (i, t) in q.terms.iter().enumerate() {
        assert!(!t.word.is_empty() && !t.stem.is_empty());
        assert!(
            q.terms[..i].iter().all(|o| o.stem != t.stem),
            "repeated stem {}",
            t.stem
        );
        // A term is a word or a known phrase: it matches its own words first (stop words
        // out), unless it is a concept's phrase left with one word of its own ("on my own"),
        // which matches only through the concept.
        let first = t.expansions.first().expect("every term has a way to match");
        let own: Vec<&str> = t.stem.split(' ').collect();
        if first.via == "word" {
            assert!(
                first.stems.iter().all(|s| own.contains(&s.as_str())),
                "{t:?}"
            );
        } else {
            assert!(
                own.len() > 1 && t.expansions.iter().all(|e| e.via != "word"),
                "{t:?}"
            );
        }
        for e in &t.expansions {
            assert!(!e.stems.is_empty() && e.weight > 0.0 && e.weight <= 1.0);
        }
    }
    assert_eq!(q.matched_words(u32::MAX).len(), q.terms.len());
}

/// Whether `s` is `H:MM` or `HH:MM` in ASCII digits, the grammar `TimeOfDay::parse` documents.
fn is_hh_mm(s: &str) -> bool {
    match s.split_once(':') {
        Some((h, m)) => {
            (1..=2).contains(&h.len())
                && m.len() == 2
                && h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit())
        }
        None => false,
    }
}

/// Opening times: a time of day and a day as a client writes them, the draft JSON of an
/// asset's `opening_times`, and the stored JSON a store reads back.
pub fn opening_times(data: &[u8]) {
    let s = String::from_utf8_lossy(data);
    if let Ok(t) = TimeOfDay::parse(&s) {
        assert!(is_hh_mm(s.trim()), "{s:?} accepted as {t}");
        assert!(t.minutes() <= 24 * 60);
        assert_eq!(TimeOfDay::parse(&t.to_string()).ok(), Some(t));
    }
    if let Ok(d) = Weekday::parse(&s) {
        let given = s.trim().to_ascii_lowercase();
        assert!(
            given == d.name().to_ascii_lowercase() || given == d.name()[..3].to_ascii_lowercase(),
            "{s:?} accepted as {d:?}"
        );
    }
    if let Ok(draft) = serde_json::from_slice::<OpeningTimesDraft>(data) {
        let asset = AssetDraft {
            name: Some("Fuzz".into()),
            abcd_type: Some("association".into()),
            categories: vec!["arts_heritage".into()],
            opening_times: draft,
            ..AssetDraft::default()
        };
        match asset.validate(Some((-2.35, 53.38))) {
            Ok(valid) => {
                check_caps(&valid);
                let periods = valid.opening_times.periods();
                assert!(periods
                    .windows(2)
                    .all(|w| (w[0].day(), w[0].opens(), w[0].closes())
                        < (w[1].day(), w[1].opens(), w[1].closes())));
                // What a store writes and reads back.
                let stored = serde_json::to_string(&valid.opening_times).expect("serialises");
                let back: OpeningTimes = serde_json::from_str(&stored).expect("reads back");
                assert_eq!(back, valid.opening_times);
            }
            Err(errors) => check_validation_errors(&errors),
        }
    }
    if let Ok(stored) = serde_json::from_slice::<OpeningTimes>(data) {
        check_opening_times(&stored);
    }
}

/// Opening hours as a council's spreadsheet writes them (`schedule_text::parse_opening_text`,
/// for the importer): read, or refused with a problem that says why without echoing the text
/// whole. What is read has valid days and times, sorted periods, and describes itself.
pub fn opening_text(data: &[u8]) {
    let s = String::from_utf8_lossy(data);
    match parse_opening_text(&s) {
        Ok(times) => {
            assert!(s.chars().count() <= MAX_TEXT_CHARS, "{s:?} is over the cap");
            if s.trim().is_empty() {
                assert_eq!(times, OpeningTimes::unknown());
            }
            assert!(!times.describe().is_empty());
            for p in times.periods() {
                assert!(Weekday::ALL.contains(&p.day()));
                assert!(
                    p.opens() < TimeOfDay::END_OF_DAY,
                    "{s:?} opens at {}",
                    p.opens()
                );
                assert!(p.closes() <= TimeOfDay::END_OF_DAY);
                assert_ne!(p.opens(), p.closes(), "{s:?}");
                for t in [p.opens(), p.closes()] {
                    assert_eq!(TimeOfDay::parse(&t.to_string()).ok(), Some(t));
                }
            }
            let periods = times.periods();
            assert!(periods
                .windows(2)
                .all(|w| (w[0].day(), w[0].opens(), w[0].closes())
                    < (w[1].day(), w[1].opens(), w[1].closes())));
            check_opening_times(&times);
        }
        Err(e) => check_validation_errors(&ValidationErrors(vec![e])),
    }
}

/// A postcode as a person types it, and its lookup in the bundled postcode table
/// (`/geocode`, `/search`, `/shortlist`).
pub fn postcode(data: &[u8]) {
    let s = String::from_utf8_lossy(data);
    match Postcode::parse(&s) {
        Ok(pc) => {
            let p = pc.as_str();
            assert!((6..=8).contains(&p.len()), "{p:?}");
            assert!(p
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b' '));
            assert_eq!(p.matches(' ').count(), 1, "{p:?}");
            assert_eq!(Postcode::parse(p).ok().as_ref(), Some(&pc));
            if let Some(info) = place().postcode(&pc) {
                assert_eq!(info.postcode, p);
            }
        }
        Err(e) => assert_eq!(e.field, "postcode"),
    }
    match lookup_postcode(place(), &s) {
        // A district's centre for an outward code alone, else the postcode's own row.
        Ok(info) if info.district_postcodes.is_some() => {
            assert_eq!(
                assetmap_server::parse::outward_code(&s).as_deref(),
                Some(info.postcode.as_str())
            );
            assert!(info.district_postcodes.is_some_and(|n| n > 0));
        }
        Ok(info) => {
            let pc = Postcode::parse(&s).expect("a postcode that was found parses");
            assert_eq!(info.postcode, pc.as_str());
        }
        Err(e) => check_api_error(&e),
    }
}

/// A box is valid by construction: finite, in range, west ≤ east, south ≤ north.
fn check_bbox(b: &BBox) {
    for v in [b.west(), b.south(), b.east(), b.north()] {
        assert!(v.is_finite());
    }
    assert!(b.west().abs() <= 180.0 && b.east().abs() <= 180.0);
    assert!(b.south().abs() <= 90.0 && b.north().abs() <= 90.0);
    // west > east is a box across the antimeridian.
    assert!(b.south() <= b.north());
    assert_eq!(b.crosses_antimeridian(), b.west() > b.east());
}

/// The OGC `bbox` parameter; a box read back from its own numbers is the same box.
pub fn bbox(data: &[u8]) {
    let s = String::from_utf8_lossy(data);
    match BBox::parse_ogc(&s) {
        Ok(b) => {
            check_bbox(&b);
            let again = format!("{},{},{},{}", b.west(), b.south(), b.east(), b.north());
            assert_eq!(BBox::parse_ogc(&again).ok(), Some(b));
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
}

/// `assetmap import --file`: a GeoJSON FeatureCollection of assets. Every asset read is valid
/// (it validates again from its own draft into the same asset) and respects the caps.
pub fn import_geojson(data: &[u8]) {
    let assets = match assetmap_io::read_feature_collection(data, now()) {
        Ok(assets) => assets,
        Err(e) => {
            if let assetmap_io::GeoJsonError::Invalid { errors, .. } = &e {
                check_validation_errors(errors);
            }
            return assert!(!e.to_string().is_empty());
        }
    };
    for asset in assets {
        let location = Some((asset.location.lon(), asset.location.lat()));
        let valid = asset
            .to_draft()
            .validate(location)
            .expect("an imported asset validates again");
        check_caps(&valid);
        assert_eq!(Asset::create(asset.id.clone(), valid, now()), asset);
    }
}

/// The geometry blob of a GeoPackage row (the store's file can be edited by other tools).
pub fn gpkg_geometry(data: &[u8]) {
    if let Ok((x, y)) = assetmap_gpkg::decode_point(data) {
        let blob = assetmap_gpkg::encode_point(assetmap_gpkg::WGS84_SRS_ID, x, y);
        let (x2, y2) = assetmap_gpkg::decode_point(&blob).expect("our own blob decodes");
        assert_eq!((x.to_bits(), y.to_bits()), (x2.to_bits(), y2.to_bits()));
    }
    // Boundaries come in as GeoPackage polygons too (assetmap place build).
    if let Ok(polygons) = assetmap_gpkg::decode_polygons(data) {
        let parts: Vec<Vec<&[[f64; 2]]>> = polygons
            .iter()
            .map(|p| p.iter().map(Vec::as_slice).collect())
            .collect();
        if let Some(blob) = assetmap_gpkg::encode_multipolygon(assetmap_gpkg::WGS84_SRS_ID, &parts)
        {
            let again = assetmap_gpkg::decode_polygons(&blob).expect("our own blob decodes");
            assert_eq!(again.len(), polygons.len());
        }
    }
}
