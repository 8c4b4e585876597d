//! Points handlers: the passbook, rules, adjustments and the leaderboard.

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};

use super::{adjustments, dto::*, leaderboard, service};
use crate::{
    auth::AuthUser,
    error::{ApiResult, ErrorBody},
    extract::{ValidatedJson, ValidatedQuery},
    idempotency::{self, Idempotent},
    pagination::{Page, PageQuery},
    state::AppState,
};

/// The caller's balance and this month's flows.
#[utoipa::path(get, path = "/api/v1/me/points", tag = "points",
    responses(
        (status = 200, description = "Balance", body = PointsSummary),
        (status = 401, description = "`unauthorized`", body = ErrorBody)))]
pub async fn get_my_points(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok()
        .json(service::summary(state.db.conn(), &state.cache, &caller, state.clock.now()).await?))
}

/// The caller's passbook (存折), newest first.
#[utoipa::path(get, path = "/api/v1/me/points/entries", tag = "points", params(PageQuery),
    responses(
        (status = 200, description = "A page of entries", body = Page<EntryView>),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 422, description = "`validation_failed`: bad cursor or limit", body = ErrorBody)))]
pub async fn list_my_points_entries(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    query: ValidatedQuery<PageQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::entries(state.db.conn(), &caller, query.0).await?))
}

/// A community's published earning rules.
#[utoipa::path(get, path = "/api/v1/communities/{id}/points-rules", tag = "points", security(()),
    params(("id" = i64, Path, description = "Community id")),
    responses(
        (status = 200, description = "Rules", body = RulesView),
        (status = 404, description = "`not_found`", body = ErrorBody)))]
pub async fn get_points_rules(
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::rules(state.db.conn(), id.into_inner()).await?))
}

/// Replace a community's earning rules (community staff).
#[utoipa::path(put, path = "/api/v1/communities/{id}/points-rules", tag = "points", request_body = PutRules,
    params(("id" = i64, Path, description = "Community id")),
    responses(
        (status = 200, description = "The new rules", body = RulesView),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "`not_found`: no such community, or not the caller's", body = ErrorBody),
        (status = 422, description = "`validation_failed`", body = ErrorBody)))]
pub async fn put_points_rules(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    id: web::Path<i64>,
    body: ValidatedJson<PutRules>,
) -> ApiResult<HttpResponse> {
    let now = state.clock.now();
    let rules = service::put_rules(&state.db, &caller, now, id.into_inner(), body.0).await?;
    Ok(HttpResponse::Ok().json(rules))
}

/// Correct a user's points (community staff); needs an `Idempotency-Key` header.
#[utoipa::path(post, path = "/api/v1/communities/{id}/points/adjustments", tag = "points", request_body = AdjustmentInput,
    params(("id" = i64, Path, description = "Community id"),
           ("Idempotency-Key" = String, Header, description = "Client-chosen key; a retry replays the first answer")),
    responses(
        (status = 201, description = "Adjusted (or the replay of the first answer)", body = AdjustmentView),
        (status = 400, description = "`idempotency_key_required` / `idempotency_key_invalid`", body = ErrorBody),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`self_review_forbidden`: staff cannot adjust their own points", body = ErrorBody),
        (status = 404, description = "`not_found`: the community is not the caller's, or the user has no approved residence there (or does not exist)", body = ErrorBody),
        (status = 409, description = "`insufficient_points` (with the user's current balance under `details.balance`), `idempotency_request_in_progress`", body = ErrorBody),
        (status = 422, description = "`validation_failed`, `idempotency_key_reused`", body = ErrorBody)))]
pub async fn create_points_adjustment(
    req: HttpRequest,
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    id: web::Path<i64>,
    body: ValidatedJson<AdjustmentInput>,
) -> ApiResult<HttpResponse> {
    let (community_id, input) = (id.into_inner(), body.0);
    let request = Idempotent::required(
        &req,
        caller.id(),
        "points_adjustment",
        &(community_id, &input),
    )?;
    idempotency::run(&state, request, StatusCode::CREATED, |claim| {
        adjustments::adjust(
            &state.db,
            &state.cache,
            &caller,
            state.clock.now(),
            community_id,
            input,
            claim,
        )
    })
    .await
}

/// The points adjustments made in a street's communities (street admins), newest first.
#[utoipa::path(get, path = "/api/v1/streets/{id}/points/adjustments", tag = "points",
    params(("id" = i64, Path, description = "Street id"), StreetAdjustmentsQuery),
    responses(
        (status = 200, description = "A page of adjustments; residents' names masked", body = Page<AdjustmentRecord>),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "`not_found`: no such street, or the caller is not its admin", body = ErrorBody),
        (status = 422, description = "`validation_failed`", body = ErrorBody)))]
pub async fn list_street_points_adjustments(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    id: web::Path<i64>,
    query: ValidatedQuery<StreetAdjustmentsQuery>,
) -> ApiResult<HttpResponse> {
    let page =
        adjustments::list_for_street(state.db.conn(), &caller, id.into_inner(), query.0).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Top earners of a community this month or year, names masked.
#[utoipa::path(get, path = "/api/v1/communities/{id}/points/leaderboard", tag = "points", params(("id" = i64, Path, description = "Community id"), LeaderboardQuery),
    responses(
        (status = 200, description = "The top `limit` earners, best first, in `items`; `next_cursor` is always null (one page)", body = Leaderboard),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 422, description = "`validation_failed`", body = ErrorBody)))]
pub async fn get_points_leaderboard(
    state: web::Data<AppState>,
    _caller: AuthUser,
    id: web::Path<i64>,
    query: ValidatedQuery<LeaderboardQuery>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(
        leaderboard::leaderboard(
            state.db.conn(),
            &state.cache,
            state.clock.now(),
            id.into_inner(),
            query.0,
        )
        .await?,
    ))
}
