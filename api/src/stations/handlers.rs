//! Courier station handlers.

use actix_web::{web, HttpResponse};

use super::{
    dto::{CreateStation, StationQuery, StationView, UpdateStation},
    service,
};
use crate::{
    auth::AuthUser,
    error::{ApiResult, ErrorBody},
    extract::{ValidatedJson, ValidatedQuery},
    pagination::Page,
    state::AppState,
};

/// Opens a courier station (红蜂驿站) in a community: its staff, its street's admins or a
/// platform admin; audited as `station.create`.
#[utoipa::path(post, path = "/api/v1/communities/{id}/stations", tag = "stations", request_body = CreateStation,
    params(("id" = i64, Path, description = "Community id")),
    responses(
        (status = 201, description = "Created", body = StationView),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "`not_found`: no such community, or not managed by the caller", body = ErrorBody),
        (status = 422, description = "`validation_failed`: per field (e.g. `lat`, an unknown or missing `services`)", body = ErrorBody)))]
pub async fn create_station(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    id: web::Path<i64>,
    ValidatedJson(input): ValidatedJson<CreateStation>,
) -> ApiResult<HttpResponse> {
    let now = state.clock.now();
    let station = service::create(
        &state.db,
        &state.cache,
        &caller,
        now,
        id.into_inner(),
        input,
    )
    .await?;
    Ok(HttpResponse::Created().json(station))
}

/// Edits a courier station (the managers of its community); only the given fields change,
/// `services` is replaced as a whole; audited as `station.update`.
#[utoipa::path(patch, path = "/api/v1/stations/{id}", tag = "stations", request_body = UpdateStation,
    params(("id" = i64, Path, description = "Station id")),
    responses(
        (status = 200, description = "The station as it is now", body = StationView),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "`not_found`: no such station, or its community is not managed by the caller", body = ErrorBody),
        (status = 422, description = "`validation_failed`: per field", body = ErrorBody)))]
pub async fn update_station(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    id: web::Path<i64>,
    ValidatedJson(input): ValidatedJson<UpdateStation>,
) -> ApiResult<HttpResponse> {
    let now = state.clock.now();
    let station = service::update(
        &state.db,
        &state.cache,
        &caller,
        now,
        id.into_inner(),
        input,
    )
    .await?;
    Ok(HttpResponse::Ok().json(station))
}

/// Closes a courier station for good (the managers of its community); audited as
/// `station.delete`.
#[utoipa::path(delete, path = "/api/v1/stations/{id}", tag = "stations",
    params(("id" = i64, Path, description = "Station id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "`not_found`: no such station, or its community is not managed by the caller", body = ErrorBody)))]
pub async fn delete_station(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let now = state.clock.now();
    service::delete(&state.db, &state.cache, &caller, now, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Courier stations near a point (public, no login), nearest first with `distance_m`,
/// whichever community runs them, page by page; optionally only those offering one `service`.
/// Served from memory under the `stations` generation: a station written is seen by the
/// next read at once, on every instance.
#[utoipa::path(get, path = "/api/v1/stations", tag = "stations", security(()),
    params(StationQuery),
    responses(
        (status = 200, description = "A page of the stations within `radius_m`, nearest first (ties by id), \
            each with `distance_m`; pass `next_cursor` as `cursor`, with the same `lat`, `lng`, \
            `radius_m` and `service`, for the next page", body = Page<StationView>),
        (status = 422, description = "`validation_failed`: coordinates missing or out of range, a radius over 50000, \
            an unknown service, bad limit, or a `cursor` that is malformed or from another query", body = ErrorBody)))]
pub async fn list_stations(
    state: web::Data<AppState>,
    ValidatedQuery(query): ValidatedQuery<StationQuery>,
) -> ApiResult<HttpResponse> {
    let page = service::nearby(state.db.conn(), &state.cache, &state.stations, query).await?;
    Ok(HttpResponse::Ok().json(page))
}
