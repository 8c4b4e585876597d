//! Registration handlers: volunteers register (报到), staff review them and read the roster.

use actix_web::{web, HttpResponse};

use crate::{
    auth::AuthUser,
    error::{ApiResult, ErrorBody},
    extract::{ValidatedJson, ValidatedQuery},
    pagination::Page,
    state::AppState,
    volunteers::{dto::*, registrations, review},
};

/// Register (报到) with a community as a courier, in-service party member or resident
/// volunteer; staff of the community review it. One registration per person, community and
/// kind; a rejected one may be filed again.
#[utoipa::path(post, path = "/api/v1/volunteer-registrations", tag = "volunteers", request_body = RegisterVolunteer,
    responses(
        (status = 201, description = "Filed, `pending`", body = RegistrationView),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "`not_found`: no such community", body = ErrorBody),
        (status = 409, description = "`registration_exists`: pending or approved already", body = ErrorBody),
        (status = 422, description = "`validation_failed`", body = ErrorBody)))]
pub async fn register(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    body: ValidatedJson<RegisterVolunteer>,
) -> ApiResult<HttpResponse> {
    let view = registrations::submit(&state.db, &caller, state.clock.now(), body.0).await?;
    Ok(HttpResponse::Created().json(view))
}

/// The communities the caller registered with (报到), each with the registrations there and
/// the caller's confirmed service hours, points earned and check-ins counted.
#[utoipa::path(get, path = "/api/v1/me/volunteering", tag = "volunteers",
    responses(
        (status = 200, description = "One page (`next_cursor` null): communities by most recent registration, at most 500 registrations in all", body = Page<CommunityService>),
        (status = 401, description = "`unauthorized`", body = ErrorBody)))]
pub async fn my_volunteering(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(registrations::mine(state.db.conn(), &caller).await?))
}

/// A community's volunteer registrations for its staff (platform admin, its street's admin,
/// its community staff), newest first, names and phones masked.
#[utoipa::path(get, path = "/api/v1/communities/{id}/volunteer-registrations", tag = "volunteers",
    params(("id" = i64, Path, description = "Community id"), ListRegistrationsQuery),
    responses(
        (status = 200, description = "A page of registrations", body = Page<RegistrationReview>),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "`not_found`: no such community, or not managed by the caller", body = ErrorBody),
        (status = 422, description = "`validation_failed`: bad status, kind, cursor or limit", body = ErrorBody)))]
pub async fn list_registrations(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    id: web::Path<i64>,
    query: ValidatedQuery<ListRegistrationsQuery>,
) -> ApiResult<HttpResponse> {
    let page =
        review::list_for_community(state.db.conn(), &caller, id.into_inner(), query.0).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Approve a pending registration; no body. Nobody approves their own.
#[utoipa::path(post, path = "/api/v1/volunteer-registrations/{id}/approve", tag = "volunteers",
    params(("id" = i64, Path, description = "Registration id")),
    responses(
        (status = 200, description = "Approved", body = RegistrationView),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`self_review_forbidden`: the caller's own registration", body = ErrorBody),
        (status = 404, description = "`not_found`: no such registration in a community the caller manages", body = ErrorBody),
        (status = 409, description = "`registration_not_pending`: already decided", body = ErrorBody)))]
pub async fn approve_registration(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let view = review::approve(&state.db, &caller, state.clock.now(), id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Reject a pending registration with a reason shown to the volunteer, who may register again.
#[utoipa::path(post, path = "/api/v1/volunteer-registrations/{id}/reject", tag = "volunteers",
    params(("id" = i64, Path, description = "Registration id")), request_body = RejectRegistration,
    responses(
        (status = 200, description = "Rejected", body = RegistrationView),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`self_review_forbidden`: the caller's own registration", body = ErrorBody),
        (status = 404, description = "`not_found`: no such registration in a community the caller manages", body = ErrorBody),
        (status = 409, description = "`registration_not_pending`: already decided", body = ErrorBody),
        (status = 422, description = "`validation_failed`: `reason` missing or longer than 200 characters", body = ErrorBody)))]
pub async fn reject_registration(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    id: web::Path<i64>,
    body: ValidatedJson<RejectRegistration>,
) -> ApiResult<HttpResponse> {
    let view = review::reject(
        &state.db,
        &caller,
        state.clock.now(),
        id.into_inner(),
        body.0,
    )
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// The community's approved volunteers for its staff, names and phones masked.
#[utoipa::path(get, path = "/api/v1/communities/{id}/volunteers", tag = "volunteers",
    params(("id" = i64, Path, description = "Community id"), RosterQuery),
    responses(
        (status = 200, description = "A page of the roster, latest registrations first", body = Page<RosterEntry>),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "`not_found`: no such community, or not managed by the caller", body = ErrorBody),
        (status = 422, description = "`validation_failed`: bad kind, cursor or limit", body = ErrorBody)))]
pub async fn roster(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    id: web::Path<i64>,
    query: ValidatedQuery<RosterQuery>,
) -> ApiResult<HttpResponse> {
    let page = review::roster(state.db.conn(), &caller, id.into_inner(), query.0).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Figures of the community's volunteers for its staff over a period of days (Asia/Shanghai):
/// volunteers by kind and status, check-ins per day, service hours and points awarded.
#[utoipa::path(get, path = "/api/v1/communities/{id}/volunteers/stats", tag = "volunteers",
    params(("id" = i64, Path, description = "Community id"), StatsQuery),
    responses(
        (status = 200, description = "The figures", body = VolunteerStats),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "`not_found`: no such community, or not managed by the caller", body = ErrorBody),
        (status = 422, description = "`validation_failed`: a bad date, `from` after `to`, or more than 366 days", body = ErrorBody)))]
pub async fn stats(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    id: web::Path<i64>,
    query: ValidatedQuery<StatsQuery>,
) -> ApiResult<HttpResponse> {
    let today = crate::volunteers::stats::today(state.clock.now());
    let figures =
        crate::volunteers::stats::stats(state.db.conn(), &caller, id.into_inner(), today, query.0)
            .await?;
    Ok(HttpResponse::Ok().json(figures))
}
