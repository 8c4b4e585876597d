//! Service records: `service_monthly` holds, per volunteer, community and month
//! (Asia/Shanghai, the month the activity started), the confirmed hours (in hundredths) and
//! activities. The confirmation of attendance upserts it in its own transaction, as the
//! ledger keeps `points_monthly`, so the records read a bounded number of rows.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use entity::{communities, service_monthly};
use sea_orm::{
    sea_query::{Alias, Expr, ExprTrait, OnConflict},
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::dto::{centi_to_hours, CommunityRecords, MonthRecord, ServiceRecords};
use crate::{batch::by_ids, error::ApiResult, points::aggregates::month_of};

/// Adds one confirmed activity to its month's row (created on first use) with one upsert;
/// call it in the transaction that confirms the hours.
pub async fn record<C: ConnectionTrait>(
    db: &C,
    started_at: DateTime<Utc>,
    user_id: i64,
    community_id: i64,
    hours_centi: i64,
) -> ApiResult<()> {
    use service_monthly::Column as Col;
    let excluded = |col: Col| Expr::col((Alias::new("excluded"), col));
    let current = |col: Col| Expr::col((service_monthly::Entity, col));
    service_monthly::Entity::insert(service_monthly::ActiveModel {
        user_id: Set(user_id),
        community_id: Set(community_id),
        month: Set(month_of(started_at)),
        hours_centi: Set(hours_centi),
        activities: Set(1),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([Col::UserId, Col::Month, Col::CommunityId])
            .value(
                Col::HoursCenti,
                current(Col::HoursCenti).add(excluded(Col::HoursCenti)),
            )
            .value(
                Col::Activities,
                current(Col::Activities).add(excluded(Col::Activities)),
            )
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The user's confirmed hours per community, all time (hours, from the aggregate).
pub async fn hours_by_community<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
) -> ApiResult<HashMap<i64, f64>> {
    let rows: Vec<(i64, Option<i64>)> = service_monthly::Entity::find()
        .select_only()
        .column(service_monthly::Column::CommunityId)
        .column_as(
            Expr::col(service_monthly::Column::HoursCenti)
                .sum()
                .cast_as(Alias::new("bigint")),
            "hours",
        )
        .filter(service_monthly::Column::UserId.eq(user_id))
        .group_by(service_monthly::Column::CommunityId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(c, h)| (c, centi_to_hours(h.unwrap_or(0))))
        .collect())
}

/// The user's service records: per community, hours per month (newest first) and in all.
pub async fn mine<C: ConnectionTrait>(db: &C, user_id: i64) -> ApiResult<ServiceRecords> {
    let rows = service_monthly::Entity::find()
        .filter(service_monthly::Column::UserId.eq(user_id))
        .order_by_asc(service_monthly::Column::CommunityId)
        .order_by_desc(service_monthly::Column::Month)
        .all(db)
        .await?;
    let names =
        by_ids::<communities::Entity, _>(db, rows.iter().map(|r| r.community_id), |c| c.id).await?;
    let mut by_community: BTreeMap<i64, CommunityRecords> = BTreeMap::new();
    let mut total = 0;
    for row in rows {
        total += row.hours_centi;
        let records = by_community
            .entry(row.community_id)
            .or_insert_with(|| CommunityRecords {
                community_id: row.community_id,
                community_name: names
                    .get(&row.community_id)
                    .map(|c| c.name.clone())
                    .unwrap_or_default(),
                total_hours: 0.0,
                activities: 0,
                months: Vec::new(),
            });
        records.total_hours += centi_to_hours(row.hours_centi);
        records.activities += row.activities;
        records.months.push(MonthRecord {
            month: row.month.format("%Y-%m").to_string(),
            hours: centi_to_hours(row.hours_centi),
            activities: row.activities,
        });
    }
    let communities = by_community
        .into_values()
        .map(|mut c| {
            c.total_hours = (c.total_hours * 100.0).round() / 100.0;
            c
        })
        .collect();
    Ok(ServiceRecords {
        communities,
        total_hours: centi_to_hours(total),
    })
}

/// Service hours and points of a community's activities over a period.
#[derive(Debug, Default)]
pub struct Service {
    /// Confirmed hours.
    pub hours: f64,
    /// Points credited for them.
    pub points: i64,
}

/// The confirmed service at the community's activities that started in `from..=to`
/// (Asia/Shanghai days): the activities by `ix_activities_community_starts`, their
/// sign-ups by `ux_activity_signups_activity_user`.
pub async fn service_between<C: ConnectionTrait>(
    db: &C,
    community_id: i64,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> ApiResult<Service> {
    use entity::{activities, activity_signups as signups};
    use sea_orm::sea_query::Query;
    let start = crate::clock::local_day_start(from);
    let end = to
        .succ_opt()
        .map_or(DateTime::<Utc>::MAX_UTC, crate::clock::local_day_start);
    let in_period = Query::select()
        .column(activities::Column::Id)
        .from(activities::Entity)
        .and_where(activities::Column::CommunityId.eq(community_id))
        .and_where(activities::Column::StartsAt.gte(start))
        .and_where(activities::Column::StartsAt.lt(end))
        .to_owned();
    let sums: Option<(Option<i64>, Option<i64>)> = signups::Entity::find()
        .select_only()
        .column_as(
            Expr::col(signups::Column::HoursCenti)
                .sum()
                .cast_as(Alias::new("bigint")),
            "hours",
        )
        .column_as(
            Expr::col(signups::Column::PointsAwarded)
                .sum()
                .cast_as(Alias::new("bigint")),
            "points",
        )
        .filter(signups::Column::ActivityId.in_subquery(in_period))
        .filter(signups::Column::ConfirmedAt.is_not_null())
        .into_tuple()
        .one(db)
        .await?;
    let (hours, points) = sums.unwrap_or_default();
    Ok(Service {
        hours: centi_to_hours(hours.unwrap_or(0)),
        points: points.unwrap_or(0),
    })
}
