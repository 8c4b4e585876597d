//! The `points_wallets` table.

use sea_orm::entity::prelude::*;

/// A row of `points_wallets`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "points_wallets")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Owner (one wallet per user).
    pub user_id: i64,
    /// Current balance; always the sum of the user's entries, never negative.
    pub balance: i64,
    /// Sum of all earnings.
    pub lifetime_earned: i64,
    /// Last change.
    pub updated_at: DateTimeUtc,
}

/// No declared relations: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
