//! The maintained points aggregates: the passbook summary and the leaderboards read
//! `points_monthly`, which the ledger keeps in the same transaction as every entry, and the
//! migration backfills it from the entries.

use std::time::Duration;

use chrono::Datelike;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_aggregate_invariants, assert_ledger_invariants, TestApp};
use crate::points::{award, put_rules};

async fn summary(app: &TestApp, token: &str) -> Value {
    let (status, body) = app.get("/api/v1/me/points", Some(token)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

#[tokio::test]
async fn the_summary_and_the_boards_count_earnings_and_spendings_per_month() {
    let app = TestApp::spawn().await;
    let m = app.market().await;
    let rule = json!([{"action": "activity_hour", "points": 10}]);
    for (staff, community) in [(&m.staff, m.community), (&m.other_staff, m.other_community)] {
        assert_eq!(
            put_rules(&app, staff, community, rule.clone()).await.0,
            StatusCode::OK
        );
    }
    let resident = app.login("resident").await;
    app.give_points(&m.staff, m.community, &resident, 100).await;
    for k in 0..3 {
        award(
            &app,
            resident.id,
            m.community,
            "activity_hour",
            &format!("a{k}"),
        )
        .await;
    }
    award(&app, resident.id, m.other_community, "activity_hour", "b0").await;
    let goods = app.put_goods(&m.staff, m.community, 20, 5, None).await;
    let (status, first) = app.redeem(&resident, goods, 1).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let (status, second) = app.redeem(&resident, goods, 1).await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    let cancel = |r: &Value| format!("/api/v1/redemptions/{}/cancel", r["id"]);
    let (status, body) = app
        .post(&cancel(&first), Some(&resident.token), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let now = summary(&app, &resident.token).await;
    assert_eq!(
        (
            &now["balance"],
            &now["earned_this_month"],
            &now["spent_this_month"],
            &now["lifetime_earned"]
        ),
        (&json!(120), &json!(40), &json!(20), &json!(40)),
        "adjustments count in neither flow, a refund lowers the spending, every community counts: {now}"
    );
    assert_ledger_invariants(&app).await;

    let (status, body) = app
        .post(&cancel(&second), Some(&resident.token), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(summary(&app, &resident.token).await["spent_this_month"], 0);

    let board = |period: &'static str| {
        let app = &app;
        let token = resident.token.clone();
        let path = format!(
            "/api/v1/communities/{}/points/leaderboard?period={period}",
            m.community
        );
        async move {
            let (status, body) = app.get(&path, Some(&token)).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            body["items"].clone()
        }
    };
    let first_month = board("month").await;
    assert_eq!(first_month[0]["points"], 30, "{first_month}");
    assert_eq!(board("year").await[0]["points"], 30);

    let before = app.state.clock.now();
    app.advance(Duration::from_secs(40 * 86400));
    let viewer = app.login("resident").await;
    award(&app, viewer.id, m.community, "activity_hour", "a3").await;
    let later = summary(&app, &viewer.token).await;
    assert_eq!(
        (
            &later["earned_this_month"],
            &later["spent_this_month"],
            &later["lifetime_earned"]
        ),
        (&json!(10), &json!(0), &json!(50)),
        "a new month starts from zero: {later}"
    );
    let path = |period: &str| {
        format!(
            "/api/v1/communities/{}/points/leaderboard?period={period}",
            m.community
        )
    };
    let (_, month) = app.get(&path("month"), Some(&viewer.token)).await;
    assert_eq!(month["items"][0]["points"], 10, "{month}");
    let (_, year) = app.get(&path("year"), Some(&viewer.token)).await;
    let same_year = (before + chrono::Duration::hours(8)).year()
        == (app.state.clock.now() + chrono::Duration::hours(8)).year();
    let expected = if same_year { 40 } else { 10 };
    assert_eq!(
        year["items"][0]["points"], expected,
        "the year sums its months: {year}"
    );
    assert_ledger_invariants(&app).await;
}

#[tokio::test]
async fn the_aggregates_migration_backfills_from_the_entries_and_goes_down() {
    use migration::MigratorTrait;
    let app = TestApp::spawn().await;
    let m = app.market().await;
    put_rules(
        &app,
        &m.staff,
        m.community,
        json!([{"action": "checkin", "points": 7}]),
    )
    .await;
    let resident = app.login("resident").await;
    app.give_points(&m.staff, m.community, &resident, 50).await;
    award(&app, resident.id, m.community, "checkin", "c0").await;
    let goods = app.put_goods(&m.staff, m.community, 15, 3, None).await;
    let (_, r) = app.redeem(&resident, goods, 1).await;
    app.post(
        &format!("/api/v1/redemptions/{}/cancel", r["id"]),
        Some(&resident.token),
        json!({}),
    )
    .await;
    app.redeem(&resident, goods, 2).await;
    app.advance(Duration::from_secs(35 * 86400));
    award(&app, resident.id, m.community, "checkin", "c1").await;
    assert_ledger_invariants(&app).await;
    let rows = app.count("points_monthly").await;
    assert_eq!(rows, 2, "one row per user, community and month");

    let steps = crate::helpers::migrations_from("m20261204_000008_points_aggregates");
    migration::Migrator::down(app.db(), Some(steps))
        .await
        .unwrap();
    let tables = if crate::helpers::on_postgres() {
        "SELECT COUNT(*) AS n FROM information_schema.tables \
         WHERE table_name = 'points_monthly' AND table_schema = current_schema()"
    } else {
        "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'points_monthly'"
    };
    assert_eq!(app.scalar(tables).await, 0);
    migration::Migrator::up(app.db(), None).await.unwrap();
    assert_eq!(app.count("points_monthly").await, rows);
    assert_ledger_invariants(&app).await;
    let resident = app.login("resident").await;
    let now = summary(&app, &resident.token).await;
    assert_eq!(now["earned_this_month"], 7, "{now}");
}

#[tokio::test]
async fn the_aggregate_invariant_catches_a_row_that_drifted_from_the_entries() {
    use futures_util::FutureExt;
    let app = TestApp::spawn().await;
    let m = app.market().await;
    put_rules(
        &app,
        &m.staff,
        m.community,
        json!([{"action": "checkin", "points": 7}]),
    )
    .await;
    let resident = app.login("resident").await;
    award(&app, resident.id, m.community, "checkin", "c0").await;
    assert_aggregate_invariants(&app).await;
    app.rows("UPDATE points_monthly SET earned = earned + 1")
        .await;
    let caught = std::panic::AssertUnwindSafe(assert_aggregate_invariants(&app))
        .catch_unwind()
        .await;
    assert!(
        caught.is_err(),
        "a drifted aggregate must fail the invariant"
    );
}
