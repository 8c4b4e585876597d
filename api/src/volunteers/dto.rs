//! Request and response types of the volunteers domain: registrations, the roster, the
//! rotating code and check-ins.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

pub use entity::volunteering::{CheckinEvidence, CheckinStatus, RegistrationStatus, VolunteerKind};

pub use crate::residents::dto::{Applicant, RejectResidence as RejectRegistration};

/// `POST /volunteer-registrations`: register (报到) with a community.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterVolunteer {
    /// The community to serve.
    pub community_id: i64,
    /// `courier`, `party_member` or `resident_volunteer`.
    pub kind: VolunteerKind,
    /// The courier company and station, or the party member's work unit and party
    /// organisation; 1 to 100 characters.
    #[serde(deserialize_with = "crate::fields::trimmed")]
    #[validate(
        length(min = 1, max = 100, message = "所在单位须为1到100个字"),
        custom(function = "crate::text::name")
    )]
    #[schema(min_length = 1, max_length = 100, example = "顺丰速运 新华大街站")]
    pub organisation: String,
    /// Anything else for staff (service hours, skills), up to 500 characters.
    #[serde(default, deserialize_with = "crate::fields::trimmed_opt")]
    #[validate(
        length(min = 1, max = 500, message = "补充说明须为1到500个字"),
        custom(function = "crate::text::multi_line")
    )]
    #[schema(max_length = 500)]
    pub details: Option<String>,
}

/// A registration as its volunteer and staff see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegistrationView {
    /// Registration id.
    pub id: i64,
    /// Community.
    pub community_id: i64,
    /// Its name.
    pub community_name: String,
    /// `courier`, `party_member` or `resident_volunteer`.
    pub kind: VolunteerKind,
    /// Company and station, or work unit and party organisation.
    pub organisation: String,
    /// Anything else the volunteer told staff.
    pub details: Option<String>,
    /// `pending`, `approved` or `rejected`.
    pub status: RegistrationStatus,
    /// Why staff rejected it.
    pub reject_reason: Option<String>,
    /// Filed at.
    #[serde(with = "crate::time_format")]
    pub created_at: DateTime<Utc>,
    /// Decided at.
    #[serde(with = "crate::time_format::option")]
    pub reviewed_at: Option<DateTime<Utc>>,
}

/// A registration in the staff review list.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegistrationReview {
    /// The registration.
    #[serde(flatten)]
    pub registration: RegistrationView,
    /// Who registered (name and phone masked).
    pub applicant: Applicant,
}

/// `GET /communities/{id}/volunteer-registrations` query.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListRegistrationsQuery {
    /// Only registrations in this state; all when absent.
    pub status: Option<RegistrationStatus>,
    /// Only this kind of volunteer.
    pub kind: Option<VolunteerKind>,
    /// `true` adds `total`, the count of every registration this filter matches.
    pub with_total: Option<bool>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 100 (default 20).
    #[validate(range(min = 1, max = 100, message = "每页数量须在 1 到 100 之间"))]
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
}

/// `GET /communities/{id}/volunteers` query.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RosterQuery {
    /// Only this kind of volunteer.
    pub kind: Option<VolunteerKind>,
    /// `true` adds `total`, the count of the community's approved volunteers of this filter.
    pub with_total: Option<bool>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 100 (default 20).
    #[validate(range(min = 1, max = 100, message = "每页数量须在 1 到 100 之间"))]
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
}

/// One approved volunteer of a community.
#[derive(Debug, Serialize, ToSchema)]
pub struct RosterEntry {
    /// The registration.
    pub registration_id: i64,
    /// The volunteer (name and phone masked).
    pub volunteer: Applicant,
    /// `courier`, `party_member` or `resident_volunteer`.
    pub kind: VolunteerKind,
    /// Company and station, or work unit and party organisation.
    pub organisation: String,
    /// Approved at.
    #[serde(with = "crate::time_format::option")]
    pub since: Option<DateTime<Utc>>,
}

/// One community the caller registered with (`GET /me/volunteering`): the registrations and
/// what the caller did there.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommunityService {
    /// Community.
    pub community_id: i64,
    /// Its name.
    pub community_name: String,
    /// The caller's registrations there (one per kind), newest first.
    pub registrations: Vec<RegistrationView>,
    /// Confirmed service hours there, all time.
    pub hours: f64,
    /// Points earned there, all time (every source: check-ins, activities, reports).
    pub points_earned: i64,
    /// Check-ins counted there.
    pub checkins: u64,
}

/// The rotating on-site code of a community, for its staff to show as a QR code.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckinCode {
    /// Six digits, for volunteers to type when scanning fails.
    #[schema(example = "042917")]
    pub code: String,
    /// What the QR code holds: `linli:checkin:{community_id}:{code}`.
    #[schema(example = "linli:checkin:12:042917")]
    pub qr_payload: String,
    /// When the next code replaces it (it is still accepted for one more window).
    #[serde(with = "crate::time_format")]
    pub expires_at: DateTime<Utc>,
    /// Seconds each code is shown.
    pub rotates_every_s: u64,
}

/// `POST /checkins`: check in on site.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCheckin {
    /// The community.
    pub community_id: i64,
    /// Latitude from `wx.getLocation` (GCJ-02, as the map uses).
    #[validate(range(min = -90.0, max = 90.0, message = "纬度须在 -90 到 90 之间"))]
    #[schema(minimum = -90, maximum = 90)]
    pub lat: f64,
    /// Longitude.
    #[validate(range(min = -180.0, max = 180.0, message = "经度须在 -180 到 180 之间"))]
    #[schema(minimum = -180, maximum = 180)]
    pub lng: f64,
    /// The accuracy the phone reports, in metres; over 200 counts only with a valid code.
    #[validate(range(min = 0.0, max = 100000.0, message = "定位精度须在 0 到 100000 米之间"))]
    #[schema(minimum = 0, maximum = 100000)]
    pub accuracy_m: Option<f64>,
    /// The six-digit code, or the whole scanned QR payload.
    #[serde(default, deserialize_with = "crate::fields::trimmed_opt")]
    #[validate(length(min = 1, max = 64, message = "签到码格式不正确"))]
    #[schema(example = "042917")]
    pub code: Option<String>,
}

/// A check-in.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckinView {
    /// Check-in id.
    pub id: i64,
    /// Community.
    pub community_id: i64,
    /// The day it counts for, Asia/Shanghai.
    #[schema(example = "2026-12-04")]
    pub local_day: String,
    /// `code` (the rotating code and the location) or `location` (the location alone).
    pub evidence: CheckinEvidence,
    /// Distance from the community's centre in whole metres.
    pub distance_m: i32,
    /// `accepted`, `flagged` (waits for staff, no points yet) or `rejected`.
    pub status: CheckinStatus,
    /// Points credited (0 when the rules give none, a cap is reached, or it is flagged).
    pub points_awarded: i64,
    /// For a flagged check-in, the speed implied since the previous one, km/h.
    pub speed_kmh: Option<i32>,
    /// Made at.
    #[serde(with = "crate::time_format")]
    pub created_at: DateTime<Utc>,
    /// Confirmed or rejected at.
    #[serde(with = "crate::time_format::option")]
    pub reviewed_at: Option<DateTime<Utc>>,
}

/// A check-in in the staff list.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckinReview {
    /// The check-in.
    #[serde(flatten)]
    pub checkin: CheckinView,
    /// Who checked in (name and phone masked).
    pub volunteer: Applicant,
}

/// `GET /communities/{id}/checkins` query.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListCheckinsQuery {
    /// Only check-ins in this state (`flagged` is the review queue); all when absent.
    pub status: Option<CheckinStatus>,
    /// `true` adds `total`, the count of every check-in this filter matches.
    pub with_total: Option<bool>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 100 (default 20).
    #[validate(range(min = 1, max = 100, message = "每页数量须在 1 到 100 之间"))]
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
}

/// `GET /communities/{id}/volunteers/stats` query.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// First day (Asia/Shanghai), e.g. `2026-11-01`; 29 days before `to` when absent.
    #[validate(custom(function = "crate::time_format::plausible_day"))]
    pub from: Option<chrono::NaiveDate>,
    /// Last day (Asia/Shanghai), included; today when absent. At most 366 days after `from`.
    #[validate(custom(function = "crate::time_format::plausible_day"))]
    pub to: Option<chrono::NaiveDate>,
}

/// Figures of a community's volunteers over a period of days.
#[derive(Debug, Serialize, ToSchema)]
pub struct VolunteerStats {
    /// Community.
    pub community_id: i64,
    /// First day of the period (Asia/Shanghai).
    pub from: chrono::NaiveDate,
    /// Last day, included.
    pub to: chrono::NaiveDate,
    /// Registrations now, by kind and status (not limited to the period).
    pub volunteers: Vec<KindCount>,
    /// Check-ins of each day of the period that had any, oldest first.
    pub checkins_per_day: Vec<DayCount>,
    /// Check-ins counted in the period (`accepted`).
    pub checkins: u64,
    /// Service hours confirmed for activities that started in the period.
    pub service_hours: f64,
    /// Points credited in the period: for check-ins and for activities.
    pub points_awarded: PointsAwarded,
}

/// Registrations of one kind.
#[derive(Debug, Serialize, ToSchema)]
pub struct KindCount {
    /// The kind.
    pub kind: VolunteerKind,
    /// Waiting for review.
    pub pending: u64,
    /// Approved: the roster.
    pub approved: u64,
    /// Rejected.
    pub rejected: u64,
}

/// One day's check-ins.
#[derive(Debug, Serialize, ToSchema)]
pub struct DayCount {
    /// The day (Asia/Shanghai).
    pub day: chrono::NaiveDate,
    /// Counted.
    pub accepted: u64,
    /// Waiting for staff.
    pub flagged: u64,
    /// Refused by staff.
    pub rejected: u64,
}

/// Points credited to volunteers over a period.
#[derive(Debug, Serialize, ToSchema)]
pub struct PointsAwarded {
    /// For check-ins made in the period.
    pub checkins: i64,
    /// For attendance at activities that started in the period.
    pub activities: i64,
    /// Both.
    pub total: i64,
}
