//! Badge counts for a community's staff: what waits for them (applications to review,
//! pickups to hand over) and what runs low (goods to restock), one query per count.

pub mod dto;
pub mod handlers;
pub mod service;

use actix_web::web;
use utoipa::OpenApi;

/// OpenAPI paths of this domain.
#[derive(OpenApi)]
#[openapi(
    paths(handlers::community_counts),
    components(schemas(dto::CommunityCounts))
)]
pub struct Doc;

/// Registers this domain's routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/communities/{id}/counts",
        web::get().to(handlers::community_counts),
    );
}
