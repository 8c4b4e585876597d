//! The `refresh_tokens` table.

use sea_orm::entity::prelude::*;

/// A row of `refresh_tokens`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "refresh_tokens")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Owner.
    pub user_id: i64,
    /// All tokens rotated from one login share a family.
    pub family_id: String,
    /// SHA-256 of the opaque token (hex).
    pub token_hash: String,
    /// Expires at.
    pub expires_at: DateTimeUtc,
    /// Set when this token was exchanged for a new one.
    pub rotated_at: Option<DateTimeUtc>,
    /// Set when the family was ended (logout or reuse).
    pub revoked_at: Option<DateTimeUtc>,
    /// Created at.
    pub created_at: DateTimeUtc,
    /// Once rotated: the row of the token it was exchanged for.
    pub successor_id: Option<i64>,
    /// Once rotated: that successor token, sealed by the server; honoured only within the
    /// reuse grace after `rotated_at`, cleared when the family moves on or ends.
    pub successor_sealed: Option<String>,
}

/// No declared relations: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
