//! Idempotent writes: the client sends an `Idempotency-Key` it stored before sending; the
//! first request's response is stored with the work it did and replayed byte for byte.

use std::future::Future;

use actix_web::{http::StatusCode, HttpRequest, HttpResponse};
use chrono::{DateTime, Duration, Utc};
use entity::idempotency_keys::{self, KeyStatus};
use sea_orm::{
    sea_query::{Expr, OnConflict},
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set,
};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{
    error::{ApiError, ApiResult, ErrorCode},
    state::AppState,
};

const HEADER: &str = "idempotency-key";
/// A request still "running" after this long was cut off (crash); its key may be taken over.
const STALE_AFTER: Duration = Duration::seconds(120);

/// The `Idempotency-Key` header: required, 1 to 128 visible ASCII characters.
pub fn key_from(req: &HttpRequest) -> ApiResult<String> {
    let value = req.headers().get(HEADER).ok_or_else(|| {
        ApiError::bad_request(
            ErrorCode::IdempotencyKeyRequired,
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
                ErrorCode::IdempotencyKeyInvalid,
                "Idempotency-Key 须为1到128个可见ASCII字符",
            )
        })
}

/// The key of an idempotent request as the service sees it: the service completes it in the
/// transaction of its writes, so the stored answer commits with the work or not at all. A
/// request sent without a key (where the key is optional) has nothing to complete.
#[derive(Clone, Copy, Debug)]
pub struct Claim {
    id: Option<i64>,
    status: StatusCode,
}

impl Claim {
    /// The key's row id, for ledger entries that name their cause; `None` without a key.
    pub fn id(&self) -> Option<i64> {
        self.id
    }

    /// Stores `answer` as the response of the key's request; call it in the transaction of
    /// the work, with the value the service then returns.
    pub async fn complete<C: ConnectionTrait, T: Serialize>(
        &self,
        db: &C,
        answer: &T,
        now: DateTime<Utc>,
    ) -> ApiResult<()> {
        let Some(id) = self.id else {
            return Ok(());
        };
        let body = serde_json::to_string(answer).map_err(ApiError::internal)?;
        complete(db, id, self.status, &body, now).await
    }
}

/// Runs a write once per key: the handler-level wrapper of every idempotent operation. With a
/// key (`request`), a repeated request replays the first answer byte for byte; `work` gets
/// the claim to complete and answers the view, sent with `success`. Without one (optional
/// keys), `work` simply runs.
pub async fn run<T, F, Fut>(
    state: &AppState,
    request: Option<Idempotent<'_>>,
    success: StatusCode,
    work: F,
) -> ApiResult<HttpResponse>
where
    T: Serialize,
    F: FnOnce(Claim) -> Fut,
    Fut: Future<Output = ApiResult<T>>,
{
    let answer = |view: T| -> ApiResult<HttpResponse> {
        let body = serde_json::to_string(&view).map_err(ApiError::internal)?;
        Ok(respond(success.as_u16(), body))
    };
    let Some(request) = request else {
        return answer(
            work(Claim {
                id: None,
                status: success,
            })
            .await?,
        );
    };
    let id = match request.claim(state).await? {
        Replay::Stored(status, body) => return Ok(respond(status, body)),
        Replay::Fresh(id) => id,
    };
    match work(Claim {
        id: Some(id),
        status: success,
    })
    .await
    {
        Ok(view) => answer(view),
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
                .filter(idempotency_keys::Column::Status.eq(KeyStatus::Running))
                .exec(&db)
                .await;
            Err(e)
        }
    }
}

/// A fingerprint of the request body (of the parsed request, so formatting does not matter).
pub fn fingerprint(request: &impl Serialize) -> String {
    hex::encode(Sha256::digest(
        serde_json::to_vec(request).unwrap_or_default(),
    ))
}

/// What claiming a key gave.
enum Replay {
    /// This request owns the key; the id of its row.
    Fresh(i64),
    /// The key was used before: its stored response.
    Stored(u16, String),
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
    /// The operation of a request that needs an `Idempotency-Key`; `request` is what the key
    /// is bound to (the body and any path ids).
    pub fn required(
        req: &HttpRequest,
        user_id: i64,
        scope: &'a str,
        request: &impl Serialize,
    ) -> ApiResult<Option<Self>> {
        Ok(Some(Idempotent {
            user_id,
            scope,
            key: key_from(req)?,
            fingerprint: fingerprint(request),
        }))
    }

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

    /// Claims the key with one autocommitted `INSERT … ON CONFLICT DO NOTHING RETURNING`;
    /// only a key used before costs a second query.
    async fn claim(&self, state: &AppState) -> ApiResult<Replay> {
        let now = state.clock.now();
        // A key freed by a failed request between our insert and our read is claimed again.
        for _ in 0..3 {
            let inserted = idempotency_keys::Entity::insert(idempotency_keys::ActiveModel {
                user_id: Set(self.user_id),
                scope: Set(self.scope.to_owned()),
                key: Set(self.key.clone()),
                request_hash: Set(self.fingerprint.clone()),
                status: Set(KeyStatus::Running),
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
                return Ok(Replay::Fresh(row.id));
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
                    ErrorCode::IdempotencyKeyReused,
                    "同一 Idempotency-Key 不能用于不同的请求",
                ));
            }
            if row.status == KeyStatus::Done {
                let status = row.response_status.unwrap_or(200) as u16;
                return Ok(Replay::Stored(
                    status,
                    row.response_body.unwrap_or_default(),
                ));
            }
            if row.updated_at + STALE_AFTER < now
                && take_over(&state.db.single_write().await, row.id, row.updated_at, now).await?
            {
                return Ok(Replay::Fresh(row.id));
            }
            return Err(ApiError::conflict(
                ErrorCode::IdempotencyRequestInProgress,
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
        .filter(idempotency_keys::Column::Status.eq(KeyStatus::Running))
        .filter(idempotency_keys::Column::UpdatedAt.eq(seen))
        .exec(db)
        .await?;
    Ok(taken.rows_affected == 1)
}

/// Stores the response of a key's request.
async fn complete<C: ConnectionTrait>(
    db: &C,
    id: i64,
    status: StatusCode,
    body: &str,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    idempotency_keys::Entity::update_many()
        .col_expr(
            idempotency_keys::Column::Status,
            Expr::value(KeyStatus::Done),
        )
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
