//! The `points_monthly` table: each user's earnings and spendings per community and month,
//! kept by the ledger in the same transaction as the entries.

use sea_orm::entity::prelude::*;

/// A row of `points_monthly`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "points_monthly")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Whose points.
    pub user_id: i64,
    /// Community where the entries happened.
    pub community_id: i64,
    /// First day (Asia/Shanghai) of the month the entries fall in.
    pub month: Date,
    /// Sum of the `earn` entries.
    pub earned: i64,
    /// Minus the sum of the `redeem`, `refund` and `expire` entries (a refund lowers it).
    pub spent: i64,
}

/// No declared relations: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
