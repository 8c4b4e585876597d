//! Who may assign which role where, and the assignments themselves.

use chrono::{DateTime, Utc};
use entity::{communities, grids, role_assignments, streets, users};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::dto::{AssignmentView, CreateAssignment, ListAssignments};
use crate::{
    audit::{self, Audit},
    auth::{callers, Caller, Role},
    batch::by_ids,
    cache::Cache,
    db::Db,
    error::{is_unique_violation, ApiError, ApiResult, ErrorCode},
    identity::service::scope_names,
    pagination::{Page, PageQuery},
};

/// The scopes a caller manages: streets, communities and grids whose roles they may grant.
struct Managed {
    all: bool,
    streets: Vec<i64>,
    communities: Vec<i64>,
    grids: Vec<i64>,
}

async fn managed<C: ConnectionTrait>(db: &C, caller: &Caller) -> ApiResult<Managed> {
    if caller.is_platform_admin() {
        return Ok(Managed {
            all: true,
            streets: vec![],
            communities: vec![],
            grids: vec![],
        });
    }
    let streets = caller.scopes(Role::StreetAdmin);
    let mut communities = caller.scopes(Role::CommunityStaff);
    if !streets.is_empty() {
        let in_streets = communities::Entity::find()
            .select_only()
            .column(communities::Column::Id)
            .filter(communities::Column::StreetId.is_in(streets.clone()))
            .into_tuple::<i64>()
            .all(db)
            .await?;
        communities.extend(in_streets);
    }
    let grids = if communities.is_empty() {
        vec![]
    } else {
        grids::Entity::find()
            .select_only()
            .column(grids::Column::Id)
            .filter(grids::Column::CommunityId.is_in(communities.clone()))
            .into_tuple::<i64>()
            .all(db)
            .await?
    };
    Ok(Managed {
        all: false,
        streets,
        communities,
        grids,
    })
}

/// Checks that the caller may grant or revoke `role` over `scope_id`: a platform admin any role,
/// a street admin staff roles in their street, community staff grid workers of their community.
/// A scope the caller cannot see answers 404; a visible scope above their rank answers 403.
async fn authorize<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    role: Role,
    scope_id: i64,
) -> ApiResult<()> {
    if caller.grants.is_empty() {
        return Err(ApiError::forbidden());
    }
    let admin = caller.is_platform_admin();
    match role {
        Role::PlatformAdmin => {
            if !admin {
                return Err(ApiError::forbidden());
            }
            if scope_id != 0 {
                return Err(ApiError::field("scope_id", "平台管理员不需要范围编号"));
            }
        }
        Role::StreetAdmin => {
            let street = streets::Entity::find_by_id(scope_id).one(db).await?;
            let visible = street.is_some_and(|s| admin || caller.holds(Role::StreetAdmin, s.id));
            if !visible {
                return Err(ApiError::not_found("street"));
            }
            if !admin {
                return Err(ApiError::forbidden());
            }
        }
        Role::CommunityStaff => {
            let community = communities::Entity::find_by_id(scope_id)
                .one(db)
                .await?
                .filter(|c| crate::auth::scope::manages_community(caller, c))
                .ok_or_else(|| ApiError::not_found("community"))?;
            if !(admin || caller.holds(Role::StreetAdmin, community.street_id)) {
                return Err(ApiError::forbidden());
            }
        }
        Role::GridWorker => {
            crate::auth::scope::managed_grid(db, caller, scope_id).await?;
        }
    }
    Ok(())
}

/// Grants a role.
pub async fn create(
    db: &Db,
    cache: &Cache,
    caller: &Caller,
    now: DateTime<Utc>,
    input: CreateAssignment,
) -> ApiResult<AssignmentView> {
    let scope_id = input.scope_id.unwrap_or(0);
    if input.role != Role::PlatformAdmin && scope_id == 0 {
        return Err(ApiError::field("scope_id", "请指定范围编号"));
    }
    let txn = db.begin_write().await?;
    authorize(&txn, caller, input.role, scope_id).await?;
    let user = users::Entity::find_by_id(input.user_id)
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::not_found("user"))?;
    let row = role_assignments::ActiveModel {
        user_id: Set(user.id),
        role: Set(input.role),
        scope_id: Set(scope_id),
        created_by: Set(Some(caller.id())),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            ApiError::conflict(ErrorCode::RoleAlreadyAssigned, "该用户已拥有此角色")
        } else {
            e.into()
        }
    })?;
    if input.role == Role::GridWorker {
        grids::Entity::update_many()
            .col_expr(grids::Column::WorkerUserId, Expr::value(user.id))
            .filter(grids::Column::Id.eq(scope_id))
            .filter(grids::Column::WorkerUserId.is_null())
            .exec(&txn)
            .await?;
    }
    audit::record(
        &txn,
        now,
        Audit {
            actor_id: caller.id(),
            action: "role.grant",
            object_type: "role_assignment",
            object_id: row.id,
            community_id: None,
            detail: serde_json::json!({ "user_id": user.id, "role": input.role, "scope_id": scope_id }),
        },
    )
    .await?;
    let scope_name = scope_names(&txn, [(input.role, scope_id)])
        .await?
        .remove(&(input.role, scope_id));
    txn.commit().await?;
    callers::changed(cache, user.id).await;
    Ok(view(row, user.nickname, scope_name))
}

/// Revokes a role; the last platform admin cannot be removed.
pub async fn delete(
    db: &Db,
    cache: &Cache,
    caller: &Caller,
    now: DateTime<Utc>,
    id: i64,
) -> ApiResult<()> {
    let txn = db.begin_write().await?;
    let row = role_assignments::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::not_found("role_assignment"))?;
    let role = row.role;
    // A scope the caller cannot see hides its assignments too.
    authorize(&txn, caller, role, row.scope_id)
        .await
        .map_err(|e| e.hidden_as("role_assignment"))?;
    if role == Role::PlatformAdmin {
        // Lock every platform-admin row before counting: two admins revoking each other at
        // once run one after the other, and the second sees one admin left (PostgreSQL
        // re-reads locked rows after the wait; SQLite has one writer).
        let admins = role_assignments::Entity::find()
            .filter(role_assignments::Column::Role.eq(Role::PlatformAdmin))
            .lock_exclusive()
            .all(&txn)
            .await?;
        if !admins.iter().any(|a| a.id == id) {
            return Err(ApiError::not_found("role_assignment"));
        }
        if !admins.iter().any(|a| a.user_id == caller.id()) {
            // Revoked meanwhile by another admin.
            return Err(ApiError::forbidden());
        }
        if admins.len() <= 1 {
            return Err(ApiError::conflict(
                ErrorCode::LastPlatformAdmin,
                "不能移除最后一位平台管理员",
            ));
        }
    }
    let deleted = role_assignments::Entity::delete_by_id(id)
        .exec(&txn)
        .await?;
    if deleted.rows_affected == 0 {
        return Err(ApiError::not_found("role_assignment"));
    }
    if role == Role::GridWorker {
        grids::Entity::update_many()
            .col_expr(
                grids::Column::WorkerUserId,
                Expr::value(Option::<i64>::None),
            )
            .filter(grids::Column::Id.eq(row.scope_id))
            .filter(grids::Column::WorkerUserId.eq(row.user_id))
            .exec(&txn)
            .await?;
    }
    audit::record(
        &txn,
        now,
        Audit {
            actor_id: caller.id(),
            action: "role.revoke",
            object_type: "role_assignment",
            object_id: id,
            community_id: None,
            detail: serde_json::json!({ "user_id": row.user_id, "role": role, "scope_id": row.scope_id }),
        },
    )
    .await?;
    txn.commit().await?;
    callers::changed(cache, row.user_id).await;
    Ok(())
}

/// Lists the assignments within the caller's scopes, newest first.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    query: ListAssignments,
) -> ApiResult<Page<AssignmentView>> {
    if caller.grants.is_empty() {
        return Err(ApiError::forbidden());
    }
    let page = PageQuery {
        cursor: query.cursor,
        limit: query.limit,
    };
    let scopes = managed(db, caller).await?;
    let mut select = role_assignments::Entity::find().order_by_desc(role_assignments::Column::Id);
    if !scopes.all {
        let in_scope = |role: Role, ids: Vec<i64>| {
            Condition::all()
                .add(role_assignments::Column::Role.eq(role))
                .add(role_assignments::Column::ScopeId.is_in(ids))
        };
        select = select.filter(
            Condition::any()
                .add(in_scope(Role::StreetAdmin, scopes.streets))
                .add(in_scope(Role::CommunityStaff, scopes.communities))
                .add(in_scope(Role::GridWorker, scopes.grids)),
        );
    }
    if let Some(user_id) = query.user_id {
        select = select.filter(role_assignments::Column::UserId.eq(user_id));
    }
    if let Some(before) = page.before_id()? {
        select = select.filter(role_assignments::Column::Id.lt(before));
    }
    let rows = select.limit(page.limit() + 1).all(db).await?;
    let page = Page::from_rows(rows, page.limit(), |r| r.id);
    let users =
        by_ids::<users::Entity, _>(db, page.items.iter().map(|r| r.user_id), |u| u.id).await?;
    let names = scope_names(db, page.items.iter().map(|r| (r.role, r.scope_id))).await?;
    let items = page
        .items
        .into_iter()
        .map(|row| {
            let nickname = users.get(&row.user_id).map(|u| u.nickname.clone());
            let scope_name = names.get(&(row.role, row.scope_id)).cloned();
            view(row, nickname.unwrap_or_default(), scope_name)
        })
        .collect();
    Ok(Page {
        items,
        next_cursor: page.next_cursor,
        total: None,
    })
}

fn view(
    row: role_assignments::Model,
    nickname: String,
    scope_name: Option<String>,
) -> AssignmentView {
    AssignmentView {
        id: row.id,
        user_id: row.user_id,
        nickname,
        role: row.role,
        scope_id: row.scope_id,
        scope_name,
        created_by: row.created_by,
        created_at: row.created_at,
    }
}
