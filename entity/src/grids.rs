//! The `grids` table.

use sea_orm::entity::prelude::*;

/// A row of `grids`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "grids")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Community.
    pub community_id: i64,
    /// Name, unique in the community.
    pub name: String,
    /// Boundary, GeoJSON Polygon or MultiPolygon text.
    pub boundary: String,
    /// Bounding box of the boundary, for a quick first test.
    pub min_lat: f64,
    /// Bounding box.
    pub max_lat: f64,
    /// Bounding box.
    pub min_lng: f64,
    /// Bounding box.
    pub max_lng: f64,
    /// The grid worker responsible.
    pub worker_user_id: Option<i64>,
    /// Created at.
    pub created_at: DateTimeUtc,
    /// Updated at.
    pub updated_at: DateTimeUtc,
}

/// No declared relations: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
