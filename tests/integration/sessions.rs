//! Sessions end everywhere at once: password resets, disabled accounts, logout, reuse of a
//! rotated refresh token and logout-all stop both the refresh and the access tokens.

use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Statement};
use secrecy::ExposeSecret;
use serde_json::json;

use crate::helpers::{TestApp, User};

async fn refresh(app: &TestApp, token: &str) -> (StatusCode, serde_json::Value) {
    app.post(
        "/api/v1/auth/refresh",
        None,
        json!({ "refresh_token": token }),
    )
    .await
}

async fn me_status(app: &TestApp, user: &User) -> StatusCode {
    app.get("/api/v1/me", Some(&user.token)).await.0
}

async fn execute(app: &TestApp, sql: String) {
    app.db()
        .execute_raw(Statement::from_string(app.db().get_database_backend(), sql))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_password_reset_ends_every_session_so_its_refresh_tokens_answer_401() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (_, me) = app.get("/api/v1/me", Some(&admin.token)).await;
    let username = me["nickname"].as_str().unwrap().to_owned();

    api::identity::login::create_admin(
        &app.state.db,
        &app.state.cache,
        &app.state.clock,
        &username,
        "new password 2",
    )
    .await
    .unwrap();

    let (status, body) = refresh(&app, &admin.refresh).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["code"], "invalid_refresh_token");
    assert_eq!(me_status(&app, &admin).await, StatusCode::UNAUTHORIZED);
    let (status, _) = app
        .post(
            "/api/v1/auth/password-login",
            None,
            json!({"username": username, "password": "new password 2"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "the new password logs in");
}

#[tokio::test]
async fn a_token_version_bump_or_a_disabled_account_stops_refreshing() {
    let app = TestApp::spawn().await;
    let bumped = app.login("version").await;
    let disabled = app.login("disabled").await;
    execute(
        &app,
        format!(
            "UPDATE users SET token_version = token_version + 1 WHERE id = {}",
            bumped.id
        ),
    )
    .await;
    execute(
        &app,
        format!(
            "UPDATE users SET disabled = TRUE WHERE id = {}",
            disabled.id
        ),
    )
    .await;

    for user in [&bumped, &disabled] {
        let (status, body) = refresh(&app, &user.refresh).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert_eq!(body["code"], "invalid_refresh_token");
        assert_eq!(me_status(&app, user).await, StatusCode::UNAUTHORIZED);
    }
    // Undoing the flag does not bring the session back: it was ended on the refused refresh.
    execute(
        &app,
        format!(
            "UPDATE users SET disabled = FALSE WHERE id = {}",
            disabled.id
        ),
    )
    .await;
    let (status, _) = refresh(&app, &disabled.refresh).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn logout_ends_the_access_tokens_of_that_session_at_once_and_no_other() {
    let app = TestApp::spawn().await;
    let phone = app.login("two-devices").await;
    let tablet = app.login("two-devices").await;
    assert_eq!(phone.id, tablet.id);

    let (status, _) = app
        .post(
            "/api/v1/auth/logout",
            None,
            json!({ "refresh_token": phone.refresh }),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let (status, body) = app.get("/api/v1/me", Some(&phone.token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["code"], "unauthorized");
    assert_eq!(me_status(&app, &tablet).await, StatusCode::OK);
    let (status, _) = refresh(&app, &tablet.refresh).await;
    assert_eq!(status, StatusCode::OK, "the other session refreshes");
}

#[tokio::test]
async fn reusing_a_rotated_refresh_token_ends_the_access_tokens_of_the_family() {
    let app = TestApp::spawn().await;
    let user = app.login("victim").await;
    let (status, rotated) = refresh(&app, &user.refresh).await;
    assert_eq!(status, StatusCode::OK);
    let newer = rotated["access_token"].as_str().unwrap().to_owned();
    assert_eq!(app.get("/api/v1/me", Some(&newer)).await.0, StatusCode::OK);

    // Past the grace in which a retry gets the same successor (sessions_grace.rs).
    app.advance(std::time::Duration::from_secs(11));
    let (status, body) = refresh(&app, &user.refresh).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "refresh_token_reused");

    assert_eq!(me_status(&app, &user).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.get("/api/v1/me", Some(&newer)).await.0,
        StatusCode::UNAUTHORIZED,
        "the thief's fresh access token dies with the family"
    );
}

#[tokio::test]
async fn logout_all_ends_every_session_of_the_caller_and_takes_no_body() {
    let app = TestApp::spawn().await;
    let phone = app.login("everywhere").await;
    let tablet = app.login("everywhere").await;
    let neighbour = app.login("neighbour").await;

    // No body and no content type: the way a mini-program sends a bare action.
    let response = app
        .raw(
            Method::POST,
            "/api/v1/auth/logout-all",
            Some(&phone.token),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);

    for user in [&phone, &tablet] {
        assert_eq!(me_status(&app, user).await, StatusCode::UNAUTHORIZED);
        let (status, _) = refresh(&app, &user.refresh).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(me_status(&app, &neighbour).await, StatusCode::OK);
    let (status, _) = app.post("/api/v1/auth/logout-all", None, json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let again = app.login("everywhere").await;
    assert_eq!(
        me_status(&app, &again).await,
        StatusCode::OK,
        "a new login works"
    );
}

#[tokio::test]
async fn debug_output_of_the_settings_and_a_loaded_caller_holds_no_secret() {
    let app = TestApp::spawn_with(|s| {
        s.wechat.secret = "wechat-app-secret-0123456789".into();
    })
    .await;
    let admin = app.admin().await;
    let resident = app.login("debug").await;
    let row = |id: i64, column: &'static str| {
        let db = app.db().clone();
        async move {
            db.query_one_raw(Statement::from_string(
                db.get_database_backend(),
                format!("SELECT {column} AS v FROM users WHERE id = {id}"),
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get::<String>("", "v")
            .unwrap()
        }
    };
    let hash = row(admin.id, "password_hash").await;
    let session_key = row(resident.id, "session_key").await;
    assert!(!hash.is_empty() && !session_key.is_empty());

    let mut printed = String::new();
    for id in [admin.id, resident.id] {
        let caller = api::auth::extractor::load_user(app.db(), id)
            .await
            .unwrap()
            .unwrap();
        printed.push_str(&format!("{caller:?} {caller:#?}"));
    }
    printed.push_str(&format!("{:?}", app.state.settings));
    assert!(printed.contains(&format!("id: {}", admin.id)), "{printed}");
    for secret in [
        hash.as_str(),
        session_key.as_str(),
        app.state.settings.jwt_secret.expose_secret(),
        "wechat-app-secret-0123456789",
    ] {
        assert!(!printed.contains(secret), "{secret} printed in {printed}");
    }
}
