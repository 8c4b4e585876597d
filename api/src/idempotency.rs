//! Idempotent writes: the client sends an `Idempotency-Key` it stored before sending; the
//! first request's response is stored with the work it did and replayed byte for byte.

use std::future::Future;

use actix_web::{http::StatusCode, HttpRequest, HttpResponse};
use chrono::{DateTime, Duration, Utc};
use entity::idempotency_keys;
use sea_orm::{
    sea_query::{Expr, OnConflict},
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set,
};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{
    error::{ApiError, ApiResult},
    state::AppState,
};

const HEADER: &str = "idempotency-key";
const RUNNING: &str = "running";
const DONE: &str = "done";
/// A request still "running" after this long was cut off (crash); its key may be taken over.
const STALE_AFTER: Duration = Duration::seconds(120);

/// The `Idempotency-Key` header: required, 1 to 128 visible ASCII characters.
pub fn key_from(req: &HttpRequest) -> ApiResult<String> {
    let value = req.headers().get(HEADER).ok_or_else(|| {
        ApiError::bad_request(
            "idempotency_key_required",
            "请求须带 Idempotency-Key 请求头",
        )
    })?;
    value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 128 && k.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned)
        .ok_or_else(|| {
            ApiError::bad_request(
                "idempotency_key_invalid",
                "Idempotency-Key 须为1到128个可见ASCII字符",
            )
        })
}

/// Runs `work` once per key when the client sent one, plainly otherwise. `work` gets the
/// key's row id (if any) and calls `complete` with it in the transaction of its writes.
pub async fn run_optional<F, Fut>(
    request: Option<Idempotent<'_>>,
    state: &AppState,
    work: F,
) -> ApiResult<HttpResponse>
where
    F: FnOnce(Option<i64>) -> Fut,
    Fut: Future<Output = ApiResult<(StatusCode, String)>>,
{
    match request {
        Some(request) => request.run(state, |id| work(Some(id))).await,
        None => {
            let (status, body) = work(None).await?;
            Ok(respond(status.as_u16(), body))
        }
    }
}

/// Stores the response when the request came with a key (`run_optional`).
pub async fn complete_optional<C: ConnectionTrait>(
    db: &C,
    claim: Option<i64>,
    status: StatusCode,
    body: &str,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    match claim {
        Some(id) => complete(db, id, status, body, now).await,
        None => Ok(()),
    }
}

/// A fingerprint of the request body (of the parsed request, so formatting does not matter).
pub fn fingerprint(request: &impl Serialize) -> String {
    hex::encode(Sha256::digest(
        serde_json::to_vec(request).unwrap_or_default(),
    ))
}

/// What a claim on a key gave.
enum Claim {
    /// This request owns the key; the id of its row.
    Fresh(i64),
    /// The key was used before: its stored response.
    Replay(u16, String),
}

/// One idempotent operation of a user.
pub struct Idempotent<'a> {
    /// Whose key.
    pub user_id: i64,
    /// Which operation, e.g. `redemption`.
    pub scope: &'a str,
    /// The client's key.
    pub key: String,
    /// `fingerprint` of the request.
    pub fingerprint: String,
}

impl<'a> Idempotent<'a> {
    /// The operation of a request whose `Idempotency-Key` is optional: none without the
    /// header; with it, checked like a required one. `request` is what the key is bound to
    /// (the body and any path ids).
    pub fn optional(
        req: &HttpRequest,
        user_id: i64,
        scope: &'a str,
        request: &impl Serialize,
    ) -> ApiResult<Option<Self>> {
        if !req.headers().contains_key(HEADER) {
            return Ok(None);
        }
        Ok(Some(Idempotent {
            user_id,
            scope,
            key: key_from(req)?,
            fingerprint: fingerprint(request),
        }))
    }

    /// Runs `work` once per key. `work` gets the key's row id and must call `complete` in the
    /// transaction of its writes. A client error is stored and replayed too; a server error
    /// frees the key so the client can retry it.
    pub async fn run<F, Fut>(self, state: &AppState, work: F) -> ApiResult<HttpResponse>
    where
        F: FnOnce(i64) -> Fut,
        Fut: Future<Output = ApiResult<(StatusCode, String)>>,
    {
        let id = match self.claim(state).await? {
            Claim::Replay(status, body) => return Ok(respond(status, body)),
            Claim::Fresh(id) => id,
        };
        match work(id).await {
            Ok((status, body)) => Ok(respond(status.as_u16(), body)),
            Err(e) if e.status().is_client_error() => {
                let body = e.body_json();
                let db = state.db.single_write().await;
                complete(&db, id, e.status(), &body, state.clock.now()).await?;
                Ok(respond(e.status().as_u16(), body))
            }
            Err(e) => {
                // Only a key still running: if the work did commit (and its answer was
                // lost), the key keeps the answer for the retry.
                let db = state.db.single_write().await;
                let _ = idempotency_keys::Entity::delete_many()
                    .filter(idempotency_keys::Column::Id.eq(id))
                    .filter(idempotency_keys::Column::Status.eq(RUNNING))
                    .exec(&db)
                    .await;
                Err(e)
            }
        }
    }

    /// Claims the key with one autocommitted `INSERT … ON CONFLICT DO NOTHING RETURNING`;
    /// only a key used before costs a second query.
    async fn claim(&self, state: &AppState) -> ApiResult<Claim> {
        let now = state.clock.now();
        // A key freed by a failed request between our insert and our read is claimed again.
        for _ in 0..3 {
            let inserted = idempotency_keys::Entity::insert(idempotency_keys::ActiveModel {
                user_id: Set(self.user_id),
                scope: Set(self.scope.to_owned()),
                key: Set(self.key.clone()),
                request_hash: Set(self.fingerprint.clone()),
                status: Set(RUNNING.to_owned()),
                response_status: Set(None),
                response_body: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            })
            .on_conflict(
                OnConflict::columns([
                    idempotency_keys::Column::UserId,
                    idempotency_keys::Column::Scope,
                    idempotency_keys::Column::Key,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_with_returning_many(&state.db.single_write().await)
            .await?;
            if let Some(row) = inserted.into_iter().next() {
                return Ok(Claim::Fresh(row.id));
            }
            let Some(row) = idempotency_keys::Entity::find()
                .filter(idempotency_keys::Column::UserId.eq(self.user_id))
                .filter(idempotency_keys::Column::Scope.eq(self.scope))
                .filter(idempotency_keys::Column::Key.eq(&self.key))
                .one(state.db.conn())
                .await?
            else {
                continue;
            };
            if row.request_hash != self.fingerprint {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "idempotency_key_reused",
                    "同一 Idempotency-Key 不能用于不同的请求",
                ));
            }
            if row.status == DONE {
                let status = row.response_status.unwrap_or(200) as u16;
                return Ok(Claim::Replay(status, row.response_body.unwrap_or_default()));
            }
            if row.updated_at + STALE_AFTER < now
                && take_over(&state.db.single_write().await, row.id, row.updated_at, now).await?
            {
                return Ok(Claim::Fresh(row.id));
            }
            return Err(ApiError::conflict(
                "idempotency_request_in_progress",
                "相同的请求正在处理中，请稍后查看结果",
            ));
        }
        Err(ApiError::internal(anyhow::anyhow!(
            "idempotency key kept vanishing"
        )))
    }
}

async fn take_over<C: ConnectionTrait>(
    db: &C,
    id: i64,
    seen: DateTime<Utc>,
    now: DateTime<Utc>,
) -> ApiResult<bool> {
    let taken = idempotency_keys::Entity::update_many()
        .col_expr(idempotency_keys::Column::UpdatedAt, Expr::value(now))
        .filter(idempotency_keys::Column::Id.eq(id))
        .filter(idempotency_keys::Column::Status.eq(RUNNING))
        .filter(idempotency_keys::Column::UpdatedAt.eq(seen))
        .exec(db)
        .await?;
    Ok(taken.rows_affected == 1)
}

/// Stores the response of a key's request; call it in the transaction of the work.
pub async fn complete<C: ConnectionTrait>(
    db: &C,
    id: i64,
    status: StatusCode,
    body: &str,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    idempotency_keys::Entity::update_many()
        .col_expr(idempotency_keys::Column::Status, Expr::value(DONE))
        .col_expr(
            idempotency_keys::Column::ResponseStatus,
            Expr::value(i32::from(status.as_u16())),
        )
        .col_expr(idempotency_keys::Column::ResponseBody, Expr::value(body))
        .col_expr(idempotency_keys::Column::UpdatedAt, Expr::value(now))
        .filter(idempotency_keys::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// A stored response as HTTP.
fn respond(status: u16, body: String) -> HttpResponse {
    HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::OK))
        .content_type("application/json")
        .body(body)
}
