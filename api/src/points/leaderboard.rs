//! Top earners of a community. With Redis the ranking is kept as a sorted set keyed by the
//! newest earning entry, so any new earning makes a new key: Redis and SQL always agree.

use std::{collections::HashMap, time::Duration};

use chrono::{DateTime, Utc};

use entity::{points_entries, users};
use sea_orm::{
    sea_query::{Expr, ExprTrait},
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
};

use super::{
    aggregates,
    dto::{Leaderboard, LeaderboardEntry, LeaderboardQuery, Period},
    ledger::Kind,
};
use crate::{
    cache::Cache,
    clock::{month_start, year_start, LOCAL_TZ},
    error::{ApiError, ApiResult},
    privacy::mask_name,
};

const TTL: Duration = Duration::from_secs(600);

/// The leaderboard of a community for this month or year.
pub async fn leaderboard<C: ConnectionTrait>(
    db: &C,
    cache: &Cache,
    now: DateTime<Utc>,
    community_id: i64,
    query: LeaderboardQuery,
) -> ApiResult<Leaderboard> {
    entity::communities::Entity::find_by_id(community_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("community"))?;
    let period = query.period.unwrap_or(Period::Month);
    let limit = query.limit.unwrap_or(20) as usize;
    let since = match period {
        Period::Month => month_start(now),
        Period::Year => year_start(now),
    };
    let newest: Option<Option<i64>> = points_entries::Entity::find()
        .select_only()
        .column_as(Expr::col(points_entries::Column::Id).max(), "newest")
        .filter(points_entries::Column::CommunityId.eq(community_id))
        .filter(points_entries::Column::Kind.eq(Kind::Earn))
        .into_tuple()
        .one(db)
        .await?;
    let key = format!(
        "lb:{community_id}:{}:{}",
        since.timestamp(),
        newest.flatten().unwrap_or(0)
    );
    let top = match cache.ranking_top(&key, limit).await {
        Some(cached) => cached
            .into_iter()
            .filter_map(|(member, score)| Some((decode(&member)?, score)))
            .collect(),
        None => {
            let all = totals(db, community_id, since).await?;
            if cache.backend() == "redis" {
                let members: Vec<(String, i64)> =
                    all.iter().map(|(u, p)| (encode(*u), *p)).collect();
                cache.ranking_store(&key, &members, TTL).await;
            }
            all.into_iter().take(limit).collect::<Vec<_>>()
        }
    };
    let ids: Vec<i64> = top.iter().map(|(u, _)| *u).collect();
    let names: HashMap<i64, String> = users::Entity::find()
        .filter(users::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.nickname))
        .collect();
    let items = top
        .into_iter()
        .enumerate()
        .map(|(i, (user, points))| LeaderboardEntry {
            rank: i as u64 + 1,
            nickname: mask_name(names.get(&user).map_or("", String::as_str)),
            points,
        })
        .collect();
    Ok(Leaderboard {
        community_id,
        period,
        since: since.with_timezone(&LOCAL_TZ).date_naive(),
        items,
        next_cursor: None,
    })
}

/// Every earner's total since `since` (a month or year start), best first, ties by user id,
/// from the monthly aggregates: at most twelve rows per earner.
async fn totals<C: ConnectionTrait>(
    db: &C,
    community_id: i64,
    since: DateTime<Utc>,
) -> ApiResult<Vec<(i64, i64)>> {
    aggregates::earners(db, community_id, aggregates::month_of(since)).await
}

/// Members sort descending in Redis among equal scores; inverting the id puts lower ids first.
fn encode(user_id: i64) -> String {
    format!("{:019}", i64::MAX - user_id)
}

fn decode(member: &str) -> Option<i64> {
    member.parse::<i64>().ok().map(|v| i64::MAX - v)
}
