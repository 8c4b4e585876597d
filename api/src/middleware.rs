//! Request middleware: request ids with an access log, and rate limits on logins and writes.

use std::time::{Duration, Instant};

use actix_web::{
    body::{EitherBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::{header::HeaderValue, Method},
    middleware::Next,
    web, Error, HttpMessage, ResponseError,
};
use sha2::{Digest, Sha256};
use tracing::Instrument;

use crate::{
    auth::{
        extractor::bearer,
        jwt::{TokenClaims, TokenRejected},
    },
    client_addr::client_ip,
    config::RateLimits,
    error::ApiError,
    method_override::effective_method,
    state::AppState,
};

const REQUEST_ID: &str = "x-request-id";

/// Gives every request an id (kept from the client when sane) and logs one line per request.
/// Only the path is logged: query strings may hold coordinates. The method logged is the one
/// the request is served as (a `POST` overridden to `PATCH` logs `PATCH`).
pub async fn request_log(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let method = effective_method(req.method(), req.headers()).unwrap_or(Method::POST);
    let span =
        tracing::info_span!("request", request_id = %id, method = %method, path = %req.path());
    let started = Instant::now();
    // The middleware inside answer their refusals (429, 422, 400) as responses, never as
    // `Err`, so that they pass here to be logged and tagged. An `Err` is still logged.
    let mut res = match next.call(req).instrument(span.clone()).await {
        Ok(res) => res,
        Err(err) => {
            let status = err.as_response_error().status_code().as_u16();
            let ms = started.elapsed().as_millis() as u64;
            span.in_scope(|| tracing::info!(status, ms, "request"));
            return Err(err);
        }
    };
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(
            actix_web::http::header::HeaderName::from_static(REQUEST_ID),
            value,
        );
    }
    let status = res.status().as_u16();
    let ms = started.elapsed().as_millis() as u64;
    span.in_scope(|| tracing::info!(status, ms, "request"));
    Ok(res)
}

/// The outcome of verifying this request's bearer token, when the rate limiter already did.
#[derive(Clone, Copy, Debug)]
pub struct CheckedToken(pub Result<TokenClaims, TokenRejected>);

/// The budget a request spends, decided from its method and path alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Budget {
    /// A login or refresh path's own per-address budget (`wechat`, `password`, `refresh`):
    /// residents sharing one carrier-NAT address do not lock each other out of refreshing.
    Auth(&'static str),
    /// A write to `/api/`: per user, or per address when anonymous.
    Write,
}

/// The budget the rate limiter charges `method` on `path`, `None` when it lets it through
/// uncounted. The OpenAPI document documents 429 on exactly these operations.
pub fn budget(method: &Method, path: &str) -> Option<Budget> {
    match path {
        "/api/v1/auth/wechat-login" => return Some(Budget::Auth("wechat")),
        "/api/v1/auth/password-login" => return Some(Budget::Auth("password")),
        "/api/v1/auth/refresh" => return Some(Budget::Auth("refresh")),
        _ => {}
    }
    // A desk lookup of a pickup code spends the write budget like verifying one: codes are
    // six digits, so both are guesses to bound.
    let write = !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
        || path.ends_with("/redemptions/lookup");
    (write && path.starts_with("/api/")).then_some(Budget::Write)
}

fn auth_limit(name: &str, limits: &RateLimits) -> u64 {
    match name {
        "wechat" => limits.wechat_login,
        "password" => limits.password_login,
        _ => limits.refresh,
    }
}

/// Limits logins and refreshes per client address, and writes per user (or address when
/// anonymous). A refusal is answered here as a response (not an `Err`), so the access log
/// around it logs it and gives it its `X-Request-Id`.
pub async fn rate_limit(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    if let Err(refused) = spend(&req).await {
        return Ok(req
            .into_response(refused.error_response())
            .map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

/// Charges the request's budget, if it has one.
async fn spend(req: &ServiceRequest) -> Result<(), ApiError> {
    if let Some(state) = req.app_data::<web::Data<AppState>>().cloned() {
        let limits = &state.settings.rate;
        match budget(req.method(), routed_path(req)) {
            Some(Budget::Auth(name)) => {
                let client = client_key(req, &state);
                let limit = auth_limit(name, limits);
                check(&state, &format!("rl:{name}:{client}"), limit, limits.window).await?;
            }
            Some(Budget::Write) => {
                let checked =
                    bearer(req.request()).map(|t| state.tokens.keys.verify(t, state.clock.now()));
                let subject = match checked {
                    Some(Ok(claims)) => format!("u{}", claims.user_id),
                    _ => client_key(req, &state),
                };
                if let Some(outcome) = checked {
                    // The extractor takes the outcome from here instead of checking the token
                    // again, so both answer the same (`token_expired` or `unauthorized`).
                    req.extensions_mut().insert(CheckedToken(outcome));
                }
                check(
                    &state,
                    &format!("rl:write:{subject}"),
                    limits.writes,
                    limits.window,
                )
                .await?;
            }
            None => {}
        }
    }
    Ok(())
}

/// Spends one attempt of a username's password budget, from whatever address: guesses spread
/// over many addresses stop too. The key holds a hash, never the name.
pub async fn limit_password_username(state: &AppState, username: &str) -> Result<(), ApiError> {
    let name = username.trim().to_lowercase();
    let key = format!("rl:password-user:{}", short_hash("user", &name));
    let limits = &state.settings.rate;
    check(
        state,
        &key,
        limits.password_per_username,
        limits.username_window,
    )
    .await
}

async fn check(state: &AppState, key: &str, limit: u64, window: Duration) -> Result<(), ApiError> {
    let hit = state.cache.hit(key, window).await;
    if hit.count > limit {
        let secs = hit.resets_in.as_millis().div_ceil(1000) as u64;
        return Err(ApiError::too_many_requests(secs));
    }
    Ok(())
}

/// A short hash of the client address (see `client_addr`): limits need identity, logs and
/// Redis need no IPs.
fn client_key(req: &ServiceRequest, state: &AppState) -> String {
    let forwarded = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok());
    let ip = client_ip(req.peer_addr().map(|a| a.ip()), forwarded, |ip| {
        state.settings.is_trusted_proxy(ip)
    })
    .map(|ip| ip.to_string())
    .unwrap_or_default();
    short_hash("ip", &ip)
}

fn short_hash(kind: &str, value: &str) -> String {
    let digest = Sha256::digest(format!("linli-rl-{kind}:{value}"));
    hex::encode(&digest[..8])
}

/// The path as the router matches it (percent-decoded), so that a limit or a check keyed on
/// the path cannot be stepped around by encoding a character the router decodes
/// (`/redemptions/looku%70` routes to the lookup).
pub fn routed_path(req: &ServiceRequest) -> &str {
    req.match_info().as_str()
}
