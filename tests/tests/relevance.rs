//! Search relevance: the judged questions of `tests/relevance/queries.toml` asked of the real
//! coordinator search (`GET /search`) on the bundled Trafford data, scored with nDCG@5, P@5,
//! R@20 and MRR, per kind of question and per split (`dev`, `heldout`).
//!
//! Run it with its table: `cargo test -p assetmap-tests --test relevance -- --nocapture`.
//! The figures are also written to `test-output/relevance.json` at the repository root.
//! Per-question lines are printed for `dev` questions only: held-out questions are read only
//! as aggregates (see `tests/relevance/README.md`).
//!
//! Metrics (per question, top of the ranked list the search returns with `limit=20`):
//! - nDCG@5: DCG = sum over ranks r = 1..5 of (2^grade - 1) / log2(r + 1), divided by the DCG
//!   of the ideal order of all the question's judged grades;
//! - P@5: share of the top 5 graded 1 or 2 (a list shorter than 5 still divides by 5);
//! - R@20: assets graded 1 or 2 found in the top 20, over all assets the question grades 1 or 2;
//! - MRR: 1 / rank of the first result carrying the question's highest judged grade (2, or 1
//!   for a question where nothing is graded 2), 0 if none is in the top 20.
//!
//! Questions with no asset graded 1 or 2 are left out of the means and reported as a count,
//! with whether the search said nothing for them or returned something.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use assetmap_tests::{data_dir, spawn_app, TestStore};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

// Floors the measured nDCG@5 must reach: the figures last measured, minus 0.02, rounded down
// to 0.01. Raise them as relevance improves; the target is nDCG@5 >= 0.85 overall and >= 0.80
// on everyday questions, in both splits. BENCHMARKS.md "Search relevance" has the history.
// On the first 69 questions (2026-12-05/06): dev 0.866 overall, 0.790 everyday; held out
// 0.758 overall, 0.637 everyday. With questions 70-99 added (2026-12-06), as added, before
// any tuning on them: dev 0.813 overall, 0.691 everyday; held out 0.720 overall, 0.481
// everyday — the new questions are harder than the search's tuning had seen. Tuned on the new
// dev questions: dev 0.862 overall, 0.786 everyday; held out unchanged. With questions
// 100-129 added, as added: dev 0.836 overall, 0.734 everyday; held out 0.704 overall, 0.470
// everyday. Tuned on the new dev questions: dev 0.865 overall, 0.802 everyday; held out
// 0.703 overall, 0.470 everyday. With questions 130-159 added, as added: dev 0.837 overall,
// 0.713 everyday; held out 0.712 overall, 0.461 everyday. Tuned on the new dev questions
// (narrative filler, twelve terms, three words a full match, relationships): dev 0.868
// overall, 0.809 everyday; held out 0.712 overall, 0.461 everyday. With terms weighted by
// how much they say, an association leading its site, BM25 b = 0.3 and eleven theme files of
// concepts written from general knowledge without this set (2026-12-07): dev 0.888 overall,
// 0.839 everyday; held out 0.778 overall, 0.655 everyday. With questions 160-195 added (36,
// twelve held out, half of those everyday), as added: dev 0.867 overall, 0.795 everyday; held
// out 0.746 overall, 0.580 everyday. With clitics, number words and a story's time words read
// as what they are (2026-12-07): dev 0.870 overall, 0.804 everyday; held out 0.747 overall,
// 0.584 everyday. With questions 196-231 added, as added: dev 0.837 overall, 0.756 everyday;
// held out 0.735 overall, 0.566 everyday. Tuned on their dev questions (names written joined or
// apart, five-a-side on artificial pitches, "years" a time unless "old", starting a group):
// dev 0.855 overall, 0.780 everyday; held out 0.735 overall, 0.566 everyday. With digital
// phrases as getting online and what the person wants counting for more than the story
// around it: dev 0.859 overall, 0.792 everyday; held out 0.736 overall, 0.569 everyday. With
// questions 232-267 added, as added: dev 0.838 overall, 0.765 everyday; held out 0.726
// overall, 0.577 everyday. With a longer phrase winning over a shorter one it starts inside,
// and Quran classes: dev 0.848 overall, 0.792 everyday; held out 0.726 overall, 0.577 everyday.
// With questions 268-303 added, as added: dev 0.830 overall, 0.764 everyday; held out 0.730
// overall, 0.591 everyday; with the fire station's smoke alarms: dev 0.835 overall, 0.779
// everyday; held out 0.730 overall, 0.591 everyday. With questions 304-339 added, as added:
// dev 0.821 overall, 0.782 everyday; held out 0.720 overall, 0.619 everyday; with a school
// leading its PTA and the forces' phrases: dev 0.824 overall, 0.782 everyday; held out 0.720
// overall, 0.619 everyday. With a phrase known in any person and tense, and a name's host
// counting as a description: dev 0.828 overall, 0.786 everyday; held out 0.728 overall, 0.639
// everyday. With gaming, fishing and boxing keeping stems of their own: dev 0.830 overall,
// 0.791 everyday; held out as before. With a word typed with a slip read as the word: held out
// 0.725 overall, 0.633 everyday. With four theme files for the categories with the fewest
// concepts (care, food and green space, community groups and public services, faith): dev
// 0.832 overall, 0.795 everyday; held out 0.746 overall, 0.674 everyday. With four more (work,
// sport, arts, learning): dev 0.833 overall, 0.795 everyday; held out 0.757 overall, 0.690
// everyday. With three more (money, family, safety) and the charity register's "crèches" put
// right: dev 0.839 overall, 0.800 everyday; held out 0.756 overall, 0.689 everyday.
const FLOOR_DEV_ALL_NDCG5: f64 = 0.82;
const FLOOR_DEV_EVERYDAY_NDCG5: f64 = 0.78;
const FLOOR_HELDOUT_ALL_NDCG5: f64 = 0.74;
const FLOOR_HELDOUT_EVERYDAY_NDCG5: f64 = 0.67;

/// How many results the page asks for, and the depth of R@20 and MRR.
const LIMIT: usize = 20;
/// The depth of nDCG and P.
const TOP: usize = 5;
/// The file must hold at least this many questions.
const MIN_QUESTIONS: usize = 60;

const KINDS: [&str; 3] = ["direct", "everyday", "filters"];
const SPLITS: [&str; 2] = ["dev", "heldout"];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct QueryFile {
    query: Vec<Question>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Question {
    id: String,
    kind: String,
    split: String,
    q: String,
    postcode: String,
    walk_minutes: Option<f64>,
    radius: Option<f64>,
    age: Option<u32>,
    open_at: Option<String>,
    cost: Option<String>,
    access: Option<String>,
    category: Option<String>,
    need: String,
    judgments: BTreeMap<String, i64>,
}

impl Question {
    fn grade(&self, id: &str) -> i64 {
        self.judgments.get(id).copied().unwrap_or(0)
    }

    fn relevant(&self) -> usize {
        self.judgments.values().filter(|g| **g >= 1).count()
    }

    fn best_grade(&self) -> i64 {
        self.judgments.values().copied().max().unwrap_or(0)
    }

    /// The `/search` request the page would send for this question.
    fn path(&self) -> String {
        let mut params: Vec<(&str, String)> =
            vec![("postcode", self.postcode.clone()), ("q", self.q.clone())];
        if let Some(m) = self.walk_minutes {
            params.push(("walk_minutes", m.to_string()));
        }
        if let Some(r) = self.radius {
            params.push(("radius", r.to_string()));
        }
        if let Some(a) = self.age {
            params.push(("age", a.to_string()));
        }
        for (name, value) in [
            ("open_at", &self.open_at),
            ("cost", &self.cost),
            ("access", &self.access),
            ("category", &self.category),
        ] {
            if let Some(v) = value {
                params.push((name, v.clone()));
            }
        }
        params.push(("limit", LIMIT.to_string()));
        let query: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect();
        format!("/search?{}", query.join("&"))
    }
}

/// Percent-encodes a query-string value (everything but RFC 3986 unreserved characters).
fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate is inside the repository")
        .to_path_buf()
}

fn queries_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("relevance/queries.toml")
}

/// The ids of the bundled assets, read straight from the file.
fn bundled_ids() -> HashSet<String> {
    let path = data_dir().join("trafford/assets.geojson");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let v: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
    v["features"]
        .as_array()
        .expect("a FeatureCollection")
        .iter()
        .map(|f| {
            f["id"]
                .as_str()
                .expect("every feature has an id")
                .to_owned()
        })
        .collect()
}

/// The postcodes of the bundled table.
fn postcodes() -> HashSet<String> {
    let path = data_dir().join("sources/trafford/postcodes/trafford_postcodes.csv");
    let mut rdr = csv::Reader::from_path(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let headers = rdr.headers().unwrap().clone();
    let col = headers
        .iter()
        .position(|h| h == "postcode")
        .expect("a postcode column");
    rdr.records().map(|r| r.unwrap()[col].to_owned()).collect()
}

/// Reads and checks `tests/relevance/queries.toml`; a broken file fails with every problem
/// found, one a line.
fn load() -> Vec<Question> {
    let path = queries_path();
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let file: QueryFile = toml::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not a valid question file: {e}", path.display()));
    let ids = bundled_ids();
    let postcodes = postcodes();
    let mut problems = Vec::new();
    if file.query.len() < MIN_QUESTIONS {
        problems.push(format!(
            "{} questions; the set must hold at least {MIN_QUESTIONS}",
            file.query.len()
        ));
    }
    let mut seen = HashSet::new();
    for (i, q) in file.query.iter().enumerate() {
        let at = format!("question {} ({:?})", i + 1, q.id);
        if q.id.trim().is_empty() {
            problems.push(format!("{at}: empty id"));
        }
        if !seen.insert(q.id.clone()) {
            problems.push(format!("{at}: the id is used twice"));
        }
        if !KINDS.contains(&q.kind.as_str()) {
            problems.push(format!("{at}: kind {:?} is not one of {KINDS:?}", q.kind));
        }
        if !SPLITS.contains(&q.split.as_str()) {
            problems.push(format!(
                "{at}: split {:?} is not one of {SPLITS:?}",
                q.split
            ));
        }
        let want = if i % 3 == 2 { "heldout" } else { "dev" };
        if q.split != want {
            problems.push(format!(
                "{at}: split is {:?} but every third question in file order (and only those) is \"heldout\", so this one is {want:?}",
                q.split
            ));
        }
        if q.q.trim().is_empty() {
            problems.push(format!("{at}: empty q"));
        }
        if q.need.trim().is_empty() {
            problems.push(format!("{at}: empty need"));
        }
        if !postcodes.contains(&q.postcode) {
            problems.push(format!(
                "{at}: postcode {:?} is not in the bundled postcode table",
                q.postcode
            ));
        }
        if q.walk_minutes.is_some() && q.radius.is_some() {
            problems.push(format!("{at}: give walk_minutes or radius, not both"));
        }
        if q.judgments.is_empty() {
            problems.push(format!("{at}: no judgments"));
        }
        for (id, grade) in &q.judgments {
            if !(0..=2).contains(grade) {
                problems.push(format!(
                    "{at}: {id} has grade {grade}; grades are 0, 1 or 2"
                ));
            }
            if !ids.contains(id) {
                problems.push(format!(
                    "{at}: {id} is not an asset of data/trafford/assets.geojson"
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} has {} problem(s):\n  {}",
        path.display(),
        problems.len(),
        problems.join("\n  ")
    );
    file.query
}

/// One question's figures.
struct Scored {
    ndcg5: f64,
    p5: f64,
    r20: f64,
    rr: f64,
}

fn gain(grade: i64) -> f64 {
    2f64.powi(i32::try_from(grade).expect("a small grade")) - 1.0
}

fn dcg(grades: impl Iterator<Item = i64>) -> f64 {
    grades
        .take(TOP)
        .enumerate()
        .map(|(i, g)| gain(g) / ((i + 2) as f64).log2())
        .fold(0.0, |sum, x| sum + x)
}

/// Scores a ranked list of asset ids against a question that has at least one asset graded 1
/// or 2.
fn score(q: &Question, ranked: &[String]) -> Scored {
    let grades: Vec<i64> = ranked.iter().map(|id| q.grade(id)).collect();
    let mut ideal: Vec<i64> = q.judgments.values().copied().collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let idcg = dcg(ideal.into_iter());
    let ndcg5 = if idcg > 0.0 {
        dcg(grades.iter().copied()) / idcg
    } else {
        0.0
    };
    let p5 = grades.iter().take(TOP).filter(|g| **g >= 1).count() as f64 / TOP as f64;
    let found = grades.iter().take(LIMIT).filter(|g| **g >= 1).count();
    let r20 = found as f64 / q.relevant() as f64;
    let best = q.best_grade();
    let rr = grades
        .iter()
        .take(LIMIT)
        .position(|g| *g == best)
        .map_or(0.0, |i| 1.0 / (i + 1) as f64);
    Scored { ndcg5, p5, r20, rr }
}

/// Means over a group of scored questions.
#[derive(Default, Clone, Copy)]
struct Means {
    n: usize,
    ndcg5: f64,
    p5: f64,
    r20: f64,
    mrr: f64,
}

fn means<'a>(scores: impl Iterator<Item = &'a Scored>) -> Means {
    let mut m = Means::default();
    for s in scores {
        m.n += 1;
        m.ndcg5 += s.ndcg5;
        m.p5 += s.p5;
        m.r20 += s.r20;
        m.mrr += s.rr;
    }
    if m.n > 0 {
        let n = m.n as f64;
        m.ndcg5 /= n;
        m.p5 /= n;
        m.r20 /= n;
        m.mrr /= n;
    }
    m
}

fn means_json(m: Means) -> Value {
    let r = |x: f64| (x * 10_000.0).round() / 10_000.0;
    json!({
        "n": m.n,
        "ndcg@5": r(m.ndcg5),
        "p@5": r(m.p5),
        "r@20": r(m.r20),
        "mrr": r(m.mrr),
    })
}

#[test]
fn the_question_file_is_valid() {
    let questions = load();
    // About a third of each kind, and the held-out third spread over the kinds.
    for kind in KINDS {
        let all = questions.iter().filter(|q| q.kind == kind).count();
        let held = questions
            .iter()
            .filter(|q| q.kind == kind && q.split == "heldout")
            .count();
        assert!(
            all * 4 >= questions.len(),
            "only {all} {kind} questions of {}",
            questions.len()
        );
        assert!(
            held * 5 >= all,
            "only {held} of {all} {kind} questions are held out"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn search_relevance_meets_its_floors() {
    let started = Instant::now();
    let questions = load();
    let app = spawn_app(TestStore::GeoPackage).await;

    // Ask every question; keep the ranked ids and names.
    let mut answers: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for q in &questions {
        let path = q.path();
        let r = app.get(&path).await;
        assert_eq!(r.status, 200, "{} ({path}): {}", q.id, r.body);
        let v = r.json();
        let ranked: Vec<(String, String)> = v["features"]
            .as_array()
            .unwrap_or_else(|| panic!("{}: no features array: {}", q.id, r.body))
            .iter()
            .map(|f| {
                (
                    f["id"].as_str().unwrap_or_default().to_owned(),
                    f["properties"]["name"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                )
            })
            .collect();
        answers.insert(q.id.clone(), ranked);
    }

    // Score the questions that have something relevant; count the others.
    let mut scored: Vec<(&Question, Scored)> = Vec::new();
    let mut nothing_relevant: Vec<(&Question, usize)> = Vec::new();
    for q in &questions {
        let ranked: Vec<String> = answers[&q.id].iter().map(|(id, _)| id.clone()).collect();
        if q.relevant() == 0 {
            nothing_relevant.push((q, ranked.len()));
        } else {
            scored.push((q, score(q, &ranked)));
        }
    }

    // The table: rows all/direct/everyday/filters for dev, heldout and both.
    let mut out = String::new();
    let mut figures = serde_json::Map::new();
    let mut table: HashMap<(&str, &str), Means> = HashMap::new();
    let _ = writeln!(
        out,
        "\nsearch relevance ({} questions, {} scored; gain 2^grade - 1)",
        questions.len(),
        scored.len()
    );
    let _ = writeln!(
        out,
        "{:<8} {:<9} {:>3} {:>7} {:>6} {:>6} {:>6}",
        "split", "kind", "n", "nDCG@5", "P@5", "R@20", "MRR"
    );
    for split in ["dev", "heldout", "both"] {
        let mut rows = serde_json::Map::new();
        for kind in ["all", "direct", "everyday", "filters"] {
            let m = means(
                scored
                    .iter()
                    .filter(|(q, _)| split == "both" || q.split == split)
                    .filter(|(q, _)| kind == "all" || q.kind == kind)
                    .map(|(_, s)| s),
            );
            let _ = writeln!(
                out,
                "{split:<8} {kind:<9} {:>3} {:>7.3} {:>6.3} {:>6.3} {:>6.3}",
                m.n, m.ndcg5, m.p5, m.r20, m.mrr
            );
            rows.insert(kind.to_owned(), means_json(m));
            table.insert((split, kind), m);
        }
        figures.insert(split.to_owned(), Value::Object(rows));
    }
    let said_nothing = nothing_relevant.iter().filter(|(_, n)| *n == 0).count();
    let _ = writeln!(
        out,
        "questions with nothing relevant judged (left out of the means): {} (the search said nothing for {}, returned something for {})",
        nothing_relevant.len(),
        said_nothing,
        nothing_relevant.len() - said_nothing
    );

    // Per-question lines, dev questions only: held-out questions are read as aggregates.
    let _ = writeln!(
        out,
        "\ndev questions (nDCG@5, then the top 5 with their grades):"
    );
    let mut dev_lines = Vec::new();
    for q in questions.iter().filter(|q| q.split == "dev") {
        let ranked = &answers[&q.id];
        let top: Vec<String> = ranked
            .iter()
            .take(TOP)
            .map(|(id, name)| format!("{name} [{}]", q.grade(id)))
            .collect();
        let ndcg = scored
            .iter()
            .find(|(s, _)| s.id == q.id)
            .map(|(_, s)| s.ndcg5);
        let shown = ndcg.map_or_else(|| "  -  ".to_owned(), |x| format!("{x:.3}"));
        let _ = writeln!(
            out,
            "  {:<22} {shown}  {}",
            q.id,
            if top.is_empty() {
                "(nothing returned)".to_owned()
            } else {
                top.join(" | ")
            }
        );
        dev_lines.push(json!({
            "id": q.id,
            "kind": q.kind,
            "ndcg@5": ndcg,
            "top5": ranked.iter().take(TOP).map(|(id, name)| json!({"id": id, "name": name, "grade": q.grade(id)})).collect::<Vec<_>>(),
        }));
    }
    let elapsed = started.elapsed().as_secs_f64();
    let _ = writeln!(out, "\n(asked and scored in {elapsed:.1} s)");
    println!("{out}");

    let report = json!({
        "questions": questions.len(),
        "scored": scored.len(),
        "gain": "2^grade - 1",
        "mrr": "1 / rank of the first result with the question's highest judged grade",
        "nothing_relevant": {
            "count": nothing_relevant.len(),
            "search_said_nothing": said_nothing,
            "search_returned_something": nothing_relevant.len() - said_nothing,
        },
        "figures": Value::Object(figures),
        "dev_questions": dev_lines,
        "floors": {
            "dev_all_ndcg@5": FLOOR_DEV_ALL_NDCG5,
            "dev_everyday_ndcg@5": FLOOR_DEV_EVERYDAY_NDCG5,
            "heldout_all_ndcg@5": FLOOR_HELDOUT_ALL_NDCG5,
            "heldout_everyday_ndcg@5": FLOOR_HELDOUT_EVERYDAY_NDCG5,
        },
    });
    let dir = repo_root().join("test-output");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("relevance.json"),
        serde_json::to_string_pretty(&report).unwrap() + "\n",
    )
    .unwrap();

    // The floors.
    let mut below = Vec::new();
    for (split, kind, floor) in [
        ("dev", "all", FLOOR_DEV_ALL_NDCG5),
        ("dev", "everyday", FLOOR_DEV_EVERYDAY_NDCG5),
        ("heldout", "all", FLOOR_HELDOUT_ALL_NDCG5),
        ("heldout", "everyday", FLOOR_HELDOUT_EVERYDAY_NDCG5),
    ] {
        let got = table[&(split, kind)].ndcg5;
        if got < floor {
            below.push(format!(
                "{split} {kind}: nDCG@5 {got:.3} < floor {floor:.2}"
            ));
        }
    }
    assert!(
        below.is_empty(),
        "search relevance fell below its floors:\n  {}\n{out}",
        below.join("\n  ")
    );
}

#[test]
fn metrics_follow_their_definitions() {
    let q = Question {
        id: "t".into(),
        kind: "direct".into(),
        split: "dev".into(),
        q: "x".into(),
        postcode: "M33 7AA".into(),
        walk_minutes: None,
        radius: None,
        age: None,
        open_at: None,
        cost: None,
        access: None,
        category: None,
        need: "x".into(),
        judgments: [("a", 2), ("b", 1), ("c", 0)]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
    };
    let ids = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    // The ideal order scores 1 everywhere.
    let s = score(&q, &ids(&["a", "b", "c"]));
    assert!((s.ndcg5 - 1.0).abs() < 1e-12);
    assert!((s.p5 - 0.4).abs() < 1e-12);
    assert!((s.r20 - 1.0).abs() < 1e-12);
    assert!((s.rr - 1.0).abs() < 1e-12);
    // Swapped: DCG = 1/1 + 3/log2(3); ideal = 3 + 1/log2(3).
    let s = score(&q, &ids(&["b", "a"]));
    let want = (1.0 + 3.0 / 3f64.log2()) / (3.0 + 1.0 / 3f64.log2());
    assert!((s.ndcg5 - want).abs() < 1e-12);
    assert!((s.rr - 0.5).abs() < 1e-12);
    // Nothing relevant returned.
    let s = score(&q, &ids(&["c", "z"]));
    assert_eq!((s.ndcg5, s.p5, s.r20, s.rr), (0.0, 0.0, 0.0, 0.0));
    // A question whose best grade is 1: MRR counts the first grade-1 result.
    let mut q1 = q;
    q1.judgments.remove("a");
    let s = score(&q1, &ids(&["z", "b"]));
    assert!((s.rr - 0.5).abs() < 1e-12);
    assert!((s.r20 - 1.0).abs() < 1e-12);
    assert_eq!(encode("M33 7XY"), "M33%207XY");
    assert_eq!(encode("can't"), "can%27t");
}
