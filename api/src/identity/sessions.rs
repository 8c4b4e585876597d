//! Sessions: issuing tokens, logout, logout everywhere (rotation is in `refresh`). A session
//! is one login; its refresh tokens form a family, and its access tokens carry its id, so
//! ending the session ends them all at once.

use base64::Engine;
use chrono::{DateTime, Utc};
use entity::{refresh_tokens, sessions, users};
use rand::RngCore;
use sea_orm::{
    sea_query::{Expr, SimpleExpr},
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set,
};
use sha2::{Digest, Sha256};

use super::{dto::TokenResponse, service::me_view};
use crate::{
    auth::{
        callers,
        jwt::{TokenClaims, Tokens},
        Caller,
    },
    cache::Cache,
    db::Db,
    error::{ApiError, ApiResult, ErrorCode},
};

/// Ends the session of a refresh token; unknown tokens are ignored.
pub async fn logout(db: &Db, cache: &Cache, now: DateTime<Utc>, presented: &str) -> ApiResult<()> {
    let txn = db.begin_write().await?;
    let token = refresh_tokens::Entity::find()
        .filter(refresh_tokens::Column::TokenHash.eq(hash_token(presented)))
        .one(&*txn)
        .await?;
    if let Some(token) = &token {
        revoke_family(&*txn, &token.family_id, now).await?;
    }
    txn.commit().await?;
    if let Some(token) = token {
        callers::changed(cache, token.user_id).await;
    }
    Ok(())
}

/// Ends every session of the caller, this one included.
pub async fn logout_all(
    db: &Db,
    cache: &Cache,
    caller: &Caller,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let txn = db.begin_write().await?;
    revoke_all(&*txn, caller.id(), now).await?;
    txn.commit().await?;
    callers::changed(cache, caller.id()).await;
    tracing::info!(user_id = caller.id(), "every session ended");
    Ok(())
}

/// Ends every session of a user and their refresh tokens.
pub(super) async fn revoke_all<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let sessions = sessions::Column::UserId.eq(user_id);
    revoke(
        db,
        sessions,
        refresh_tokens::Column::UserId.eq(user_id),
        now,
    )
    .await
}

/// A new access token and refresh token.
pub(super) struct Issued {
    pub(super) access: String,
    pub(super) refresh: String,
    /// The refresh token's row.
    pub(super) refresh_id: i64,
}

/// Issues tokens in `session`, or in a new session at the user's current token version.
pub(super) async fn issue_tokens<C: ConnectionTrait>(
    db: &C,
    tokens: &Tokens,
    now: DateTime<Utc>,
    user: &users::Model,
    session: Option<sessions::Model>,
) -> ApiResult<Issued> {
    let session = match session {
        Some(session) => session,
        None => {
            sessions::ActiveModel {
                family_id: Set(uuid::Uuid::new_v4().to_string()),
                user_id: Set(user.id),
                token_version: Set(user.token_version),
                created_at: Set(now),
                revoked_at: Set(None),
                ..Default::default()
            }
            .insert(db)
            .await?
        }
    };
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let refresh = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let row = refresh_tokens::ActiveModel {
        user_id: Set(user.id),
        family_id: Set(session.family_id.clone()),
        token_hash: Set(hash_token(&refresh)),
        expires_at: Set(now + tokens.refresh_ttl),
        rotated_at: Set(None),
        revoked_at: Set(None),
        created_at: Set(now),
        successor_id: Set(None),
        successor_sealed: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(Issued {
        access: access_token(tokens, now, user, &session),
        refresh,
        refresh_id: row.id,
    })
}

/// A fresh access token of `user` in `session`.
pub(super) fn access_token(
    tokens: &Tokens,
    now: DateTime<Utc>,
    user: &users::Model,
    session: &sessions::Model,
) -> String {
    let claims = TokenClaims {
        user_id: user.id,
        version: user.token_version,
        session_id: session.id,
    };
    tokens.keys.issue(claims, now, tokens.access_ttl)
}

/// The login answer: both tokens and the profile.
pub(super) async fn tokens_response<C: ConnectionTrait>(
    db: &C,
    tokens: &Tokens,
    user: users::Model,
    issued: Issued,
) -> ApiResult<TokenResponse> {
    Ok(TokenResponse {
        access_token: issued.access,
        refresh_token: issued.refresh,
        token_type: "Bearer",
        expires_in: tokens.access_ttl.as_secs(),
        user: me_view(db, user).await?,
    })
}

/// Ends a session and its refresh tokens.
pub(super) async fn revoke_family<C: ConnectionTrait>(
    db: &C,
    family: &str,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let sessions = sessions::Column::FamilyId.eq(family);
    revoke(
        db,
        sessions,
        refresh_tokens::Column::FamilyId.eq(family),
        now,
    )
    .await
}

/// Ends the sessions and refresh tokens the two conditions pick, forgetting sealed successors.
async fn revoke<C: ConnectionTrait>(
    db: &C,
    sessions: SimpleExpr,
    tokens: SimpleExpr,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    sessions::Entity::update_many()
        .col_expr(sessions::Column::RevokedAt, Expr::value(now))
        .filter(sessions)
        .filter(sessions::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::RevokedAt, Expr::value(now))
        .col_expr(
            refresh_tokens::Column::SuccessorSealed,
            Expr::value(None::<String>),
        )
        .filter(tokens)
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// How a refresh token is stored: SHA-256, hex.
pub(super) fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// 401 `invalid_refresh_token`.
pub(super) fn invalid_refresh() -> ApiError {
    ApiError::unauthenticated(ErrorCode::InvalidRefreshToken, "登录已失效，请重新登录")
}
