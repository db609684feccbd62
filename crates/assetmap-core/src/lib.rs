#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod account;
pub mod asset;
pub mod crs;
mod error;
mod lonlat;
mod numbers;
pub mod schedule;
pub mod schedule_text;
mod source_record;
pub mod taxonomy;
pub mod text;
pub mod uk_time;
mod values;
mod walking;

pub use account::{may_change, ChangeBy, Role, Via};
pub use asset::{
    Asset, AssetDraft, AssetProperties, Audience, AudienceDraft, Contact, ContactDraft, Cost,
    CostDraft, OpeningTimesDraft, PeriodDraft, Provenance, ValidAssetDraft, MAX_AGE_YEARS,
};
pub use crs::{Crs, CrsError};
pub use error::{FieldError, ValidationErrors};
pub use lonlat::{haversine_m, LonLat, EARTH_RADIUS_M};
pub use numbers::round_to;
pub use schedule::{OpeningPeriod, OpeningTimes, Openness, TimeOfDay, Weekday};
pub use source_record::SourceRecord;
pub use taxonomy::{AbcdType, AccessFeature, Category, CostBand, Status};
pub use values::{AssetId, AssetName, Email, Language, Phone, Postcode, Tag, Website};
pub use walking::WalkingModel;
