//! A rotated refresh token remembers its successor for a short grace: its row id and the
//! successor token sealed (encrypted) by the server, so that a lost answer or parallel
//! refreshes get the same successor instead of ending the session.

use sea_orm_migration::{prelude::*, schema::*};

use crate::util::c;

/// Nullable `successor_id` and `successor_sealed` on `refresh_tokens`.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000004_refresh_successor"
    }
}

// SQLite alters one column per statement.
const COLUMNS: [&str; 2] = ["successor_id", "successor_sealed"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(c("refresh_tokens"))
                .add_column(big_integer_null(c("successor_id")))
                .take(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(c("refresh_tokens"))
                .add_column(text_null(c("successor_sealed")))
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for column in COLUMNS.iter().rev() {
            m.alter_table(
                Table::alter()
                    .table(c("refresh_tokens"))
                    .drop_column(c(column))
                    .take(),
            )
            .await?;
        }
        Ok(())
    }
}
