//! Request and response types of the community map.

pub use entity::communities::SupermarketPolicy;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError};

use super::{
    geo::{self, Boundary},
    schema::GeoJsonBoundary,
};

/// Default search radius of the nearest-first list, in metres.
pub const DEFAULT_RADIUS_M: u32 = 50_000;

/// Default number of communities answered by the list.
pub const DEFAULT_LIMIT: u64 = 20;

fn failure(code: &'static str, message: &'static str) -> ValidationError {
    ValidationError::new(code).with_message(message.into())
}

fn valid_latitude(lat: f64) -> Result<(), ValidationError> {
    if geo::valid_lat(lat) {
        Ok(())
    } else {
        Err(failure("range", "纬度须在 -90 到 90 之间"))
    }
}

fn valid_longitude(lng: f64) -> Result<(), ValidationError> {
    if geo::valid_lng(lng) {
        Ok(())
    } else {
        Err(failure("range", "经度须在 -180 到 180 之间"))
    }
}

/// The shape of a boundary; its validity (`Boundary::check`, costly) is the service's.
fn valid_boundary(value: &Value) -> Result<(), ValidationError> {
    Boundary::read(value)
        .map(|_| ())
        .map_err(|e| failure("geojson", e.0))
}

/// `POST /districts`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDistrict {
    /// Name, 1 to 64 characters after trimming; unique.
    #[serde(deserialize_with = "crate::fields::trimmed")]
    #[validate(
        length(min = 1, max = 64, message = "名称须为 1 到 64 个字"),
        custom(function = "crate::text::name")
    )]
    pub name: String,
}

/// `PATCH /districts/{id}`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateDistrict {
    /// New name, 1 to 64 characters after trimming; unique.
    #[serde(deserialize_with = "crate::fields::trimmed")]
    #[validate(
        length(min = 1, max = 64, message = "名称须为 1 到 64 个字"),
        custom(function = "crate::text::name")
    )]
    pub name: String,
}

/// `POST /streets`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateStreet {
    /// District of the street.
    pub district_id: i64,
    /// Name, 1 to 64 characters after trimming; unique in the district.
    #[serde(deserialize_with = "crate::fields::trimmed")]
    #[validate(
        length(min = 1, max = 64, message = "名称须为 1 到 64 个字"),
        custom(function = "crate::text::name")
    )]
    pub name: String,
}

/// `PATCH /streets/{id}`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateStreet {
    /// New name, 1 to 64 characters after trimming; unique in the district.
    #[serde(deserialize_with = "crate::fields::trimmed")]
    #[validate(
        length(min = 1, max = 64, message = "名称须为 1 到 64 个字"),
        custom(function = "crate::text::name")
    )]
    pub name: String,
}

/// `POST /communities`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCommunity {
    /// Street of the community.
    pub street_id: i64,
    /// Name, 1 to 64 characters after trimming; unique in the street.
    #[serde(deserialize_with = "crate::fields::trimmed")]
    #[validate(
        length(min = 1, max = 64, message = "名称须为 1 到 64 个字"),
        custom(function = "crate::text::name")
    )]
    pub name: String,
    /// Latitude of the centre, -90 to 90.
    #[validate(custom(function = "valid_latitude"))]
    pub lat: f64,
    /// Longitude of the centre, -180 to 180.
    #[validate(custom(function = "valid_longitude"))]
    pub lng: f64,
    /// Check-in radius in metres, 10 to 5000.
    #[validate(range(min = 10, max = 5000, message = "签到半径须在 10 到 5000 米之间"))]
    pub checkin_radius_m: i32,
    /// Optional boundary: a valid GeoJSON Polygon or MultiPolygon with `[lng, lat]` positions
    /// (rings closed and not crossing themselves, holes inside their shell, parts apart).
    #[schema(value_type = Option<GeoJsonBoundary>)]
    #[validate(custom(function = "valid_boundary"))]
    pub boundary: Option<Value>,
    /// Where the supermarket hands goods out, 1 to 100 characters (e.g. 社区服务中心一楼).
    #[serde(default, deserialize_with = "crate::fields::trimmed_opt")]
    #[validate(
        length(min = 1, max = 100, message = "领取地点须为1到100个字"),
        custom(function = "crate::text::name")
    )]
    pub pickup_address: Option<String>,
    /// When it hands goods out, 1 to 100 characters (e.g. 周一至周五 9:00-17:00).
    #[serde(default, deserialize_with = "crate::fields::trimmed_opt")]
    #[validate(
        length(min = 1, max = 100, message = "领取时间须为1到100个字"),
        custom(function = "crate::text::name")
    )]
    pub pickup_hours: Option<String>,
    /// Whom the supermarket serves (default `members`).
    pub supermarket_policy: Option<SupermarketPolicy>,
    /// True when volunteers must show the rotating on-site code to check in (default false).
    pub checkin_requires_code: Option<bool>,
}

/// `PATCH /communities/{id}`: only the fields given change.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCommunity {
    /// New name, 1 to 64 characters after trimming; unique in the street.
    #[serde(default, deserialize_with = "crate::fields::trimmed_opt")]
    #[validate(
        length(min = 1, max = 64, message = "名称须为 1 到 64 个字"),
        custom(function = "crate::text::name")
    )]
    pub name: Option<String>,
    /// Latitude of the centre, -90 to 90.
    #[validate(custom(function = "valid_latitude"))]
    pub lat: Option<f64>,
    /// Longitude of the centre, -180 to 180.
    #[validate(custom(function = "valid_longitude"))]
    pub lng: Option<f64>,
    /// Check-in radius in metres, 10 to 5000.
    #[validate(range(min = 10, max = 5000, message = "签到半径须在 10 到 5000 米之间"))]
    pub checkin_radius_m: Option<i32>,
    /// New boundary (a valid GeoJSON Polygon or MultiPolygon); `null` removes it.
    #[serde(default, deserialize_with = "crate::fields::nullable")]
    #[schema(value_type = Option<GeoJsonBoundary>, nullable = true)]
    #[validate(custom(function = "valid_boundary"))]
    pub boundary: Option<Option<Value>>,
    /// Where the supermarket hands goods out, 1 to 100 characters; `null` removes it.
    #[serde(default, deserialize_with = "crate::fields::nullable_trimmed")]
    #[schema(value_type = Option<String>, nullable = true)]
    #[validate(
        length(min = 1, max = 100, message = "领取地点须为1到100个字"),
        custom(function = "crate::text::name")
    )]
    pub pickup_address: Option<Option<String>>,
    /// When it hands goods out, 1 to 100 characters; `null` removes it.
    #[serde(default, deserialize_with = "crate::fields::nullable_trimmed")]
    #[schema(value_type = Option<String>, nullable = true)]
    #[validate(
        length(min = 1, max = 100, message = "领取时间须为1到100个字"),
        custom(function = "crate::text::name")
    )]
    pub pickup_hours: Option<Option<String>>,
    /// Whom the supermarket serves: `residents`, `members` or `anyone`.
    pub supermarket_policy: Option<SupermarketPolicy>,
    /// True when volunteers must show the rotating on-site code to check in.
    pub checkin_requires_code: Option<bool>,
}

impl UpdateCommunity {
    /// True when only the settings its staff run change (the supermarket's pickup place, hours
    /// and policy, whether check-ins need the code): the community's staff may do that much.
    pub fn only_staff_settings(&self) -> bool {
        self.name.is_none()
            && self.lat.is_none()
            && self.lng.is_none()
            && self.checkin_radius_m.is_none()
            && self.boundary.is_none()
    }
}

/// `POST /communities/{id}/grids`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGrid {
    /// Name, 1 to 64 characters after trimming; unique in the community.
    #[serde(deserialize_with = "crate::fields::trimmed")]
    #[validate(
        length(min = 1, max = 64, message = "名称须为 1 到 64 个字"),
        custom(function = "crate::text::name")
    )]
    pub name: String,
    /// Boundary: a valid GeoJSON Polygon or MultiPolygon with `[lng, lat]` positions (rings
    /// closed and not crossing themselves, holes inside their shell, parts apart).
    #[schema(value_type = GeoJsonBoundary)]
    #[validate(custom(function = "valid_boundary"))]
    pub boundary: Value,
    /// The grid worker; they get the `grid_worker` role over this grid.
    pub worker_user_id: Option<i64>,
}

/// `PATCH /grids/{id}`: only the fields given change.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateGrid {
    /// New name, 1 to 64 characters after trimming; unique in the community.
    #[serde(default, deserialize_with = "crate::fields::trimmed_opt")]
    #[validate(
        length(min = 1, max = 64, message = "名称须为 1 到 64 个字"),
        custom(function = "crate::text::name")
    )]
    pub name: Option<String>,
    /// New boundary (a valid GeoJSON Polygon or MultiPolygon); cannot be `null`.
    #[serde(default, deserialize_with = "crate::fields::present")]
    #[schema(value_type = GeoJsonBoundary, required = false)]
    #[validate(custom(function = "valid_boundary"))]
    pub boundary: Option<Value>,
    /// New grid worker (gets the `grid_worker` role); `null` leaves the grid without one.
    #[serde(default, deserialize_with = "crate::fields::nullable")]
    #[schema(value_type = Option<i64>, nullable = true)]
    pub worker_user_id: Option<Option<i64>>,
}

/// `GET /communities`: nearest first when `lat` and `lng` are given, otherwise newest first
/// by id; page by page either way.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CommunityListQuery {
    /// Latitude of the caller, -90 to 90; give it with `lng`.
    #[validate(custom(function = "valid_latitude"))]
    pub lat: Option<f64>,
    /// Longitude of the caller, -180 to 180; give it with `lat`.
    #[validate(custom(function = "valid_longitude"))]
    pub lng: Option<f64>,
    /// Search radius in metres around `lat`/`lng`, 1 to 200000 (default 50000).
    #[validate(range(min = 1, max = 200_000, message = "搜索半径须在 1 到 200000 米之间"))]
    pub radius_m: Option<u32>,
    /// Only communities of this street.
    pub street_id: Option<i64>,
    /// The `next_cursor` of the previous page of the same query.
    pub cursor: Option<String>,
    /// Page size, 1 to 50 (default 20).
    #[validate(range(min = 1, max = 50, message = "数量须在 1 到 50 之间"))]
    pub limit: Option<u64>,
}

/// `GET /communities/{id}/grids/locate`.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LocateQuery {
    /// Latitude, -90 to 90.
    #[validate(custom(function = "valid_latitude"))]
    pub lat: f64,
    /// Longitude, -180 to 180.
    #[validate(custom(function = "valid_longitude"))]
    pub lng: f64,
}

/// A district.
#[derive(Debug, Serialize, ToSchema)]
pub struct DistrictView {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
}

/// A street.
#[derive(Debug, Serialize, ToSchema)]
pub struct StreetView {
    /// Id.
    pub id: i64,
    /// District.
    pub district_id: i64,
    /// Name.
    pub name: String,
}

/// A district with its streets.
#[derive(Debug, Serialize, ToSchema)]
pub struct DistrictTree {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Streets, by id.
    pub streets: Vec<StreetView>,
}

/// A community with the names of its street and district.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CommunityView {
    /// Id.
    pub id: i64,
    /// Street.
    pub street_id: i64,
    /// Street name.
    pub street_name: String,
    /// District.
    pub district_id: i64,
    /// District name.
    pub district_name: String,
    /// Name.
    pub name: String,
    /// Latitude of the centre.
    pub lat: f64,
    /// Longitude of the centre.
    pub lng: f64,
    /// Check-in radius in metres.
    pub checkin_radius_m: i32,
    /// Boundary as a GeoJSON Polygon or MultiPolygon, or null.
    #[schema(value_type = Option<GeoJsonBoundary>)]
    pub boundary: Option<Value>,
    /// Where the supermarket hands goods out.
    pub pickup_address: Option<String>,
    /// When it hands goods out.
    pub pickup_hours: Option<String>,
    /// Whom the supermarket serves: `residents` (approved residence here), `members`
    /// (residents and approved volunteers) or `anyone` (any logged-in user).
    pub supermarket_policy: SupermarketPolicy,
    /// True when volunteers must show the rotating on-site code to check in.
    pub checkin_requires_code: bool,
    /// Distance from the given point in whole metres; only on nearest-first lists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_m: Option<i64>,
}

/// The grid worker of a grid (no phone).
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkerView {
    /// User id.
    pub id: i64,
    /// Display name.
    pub nickname: String,
}

/// A grid.
#[derive(Debug, Serialize, ToSchema)]
pub struct GridView {
    /// Id.
    pub id: i64,
    /// Community.
    pub community_id: i64,
    /// Name.
    pub name: String,
    /// Boundary as a GeoJSON Polygon or MultiPolygon.
    #[schema(value_type = GeoJsonBoundary)]
    pub boundary: Value,
    /// The grid worker, or null.
    pub worker: Option<WorkerView>,
}
