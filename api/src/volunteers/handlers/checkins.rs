//! Check-in handlers: the rotating code for staff, check-ins for volunteers, the review of
//! flagged ones.

use actix_web::{web, HttpResponse};

use crate::{
    auth::{scope::managed_community, AuthUser},
    error::{ApiResult, ErrorBody},
    extract::{ValidatedJson, ValidatedQuery},
    pagination::{Page, PageQuery},
    state::AppState,
    volunteers::{
        checkins::{self, Attempt},
        dto::*,
        flagged,
    },
};

/// The community's rotating on-site code, for its staff to show as a QR code (it changes
/// every 60 s; the previous one is still accepted for one more window). Staff of other
/// communities and volunteers get 404.
#[utoipa::path(get, path = "/api/v1/communities/{id}/checkin-code", tag = "volunteers",
    params(("id" = i64, Path, description = "Community id")),
    responses(
        (status = 200, description = "The current code", body = CheckinCode),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "`not_found`: no such community, or not managed by the caller", body = ErrorBody)))]
pub async fn checkin_code(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let community = managed_community(state.db.conn(), &caller, id.into_inner()).await?;
    let code = state.checkin_codes.current(community.id, state.clock.now());
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(code))
}

/// Check in on site as an approved volunteer of the community: once per community and day
/// (Asia/Shanghai). A location inside the geofence counts; with the on-site code it is
/// strong evidence, and a community may require the code. A check-in implying travel over
/// 120 km/h since the previous one is `flagged`: no points until staff confirm it.
#[utoipa::path(post, path = "/api/v1/checkins", tag = "volunteers", request_body = CreateCheckin,
    responses(
        (status = 201, description = "Recorded: `accepted` (points credited per the community's `checkin` rule) or `flagged`", body = CheckinView),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`not_a_volunteer`: not an approved volunteer of the community", body = ErrorBody),
        (status = 404, description = "`not_found`: no such community", body = ErrorBody),
        (status = 409, description = "`already_checked_in`: already checked in with this community today", body = ErrorBody),
        (status = 422, description = "`outside_geofence` (with `details.distance_m`), `checkin_code_invalid`, `location_too_coarse` or `validation_failed`", body = ErrorBody),
        (status = 429, description = "`rate_limited`", body = ErrorBody)))]
pub async fn check_in(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    body: ValidatedJson<CreateCheckin>,
) -> ApiResult<HttpResponse> {
    let view = checkins::check_in(
        &state.db,
        &state.cache,
        &state.checkin_codes,
        state.clock.now(),
        Attempt {
            user_id: caller.id(),
            input: &body.0,
        },
    )
    .await?;
    Ok(HttpResponse::Created().json(view))
}

/// The caller's own check-ins, newest first.
#[utoipa::path(get, path = "/api/v1/me/checkins", tag = "volunteers", params(PageQuery),
    responses(
        (status = 200, description = "A page of the caller's check-ins", body = Page<CheckinView>),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 422, description = "`validation_failed`: bad cursor or limit", body = ErrorBody)))]
pub async fn my_checkins(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    query: ValidatedQuery<PageQuery>,
) -> ApiResult<HttpResponse> {
    let page = checkins::list_mine(state.db.conn(), caller.id(), query.0).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// A community's check-ins for its staff, newest first; `status=flagged` is the review queue.
#[utoipa::path(get, path = "/api/v1/communities/{id}/checkins", tag = "volunteers",
    params(("id" = i64, Path, description = "Community id"), ListCheckinsQuery),
    responses(
        (status = 200, description = "A page of check-ins", body = Page<CheckinReview>),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "`not_found`: no such community, or not managed by the caller", body = ErrorBody),
        (status = 422, description = "`validation_failed`: bad status, cursor or limit", body = ErrorBody)))]
pub async fn list_checkins(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    id: web::Path<i64>,
    query: ValidatedQuery<ListCheckinsQuery>,
) -> ApiResult<HttpResponse> {
    let page =
        flagged::list_for_community(state.db.conn(), &caller, id.into_inner(), query.0).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Confirm a flagged check-in: it counts and its points are credited, once. No body.
#[utoipa::path(post, path = "/api/v1/checkins/{id}/confirm", tag = "volunteers",
    params(("id" = i64, Path, description = "Check-in id")),
    responses(
        (status = 200, description = "Confirmed: `accepted`", body = CheckinView),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`self_review_forbidden`: the caller's own check-in", body = ErrorBody),
        (status = 404, description = "`not_found`: no such check-in in a community the caller manages", body = ErrorBody),
        (status = 409, description = "`checkin_not_flagged`: not waiting for review", body = ErrorBody)))]
pub async fn confirm_checkin(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let now = state.clock.now();
    let view = flagged::confirm(&state.db, &state.cache, &caller, now, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Reject a flagged check-in: it never counts. No body.
#[utoipa::path(post, path = "/api/v1/checkins/{id}/reject", tag = "volunteers",
    params(("id" = i64, Path, description = "Check-in id")),
    responses(
        (status = 200, description = "Rejected", body = CheckinView),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`self_review_forbidden`: the caller's own check-in", body = ErrorBody),
        (status = 404, description = "`not_found`: no such check-in in a community the caller manages", body = ErrorBody),
        (status = 409, description = "`checkin_not_flagged`: not waiting for review", body = ErrorBody)))]
pub async fn reject_checkin(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let view = flagged::reject(&state.db, &caller, state.clock.now(), id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(view))
}
