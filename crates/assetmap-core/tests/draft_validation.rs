//! Parsing drafts into assets: good input becomes a valid asset, bad input is rejected with
//! every problem named by field.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use assetmap_core::*;
use serde_json::json;

fn full_draft() -> AssetDraft {
    serde_json::from_value(json!({
        "name": "  Stretford Allotment Society ",
        "description": "Plots, a tool shed and a Saturday work party.",
        "abcd_type": "Physical Space",
        "categories": ["green_space_nature", "befriending", "green_space_nature"],
        "tags": ["Gardening", "allotment"],
        "address": "King Street, Stretford",
        "postcode": "m32 8ab",
        "contact": {"phone": "0161 123 4567", "email": "plots@example.org", "website": "www.example.org/plots"},
        "opening_times": {
            "periods": [
                {"day": "sat", "opens": "10:00", "closes": "13:00"},
                {"day": "fri", "opens": "22:00", "closes": "02:00"}
            ],
            "by_arrangement": true,
            "note": "Closed in January"
        },
        "cost": {"band": "low", "detail": "£25 a year"},
        "access": ["step_free", "parking"],
        "audience": {"min_age": 8, "max_age": 99, "description": "Families welcome"},
        "languages": ["en", "PL"],
        "provenance": {"source": "Trafford Council", "source_id": "allot-7", "licence": "OGL-3.0"},
        "verified_at": "2025-06-01",
        "status": "active"
    }))
    .unwrap()
}

#[test]
fn a_full_draft_becomes_a_normalised_asset() {
    let valid = full_draft().validate(Some((-2.31, 53.45))).unwrap();
    let now = chrono::Utc::now();
    let a = Asset::create(AssetId::parse("allot:7").unwrap(), valid, now);
    assert_eq!(a.name.as_str(), "Stretford Allotment Society");
    assert_eq!(a.abcd_type, AbcdType::PhysicalSpace);
    assert_eq!(
        a.categories,
        vec![Category::Befriending, Category::GreenSpaceNature],
        "sorted, deduplicated"
    );
    assert_eq!(
        a.tags.iter().map(Tag::as_str).collect::<Vec<_>>(),
        vec!["allotment", "gardening"]
    );
    assert_eq!(a.postcode.as_ref().unwrap().as_str(), "M32 8AB");
    assert_eq!(
        a.contact.website.as_ref().unwrap().as_str(),
        "https://www.example.org/plots"
    );
    assert_eq!(
        a.languages.iter().map(Language::as_str).collect::<Vec<_>>(),
        vec!["en", "pl"]
    );
    assert_eq!(a.opening_times.periods().len(), 2);
    assert_eq!(
        a.opening_times.periods()[0].day(),
        Weekday::Fri,
        "sorted by day"
    );
    assert!(a.opening_times.by_arrangement());
    assert_eq!(
        a.opening_times
            .openness_at(Weekday::Sat, TimeOfDay::parse("01:00").unwrap()),
        Openness::Open,
        "Friday's late opening runs into Saturday"
    );
    assert!(a.audience.admits_age(8) && !a.audience.admits_age(7));
    assert_eq!(a.version, 1);
    // Kept to the microsecond, the precision of PostgreSQL's timestamptz.
    assert_eq!(a.created_at, chrono::SubsecRound::trunc_subsecs(now, 6));

    // Serde round trip of the stored form is exact.
    let back: Asset = serde_json::from_value(serde_json::to_value(&a).unwrap()).unwrap();
    assert_eq!(back, a);
    // And the asset converts back to an equivalent draft.
    let again = Asset::create(
        a.id.clone(),
        a.to_draft().validate(Some((-2.31, 53.45))).unwrap(),
        now,
    );
    assert_eq!(again, a);
}

#[test]
fn replacing_bumps_the_version_and_keeps_created_at() {
    let t0 = chrono::Utc::now();
    let a = Asset::create(
        AssetId::parse("x").unwrap(),
        full_draft().validate(Some((0.0, 51.5))).unwrap(),
        t0,
    );
    let t1 = t0 + chrono::Duration::seconds(5);
    let b = a.replaced_by(full_draft().validate(Some((0.1, 51.5))).unwrap(), t1);
    let micros = |t| chrono::SubsecRound::trunc_subsecs(t, 6);
    assert_eq!(
        (b.version, b.created_at, b.updated_at),
        (2, micros(t0), micros(t1))
    );
    assert_eq!(b.id, a.id);
}

#[test]
fn a_minimal_draft_is_enough() {
    let d: AssetDraft = serde_json::from_value(json!({
        "name": "Park", "abcd_type": "physical_space", "categories": ["green_space_nature"]
    }))
    .unwrap();
    let v = d.validate(Some((-2.3, 53.4))).unwrap();
    assert_eq!(v.status, Status::Active, "status defaults to active");
    assert!(v.opening_times.is_unknown());
    assert!(v.cost.is_none());
}

fn fields(err: &ValidationErrors) -> Vec<&str> {
    err.errors().iter().map(|e| e.field.as_str()).collect()
}

#[test]
fn every_problem_is_reported_with_its_field() {
    let d: AssetDraft = serde_json::from_value(json!({
        "name": "   ",
        "abcd_type": "shop",
        "categories": ["green_space_nature", "knitting"],
        "tags": [""],
        "postcode": "NOT A POSTCODE",
        "contact": {"phone": "call us", "email": "nobody", "website": "ftp://x.org"},
        "opening_times": {"periods": [
            {"day": "someday", "opens": "09:00", "closes": "17:00"},
            {"day": "mon", "opens": "25:00", "closes": "17:00"},
            {"day": "tue", "opens": "09:00", "closes": "09:00"}
        ]},
        "cost": {"band": "cheap"},
        "access": ["teleporter"],
        "audience": {"min_age": 30, "max_age": 20},
        "languages": ["english"],
        "verified_at": "yesterday",
        "status": "gone"
    }))
    .unwrap();
    let err = d.validate(Some((-200.0, 53.0))).unwrap_err();
    let got = fields(&err);
    for want in [
        "name",
        "abcd_type",
        "categories[1]",
        "tags[0]",
        "postcode",
        "contact.phone",
        "contact.email",
        "contact.website",
        "opening_times.periods[0].day",
        "opening_times.periods[1].opens",
        "opening_times.periods[2].closes",
        "cost.band",
        "access[0]",
        "audience.max_age",
        "languages[0]",
        "verified_at",
        "status",
        "geometry.coordinates.lon",
    ] {
        assert!(
            got.contains(&want),
            "expected an error for {want}; got {got:?}"
        );
    }
    // The message says what would be accepted.
    let cat = err
        .errors()
        .iter()
        .find(|e| e.field == "categories[1]")
        .unwrap();
    assert!(cat.problem.contains("knitting") && cat.problem.contains("green_space_nature"));
}

#[test]
fn missing_required_fields_are_named() {
    let err = AssetDraft::default().validate(None).unwrap_err();
    let got = fields(&err);
    for want in ["name", "abcd_type", "categories", "geometry"] {
        assert!(got.contains(&want), "{want} in {got:?}");
    }
}

#[test]
fn out_of_range_ages_and_latitudes() {
    let mut d = full_draft();
    d.audience.min_age = Some(-1);
    d.audience.max_age = Some(300);
    let err = d.validate(Some((0.0, 91.0))).unwrap_err();
    let got = fields(&err);
    assert!(
        got.contains(&"audience.min_age") && got.contains(&"audience.max_age"),
        "{got:?}"
    );
    assert!(got.contains(&"geometry.coordinates.lat"), "{got:?}");
}

#[test]
fn unknown_fields_are_refused_by_serde() {
    let r: Result<AssetDraft, _> = serde_json::from_value(json!({"name": "x", "colour": "red"}));
    assert!(r.unwrap_err().to_string().contains("colour"));
}

/// A full draft with one property replaced.
fn with(key: &str, value: serde_json::Value) -> AssetDraft {
    let mut v = serde_json::to_value(full_draft()).unwrap();
    v[key] = value;
    serde_json::from_value(v).unwrap()
}

fn problems(d: AssetDraft) -> Vec<FieldError> {
    d.validate(Some((-2.31, 53.45))).unwrap_err().0
}

#[test]
fn names_need_visible_characters() {
    for name in [
        "\u{200B}\u{200C}\u{200D}",
        "\u{FEFF}",
        "\u{2060}",
        " \u{200B} \u{FEFF} ",
    ] {
        let errs = problems(with("name", json!(name)));
        assert_eq!(fields_of(&errs), ["name"], "{name:?}");
        assert!(errs[0].problem.contains("visible"), "{}", errs[0].problem);
    }
    // The same rule for the other text fields.
    for key in ["description", "address"] {
        let errs = problems(with(key, json!("\u{200B}\u{FEFF}")));
        assert_eq!(fields_of(&errs), [key]);
    }
    let errs = problems(with("tags", json!(["ok", "\u{200B}"])));
    assert_eq!(fields_of(&errs), ["tags[1]"]);
}

fn fields_of(errs: &[FieldError]) -> Vec<&str> {
    errs.iter().map(|e| e.field.as_str()).collect()
}

#[test]
fn bidi_controls_are_rejected_in_every_text_field() {
    let evil = "Library \u{202E}gnp.exe\u{202C}";
    for (key, value, field) in [
        ("name", json!(evil), "name"),
        ("description", json!(evil), "description"),
        ("address", json!(evil), "address"),
        ("tags", json!(["fine", evil]), "tags[1]"),
        (
            "audience",
            json!({"description": "Isolate \u{2067}x\u{2069}"}),
            "audience.description",
        ),
        (
            "cost",
            json!({"band": "low", "detail": "mark \u{200F}"}),
            "cost.detail",
        ),
        (
            "provenance",
            json!({"source": "a\u{202A}b"}),
            "provenance.source",
        ),
    ] {
        let errs = problems(with(key, value));
        assert_eq!(fields_of(&errs), [field], "{key}");
        assert!(errs[0].problem.contains("bidirectional"), "{key}");
    }
    let errs = problems(with(
        "contact",
        json!({"website": "https://a.org/\u{202E}x"}),
    ));
    assert_eq!(fields_of(&errs), ["contact.website"]);
}

#[test]
fn lists_and_strings_are_capped() {
    let many = |n: usize| json!((0..n).map(|i| format!("t{i}")).collect::<Vec<_>>());
    assert!(with("tags", many(50)).validate(Some((-2.3, 53.4))).is_ok());
    for (key, value, field) in [
        ("tags", many(51), "tags"),
        ("tags", many(60_000), "tags"),
        ("categories", json!(vec!["befriending"; 17]), "categories"),
        ("languages", json!(vec!["en"; 21]), "languages"),
        ("access", json!(vec!["parking"; 33]), "access"),
        ("name", json!("n".repeat(201)), "name"),
        ("description", json!("d".repeat(5001)), "description"),
        ("address", json!("a".repeat(301)), "address"),
        ("tags", json!(["x".repeat(51)]), "tags[0]"),
        (
            "opening_times",
            json!({"periods": vec![json!({"day": "mon", "opens": "09:00", "closes": "10:00"}); 101]}),
            "opening_times.periods",
        ),
        (
            "opening_times",
            json!({"note": "n".repeat(501)}),
            "opening_times.note",
        ),
        (
            "provenance",
            json!({"attribution": "a".repeat(301)}),
            "provenance.attribution",
        ),
    ] {
        let errs = problems(with(key, value));
        assert_eq!(fields_of(&errs), [field], "{key}");
    }
}

#[test]
fn echoed_input_is_cut_short() {
    let huge = "x".repeat(900_000);
    for (key, value) in [
        ("postcode", json!(huge)),
        ("tags", json!([huge])),
        ("status", json!(huge)),
        ("verified_at", json!(huge)),
    ] {
        let errs = problems(with(key, value));
        assert_eq!(errs.len(), 1);
        assert!(
            errs[0].problem.len() < 400,
            "{key}: {}",
            errs[0].problem.len()
        );
    }
    // A value that is quoted back is quoted in part, with "…".
    let errs = problems(with("postcode", json!(huge)));
    assert!(
        errs[0]
            .problem
            .starts_with(&format!("\"{}…\" is not a UK postcode", "x".repeat(80))),
        "{}",
        errs[0].problem
    );
}
