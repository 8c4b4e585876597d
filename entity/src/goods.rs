//! The `goods` table.

use sea_orm::entity::prelude::*;

/// A row of `goods`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "goods")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Community whose supermarket stocks it.
    pub community_id: i64,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Picture.
    pub image_url: Option<String>,
    /// Category.
    pub category: Option<String>,
    /// Price in points.
    pub points_price: i64,
    /// Units on the shelf now, never negative.
    pub stock: i64,
    /// Stock when the goods were created.
    pub initial_stock: i64,
    /// Initial stock plus every restock.
    pub total_stocked: i64,
    /// Most units one user may redeem per month.
    pub monthly_limit_per_user: Option<i64>,
    /// Off-shelf goods cannot be redeemed.
    pub on_shelf: bool,
    /// Created at.
    pub created_at: DateTimeUtc,
    /// Updated at.
    pub updated_at: DateTimeUtc,
}

/// No declared relations: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
