//! Role assignment handlers.

use actix_web::{web, HttpResponse};

use super::{dto::*, service};
use crate::{
    auth::AuthUser,
    error::{ApiResult, ErrorBody},
    extract::{ValidatedJson, ValidatedQuery},
    pagination::Page,
    state::AppState,
};

/// Grant a role: platform admins any role; street admins staff roles in their street;
/// community staff grid workers of their community.
#[utoipa::path(post, path = "/api/v1/role-assignments", tag = "roles", request_body = CreateAssignment,
    responses(
        (status = 201, description = "Granted", body = AssignmentView),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`forbidden`: the caller's rank cannot grant this role", body = ErrorBody),
        (status = 404, description = "`not_found`: user, or a scope outside the caller's", body = ErrorBody),
        (status = 409, description = "`role_already_assigned`", body = ErrorBody),
        (status = 422, description = "`validation_failed`", body = ErrorBody)))]
pub async fn create_role_assignment(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    body: ValidatedJson<CreateAssignment>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created()
        .json(service::create(&state.db, &state.cache, &caller, state.clock.now(), body.0).await?))
}

/// List role assignments within the caller's scopes.
#[utoipa::path(get, path = "/api/v1/role-assignments", tag = "roles", params(ListAssignments),
    responses(
        (status = 200, description = "A page of assignments", body = Page<AssignmentView>),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`forbidden`: the caller holds no role", body = ErrorBody),
        (status = 422, description = "`validation_failed`", body = ErrorBody)))]
pub async fn list_role_assignments(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    query: ValidatedQuery<ListAssignments>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::list(state.db.conn(), &caller, query.0).await?))
}

/// Revoke a role; effective on the holder's next request.
#[utoipa::path(delete, path = "/api/v1/role-assignments/{id}", tag = "roles",
    params(("id" = i64, Path, description = "Role assignment id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`forbidden`", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 409, description = "`last_platform_admin`", body = ErrorBody)))]
pub async fn delete_role_assignment(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    service::delete(
        &state.db,
        &state.cache,
        &caller,
        state.clock.now(),
        id.into_inner(),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
