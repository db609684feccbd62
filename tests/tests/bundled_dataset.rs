//! The bundled dataset is made by the product's own importer: every raw file in
//! `data/sources/trafford/assets/` has a mapping in `data/sources/trafford/mappings/`, each reads
//! its file with no rejected record, and the dataset the mappings give is, byte for byte, the
//! committed `data/trafford/assets.geojson` (what `assetmap dataset check` checks).

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use assetmap_server::dataset_cli::{build, summary_text, Built};
use assetmap_tests::data_dir;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::OnceLock;

fn built() -> &'static Built {
    static BUILT: OnceLock<Built> = OnceLock::new();
    BUILT.get_or_init(|| {
        let settings = assetmap_server::Settings {
            data_dir: data_dir(),
            ..assetmap_server::Settings::default()
        };
        let place = assetmap_server::startup::load_place(&settings).unwrap();
        build(&data_dir().join("sources/trafford/mappings"), &place).unwrap()
    })
}

fn source(stem: &str) -> &'static assetmap_server::dataset_cli::SourceSummary {
    built()
        .sources
        .iter()
        .find(|s| s.mapping == format!("{stem}.toml"))
        .unwrap_or_else(|| panic!("no mapping {stem}.toml"))
}

fn features() -> Vec<Value> {
    let doc: Value = serde_json::from_str(&built().text).unwrap();
    doc["features"].as_array().unwrap().clone()
}

fn of(stem: &str) -> Vec<Value> {
    features()
        .into_iter()
        .filter(|f| f["id"].as_str().unwrap().starts_with(&format!("{stem}:")))
        .collect()
}

#[test]
fn the_committed_dataset_is_what_the_mappings_give() {
    let committed = std::fs::read_to_string(data_dir().join("trafford/assets.geojson")).unwrap();
    assert!(
        committed == built().text,
        "data/trafford/assets.geojson is not what the mappings give: run `assetmap dataset build`\n{}",
        summary_text(built())
    );
    // One feature per line, and the bundled reader takes every one.
    assert_eq!(committed.lines().count(), built().assets.len() + 2);
    let read = assetmap_io::read_import(committed.as_bytes(), chrono::Utc::now()).unwrap();
    assert_eq!((read.assets.len(), read.rejected), (1910, 0));
}

#[test]
fn every_raw_file_has_a_mapping_that_reads_it_without_rejecting_a_record() {
    let raw: Vec<String> = std::fs::read_dir(data_dir().join("sources/trafford/assets"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(raw.len(), 21);
    for file in &raw {
        let stem = file.rsplit_once('.').unwrap().0;
        let s = source(stem);
        assert_eq!(s.file, format!("../assets/{file}"));
        assert_eq!(s.rejected, 0, "{file}: {:?}", s.problems);
    }
    assert_eq!(built().sources.len(), 21);
    let access_points = source("trafford_greenspace_access_points");
    assert!(access_points
        .not_imported
        .as_deref()
        .unwrap()
        .contains("entrances"));
}

#[test]
fn the_records_per_source_are_those_of_the_place() {
    let counts: BTreeMap<&str, (usize, usize, usize)> = built()
        .sources
        .iter()
        .filter(|s| s.not_imported.is_none())
        .map(|s| {
            (
                s.mapping.trim_end_matches(".toml"),
                (s.records, s.imported, s.left_out.len()),
            )
        })
        .collect();
    let want: BTreeMap<&str, (usize, usize, usize)> = [
        ("charities_operating_in_trafford", (736, 278, 458)),
        ("sports_clubs", (137, 137, 0)),
        ("sports_facilities", (314, 314, 0)),
        ("trafford_allotments", (35, 35, 0)),
        ("trafford_care_homes", (56, 56, 0)),
        ("trafford_childrens_centres", (2, 2, 0)),
        ("trafford_defibrillators", (185, 185, 0)),
        ("trafford_dentists", (53, 53, 0)),
        ("trafford_fire_stations", (6, 6, 0)),
        ("trafford_food_banks", (7, 7, 0)),
        ("trafford_general_practices", (26, 26, 0)),
        ("trafford_greenspace_sites", (427, 426, 1)),
        ("trafford_hospitals", (20, 20, 0)),
        ("trafford_jobcentreplus", (2, 2, 0)),
        ("trafford_libraries", (13, 13, 0)),
        ("trafford_mental_health_services", (60, 45, 15)),
        ("trafford_pharmacies", (57, 57, 0)),
        ("trafford_places_of_worship", (118, 118, 0)),
        ("trafford_post_offices", (27, 27, 0)),
        ("trafford_schools_and_colleges", (103, 103, 0)),
    ]
    .into_iter()
    .collect();
    assert_eq!(counts, want);
    assert_eq!(built().assets.len(), 1910);
    // Ids are the record's position in its file: saved shortlist links keep working.
    let libraries = of("trafford_libraries");
    assert_eq!(libraries[0]["id"], "trafford_libraries:0");
    assert_eq!(libraries[0]["properties"]["name"], "Altrincham Library");
}

fn count(stem: &str, pointer: &str) -> usize {
    of(stem)
        .iter()
        .filter(|f| {
            f.pointer(pointer)
                .is_some_and(|v| !v.is_null() && v != &Value::Array(vec![]))
        })
        .count()
}

#[test]
fn the_sources_enrich_the_assets() {
    // Pharmacies and food banks: opening times.
    assert_eq!(
        count("trafford_pharmacies", "/properties/opening_times/periods"),
        57
    );
    assert_eq!(
        count("trafford_food_banks", "/properties/opening_times/periods"),
        7
    );
    let pharmacy = &of("trafford_pharmacies")[0]["properties"]["opening_times"]["periods"];
    assert!(pharmacy.as_array().unwrap().len() >= 5, "{pharmacy}");
    // Schools: ages; single-sex schools say so.
    assert_eq!(
        count(
            "trafford_schools_and_colleges",
            "/properties/audience/min_age"
        ),
        103
    );
    assert_eq!(
        count(
            "trafford_schools_and_colleges",
            "/properties/audience/description"
        ),
        8
    );
    // Mental health services: ages from the description's words.
    assert_eq!(
        count(
            "trafford_mental_health_services",
            "/properties/audience/min_age"
        ),
        4
    );
    // Sports facilities: cost from the access type, and the access features the source's
    // disability fields support, step-free among them.
    let sports = of("sports_facilities");
    assert_eq!(count("sports_facilities", "/properties/cost"), 72);
    let with = |feature: &str| {
        sports
            .iter()
            .filter(|f| {
                f["properties"]["access"]
                    .as_array()
                    .is_some_and(|a| a.iter().any(|x| x == feature))
            })
            .count()
    };
    // Step-free needs both the entrance and the activity area accessible (the taxonomy's
    // "entrance and main areas").
    assert_eq!(with("step_free"), 276);
    assert_eq!(with("accessible_toilet"), 246);
    assert_eq!(with("accessible_parking"), 222);
    assert_eq!(with("parking"), 275);
    // Contacts, with clean-ups: CQC phone numbers get their leading 0 back; placeholders go.
    assert_eq!(
        count("trafford_care_homes", "/properties/contact/phone"),
        54
    );
    assert!(of("trafford_care_homes")
        .iter()
        .filter_map(|f| f["properties"]["contact"]["phone"].as_str())
        .all(|p| p.starts_with('0')));
    assert_eq!(count("sports_facilities", "/properties/contact/phone"), 255);
    assert_eq!(
        count(
            "charities_operating_in_trafford",
            "/properties/contact/email"
        ),
        236
    );
    // Descriptions where the source has the words; themes from them.
    assert_eq!(
        count("charities_operating_in_trafford", "/properties/description"),
        278
    );
    assert_eq!(
        count("trafford_defibrillators", "/properties/description"),
        185
    );
    let faith = of("charities_operating_in_trafford")
        .iter()
        .filter(|f| {
            f["properties"]["categories"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c == "faith")
        })
        .count();
    assert!(faith > 20, "{faith}");
    // Unnamed OS features are named by their kind.
    assert!(of("trafford_greenspace_sites")
        .iter()
        .any(|f| f["properties"]["name"] == "Play Space (unnamed)"));
}

fn asset(id: &str) -> &'static Value {
    static BY_ID: OnceLock<BTreeMap<String, Value>> = OnceLock::new();
    BY_ID
        .get_or_init(|| {
            features()
                .into_iter()
                .map(|f| (f["id"].as_str().unwrap().to_owned(), f))
                .collect()
        })
        .get(id)
        .unwrap_or_else(|| panic!("no asset {id}"))
}

fn has(id: &str, list: &str, value: &str) -> bool {
    asset(id)["properties"][list]
        .as_array()
        .is_some_and(|a| a.iter().any(|x| x == value))
}

/// Categories come from what each source says, and the keyword rules leave out the phrases
/// that only look like a theme (issue 20).
#[test]
fn categories_say_what_each_place_offers() {
    // Jobcentres help people find work and claim benefits: not a place to volunteer, so not
    // in volunteering_work (which a search for "volunteering" reads as volunteering); their
    // work is in their tags.
    for jobcentre in of("trafford_jobcentreplus") {
        let id = jobcentre["id"].as_str().unwrap();
        assert!(!has(id, "categories", "volunteering_work"), "{id}");
        assert!(has(id, "categories", "advice_money"), "{id}");
        assert!(has(id, "categories", "public_services"), "{id}");
        assert!(
            has(id, "tags", "jobs") && has(id, "tags", "employment"),
            "{id}"
        );
    }
    // Trafford's council for voluntary service (VCAT, "support and development of the
    // voluntary and community sector") is; so are those whose text says volunteering.
    let vcat = "charities_operating_in_trafford:337";
    assert_eq!(
        asset(vcat)["properties"]["name"],
        "VOLUNTARY AND COMMUNITY ACTION TRAFFORD LTD"
    );
    assert!(has(vcat, "categories", "volunteering_work"));
    assert!(has(vcat, "tags", "voluntary sector"));
    let cyril_flint = "charities_operating_in_trafford:666";
    assert!(has(cyril_flint, "categories", "volunteering_work"));
    // Volunteer opportunities count, as well as the word.
    assert!(has(
        "charities_operating_in_trafford:513",
        "categories",
        "volunteering_work"
    ));
    // Work words are tags, not volunteering: an apprenticeship training association, and
    // a U3A "for members of the community no longer in full time employment" (not even a tag).
    let training = "charities_operating_in_trafford:89";
    assert!(!has(training, "categories", "volunteering_work"));
    assert!(has(training, "tags", "apprenticeships"));
    let u3a = "charities_operating_in_trafford:212";
    assert!(!has(u3a, "categories", "volunteering_work"));
    assert!(!has(u3a, "tags", "employment"));
    let volunteering: Vec<String> = features()
        .iter()
        .filter(|f| {
            f["properties"]["categories"]
                .as_array()
                .unwrap()
                .iter()
                .any(|c| c == "volunteering_work")
        })
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        volunteering,
        [
            "charities_operating_in_trafford:96",
            "charities_operating_in_trafford:337",
            "charities_operating_in_trafford:344",
            "charities_operating_in_trafford:404",
            "charities_operating_in_trafford:513",
            "charities_operating_in_trafford:666",
            "charities_operating_in_trafford:687",
        ]
    );
    // The register's non-discrimination clause ("without distinction of … political,
    // religious or other opinions") is not faith: an indoor football centre, a community
    // association.
    for id in [
        "charities_operating_in_trafford:499",
        "charities_operating_in_trafford:598",
    ] {
        assert!(!has(id, "categories", "faith"), "{id}");
    }
    // A place of worship's charity still is.
    assert!(has(
        "charities_operating_in_trafford:471",
        "categories",
        "faith"
    ));
    // "People with dementia and their families", "friends, family and self-referrals": a
    // person's relatives are not children & families.
    assert!(!has(cyril_flint, "categories", "children_families"));
    let dementia_cafe = "trafford_mental_health_services:52";
    assert!(!has(dementia_cafe, "categories", "children_families"));
    assert!(has(
        "trafford_mental_health_services:27",
        "categories",
        "children_families"
    ));
    // "Physical, sensory, learning or mental health impairments" is not about learning.
    let tcil = "trafford_mental_health_services:15";
    assert_eq!(
        asset(tcil)["properties"]["name"],
        "Trafford Centre for Independent Living"
    );
    assert!(!has(tcil, "categories", "learning"));
    // A brass band that gives concerts is arts & heritage.
    assert!(has(
        "charities_operating_in_trafford:503",
        "categories",
        "arts_heritage"
    ));
    // What a name says: the local studies library is heritage; a respite service is for carers.
    let local_studies = of("trafford_libraries")
        .into_iter()
        .find(|f| f["properties"]["name"] == "Trafford Local Studies Centre")
        .unwrap();
    assert!(has(
        local_studies["id"].as_str().unwrap(),
        "categories",
        "arts_heritage"
    ));
    let respite = of("trafford_care_homes")
        .into_iter()
        .find(|f| f["properties"]["name"] == "Trafford Respite Service")
        .unwrap();
    assert!(has(respite["id"].as_str().unwrap(), "categories", "carers"));
}

/// Step-free only where the source says both the way to the entrance and the facility itself
/// are accessible to disabled people.
#[test]
fn sports_facilities_are_step_free_where_entrance_and_activity_area_are_accessible() {
    let raw =
        std::fs::read_to_string(data_dir().join("sources/trafford/assets/sports_facilities.csv"))
            .unwrap();
    let mut rdr = csv::Reader::from_reader(raw.as_bytes());
    let headers = rdr.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (entrance, activity) = (
        col("disability_finding_reaching_entrance"),
        col("disability_activity_area"),
    );
    let mut step_free = 0;
    for (row, record) in rdr.records().enumerate() {
        let record = record.unwrap();
        let want = &record[entrance] == "Yes" && &record[activity] == "Yes";
        let id = format!("sports_facilities:{row}");
        assert_eq!(has(&id, "access", "step_free"), want, "{id}");
        step_free += usize::from(want);
    }
    assert_eq!(step_free, 276);
    // A S E Club's sports hall: an accessible entrance, the hall itself not.
    assert_eq!(
        asset("sports_facilities:0")["properties"]["name"],
        "A S E Club"
    );
    assert!(!has("sports_facilities:0", "access", "step_free"));
    assert!(has("sports_facilities:0", "access", "accessible_parking"));
}

/// The same place listed by two sources is found and listed for review — the carers' centre in
/// both the charity register and the mental health directory, a cricket club in both sports
/// lists — and the dataset keeps both records. A school and the defibrillator on its wall are
/// not duplicates (nothing in common but the name and the place).
#[test]
fn probable_duplicates_across_sources_are_listed_and_both_kept() {
    let built = built();
    let pairs: Vec<(&str, &str)> = built
        .duplicates
        .iter()
        .map(|d| (d.id.as_str(), d.other_id.as_str()))
        .collect();
    let name_of = |id: &str| {
        built
            .assets
            .iter()
            .find(|a| a.id.as_str() == id)
            .map(|a| a.name.to_string())
            .unwrap()
    };
    let listed = |a: &str, b: &str| {
        built.duplicates.iter().any(|d| {
            d.name.eq_ignore_ascii_case(a) && d.other_name.eq_ignore_ascii_case(b)
                || d.name.eq_ignore_ascii_case(b) && d.other_name.eq_ignore_ascii_case(a)
        })
    };
    assert!(
        listed("Trafford Carers Centre", "Trafford Carers Centre"),
        "{pairs:?}"
    );
    assert!(
        listed("Stretford Cricket Club", "Stretford Cricket Club"),
        "{pairs:?}"
    );
    for d in &built.duplicates {
        assert!(d.id < d.other_id, "each pair once: {d:?}");
        assert_ne!(
            d.id.as_str().split(':').next(),
            d.other_id.as_str().split(':').next(),
            "across sources only: {d:?}"
        );
        // Both are in the dataset.
        name_of(d.id.as_str());
        name_of(d.other_id.as_str());
    }
    assert!(!built.duplicates.iter().any(|d| {
        (d.id.as_str().starts_with("trafford_defibrillators:")
            && d.other_id
                .as_str()
                .starts_with("trafford_schools_and_colleges:"))
            || (d.other_id.as_str().starts_with("trafford_defibrillators:")
                && d.id.as_str().starts_with("trafford_schools_and_colleges:"))
    }));
}
