//! Figures for staff: volunteers by kind and status, check-ins per day, service hours and
//! points awarded over a period of days (Asia/Shanghai). Each figure is one grouped query on
//! an indexed table (`ix_volunteer_registrations_community_status`,
//! `ix_checkins_community_day`) or the activities' records.

use chrono::{Duration, NaiveDate};
use entity::{checkins, volunteer_registrations as regs};
use sea_orm::Iterable;
use sea_orm::{
    sea_query::{Alias, Expr, ExprTrait},
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::{
    checkins::local_day,
    dto::{
        CheckinStatus, DayCount, KindCount, PointsAwarded, RegistrationStatus, StatsQuery,
        VolunteerKind, VolunteerStats,
    },
};
use crate::{
    auth::{scope::managed_community, Caller},
    error::{ApiError, ApiResult},
};

/// The longest period, in days.
const MOST_DAYS: i64 = 366;

/// The community's figures over `from..=to` (default: the last 30 days up to today).
pub async fn stats<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    community_id: i64,
    today: NaiveDate,
    query: StatsQuery,
) -> ApiResult<VolunteerStats> {
    let community = managed_community(db, caller, community_id).await?;
    let to = query.to.unwrap_or(today);
    let from = match query.from {
        Some(from) => from,
        None => to
            .checked_sub_signed(Duration::days(29))
            .ok_or_else(|| ApiError::field("to", "日期超出范围"))?,
    };
    if from > to {
        return Err(ApiError::field("from", "开始日期不能晚于结束日期"));
    }
    if (to - from).num_days() >= MOST_DAYS {
        return Err(ApiError::field("to", "统计区间最长 366 天"));
    }
    let days = (day_text(from), day_text(to));
    let volunteers = by_kind(db, community.id).await?;
    let checkins_per_day = per_day(db, community.id, &days).await?;
    let checkins = checkins_per_day.iter().map(|d| d.accepted).sum();
    let checkin_points = checkin_points(db, community.id, &days).await?;
    let service = crate::activities::records::service_between(db, community.id, from, to).await?;
    Ok(VolunteerStats {
        community_id: community.id,
        from,
        to,
        volunteers,
        checkins_per_day,
        checkins,
        service_hours: service.hours,
        points_awarded: PointsAwarded {
            checkins: checkin_points,
            activities: service.points,
            total: checkin_points + service.points,
        },
    })
}

fn day_text(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

/// Today in Asia/Shanghai.
pub fn today(now: chrono::DateTime<chrono::Utc>) -> NaiveDate {
    NaiveDate::parse_from_str(&local_day(now), "%Y-%m-%d").unwrap_or_default()
}

async fn by_kind<C: ConnectionTrait>(db: &C, community_id: i64) -> ApiResult<Vec<KindCount>> {
    let rows: Vec<(VolunteerKind, RegistrationStatus, i64)> = regs::Entity::find()
        .select_only()
        .column(regs::Column::Kind)
        .column(regs::Column::Status)
        .column_as(regs::Column::Id.count(), "n")
        .filter(regs::Column::CommunityId.eq(community_id))
        .group_by(regs::Column::Kind)
        .group_by(regs::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    Ok(VolunteerKind::iter()
        .map(|kind| {
            let count = |status| {
                rows.iter()
                    .filter(|(k, s, _)| *k == kind && *s == status)
                    .map(|(_, _, n)| u64::try_from(*n).unwrap_or(0))
                    .sum()
            };
            KindCount {
                kind,
                pending: count(RegistrationStatus::Pending),
                approved: count(RegistrationStatus::Approved),
                rejected: count(RegistrationStatus::Rejected),
            }
        })
        .collect())
}

async fn per_day<C: ConnectionTrait>(
    db: &C,
    community_id: i64,
    (from, to): &(String, String),
) -> ApiResult<Vec<DayCount>> {
    let rows: Vec<(String, CheckinStatus, i64)> = checkins::Entity::find()
        .select_only()
        .column(checkins::Column::LocalDay)
        .column(checkins::Column::Status)
        .column_as(checkins::Column::Id.count(), "n")
        .filter(checkins::Column::CommunityId.eq(community_id))
        .filter(checkins::Column::LocalDay.between(from.as_str(), to.as_str()))
        .group_by(checkins::Column::LocalDay)
        .group_by(checkins::Column::Status)
        .order_by_asc(checkins::Column::LocalDay)
        .into_tuple()
        .all(db)
        .await?;
    let mut days: Vec<DayCount> = Vec::new();
    for (day, status, n) in rows {
        let Ok(date) = NaiveDate::parse_from_str(&day, "%Y-%m-%d") else {
            continue;
        };
        if days.last().is_none_or(|d| d.day != date) {
            days.push(DayCount {
                day: date,
                accepted: 0,
                flagged: 0,
                rejected: 0,
            });
        }
        if let Some(entry) = days.last_mut() {
            let n = u64::try_from(n).unwrap_or(0);
            match status {
                CheckinStatus::Accepted => entry.accepted += n,
                CheckinStatus::Flagged => entry.flagged += n,
                CheckinStatus::Rejected => entry.rejected += n,
            }
        }
    }
    Ok(days)
}

async fn checkin_points<C: ConnectionTrait>(
    db: &C,
    community_id: i64,
    (from, to): &(String, String),
) -> ApiResult<i64> {
    let sum: Option<Option<i64>> = checkins::Entity::find()
        .select_only()
        .column_as(
            Expr::col(checkins::Column::PointsAwarded)
                .sum()
                .cast_as(Alias::new("bigint")),
            "points",
        )
        .filter(checkins::Column::CommunityId.eq(community_id))
        .filter(checkins::Column::LocalDay.between(from.as_str(), to.as_str()))
        .into_tuple()
        .one(db)
        .await?;
    Ok(sum.flatten().unwrap_or(0))
}
