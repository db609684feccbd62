//! `GET /shortlist?ids=a,b,c[&postcode=…|&lon=…&lat=…][&format=text]`: the assets a
//! coordinator picked with a person, as a print-friendly page (default) or as plain text for a
//! text message. The URL is the list: nothing is stored, and the request log leaves out the
//! query string. The page loads nothing from elsewhere (styles and the position sketch are
//! inline) and sends no `Referer`, so following a link on it does not pass the postcode on.

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
    missing: usize,
    sketch: Sketch,
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
    /// The centre is the person's postcode (drawn as a cross).
    from_person: bool,
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
    fn new(centre: LonLat, from_person: bool, items: &[&Asset]) -> Sketch {
        const SIZE: f64 = 320.0;
        const PAD: f64 = 28.0;
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
        let scale = (SIZE / 2.0 - PAD) / reach;
        let to_px = |(x, y): (f64, f64)| (SIZE / 2.0 + x * scale, SIZE / 2.0 - y * scale);
        // A nice round scale bar about a quarter of the width.
        let target_m = (SIZE / 4.0) / scale;
        let bar_m = [
            50.0, 100.0, 200.0, 250.0, 500.0, 1000.0, 2000.0, 2500.0, 5000.0, 10_000.0, 20_000.0,
            50_000.0,
        ]
        .into_iter()
        .rfind(|m| *m <= target_m)
        .unwrap_or(50.0);
        let mut placed: Vec<(f64, f64)> = Vec::with_capacity(pts.len());
        let mut dots = Vec::with_capacity(pts.len());
        for p in &pts {
            let (mut x, mut y) = to_px(*p);
            // Places at the same spot (one building) would hide each other's numbers: step
            // round the spot until the dot is clear of those already drawn.
            let (x0, y0) = (x, y);
            let mut step = 0;
            while step < 24 && placed.iter().any(|(px, py)| (px - x).hypot(py - y) < 17.0) {
                step += 1;
                let angle = f64::from(step) * 0.9;
                let r = 18.0 + 3.0 * f64::from(step / 7);
                (x, y) = (x0 + r * angle.cos(), y0 + r * angle.sin());
            }
            placed.push((x, y));
            dots.push(Dot {
                x: format!("{x:.1}"),
                y: format!("{y:.1}"),
                text_y: format!("{:.1}", y + 4.0),
            });
        }
        Sketch {
            size: SIZE,
            from_person,
            centre: SIZE / 2.0,
            bar_y: SIZE - 12.0,
            bar_x2: 12.0 + bar_m * scale,
            bar_label: distance_words(bar_m),
            north_x: SIZE - 18.0,
            dots,
        }
    }
}

fn html_page(items: &[&Asset], origin: Option<LonLat>, missing: usize) -> Result<String, ApiError> {
    let centre = origin.unwrap_or_else(|| {
        let n = items.len().max(1) as f64;
        let lon = items.iter().map(|a| a.location.lon()).sum::<f64>() / n;
        let lat = items.iter().map(|a| a.location.lat()).sum::<f64>() / n;
        LonLat::new(lon, lat).unwrap_or(items[0].location)
    });
    let page = ShortlistPage {
        style: crate::html::SHORTLIST_STYLE,
        missing,
        sketch: Sketch::new(centre, origin.is_some(), items),
        items: items.iter().map(|a| item(a, origin)).collect(),
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
    text("When", a.opening_times.describe());
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

fn text_version(items: &[&Asset], origin: Option<LonLat>, missing: usize) -> String {
    let mut t = format!("Your shortlist ({})\n", items.len());
    for (i, a) in items.iter().enumerate() {
        let _ = write!(t, "\n{}. {} - {}", i + 1, a.name, what_it_is(a));
        if let Some(ad) = address_words(a) {
            let _ = write!(t, "\n{ad}");
        }
        if let Some(o) = origin {
            let _ = write!(t, "\n{} from you", walk_words(o.distance_m(&a.location)));
        }
        let _ = write!(t, "\nWhen: {}", a.opening_times.describe());
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
        let _ = write!(t, "\n({missing} no longer listed)\n");
    }
    t.push_str("\nPlease ring before you go: details change.\n");
    t
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
    let origin = origin_from(&p, &state.place)?;
    let engine = state.engine();
    let items: Vec<&Asset> = ids.iter().filter_map(|id| engine.get(id)).collect();
    if items.is_empty() {
        return Err(ApiError::not_found(
            "None of the assets on this shortlist is listed any more.",
        ));
    }
    let missing = ids.len() - items.len();
    let body = if text {
        text_version(&items, origin, missing)
    } else {
        html_page(&items, origin, missing)?
    };
    drop(items);
    drop(engine);
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
        let page = html_page(&[&a], None, 0).unwrap();
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
