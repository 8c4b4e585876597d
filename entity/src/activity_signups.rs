//! The `activity_signups` table: one row per volunteer and activity, from sign-up through
//! check-in, check-out and the staff's confirmation of hours.

use sea_orm::entity::prelude::*;

pub use crate::volunteering::CheckinEvidence;

/// A row of `activity_signups`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "activity_signups")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The activity.
    pub activity_id: i64,
    /// The volunteer.
    pub user_id: i64,
    /// When the volunteer checked in on site.
    pub checked_in_at: Option<DateTimeUtc>,
    /// What the check-in rested on.
    pub checkin_evidence: Option<CheckinEvidence>,
    /// When the volunteer checked out on site.
    pub checked_out_at: Option<DateTimeUtc>,
    /// What the check-out rested on.
    pub checkout_evidence: Option<CheckinEvidence>,
    /// Confirmed hours in hundredths of an hour; null until staff confirm.
    pub hours_centi: Option<i64>,
    /// Points credited for the confirmed hours.
    pub points_awarded: i64,
    /// Staff member who confirmed the hours.
    pub confirmed_by: Option<i64>,
    /// When.
    pub confirmed_at: Option<DateTimeUtc>,
    /// Signed up at.
    pub created_at: DateTimeUtc,
}

/// No declared relations: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
