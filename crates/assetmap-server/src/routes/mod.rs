//! Every route, registered by one function that `main` and the tests share.

use crate::errors::ApiError;
use actix_web::{web, HttpRequest, HttpResponse};

pub mod accounts;
pub mod areas;
pub mod downloads;
pub mod feeds;
pub mod geocode;
pub mod history;
pub mod items;
pub mod jsna;
pub mod landing;
pub mod map;
pub mod oruk;
pub mod schema;
pub mod search;
pub mod session;
pub mod shortlist;
pub mod site;
pub mod stale;
pub mod suggestions;
pub mod tiles;

/// Registers every route on `cfg`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(1 << 20)
            .error_handler(|e, _| {
                ApiError::bad_request(format!("The request body is not valid JSON: {e}")).into()
            }),
    )
    .app_data(web::PayloadConfig::new(1 << 20))
    .configure(landing::configure)
    .configure(items::configure)
    .configure(schema::configure)
    .configure(areas::configure)
    .configure(downloads::configure)
    .configure(jsna::configure)
    .configure(map::configure)
    .configure(tiles::configure)
    .configure(search::configure)
    .configure(geocode::configure)
    .configure(shortlist::configure)
    .configure(site::configure)
    .configure(oruk::configure)
    .configure(session::configure)
    .configure(accounts::configure)
    .configure(history::configure)
    .configure(suggestions::configure)
    .configure(stale::configure)
    .configure(feeds::configure)
    .default_service(web::to(not_found));
}

/// Nothing answers this method at this path: `405` when the path exists (the `Allow` header is
/// added by [`crate::edge`]), else `404`.
async fn not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    if crate::edge::allowed_methods(req.path(), req.resource_map()).is_some() {
        return Err(ApiError::method_not_allowed(format!(
            "{} is not answered at {}; the Allow header lists the methods that are.",
            req.method(),
            req.path()
        )));
    }
    Err(ApiError::not_found(format!(
        "There is nothing at {}. Start from / (the landing page) or /collections.",
        req.path()
    )))
}
