//! The `points_entries` table.

use sea_orm::entity::prelude::*;

pub use crate::enums::Kind;

/// A row of `points_entries`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "points_entries")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Whose points.
    pub user_id: i64,
    /// Community where it happened.
    pub community_id: i64,
    /// Signed change.
    pub amount: i64,
    /// Balance after this entry.
    pub balance_after: i64,
    /// `earn`, `redeem`, `refund`, `adjust` or `expire`.
    pub kind: Kind,
    /// Human-readable reason.
    pub reason: String,
    /// What produced it, e.g. `award:checkin`, `redemption`, `adjust`.
    pub source: String,
    /// Unique per source: retries do not count twice.
    pub idempotency_key: String,
    /// Kind of the referenced object.
    pub ref_type: Option<String>,
    /// Id of the referenced object.
    pub ref_id: Option<i64>,
    /// Who caused it (staff for adjustments).
    pub actor_id: Option<i64>,
    /// When.
    pub created_at: DateTimeUtc,
}

/// No declared relations: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
