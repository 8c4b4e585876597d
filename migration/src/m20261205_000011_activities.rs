//! Volunteer activities (志愿活动): the activities a community publishes, the volunteers'
//! sign-ups with their check-ins and confirmed hours, and `service_monthly`, the maintained
//! monthly aggregate of confirmed service that `GET /me/service-records` reads.

use sea_orm_migration::{prelude::*, schema::*};

use crate::util::{c, fk, index, table};

/// The `activities`, `activity_signups` and `service_monthly` tables.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261205_000011_activities"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("activities")
                .col(big_integer(c("community_id")))
                .col(text(c("title")))
                .col(text(c("description")))
                .col(text(c("location")))
                .col(double(c("lat")))
                .col(double(c("lng")))
                .col(timestamp_with_time_zone(c("starts_at")))
                .col(timestamp_with_time_zone(c("ends_at")))
                .col(integer(c("capacity")))
                // The places taken never pass the capacity (the sign-up's conditional update).
                .col(
                    integer(c("taken"))
                        .default(0)
                        .check(Expr::col(c("taken")).gte(0)),
                )
                .col(big_integer_null(c("points_per_hour")))
                .col(big_integer_null(c("points_fixed")))
                .col(text_null(c("kinds_allowed")))
                .col(text(c("status")))
                .col(big_integer(c("created_by")))
                .col(timestamp_with_time_zone_null(c("cancelled_at")))
                .col(timestamp_with_time_zone(c("created_at")))
                .col(timestamp_with_time_zone(c("updated_at")))
                .foreign_key(&mut fk(
                    "activities",
                    "community_id",
                    "communities",
                    ForeignKeyAction::Cascade,
                ))
                .take(),
        )
        .await?;
        // A community's activities by start (the public list with from/to).
        m.create_index(index(
            "ix_activities_community_starts",
            "activities",
            &["community_id", "starts_at", "id"],
            false,
        ))
        .await?;

        m.create_table(
            table("activity_signups")
                .col(big_integer(c("activity_id")))
                .col(big_integer(c("user_id")))
                .col(timestamp_with_time_zone_null(c("checked_in_at")))
                .col(text_null(c("checkin_evidence")))
                .col(timestamp_with_time_zone_null(c("checked_out_at")))
                .col(text_null(c("checkout_evidence")))
                .col(big_integer_null(c("hours_centi")))
                .col(big_integer(c("points_awarded")).default(0))
                .col(big_integer_null(c("confirmed_by")))
                .col(timestamp_with_time_zone_null(c("confirmed_at")))
                .col(timestamp_with_time_zone(c("created_at")))
                .foreign_key(&mut fk(
                    "activity_signups",
                    "activity_id",
                    "activities",
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    "activity_signups",
                    "user_id",
                    "users",
                    ForeignKeyAction::Cascade,
                ))
                .take(),
        )
        .await?;
        // One sign-up per volunteer and activity: the double sign-up guard.
        m.create_index(index(
            "ux_activity_signups_activity_user",
            "activity_signups",
            &["activity_id", "user_id"],
            true,
        ))
        .await?;
        // A volunteer's sign-ups.
        m.create_index(index(
            "ix_activity_signups_user",
            "activity_signups",
            &["user_id", "id"],
            false,
        ))
        .await?;

        m.create_table(
            table("service_monthly")
                .col(big_integer(c("user_id")))
                .col(big_integer(c("community_id")))
                .col(date(c("month")))
                .col(big_integer(c("hours_centi")).default(0))
                .col(big_integer(c("activities")).default(0))
                .take(),
        )
        .await?;
        // The records read (user, month …); the upsert's conflict target.
        m.create_index(index(
            "uq_service_monthly_user_month_community",
            "service_monthly",
            &["user_id", "month", "community_id"],
            true,
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for name in ["service_monthly", "activity_signups", "activities"] {
            m.drop_table(Table::drop().table(c(name)).if_exists().take())
                .await?;
        }
        Ok(())
    }
}
