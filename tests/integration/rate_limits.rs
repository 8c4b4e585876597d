//! Rate limits that fit the place: per address behind trusted proxies, per username for
//! passwords, separate budgets for logins and refreshes, and per user for writes.
//! (Limits with Redis failing: cache_outage.rs.)

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::TestApp;

pub async fn login_status(app: &TestApp, name: &str) -> reqwest::Response {
    app.raw(
        reqwest::Method::POST,
        "/api/v1/auth/wechat-login",
        None,
        Some(json!({ "code": format!("mock:{name}") })),
    )
    .await
}

#[tokio::test]
async fn logins_are_limited_per_client_with_retry_after() {
    let app = TestApp::spawn_with(|s| s.rate.wechat_login = 3).await;
    for i in 0..3 {
        assert_eq!(
            login_status(&app, &format!("u{i}")).await.status(),
            StatusCode::OK
        );
    }
    let response = login_status(&app, "u4").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited");
    assert_eq!(
        app.count("users").await,
        3,
        "the refused login wrote nothing"
    );
    let (status, _) = app
        .post(
            "/api/v1/auth/password-login",
            None,
            json!({"username": "a", "password": "b"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "password logins have their own budget"
    );
}

#[tokio::test]
async fn writes_are_limited_per_user() {
    let app = TestApp::spawn_with(|s| s.rate.writes = 3).await;
    let (first, second) = (app.login("w1").await, app.login("w2").await);
    for _ in 0..3 {
        let (status, _) = app
            .patch("/api/v1/me", Some(&first.token), json!({"nickname": "x"}))
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, body) = app
        .patch("/api/v1/me", Some(&first.token), json!({"nickname": "y"}))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited"))
    );
    let (status, _) = app.get("/api/v1/me", Some(&first.token)).await;
    assert_eq!(status, StatusCode::OK, "reads are not write-limited");
    let (status, _) = app
        .patch("/api/v1/me", Some(&second.token), json!({"nickname": "z"}))
        .await;
    assert_eq!(status, StatusCode::OK, "another user has their own budget");
}

/// A POST as if through a reverse proxy that sent `X-Forwarded-For: forwarded`.
async fn post_forwarded(
    app: &TestApp,
    path: &str,
    forwarded: &str,
    body: Value,
) -> (StatusCode, Value) {
    let response = app
        .client
        .post(format!("{}{}", app.address, path))
        .header("X-Forwarded-For", forwarded)
        .json(&body)
        .send()
        .await
        .expect("the server answers");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn guess(app: &TestApp, username: &str, forwarded: &str) -> StatusCode {
    let body = json!({ "username": username, "password": "not-the-password" });
    post_forwarded(app, "/api/v1/auth/password-login", forwarded, body)
        .await
        .0
}

/// The test's server sees every request from 127.0.0.1: that is the trusted proxy.
fn behind_a_proxy(s: &mut api::config::Settings) {
    s.trusted_proxies = api::config::trusted_proxies(Some("127.0.0.1/32")).unwrap();
}

#[tokio::test]
async fn password_guesses_with_rotating_left_most_forwarded_addresses_are_limited() {
    let app = TestApp::spawn_with(|s| {
        behind_a_proxy(s);
        s.rate.password_login = 20;
    })
    .await;
    let mut statuses = vec![];
    for i in 0..60 {
        // The client writes the left-most entry; the proxy appends the address it saw.
        let forwarded = format!("10.{}.{}.1, 203.0.113.7", i / 200, i % 200);
        statuses.push(guess(&app, &format!("name{i}"), &forwarded).await);
    }
    assert!(
        statuses[..20]
            .iter()
            .all(|s| *s == StatusCode::UNAUTHORIZED),
        "{statuses:?}"
    );
    assert!(
        statuses[20..]
            .iter()
            .all(|s| *s == StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    assert_eq!(
        guess(&app, "someone", "203.0.113.8").await,
        StatusCode::UNAUTHORIZED,
        "another client behind the proxy has its own budget"
    );
}

#[tokio::test]
async fn forwarded_addresses_from_an_untrusted_peer_are_ignored() {
    let app = TestApp::spawn_with(|s| {
        s.trusted_proxies = api::config::trusted_proxies(Some("10.0.0.0/8")).unwrap();
        s.rate.password_login = 3;
    })
    .await;
    let mut statuses = vec![];
    for i in 0..5 {
        statuses.push(guess(&app, &format!("name{i}"), &format!("198.51.100.{i}")).await);
    }
    assert_eq!(
        statuses,
        [
            StatusCode::UNAUTHORIZED,
            StatusCode::UNAUTHORIZED,
            StatusCode::UNAUTHORIZED,
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::TOO_MANY_REQUESTS
        ],
        "the peer 127.0.0.1 is not a trusted proxy: its X-Forwarded-For counts for nothing"
    );
}

#[tokio::test]
async fn password_guesses_for_one_username_from_many_addresses_are_limited() {
    let app = TestApp::spawn_with(|s| {
        behind_a_proxy(s);
        s.rate.password_per_username = 5;
    })
    .await;
    let mut statuses = vec![];
    for i in 0..8 {
        let name = if i % 2 == 0 { "chief" } else { " Chief " };
        statuses.push(guess(&app, name, &format!("198.51.100.{i}")).await);
    }
    assert!(
        statuses[..5].iter().all(|s| *s == StatusCode::UNAUTHORIZED),
        "{statuses:?}"
    );
    assert!(
        statuses[5..]
            .iter()
            .all(|s| *s == StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    assert_eq!(
        guess(&app, "deputy", "198.51.100.99").await,
        StatusCode::UNAUTHORIZED,
        "another username has its own budget"
    );
}

async fn refresh(app: &TestApp, token: &str, forwarded: &str) -> (StatusCode, Value) {
    let body = json!({ "refresh_token": token });
    post_forwarded(app, "/api/v1/auth/refresh", forwarded, body).await
}

async fn wechat_login(app: &TestApp, name: &str, forwarded: &str) -> (StatusCode, Value) {
    let body = json!({ "code": format!("mock:{name}") });
    post_forwarded(app, "/api/v1/auth/wechat-login", forwarded, body).await
}

#[tokio::test]
async fn refresh_and_wechat_login_do_not_share_a_budget() {
    let app = TestApp::spawn_with(|s| {
        behind_a_proxy(s);
        s.rate.wechat_login = 2;
        s.rate.refresh = 2;
    })
    .await;
    // One carrier-NAT address: its login budget runs out, refreshing still works.
    let nat = "198.51.100.10";
    let (_, first) = wechat_login(&app, "nat1", nat).await;
    assert_eq!(wechat_login(&app, "nat2", nat).await.0, StatusCode::OK);
    assert_eq!(
        wechat_login(&app, "nat3", nat).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
    let token = first["refresh_token"].as_str().unwrap();
    let (status, refreshed) = refresh(&app, token, nat).await;
    assert_eq!(status, StatusCode::OK, "{refreshed}");

    // Another address: its refresh budget runs out, logging in still works.
    let other = "198.51.100.11";
    let (_, user) = wechat_login(&app, "other", other).await;
    let mut token = user["refresh_token"].as_str().unwrap().to_owned();
    for _ in 0..2 {
        let (status, body) = refresh(&app, &token, other).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        token = body["refresh_token"].as_str().unwrap().to_owned();
    }
    assert_eq!(
        refresh(&app, &token, other).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(wechat_login(&app, "other2", other).await.0, StatusCode::OK);
}
