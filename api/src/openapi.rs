//! The OpenAPI document, assembled from each domain's paths, plus the answers every operation
//! shares (bad bodies, rate limits) added in one place so new endpoints get them too.

use utoipa::{
    openapi::{
        header::{Header, HeaderBuilder},
        schema::{ArrayItems, Schema},
        security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
        server::ServerBuilder,
        ContentBuilder, HttpMethod, Object, Ref, RefOr, Response, ResponseBuilder, Type,
    },
    Modify, OpenApi,
};

use crate::{
    activities, counts, error::ErrorBody, health, identity, media, points, regions, residents,
    roles, stations, supermarket, volunteers,
};

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
        Errors answer `{code, message, fields?, details?}` (`details` carries facts some codes come with, e.g. `balance` on `insufficient_points`); \
        `code` is one of `ErrorCode`: switch on it, not on `message` or the status alone. A 422 `validation_failed` names every invalid field at once under `fields`; \
        a query parameter an operation does not list answers 422 `validation_failed` naming it under `fields`. Authenticated calls send `Authorization: Bearer <access_token>`. \
        An expired access token answers 401 `token_expired` (refresh it with `POST /api/v1/auth/refresh`); any other bad token 401 `unauthorized` (log in again). \
        A method a path does not serve answers 405 `method_not_allowed` with an `Allow` header; an unknown path 404. \
        Every `PATCH` also answers a `POST` sent with the header `X-HTTP-Method-Override: PATCH` (WeChat's `wx.request` cannot send `PATCH`): \
        it is served exactly as the `PATCH`, and on a path without `PATCH` answers the 405. Only that value is honoured, and only on a `POST`: \
        a `POST` with any other value answers 400 `method_override_invalid`; on other methods the header is ignored.",
        license(name = "MIT OR Apache-2.0", identifier = "MIT OR Apache-2.0")),
    paths(health::healthz, health::readyz),
    components(schemas(ErrorBody)),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags(
        (name = "health", description = "Liveness and readiness probes"),
        (name = "auth", description = "WeChat and console logins, token rotation, logout"),
        (name = "me", description = "The caller's own profile and phone"),
        (name = "roles", description = "Role assignments (platform admins and street admins)"),
        (name = "regions", description = "Districts, streets, communities and grids; nearest communities; locating a grid"),
        (name = "residents", description = "Residence applications and their review by community staff"),
        (name = "points", description = "Volunteer points (积分存折): passbook, earning rules, adjustments, leaderboard"),
        (name = "supermarket", description = "The civility supermarket (文明超市): goods, redemptions, pickup verification"),
        (name = "media", description = "Uploaded pictures, served publicly by content hash"),
        (name = "volunteers", description = "Volunteers: registration (报到), the rotating on-site code, check-ins and their review"),
        (name = "activities", description = "Volunteer activities (志愿活动): publishing, sign-ups with capacity, on-site check-in and check-out, attendance and service records"),
        (name = "counts", description = "Badge counts for staff: applications to review, pickups waiting, goods running low"),
        (name = "stations", description = "Courier stations (红蜂驿站): places communities open to couriers and riders, found nearest first"),
    )
)]
struct BaseDoc;

/// Answers shared by many operations, declared once under `components.responses`.
const SHARED: &[(&str, &str, &str)] = &[
    (
        "400",
        "BadRequestBody",
        "`invalid_json`: the body is not valid JSON; `invalid_body`: the body broke off",
    ),
    (
        "413",
        "PayloadTooLarge",
        "`payload_too_large`: the body is over 64 KiB",
    ),
    (
        "415",
        "UnsupportedMediaType",
        "`unsupported_media_type`: the body is not `Content-Type: application/json`",
    ),
    (
        "401",
        "Unauthorized",
        "`token_expired`: the access token has expired, refresh it; `unauthorized`: missing or invalid token, or the session has ended, log in again",
    ),
    (
        "422",
        "ValidationFailed",
        "`validation_failed`: every invalid field, and every query parameter the operation does not list, is named under `fields`",
    ),
    (
        "429",
        "RateLimited",
        "`rate_limited`: too many writes (or logins) for now; `Retry-After` says when to retry",
    ),
];

/// Adds the shared answers: 400, 413 and 415 to operations that read a body (uploads keep
/// their own descriptions of these), 401 to those
/// behind the bearer scheme (replacing their own, so `token_expired` is documented once),
/// 422 to every `/api/` operation (the strict query string refuses undocumented parameters
/// on all of them), 429 with `Retry-After` to every operation the rate limiter charges
/// (`middleware::budget`: logins, refreshes, writes); puts the shared responses in
/// `components`.
struct SharedResponses;

impl Modify for SharedResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations = [
                (HttpMethod::Get, &mut item.get),
                (HttpMethod::Put, &mut item.put),
                (HttpMethod::Post, &mut item.post),
                (HttpMethod::Delete, &mut item.delete),
                (HttpMethod::Patch, &mut item.patch),
            ];
            for (method, op) in operations {
                let Some(op) = op else { continue };
                let reads_body = op.request_body.is_some();
                // The shared 400/413/415 texts speak of JSON: an upload documents its own.
                let json_body = op.request_body.as_ref().is_some_and(|b| match b {
                    RefOr::T(body) => body.content.contains_key("application/json"),
                    RefOr::Ref(_) => true,
                });
                let limited = crate::middleware::budget(&actix_method(&method), path).is_some();
                let strict_query = path.starts_with("/api/");
                // No `security` of its own: the document's bearer scheme applies.
                let authenticated = op.security.is_none() && path.starts_with("/api/");
                if authenticated {
                    op.responses.responses.insert(
                        "401".to_owned(),
                        RefOr::Ref(Ref::from_response_name("Unauthorized")),
                    );
                }
                let applies = |status: &str| match status {
                    "429" => limited,
                    "422" => strict_query,
                    "401" => false,
                    _ => reads_body,
                };
                for (status, name, text) in SHARED.iter().filter(|(s, ..)| applies(s)) {
                    match op.responses.responses.get_mut(*status) {
                        // The operation's own description comes first; the shared one is added.
                        Some(RefOr::T(own))
                            if json_body || !matches!(*status, "400" | "413" | "415") =>
                        {
                            if !own.description.contains(text) {
                                own.description = format!("{}; {text}", own.description);
                            }
                            if *status == "429" && !own.headers.contains_key("Retry-After") {
                                own.headers.insert(
                                    "Retry-After".to_owned(),
                                    RefOr::T(retry_after_header()),
                                );
                            }
                        }
                        Some(_) => {}
                        None => {
                            op.responses.responses.insert(
                                (*status).to_owned(),
                                RefOr::Ref(Ref::from_response_name(*name)),
                            );
                        }
                    }
                }
            }
        }
        let components = openapi.components.get_or_insert_with(Default::default);
        for (status, name, text) in SHARED {
            components
                .responses
                .insert((*name).to_owned(), RefOr::T(shared_response(status, text)));
        }
        openapi.servers = Some(vec![ServerBuilder::new()
            .url("/")
            .description(Some("The server that serves this document"))
            .build()]);
    }
}

/// utoipa names `Page<EntryView>` `Page_EntryView` but copies the whole `EntryView` schema
/// into its `items` (juhaku/utoipa#1586): point each page's items at the named schema
/// instead (registering it when no domain did), so clients see one `EntryView` type.
struct PageItemsByRef;

impl Modify for PageItemsByRef {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut unregistered = Vec::new();
        for (name, page) in components.schemas.iter_mut() {
            let Some(item) = name.strip_prefix("Page_") else {
                continue;
            };
            let RefOr::T(Schema::Object(page)) = page else {
                continue;
            };
            let Some(RefOr::T(Schema::Array(items))) = page.properties.get_mut("items") else {
                continue;
            };
            let by_ref = ArrayItems::RefOrSchema(Box::new(RefOr::Ref(Ref::from_schema_name(item))));
            if let ArrayItems::RefOrSchema(inline) = std::mem::replace(&mut items.items, by_ref) {
                if let RefOr::T(schema) = *inline {
                    unregistered.push((item.to_owned(), RefOr::T(schema)));
                }
            }
        }
        for (item, schema) in unregistered {
            components.schemas.entry(item).or_insert(schema);
        }
    }
}

fn shared_response(status: &str, text: &str) -> Response {
    let body = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("ErrorBody")))
        .build();
    let mut response = ResponseBuilder::new()
        .description(text)
        .content("application/json", body);
    if status == "429" {
        response = response.header("Retry-After", retry_after_header());
    }
    response.build()
}

fn retry_after_header() -> Header {
    HeaderBuilder::new()
        .schema(Some(Object::with_type(Type::Integer)))
        .description(Some("Seconds until the limit resets"))
        .build()
}

fn actix_method(method: &HttpMethod) -> actix_web::http::Method {
    use actix_web::http::Method;
    match method {
        HttpMethod::Get => Method::GET,
        HttpMethod::Put => Method::PUT,
        HttpMethod::Post => Method::POST,
        HttpMethod::Delete => Method::DELETE,
        HttpMethod::Patch => Method::PATCH,
        HttpMethod::Head => Method::HEAD,
        HttpMethod::Options => Method::OPTIONS,
        HttpMethod::Trace => Method::TRACE,
    }
}

/// The whole document.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = BaseDoc::openapi();
    doc.merge(identity::Doc::openapi());
    doc.merge(roles::Doc::openapi());
    doc.merge(regions::Doc::openapi());
    doc.merge(residents::Doc::openapi());
    doc.merge(points::Doc::openapi());
    doc.merge(supermarket::Doc::openapi());
    doc.merge(media::Doc::openapi());
    doc.merge(counts::Doc::openapi());
    doc.merge(volunteers::Doc::openapi());
    doc.merge(activities::Doc::openapi());
    doc.merge(stations::Doc::openapi());
    // After the merge, so that every domain's operations are covered.
    SharedResponses.modify(&mut doc);
    PageItemsByRef.modify(&mut doc);
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
