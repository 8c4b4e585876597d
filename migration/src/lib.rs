//! Database migrations; the same migrations serve SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261121_000001_foundation;
mod m20261122_000002_points;
mod m20261201_000003_sessions;
mod m20261201_000004_refresh_successor;
mod m20261204_000005_media;
mod m20261204_000006_community_pages;
mod m20261204_000007_shelf;
mod m20261204_000008_points_aggregates;
mod m20261204_000009_community_position_index;
mod m20261205_000010_volunteers;
mod m20261205_000011_activities;
mod m20261205_000012_stations;
mod util;

/// Runs every migration in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261121_000001_foundation::Migration),
            Box::new(m20261122_000002_points::Migration),
            Box::new(m20261201_000003_sessions::Migration),
            Box::new(m20261201_000004_refresh_successor::Migration),
            Box::new(m20261204_000005_media::Migration),
            Box::new(m20261204_000006_community_pages::Migration),
            Box::new(m20261204_000007_shelf::Migration),
            Box::new(m20261204_000008_points_aggregates::Migration),
            Box::new(m20261204_000009_community_position_index::Migration),
            Box::new(m20261205_000010_volunteers::Migration),
            Box::new(m20261205_000011_activities::Migration),
            Box::new(m20261205_000012_stations::Migration),
        ]
    }
}
