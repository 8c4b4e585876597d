//! The `audit_logs` table.

use sea_orm::entity::prelude::*;

/// A row of `audit_logs`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_logs")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Who acted.
    pub actor_id: Option<i64>,
    /// What was done, e.g. `residence.approve`.
    pub action: String,
    /// Kind of object.
    pub object_type: String,
    /// Object id.
    pub object_id: i64,
    /// Community concerned, if any.
    pub community_id: Option<i64>,
    /// JSON details.
    pub detail: String,
    /// When.
    pub created_at: DateTimeUtc,
}

/// No declared relations: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
