//! Residence applications as their applicant sees them: filing, listing, withdrawing.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{communities, grids, households, residences};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::dto::{dm2_to_m2, NewResidence, ResidenceStatus, ResidenceView};
use crate::{
    auth::Caller,
    batch::by_ids,
    db::Db,
    error::{is_foreign_key_violation, is_unique_violation, ApiError, ApiResult, ErrorCode},
    pagination::{Page, PageQuery},
    regions::service::locate_grid,
};

/// Files an application for the caller; the grid is only suggested from the location,
/// which is used here and then dropped.
pub async fn submit(
    database: &Db,
    caller: &Caller,
    now: DateTime<Utc>,
    input: NewResidence,
) -> ApiResult<ResidenceView> {
    let db = database.conn();
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
    let txn = database.begin_write().await?;
    let inserted = residences::ActiveModel {
        user_id: Set(caller.id()),
        community_id: Set(community.id),
        building: Set(input.address.building),
        unit: Set(input.address.unit),
        room: Set(input.address.room),
        relation: Set(input.relation),
        floor_area_dm2: Set(input.floor_area_dm2),
        suggested_grid_id: Set(suggested_grid_id),
        status: Set(ResidenceStatus::Pending),
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
                ErrorCode::ResidenceExists,
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
    let mut view = view(&residence, community.name, None);
    name_grids(db, [&mut view]).await?;
    Ok(view)
}

/// The caller's applications, newest first, page by page.
pub async fn list_mine<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    page: PageQuery,
) -> ApiResult<Page<ResidenceView>> {
    let mut select = residences::Entity::find()
        .filter(residences::Column::UserId.eq(caller.id()))
        .order_by_desc(residences::Column::Id)
        .limit(page.limit() + 1);
    if let Some(before) = page.before_id()? {
        select = select.filter(residences::Column::Id.lt(before));
    }
    let mut page = Page::from_rows(select.all(db).await?, page.limit(), |r| r.id);
    let rows = std::mem::take(&mut page.items);
    let communities =
        by_ids::<communities::Entity, _>(db, rows.iter().map(|r| r.community_id), |c| c.id).await?;
    let households = households_of(db, &rows).await?;
    let mut items: Vec<ResidenceView> = rows
        .iter()
        .map(|r| {
            let name = communities
                .get(&r.community_id)
                .map(|c| c.name.clone())
                .unwrap_or_default();
            view(r, name, r.household_id.and_then(|h| households.get(&h)))
        })
        .collect();
    name_grids(db, items.iter_mut()).await?;
    Ok(page.with_items(items))
}

/// Fills in the names of the views' grids, loaded in one query.
pub(super) async fn name_grids<'a, C: ConnectionTrait>(
    db: &C,
    views: impl IntoIterator<Item = &'a mut ResidenceView>,
) -> ApiResult<()> {
    let mut views: Vec<&mut ResidenceView> = views.into_iter().collect();
    let grids =
        by_ids::<grids::Entity, _>(db, views.iter().filter_map(|v| v.grid_id), |g| g.id).await?;
    for view in &mut views {
        view.grid_name = view
            .grid_id
            .and_then(|id| grids.get(&id))
            .map(|g| g.name.clone());
    }
    Ok(())
}

/// Withdraws the caller's own pending application.
pub async fn withdraw(db: &Db, caller: &Caller, id: i64) -> ApiResult<()> {
    let txn = db.begin_write().await?;
    let deleted = residences::Entity::delete_many()
        .filter(residences::Column::Id.eq(id))
        .filter(residences::Column::UserId.eq(caller.id()))
        .filter(residences::Column::Status.eq(ResidenceStatus::Pending))
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

/// The households the given applications are tied to, by id.
pub(super) async fn households_of<C: ConnectionTrait>(
    db: &C,
    rows: &[residences::Model],
) -> ApiResult<HashMap<i64, households::Model>> {
    by_ids::<households::Entity, _>(db, rows.iter().filter_map(|r| r.household_id), |h| h.id).await
}

pub(super) fn not_pending() -> ApiError {
    ApiError::conflict(ErrorCode::ResidenceNotPending, "该登记已处理，不能再更改")
}

/// The response shape of an application (`grid_name` is filled by `name_grids`).
pub(super) fn view(
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
        relation: r.relation,
        floor_area_m2: r.floor_area_dm2.map(dm2_to_m2),
        status: r.status,
        household_id: r.household_id,
        grid_id: household.and_then(|h| h.grid_id).or(r.suggested_grid_id),
        grid_name: None,
        reject_reason: r.reject_reason.clone(),
        created_at: r.created_at,
        reviewed_at: r.reviewed_at,
    }
}
