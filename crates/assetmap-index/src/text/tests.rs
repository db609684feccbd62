//! Tests of the index as a whole: ranking, circles, filters, upserts.

use super::*;
use crate::{CompiledFilter, Filter};
use assetmap_core::{Asset, AssetDraft, AssetId, AudienceDraft, CostBand, CostDraft, LonLat};

fn asset(
    id: &str,
    name: &str,
    description: &str,
    categories: &[&str],
    tags: &[&str],
    lonlat: (f64, f64),
) -> Asset {
    let draft = AssetDraft {
        name: Some(name.into()),
        description: (!description.is_empty()).then(|| description.into()),
        abcd_type: Some("association".into()),
        categories: categories.iter().map(|s| (*s).into()).collect(),
        tags: tags.iter().map(|s| (*s).into()).collect(),
        ..AssetDraft::default()
    };
    let valid = draft.validate(Some(lonlat)).unwrap();
    Asset::create(
        AssetId::parse(id).unwrap(),
        valid,
        chrono::DateTime::UNIX_EPOCH,
    )
}

const SALE: (f64, f64) = (-2.3183, 53.4242);

fn index(assets: &[Asset]) -> TextIndex {
    let mut ix = TextIndex::new();
    for (i, a) in assets.iter().enumerate() {
        ix.upsert(i as u32, a);
    }
    ix
}

fn ranked(ix: &TextIndex, assets: &[Asset], q: &str) -> Vec<String> {
    let mut hits = ix.search(&TextQuery::parse(q), None, &CompiledFilter::default());
    hits.sort_by(|a, b| {
        b.relevance
            .total_cmp(&a.relevance)
            .then(a.slot.cmp(&b.slot))
    });
    hits.iter()
        .map(|h| assets[h.slot as usize].id.to_string())
        .collect()
}

#[test]
fn gardening_finds_allotments_and_green_spaces_with_name_matches_first() {
    let assets = vec![
        asset(
            "club",
            "Sale Gardeners' Club",
            "Monthly talks",
            &["community_groups"],
            &[],
            SALE,
        ),
        asset(
            "allot",
            "Walton Park Allotments",
            "",
            &["green_space_nature"],
            &[],
            SALE,
        ),
        asset(
            "park",
            "Worthington Park",
            "",
            &["green_space_nature"],
            &[],
            SALE,
        ),
        asset(
            "choir",
            "Sale Community Choir",
            "We sing",
            &["arts_heritage"],
            &[],
            SALE,
        ),
    ];
    let ix = index(&assets);
    let r = ranked(&ix, &assets, "gardening");
    assert_eq!(r[0], "club", "{r:?}");
    assert_eq!(
        r[1], "allot",
        "allotments (synonym + category) before a plain park: {r:?}"
    );
    assert_eq!(r[2], "park");
    assert_eq!(r.len(), 3);
    assert_eq!(ranked(&ix, &assets, "singing"), ["choir"]);
}

#[test]
fn field_weights_put_name_before_tags_before_description() {
    let assets = vec![
        asset(
            "desc",
            "Tuesday Group",
            "We play chess and cards",
            &["community_groups"],
            &[],
            SALE,
        ),
        asset(
            "tag",
            "Tuesday Group",
            "We play cards",
            &["community_groups"],
            &["chess"],
            SALE,
        ),
        asset(
            "name",
            "Tuesday Chess Group",
            "We play cards",
            &["community_groups"],
            &[],
            SALE,
        ),
    ];
    let ix = index(&assets);
    assert_eq!(ranked(&ix, &assets, "chess"), ["name", "tag", "desc"]);
}

#[test]
fn more_matched_terms_rank_higher_and_matched_bits_say_which() {
    let assets = vec![
        asset(
            "both",
            "Dads and Tots Chess",
            "",
            &["children_families"],
            &[],
            SALE,
        ),
        asset("one", "Chess Club", "", &["community_groups"], &[], SALE),
    ];
    let ix = index(&assets);
    let q = TextQuery::parse("chess dads");
    let mut hits = ix.search(&q, None, &CompiledFilter::default());
    hits.sort_by(|a, b| b.relevance.total_cmp(&a.relevance));
    assert_eq!(hits[0].slot, 0);
    assert_eq!(q.matched_words(hits[0].matched), ["chess", "dads"]);
    assert_eq!(q.matched_words(hits[1].matched), ["chess"]);
}

#[test]
fn synonyms_score_below_the_word_itself() {
    let assets = vec![
        asset(
            "ramblers",
            "Trafford Ramblers",
            "",
            &["physical_activity_sport"],
            &[],
            SALE,
        ),
        asset(
            "walking",
            "Trafford Walking Group",
            "",
            &["physical_activity_sport"],
            &[],
            SALE,
        ),
    ];
    let ix = index(&assets);
    assert_eq!(ranked(&ix, &assets, "walking"), ["walking", "ramblers"]);
    assert_eq!(ranked(&ix, &assets, "ramblers"), ["ramblers", "walking"]);
}

#[test]
fn circle_and_filter_narrow_the_hits_and_distances_are_close() {
    let far = (-2.2, 53.48); // ~10 km from Sale
    let near = (-2.3183, 53.4332); // 1 km north of Sale
    let mut assets = vec![
        asset("near", "Chess Club", "", &["community_groups"], &[], near),
        asset("far", "Chess Club", "", &["community_groups"], &[], far),
    ];
    let draft = AssetDraft {
        cost: Some(CostDraft {
            band: "paid".into(),
            detail: None,
        }),
        audience: AudienceDraft {
            min_age: Some(18),
            ..AudienceDraft::default()
        },
        ..assets[0].to_draft()
    };
    assets.push(Asset::create(
        AssetId::parse("paid").unwrap(),
        draft.validate(Some(near)).unwrap(),
        chrono::DateTime::UNIX_EPOCH,
    ));
    let ix = index(&assets);
    let q = TextQuery::parse("chess");
    let circle = Circle {
        centre: LonLat::new(SALE.0, SALE.1).unwrap(),
        radius_m: 2000.0,
    };
    let mut hits = ix.search(&q, Some(&circle), &CompiledFilter::default());
    hits.sort_by_key(|h| h.slot);
    assert_eq!(hits.iter().map(|h| h.slot).collect::<Vec<_>>(), [0, 2]);
    let exact = circle.centre.distance_m(&assets[0].location);
    assert!(
        (hits[0].approx_distance_m - exact).abs() < 1.0,
        "{} vs {exact}",
        hits[0].approx_distance_m
    );

    // One facet encoding for the engine and the index: an unknown cost never matches a
    // cost filter (the near asset's cost is not known).
    let paid = CompiledFilter::new(&Filter {
        cost_bands: vec![CostBand::Paid],
        ..Filter::default()
    });
    assert_eq!(ix.search(&q, Some(&circle), &paid).len(), 1);
    let free = CompiledFilter::new(&Filter {
        cost_bands: vec![CostBand::Free],
        ..Filter::default()
    });
    assert!(ix.search(&q, Some(&circle), &free).is_empty());
    let child = CompiledFilter::new(&Filter {
        age: Some(8),
        ..Filter::default()
    });
    assert_eq!(
        ix.search(&q, Some(&circle), &child)
            .iter()
            .map(|h| h.slot)
            .collect::<Vec<_>>(),
        [0]
    );
    let everywhere = Circle {
        radius_m: 50_000.0,
        ..circle
    };
    assert_eq!(
        ix.search(&q, Some(&everywhere), &CompiledFilter::default())
            .len(),
        3
    );
}

#[test]
fn large_circles_and_circles_near_the_antimeridian_and_poles_still_find_everything_inside() {
    let spots = [
        (179.999, 10.0),
        (-179.999, 10.0),
        (0.0, 89.999),
        (120.0, 89.99),
    ];
    let assets: Vec<Asset> = spots
        .iter()
        .enumerate()
        .map(|(i, p)| {
            asset(
                &format!("a{i}"),
                "Chess",
                "",
                &["community_groups"],
                &[],
                *p,
            )
        })
        .collect();
    let ix = index(&assets);
    let q = TextQuery::parse("chess");
    let c = Circle {
        centre: LonLat::new(180.0, 10.0).unwrap(),
        radius_m: 1000.0,
    };
    assert_eq!(ix.search(&q, Some(&c), &CompiledFilter::default()).len(), 2);
    let c = Circle {
        centre: LonLat::new(60.0, 90.0).unwrap(),
        radius_m: 5000.0,
    };
    assert_eq!(ix.search(&q, Some(&c), &CompiledFilter::default()).len(), 2);
}

#[test]
fn upsert_replaces_and_remove_forgets() {
    let mut assets = vec![
        asset("a", "Chess Club", "", &["community_groups"], &[], SALE),
        asset("b", "Bridge Club", "", &["community_groups"], &[], SALE),
    ];
    let mut ix = index(&assets);
    assert_eq!(ix.len(), 2);
    let q = TextQuery::parse("chess");
    assert_eq!(ix.search(&q, None, &CompiledFilter::default()).len(), 1);
    assets[1] = asset(
        "b",
        "Bridge and Chess Club",
        "",
        &["community_groups"],
        &[],
        SALE,
    );
    ix.upsert(1, &assets[1]);
    assert_eq!(ix.len(), 2);
    assert_eq!(ix.search(&q, None, &CompiledFilter::default()).len(), 2);
    ix.remove(0);
    ix.remove(0);
    assert_eq!(ix.len(), 1);
    let hits = ix.search(&q, None, &CompiledFilter::default());
    assert_eq!(hits.iter().map(|h| h.slot).collect::<Vec<_>>(), [1]);
    ix.remove(1);
    assert!(ix.is_empty());
    assert!(ix.search(&q, None, &CompiledFilter::default()).is_empty());
}

#[test]
fn accumulator_grows_without_losing_hits() {
    let assets: Vec<Asset> = (0..500)
        .map(|i| {
            asset(
                &format!("a{i}"),
                "Chess and Singing",
                "",
                &["community_groups"],
                &[],
                (-2.3 + f64::from(i) * 1e-4, 53.4),
            )
        })
        .collect();
    let ix = index(&assets);
    let hits = ix.search(
        &TextQuery::parse("chess singing"),
        None,
        &CompiledFilter::default(),
    );
    assert_eq!(hits.len(), 500);
    assert!(hits.iter().all(|h| h.matched == 0b11));
    let s0 = hits[0].relevance;
    assert!(hits.iter().all(|h| (h.relevance - s0).abs() < 1e-6));
}

#[test]
fn a_phrase_matches_whole_and_in_order_not_as_scattered_words() {
    let assets = vec![
        asset(
            "ca",
            "Larkhill Centre Community Association",
            "",
            &["community_groups"],
            &[],
            SALE,
        ),
        asset(
            "pta",
            "St Mary's Parent Teacher Association",
            "Fundraising for the school community.",
            &["learning"],
            &[],
            SALE,
        ),
    ];
    let ix = index(&assets);
    // "lonely" reaches community associations through a concept's word, "community
    // association": one term of the index, found whole, so not in the parents' association.
    assert_eq!(ranked(&ix, &assets, "lonely"), ["ca"]);
    // Stop words inside a phrase are skipped on both sides ("arts and crafts", a synonym).
    let mut terms = Vec::new();
    for_each_index_term("Arts and Crafts club", |t| terms.push(t.to_string()));
    assert_eq!(terms, ["art", "craft", "club", "art craft"]);
    terms.clear();
    for_each_index_term("Crafts and arts", |t| terms.push(t.to_string()));
    assert_eq!(terms, ["craft", "art"], "in order only");
}

#[test]
fn concept_words_do_not_fire_on_everyday_senses_of_a_word() {
    // A record full of words whose everyday sense is not the concept: "in memory of", "heart of",
    // "a warm welcome", "the community", "information", "fire safety", "accessible", "club",
    // "play", "peace of mind". None of these needs may find it through them.
    let assets = vec![asset(
        "trust",
        "Heart of Sale Memorial Trust",
        "In memory of Jim. A warm welcome to the whole community: information on fire safety, \
         accessible rooms, a club for those who like to play cards, and peace of mind.",
        &["arts_heritage"],
        &[],
        SALE,
    )];
    let ix = index(&assets);
    for need in [
        "dementia",
        "heart condition",
        "refugee",
        "feeling low",
        "get fit",
        "disabled",
        "domestic abuse",
        "somewhere warm",
        "toddler",
    ] {
        let q = TextQuery::parse(need);
        assert!(
            q.terms
                .iter()
                .all(|t| t.expansions.iter().any(|e| e.via == "concept")),
            "{need}: a concept's phrase"
        );
        assert!(ranked(&ix, &assets, need).is_empty(), "{need}");
    }
}

#[test]
fn matches_without_scores_are_the_assets_search_finds() {
    let assets = assetmap_synthetic::assets(7, 3_000);
    let ix = TextIndex::build(assets.iter().enumerate().map(|(i, a)| (i as u32, a)));
    let sale = Circle {
        centre: assetmap_core::LonLat::new(SALE.0, SALE.1).unwrap(),
        radius_m: 8_000.0,
    };
    let free = Filter {
        cost_bands: vec![CostBand::Free],
        ..Filter::default()
    };
    for words in [
        "gardening",
        "meet other dads",
        "feeling low",
        "food bank",
        "xyzzy",
    ] {
        for (area, filter) in [(None, Filter::default()), (Some(&sale), free.clone())] {
            let q = TextQuery::parse(words);
            let c = CompiledFilter::new(&filter);
            let mut want: Vec<u32> = ix.search(&q, area, &c).iter().map(|h| h.slot).collect();
            let mut got = Vec::new();
            ix.for_each_match(&q, area, &c, |slot| got.push(slot));
            want.sort_unstable();
            got.sort_unstable();
            got.dedup();
            assert_eq!(got, want, "{words}");
        }
    }
}

/// Hits in slot order, for comparing two indexes.
fn by_slot(mut hits: Vec<TextHit>) -> Vec<(u32, u32, u32)> {
    hits.sort_by_key(|h| h.slot);
    hits.iter()
        .map(|h| (h.slot, h.relevance.to_bits(), h.matched))
        .collect()
}

#[test]
fn an_index_kept_in_step_by_edits_answers_as_one_built_afresh() {
    use assetmap_synthetic as synthetic;
    // 6,000 assets in one grid cell (more than one chunk) and 2,000 spread around.
    let mut assets = synthetic::assets(7, 8_000);
    let spot = LonLat::new(SALE.0, SALE.1).unwrap();
    for a in assets.iter_mut().take(6_000) {
        a.location = spot;
    }
    let mut ix = TextIndex::build(assets.iter().enumerate().map(|(i, a)| (i as u32, a)));
    let mut live = vec![true; assets.len()];
    // Remove every third, rename every fifth, move every seventh into the crowded cell,
    // put some removed ones back: free local numbers are reused, chunks gain and lose terms.
    for (i, a) in assets.iter_mut().enumerate() {
        let slot = i as u32;
        if i % 3 == 0 {
            ix.remove(slot);
            live[i] = false;
        }
        if i % 5 == 0 {
            a.name =
                assetmap_core::AssetName::parse(&format!("Chess and Gardening Club {i}")).unwrap();
            ix.upsert(slot, a);
            live[i] = true;
        }
        if i % 7 == 0 && live[i] {
            a.location = spot;
            ix.upsert(slot, a);
        }
    }
    ix.remove(1); // twice: nothing happens
    ix.remove(1);
    live[1] = false;
    let kept: Vec<(u32, &Asset)> = assets
        .iter()
        .enumerate()
        .filter(|(i, _)| live[*i])
        .map(|(i, a)| (i as u32, a))
        .collect();
    let fresh = TextIndex::build(kept.into_iter());
    assert_eq!(ix.len(), fresh.len());
    assert_eq!(ix.total_len, fresh.total_len);
    assert_eq!(ix.posting_count(), fresh.posting_count());
    assert_eq!(ix.posting_count(), ix.decoded_posting_count());
    let circle = Circle {
        centre: spot,
        radius_m: 3_000.0,
    };
    for q in [
        "chess",
        "gardening club",
        "walking football",
        "choir singing",
        "club",
    ] {
        let q = TextQuery::parse(q);
        for area in [None, Some(&circle)] {
            let edited = by_slot(ix.search(&q, area, &CompiledFilter::default()));
            assert!(!edited.is_empty() || area.is_some(), "{q:?} finds nothing");
            assert_eq!(
                edited,
                by_slot(fresh.search(&q, area, &CompiledFilter::default())),
                "{q:?} in {area:?}"
            );
        }
    }
    for (i, a) in assets.iter().enumerate() {
        let renamed = a.name.as_str().starts_with("Chess and");
        if !live[i] || renamed {
            let has_chess = ix
                .known_term("chess")
                .is_some_and(|id| ix.doc_has_id(i as u32, id));
            assert_eq!(has_chess, live[i], "slot {i}");
        }
    }
}

#[test]
fn gardening_is_not_a_garden_and_parking_is_not_a_park() {
    let assets = vec![
        asset(
            "allot",
            "Moor Nook",
            "",
            &["green_space_nature"],
            &["allotment", "gardening"],
            SALE,
        ),
        asset(
            "park",
            "Public Park Or Garden (unnamed)",
            "",
            &["green_space_nature"],
            &["park", "public park or garden"],
            SALE,
        ),
        asset(
            "hall",
            "Sale Leisure Centre",
            "Sports hall. Free parking.",
            &["physical_activity_sport"],
            &[],
            SALE,
        ),
    ];
    let ix = index(&assets);
    // A person who gardens wants the allotment, not the park named a garden, even when they
    // also say "his own garden".
    let r = ranked(
        &ix,
        &assets,
        "loves gardening but can't manage his own garden",
    );
    assert_eq!(r[0], "allot", "{r:?}");
    // A garden still finds the park first, by its name, and gardening next.
    assert_eq!(ranked(&ix, &assets, "garden"), ["park", "allot"]);
    // Parking is not a park.
    assert!(!ranked(&ix, &assets, "park").contains(&"hall".to_string()));
    assert_eq!(ranked(&ix, &assets, "parking"), ["hall"]);
}

#[test]
fn an_activity_finds_its_club_first_then_the_places_it_is_played() {
    let assets = vec![
        asset(
            "club",
            "Silver Feather Badminton Club",
            "",
            &["physical_activity_sport"],
            &[],
            SALE,
        ),
        asset(
            "hall",
            "Sale Leisure Centre",
            "Sports halls (1 on site).",
            &["physical_activity_sport"],
            &["sports hall"],
            SALE,
        ),
        asset(
            "pitch",
            "Walton Park",
            "Grass pitches (2 on site).",
            &["physical_activity_sport"],
            &["grass pitch"],
            SALE,
        ),
        asset(
            "play",
            "Play Space (unnamed)",
            "",
            &["green_space_nature"],
            &["play space"],
            SALE,
        ),
    ];
    let ix = index(&assets);
    // The club by its name, then the hall through "sports halls"; not the pitch.
    assert_eq!(
        ranked(&ix, &assets, "where can I play badminton"),
        ["club", "hall"]
    );
    let q = TextQuery::parse("where can I play badminton");
    assert_eq!(q.dropped, ["play"], "{q:?}");
    assert!(q.terms[0]
        .expansions
        .iter()
        .any(|e| e.via == "venue" && e.through == Some("sports halls")));
    // "Play" with nothing after it still means playing.
    assert_eq!(
        ranked(&ix, &assets, "somewhere for the kids to play"),
        ["play"]
    );
    assert_eq!(ranked(&ix, &assets, "a kickabout"), ["pitch"]);
}

#[test]
fn martial_arts_are_not_art() {
    let assets = vec![
        asset(
            "karate",
            "Altrincham Karate Club",
            "Martial arts for all ages.",
            &["physical_activity_sport"],
            &["martial arts", "sports club"],
            SALE,
        ),
        asset(
            "studio",
            "Open Studios",
            "Art and drawing sessions.",
            &["arts_heritage"],
            &["art"],
            SALE,
        ),
    ];
    let ix = index(&assets);
    assert_eq!(ranked(&ix, &assets, "art"), ["studio"]);
    assert_eq!(ranked(&ix, &assets, "he used to draw"), ["studio"]);
    // (The studio comes second, through studios: a place martial arts are done.)
    assert_eq!(ranked(&ix, &assets, "martial arts")[0], "karate");
    let mut terms = Vec::new();
    for_each_index_term("Flixton Golf Course", |t| terms.push(t.to_string()));
    assert_eq!(
        terms,
        ["flixton", "golf cours"],
        "a golf course is not a course"
    );
    let mut terms = Vec::new();
    for_each_index_term("Martial arts and art", |t| terms.push(t.to_string()));
    assert_eq!(terms, ["art", "martial art"], "the second art is art");
}

/// `assets` and fifty others named "<common> Hall <i>": a directory where `common` and "hall"
/// are everywhere.
fn among_many(mut assets: Vec<Asset>, common: &str) -> Vec<Asset> {
    for i in 0..50 {
        assets.push(asset(
            &format!("other-{i}"),
            &format!("{common} Hall {i}"),
            "",
            &["community_groups"],
            &[],
            SALE,
        ));
    }
    assets
}

#[test]
fn in_a_long_sentence_its_three_most_telling_words_fully_matched_are_a_full_match() {
    let assets = among_many(
        vec![
            asset(
                "three",
                "Chess Singing Football",
                "",
                &["community_groups"],
                &[],
                SALE,
            ),
            asset("one", "Chess", "", &["community_groups"], &[], SALE),
        ],
        "Parish",
    );
    let ix = index(&assets);
    let relevance = |q: &str| -> Vec<f32> {
        let mut hits = ix.search(&TextQuery::parse(q), None, &CompiledFilter::default());
        hits.sort_by_key(|h| h.slot);
        hits.iter().map(|h| h.relevance).collect()
    };
    // Two words: the mean (chess is in two assets, singing in one: nearly as telling).
    let r = relevance("chess singing");
    assert!(r[0] > 0.9 && (r[1] - r[0] / 2.0).abs() < 0.1, "{r:?}");
    // Five words, three matched by the first, the others in every other asset: a full match.
    let r = relevance("chess singing football parish hall");
    assert!(r[0] > 0.9, "{r:?}");
    assert!((r[1] - r[0] / 3.0).abs() < 0.1, "{r:?}");
    assert!(r.iter().all(|x| *x <= 1.0));
}

#[test]
fn a_word_few_assets_have_counts_for_more_than_one_most_have() {
    let assets = among_many(
        vec![
            asset(
                "gaelic",
                "St Brendan's Gaelic Football",
                "",
                &["physical_activity_sport"],
                &[],
                SALE,
            ),
            asset(
                "parish",
                "Parish Rooms",
                "",
                &["community_groups"],
                &[],
                SALE,
            ),
        ],
        "Parish",
    );
    let ix = index(&assets);
    let mut hits = ix.search(
        &TextQuery::parse("gaelic at the parish"),
        None,
        &CompiledFilter::default(),
    );
    hits.sort_by(|a, b| b.relevance.total_cmp(&a.relevance));
    let first = &assets[hits[0].slot as usize];
    assert_eq!(first.id.as_str(), "gaelic", "{hits:?}");
    // "parish" is in 51 of 52 assets: it says next to nothing.
    let parish = hits.iter().find(|h| h.slot == 1).unwrap();
    assert!(parish.relevance < hits[0].relevance / 4.0, "{hits:?}");
}

#[test]
fn running_is_the_sport_not_a_place_run_by_someone() {
    let assets = vec![
        asset(
            "library",
            "Central Library",
            "Local authority run library, run by volunteers on Sundays.",
            &["learning"],
            &[],
            SALE,
        ),
        asset(
            "harriers",
            "Sale Harriers",
            "A club for runners of every age.",
            &["physical_activity_sport"],
            &[],
            SALE,
        ),
    ];
    let ix = index(&assets);
    assert_eq!(ranked(&ix, &assets, "running"), ["harriers"]);
    assert_eq!(ranked(&ix, &assets, "runners"), ["harriers"]);
}

#[test]
fn what_the_person_wants_counts_for_more_than_the_story_around_it() {
    // Equally rare words, one of them after "misses": the place for it comes first.
    let assets = vec![
        asset(
            "origami",
            "Origami Circle",
            "",
            &["arts_heritage"],
            &[],
            SALE,
        ),
        asset(
            "bagpipes",
            "Bagpipe Band",
            "",
            &["arts_heritage"],
            &[],
            SALE,
        ),
    ];
    let ix = index(&assets);
    let story = "origami kept him busy, now he misses the bagpipes";
    let q = TextQuery::parse(story);
    assert!(
        q.terms.iter().any(|t| t.word == "bagpipes" && t.cued),
        "{q:?}"
    );
    assert!(
        q.terms.iter().any(|t| t.word == "origami" && !t.cued),
        "{q:?}"
    );
    assert_eq!(ranked(&ix, &assets, story), ["bagpipes", "origami"]);
    // A hope is a want too, and the word for it is not searched for.
    let hope = TextQuery::parse("origami kept him busy, he is hoping to try bagpipes");
    assert!(
        hope.terms.iter().any(|t| t.word == "bagpipes" && t.cued),
        "{hope:?}"
    );
    assert!(!hope.terms.iter().any(|t| t.word == "hoping"), "{hope:?}");
    // Without a word saying what is wanted, the two count the same.
    let mut hits = ix.search(
        &TextQuery::parse("origami bagpipes"),
        None,
        &CompiledFilter::default(),
    );
    hits.sort_by_key(|h| h.slot);
    assert_eq!(hits.len(), 2, "{hits:?}");
    assert!(
        (hits[0].relevance - hits[1].relevance).abs() < 0.01,
        "{hits:?}"
    );
}

#[test]
fn a_name_says_what_the_asset_is_and_where_it_is_hosted_apart() {
    use super::analysis::name_and_host;
    assert_eq!(
        name_and_host("Defibrillator at Urmston Leisure Centre"),
        ("Defibrillator", Some("Urmston Leisure Centre"))
    );
    assert_eq!(
        name_and_host("Stay and Play AT St Mary's"),
        ("Stay and Play", Some("St Mary's"))
    );
    for whole in [
        "At Home Care",
        "Eat at",
        "Patterdale Road",
        "Sale Leisure Centre",
    ] {
        assert_eq!(name_and_host(whole), (whole, None), "{whole}");
    }
    // The café's own record says "pavilion" in a tag; the defibrillator on its wall says it
    // in its name, after "at": the place comes first.
    let assets = vec![
        asset(
            "defib",
            "Defibrillator at Park Pavilion",
            "",
            &["health_services"],
            &["defibrillator"],
            SALE,
        ),
        asset(
            "cafe",
            "Park Cafe",
            "Teas and cakes",
            &["food"],
            &["pavilion"],
            SALE,
        ),
    ];
    let ix = index(&assets);
    assert_eq!(ranked(&ix, &assets, "pavilion"), ["cafe", "defib"]);
    // A search for the defibrillator still finds it first.
    assert_eq!(ranked(&ix, &assets, "defibrillator"), ["defib"]);
}

#[test]
fn words_run_together_are_the_phrase_and_a_phrase_finds_them_run_together() {
    let assets = vec![
        asset(
            "playgroup",
            "Park Road Playgroup",
            "Stay and play for under fives",
            &["children_families"],
            &[],
            SALE,
        ),
        asset(
            "play-group",
            "Church Play Group",
            "Toys and songs on Tuesdays",
            &["children_families"],
            &[],
            SALE,
        ),
        asset(
            "provider",
            "Oak House",
            "A care home. Provider: Oakwood Carehomes Ltd.",
            &["care_support"],
            &[],
            SALE,
        ),
        asset(
            "care-home",
            "Elm Care Home",
            "A care home for older people",
            &["care_support"],
            &[],
            SALE,
        ),
    ];
    let ix = index(&assets);
    // The phrase finds the record that writes it as one word, and the one word the phrase.
    for q in ["play group", "playgroup"] {
        let found = ranked(&ix, &assets, q);
        assert!(
            found.contains(&"playgroup".to_string()) && found.contains(&"play-group".to_string()),
            "{q}: {found:?}"
        );
    }
    // The words run together count no more than the phrase, however rare: the care home
    // named so comes before the one whose provider's name runs the words together.
    assert_eq!(
        ranked(&ix, &assets, "care home")[..2],
        ["care-home", "provider"]
    );
}

#[test]
fn a_word_is_not_read_as_a_concept_word_of_another_sense_that_stems_alike() {
    let through = |q: &str| -> Vec<&'static str> {
        TextQuery::parse(q)
            .terms
            .iter()
            .flat_map(|t| t.expansions.iter().filter_map(|e| e.through))
            .collect()
    };
    assert!(!through("holy trinity church").contains(&"Indian community"));
    assert!(through("holi").contains(&"Indian community"));
    // Likewise feeling poorly (ill) is not being poor, and other words Snowball would join to
    // a concept's word of another sense.
    assert!(through("she is poorly").contains(&"health services"));
    assert!(!through("poor housing").contains(&"health services"));
    let mut misread = Vec::new();
    for (other_sense, concept, its_word) in [
        ("physical", "stargazing and science", "physics"),
        ("fire", "redundancy and job loss", "fired"),
        ("protestant", "campaigning", "protest"),
        ("lone", "company and friendship", "lonely"),
        ("orientation", "outdoor adventure", "orienteering"),
        ("tombstones", "safe around water", "tombstoning"),
        ("heartbreaking", "getting over a break-up", "heartbreak"),
    ] {
        assert!(through(its_word).contains(&concept), "{its_word}");
        if through(other_sense).contains(&concept) {
            misread.push(other_sense);
        }
    }
    assert!(
        misread.is_empty(),
        "read as a concept of another sense: {misread:?}"
    );
    let assets = [
        asset("church", "Holy Trinity Church", "", &["faith"], &[], SALE),
        asset(
            "festival",
            "Holi festival of colours",
            "",
            &["arts_heritage"],
            &[],
            SALE,
        ),
    ];
    let ix = index(&assets);
    assert_eq!(ranked(&ix, &assets, "holy"), ["church"]);
    assert_eq!(ranked(&ix, &assets, "holi"), ["festival"]);
}
