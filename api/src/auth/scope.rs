//! Scope checks next to the query: an object outside the caller's scope is "not found".

use entity::{communities, grids, streets};
use sea_orm::{ConnectionTrait, EntityTrait, QuerySelect};

use super::{Caller, Role};
use crate::error::{ApiError, ApiResult};

/// True when the caller manages the community: platform admin, admin of its street, or its staff.
pub fn manages_community(caller: &Caller, community: &communities::Model) -> bool {
    caller.is_platform_admin()
        || caller.holds(Role::StreetAdmin, community.street_id)
        || caller.holds(Role::CommunityStaff, community.id)
}

/// The community, if it exists and the caller manages it. Callers that answer for another
/// object (a residence, goods) turn `None` into their own not-found.
pub async fn find_managed_community<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    community_id: i64,
) -> ApiResult<Option<communities::Model>> {
    Ok(communities::Entity::find_by_id(community_id)
        .one(db)
        .await?
        .filter(|c| manages_community(caller, c)))
}

/// The community, if the caller manages it; otherwise 404.
pub async fn managed_community<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    community_id: i64,
) -> ApiResult<communities::Model> {
    find_managed_community(db, caller, community_id)
        .await?
        .ok_or_else(|| ApiError::not_found("community"))
}

/// The street, if the caller is a platform admin or its street admin; otherwise 404.
pub async fn managed_street<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    street_id: i64,
) -> ApiResult<streets::Model> {
    streets::Entity::find_by_id(street_id)
        .one(db)
        .await?
        .filter(|s| caller.is_platform_admin() || caller.holds(Role::StreetAdmin, s.id))
        .ok_or_else(|| ApiError::not_found("street"))
}

/// The grid and its community, if the caller manages the community; otherwise 404. In a
/// transaction the grid row stays locked until it ends (PostgreSQL; SQLite has one writer),
/// so two edits of one grid (its worker, its roles) run one after the other.
pub async fn managed_grid<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    grid_id: i64,
) -> ApiResult<(grids::Model, communities::Model)> {
    let grid = grids::Entity::find_by_id(grid_id)
        .lock_exclusive()
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("grid"))?;
    let community = find_managed_community(db, caller, grid.community_id)
        .await?
        .ok_or_else(|| ApiError::not_found("grid"))?;
    Ok((grid, community))
}

/// 403 unless the caller is a platform admin.
pub fn require_platform_admin(caller: &Caller) -> ApiResult<()> {
    if caller.is_platform_admin() {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}
