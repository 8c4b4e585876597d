//! Identity, roles, the community map, residents and the audit log.

use sea_orm_migration::{prelude::*, schema::*};

use crate::util::{c, fk, index, table};

/// The foundation schema.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261121_000001_foundation"
    }
}

const TABLES: &[&str] = &[
    "audit_logs",
    "residences",
    "households",
    "grids",
    "role_assignments",
    "communities",
    "streets",
    "districts",
    "refresh_tokens",
    "users",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, Restrict, SetNull};
        let now = || timestamp_with_time_zone(c("created_at"));
        m.create_table(
            table("users")
                .col(text_null(c("openid")))
                .col(text_null(c("unionid")))
                .col(text_null(c("session_key")))
                .col(text_null(c("username")))
                .col(text_null(c("password_hash")))
                .col(text(c("nickname")))
                .col(text_null(c("avatar_url")))
                .col(text_null(c("phone")))
                .col(integer(c("token_version")).default(0))
                .col(boolean(c("disabled")).default(false))
                .col(now())
                .col(timestamp_with_time_zone(c("updated_at")))
                .take(),
        )
        .await?;
        m.create_index(index("uq_users_openid", "users", &["openid"], true))
            .await?;
        m.create_index(index("uq_users_username", "users", &["username"], true))
            .await?;

        m.create_table(
            table("refresh_tokens")
                .col(big_integer(c("user_id")))
                .col(text(c("family_id")))
                .col(text(c("token_hash")))
                .col(timestamp_with_time_zone(c("expires_at")))
                .col(timestamp_with_time_zone_null(c("rotated_at")))
                .col(timestamp_with_time_zone_null(c("revoked_at")))
                .col(now())
                .foreign_key(&mut fk("refresh_tokens", "user_id", "users", Cascade))
                .take(),
        )
        .await?;
        m.create_index(index(
            "uq_refresh_tokens_hash",
            "refresh_tokens",
            &["token_hash"],
            true,
        ))
        .await?;
        m.create_index(index(
            "ix_refresh_tokens_family",
            "refresh_tokens",
            &["family_id"],
            false,
        ))
        .await?;

        m.create_table(table("districts").col(text(c("name"))).col(now()).take())
            .await?;
        m.create_index(index("uq_districts_name", "districts", &["name"], true))
            .await?;

        m.create_table(
            table("streets")
                .col(big_integer(c("district_id")))
                .col(text(c("name")))
                .col(now())
                .foreign_key(&mut fk("streets", "district_id", "districts", Restrict))
                .take(),
        )
        .await?;
        m.create_index(index(
            "uq_streets_district_name",
            "streets",
            &["district_id", "name"],
            true,
        ))
        .await?;

        m.create_table(
            table("communities")
                .col(big_integer(c("street_id")))
                .col(text(c("name")))
                .col(double(c("lat")))
                .col(double(c("lng")))
                .col(integer(c("checkin_radius_m")))
                .col(text_null(c("boundary")))
                .col(now())
                .col(timestamp_with_time_zone(c("updated_at")))
                .foreign_key(&mut fk("communities", "street_id", "streets", Restrict))
                .take(),
        )
        .await?;
        m.create_index(index(
            "uq_communities_street_name",
            "communities",
            &["street_id", "name"],
            true,
        ))
        .await?;
        m.create_index(index(
            "ix_communities_lat_lng",
            "communities",
            &["lat", "lng"],
            false,
        ))
        .await?;

        m.create_table(
            table("role_assignments")
                .col(big_integer(c("user_id")))
                .col(text(c("role")))
                .col(big_integer(c("scope_id")))
                .col(big_integer_null(c("created_by")))
                .col(now())
                .foreign_key(&mut fk("role_assignments", "user_id", "users", Cascade))
                .take(),
        )
        .await?;
        m.create_index(index(
            "uq_role_assignments_user_role_scope",
            "role_assignments",
            &["user_id", "role", "scope_id"],
            true,
        ))
        .await?;
        m.create_index(index(
            "ix_role_assignments_role_scope",
            "role_assignments",
            &["role", "scope_id"],
            false,
        ))
        .await?;

        m.create_table(
            table("grids")
                .col(big_integer(c("community_id")))
                .col(text(c("name")))
                .col(text(c("boundary")))
                .col(double(c("min_lat")))
                .col(double(c("max_lat")))
                .col(double(c("min_lng")))
                .col(double(c("max_lng")))
                .col(big_integer_null(c("worker_user_id")))
                .col(now())
                .col(timestamp_with_time_zone(c("updated_at")))
                .foreign_key(&mut fk("grids", "community_id", "communities", Restrict))
                .foreign_key(&mut fk("grids", "worker_user_id", "users", SetNull))
                .take(),
        )
        .await?;
        m.create_index(index(
            "uq_grids_community_name",
            "grids",
            &["community_id", "name"],
            true,
        ))
        .await?;

        m.create_table(
            table("households")
                .col(big_integer(c("community_id")))
                .col(text(c("building")))
                .col(text(c("unit")))
                .col(text(c("room")))
                .col(big_integer_null(c("grid_id")))
                .col(big_integer_null(c("floor_area_dm2")))
                .col(now())
                .foreign_key(&mut fk(
                    "households",
                    "community_id",
                    "communities",
                    Restrict,
                ))
                .foreign_key(&mut fk("households", "grid_id", "grids", Restrict))
                .take(),
        )
        .await?;
        m.create_index(index(
            "uq_households_address",
            "households",
            &["community_id", "building", "unit", "room"],
            true,
        ))
        .await?;

        m.create_table(
            table("residences")
                .col(big_integer(c("user_id")))
                .col(big_integer(c("community_id")))
                .col(text(c("building")))
                .col(text(c("unit")))
                .col(text(c("room")))
                .col(text(c("relation")))
                .col(big_integer_null(c("floor_area_dm2")))
                .col(big_integer_null(c("suggested_grid_id")))
                .col(text(c("status")))
                .col(big_integer_null(c("household_id")))
                .col(text_null(c("reject_reason")))
                .col(big_integer_null(c("reviewed_by")))
                .col(timestamp_with_time_zone_null(c("reviewed_at")))
                .col(now())
                .foreign_key(&mut fk("residences", "user_id", "users", Cascade))
                .foreign_key(&mut fk(
                    "residences",
                    "community_id",
                    "communities",
                    Restrict,
                ))
                .foreign_key(&mut fk(
                    "residences",
                    "household_id",
                    "households",
                    Restrict,
                ))
                .foreign_key(&mut fk("residences", "suggested_grid_id", "grids", SetNull))
                .take(),
        )
        .await?;
        m.create_index(index(
            "ix_residences_community_status",
            "residences",
            &["community_id", "status", "id"],
            false,
        ))
        .await?;
        m.create_index(index(
            "ix_residences_user",
            "residences",
            &["user_id"],
            false,
        ))
        .await?;
        // One live application per person and address; a rejected one may be filed again.
        m.get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX uq_residences_user_address_live ON residences \
                 (user_id, community_id, building, unit, room) WHERE status <> 'rejected'",
            )
            .await?;

        m.create_table(
            table("audit_logs")
                .col(big_integer_null(c("actor_id")))
                .col(text(c("action")))
                .col(text(c("object_type")))
                .col(big_integer(c("object_id")))
                .col(big_integer_null(c("community_id")))
                .col(text(c("detail")))
                .col(now())
                .take(),
        )
        .await?;
        m.create_index(index(
            "ix_audit_logs_object",
            "audit_logs",
            &["object_type", "object_id"],
            false,
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
