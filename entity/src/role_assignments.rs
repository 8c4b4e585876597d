//! The `role_assignments` table.

use sea_orm::entity::prelude::*;

pub use crate::enums::Role;

/// A row of `role_assignments`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "role_assignments")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Holder.
    pub user_id: i64,
    /// `platform_admin`, `street_admin`, `community_staff` or `grid_worker`.
    pub role: Role,
    /// Street, community or grid id; 0 for platform admins.
    pub scope_id: i64,
    /// Who assigned it.
    pub created_by: Option<i64>,
    /// Created at.
    pub created_at: DateTimeUtc,
}

/// No declared relations: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
