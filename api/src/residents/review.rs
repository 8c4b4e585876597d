//! Staff review of residence applications: the queue, approval (which ties the applicant to
//! a household and the household to a grid) and rejection. Nobody reviews their own.

use chrono::{DateTime, Utc};
use entity::{communities, grids, households, residences, users};
use sea_orm::{
    sea_query::{Expr, OnConflict},
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::{
    applications::{households_of, name_grids, not_pending, view},
    dto::{
        Applicant, ApproveResidence, ListResidencesQuery, RejectResidence, ResidenceRelation,
        ResidenceReview, ResidenceStatus, ResidenceView,
    },
};
use crate::{
    audit::{self, Audit},
    auth::{
        scope::{find_managed_community, managed_community},
        Caller,
    },
    batch::by_ids,
    db::Db,
    error::{ApiError, ApiResult},
    pagination::{Page, PageQuery},
    privacy::{mask_name, mask_phone},
};

/// A community's applications for its staff, newest first, with the applicant's masked phone.
/// With `with_total`, the page carries the count of every application the filter matches.
pub async fn list_for_community<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    community_id: i64,
    query: ListResidencesQuery,
) -> ApiResult<Page<ResidenceReview>> {
    let community = managed_community(db, caller, community_id).await?;
    let page = PageQuery::new(query.cursor, query.limit);
    let limit = page.limit();
    let mut filtered =
        residences::Entity::find().filter(residences::Column::CommunityId.eq(community.id));
    if let Some(status) = query.status {
        filtered = filtered.filter(residences::Column::Status.eq(status));
    }
    let total = match query.with_total {
        Some(true) => Some(filtered.clone().count(db).await?),
        _ => None,
    };
    let mut select = filtered
        .order_by_desc(residences::Column::Id)
        .limit(limit + 1);
    if let Some(before) = page.before_id()? {
        select = select.filter(residences::Column::Id.lt(before));
    }
    let mut page = Page::from_rows(select.all(db).await?, limit, |r| r.id).with_total(total);
    let items = std::mem::take(&mut page.items);

    let users = by_ids::<users::Entity, _>(db, items.iter().map(|r| r.user_id), |u| u.id).await?;
    let households = households_of(db, &items).await?;
    let mut items: Vec<ResidenceReview> = items
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
                    nickname: user.map(|u| mask_name(&u.nickname)).unwrap_or_default(),
                    phone: user.and_then(|u| u.phone.as_deref()).map(mask_phone),
                },
            }
        })
        .collect();
    name_grids(db, items.iter_mut().map(|i| &mut i.residence)).await?;
    Ok(page.with_items(items))
}

/// Approves a pending application: finds or creates the household of the address, places it
/// in a grid, carries an owner's floor area, and ties the applicant to it.
pub async fn approve(
    db: &Db,
    caller: &Caller,
    now: DateTime<Utc>,
    id: i64,
    input: ApproveResidence,
) -> ApiResult<ResidenceView> {
    let txn = db.begin_write().await?;
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
        .filter(|_| residence.relation == ResidenceRelation::Owner);
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
        status: ResidenceStatus::Approved,
        household_id: Some(household.id),
        reviewed_by: Some(caller.id()),
        reviewed_at: Some(now),
        ..residence
    };
    let mut view = view(&residence, community.name, Some(&household));
    name_grids(db.conn(), [&mut view]).await?;
    Ok(view)
}

/// Rejects a pending application with a reason; the applicant may file the address again.
pub async fn reject(
    db: &Db,
    caller: &Caller,
    now: DateTime<Utc>,
    id: i64,
    input: RejectResidence,
) -> ApiResult<ResidenceView> {
    let reason = input.reason;
    let txn = db.begin_write().await?;
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
        status: ResidenceStatus::Rejected,
        reject_reason: Some(reason),
        reviewed_by: Some(caller.id()),
        reviewed_at: Some(now),
        ..residence
    };
    let mut view = view(&residence, community.name, None);
    name_grids(db.conn(), [&mut view]).await?;
    Ok(view)
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
    let community = find_managed_community(db, caller, residence.community_id)
        .await?
        .ok_or_else(|| ApiError::not_found("residence"))?;
    if residence.user_id == caller.id() {
        return Err(ApiError::self_review_forbidden());
    }
    if residence.status != ResidenceStatus::Pending {
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
        .col_expr(residences::Column::Status, Expr::value(status))
        .col_expr(residences::Column::RejectReason, Expr::value(reject_reason))
        .col_expr(residences::Column::ReviewedBy, Expr::value(caller.id()))
        .col_expr(residences::Column::ReviewedAt, Expr::value(now))
        .filter(residences::Column::Id.eq(id))
        .filter(residences::Column::Status.eq(ResidenceStatus::Pending))
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
