//! Open Referral UK (ORUK 3.0, the UK profile of HSDS 3.0): the mapping from an [`Asset`] to
//! HSDS JSON, and back ([`draft_from_service`]). Pure functions: no HTTP, no store.
//!
//! # Decisions
//!
//! * **Every published asset is one service at one location.** Consumers of an ORUK feed
//!   (directories, social-prescribing tools) list `/services` and `/service_at_locations`; a
//!   park, an allotment or a defibrillator that appeared only under locations would be
//!   invisible to them. The ABCD type is published as an attribute (taxonomy "assetmap ABCD
//!   asset types"), so a consumer that wants only organised activity can leave out
//!   `physical_space`.
//! * **One organization per asset**, named as the asset: assetmap does not record who runs an
//!   asset separately from the asset itself. (`provenance.source` is the *publisher* of the
//!   record, which is not HSDS's "organization delivering the service"; it goes in `metadata`.)
//! * **Ids** are UUIDs (HSDS ids are strings, conventionally UUIDs): version 8 (RFC 9562 §5.8,
//!   name-based with SHA-256) from the kind of record and the asset id or vocabulary slug, so the
//!   same asset always has the same service, location, organization… ids. The asset id itself
//!   is the location's `external_identifier` (`external_identifier_type` "assetmap").
//! * **Taxonomies** are ours: [`CATEGORY_TAXONOMY`] (the activity themes, [`Category::ALL`])
//!   and [`ABCD_TAXONOMY`] ([`AbcdType::ALL`]); each term's `code` is its slug. They are linked
//!   to a service by `attributes` (`link_type` "service").
//! * **Opening times** become `schedules` with `freq` `WEEKLY`: one schedule per distinct
//!   opening and closing time, `byday` listing its days (`MO,TU`), `opens_at`/`closes_at` as
//!   `HH:MM` UK local time (no offset: UK time changes offset in the year). A period past
//!   midnight keeps its `closes_at` earlier than `opens_at` (22:00–02:00 on `FR` closes on
//!   Saturday). "By arrangement" is a schedule with `description` [`BY_ARRANGEMENT`] and no
//!   days; the opening-times note is the `notes` of the first schedule.
//! * **Cost** is one `cost_options` entry: `option` the band's label ("Free", "Low cost",
//!   "Paid"), `amount_description` (and the service's `fees`) the words, `amount` 0 and
//!   `currency` GBP when free.
//! * **Audience** ages are the service's `minimum_age`/`maximum_age`; its words are
//!   `eligibility_description`.
//! * **Access features** are `accessibility` entries on the location: `description` the label,
//!   `details` the slug.
//! * **Provenance**: `verified_at` is `assured_date`; `updated_at` is `last_modified`; each
//!   provenance field is a `metadata` entry with `field_name` the field
//!   (`source`, `source_id`, `licence`, `attribution`, `geocode_method`) and
//!   `replacement_value` its value.
//! * **Status**: `active` → "active", `temporarily_closed` → "temporarily closed", `closed` →
//!   "defunct" (read back: "inactive" and "defunct" are both `closed`).
//! * **Contact**: `url` the website, `email`, `phones` (HSDS service phones) — and the same
//!   phone and email as one `contacts` entry, where the UK profile looks for them.
//! * **Address**: one physical address: when the address has commas, its last part is the
//!   `city` and the rest `address_1`; else all of it is `address_1` and `city` is empty;
//!   `postal_code` the postcode, `country` "GB", `state_province` empty.
//!
//! # What does not round-trip
//!
//! Tags (HSDS has no free keyword list), the asset's version and `created_at`, and an address
//! whose parts were not separated by ", " exactly (it reads back with ", "). From a foreign
//! feed, [`draft_from_service`] reads one location (the first), the schedules it understands
//! (weekly with `byday`, `opens_at`, `closes_at`), and only our own taxonomy terms (by `code`
//! or id); everything else is reported as a problem or left out.

use assetmap_core::{
    AbcdType, AccessFeature, Asset, AssetDraft, AudienceDraft, Category, ContactDraft, CostBand,
    CostDraft, OpeningPeriod, OpeningTimesDraft, PeriodDraft, Provenance, Status, Weekday,
};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

/// The HSDS version published.
pub const HSDS_VERSION: &str = "3.0";
/// The UK profile's home.
pub const PROFILE_URL: &str = "https://openreferral.org/openreferraluk/";
/// The `description` of the schedule that says "by arrangement".
pub const BY_ARRANGEMENT: &str = "By arrangement";
/// The slug of the activity-theme taxonomy.
pub const CATEGORY_TAXONOMY: &str = "assetmap_categories";
/// The slug of the ABCD-type taxonomy.
pub const ABCD_TAXONOMY: &str = "assetmap_abcd_types";

/// A name-based UUID (version 8, SHA-256: RFC 9562 §5.8 and appendix B.2) of `kind` and `name`.
///
/// ```
/// let a = assetmap_io::oruk::stable_id("service", "trafford:1");
/// assert_eq!(a, assetmap_io::oruk::stable_id("service", "trafford:1"));
/// assert_ne!(a, assetmap_io::oruk::stable_id("location", "trafford:1"));
/// assert_eq!(&a[14..15], "8");
/// ```
pub fn stable_id(kind: &str, name: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"assetmap/oruk/");
    h.update(kind.as_bytes());
    h.update([0]);
    h.update(name.as_bytes());
    let d = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// The service id of the asset with id `id` (the ids are the asset's id's alone, so a lookup
/// by them need read no record).
pub fn service_id(id: &str) -> String {
    stable_id("service", id)
}
/// The location id of the asset with id `id`.
pub fn location_id(id: &str) -> String {
    stable_id("location", id)
}
/// The service-at-location id of the asset with id `id`.
pub fn service_at_location_id(id: &str) -> String {
    stable_id("service_at_location", id)
}
/// The organization id of the asset with id `id`.
pub fn organization_id(id: &str) -> String {
    stable_id("organization", id)
}

/// One of our taxonomy terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Term {
    /// An activity theme.
    Category(Category),
    /// An ABCD asset type.
    Abcd(AbcdType),
}

impl Term {
    /// Every term: the categories, then the ABCD types.
    pub fn all() -> Vec<Term> {
        Category::ALL
            .iter()
            .map(|c| Term::Category(*c))
            .chain(AbcdType::ALL.iter().map(|t| Term::Abcd(*t)))
            .collect()
    }

    /// The slug of the taxonomy the term is in.
    pub fn taxonomy(self) -> &'static str {
        match self {
            Term::Category(_) => CATEGORY_TAXONOMY,
            Term::Abcd(_) => ABCD_TAXONOMY,
        }
    }

    /// The term's code (its slug).
    pub fn code(self) -> &'static str {
        match self {
            Term::Category(c) => c.slug(),
            Term::Abcd(t) => t.slug(),
        }
    }

    /// The term's stable id.
    pub fn id(self) -> String {
        stable_id(
            "taxonomy_term",
            &format!("{}:{}", self.taxonomy(), self.code()),
        )
    }

    /// The term with this id, if it is one of ours.
    pub fn by_id(id: &str) -> Option<Term> {
        Term::all().into_iter().find(|t| t.id() == id)
    }

    /// The term with this code in this taxonomy (by slug).
    pub fn by_code(taxonomy: &str, code: &str) -> Option<Term> {
        Term::all()
            .into_iter()
            .find(|t| t.taxonomy() == taxonomy && t.code() == code)
    }

    fn name(self) -> &'static str {
        match self {
            Term::Category(c) => c.label(),
            Term::Abcd(t) => t.label(),
        }
    }

    fn description(self) -> String {
        match self {
            Term::Category(c) => format!(
                "{}: assets about {}.",
                c.label(),
                c.keywords()
                    .iter()
                    .take(6)
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Term::Abcd(t) => match t {
                AbcdType::Association => {
                    "Groups of people: clubs, societies, charities, faith groups, networks."
                }
                AbcdType::Institution => {
                    "Organisations with paid staff: libraries, schools, GP practices, the council."
                }
                AbcdType::PhysicalSpace => {
                    "Places: parks, allotments, halls, pitches, green space."
                }
                AbcdType::Economy => {
                    "Local economy: shops, post offices, social enterprises, micro-enterprises."
                }
                AbcdType::Culture => "Culture, heritage and the stories and skills of a place.",
            }
            .to_owned(),
        }
    }

    /// Whether `a` carries this term.
    pub fn applies_to(self, a: &Asset) -> bool {
        match self {
            Term::Category(c) => a.categories.contains(&c),
            Term::Abcd(t) => a.abcd_type == t,
        }
    }
}

/// The ids of our two taxonomies.
pub fn taxonomy_ids() -> [String; 2] {
    [
        stable_id("taxonomy", CATEGORY_TAXONOMY),
        stable_id("taxonomy", ABCD_TAXONOMY),
    ]
}

/// The taxonomy slug of a taxonomy id, if it is one of ours.
pub fn taxonomy_by_id(id: &str) -> Option<&'static str> {
    [CATEGORY_TAXONOMY, ABCD_TAXONOMY]
        .into_iter()
        .find(|s| stable_id("taxonomy", s) == id)
}

/// A taxonomy (HSDS `taxonomy`), by slug; `None` when it is not ours.
pub fn taxonomy(slug: &str) -> Option<Value> {
    let (name, description) = match slug {
        CATEGORY_TAXONOMY => (
            "assetmap activity themes",
            "What a community asset offers, in words a coordinator and a resident share.",
        ),
        ABCD_TAXONOMY => (
            "assetmap ABCD asset types",
            "The five kinds of asset in Asset-Based Community Development (McKnight & Kretzmann): association, institution, physical space, economy, culture.",
        ),
        _ => return None,
    };
    Some(json!({
        "id": stable_id("taxonomy", slug),
        "name": name,
        "description": description,
        "version": "1",
    }))
}

/// Both taxonomies.
pub fn taxonomies() -> Vec<Value> {
    [CATEGORY_TAXONOMY, ABCD_TAXONOMY]
        .into_iter()
        .filter_map(taxonomy)
        .collect()
}

/// A taxonomy term (HSDS `taxonomy_term`), with its taxonomy's id and details.
pub fn taxonomy_term(t: Term) -> Value {
    json!({
        "id": t.id(),
        "code": t.code(),
        "name": t.name(),
        "description": t.description(),
        "taxonomy": t.taxonomy(),
        "taxonomy_id": stable_id("taxonomy", t.taxonomy()),
        "taxonomy_detail": taxonomy(t.taxonomy()),
        "language": "en",
    })
}

fn status_word(s: Status) -> &'static str {
    match s {
        Status::Active => "active",
        Status::TemporarilyClosed => "temporarily closed",
        Status::Closed => "defunct",
    }
}

const BYDAY: [&str; 7] = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];

fn split_address(address: &str) -> (String, String) {
    match address.rsplit_once(", ") {
        Some((rest, city)) if !rest.trim().is_empty() && !city.trim().is_empty() => {
            (rest.to_owned(), city.to_owned())
        }
        _ => (address.to_owned(), String::new()),
    }
}

/// The asset's organization (HSDS `organization`).
pub fn organization(a: &Asset) -> Value {
    let mut o = json!({
        "id": organization_id(a.id.as_str()),
        "name": a.name.to_string(),
        "description": a.description.clone().unwrap_or_else(|| a.name.to_string()),
    });
    if let Some(e) = &a.contact.email {
        o["email"] = json!(e.to_string());
    }
    if let Some(w) = &a.contact.website {
        o["website"] = json!(w.to_string());
    }
    o
}

/// The asset's organization with the service it runs (list form) and its location.
pub fn organization_full(a: &Asset) -> Value {
    let mut o = organization(a);
    let mut s = service_core(a);
    s.remove("organization_id");
    o["services"] = json!([Value::Object(s)]);
    o["locations"] = json!([location(a)]);
    o
}

/// The asset's location (HSDS `location`, with its address and accessibility).
pub fn location(a: &Asset) -> Value {
    let lid = location_id(a.id.as_str());
    let mut addresses = Vec::new();
    if a.address.is_some() || a.postcode.is_some() {
        let (line, city) = split_address(a.address.as_deref().unwrap_or(""));
        addresses.push(json!({
            "id": stable_id("address", a.id.as_str()),
            "location_id": lid,
            "address_1": line,
            "city": city,
            "state_province": "",
            "postal_code": a.postcode.as_ref().map(|p| p.to_string()).unwrap_or_default(),
            "country": "GB",
            "address_type": "physical",
        }));
    }
    let accessibility: Vec<Value> = a
        .access
        .iter()
        .map(|f| {
            json!({
                "id": stable_id("accessibility", &format!("{}:{}", a.id.as_str(), f.slug())),
                "location_id": lid,
                "description": f.label(),
                "details": f.slug(),
            })
        })
        .collect();
    json!({
        "id": lid,
        "location_type": "physical",
        "name": a.name.to_string(),
        "latitude": a.location.lat(),
        "longitude": a.location.lon(),
        "external_identifier": a.id.as_str(),
        "external_identifier_type": "assetmap",
        "addresses": addresses,
        "accessibility": accessibility,
    })
}

fn schedules(a: &Asset, sid: &str) -> Vec<Value> {
    let times = &a.opening_times;
    // Group the periods by (opens, closes), days in week order.
    let mut groups: Vec<(&OpeningPeriod, Vec<Weekday>)> = Vec::new();
    for p in times.periods() {
        match groups
            .iter_mut()
            .find(|(q, _)| q.opens() == p.opens() && q.closes() == p.closes())
        {
            Some((_, days)) => days.push(p.day()),
            None => groups.push((p, vec![p.day()])),
        }
    }
    let mut out: Vec<Value> = groups
        .iter()
        .map(|(p, days)| {
            let byday: Vec<&str> = days.iter().map(|d| BYDAY[d.index()]).collect();
            let names: Vec<&str> = days.iter().map(|d| d.name()).collect();
            let key = format!(
                "{}:{}:{}-{}",
                a.id.as_str(),
                byday.join(","),
                p.opens(),
                p.closes()
            );
            json!({
                "id": stable_id("schedule", &key),
                "service_id": sid,
                "freq": "WEEKLY",
                "wkst": "MO",
                "byday": byday.join(","),
                "opens_at": p.opens().to_string(),
                "closes_at": p.closes().to_string(),
                "description": format!(
                    "{} {}–{}{}",
                    names.join(", "),
                    p.opens(),
                    p.closes(),
                    if p.crosses_midnight() { " (closes the next day)" } else { "" }
                ),
            })
        })
        .collect();
    if times.by_arrangement() {
        out.push(json!({
            "id": stable_id("schedule", &format!("{}:by_arrangement", a.id.as_str())),
            "service_id": sid,
            "description": BY_ARRANGEMENT,
        }));
    }
    if let Some(note) = times.note() {
        match out.first_mut() {
            Some(s) => s["notes"] = json!(note),
            None => out.push(json!({
                "id": stable_id("schedule", &format!("{}:note", a.id.as_str())),
                "service_id": sid,
                "notes": note,
            })),
        }
    }
    out
}

fn attributes(a: &Asset, sid: &str) -> Vec<Value> {
    a.categories
        .iter()
        .map(|c| Term::Category(*c))
        .chain(std::iter::once(Term::Abcd(a.abcd_type)))
        .map(|t| {
            json!({
                "id": stable_id("attribute", &format!("{}:{}", a.id.as_str(), t.id())),
                "link_id": sid,
                "link_type": "service",
                "link_entity": "service",
                "taxonomy_term_id": t.id(),
                "taxonomy_term": taxonomy_term(t),
            })
        })
        .collect()
}

fn metadata(a: &Asset, sid: &str) -> Vec<Value> {
    let p = &a.provenance;
    let by = p.source.clone().unwrap_or_else(|| "assetmap".to_owned());
    [
        ("source", &p.source),
        ("source_id", &p.source_id),
        ("licence", &p.licence),
        ("attribution", &p.attribution),
        ("geocode_method", &p.geocode_method),
    ]
    .into_iter()
    .filter_map(|(field, v)| {
        let v = v.as_ref()?;
        Some(json!({
            "id": stable_id("metadata", &format!("{}:{field}", a.id.as_str())),
            "resource_id": sid,
            "resource_type": "service",
            "last_action_date": a.updated_at.format("%Y-%m-%d").to_string(),
            "last_action_type": "provenance",
            "field_name": field,
            "previous_value": "",
            "replacement_value": v,
            "updated_by": by,
        }))
    })
    .collect()
}

/// The one-to-one fields of the asset's service (the list form, without `organization`).
fn service_core(a: &Asset) -> Map<String, Value> {
    let mut s = Map::new();
    s.insert("id".into(), json!(service_id(a.id.as_str())));
    s.insert(
        "organization_id".into(),
        json!(organization_id(a.id.as_str())),
    );
    s.insert("name".into(), json!(a.name.to_string()));
    if let Some(d) = &a.description {
        s.insert("description".into(), json!(d));
    }
    if let Some(w) = &a.contact.website {
        s.insert("url".into(), json!(w.to_string()));
    }
    if let Some(e) = &a.contact.email {
        s.insert("email".into(), json!(e.to_string()));
    }
    s.insert("status".into(), json!(status_word(a.status)));
    if let Some(d) = a.cost.as_ref().and_then(|c| c.detail.as_ref()) {
        s.insert("fees".into(), json!(d));
    }
    if let Some(v) = a.audience.min_age() {
        s.insert("minimum_age".into(), json!(v));
    }
    if let Some(v) = a.audience.max_age() {
        s.insert("maximum_age".into(), json!(v));
    }
    if let Some(d) = a.audience.description() {
        s.insert("eligibility_description".into(), json!(d));
    }
    if let Some(d) = a.verified_at {
        s.insert("assured_date".into(), json!(d.to_string()));
    }
    s.insert(
        "last_modified".into(),
        json!(a.updated_at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()),
    );
    s
}

/// The list form of a service: its one-to-one fields and its organization.
pub fn service_list_item(a: &Asset) -> Value {
    let mut s = service_core(a);
    s.insert("organization".into(), organization(a));
    Value::Object(s)
}

/// The asset as a fully nested HSDS service.
pub fn service(a: &Asset) -> Value {
    let sid = service_id(a.id.as_str());
    let mut s = service_core(a);
    s.insert("organization".into(), organization(a));
    let phones: Vec<Value> = a
        .contact
        .phone
        .iter()
        .map(|p| {
            json!({
                "id": stable_id("phone", a.id.as_str()),
                "service_id": sid,
                "number": p.to_string(),
            })
        })
        .collect();
    s.insert("phones".into(), json!(phones));
    let mut contacts = Vec::new();
    if a.contact.phone.is_some() || a.contact.email.is_some() {
        let cid = stable_id("contact", a.id.as_str());
        let mut c = json!({
            "id": cid,
            "service_id": sid,
            "name": a.name.to_string(),
            "phones": phones.iter().map(|p| {
                let mut p = p.clone();
                p["id"] = json!(stable_id("contact_phone", a.id.as_str()));
                p["contact_id"] = json!(cid);
                p
            }).collect::<Vec<_>>(),
        });
        if let Some(e) = &a.contact.email {
            c["email"] = json!(e.to_string());
        }
        contacts.push(c);
    }
    s.insert("contacts".into(), json!(contacts));
    s.insert("schedules".into(), json!(schedules(a, &sid)));
    s.insert("service_areas".into(), json!([]));
    s.insert(
        "service_at_locations".into(),
        json!([{
            "id": service_at_location_id(a.id.as_str()),
            "service_id": sid,
            "location_id": location_id(a.id.as_str()),
            "location": location(a),
        }]),
    );
    let languages: Vec<Value> = a
        .languages
        .iter()
        .map(|l| {
            json!({
                "id": stable_id("language", &format!("{}:{}", a.id.as_str(), l)),
                "service_id": sid,
                "code": l.to_string(),
            })
        })
        .collect();
    s.insert("languages".into(), json!(languages));
    let cost_options: Vec<Value> = a
        .cost
        .iter()
        .map(|c| {
            let mut o = json!({
                "id": stable_id("cost_option", a.id.as_str()),
                "service_id": sid,
                "option": c.band.label(),
            });
            if let Some(d) = &c.detail {
                o["amount_description"] = json!(d);
            }
            if c.band == CostBand::Free {
                o["amount"] = json!(0);
                o["currency"] = json!("GBP");
            }
            o
        })
        .collect();
    s.insert("cost_options".into(), json!(cost_options));
    s.insert("funding".into(), json!([]));
    s.insert("attributes".into(), json!(attributes(a, &sid)));
    s.insert("metadata".into(), json!(metadata(a, &sid)));
    Value::Object(s)
}

/// The list form of a service at location: ids, the location's one-to-one fields and the
/// service's list form.
pub fn service_at_location_list_item(a: &Asset) -> Value {
    let mut loc = location(a);
    if let Some(o) = loc.as_object_mut() {
        o.remove("addresses");
        o.remove("accessibility");
    }
    json!({
        "id": service_at_location_id(a.id.as_str()),
        "service_id": service_id(a.id.as_str()),
        "location_id": location_id(a.id.as_str()),
        "location": loc,
        "service": service_list_item(a),
    })
}

/// The fully nested service at location: its location (with address and accessibility), the
/// service's schedules, contacts and phones, and the service itself.
pub fn service_at_location(a: &Asset) -> Value {
    let full = service(a);
    let mut s = service_list_item(a);
    s["attributes"] = full["attributes"].clone();
    json!({
        "id": service_at_location_id(a.id.as_str()),
        "service_id": service_id(a.id.as_str()),
        "location_id": location_id(a.id.as_str()),
        "location": location(a),
        "schedules": full["schedules"],
        "contacts": full["contacts"],
        "phones": full["phones"],
        "service": s,
    })
}

/// The page envelope of every ORUK list: `total_items`, `total_pages`, `page_number`, `size`
/// (items on this page), `first_page`, `last_page`, `empty`, `contents`. `items` are all the
/// matches in order; `page_number` is 1-based; a page past the end is empty, and is the last
/// page.
///
/// ```
/// let items: Vec<serde_json::Value> = (0..12).map(serde_json::Value::from).collect();
/// let p = assetmap_io::oruk::page(&items, 3, 5, |v| v.clone());
/// assert_eq!((p["size"].as_u64(), p["total_pages"].as_u64()), (Some(2), Some(3)));
/// assert_eq!((p["first_page"].as_bool(), p["last_page"].as_bool()), (Some(false), Some(true)));
/// ```
pub fn page<T>(
    items: &[T],
    page_number: usize,
    per_page: usize,
    item: impl Fn(&T) -> Value,
) -> Value {
    let per_page = per_page.max(1);
    let total = items.len();
    let total_pages = total.div_ceil(per_page);
    let start = page_number
        .saturating_sub(1)
        .saturating_mul(per_page)
        .min(total);
    let end = start.saturating_add(per_page).min(total);
    let contents: Vec<Value> = items[start..end].iter().map(item).collect();
    json!({
        "total_items": total,
        "total_pages": total_pages,
        "page_number": page_number,
        "size": contents.len(),
        "first_page": page_number <= 1,
        "last_page": page_number >= total_pages,
        "empty": contents.is_empty(),
        "contents": contents,
    })
}

/// `10:00:00` (an HSDS time with zero seconds, perhaps with an offset `Z`/`+00:00` after it) as
/// `10:00`; anything else as it is (the validator then says what is wrong with it).
fn minutes_only(t: &str) -> String {
    let whole_minute = t.len() >= 8
        && t.as_bytes()[2] == b':'
        && t.as_bytes()[5] == b':'
        && &t[6..8] == "00"
        && matches!(&t[8..], "" | "Z" | "+00:00");
    if whole_minute {
        t[..5].to_owned()
    } else {
        t.to_owned()
    }
}

/// What [`draft_from_service`] reads: the draft and, when the service has a located location,
/// its `(lon, lat)`.
#[derive(Debug, Clone)]
pub struct ServiceDraft {
    pub draft: AssetDraft,
    pub location: Option<(f64, f64)>,
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn array<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn age(v: &Value, key: &str, problems: &mut Vec<String>) -> Option<i64> {
    let x = v.get(key)?;
    if x.is_null() {
        return None;
    }
    match x.as_f64() {
        Some(n) if n.fract() == 0.0 => Some(n as i64),
        _ => {
            problems.push(format!("{key}: {x} is not a whole number of years"));
            None
        }
    }
}

/// Reads a fully nested HSDS service back into an [`AssetDraft`] (for `assetmap import
/// --oruk`). The draft is not validated: [`AssetDraft::validate`] does that. `Err` lists what
/// could not be read (an unknown status, a schedule not understood, a term not ours…).
pub fn draft_from_service(s: &Value) -> Result<ServiceDraft, Vec<String>> {
    draft_from_service_with(s, &FeedWords::default())
}

/// How to read another directory's words, from a mapping file (`assetmap import --oruk FEED
/// --mapping M.toml`): its taxonomy terms (by id, code or name, any case) under
/// `[values.categories]` and `[values.abcd_type]`, its accessibility descriptions under
/// `[values.access]`, and `[defaults]` for a service none of whose terms is mapped. The
/// `[source]` names the publisher, licence and attribution where the feed's own metadata does
/// not.
#[derive(Debug, Clone, Copy, Default)]
pub struct FeedWords<'a> {
    /// `[clean] drop_invalid` too: those fields' invalid values are dropped and listed rather
    /// than rejecting the service.
    pub clean: Option<&'a crate::mapping::Clean>,
    pub values: Option<&'a crate::mapping::Values>,
    pub defaults: Option<&'a crate::mapping::Defaults>,
    pub source: Option<&'a crate::mapping::SourceInfo>,
}

/// [`draft_from_service`] with another directory's words.
pub fn draft_from_service_with(
    s: &Value,
    words: &FeedWords<'_>,
) -> Result<ServiceDraft, Vec<String>> {
    let mut problems = Vec::new();
    if !s.is_object() {
        return Err(vec!["a service must be a JSON object".to_owned()]);
    }
    let mut d = AssetDraft {
        name: text(s, "name"),
        description: text(s, "description"),
        ..AssetDraft::default()
    };
    if d.name.is_none() {
        problems.push("name: is required".to_owned());
    }
    d.status = match text(s, "status").as_deref() {
        Some("active") | None => Some("active".into()),
        Some("temporarily closed") => Some("temporarily_closed".into()),
        Some("inactive") | Some("defunct") => Some("closed".into()),
        Some(other) => {
            problems.push(format!(
                "status: {other:?} is not an HSDS status (active, inactive, defunct, temporarily closed)"
            ));
            None
        }
    };

    // Contact: the service's own fields first, then its first contact.
    let contact0 = array(s, "contacts").first().cloned().unwrap_or(Value::Null);
    let phone = array(s, "phones")
        .iter()
        .chain(array(&contact0, "phones"))
        .find_map(|p| text(p, "number"));
    d.contact = ContactDraft {
        phone,
        email: text(s, "email").or_else(|| text(&contact0, "email")),
        website: text(s, "url"),
    };

    // Taxonomy terms.
    for a in array(s, "attributes") {
        let term = a.get("taxonomy_term").cloned().unwrap_or(Value::Null);
        let found = text(a, "taxonomy_term_id")
            .and_then(|id| Term::by_id(&id))
            .or_else(|| {
                let code = text(&term, "code")?;
                let tax = text(&term, "taxonomy")?;
                Term::by_code(&tax, &code)
            });
        match found {
            Some(Term::Category(c)) => d.categories.push(c.slug().to_owned()),
            Some(Term::Abcd(t)) => {
                if let Some(prev) = &d.abcd_type {
                    problems.push(format!(
                        "attributes: two ABCD types ({prev} and {}); an asset has one",
                        t.slug()
                    ));
                }
                d.abcd_type = Some(t.slug().to_owned());
            }
            None => {
                // Another directory's term: by its id, code or name through the mapping.
                let keys: Vec<String> = [
                    text(a, "taxonomy_term_id"),
                    text(&term, "id"),
                    text(&term, "code"),
                    text(&term, "name"),
                    text(&term, "term"),
                ]
                .into_iter()
                .flatten()
                .collect();
                let values = words.values;
                let categories = values.and_then(|v| {
                    keys.iter()
                        .find_map(|k| crate::mapping::lookup(&v.categories, k))
                });
                let abcd = values.and_then(|v| {
                    keys.iter()
                        .find_map(|k| crate::mapping::lookup(&v.abcd_type, k))
                });
                if let Some(c) = categories {
                    d.categories.extend(c.iter().cloned());
                }
                if let Some(t) = abcd {
                    d.abcd_type = Some(t.clone());
                }
                if categories.is_none() && abcd.is_none() {
                    let named = text(&term, "name")
                        .or_else(|| keys.first().cloned())
                        .unwrap_or_default();
                    problems.push(format!(
                        "attributes: taxonomy term {named:?} is not an assetmap category or ABCD type; map it under [values.categories] in a mapping file (--mapping)"
                    ));
                }
            }
        }
    }
    if let Some(defaults) = words.defaults {
        if d.categories.is_empty() {
            d.categories = defaults.categories.clone();
        }
        if d.abcd_type.is_none() {
            d.abcd_type = defaults.abcd_type.clone();
        }
    }

    // Schedules.
    let mut times = OpeningTimesDraft::default();
    for (i, sc) in array(s, "schedules").iter().enumerate() {
        if times.note.is_none() {
            times.note = text(sc, "notes");
        }
        if text(sc, "description").as_deref() == Some(BY_ARRANGEMENT) {
            times.by_arrangement = true;
            continue;
        }
        let (Some(byday), Some(opens), Some(closes)) = (
            text(sc, "byday"),
            text(sc, "opens_at"),
            text(sc, "closes_at"),
        ) else {
            if sc.get("byday").is_some() || sc.get("opens_at").is_some() {
                problems.push(format!(
                    "schedules[{i}]: a weekly schedule needs byday, opens_at and closes_at"
                ));
            }
            continue;
        };
        if text(sc, "freq").is_some_and(|f| f != "WEEKLY") {
            problems.push(format!("schedules[{i}]: only freq WEEKLY is understood"));
            continue;
        }
        // HSDS times are `HH:MM:SS` (with whole minutes here); ours are `HH:MM`.
        let (opens, closes) = (minutes_only(&opens), minutes_only(&closes));
        for day in byday.split(',').map(str::trim) {
            match BYDAY.iter().position(|b| *b == day) {
                Some(ix) => times.periods.push(PeriodDraft {
                    day: Weekday::ALL[ix].slug().to_owned(),
                    opens: opens.clone(),
                    closes: closes.clone(),
                }),
                None => problems.push(format!(
                    "schedules[{i}].byday: {day:?} is not a day (MO, TU, WE, TH, FR, SA, SU)"
                )),
            }
        }
    }
    d.opening_times = times;

    // Cost.
    if let Some(c) = array(s, "cost_options").first() {
        let option = text(c, "option").unwrap_or_default();
        let band = CostBand::ALL
            .iter()
            .find(|b| b.label().eq_ignore_ascii_case(&option) || b.slug() == option);
        let band = match (band, c.get("amount").and_then(Value::as_f64)) {
            (Some(b), _) => Some(*b),
            (None, Some(0.0)) => Some(CostBand::Free),
            (None, Some(_)) => Some(CostBand::Paid),
            (None, None) => {
                problems.push(format!(
                    "cost_options[0].option: {option:?} is not Free, Low cost or Paid"
                ));
                None
            }
        };
        d.cost = band.map(|b| CostDraft {
            band: b.slug().to_owned(),
            detail: text(c, "amount_description").or_else(|| text(s, "fees")),
        });
    }

    d.audience = AudienceDraft {
        min_age: age(s, "minimum_age", &mut problems),
        max_age: age(s, "maximum_age", &mut problems),
        description: text(s, "eligibility_description"),
    };
    d.languages = array(s, "languages")
        .iter()
        .filter_map(|l| text(l, "code"))
        .collect();
    d.verified_at = text(s, "assured_date");

    // Provenance.
    let mut p = Provenance::default();
    for m in array(s, "metadata") {
        let v = text(m, "replacement_value");
        match text(m, "field_name").as_deref() {
            Some("source") => p.source = v,
            Some("source_id") => p.source_id = v,
            Some("licence") => p.licence = v,
            Some("attribution") => p.attribution = v,
            Some("geocode_method") => p.geocode_method = v,
            _ => {}
        }
    }
    if let Some(src) = words.source {
        p.source = p.source.or_else(|| Some(src.name.clone()));
        p.licence = p.licence.or_else(|| Some(src.licence.clone()));
        p.attribution = p.attribution.or_else(|| src.attribution.clone());
        p.source_id = p.source_id.or_else(|| text(s, "id"));
    }
    d.provenance = p;

    // Location: the first service at location.
    let mut at = None;
    if let Some(sal) = array(s, "service_at_locations").first() {
        let loc = sal.get("location").cloned().unwrap_or(Value::Null);
        match (
            loc.get("longitude").and_then(Value::as_f64),
            loc.get("latitude").and_then(Value::as_f64),
        ) {
            (Some(lon), Some(lat)) => at = Some((lon, lat)),
            _ => problems
                .push("service_at_locations[0].location: needs latitude and longitude".to_owned()),
        }
        if let Some(addr) = array(&loc, "addresses").first() {
            let line = text(addr, "address_1");
            let city = text(addr, "city");
            d.address = match (line, city) {
                (Some(l), Some(c)) => Some(format!("{l}, {c}")),
                (l, c) => l.or(c),
            };
            d.postcode = text(addr, "postal_code");
        }
        for f in array(&loc, "accessibility") {
            let slug = text(f, "details").filter(|s| AccessFeature::parse(s).is_ok());
            let by_label = || {
                let label = text(f, "description")?;
                AccessFeature::ALL
                    .iter()
                    .find(|a| a.label().eq_ignore_ascii_case(&label))
                    .map(|a| a.slug().to_owned())
            };
            let mapped = || {
                let v = words.values?;
                let said = text(f, "description").or_else(|| text(f, "accessibility"))?;
                crate::mapping::lookup(&v.access, &said).cloned()
            };
            match (slug.or_else(by_label), mapped()) {
                (Some(s), _) => d.access.push(s),
                (None, Some(features)) => d.access.extend(features),
                (None, None) => problems.push(format!(
                    "accessibility: {:?} is not an assetmap access feature; map it under [values.access] in a mapping file (--mapping)",
                    text(f, "description").unwrap_or_default()
                )),
            }
        }
    } else {
        problems.push("service_at_locations: a service needs a location".to_owned());
    }

    if problems.is_empty() {
        Ok(ServiceDraft {
            draft: d,
            location: at,
        })
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use assetmap_core::{AssetId, OpeningTimesDraft, PeriodDraft};
    use chrono::{TimeZone, Utc};

    fn rich() -> Asset {
        let draft = AssetDraft {
            name: Some("Sale Singing Club".into()),
            description: Some("We sing.\nEveryone welcome.".into()),
            abcd_type: Some("association".into()),
            categories: vec!["arts_heritage".into(), "befriending".into()],
            tags: vec![],
            address: Some("Sale Methodist Church, Chapel Road, Sale".into()),
            postcode: Some("M33 7XY".into()),
            contact: ContactDraft {
                phone: Some("0161 912 3456".into()),
                email: Some("hello@example.org".into()),
                website: Some("https://example.org/sing".into()),
            },
            opening_times: OpeningTimesDraft {
                periods: vec![
                    PeriodDraft {
                        day: "tue".into(),
                        opens: "18:00".into(),
                        closes: "21:00".into(),
                    },
                    PeriodDraft {
                        day: "thu".into(),
                        opens: "18:00".into(),
                        closes: "21:00".into(),
                    },
                    PeriodDraft {
                        day: "fri".into(),
                        opens: "22:00".into(),
                        closes: "02:00".into(),
                    },
                    PeriodDraft {
                        day: "sun".into(),
                        opens: "00:00".into(),
                        closes: "24:00".into(),
                    },
                ],
                by_arrangement: true,
                note: Some("Not on bank holidays".into()),
            },
            cost: Some(CostDraft {
                band: "low".into(),
                detail: Some("£2 a session, carers free".into()),
            }),
            access: vec!["step_free".into(), "hearing_loop".into()],
            audience: AudienceDraft {
                min_age: Some(16),
                max_age: Some(99),
                description: Some("Adults who like to sing".into()),
            },
            languages: vec!["en".into(), "cy".into()],
            provenance: Provenance {
                source: Some("Trafford Council".into()),
                source_id: Some("row 7".into()),
                licence: Some("OGL-3.0".into()),
                attribution: Some("Contains public sector information".into()),
                geocode_method: Some("postcode_centroid".into()),
            },
            verified_at: Some("2025-05-01".into()),
            status: Some("temporarily_closed".into()),
        };
        let valid = draft.validate(Some((-2.3201, 53.4246))).unwrap();
        Asset::create(
            AssetId::parse("test:1").unwrap(),
            valid,
            Utc.with_ymd_and_hms(2025, 6, 1, 10, 0, 0).unwrap(),
        )
    }

    #[test]
    fn asset_to_service_to_draft_gives_back_the_same_content() {
        let a = rich();
        let s = service(&a);
        let back = draft_from_service(&s).unwrap();
        let again = back.draft.validate(back.location).unwrap();
        let original = a
            .to_draft()
            .validate(Some((a.location.lon(), a.location.lat())))
            .unwrap();
        assert_eq!(again, original);
    }

    #[test]
    fn the_service_says_what_the_mapping_promises() {
        let a = rich();
        let s = service(&a);
        assert_eq!(s["status"], "temporarily closed");
        assert_eq!(s["minimum_age"], 16);
        assert_eq!(s["assured_date"], "2025-05-01");
        let sch = s["schedules"].as_array().unwrap();
        assert_eq!(sch[0]["byday"], "TU,TH");
        assert_eq!(
            (sch[0]["opens_at"].as_str(), sch[0]["closes_at"].as_str()),
            (Some("18:00"), Some("21:00"))
        );
        assert_eq!(sch[0]["notes"], "Not on bank holidays");
        assert!(sch
            .iter()
            .any(|x| x["byday"] == "FR" && x["closes_at"] == "02:00"));
        assert!(sch.iter().any(|x| x["description"] == BY_ARRANGEMENT));
        assert_eq!(s["cost_options"][0]["option"], "Low cost");
        let loc = &s["service_at_locations"][0]["location"];
        assert_eq!(loc["addresses"][0]["city"], "Sale");
        assert_eq!(loc["accessibility"].as_array().unwrap().len(), 2);
        assert_eq!(s["attributes"].as_array().unwrap().len(), 3);
        assert_eq!(s["id"], service_id(a.id.as_str()));
    }

    #[test]
    fn ids_are_uuids_and_terms_are_found_by_id() {
        let id = stable_id("x", "y");
        assert_eq!(id.len(), 36);
        assert_eq!(id.matches('-').count(), 4);
        for t in Term::all() {
            assert_eq!(Term::by_id(&t.id()), Some(t));
        }
        assert_eq!(taxonomy_by_id(&taxonomy_ids()[1]), Some(ABCD_TAXONOMY));
    }

    #[test]
    fn foreign_services_report_what_cannot_be_read() {
        let e = draft_from_service(&json!({"name": "X", "status": "open", "schedules": [{"id": "1", "freq": "WEEKLY", "byday": "XX", "opens_at": "09:00", "closes_at": "10:00"}]})).unwrap_err();
        assert!(e.iter().any(|p| p.starts_with("status")));
        assert!(e.iter().any(|p| p.contains("byday")));
        assert!(e.iter().any(|p| p.starts_with("service_at_locations")));
    }
}
