//! Expiry: an overdue redemption is refunded once, whether a verification, the sweeper or
//! the background sweeper meets it first.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_ledger_invariants, TestApp};
use crate::supermarket::{code, relogin, spawn, WEEK};

#[tokio::test]
async fn verifying_an_overdue_code_expires_it_with_its_refund() {
    let app = spawn().await;
    let m = app.market().await;
    let resident = app.login("resident").await;
    app.give_points(&m.staff, m.community, &resident, 100).await;
    let goods = app.put_goods(&m.staff, m.community, 30, 5, None).await;
    let (_, r) = app.redeem(&resident, goods, 2).await;
    assert_eq!(
        (app.balance(resident.id).await, app.stock(goods).await),
        (40, 3)
    );
    app.advance(WEEK + Duration::from_secs(1));
    // Access tokens live 15 minutes: log in again after moving the clock.
    let (resident, m) = relogin(&app, m).await;

    let verify = format!("/api/v1/communities/{}/redemptions/verify", m.community);
    let (status, answer) = app
        .post(&verify, Some(&m.staff.token), json!({ "code": code(&r) }))
        .await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (StatusCode::CONFLICT, Some("redemption_expired")),
        "{answer}"
    );
    assert_eq!(
        (app.balance(resident.id).await, app.stock(goods).await),
        (100, 5)
    );
    let (status, answer) = app
        .post(&verify, Some(&m.staff.token), json!({ "code": code(&r) }))
        .await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (StatusCode::CONFLICT, Some("redemption_expired"))
    );
    assert_eq!(
        api::supermarket::sweeper::sweep_once(&app.state)
            .await
            .unwrap(),
        0,
        "nothing left to sweep"
    );
    let (_, entries) = app
        .get("/api/v1/me/points/entries", Some(&resident.token))
        .await;
    assert_eq!(
        (
            entries["items"][0]["kind"].as_str(),
            entries["items"][0]["amount"].as_i64()
        ),
        (Some("expire"), Some(60))
    );
    assert_eq!(app.balance(resident.id).await, 100);
    assert_ledger_invariants(&app).await;
}

#[tokio::test]
async fn the_sweeper_expires_overdue_redemptions_once() {
    let app = TestApp::spawn_with(|s| {
        s.redemption_ttl = Duration::from_secs(3600);
        s.sweep_interval = Duration::ZERO;
    })
    .await;
    let m = app.market().await;
    let resident = app.login("resident").await;
    app.give_points(&m.staff, m.community, &resident, 100).await;
    let goods = app.put_goods(&m.staff, m.community, 10, 10, None).await;
    let (_, first) = app.redeem(&resident, goods, 1).await;
    let created: chrono::DateTime<chrono::Utc> =
        first["created_at"].as_str().unwrap().parse().unwrap();
    let expires: chrono::DateTime<chrono::Utc> =
        first["expires_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        expires - created,
        chrono::Duration::hours(1),
        "LINLI_REDEMPTION_TTL_HOURS is honoured"
    );
    app.redeem(&resident, goods, 2).await;
    assert_eq!(
        api::supermarket::sweeper::sweep_once(&app.state)
            .await
            .unwrap(),
        0,
        "not due yet"
    );
    app.advance(Duration::from_secs(3601));
    // Access tokens live 15 minutes: log in again after moving the clock.
    let (resident, _) = relogin(&app, m).await;
    let (_, late) = app.redeem(&resident, goods, 3).await;

    assert_eq!(
        api::supermarket::sweeper::sweep_once(&app.state)
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        api::supermarket::sweeper::sweep_once(&app.state)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        (app.balance(resident.id).await, app.stock(goods).await),
        (70, 7)
    );
    let (_, mine) = app
        .get(
            "/api/v1/me/redemptions?status=expired",
            Some(&resident.token),
        )
        .await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 2);
    let (_, pending) = app
        .get(
            "/api/v1/me/redemptions?status=pending",
            Some(&resident.token),
        )
        .await;
    assert_eq!(pending["items"][0]["id"], late["id"]);
    assert_ledger_invariants(&app).await;
}

#[tokio::test]
async fn the_background_sweeper_expires_overdue_redemptions_by_itself() {
    let app = TestApp::spawn_with(|s| s.sweep_interval = Duration::from_millis(100)).await;
    let m = app.market().await;
    let resident = app.login("resident").await;
    app.give_points(&m.staff, m.community, &resident, 100).await;
    let goods = app.put_goods(&m.staff, m.community, 10, 10, None).await;
    let (_, r) = app.redeem(&resident, goods, 1).await;
    app.advance(WEEK + Duration::from_secs(1));
    // Access tokens live 15 minutes: log in again after moving the clock.
    let (resident, _) = relogin(&app, m).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let expired = format!(
        "SELECT COUNT(*) AS n FROM redemptions WHERE id = {} AND status = 'expired'",
        r["id"]
    );
    while app.scalar(&expired).await == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "redemption {} never expired",
            r["id"]
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (_, mine) = app
        .get("/api/v1/me/redemptions", Some(&resident.token))
        .await;
    assert_eq!(mine["items"][0]["status"], "expired");
    assert_eq!(app.balance(resident.id).await, 100);
    assert_ledger_invariants(&app).await;
}
