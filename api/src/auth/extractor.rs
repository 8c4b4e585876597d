//! `AuthUser`: the bearer token checked and the caller loaded with current roles.

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpMessage, HttpRequest};
use entity::{role_assignments, users};
use futures_util::future::LocalBoxFuture;
use sea_orm::{EntityTrait, JoinType, QuerySelect, RelationDef};

use super::{Caller, Grant, Role};
use crate::{error::ApiError, middleware::VerifiedToken, state::AppState};

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
        let verified = req.extensions().get::<VerifiedToken>().copied();
        Box::pin(async move {
            let state =
                state.ok_or_else(|| ApiError::internal(anyhow::anyhow!("state missing")))?;
            let (user_id, version) = match verified {
                Some(t) => (t.user_id, t.version),
                None => {
                    let token = token.ok_or_else(ApiError::unauthorized)?;
                    state
                        .jwt
                        .verify(&token, state.clock.now())
                        .ok_or_else(ApiError::unauthorized)?
                }
            };
            load_caller(&state, user_id, version).await.map(AuthUser)
        })
    }
}

/// Loads a user whose token version still matches, with the roles they hold now, in one
/// query (the user left-joined to their role assignments).
pub async fn load_caller(state: &AppState, user_id: i64, version: i32) -> Result<Caller, ApiError> {
    let rows = users::Entity::find_by_id(user_id)
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
        .all(state.db.conn())
        .await?;
    let mut rows = rows.into_iter();
    let (user, first) = rows.next().ok_or_else(ApiError::unauthorized)?;
    if user.token_version != version || user.disabled {
        return Err(ApiError::unauthorized());
    }
    let grants = first
        .into_iter()
        .chain(rows.filter_map(|(_, a)| a))
        .filter_map(|a| {
            Some(Grant {
                id: a.id,
                role: Role::parse(&a.role)?,
                scope_id: a.scope_id,
            })
        })
        .collect();
    Ok(Caller { user, grants })
}
