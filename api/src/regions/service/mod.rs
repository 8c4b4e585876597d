//! Rules and transactions of the community map: scope checks next to the queries, one write
//! transaction per change, unique names and objects in use answered as 409.

pub mod communities;
pub mod community_map;
pub mod districts;
pub mod grids;
pub mod near_index;
pub mod nearest;

pub use grids::locate_grid;

use std::collections::{BTreeSet, HashMap};

use entity::{districts as district, streets as street};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use serde_json::Value;

use super::geo::{Boundary, BoundaryError};
use crate::error::{is_foreign_key_violation, is_unique_violation, ApiError, ApiResult, ErrorCode};

/// A valid boundary from a request, or 422 on the `boundary` field. The validity check runs
/// on the blocking pool: a long ring takes it a while, and the server's workers must not wait.
async fn parse_boundary(value: &Value) -> ApiResult<Boundary> {
    let refused = |e: BoundaryError| ApiError::field("boundary", e.0);
    let boundary = Boundary::read(value).map_err(refused)?;
    tokio::task::spawn_blocking(move || boundary.check().map(|()| boundary))
        .await
        .map_err(|e| ApiError::internal(anyhow::anyhow!("boundary check failed: {e}")))?
        .map_err(refused)
}

/// Stored GeoJSON text back as a JSON object (null, logged, if it is somehow unreadable).
fn boundary_json(text: &str, object_type: &str, id: i64) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| {
        tracing::warn!(object_type, id, "stored boundary is not JSON");
        Value::Null
    })
}

/// A unique name index refused the write: 409 `name_taken`.
fn name_taken(err: DbErr) -> ApiError {
    if is_unique_violation(&err) {
        ApiError::conflict(ErrorCode::NameTaken, "名称已被使用，请换一个")
    } else {
        err.into()
    }
}

/// A foreign key refused a delete (a reference appeared meanwhile): 409 `in_use`.
fn still_referenced(message: &'static str) -> impl FnOnce(DbErr) -> ApiError {
    move |err| {
        if is_foreign_key_violation(&err) {
            ApiError::conflict(ErrorCode::InUse, message)
        } else {
            err.into()
        }
    }
}

/// Streets and districts by id, for naming communities.
async fn street_and_district_names<C: ConnectionTrait>(
    db: &C,
    street_ids: BTreeSet<i64>,
) -> ApiResult<(HashMap<i64, street::Model>, HashMap<i64, district::Model>)> {
    let streets: HashMap<i64, street::Model> = street::Entity::find()
        .filter(street::Column::Id.is_in(street_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let district_ids: BTreeSet<i64> = streets.values().map(|s| s.district_id).collect();
    let districts = district::Entity::find()
        .filter(district::Column::Id.is_in(district_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.id, d))
        .collect();
    Ok((streets, districts))
}
