//! Handlers of districts and streets.

use actix_web::{web, HttpResponse};

use crate::{
    auth::AuthUser,
    error::{ApiResult, ErrorBody},
    extract::{ValidatedJson, ValidatedQuery},
    pagination::{Page, PageQuery},
    regions::{
        dto::{
            CreateDistrict, CreateStreet, DistrictTree, DistrictView, StreetView, UpdateDistrict,
            UpdateStreet,
        },
        service::districts as service,
    },
    state::AppState,
};

/// Lists the districts with their streets (public), page by page.
#[utoipa::path(
    get,
    path = "/api/v1/districts",
    tag = "regions",
    security(()),
    params(PageQuery),
    responses(
        (status = 200, description = "A page of districts by id ascending, each with all its streets by id", body = Page<DistrictTree>),
        (status = 422, description = "`validation_failed`: bad cursor or limit, or unknown query parameters", body = ErrorBody),
    )
)]
pub async fn list_districts(
    state: web::Data<AppState>,
    ValidatedQuery(query): ValidatedQuery<PageQuery>,
) -> ApiResult<HttpResponse> {
    let districts = service::list_districts(state.db.conn(), query).await?;
    Ok(HttpResponse::Ok().json(districts))
}

/// Creates a district (platform admins only).
#[utoipa::path(
    post,
    path = "/api/v1/districts",
    tag = "regions",
    request_body = CreateDistrict,
    responses(
        (status = 201, description = "Created", body = DistrictView),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Not a platform admin", body = ErrorBody),
        (status = 409, description = "`name_taken`: another district has this name", body = ErrorBody),
        (status = 422, description = "Invalid input, per field", body = ErrorBody),
    )
)]
pub async fn create_district(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    ValidatedJson(input): ValidatedJson<CreateDistrict>,
) -> ApiResult<HttpResponse> {
    let district = service::create_district(&state.db, &caller, state.clock.now(), input).await?;
    Ok(HttpResponse::Created().json(district))
}

/// Renames a district (platform admins only).
#[utoipa::path(
    patch,
    path = "/api/v1/districts/{id}",
    tag = "regions",
    params(("id" = i64, Path, description = "District id")),
    request_body = UpdateDistrict,
    responses(
        (status = 200, description = "Renamed", body = DistrictView),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Not a platform admin", body = ErrorBody),
        (status = 404, description = "No such district", body = ErrorBody),
        (status = 409, description = "`name_taken`: another district has this name", body = ErrorBody),
        (status = 422, description = "Invalid input, per field", body = ErrorBody),
    )
)]
pub async fn update_district(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    path: web::Path<i64>,
    ValidatedJson(input): ValidatedJson<UpdateDistrict>,
) -> ApiResult<HttpResponse> {
    let district = service::update_district(
        &state.db,
        &state.cache,
        &caller,
        state.clock.now(),
        path.into_inner(),
        input,
    )
    .await?;
    Ok(HttpResponse::Ok().json(district))
}

/// Deletes a district that has no streets (platform admins only).
#[utoipa::path(
    delete,
    path = "/api/v1/districts/{id}",
    tag = "regions",
    params(("id" = i64, Path, description = "District id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Not a platform admin", body = ErrorBody),
        (status = 404, description = "No such district", body = ErrorBody),
        (status = 409, description = "`in_use`: the district still has streets", body = ErrorBody),
    )
)]
pub async fn delete_district(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    service::delete_district(&state.db, &caller, state.clock.now(), path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Creates a street in a district (platform admins only).
#[utoipa::path(
    post,
    path = "/api/v1/streets",
    tag = "regions",
    request_body = CreateStreet,
    responses(
        (status = 201, description = "Created", body = StreetView),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Not a platform admin", body = ErrorBody),
        (status = 404, description = "No such district", body = ErrorBody),
        (status = 409, description = "`name_taken`: the district has a street of this name", body = ErrorBody),
        (status = 422, description = "Invalid input, per field", body = ErrorBody),
    )
)]
pub async fn create_street(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    ValidatedJson(input): ValidatedJson<CreateStreet>,
) -> ApiResult<HttpResponse> {
    let street = service::create_street(&state.db, &caller, state.clock.now(), input).await?;
    Ok(HttpResponse::Created().json(street))
}

/// Renames a street (platform admins only).
#[utoipa::path(
    patch,
    path = "/api/v1/streets/{id}",
    tag = "regions",
    params(("id" = i64, Path, description = "Street id")),
    request_body = UpdateStreet,
    responses(
        (status = 200, description = "Renamed", body = StreetView),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Not a platform admin", body = ErrorBody),
        (status = 404, description = "No such street", body = ErrorBody),
        (status = 409, description = "`name_taken`: the district has a street of this name", body = ErrorBody),
        (status = 422, description = "Invalid input, per field", body = ErrorBody),
    )
)]
pub async fn update_street(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    path: web::Path<i64>,
    ValidatedJson(input): ValidatedJson<UpdateStreet>,
) -> ApiResult<HttpResponse> {
    let street = service::update_street(
        &state.db,
        &state.cache,
        &caller,
        state.clock.now(),
        path.into_inner(),
        input,
    )
    .await?;
    Ok(HttpResponse::Ok().json(street))
}

/// Deletes a street without communities or street admins (platform admins only).
#[utoipa::path(
    delete,
    path = "/api/v1/streets/{id}",
    tag = "regions",
    params(("id" = i64, Path, description = "Street id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Not a platform admin", body = ErrorBody),
        (status = 404, description = "No such street", body = ErrorBody),
        (status = 409, description = "`in_use`: the street still has communities or street admins", body = ErrorBody),
    )
)]
pub async fn delete_street(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    path: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    service::delete_street(&state.db, &caller, state.clock.now(), path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
