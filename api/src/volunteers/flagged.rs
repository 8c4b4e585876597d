//! Staff's side of check-ins: the community's list (the `flagged` queue for review), and
//! confirming (credited once) or rejecting a flagged check-in. Nobody reviews their own.

use chrono::{DateTime, Utc};
use entity::checkins;
use sea_orm::{
    sea_query::Expr, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::{
    checkins::{credit, view},
    dto::{CheckinReview, CheckinStatus, CheckinView, ListCheckinsQuery},
    review::{applicants, person},
};
use crate::{
    audit::{self, Audit},
    auth::{
        scope::{find_managed_community, managed_community},
        Caller,
    },
    cache::Cache,
    db::Db,
    error::{ApiError, ApiResult, ErrorCode},
    pagination::{Page, PageQuery},
    points,
};

/// A community's check-ins for its staff, newest first, volunteers masked.
pub async fn list_for_community<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    community_id: i64,
    query: ListCheckinsQuery,
) -> ApiResult<Page<CheckinReview>> {
    let community = managed_community(db, caller, community_id).await?;
    let page = PageQuery::new(query.cursor, query.limit);
    let mut filtered =
        checkins::Entity::find().filter(checkins::Column::CommunityId.eq(community.id));
    if let Some(status) = query.status {
        filtered = filtered.filter(checkins::Column::Status.eq(status));
    }
    let total = match query.with_total {
        Some(true) => Some(filtered.clone().count(db).await?),
        _ => None,
    };
    let mut select = filtered
        .order_by_desc(checkins::Column::Id)
        .limit(page.limit() + 1);
    if let Some(before) = page.before_id()? {
        select = select.filter(checkins::Column::Id.lt(before));
    }
    let mut page = Page::from_rows(select.all(db).await?, page.limit(), |c| c.id).with_total(total);
    let rows = std::mem::take(&mut page.items);
    let people = applicants(db, rows.iter().map(|c| c.user_id)).await?;
    let items = rows
        .iter()
        .map(|c| CheckinReview {
            checkin: view(c),
            volunteer: person(&people, c.user_id),
        })
        .collect();
    Ok(page.with_items(items))
}

/// Confirms a flagged check-in: it counts, and its points are credited once.
pub async fn confirm(
    db: &Db,
    cache: &Cache,
    caller: &Caller,
    now: DateTime<Utc>,
    id: i64,
) -> ApiResult<CheckinView> {
    let txn = db.begin_write().await?;
    let checkin = reviewable(&*txn, caller, id).await?;
    let mut decided = claim(&*txn, caller, now, &checkin, CheckinStatus::Accepted).await?;
    decided.points_awarded = credit(&*txn, now, &decided).await?;
    record(&*txn, caller, now, &decided, "checkin.confirm").await?;
    txn.commit().await?;
    if decided.points_awarded > 0 {
        points::changed(cache, decided.user_id, decided.community_id).await;
    }
    Ok(view(&decided))
}

/// Rejects a flagged check-in: it never counts and earns nothing.
pub async fn reject(
    db: &Db,
    caller: &Caller,
    now: DateTime<Utc>,
    id: i64,
) -> ApiResult<CheckinView> {
    let txn = db.begin_write().await?;
    let checkin = reviewable(&*txn, caller, id).await?;
    let decided = claim(&*txn, caller, now, &checkin, CheckinStatus::Rejected).await?;
    record(&*txn, caller, now, &decided, "checkin.reject").await?;
    txn.commit().await?;
    Ok(view(&decided))
}

/// The check-in when the caller manages its community (else 404) and it is not their own
/// (else 403).
async fn reviewable<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    id: i64,
) -> ApiResult<checkins::Model> {
    let checkin = checkins::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("checkin"))?;
    find_managed_community(db, caller, checkin.community_id)
        .await?
        .ok_or_else(|| ApiError::not_found("checkin"))?;
    if checkin.user_id == caller.id() {
        return Err(ApiError::self_review_forbidden());
    }
    Ok(checkin)
}

/// Moves a flagged check-in to its decision; 409 when it is not (or no longer) flagged.
async fn claim<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    now: DateTime<Utc>,
    checkin: &checkins::Model,
    status: CheckinStatus,
) -> ApiResult<checkins::Model> {
    let updated = checkins::Entity::update_many()
        .col_expr(checkins::Column::Status, Expr::value(status))
        .col_expr(checkins::Column::ReviewedBy, Expr::value(caller.id()))
        .col_expr(checkins::Column::ReviewedAt, Expr::value(now))
        .filter(checkins::Column::Id.eq(checkin.id))
        .filter(checkins::Column::Status.eq(CheckinStatus::Flagged))
        .exec_with_returning(db)
        .await?;
    updated.into_iter().next().ok_or_else(|| {
        ApiError::conflict(
            ErrorCode::CheckinNotFlagged,
            "该签到不在待审核状态，不能再更改",
        )
    })
}

async fn record<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    now: DateTime<Utc>,
    checkin: &checkins::Model,
    action: &'static str,
) -> ApiResult<()> {
    audit::record(
        db,
        now,
        Audit {
            actor_id: caller.id(),
            action,
            object_type: "checkin",
            object_id: checkin.id,
            community_id: Some(checkin.community_id),
            detail: serde_json::json!({
                "user_id": checkin.user_id,
                "speed_kmh": checkin.speed_kmh,
                "points": checkin.points_awarded,
            }),
        },
    )
    .await
}
