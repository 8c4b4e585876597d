//! Courier stations (红蜂驿站): places a community opens to couriers and delivery riders
//! (charging, water, a microwave, a rest …), found by anyone nearest first. Route table and
//! OpenAPI paths.

pub mod dto;
pub mod handlers;
pub mod near;
pub mod service;

use actix_web::web;
use utoipa::OpenApi;

/// OpenAPI paths of this domain.
#[derive(OpenApi)]
#[openapi(
    paths(
        handlers::create_station,
        handlers::update_station,
        handlers::delete_station,
        handlers::list_stations,
    ),
    components(schemas(
        dto::CreateStation,
        dto::UpdateStation,
        dto::StationView,
        dto::StationService,
    ))
)]
pub struct Doc;

/// Registers this domain's routes (under `/api/v1`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/stations").route(web::get().to(handlers::list_stations)))
        .service(
            web::resource("/stations/{id}")
                .route(web::patch().to(handlers::update_station))
                .route(web::delete().to(handlers::delete_station)),
        )
        .service(
            web::resource("/communities/{id}/stations")
                .route(web::post().to(handlers::create_station)),
        );
}
