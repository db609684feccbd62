//! Every rejected request answers with RFC 9457 `application/problem+json`: what was wrong and
//! how to fix it. Library errors map to HTTP status here, and only here.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use assetmap_core::ValidationErrors;
use assetmap_store::StoreError;
use serde::Serialize;
use std::fmt;

/// The media type of problem documents.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Seconds a client is told to wait (`Retry-After`) after a `503`: the store unavailable, a
/// write that could not finish in time, a server still starting.
pub const RETRY_AFTER_SECS: u32 = 5;

/// One bad parameter or field: its name, and why.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct InvalidParam {
    pub name: String,
    pub reason: String,
}

/// An HTTP error with a human sentence that says what to fix.
#[derive(Debug, Clone)]
pub struct ApiError {
    status: StatusCode,
    title: &'static str,
    detail: String,
    invalid_params: Vec<InvalidParam>,
    retry_after_secs: Option<u32>,
    www_authenticate: bool,
}

impl ApiError {
    fn new(status: StatusCode, title: &'static str, detail: impl Into<String>) -> Self {
        ApiError {
            status,
            title,
            detail: detail.into(),
            invalid_params: Vec::new(),
            retry_after_secs: None,
            www_authenticate: false,
        }
    }

    /// 400: one query parameter is malformed or not allowed.
    pub fn bad_param(name: &str, reason: impl Into<String>) -> Self {
        let reason = reason.into();
        let mut e = Self::new(
            StatusCode::BAD_REQUEST,
            "Invalid parameter",
            format!("Parameter '{name}': {reason}"),
        );
        e.invalid_params.push(InvalidParam {
            name: name.to_owned(),
            reason,
        });
        e
    }

    /// 400: the body is not a valid asset; every field problem listed.
    pub fn invalid_body(errors: &ValidationErrors) -> Self {
        let mut e = Self::new(
            StatusCode::BAD_REQUEST,
            "Invalid asset",
            format!("The asset was not saved: {errors}"),
        );
        e.invalid_params = errors
            .errors()
            .iter()
            .map(|f| InvalidParam {
                name: f.field.clone(),
                reason: f.problem.clone(),
            })
            .collect();
        e
    }

    /// 400: a form (an account, a token, an invitation) has fields that are not right; each
    /// listed in `invalid_params`.
    pub fn invalid_fields(what: &str, problems: Vec<(String, String)>) -> Self {
        let detail = problems
            .iter()
            .map(|(n, r)| format!("{n}: {r}"))
            .collect::<Vec<_>>()
            .join("; ");
        let mut e = Self::new(
            StatusCode::BAD_REQUEST,
            "Invalid form",
            format!("The {what} was not saved: {detail}"),
        );
        e.invalid_params = problems
            .into_iter()
            .map(|(name, reason)| InvalidParam { name, reason })
            .collect();
        e
    }

    /// 400: a request header is malformed; the header is named in `invalid_params`.
    pub fn bad_header(name: &str, reason: impl Into<String>) -> Self {
        let reason = reason.into();
        let mut e = Self::new(
            StatusCode::BAD_REQUEST,
            "Invalid header",
            format!("Header '{name}' {reason}"),
        );
        e.invalid_params.push(InvalidParam {
            name: name.to_owned(),
            reason,
        });
        e
    }

    /// 400 with a free sentence.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Bad request", detail)
    }

    /// 404.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "Not found", detail)
    }

    /// 401 with `WWW-Authenticate: Bearer`.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        let mut e = Self::new(StatusCode::UNAUTHORIZED, "Unauthorized", detail);
        e.www_authenticate = true;
        e
    }

    /// 403.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "Forbidden", detail)
    }

    /// 410: it was here and is not any more (a used or expired invitation).
    pub fn gone(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::GONE, "Gone", detail)
    }

    /// 409.
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "Conflict", detail)
    }

    /// 422: the request is well-formed but cannot be processed as sent (an idempotency key
    /// reused for a different request).
    pub fn unprocessable(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Unprocessable content",
            detail,
        )
    }

    /// 412: `If-Match` named a version that is no longer current.
    pub fn precondition_failed(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::PRECONDITION_FAILED,
            "Precondition failed",
            detail,
        )
    }

    /// 404 for a collection id that does not exist, listing the collections.
    pub fn unknown_collection(id: &str) -> Self {
        Self::not_found(format!(
            "There is no collection '{id}'; the collections are: {}.",
            crate::collections::collection_ids().join(", ")
        ))
    }

    /// 405.
    pub fn method_not_allowed(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed", detail)
    }

    /// 406.
    pub fn not_acceptable(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_ACCEPTABLE, "Not acceptable", detail)
    }

    /// 413.
    pub fn payload_too_large(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "Payload too large", detail)
    }

    /// 408: the body did not arrive in time.
    pub fn request_timeout(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::REQUEST_TIMEOUT, "Request timeout", detail)
    }

    /// 415.
    pub fn unsupported_media_type(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported media type",
            detail,
        )
    }

    /// 429 with `Retry-After`: the client's rate limit is used up.
    pub fn too_many_requests(detail: impl Into<String>, retry_after_secs: u32) -> Self {
        let mut e = Self::new(StatusCode::TOO_MANY_REQUESTS, "Too many requests", detail);
        e.retry_after_secs = Some(retry_after_secs);
        e
    }

    /// 503 with `Retry-After`.
    pub fn unavailable(detail: impl Into<String>, retry_after_secs: u32) -> Self {
        let mut e = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "Service unavailable",
            detail,
        );
        e.retry_after_secs = Some(retry_after_secs);
        e
    }

    /// The same error, with `Retry-After: secs`.
    pub fn with_retry_after(mut self, secs: u32) -> Self {
        self.retry_after_secs = Some(secs);
        self
    }

    /// A store error from a write. As `From<StoreError>`, except that a write whose outcome is
    /// unknown is told what to do next according to whether it carried an `Idempotency-Key`
    /// (`keyed`).
    pub fn from_write(e: StoreError, keyed: bool) -> Self {
        match e {
            StoreError::OutcomeUnknown(why) => {
                tracing::warn!(%why, keyed, "outcome of a write unknown");
                Self::outcome_unknown(keyed)
            }
            other => other.into(),
        }
    }

    /// 503 with `Retry-After`: the store lost its connection while committing a write, so the
    /// write may or may not have been saved.
    fn outcome_unknown(keyed: bool) -> Self {
        const LOST: &str = "The connection to the database was lost while this change was being saved, so whether it was saved is unknown.";
        let next = if keyed {
            "Send the same request again with the same Idempotency-Key: if the change was saved you will be given its original answer, and it will not be saved twice."
        } else {
            "Before sending it again, check whether it was saved (GET the asset, or look for it by name), or a retry may save it twice;              send an Idempotency-Key header with writes so that a retry is always safe."
        };
        Self::unavailable(format!("{LOST} {next}"), RETRY_AFTER_SECS)
    }

    /// 500: the detail is logged; the client gets a sentence without internals.
    pub fn internal(detail: impl fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal server error",
            "Something went wrong on the server; it has been logged. Please try again, and report it if it persists.",
        )
    }

    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The same error with `more` added to its sentence (a hint for where it was met).
    pub fn with_more_detail(mut self, more: &str) -> Self {
        if !self.detail.ends_with(['.', '!', '?']) {
            self.detail.push('.');
        }
        self.detail.push_str(more);
        self
    }

    /// The sentence for people.
    pub fn detail(&self) -> &str {
        &self.detail
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.title,
            self.detail
        )
    }
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    title: &'a str,
    status: u16,
    detail: &'a str,
    #[serde(skip_serializing_if = "<[InvalidParam]>::is_empty")]
    invalid_params: &'a [InvalidParam],
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let body = Problem {
            kind: "about:blank",
            title: self.title,
            status: self.status.as_u16(),
            detail: &self.detail,
            invalid_params: &self.invalid_params,
        };
        let mut r = HttpResponse::build(self.status);
        r.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
        if let Some(secs) = self.retry_after_secs {
            r.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        if self.www_authenticate {
            r.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"assetmap\""));
        }
        r.body(serde_json::to_string(&body).unwrap_or_else(|_| "{}".to_owned()))
    }
}

/// Whether a response is already a problem document.
pub fn is_problem<B>(r: &HttpResponse<B>) -> bool {
    r.headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()))
}

/// An error response made by actix rather than by a route (a body too large, a wrong method,
/// a body that could not be read…) rewritten as a problem document that says what to do. Its
/// headers (`Allow`, `Connection`…) are kept.
pub fn into_problem(r: HttpResponse, method: &actix_web::http::Method, path: &str) -> HttpResponse {
    let status = r.status();
    let cause = r.error().map(|e| e.to_string()).unwrap_or_default();
    let cause = if cause.is_empty() {
        String::new()
    } else {
        format!(" ({cause})")
    };
    let (title, detail) = match status {
        StatusCode::NOT_FOUND => (
            "Not found",
            format!("There is nothing at {path}. Start from / (the landing page) or /collections."),
        ),
        StatusCode::METHOD_NOT_ALLOWED => (
            "Method not allowed",
            format!("{method} is not answered at {path}; the Allow header lists the methods that are."),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            "Payload too large",
            format!("The request body is larger than this server accepts (1 MiB){cause}; send a smaller body."),
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "Unsupported media type",
            format!("The body's Content-Type is not one this path accepts{cause}; send application/geo+json."),
        ),
        StatusCode::BAD_REQUEST => (
            "Bad request",
            format!("The request could not be read{cause}; check its syntax, headers and body."),
        ),
        _ => (
            status.canonical_reason().unwrap_or("Error"),
            format!("The request failed{cause}."),
        ),
    };
    let body = Problem {
        kind: "about:blank",
        title,
        status: status.as_u16(),
        detail: &detail,
        invalid_params: &[],
    };
    let mut out = HttpResponse::build(status);
    for (k, v) in r.headers() {
        if k != header::CONTENT_TYPE && k != header::CONTENT_LENGTH {
            out.append_header((k.clone(), v.clone()));
        }
    }
    out.insert_header((header::CONTENT_TYPE, PROBLEM_JSON))
        .body(serde_json::to_string(&body).unwrap_or_else(|_| "{}".to_owned()))
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(id) => ApiError::not_found(format!("There is no asset with id '{id}'.")),
            StoreError::AlreadyExists(id) => ApiError::conflict(format!(
                "An asset with id '{id}' already exists; use PUT /collections/assets/items/{id} to replace it, or leave out the id to get a new one."
            )),
            StoreError::VersionConflict { id, expected, actual } => ApiError::precondition_failed(format!(
                "Asset '{id}' is at version {actual}, not {expected}: someone changed it since you read it. Fetch it again and re-apply your change."
            )),
            StoreError::Unavailable(why) => {
                tracing::warn!(%why, "store unavailable");
                ApiError::unavailable(
                    "The database is unavailable, so changes cannot be saved right now. Reading still works; retry the change shortly.",
                    RETRY_AFTER_SECS,
                )
            }
            e @ StoreError::OutcomeUnknown(_) => ApiError::from_write(e, false),
            StoreError::Conflict(why) => ApiError::conflict(why),
            StoreError::Missing(what) => ApiError::not_found(what),
            other => ApiError::internal(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody;

    #[test]
    fn problem_document_names_the_parameter() {
        let r =
            ApiError::bad_param("limit", "must be a whole number from 1 to 10000").error_response();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert_eq!(r.headers().get(header::CONTENT_TYPE).unwrap(), PROBLEM_JSON);
        let body = r.into_body().try_into_bytes().unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["invalid_params"][0]["name"], "limit");
        assert_eq!(v["status"], 400);
    }

    fn detail_of(e: ApiError) -> String {
        let r = e.error_response();
        let body = r.into_body().try_into_bytes().unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        v["detail"].as_str().unwrap().to_owned()
    }

    #[test]
    fn an_unknown_outcome_is_503_and_never_says_the_change_was_not_saved() {
        for keyed in [true, false] {
            let e = ApiError::from_write(StoreError::OutcomeUnknown("lost".into()), keyed);
            assert_eq!(e.status(), StatusCode::SERVICE_UNAVAILABLE);
            let r = e.clone().error_response();
            assert_eq!(r.headers().get(header::RETRY_AFTER).unwrap(), "5");
            let detail = detail_of(e);
            assert!(
                detail.contains("whether it was saved is unknown"),
                "{detail}"
            );
            assert!(!detail.contains("cannot be saved"), "{detail}");
            assert!(detail.contains("Idempotency-Key"), "{detail}");
            assert_eq!(detail.contains("same Idempotency-Key"), keyed, "{detail}");
            assert_eq!(
                detail.contains("check whether it was saved"),
                !keyed,
                "{detail}"
            );
        }
        // Outside a write route, the advice for a request without a key.
        let detail = detail_of(ApiError::from(StoreError::OutcomeUnknown("lost".into())));
        assert!(detail.contains("check whether it was saved"), "{detail}");
    }

    #[test]
    fn a_bad_header_is_named() {
        let r = ApiError::bad_header("Idempotency-Key", "is empty").error_response();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let body = r.into_body().try_into_bytes().unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["invalid_params"][0]["name"], "Idempotency-Key");
        assert_eq!(v["detail"], "Header 'Idempotency-Key' is empty");
    }

    #[test]
    fn unavailable_store_means_503_with_retry_after() {
        let r =
            ApiError::from(StoreError::Unavailable("connection refused".into())).error_response();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.headers().get(header::RETRY_AFTER).unwrap(), "5");
    }
}
