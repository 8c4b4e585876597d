//! Pictures from the phone: the upload path shared by every use (avatars, goods pictures, and
//! later the photos of requests). An upload is a multipart `file` field (`upload`), checked,
//! cleaned and re-encoded (`picture`), stored by content hash under `LINLI_DATA_DIR/media`
//! (`store`), recorded in the `media` table (`record`) and served publicly at `/media/{name}`
//! with a year of immutable caching (`handlers`): a mini-program's `<image>` sends no
//! `Authorization`, so a public picture is a plain URL. Private pictures will need signed URLs
//! on another route; nothing here makes a picture public that a caller did not upload for a
//! public use.

pub mod handlers;
pub mod picture;
pub mod store;
pub mod upload;

use chrono::{DateTime, Utc};
use entity::media;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use utoipa::{OpenApi, ToSchema};
use validator::ValidationError;

pub use store::{is_media_path, MediaName, MediaPurpose, MediaStore, Stored, Upload};
pub use upload::ImageUpload;

use crate::error::ApiResult;

/// The multipart form of an upload (`wx.uploadFile({url, filePath, name: 'file'})`).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ImageForm {
    /// The picture: JPEG, PNG or WebP, at most `LINLI_UPLOAD_MAX_BYTES` (8 MiB by default),
    /// 40 megapixels and 8192 pixels a side. Its file name and part `Content-Type` are ignored.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// The bytes of a served picture.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)]
pub struct PictureFile(Vec<u8>);

/// OpenAPI paths of the media routes.
#[derive(OpenApi)]
#[openapi(
    paths(handlers::serve_media),
    components(schemas(ImageForm, PictureFile))
)]
pub struct Doc;

/// Checks a picture URL given in JSON: an `https://` URL, or the `/media/…` path of one of our
/// pictures (what uploads hand out without `LINLI_PUBLIC_BASE_URL`). `what` names the picture
/// in the messages (头像, 图片).
pub fn check_picture_url(url: &str, what: &str) -> Result<(), ValidationError> {
    if is_media_path(url) {
        return Ok(());
    }
    let refuse = |message: String| Err(ValidationError::new("url").with_message(message.into()));
    if !url.starts_with("https://") {
        return refuse(format!("{what}地址须以 https:// 开头"));
    }
    if url::Url::parse(url).is_err() {
        return refuse(format!("{what}地址不是有效的网址"));
    }
    Ok(())
}

/// Records a stored upload: who uploaded it, for what, attached to which object. Call it
/// inside the transaction that attaches the picture, so both commit or neither does (a
/// file without a row is left for a sweep to remove).
pub async fn record<C: ConnectionTrait>(
    txn: &C,
    now: DateTime<Utc>,
    stored: &Stored,
    purpose: MediaPurpose,
    uploader_id: i64,
    subject_id: i64,
) -> ApiResult<media::Model> {
    let row = media::ActiveModel {
        name: Set(stored.name.to_string()),
        content_type: Set(stored.name.encoding().content_type().to_owned()),
        bytes: Set(stored.bytes as i64),
        width: Set(stored.width as i32),
        height: Set(stored.height as i32),
        purpose: Set(purpose),
        uploader_id: Set(uploader_id),
        subject_id: Set(subject_id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(row)
}
