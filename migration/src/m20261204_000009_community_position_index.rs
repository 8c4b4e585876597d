//! Nearest-first lookups read communities by a bounding box on `lat`/`lng`, then need only
//! `street_id` (the street filter) and `id`: an index on `(lat, lng, street_id, id)` answers
//! the box from the index alone (an index-only scan on PostgreSQL, a covering index on
//! SQLite), in place of the plain `(lat, lng)` one.

use sea_orm_migration::prelude::*;

use crate::util::{c, index};

/// `ix_communities_position` replaces `ix_communities_lat_lng`.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261204_000009_community_position_index"
    }
}

const OLD: &str = "ix_communities_lat_lng";
const NEW: &str = "ix_communities_position";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(index(
            NEW,
            "communities",
            &["lat", "lng", "street_id", "id"],
            false,
        ))
        .await?;
        m.drop_index(Index::drop().name(OLD).table(c("communities")).to_owned())
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(index(OLD, "communities", &["lat", "lng"], false))
            .await?;
        m.drop_index(Index::drop().name(NEW).table(c("communities")).to_owned())
            .await
    }
}
