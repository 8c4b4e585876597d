//! The regions domain: districts → streets → communities → grids. Route table and OpenAPI paths.

pub mod dto;
pub mod geo;
pub mod handlers;
pub mod schema;
pub mod service;

use actix_web::web;
use utoipa::OpenApi;

use handlers::{communities, districts, grids};

/// OpenAPI paths of this domain.
#[derive(OpenApi)]
#[openapi(
    paths(
        districts::list_districts,
        districts::create_district,
        districts::update_district,
        districts::delete_district,
        districts::create_street,
        districts::update_street,
        districts::delete_street,
        communities::list_communities,
        communities::get_community,
        communities::create_community,
        communities::update_community,
        communities::delete_community,
        grids::list_grids,
        grids::locate_grid,
        grids::create_grid,
        grids::update_grid,
        grids::delete_grid,
    ),
    components(schemas(
        dto::CreateDistrict,
        dto::UpdateDistrict,
        dto::CreateStreet,
        dto::UpdateStreet,
        dto::CreateCommunity,
        dto::UpdateCommunity,
        dto::CreateGrid,
        dto::UpdateGrid,
        dto::DistrictView,
        dto::StreetView,
        dto::DistrictTree,
        dto::CommunityView,
        dto::GridView,
        dto::WorkerView,
    ))
)]
pub struct Doc;

/// Registers this domain's routes (under `/api/v1`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/districts")
            .route(web::get().to(districts::list_districts))
            .route(web::post().to(districts::create_district)),
    )
    .service(
        web::resource("/districts/{id}")
            .route(web::patch().to(districts::update_district))
            .route(web::delete().to(districts::delete_district)),
    )
    .service(web::resource("/streets").route(web::post().to(districts::create_street)))
    .service(
        web::resource("/streets/{id}")
            .route(web::patch().to(districts::update_street))
            .route(web::delete().to(districts::delete_street)),
    )
    .service(
        web::resource("/communities")
            .route(web::get().to(communities::list_communities))
            .route(web::post().to(communities::create_community)),
    )
    .service(
        web::resource("/communities/{id}")
            .route(web::get().to(communities::get_community))
            .route(web::patch().to(communities::update_community))
            .route(web::delete().to(communities::delete_community)),
    )
    .service(
        web::resource("/communities/{id}/grids")
            .route(web::get().to(grids::list_grids))
            .route(web::post().to(grids::create_grid)),
    )
    .service(
        web::resource("/communities/{id}/grids/locate").route(web::get().to(grids::locate_grid)),
    )
    .service(
        web::resource("/grids/{id}")
            .route(web::patch().to(grids::update_grid))
            .route(web::delete().to(grids::delete_grid)),
    );
}
