//! The `users` table.

use sea_orm::entity::prelude::*;

/// A row of `users`. Its `Debug` leaves out the password hash and the WeChat session key.
#[derive(Clone, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// WeChat openid (unique); None for password-only staff accounts.
    pub openid: Option<String>,
    /// WeChat unionid when the app has one.
    pub unionid: Option<String>,
    /// WeChat session key; never leaves the server.
    pub session_key: Option<String>,
    /// Console login name (unique).
    pub username: Option<String>,
    /// Argon2 hash of the console password.
    pub password_hash: Option<String>,
    /// Display name.
    pub nickname: String,
    /// Avatar URL.
    pub avatar_url: Option<String>,
    /// Phone number, shown unmasked only to its owner.
    pub phone: Option<String>,
    /// Bumped to revoke every access token of the user.
    pub token_version: i32,
    /// Disabled users cannot log in or use tokens.
    pub disabled: bool,
    /// Created at.
    pub created_at: DateTimeUtc,
    /// Updated at.
    pub updated_at: DateTimeUtc,
}

/// No declared relations: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = |v: &Option<String>| v.as_ref().map(|_| "[redacted]");
        f.debug_struct("users::Model")
            .field("id", &self.id)
            .field("openid", &self.openid)
            .field("unionid", &self.unionid)
            .field("session_key", &redacted(&self.session_key))
            .field("username", &self.username)
            .field("password_hash", &redacted(&self.password_hash))
            .field("nickname", &self.nickname)
            .field("phone", &self.phone.as_ref().map(|_| "[redacted]"))
            .field("token_version", &self.token_version)
            .field("disabled", &self.disabled)
            .finish_non_exhaustive()
    }
}
