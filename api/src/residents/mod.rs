//! The residents domain: residents file their address, community staff approve it, and an
//! approved residence ties the user to a household (and the household to a grid).

pub mod applications;
pub mod dto;
pub mod handlers;
pub mod membership;
pub mod review;
pub mod search;

use actix_web::web;
use utoipa::OpenApi;

/// OpenAPI paths of this domain.
#[derive(OpenApi)]
#[openapi(
    paths(
        handlers::create_residence,
        handlers::list_my_residences,
        handlers::withdraw_residence,
        handlers::list_community_residences,
        handlers::approve_residence,
        handlers::reject_residence,
        handlers::search_residents
    ),
    components(schemas(
        dto::SubmitResidence,
        dto::ApproveResidence,
        dto::RejectResidence,
        dto::ResidenceRelation,
        dto::ResidenceStatus,
        dto::ResidenceView,
        dto::Applicant,
        dto::ResidenceReview,
        dto::ResidentSummary
    ))
)]
pub struct Doc;

/// Registers this domain's routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/me/residences")
            .route(web::get().to(handlers::list_my_residences))
            .route(web::post().to(handlers::create_residence)),
    )
    .route(
        "/me/residences/{id}",
        web::delete().to(handlers::withdraw_residence),
    )
    .route(
        "/communities/{id}/residences",
        web::get().to(handlers::list_community_residences),
    )
    .route(
        "/communities/{id}/residents",
        web::get().to(handlers::search_residents),
    )
    .route(
        "/residences/{id}/approve",
        web::post().to(handlers::approve_residence),
    )
    .route(
        "/residences/{id}/reject",
        web::post().to(handlers::reject_residence),
    );
}
