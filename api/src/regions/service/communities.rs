//! Communities: platform admins create and delete them, street admins edit them, anyone finds
//! them (nearest first or page by page).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use entity::{communities, grids, households, residences, role_assignments, streets};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde_json::{json, Value};

use super::{
    boundary_json,
    community_map::Communities,
    name_taken,
    near_index::{self, NearIndex},
    nearest, parse_boundary, still_referenced, street_and_district_names,
};
use crate::{
    audit::{self, Audit},
    auth::{scope::require_platform_admin, Caller, Role},
    cache::Cache,
    db::Db,
    error::{ApiError, ApiResult, ErrorCode, FieldErrors},
    pagination::{Page, PageQuery},
    regions::dto::{
        CommunityListQuery, CommunityView, CreateCommunity, UpdateCommunity, DEFAULT_LIMIT,
        DEFAULT_RADIUS_M,
    },
};

const COMMUNITY_IN_USE: &str = "该社区仍有网格、住户、住户登记或工作人员，不能删除";

/// Views of communities, each with its distance when known.
pub(super) async fn views<C: ConnectionTrait>(
    db: &C,
    rows: Vec<(communities::Model, Option<f64>)>,
) -> ApiResult<Vec<CommunityView>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let street_ids: BTreeSet<i64> = rows.iter().map(|(c, _)| c.street_id).collect();
    let (streets, districts) = street_and_district_names(db, street_ids).await?;
    rows.into_iter()
        .map(|(c, distance)| {
            let street = streets.get(&c.street_id).ok_or_else(|| {
                ApiError::internal(anyhow::anyhow!(
                    "street {} of community {} is missing",
                    c.street_id,
                    c.id
                ))
            })?;
            let district_name = districts
                .get(&street.district_id)
                .map(|d| d.name.clone())
                .ok_or_else(|| {
                    ApiError::internal(anyhow::anyhow!(
                        "district {} is missing",
                        street.district_id
                    ))
                })?;
            Ok(CommunityView {
                boundary: c
                    .boundary
                    .as_deref()
                    .map(|b| boundary_json(b, "community", c.id)),
                distance_m: distance.map(|d| d.round() as i64),
                street_name: street.name.clone(),
                district_id: street.district_id,
                district_name,
                id: c.id,
                street_id: c.street_id,
                name: c.name,
                lat: c.lat,
                lng: c.lng,
                checkin_radius_m: c.checkin_radius_m,
                pickup_address: c.pickup_address,
                pickup_hours: c.pickup_hours,
                supermarket_policy: c.supermarket_policy,
                checkin_requires_code: c.checkin_requires_code,
            })
        })
        .collect()
}

async fn view<C: ConnectionTrait>(
    db: &C,
    community: communities::Model,
) -> ApiResult<CommunityView> {
    let mut list = views(db, vec![(community, None)]).await?;
    list.pop()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("community view missing")))
}

/// One community.
pub async fn get_community<C: ConnectionTrait>(db: &C, id: i64) -> ApiResult<CommunityView> {
    let community = communities::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("community"))?;
    view(db, community).await
}

/// Communities nearest first around `lat`/`lng`, or every community newest first by id;
/// page by page either way.
pub async fn list_communities<C: ConnectionTrait>(
    db: &C,
    cache: &Cache,
    index: &NearIndex<Communities>,
    query: CommunityListQuery,
) -> ApiResult<Page<CommunityView>> {
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    let mut errs = FieldErrors::new();
    errs.check(
        query.lng.is_some() || query.lat.is_none(),
        "lng",
        "经度须与纬度同时提供",
    )
    .check(
        query.lat.is_some() || query.lng.is_none(),
        "lat",
        "纬度须与经度同时提供",
    )
    .check(
        query.lat.is_some() || query.radius_m.is_none(),
        "radius_m",
        "搜索半径须与经纬度一起提供",
    );
    let page = PageQuery::new(query.cursor, Some(limit));
    // The nearest list reads its own cursor (a position, not an id).
    let before = if query.lat.is_some() {
        None
    } else {
        errs.take(page.before_id())?.flatten()
    };
    errs.finish()?;
    match (query.lat, query.lng) {
        (Some(lat), Some(lng)) => {
            let near = nearest::Near {
                lat,
                lng,
                radius_m: query.radius_m.unwrap_or(DEFAULT_RADIUS_M),
                filter: query.street_id,
            };
            nearest::nearest(db, cache, index, &near, &page).await
        }
        (None, None) => {
            let mut select = communities::Entity::find()
                .order_by_desc(communities::Column::Id)
                .limit(limit + 1);
            if let Some(before) = before {
                select = select.filter(communities::Column::Id.lt(before));
            }
            if let Some(street_id) = query.street_id {
                select = select.filter(communities::Column::StreetId.eq(street_id));
            }
            let mut page = Page::from_rows(select.all(db).await?, limit, |c| c.id);
            let rows = std::mem::take(&mut page.items).into_iter();
            let items = views(db, rows.map(|c| (c, None)).collect()).await?;
            Ok(page.with_items(items))
        }
        // Refused above with both names.
        _ => Err(ApiError::field("lat", "纬度须与经度同时提供")),
    }
}

/// Creates a community in a street (platform admins only).
pub async fn create_community(
    db: &Db,
    cache: &Cache,
    caller: &Caller,
    now: DateTime<Utc>,
    input: CreateCommunity,
) -> ApiResult<CommunityView> {
    require_platform_admin(caller)?;
    let boundary = match &input.boundary {
        Some(value) => Some(parse_boundary(value).await?.to_text()),
        None => None,
    };
    let txn = db.begin_write().await?;
    streets::Entity::find_by_id(input.street_id)
        .one(&*txn)
        .await?
        .ok_or_else(|| ApiError::not_found("street"))?;
    let community = communities::ActiveModel {
        street_id: Set(input.street_id),
        name: Set(input.name),
        lat: Set(input.lat),
        lng: Set(input.lng),
        checkin_radius_m: Set(input.checkin_radius_m),
        boundary: Set(boundary),
        pickup_address: Set(input.pickup_address),
        pickup_hours: Set(input.pickup_hours),
        supermarket_policy: Set(input.supermarket_policy.unwrap_or_default()),
        checkin_requires_code: Set(input.checkin_requires_code.unwrap_or(false)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&*txn)
    .await
    .map_err(name_taken)?;
    let detail = json!({ "name": community.name, "street_id": community.street_id });
    record(&*txn, caller, now, "community.create", community.id, detail).await?;
    let view = view(&*txn, community).await?;
    txn.commit().await?;
    near_index::changed(cache).await;
    Ok(view)
}

/// Edits a community: platform admins and the admins of its street; its own staff only the
/// supermarket's pickup place, hours and policy (403 for anything else), everyone else 404.
pub async fn update_community(
    db: &Db,
    cache: &Cache,
    caller: &Caller,
    now: DateTime<Utc>,
    id: i64,
    input: UpdateCommunity,
) -> ApiResult<CommunityView> {
    let boundary = match &input.boundary {
        Some(Some(value)) => Some(Some(parse_boundary(value).await?.to_text())),
        Some(None) => Some(None),
        None => None,
    };
    let txn = db.begin_write().await?;
    let community = communities::Entity::find_by_id(id)
        .one(&*txn)
        .await?
        .ok_or_else(|| ApiError::not_found("community"))?;
    let staff = caller.holds(Role::CommunityStaff, community.id);
    let admin = caller.is_platform_admin() || caller.holds(Role::StreetAdmin, community.street_id);
    // Its own staff run the supermarket and the check-ins: they set the pickup place, hours
    // and policy and whether check-ins need the code, and nothing else of the community.
    if !(admin || staff && input.only_staff_settings()) {
        return Err(if staff {
            ApiError::forbidden()
        } else {
            ApiError::not_found("community")
        });
    }
    let mut changed = Vec::new();
    let mut active: communities::ActiveModel = community.clone().into();
    if let Some(name) = input.name {
        active.name = Set(name);
        changed.push("name");
    }
    if let Some(lat) = input.lat {
        active.lat = Set(lat);
        changed.push("lat");
    }
    if let Some(lng) = input.lng {
        active.lng = Set(lng);
        changed.push("lng");
    }
    if let Some(radius) = input.checkin_radius_m {
        active.checkin_radius_m = Set(radius);
        changed.push("checkin_radius_m");
    }
    if let Some(boundary) = boundary {
        active.boundary = Set(boundary);
        changed.push("boundary");
    }
    if let Some(address) = input.pickup_address {
        active.pickup_address = Set(address);
        changed.push("pickup_address");
    }
    if let Some(hours) = input.pickup_hours {
        active.pickup_hours = Set(hours);
        changed.push("pickup_hours");
    }
    if let Some(policy) = input.supermarket_policy {
        active.supermarket_policy = Set(policy);
        changed.push("supermarket_policy");
    }
    if let Some(required) = input.checkin_requires_code {
        active.checkin_requires_code = Set(required);
        changed.push("checkin_requires_code");
    }
    if changed.is_empty() {
        return view(&*txn, community).await;
    }
    active.updated_at = Set(now);
    let community = active.update(&*txn).await.map_err(name_taken)?;
    let detail = json!({ "name": community.name, "changed": changed });
    record(&*txn, caller, now, "community.update", community.id, detail).await?;
    let view = view(&*txn, community).await?;
    txn.commit().await?;
    near_index::changed(cache).await;
    Ok(view)
}

/// Deletes a community nothing refers to (platform admins only).
pub async fn delete_community(
    db: &Db,
    cache: &Cache,
    caller: &Caller,
    now: DateTime<Utc>,
    id: i64,
) -> ApiResult<()> {
    require_platform_admin(caller)?;
    let txn = db.begin_write().await?;
    let community = communities::Entity::find_by_id(id)
        .one(&*txn)
        .await?
        .ok_or_else(|| ApiError::not_found("community"))?;
    let grids = grids::Entity::find()
        .filter(grids::Column::CommunityId.eq(id))
        .count(&*txn)
        .await?;
    let households = households::Entity::find()
        .filter(households::Column::CommunityId.eq(id))
        .count(&*txn)
        .await?;
    let residences = residences::Entity::find()
        .filter(residences::Column::CommunityId.eq(id))
        .count(&*txn)
        .await?;
    let staff = role_assignments::Entity::find()
        .filter(role_assignments::Column::Role.eq(Role::CommunityStaff))
        .filter(role_assignments::Column::ScopeId.eq(id))
        .count(&*txn)
        .await?;
    if grids + households + residences + staff > 0 {
        return Err(ApiError::conflict(ErrorCode::InUse, COMMUNITY_IN_USE));
    }
    communities::Entity::delete_by_id(id)
        .exec(&*txn)
        .await
        .map_err(still_referenced(COMMUNITY_IN_USE))?;
    let detail = json!({ "name": community.name, "street_id": community.street_id });
    record(&*txn, caller, now, "community.delete", id, detail).await?;
    txn.commit().await?;
    near_index::changed(cache).await;
    // Its cached leaderboards and shelf go with it (they now answer 404).
    cache.bump(&crate::points::leaderboard::family(id)).await;
    crate::supermarket::goods::invalidate_shelf(cache, id).await;
    Ok(())
}

/// An audit record about a community (names and ids only, never coordinates).
async fn record<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    now: DateTime<Utc>,
    action: &str,
    id: i64,
    detail: Value,
) -> ApiResult<()> {
    let audit = Audit {
        actor_id: caller.id(),
        action,
        object_type: "community",
        object_id: id,
        community_id: Some(id),
        detail,
    };
    audit::record(db, now, audit).await
}
