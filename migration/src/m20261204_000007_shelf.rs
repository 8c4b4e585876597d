//! The shelf is filtered by category and lists its categories with counts: an index on
//! `goods (community_id, category, id)` serves both (and pages a category newest first).

use sea_orm_migration::prelude::*;

use crate::util::{c, index};

/// `ix_goods_community_category`.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261204_000007_shelf"
    }
}

const INDEX: &str = "ix_goods_community_category";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(index(
            INDEX,
            "goods",
            &["community_id", "category", "id"],
            false,
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(Index::drop().name(INDEX).table(c("goods")).to_owned())
            .await
    }
}
