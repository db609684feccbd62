//! Logging. Request logs carry the method, the path, the status and the time taken — never
//! the query string, so nothing a coordinator types about a person (a postcode, interests,
//! an age) is ever written to a log.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use std::io::IsTerminal;
use std::time::Instant;

/// Installs the global `tracing` subscriber on stderr, filtered by `ASSETMAP_LOG` (default
/// `info`), formatted by `ASSETMAP_LOG_FORMAT`: `text` (the default; colours only when stderr
/// is a terminal) or `json` (one JSON object a line, for log shippers). Safe to call more than
/// once.
pub fn init() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("ASSETMAP_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let format = std::env::var("ASSETMAP_LOG_FORMAT").unwrap_or_default();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let unknown_format = match format.trim().to_ascii_lowercase().as_str() {
        "json" => {
            let _ = builder.json().with_ansi(false).try_init();
            false
        }
        other => {
            let _ = builder
                .with_ansi(std::io::stderr().is_terminal())
                .try_init();
            !matches!(other, "" | "text")
        }
    };
    if unknown_format {
        tracing::warn!(
            value = %format,
            "ASSETMAP_LOG_FORMAT is not text or json; logging as text"
        );
    }
}

/// Middleware: one log line per request, without the query string: at ERROR for a 5xx,
/// INFO otherwise.
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
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    // A client's mistake (4xx) is the client's to fix: logged like any request. Only the
    // server's own failures (5xx) are errors.
    if status >= 500 {
        tracing::error!(target: "assetmap::http", %method, %path, status, ms, "request");
    } else {
        tracing::info!(target: "assetmap::http", %method, %path, status, ms, "request");
    }
    res
}
