//! `X-HTTP-Method-Override: PATCH` on a `POST`: WeChat's `wx.request` cannot send `PATCH`
//! (its methods are OPTIONS, GET, HEAD, POST, PUT, DELETE, TRACE, CONNECT), so a phone asks
//! for a `PATCH` this way. The middleware runs on the `App`, before routing, so the router,
//! the 405 fallback and the rate limiter all see the `PATCH`.
//!
//! Only that one override is honoured. On a `POST`, any other value (or several headers)
//! answers 400 `method_override_invalid` rather than running the `POST`: a client that meant
//! `DELETE` must not create something instead. On any other method the header is ignored,
//! since a `GET` or a `PUT` already says what it does.

use actix_web::{
    body::{EitherBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::{
        header::{HeaderMap, HeaderName},
        Method,
    },
    middleware::Next,
    Error, ResponseError,
};

use crate::error::{ApiError, ErrorCode};

/// The override header.
pub const HEADER: HeaderName = HeaderName::from_static("x-http-method-override");

/// The method a request is served as: `PATCH` for a `POST` that asks for it, else its own.
/// `None` when a `POST` asks for anything else, which is refused.
pub fn effective_method(method: &Method, headers: &HeaderMap) -> Option<Method> {
    if method != Method::POST {
        return Some(method.clone());
    }
    let mut values = headers.get_all(HEADER);
    match (values.next(), values.next()) {
        (None, _) => Some(Method::POST),
        (Some(value), None) if value.as_bytes().eq_ignore_ascii_case(b"PATCH") => {
            Some(Method::PATCH)
        }
        _ => None,
    }
}

/// Serves a `POST` with `X-HTTP-Method-Override: PATCH` as the `PATCH` it stands for.
pub async fn method_override(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    match effective_method(req.method(), req.headers()) {
        Some(method) => {
            if method != req.method() {
                req.head_mut().method = method;
            }
            Ok(next.call(req).await?.map_into_left_body())
        }
        None => {
            let refused = ApiError::bad_request(
                ErrorCode::MethodOverrideInvalid,
                "X-HTTP-Method-Override 只支持 POST 请求携带 PATCH",
            );
            Ok(req
                .into_response(refused.error_response())
                .map_into_right_body())
        }
    }
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::HeaderValue;

    use super::*;

    fn with(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(HEADER, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn only_a_post_asking_for_patch_becomes_a_patch() {
        assert_eq!(
            effective_method(&Method::POST, &with("patch")),
            Some(Method::PATCH)
        );
        assert_eq!(
            effective_method(&Method::POST, &HeaderMap::new()),
            Some(Method::POST)
        );
        assert_eq!(effective_method(&Method::POST, &with("DELETE")), None);
        assert_eq!(
            effective_method(&Method::GET, &with("PATCH")),
            Some(Method::GET)
        );
        assert_eq!(
            effective_method(&Method::PUT, &with("PATCH")),
            Some(Method::PUT)
        );
    }
}
