//! Logins: mock and WeChat logins, WeChat's errors, passwords, and a first login sent many
//! times at once.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use wiremock::{
    matchers::{method, path, query_param},
    Mock, ResponseTemplate,
};

use crate::helpers::TestApp;

#[tokio::test]
async fn a_mock_login_creates_a_user_once_and_me_shows_it() {
    let app = TestApp::spawn().await;
    let first = app.login("alice").await;
    let again = app.login("alice").await;
    assert_eq!(first.id, again.id);
    assert_ne!(first.id, app.login("bob").await.id);

    let (status, me) = app.get("/api/v1/me", Some(&first.token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["id"], first.id);
    assert_eq!(me["nickname"], "alice");
    assert_eq!(me["roles"], json!([]));
    assert_eq!(app.count("users").await, 2);
}

#[tokio::test]
async fn a_wechat_login_calls_code_to_session_and_keeps_the_session_key_on_the_server() {
    let app = TestApp::spawn_with_wechat().await;
    Mock::given(method("GET"))
        .and(path("/sns/jscode2session"))
        .and(query_param("appid", "wxtestappid"))
        .and(query_param("secret", "wxtestsecret"))
        .and(query_param("js_code", "good-code"))
        .and(query_param("grant_type", "authorization_code"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "openid": "o-real-user", "session_key": "SECRET-SESSION-KEY", "unionid": "u-1"
        })))
        .expect(2)
        .mount(app.wechat.as_ref().unwrap())
        .await;

    let response = app
        .raw(
            reqwest::Method::POST,
            "/api/v1/auth/wechat-login",
            None,
            Some(json!({"code": "good-code"})),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    assert!(
        !text.contains("SECRET-SESSION-KEY"),
        "the session key leaked: {text}"
    );
    let body: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["expires_in"].as_u64().unwrap() <= 1800);

    let (status, again) = app
        .post(
            "/api/v1/auth/wechat-login",
            None,
            json!({"code": "good-code"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["user"]["id"], body["user"]["id"]);
}

#[tokio::test]
async fn wechat_errors_map_to_clear_api_errors_and_create_no_user() {
    let cases = [
        (
            json!({"errcode": 40029, "errmsg": "invalid code"}),
            StatusCode::BAD_REQUEST,
            "wechat_code_invalid",
        ),
        (
            json!({"errcode": 45011, "errmsg": "api minute-quota reach limit"}),
            StatusCode::TOO_MANY_REQUESTS,
            "wechat_rate_limited",
        ),
        (
            json!({"errcode": 40226, "errmsg": "high risk user"}),
            StatusCode::FORBIDDEN,
            "wechat_user_blocked",
        ),
        (
            json!({"errcode": -1, "errmsg": "system busy"}),
            StatusCode::SERVICE_UNAVAILABLE,
            "wechat_unavailable",
        ),
        (
            json!({"errcode": 99999, "errmsg": "something new"}),
            StatusCode::BAD_GATEWAY,
            "wechat_error",
        ),
    ];
    let app = TestApp::spawn_with_wechat().await;
    for (answer, status, code) in cases {
        let wechat = app.wechat.as_ref().unwrap();
        wechat.reset().await;
        Mock::given(path("/sns/jscode2session"))
            .respond_with(ResponseTemplate::new(200).set_body_json(answer))
            .mount(wechat)
            .await;
        let (got, body) = app
            .post("/api/v1/auth/wechat-login", None, json!({"code": "any"}))
            .await;
        assert_eq!(
            (got, body["code"].as_str().unwrap()),
            (status, code),
            "{body}"
        );
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    assert_eq!(app.count("users").await, 0);
}

#[tokio::test]
async fn a_wechat_timeout_or_http_error_answers_503_not_500() {
    let app = TestApp::spawn_with_wechat().await;
    let wechat = app.wechat.as_ref().unwrap();
    Mock::given(path("/sns/jscode2session"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_delay(Duration::from_secs(3))
                .set_body_json(json!({})),
        )
        .mount(wechat)
        .await;
    let (status, body) = app
        .post("/api/v1/auth/wechat-login", None, json!({"code": "slow"}))
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["code"], "wechat_unavailable");

    wechat.reset().await;
    Mock::given(path("/sns/jscode2session"))
        .respond_with(ResponseTemplate::new(502))
        .mount(wechat)
        .await;
    let (status, _) = app
        .post("/api/v1/auth/wechat-login", None, json!({"code": "x"}))
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(app.count("users").await, 0);
}

#[tokio::test]
async fn the_mock_mode_refuses_codes_that_are_not_mock_codes() {
    let app = TestApp::spawn().await;
    let (status, body) = app
        .post(
            "/api/v1/auth/wechat-login",
            None,
            json!({"code": "real-looking-code"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "wechat_code_invalid");
}

#[tokio::test]
async fn a_password_login_needs_the_right_password_and_a_reset_revokes_old_tokens() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (status, me) = app.get("/api/v1/me", Some(&admin.token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["roles"][0]["role"], "platform_admin");
    let username = me["nickname"].as_str().unwrap().to_owned();

    let (status, body) = app
        .post(
            "/api/v1/auth/password-login",
            None,
            json!({"username": username, "password": "wrong password"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "invalid_credentials");
    let (status, body) = app
        .post(
            "/api/v1/auth/password-login",
            None,
            json!({"username": "nobody", "password": "whatever1"}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_credentials"))
    );

    api::identity::login::create_admin(
        &app.state.db,
        &app.state.cache,
        &app.state.clock,
        &username,
        "a brand new password",
    )
    .await
    .unwrap();
    let (status, _) = app.get("/api/v1/me", Some(&admin.token)).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "resetting the password bumps the token version"
    );
}

#[tokio::test]
async fn a_first_login_sent_ten_times_at_once_creates_one_user() {
    let app = TestApp::spawn().await;
    let logins = (0..10).map(|_| {
        app.post(
            "/api/v1/auth/wechat-login",
            None,
            json!({"code": "mock:twin"}),
        )
    });
    let answers = futures_util::future::join_all(logins).await;
    let ids: std::collections::HashSet<i64> = answers
        .iter()
        .map(|(status, body)| {
            assert_eq!(*status, StatusCode::OK, "{body}");
            body["user"]["id"].as_i64().unwrap()
        })
        .collect();
    assert_eq!(ids.len(), 1);
    assert_eq!(app.count("users").await, 1);
}
