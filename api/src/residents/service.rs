//! Residence applications: filing, withdrawing, and staff review that ties a user to a household.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{communities, grids, households, residences, users};
use sea_orm::{
    sea_query::{Expr, OnConflict},
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::dto::{
    dm2_to_m2, Applicant, ApproveResidence, ListResidencesQuery, NewResidence, RejectResidence,
    ResidenceRelation, ResidenceReview, ResidenceReviewPage, ResidenceStatus, ResidenceView,
};
use crate::{
    audit::{self, Audit},
    auth::{scope::managed_community, Caller},
    error::{is_foreign_key_violation, is_unique_violation, ApiError, ApiResult},
    pagination::{Page, PageQuery},
    privacy::mask_phone,
    regions::service::locate_grid,
    state::AppState,
};

const PENDING: &str = "pending";

/// Files an application for the caller; the grid is only suggested from the location,
/// which is used here and then dropped.
pub async fn submit(
    state: &AppState,
    caller: &Caller,
    input: NewResidence,
) -> ApiResult<ResidenceView> {
    let db = state.db.conn();
    let community = communities::Entity::find_by_id(input.community_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("community"))?;
    let suggested_grid_id = match input.location {
        Some(at) => locate_grid(db, community.id, at.lat, at.lng)
            .await?
            .map(|g| g.id),
        None => None,
    };
    let now = state.clock.now();
    let txn = state.db.begin_write().await?;
    let inserted = residences::ActiveModel {
        user_id: Set(caller.id()),
        community_id: Set(community.id),
        building: Set(input.address.building),
        unit: Set(input.address.unit),
        room: Set(input.address.room),
        relation: Set(input.relation.as_str().to_owned()),
        floor_area_dm2: Set(input.floor_area_dm2),
        suggested_grid_id: Set(suggested_grid_id),
        status: Set(PENDING.to_owned()),
        household_id: Set(None),
        reject_reason: Set(None),
        reviewed_by: Set(None),
        reviewed_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&*txn)
    .await;
    let residence = match inserted {
        Ok(r) => r,
        Err(e) if is_unique_violation(&e) => {
            return Err(ApiError::conflict(
                "residence_exists",
                "您已登记过该地址，请等待审核或查看已有登记",
            ))
        }
        // The community was deleted since we read it.
        Err(e) if is_foreign_key_violation(&e) => return Err(ApiError::not_found("community")),
        Err(e) => return Err(e.into()),
    };
    txn.commit().await?;
    tracing::info!(
        residence_id = residence.id,
        community_id = community.id,
        "residence submitted"
    );
    Ok(view(&residence, community.name, None))
}

/// The caller's applications, newest first.
pub async fn list_mine<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
) -> ApiResult<Vec<ResidenceView>> {
    let rows = residences::Entity::find()
        .filter(residences::Column::UserId.eq(caller.id()))
        .order_by_desc(residences::Column::Id)
        .all(db)
        .await?;
    let mut community_ids: Vec<i64> = rows.iter().map(|r| r.community_id).collect();
    community_ids.sort_unstable();
    community_ids.dedup();
    let names: HashMap<i64, String> = if community_ids.is_empty() {
        HashMap::new()
    } else {
        communities::Entity::find()
            .filter(communities::Column::Id.is_in(community_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect()
    };
    let households = households_of(db, &rows).await?;
    Ok(rows
        .iter()
        .map(|r| {
            let name = names.get(&r.community_id).cloned().unwrap_or_default();
            view(r, name, r.household_id.and_then(|h| households.get(&h)))
        })
        .collect())
}

/// Withdraws the caller's own pending application.
pub async fn withdraw(state: &AppState, caller: &Caller, id: i64) -> ApiResult<()> {
    let txn = state.db.begin_write().await?;
    let deleted = residences::Entity::delete_many()
        .filter(residences::Column::Id.eq(id))
        .filter(residences::Column::UserId.eq(caller.id()))
        .filter(residences::Column::Status.eq(PENDING))
        .exec(&*txn)
        .await?;
    if deleted.rows_affected == 0 {
        let own = residences::Entity::find_by_id(id)
            .one(&*txn)
            .await?
            .filter(|r| r.user_id == caller.id());
        return Err(match own {
            Some(_) => not_pending(),
            None => ApiError::not_found("residence"),
        });
    }
    txn.commit().await?;
    tracing::info!(residence_id = id, "residence withdrawn");
    Ok(())
}

/// A community's applications for its staff, newest first, with the applicant's masked phone.
pub async fn list_for_community<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    community_id: i64,
    query: ListResidencesQuery,
) -> ApiResult<ResidenceReviewPage> {
    let community = managed_community(db, caller, community_id).await?;
    let page = PageQuery {
        cursor: query.cursor,
        limit: query.limit,
    };
    let limit = page.limit();
    let mut select = residences::Entity::find()
        .filter(residences::Column::CommunityId.eq(community.id))
        .order_by_desc(residences::Column::Id)
        .limit(limit + 1);
    if let Some(status) = query.status {
        select = select.filter(residences::Column::Status.eq(status.as_str()));
    }
    if let Some(before) = page.before_id()? {
        select = select.filter(residences::Column::Id.lt(before));
    }
    let Page { items, next_cursor } = Page::from_rows(select.all(db).await?, limit, |r| r.id);

    let mut user_ids: Vec<i64> = items.iter().map(|r| r.user_id).collect();
    user_ids.sort_unstable();
    user_ids.dedup();
    let users: HashMap<i64, users::Model> = if user_ids.is_empty() {
        HashMap::new()
    } else {
        users::Entity::find()
            .filter(users::Column::Id.is_in(user_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|u| (u.id, u))
            .collect()
    };
    let households = households_of(db, &items).await?;
    let items = items
        .iter()
        .map(|r| {
            let user = users.get(&r.user_id);
            ResidenceReview {
                residence: view(
                    r,
                    community.name.clone(),
                    r.household_id.and_then(|h| households.get(&h)),
                ),
                applicant: Applicant {
                    id: r.user_id,
                    nickname: user.map(|u| u.nickname.clone()).unwrap_or_default(),
                    phone: user.and_then(|u| u.phone.as_deref()).map(mask_phone),
                },
            }
        })
        .collect();
    Ok(ResidenceReviewPage { items, next_cursor })
}

/// Approves a pending application: finds or creates the household of the address, places it
/// in a grid, carries an owner's floor area, and ties the applicant to it.
pub async fn approve(
    state: &AppState,
    caller: &Caller,
    id: i64,
    input: ApproveResidence,
) -> ApiResult<ResidenceView> {
    let now = state.clock.now();
    let txn = state.db.begin_write().await?;
    let (residence, community) = reviewable(&*txn, caller, id).await?;
    let grid_id = match input.grid_id {
        Some(grid_id) => Some(
            grids::Entity::find_by_id(grid_id)
                .one(&*txn)
                .await?
                .filter(|g| g.community_id == community.id)
                .ok_or_else(|| ApiError::field("grid_id", "该网格不属于此社区"))?
                .id,
        ),
        None => residence.suggested_grid_id,
    };

    // Claim the application first: of two reviewers deciding at once, only one gets the row.
    claim(&*txn, id, now, caller, ResidenceStatus::Approved, None).await?;

    let mut household = household_for(&*txn, &residence, now).await?;
    let owner_area = residence
        .floor_area_dm2
        .filter(|_| residence.relation == ResidenceRelation::Owner.as_str());
    if grid_id.is_some() || owner_area.is_some() {
        let mut update =
            households::Entity::update_many().filter(households::Column::Id.eq(household.id));
        if let Some(grid_id) = grid_id {
            update = update.col_expr(households::Column::GridId, Expr::value(grid_id));
            household.grid_id = Some(grid_id);
        }
        if let Some(area) = owner_area {
            update = update.col_expr(households::Column::FloorAreaDm2, Expr::value(area));
            household.floor_area_dm2 = Some(area);
        }
        update.exec(&*txn).await?;
    }
    residences::Entity::update_many()
        .col_expr(residences::Column::HouseholdId, Expr::value(household.id))
        .filter(residences::Column::Id.eq(id))
        .exec(&*txn)
        .await?;

    audit::record(
        &*txn,
        now,
        Audit {
            actor_id: caller.id(),
            action: "residence.approve",
            object_type: "residence",
            object_id: id,
            community_id: Some(community.id),
            detail: serde_json::json!({
                "user_id": residence.user_id,
                "household_id": household.id,
                "grid_id": grid_id,
            }),
        },
    )
    .await?;
    txn.commit().await?;
    tracing::info!(
        residence_id = id,
        household_id = household.id,
        reviewer_id = caller.id(),
        "residence approved"
    );
    let residence = residences::Model {
        status: ResidenceStatus::Approved.as_str().to_owned(),
        household_id: Some(household.id),
        reviewed_by: Some(caller.id()),
        reviewed_at: Some(now),
        ..residence
    };
    Ok(view(&residence, community.name, Some(&household)))
}

/// Rejects a pending application with a reason; the applicant may file the address again.
pub async fn reject(
    state: &AppState,
    caller: &Caller,
    id: i64,
    input: RejectResidence,
) -> ApiResult<ResidenceView> {
    let now = state.clock.now();
    let reason = input.reason.trim().to_owned();
    let txn = state.db.begin_write().await?;
    let (residence, community) = reviewable(&*txn, caller, id).await?;
    claim(
        &*txn,
        id,
        now,
        caller,
        ResidenceStatus::Rejected,
        Some(reason.clone()),
    )
    .await?;
    audit::record(
        &*txn,
        now,
        Audit {
            actor_id: caller.id(),
            action: "residence.reject",
            object_type: "residence",
            object_id: id,
            community_id: Some(community.id),
            detail: serde_json::json!({ "user_id": residence.user_id, "reason": reason }),
        },
    )
    .await?;
    txn.commit().await?;
    tracing::info!(
        residence_id = id,
        reviewer_id = caller.id(),
        "residence rejected"
    );
    let residence = residences::Model {
        status: ResidenceStatus::Rejected.as_str().to_owned(),
        reject_reason: Some(reason),
        reviewed_by: Some(caller.id()),
        reviewed_at: Some(now),
        ..residence
    };
    Ok(view(&residence, community.name, None))
}

/// The application and its community when the caller manages that community (else 404),
/// and only while it is pending (else 409).
async fn reviewable<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    id: i64,
) -> ApiResult<(residences::Model, communities::Model)> {
    let residence = residences::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("residence"))?;
    let community = match managed_community(db, caller, residence.community_id).await {
        Err(e) if e.code() == "not_found" => return Err(ApiError::not_found("residence")),
        other => other?,
    };
    if residence.user_id == caller.id() {
        return Err(ApiError::self_review_forbidden());
    }
    if residence.status != PENDING {
        return Err(not_pending());
    }
    Ok((residence, community))
}

/// Moves a pending application to its decision; 409 when another reviewer got there first.
async fn claim<C: ConnectionTrait>(
    db: &C,
    id: i64,
    now: DateTime<Utc>,
    caller: &Caller,
    status: ResidenceStatus,
    reject_reason: Option<String>,
) -> ApiResult<()> {
    let updated = residences::Entity::update_many()
        .col_expr(residences::Column::Status, Expr::value(status.as_str()))
        .col_expr(residences::Column::RejectReason, Expr::value(reject_reason))
        .col_expr(residences::Column::ReviewedBy, Expr::value(caller.id()))
        .col_expr(residences::Column::ReviewedAt, Expr::value(now))
        .filter(residences::Column::Id.eq(id))
        .filter(residences::Column::Status.eq(PENDING))
        .exec(db)
        .await?;
    if updated.rows_affected == 0 {
        return Err(not_pending());
    }
    Ok(())
}

/// The household of the application's address, created when it is the first one approved.
/// `ON CONFLICT DO NOTHING` then a read, so a concurrent creator is joined, not fought:
/// on PostgreSQL a failed insert would abort the whole transaction.
async fn household_for<C: ConnectionTrait>(
    db: &C,
    residence: &residences::Model,
    now: DateTime<Utc>,
) -> ApiResult<households::Model> {
    households::Entity::insert(households::ActiveModel {
        community_id: Set(residence.community_id),
        building: Set(residence.building.clone()),
        unit: Set(residence.unit.clone()),
        room: Set(residence.room.clone()),
        grid_id: Set(None),
        floor_area_dm2: Set(None),
        created_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([
            households::Column::CommunityId,
            households::Column::Building,
            households::Column::Unit,
            households::Column::Room,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    households::Entity::find()
        .filter(households::Column::CommunityId.eq(residence.community_id))
        .filter(households::Column::Building.eq(residence.building.as_str()))
        .filter(households::Column::Unit.eq(residence.unit.as_str()))
        .filter(households::Column::Room.eq(residence.room.as_str()))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("household missing after upsert")))
}

/// The households the given applications are tied to, by id.
async fn households_of<C: ConnectionTrait>(
    db: &C,
    rows: &[residences::Model],
) -> ApiResult<HashMap<i64, households::Model>> {
    let mut ids: Vec<i64> = rows.iter().filter_map(|r| r.household_id).collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(households::Entity::find()
        .filter(households::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|h| (h.id, h))
        .collect())
}

fn not_pending() -> ApiError {
    ApiError::conflict("residence_not_pending", "该登记已处理，不能再更改")
}

/// The response shape of an application.
fn view(
    r: &residences::Model,
    community_name: String,
    household: Option<&households::Model>,
) -> ResidenceView {
    ResidenceView {
        id: r.id,
        community_id: r.community_id,
        community_name,
        building: r.building.clone(),
        unit: r.unit.clone(),
        room: r.room.clone(),
        relation: r.relation.clone(),
        floor_area_m2: r.floor_area_dm2.map(dm2_to_m2),
        status: r.status.clone(),
        household_id: r.household_id,
        grid_id: household.and_then(|h| h.grid_id).or(r.suggested_grid_id),
        reject_reason: r.reject_reason.clone(),
        created_at: r.created_at,
        reviewed_at: r.reviewed_at,
    }
}
