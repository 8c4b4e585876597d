//! The OpenAPI document, assembled from each domain's paths.

use utoipa::{
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    Modify, OpenApi,
};

use crate::{error::ErrorBody, health, identity, points, regions, residents, roles, supermarket};

/// Declares the bearer scheme used by every authenticated operation.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "linli API", description = "邻里: community governance for WeChat mini-programs. \
        Errors answer `{code, message, fields?}`; authenticated calls send `Authorization: Bearer <access_token>`."),
    paths(health::healthz, health::readyz),
    components(schemas(ErrorBody)),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags((name = "health"), (name = "auth"), (name = "me"), (name = "roles"), (name = "regions"), (name = "residents"), (name = "points"), (name = "supermarket"))
)]
struct BaseDoc;

/// The whole document.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = BaseDoc::openapi();
    doc.merge(identity::Doc::openapi());
    doc.merge(roles::Doc::openapi());
    doc.merge(regions::Doc::openapi());
    doc.merge(residents::Doc::openapi());
    doc.merge(points::Doc::openapi());
    doc.merge(supermarket::Doc::openapi());
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc
}

/// The document as committed in `openapi/openapi.json`.
pub fn document_json() -> String {
    let mut text = document()
        .to_pretty_json()
        .expect("the OpenAPI document serializes");
    text.push('\n');
    text
}
