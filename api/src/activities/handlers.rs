//! Activity handlers: staff publish, edit, cancel and confirm attendance; anyone reads;
//! volunteers sign up, withdraw, check in and out, and read their service records.

use actix_web::{web, HttpResponse};

use crate::{
    activities::{
        attendance,
        dto::*,
        manage, records, roster,
        signups::{self, Visit},
    },
    auth::AuthUser,
    error::{ApiResult, ErrorBody},
    extract::{ValidatedJson, ValidatedQuery},
    pagination::Page,
    state::AppState,
};

/// Publish a volunteer activity in a community the caller manages (platform admin, its
/// street's admin, its community staff). Give exactly one of `points_per_hour` and
/// `points_fixed`.
#[utoipa::path(post, path = "/api/v1/communities/{id}/activities", tag = "activities",
    params(("id" = i64, Path, description = "Community id")), request_body = CreateActivity,
    responses(
        (status = 201, description = "Published, `open`", body = ActivityView),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "`not_found`: no such community, or not managed by the caller", body = ErrorBody),
        (status = 422, description = "`validation_failed`: bad fields, a start in the past, an end not after the start or over 24 hours later, not exactly one of the points", body = ErrorBody)))]
pub async fn create_activity(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    id: web::Path<i64>,
    body: ValidatedJson<CreateActivity>,
) -> ApiResult<HttpResponse> {
    let now = state.clock.now();
    let view = manage::create(&state.db, &caller, now, id.into_inner(), body.0).await?;
    Ok(HttpResponse::Created().json(view))
}

/// Edit an activity (staff of its community): only the fields given change; the times only
/// before it starts; the capacity never below the places taken.
#[utoipa::path(patch, path = "/api/v1/activities/{id}", tag = "activities",
    params(("id" = i64, Path, description = "Activity id")), request_body = UpdateActivity,
    responses(
        (status = 200, description = "Updated", body = ActivityView),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "`not_found`: no such activity, or not managed by the caller", body = ErrorBody),
        (status = 409, description = "`activity_cancelled`", body = ErrorBody),
        (status = 422, description = "`validation_failed`: bad fields, times of a started activity, a capacity below the places taken", body = ErrorBody)))]
pub async fn update_activity(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    id: web::Path<i64>,
    body: ValidatedJson<UpdateActivity>,
) -> ApiResult<HttpResponse> {
    let now = state.clock.now();
    let view = manage::update(&state.db, &caller, now, id.into_inner(), body.0).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Cancel an activity that has not ended (staff of its community); no body.
#[utoipa::path(post, path = "/api/v1/activities/{id}/cancel", tag = "activities",
    params(("id" = i64, Path, description = "Activity id")),
    responses(
        (status = 200, description = "Cancelled", body = ActivityView),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "`not_found`: no such activity, or not managed by the caller", body = ErrorBody),
        (status = 409, description = "`activity_cancelled` (already) or `activity_ended`", body = ErrorBody)))]
pub async fn cancel_activity(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let view = manage::cancel(&state.db, &caller, state.clock.now(), id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// A community's activities (public, no login), by start then id, optionally starting
/// within the Asia/Shanghai days `from`..=`to`.
#[utoipa::path(get, path = "/api/v1/communities/{id}/activities", tag = "activities",
    security(()),
    params(("id" = i64, Path, description = "Community id"), ListActivitiesQuery),
    responses(
        (status = 200, description = "A page of activities, by start", body = Page<ActivityView>),
        (status = 404, description = "`not_found`: no such community", body = ErrorBody),
        (status = 422, description = "`validation_failed`: bad day, `to` before `from`, bad cursor or limit", body = ErrorBody)))]
pub async fn list_activities(
    state: web::Data<AppState>,
    id: web::Path<i64>,
    query: ValidatedQuery<ListActivitiesQuery>,
) -> ApiResult<HttpResponse> {
    let page = manage::list(state.db.conn(), id.into_inner(), query.0).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One activity with its places left (public, no login).
#[utoipa::path(get, path = "/api/v1/activities/{id}", tag = "activities",
    security(()),
    params(("id" = i64, Path, description = "Activity id")),
    responses(
        (status = 200, description = "The activity", body = ActivityView),
        (status = 404, description = "`not_found`: no such activity", body = ErrorBody)))]
pub async fn get_activity(
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(manage::get(state.db.conn(), id.into_inner()).await?))
}

/// Sign up for an activity, as an approved volunteer of its community of an allowed kind,
/// before it starts; no body.
#[utoipa::path(post, path = "/api/v1/activities/{id}/signups", tag = "activities",
    params(("id" = i64, Path, description = "Activity id")),
    responses(
        (status = 201, description = "Signed up: one place taken", body = SignupView),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`not_a_volunteer` or `volunteer_kind_not_allowed`", body = ErrorBody),
        (status = 404, description = "`not_found`: no such activity", body = ErrorBody),
        (status = 409, description = "`activity_full`, `already_signed_up`, `activity_started` or `activity_cancelled`", body = ErrorBody)))]
pub async fn sign_up(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    let view = signups::sign_up(&state.db, caller.id(), state.clock.now(), id.into_inner()).await?;
    Ok(HttpResponse::Created().json(view))
}

/// The activity's sign-ups for the staff of its community, in the order they came, with
/// check-in and check-out times and what was confirmed; volunteers masked. Attendance is
/// confirmed from this list.
#[utoipa::path(get, path = "/api/v1/activities/{id}/signups", tag = "activities",
    params(("id" = i64, Path, description = "Activity id"), SignupsQuery),
    responses(
        (status = 200, description = "A page of sign-ups, oldest first", body = Page<SignupReview>),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "`not_found`: no such activity in a community the caller manages", body = ErrorBody),
        (status = 422, description = "`validation_failed`: bad cursor or limit", body = ErrorBody)))]
pub async fn list_signups(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    id: web::Path<i64>,
    query: ValidatedQuery<SignupsQuery>,
) -> ApiResult<HttpResponse> {
    let page = roster::list(state.db.conn(), &caller, id.into_inner(), query.0).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Withdraw the caller's sign-up before the activity starts (and before checking in): the
/// place is free again.
#[utoipa::path(delete, path = "/api/v1/activities/{id}/signups/me", tag = "activities",
    params(("id" = i64, Path, description = "Activity id")),
    responses(
        (status = 204, description = "Withdrawn"),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "`not_found`: no such activity, or not signed up", body = ErrorBody),
        (status = 409, description = "`activity_started` or `already_checked_in`", body = ErrorBody)))]
pub async fn withdraw(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    signups::withdraw(&state.db, caller.id(), state.clock.now(), id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Check in on site to an activity the caller signed up for, from 30 minutes before its
/// start to its end: a location within the community's check-in radius of the meeting
/// point, or with the community's rotating code (required where the community requires it).
#[utoipa::path(post, path = "/api/v1/activities/{id}/checkin", tag = "activities",
    params(("id" = i64, Path, description = "Activity id")), request_body = ActivityCheckin,
    responses(
        (status = 200, description = "Checked in", body = SignupView),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`not_signed_up`", body = ErrorBody),
        (status = 404, description = "`not_found`: no such activity", body = ErrorBody),
        (status = 409, description = "`already_checked_in`, `activity_not_open` or `activity_cancelled`", body = ErrorBody),
        (status = 422, description = "`outside_geofence` (with `details.distance_m`), `checkin_code_invalid`, `location_too_coarse` or `validation_failed`", body = ErrorBody)))]
pub async fn check_in_to_activity(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    id: web::Path<i64>,
    body: ValidatedJson<ActivityCheckin>,
) -> ApiResult<HttpResponse> {
    visit(state, caller.id(), id.into_inner(), Visit::CheckIn, body.0).await
}

/// Check out on site, after checking in and until 2 hours after the end, with the same
/// evidence as the check-in.
#[utoipa::path(post, path = "/api/v1/activities/{id}/checkout", tag = "activities",
    params(("id" = i64, Path, description = "Activity id")), request_body = ActivityCheckin,
    responses(
        (status = 200, description = "Checked out", body = SignupView),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`not_signed_up`", body = ErrorBody),
        (status = 404, description = "`not_found`: no such activity", body = ErrorBody),
        (status = 409, description = "`not_checked_in`, `already_checked_out`, `activity_not_open` or `activity_cancelled`", body = ErrorBody),
        (status = 422, description = "`outside_geofence` (with `details.distance_m`), `checkin_code_invalid`, `location_too_coarse` or `validation_failed`", body = ErrorBody)))]
pub async fn check_out_of_activity(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    id: web::Path<i64>,
    body: ValidatedJson<ActivityCheckin>,
) -> ApiResult<HttpResponse> {
    visit(state, caller.id(), id.into_inner(), Visit::CheckOut, body.0).await
}

async fn visit(
    state: web::Data<AppState>,
    user_id: i64,
    activity_id: i64,
    which: Visit,
    input: ActivityCheckin,
) -> ApiResult<HttpResponse> {
    let now = state.clock.now();
    let view = signups::visit(
        &state.db,
        &state.cache,
        &state.checkin_codes,
        user_id,
        now,
        (activity_id, which),
        &input,
    )
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Confirm the hours of volunteers who signed up (staff of the activity's community), all
/// or nothing. Each volunteer's hours and points (`points_fixed`, or hours × `points_per_hour`
/// rounded, within the caps of the community's `activity` rule if any) are recorded once:
/// a repeated confirmation answers `already_confirmed` and changes nothing. Nobody confirms
/// their own hours.
#[utoipa::path(post, path = "/api/v1/activities/{id}/attendance", tag = "activities",
    params(("id" = i64, Path, description = "Activity id")), request_body = ConfirmAttendance,
    responses(
        (status = 200, description = "Confirmed, one result per entry in the order sent", body = AttendanceView),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`self_review_forbidden`: the caller is among the entries", body = ErrorBody),
        (status = 404, description = "`not_found`: no such activity, or not managed by the caller", body = ErrorBody),
        (status = 409, description = "`activity_not_started` or `activity_cancelled`", body = ErrorBody),
        (status = 422, description = "`validation_failed`: names `entries[i].user_id` (not signed up, listed twice) or `entries[i].hours` (not over 0, over 2 decimals, longer than the activity plus an hour); nothing is written", body = ErrorBody)))]
pub async fn confirm_attendance(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    id: web::Path<i64>,
    body: ValidatedJson<ConfirmAttendance>,
) -> ApiResult<HttpResponse> {
    let now = state.clock.now();
    let view = attendance::confirm(
        &state.db,
        &state.cache,
        &caller,
        now,
        id.into_inner(),
        body.0,
    )
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// The caller's confirmed service: per community, hours and activities per month (the
/// Asia/Shanghai month each activity started, newest first) and in all.
#[utoipa::path(get, path = "/api/v1/me/service-records", tag = "activities",
    responses(
        (status = 200, description = "Service records by community", body = ServiceRecords),
        (status = 401, description = "`unauthorized`", body = ErrorBody)))]
pub async fn my_service_records(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(records::mine(state.db.conn(), caller.id()).await?))
}
