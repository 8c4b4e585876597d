//! The caller's profile: view, nickname and avatar (a URL or an upload), phone binding.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use entity::{communities, grids, role_assignments, streets, users};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, Set,
};

use super::dto::{MeView, RoleView, UpdateMe};
use crate::{
    auth::{callers, Caller, Role},
    batch::by_ids,
    cache::Cache,
    db::Db,
    error::{ApiError, ApiResult},
    media::{self, MediaPurpose, MediaStore, Upload},
    wechat::Wechat,
};

/// The caller's profile with roles.
pub async fn me<C: ConnectionTrait>(db: &C, caller: &Caller) -> ApiResult<MeView> {
    me_view(db, caller.user.clone()).await
}

/// Updates nickname and avatar.
pub async fn update_me(
    db: &Db,
    cache: &Cache,
    caller: &Caller,
    now: DateTime<Utc>,
    input: UpdateMe,
) -> ApiResult<MeView> {
    let txn = db.begin_write().await?;
    let mut active = caller.user.clone().into_active_model();
    if let Some(nickname) = input.nickname {
        active.nickname = Set(nickname);
    }
    if let Some(url) = input.avatar_url {
        if !url.starts_with("https://") && !media::is_media_path(&url) {
            return Err(ApiError::field("avatar_url", "头像地址须以 https:// 开头"));
        }
        active.avatar_url = Set(Some(url));
    }
    active.updated_at = Set(now);
    let user = active.update(&*txn).await?;
    txn.commit().await?;
    callers::changed(cache, user.id).await;
    me_view(db.conn(), user).await
}

/// Stores an uploaded avatar (checked, cleaned, at most 512 px a side) and makes it the
/// caller's `avatar_url`; the upload is recorded in `media`.
pub async fn set_avatar(
    db: &Db,
    cache: &Cache,
    media: &MediaStore,
    caller: &Caller,
    now: DateTime<Utc>,
    upload: Upload,
) -> ApiResult<MeView> {
    let stored = media.store(upload, MediaPurpose::Avatar).await?;
    let txn = db.begin_write().await?;
    media::record(
        &*txn,
        now,
        &stored,
        MediaPurpose::Avatar,
        caller.id(),
        caller.id(),
    )
    .await?;
    let mut active = caller.user.clone().into_active_model();
    active.avatar_url = Set(Some(stored.url));
    active.updated_at = Set(now);
    let user = active.update(&*txn).await?;
    txn.commit().await?;
    callers::changed(cache, user.id).await;
    me_view(db.conn(), user).await
}

/// Binds the phone number from WeChat's phone button.
pub async fn bind_phone(
    db: &Db,
    wechat: &Wechat,
    cache: &Cache,
    caller: &Caller,
    now: DateTime<Utc>,
    code: &str,
) -> ApiResult<MeView> {
    let phone = wechat.phone_number(cache, code).await?;
    let txn = db.begin_write().await?;
    let mut active = caller.user.clone().into_active_model();
    active.phone = Set(Some(phone));
    active.updated_at = Set(now);
    let user = active.update(&*txn).await?;
    txn.commit().await?;
    callers::changed(cache, user.id).await;
    me_view(db.conn(), user).await
}

/// The profile of a user as its owner sees it.
pub async fn me_view<C: ConnectionTrait>(db: &C, user: users::Model) -> ApiResult<MeView> {
    let grants = role_assignments::Entity::find()
        .filter(role_assignments::Column::UserId.eq(user.id))
        .all(db)
        .await?;
    let names = scope_names(db, grants.iter().map(|g| (g.role, g.scope_id))).await?;
    let roles = grants
        .into_iter()
        .map(|grant| RoleView {
            id: grant.id,
            role: grant.role,
            scope_id: grant.scope_id,
            scope_name: names.get(&(grant.role, grant.scope_id)).cloned(),
        })
        .collect();
    Ok(MeView {
        id: user.id,
        nickname: user.nickname,
        avatar_url: user.avatar_url,
        phone: user.phone,
        roles,
    })
}

/// The names of role scopes (the platform, streets, communities, grids) by role and id: one
/// query per kind of scope, however many roles.
pub async fn scope_names<C: ConnectionTrait>(
    db: &C,
    scopes: impl IntoIterator<Item = (Role, i64)>,
) -> ApiResult<HashMap<(Role, i64), String>> {
    let scopes: Vec<(Role, i64)> = scopes.into_iter().collect();
    let ids = |wanted: Role| {
        scopes
            .iter()
            .filter(move |(role, _)| *role == wanted)
            .map(|(_, id)| *id)
    };
    let mut names = HashMap::new();
    if scopes.iter().any(|(role, _)| *role == Role::PlatformAdmin) {
        names.insert((Role::PlatformAdmin, 0), "平台".to_owned());
    }
    for (id, s) in by_ids::<streets::Entity, _>(db, ids(Role::StreetAdmin), |s| s.id).await? {
        names.insert((Role::StreetAdmin, id), s.name);
    }
    let communities = ids(Role::CommunityStaff);
    for (id, c) in by_ids::<communities::Entity, _>(db, communities, |c| c.id).await? {
        names.insert((Role::CommunityStaff, id), c.name);
    }
    for (id, g) in by_ids::<grids::Entity, _>(db, ids(Role::GridWorker), |g| g.id).await? {
        names.insert((Role::GridWorker, id), g.name);
    }
    Ok(names)
}
