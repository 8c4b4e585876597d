//! Districts and streets: platform admins shape them; anyone may list them.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use entity::{communities, districts, role_assignments, streets};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde_json::json;

use super::{name_taken, near_index, still_referenced};
use crate::{
    audit::{self, Audit},
    auth::{scope::require_platform_admin, Caller, Role},
    cache::Cache,
    db::Db,
    error::{ApiError, ApiResult, ErrorCode},
    pagination::{Page, PageQuery},
    regions::dto::{
        CreateDistrict, CreateStreet, DistrictTree, DistrictView, StreetView, UpdateDistrict,
        UpdateStreet,
    },
};

const DISTRICT_IN_USE: &str = "该区县下还有街道，不能删除";
const STREET_IN_USE: &str = "该街道下还有社区或街道管理员，不能删除";

fn district_view(d: districts::Model) -> DistrictView {
    DistrictView {
        id: d.id,
        name: d.name,
    }
}

fn street_view(s: streets::Model) -> StreetView {
    StreetView {
        id: s.id,
        district_id: s.district_id,
        name: s.name,
    }
}

/// A page of districts by id ascending, each with every one of its streets by id.
pub async fn list_districts<C: ConnectionTrait>(
    db: &C,
    page: PageQuery,
) -> ApiResult<Page<DistrictTree>> {
    let mut select = districts::Entity::find()
        .order_by_asc(districts::Column::Id)
        .limit(page.limit() + 1);
    if let Some(after) = page.after_id()? {
        select = select.filter(districts::Column::Id.gt(after));
    }
    let mut page = Page::from_rows(select.all(db).await?, page.limit(), |d| d.id);
    let districts = std::mem::take(&mut page.items);
    let mut streets: BTreeMap<i64, Vec<StreetView>> = BTreeMap::new();
    for s in streets::Entity::find()
        .filter(streets::Column::DistrictId.is_in(districts.iter().map(|d| d.id)))
        .order_by_asc(streets::Column::Id)
        .all(db)
        .await?
    {
        streets
            .entry(s.district_id)
            .or_default()
            .push(street_view(s));
    }
    let items = districts
        .into_iter()
        .map(|d| DistrictTree {
            streets: streets.remove(&d.id).unwrap_or_default(),
            id: d.id,
            name: d.name,
        })
        .collect();
    Ok(page.with_items(items))
}

/// Creates a district (platform admins only).
pub async fn create_district(
    db: &Db,
    caller: &Caller,
    now: DateTime<Utc>,
    input: CreateDistrict,
) -> ApiResult<DistrictView> {
    require_platform_admin(caller)?;
    let txn = db.begin_write().await?;
    let district = districts::ActiveModel {
        name: Set(input.name),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&*txn)
    .await
    .map_err(name_taken)?;
    audit_district(&*txn, caller, now, "district.create", &district).await?;
    txn.commit().await?;
    Ok(district_view(district))
}

/// Renames a district (platform admins only).
pub async fn update_district(
    db: &Db,
    cache: &Cache,
    caller: &Caller,
    now: DateTime<Utc>,
    id: i64,
    input: UpdateDistrict,
) -> ApiResult<DistrictView> {
    require_platform_admin(caller)?;
    let txn = db.begin_write().await?;
    let district = districts::Entity::find_by_id(id)
        .one(&*txn)
        .await?
        .ok_or_else(|| ApiError::not_found("district"))?;
    let mut active: districts::ActiveModel = district.into();
    active.name = Set(input.name);
    let district = active.update(&*txn).await.map_err(name_taken)?;
    audit_district(&*txn, caller, now, "district.update", &district).await?;
    txn.commit().await?;
    near_index::changed(cache).await;
    Ok(district_view(district))
}

/// Deletes a district without streets (platform admins only).
pub async fn delete_district(
    db: &Db,
    caller: &Caller,
    now: DateTime<Utc>,
    id: i64,
) -> ApiResult<()> {
    require_platform_admin(caller)?;
    let txn = db.begin_write().await?;
    let district = districts::Entity::find_by_id(id)
        .one(&*txn)
        .await?
        .ok_or_else(|| ApiError::not_found("district"))?;
    let streets = streets::Entity::find()
        .filter(streets::Column::DistrictId.eq(id))
        .count(&*txn)
        .await?;
    if streets > 0 {
        return Err(ApiError::conflict(ErrorCode::InUse, DISTRICT_IN_USE));
    }
    districts::Entity::delete_by_id(id)
        .exec(&*txn)
        .await
        .map_err(still_referenced(DISTRICT_IN_USE))?;
    audit_district(&*txn, caller, now, "district.delete", &district).await?;
    txn.commit().await?;
    Ok(())
}

/// Creates a street in a district (platform admins only).
pub async fn create_street(
    db: &Db,
    caller: &Caller,
    now: DateTime<Utc>,
    input: CreateStreet,
) -> ApiResult<StreetView> {
    require_platform_admin(caller)?;
    let txn = db.begin_write().await?;
    districts::Entity::find_by_id(input.district_id)
        .one(&*txn)
        .await?
        .ok_or_else(|| ApiError::not_found("district"))?;
    let street = streets::ActiveModel {
        district_id: Set(input.district_id),
        name: Set(input.name),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&*txn)
    .await
    .map_err(name_taken)?;
    audit_street(&*txn, caller, now, "street.create", &street).await?;
    txn.commit().await?;
    Ok(street_view(street))
}

/// Renames a street (platform admins only).
pub async fn update_street(
    db: &Db,
    cache: &Cache,
    caller: &Caller,
    now: DateTime<Utc>,
    id: i64,
    input: UpdateStreet,
) -> ApiResult<StreetView> {
    require_platform_admin(caller)?;
    let txn = db.begin_write().await?;
    let street = streets::Entity::find_by_id(id)
        .one(&*txn)
        .await?
        .ok_or_else(|| ApiError::not_found("street"))?;
    let mut active: streets::ActiveModel = street.into();
    active.name = Set(input.name);
    let street = active.update(&*txn).await.map_err(name_taken)?;
    audit_street(&*txn, caller, now, "street.update", &street).await?;
    txn.commit().await?;
    near_index::changed(cache).await;
    Ok(street_view(street))
}

/// Deletes a street without communities or street admins (platform admins only).
pub async fn delete_street(db: &Db, caller: &Caller, now: DateTime<Utc>, id: i64) -> ApiResult<()> {
    require_platform_admin(caller)?;
    let txn = db.begin_write().await?;
    let street = streets::Entity::find_by_id(id)
        .one(&*txn)
        .await?
        .ok_or_else(|| ApiError::not_found("street"))?;
    let communities = communities::Entity::find()
        .filter(communities::Column::StreetId.eq(id))
        .count(&*txn)
        .await?;
    // A street admin's role names the street by id: deleting under it would leave a dangling grant.
    let admins = role_assignments::Entity::find()
        .filter(role_assignments::Column::Role.eq(Role::StreetAdmin))
        .filter(role_assignments::Column::ScopeId.eq(id))
        .count(&*txn)
        .await?;
    if communities + admins > 0 {
        return Err(ApiError::conflict(ErrorCode::InUse, STREET_IN_USE));
    }
    streets::Entity::delete_by_id(id)
        .exec(&*txn)
        .await
        .map_err(still_referenced(STREET_IN_USE))?;
    audit_street(&*txn, caller, now, "street.delete", &street).await?;
    txn.commit().await?;
    Ok(())
}

async fn audit_district<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    now: DateTime<Utc>,
    action: &str,
    d: &districts::Model,
) -> ApiResult<()> {
    let detail = json!({ "name": d.name });
    audit::record(
        db,
        now,
        Audit {
            actor_id: caller.id(),
            action,
            object_type: "district",
            object_id: d.id,
            community_id: None,
            detail,
        },
    )
    .await
}

async fn audit_street<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    now: DateTime<Utc>,
    action: &str,
    s: &streets::Model,
) -> ApiResult<()> {
    let detail = json!({ "name": s.name, "district_id": s.district_id });
    audit::record(
        db,
        now,
        Audit {
            actor_id: caller.id(),
            action,
            object_type: "street",
            object_id: s.id,
            community_id: None,
            detail,
        },
    )
    .await
}
