//! Maintained aggregates of the ledger: `points_monthly` holds, per user, community and month
//! (Asia/Shanghai), the points earned (`earn` entries) and spent (minus the `redeem`, `refund`
//! and `expire` entries; `adjust` counts in neither). The ledger updates the row in the same
//! transaction as each entry, so the summary and the leaderboards read a bounded number of
//! rows however long the history grows.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use entity::{points_entries::Kind, points_monthly};
use sea_orm::{
    sea_query::{Alias, Expr, ExprTrait, OnConflict},
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::{clock::LOCAL_TZ, error::ApiResult};

/// The first day (Asia/Shanghai) of the month holding `at`: the aggregates' month key.
pub fn month_of(at: DateTime<Utc>) -> NaiveDate {
    let local = at.with_timezone(&LOCAL_TZ).date_naive();
    local.with_day(1).unwrap_or(local)
}

/// How an entry moves the aggregates: (earned, spent).
pub fn flows(kind: Kind, amount: i64) -> (i64, i64) {
    match kind {
        Kind::Earn => (amount, 0),
        Kind::Redeem | Kind::Refund | Kind::Expire => (0, -amount),
        Kind::Adjust => (0, 0),
    }
}

/// Adds an entry to its month's row (created on first use) with one upsert; call it in the
/// transaction that writes the entry.
pub async fn record<C: ConnectionTrait>(
    db: &C,
    at: DateTime<Utc>,
    user_id: i64,
    community_id: i64,
    kind: Kind,
    amount: i64,
) -> ApiResult<()> {
    let (earned, spent) = flows(kind, amount);
    if earned == 0 && spent == 0 {
        return Ok(());
    }
    use points_monthly::Column as Col;
    let excluded = |col: Col| Expr::col((Alias::new("excluded"), col));
    let current = |col: Col| Expr::col((points_monthly::Entity, col));
    points_monthly::Entity::insert(points_monthly::ActiveModel {
        user_id: Set(user_id),
        community_id: Set(community_id),
        month: Set(month_of(at)),
        earned: Set(earned),
        spent: Set(spent),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([Col::UserId, Col::Month, Col::CommunityId])
            .value(Col::Earned, current(Col::Earned).add(excluded(Col::Earned)))
            .value(Col::Spent, current(Col::Spent).add(excluded(Col::Spent)))
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// A user's (earned, spent) in a month, over every community.
pub async fn month_totals<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    month: NaiveDate,
) -> ApiResult<(i64, i64)> {
    let sum = |col: points_monthly::Column| Expr::col(col).sum().cast_as(Alias::new("bigint"));
    let row: Option<(Option<i64>, Option<i64>)> = points_monthly::Entity::find()
        .select_only()
        .column_as(sum(points_monthly::Column::Earned), "earned")
        .column_as(sum(points_monthly::Column::Spent), "spent")
        .filter(points_monthly::Column::UserId.eq(user_id))
        .filter(points_monthly::Column::Month.eq(month))
        .into_tuple()
        .one(db)
        .await?;
    let (earned, spent) = row.unwrap_or_default();
    Ok((earned.unwrap_or(0), spent.unwrap_or(0)))
}

/// The `most` best earners of a community from the month `since` on: (user, points), best first, ties
/// by user id.
pub async fn earners<C: ConnectionTrait>(
    db: &C,
    community_id: i64,
    since: NaiveDate,
    most: u64,
) -> ApiResult<Vec<(i64, i64)>> {
    let total = Expr::col(points_monthly::Column::Earned)
        .sum()
        .cast_as(Alias::new("bigint"));
    Ok(points_monthly::Entity::find()
        .select_only()
        .column(points_monthly::Column::UserId)
        .column_as(total.clone(), "total")
        .filter(points_monthly::Column::CommunityId.eq(community_id))
        .filter(points_monthly::Column::Month.gte(since))
        .filter(points_monthly::Column::Earned.gt(0))
        .group_by(points_monthly::Column::UserId)
        .order_by_desc(total)
        .order_by_asc(points_monthly::Column::UserId)
        .limit(most)
        .into_tuple()
        .all(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_month_is_counted_in_shanghai() {
        let late = Utc.with_ymd_and_hms(2026, 11, 30, 16, 0, 0).unwrap();
        assert_eq!(
            month_of(late),
            NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
        );
        let early = Utc.with_ymd_and_hms(2026, 11, 30, 15, 59, 59).unwrap();
        assert_eq!(
            month_of(early),
            NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()
        );
    }

    #[test]
    fn refunds_lower_spending_and_adjustments_count_nowhere() {
        assert_eq!(flows(Kind::Earn, 5), (5, 0));
        assert_eq!(flows(Kind::Redeem, -30), (0, 30));
        assert_eq!(flows(Kind::Refund, 30), (0, -30));
        assert_eq!(flows(Kind::Expire, 30), (0, -30));
        assert_eq!(flows(Kind::Adjust, -7), (0, 0));
    }
}
