//! What each goods item means for the caller: how many units they may still take this month
//! (`remaining_for_me`) and whether they may redeem it now (`can_redeem`, else a `reason`).
//!
//! The same rules as `POST /redemptions`, read for a whole page in a few queries (the
//! caller's wallet, the policy of each community on the page, the units redeemed this
//! Asia/Shanghai month of every limited item, grouped), never one per item.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::{points_wallets, redemptions};
use sea_orm::{
    sea_query::{Alias, Expr, ExprTrait},
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
};
use serde::Serialize;
use utoipa::ToSchema;

use super::{
    dto::{GoodsView, RedemptionStatus},
    eligibility,
};
use crate::{
    auth::Caller,
    clock::month_start,
    error::{ApiError, ApiResult},
    pagination::Page,
};

/// Why the caller cannot redeem an item now: the first that applies, in this order (what a
/// page should say first). Each but `login_required` is an error code `POST /redemptions`
/// answers; when several apply, the redemption may name another of them first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RedeemBlock {
    /// Not logged in.
    LoginRequired,
    /// The community's supermarket does not serve the caller (its `supermarket_policy`).
    NotAMember,
    /// Off the shelf.
    GoodsUnavailable,
    /// No units left.
    OutOfStock,
    /// The caller took this month's limit already.
    LimitReached,
    /// The caller's balance is below the price of one unit.
    InsufficientPoints,
}

/// A goods item with what it means for the caller.
#[derive(Debug, Serialize, ToSchema)]
pub struct GoodsForMe {
    /// The goods.
    #[serde(flatten)]
    pub goods: GoodsView,
    /// Units the caller may still redeem this month (Asia/Shanghai): the monthly limit less
    /// the units of their pending and fulfilled redemptions of it since the 1st; null when
    /// the item has no limit or nobody is logged in.
    pub remaining_for_me: Option<i64>,
    /// Whether the caller may redeem one unit now.
    pub can_redeem: bool,
    /// Why not, when `can_redeem` is false; null otherwise.
    pub reason: Option<RedeemBlock>,
}

/// A page of the shelf for the caller.
pub async fn shelf<C: ConnectionTrait>(
    db: &C,
    caller: Option<&Caller>,
    now: DateTime<Utc>,
    mut page: Page<GoodsView>,
) -> ApiResult<Page<GoodsForMe>> {
    let items = std::mem::take(&mut page.items);
    let items = for_caller(db, caller, now, items).await?;
    Ok(page.with_items(items))
}

/// One goods item for the caller.
pub async fn one<C: ConnectionTrait>(
    db: &C,
    caller: Option<&Caller>,
    now: DateTime<Utc>,
    goods: GoodsView,
) -> ApiResult<GoodsForMe> {
    let mut list = for_caller(db, caller, now, vec![goods]).await?;
    list.pop()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("goods view missing")))
}

/// Goods items (a page) for the caller.
pub async fn for_caller<C: ConnectionTrait>(
    db: &C,
    caller: Option<&Caller>,
    now: DateTime<Utc>,
    goods: Vec<GoodsView>,
) -> ApiResult<Vec<GoodsForMe>> {
    let Some(caller) = caller else {
        return Ok(goods
            .into_iter()
            .map(|goods| GoodsForMe {
                goods,
                remaining_for_me: None,
                can_redeem: false,
                reason: Some(RedeemBlock::LoginRequired),
            })
            .collect());
    };
    let user_id = caller.id();
    let balance: i64 = points_wallets::Entity::find()
        .select_only()
        .column(points_wallets::Column::Balance)
        .filter(points_wallets::Column::UserId.eq(user_id))
        .into_tuple()
        .one(db)
        .await?
        .unwrap_or(0);
    let mut served = HashMap::new();
    for community_id in goods.iter().map(|g| g.community_id).collect::<HashSet<_>>() {
        let serves = match eligibility::policy_of(db, community_id).await? {
            Some(policy) => eligibility::serves(db, policy, user_id, community_id).await?,
            None => false,
        };
        served.insert(community_id, serves);
    }
    let limited = goods
        .iter()
        .filter(|g| g.monthly_limit_per_user.is_some())
        .map(|g| g.id);
    let used = units_this_month(db, user_id, limited, now).await?;
    Ok(goods
        .into_iter()
        .map(|goods| {
            let remaining_for_me = goods
                .monthly_limit_per_user
                .map(|limit| Ord::max(limit - used.get(&goods.id).copied().unwrap_or(0), 0));
            let reason = if !served.get(&goods.community_id).copied().unwrap_or(false) {
                Some(RedeemBlock::NotAMember)
            } else if !goods.on_shelf {
                Some(RedeemBlock::GoodsUnavailable)
            } else if goods.stock < 1 {
                Some(RedeemBlock::OutOfStock)
            } else if remaining_for_me == Some(0) {
                Some(RedeemBlock::LimitReached)
            } else if balance < goods.points_price {
                Some(RedeemBlock::InsufficientPoints)
            } else {
                None
            };
            GoodsForMe {
                goods,
                remaining_for_me,
                can_redeem: reason.is_none(),
                reason,
            }
        })
        .collect())
}

/// Units of each goods item the user redeemed (pending or fulfilled) this Asia/Shanghai
/// month: the one count behind the monthly limit, of a redemption and of the shelf; one
/// grouped query.
pub(super) async fn units_this_month<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    goods_ids: impl Iterator<Item = i64>,
    now: DateTime<Utc>,
) -> ApiResult<HashMap<i64, i64>> {
    let ids: Vec<i64> = goods_ids.collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(i64, Option<i64>)> = redemptions::Entity::find()
        .select_only()
        .column(redemptions::Column::GoodsId)
        .column_as(
            Expr::col(redemptions::Column::Quantity)
                .sum()
                .cast_as(Alias::new("bigint")),
            "total",
        )
        .filter(redemptions::Column::UserId.eq(user_id))
        .filter(redemptions::Column::GoodsId.is_in(ids))
        .filter(
            redemptions::Column::Status
                .is_in([RedemptionStatus::Pending, RedemptionStatus::Fulfilled]),
        )
        .filter(redemptions::Column::CreatedAt.gte(month_start(now)))
        .group_by(redemptions::Column::GoodsId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, total)| (id, total.unwrap_or(0)))
        .collect())
}
