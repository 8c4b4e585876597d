//! Top earners of a community, read from the monthly aggregates and cached under the
//! community's points generation (`points::changed` after every ledger write): the key needs
//! no query, a new earning shows at once, and a cold ranking is computed once however many
//! ask for it together.

use std::{collections::HashMap, time::Duration};

use chrono::{DateTime, Utc};

use entity::users;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::{
    aggregates,
    dto::{Leaderboard, LeaderboardEntry, LeaderboardQuery, Period},
};
use crate::{
    cache::Cache,
    clock::{month_start, year_start, LOCAL_TZ},
    error::{ApiError, ApiResult},
    privacy::mask_name,
};

/// How long a computed ranking is kept. Points and order are exact (a ledger write starts a
/// new generation); a nickname changed meanwhile shows, masked, after at most this long.
const TTL: Duration = Duration::from_secs(300);
/// The longest list a caller may ask for; the cached ranking holds this many.
const MOST: u64 = 100;

/// The cache family of a community's points: its leaderboards.
pub fn family(community_id: i64) -> String {
    format!("points:{community_id}")
}

/// The leaderboard of a community for this month or year.
pub async fn leaderboard<C: ConnectionTrait>(
    db: &C,
    cache: &Cache,
    now: DateTime<Utc>,
    community_id: i64,
    query: LeaderboardQuery,
) -> ApiResult<Leaderboard> {
    let period = query.period.unwrap_or(Period::Month);
    let limit = query.limit.unwrap_or(20) as usize;
    let since = match period {
        Period::Month => month_start(now),
        Period::Year => year_start(now),
    };
    let generation = cache.generation(&family(community_id)).await;
    let what = format!("leaderboard:{}", since.timestamp());
    let mut items: Vec<LeaderboardEntry> = cache
        .read_json(&generation, &what, TTL, || ranking(db, community_id, since))
        .await?;
    items.truncate(limit);
    Ok(Leaderboard {
        community_id,
        period,
        since: since.with_timezone(&LOCAL_TZ).date_naive(),
        items,
        next_cursor: None,
    })
}

/// The top `MOST` earners since `since` (a month or year start), best first, ties by user
/// id, with masked names: at most twelve aggregate rows per earner, then one query of names.
async fn ranking<C: ConnectionTrait>(
    db: &C,
    community_id: i64,
    since: DateTime<Utc>,
) -> ApiResult<Vec<LeaderboardEntry>> {
    entity::communities::Entity::find_by_id(community_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("community"))?;
    let top = aggregates::earners(db, community_id, aggregates::month_of(since), MOST).await?;
    let names: HashMap<i64, String> = users::Entity::find()
        .filter(users::Column::Id.is_in(top.iter().map(|(u, _)| *u)))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.nickname))
        .collect();
    Ok(top
        .into_iter()
        .enumerate()
        .map(|(i, (user, points))| LeaderboardEntry {
            rank: i as u64 + 1,
            nickname: mask_name(names.get(&user).map_or("", String::as_str)),
            points,
        })
        .collect())
}
