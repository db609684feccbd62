//! `GET /shortlist?ids=a,b,c[&postcode=…|&lon=…&lat=…][&format=text]`: the assets a
//! coordinator picked with a person, as a print-friendly page (default) or as plain text for a
//! text message. The URL is the list: nothing is stored, and the request log leaves out the
//! query string. The page loads nothing from elsewhere (styles and the position sketch are
//! inline) and sends no `Referer`, so following a link on it does not pass the postcode on.

use crate::errors::ApiError;
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

/// Escapes text for HTML.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
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

/// What the asset is, in words: its themes.
fn what_it_is(a: &Asset) -> String {
    a.categories
        .iter()
        .map(|c| c.label())
        .collect::<Vec<_>>()
        .join(", ")
}

fn cost_words(a: &Asset) -> String {
    match &a.cost {
        Some(c) => match &c.detail {
            Some(d) => format!("{} ({d})", c.band.label()),
            None => c.band.label().to_owned(),
        },
        None => "Not known: ask them".to_owned(),
    }
}

fn access_words(a: &Asset) -> String {
    if a.access.is_empty() {
        "Not recorded: ask them".to_owned()
    } else {
        a.access
            .iter()
            .map(|f| f.label())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn address_words(a: &Asset) -> Option<String> {
    match (&a.address, &a.postcode) {
        (Some(ad), Some(pc)) if !ad.contains(pc.as_str()) => Some(format!("{ad}, {pc}")),
        (Some(ad), _) => Some(ad.clone()),
        (None, Some(pc)) => Some(pc.to_string()),
        (None, None) => None,
    }
}

fn age_words(a: &Asset) -> Option<String> {
    let (lo, hi) = (a.audience.min_age(), a.audience.max_age());
    let ages = match (lo, hi) {
        (Some(l), Some(h)) => Some(format!("ages {l} to {h}")),
        (Some(l), None) => Some(format!("ages {l} and over")),
        (None, Some(h)) => Some(format!("up to age {h}")),
        (None, None) => None,
    };
    match (a.audience.description(), ages) {
        (Some(d), Some(ag)) => Some(format!("{d} ({ag})")),
        (Some(d), None) => Some(d.to_owned()),
        (None, ag) => ag,
    }
}

/// A small map-like sketch: the assets as numbered dots around the person's postcode (a
/// cross), north up, with a scale bar. Positions use a local flat projection (metres east and
/// north of the centre), which is exact enough at the scale of a walk.
fn sketch(centre: LonLat, from_person: bool, items: &[&Asset]) -> String {
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
    let mut svg = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{SIZE}" height="{SIZE}" viewBox="0 0 {SIZE} {SIZE}" role="img" aria-label="Sketch of where the places are{}">"##,
        if from_person {
            " from the postcode"
        } else {
            ""
        }
    );
    let _ = write!(
        svg,
        r##"<rect x="0.5" y="0.5" width="{}" height="{}" fill="#fff" stroke="#999"/>"##,
        SIZE - 1.0,
        SIZE - 1.0
    );
    // A nice round scale bar about a quarter of the width.
    let target_m = (SIZE / 4.0) / scale;
    let bar_m = [
        50.0, 100.0, 200.0, 250.0, 500.0, 1000.0, 2000.0, 2500.0, 5000.0, 10_000.0, 20_000.0,
        50_000.0,
    ]
    .into_iter()
    .rfind(|m| *m <= target_m)
    .unwrap_or(50.0);
    let bar_px = bar_m * scale;
    let _ = write!(
        svg,
        r##"<line x1="12" y1="{y}" x2="{x2}" y2="{y}" stroke="#000" stroke-width="2"/><text x="12" y="{ty}" font-size="11" font-family="sans-serif">{}</text>"##,
        esc(&distance_words(bar_m)),
        y = SIZE - 12.0,
        ty = SIZE - 17.0,
        x2 = 12.0 + bar_px
    );
    let _ = write!(
        svg,
        r##"<text x="{x}" y="20" font-size="13" font-family="sans-serif" text-anchor="middle">N</text><line x1="{x}" y1="36" x2="{x}" y2="24" stroke="#000" stroke-width="1.5"/>"##,
        x = SIZE - 18.0
    );
    if from_person {
        let (cx, cy) = (SIZE / 2.0, SIZE / 2.0);
        let _ = write!(
            svg,
            r##"<path d="M{} {cy}h12M{cx} {}v12" stroke="#c00" stroke-width="3"/><text x="{}" y="{}" font-size="11" font-family="sans-serif" fill="#c00">you</text>"##,
            cx - 6.0,
            cy - 6.0,
            cx + 8.0,
            cy + 16.0
        );
    }
    let mut placed: Vec<(f64, f64)> = Vec::with_capacity(pts.len());
    for (i, p) in pts.iter().enumerate() {
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
        let _ = write!(
            svg,
            r##"<circle cx="{x:.1}" cy="{y:.1}" r="9" fill="#1d4f91"/><text x="{x:.1}" y="{ty:.1}" font-size="11" font-family="sans-serif" fill="#fff" text-anchor="middle">{}</text>"##,
            i + 1,
            ty = y + 4.0
        );
    }
    svg.push_str("</svg>");
    svg
}

fn html_page(items: &[&Asset], origin: Option<LonLat>, missing: usize) -> String {
    let mut h = String::from(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Your shortlist</title><style>
body{font-family:system-ui,sans-serif;max-width:46rem;margin:1.5rem auto;padding:0 1rem;color:#111;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}ol{padding-left:1.4rem}li{margin:0 0 1.2rem;break-inside:avoid}
h2{font-size:1.15rem;margin:0}dl{display:grid;grid-template-columns:8.5rem 1fr;gap:.15rem .6rem;margin:.4rem 0 0}dt{font-weight:600}dd{margin:0}
.what{color:#444;margin:.1rem 0}.note{color:#555;font-size:.9rem}figure{margin:1rem 0}
@media print{a{color:#000;text-decoration:none}.noprint{display:none}}
</style></head><body><h1>Your shortlist</h1>"#,
    );
    let _ = write!(
        h,
        r#"<p class="note">{} place{} chosen with you{}. Details change: please ring before you go.</p>"#,
        items.len(),
        if items.len() == 1 { "" } else { "s" },
        if origin.is_some() {
            "; distances are from your postcode as the crow flies, with walking time at an easy pace"
        } else {
            ""
        }
    );
    if missing > 0 {
        let _ = write!(
            h,
            r#"<p class="note">{missing} place{} on the list {} no longer listed.</p>"#,
            if missing == 1 { "" } else { "s" },
            if missing == 1 { "is" } else { "are" }
        );
    }
    let centre = origin.unwrap_or_else(|| {
        let n = items.len().max(1) as f64;
        let lon = items.iter().map(|a| a.location.lon()).sum::<f64>() / n;
        let lat = items.iter().map(|a| a.location.lat()).sum::<f64>() / n;
        LonLat::new(lon, lat).unwrap_or(items[0].location)
    });
    let _ = write!(h, "<figure>{}<figcaption class=\"note\">Where they are{}: north is up.</figcaption></figure><ol>", sketch(centre, origin.is_some(), items), if origin.is_some() { " from your postcode (the red cross)" } else { "" });
    for a in items {
        let _ = write!(
            h,
            "<li><h2>{}</h2><p class=\"what\">{}</p>",
            esc(a.name.as_str()),
            esc(&what_it_is(a))
        );
        if let Some(d) = &a.description {
            let short: String = d.chars().take(320).collect();
            let _ = write!(
                h,
                "<p>{}{}</p>",
                esc(&short),
                if d.chars().count() > 320 { "…" } else { "" }
            );
        }
        h.push_str("<dl>");
        let mut row = |k: &str, v: &str| {
            let _ = write!(h, "<dt>{}</dt><dd>{v}</dd>", esc(k));
        };
        if let Some(o) = origin {
            row("How far", &esc(&walk_words(o.distance_m(&a.location))));
        }
        if let Some(ad) = address_words(a) {
            row("Address", &esc(&ad));
        }
        row("When", &esc(&a.opening_times.describe()));
        row("Cost", &esc(&cost_words(a)));
        row("Access", &esc(&access_words(a)));
        if let Some(w) = age_words(a) {
            row("Who for", &esc(&w));
        }
        if let Some(p) = &a.contact.phone {
            row(
                "Phone",
                &format!(
                    "<a href=\"tel:{}\">{}</a>",
                    esc(&p.as_str().replace(' ', "")),
                    esc(p.as_str())
                ),
            );
        }
        if let Some(e) = &a.contact.email {
            row(
                "Email",
                &format!("<a href=\"mailto:{0}\">{0}</a>", esc(e.as_str())),
            );
        }
        if let Some(w) = &a.contact.website {
            row(
                "Website",
                &format!(
                    "<a href=\"{0}\" rel=\"noreferrer noopener\">{0}</a>",
                    esc(w.as_str())
                ),
            );
        }
        h.push_str("</dl></li>");
    }
    h.push_str("</ol><p class=\"note noprint\">This page is the list: nothing about you was saved. Print it, or keep the link.</p></body></html>");
    h
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
        html_page(&items, origin, missing)
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
    use super::*;

    #[test]
    fn escapes_and_words() {
        assert_eq!(
            esc("<a href=\"x\">Tom & Jerry's</a>"),
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;"
        );
        assert_eq!(distance_words(843.0), "840 m");
        assert_eq!(distance_words(2345.0), "2.3 km");
        assert_eq!(walk_words(30.0), "30 m (about 1 minute's walk)");
        assert_eq!(walk_words(923.0), "920 m (about 15 minutes' walk)");
    }
}
