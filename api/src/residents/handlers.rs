//! Residence handlers: residents file addresses, community staff review them.

use actix_web::{web, HttpResponse};

use super::{applications, dto::*, review, search};
use crate::{
    auth::AuthUser,
    error::{ApiResult, ErrorBody},
    extract::{OptionalJson, ValidatedJson, ValidatedQuery},
    pagination::{Page, PageQuery},
    state::AppState,
};

/// Apply to be a verified resident of an address; staff of the community review it.
/// `lat`/`lng` only suggest a grid and are not stored.
#[utoipa::path(post, path = "/api/v1/me/residences", tag = "residents", request_body = SubmitResidence,
    responses(
        (status = 201, description = "Filed, `pending`", body = ResidenceView),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "`not_found`: no such community", body = ErrorBody),
        (status = 409, description = "`residence_exists`: this address is already pending or approved for the caller", body = ErrorBody),
        (status = 422, description = "`validation_failed`, e.g. `floor_area_m2` given by a non-owner", body = ErrorBody)))]
pub async fn create_residence(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    body: ValidatedJson<SubmitResidence>,
) -> ApiResult<HttpResponse> {
    let input = body.0.into_new()?;
    Ok(HttpResponse::Created()
        .json(applications::submit(&state.db, &caller, state.clock.now(), input).await?))
}

/// The caller's residence applications, newest first, page by page.
#[utoipa::path(get, path = "/api/v1/me/residences", tag = "residents", params(PageQuery),
    responses(
        (status = 200, description = "A page of the caller's applications", body = Page<ResidenceView>),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 422, description = "`validation_failed`: bad cursor or limit", body = ErrorBody)))]
pub async fn list_my_residences(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    query: ValidatedQuery<PageQuery>,
) -> ApiResult<HttpResponse> {
    let page = applications::list_mine(state.db.conn(), &caller, query.0).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Withdraw one of the caller's own pending applications.
#[utoipa::path(delete, path = "/api/v1/me/residences/{id}", tag = "residents",
    params(("id" = i64, Path, description = "Residence id")),
    responses(
        (status = 204, description = "Withdrawn"),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "`not_found`: no such application of the caller", body = ErrorBody),
        (status = 409, description = "`residence_not_pending`: already decided", body = ErrorBody)))]
pub async fn withdraw_residence(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    applications::withdraw(&state.db, &caller, id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A community's residence applications for its staff (platform admin, its street's admin,
/// its community staff), newest first, with applicants' phones masked. The review badge is
/// `?status=pending&with_total=true`.
#[utoipa::path(get, path = "/api/v1/communities/{id}/residences", tag = "residents",
    params(("id" = i64, Path, description = "Community id"), ListResidencesQuery),
    responses(
        (status = 200, description = "A page of applications; with `with_total=true` also `total`, the count of every application the filter matches", body = Page<ResidenceReview>),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "`not_found`: no such community, or not managed by the caller", body = ErrorBody),
        (status = 422, description = "`validation_failed`: bad status, cursor or limit", body = ErrorBody)))]
pub async fn list_community_residences(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    id: web::Path<i64>,
    query: ValidatedQuery<ListResidencesQuery>,
) -> ApiResult<HttpResponse> {
    let page =
        review::list_for_community(state.db.conn(), &caller, id.into_inner(), query.0).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Approve a pending application: the applicant is tied to the address's household (created
/// on first approval) and the household to `grid_id`, else to the suggested grid. The body
/// may be left out.
#[utoipa::path(post, path = "/api/v1/residences/{id}/approve", tag = "residents",
    params(("id" = i64, Path, description = "Residence id")), request_body = Option<ApproveResidence>,
    responses(
        (status = 200, description = "Approved", body = ResidenceView),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "`not_found`: no such application in a community the caller manages", body = ErrorBody),
        (status = 409, description = "`residence_not_pending`: already decided or withdrawn", body = ErrorBody),
        (status = 422, description = "`validation_failed`: `grid_id` is not a grid of the community", body = ErrorBody)))]
pub async fn approve_residence(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    id: web::Path<i64>,
    body: OptionalJson<ApproveResidence>,
) -> ApiResult<HttpResponse> {
    let view = review::approve(
        &state.db,
        &caller,
        state.clock.now(),
        id.into_inner(),
        body.0,
    )
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Reject a pending application with a reason shown to the applicant, who may apply again.
#[utoipa::path(post, path = "/api/v1/residences/{id}/reject", tag = "residents",
    params(("id" = i64, Path, description = "Residence id")), request_body = RejectResidence,
    responses(
        (status = 200, description = "Rejected", body = ResidenceView),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "`not_found`: no such application in a community the caller manages", body = ErrorBody),
        (status = 409, description = "`residence_not_pending`: already decided or withdrawn", body = ErrorBody),
        (status = 422, description = "`validation_failed`: `reason` missing or longer than 200 characters", body = ErrorBody)))]
pub async fn reject_residence(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    id: web::Path<i64>,
    body: ValidatedJson<RejectResidence>,
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

/// Staff find the residents of their community (an approved residence there) by a part of
/// the name or the last four digits of the phone (`q`), each with their grid and points
/// balance, before adjusting their points. Names and phones are masked.
#[utoipa::path(get, path = "/api/v1/communities/{id}/residents", tag = "residents",
    params(("id" = i64, Path, description = "Community id"), ResidentSearchQuery),
    responses(
        (status = 200, description = "A page of residents, newest users first", body = Page<ResidentSummary>),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "`not_found`: no such community, or not managed by the caller", body = ErrorBody),
        (status = 422, description = "`validation_failed`: bad `q`, cursor or limit", body = ErrorBody)))]
pub async fn search_residents(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    id: web::Path<i64>,
    query: ValidatedQuery<ResidentSearchQuery>,
) -> ApiResult<HttpResponse> {
    let page = search::search(state.db.conn(), &caller, id.into_inner(), query.0).await?;
    Ok(HttpResponse::Ok().json(page))
}
