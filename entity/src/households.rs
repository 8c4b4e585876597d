//! The `households` table.

use sea_orm::entity::prelude::*;

/// A row of `households`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "households")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Community.
    pub community_id: i64,
    /// Building (楼栋).
    pub building: String,
    /// Unit (单元).
    pub unit: String,
    /// Room (室).
    pub room: String,
    /// Grid holding the household.
    pub grid_id: Option<i64>,
    /// Exclusive floor area in dm² (1 m² = 100 dm²), when an owner declared it.
    pub floor_area_dm2: Option<i64>,
    /// Created at.
    pub created_at: DateTimeUtc,
}

/// No declared relations: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
