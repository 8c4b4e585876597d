//! The `volunteer_registrations` table.

use sea_orm::entity::prelude::*;

pub use crate::volunteering::{RegistrationStatus, VolunteerKind};

/// A row of `volunteer_registrations`: one person, community and kind.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "volunteer_registrations")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The volunteer.
    pub user_id: i64,
    /// Community.
    pub community_id: i64,
    /// `courier`, `party_member` or `resident_volunteer`.
    pub kind: VolunteerKind,
    /// Courier company and station, or work unit and party organisation.
    pub organisation: String,
    /// Anything else the volunteer tells staff.
    pub details: Option<String>,
    /// `pending`, `approved` or `rejected`.
    pub status: RegistrationStatus,
    /// Why it was rejected.
    pub reject_reason: Option<String>,
    /// Staff member who decided.
    pub reviewed_by: Option<i64>,
    /// When it was decided.
    pub reviewed_at: Option<DateTimeUtc>,
    /// Filed at (again, for a registration filed anew after a rejection).
    pub created_at: DateTimeUtc,
}

/// No declared relations: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
