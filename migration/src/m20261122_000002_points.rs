//! The points ledger, the civility supermarket and idempotency keys.

use sea_orm_migration::{prelude::*, schema::*};

use crate::util::{c, fk, index, table};

/// Points, goods, redemptions.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261122_000002_points"
    }
}

const TABLES: &[&str] = &[
    "idempotency_keys",
    "redemptions",
    "goods_restocks",
    "goods",
    "points_rules",
    "points_entries",
    "points_wallets",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, Restrict};
        let now = || timestamp_with_time_zone(c("created_at"));

        m.create_table(
            table("points_wallets")
                .col(big_integer(c("user_id")))
                .col(
                    big_integer(c("balance"))
                        .default(0)
                        .check(Expr::col(c("balance")).gte(0)),
                )
                .col(big_integer(c("lifetime_earned")).default(0))
                .col(timestamp_with_time_zone(c("updated_at")))
                .foreign_key(&mut fk("points_wallets", "user_id", "users", Cascade))
                .take(),
        )
        .await?;
        m.create_index(index(
            "uq_points_wallets_user",
            "points_wallets",
            &["user_id"],
            true,
        ))
        .await?;

        m.create_table(
            table("points_entries")
                .col(big_integer(c("user_id")))
                .col(big_integer(c("community_id")))
                .col(big_integer(c("amount")))
                .col(big_integer(c("balance_after")).check(Expr::col(c("balance_after")).gte(0)))
                .col(text(c("kind")))
                .col(text(c("reason")))
                .col(text(c("source")))
                .col(text(c("idempotency_key")))
                .col(text_null(c("ref_type")))
                .col(big_integer_null(c("ref_id")))
                .col(big_integer_null(c("actor_id")))
                .col(now())
                .foreign_key(&mut fk("points_entries", "user_id", "users", Restrict))
                .foreign_key(&mut fk(
                    "points_entries",
                    "community_id",
                    "communities",
                    Restrict,
                ))
                .take(),
        )
        .await?;
        m.create_index(index(
            "uq_points_entries_source_key",
            "points_entries",
            &["source", "idempotency_key"],
            true,
        ))
        .await?;
        m.create_index(index(
            "ix_points_entries_user",
            "points_entries",
            &["user_id", "id"],
            false,
        ))
        .await?;
        m.create_index(index(
            "ix_points_entries_caps",
            "points_entries",
            &["user_id", "community_id", "source", "created_at"],
            false,
        ))
        .await?;
        m.create_index(index(
            "ix_points_entries_community_kind",
            "points_entries",
            &["community_id", "kind", "created_at"],
            false,
        ))
        .await?;
        m.create_index(index(
            "ix_points_entries_community_kind_id",
            "points_entries",
            &["community_id", "kind", "id"],
            false,
        ))
        .await?;

        m.create_table(
            table("points_rules")
                .col(big_integer(c("community_id")))
                .col(text(c("action")))
                .col(big_integer(c("points")))
                .col(big_integer_null(c("daily_cap")))
                .col(big_integer_null(c("monthly_cap")))
                .col(boolean(c("enabled")).default(true))
                .col(big_integer_null(c("updated_by")))
                .col(timestamp_with_time_zone(c("updated_at")))
                .foreign_key(&mut fk(
                    "points_rules",
                    "community_id",
                    "communities",
                    Cascade,
                ))
                .take(),
        )
        .await?;
        m.create_index(index(
            "uq_points_rules_community_action",
            "points_rules",
            &["community_id", "action"],
            true,
        ))
        .await?;

        m.create_table(
            table("goods")
                .col(big_integer(c("community_id")))
                .col(text(c("name")))
                .col(text(c("description")))
                .col(text_null(c("image_url")))
                .col(text_null(c("category")))
                .col(big_integer(c("points_price")).check(Expr::col(c("points_price")).gt(0)))
                .col(big_integer(c("stock")).check(Expr::col(c("stock")).gte(0)))
                .col(big_integer(c("initial_stock")))
                .col(big_integer(c("total_stocked")))
                .col(big_integer_null(c("monthly_limit_per_user")))
                .col(boolean(c("on_shelf")).default(true))
                .col(now())
                .col(timestamp_with_time_zone(c("updated_at")))
                .foreign_key(&mut fk("goods", "community_id", "communities", Restrict))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ix_goods_community",
            "goods",
            &["community_id", "on_shelf", "id"],
            false,
        ))
        .await?;

        m.create_table(
            table("goods_restocks")
                .col(big_integer(c("goods_id")))
                .col(big_integer(c("quantity")))
                .col(text(c("note")))
                .col(big_integer(c("actor_id")))
                .col(now())
                .foreign_key(&mut fk("goods_restocks", "goods_id", "goods", Cascade))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ix_goods_restocks_goods",
            "goods_restocks",
            &["goods_id"],
            false,
        ))
        .await?;

        m.create_table(
            table("redemptions")
                .col(big_integer(c("user_id")))
                .col(big_integer(c("community_id")))
                .col(big_integer(c("goods_id")))
                .col(big_integer(c("quantity")).check(Expr::col(c("quantity")).gt(0)))
                .col(big_integer(c("points")))
                .col(text(c("code")))
                .col(text(c("status")))
                .col(timestamp_with_time_zone(c("expires_at")))
                .col(now())
                .col(timestamp_with_time_zone_null(c("fulfilled_at")))
                .col(big_integer_null(c("fulfilled_by")))
                .col(timestamp_with_time_zone_null(c("closed_at")))
                .foreign_key(&mut fk("redemptions", "user_id", "users", Restrict))
                .foreign_key(&mut fk(
                    "redemptions",
                    "community_id",
                    "communities",
                    Restrict,
                ))
                .foreign_key(&mut fk("redemptions", "goods_id", "goods", Restrict))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ix_redemptions_status_expiry",
            "redemptions",
            &["status", "expires_at"],
            false,
        ))
        .await?;
        m.create_index(index(
            "ix_redemptions_user",
            "redemptions",
            &["user_id", "id"],
            false,
        ))
        .await?;
        m.create_index(index(
            "ix_redemptions_user_goods",
            "redemptions",
            &["user_id", "goods_id", "created_at"],
            false,
        ))
        .await?;
        m.create_index(index(
            "ix_redemptions_community",
            "redemptions",
            &["community_id", "status", "created_at"],
            false,
        ))
        .await?;
        // A pickup code names one pending redemption in its community; codes are reused later.
        m.get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX uq_redemptions_pending_code ON redemptions (community_id, code) \
                 WHERE status = 'pending'",
            )
            .await?;

        m.create_table(
            table("idempotency_keys")
                .col(big_integer(c("user_id")))
                .col(text(c("scope")))
                .col(text(c("key")))
                .col(text(c("request_hash")))
                .col(text(c("status")))
                .col(integer_null(c("response_status")))
                .col(text_null(c("response_body")))
                .col(now())
                .col(timestamp_with_time_zone(c("updated_at")))
                .foreign_key(&mut fk("idempotency_keys", "user_id", "users", Cascade))
                .take(),
        )
        .await?;
        m.create_index(index(
            "uq_idempotency_keys_user_scope_key",
            "idempotency_keys",
            &["user_id", "scope", "key"],
            true,
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for name in TABLES {
            m.drop_table(Table::drop().table(Alias::new(*name)).if_exists().take())
                .await?;
        }
        Ok(())
    }
}
