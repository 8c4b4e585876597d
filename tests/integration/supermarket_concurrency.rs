//! The civility supermarket under concurrent requests and client retries: no overselling,
//! no overspending, one redemption per key, one pickup per code, one refund per redemption.

use std::{collections::HashMap, time::Duration};

use futures_util::{future::join_all, stream, StreamExt};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_ledger_invariants, TestApp};

/// A server whose background sweeper stays off, so tests decide when redemptions expire.
async fn spawn() -> TestApp {
    TestApp::spawn_with(|s| s.sweep_interval = Duration::ZERO).await
}

/// Counts answers by status and error code (`-` for successes).
fn tally(answers: &[(StatusCode, Value)]) -> HashMap<(u16, String), usize> {
    let mut counts = HashMap::new();
    for (status, body) in answers {
        let code = body["code"]
            .as_str()
            .filter(|_| !status.is_success())
            .unwrap_or("-")
            .to_owned();
        *counts.entry((status.as_u16(), code)).or_default() += 1;
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_residents_racing_for_ten_items_get_exactly_ten() {
    let app = spawn().await;
    let m = app.market().await;
    let goods = app.put_goods(&m.staff, m.community, 10, 10, None).await;
    // Setting up 200 residents (login, residence, approval, points) is not the race: a few
    // at a time, so a loaded machine cannot push a setup request past the client's timeout.
    let residents: Vec<_> = stream::iter(0..200)
        .map(|i| {
            let (app, m) = (&app, &m);
            async move {
                let resident = app.login(&format!("racer{i}")).await;
                app.give_points(&m.staff, m.community, &resident, 10).await;
                resident
            }
        })
        .buffered(8)
        .collect()
        .await;

    let answers = join_all(residents.iter().map(|r| app.redeem(r, goods, 1))).await;

    let counts = tally(&answers);
    assert_eq!(counts.get(&(201, "-".into())), Some(&10), "{counts:?}");
    assert_eq!(
        counts.get(&(409, "out_of_stock".into())),
        Some(&190),
        "{counts:?}"
    );
    assert_eq!(counts.len(), 2, "no other answers: {counts:?}");
    assert_eq!(app.stock(goods).await, 0);
    assert_eq!(app.count("redemptions").await, 10);
    let spent = app
        .scalar("SELECT COUNT(*) AS n FROM points_wallets WHERE balance = 0")
        .await;
    assert_eq!(spent, 10, "only the ten winners paid");
    assert_ledger_invariants(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_redemptions_of_one_balance_succeed_once() {
    let app = spawn().await;
    let m = app.market().await;
    let resident = app.login("resident").await;
    app.give_points(&m.staff, m.community, &resident, 100).await;
    let goods = app.put_goods(&m.staff, m.community, 100, 50, None).await;

    let answers = join_all((0..20).map(|_| app.redeem(&resident, goods, 1))).await;

    let counts = tally(&answers);
    assert_eq!(counts.get(&(201, "-".into())), Some(&1), "{counts:?}");
    assert_eq!(
        counts.get(&(409, "insufficient_points".into())),
        Some(&19),
        "{counts:?}"
    );
    assert_eq!(app.balance(resident.id).await, 0);
    assert_eq!(app.stock(goods).await, 49);
    let negative = app
        .scalar("SELECT COUNT(*) AS n FROM points_entries WHERE balance_after < 0")
        .await;
    assert_eq!(negative, 0, "the balance never went below zero");
    assert_ledger_invariants(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_redemptions_never_pass_the_monthly_limit() {
    let app = spawn().await;
    let m = app.market().await;
    let resident = app.login("resident").await;
    app.give_points(&m.staff, m.community, &resident, 1000)
        .await;
    let goods = app.put_goods(&m.staff, m.community, 10, 50, Some(3)).await;

    let answers = join_all((0..20).map(|_| app.redeem(&resident, goods, 1))).await;

    let counts = tally(&answers);
    assert_eq!(counts.get(&(201, "-".into())), Some(&3), "{counts:?}");
    assert_eq!(
        counts.get(&(409, "limit_reached".into())),
        Some(&17),
        "{counts:?}"
    );
    assert_eq!(app.balance(resident.id).await, 970);
    assert_eq!(app.stock(goods).await, 47);
    assert_eq!(app.count("redemptions").await, 3);
    assert_ledger_invariants(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_key_sent_fifty_times_at_once_and_fifty_in_sequence_redeems_once() {
    let app = spawn().await;
    let m = app.market().await;
    let resident = app.login("resident").await;
    app.give_points(&m.staff, m.community, &resident, 500).await;
    let goods = app.put_goods(&m.staff, m.community, 30, 100, None).await;
    let body = json!({ "goods_id": goods, "quantity": 2 });
    let send = || {
        app.post_with_key(
            "/api/v1/redemptions",
            &resident.token,
            "tap-tap-tap",
            body.clone(),
        )
    };

    let mut answers = join_all((0..50).map(|_| send())).await;
    for _ in 0..50 {
        answers.push(send().await);
    }

    let created: Vec<&String> = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .map(|(_, b)| b)
        .collect();
    assert!(
        created.len() >= 51,
        "the first and every sequential retry answer 201: {}",
        created.len()
    );
    assert!(
        created.iter().all(|b| *b == created[0]),
        "every 201 body is byte-identical"
    );
    for (status, text) in &answers {
        let ok = *status == StatusCode::CREATED
            || (*status == StatusCode::CONFLICT
                && text.contains("idempotency_request_in_progress"));
        assert!(ok, "unexpected answer {status}: {text}");
    }
    assert_eq!(app.count("redemptions").await, 1);
    let payments = app
        .scalar("SELECT COUNT(*) AS n FROM points_entries WHERE source = 'redemption'")
        .await;
    assert_eq!(payments, 1, "one ledger entry");
    assert_eq!(
        (app.balance(resident.id).await, app.stock(goods).await),
        (440, 98)
    );
    assert_ledger_invariants(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_staff_verifying_one_code_at_once_fulfil_it_once() {
    let app = spawn().await;
    let m = app.market().await;
    let colleague = app.login("market-staff-2").await;
    app.grant(&m.admin, colleague.id, "community_staff", m.community)
        .await;
    let resident = app.login("resident").await;
    app.give_points(&m.staff, m.community, &resident, 1000)
        .await;
    let goods = app.put_goods(&m.staff, m.community, 10, 100, None).await;
    let verify = format!("/api/v1/communities/{}/redemptions/verify", m.community);
    let elsewhere = format!(
        "/api/v1/communities/{}/redemptions/verify",
        m.other_community
    );

    for _ in 0..10 {
        let (status, r) = app.redeem(&resident, goods, 1).await;
        assert_eq!(status, StatusCode::CREATED, "{r}");
        let body = json!({ "code": r["code"] });
        // Staff of another community find nothing, through either community, and change nothing.
        assert_eq!(
            app.post(&verify, Some(&m.other_staff.token), body.clone())
                .await
                .0,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            app.post(&elsewhere, Some(&m.other_staff.token), body.clone())
                .await
                .0,
            StatusCode::NOT_FOUND
        );
        let status_of = format!(
            "SELECT COUNT(*) AS n FROM redemptions WHERE id = {} AND status = 'pending'",
            r["id"]
        );
        assert_eq!(app.scalar(&status_of).await, 1);

        let (a, b) = tokio::join!(
            app.post(&verify, Some(&m.staff.token), body.clone()),
            app.post(&verify, Some(&colleague.token), body.clone())
        );

        let counts = tally(&[a.clone(), b.clone()]);
        assert_eq!(counts.get(&(200, "-".into())), Some(&1), "{counts:?}");
        assert_eq!(
            counts.get(&(409, "already_fulfilled".into())),
            Some(&1),
            "{counts:?}"
        );
        let winner = if a.0 == StatusCode::OK {
            (a.1, m.staff.id)
        } else {
            (b.1, colleague.id)
        };
        assert_eq!(
            winner.0["fulfilled_by"], winner.1,
            "who verified is recorded"
        );
    }
    assert_eq!(
        app.scalar("SELECT COUNT(*) AS n FROM redemptions WHERE status = 'fulfilled'")
            .await,
        10
    );
    assert_ledger_invariants(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cancel_racing_the_sweepers_refunds_once() {
    let app = TestApp::spawn_with(|s| {
        s.sweep_interval = Duration::ZERO;
        s.redemption_ttl = Duration::from_secs(3600);
    })
    .await;
    let m = app.market().await;
    let mut resident = app.login("resident").await;
    app.give_points(&m.staff, m.community, &resident, 1000)
        .await;
    let goods = app.put_goods(&m.staff, m.community, 10, 100, None).await;
    let (mut cancelled, mut expired) = (0, 0);

    for _ in 0..20 {
        let (status, r) = app.redeem(&resident, goods, 1).await;
        assert_eq!(status, StatusCode::CREATED, "{r}");
        app.advance(Duration::from_secs(3601));
        // Access tokens live 15 minutes: log in again after moving the clock.
        resident = app.login("resident").await;
        let cancel = format!("/api/v1/redemptions/{}/cancel", r["id"]);

        // Two sweepers stand for two server instances.
        let (cancel, first, second) = tokio::join!(
            app.post(&cancel, Some(&resident.token), json!({})),
            api::supermarket::sweeper::sweep_once(&app.state),
            api::supermarket::sweeper::sweep_once(&app.state)
        );

        let swept = first.unwrap() + second.unwrap();
        match cancel.0 {
            StatusCode::OK => {
                assert_eq!((cancel.1["status"].as_str(), swept), (Some("cancelled"), 0));
                cancelled += 1;
            }
            StatusCode::CONFLICT => {
                assert_eq!(
                    (cancel.1["code"].as_str(), swept),
                    (Some("redemption_not_pending"), 1)
                );
                expired += 1;
            }
            other => panic!("unexpected cancel answer {other}: {}", cancel.1),
        }
        let refunds = format!("SELECT COUNT(*) AS n FROM points_entries WHERE source = 'redemption_refund' AND ref_id = {}", r["id"]);
        assert_eq!(app.scalar(&refunds).await, 1, "exactly one refund");
    }
    assert_eq!(cancelled + expired, 20);
    assert_eq!(
        (app.balance(resident.id).await, app.stock(goods).await),
        (1000, 100)
    );
    assert_ledger_invariants(&app).await;
}
