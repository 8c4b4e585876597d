//! Logins (WeChat, console password) and console accounts.

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};
use chrono::{DateTime, Utc};
use entity::{role_assignments, users};
use sea_orm::{
    sea_query::OnConflict, ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel,
    QueryFilter, Set,
};

use super::{dto::TokenResponse, sessions};
use crate::{
    auth::{callers, jwt::Tokens, Role},
    cache::Cache,
    clock::Clock,
    db::Db,
    error::{ApiError, ApiResult, ErrorCode, FieldErrors},
    wechat::{self, Wechat},
};

/// Logs in with a `wx.login` code, creating the user on first sight.
pub async fn wechat_login(
    db: &Db,
    wechat: &Wechat,
    tokens: &Tokens,
    now: DateTime<Utc>,
    code: &str,
) -> ApiResult<TokenResponse> {
    let session = wechat.code_to_session(code).await?;
    let nickname = if wechat.is_mock() {
        wechat::mock_nickname(code)
    } else {
        None
    };
    let txn = db.begin_write().await?;
    // Insert-or-keep, so two first logins of one person at once both succeed.
    users::Entity::insert(users::ActiveModel {
        openid: Set(Some(session.openid.clone())),
        nickname: Set(nickname.unwrap_or_else(|| "微信用户".into())),
        token_version: Set(0),
        disabled: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(users::Column::Openid)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    let user = users::Entity::find()
        .filter(users::Column::Openid.eq(&session.openid))
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("user vanished after insert")))?;
    let mut active = user.into_active_model();
    active.session_key = Set(Some(session.session_key));
    if session.unionid.is_some() {
        active.unionid = Set(session.unionid);
    }
    active.updated_at = Set(now);
    let user = active.update(&txn).await?;
    if user.disabled {
        return Err(disabled());
    }
    let issued = sessions::issue_tokens(&*txn, tokens, now, &user, None).await?;
    txn.commit().await?;
    sessions::tokens_response(db.conn(), tokens, user, issued).await
}

/// Logs in a console user by username and password.
pub async fn password_login(
    db: &Db,
    tokens: &Tokens,
    now: DateTime<Utc>,
    username: &str,
    password: &str,
) -> ApiResult<TokenResponse> {
    let user = users::Entity::find()
        .filter(users::Column::Username.eq(username))
        .one(db.conn())
        .await?;
    let hash = user.as_ref().and_then(|u| u.password_hash.clone());
    let password = password.to_owned();
    // Verify even for unknown users so timing does not tell which names exist.
    let ok = tokio::task::spawn_blocking(move || verify_password(hash.as_deref(), &password))
        .await
        .map_err(ApiError::internal)?;
    let user = user
        .filter(|_| ok)
        .ok_or_else(ApiError::invalid_credentials)?;
    if user.disabled {
        return Err(disabled());
    }
    let txn = db.begin_write().await?;
    let issued = sessions::issue_tokens(&*txn, tokens, now, &user, None).await?;
    txn.commit().await?;
    sessions::tokens_response(db.conn(), tokens, user, issued).await
}

/// Creates a platform admin with a password, or resets the password and role of an existing
/// one. `cache` hears of the change (the command line gives it Redis when configured; without
/// Redis a running server sees a reset within its caller cache's few seconds).
pub async fn create_admin(
    db: &Db,
    cache: &Cache,
    clock: &Clock,
    username: &str,
    password: &str,
) -> ApiResult<i64> {
    let username = username.trim();
    let mut errs = FieldErrors::new();
    let fits = !username.is_empty() && username.len() <= 64;
    errs.check(fits, "username", "用户名须为1到64个字符");
    errs.check(password.chars().count() >= 8, "password", "密码至少8个字符");
    errs.finish()?;
    let password = password.to_owned();
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(ApiError::internal)??;
    let now = clock.now();
    let txn = db.begin_write().await?;
    let user = match users::Entity::find()
        .filter(users::Column::Username.eq(username))
        .one(&*txn)
        .await?
    {
        Some(user) => {
            let mut active = user.into_active_model();
            active.password_hash = Set(Some(hash));
            active.token_version = Set(active.token_version.as_ref() + 1);
            active.updated_at = Set(now);
            let user = active.update(&*txn).await?;
            // A reset ends every session: no refresh token or access token of before works.
            sessions::revoke_all(&*txn, user.id, now).await?;
            user
        }
        None => {
            users::ActiveModel {
                username: Set(Some(username.to_owned())),
                password_hash: Set(Some(hash)),
                nickname: Set(username.to_owned()),
                token_version: Set(0),
                disabled: Set(false),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&*txn)
            .await?
        }
    };
    let held = role_assignments::Entity::find()
        .filter(role_assignments::Column::UserId.eq(user.id))
        .filter(role_assignments::Column::Role.eq(Role::PlatformAdmin))
        .one(&*txn)
        .await?;
    if held.is_none() {
        role_assignments::ActiveModel {
            user_id: Set(user.id),
            role: Set(Role::PlatformAdmin),
            scope_id: Set(0),
            created_by: Set(None),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&*txn)
        .await?;
    }
    txn.commit().await?;
    callers::changed(cache, user.id).await;
    Ok(user.id)
}

fn hash_password(password: &str) -> ApiResult<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::internal(anyhow::anyhow!("argon2: {e}")))
}

/// A fixed hash to verify against when the user is unknown.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0EeGfC5m2r1lVHzZpGZ9m2J9M4tB3o8sKkS0KjB1b4Y";

fn verify_password(hash: Option<&str>, password: &str) -> bool {
    let stored = hash.unwrap_or(DUMMY_HASH);
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let ok = Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok();
    ok && hash.is_some()
}

fn disabled() -> ApiError {
    ApiError::refused(ErrorCode::AccountDisabled, "账号已停用")
}
