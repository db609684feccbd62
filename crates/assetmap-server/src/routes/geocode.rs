//! `GET /geocode?postcode=`: a postcode's point (WGS84) and its ward, LSOA and MSOA, from the
//! postcode table of the place served. Nothing is stored or logged (see [`crate::telemetry`]).
//! An outward code alone (`M33`) answers the centre of that district's postcodes, and says so
//! (`district: true`, a `note`).

use crate::errors::ApiError;
use crate::http::private_response;
use crate::params::Params;
use crate::parse::lookup_postcode;
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};

/// Registers `/geocode`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/geocode")
            .route(web::get().to(geocode))
            .route(web::to(|| async {
                Err::<HttpResponse, _>(ApiError::method_not_allowed("Use GET /geocode?postcode=…"))
            })),
    );
}

async fn geocode(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let p = Params::parse(req.query_string(), &["postcode"])?;
    let raw = p.one("postcode")?.ok_or_else(|| {
        ApiError::bad_param("postcode", "is required, e.g. /geocode?postcode=M33 7XY")
    })?;
    let info = lookup_postcode(&state.place, raw)?;
    let mut body = serde_json::json!({
        "postcode": info.postcode,
        "lon": info.at.lon(),
        "lat": info.at.lat(),
        "ward_code": info.ward_code,
        "ward_name": info.ward_name,
        "lsoa_code": info.lsoa_code,
        "msoa_code": info.msoa_code,
    });
    if let Some(n) = info.district_postcodes {
        body["district"] = true.into();
        body["district_postcodes"] = n.into();
        body["note"] = info.district_note(state.place.title()).into();
    }
    if info.terminated {
        body["terminated"] = true.into();
        body["note"] = format!(
            "{} is no longer in use (terminated); its last known point is given. Check the person's current postcode.",
            info.postcode
        )
        .into();
    }
    Ok(private_response("application/json").body(body.to_string()))
}
