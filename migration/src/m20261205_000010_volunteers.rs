//! Volunteers: registrations with communities (报到), on-site check-ins, and whether a
//! community requires the rotating code to check in.

use sea_orm_migration::{prelude::*, schema::*};

use crate::util::{c, fk, index, table};

/// The `volunteer_registrations` and `checkins` tables, `communities.checkin_requires_code`.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261205_000010_volunteers"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(c("communities"))
                .add_column(boolean(c("checkin_requires_code")).default(false))
                .take(),
        )
        .await?;
        m.create_table(
            table("volunteer_registrations")
                .col(big_integer(c("user_id")))
                .col(big_integer(c("community_id")))
                .col(text(c("kind")))
                .col(text(c("organisation")))
                .col(text_null(c("details")))
                .col(text(c("status")))
                .col(text_null(c("reject_reason")))
                .col(big_integer_null(c("reviewed_by")))
                .col(timestamp_with_time_zone_null(c("reviewed_at")))
                .col(timestamp_with_time_zone(c("created_at")))
                .foreign_key(&mut fk(
                    "volunteer_registrations",
                    "user_id",
                    "users",
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "volunteer_registrations",
                    "community_id",
                    "communities",
                    ForeignKeyAction::Cascade,
                ))
                .take(),
        )
        .await?;
        // One registration per person, community and kind.
        m.create_index(index(
            "ux_volunteer_registrations_user_community_kind",
            "volunteer_registrations",
            &["user_id", "community_id", "kind"],
            true,
        ))
        .await?;
        // The review queue and the roster, newest first.
        m.create_index(index(
            "ix_volunteer_registrations_community_status",
            "volunteer_registrations",
            &["community_id", "status", "id"],
            false,
        ))
        .await?;

        m.create_table(
            table("checkins")
                .col(big_integer(c("user_id")))
                .col(big_integer(c("community_id")))
                .col(text(c("local_day")))
                .col(text(c("evidence")))
                .col(integer(c("distance_m")))
                .col(integer_null(c("accuracy_m")))
                .col(text(c("status")))
                .col(integer_null(c("speed_kmh")))
                .col(big_integer(c("points_awarded")).default(0))
                .col(double_null(c("lat")))
                .col(double_null(c("lng")))
                .col(big_integer_null(c("reviewed_by")))
                .col(timestamp_with_time_zone_null(c("reviewed_at")))
                .col(timestamp_with_time_zone(c("created_at")))
                .foreign_key(&mut fk(
                    "checkins",
                    "user_id",
                    "users",
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "checkins",
                    "community_id",
                    "communities",
                    ForeignKeyAction::Cascade,
                ))
                .take(),
        )
        .await?;
        // One check-in per volunteer, community and local day: the double-count guard.
        m.create_index(index(
            "ux_checkins_user_community_day",
            "checkins",
            &["user_id", "community_id", "local_day"],
            true,
        ))
        .await?;
        // The staff queue by status, and the figures by day.
        m.create_index(index(
            "ix_checkins_community_status",
            "checkins",
            &["community_id", "status", "id"],
            false,
        ))
        .await?;
        m.create_index(index(
            "ix_checkins_community_day",
            "checkins",
            &["community_id", "local_day"],
            false,
        ))
        .await?;
        // The speed check reads a volunteer's latest check-in.
        m.create_index(index(
            "ix_checkins_user",
            "checkins",
            &["user_id", "id"],
            false,
        ))
        .await?;
        // The sweeper finds coordinates older than a week.
        m.create_index(index(
            "ix_checkins_created",
            "checkins",
            &["created_at"],
            false,
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for name in ["checkins", "volunteer_registrations"] {
            m.drop_table(Table::drop().table(c(name)).if_exists().take())
                .await?;
        }
        m.alter_table(
            Table::alter()
                .table(c("communities"))
                .drop_column(c("checkin_requires_code"))
                .take(),
        )
        .await
    }
}
