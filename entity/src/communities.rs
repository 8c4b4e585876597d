//! The `communities` table.

use sea_orm::entity::prelude::*;

pub use crate::enums::SupermarketPolicy;

/// A row of `communities`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "communities")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Street.
    pub street_id: i64,
    /// Name, unique in the street.
    pub name: String,
    /// Centre latitude.
    pub lat: f64,
    /// Centre longitude.
    pub lng: f64,
    /// Check-in radius in metres.
    pub checkin_radius_m: i32,
    /// Optional boundary, GeoJSON Polygon or MultiPolygon text.
    pub boundary: Option<String>,
    /// Where the supermarket hands goods out, free text.
    pub pickup_address: Option<String>,
    /// When it hands goods out, free text (e.g. 周一至周五 9:00-17:00).
    pub pickup_hours: Option<String>,
    /// Whom the supermarket serves.
    pub supermarket_policy: SupermarketPolicy,
    /// True when check-ins need the rotating on-site code.
    pub checkin_requires_code: bool,
    /// Created at.
    pub created_at: DateTimeUtc,
    /// Updated at.
    pub updated_at: DateTimeUtc,
}

/// No declared relations: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
