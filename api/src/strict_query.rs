//! Strict query strings: a query parameter that an `/api/` operation does not document
//! answers 422 `validation_failed` naming it, whatever the method. The OpenAPI document is
//! the list of what each operation takes, so a new endpoint is covered without a line in its
//! handler, and the document cannot promise less than the server accepts. The values of
//! documented parameters are still parsed and validated by the handler's `ValidatedQuery`.
//! Probes and tools (`/healthz`, `/readyz`, `/docs`, `/openapi.json`) are left alone: they
//! may add cache-busters.

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::OnceLock,
};

use actix_web::{
    body::{EitherBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::Method,
    middleware::Next,
    Error, ResponseError,
};
use utoipa::openapi::{
    path::{Operation, ParameterIn},
    RefOr,
};

use crate::error::ApiError;

/// A documented path: its segments (`None` for a `{parameter}`) and, per method, the query
/// parameters its operation takes.
struct Route {
    segments: Vec<Option<String>>,
    methods: Vec<(Method, BTreeSet<String>)>,
}

impl Route {
    /// How well `path` fits: the number of literal segments, `None` when it does not.
    fn fit(&self, path: &[&str]) -> Option<usize> {
        if path.len() != self.segments.len() {
            return None;
        }
        let mut literals = 0;
        for (want, got) in self.segments.iter().zip(path) {
            match want {
                Some(literal) if literal == got => literals += 1,
                Some(_) => return None,
                None => {}
            }
        }
        Some(literals)
    }
}

fn routes() -> &'static [Route] {
    static ROUTES: OnceLock<Vec<Route>> = OnceLock::new();
    ROUTES.get_or_init(|| {
        let doc = crate::openapi::document();
        doc.paths
            .paths
            .iter()
            .filter(|(path, _)| path.starts_with("/api/"))
            .map(|(path, item)| {
                let shared = query_names(item.parameters.as_deref());
                let operations = [
                    (Method::GET, &item.get),
                    (Method::POST, &item.post),
                    (Method::PUT, &item.put),
                    (Method::PATCH, &item.patch),
                    (Method::DELETE, &item.delete),
                ];
                let methods = operations
                    .into_iter()
                    .filter_map(|(method, op)| {
                        let op: &Operation = op.as_ref()?;
                        let mut names = query_names(op.parameters.as_deref());
                        names.extend(shared.iter().cloned());
                        Some((method, names))
                    })
                    .collect();
                let segments = path
                    .split('/')
                    .map(|s| (!s.starts_with('{')).then(|| s.to_owned()))
                    .collect();
                Route { segments, methods }
            })
            .collect()
    })
}

fn query_names(parameters: Option<&[RefOr<utoipa::openapi::path::Parameter>]>) -> BTreeSet<String> {
    parameters
        .unwrap_or_default()
        .iter()
        .filter_map(|p| match p {
            RefOr::T(p) if p.parameter_in == ParameterIn::Query => Some(p.name.clone()),
            _ => None,
        })
        .collect()
}

/// The query parameters the operation serving `method` on `path` takes; `None` when no
/// documented operation serves it (the router answers its 404 or 405).
fn allowed(method: &Method, path: &str) -> Option<&'static BTreeSet<String>> {
    let method = if method == Method::HEAD {
        &Method::GET
    } else {
        method
    };
    let segments: Vec<&str> = path.split('/').collect();
    routes()
        .iter()
        .filter_map(|route| route.fit(&segments).map(|fit| (fit, route)))
        .max_by_key(|(fit, _)| *fit)
        .and_then(|(_, route)| route.methods.iter().find(|(m, _)| m == method))
        .map(|(_, names)| names)
}

/// Refuses query parameters the operation does not document: 422 `validation_failed` with
/// each of them under `fields`. Sits inside the method override, so a `POST` served as a
/// `PATCH` is checked as the `PATCH`.
pub async fn strict_query(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    if !req.query_string().is_empty() {
        if let Some(names) = allowed(req.method(), crate::middleware::routed_path(&req)) {
            let unknown: BTreeMap<String, String> =
                url::form_urlencoded::parse(req.query_string().as_bytes())
                    .filter(|(name, _)| !names.contains(name.as_ref()))
                    .map(|(name, _)| (name.into_owned(), "不支持的查询参数".to_owned()))
                    .collect();
            if !unknown.is_empty() {
                // A response, not an `Err`: the access log outside logs and tags it.
                let refused = ApiError::validation(unknown).error_response();
                return Ok(req.into_response(refused).map_into_right_body());
            }
        }
    }
    Ok(next.call(req).await?.map_into_left_body())
}
