//! Sessions on flaky networks: a rotated refresh token presented again within the grace (a
//! lost answer, several pages refreshing at once) answers with the same successor; after the
//! grace, or once the successor was used, it is reuse and the family ends.

use std::time::Duration;

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use migration::MigratorTrait;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, DbBackend};
use serde_json::{json, Value};

use crate::helpers::{TestApp, User};

async fn refresh(app: &TestApp, token: &str) -> (StatusCode, Value) {
    app.post(
        "/api/v1/auth/refresh",
        None,
        json!({ "refresh_token": token }),
    )
    .await
}

/// Refreshes and answers (access token, refresh token), asserting a 200.
async fn refreshed(app: &TestApp, token: &str) -> (String, String) {
    let (status, body) = refresh(app, token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let field = |name: &str| body[name].as_str().unwrap().to_owned();
    (field("access_token"), field("refresh_token"))
}

fn session_of(access: &str) -> i64 {
    let payload = access.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    claims["sid"].as_i64().unwrap()
}

async fn live_refresh_tokens(app: &TestApp, user: &User) -> i64 {
    app.scalar(&format!(
        "SELECT COUNT(*) AS n FROM refresh_tokens \
         WHERE user_id = {} AND rotated_at IS NULL AND revoked_at IS NULL",
        user.id
    ))
    .await
}

async fn sealed_successors(app: &TestApp, user: &User) -> i64 {
    app.scalar(&format!(
        "SELECT COUNT(*) AS n FROM refresh_tokens \
         WHERE user_id = {} AND successor_sealed IS NOT NULL",
        user.id
    ))
    .await
}

#[tokio::test]
async fn a_refresh_whose_answer_was_lost_gets_the_same_successor_within_the_grace() {
    let app = TestApp::spawn().await;
    let user = app.login("lost-answer").await;
    let (first_access, successor) = refreshed(&app, &user.refresh).await;

    app.advance(Duration::from_secs(9));
    let (access, again) = refreshed(&app, &user.refresh).await;

    assert_eq!(again, successor, "the same successor refresh token");
    assert_eq!(session_of(&access), session_of(&first_access));
    assert_eq!(session_of(&access), session_of(&user.token));
    assert_eq!(app.get("/api/v1/me", Some(&access)).await.0, StatusCode::OK);
    assert_eq!(live_refresh_tokens(&app, &user).await, 1);
    let (_, next) = refreshed(&app, &successor).await;
    assert_ne!(next, successor, "the successor rotates as usual");
}

#[tokio::test]
async fn after_the_grace_a_rotated_token_is_reuse_and_ends_the_family() {
    let app = TestApp::spawn().await;
    let user = app.login("late-retry").await;
    let (access, successor) = refreshed(&app, &user.refresh).await;

    app.advance(Duration::from_secs(11));
    let (status, body) = refresh(&app, &user.refresh).await;

    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["code"], "refresh_token_reused");
    let (status, body) = refresh(&app, &successor).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["code"], "invalid_refresh_token");
    assert_eq!(
        app.get("/api/v1/me", Some(&access)).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        sealed_successors(&app, &user).await,
        0,
        "nothing left sealed"
    );
}

#[tokio::test]
async fn a_rotated_token_whose_successor_was_used_is_reuse_even_within_the_grace() {
    let app = TestApp::spawn().await;
    let user = app.login("moved-on").await;
    let (_, successor) = refreshed(&app, &user.refresh).await;
    let (next_access, next) = refreshed(&app, &successor).await;

    let (status, body) = refresh(&app, &user.refresh).await;

    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["code"], "refresh_token_reused");
    assert_eq!(refresh(&app, &next).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.get("/api/v1/me", Some(&next_access)).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn parallel_refreshes_of_one_token_all_get_the_same_successor() {
    let app = TestApp::spawn().await;
    let user = app.login("many-pages").await;

    let answers =
        futures_util::future::join_all((0..8).map(|_| refresh(&app, &user.refresh))).await;

    let mut successors = std::collections::BTreeSet::new();
    for (status, body) in &answers {
        assert_eq!(*status, StatusCode::OK, "{body}");
        successors.insert(body["refresh_token"].as_str().unwrap().to_owned());
        let access = body["access_token"].as_str().unwrap();
        assert_eq!(session_of(access), session_of(&user.token));
    }
    assert_eq!(successors.len(), 1, "one successor: {successors:?}");
    assert_eq!(live_refresh_tokens(&app, &user).await, 1);
    let successor = successors.into_iter().next().unwrap();
    let (access, _) = refreshed(&app, &successor).await;
    assert_eq!(app.get("/api/v1/me", Some(&access)).await.0, StatusCode::OK);
    assert_eq!(live_refresh_tokens(&app, &user).await, 1);
}

#[tokio::test]
async fn within_the_grace_a_disabled_account_still_refreshes_no_more() {
    let app = TestApp::spawn().await;
    let user = app.login("disabled-in-grace").await;
    let (_, successor) = refreshed(&app, &user.refresh).await;
    app.db()
        .execute_unprepared(&format!(
            "UPDATE users SET disabled = TRUE WHERE id = {}",
            user.id
        ))
        .await
        .unwrap();

    let (status, body) = refresh(&app, &user.refresh).await;

    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["code"], "invalid_refresh_token");
    assert_eq!(refresh(&app, &successor).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_zero_grace_detects_reuse_at_once() {
    let app = TestApp::spawn_with(|s| s.refresh_reuse_grace = Duration::ZERO).await;
    let user = app.login("no-grace").await;
    let (_, successor) = refreshed(&app, &user.refresh).await;

    let (status, body) = refresh(&app, &user.refresh).await;

    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["code"], "refresh_token_reused");
    assert_eq!(refresh(&app, &successor).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_successor_is_kept_sealed_and_only_while_the_family_has_not_moved_on() {
    let app = TestApp::spawn().await;
    let user = app.login("sealed").await;
    let (_, successor) = refreshed(&app, &user.refresh).await;
    let rows = app
        .rows(&format!(
            "SELECT successor_sealed AS s FROM refresh_tokens \
             WHERE user_id = {} AND successor_sealed IS NOT NULL",
            user.id
        ))
        .await;
    assert_eq!(rows.len(), 1);
    let sealed: String = rows[0].try_get("", "s").unwrap();
    assert!(!sealed.contains(&successor), "stored sealed, not in clear");

    refreshed(&app, &successor).await;
    assert_eq!(sealed_successors(&app, &user).await, 1, "only the latest");

    let (status, _) = app
        .post(
            "/api/v1/auth/logout",
            None,
            json!({ "refresh_token": user.refresh }),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(sealed_successors(&app, &user).await, 0, "cleared on logout");
}

#[tokio::test]
async fn the_successor_migration_goes_down_and_up_again() {
    let app = TestApp::spawn().await;
    let user = app.login("migrated").await;
    refreshed(&app, &user.refresh).await;
    let successor_columns = if app.db().get_database_backend() == DbBackend::Sqlite {
        "SELECT COUNT(*) AS n FROM pragma_table_info('refresh_tokens') \
         WHERE name LIKE 'successor%'"
    } else {
        "SELECT COUNT(*) AS n FROM information_schema.columns \
         WHERE table_name = 'refresh_tokens' AND column_name LIKE 'successor%'"
    };

    let steps = crate::helpers::migrations_from("m20261201_000004_refresh_successor");
    migration::Migrator::down(app.db(), Some(steps))
        .await
        .unwrap();
    assert_eq!(app.scalar(successor_columns).await, 0);
    migration::Migrator::up(app.db(), None).await.unwrap();
    assert_eq!(app.scalar(successor_columns).await, 2);
    assert_eq!(sealed_successors(&app, &user).await, 0);
}
