//! The pages residents and the desk were missing: where and when a community's supermarket
//! hands goods out (`pickup_address`, `pickup_hours`), and whom it serves
//! (`supermarket_policy`: `residents`, `members` or `anyone`, default `members`).

use sea_orm_migration::{prelude::*, schema::*};

use crate::util::c;

/// Nullable `pickup_address`, `pickup_hours` and `supermarket_policy` (default `members`) on
/// `communities`.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261204_000006_community_pages"
    }
}

// SQLite alters one column per statement.
const COLUMNS: [&str; 3] = ["pickup_address", "pickup_hours", "supermarket_policy"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for column in [text_null(c("pickup_address")), text_null(c("pickup_hours"))] {
            m.alter_table(
                Table::alter()
                    .table(c("communities"))
                    .add_column(column)
                    .take(),
            )
            .await?;
        }
        m.alter_table(
            Table::alter()
                .table(c("communities"))
                .add_column(text(c("supermarket_policy")).default("members"))
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for column in COLUMNS.iter().rev() {
            m.alter_table(
                Table::alter()
                    .table(c("communities"))
                    .drop_column(c(column))
                    .take(),
            )
            .await?;
        }
        Ok(())
    }
}
