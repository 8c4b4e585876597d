//! Points rules: awards follow them and their daily and monthly caps, once per key even when
//! concurrent; anyone reads them and only the community's staff replace them.

use std::time::Duration;

use api::points::ledger::{self, Award, AwardOutcome};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_ledger_invariants, TestApp};
use crate::points::{award, balance, community, put_rules};

#[tokio::test]
async fn an_award_follows_the_rule_and_its_daily_and_monthly_caps() {
    let app = TestApp::spawn().await;
    let c = community(&app).await;
    let (status, body) = put_rules(
        &app,
        &c.staff,
        c.id,
        json!([{"action": "checkin", "points": 10, "daily_cap": 25, "monthly_cap": 45}]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let volunteer = app.login("volunteer").await;

    let paid: Vec<i64> = {
        let mut paid = vec![];
        for i in 0..4 {
            match award(&app, volunteer.id, c.id, "checkin", &format!("day1-{i}")).await {
                AwardOutcome::Awarded(e) => paid.push(e.amount),
                AwardOutcome::Capped => paid.push(0),
                other => panic!("{other:?}"),
            }
        }
        paid
    };
    assert_eq!(
        paid,
        vec![10, 10, 5, 0],
        "the third award is cut to the daily cap"
    );
    app.advance(Duration::from_secs(86400));
    let mut day2 = vec![];
    for i in 0..3 {
        if let AwardOutcome::Awarded(e) =
            award(&app, volunteer.id, c.id, "checkin", &format!("day2-{i}")).await
        {
            day2.push(e.amount);
        }
    }
    assert_eq!(
        day2.iter().sum::<i64>(),
        20,
        "the monthly cap (45) leaves 20 once 25 were paid"
    );
    assert!(matches!(
        award(&app, volunteer.id, c.id, "unknown_action", "k").await,
        AwardOutcome::NoRule
    ));
    assert!(matches!(
        award(&app, volunteer.id, c.other_id, "checkin", "k").await,
        AwardOutcome::NoRule
    ));
    let volunteer = app.login("volunteer").await; // the day-old access token has expired
    assert_eq!(balance(&app, &volunteer).await, 45);
    assert_ledger_invariants(&app).await;
}

#[tokio::test]
async fn the_same_award_key_pays_once_even_when_sent_concurrently() {
    let app = TestApp::spawn().await;
    let c = community(&app).await;
    put_rules(
        &app,
        &c.staff,
        c.id,
        json!([{"action": "hazard_report", "points": 7}]),
    )
    .await;
    let courier = app.login("courier").await;
    let tasks: Vec<_> = (0..12)
        .map(|_| {
            let state = app.state.clone();
            let user = courier.id;
            let community = c.id;
            tokio::spawn(async move {
                let txn = state.db.begin_write().await.unwrap();
                let outcome = ledger::award(
                    &txn,
                    state.clock.now(),
                    Award {
                        user_id: user,
                        community_id: community,
                        action: "hazard_report",
                        reference: None,
                        idempotency_key: "report-42",
                        amount: None,
                    },
                )
                .await
                .unwrap();
                txn.commit().await.unwrap();
                outcome
            })
        })
        .collect();
    let mut awarded = 0;
    for task in tasks {
        if let AwardOutcome::Awarded(_) = task.await.unwrap() {
            awarded += 1;
        }
    }
    assert_eq!(awarded, 1);
    assert_eq!(balance(&app, &courier).await, 7);
    assert_eq!(app.count("points_entries").await, 1);
    assert_ledger_invariants(&app).await;
}

#[tokio::test]
async fn concurrent_awards_never_pass_the_daily_cap() {
    let app = TestApp::spawn().await;
    let c = community(&app).await;
    put_rules(
        &app,
        &c.staff,
        c.id,
        json!([{"action": "checkin", "points": 10, "daily_cap": 30}]),
    )
    .await;
    let volunteer = app.login("eager").await;
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let state = app.state.clone();
            let (user, community) = (volunteer.id, c.id);
            tokio::spawn(async move {
                let txn = state.db.begin_write().await.unwrap();
                let key = format!("tap-{i}");
                let outcome = ledger::award(
                    &txn,
                    state.clock.now(),
                    Award {
                        user_id: user,
                        community_id: community,
                        action: "checkin",
                        reference: None,
                        idempotency_key: &key,
                        amount: None,
                    },
                )
                .await
                .unwrap();
                txn.commit().await.unwrap();
                outcome
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(balance(&app, &volunteer).await, 30);
    assert_ledger_invariants(&app).await;
}

#[tokio::test]
async fn rules_are_public_to_read_and_only_the_communitys_staff_may_replace_them() {
    let app = TestApp::spawn().await;
    let c = community(&app).await;
    let resident = app.login("nosy").await;
    let rules = json!([{"action": "checkin", "points": 5}]);
    assert_eq!(
        put_rules(&app, &resident, c.id, rules.clone()).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        put_rules(&app, &c.staff, c.other_id, rules.clone()).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        put_rules(&app, &c.admin, c.other_id, rules.clone()).await.0,
        StatusCode::OK
    );
    let (status, body) = app
        .get(
            &format!("/api/v1/communities/{}/points-rules", c.other_id),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["rules"][0]["label"], "报到签到");
    assert_eq!(
        app.get("/api/v1/communities/99999/points-rules", None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_ledger_invariants(&app).await;
}

#[tokio::test]
async fn bad_rules_answer_422_and_keep_the_old_ones() {
    let app = TestApp::spawn().await;
    let c = community(&app).await;
    put_rules(
        &app,
        &c.staff,
        c.id,
        json!([{"action": "checkin", "points": 5}]),
    )
    .await;
    let cases = [
        json!([{"action": "checkin", "points": 5}, {"action": "checkin", "points": 6}]),
        json!([{"action": "Check In", "points": 5}]),
        json!([{"action": "checkin", "points": 0}]),
        json!([{"action": "checkin", "points": 5, "daily_cap": 50, "monthly_cap": 10}]),
        json!([{"action": "checkin", "points": 5, "bonus": 1}]),
    ];
    for rules in cases {
        let (status, body) = put_rules(&app, &c.staff, c.id, rules.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{rules} → {body}");
        assert!(body["fields"].is_object(), "{body}");
    }
    let (_, body) = app
        .get(&format!("/api/v1/communities/{}/points-rules", c.id), None)
        .await;
    assert_eq!(
        body["rules"],
        json!([{"action": "checkin", "label": "报到签到", "points": 5, "daily_cap": null, "monthly_cap": null, "enabled": true}])
    );
    assert_ledger_invariants(&app).await;
}
