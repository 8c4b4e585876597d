//! Courier stations: a community's staff (its street admin, platform admins) open, edit and
//! close them; anyone finds them nearest first, across community borders.

use chrono::{DateTime, Utc};
use entity::stations;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, IntoActiveModel, Set};

use super::{
    dto::{CreateStation, StationQuery, StationView, UpdateStation, DEFAULT_RADIUS_M},
    near::{self, Stations},
};
use crate::{
    audit::{self, Audit},
    auth::{
        scope::{find_managed_community, managed_community},
        Caller,
    },
    cache::Cache,
    db::Db,
    error::{ApiError, ApiResult},
    pagination::{Page, PageQuery},
    regions::service::{
        near_index::NearIndex,
        nearest::{self, Near},
    },
};

/// The station, if the caller manages its community; otherwise 404 (read before the write
/// transaction, so that its first statement is a write).
async fn managed_station<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    id: i64,
) -> ApiResult<stations::Model> {
    let station = stations::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("station"))?;
    find_managed_community(db, caller, station.community_id)
        .await?
        .ok_or_else(|| ApiError::not_found("station"))?;
    Ok(station)
}

async fn view<C: ConnectionTrait>(db: &C, station: stations::Model) -> ApiResult<StationView> {
    near::views(db, vec![station])
        .await?
        .pop()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("station view missing")))
}

/// Opens a station in a community (its managers); audited.
pub async fn create(
    db: &Db,
    cache: &Cache,
    caller: &Caller,
    now: DateTime<Utc>,
    community_id: i64,
    input: CreateStation,
) -> ApiResult<StationView> {
    managed_community(db.conn(), caller, community_id).await?;
    let txn = db.begin_write().await?;
    let station = stations::ActiveModel {
        community_id: Set(community_id),
        name: Set(input.name.clone()),
        address: Set(input.address.clone()),
        lat: Set(input.lat),
        lng: Set(input.lng),
        services: Set(near::write_services(&input.services)),
        opening_hours: Set(input.opening_hours.clone()),
        created_by: Set(Some(caller.id())),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&*txn)
    .await?;
    // No coordinates in the audit trail.
    let detail = serde_json::json!({
        "name": input.name,
        "services": input.services,
        "opening_hours": input.opening_hours,
    });
    record(&*txn, caller, now, "station.create", &station, detail).await?;
    let view = view(&*txn, station).await?;
    txn.commit().await?;
    near::changed(cache).await;
    Ok(view)
}

/// Edits a station (its community's managers); only the given fields change; audited.
pub async fn update(
    db: &Db,
    cache: &Cache,
    caller: &Caller,
    now: DateTime<Utc>,
    id: i64,
    input: UpdateStation,
) -> ApiResult<StationView> {
    let station = managed_station(db.conn(), caller, id).await?;
    let mut model = station.into_active_model();
    if let Some(name) = &input.name {
        model.name = Set(name.clone());
    }
    if let Some(address) = &input.address {
        model.address = Set(address.clone());
    }
    if let Some(lat) = input.lat {
        model.lat = Set(lat);
    }
    if let Some(lng) = input.lng {
        model.lng = Set(lng);
    }
    if let Some(services) = &input.services {
        model.services = Set(near::write_services(services));
    }
    if let Some(hours) = &input.opening_hours {
        model.opening_hours = Set(hours.clone());
    }
    model.updated_at = Set(now);
    let txn = db.begin_write().await?;
    let station = match model.update(&*txn).await {
        Ok(station) => station,
        // Deleted since it was read.
        Err(sea_orm::DbErr::RecordNotUpdated) => return Err(ApiError::not_found("station")),
        Err(err) => return Err(err.into()),
    };
    let detail = serde_json::json!({ "changed": changed_fields(&input) });
    record(&*txn, caller, now, "station.update", &station, detail).await?;
    let view = view(&*txn, station).await?;
    txn.commit().await?;
    near::changed(cache).await;
    Ok(view)
}

/// Closes a station for good (its community's managers); audited.
pub async fn delete(
    db: &Db,
    cache: &Cache,
    caller: &Caller,
    now: DateTime<Utc>,
    id: i64,
) -> ApiResult<()> {
    let station = managed_station(db.conn(), caller, id).await?;
    let txn = db.begin_write().await?;
    let gone = stations::Entity::delete_by_id(id).exec(&*txn).await?;
    if gone.rows_affected == 0 {
        return Err(ApiError::not_found("station"));
    }
    let detail = serde_json::json!({ "name": station.name });
    record(&*txn, caller, now, "station.delete", &station, detail).await?;
    txn.commit().await?;
    near::changed(cache).await;
    Ok(())
}

/// The stations within `radius_m` of a point (default 3000), nearest first (ties by id),
/// whichever community runs them, page by page; from the in-memory index of the `stations`
/// generation.
pub async fn nearby<C: ConnectionTrait>(
    db: &C,
    cache: &Cache,
    index: &NearIndex<Stations>,
    query: StationQuery,
) -> ApiResult<Page<StationView>> {
    let page = PageQuery::new(query.cursor, query.limit);
    let near = Near {
        lat: query.lat,
        lng: query.lng,
        radius_m: query.radius_m.unwrap_or(DEFAULT_RADIUS_M),
        filter: query.service,
    };
    nearest::nearest(db, cache, index, &near, &page).await
}

/// The names of the fields an edit changes (its values may hold coordinates).
fn changed_fields(input: &UpdateStation) -> Vec<&'static str> {
    [
        ("name", input.name.is_some()),
        ("address", input.address.is_some()),
        ("lat", input.lat.is_some()),
        ("lng", input.lng.is_some()),
        ("services", input.services.is_some()),
        ("opening_hours", input.opening_hours.is_some()),
    ]
    .into_iter()
    .filter_map(|(name, given)| given.then_some(name))
    .collect()
}

async fn record<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    now: DateTime<Utc>,
    action: &str,
    station: &stations::Model,
    detail: serde_json::Value,
) -> ApiResult<()> {
    audit::record(
        db,
        now,
        Audit {
            actor_id: caller.id(),
            action,
            object_type: "station",
            object_id: station.id,
            community_id: Some(station.community_id),
            detail,
        },
    )
    .await
}
