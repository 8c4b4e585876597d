//! Identity handlers: thin HTTP over `service`.

use actix_web::{web, HttpResponse};

use super::{dto::*, login, refresh as rotation, service, sessions};
use crate::{
    auth::AuthUser,
    error::{ApiResult, ErrorBody},
    extract::ValidatedJson,
    media::{ImageForm, ImageUpload},
    state::AppState,
};

/// Log in with a WeChat `wx.login` code.
#[utoipa::path(post, path = "/api/v1/auth/wechat-login", tag = "auth", security(()), request_body = WechatLogin,
    responses(
        (status = 200, description = "Logged in", body = TokenResponse),
        (status = 400, description = "`wechat_code_invalid` (WeChat 40029) or malformed JSON", body = ErrorBody),
        (status = 403, description = "`wechat_user_blocked` (WeChat 40226)", body = ErrorBody),
        (status = 422, description = "`validation_failed`", body = ErrorBody),
        (status = 429, description = "`rate_limited` or `wechat_rate_limited` (45011), with Retry-After", body = ErrorBody),
        (status = 502, description = "`wechat_error`: WeChat answered something unexpected", body = ErrorBody),
        (status = 503, description = "`wechat_unavailable`: WeChat busy (-1) or timed out", body = ErrorBody)))]
pub async fn wechat_login(
    state: web::Data<AppState>,
    body: ValidatedJson<WechatLogin>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(
        login::wechat_login(
            &state.db,
            &state.wechat,
            &state.tokens,
            state.clock.now(),
            &body.0.code,
        )
        .await?,
    ))
}

/// Log in to the staff console with a username and password.
#[utoipa::path(post, path = "/api/v1/auth/password-login", tag = "auth", security(()), request_body = PasswordLogin,
    responses(
        (status = 200, description = "Logged in", body = TokenResponse),
        (status = 401, description = "`invalid_credentials`", body = ErrorBody),
        (status = 403, description = "`account_disabled`", body = ErrorBody),
        (status = 422, description = "`validation_failed`", body = ErrorBody),
        (status = 429, description = "`rate_limited` (too many attempts from this address or for this username), with Retry-After", body = ErrorBody)))]
pub async fn password_login(
    state: web::Data<AppState>,
    body: ValidatedJson<PasswordLogin>,
) -> ApiResult<HttpResponse> {
    let body = body.0;
    crate::middleware::limit_password_username(&state, &body.username).await?;
    Ok(HttpResponse::Ok().json(
        login::password_login(
            &state.db,
            &state.tokens,
            state.clock.now(),
            &body.username,
            &body.password,
        )
        .await?,
    ))
}

/// Exchange a refresh token for new tokens.
///
/// The refresh token is rotated: the answer carries its successor, and the presented token
/// stops working. For flaky networks (a lost answer, several pages refreshing at once), the
/// same token presented again within `LINLI_REFRESH_REUSE_GRACE_SECS` (default 10 s) of its
/// rotation answers 200 with the same successor refresh token and a fresh access token of the
/// same session, as long as that successor has not been used itself. Presented again after the
/// grace, or after its successor was used, it is reuse: the whole session ends
/// (`refresh_token_reused`), with every refresh and access token of it.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", security(()), request_body = RefreshRequest,
    responses(
        (status = 200, description = "New tokens; within the grace after a rotation, the same successor refresh token again", body = TokenResponse),
        (status = 401, description = "`invalid_refresh_token`, or `refresh_token_reused` (a rotated token presented after the grace or after its successor was used: the whole session is revoked)", body = ErrorBody),
        (status = 422, description = "`validation_failed`", body = ErrorBody),
        (status = 429, description = "`rate_limited`, with Retry-After", body = ErrorBody)))]
pub async fn refresh(
    state: web::Data<AppState>,
    body: ValidatedJson<RefreshRequest>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(
        rotation::refresh(
            &state.db,
            &state.cache,
            &state.tokens,
            state.clock.now(),
            &body.0.refresh_token,
        )
        .await?,
    ))
}

/// End the session of a refresh token.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(()), request_body = RefreshRequest,
    responses(
        (status = 204, description = "Session ended (also for unknown tokens)"),
        (status = 422, description = "`validation_failed`", body = ErrorBody)))]
pub async fn logout(
    state: web::Data<AppState>,
    body: ValidatedJson<RefreshRequest>,
) -> ApiResult<HttpResponse> {
    sessions::logout(
        &state.db,
        &state.cache,
        state.clock.now(),
        &body.0.refresh_token,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// End every session of the caller (all devices): their refresh and access tokens stop working at once.
#[utoipa::path(post, path = "/api/v1/auth/logout-all", tag = "auth",
    responses(
        (status = 204, description = "Every session ended"),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 429, description = "`rate_limited`, with Retry-After", body = ErrorBody)))]
pub async fn logout_all(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
) -> ApiResult<HttpResponse> {
    sessions::logout_all(&state.db, &state.cache, &caller, state.clock.now()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller's profile and roles.
#[utoipa::path(get, path = "/api/v1/me", tag = "me",
    responses(
        (status = 200, description = "Profile; the phone is unmasked for its owner", body = MeView),
        (status = 401, description = "`unauthorized`: missing, expired or invalid token", body = ErrorBody)))]
pub async fn get_me(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(service::me(state.db.conn(), &caller).await?))
}

/// Change the caller's nickname or avatar.
#[utoipa::path(patch, path = "/api/v1/me", tag = "me", request_body = UpdateMe,
    responses(
        (status = 200, description = "Updated profile", body = MeView),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 422, description = "`validation_failed`", body = ErrorBody)))]
pub async fn update_me(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    body: ValidatedJson<UpdateMe>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(
        service::update_me(&state.db, &state.cache, &caller, state.clock.now(), body.0).await?,
    ))
}

/// Upload the caller's avatar (`wx.chooseAvatar` gives a local file): `multipart/form-data`
/// with the picture in the field `file`, as `wx.uploadFile({url, filePath, name: 'file',
/// header: {Authorization}})` sends it. JPEG, PNG or WebP (the type is read from the bytes);
/// it is turned upright, scaled to at most 512 px a side and stored without its metadata (no
/// EXIF or GPS). `avatar_url` becomes its public URL (`/media/…` under `LINLI_PUBLIC_BASE_URL`).
#[utoipa::path(post, path = "/api/v1/me/avatar", tag = "me",
    request_body(content = ImageForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "Profile with the new avatar URL", body = MeView),
        (status = 400, description = "`invalid_body`: not well-formed multipart, or the body broke off", body = ErrorBody),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: the file is over `LINLI_UPLOAD_MAX_BYTES` (8 MiB by default)", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`: the body is not `multipart/form-data`", body = ErrorBody),
        (status = 422, description = "`unsupported_image`: not a JPEG, PNG or WebP picture, or unreadable; `image_too_large`: over 40 megapixels or 8192 px a side; `validation_failed`: no `file` field, a second file or another field", body = ErrorBody)))]
pub async fn upload_avatar(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    ImageUpload(upload): ImageUpload,
) -> ApiResult<HttpResponse> {
    let now = state.clock.now();
    Ok(HttpResponse::Ok().json(
        service::set_avatar(&state.db, &state.cache, &state.media, &caller, now, upload).await?,
    ))
}

/// Bind the phone number from WeChat's phone-number button.
#[utoipa::path(post, path = "/api/v1/me/phone", tag = "me", request_body = BindPhone,
    responses(
        (status = 200, description = "Profile with the phone", body = MeView),
        (status = 400, description = "`wechat_code_invalid`", body = ErrorBody),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 422, description = "`validation_failed`", body = ErrorBody),
        (status = 502, description = "`wechat_error`", body = ErrorBody),
        (status = 503, description = "`wechat_unavailable`", body = ErrorBody)))]
pub async fn bind_phone(
    state: web::Data<AppState>,
    AuthUser(caller): AuthUser,
    body: ValidatedJson<BindPhone>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(
        service::bind_phone(
            &state.db,
            &state.wechat,
            &state.cache,
            &caller,
            state.clock.now(),
            &body.0.code,
        )
        .await?,
    ))
}
