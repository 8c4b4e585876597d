//! `AuthUser`: the bearer token checked and the caller loaded with current roles.

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpMessage, HttpRequest};
use entity::{role_assignments, sessions, users};
use futures_util::future::LocalBoxFuture;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QuerySelect, RelationDef,
    SelectTwo,
};

use super::{jwt::TokenClaims, Caller, Grant};
use crate::{
    error::{ApiError, ApiResult},
    middleware::CheckedToken,
    state::AppState,
};

/// The authenticated caller; the handler's signature shows that a login is needed.
pub struct AuthUser(pub Caller);

/// The bearer token of a request, if any.
pub fn bearer(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer(req).map(str::to_owned);
        let checked = req.extensions().get::<CheckedToken>().copied();
        Box::pin(async move {
            let state =
                state.ok_or_else(|| ApiError::internal(anyhow::anyhow!("state missing")))?;
            let claims = match checked {
                Some(CheckedToken(outcome)) => outcome?,
                None => {
                    let token = token.ok_or_else(ApiError::unauthorized)?;
                    state.tokens.keys.verify(&token, state.clock.now())?
                }
            };
            state
                .callers
                .load(state.db.conn(), &state.cache, claims)
                .await
                .map(AuthUser)
        })
    }
}

/// The caller when the request carries a bearer token, `None` without one: for public pages
/// that say more to a logged-in caller. A token that is sent must be good (401 otherwise), so
/// an expired one is refreshed rather than silently read as anonymous.
pub struct MaybeAuthUser(pub Option<Caller>);

impl FromRequest for MaybeAuthUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        if req.headers().get(header::AUTHORIZATION).is_none() {
            return Box::pin(async { Ok(MaybeAuthUser(None)) });
        }
        let user = AuthUser::from_request(req, payload);
        Box::pin(async move {
            user.await
                .map(|AuthUser(caller)| MaybeAuthUser(Some(caller)))
        })
    }
}

/// The user joined to their role assignments.
fn user_with_roles(user_id: i64) -> SelectTwo<users::Entity, role_assignments::Entity> {
    users::Entity::find_by_id(user_id)
        .select_also(role_assignments::Entity)
        .join(
            JoinType::LeftJoin,
            RelationDef::from(
                role_assignments::Entity::belongs_to(users::Entity)
                    .from(role_assignments::Column::UserId)
                    .to(users::Column::Id),
            )
            .rev(),
        )
}

/// Loads the caller of an access token with the roles they hold now, in one query (the user
/// left-joined to their role assignments, inner-joined to the token's live session): a bumped
/// token version, a disabled account or an ended session answer 401.
pub async fn load_caller<C: ConnectionTrait>(db: &C, token: TokenClaims) -> ApiResult<Caller> {
    let rows = user_with_roles(token.user_id)
        .join(
            JoinType::InnerJoin,
            RelationDef::from(
                sessions::Entity::belongs_to(users::Entity)
                    .from(sessions::Column::UserId)
                    .to(users::Column::Id),
            )
            .rev(),
        )
        .filter(sessions::Column::Id.eq(token.session_id))
        .filter(sessions::Column::RevokedAt.is_null())
        .filter(users::Column::TokenVersion.eq(token.version))
        .filter(users::Column::Disabled.eq(false))
        .all(db)
        .await?;
    caller_from_rows(rows).ok_or_else(ApiError::unauthorized)
}

/// Loads an enabled user with their roles, for work that runs outside a request (the demo
/// seed, commands); `None` when there is no such user.
pub async fn load_user<C: ConnectionTrait>(db: &C, user_id: i64) -> ApiResult<Option<Caller>> {
    let rows = user_with_roles(user_id)
        .filter(users::Column::Disabled.eq(false))
        .all(db)
        .await?;
    Ok(caller_from_rows(rows))
}

fn caller_from_rows(rows: Vec<(users::Model, Option<role_assignments::Model>)>) -> Option<Caller> {
    let mut rows = rows.into_iter();
    let (user, first) = rows.next()?;
    let grants = first
        .into_iter()
        .chain(rows.filter_map(|(_, a)| a))
        .map(|a| Grant {
            id: a.id,
            role: a.role,
            scope_id: a.scope_id,
        })
        .collect();
    Some(Caller {
        user,
        grants,
        generation: None,
    })
}
