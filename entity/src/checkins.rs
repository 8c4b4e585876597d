//! The `checkins` table.

use sea_orm::entity::prelude::*;

pub use crate::volunteering::{CheckinEvidence, CheckinStatus};

/// A row of `checkins`: one volunteer, community and local day.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "checkins")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The volunteer.
    pub user_id: i64,
    /// Community.
    pub community_id: i64,
    /// The day in Asia/Shanghai, `YYYY-MM-DD`.
    pub local_day: String,
    /// `code` or `location`.
    pub evidence: CheckinEvidence,
    /// Distance from the community's centre in whole metres.
    pub distance_m: i32,
    /// The accuracy the phone reported, in metres.
    pub accuracy_m: Option<i32>,
    /// `accepted`, `flagged` or `rejected`.
    pub status: CheckinStatus,
    /// The speed implied from the volunteer's previous check-in, when it was flagged.
    pub speed_kmh: Option<i32>,
    /// Points credited for it (0 when the rules give none or a cap is reached).
    pub points_awarded: i64,
    /// Latitude, kept for the speed check and dropped after 7 days.
    pub lat: Option<f64>,
    /// Longitude, kept for the speed check and dropped after 7 days.
    pub lng: Option<f64>,
    /// Staff member who confirmed or rejected a flagged check-in.
    pub reviewed_by: Option<i64>,
    /// When.
    pub reviewed_at: Option<DateTimeUtc>,
    /// When it was made.
    pub created_at: DateTimeUtc,
}

/// No declared relations: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
