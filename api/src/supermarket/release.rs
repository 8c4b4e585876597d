//! Giving a pending redemption back — its owner cancels it or its deadline passes — exactly
//! once: one conditional update closes it, and the refund's unique key backs that up.

use chrono::{DateTime, Utc};
use entity::{goods, redemptions};
use sea_orm::{
    sea_query::{Expr, ExprTrait},
    ColumnTrait, EntityTrait, QueryFilter,
};

use super::{dto::RedemptionStatus, goods::invalidate_shelf, redemptions::REFUND_SOURCE};
use crate::{
    cache::Cache,
    db::Db,
    error::ApiResult,
    points::{
        self,
        ledger::{self, Change, Kind},
    },
};

/// How a pending redemption ends when its points go back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Release {
    /// Its owner cancelled it.
    Cancel,
    /// Its pickup deadline passed.
    Expire,
}

/// Ends a pending redemption exactly once: in its own transaction, locks the owner's wallet,
/// restores the stock, then moves the status with a conditional update (the gate) and
/// refunds under the key `redemption:{id}`. When the gate finds the redemption no longer
/// pending (a cancel, a verify, another sweeper got there first) everything is rolled back
/// and `None` answers. An expiry also requires the deadline to have passed.
pub async fn release(
    db: &Db,
    cache: &Cache,
    now: DateTime<Utc>,
    redemption: &redemptions::Model,
    how: Release,
) -> ApiResult<Option<redemptions::Model>> {
    let txn = db.begin_write().await?;
    ledger::lock_wallet(&txn, redemption.user_id, now).await?;
    goods::Entity::update_many()
        .col_expr(
            goods::Column::Stock,
            Expr::col(goods::Column::Stock).add(redemption.quantity),
        )
        .filter(goods::Column::Id.eq(redemption.goods_id))
        .exec(&txn)
        .await?;
    let (status, kind, reason) = match how {
        Release::Cancel => (
            RedemptionStatus::Cancelled,
            Kind::Refund,
            "取消兑换退还积分",
        ),
        Release::Expire => (
            RedemptionStatus::Expired,
            Kind::Expire,
            "兑换超时未领取，退还积分",
        ),
    };
    let mut gate = redemptions::Entity::update_many()
        .col_expr(redemptions::Column::Status, Expr::value(status))
        .col_expr(redemptions::Column::ClosedAt, Expr::value(now))
        .filter(redemptions::Column::Id.eq(redemption.id))
        .filter(redemptions::Column::Status.eq(RedemptionStatus::Pending));
    if how == Release::Expire {
        gate = gate.filter(redemptions::Column::ExpiresAt.lte(now));
    }
    let Some(closed) = gate.exec_with_returning(&txn).await?.pop() else {
        return Ok(None);
    };
    let key = format!("redemption:{}", closed.id);
    ledger::apply(
        &txn,
        now,
        Change {
            user_id: closed.user_id,
            community_id: closed.community_id,
            amount: closed.points,
            kind,
            reason,
            source: REFUND_SOURCE,
            idempotency_key: &key,
            reference: Some(("redemption", closed.id)),
            actor_id: (how == Release::Cancel).then_some(closed.user_id),
        },
    )
    .await?;
    txn.commit().await?;
    invalidate_shelf(cache, closed.community_id).await;
    points::changed(cache, closed.user_id, closed.community_id).await;
    Ok(Some(closed))
}
