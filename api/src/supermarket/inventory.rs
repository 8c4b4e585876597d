//! The staff's stock book: every goods item of a community, on the shelf or not, with the
//! units promised to pending pickups and the units handed out.

use std::collections::HashMap;

use entity::{goods, redemptions};
use sea_orm::{
    sea_query::{Alias, Expr, ExprTrait},
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::dto::{GoodsView, InventoryItem, RedemptionStatus};
use crate::{
    auth::{scope::managed_community, Caller},
    error::ApiResult,
    pagination::{Page, PageQuery},
};

/// A page of the community's goods items (newest first by id) with their counts, for its
/// staff.
pub async fn inventory<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    community_id: i64,
    page: PageQuery,
) -> ApiResult<Page<InventoryItem>> {
    managed_community(db, caller, community_id).await?;
    let mut select = goods::Entity::find()
        .filter(goods::Column::CommunityId.eq(community_id))
        .order_by_desc(goods::Column::Id)
        .limit(page.limit() + 1);
    if let Some(before) = page.before_id()? {
        select = select.filter(goods::Column::Id.lt(before));
    }
    let mut page = Page::from_rows(select.all(db).await?, page.limit(), |g| g.id);
    let rows = std::mem::take(&mut page.items);
    let units: Vec<(i64, RedemptionStatus, Option<i64>)> = redemptions::Entity::find()
        .select_only()
        .column(redemptions::Column::GoodsId)
        .column(redemptions::Column::Status)
        .column_as(
            Expr::col(redemptions::Column::Quantity)
                .sum()
                .cast_as(Alias::new("bigint")),
            "units",
        )
        .filter(redemptions::Column::CommunityId.eq(community_id))
        .filter(redemptions::Column::GoodsId.is_in(rows.iter().map(|g| g.id)))
        .filter(
            redemptions::Column::Status
                .is_in([RedemptionStatus::Pending, RedemptionStatus::Fulfilled]),
        )
        .group_by(redemptions::Column::GoodsId)
        .group_by(redemptions::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    let mut counts: HashMap<(i64, RedemptionStatus), i64> = HashMap::new();
    for (goods_id, status, sum) in units {
        counts.insert((goods_id, status), sum.unwrap_or(0));
    }
    let count = |id: i64, status: RedemptionStatus| counts.get(&(id, status)).copied().unwrap_or(0);
    let items = rows
        .into_iter()
        .map(|g| InventoryItem {
            initial_stock: g.initial_stock,
            pending_units: count(g.id, RedemptionStatus::Pending),
            fulfilled_units: count(g.id, RedemptionStatus::Fulfilled),
            goods: GoodsView::from(g),
        })
        .collect();
    Ok(page.with_items(items))
}
