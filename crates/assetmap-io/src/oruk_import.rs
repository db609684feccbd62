//! Open Referral UK services read as assets, for `assetmap import --oruk`: each fully nested
//! HSDS service through [`crate::oruk::draft_from_service_with`] (with another directory's
//! words from a mapping file, [`FeedWords`]) and the validator, every problem
//! reported with the service's place in the feed and its id, like any other import
//! ([`ImportRead`]).
//!
//! A service's asset id is the `external_identifier` of its location when the feed is an
//! assetmap one (`external_identifier_type` "assetmap": the id it has there, so a directory
//! copied from another assetmap keeps its ids), else `<source>:<the service's id>`.
//!
//! # Examples
//! ```
//! use assetmap_io::oruk_import::{read_services, services_of};
//! let file = serde_json::json!({"contents": [{
//!     "id": "s-1", "name": "Lunch club", "status": "active",
//!     "attributes": [{"taxonomy_term": {"code": "community_groups"}}],
//!     "service_at_locations": [{"location": {"latitude": 53.42, "longitude": -2.32}}]
//! }]});
//! let services = services_of(&file).unwrap();
//! let read = read_services(&services, "anytown", &Default::default(), chrono::Utc::now());
//! assert_eq!(read.records, 1);
//! assert_eq!(read.rejected + read.assets.len(), 1);
//! ```

use crate::geojson::{ImportProblem, ImportRead};
use crate::mapping::validate_dropping;
use crate::oruk::{draft_from_service_with, FeedWords};
use assetmap_core::{Asset, AssetId};
use serde_json::Value;
use std::collections::HashSet;

/// The services in an ORUK document: a page (`contents`), a list, or one service.
pub fn services_of(doc: &Value) -> Result<Vec<Value>, String> {
    match doc {
        Value::Array(items) => Ok(items.clone()),
        Value::Object(o) if o.contains_key("contents") => match &o["contents"] {
            Value::Array(items) => Ok(items.clone()),
            _ => Err("`contents` is not a list of services".to_owned()),
        },
        Value::Object(o) if o.contains_key("id") && o.contains_key("name") => {
            Ok(vec![doc.clone()])
        }
        _ => Err(
            "not an Open Referral document: expected a page with `contents`, a list of services, or one service"
                .to_owned(),
        ),
    }
}

/// The asset id a service gets (see the module documentation).
pub fn asset_id_of(service: &Value, source: &str) -> Result<AssetId, String> {
    let location = service
        .get("service_at_locations")
        .and_then(Value::as_array)
        .and_then(|l| l.first())
        .and_then(|sal| sal.get("location"));
    let ours = location.and_then(|l| {
        (l.get("external_identifier_type").and_then(Value::as_str) == Some("assetmap"))
            .then(|| l.get("external_identifier").and_then(Value::as_str))
            .flatten()
    });
    let raw = match ours {
        Some(id) => id.to_owned(),
        None => match service.get("id").and_then(Value::as_str) {
            Some(id) if !id.trim().is_empty() => format!("{source}:{}", id.trim()),
            _ => return Err("id: every service needs its id".to_owned()),
        },
    };
    AssetId::parse(&raw).map_err(|e| format!("id: {raw:?}: {}", e.problem))
}

/// Where in the service a validation error's field is (the location's coordinates are HSDS's
/// `latitude` and `longitude`).
fn hsds_field(field: &str) -> String {
    match field {
        "geometry.coordinates.lat" => "service_at_locations[0].location.latitude".to_owned(),
        "geometry.coordinates.lon" => "service_at_locations[0].location.longitude".to_owned(),
        "geometry" | "geometry.coordinates" => "service_at_locations[0].location".to_owned(),
        other => other.to_owned(),
    }
}

/// Reads services as assets created at `now`: every problem of every service, at once.
pub fn read_services(
    services: &[Value],
    source: &str,
    words: &FeedWords<'_>,
    now: chrono::DateTime<chrono::Utc>,
) -> ImportRead {
    let mut read = ImportRead::default();
    let mut seen = HashSet::new();
    for (i, s) in services.iter().enumerate() {
        read.records += 1;
        let record = i + 1;
        let service_id = s.get("id").and_then(Value::as_str).map(str::to_owned);
        let mut problems: Vec<(String, String)> = Vec::new();
        let id = match asset_id_of(s, source) {
            Ok(id) if seen.insert(id.clone()) => Some(id),
            Ok(id) => {
                problems.push((
                    "id".to_owned(),
                    format!("{id} is the id of an earlier service too; ids must be unique"),
                ));
                None
            }
            Err(e) => {
                problems.push(("id".to_owned(), e));
                None
            }
        };
        match draft_from_service_with(s, words) {
            Ok(read_draft) => {
                if let Some(id) = id.filter(|_| problems.is_empty()) {
                    let drop_invalid: Vec<&str> = words
                        .clean
                        .map(|c| c.drop_invalid.iter().map(String::as_str).collect())
                        .unwrap_or_default();
                    match validate_dropping(read_draft.draft, read_draft.location, &drop_invalid) {
                        Ok((valid, dropped)) => {
                            read.assets.push(Asset::create(id, valid, now));
                            read.dropped
                                .extend(dropped.into_iter().map(|d| ImportProblem {
                                    record,
                                    id: service_id.clone(),
                                    field: d.field,
                                    reason: format!("{:?} dropped: {}", d.value, d.reason),
                                }));
                        }
                        Err(errors) => problems.extend(
                            errors
                                .errors()
                                .iter()
                                .map(|e| (hsds_field(&e.field), e.problem.clone())),
                        ),
                    }
                    if problems.is_empty() {
                        continue;
                    }
                }
            }
            Err(found) => problems.extend(found.into_iter().map(|p| match p.split_once(": ") {
                Some((field, reason)) => (field.to_owned(), reason.to_owned()),
                None => ("service".to_owned(), p),
            })),
        }
        read.rejected += 1;
        for (field, reason) in problems {
            read.problems.push(ImportProblem {
                record,
                id: service_id.clone(),
                field,
                reason,
            });
        }
    }
    read
}
