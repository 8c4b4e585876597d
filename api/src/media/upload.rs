//! `ImageUpload`: a `multipart/form-data` body with one file field named `file` (what
//! `wx.uploadFile({name: 'file', …})` sends), read as it streams in and refused as soon as it
//! passes `LINLI_UPLOAD_MAX_BYTES`. Only the bytes are kept: the file name and the part's
//! `Content-Type` say nothing trustworthy, the picture's type is sniffed later.

use actix_multipart::{Multipart, MultipartError};
use actix_web::{dev::Payload, http::header, web, FromRequest, HttpRequest};
use futures_util::{future::LocalBoxFuture, StreamExt};

use super::store::Upload;
use crate::{
    error::{ApiError, ErrorCode},
    extract,
    state::AppState,
};

/// The multipart field that carries the picture.
pub const FILE_FIELD: &str = "file";

/// Room for the multipart framing (boundaries, part headers) around the file.
const FRAMING: usize = 16 * 1024;

/// An uploaded file, at most `LINLI_UPLOAD_MAX_BYTES`.
pub struct ImageUpload(pub Upload);

/// 413 `payload_too_large` naming the limit in MiB.
pub fn upload_too_large(limit: usize) -> ApiError {
    let mib = limit as f64 / (1024.0 * 1024.0);
    ApiError::new(
        actix_web::http::StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::PayloadTooLarge,
        format!("图片文件过大，不能超过 {} MB", format_mib(mib)),
    )
}

fn format_mib(mib: f64) -> String {
    let text = format!("{mib:.1}");
    text.strip_suffix(".0").map(str::to_owned).unwrap_or(text)
}

fn not_multipart() -> ApiError {
    ApiError::new(
        actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ErrorCode::UnsupportedMediaType,
        "请以 multipart/form-data 上传图片，文件字段名为 file",
    )
}

fn malformed(err: MultipartError) -> ApiError {
    match err {
        MultipartError::ContentTypeMissing
        | MultipartError::ContentTypeParse
        | MultipartError::ContentTypeIncompatible => not_multipart(),
        _ => ApiError::bad_request(ErrorCode::InvalidBody, "上传内容不完整或格式不正确"),
    }
}

impl FromRequest for ImageUpload {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let (limit, deadline) = req
            .app_data::<web::Data<AppState>>()
            .map(|s| (s.media.max_bytes, s.media.read_timeout))
            .unwrap_or((
                crate::config::DEFAULT_UPLOAD_MAX_BYTES,
                extract::body_deadline(req),
            ));
        let is_form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("multipart/form-data"));
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let multipart = Multipart::new(req.headers(), payload.take());
        Box::pin(async move {
            if !is_form {
                return Err(not_multipart());
            }
            if declared.is_some_and(|n| n > limit + FRAMING) {
                return Err(upload_too_large(limit));
            }
            let bytes = tokio::time::timeout(deadline, read_file(multipart, limit))
                .await
                .map_err(|_| extract::request_timeout())??;
            Ok(ImageUpload(Upload { bytes }))
        })
    }
}

/// Reads the one `file` field; any other field, a second file or no file is a 422.
async fn read_file(mut multipart: Multipart, limit: usize) -> Result<Vec<u8>, ApiError> {
    let mut file: Option<Vec<u8>> = None;
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(malformed)?;
        match field.name() {
            Some(FILE_FIELD) if file.is_none() => {}
            Some(FILE_FIELD) => return Err(ApiError::field(FILE_FIELD, "只能上传一个文件")),
            Some(other) => return Err(ApiError::field(other, "不支持的字段")),
            None => return Err(malformed(MultipartError::ContentDispositionNameMissing)),
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(malformed)?;
            if bytes.len() + chunk.len() > limit {
                return Err(upload_too_large(limit));
            }
            bytes.extend_from_slice(&chunk);
        }
        file = Some(bytes);
    }
    file.ok_or_else(|| ApiError::field(FILE_FIELD, "请选择要上传的图片"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_reads_in_whole_or_tenths_of_a_mebibyte() {
        assert_eq!(format_mib(8.0), "8");
        assert_eq!(format_mib(0.5), "0.5");
    }
}
