//! Refresh-token rotation with reuse detection, and a short grace for flaky networks.
//!
//! Rotating a token marks it rotated with a conditional update, issues its successor and
//! keeps the successor on the rotated row, sealed (see `auth::seal`). The same token presented
//! again within `Tokens::reuse_grace` of its rotation answers with that same successor and a
//! fresh access token of the session: a lost answer, or several pages of one phone refreshing
//! at once, keep the session. Outside the grace, or once the successor was itself rotated (the
//! client moved on), presenting it is reuse: the whole family ends. So a family never has more
//! than one live refresh token.

use chrono::{DateTime, Utc};
use entity::{refresh_tokens, sessions, users};
use sea_orm::{sea_query::Expr, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::{
    dto::TokenResponse,
    sessions::{
        access_token, hash_token, invalid_refresh, issue_tokens, revoke_family, tokens_response,
        Issued,
    },
};
use crate::{
    auth::{callers, jwt::Tokens},
    cache::Cache,
    db::{Db, WriteTxn},
    error::{ApiError, ApiResult, ErrorCode},
};

/// Exchanges a refresh token for new tokens. A rotated token presented again within the grace
/// gets the same successor; otherwise a token used twice ends its whole session. A session of
/// a disabled account or of an older token version refreshes no more.
pub async fn refresh(
    db: &Db,
    cache: &Cache,
    tokens: &Tokens,
    now: DateTime<Utc>,
    presented: &str,
) -> ApiResult<TokenResponse> {
    let txn = db.begin_write().await?;
    let token = refresh_tokens::Entity::find()
        .filter(refresh_tokens::Column::TokenHash.eq(hash_token(presented)))
        .one(&*txn)
        .await?
        .ok_or_else(invalid_refresh)?;
    if token.revoked_at.is_some() || token.expires_at <= now {
        return Err(invalid_refresh());
    }
    let token = if token.rotated_at.is_none() {
        let rotated = refresh_tokens::Entity::update_many()
            .col_expr(refresh_tokens::Column::RotatedAt, Expr::value(now))
            .filter(refresh_tokens::Column::Id.eq(token.id))
            .filter(refresh_tokens::Column::RotatedAt.is_null())
            .filter(refresh_tokens::Column::RevokedAt.is_null())
            .exec(&*txn)
            .await?;
        if rotated.rows_affected == 1 {
            return rotate(db, cache, txn, tokens, now, token).await;
        }
        // A parallel refresh of this token won (on PostgreSQL this update waited for it to
        // commit): read the successor it left.
        refresh_tokens::Entity::find_by_id(token.id)
            .one(&*txn)
            .await?
            .filter(|t| t.revoked_at.is_none())
            .ok_or_else(invalid_refresh)?
    } else {
        token
    };
    if let Some(successor) = successor_within_grace(&*txn, tokens, now, &token).await? {
        let Some((session, user)) = live_session(&*txn, &token).await? else {
            return end_family(txn, cache, &token, now, invalid_refresh()).await;
        };
        txn.commit().await?;
        tracing::info!(
            user_id = user.id,
            "rotated refresh token presented again within the grace: same successor"
        );
        let issued = Issued {
            access: access_token(tokens, now, &user, &session),
            refresh: successor.0,
            refresh_id: successor.1,
        };
        return tokens_response(db.conn(), tokens, user, issued).await;
    }
    tracing::warn!(
        user_id = token.user_id,
        "refresh token reused: session revoked"
    );
    end_family(txn, cache, &token, now, reused()).await
}

/// Issues the successor of `token`, just marked rotated, and seals it on `token`'s row.
async fn rotate(
    db: &Db,
    cache: &Cache,
    txn: WriteTxn,
    tokens: &Tokens,
    now: DateTime<Utc>,
    token: refresh_tokens::Model,
) -> ApiResult<TokenResponse> {
    let Some((session, user)) = live_session(&*txn, &token).await? else {
        return end_family(txn, cache, &token, now, invalid_refresh()).await;
    };
    // The family moves on: the successors sealed by earlier rotations are no longer needed.
    refresh_tokens::Entity::update_many()
        .col_expr(
            refresh_tokens::Column::SuccessorSealed,
            Expr::value(None::<String>),
        )
        .filter(refresh_tokens::Column::FamilyId.eq(&token.family_id))
        .filter(refresh_tokens::Column::SuccessorSealed.is_not_null())
        .exec(&*txn)
        .await?;
    let issued = issue_tokens(&*txn, tokens, now, &user, Some(session)).await?;
    refresh_tokens::Entity::update_many()
        .col_expr(
            refresh_tokens::Column::SuccessorId,
            Expr::value(issued.refresh_id),
        )
        .col_expr(
            refresh_tokens::Column::SuccessorSealed,
            Expr::value(
                tokens
                    .seal
                    .seal(token.id, issued.refresh_id, &issued.refresh),
            ),
        )
        .filter(refresh_tokens::Column::Id.eq(token.id))
        .exec(&*txn)
        .await?;
    txn.commit().await?;
    tokens_response(db.conn(), tokens, user, issued).await
}

/// The successor of a rotated `token` (the token and its row), when the token was rotated no
/// longer than the grace ago and the successor is still the family's live token.
async fn successor_within_grace<C: ConnectionTrait>(
    db: &C,
    tokens: &Tokens,
    now: DateTime<Utc>,
    token: &refresh_tokens::Model,
) -> ApiResult<Option<(String, i64)>> {
    let within = token.rotated_at.is_some_and(|at| {
        now - at <= tokens.reuse_grace && tokens.reuse_grace > chrono::TimeDelta::zero()
    });
    let (Some(next_id), Some(sealed), true) = (token.successor_id, &token.successor_sealed, within)
    else {
        return Ok(None);
    };
    let next = refresh_tokens::Entity::find_by_id(next_id).one(db).await?;
    let Some(next) = next.filter(|next| {
        next.family_id == token.family_id
            && next.rotated_at.is_none()
            && next.revoked_at.is_none()
            && next.expires_at > now
    }) else {
        return Ok(None);
    };
    Ok(tokens
        .seal
        .open(token.id, next.id, sealed)
        .filter(|successor| hash_token(successor) == next.token_hash)
        .map(|successor| (successor, next.id)))
}

/// The token's session and user, when the session is not ended, the account not disabled and
/// its token version not bumped since the login.
async fn live_session<C: ConnectionTrait>(
    db: &C,
    token: &refresh_tokens::Model,
) -> ApiResult<Option<(sessions::Model, users::Model)>> {
    let session = sessions::Entity::find()
        .filter(sessions::Column::FamilyId.eq(&token.family_id))
        .one(db)
        .await?;
    let user = users::Entity::find_by_id(token.user_id).one(db).await?;
    Ok(match (session, user) {
        (Some(session), Some(user))
            if session.revoked_at.is_none()
                && !user.disabled
                && user.token_version == session.token_version =>
        {
            Some((session, user))
        }
        _ => None,
    })
}

/// Ends the token's family, commits and answers `error`.
async fn end_family<T>(
    txn: WriteTxn,
    cache: &Cache,
    token: &refresh_tokens::Model,
    now: DateTime<Utc>,
    error: ApiError,
) -> ApiResult<T> {
    revoke_family(&*txn, &token.family_id, now).await?;
    txn.commit().await?;
    callers::changed(cache, token.user_id).await;
    Err(error)
}

fn reused() -> ApiError {
    ApiError::unauthenticated(
        ErrorCode::RefreshTokenReused,
        "登录凭证已被使用，请重新登录",
    )
}
