//! Maintained points aggregates: `points_monthly` holds each user's earnings and spendings
//! per community and month (Asia/Shanghai), so the passbook summary and the leaderboards read
//! a few rows instead of the user's or the community's whole history. The ledger updates it
//! in the same transaction as every entry; `up` backfills it from the existing entries.

use sea_orm_migration::{
    prelude::*,
    schema::*,
    sea_orm::{ConnectionTrait, DatabaseBackend},
};

use crate::util::{c, index, table};

/// `points_monthly`, its two indexes and the backfill.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261204_000008_points_aggregates"
    }
}

const TABLE: &str = "points_monthly";

/// Earned counts `earn` entries; spent is minus the `redeem`, `refund` and `expire` entries
/// (the summary's definitions); `adjust` entries count in neither.
const SUMS: &str = "CAST(SUM(CASE WHEN kind = 'earn' THEN amount ELSE 0 END) AS BIGINT), \
     CAST(-SUM(CASE WHEN kind IN ('redeem', 'refund', 'expire') THEN amount ELSE 0 END) AS BIGINT) \
     FROM points_entries WHERE kind IN ('earn', 'redeem', 'refund', 'expire')";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table(TABLE)
                .col(big_integer(c("user_id")))
                .col(big_integer(c("community_id")))
                .col(date(c("month")))
                .col(big_integer(c("earned")).default(0))
                .col(big_integer(c("spent")).default(0))
                .take(),
        )
        .await?;
        // The summary reads (user, month); the upsert's conflict target.
        m.create_index(index(
            "uq_points_monthly_user_month_community",
            TABLE,
            &["user_id", "month", "community_id"],
            true,
        ))
        .await?;
        // The month and year leaderboards: a range of months of one community.
        m.create_index(index(
            "ix_points_monthly_community_month",
            TABLE,
            &["community_id", "month", "user_id", "earned"],
            false,
        ))
        .await?;
        let month = match m.get_database_backend() {
            DatabaseBackend::Postgres => {
                "CAST(date_trunc('month', created_at AT TIME ZONE 'Asia/Shanghai') AS DATE)"
            }
            // Asia/Shanghai has kept UTC+8 without daylight saving since 1991.
            _ => "date(created_at, '+8 hours', 'start of month')",
        };
        let backfill = format!(
            "INSERT INTO {TABLE} (user_id, community_id, month, earned, spent) \
             SELECT user_id, community_id, {month}, {SUMS} \
             GROUP BY user_id, community_id, {month}"
        );
        m.get_connection().execute_unprepared(&backfill).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(c(TABLE)).to_owned()).await
    }
}
