//! The inline style of the server's own HTML page (the shortlist's print page), and its hash for
//! the Content-Security-Policy: the page stays self-contained — it prints, saves and opens with
//! nothing else to fetch — and the policy still needs no `'unsafe-inline'`.

use base64::Engine as _;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// The print page's styles, written between `<style>` and `</style>` exactly as here.
pub const SHORTLIST_STYLE: &str = "\nbody{font-family:system-ui,sans-serif;max-width:46rem;margin:1.5rem auto;padding:0 1rem;color:#111;line-height:1.45}\nh1{font-size:1.6rem;margin-bottom:.2rem}ol{padding-left:1.4rem}li{margin:0 0 1.2rem;break-inside:avoid}\nh2{font-size:1.15rem;margin:0}dl{display:grid;grid-template-columns:8.5rem 1fr;gap:.15rem .6rem;margin:.4rem 0 0}dt{font-weight:600}dd{margin:0}\n.what{color:#444;margin:.1rem 0}.note{color:#555;font-size:.9rem}figure{margin:1rem 0}\n@media print{a{color:#000;text-decoration:none}.noprint{display:none}}\n";

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
}
