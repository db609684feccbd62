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

    /// 409.
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "Conflict", detail)
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

    /// 415.
    pub fn unsupported_media_type(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported media type",
            detail,
        )
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
                    5,
                )
            }
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

    #[test]
    fn unavailable_store_means_503_with_retry_after() {
        let r =
            ApiError::from(StoreError::Unavailable("connection refused".into())).error_response();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.headers().get(header::RETRY_AFTER).unwrap(), "5");
    }
}
