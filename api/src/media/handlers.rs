//! Serving stored pictures: public, cached for a year (a name is its content's hash, so it
//! never changes), with a strong `ETag` and `nosniff`.

use actix_web::{
    http::header::{self, HeaderValue},
    web, HttpRequest, HttpResponse,
};

use super::{MediaName, PictureFile};
use crate::{
    error::{ApiError, ApiResult, ErrorBody, ErrorCode},
    state::AppState,
};

/// `Cache-Control` of a stored picture.
pub const CACHE_FOREVER: &str = "public, max-age=31536000, immutable";

fn media_not_found() -> ApiError {
    ApiError::missing(ErrorCode::NotFound, "图片不存在")
}

/// True when `If-None-Match` lists `etag` (or is `*`); weak validators compare equal too.
fn matches(req: &HttpRequest, etag: &str) -> bool {
    req.headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == "*" || tag == etag)
}

/// A stored picture (avatar, goods picture). Public: a mini-program's `<image>` sends no
/// `Authorization`. The name is the SHA-256 of the file, so the answer never changes.
#[utoipa::path(get, path = "/media/{name}", tag = "media", security(()),
    params(("name" = String, Path, description = "64 hex digits (SHA-256 of the file) and `.jpg` or `.png`",
        pattern = "^[0-9a-f]{64}\\.(jpg|png)$")),
    responses(
        (status = 200, description = "The picture; `Cache-Control: public, max-age=31536000, immutable`, a strong `ETag`, `X-Content-Type-Options: nosniff`",
            content(
                (PictureFile = "image/jpeg"),
                (PictureFile = "image/png")),
            headers(
                ("ETag" = String, description = "The SHA-256 of the file, quoted"),
                ("Cache-Control" = String, description = "`public, max-age=31536000, immutable`"))),
        (status = 304, description = "Not modified: `If-None-Match` names this picture's ETag"),
        (status = 404, description = "`not_found`: no such picture, or not a well-formed name", body = ErrorBody)))]
pub async fn serve_media(
    state: web::Data<AppState>,
    req: HttpRequest,
    name: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let name = MediaName::parse(&name).ok_or_else(media_not_found)?;
    let etag = format!("\"{}\"", name.hash());
    let common = |mut builder: actix_web::HttpResponseBuilder| {
        builder
            .insert_header((
                header::CACHE_CONTROL,
                HeaderValue::from_static(CACHE_FOREVER),
            ))
            .insert_header((header::ETAG, etag.clone()))
            .insert_header((
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ));
        builder
    };
    if matches(&req, &etag) && state.media.exists(&name).await {
        return Ok(common(HttpResponse::NotModified()).finish());
    }
    let bytes = state.media.read(&name).await?.ok_or_else(media_not_found)?;
    Ok(common(HttpResponse::Ok())
        .content_type(name.encoding().content_type())
        .body(bytes))
}
