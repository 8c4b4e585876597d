//! Handlers of the badge counts.

use actix_web::{web, HttpResponse};

use super::{dto::CommunityCounts, service};
use crate::{
    auth::AuthUser,
    error::{ApiResult, ErrorBody},
    state::AppState,
};

/// The numbers on a community's staff badges: applications to review, pickups waiting,
/// goods running low. For its staff, its street's admins and platform admins.
#[utoipa::path(get, path = "/api/v1/communities/{id}/counts", tag = "counts",
    params(("id" = i64, Path, description = "Community id")),
    responses(
        (status = 200, description = "The counts", body = CommunityCounts),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "`not_found`: no such community, or not managed by the caller", body = ErrorBody)))]
pub async fn community_counts(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let counts = service::community_counts(state.db.conn(), &caller, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(counts))
}
