//! The `goods_restocks` table.

use sea_orm::entity::prelude::*;

/// A row of `goods_restocks`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "goods_restocks")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Goods.
    pub goods_id: i64,
    /// Units added.
    pub quantity: i64,
    /// Note (donor, batch).
    pub note: String,
    /// Staff member.
    pub actor_id: i64,
    /// When.
    pub created_at: DateTimeUtc,
}

/// No declared relations: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
