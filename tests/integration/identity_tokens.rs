//! Tokens: refresh rotation and reuse, logout, expiry, and tokens that are missing, tampered
//! with, foreign or unsigned.

use std::time::Duration;

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use reqwest::StatusCode;
use secrecy::ExposeSecret;
use serde_json::json;

use crate::helpers::TestApp;

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

    // Past the grace in which a retry gets the same successor (sessions_grace.rs).
    app.advance(Duration::from_secs(11));
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
async fn an_expired_access_token_answers_token_expired_so_the_client_refreshes() {
    let app = TestApp::spawn().await;
    let user = app.login("frank").await;
    app.advance(Duration::from_secs(15 * 60 + 1));

    let response = app
        .raw(reqwest::Method::GET, "/api/v1/me", Some(&user.token), None)
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["code"], "token_expired");
    assert_eq!(body["message"], "登录已过期，请刷新登录状态");

    // A write: the rate limiter checks the token first and hands its verdict on.
    let (status, body) = app
        .patch(
            "/api/v1/me",
            Some(&user.token),
            json!({"nickname": "弗兰克"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "token_expired");
    let (status, body) = app
        .post("/api/v1/auth/logout-all", Some(&user.token), json!({}))
        .await;
    assert_eq!(
        (status, &body["code"]),
        (StatusCode::UNAUTHORIZED, &json!("token_expired"))
    );

    // Refreshing, as the code says, works and gives a token that is accepted.
    let (status, fresh) = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({"refresh_token": user.refresh}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{fresh}");
    let (status, _) = app
        .get("/api/v1/me", Some(fresh["access_token"].as_str().unwrap()))
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_tampered_or_foreign_token_stays_unauthorized_after_expiry_and_on_writes() {
    let app = TestApp::spawn().await;
    let user = app.login("fiona").await;
    let parts: Vec<&str> = user.token.split('.').collect();
    let mut claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    claims["sub"] = json!((user.id + 1).to_string());
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        parts[2]
    );
    let foreign = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(b"someone else's secret").unwrap(),
    )
    .unwrap();
    app.advance(Duration::from_secs(15 * 60 + 1));

    for token in [tampered.as_str(), foreign.as_str()] {
        let (status, body) = app.get("/api/v1/me", Some(token)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["code"], "unauthorized", "GET with {token}");
        let (status, body) = app
            .patch("/api/v1/me", Some(token), json!({"nickname": "冒名"}))
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["code"], "unauthorized", "PATCH with {token}");
    }
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
