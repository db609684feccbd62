//! What the server's HTML pages share: the inline style of the shortlist's print page and its
//! hash for the Content-Security-Policy (that page stays self-contained — it prints, saves and
//! opens with nothing else to fetch — and the policy still needs no `'unsafe-inline'`); the
//! stylesheet of the data pages (collections, items, areas: `web/pages.css`, served as
//! `/static/pages.css`); and an asset's details in words, the same on the shortlist and on the
//! asset's own page.
//!
//! Every page is an askama template (`templates/`): askama escapes every value, so what an
//! asset says is shown as text, never as markup. What people typed is wrapped in `<bdi>` (or
//! given `dir="auto"`), so right-to-left text cannot reorder what is around it.

use crate::errors::ApiError;
use assetmap_core::Asset;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// The print page's styles, written between `<style>` and `</style>` exactly as here.
pub const SHORTLIST_STYLE: &str = "\nbody{font-family:system-ui,sans-serif;max-width:46rem;margin:0 auto 1.5rem;padding:0 1rem;color:#0b0c0c;line-height:1.45;overflow-wrap:anywhere}\nheader{padding:.75rem 0;border-bottom:1px solid #b1b4b6}a{color:#1a5a96}\n:focus-visible{outline:3px solid #ffdd00;box-shadow:0 0 0 6px #0b0c0c}\nh1{font-size:1.6rem;margin:1rem 0 .2rem}ol{padding-left:1.6rem}.places>li{margin:0 0 1.2rem;break-inside:avoid}\nh2{font-size:1.15rem;margin:0}dl{display:grid;grid-template-columns:minmax(5rem,max-content) 1fr;gap:.15rem .75rem;margin:.4rem 0 0}dt{font-weight:600}dd{margin:0;min-width:0}\n.what{color:#505a5f;margin:.1rem 0}.note{color:#505a5f;font-size:.95rem}figure{margin:1rem 0}svg{max-width:100%;height:auto}\n.actions{display:flex;flex-wrap:wrap;gap:.5rem;margin:.75rem 0 .25rem}\n.actions button,.actions .button{font:inherit;font-size:1rem;padding:.45rem .9rem;border:2px solid #0b3d45;border-radius:4px;background:#0b3d45;color:#fff;text-decoration:none;cursor:pointer}\n.actions .button{background:#fff;color:#0b3d45}\n.gone{border-left:6px solid #a8211b;background:#f3f5f6;padding:.5rem .75rem;margin:1rem 0}.gone h2{margin-bottom:.3rem}.gone ul,ul.gone{padding-left:2rem}\n@media (max-width:30rem){dl{grid-template-columns:1fr}dd{margin-bottom:.35rem}}\n.offscreen{position:fixed;left:-999rem}\n@media print{a{color:#000;text-decoration:none}.noprint{display:none}}\n";

/// The CSP source that allows exactly [`SHORTLIST_STYLE`]: `'sha256-…'`.
pub fn shortlist_style_source() -> &'static str {
    static SOURCE: OnceLock<String> = OnceLock::new();
    SOURCE.get_or_init(|| {
        let digest = Sha256::digest(SHORTLIST_STYLE.as_bytes());
        format!(
            "'sha256-{}'",
            base64::engine::general_purpose::STANDARD.encode(digest)
        )
    })
}

/// A page rendered (askama escapes every value) as a `200` HTML answer.
pub fn render(page: &impl askama::Template) -> Result<actix_web::HttpResponse, ApiError> {
    let body = page.render().map_err(ApiError::internal)?;
    Ok(crate::http::html_response(body))
}

/// A page saying that something is not here (`templates/not_found.html`), for a browser
/// following a link to it: a link to an asset that has since been deleted, say.
#[derive(askama::Template)]
#[template(path = "not_found.html")]
struct NotFoundPage<'a> {
    title: &'a str,
    detail: &'a str,
}

/// A `404` HTML page with `title` and `detail` (JSON clients get the problem document instead;
/// [`crate::edge`] passes an HTML error page from a route through as it is).
pub fn not_found_page(title: &str, detail: &str) -> Result<actix_web::HttpResponse, ApiError> {
    let body =
        askama::Template::render(&NotFoundPage { title, detail }).map_err(ApiError::internal)?;
    Ok(actix_web::HttpResponse::NotFound()
        .content_type(crate::http::HTML)
        .body(body))
}

/// What the asset is, in words: its themes ("Learning, Arts and heritage").
pub fn what_it_is(a: &Asset) -> String {
    a.categories
        .iter()
        .map(|c| c.label())
        .collect::<Vec<_>>()
        .join(", ")
}

/// What it costs, in words: the band and its detail.
pub fn cost_words(a: &Asset) -> String {
    match &a.cost {
        Some(c) => match &c.detail {
            Some(d) => format!("{} ({d})", c.band.label()),
            None => c.band.label().to_owned(),
        },
        None => "Not known: ask them".to_owned(),
    }
}

/// Its access features by their labels in the vocabulary.
pub fn access_words(a: &Asset) -> String {
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

/// The address with the postcode, the postcode written once.
pub fn address_words(a: &Asset) -> Option<String> {
    match (&a.address, &a.postcode) {
        (Some(ad), Some(pc)) if !ad.contains(pc.as_str()) => Some(format!("{ad}, {pc}")),
        (Some(ad), _) => Some(ad.clone()),
        (None, Some(pc)) => Some(pc.to_string()),
        (None, None) => None,
    }
}

/// Who it is for: the audience's description and its ages (in years).
pub fn age_words(a: &Asset) -> Option<String> {
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

/// A language's English name from its ISO 639 code (the map page's list, `web/js/format.js`);
/// an unknown code comes back as given.
pub fn language_name(code: &str) -> &str {
    match code {
        "en" => "English",
        "cy" => "Welsh",
        "ur" => "Urdu",
        "pa" => "Punjabi",
        "pl" => "Polish",
        "ar" => "Arabic",
        "bn" => "Bengali",
        "gu" => "Gujarati",
        "hi" => "Hindi",
        "so" => "Somali",
        "zh" => "Chinese",
        "fr" => "French",
        "es" => "Spanish",
        "ro" => "Romanian",
        "pt" => "Portuguese",
        "it" => "Italian",
        "de" => "German",
        "fa" => "Persian",
        "ku" => "Kurdish",
        "ti" => "Tigrinya",
        "uk" => "Ukrainian",
        "ru" => "Russian",
        "tr" => "Turkish",
        "bfi" | "bsl" => "British Sign Language",
        other => other,
    }
}

/// A phone number as a `tel:` link wants it: its digits and `+` only.
pub fn phone_dial(shown: &str) -> String {
    shown
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect()
}

/// A date in words, as people in the UK write it: "5 June 2025".
pub fn date_words(d: chrono::NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checked against a hash computed elsewhere: `printf '%s' "$STYLE" | openssl dgst -sha256
    /// -binary | base64` gives the same for a known input.
    #[test]
    fn the_source_is_the_base64_sha256_of_the_style() {
        let s = shortlist_style_source();
        assert!(s.starts_with("'sha256-") && s.ends_with('\''));
        assert_eq!(s.len(), "'sha256-".len() + 44 + 1);
        let digest = Sha256::digest(b"abc");
        assert_eq!(
            base64::engine::general_purpose::STANDARD.encode(digest),
            "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="
        );
    }

    #[test]
    fn words_for_people() {
        assert_eq!(phone_dial("0161 912 3168"), "01619123168");
        assert_eq!(phone_dial("+44 (0)161-912"), "+440161912");
        assert_eq!(language_name("pl"), "Polish");
        assert_eq!(language_name("xx"), "xx");
        let d = chrono::NaiveDate::from_ymd_opt(2025, 6, 5).unwrap_or_default();
        assert_eq!(date_words(d), "5 June 2025");
    }
}
