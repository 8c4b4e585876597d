//! Redemptions: paying points for goods, listing them, and cancelling them.
//!
//! Every write transaction here locks rows in one order — the wallet, then the goods, then
//! the redemption — so PostgreSQL never finds two of them waiting on each other. A new
//! redemption is inserted before the wallet is locked; nothing can wait on it until commit.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{goods, redemptions};
use rand::Rng;
use sea_orm::{
    sea_query::{Expr, ExprTrait, OnConflict},
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::{
    desk::staff_views,
    dto::{
        CommunityRedemptionsQuery, CreateRedemption, GoodsSummary, MyRedemptionsQuery,
        RedemptionStatus, RedemptionView, StaffRedemptionView,
    },
    eligibility,
    for_me::units_this_month,
    gate::Counter,
    goods::{goods_not_found, invalidate_shelf},
    pickup::{qr_payload, shows_code},
    release::{release, Release},
};
use crate::{
    auth::{scope::managed_community, Caller},
    cache::Cache,
    db::Db,
    error::{ApiError, ApiResult, ErrorCode, FieldErrors},
    idempotency::Claim,
    pagination::{Page, PageQuery},
    points::{
        self,
        ledger::{self, Change, Kind},
    },
};

/// Source of the ledger entries that pay for redemptions.
pub const REDEEM_SOURCE: &str = "redemption";
/// Source of the ledger entries that give points back; the key `redemption:{id}` makes a
/// second refund of one redemption impossible.
pub const REFUND_SOURCE: &str = "redemption_refund";
/// Attempts at a free pickup code before giving up.
const CODE_ATTEMPTS: usize = 20;

/// 404 for a redemption that does not exist or is not the caller's.
pub fn redemption_not_found() -> ApiError {
    ApiError::missing(ErrorCode::NotFound, "兑换记录不存在或无权访问")
}

fn goods_unavailable() -> ApiError {
    ApiError::conflict(ErrorCode::GoodsUnavailable, "该商品已下架")
}

fn out_of_stock() -> ApiError {
    ApiError::conflict(ErrorCode::OutOfStock, "库存不足")
}

fn limit_reached() -> ApiError {
    ApiError::conflict(ErrorCode::LimitReached, "已达到本月兑换上限")
}

fn not_pending() -> ApiError {
    ApiError::conflict(ErrorCode::RedemptionNotPending, "该兑换已核销、取消或过期")
}

/// Redeems goods once per `Idempotency-Key` (`claim`): checks that the community's
/// supermarket serves the caller, takes the points, checks the monthly limit, takes the
/// stock and writes the redemption with a fresh pickup code, all in one transaction that
/// also stores the answer for replays.
pub async fn create(
    db: &Db,
    cache: &Cache,
    counter: &Counter,
    caller: &Caller,
    now: DateTime<Utc>,
    input: CreateRedemption,
    claim: Claim,
) -> ApiResult<RedemptionView> {
    let key = claim
        .id()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("redemption without a key")))?;
    let user_id = caller.id();
    // In line behind the item's running transactions before taking a connection.
    let _pass = counter.gate.enter(input.goods_id).await;
    // Every statement on one connection: each connection taken from the pool costs
    // a round trip more when sqlx checks it on its way back.
    let txn = db.begin_write().await?;
    let goods = goods::Entity::find_by_id(input.goods_id)
        .one(&txn)
        .await?
        .ok_or_else(goods_not_found)?;
    if !goods.on_shelf {
        return Err(goods_unavailable());
    }
    // Whom the supermarket serves, before anything is written: a refusal leaves no trace.
    eligibility::check(&txn, user_id, goods.community_id).await?;
    let Some(points) = goods.points_price.checked_mul(input.quantity) else {
        return Err(ledger::insufficient(&txn, user_id).await);
    };
    // The new redemption first: no other transaction can wait on a row it cannot see
    // yet, and the entry below can name it.
    let redemption = insert_with_code(
        &txn,
        redemptions::ActiveModel {
            user_id: Set(user_id),
            community_id: Set(goods.community_id),
            goods_id: Set(goods.id),
            quantity: Set(input.quantity),
            points: Set(points),
            status: Set(RedemptionStatus::Pending),
            expires_at: Set(now + counter.pickup_ttl),
            created_at: Set(now),
            ..Default::default()
        },
    )
    .await?;
    // Then the first lock, the wallet's: a conditional update that checks the balance
    // and serialises this user's redemptions for the limit below.
    let reason = format!("兑换{}×{}", goods.name, input.quantity);
    ledger::apply(
        &txn,
        now,
        Change {
            user_id,
            community_id: goods.community_id,
            amount: -points,
            kind: Kind::Redeem,
            reason: &reason,
            source: REDEEM_SOURCE,
            idempotency_key: &format!("claim:{key}"),
            reference: Some(("redemption", redemption.id)),
            actor_id: Some(user_id),
        },
    )
    .await?;
    if let Some(limit) = goods.monthly_limit_per_user {
        // Counts the redemption written above too.
        let units = units_this_month(&txn, user_id, [goods.id].into_iter(), now).await?;
        if units.get(&goods.id).copied().unwrap_or(0) > limit {
            return Err(limit_reached());
        }
    }
    let view = view(redemption, &goods, true);
    claim.complete(&*txn, &view, now).await?;
    // The goods row last: a popular item stays locked only until the commit.
    take_stock(&txn, goods.id, input.quantity).await?;
    txn.commit().await?;
    invalidate_shelf(cache, goods.community_id).await;
    points::changed(cache, user_id, goods.community_id).await;
    Ok(view)
}

/// Takes `quantity` units if that many remain on a shelf that still offers the goods.
async fn take_stock<C: ConnectionTrait>(db: &C, goods_id: i64, quantity: i64) -> ApiResult<()> {
    let taken = goods::Entity::update_many()
        .col_expr(
            goods::Column::Stock,
            Expr::col(goods::Column::Stock).sub(quantity),
        )
        .filter(goods::Column::Id.eq(goods_id))
        .filter(goods::Column::Stock.gte(quantity))
        .filter(goods::Column::OnShelf.eq(true))
        .exec(db)
        .await?;
    if taken.rows_affected == 1 {
        return Ok(());
    }
    let goods = goods::Entity::find_by_id(goods_id).one(db).await?;
    Err(match goods {
        Some(g) if g.on_shelf => out_of_stock(),
        _ => goods_unavailable(),
    })
}

/// A random six-digit code.
fn new_code() -> String {
    format!("{:06}", rand::thread_rng().gen_range(0..1_000_000))
}

/// Inserts the redemption with a code no pending redemption of the community holds. A taken
/// code is skipped with `ON CONFLICT DO NOTHING` (a failed insert would abort the whole
/// PostgreSQL transaction) and another is drawn.
async fn insert_with_code<C: ConnectionTrait>(
    db: &C,
    mut model: redemptions::ActiveModel,
) -> ApiResult<redemptions::Model> {
    for _ in 0..CODE_ATTEMPTS {
        model.code = Set(new_code());
        let inserted = redemptions::Entity::insert(model.clone())
            .on_conflict(OnConflict::new().do_nothing().to_owned())
            .exec_with_returning_many(db)
            .await?;
        if let Some(redemption) = inserted.into_iter().next() {
            return Ok(redemption);
        }
    }
    Err(ApiError::unavailable(
        ErrorCode::PickupCodesExhausted,
        "核销码暂时用尽，请稍后再试",
    ))
}

/// Cancels one of the caller's pending redemptions: points back, stock back, exactly once.
pub async fn cancel(
    database: &Db,
    cache: &Cache,
    caller: &Caller,
    now: DateTime<Utc>,
    id: i64,
) -> ApiResult<RedemptionView> {
    let db = database.conn();
    let redemption = redemptions::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|r| r.user_id == caller.id())
        .ok_or_else(redemption_not_found)?;
    if redemption.status != RedemptionStatus::Pending {
        return Err(not_pending());
    }
    let closed = release(database, cache, now, &redemption, Release::Cancel)
        .await?
        .ok_or_else(not_pending)?;
    views(db, vec![closed], true)
        .await?
        .pop()
        .ok_or_else(redemption_not_found)
}

/// The caller's redemptions, newest first.
pub async fn list_mine<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    query: MyRedemptionsQuery,
) -> ApiResult<Page<RedemptionView>> {
    let page = PageQuery::new(query.cursor, query.limit);
    let mut select = redemptions::Entity::find()
        .filter(redemptions::Column::UserId.eq(caller.id()))
        .order_by_desc(redemptions::Column::Id)
        .limit(page.limit() + 1);
    if let Some(status) = query.status {
        select = select.filter(redemptions::Column::Status.eq(status));
    }
    if let Some(before) = page.before_id()? {
        select = select.filter(redemptions::Column::Id.lt(before));
    }
    let mut rows = Page::from_rows(select.all(db).await?, page.limit(), |r| r.id);
    let items = views(db, std::mem::take(&mut rows.items), true).await?;
    Ok(rows.with_items(items))
}

/// A community's redemptions for its staff, newest first, with who redeemed (masked); pickup
/// codes are left out. With `with_total`, the page carries the count of every redemption the
/// filters match (the badge of pending pickups: `status=pending&with_total=true`).
pub async fn list_for_community<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    community_id: i64,
    query: CommunityRedemptionsQuery,
) -> ApiResult<Page<StaffRedemptionView>> {
    let mut errs = FieldErrors::new();
    if let (Some(from), Some(to)) = (query.from, query.to) {
        errs.check(from <= to, "to", "结束时间不能早于开始时间");
    }
    errs.take(PageQuery::new(query.cursor.clone(), None).before_id())?;
    errs.finish()?;
    managed_community(db, caller, community_id).await?;
    let page = PageQuery::new(query.cursor, query.limit);
    let mut filtered =
        redemptions::Entity::find().filter(redemptions::Column::CommunityId.eq(community_id));
    if let Some(status) = query.status {
        filtered = filtered.filter(redemptions::Column::Status.eq(status));
    }
    if let Some(from) = query.from {
        filtered = filtered.filter(redemptions::Column::CreatedAt.gte(from));
    }
    if let Some(to) = query.to {
        filtered = filtered.filter(redemptions::Column::CreatedAt.lt(to));
    }
    let total = match query.with_total {
        Some(true) => Some(filtered.clone().count(db).await?),
        _ => None,
    };
    let mut select = filtered
        .order_by_desc(redemptions::Column::Id)
        .limit(page.limit() + 1);
    if let Some(before) = page.before_id()? {
        select = select.filter(redemptions::Column::Id.lt(before));
    }
    let mut rows = Page::from_rows(select.all(db).await?, page.limit(), |r| r.id);
    let items = staff_views(db, std::mem::take(&mut rows.items), false).await?;
    Ok(rows.with_items(items).with_total(total))
}

/// One redemption as an answer; `with_code` when the caller may see its pickup code (its
/// owner, or the desk that typed it), which only a pending redemption still shows.
pub fn view(r: redemptions::Model, goods: &goods::Model, with_code: bool) -> RedemptionView {
    RedemptionView {
        id: r.id,
        status: r.status,
        qr_payload: (with_code && shows_code(r.status)).then(|| qr_payload(&r.code)),
        code: (with_code && shows_code(r.status)).then_some(r.code),
        expires_at: r.expires_at,
        // Points are whole multiples of the unit price paid.
        goods: GoodsSummary {
            id: goods.id,
            name: goods.name.clone(),
            points_price: r.points / Ord::max(r.quantity, 1),
            image_url: goods.image_url.clone(),
        },
        points: r.points,
        quantity: r.quantity,
        community_id: r.community_id,
        user_id: r.user_id,
        created_at: r.created_at,
        fulfilled_at: r.fulfilled_at,
        fulfilled_by: r.fulfilled_by,
        closed_at: r.closed_at,
    }
}

/// Redemptions with their goods.
pub async fn views<C: ConnectionTrait>(
    db: &C,
    rows: Vec<redemptions::Model>,
    with_code: bool,
) -> ApiResult<Vec<RedemptionView>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.goods_id).collect();
    let goods: HashMap<i64, goods::Model> = goods::Entity::find()
        .filter(goods::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|g| (g.id, g))
        .collect();
    rows.into_iter()
        .map(|r| {
            let g = goods.get(&r.goods_id).ok_or_else(goods_not_found)?;
            Ok(view(r, g, with_code))
        })
        .collect()
}
