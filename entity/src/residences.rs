//! The `residences` table.

use sea_orm::entity::prelude::*;

pub use crate::enums::{ResidenceRelation, ResidenceStatus};

/// A row of `residences`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "residences")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Applicant.
    pub user_id: i64,
    /// Community.
    pub community_id: i64,
    /// Building (楼栋).
    pub building: String,
    /// Unit (单元).
    pub unit: String,
    /// Room (室).
    pub room: String,
    /// `owner`, `tenant` or `family`.
    pub relation: ResidenceRelation,
    /// Declared floor area in dm² (owners only).
    pub floor_area_dm2: Option<i64>,
    /// Grid found from the location given at submission, if any.
    pub suggested_grid_id: Option<i64>,
    /// `pending`, `approved` or `rejected`.
    pub status: ResidenceStatus,
    /// Household, once approved.
    pub household_id: Option<i64>,
    /// Why it was rejected.
    pub reject_reason: Option<String>,
    /// Staff member who decided.
    pub reviewed_by: Option<i64>,
    /// When it was decided.
    pub reviewed_at: Option<DateTimeUtc>,
    /// Created at.
    pub created_at: DateTimeUtc,
}

/// No declared relations: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
