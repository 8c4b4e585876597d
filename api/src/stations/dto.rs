//! Request and response types of courier stations.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError};

use crate::regions::geo;

/// Default search radius of the nearby list, in metres.
pub const DEFAULT_RADIUS_M: u32 = 3_000;

/// What a station offers couriers and riders. Stored as a comma-separated list of these
/// codes in this order, each once.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum StationService {
    /// Charging for phones and e-bike batteries (充电).
    Charging,
    /// Drinking water (饮水).
    Water,
    /// A microwave to heat a meal (微波炉).
    Microwave,
    /// A place to sit and rest (休息).
    Rest,
    /// A toilet (卫生间).
    Toilet,
    /// A first-aid kit (急救药箱).
    FirstAid,
    /// Wi-Fi.
    Wifi,
    /// Umbrellas to borrow (雨伞).
    Umbrella,
    /// Tools to fix a bike or e-bike (修车工具).
    RepairKit,
    /// Air conditioning or heating (冷暖空调).
    AirConditioning,
}

impl StationService {
    /// Every service, in stored order.
    pub const ALL: [Self; 10] = [
        Self::Charging,
        Self::Water,
        Self::Microwave,
        Self::Rest,
        Self::Toilet,
        Self::FirstAid,
        Self::Wifi,
        Self::Umbrella,
        Self::RepairKit,
        Self::AirConditioning,
    ];

    /// The code on the wire and in the database.
    pub fn code(self) -> &'static str {
        match self {
            Self::Charging => "charging",
            Self::Water => "water",
            Self::Microwave => "microwave",
            Self::Rest => "rest",
            Self::Toilet => "toilet",
            Self::FirstAid => "first_aid",
            Self::Wifi => "wifi",
            Self::Umbrella => "umbrella",
            Self::RepairKit => "repair_kit",
            Self::AirConditioning => "air_conditioning",
        }
    }

    /// The service of a code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Its bit in a set of services (what the nearest index filters on).
    pub fn bit(self) -> i64 {
        1 << (self as u32)
    }
}

fn failure(message: &'static str) -> ValidationError {
    ValidationError::new("range").with_message(message.into())
}

fn valid_latitude(lat: f64) -> Result<(), ValidationError> {
    match geo::valid_lat(lat) {
        true => Ok(()),
        false => Err(failure("纬度须在 -90 到 90 之间")),
    }
}

fn valid_longitude(lng: f64) -> Result<(), ValidationError> {
    match geo::valid_lng(lng) {
        true => Ok(()),
        false => Err(failure("经度须在 -180 到 180 之间")),
    }
}

/// `POST /communities/{id}/stations`.
#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateStation {
    /// Name, 1 to 64 characters after trimming, e.g. 红蜂驿站（幸福里店）.
    #[serde(deserialize_with = "crate::fields::trimmed")]
    #[validate(
        length(min = 1, max = 64, message = "驿站名称须为 1 到 64 个字"),
        custom(function = "crate::text::name")
    )]
    pub name: String,
    /// Street address, 1 to 128 characters after trimming.
    #[serde(deserialize_with = "crate::fields::trimmed")]
    #[validate(
        length(min = 1, max = 128, message = "地址须为 1 到 128 个字"),
        custom(function = "crate::text::name")
    )]
    pub address: String,
    /// Latitude, -90 to 90.
    #[validate(custom(function = "valid_latitude"))]
    pub lat: f64,
    /// Longitude, -180 to 180.
    #[validate(custom(function = "valid_longitude"))]
    pub lng: f64,
    /// What it offers, at least one; a service named twice counts once.
    #[validate(length(min = 1, max = 32, message = "须至少选择一项服务"))]
    pub services: Vec<StationService>,
    /// Opening hours as people read them, 1 to 64 characters, e.g. 每天 8:00-22:00.
    #[serde(deserialize_with = "crate::fields::trimmed")]
    #[validate(
        length(min = 1, max = 64, message = "开放时间须为 1 到 64 个字"),
        custom(function = "crate::text::name")
    )]
    pub opening_hours: String,
}

/// `PATCH /stations/{id}`: only the fields given change.
#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateStation {
    /// New name, 1 to 64 characters after trimming.
    #[serde(
        default,
        deserialize_with = "crate::fields::trimmed_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[validate(
        length(min = 1, max = 64, message = "驿站名称须为 1 到 64 个字"),
        custom(function = "crate::text::name")
    )]
    pub name: Option<String>,
    /// New address, 1 to 128 characters after trimming.
    #[serde(
        default,
        deserialize_with = "crate::fields::trimmed_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[validate(
        length(min = 1, max = 128, message = "地址须为 1 到 128 个字"),
        custom(function = "crate::text::name")
    )]
    pub address: Option<String>,
    /// New latitude, -90 to 90.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(custom(function = "valid_latitude"))]
    pub lat: Option<f64>,
    /// New longitude, -180 to 180.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(custom(function = "valid_longitude"))]
    pub lng: Option<f64>,
    /// The services it offers now (replacing the old list), at least one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[validate(length(min = 1, max = 32, message = "须至少选择一项服务"))]
    pub services: Option<Vec<StationService>>,
    /// New opening hours, 1 to 64 characters.
    #[serde(
        default,
        deserialize_with = "crate::fields::trimmed_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[validate(
        length(min = 1, max = 64, message = "开放时间须为 1 到 64 个字"),
        custom(function = "crate::text::name")
    )]
    pub opening_hours: Option<String>,
}

/// `GET /stations`: the stations near a point, nearest first.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StationQuery {
    /// Latitude of the caller, -90 to 90.
    #[validate(custom(function = "valid_latitude"))]
    pub lat: f64,
    /// Longitude of the caller, -180 to 180.
    #[validate(custom(function = "valid_longitude"))]
    pub lng: f64,
    /// Search radius in metres, 1 to 50000 (default 3000).
    #[validate(range(min = 1, max = 50_000, message = "搜索半径须在 1 到 50000 米之间"))]
    pub radius_m: Option<u32>,
    /// Only stations offering this service.
    pub service: Option<StationService>,
    /// The `next_cursor` of the previous page of the same query.
    pub cursor: Option<String>,
    /// Page size, 1 to 50 (default 20).
    #[validate(range(min = 1, max = 50, message = "数量须在 1 到 50 之间"))]
    pub limit: Option<u64>,
}

/// A courier station.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct StationView {
    /// Id.
    pub id: i64,
    /// Community that runs it.
    pub community_id: i64,
    /// That community's name.
    pub community_name: String,
    /// Name.
    pub name: String,
    /// Street address.
    pub address: String,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lng: f64,
    /// What it offers, in the order of `StationService`.
    pub services: Vec<StationService>,
    /// Opening hours.
    pub opening_hours: String,
    /// Distance from the given point in whole metres; only on the nearby list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_m: Option<i64>,
}
