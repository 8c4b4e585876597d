//! The points ledger: rules and caps, the passbook, adjustments and the leaderboard.

use std::time::Duration;

use api::points::ledger::{self, Award, AwardOutcome};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{TestApp, User};

struct Community {
    admin: User,
    staff: User,
    id: i64,
    other_id: i64,
}

async fn community(app: &TestApp) -> Community {
    let admin = app.admin().await;
    let street = app.street(&admin, "积分").await;
    let id = app
        .community(&admin, street.id, "仕奇社区", 40.80, 111.70)
        .await;
    let other_id = app
        .community(&admin, street.id, "别的社区", 40.90, 111.80)
        .await;
    let staff = app.login("points-staff").await;
    app.grant(&admin, staff.id, "community_staff", id).await;
    Community {
        admin,
        staff,
        id,
        other_id,
    }
}

async fn put_rules(app: &TestApp, by: &User, community: i64, rules: Value) -> (StatusCode, Value) {
    app.put(
        &format!("/api/v1/communities/{community}/points-rules"),
        Some(&by.token),
        json!({ "rules": rules }),
    )
    .await
}

async fn award(app: &TestApp, user: i64, community: i64, action: &str, key: &str) -> AwardOutcome {
    let txn = app.state.db.begin_write().await.unwrap();
    let outcome = ledger::award(
        &txn,
        app.state.clock.now(),
        Award {
            user_id: user,
            community_id: community,
            action,
            reference: Some(("test", 1)),
            idempotency_key: key,
        },
    )
    .await
    .unwrap();
    txn.commit().await.unwrap();
    outcome
}

async fn adjust(
    app: &TestApp,
    by: &User,
    community: i64,
    key: &str,
    body: Value,
) -> (StatusCode, String) {
    let response = app
        .client
        .post(format!(
            "{}/api/v1/communities/{community}/points/adjustments",
            app.address
        ))
        .bearer_auth(&by.token)
        .header("Idempotency-Key", key)
        .json(&body)
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

async fn balance(app: &TestApp, user: &User) -> i64 {
    let (status, body) = app.get("/api/v1/me/points", Some(&user.token)).await;
    assert_eq!(status, StatusCode::OK);
    body["balance"].as_i64().unwrap()
}

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
}

#[tokio::test]
async fn the_passbook_lists_entries_newest_first_with_balances_and_a_cursor() {
    let app = TestApp::spawn().await;
    let c = community(&app).await;
    put_rules(
        &app,
        &c.staff,
        c.id,
        json!([{"action": "activity_hour", "points": 20}]),
    )
    .await;
    let user = app.login("reader").await;
    app.make_resident(&c.staff, c.id, &user).await;
    for i in 0..3 {
        award(&app, user.id, c.id, "activity_hour", &format!("a{i}")).await;
    }
    let (status, _) = adjust(
        &app,
        &c.staff,
        c.id,
        "fix-1",
        json!({"user_id": user.id, "delta": -15, "reason": "重复登记"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);

    let (_, summary) = app.get("/api/v1/me/points", Some(&user.token)).await;
    assert_eq!(
        summary,
        json!({"balance": 45, "earned_this_month": 60, "spent_this_month": 0, "lifetime_earned": 60})
    );
    let (_, page) = app
        .get("/api/v1/me/points/entries?limit=3", Some(&user.token))
        .await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["kind"], "adjust");
    assert_eq!(items[0]["amount"], -15);
    assert_eq!(items[0]["balance_after"], 45);
    assert_eq!(items[0]["community_name"], "仕奇社区");
    assert_eq!(items[1]["balance_after"], 60);
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, rest) = app
        .get(
            &format!("/api/v1/me/points/entries?limit=3&cursor={cursor}"),
            Some(&user.token),
        )
        .await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert_eq!(rest["items"][0]["balance_after"], 20);
    assert!(rest["next_cursor"].is_null());
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
}

#[tokio::test]
async fn an_adjustment_needs_a_key_replays_it_and_never_takes_a_balance_below_zero() {
    let app = TestApp::spawn().await;
    let c = community(&app).await;
    let user = app.login("adjusted").await;
    app.make_resident(&c.staff, c.id, &user).await;
    let body = json!({"user_id": user.id, "delta": 50, "reason": "志愿服务补录"});

    let (status, answer) = app
        .call(
            Method::POST,
            &format!("/api/v1/communities/{}/points/adjustments", c.id),
            Some(&c.staff.token),
            Some(body.clone()),
        )
        .await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("idempotency_key_required"))
    );

    let (status, first) = adjust(&app, &c.staff, c.id, "k-1", body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let (status, again) = adjust(&app, &c.staff, c.id, "k-1", body.clone()).await;
    assert_eq!(
        (status, &again),
        (StatusCode::CREATED, &first),
        "a retry replays the first answer byte for byte"
    );
    let (status, reused) = adjust(
        &app,
        &c.staff,
        c.id,
        "k-1",
        json!({"user_id": user.id, "delta": 51, "reason": "x"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reused.contains("idempotency_key_reused"));
    assert_eq!(balance(&app, &user).await, 50);

    let (status, answer) = adjust(
        &app,
        &c.staff,
        c.id,
        "k-2",
        json!({"user_id": user.id, "delta": -51, "reason": "扣减"}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(answer.contains("insufficient_points"));
    assert_eq!(balance(&app, &user).await, 50);
    assert_eq!(app.count("points_entries").await, 1);
    let (status, _) = adjust(
        &app,
        &c.staff,
        c.id,
        "k-3",
        json!({"user_id": user.id, "delta": -50, "reason": "清零"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(balance(&app, &user).await, 0);
    assert!(
        app.count("audit_logs").await >= 2,
        "adjustments are audited"
    );
}

#[tokio::test]
async fn adjustments_outside_the_staffs_community_or_with_bad_input_change_nothing() {
    let app = TestApp::spawn().await;
    let c = community(&app).await;
    let user = app.login("target").await;
    app.make_resident(&c.staff, c.id, &user).await;
    let (status, _) = adjust(
        &app,
        &c.staff,
        c.other_id,
        "o-1",
        json!({"user_id": user.id, "delta": 5, "reason": "r"}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = adjust(
        &app,
        &user,
        c.id,
        "o-2",
        json!({"user_id": user.id, "delta": 5, "reason": "r"}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "a resident cannot adjust their own points"
    );
    for body in [
        json!({"user_id": user.id, "delta": 0, "reason": "r"}),
        json!({"user_id": user.id, "delta": 5}),
        json!({"user_id": user.id, "delta": "5", "reason": "r"}),
        json!({"user_id": user.id, "delta": 1_000_000, "reason": "r"}),
    ] {
        let (status, answer) = adjust(&app, &c.staff, c.id, "bad", body.clone()).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body} → {answer}"
        );
    }
    let (status, _) = adjust(
        &app,
        &c.staff,
        c.id,
        "o-3",
        json!({"user_id": 99999, "delta": 5, "reason": "r"}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(app.count("points_entries").await, 0);
    assert_eq!(balance(&app, &user).await, 0);
}

#[tokio::test]
async fn the_leaderboard_ranks_this_periods_earners_with_masked_names() {
    let app = TestApp::spawn().await;
    let c = community(&app).await;
    put_rules(
        &app,
        &c.staff,
        c.id,
        json!([{"action": "activity_hour", "points": 10}]),
    )
    .await;
    let names = ["张三", "李四", "王五"];
    let mut users = vec![];
    for name in names {
        let user = app.login(&format!("lb-{}", users.len())).await;
        app.patch("/api/v1/me", Some(&user.token), json!({"nickname": name}))
            .await;
        users.push(user);
    }
    for (i, times) in [1, 3, 2].iter().enumerate() {
        for k in 0..*times {
            award(
                &app,
                users[i].id,
                c.id,
                "activity_hour",
                &format!("lb-{i}-{k}"),
            )
            .await;
        }
    }
    let path = format!("/api/v1/communities/{}/points/leaderboard", c.id);
    let (status, board) = app.get(&path, Some(&users[0].token)).await;
    assert_eq!(status, StatusCode::OK, "{board}");
    let expected = json!([
        {"rank": 1, "nickname": "李*", "points": 30},
        {"rank": 2, "nickname": "王*", "points": 20},
        {"rank": 3, "nickname": "张*", "points": 10}
    ]);
    assert_eq!(board["entries"], expected);
    let (_, again) = app.get(&path, Some(&users[0].token)).await;
    assert_eq!(
        again["entries"], expected,
        "a cached answer is the same answer"
    );

    award(&app, users[0].id, c.id, "activity_hour", "late").await;
    award(&app, users[0].id, c.id, "activity_hour", "later").await;
    award(&app, users[0].id, c.id, "activity_hour", "latest").await;
    let (_, after) = app
        .get(&format!("{path}?limit=1"), Some(&users[0].token))
        .await;
    assert_eq!(
        after["entries"],
        json!([{"rank": 1, "nickname": "张*", "points": 40}]),
        "new earnings show at once"
    );

    app.advance(Duration::from_secs(40 * 86400));
    let viewer = app.login("lb-0").await;
    let (_, next_month) = app
        .get(&format!("{path}?period=month"), Some(&viewer.token))
        .await;
    assert_eq!(next_month["entries"], json!([]));
    let (status, _) = app
        .get(&format!("{path}?period=decade"), Some(&viewer.token))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.get(&path, None).await.0, StatusCode::UNAUTHORIZED);
}
