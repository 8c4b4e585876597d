//! The `points_rules` table.

use sea_orm::entity::prelude::*;

/// A row of `points_rules`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "points_rules")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Community.
    pub community_id: i64,
    /// Action key, e.g. `checkin`.
    pub action: String,
    /// Points per action.
    pub points: i64,
    /// Most points per user per day (Asia/Shanghai) from this action.
    pub daily_cap: Option<i64>,
    /// Most points per user per month from this action.
    pub monthly_cap: Option<i64>,
    /// Disabled rules award nothing.
    pub enabled: bool,
    /// Who changed it last.
    pub updated_by: Option<i64>,
    /// When.
    pub updated_at: DateTimeUtc,
}

/// No declared relations: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
