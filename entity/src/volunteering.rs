//! The kinds and statuses of the volunteer tables, stored as text. Each variant names its
//! stored string, which is also its JSON value.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Who a volunteer is.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum VolunteerKind {
    /// A courier (快递小哥) whose round crosses the community.
    #[sea_orm(string_value = "courier")]
    Courier,
    /// An in-service party member (在职党员) registering where they live.
    #[sea_orm(string_value = "party_member")]
    PartyMember,
    /// A resident volunteer.
    #[sea_orm(string_value = "resident_volunteer")]
    ResidentVolunteer,
}

/// Where a registration stands.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum RegistrationStatus {
    /// Waiting for staff.
    #[sea_orm(string_value = "pending")]
    Pending,
    /// Approved: the person volunteers in the community.
    #[sea_orm(string_value = "approved")]
    Approved,
    /// Rejected, with a reason; the person may register again.
    #[sea_orm(string_value = "rejected")]
    Rejected,
}

/// What proved a check-in.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum CheckinEvidence {
    /// The rotating code shown by staff on site, with a location inside the geofence.
    #[sea_orm(string_value = "code")]
    Code,
    /// A location inside the geofence alone (weak evidence).
    #[sea_orm(string_value = "location")]
    Location,
}

/// Where a check-in stands.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum CheckinStatus {
    /// Counted; its points (if the rules give any) are credited.
    #[sea_orm(string_value = "accepted")]
    Accepted,
    /// Implausible travel since the volunteer's previous check-in: waits for staff, no points yet.
    #[sea_orm(string_value = "flagged")]
    Flagged,
    /// Refused by staff; no points.
    #[sea_orm(string_value = "rejected")]
    Rejected,
}
