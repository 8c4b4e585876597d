//! Handlers of grids.

use actix_web::{web, HttpResponse};

use crate::{
    auth::AuthUser,
    error::{ApiResult, ErrorBody},
    extract::{ValidatedJson, ValidatedQuery},
    pagination::{Page, PageQuery},
    regions::{
        dto::{CreateGrid, GridView, LocateQuery, UpdateGrid},
        service::grids as service,
    },
    state::AppState,
};

/// The grids of a community (public), page by page.
#[utoipa::path(
    get,
    path = "/api/v1/communities/{id}/grids",
    tag = "regions",
    security(()),
    params(("id" = i64, Path, description = "Community id"), PageQuery),
    responses(
        (status = 200, description = "A page of the community's grids by id ascending", body = Page<GridView>),
        (status = 404, description = "No such community", body = ErrorBody),
        (status = 422, description = "`validation_failed`: bad cursor or limit", body = ErrorBody),
    )
)]
pub async fn list_grids(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    ValidatedQuery(query): ValidatedQuery<PageQuery>,
) -> ApiResult<HttpResponse> {
    let grids = service::list_grids(state.db.conn(), path.into_inner(), query).await?;
    Ok(HttpResponse::Ok().json(grids))
}

/// The grid of a community whose boundary holds a point (public); a point on a border belongs
/// to the grid, the lowest id where grids meet.
#[utoipa::path(
    get,
    path = "/api/v1/communities/{id}/grids/locate",
    tag = "regions",
    security(()),
    params(("id" = i64, Path, description = "Community id"), LocateQuery),
    responses(
        (status = 200, description = "The grid holding the point", body = GridView),
        (status = 404, description = "No such community, or no grid holds the point", body = ErrorBody),
        (status = 422, description = "Missing or out-of-range coordinates", body = ErrorBody),
    )
)]
pub async fn locate_grid(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    ValidatedQuery(query): ValidatedQuery<LocateQuery>,
) -> ApiResult<HttpResponse> {
    let grid = service::locate(state.db.conn(), path.into_inner(), query.lat, query.lng).await?;
    Ok(HttpResponse::Ok().json(grid))
}

/// Creates a grid in a community: its staff, the admins of its street and platform admins.
#[utoipa::path(
    post,
    path = "/api/v1/communities/{id}/grids",
    tag = "regions",
    params(("id" = i64, Path, description = "Community id")),
    request_body = CreateGrid,
    responses(
        (status = 201, description = "Created; a named worker now holds `grid_worker` over it", body = GridView),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 404, description = "No such community or outside the caller's scope; or no such worker", body = ErrorBody),
        (status = 409, description = "`name_taken`: the community has a grid of this name", body = ErrorBody),
        (status = 422, description = "Invalid input, per field (e.g. `boundary`)", body = ErrorBody),
    )
)]
pub async fn create_grid(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    path: web::Path<i64>,
    ValidatedJson(input): ValidatedJson<CreateGrid>,
) -> ApiResult<HttpResponse> {
    let grid = service::create_grid(
        &state.db,
        &state.cache,
        &caller,
        state.clock.now(),
        path.into_inner(),
        input,
    )
    .await?;
    Ok(HttpResponse::Created().json(grid))
}

/// Edits a grid: staff of its community, the admins of its street and platform admins.
/// Naming a worker gives them the `grid_worker` role over the grid; the worker replaced (or
/// cleared with `null`) loses it.
#[utoipa::path(
    patch,
    path = "/api/v1/grids/{id}",
    tag = "regions",
    params(("id" = i64, Path, description = "Grid id")),
    request_body = UpdateGrid,
    responses(
        (status = 200, description = "The grid as it is now", body = GridView),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 404, description = "No such grid or outside the caller's scope; or no such worker", body = ErrorBody),
        (status = 409, description = "`name_taken`: the community has a grid of this name", body = ErrorBody),
        (status = 422, description = "Invalid input, per field", body = ErrorBody),
    )
)]
pub async fn update_grid(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    path: web::Path<i64>,
    ValidatedJson(input): ValidatedJson<UpdateGrid>,
) -> ApiResult<HttpResponse> {
    let grid = service::update_grid(
        &state.db,
        &state.cache,
        &caller,
        state.clock.now(),
        path.into_inner(),
        input,
    )
    .await?;
    Ok(HttpResponse::Ok().json(grid))
}

/// Deletes a grid no household or residence refers to, with its grid-worker roles.
#[utoipa::path(
    delete,
    path = "/api/v1/grids/{id}",
    tag = "regions",
    params(("id" = i64, Path, description = "Grid id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 404, description = "No such grid or outside the caller's scope", body = ErrorBody),
        (status = 409, description = "`in_use`: households or residences refer to it", body = ErrorBody),
    )
)]
pub async fn delete_grid(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    service::delete_grid(
        &state.db,
        &state.cache,
        &caller,
        state.clock.now(),
        path.into_inner(),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
