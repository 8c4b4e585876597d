//! Handlers of communities.

use actix_web::{web, HttpResponse};

use crate::{
    auth::AuthUser,
    error::{ApiResult, ErrorBody},
    extract::{ValidatedJson, ValidatedQuery},
    pagination::Page,
    regions::{
        dto::{CommunityListQuery, CommunityView, CreateCommunity, UpdateCommunity},
        service::communities as service,
    },
    state::AppState,
};

/// Lists communities (public), page by page: nearest first with `distance_m` when `lat` and
/// `lng` are given, otherwise newest first by id.
#[utoipa::path(
    get,
    path = "/api/v1/communities",
    tag = "regions",
    security(()),
    params(CommunityListQuery),
    responses(
        (status = 200, description = "With `lat`/`lng`: a page of the communities within \
            `radius_m`, nearest first (ties by id), each with `distance_m`. Without them: a page of \
            communities, newest first by id. Either way pass `next_cursor` as `cursor`, with the \
            same `lat`, `lng`, `radius_m` and `street_id`, for the next page.",
            body = Page<CommunityView>),
        (status = 422, description = "Invalid query: coordinates out of range or only one of them, \
            bad limit or radius, or a `cursor` that is malformed or from another query", body = ErrorBody),
    )
)]
pub async fn list_communities(
    state: web::Data<AppState>,
    ValidatedQuery(query): ValidatedQuery<CommunityListQuery>,
) -> ApiResult<HttpResponse> {
    let page = service::list_communities(state.db.conn(), &state.cache, &state.near, query).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One community (public).
#[utoipa::path(
    get,
    path = "/api/v1/communities/{id}",
    tag = "regions",
    security(()),
    params(("id" = i64, Path, description = "Community id")),
    responses(
        (status = 200, description = "The community", body = CommunityView),
        (status = 404, description = "No such community", body = ErrorBody),
    )
)]
pub async fn get_community(
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let community = service::get_community(state.db.conn(), path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(community))
}

/// Creates a community in a street (platform admins only).
#[utoipa::path(
    post,
    path = "/api/v1/communities",
    tag = "regions",
    request_body = CreateCommunity,
    responses(
        (status = 201, description = "Created", body = CommunityView),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Not a platform admin", body = ErrorBody),
        (status = 404, description = "No such street", body = ErrorBody),
        (status = 409, description = "`name_taken`: the street has a community of this name", body = ErrorBody),
        (status = 422, description = "Invalid input, per field (e.g. `lat`, `boundary`)", body = ErrorBody),
    )
)]
pub async fn create_community(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    ValidatedJson(input): ValidatedJson<CreateCommunity>,
) -> ApiResult<HttpResponse> {
    let community =
        service::create_community(&state.db, &state.cache, &caller, state.clock.now(), input)
            .await?;
    Ok(HttpResponse::Created().json(community))
}

/// Edits a community: platform admins and admins of its street; the community's own staff
/// may change only its supermarket's `pickup_address`, `pickup_hours` and `supermarket_policy`.
#[utoipa::path(
    patch,
    path = "/api/v1/communities/{id}",
    tag = "regions",
    params(("id" = i64, Path, description = "Community id")),
    request_body = UpdateCommunity,
    responses(
        (status = 200, description = "The community as it is now", body = CommunityView),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "`forbidden`: the community's own staff, changing more than the supermarket's pickup place, hours and policy", body = ErrorBody),
        (status = 404, description = "No such community, or outside the caller's street", body = ErrorBody),
        (status = 409, description = "`name_taken`: the street has a community of this name", body = ErrorBody),
        (status = 422, description = "Invalid input, per field", body = ErrorBody),
    )
)]
pub async fn update_community(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    path: web::Path<i64>,
    ValidatedJson(input): ValidatedJson<UpdateCommunity>,
) -> ApiResult<HttpResponse> {
    let community = service::update_community(
        &state.db,
        &state.cache,
        &caller,
        state.clock.now(),
        path.into_inner(),
        input,
    )
    .await?;
    Ok(HttpResponse::Ok().json(community))
}

/// Deletes a community nothing refers to (platform admins only).
#[utoipa::path(
    delete,
    path = "/api/v1/communities/{id}",
    tag = "regions",
    params(("id" = i64, Path, description = "Community id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Not a platform admin", body = ErrorBody),
        (status = 404, description = "No such community", body = ErrorBody),
        (status = 409, description = "`in_use`: grids, households, residences or staff refer to it", body = ErrorBody),
    )
)]
pub async fn delete_community(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    service::delete_community(
        &state.db,
        &state.cache,
        &caller,
        state.clock.now(),
        path.into_inner(),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
