//! Identity: WeChat and password logins, token rotation, the caller's profile.

pub mod dto;
pub mod handlers;
pub mod login;
pub mod refresh;
pub mod service;
pub mod sessions;

use actix_web::web;
use utoipa::OpenApi;

/// OpenAPI paths of this domain.
#[derive(OpenApi)]
#[openapi(
    paths(
        handlers::wechat_login,
        handlers::password_login,
        handlers::refresh,
        handlers::logout,
        handlers::logout_all,
        handlers::get_me,
        handlers::update_me,
        handlers::upload_avatar,
        handlers::bind_phone
    ),
    components(schemas(
        dto::WechatLogin,
        dto::PasswordLogin,
        dto::RefreshRequest,
        dto::UpdateMe,
        dto::BindPhone,
        dto::RoleView,
        dto::MeView,
        dto::TokenResponse
    ))
)]
pub struct Doc;

/// Registers this domain's routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/auth/wechat-login", web::post().to(handlers::wechat_login))
        .route(
            "/auth/password-login",
            web::post().to(handlers::password_login),
        )
        .route("/auth/refresh", web::post().to(handlers::refresh))
        .route("/auth/logout", web::post().to(handlers::logout))
        .route("/auth/logout-all", web::post().to(handlers::logout_all))
        .service(
            web::resource("/me")
                .route(web::get().to(handlers::get_me))
                .route(web::patch().to(handlers::update_me)),
        )
        .route("/me/avatar", web::post().to(handlers::upload_avatar))
        .route("/me/phone", web::post().to(handlers::bind_phone));
}
