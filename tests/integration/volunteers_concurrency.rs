//! Check-ins and reviews under concurrent requests: one check-in per volunteer and day, one
//! award, one decision; and a property test of the invariants over random sequences.

use futures_util::future::join_all;
use proptest::prelude::*;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_aggregate_invariants, assert_ledger_invariants, TestApp};
use crate::volunteers::{approve, check_in, checkin_rule, register, volunteer, LAT, LNG};

#[tokio::test]
async fn fifty_concurrent_checkins_by_one_volunteer_make_one_checkin_and_one_award() {
    let app = TestApp::spawn().await;
    let m = app.market().await;
    checkin_rule(&app, &m, json!({ "action": "checkin", "points": 9 })).await;
    let courier = volunteer(&app, &m.staff, m.community, "courier").await;

    let answers =
        join_all((0..50).map(|_| check_in(&app, &courier, m.community, (LAT, LNG), json!({}))))
            .await;
    let created = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    let refused: Vec<_> = answers
        .iter()
        .filter(|(s, _)| *s != StatusCode::CREATED)
        .collect();
    assert_eq!(created, 1, "{refused:?}");
    for (status, body) in &refused {
        assert!(
            *status == StatusCode::CONFLICT && body["code"] == "already_checked_in"
                || *status == StatusCode::TOO_MANY_REQUESTS,
            "{status} {body}"
        );
    }
    assert_eq!(app.count("checkins").await, 1);
    assert_eq!(
        app.scalar("SELECT COUNT(*) AS n FROM points_entries WHERE source = 'award:checkin'")
            .await,
        1
    );
    assert_eq!(crate::points::balance(&app, &courier).await, 9);
    assert_ledger_invariants(&app).await;
    assert_aggregate_invariants(&app).await;
}

#[tokio::test]
async fn two_staff_approving_at_once_decide_once() {
    let app = TestApp::spawn().await;
    let m = app.market().await;
    let second = app.login("second-staff").await;
    app.grant(&m.admin, second.id, "community_staff", m.community)
        .await;
    let courier = app.login("courier").await;
    let (_, filed) = register(&app, &courier, m.community, "courier").await;
    let id = filed["id"].as_i64().unwrap();
    let (a, b) = tokio::join!(approve(&app, &m.staff, id), approve(&app, &second, id));
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::CONFLICT],
        "{a:?} {b:?}"
    );
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) AS n FROM audit_logs WHERE action = 'volunteer_registration.approve'"
        )
        .await,
        1
    );
}

/// One step of a volunteer's day.
#[derive(Clone, Debug)]
enum Step {
    /// Several check-ins at once by volunteer `n`.
    Burst(usize, usize),
    /// The clock moves on by this many hours.
    Later(u64),
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(
        prop_oneof![
            3 => (0usize..3, 1usize..6).prop_map(|(v, n)| Step::Burst(v, n)),
            1 => (1u64..30).prop_map(Step::Later),
        ],
        1..8,
    )
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 6,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Whatever the bursts and the clock do: at most one check-in per volunteer and day, one
    /// award per accepted check-in, within the daily cap, and the ledger adds up.
    #[test]
    fn checkins_count_once_per_day_and_pay_within_the_caps(plan in steps()) {
        tokio::runtime::Runtime::new().unwrap().block_on(async move {
            let app = TestApp::spawn().await;
            let m = app.market().await;
            checkin_rule(&app, &m, json!({ "action": "checkin", "points": 4, "daily_cap": 4, "monthly_cap": 30 })).await;
            let names = ["v0", "v1", "v2"];
            for name in names {
                volunteer(&app, &m.staff, m.community, name).await;
            }
            for step in &plan {
                match step {
                    Step::Later(hours) => app.advance(std::time::Duration::from_secs(hours * 3600)),
                    Step::Burst(v, n) => {
                        let user = app.login(names[*v]).await;
                        join_all((0..*n).map(|_| check_in(&app, &user, m.community, (LAT, LNG), json!({})))).await;
                    }
                }
            }
            let per_day = app
                .scalar("SELECT COUNT(*) AS n FROM (SELECT user_id, local_day FROM checkins GROUP BY user_id, local_day HAVING COUNT(*) > 1) t")
                .await;
            assert_eq!(per_day, 0);
            let accepted = app.scalar("SELECT COUNT(*) AS n FROM checkins WHERE status = 'accepted' AND points_awarded > 0").await;
            let awards = app.scalar("SELECT COUNT(*) AS n FROM points_entries WHERE source = 'award:checkin'").await;
            assert_eq!(accepted, awards);
            let paid = app.scalar("SELECT CAST(COALESCE(SUM(points_awarded), 0) AS BIGINT) AS n FROM checkins").await;
            let credited = app.scalar("SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS n FROM points_entries WHERE source = 'award:checkin'").await;
            assert_eq!(paid, credited);
            assert!(app.scalar("SELECT COUNT(*) AS n FROM checkins WHERE points_awarded > 4").await == 0);
            assert_ledger_invariants(&app).await;
            assert_aggregate_invariants(&app).await;
        });
    }
}
