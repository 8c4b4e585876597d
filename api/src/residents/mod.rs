//! The residents domain: route table and OpenAPI paths.

use actix_web::web;
use utoipa::OpenApi;

/// OpenAPI paths of this domain.
#[derive(OpenApi)]
#[openapi()]
pub struct Doc;

/// Registers this domain's routes.
pub fn routes(_cfg: &mut web::ServiceConfig) {}
