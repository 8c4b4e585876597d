//! Volunteer points (积分存折): the ledger, earning rules, the passbook and adjustments.

pub mod adjustments;
pub mod aggregates;
pub mod dto;
pub mod handlers;
pub mod leaderboard;
pub mod ledger;
pub mod service;

use actix_web::web;
use utoipa::OpenApi;

use crate::{auth::callers, cache::Cache};

/// After a commit that wrote ledger entries: the community's leaderboards and the user's
/// summary (and caller) start a new cache generation, so the change shows at once.
pub async fn changed(cache: &Cache, user_id: i64, community_id: i64) {
    cache.bump(&leaderboard::family(community_id)).await;
    callers::changed(cache, user_id).await;
}

/// OpenAPI paths of this domain.
#[derive(OpenApi)]
#[openapi(
    paths(
        handlers::get_my_points,
        handlers::list_my_points_entries,
        handlers::get_points_rules,
        handlers::put_points_rules,
        handlers::create_points_adjustment,
        handlers::list_street_points_adjustments,
        handlers::get_points_leaderboard
    ),
    components(schemas(
        dto::PointsSummary,
        dto::Reference,
        dto::EntryView,
        dto::RuleInput,
        dto::PutRules,
        dto::RuleView,
        dto::RulesView,
        dto::AdjustmentInput,
        dto::AdjustmentView,
        dto::AdjustmentRecord,
        dto::Period,
        dto::LeaderboardEntry,
        dto::Leaderboard,
        ledger::Kind
    ))
)]
pub struct Doc;

/// Registers this domain's routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/me/points", web::get().to(handlers::get_my_points))
        .route(
            "/me/points/entries",
            web::get().to(handlers::list_my_points_entries),
        )
        .service(
            web::resource("/communities/{id}/points-rules")
                .route(web::get().to(handlers::get_points_rules))
                .route(web::put().to(handlers::put_points_rules)),
        )
        .route(
            "/communities/{id}/points/adjustments",
            web::post().to(handlers::create_points_adjustment),
        )
        .route(
            "/streets/{id}/points/adjustments",
            web::get().to(handlers::list_street_points_adjustments),
        )
        .route(
            "/communities/{id}/points/leaderboard",
            web::get().to(handlers::get_points_leaderboard),
        );
}
