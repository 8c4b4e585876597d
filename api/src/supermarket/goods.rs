//! Goods: staff stock the shelf; anyone browses it (the shelf is cached per community).

use std::time::Duration;

use chrono::{DateTime, Utc};
use entity::{communities, goods, goods_restocks};
use sea_orm::{
    sea_query::{Expr, ExprTrait},
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use super::{
    dto::{CreateGoods, GoodsView, RestockInput, ShelfQuery, UpdateGoods},
    shelf,
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
    idempotency::Claim,
    media::{self, MediaPurpose, MediaStore, Upload},
    pagination::{Page, PageQuery},
};

/// How long a community's shelf stays cached (every change of its goods starts a new
/// generation, so this only bounds memory).
const SHELF_TTL: Duration = Duration::from_secs(300);

/// The cache family of a community's shelf (its first page without filters).
pub fn shelf_family(community_id: i64) -> String {
    format!("shelf:{community_id}")
}

/// Marks a community's shelf as changed; call it after committing a change of its goods.
pub async fn invalidate_shelf(cache: &Cache, community_id: i64) {
    cache.bump(&shelf_family(community_id)).await;
}

/// 404 for goods that do not exist or that the caller does not manage.
pub fn goods_not_found() -> ApiError {
    ApiError::missing(ErrorCode::NotFound, "商品不存在或无权访问")
}

/// The goods, if the caller manages their community; otherwise 404. Write transactions
/// here begin after this check so that their first statement is a write (on SQLite a
/// transaction that reads first cannot wait for the writer lock).
async fn managed_goods<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    goods_id: i64,
) -> ApiResult<goods::Model> {
    let goods = goods::Entity::find_by_id(goods_id)
        .one(db)
        .await?
        .ok_or_else(goods_not_found)?;
    find_managed_community(db, caller, goods.community_id)
        .await?
        .ok_or_else(goods_not_found)?;
    Ok(goods)
}

/// Puts new goods on a community's shelf (staff); audited. With an `Idempotency-Key`
/// (`claim`) the answer is stored with the goods, so a retried tap creates them once.
pub async fn create(
    db: &Db,
    cache: &Cache,
    caller: &Caller,
    now: DateTime<Utc>,
    community_id: i64,
    input: CreateGoods,
    claim: Claim,
) -> ApiResult<GoodsView> {
    managed_community(db.conn(), caller, community_id).await?;
    let txn = db.begin_write().await?;
    let goods = goods::ActiveModel {
        community_id: Set(community_id),
        name: Set(input.name.clone()),
        description: Set(input.description.clone()),
        image_url: Set(input.image_url.clone()),
        category: Set(input.category.clone()),
        points_price: Set(input.points_price),
        stock: Set(input.stock),
        initial_stock: Set(input.stock),
        total_stocked: Set(input.stock),
        monthly_limit_per_user: Set(input.monthly_limit_per_user),
        on_shelf: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        now,
        Audit {
            actor_id: caller.id(),
            action: "goods.create",
            object_type: "goods",
            object_id: goods.id,
            community_id: Some(community_id),
            detail: serde_json::json!(input),
        },
    )
    .await?;
    let view = GoodsView::from(goods);
    claim.complete(&*txn, &view, now).await?;
    txn.commit().await?;
    invalidate_shelf(cache, community_id).await;
    Ok(view)
}

/// Edits goods or takes them off the shelf (staff); audited. Only the given fields change;
/// the stock is never written here, so concurrent redemptions keep their counts.
pub async fn update(
    db: &Db,
    cache: &Cache,
    caller: &Caller,
    now: DateTime<Utc>,
    goods_id: i64,
    input: UpdateGoods,
) -> ApiResult<GoodsView> {
    let goods = managed_goods(db.conn(), caller, goods_id).await?;
    let community_id = goods.community_id;
    let mut model = goods.into_active_model();
    if let Some(name) = &input.name {
        model.name = Set(name.clone());
    }
    if let Some(description) = &input.description {
        model.description = Set(description.clone());
    }
    if let Some(image_url) = &input.image_url {
        model.image_url = Set(image_url.clone());
    }
    if let Some(category) = &input.category {
        model.category = Set(category.clone());
    }
    if let Some(price) = input.points_price {
        model.points_price = Set(price);
    }
    if let Some(limit) = input.monthly_limit_per_user {
        model.monthly_limit_per_user = Set(limit);
    }
    if let Some(on_shelf) = input.on_shelf {
        model.on_shelf = Set(on_shelf);
    }
    model.updated_at = Set(now);
    let txn = db.begin_write().await?;
    let goods = model.update(&txn).await?;
    audit::record(
        &txn,
        now,
        Audit {
            actor_id: caller.id(),
            action: "goods.update",
            object_type: "goods",
            object_id: goods_id,
            community_id: Some(community_id),
            detail: serde_json::json!(input),
        },
    )
    .await?;
    txn.commit().await?;
    invalidate_shelf(cache, community_id).await;
    Ok(goods.into())
}

/// Stores an uploaded picture of goods (staff of their community; anyone else gets the 404
/// before anything is decoded or written), at most 1280 px a side, and makes it the goods'
/// `image_url`; recorded in `media` and audited as `goods.image`.
pub async fn set_image(
    db: &Db,
    cache: &Cache,
    media: &MediaStore,
    caller: &Caller,
    now: DateTime<Utc>,
    goods_id: i64,
    upload: Upload,
) -> ApiResult<GoodsView> {
    let goods = managed_goods(db.conn(), caller, goods_id).await?;
    let community_id = goods.community_id;
    let stored = media.store(upload, MediaPurpose::GoodsImage).await?;
    let txn = db.begin_write().await?;
    let row = media::record(
        &*txn,
        now,
        &stored,
        MediaPurpose::GoodsImage,
        caller.id(),
        goods_id,
    )
    .await?;
    let mut model = goods.into_active_model();
    model.image_url = Set(Some(stored.url.clone()));
    model.updated_at = Set(now);
    let goods = model.update(&txn).await?;
    audit::record(
        &txn,
        now,
        Audit {
            actor_id: caller.id(),
            action: "goods.image",
            object_type: "goods",
            object_id: goods_id,
            community_id: Some(community_id),
            detail: serde_json::json!({
                "image_url": stored.url,
                "media_id": row.id,
                "bytes": stored.bytes,
                "width": stored.width,
                "height": stored.height,
            }),
        },
    )
    .await?;
    txn.commit().await?;
    invalidate_shelf(cache, community_id).await;
    Ok(goods.into())
}

/// Adds units to the shelf (staff): one conditional update of stock and total, a restock
/// row and an audit record, in one transaction. With an `Idempotency-Key` (`claim`) a
/// retried tap adds the units once.
pub async fn restock(
    db: &Db,
    cache: &Cache,
    caller: &Caller,
    now: DateTime<Utc>,
    goods_id: i64,
    input: RestockInput,
    claim: Claim,
) -> ApiResult<GoodsView> {
    let goods = managed_goods(db.conn(), caller, goods_id).await?;
    let txn = db.begin_write().await?;
    let goods = goods::Entity::update_many()
        .col_expr(
            goods::Column::Stock,
            Expr::col(goods::Column::Stock).add(input.quantity),
        )
        .col_expr(
            goods::Column::TotalStocked,
            Expr::col(goods::Column::TotalStocked).add(input.quantity),
        )
        .col_expr(goods::Column::UpdatedAt, Expr::value(now))
        .filter(goods::Column::Id.eq(goods.id))
        .exec_with_returning(&txn)
        .await?
        .pop()
        .ok_or_else(goods_not_found)?;
    let restock = goods_restocks::ActiveModel {
        goods_id: Set(goods.id),
        quantity: Set(input.quantity),
        note: Set(input.note.clone()),
        actor_id: Set(caller.id()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        now,
        Audit {
            actor_id: caller.id(),
            action: "goods.restock",
            object_type: "goods",
            object_id: goods.id,
            community_id: Some(goods.community_id),
            detail: serde_json::json!({
                "restock_id": restock.id,
                "quantity": input.quantity,
                "note": input.note,
                "stock_after": goods.stock,
            }),
        },
    )
    .await?;
    let community_id = goods.community_id;
    let view = GoodsView::from(goods);
    claim.complete(&*txn, &view, now).await?;
    txn.commit().await?;
    invalidate_shelf(cache, community_id).await;
    Ok(view)
}

/// A page of a community's shelf as JSON text (a serialized `Page<GoodsView>`, kept as text so
/// a cached page is served without parsing): on-shelf goods with stock, newest first by id,
/// filtered by `category` and `q` (see `shelf::on_shelf`). The first page without filters
/// at the default size, what the mini-program opens with, is served from the cache for up
/// to `SHELF_TTL`; every change of the community's goods drops it.
pub async fn shelf<C: ConnectionTrait>(
    db: &C,
    cache: &Cache,
    community_id: i64,
    query: ShelfQuery,
) -> ApiResult<Page<GoodsView>> {
    let page = PageQuery::new(query.cursor.clone(), query.limit);
    let cached = page.cursor().is_none()
        && page.limit() == PageQuery::new(None, None).limit()
        && query.category.is_none()
        && query.q.is_none();
    if cached {
        let generation = cache.generation(&shelf_family(community_id)).await;
        // v2: a page `{items, next_cursor}`.
        return cache
            .read_json(&generation, "shelf:v2", SHELF_TTL, || {
                shelf_page(db, community_id, &query, &page)
            })
            .await;
    }
    shelf_page(db, community_id, &query, &page).await
}

/// A page of the shelf from the database.
async fn shelf_page<C: ConnectionTrait>(
    db: &C,
    community_id: i64,
    query: &ShelfQuery,
    page: &PageQuery,
) -> ApiResult<Page<GoodsView>> {
    communities::Entity::find_by_id(community_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("community"))?;
    let mut select = shelf::on_shelf(community_id, query)
        .order_by_desc(goods::Column::Id)
        .limit(page.limit() + 1);
    if let Some(before) = page.before_id()? {
        select = select.filter(goods::Column::Id.lt(before));
    }
    let mut page = Page::from_rows(select.all(db).await?, page.limit(), |g| g.id);
    let items = std::mem::take(&mut page.items);
    Ok(page.with_items(items.into_iter().map(GoodsView::from).collect()))
}

/// One goods item, on or off the shelf (a redemption keeps pointing at it), for anyone.
pub async fn get<C: ConnectionTrait>(db: &C, goods_id: i64) -> ApiResult<GoodsView> {
    goods::Entity::find_by_id(goods_id)
        .one(db)
        .await?
        .map(GoodsView::from)
        .ok_or_else(goods_not_found)
}
