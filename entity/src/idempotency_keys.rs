//! The `idempotency_keys` table.

use sea_orm::entity::prelude::*;

pub use crate::enums::KeyStatus;

/// A row of `idempotency_keys`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency_keys")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Whose key.
    pub user_id: i64,
    /// Which operation, e.g. `redemption`.
    pub scope: String,
    /// The client's `Idempotency-Key`.
    pub key: String,
    /// SHA-256 of the request body.
    pub request_hash: String,
    /// `running` or `done`.
    pub status: KeyStatus,
    /// Stored response status.
    pub response_status: Option<i32>,
    /// Stored response body, replayed byte for byte.
    pub response_body: Option<String>,
    /// Created at.
    pub created_at: DateTimeUtc,
    /// Updated at.
    pub updated_at: DateTimeUtc,
}

/// No declared relations: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
