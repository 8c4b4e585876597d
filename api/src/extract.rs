//! Request extractors that answer bad input with `ApiError`: JSON bodies and query strings,
//! deserialized strictly and validated with `validator`.

use std::collections::BTreeMap;

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpRequest};
use futures_util::{future::LocalBoxFuture, StreamExt};
use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_path_to_error::Segment;
use utoipa::{
    openapi::{RefOr, Schema},
    ToSchema,
};
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

use crate::{
    error::{ApiError, ErrorCode, FieldErrors},
    state::AppState,
};

/// A JSON body, deserialized (unknown fields refused by the DTO) and validated.
pub struct ValidatedJson<T>(pub T);

/// A query string, deserialized and validated.
pub struct ValidatedQuery<T>(pub T);

impl<T: DeserializeOwned + Validate + ToSchema + 'static> FromRequest for ValidatedJson<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = Body::of(req, payload);
        Box::pin(async move {
            if !body.is_json {
                return Err(unsupported_media_type());
            }
            let value: T = parse_body(&body.read().await?)?;
            validate(&value)?;
            Ok(ValidatedJson(value))
        })
    }
}

/// The payload of an action whose fields are all optional (`/approve`, `/cancel`, …): no body
/// at all (whatever the content type) or JSON `null` stands for `T::default()`, else as
/// `ValidatedJson`. Document the body as `request_body = Option<T>`.
pub struct OptionalJson<T>(pub T);

impl<T: DeserializeOwned + Validate + ToSchema + Default + 'static> FromRequest
    for OptionalJson<T>
{
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = Body::of(req, payload);
        Box::pin(async move {
            let is_json = body.is_json;
            let bytes = body.read().await?;
            let value: T = if bytes.is_empty() {
                T::default()
            } else if is_json {
                match parse_json::<Option<T>>(&bytes) {
                    Ok(value) => value.unwrap_or_default(),
                    Err(first) => return Err(every_field_failure::<T>(&bytes).unwrap_or(first)),
                }
            } else {
                return Err(unsupported_media_type());
            };
            validate(&value)?;
            Ok(OptionalJson(value))
        })
    }
}

/// A request body still to be read, with what its headers say about it.
struct Body {
    payload: Payload,
    is_json: bool,
    declared: Option<usize>,
    limit: usize,
    deadline: std::time::Duration,
}

impl Body {
    fn of(req: &HttpRequest, payload: &mut Payload) -> Body {
        let limit = req
            .app_data::<web::Data<AppState>>()
            .map(|s| s.settings.json_limit)
            .unwrap_or(64 * 1024);
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"));
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        Body {
            payload: payload.take(),
            is_json,
            declared,
            limit,
            deadline: body_deadline(req),
        }
    }

    /// Reads the whole body, refusing more than the JSON limit or a body that trickles in.
    async fn read(mut self) -> Result<web::BytesMut, ApiError> {
        if self.declared.is_some_and(|n| n > self.limit) {
            return Err(too_large());
        }
        read_body(&mut self.payload, self.limit, self.deadline).await
    }
}

impl<T: DeserializeOwned + Validate + 'static> FromRequest for ValidatedQuery<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let parsed = parse_query(req.query_string())
            .and_then(|value| validate(&value).map(|_| ValidatedQuery(value)));
        std::future::ready(parsed)
    }
}

/// Deserializes a query string; when it does not fit, names every parameter that does not
/// (each refused one is set aside and the rest tried again). Of several missing required
/// parameters only the first is named (serde stops there).
fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let mut pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let mut errs = FieldErrors::new();
    for _ in 0..=pairs.len() {
        let encoded = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&pairs)
            .finish();
        let parsed = url::form_urlencoded::parse(encoded.as_bytes());
        let err = match serde_path_to_error::deserialize::<_, T>(
            serde_urlencoded::Deserializer::new(parsed),
        ) {
            Ok(value) if errs.is_empty() => return Ok(value),
            Ok(_) => break,
            Err(err) => err,
        };
        let path = err.path().to_string();
        let message = err.into_inner().to_string();
        let refused = serde_failure(&message, Some(&path));
        errs.take::<()>(Err(refused))?;
        let name = if message.starts_with("unknown field") {
            message.split('`').nth(1).unwrap_or_default().to_owned()
        } else {
            path
        };
        let before = pairs.len();
        pairs.retain(|(key, _)| *key != name);
        if message.starts_with("missing field") || pairs.len() == before {
            break;
        }
    }
    errs.finish()?;
    Err(ApiError::field("query", "查询参数有误"))
}

/// Deserializes a JSON body; when it does not fit `T`, names every top-level field that does
/// not (`every_field_failure`).
fn parse_body<T: DeserializeOwned + ToSchema>(body: &[u8]) -> Result<T, ApiError> {
    parse_json(body).map_err(|first| {
        if first.code() != ErrorCode::ValidationFailed {
            return first;
        }
        every_field_failure::<T>(body).unwrap_or(first)
    })
}

/// Every top-level field of a JSON object that `T` refuses: unknown and missing required
/// fields (from `T`'s schema), then, one by one, fields whose value does not fit (each refused
/// field is set aside and the rest tried again). Inside one field only its first fault is
/// named. `None` when the body is not an object or `T`'s schema is not a plain object.
fn every_field_failure<T: DeserializeOwned + ToSchema>(body: &[u8]) -> Option<ApiError> {
    let Ok(Value::Object(mut object)) = serde_json::from_slice::<Value>(body) else {
        return None;
    };
    let RefOr::T(Schema::Object(schema)) = T::schema() else {
        return None;
    };
    let mut errs = FieldErrors::new();
    object.retain(|key, _| {
        let known = schema.properties.contains_key(key);
        errs.check(known, key, "不支持的字段");
        known
    });
    for name in &schema.required {
        errs.check(object.contains_key(name), name, "缺少必填字段");
    }
    for _ in 0..=object.len() {
        let err = match serde_path_to_error::deserialize::<_, T>(Value::Object(object.clone())) {
            Ok(_) => break,
            Err(err) => err,
        };
        let top = match err.path().iter().next() {
            Some(Segment::Map { key }) => key.clone(),
            _ => break,
        };
        let path = err.path().to_string();
        let message = err.into_inner().to_string();
        if message.starts_with("missing field") || object.remove(&top).is_none() {
            break;
        }
        errs.take::<()>(Err(serde_failure(&message, Some(&path))))
            .ok()?;
    }
    errs.finish().err()
}

/// How long reading a whole body may take (`LINLI_BODY_READ_TIMEOUT_SECS`).
pub fn body_deadline(req: &HttpRequest) -> std::time::Duration {
    req.app_data::<web::Data<AppState>>()
        .map(|s| s.settings.body_read_timeout)
        .unwrap_or(std::time::Duration::from_secs(15))
}

/// Reads a body of at most `limit` bytes within `deadline`: a body that trickles in answers
/// 408 instead of holding a worker's connection for minutes.
pub async fn read_body(
    payload: &mut Payload,
    limit: usize,
    deadline: std::time::Duration,
) -> Result<web::BytesMut, ApiError> {
    let read = async {
        let mut body = web::BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk
                .map_err(|_| ApiError::bad_request(ErrorCode::InvalidBody, "请求内容不完整"))?;
            if body.len() + chunk.len() > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    };
    tokio::time::timeout(deadline, read)
        .await
        .map_err(|_| request_timeout())?
}

/// 408 `request_timeout`: the body did not arrive in time.
pub fn request_timeout() -> ApiError {
    ApiError::new(
        actix_web::http::StatusCode::REQUEST_TIMEOUT,
        ErrorCode::RequestTimeout,
        "网络较慢，请求内容未能及时送达，请重试",
    )
}

fn unsupported_media_type() -> ApiError {
    ApiError::new(
        actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ErrorCode::UnsupportedMediaType,
        "请求内容须为 JSON（Content-Type: application/json）",
    )
}

fn too_large() -> ApiError {
    ApiError::new(
        actix_web::http::StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::PayloadTooLarge,
        "提交的内容过大",
    )
}

/// Deserializes JSON, telling syntax errors (400) from shape errors (422 with the field).
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return ApiError::bad_request(ErrorCode::InvalidJson, "请求内容不是有效的 JSON");
        }
        serde_failure(&inner.to_string(), Some(&path))
    })?;
    de.end()
        .map_err(|_| ApiError::bad_request(ErrorCode::InvalidJson, "请求内容不是有效的 JSON"))?;
    Ok(value)
}

/// Turns a serde message into a field error; the field is named in backticks for
/// missing and unknown fields, otherwise it is the path.
fn serde_failure(message: &str, path: Option<&str>) -> ApiError {
    let named = message.split('`').nth(1).map(str::to_owned);
    let (field, text) = if message.starts_with("missing field") {
        (named, "缺少必填字段")
    } else if message.starts_with("unknown field") {
        (named, "不支持的字段")
    } else {
        (
            path.filter(|p| *p != ".").map(str::to_owned),
            "字段类型或格式不正确",
        )
    };
    let field = match (field, path) {
        (Some(f), Some(p)) if p != "." && !p.ends_with(&f) => format!("{p}.{f}"),
        (Some(f), _) => f,
        (None, _) => "body".to_owned(),
    };
    ApiError::field(&field, text)
}

/// Runs `validator` and maps its errors to per-field messages.
pub fn validate<T: Validate>(value: &T) -> Result<(), ApiError> {
    value.validate().map_err(|errors| {
        let mut fields = BTreeMap::new();
        collect(&errors, "", &mut fields);
        ApiError::validation(fields)
    })
}

fn collect(errors: &ValidationErrors, prefix: &str, out: &mut BTreeMap<String, String>) {
    for (field, kind) in errors.errors() {
        let name = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(list) => {
                if let Some(e) = list.first() {
                    let text = e
                        .message
                        .as_ref()
                        .map(|m| m.to_string())
                        .unwrap_or_else(|| match e.code.as_ref() {
                            "length" => "长度不符合要求".to_owned(),
                            "range" => "超出允许范围".to_owned(),
                            "url" => "不是有效的网址".to_owned(),
                            _ => "格式不正确".to_owned(),
                        });
                    out.insert(name, text);
                }
            }
            ValidationErrorsKind::Struct(inner) => collect(inner, &name, out),
            ValidationErrorsKind::List(items) => {
                for (i, inner) in items {
                    collect(inner, &format!("{name}[{i}]"), out);
                }
            }
        }
    }
}
