//! The `sessions` table.

use sea_orm::entity::prelude::*;

/// A row of `sessions`: one login, the family of its rotated refresh tokens.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    /// Primary key; access tokens carry it as `sid`.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The `family_id` of the session's refresh tokens.
    pub family_id: String,
    /// Owner.
    pub user_id: i64,
    /// The user's token version when the session began; a later bump ends it.
    pub token_version: i32,
    /// Created at.
    pub created_at: DateTimeUtc,
    /// Set when the session was ended (logout, logout-all, reuse, password reset).
    pub revoked_at: Option<DateTimeUtc>,
}

/// No declared relations: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
