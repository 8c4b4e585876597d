//! Whom a community's supermarket serves, by its `supermarket_policy`:
//!
//! - `residents`: people with an approved residence in the community;
//! - `members` (the default): residents and the community's approved volunteers;
//! - `anyone`: any logged-in user.
//!
//! Redeeming is refused with 403 `not_a_member` otherwise; the shelf says so beforehand
//! (`can_redeem: false`, `reason: not_a_member`). This file is the one place for the rule.

use entity::communities::{self, SupermarketPolicy};
use sea_orm::{ConnectionTrait, EntityTrait, QuerySelect};

use crate::{
    error::{ApiError, ApiResult, ErrorCode},
    residents::membership::{belongs_to_community, has_approved_residence},
};

/// 403 for a caller whom the community's supermarket does not serve.
pub fn not_a_member() -> ApiError {
    ApiError::refused(
        ErrorCode::NotAMember,
        "本社区文明超市只为本社区居民和志愿者服务，请先完成住户登记",
    )
}

/// The community's policy, or `None` when there is no such community.
pub async fn policy_of<C: ConnectionTrait>(
    db: &C,
    community_id: i64,
) -> ApiResult<Option<SupermarketPolicy>> {
    Ok(communities::Entity::find_by_id(community_id)
        .select_only()
        .column(communities::Column::SupermarketPolicy)
        .into_tuple()
        .one(db)
        .await?)
}

/// True when the community's supermarket, under `policy`, serves the user.
pub async fn serves<C: ConnectionTrait>(
    db: &C,
    policy: SupermarketPolicy,
    user_id: i64,
    community_id: i64,
) -> ApiResult<bool> {
    match policy {
        SupermarketPolicy::Anyone => Ok(true),
        SupermarketPolicy::Residents => has_approved_residence(db, user_id, community_id).await,
        // Members are residents and, once volunteers exist, approved volunteers: that seam is
        // `belongs_to_community`.
        SupermarketPolicy::Members => belongs_to_community(db, user_id, community_id).await,
    }
}

/// 403 `not_a_member` unless the community's supermarket serves the user.
pub async fn check<C: ConnectionTrait>(db: &C, user_id: i64, community_id: i64) -> ApiResult<()> {
    let policy = policy_of(db, community_id)
        .await?
        .ok_or_else(|| ApiError::not_found("community"))?;
    if serves(db, policy, user_id, community_id).await? {
        Ok(())
    } else {
        Err(not_a_member())
    }
}
