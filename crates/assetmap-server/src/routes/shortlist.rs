//! `GET /shortlist?ids=a,b,c[&postcode=…|&lon=…&lat=…][&format=text]`: the assets a
//! coordinator picked with a person, as a print-friendly page (default) or as plain text for a
//! text message. The URL is the list: nothing is stored, and the request log leaves out the
//! query string. The page loads nothing from elsewhere (its style and the position sketch are
//! inline; the favicon and the script behind Print, Copy link and Share come from this server's
//! `/static/`) and sends no `Referer`, so following a link on it does not pass the postcode on.
//! Places since removed are named (from the store's history) and the rest shown; a list whose
//! places are all gone is a `404` page for a browser, a problem document for other clients.

use crate::errors::ApiError;
use crate::html::{access_words, address_words, age_words, cost_words, what_it_is};
use crate::http::private_response;
use crate::params::Params;
use crate::parse::origin_from;
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use assetmap_core::WalkingModel;
use assetmap_core::{Asset, AssetId, LonLat};
use std::fmt::Write as _;

/// Most assets on one shortlist.
pub const MAX_IDS: usize = 50;

/// Registers `/shortlist`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/shortlist")
            .route(web::get().to(shortlist))
            .route(web::to(|| async {
                Err::<HttpResponse, _>(ApiError::method_not_allowed("Use GET /shortlist?ids=…"))
            })),
    );
}

/// "850 m" or "2.3 km".
fn distance_words(m: f64) -> String {
    if m < 1000.0 {
        format!("{} m", (m / 10.0).round() * 10.0)
    } else {
        format!("{:.1} km", m / 1000.0)
    }
}

fn walk_words(m: f64) -> String {
    let min = WalkingModel::minutes(m).max(1);
    format!(
        "{} (about {min} minute{} walk)",
        distance_words(m),
        if min == 1 { "'s" } else { "s'" }
    )
}

/// The print page (`templates/shortlist.html`; askama escapes every value).
#[derive(askama::Template)]
#[template(path = "shortlist.html")]
struct ShortlistPage {
    /// [`crate::html::SHORTLIST_STYLE`], allowed by its hash in the page's CSP.
    style: &'static str,
    items: Vec<Item>,
    /// The places on the list no longer listed, by their last known name.
    gone: Vec<String>,
    /// `None` when every place is gone (then there is nothing to draw).
    sketch: Option<Sketch>,
    /// The text version of this list (the same query, `format=text`).
    text_href: String,
    /// The map, searching the same postcode (or at the same place) again.
    map_href: String,
    /// Where distances are from, in words: "M33 7AA", "the middle of the M33 postcode
    /// district", "the point given".
    from_words: String,
}

/// One place on the print page.
struct Item {
    name: String,
    what: String,
    /// The description, cut to 320 characters (with "…" when cut).
    description: Option<String>,
    rows: Vec<Row>,
}

/// One line of a place's details.
struct Row {
    label: &'static str,
    value: Value,
}

/// A detail's value: text, or a link.
enum Value {
    Text(String),
    Phone { dial: String, shown: String },
    Email(String),
    Website(String),
}

/// A small map-like sketch: the assets as numbered dots around the person's postcode (a
/// cross), north up, with a scale bar (`templates/sketch.svg`). Positions use a local flat
/// projection (metres east and north of the centre), which is exact enough at the scale of a
/// walk.
struct Sketch {
    /// Width and height, px.
    size: f64,
    /// The centre is the person's postcode (drawn as a cross, labelled with `label`).
    from_person: bool,
    /// The person's postcode ("M33 7AA"), or "you" when a point was given.
    label: String,
    /// The centre's x and y, px.
    centre: f64,
    bar_y: f64,
    bar_x2: f64,
    bar_label: String,
    north_x: f64,
    dots: Vec<Dot>,
}

/// A numbered place on the sketch: its centre and the baseline of its number, px (to 0.1).
struct Dot {
    x: String,
    y: String,
    text_y: String,
}

impl Sketch {
    /// The sketch's side, px.
    const SIZE: f64 = 320.0;
    /// The band kept clear above (north arrow) and below (scale bar) the places, px.
    const BAND: f64 = 40.0;
    /// A dot's radius, px.
    const DOT: f64 = 11.0;

    fn new(centre: LonLat, person: Option<&str>, items: &[Asset]) -> Sketch {
        let size = Self::SIZE;
        let kx = 111_320.0 * centre.lat().to_radians().cos();
        let ky = 110_574.0;
        let pts: Vec<(f64, f64)> = items
            .iter()
            .map(|a| {
                (
                    (a.location.lon() - centre.lon()) * kx,
                    (a.location.lat() - centre.lat()) * ky,
                )
            })
            .collect();
        let reach = pts
            .iter()
            .map(|(x, y)| x.abs().max(y.abs()))
            .fold(100.0, f64::max);
        // The places fill the square between the two bands, a dot's width from its edges.
        let half = size / 2.0 - Self::BAND - Self::DOT;
        let scale = half / reach;
        let to_px = |(x, y): (f64, f64)| (size / 2.0 + x * scale, size / 2.0 - y * scale);
        // A nice round scale bar about a quarter of the width.
        let target_m = (size / 4.0) / scale;
        let bar_m = [
            10.0, 20.0, 25.0, 50.0, 100.0, 200.0, 250.0, 500.0, 1000.0, 2000.0, 2500.0, 5000.0,
            10_000.0, 20_000.0, 50_000.0,
        ]
        .into_iter()
        .rfind(|m| *m <= target_m)
        .unwrap_or(10.0);
        // The person's cross and its label are kept clear of the dots too.
        let mut placed: Vec<(f64, f64)> = Vec::with_capacity(pts.len() + 2);
        if person.is_some() {
            placed.push((size / 2.0, size / 2.0));
            placed.push((size / 2.0 + 24.0, size / 2.0 + 15.0));
            placed.push((size / 2.0 + 52.0, size / 2.0 + 15.0));
        }
        let mut dots = Vec::with_capacity(pts.len());
        let (lo, hi) = (Self::DOT + 1.0, size - Self::DOT - 1.0);
        let (top, bottom) = (Self::BAND - 6.0, size - Self::BAND + 6.0);
        for p in &pts {
            let (mut x, mut y) = to_px(*p);
            // Places at the same spot (one building) would hide each other's numbers: step
            // round the spot until the dot is clear of those already drawn.
            let (x0, y0) = (x, y);
            let mut step = 0;
            let clash = |x: f64, y: f64, placed: &[(f64, f64)]| {
                placed
                    .iter()
                    .any(|(px, py)| (px - x).hypot(py - y) < 2.0 * Self::DOT + 1.0)
            };
            while step < 48 && clash(x, y, &placed) {
                step += 1;
                let angle = f64::from(step) * 0.9;
                let r = 2.0 * Self::DOT + 2.0 + 4.0 * f64::from(step / 7);
                x = (x0 + r * angle.cos()).clamp(lo, hi);
                y = (y0 + r * angle.sin()).clamp(top, bottom);
            }
            placed.push((x, y));
            dots.push(Dot {
                x: format!("{x:.1}"),
                y: format!("{y:.1}"),
                text_y: format!("{:.1}", y + 4.5),
            });
        }
        Sketch {
            size,
            from_person: person.is_some(),
            label: person.unwrap_or("you").to_owned(),
            centre: size / 2.0,
            bar_y: size - 12.0,
            bar_x2: 12.0 + bar_m * scale,
            bar_label: distance_words(bar_m),
            north_x: size - 18.0,
            dots,
        }
    }
}

/// What is escaped in a query value of the page's links (ids keep their `:`).
const QUERY_VALUE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b':')
    .remove(b'~');

/// Where the page's links go: its text version and back to the map.
struct Links {
    text_href: String,
    map_href: String,
}

impl Links {
    /// From the list's ids and where the person is (`postcode`, or `lon`/`lat`).
    fn new(ids: &[AssetId], postcode: Option<&str>, point: Option<LonLat>) -> Links {
        let enc = |s: &str| percent_encoding::utf8_percent_encode(s, QUERY_VALUE).to_string();
        let ids: Vec<String> = ids.iter().map(|id| enc(id.as_str())).collect();
        let mut q = format!("ids={}", ids.join(","));
        let map_href = match (postcode, point) {
            (Some(pc), _) => {
                let _ = write!(q, "&postcode={}", enc(pc));
                format!("/#postcode={}", enc(pc))
            }
            (None, Some(at)) => {
                let _ = write!(q, "&lon={}&lat={}", at.lon(), at.lat());
                format!("/#map=15.00/{:.5}/{:.5}", at.lat(), at.lon())
            }
            (None, None) => "/".to_owned(),
        };
        Links {
            text_href: format!("/shortlist?{q}&format=text"),
            map_href,
        }
    }
}

fn html_page(
    items: &[Asset],
    origin: Option<LonLat>,
    person: Option<&str>,
    gone: Vec<String>,
    links: Links,
) -> Result<String, ApiError> {
    let from_words = match person {
        Some(p) if crate::parse::outward_code(p).is_some() => {
            format!("the middle of the {p} postcode district")
        }
        Some(p) => p.to_owned(),
        None => "the point given".to_owned(),
    };
    let sketch = (!items.is_empty()).then(|| {
        let centre = origin.unwrap_or_else(|| {
            let n = items.len() as f64;
            let lon = items.iter().map(|a| a.location.lon()).sum::<f64>() / n;
            let lat = items.iter().map(|a| a.location.lat()).sum::<f64>() / n;
            LonLat::new(lon, lat).unwrap_or(items[0].location)
        });
        let person = origin.map(|_| person.unwrap_or("you"));
        Sketch::new(centre, person, items)
    });
    let page = ShortlistPage {
        style: crate::html::SHORTLIST_STYLE,
        gone,
        sketch,
        items: items.iter().map(|a| item(a, origin)).collect(),
        text_href: links.text_href,
        map_href: links.map_href,
        from_words,
    };
    askama::Template::render(&page).map_err(ApiError::internal)
}

/// A place's details for the print page.
fn item(a: &Asset, origin: Option<LonLat>) -> Item {
    let mut rows = Vec::new();
    let mut text = |label, v: String| {
        rows.push(Row {
            label,
            value: Value::Text(v),
        })
    };
    if let Some(o) = origin {
        text("How far", walk_words(o.distance_m(&a.location)));
    }
    if let Some(ad) = address_words(a) {
        text("Address", ad);
    }
    text("When", a.opening_times.in_words());
    text("Cost", cost_words(a));
    text("Access", access_words(a));
    if let Some(w) = age_words(a) {
        text("Who for", w);
    }
    if let Some(p) = &a.contact.phone {
        rows.push(Row {
            label: "Phone",
            value: Value::Phone {
                dial: p.as_str().replace(' ', ""),
                shown: p.as_str().to_owned(),
            },
        });
    }
    if let Some(e) = &a.contact.email {
        rows.push(Row {
            label: "Email",
            value: Value::Email(e.as_str().to_owned()),
        });
    }
    if let Some(w) = &a.contact.website {
        rows.push(Row {
            label: "Website",
            value: Value::Website(w.as_str().to_owned()),
        });
    }
    Item {
        name: a.name.as_str().to_owned(),
        what: what_it_is(a),
        description: a.description.as_ref().map(|d| {
            let short: String = d.chars().take(320).collect();
            if d.chars().count() > 320 {
                short + "…"
            } else {
                short
            }
        }),
        rows,
    }
}

fn text_version(items: &[Asset], origin: Option<LonLat>, gone: &[String]) -> String {
    let missing = gone.len();
    let mut t = format!("Your shortlist ({})\n", items.len());
    for (i, a) in items.iter().enumerate() {
        let _ = write!(t, "\n{}. {} - {}", i + 1, a.name, what_it_is(a));
        if let Some(ad) = address_words(a) {
            let _ = write!(t, "\n{ad}");
        }
        if let Some(o) = origin {
            let _ = write!(t, "\n{} from you", walk_words(o.distance_m(&a.location)));
        }
        let _ = write!(t, "\nWhen: {}", a.opening_times.in_words());
        let _ = write!(t, "\nCost: {}", cost_words(a));
        if !a.access.is_empty() {
            let _ = write!(t, "\nAccess: {}", access_words(a));
        }
        if let Some(p) = &a.contact.phone {
            let _ = write!(t, "\nTel {p}");
        }
        if let Some(w) = &a.contact.website {
            let _ = write!(t, "\n{w}");
        } else if let Some(e) = &a.contact.email {
            let _ = write!(t, "\n{e}");
        }
        t.push('\n');
    }
    if missing > 0 {
        let _ = write!(t, "\n({missing} no longer listed: {})\n", gone.join("; "));
    }
    t.push_str("\nPlease ring before you go: details change.\n");
    t
}

/// Whether the client asked for HTML (a browser does).
fn wants_html(req: &HttpRequest) -> bool {
    req.headers()
        .get(actix_web::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"))
}

/// The last known names of the places on the list that are no longer listed (from the
/// store's history; a place the history does not know is named by its id).
async fn gone_names(state: &AppState, gone: &[AssetId]) -> Vec<String> {
    let mut names = Vec::with_capacity(gone.len());
    for id in gone {
        let known = match state.store.history(id).await {
            Ok(entries) => entries
                .iter()
                .rev()
                .find_map(|e| e.before.as_ref().map(|a| a.name.as_str().to_owned())),
            Err(e) => {
                tracing::warn!(error = %e, "the history of a shortlisted place could not be read");
                None
            }
        };
        names.push(known.unwrap_or_else(|| format!("the place with reference {id}")));
    }
    names
}

async fn shortlist(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let p = Params::parse(
        req.query_string(),
        &["ids", "postcode", "lon", "lat", "format"],
    )?;
    let raw_ids = p.list("ids");
    if raw_ids.is_empty() {
        return Err(ApiError::bad_param(
            "ids",
            "is required: the asset ids, comma-separated, e.g. ids=a,b,c",
        ));
    }
    if raw_ids.len() > MAX_IDS {
        return Err(ApiError::bad_param(
            "ids",
            format!(
                "has {} ids; a shortlist holds at most {MAX_IDS}",
                raw_ids.len()
            ),
        ));
    }
    let mut ids: Vec<AssetId> = Vec::with_capacity(raw_ids.len());
    for raw in raw_ids {
        let id = AssetId::parse(raw).map_err(|e| ApiError::bad_param("ids", e.problem))?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    let text = match p.one("format")? {
        None | Some("html") => false,
        Some("text") => true,
        Some(other) => {
            return Err(ApiError::bad_param(
                "format",
                format!("{other:?} is not a format here; use html or text"),
            ))
        }
    };
    let origin = origin_from(&p, &state.place)?.map(|o| o.at);
    let postcode = p.one("postcode")?.map(|raw| {
        assetmap_core::Postcode::parse(raw)
            .map(|pc| pc.as_str().to_owned())
            .unwrap_or_else(|_| raw.trim().to_uppercase())
    });
    let point = if postcode.is_none() { origin } else { None };
    let links = Links::new(&ids, postcode.as_deref(), point);
    let gone_ids: Vec<AssetId> = {
        let engine = state.engine();
        ids.iter()
            .filter(|id| !engine.contains(id))
            .cloned()
            .collect()
    };
    let gone = gone_names(&state, &gone_ids).await;
    let items: Vec<Asset> = {
        let engine = state.engine();
        ids.iter().filter_map(|id| engine.get(id)).collect()
    };
    if items.is_empty() {
        // A browser following an old link gets a page that says so, and the way back.
        if !text && wants_html(&req) {
            let body = html_page(&[], origin, postcode.as_deref(), gone, links)?;
            return Ok(HttpResponse::NotFound()
                .content_type(crate::http::HTML)
                .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
                .insert_header((actix_web::http::header::REFERRER_POLICY, "no-referrer"))
                .body(body));
        }
        return Err(ApiError::not_found(format!(
            "None of the places on this shortlist is listed any more: {}.",
            gone.join("; ")
        )));
    }
    let body = if text {
        text_version(&items, origin, &gone)
    } else {
        html_page(&items, origin, postcode.as_deref(), gone, links)?
    };
    drop(items);
    let ct = if text {
        "text/plain; charset=utf-8"
    } else {
        "text/html; charset=utf-8"
    };
    Ok(private_response(ct).body(body))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_page_escapes_what_assets_say() {
        let draft = assetmap_core::AssetDraft {
            name: Some("Tom & Jerry's <b>club</b>".into()),
            abcd_type: Some("association".into()),
            categories: vec!["arts_heritage".into()],
            ..Default::default()
        };
        let a = Asset::create(
            assetmap_core::AssetId::parse("t:1").unwrap(),
            draft.validate(Some((-2.3, 53.4))).unwrap(),
            chrono::Utc::now(),
        );
        let links = Links::new(std::slice::from_ref(&a.id), None, None);
        let page = html_page(&[a], None, None, vec![], links).unwrap();
        assert!(
            page.contains("<h2>Tom &#38; Jerry&#39;s &#60;b&#62;club&#60;/b&#62;</h2>"),
            "{page}"
        );
        assert!(!page.contains("<b>club"));
    }

    #[test]
    fn words() {
        assert_eq!(distance_words(843.0), "840 m");
        assert_eq!(distance_words(2345.0), "2.3 km");
        assert_eq!(walk_words(30.0), "30 m (about 1 minute's walk)");
        assert_eq!(walk_words(923.0), "920 m (about 15 minutes' walk)");
    }
}
