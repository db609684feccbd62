//! The assetmap domain model.
//!
//! A community [`Asset`] — a group, club, venue, service, green space… — with its
//! [taxonomy](taxonomy) (ABCD asset type and activity themes), [opening times](schedule),
//! cost, access, audience and provenance.
//!
//! Design: *parse, don't validate*. Input arrives as an [`AssetDraft`] of loosely typed fields;
//! [`AssetDraft::validate`] turns it into a [`ValidAssetDraft`] or a [`ValidationErrors`] that
//! names every offending field. Every type inside an [`Asset`] is valid by construction
//! (private fields, `parse` constructors, serde `try_from`), so code holding an `Asset` never
//! re-checks it. This crate knows nothing of HTTP, SQL or files.
//!
//! Coordinates are WGS84 longitude, latitude (in that order); distances are metres.
#![forbid(unsafe_code)]

pub mod asset;
mod error;
mod lonlat;
mod numbers;
pub mod schedule;
pub mod taxonomy;
pub mod uk_time;
mod values;
mod walking;

pub use asset::{
    Asset, AssetDraft, Audience, AudienceDraft, Contact, ContactDraft, Cost, CostDraft,
    OpeningTimesDraft, PeriodDraft, Provenance, ValidAssetDraft, MAX_AGE_YEARS,
};
pub use error::{FieldError, ValidationErrors};
pub use lonlat::{haversine_m, LonLat, EARTH_RADIUS_M};
pub use numbers::round_to;
pub use schedule::{OpeningPeriod, OpeningTimes, Openness, TimeOfDay, Weekday};
pub use taxonomy::{AbcdType, AccessFeature, Category, CostBand, Status};
pub use values::{AssetId, AssetName, Email, Language, Phone, Postcode, Tag, Website};
pub use walking::WalkingModel;
