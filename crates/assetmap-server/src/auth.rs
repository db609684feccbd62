//! Who may write: the admin bearer token. Checked by [`crate::edge`] before any request body is
//! read, and by the write handlers.

use crate::errors::ApiError;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::HttpRequest;

/// Checks the bearer token. Writes are refused when no token is configured. The scheme is
/// case-insensitive (`Bearer`, `bearer`: RFC 9110 §11.1); the token is compared in constant time.
pub(crate) fn authorise(req: &HttpRequest, state: &AppState) -> Result<(), ApiError> {
    let Some(expected) = state.settings.admin_token.as_deref() else {
        return Err(ApiError::forbidden(
            "Writes are disabled on this server: set ASSETMAP_ADMIN_TOKEN (or admin_token in the settings file) to enable them.",
        ));
    };
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer_token);
    match given {
        None => Err(ApiError::unauthorized(
            "Writes need an 'Authorization: Bearer <token>' header with the admin token.",
        )),
        Some(t) if constant_time_eq(t.as_bytes(), expected.as_bytes()) => Ok(()),
        Some(_) => Err(ApiError::unauthorized(
            "The bearer token is not the admin token.",
        )),
    }
}

/// The token of an `Authorization: Bearer <token>` header value, whatever the scheme's case.
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once([' ', '\t'])?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_scheme_is_case_insensitive() {
        for v in ["Bearer abc", "bearer abc", "BEARER  abc ", "bEaReR\tabc"] {
            assert_eq!(bearer_token(v), Some("abc"), "{v:?}");
        }
        for v in ["Basic abc", "Bearer", "Bearer   ", "Bearerabc", "abc"] {
            assert_eq!(bearer_token(v), None, "{v:?}");
        }
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
