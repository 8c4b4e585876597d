//! Logins, token rotation and the caller's profile.

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};
use base64::Engine;
use chrono::{DateTime, Utc};
use entity::{communities, grids, refresh_tokens, role_assignments, streets, users};
use rand::RngCore;
use sea_orm::{
    sea_query::{Expr, OnConflict},
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, Set,
};
use sha2::{Digest, Sha256};

use super::dto::{MeView, RoleView, TokenResponse, UpdateMe};
use crate::{
    auth::{Caller, Role},
    clock::Clock,
    db::Db,
    error::{ApiError, ApiResult},
    state::AppState,
    wechat,
};

/// Logs in with a `wx.login` code, creating the user on first sight.
pub async fn wechat_login(state: &AppState, code: &str) -> ApiResult<TokenResponse> {
    let session = state.wechat.code_to_session(code).await?;
    let nickname = if state.wechat.is_mock() {
        wechat::mock_nickname(code)
    } else {
        None
    };
    let now = state.clock.now();
    let txn = state.db.begin_write().await?;
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
    let tokens = issue_tokens(state, &txn, &user, None).await?;
    txn.commit().await?;
    tokens_response(state, user, tokens).await
}

/// Logs in a console user by username and password.
pub async fn password_login(
    state: &AppState,
    username: &str,
    password: &str,
) -> ApiResult<TokenResponse> {
    let user = users::Entity::find()
        .filter(users::Column::Username.eq(username))
        .one(state.db.conn())
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
    let txn = state.db.begin_write().await?;
    let tokens = issue_tokens(state, &txn, &user, None).await?;
    txn.commit().await?;
    tokens_response(state, user, tokens).await
}

/// Exchanges a refresh token for new tokens; a token used twice ends its whole family.
pub async fn refresh(state: &AppState, presented: &str) -> ApiResult<TokenResponse> {
    let now = state.clock.now();
    let txn = state.db.begin_write().await?;
    let token = refresh_tokens::Entity::find()
        .filter(refresh_tokens::Column::TokenHash.eq(hash_token(presented)))
        .one(&*txn)
        .await?
        .ok_or_else(invalid_refresh)?;
    if token.revoked_at.is_some() || token.expires_at <= now {
        return Err(invalid_refresh());
    }
    let rotated = refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::RotatedAt, Expr::value(now))
        .filter(refresh_tokens::Column::Id.eq(token.id))
        .filter(refresh_tokens::Column::RotatedAt.is_null())
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .exec(&*txn)
        .await?;
    if rotated.rows_affected == 0 {
        revoke_family(&*txn, &token.family_id, now).await?;
        txn.commit().await?;
        tracing::warn!(
            user_id = token.user_id,
            "refresh token reused: family revoked"
        );
        return Err(ApiError::new(
            actix_web::http::StatusCode::UNAUTHORIZED,
            "refresh_token_reused",
            "登录凭证已被使用，请重新登录",
        ));
    }
    let user = users::Entity::find_by_id(token.user_id)
        .one(&*txn)
        .await?
        .filter(|u| !u.disabled)
        .ok_or_else(invalid_refresh)?;
    let tokens = issue_tokens(state, &txn, &user, Some(token.family_id)).await?;
    txn.commit().await?;
    tokens_response(state, user, tokens).await
}

/// Ends the family of a refresh token; unknown tokens are ignored.
pub async fn logout(state: &AppState, presented: &str) -> ApiResult<()> {
    let txn = state.db.begin_write().await?;
    let token = refresh_tokens::Entity::find()
        .filter(refresh_tokens::Column::TokenHash.eq(hash_token(presented)))
        .one(&*txn)
        .await?;
    if let Some(token) = token {
        revoke_family(&*txn, &token.family_id, state.clock.now()).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// The caller's profile with roles.
pub async fn me(state: &AppState, caller: &Caller) -> ApiResult<MeView> {
    me_view(state.db.conn(), caller.user.clone()).await
}

/// Updates nickname and avatar.
pub async fn update_me(state: &AppState, caller: &Caller, input: UpdateMe) -> ApiResult<MeView> {
    let txn = state.db.begin_write().await?;
    let mut active = caller.user.clone().into_active_model();
    if let Some(nickname) = input.nickname {
        let nickname = nickname.trim().to_owned();
        if nickname.is_empty() {
            return Err(ApiError::field("nickname", "昵称不能为空"));
        }
        active.nickname = Set(nickname);
    }
    if let Some(url) = input.avatar_url {
        if !url.starts_with("https://") {
            return Err(ApiError::field("avatar_url", "头像地址须以 https:// 开头"));
        }
        active.avatar_url = Set(Some(url));
    }
    active.updated_at = Set(state.clock.now());
    let user = active.update(&*txn).await?;
    txn.commit().await?;
    me_view(state.db.conn(), user).await
}

/// Binds the phone number from WeChat's phone button.
pub async fn bind_phone(state: &AppState, caller: &Caller, code: &str) -> ApiResult<MeView> {
    let phone = state.wechat.phone_number(&state.cache, code).await?;
    let txn = state.db.begin_write().await?;
    let mut active = caller.user.clone().into_active_model();
    active.phone = Set(Some(phone));
    active.updated_at = Set(state.clock.now());
    let user = active.update(&*txn).await?;
    txn.commit().await?;
    me_view(state.db.conn(), user).await
}

/// Creates a platform admin with a password, or resets the password and role of an existing one.
pub async fn create_admin(
    db: &Db,
    clock: &Clock,
    username: &str,
    password: &str,
) -> ApiResult<i64> {
    let username = username.trim();
    if username.is_empty() || username.len() > 64 {
        return Err(ApiError::field("username", "用户名须为1到64个字符"));
    }
    if password.chars().count() < 8 {
        return Err(ApiError::field("password", "密码至少8个字符"));
    }
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
            active.update(&*txn).await?
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
        .filter(role_assignments::Column::Role.eq(Role::PlatformAdmin.as_str()))
        .one(&*txn)
        .await?;
    if held.is_none() {
        role_assignments::ActiveModel {
            user_id: Set(user.id),
            role: Set(Role::PlatformAdmin.as_str().to_owned()),
            scope_id: Set(0),
            created_by: Set(None),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&*txn)
        .await?;
    }
    txn.commit().await?;
    Ok(user.id)
}

/// The profile of a user as its owner sees it.
pub async fn me_view<C: ConnectionTrait>(db: &C, user: users::Model) -> ApiResult<MeView> {
    let grants = role_assignments::Entity::find()
        .filter(role_assignments::Column::UserId.eq(user.id))
        .all(db)
        .await?;
    let mut roles = Vec::with_capacity(grants.len());
    for grant in grants {
        let Some(role) = Role::parse(&grant.role) else {
            continue;
        };
        let scope_name = scope_name(db, role, grant.scope_id).await?;
        roles.push(RoleView {
            id: grant.id,
            role,
            scope_id: grant.scope_id,
            scope_name,
        });
    }
    Ok(MeView {
        id: user.id,
        nickname: user.nickname,
        avatar_url: user.avatar_url,
        phone: user.phone,
        roles,
    })
}

/// The name of a role's scope.
pub async fn scope_name<C: ConnectionTrait>(
    db: &C,
    role: Role,
    scope_id: i64,
) -> ApiResult<Option<String>> {
    Ok(match role {
        Role::PlatformAdmin => Some("平台".to_owned()),
        Role::StreetAdmin => streets::Entity::find_by_id(scope_id)
            .one(db)
            .await?
            .map(|s| s.name),
        Role::CommunityStaff => communities::Entity::find_by_id(scope_id)
            .one(db)
            .await?
            .map(|c| c.name),
        Role::GridWorker => grids::Entity::find_by_id(scope_id)
            .one(db)
            .await?
            .map(|g| g.name),
    })
}

struct Issued {
    access: String,
    refresh: String,
}

async fn issue_tokens<C: ConnectionTrait>(
    state: &AppState,
    db: &C,
    user: &users::Model,
    family: Option<String>,
) -> ApiResult<Issued> {
    let now = state.clock.now();
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let refresh = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    refresh_tokens::ActiveModel {
        user_id: Set(user.id),
        family_id: Set(family.unwrap_or_else(|| uuid::Uuid::new_v4().to_string())),
        token_hash: Set(hash_token(&refresh)),
        expires_at: Set(now
            + chrono::Duration::from_std(state.settings.refresh_ttl)
                .map_err(ApiError::internal)?),
        rotated_at: Set(None),
        revoked_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let access = state
        .jwt
        .issue(user.id, user.token_version, now, state.settings.access_ttl);
    Ok(Issued { access, refresh })
}

async fn tokens_response(
    state: &AppState,
    user: users::Model,
    tokens: Issued,
) -> ApiResult<TokenResponse> {
    Ok(TokenResponse {
        access_token: tokens.access,
        refresh_token: tokens.refresh,
        token_type: "Bearer",
        expires_in: state.settings.access_ttl.as_secs(),
        user: me_view(state.db.conn(), user).await?,
    })
}

async fn revoke_family<C: ConnectionTrait>(
    db: &C,
    family: &str,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::RevokedAt, Expr::value(now))
        .filter(refresh_tokens::Column::FamilyId.eq(family))
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
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

fn invalid_refresh() -> ApiError {
    ApiError::new(
        actix_web::http::StatusCode::UNAUTHORIZED,
        "invalid_refresh_token",
        "登录已失效，请重新登录",
    )
}

fn disabled() -> ApiError {
    ApiError::new(
        actix_web::http::StatusCode::FORBIDDEN,
        "account_disabled",
        "账号已停用",
    )
}
