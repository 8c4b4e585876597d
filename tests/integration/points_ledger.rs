//! The points ledger as people see it: the passbook, staff adjustments, and the leaderboard.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{assert_ledger_invariants, TestApp};
use crate::points::{adjust, award, balance, community, put_rules};

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
    assert_ledger_invariants(&app).await;
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
    assert_ledger_invariants(&app).await;
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
    assert_ledger_invariants(&app).await;
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
    assert_eq!(board["items"], expected);
    assert_eq!(
        board["next_cursor"],
        Value::Null,
        "the top list is one page"
    );
    assert!(board.get("entries").is_none(), "{board}");
    let (_, again) = app.get(&path, Some(&users[0].token)).await;
    assert_eq!(
        again["items"], expected,
        "a cached answer is the same answer"
    );

    award(&app, users[0].id, c.id, "activity_hour", "late").await;
    award(&app, users[0].id, c.id, "activity_hour", "later").await;
    award(&app, users[0].id, c.id, "activity_hour", "latest").await;
    let (_, after) = app
        .get(&format!("{path}?limit=1"), Some(&users[0].token))
        .await;
    assert_eq!(
        after["items"],
        json!([{"rank": 1, "nickname": "张*", "points": 40}]),
        "new earnings show at once"
    );

    app.advance(Duration::from_secs(40 * 86400));
    let viewer = app.login("lb-0").await;
    let (_, next_month) = app
        .get(&format!("{path}?period=month"), Some(&viewer.token))
        .await;
    assert_eq!(next_month["items"], json!([]));
    let (status, _) = app
        .get(&format!("{path}?period=decade"), Some(&viewer.token))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.get(&path, None).await.0, StatusCode::UNAUTHORIZED);
    assert_ledger_invariants(&app).await;
}
