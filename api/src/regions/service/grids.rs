//! Grids: community staff draw them and name their grid workers; anyone may list them or
//! find the grid holding a point.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use entity::{communities, grids, households, residences, role_assignments, users};
use sea_orm::{
    sea_query::OnConflict, ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::{json, Value};

use super::{boundary_json, name_taken, parse_boundary, still_referenced};
use crate::{
    audit::{self, Audit},
    auth::{
        callers,
        scope::{managed_community, managed_grid},
        Caller, Role,
    },
    cache::Cache,
    db::Db,
    error::{ApiError, ApiResult, ErrorCode},
    pagination::{Page, PageQuery},
    regions::{
        dto::{CreateGrid, GridView, UpdateGrid, WorkerView},
        geo::Boundary,
    },
};

const GRID_IN_USE: &str = "该网格仍有住户或住户登记，不能删除";

/// The grid of a community whose boundary holds the point, if any (lowest id on overlap).
///
/// Coordinates are expected in range; out-of-range or NaN values simply match nothing.
pub async fn locate_grid<C: ConnectionTrait>(
    db: &C,
    community_id: i64,
    lat: f64,
    lng: f64,
) -> ApiResult<Option<grids::Model>> {
    let candidates = grids::Entity::find()
        .filter(grids::Column::CommunityId.eq(community_id))
        .filter(grids::Column::MinLat.lte(lat))
        .filter(grids::Column::MaxLat.gte(lat))
        .filter(grids::Column::MinLng.lte(lng))
        .filter(grids::Column::MaxLng.gte(lng))
        .order_by_asc(grids::Column::Id)
        .all(db)
        .await?;
    for grid in candidates {
        match Boundary::parse(&grid.boundary) {
            Ok(boundary) if boundary.contains(lat, lng) => return Ok(Some(grid)),
            Ok(_) => {}
            Err(_) => tracing::warn!(
                grid_id = grid.id,
                "stored grid boundary is invalid; skipped"
            ),
        }
    }
    Ok(None)
}

/// Views of grids with their workers' display names.
async fn views<C: ConnectionTrait>(db: &C, grids: Vec<grids::Model>) -> ApiResult<Vec<GridView>> {
    let worker_ids: BTreeSet<i64> = grids.iter().filter_map(|g| g.worker_user_id).collect();
    let workers: HashMap<i64, String> = if worker_ids.is_empty() {
        HashMap::new()
    } else {
        users::Entity::find()
            .filter(users::Column::Id.is_in(worker_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|u| (u.id, u.nickname))
            .collect()
    };
    Ok(grids
        .into_iter()
        .map(|g| GridView {
            boundary: boundary_json(&g.boundary, "grid", g.id),
            worker: g.worker_user_id.and_then(|id| {
                workers.get(&id).map(|nickname| WorkerView {
                    id,
                    nickname: nickname.clone(),
                })
            }),
            id: g.id,
            community_id: g.community_id,
            name: g.name,
        })
        .collect())
}

async fn view<C: ConnectionTrait>(db: &C, grid: grids::Model) -> ApiResult<GridView> {
    let mut list = views(db, vec![grid]).await?;
    list.pop()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("grid view missing")))
}

async fn community_exists<C: ConnectionTrait>(db: &C, id: i64) -> ApiResult<()> {
    communities::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|_| ())
        .ok_or_else(|| ApiError::not_found("community"))
}

/// The grids of a community, by id.
pub async fn list_grids<C: ConnectionTrait>(
    db: &C,
    community_id: i64,
    page: PageQuery,
) -> ApiResult<Page<GridView>> {
    community_exists(db, community_id).await?;
    let mut select = grids::Entity::find()
        .filter(grids::Column::CommunityId.eq(community_id))
        .order_by_asc(grids::Column::Id)
        .limit(page.limit() + 1);
    if let Some(after) = page.after_id()? {
        select = select.filter(grids::Column::Id.gt(after));
    }
    let mut page = Page::from_rows(select.all(db).await?, page.limit(), |g| g.id);
    let items = views(db, std::mem::take(&mut page.items)).await?;
    Ok(page.with_items(items))
}

/// The grid of a community holding the point; 404 when none does.
pub async fn locate<C: ConnectionTrait>(
    db: &C,
    community_id: i64,
    lat: f64,
    lng: f64,
) -> ApiResult<GridView> {
    community_exists(db, community_id).await?;
    let grid = locate_grid(db, community_id, lat, lng)
        .await?
        .ok_or_else(|| ApiError::not_found("grid"))?;
    view(db, grid).await
}

/// Creates a grid in a community the caller manages (else 404).
pub async fn create_grid(
    db: &Db,
    cache: &Cache,
    caller: &Caller,
    now: DateTime<Utc>,
    community_id: i64,
    input: CreateGrid,
) -> ApiResult<GridView> {
    let boundary = parse_boundary(&input.boundary).await?;
    let bbox = boundary.bounding_box();
    let txn = db.begin_write().await?;
    let community = managed_community(&*txn, caller, community_id).await?;
    if let Some(worker) = input.worker_user_id {
        user_exists(&*txn, worker).await?;
    }
    let grid = grids::ActiveModel {
        community_id: Set(community.id),
        name: Set(input.name),
        boundary: Set(boundary.to_text()),
        min_lat: Set(bbox.min_lat),
        max_lat: Set(bbox.max_lat),
        min_lng: Set(bbox.min_lng),
        max_lng: Set(bbox.max_lng),
        worker_user_id: Set(input.worker_user_id),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&*txn)
    .await
    .map_err(name_taken)?;
    if let Some(worker) = grid.worker_user_id {
        ensure_grid_worker(&*txn, caller, now, worker, grid.id).await?;
    }
    let detail = json!({ "name": grid.name, "worker_user_id": grid.worker_user_id });
    record(&*txn, caller, now, "grid.create", &grid, detail).await?;
    let worker = grid.worker_user_id;
    let view = view(&*txn, grid).await?;
    txn.commit().await?;
    if let Some(worker) = worker {
        callers::changed(cache, worker).await;
    }
    Ok(view)
}

/// Edits a grid of a community the caller manages (else 404).
pub async fn update_grid(
    db: &Db,
    cache: &Cache,
    caller: &Caller,
    now: DateTime<Utc>,
    grid_id: i64,
    input: UpdateGrid,
) -> ApiResult<GridView> {
    let boundary = match &input.boundary {
        Some(value) => Some(parse_boundary(value).await?),
        None => None,
    };
    let txn = db.begin_write().await?;
    let (grid, _) = managed_grid(&*txn, caller, grid_id).await?;
    let mut changed = Vec::new();
    let mut active: grids::ActiveModel = grid.clone().into();
    if let Some(name) = input.name {
        active.name = Set(name);
        changed.push("name");
    }
    if let Some(boundary) = boundary {
        let bbox = boundary.bounding_box();
        active.boundary = Set(boundary.to_text());
        active.min_lat = Set(bbox.min_lat);
        active.max_lat = Set(bbox.max_lat);
        active.min_lng = Set(bbox.min_lng);
        active.max_lng = Set(bbox.max_lng);
        changed.push("boundary");
    }
    let mut revoked = None;
    if let Some(worker) = input.worker_user_id {
        if let Some(worker) = worker {
            user_exists(&*txn, worker).await?;
            ensure_grid_worker(&*txn, caller, now, worker, grid.id).await?;
        }
        // The worker who is replaced (or cleared) loses the grid's role with the job.
        if let Some(previous) = grid.worker_user_id.filter(|p| Some(*p) != worker) {
            role_assignments::Entity::delete_many()
                .filter(role_assignments::Column::UserId.eq(previous))
                .filter(role_assignments::Column::Role.eq(Role::GridWorker))
                .filter(role_assignments::Column::ScopeId.eq(grid.id))
                .exec(&*txn)
                .await?;
            revoked = Some(previous);
        }
        active.worker_user_id = Set(worker);
        changed.push("worker_user_id");
    }
    if changed.is_empty() {
        return view(&*txn, grid).await;
    }
    active.updated_at = Set(now);
    let grid = active.update(&*txn).await.map_err(name_taken)?;
    let detail = json!({
        "name": grid.name,
        "worker_user_id": grid.worker_user_id,
        "changed": changed,
        "grid_worker_role_revoked_from": revoked,
    });
    record(&*txn, caller, now, "grid.update", &grid, detail).await?;
    let worker = grid.worker_user_id;
    let view = view(&*txn, grid).await?;
    txn.commit().await?;
    for user in [worker, revoked].into_iter().flatten() {
        callers::changed(cache, user).await;
    }
    Ok(view)
}

/// Deletes a grid no household or residence refers to, with its grid-worker roles; the
/// community must be one the caller manages (else 404).
pub async fn delete_grid(
    db: &Db,
    cache: &Cache,
    caller: &Caller,
    now: DateTime<Utc>,
    grid_id: i64,
) -> ApiResult<()> {
    let txn = db.begin_write().await?;
    let (grid, _) = managed_grid(&*txn, caller, grid_id).await?;
    let households = households::Entity::find()
        .filter(households::Column::GridId.eq(grid.id))
        .count(&*txn)
        .await?;
    let residences = residences::Entity::find()
        .filter(residences::Column::SuggestedGridId.eq(grid.id))
        .count(&*txn)
        .await?;
    if households + residences > 0 {
        return Err(ApiError::conflict(ErrorCode::InUse, GRID_IN_USE));
    }
    // A grid worker's role names the grid by id; it goes with the grid.
    let workers: Vec<i64> = role_assignments::Entity::find()
        .select_only()
        .column(role_assignments::Column::UserId)
        .filter(role_assignments::Column::Role.eq(Role::GridWorker))
        .filter(role_assignments::Column::ScopeId.eq(grid.id))
        .into_tuple()
        .all(&*txn)
        .await?;
    let roles = role_assignments::Entity::delete_many()
        .filter(role_assignments::Column::Role.eq(Role::GridWorker))
        .filter(role_assignments::Column::ScopeId.eq(grid.id))
        .exec(&*txn)
        .await?;
    grids::Entity::delete_by_id(grid.id)
        .exec(&*txn)
        .await
        .map_err(still_referenced(GRID_IN_USE))?;
    let detail = json!({ "name": grid.name, "grid_worker_roles_removed": roles.rows_affected });
    record(&*txn, caller, now, "grid.delete", &grid, detail).await?;
    txn.commit().await?;
    for user in workers {
        callers::changed(cache, user).await;
    }
    Ok(())
}

async fn user_exists<C: ConnectionTrait>(db: &C, id: i64) -> ApiResult<()> {
    users::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|_| ())
        .ok_or_else(|| ApiError::not_found("user"))
}

/// Gives the user the `grid_worker` role over the grid unless they hold it already.
async fn ensure_grid_worker<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    now: DateTime<Utc>,
    user_id: i64,
    grid_id: i64,
) -> ApiResult<()> {
    let assignment = role_assignments::ActiveModel {
        user_id: Set(user_id),
        role: Set(Role::GridWorker),
        scope_id: Set(grid_id),
        created_by: Set(Some(caller.id())),
        created_at: Set(now),
        ..Default::default()
    };
    let on_conflict = OnConflict::columns([
        role_assignments::Column::UserId,
        role_assignments::Column::Role,
        role_assignments::Column::ScopeId,
    ])
    .do_nothing()
    .to_owned();
    role_assignments::Entity::insert(assignment)
        .on_conflict(on_conflict)
        .try_insert()
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// An audit record about a grid (names and ids only, never coordinates).
async fn record<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    now: DateTime<Utc>,
    action: &str,
    grid: &grids::Model,
    detail: Value,
) -> ApiResult<()> {
    let audit = Audit {
        actor_id: caller.id(),
        action,
        object_type: "grid",
        object_id: grid.id,
        community_id: Some(grid.community_id),
        detail,
    };
    audit::record(db, now, audit).await
}
