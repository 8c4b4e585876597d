//! Courier stations (红蜂驿站): places a community's staff open to couriers and delivery riders
//! (charging, water, a rest …). `services` is a comma-separated list of service codes
//! (`charging,water,toilet`), in the order of the API's `StationService` enum, each once.
//! Nearest-first lookups read stations by a bounding box on `lat`/`lng`: an index on
//! `(lat, lng, id)` answers the box; `community_id` is indexed for the community's cascade.

use sea_orm_migration::{prelude::*, schema::*};

use crate::util::{c, fk, index, table};

/// The `stations` table.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261205_000012_stations"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, SetNull};
        m.create_table(
            table("stations")
                .col(big_integer(c("community_id")))
                .col(text(c("name")))
                .col(text(c("address")))
                .col(double(c("lat")))
                .col(double(c("lng")))
                .col(text(c("services")))
                .col(text(c("opening_hours")))
                .col(big_integer_null(c("created_by")))
                .col(timestamp_with_time_zone(c("created_at")))
                .col(timestamp_with_time_zone(c("updated_at")))
                .foreign_key(&mut fk("stations", "community_id", "communities", Cascade))
                .foreign_key(&mut fk("stations", "created_by", "users", SetNull))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ix_stations_position",
            "stations",
            &["lat", "lng", "id"],
            false,
        ))
        .await?;
        m.create_index(index(
            "ix_stations_community",
            "stations",
            &["community_id"],
            false,
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(c("stations")).if_exists().take())
            .await
    }
}
