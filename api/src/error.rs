//! `ApiError`: the only place where errors become HTTP responses.

use std::{borrow::Cow, collections::BTreeMap, fmt};

pub use crate::error_code::ErrorCode;
pub use db::{is_foreign_key_violation, is_unique_violation};

mod db;

use actix_web::{
    http::{header, StatusCode},
    HttpResponse, ResponseError,
};
use serde::Serialize;
use utoipa::ToSchema;

/// Result of a handler or service.
pub type ApiResult<T> = Result<T, ApiError>;

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable snake_case code for programs to switch on, e.g. `validation_failed`.
    pub code: ErrorCode,
    /// Chinese message fit to show to the user.
    pub message: String,
    /// Per-field messages on validation failures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<BTreeMap<String, String>>,
    /// Facts that go with some codes, e.g. `{"balance": 12}` on `insufficient_points`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<std::collections::HashMap<String, serde_json::Value>>)]
    pub details: Option<serde_json::Map<String, serde_json::Value>>,
}

/// An error that answers with a status and an `ErrorBody`.
pub struct ApiError {
    status: StatusCode,
    code: ErrorCode,
    message: Cow<'static, str>,
    fields: Option<BTreeMap<String, String>>,
    // Boxed: rarely set, and it keeps `ApiError` small enough to return by value.
    details: Option<Box<serde_json::Map<String, serde_json::Value>>>,
    retry_after: Option<u64>,
    source: Option<anyhow::Error>,
}

impl ApiError {
    /// An error with the given status, code and message.
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<Cow<'static, str>>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            fields: None,
            details: None,
            retry_after: None,
            source: None,
        }
    }

    /// 400 with a code and message.
    pub fn bad_request(code: ErrorCode, message: &'static str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 401: missing or invalid credentials, or an ended session: log in again.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthorized,
            "登录已失效，请重新登录",
        )
    }

    /// 401: a genuine access token past its expiry: refresh it, no need to log in.
    pub fn token_expired() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::TokenExpired,
            "登录已过期，请刷新登录状态",
        )
    }

    /// 401 for bad username or password.
    pub fn invalid_credentials() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::InvalidCredentials,
            "用户名或密码错误",
        )
    }

    /// 403: known caller without the needed role.
    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            "没有权限进行此操作",
        )
    }

    /// 403: nobody reviews, approves or adjusts for themselves.
    pub fn self_review_forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            ErrorCode::SelfReviewForbidden,
            "不能审核或调整本人的事项，请由其他工作人员处理",
        )
    }

    /// 404 for a resource that does not exist or is outside the caller's scope.
    pub fn not_found(what: &'static str) -> Self {
        let name = match what {
            "user" => "用户",
            "district" => "区县",
            "street" => "街道",
            "community" => "社区",
            "grid" => "网格",
            "residence" => "住户登记",
            "role_assignment" => "角色分配",
            "route" => "接口",
            "station" => "驿站",
            _ => "资源",
        };
        Self::new(
            StatusCode::NOT_FOUND,
            ErrorCode::NotFound,
            format!("{name}不存在或无权访问"),
        )
    }

    /// A not-found (404) of a scope becomes the not-found of the object asked for (`what`,
    /// as in `not_found`), so a hidden scope hides its objects; other errors pass.
    pub fn hidden_as(self, what: &'static str) -> Self {
        if self.status == StatusCode::NOT_FOUND {
            Self::not_found(what)
        } else {
            self
        }
    }

    /// 404 with a code and a message of its own (`not_found` names the thing in general).
    pub fn missing(code: ErrorCode, message: &'static str) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    /// 401 with a code and message (bad tokens with a reason of their own).
    pub fn unauthenticated(code: ErrorCode, message: &'static str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, message)
    }

    /// 403 with a code and message.
    pub fn refused(code: ErrorCode, message: &'static str) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }

    /// 409 with a code and message.
    pub fn conflict(code: ErrorCode, message: &'static str) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    /// 422 with per-field messages.
    pub fn validation(fields: BTreeMap<String, String>) -> Self {
        let mut e = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::ValidationFailed,
            "提交的内容有误，请检查后重试",
        );
        e.fields = Some(fields);
        e
    }

    /// 422 for one field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::validation(BTreeMap::from([(field.to_owned(), message.into())]))
    }

    /// 429 with `Retry-After` in seconds.
    pub fn too_many_requests(retry_after: u64) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::RateLimited,
            "操作太频繁，请稍后再试",
        );
        e.retry_after = Some(retry_after.max(1));
        e
    }

    /// 503: a dependency is down for now.
    pub fn unavailable(code: ErrorCode, message: &'static str) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, code, message)
    }

    /// 500: logs the cause once when answered; says only that something failed.
    pub fn internal(source: impl Into<anyhow::Error>) -> Self {
        let mut e = Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::InternalError,
            "服务器内部错误，请稍后再试",
        );
        e.source = Some(source.into());
        e
    }

    /// Adds a fact to the body's `details`, e.g. `("balance", 12)`.
    pub fn with_detail(mut self, key: &str, value: impl Into<serde_json::Value>) -> Self {
        self.details
            .get_or_insert_with(Default::default)
            .insert(key.to_owned(), value.into());
        self
    }

    /// Sets `Retry-After` on any error.
    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The body this error answers with.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            code: self.code,
            message: self.message.to_string(),
            fields: self.fields.clone(),
            details: self.details.as_deref().cloned(),
        }
    }

    /// The JSON body this error answers with.
    pub fn body_json(&self) -> String {
        serde_json::to_string(&self.body()).unwrap_or_default()
    }
}

/// The per-field messages of one validation stage, collected so that a 422 names every
/// invalid field at once: `errs.check(ok, "field", "message")` for each rule, then
/// `errs.finish()?` before acting. The first message of a field is kept.
#[derive(Debug, Default)]
pub struct FieldErrors(BTreeMap<String, String>);

impl FieldErrors {
    /// No errors yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records `message` for `field` unless `ok`.
    pub fn check(&mut self, ok: bool, field: &str, message: impl Into<String>) -> &mut Self {
        if !ok {
            self.add(field, message);
        }
        self
    }

    /// Records `message` for `field`.
    pub fn add(&mut self, field: &str, message: impl Into<String>) -> &mut Self {
        self.0
            .entry(field.to_owned())
            .or_insert_with(|| message.into());
        self
    }

    /// The value of `result`; a 422 it holds is recorded (and `None` answered), any other
    /// error is returned as it is.
    pub fn take<T>(&mut self, result: ApiResult<T>) -> ApiResult<Option<T>> {
        match result {
            Ok(value) => Ok(Some(value)),
            Err(e) if e.code == ErrorCode::ValidationFailed && e.fields.is_some() => {
                for (field, message) in e.fields.into_iter().flatten() {
                    self.add(&field, message);
                }
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok` when nothing was recorded, else one 422 naming every field.
    pub fn finish(self) -> ApiResult<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(self.0))
        }
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.code)?;
        if let Some(source) = &self.source {
            write!(f, ": {source:#}")?;
        }
        Ok(())
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        if self.status.is_server_error() {
            match &self.source {
                Some(source) => {
                    tracing::error!(code = %self.code, error = %format!("{source:#}"), "request failed")
                }
                None => tracing::warn!(code = %self.code, "request failed"),
            }
        }
        let mut builder = HttpResponse::build(self.status);
        if self.status == StatusCode::UNAUTHORIZED {
            builder.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        if let Some(seconds) = self.retry_after {
            builder.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        builder.json(self.body())
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(err: anyhow::Error) -> Self {
        Self::internal(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_errors_name_every_field_once_and_let_other_errors_through() {
        let mut errs = FieldErrors::new();
        errs.check(true, "kept", "不会出现")
            .check(false, "to", "结束日期不能早于开始日期")
            .check(false, "to", "第二条不覆盖第一条");
        assert_eq!(
            errs.take::<()>(Err(ApiError::field("cursor", "分页游标无效")))
                .unwrap(),
            None
        );
        assert_eq!(errs.take(Ok(3)).unwrap(), Some(3));
        let other = errs.take::<()>(Err(ApiError::forbidden())).unwrap_err();
        assert_eq!(other.code(), ErrorCode::Forbidden);
        let refused = errs.finish().unwrap_err();
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let fields = refused.body().fields.unwrap();
        assert_eq!(fields.keys().collect::<Vec<_>>(), ["cursor", "to"]);
        assert_eq!(fields["to"], "结束日期不能早于开始日期");
        assert!(FieldErrors::new().finish().is_ok());
    }
}
