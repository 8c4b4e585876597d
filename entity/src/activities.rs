//! The `activities` table: volunteer activities (志愿活动) a community publishes, with their
//! places (`capacity`, `taken`) kept by conditional updates.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Whether an activity still happens.
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
pub enum ActivityStatus {
    /// Published: volunteers may sign up until it starts.
    #[sea_orm(string_value = "open")]
    Open,
    /// Called off by staff: no sign-ups, check-ins or attendance.
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
}

/// A row of `activities`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "activities")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The community that runs it.
    pub community_id: i64,
    /// Title.
    pub title: String,
    /// What volunteers do.
    pub description: String,
    /// Where to meet, in words.
    pub location: String,
    /// Latitude of the meeting point (the check-in site).
    pub lat: f64,
    /// Longitude of the meeting point.
    pub lng: f64,
    /// Start.
    pub starts_at: DateTimeUtc,
    /// End.
    pub ends_at: DateTimeUtc,
    /// Places.
    pub capacity: i32,
    /// Places taken (signed-up volunteers); never above `capacity` at sign-up.
    pub taken: i32,
    /// Points per confirmed hour (exclusive with `points_fixed`).
    pub points_per_hour: Option<i64>,
    /// Points for taking part (exclusive with `points_per_hour`).
    pub points_fixed: Option<i64>,
    /// JSON array of the volunteer kinds that may sign up; null for every kind.
    pub kinds_allowed: Option<String>,
    /// `open` or `cancelled`.
    pub status: ActivityStatus,
    /// Staff member who published it.
    pub created_by: i64,
    /// When it was cancelled.
    pub cancelled_at: Option<DateTimeUtc>,
    /// Published at.
    pub created_at: DateTimeUtc,
    /// Last edited at.
    pub updated_at: DateTimeUtc,
}

/// No declared relations: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
