//! Request and response types of the activities domain: activities, sign-ups, activity
//! check-ins, the confirmation of attendance and the service records.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError};

pub use entity::activities::ActivityStatus;
pub use entity::volunteering::{CheckinEvidence, VolunteerKind};

/// `POST /communities/{id}/activities`: publish an activity (staff). Give exactly one of
/// `points_per_hour` and `points_fixed`.
#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateActivity {
    /// Title, 1 to 64 characters.
    #[serde(deserialize_with = "crate::fields::trimmed")]
    #[validate(
        length(min = 1, max = 64, message = "活动名称须为1到64个字"),
        custom(function = "crate::text::name")
    )]
    #[schema(min_length = 1, max_length = 64, example = "周末楼道清洁")]
    pub title: String,
    /// What volunteers do, 1 to 2000 characters.
    #[serde(deserialize_with = "crate::fields::trimmed")]
    #[validate(
        length(min = 1, max = 2000, message = "活动介绍须为1到2000个字"),
        custom(function = "crate::text::multi_line")
    )]
    #[schema(min_length = 1, max_length = 2000)]
    pub description: String,
    /// Where to meet, in words, 1 to 100 characters.
    #[serde(deserialize_with = "crate::fields::trimmed")]
    #[validate(
        length(min = 1, max = 100, message = "活动地点须为1到100个字"),
        custom(function = "crate::text::name")
    )]
    #[schema(min_length = 1, max_length = 100, example = "3号楼门前")]
    pub location: String,
    /// Latitude of the meeting point, where volunteers check in (GCJ-02).
    #[validate(range(min = -90.0, max = 90.0, message = "纬度须在 -90 到 90 之间"))]
    #[schema(minimum = -90, maximum = 90)]
    #[serde(skip_serializing)]
    pub lat: f64,
    /// Longitude of the meeting point.
    #[validate(range(min = -180.0, max = 180.0, message = "经度须在 -180 到 180 之间"))]
    #[schema(minimum = -180, maximum = 180)]
    #[serde(skip_serializing)]
    pub lng: f64,
    /// Start, in the future.
    pub starts_at: DateTime<Utc>,
    /// End, after the start and at most 24 hours later.
    pub ends_at: DateTime<Utc>,
    /// Places, 1 to 10000.
    #[validate(range(min = 1, max = 10000, message = "名额须在 1 到 10000 之间"))]
    #[schema(minimum = 1, maximum = 10000)]
    pub capacity: i32,
    /// Points per confirmed hour, 0 to 1000 (rounded to whole points).
    #[validate(range(min = 0, max = 1000, message = "每小时积分须在 0 到 1000 之间"))]
    #[schema(minimum = 0, maximum = 1000)]
    pub points_per_hour: Option<i64>,
    /// Points for taking part, 0 to 10000, whatever the hours.
    #[validate(range(min = 0, max = 10000, message = "固定积分须在 0 到 10000 之间"))]
    #[schema(minimum = 0, maximum = 10000)]
    pub points_fixed: Option<i64>,
    /// The kinds of volunteers who may sign up; every kind when absent.
    #[validate(length(min = 1, max = 3, message = "可报名的志愿者类型须为1到3种"))]
    pub kinds_allowed: Option<Vec<VolunteerKind>>,
}

/// `PATCH /activities/{id}`: only the fields given change. Setting one of `points_per_hour`
/// and `points_fixed` clears the other.
#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateActivity {
    /// Title, 1 to 64 characters.
    #[serde(
        default,
        deserialize_with = "crate::fields::trimmed_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[validate(
        length(min = 1, max = 64, message = "活动名称须为1到64个字"),
        custom(function = "crate::text::name")
    )]
    pub title: Option<String>,
    /// What volunteers do, 1 to 2000 characters.
    #[serde(
        default,
        deserialize_with = "crate::fields::trimmed_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[validate(
        length(min = 1, max = 2000, message = "活动介绍须为1到2000个字"),
        custom(function = "crate::text::multi_line")
    )]
    pub description: Option<String>,
    /// Where to meet, 1 to 100 characters.
    #[serde(
        default,
        deserialize_with = "crate::fields::trimmed_opt",
        skip_serializing_if = "Option::is_none"
    )]
    #[validate(
        length(min = 1, max = 100, message = "活动地点须为1到100个字"),
        custom(function = "crate::text::name")
    )]
    pub location: Option<String>,
    /// Latitude of the meeting point.
    #[validate(range(min = -90.0, max = 90.0, message = "纬度须在 -90 到 90 之间"))]
    #[schema(minimum = -90, maximum = 90)]
    #[serde(skip_serializing)]
    pub lat: Option<f64>,
    /// Longitude of the meeting point.
    #[validate(range(min = -180.0, max = 180.0, message = "经度须在 -180 到 180 之间"))]
    #[schema(minimum = -180, maximum = 180)]
    #[serde(skip_serializing)]
    pub lng: Option<f64>,
    /// Start; only before the activity starts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub starts_at: Option<DateTime<Utc>>,
    /// End, after the start and at most 24 hours later.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<DateTime<Utc>>,
    /// Places, 1 to 10000, never fewer than the volunteers signed up.
    #[validate(range(min = 1, max = 10000, message = "名额须在 1 到 10000 之间"))]
    #[schema(minimum = 1, maximum = 10000)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity: Option<i32>,
    /// Points per confirmed hour, 0 to 1000.
    #[validate(range(min = 0, max = 1000, message = "每小时积分须在 0 到 1000 之间"))]
    #[schema(minimum = 0, maximum = 1000)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub points_per_hour: Option<i64>,
    /// Points for taking part, 0 to 10000.
    #[validate(range(min = 0, max = 10000, message = "固定积分须在 0 到 10000 之间"))]
    #[schema(minimum = 0, maximum = 10000)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub points_fixed: Option<i64>,
    /// The kinds of volunteers who may sign up; `null` opens it to every kind.
    #[serde(
        default,
        deserialize_with = "crate::fields::nullable",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<Vec<VolunteerKind>>, nullable = true)]
    #[validate(length(min = 1, max = 3, message = "可报名的志愿者类型须为1到3种"))]
    pub kinds_allowed: Option<Option<Vec<VolunteerKind>>>,
}

/// An activity as anyone sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityView {
    /// Activity id.
    pub id: i64,
    /// Community that runs it.
    pub community_id: i64,
    /// Title.
    pub title: String,
    /// What volunteers do.
    pub description: String,
    /// Where to meet.
    pub location: String,
    /// Latitude of the meeting point.
    pub lat: f64,
    /// Longitude of the meeting point.
    pub lng: f64,
    /// Start.
    #[serde(with = "crate::time_format")]
    pub starts_at: DateTime<Utc>,
    /// End.
    #[serde(with = "crate::time_format")]
    pub ends_at: DateTime<Utc>,
    /// Places.
    pub capacity: i32,
    /// Places taken.
    pub taken: i32,
    /// Places left (0 once cancelled).
    pub places_left: i32,
    /// Points per confirmed hour, or null.
    pub points_per_hour: Option<i64>,
    /// Points for taking part, or null.
    pub points_fixed: Option<i64>,
    /// The kinds of volunteers who may sign up; null for every kind.
    pub kinds_allowed: Option<Vec<VolunteerKind>>,
    /// `open` or `cancelled`.
    pub status: ActivityStatus,
    /// Published at.
    #[serde(with = "crate::time_format")]
    pub created_at: DateTime<Utc>,
}

/// `GET /communities/{id}/activities` query: activities starting within the Asia/Shanghai
/// days `from`..=`to`, by start.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListActivitiesQuery {
    /// First day (Asia/Shanghai), e.g. `2026-12-01`.
    #[validate(custom(function = "crate::time_format::plausible_day"))]
    pub from: Option<NaiveDate>,
    /// Last day (Asia/Shanghai), included.
    #[validate(custom(function = "crate::time_format::plausible_day"))]
    pub to: Option<NaiveDate>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 100 (default 20).
    #[validate(range(min = 1, max = 100, message = "每页数量须在 1 到 100 之间"))]
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
}

/// `POST /activities/{id}/checkin` and `/checkout`: where the volunteer stands, and the
/// community's rotating code when scanned.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivityCheckin {
    /// Latitude from `wx.getLocation` (GCJ-02).
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
    /// The community's six-digit code, or the whole scanned QR payload.
    #[serde(default, deserialize_with = "crate::fields::trimmed_opt")]
    #[validate(length(min = 1, max = 64, message = "签到码格式不正确"))]
    #[schema(example = "042917")]
    pub code: Option<String>,
}

/// A volunteer's sign-up for an activity.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignupView {
    /// Sign-up id.
    pub id: i64,
    /// The activity.
    pub activity_id: i64,
    /// The volunteer.
    pub user_id: i64,
    /// Checked in at.
    #[serde(with = "crate::time_format::option")]
    pub checked_in_at: Option<DateTime<Utc>>,
    /// What the check-in rested on.
    pub checkin_evidence: Option<CheckinEvidence>,
    /// Checked out at.
    #[serde(with = "crate::time_format::option")]
    pub checked_out_at: Option<DateTime<Utc>>,
    /// What the check-out rested on.
    pub checkout_evidence: Option<CheckinEvidence>,
    /// Confirmed hours; null until staff confirm.
    pub hours: Option<f64>,
    /// Points credited for them.
    pub points_awarded: i64,
    /// Signed up at.
    #[serde(with = "crate::time_format")]
    pub created_at: DateTime<Utc>,
}

/// A sign-up in the staff list of an activity.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignupReview {
    /// The sign-up.
    #[serde(flatten)]
    pub signup: SignupView,
    /// Who signed up (name and phone masked).
    pub volunteer: crate::volunteers::dto::Applicant,
}

/// `GET /activities/{id}/signups` query.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SignupsQuery {
    /// `true` adds `total`, the count of the activity's sign-ups.
    pub with_total: Option<bool>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 100 (default 20).
    #[validate(range(min = 1, max = 100, message = "每页数量须在 1 到 100 之间"))]
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
}

/// `POST /activities/{id}/attendance`: the hours of the volunteers who came.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmAttendance {
    /// One entry per volunteer, 1 to 200, each user once.
    #[validate(
        length(min = 1, max = 200, message = "每次确认须有1到200条记录"),
        nested
    )]
    pub entries: Vec<AttendanceEntry>,
}

/// The hours of one volunteer.
#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttendanceEntry {
    /// The volunteer, signed up for the activity.
    pub user_id: i64,
    /// Hours served, 0.01 or more, at most 2 decimals, at most the activity's length plus
    /// one hour.
    #[validate(
        range(min = 0.01, max = 100.0, message = "服务时长须在0.01到100小时之间"),
        custom(function = "at_most_two_decimals")
    )]
    #[schema(minimum = 0.01, maximum = 100, example = 2.5)]
    pub hours: f64,
}

/// What a confirmation did for one volunteer.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttendanceResult {
    /// The volunteer.
    pub user_id: i64,
    /// The hours on record (the first confirmation's, when confirmed before).
    pub hours: f64,
    /// Points credited for the activity (fewer than the activity's when a cap of the
    /// community's `activity` rule applies).
    pub points_awarded: i64,
    /// True when this volunteer was confirmed before: nothing changed.
    pub already_confirmed: bool,
}

/// The answer of a confirmation, one result per entry in the order sent.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttendanceView {
    /// The activity.
    pub activity_id: i64,
    /// Per entry.
    pub results: Vec<AttendanceResult>,
}

/// `GET /me/service-records`: the caller's confirmed service, by community.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceRecords {
    /// Per community served, by community id.
    pub communities: Vec<CommunityRecords>,
    /// Hours over every community.
    pub total_hours: f64,
}

/// The caller's service in one community.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommunityRecords {
    /// Community.
    pub community_id: i64,
    /// Its name.
    pub community_name: String,
    /// Hours there, all time.
    pub total_hours: f64,
    /// Activities confirmed there, all time.
    pub activities: i64,
    /// Per month (Asia/Shanghai, the month each activity started), newest first.
    pub months: Vec<MonthRecord>,
}

/// One month's service in a community.
#[derive(Debug, Serialize, ToSchema)]
pub struct MonthRecord {
    /// The month, `YYYY-MM`.
    #[schema(example = "2026-12")]
    pub month: String,
    /// Hours.
    pub hours: f64,
    /// Activities confirmed.
    pub activities: i64,
}

/// Hundredths of an hour as hours.
pub fn centi_to_hours(centi: i64) -> f64 {
    centi as f64 / 100.0
}

/// Hours (at most 2 decimals, checked before) as hundredths of an hour.
pub fn hours_to_centi(hours: f64) -> i64 {
    (hours * 100.0).round() as i64
}

fn at_most_two_decimals(value: f64) -> Result<(), ValidationError> {
    let cents = value * 100.0;
    if (cents - cents.round()).abs() > 1e-6 {
        return Err(
            ValidationError::new("decimals").with_message("服务时长最多保留两位小数".into())
        );
    }
    Ok(())
}
