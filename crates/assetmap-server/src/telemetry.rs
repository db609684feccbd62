//! Logging. Request logs carry the method, the path, the status and the time taken — never
//! the query string, so nothing a coordinator types about a person (a postcode, interests,
//! an age) is ever written to a log.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use std::time::Instant;

/// Installs the global `tracing` subscriber: human-readable lines on stderr, filtered by
/// `ASSETMAP_LOG` (default `info`). Safe to call more than once.
pub fn init() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("ASSETMAP_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Middleware: one log line per request, without the query string.
pub async fn log_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().clone();
    // `path()` excludes the query string by construction.
    let path = req.path().to_owned();
    let res = next.call(req).await;
    let status = match &res {
        Ok(r) => r.status().as_u16(),
        Err(e) => e.as_response_error().status_code().as_u16(),
    };
    tracing::info!(target: "assetmap::http", %method, %path, status, ms = started.elapsed().as_secs_f64() * 1000.0, "request");
    res
}
