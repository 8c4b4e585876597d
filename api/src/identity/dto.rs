//! Identity requests and responses.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::auth::Role;

fn avatar_address(url: &str) -> Result<(), validator::ValidationError> {
    crate::media::check_picture_url(url, "头像")
}

/// `POST /auth/wechat-login`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WechatLogin {
    /// The code from `wx.login` (mock mode: `mock:<name>`).
    #[validate(length(min = 1, max = 128, message = "登录凭证不能为空且不超过128个字符"))]
    pub code: String,
}

/// `POST /auth/password-login`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordLogin {
    /// Console login name.
    #[validate(
        length(min = 1, max = 64, message = "用户名不能为空且不超过64个字符"),
        custom(function = "crate::text::line")
    )]
    pub username: String,
    /// Password.
    #[validate(length(min = 1, max = 128, message = "密码不能为空且不超过128个字符"))]
    pub password: String,
}

/// `POST /auth/refresh` and `POST /auth/logout`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// The refresh token of the last login or refresh.
    #[validate(length(min = 1, max = 256, message = "刷新令牌不能为空"))]
    pub refresh_token: String,
}

/// `PATCH /me`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMe {
    /// New display name: one line with a visible character, no `<` or `>`.
    #[serde(default, deserialize_with = "crate::fields::trimmed_opt")]
    #[validate(
        length(min = 1, max = 32, message = "昵称须为1到32个字符"),
        custom(function = "crate::text::nickname")
    )]
    pub nickname: Option<String>,
    /// New avatar URL: `https://…`, or the `/media/…` URL of an uploaded picture
    /// (`POST /api/v1/me/avatar` uploads one and sets it).
    #[validate(
        custom(function = "avatar_address"),
        length(max = 512, message = "头像地址过长"),
        custom(function = "crate::text::line")
    )]
    pub avatar_url: Option<String>,
}

/// `POST /me/phone`.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BindPhone {
    /// The code from the phone-number button (mock mode: `mock:<11 digits>`).
    #[validate(length(min = 1, max = 128, message = "手机号凭证不能为空"))]
    pub code: String,
}

/// A role the user holds, with the name of its scope.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoleView {
    /// Role assignment id.
    pub id: i64,
    /// The role.
    pub role: Role,
    /// Street, community or grid id (0 for platform admins).
    pub scope_id: i64,
    /// Name of the scope.
    pub scope_name: Option<String>,
}

/// The caller's own profile: the phone unmasked.
#[derive(Debug, Serialize, ToSchema)]
pub struct MeView {
    /// User id.
    pub id: i64,
    /// Display name.
    pub nickname: String,
    /// Avatar URL.
    pub avatar_url: Option<String>,
    /// Phone number (only ever shown unmasked to its owner).
    pub phone: Option<String>,
    /// Roles held now.
    pub roles: Vec<RoleView>,
}

/// Tokens issued by a login or refresh.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// JWT for `Authorization: Bearer`.
    pub access_token: String,
    /// Opaque token for `POST /auth/refresh`; rotated on every use.
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// The user.
    pub user: MeView,
}
