//! Role assignments: roles are data, checked on every request.

pub mod dto;
pub mod handlers;
pub mod service;

use actix_web::web;
use utoipa::OpenApi;

/// OpenAPI paths of this domain.
#[derive(OpenApi)]
#[openapi(
    paths(
        handlers::create_role_assignment,
        handlers::list_role_assignments,
        handlers::delete_role_assignment
    ),
    components(schemas(dto::CreateAssignment, dto::AssignmentView, crate::auth::Role))
)]
pub struct Doc;

/// Registers this domain's routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/role-assignments")
            .route(web::get().to(handlers::list_role_assignments))
            .route(web::post().to(handlers::create_role_assignment)),
    )
    .route(
        "/role-assignments/{id}",
        web::delete().to(handlers::delete_role_assignment),
    );
}
