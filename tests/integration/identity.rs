//! Logins, WeChat errors, token rotation and token validation.

use std::time::Duration;

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use reqwest::StatusCode;
use secrecy::ExposeSecret;
use serde_json::json;
use wiremock::{
    matchers::{body_partial_json, method, path, query_param},
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
async fn a_refresh_rotates_the_token_and_reusing_an_old_one_revokes_the_family() {
    let app = TestApp::spawn().await;
    let user = app.login("carol").await;

    let (status, second) = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": user.refresh}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let second_refresh = second["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(second_refresh, user.refresh);
    let (status, _) = app
        .get("/api/v1/me", Some(second["access_token"].as_str().unwrap()))
        .await;
    assert_eq!(status, StatusCode::OK);

    let (status, body) = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": user.refresh}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "refresh_token_reused");

    let (status, body) = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": second_refresh}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the rotated-to token dies with its family: {body}"
    );

    let other = app.login("carol").await;
    let (status, _) = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": other.refresh}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "a new login starts a new family");
}

#[tokio::test]
async fn logout_ends_the_family_and_unknown_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let user = app.login("dave").await;
    let (status, _) = app
        .post(
            "/api/v1/auth/logout",
            None,
            json!({"refresh_token": user.refresh}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": user.refresh}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "invalid_refresh_token");
    let (status, _) = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": "made-up"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_refresh_token_expires() {
    let app = TestApp::spawn().await;
    let user = app.login("erin").await;
    app.advance(Duration::from_secs(31 * 86400));
    let (status, _) = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": user.refresh}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_expired_access_token_answers_401_with_www_authenticate() {
    let app = TestApp::spawn().await;
    let user = app.login("frank").await;
    app.advance(Duration::from_secs(15 * 60 + 1));
    let response = app
        .raw(reqwest::Method::GET, "/api/v1/me", Some(&user.token), None)
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["code"], "unauthorized");
}

#[tokio::test]
async fn missing_tampered_foreign_and_alg_none_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let user = app.login("grace").await;
    let parts: Vec<&str> = user.token.split('.').collect();
    let claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();

    let mut raised = claims.clone();
    raised["sub"] = json!((user.id + 1).to_string());
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(raised.to_string()),
        parts[2]
    );
    let none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let secret = app.state.settings.jwt_secret.expose_secret();
    let hs512 = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS512),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()).unwrap(),
    )
    .unwrap();
    let foreign = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(b"someone else's secret").unwrap(),
    )
    .unwrap();

    for token in [
        tampered.as_str(),
        none.as_str(),
        hs512.as_str(),
        foreign.as_str(),
        "not-a-jwt",
    ] {
        let (status, body) = app.get("/api/v1/me", Some(token)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "accepted {token}");
        assert_eq!(body["code"], "unauthorized");
    }
    let (status, _) = app.get("/api/v1/me", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app.get("/api/v1/me", Some(&user.token)).await;
    assert_eq!(status, StatusCode::OK);
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
async fn patch_me_changes_the_profile_and_refuses_bad_values() {
    let app = TestApp::spawn().await;
    let user = app.login("heidi").await;
    let (status, me) = app
        .patch(
            "/api/v1/me",
            Some(&user.token),
            json!({"nickname": "海蒂", "avatar_url": "https://example.com/a.png"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["nickname"], "海蒂");
    assert_eq!(me["avatar_url"], "https://example.com/a.png");

    let (status, body) = app
        .patch("/api/v1/me", Some(&user.token), json!({"nickname": ""}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["fields"]["nickname"].is_string());
    let (status, body) = app
        .patch(
            "/api/v1/me",
            Some(&user.token),
            json!({"avatar_url": "not a url"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["fields"]["avatar_url"].is_string());
    let (_, me) = app.get("/api/v1/me", Some(&user.token)).await;
    assert_eq!(me["nickname"], "海蒂");
}

#[tokio::test]
async fn binding_a_phone_uses_a_cached_stable_token_and_refetches_it_once_when_wechat_says_expired()
{
    let app = TestApp::spawn_with_wechat().await;
    let wechat = app.wechat.as_ref().unwrap();
    Mock::given(path("/sns/jscode2session"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"openid": "o-phone", "session_key": "k"})),
        )
        .mount(wechat)
        .await;
    Mock::given(method("POST"))
        .and(path("/cgi-bin/stable_token"))
        .and(body_partial_json(json!({"grant_type": "client_credential", "appid": "wxtestappid", "force_refresh": false})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"access_token": "TOKEN-1", "expires_in": 7200})))
        .expect(1)
        .mount(wechat)
        .await;
    Mock::given(method("POST"))
        .and(path("/cgi-bin/stable_token"))
        .and(body_partial_json(json!({"force_refresh": true})))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": "TOKEN-2", "expires_in": 7200})),
        )
        .expect(1)
        .mount(wechat)
        .await;
    Mock::given(path("/wxa/business/getuserphonenumber"))
        .and(query_param("access_token", "TOKEN-1"))
        .and(body_partial_json(json!({"code": "phone-code-1"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "errcode": 0, "phone_info": {"phoneNumber": "13812345678", "purePhoneNumber": "13812345678", "countryCode": "86"}
        })))
        .expect(1)
        .mount(wechat)
        .await;
    Mock::given(path("/wxa/business/getuserphonenumber"))
        .and(query_param("access_token", "TOKEN-1"))
        .and(body_partial_json(json!({"code": "phone-code-2"})))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"errcode": 40001, "errmsg": "invalid credential"})),
        )
        .expect(1)
        .mount(wechat)
        .await;
    Mock::given(path("/wxa/business/getuserphonenumber"))
        .and(query_param("access_token", "TOKEN-2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "errcode": 0, "phone_info": {"phoneNumber": "13900001111", "purePhoneNumber": "13900001111", "countryCode": "86"}
        })))
        .expect(1)
        .mount(wechat)
        .await;

    let (_, login) = app
        .post("/api/v1/auth/wechat-login", None, json!({"code": "c"}))
        .await;
    let token = login["access_token"].as_str().unwrap();
    let (status, me) = app
        .post(
            "/api/v1/me/phone",
            Some(token),
            json!({"code": "phone-code-1"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(
        me["phone"], "13812345678",
        "the owner sees the whole number"
    );
    let (status, me) = app
        .post(
            "/api/v1/me/phone",
            Some(token),
            json!({"code": "phone-code-2"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["phone"], "13900001111");
}

#[tokio::test]
async fn the_mock_mode_binds_the_phone_named_in_the_code() {
    let app = TestApp::spawn().await;
    let user = app.login("ivan").await;
    let (status, me) = app
        .post(
            "/api/v1/me/phone",
            Some(&user.token),
            json!({"code": "mock:13812345678"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["phone"], "13812345678");
    let (status, body) = app
        .post(
            "/api/v1/me/phone",
            Some(&user.token),
            json!({"code": "mock:123"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "wechat_code_invalid");
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
