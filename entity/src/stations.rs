//! The `stations` table: courier stations (红蜂驿站).

use sea_orm::entity::prelude::*;

/// A row of `stations`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "stations")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Community that runs it.
    pub community_id: i64,
    /// Name.
    pub name: String,
    /// Street address.
    pub address: String,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lng: f64,
    /// Service codes, comma-separated (`charging,water`), each once.
    pub services: String,
    /// Opening hours, as people read them.
    pub opening_hours: String,
    /// Staff member who created it (null once that user is deleted).
    pub created_by: Option<i64>,
    /// Created at.
    pub created_at: DateTimeUtc,
    /// Updated at.
    pub updated_at: DateTimeUtc,
}

/// No declared relations: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
