//! The maintained aggregates equal the entries: every `points_monthly` row is recomputed from
//! `points_entries` (month counted in Asia/Shanghai, UTC+8) and every wallet's
//! `lifetime_earned` is the sum of its user's earnings.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};

use super::harness::TestApp;

/// (user, community, month) → (earned, spent).
type Months = BTreeMap<(i64, i64, NaiveDate), (i64, i64)>;

/// Recomputes the aggregates from the entries and compares them with the stored ones.
pub async fn assert_aggregate_invariants(app: &TestApp) {
    let int = |row: &sea_orm::QueryResult, column: &str| row.try_get::<i64>("", column).unwrap();
    let mut expected = Months::new();
    let mut lifetime = BTreeMap::<i64, i64>::new();
    for row in app
        .rows("SELECT user_id, community_id, kind, amount, created_at FROM points_entries")
        .await
    {
        let (user, community, amount) = (
            int(&row, "user_id"),
            int(&row, "community_id"),
            int(&row, "amount"),
        );
        let kind: String = row.try_get("", "kind").unwrap();
        let at: DateTime<Utc> = row.try_get("", "created_at").unwrap();
        let local = (at + Duration::hours(8)).date_naive();
        let month = local.with_day(1).unwrap();
        let (earned, spent) = match kind.as_str() {
            "earn" => (amount, 0),
            "redeem" | "refund" | "expire" => (0, -amount),
            _ => continue,
        };
        if earned > 0 {
            *lifetime.entry(user).or_default() += earned;
        }
        let sums = expected.entry((user, community, month)).or_default();
        sums.0 += earned;
        sums.1 += spent;
    }
    let mut stored = Months::new();
    for row in app
        .rows("SELECT user_id, community_id, month, earned, spent FROM points_monthly")
        .await
    {
        let key = (
            int(&row, "user_id"),
            int(&row, "community_id"),
            row.try_get::<NaiveDate>("", "month").unwrap(),
        );
        let sums = (int(&row, "earned"), int(&row, "spent"));
        assert!(
            stored.insert(key, sums).is_none(),
            "two aggregate rows for {key:?}"
        );
    }
    assert_eq!(
        stored, expected,
        "points_monthly is not the sum of the entries ((user, community, month) → (earned, spent))"
    );
    for row in app
        .rows("SELECT user_id, lifetime_earned FROM points_wallets")
        .await
    {
        let user = int(&row, "user_id");
        assert_eq!(
            int(&row, "lifetime_earned"),
            lifetime.get(&user).copied().unwrap_or(0),
            "user {user}: lifetime_earned is not the sum of the earnings"
        );
    }
}

/// (user, community, month) → (hundredths of an hour, activities).
type Service = BTreeMap<(i64, i64, NaiveDate), (i64, i64)>;

/// Recomputes `service_monthly` from the confirmed sign-ups (the month the activity started,
/// Asia/Shanghai) and compares it with the stored rows.
pub async fn assert_service_invariants(app: &TestApp) {
    let int = |row: &sea_orm::QueryResult, column: &str| row.try_get::<i64>("", column).unwrap();
    let mut expected = Service::new();
    for row in app
        .rows(
            "SELECT s.user_id AS user_id, a.community_id AS community_id, a.starts_at AS starts_at, \
             s.hours_centi AS hours_centi FROM activity_signups s JOIN activities a ON a.id = s.activity_id \
             WHERE s.confirmed_at IS NOT NULL",
        )
        .await
    {
        let at: DateTime<Utc> = row.try_get("", "starts_at").unwrap();
        let month = (at + Duration::hours(8)).date_naive().with_day(1).unwrap();
        let sums = expected
            .entry((int(&row, "user_id"), int(&row, "community_id"), month))
            .or_default();
        sums.0 += int(&row, "hours_centi");
        sums.1 += 1;
    }
    let mut stored = Service::new();
    for row in app
        .rows("SELECT user_id, community_id, month, hours_centi, activities FROM service_monthly")
        .await
    {
        let key = (
            int(&row, "user_id"),
            int(&row, "community_id"),
            row.try_get::<NaiveDate>("", "month").unwrap(),
        );
        let sums = (int(&row, "hours_centi"), int(&row, "activities"));
        assert!(
            stored.insert(key, sums).is_none(),
            "two service rows for {key:?}"
        );
    }
    assert_eq!(
        stored, expected,
        "service_monthly is not the sum of the confirmed sign-ups"
    );
}
