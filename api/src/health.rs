//! Liveness and readiness.

use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::state::AppState;

/// One dependency's state.
#[derive(Serialize, ToSchema)]
pub struct Check {
    /// True when it answered.
    pub ok: bool,
    /// Which backend (for the cache).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend: Option<&'static str>,
    /// Why not, when it did not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Readiness report.
#[derive(Serialize, ToSchema)]
pub struct Readiness {
    /// `ready`, `degraded` (cache down, requests still served) or `unavailable`.
    pub status: &'static str,
    /// The database.
    pub database: Check,
    /// The cache.
    pub cache: Check,
}

/// The process is alive.
#[utoipa::path(get, path = "/healthz", tag = "health", security(()),
    responses((status = 200, description = "Alive")))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// The database and the cache answer.
#[utoipa::path(get, path = "/readyz", tag = "health", security(()),
    responses((status = 200, description = "Ready or degraded", body = Readiness),
              (status = 503, description = "The database does not answer", body = Readiness)))]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let database = match state.db.ping().await {
        Ok(()) => Check {
            ok: true,
            backend: None,
            error: None,
        },
        Err(_) => Check {
            ok: false,
            backend: None,
            error: Some("database unreachable".into()),
        },
    };
    let cache = match state.cache.ping().await {
        Ok(()) => Check {
            ok: true,
            backend: Some(state.cache.backend()),
            error: None,
        },
        Err(e) => Check {
            ok: false,
            backend: Some(state.cache.backend()),
            error: Some(e),
        },
    };
    let status = match (database.ok, cache.ok) {
        (true, true) => "ready",
        (true, false) => "degraded",
        (false, _) => "unavailable",
    };
    let body = Readiness {
        status,
        database,
        cache,
    };
    if body.database.ok {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}
