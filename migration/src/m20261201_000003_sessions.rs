//! Login sessions: one row per refresh-token family, so that access tokens can name their
//! session and die with it.

use sea_orm_migration::{prelude::*, schema::*};

use crate::util::{c, fk, index, table};

/// The `sessions` table, filled from the refresh-token families that exist.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000003_sessions"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("sessions")
                .col(text(c("family_id")))
                .col(big_integer(c("user_id")))
                .col(integer(c("token_version")))
                .col(timestamp_with_time_zone(c("created_at")))
                .col(timestamp_with_time_zone_null(c("revoked_at")))
                .foreign_key(&mut fk(
                    "sessions",
                    "user_id",
                    "users",
                    ForeignKeyAction::Cascade,
                ))
                .take(),
        )
        .await?;
        m.create_index(index(
            "uq_sessions_family",
            "sessions",
            &["family_id"],
            true,
        ))
        .await?;
        m.create_index(index("ix_sessions_user", "sessions", &["user_id"], false))
            .await?;
        // Families that exist keep working: each becomes a session at the user's current
        // token version (revoked when its tokens were).
        m.get_connection()
            .execute_unprepared(
                "INSERT INTO sessions (family_id, user_id, token_version, created_at, revoked_at) \
                 SELECT t.family_id, t.user_id, u.token_version, MIN(t.created_at), MAX(t.revoked_at) \
                 FROM refresh_tokens t JOIN users u ON u.id = t.user_id \
                 GROUP BY t.family_id, t.user_id, u.token_version",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(c("sessions")).if_exists().take())
            .await
    }
}
