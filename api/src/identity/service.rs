//! The caller's profile: view, nickname and avatar, phone binding.

use entity::{communities, grids, role_assignments, streets, users};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, Set,
};

use super::dto::{MeView, RoleView, UpdateMe};
use crate::{
    auth::{Caller, Role},
    error::{ApiError, ApiResult},
    state::AppState,
};

/// The caller's profile with roles.
pub async fn me(state: &AppState, caller: &Caller) -> ApiResult<MeView> {
    me_view(state.db.conn(), caller.user.clone()).await
}

/// Updates nickname and avatar.
pub async fn update_me(state: &AppState, caller: &Caller, input: UpdateMe) -> ApiResult<MeView> {
    let txn = state.db.begin_write().await?;
    let mut active = caller.user.clone().into_active_model();
    if let Some(nickname) = input.nickname {
        let nickname = nickname.trim().to_owned();
        if nickname.is_empty() {
            return Err(ApiError::field("nickname", "昵称不能为空"));
        }
        active.nickname = Set(nickname);
    }
    if let Some(url) = input.avatar_url {
        if !url.starts_with("https://") {
            return Err(ApiError::field("avatar_url", "头像地址须以 https:// 开头"));
        }
        active.avatar_url = Set(Some(url));
    }
    active.updated_at = Set(state.clock.now());
    let user = active.update(&*txn).await?;
    txn.commit().await?;
    me_view(state.db.conn(), user).await
}

/// Binds the phone number from WeChat's phone button.
pub async fn bind_phone(state: &AppState, caller: &Caller, code: &str) -> ApiResult<MeView> {
    let phone = state.wechat.phone_number(&state.cache, code).await?;
    let txn = state.db.begin_write().await?;
    let mut active = caller.user.clone().into_active_model();
    active.phone = Set(Some(phone));
    active.updated_at = Set(state.clock.now());
    let user = active.update(&*txn).await?;
    txn.commit().await?;
    me_view(state.db.conn(), user).await
}

/// The profile of a user as its owner sees it.
pub async fn me_view<C: ConnectionTrait>(db: &C, user: users::Model) -> ApiResult<MeView> {
    let grants = role_assignments::Entity::find()
        .filter(role_assignments::Column::UserId.eq(user.id))
        .all(db)
        .await?;
    let mut roles = Vec::with_capacity(grants.len());
    for grant in grants {
        let Some(role) = Role::parse(&grant.role) else {
            continue;
        };
        let scope_name = scope_name(db, role, grant.scope_id).await?;
        roles.push(RoleView {
            id: grant.id,
            role,
            scope_id: grant.scope_id,
            scope_name,
        });
    }
    Ok(MeView {
        id: user.id,
        nickname: user.nickname,
        avatar_url: user.avatar_url,
        phone: user.phone,
        roles,
    })
}

/// The name of a role's scope.
pub async fn scope_name<C: ConnectionTrait>(
    db: &C,
    role: Role,
    scope_id: i64,
) -> ApiResult<Option<String>> {
    Ok(match role {
        Role::PlatformAdmin => Some("平台".to_owned()),
        Role::StreetAdmin => streets::Entity::find_by_id(scope_id)
            .one(db)
            .await?
            .map(|s| s.name),
        Role::CommunityStaff => communities::Entity::find_by_id(scope_id)
            .one(db)
            .await?
            .map(|c| c.name),
        Role::GridWorker => grids::Entity::find_by_id(scope_id)
            .one(db)
            .await?
            .map(|g| g.name),
    })
}
