//! Answers for requests no route takes: 404 for an unknown path, and a JSON 405 with `Allow`
//! for a known path asked with a method it does not serve. The methods of each path come from
//! the OpenAPI document, which a test keeps equal to the registered routes.

use std::sync::OnceLock;

use actix_web::{
    body::{EitherBody, MessageBody},
    dev::{ResourceDef, ServiceRequest, ServiceResponse},
    http::{
        header::{self, HeaderValue},
        StatusCode,
    },
    middleware::Next,
    Error, HttpRequest, HttpResponse, ResponseError,
};

use crate::{
    error::{ApiError, ErrorCode},
    openapi,
};

/// Each documented path template with the methods it serves, e.g. `GET, PATCH`.
fn table() -> &'static [(ResourceDef, String)] {
    static TABLE: OnceLock<Vec<(ResourceDef, String)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        openapi::document()
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let methods = [
                    ("GET", item.get.is_some()),
                    ("POST", item.post.is_some()),
                    ("PUT", item.put.is_some()),
                    ("PATCH", item.patch.is_some()),
                    ("DELETE", item.delete.is_some()),
                ];
                let allow = methods
                    .iter()
                    .filter(|(_, served)| *served)
                    .map(|(name, _)| *name)
                    .collect::<Vec<_>>()
                    .join(", ");
                (ResourceDef::new(path.as_str()), allow)
            })
            .collect()
    })
}

/// The methods served at `path`, when it is a known path.
pub fn allowed_methods(path: &str) -> Option<&'static str> {
    table()
        .iter()
        .find(|(def, _)| def.is_match(path))
        .map(|(_, allow)| allow.as_str())
}

fn method_not_allowed(allow: Option<HeaderValue>) -> HttpResponse {
    let mut response = ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::MethodNotAllowed,
        "不支持该请求方法",
    )
    .error_response();
    if let Some(allow) = allow {
        response.headers_mut().insert(header::ALLOW, allow);
    }
    response
}

/// The app's default service: 405 on a known path, else 404.
pub async fn unknown_route(req: HttpRequest) -> HttpResponse {
    match allowed_methods(req.match_info().as_str()) {
        Some(allow) => method_not_allowed(HeaderValue::from_str(allow).ok()),
        None => ApiError::not_found("route").error_response(),
    }
}

/// Turns actix's empty 405 (a resource asked with a method it has no route for) into the JSON
/// one, keeping its `Allow`.
pub async fn json_method_not_allowed(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let res = next.call(req).await?;
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if res.status() != StatusCode::METHOD_NOT_ALLOWED || is_json {
        return Ok(res.map_into_left_body());
    }
    let allow = allowed_methods(res.request().match_info().as_str())
        .and_then(|a| HeaderValue::from_str(a).ok())
        .or_else(|| res.headers().get(header::ALLOW).cloned());
    Ok(res
        .into_response(method_not_allowed(allow))
        .map_into_right_body())
}
