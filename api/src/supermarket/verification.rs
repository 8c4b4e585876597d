//! Pickup (核销): staff of the goods' community turn a pickup code into a fulfilled redemption.

use chrono::{DateTime, Utc};
use entity::redemptions;
use sea_orm::{
    sea_query::Expr, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};

use super::{
    desk::staff_views,
    dto::{RedemptionStatus, StaffRedemptionView, VerifyInput},
    redemptions::redemption_not_found,
    sweeper,
};
use crate::{
    auth::{scope::managed_community, Caller},
    cache::Cache,
    db::Db,
    error::{ApiError, ApiResult, ErrorCode},
};

/// The redemption a code names in a community: the pending one holding it, else the newest
/// that held it (codes are reused once a redemption is no longer pending).
pub(super) async fn find_by_code<C: ConnectionTrait>(
    db: &C,
    community_id: i64,
    code: &str,
) -> ApiResult<Option<redemptions::Model>> {
    let pending = redemptions::Entity::find()
        .filter(redemptions::Column::CommunityId.eq(community_id))
        .filter(redemptions::Column::Code.eq(code))
        .filter(redemptions::Column::Status.eq(RedemptionStatus::Pending))
        .one(db)
        .await?;
    if pending.is_some() {
        return Ok(pending);
    }
    Ok(redemptions::Entity::find()
        .filter(redemptions::Column::CommunityId.eq(community_id))
        .filter(redemptions::Column::Code.eq(code))
        .order_by_desc(redemptions::Column::Id)
        .one(db)
        .await?)
}

/// 404 for a pickup code that matches no redemption of the community: the code is wrong,
/// not the caller's access (that is the community's `not_found`).
pub(super) fn code_not_found() -> ApiError {
    ApiError::missing(ErrorCode::RedemptionCodeNotFound, "核销码无效或已过期")
}

/// The 409 for a redemption that can no longer be picked up.
fn closed(status: RedemptionStatus) -> ApiError {
    match status {
        RedemptionStatus::Fulfilled => {
            ApiError::conflict(ErrorCode::AlreadyFulfilled, "该兑换已核销")
        }
        RedemptionStatus::Cancelled => {
            ApiError::conflict(ErrorCode::RedemptionCancelled, "该兑换已取消")
        }
        RedemptionStatus::Expired | RedemptionStatus::Pending => {
            ApiError::conflict(ErrorCode::RedemptionExpired, "该兑换已过期，积分已退还")
        }
    }
}

/// Fulfils the pending redemption holding `code` in the community (its staff only),
/// recording who and when. A redemption past its deadline is expired on the spot, with its
/// refund, by the sweeper's code path.
pub async fn verify(
    database: &Db,
    cache: &Cache,
    caller: &Caller,
    now: DateTime<Utc>,
    community_id: i64,
    input: VerifyInput,
) -> ApiResult<StaffRedemptionView> {
    let db = database.conn();
    managed_community(db, caller, community_id).await?;
    let found = find_by_code(db, community_id, &input.code)
        .await?
        .ok_or_else(code_not_found)?;
    if found.status != RedemptionStatus::Pending {
        return Err(closed(found.status));
    }
    let txn = database.begin_write().await?;
    let fulfilled = redemptions::Entity::update_many()
        .col_expr(
            redemptions::Column::Status,
            Expr::value(RedemptionStatus::Fulfilled),
        )
        .col_expr(redemptions::Column::FulfilledBy, Expr::value(caller.id()))
        .col_expr(redemptions::Column::FulfilledAt, Expr::value(now))
        .filter(redemptions::Column::Id.eq(found.id))
        .filter(redemptions::Column::Status.eq(RedemptionStatus::Pending))
        .filter(redemptions::Column::ExpiresAt.gt(now))
        .exec_with_returning(&txn)
        .await?
        .pop();
    if let Some(done) = fulfilled {
        txn.commit().await?;
        return staff_views(db, vec![done], true)
            .await?
            .pop()
            .ok_or_else(redemption_not_found);
    }
    // Nothing written: free the writer before the expiry takes its own transaction.
    drop(txn);
    let current = redemptions::Entity::find_by_id(found.id)
        .one(db)
        .await?
        .ok_or_else(redemption_not_found)?;
    if current.status != RedemptionStatus::Pending {
        return Err(closed(current.status));
    }
    if current.expires_at > now {
        return Err(ApiError::internal(anyhow::anyhow!(
            "redemption {} is pending and due, yet was not fulfilled",
            current.id
        )));
    }
    sweeper::expire(database, cache, now, &current).await?;
    let after = redemptions::Entity::find_by_id(found.id)
        .one(db)
        .await?
        .ok_or_else(redemption_not_found)?;
    Err(closed(after.status))
}
