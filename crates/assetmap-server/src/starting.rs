//! What a server answers before its store is loaded. `assetmap serve` binds its port first and
//! serves this meanwhile ([`crate::startup::Application::start`]): `GET /health` says
//! `starting` (`503` with `Retry-After`, so a load balancer sends it nothing yet) with why —
//! the store cannot be reached yet, and the last error, or the engine is loading — and every
//! other request gets `503` problem+json with `Retry-After`. Once the store is loaded the
//! real server takes over the same listener.

use crate::errors::{ApiError, RETRY_AFTER_SECS};
use crate::stop_signal::StopSignal;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{KeepAlive, Method};
use actix_web::{web, HttpRequest, HttpResponse, HttpServer, ResponseError};
use serde_json::json;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Where start-up is.
#[derive(Debug, Clone)]
enum Phase {
    /// Opening the store for the first time.
    Connecting,
    /// The store could not be reached; the last error, and start-up retries.
    Waiting(String),
    /// The store is reachable; the engine is being loaded from it.
    Loading,
}

/// Where start-up is, shared between the start-up task and the `starting` server.
#[derive(Debug)]
pub struct Progress {
    kind: &'static str,
    phase: Mutex<Phase>,
}

impl Progress {
    /// Start-up begins: connecting to a store of this kind (`"postgis"`, `"geopackage"`).
    pub fn new(kind: &'static str) -> Self {
        Progress {
            kind,
            phase: Mutex::new(Phase::Connecting),
        }
    }

    /// The store could not be reached, for this reason; start-up will try again.
    pub fn waiting(&self, reason: String) {
        self.set(Phase::Waiting(reason));
    }

    /// The store is reachable and the engine is loading.
    pub fn loading(&self) {
        self.set(Phase::Loading);
    }

    fn set(&self, phase: Phase) {
        *self.phase.lock().unwrap_or_else(|p| p.into_inner()) = phase;
    }

    /// The `/health` document while starting.
    fn health(&self) -> serde_json::Value {
        let phase = self.phase.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let store = match phase {
            Phase::Connecting => {
                json!({"kind": self.kind, "reachable": false, "reason": "connecting to the store"})
            }
            Phase::Waiting(reason) => {
                json!({"kind": self.kind, "reachable": false, "reason": reason})
            }
            Phase::Loading => json!({"kind": self.kind, "reachable": true}),
        };
        json!({"status": "starting", "store": store, "version": env!("CARGO_PKG_VERSION")})
    }
}

/// A server on `listener` answering every request as described above. It is not running until
/// the returned future is polled (spawn it); stop it with its handle. It stops by itself when
/// the process is told to (`stop`).
pub fn serve(
    listener: TcpListener,
    progress: Arc<Progress>,
    request_timeout: Duration,
    stop: &StopSignal,
) -> std::io::Result<actix_web::dev::Server> {
    let progress = web::Data::from(progress);
    Ok(HttpServer::new(move || {
        actix_web::App::new()
            .app_data(progress.clone())
            .default_service(web::to(answer))
    })
    .workers(1)
    // Every answer closes its connection, so no client is left holding one to this server
    // when the real one takes over the listener.
    .keep_alive(KeepAlive::Disabled)
    .client_request_timeout(request_timeout)
    .shutdown_timeout(1)
    .shutdown_signal(stop.stopped())
    .listen(listener)?
    .run())
}

async fn answer(req: HttpRequest, progress: web::Data<Progress>) -> HttpResponse {
    let mut r = if req.path() == "/health" && matches!(*req.method(), Method::GET | Method::HEAD) {
        HttpResponse::ServiceUnavailable()
            .insert_header((header::RETRY_AFTER, RETRY_AFTER_SECS.to_string()))
            .json(progress.health())
    } else {
        ApiError::unavailable(
            "The server is starting: it is waiting for its database, or loading from it. Retry shortly; GET /health says how far it is.",
            RETRY_AFTER_SECS,
        )
        .error_response()
    };
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
    );
    r
}
