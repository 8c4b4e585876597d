//! The `redemptions` table.

use sea_orm::entity::prelude::*;

pub use crate::enums::RedemptionStatus;

/// A row of `redemptions`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "redemptions")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Who redeems.
    pub user_id: i64,
    /// Community of the goods.
    pub community_id: i64,
    /// Goods.
    pub goods_id: i64,
    /// Units.
    pub quantity: i64,
    /// Points paid.
    pub points: i64,
    /// Six-digit pickup code, unique among the community's pending redemptions.
    pub code: String,
    /// `pending`, `fulfilled`, `cancelled` or `expired`.
    pub status: RedemptionStatus,
    /// Pickup deadline.
    pub expires_at: DateTimeUtc,
    /// Created at.
    pub created_at: DateTimeUtc,
    /// When it was picked up.
    pub fulfilled_at: Option<DateTimeUtc>,
    /// Staff member who verified it.
    pub fulfilled_by: Option<i64>,
    /// When it was cancelled or expired.
    pub closed_at: Option<DateTimeUtc>,
}

/// No declared relations: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
