//! What a suggestion from the public may say, and what it would make of a place: the checks
//! `POST /suggestions` runs before anything is kept, and the feature an editor's plain
//! "accept" writes.
//!
//! A suggestion carries only the properties people can know and correct ([`PROPERTIES`]),
//! checked by the same validation as an edit: merged onto the place as listed (or, for a new
//! place, onto placeholders for what a member of the public cannot be asked — its ABCD type and
//! categories, which the editor sets), it must make a valid asset. Free text is bounded and
//! refused when it carries what no person writes in a note (control characters, text
//! direction overrides, a run of web links).

use assetmap_core::{Asset, AssetDraft, ValidAssetDraft, ValidationErrors};
use assetmap_store::{NewSuggestion, Suggestion, SuggestionKind};
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// The properties a suggestion may carry (feature wire names).
pub const PROPERTIES: [&str; 11] = [
    "name",
    "description",
    "categories",
    "address",
    "postcode",
    "contact",
    "opening_times",
    "cost",
    "access",
    "audience",
    "languages",
];

/// The longest note, in characters.
pub const MAX_NOTE_CHARS: usize = 2000;

/// The longest contact, in characters.
pub const MAX_CONTACT_CHARS: usize = 200;

/// The most web links a note may hold.
pub const MAX_NOTE_LINKS: usize = 3;

/// The largest body `POST /suggestions` reads, in bytes.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Suggestions kept waiting at most; past it new ones are refused (`503`) until editors catch
/// up — a flood from many addresses cannot grow the store without bound.
pub const MAX_WAITING: u64 = 10_000;

/// The body of `POST /suggestions`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Form {
    pub kind: String,
    pub asset: Option<String>,
    pub properties: Option<Map<String, Value>>,
    pub geometry: Option<Value>,
    pub note: Option<String>,
    pub contact: Option<String>,
    /// The honeypot: a field people never see, so never fill.
    pub website: Option<String>,
}

/// A field of the form and what is wrong with it.
pub type Problems = Vec<(String, String)>;

/// Checks `form` about `current` (the place it names, as listed; `None` for a new place —
/// the caller has looked it up, and answered `404` for an unknown id). `Ok` is the suggestion
/// to keep (its `at` is `now`): only the properties that differ from the place as listed.
pub fn check(
    form: Form,
    current: Option<&Asset>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<NewSuggestion, Problems> {
    let mut problems = Problems::new();
    if form
        .website
        .as_deref()
        .is_some_and(|w| !w.trim().is_empty())
    {
        problems.push((
            "website".into(),
            "must be left empty: it is there to catch automated spam".into(),
        ));
        return Err(problems);
    }
    let kind = match SuggestionKind::parse(form.kind.trim()) {
        Ok(k) => k,
        Err(e) => return Err(vec![("kind".into(), e)]),
    };
    let note = text(&mut problems, "note", form.note, MAX_NOTE_CHARS, true);
    if links(&note) > MAX_NOTE_LINKS {
        problems.push((
            "note".into(),
            format!("holds more than {MAX_NOTE_LINKS} web links; say it in words"),
        ));
    }
    let contact = text(
        &mut problems,
        "contact",
        form.contact,
        MAX_CONTACT_CHARS,
        false,
    );
    let contact = (!contact.is_empty()).then_some(contact);
    let properties = form.properties.unwrap_or_default();
    for k in properties.keys() {
        if !PROPERTIES.contains(&k.as_str()) {
            problems.push((
                format!("properties.{k}"),
                format!(
                    "cannot be suggested; suggest one of: {}",
                    PROPERTIES.join(", ")
                ),
            ));
        }
    }
    match (kind, current, &form.asset) {
        (SuggestionKind::New, _, Some(_)) => problems.push((
            "asset".into(),
            "leave it out for a new place (it is for a change to a listed one)".into(),
        )),
        (SuggestionKind::Change | SuggestionKind::Closed, None, _) => problems.push((
            "asset".into(),
            "is required: the id of the place the suggestion is about".into(),
        )),
        _ => {}
    }
    if kind == SuggestionKind::Closed && (!properties.is_empty() || form.geometry.is_some()) {
        problems.push((
            "properties".into(),
            "leave out properties and geometry when saying a place has closed; if it moved, suggest a change with its new place".into(),
        ));
    }
    if kind == SuggestionKind::New {
        if properties
            .get("name")
            .and_then(Value::as_str)
            .is_none_or(|n| n.trim().is_empty())
        {
            problems.push((
                "properties.name".into(),
                "is required: what is it called?".into(),
            ));
        }
        if form.geometry.is_none() {
            problems.push((
                "geometry".into(),
                "is required: put a pin where it is (a GeoJSON Point, longitude then latitude)"
                    .into(),
            ));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut changes = json!({ "properties": properties });
    if let Some(g) = &form.geometry {
        changes["geometry"] = g.clone();
    }
    // The same validation as an edit, on what the suggestion would make of the place.
    let feature = merged(current, kind, &changes, true);
    if let Err(e) = valid(&feature) {
        return Err(e
            .errors()
            .iter()
            .map(|f| (f.field.clone(), f.problem.clone()))
            .collect());
    }
    // Keep only what differs from the place as listed.
    if let Some(c) = current {
        let listed = assetmap_io::asset_to_feature(c);
        let canonical = |v: &Value| valid(v).ok();
        if let Some(map) = changes["properties"].as_object_mut() {
            map.retain(|k, v| {
                let mut one = listed.clone();
                one["properties"][k.as_str()] = v.clone();
                canonical(&one) != canonical(&listed)
            });
        }
        if let Some(g) = changes.get("geometry").cloned() {
            let mut one = listed.clone();
            one["geometry"] = g;
            if canonical(&one) == canonical(&listed) {
                changes.as_object_mut().map(|m| m.remove("geometry"));
            }
        }
    }
    let empty = changes["properties"].as_object().is_none_or(Map::is_empty)
        && changes.get("geometry").is_none();
    if kind == SuggestionKind::Change && empty && note.is_empty() {
        return Err(vec![(
            "properties".into(),
            "nothing differs from the place as listed: change a detail, or say what is wrong in the note".into(),
        )]);
    }
    Ok(NewSuggestion {
        kind,
        asset: current.map(|c| c.id.clone()),
        base_version: current.map(|c| c.version),
        changes,
        note,
        contact,
        at: now,
    })
}

/// What the suggestion says, field by field in the shape of the history's field changes:
/// its properties, `geometry` as `[lon, lat]`, and for a closure `status: "closed"`.
pub fn suggested_fields(s: &Suggestion) -> Map<String, Value> {
    let mut out = s
        .changes
        .get("properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    if let Some(c) = s
        .changes
        .get("geometry")
        .and_then(|g| g.get("coordinates"))
        .and_then(Value::as_array)
    {
        out.insert(
            "geometry".into(),
            json!(c.iter().take(2).collect::<Vec<_>>()),
        );
    }
    if s.kind == SuggestionKind::Closed {
        out.insert("status".into(), json!("closed"));
    }
    out
}

/// The feature a plain "accept" writes: the place as listed (`current`) with what the
/// suggestion says, or for a new place the suggestion alone (which then must say everything a
/// place needs — ABCD type, categories — or the editor edits it first).
pub fn accepted_feature(current: Option<&Asset>, s: &Suggestion) -> Value {
    merged(current, s.kind, &s.changes, false)
}

/// The draft and location `feature` makes, or why it is not a valid asset.
pub fn valid(feature: &Value) -> Result<(ValidAssetDraft, (f64, f64)), ValidationErrors> {
    let input = assetmap_io::draft_from_feature(feature.clone())?;
    let location = input.location;
    let draft: AssetDraft = input.draft;
    let valid = draft.validate(location)?;
    Ok((valid, location.unwrap_or_default()))
}

/// `current` (or nothing) with `changes` over it, as a Feature. `placeholders`: fill what a
/// new place's suggester is not asked (ABCD type, categories) so that the rest can be
/// validated.
fn merged(
    current: Option<&Asset>,
    kind: SuggestionKind,
    changes: &Value,
    placeholders: bool,
) -> Value {
    let mut feature = match current {
        Some(c) if kind != SuggestionKind::New => assetmap_io::asset_to_feature(c),
        _ => json!({"type": "Feature", "properties": {}}),
    };
    if let Some(props) = feature["properties"].as_object_mut() {
        for managed in assetmap_io::geojson::SERVER_MANAGED {
            props.remove(*managed);
        }
        if kind == SuggestionKind::New && placeholders {
            props.insert("abcd_type".into(), json!("association"));
            props.insert(
                "categories".into(),
                json!([assetmap_core::Category::ALL[0].slug()]),
            );
        }
        if let Some(suggested) = changes.get("properties").and_then(Value::as_object) {
            for (k, v) in suggested {
                props.insert(k.clone(), v.clone());
            }
        }
        if kind == SuggestionKind::Closed {
            props.insert("status".into(), json!("closed"));
        }
    }
    if let Some(g) = changes.get("geometry") {
        feature["geometry"] = g.clone();
    }
    feature
}

/// Trimmed free text, bounded, one line unless `multiline`; problems noted under `field`.
fn text(
    problems: &mut Problems,
    field: &str,
    value: Option<String>,
    max: usize,
    multiline: bool,
) -> String {
    let value = value.unwrap_or_default().trim().to_owned();
    let n = value.chars().count();
    if n > max {
        problems.push((
            field.into(),
            format!("is {n} characters long; keep it to {max}"),
        ));
    }
    let bad = value.chars().find(|&c| {
        (c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t')))
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
    });
    if let Some(c) = bad {
        problems.push((
            field.into(),
            format!(
                "holds the invisible character U+{:04X}; type it again as plain text",
                u32::from(c)
            ),
        ));
    }
    value
}

/// How many web links `text` holds.
fn links(text: &str) -> usize {
    let lower = text.to_lowercase();
    ["http://", "https://", "www."]
        .iter()
        .map(|p| lower.matches(p).count())
        .sum::<usize>()
        .saturating_sub(
            lower.matches("http://www.").count() + lower.matches("https://www.").count(),
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use assetmap_core::{AssetDraft, AssetId};

    fn place() -> Asset {
        let draft = AssetDraft {
            name: Some("Sale Library".into()),
            description: Some("Books and rhyme time".into()),
            abcd_type: Some("institution".into()),
            categories: vec!["learning".into()],
            ..Default::default()
        };
        Asset::create(
            AssetId::parse("lib:1").unwrap(),
            draft.validate(Some((-2.32, 53.42))).unwrap(),
            chrono::Utc::now(),
        )
    }

    fn form(v: Value) -> Form {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn only_what_differs_is_kept_and_the_rest_is_checked_as_an_edit() {
        let p = place();
        let s = check(
            form(json!({"kind": "change", "asset": "lib:1",
                "properties": {"name": "Sale Library", "description": "Rhyme time on Tuesdays"},
                "geometry": {"type": "Point", "coordinates": [-2.32, 53.42]}})),
            Some(&p),
            chrono::Utc::now(),
        )
        .unwrap();
        assert_eq!(
            s.changes,
            json!({"properties": {"description": "Rhyme time on Tuesdays"}})
        );
        assert_eq!(s.base_version, Some(1));
        let e = check(
            form(json!({"kind": "change", "asset": "lib:1", "properties": {"postcode": "not a postcode"}})),
            Some(&p),
            chrono::Utc::now(),
        )
        .unwrap_err();
        assert_eq!(e[0].0, "postcode", "{e:?}");
    }

    #[test]
    fn a_new_place_needs_a_name_and_a_pin_but_not_what_only_editors_say() {
        let ok = check(
            form(
                json!({"kind": "new", "properties": {"name": "Knit and Natter"},
                "geometry": {"type": "Point", "coordinates": [-2.31, 53.44]}}),
            ),
            None,
            chrono::Utc::now(),
        )
        .unwrap();
        assert_eq!(ok.asset, None);
        // Accepted as it is, it lacks the ABCD type and categories: the editor adds them.
        let s = Suggestion {
            id: 1,
            kind: ok.kind,
            asset: None,
            base_version: None,
            changes: ok.changes,
            note: String::new(),
            contact: None,
            at: ok.at,
            decision: None,
        };
        let fields: Vec<String> = valid(&accepted_feature(None, &s))
            .unwrap_err()
            .errors()
            .iter()
            .map(|f| f.field.clone())
            .collect();
        assert_eq!(fields, ["abcd_type", "categories"]);
    }

    #[test]
    fn free_text_is_bounded_and_plain() {
        let p = place();
        let refused = |v: Value| check(form(v), Some(&p), chrono::Utc::now()).unwrap_err();
        let e = refused(
            json!({"kind": "change", "asset": "lib:1", "note": "é".repeat(MAX_NOTE_CHARS + 1)}),
        );
        assert_eq!(e[0].0, "note");
        let e =
            refused(json!({"kind": "change", "asset": "lib:1", "note": "ok", "contact": "a\nb"}));
        assert_eq!(e[0].0, "contact", "a contact is one line");
        let e = refused(json!({"kind": "change", "asset": "lib:1", "note": "x\u{2066}y"}));
        assert_eq!(e[0].0, "note");
        // Three links are fine (a group's site, its Facebook page…); four are not.
        let three = "https://a.example www.b.example http://www.c.example";
        assert!(check(
            form(json!({"kind": "change", "asset": "lib:1", "note": three})),
            Some(&p),
            chrono::Utc::now()
        )
        .is_ok());
        let e = refused(
            json!({"kind": "change", "asset": "lib:1", "note": format!("{three} https://d.example")}),
        );
        assert_eq!(e[0].0, "note");
        // A multi-line note keeps its lines.
        let s = check(
            form(json!({"kind": "change", "asset": "lib:1", "note": "  line one\nline two  "})),
            Some(&p),
            chrono::Utc::now(),
        )
        .unwrap();
        assert_eq!(s.note, "line one\nline two");
    }
}
