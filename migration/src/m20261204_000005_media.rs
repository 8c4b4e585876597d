//! Uploaded pictures: one row per stored upload, naming its content-addressed file.

use sea_orm_migration::{prelude::*, schema::*};

use crate::util::{c, fk, index, table};

/// The `media` table.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261204_000005_media"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("media")
                .col(text(c("name")))
                .col(text(c("content_type")))
                .col(big_integer(c("bytes")))
                .col(integer(c("width")))
                .col(integer(c("height")))
                .col(text(c("purpose")))
                .col(big_integer(c("uploader_id")))
                .col(big_integer(c("subject_id")))
                .col(timestamp_with_time_zone(c("created_at")))
                .foreign_key(&mut fk(
                    "media",
                    "uploader_id",
                    "users",
                    ForeignKeyAction::Cascade,
                ))
                .take(),
        )
        .await?;
        m.create_index(index("ix_media_name", "media", &["name"], false))
            .await?;
        m.create_index(index("ix_media_uploader", "media", &["uploader_id"], false))
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(c("media")).if_exists().take())
            .await
    }
}
