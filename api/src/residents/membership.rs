//! Who belongs to a community: the tie that staff powers over a person need, and that the
//! supermarket's policy (`supermarket::eligibility`) reads.

use entity::residences;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use super::dto::ResidenceStatus;
use crate::error::ApiResult;

/// True when the user has an approved residence in the community.
pub async fn has_approved_residence<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    community_id: i64,
) -> ApiResult<bool> {
    let found: Option<i64> = residences::Entity::find()
        .select_only()
        .column(residences::Column::Id)
        .filter(residences::Column::UserId.eq(user_id))
        .filter(residences::Column::CommunityId.eq(community_id))
        .filter(residences::Column::Status.eq(ResidenceStatus::Approved))
        .into_tuple()
        .one(db)
        .await?;
    Ok(found.is_some())
}

/// True when the user is a member of the community: an approved residence there, or an
/// approved volunteer registration with it.
pub async fn belongs_to_community<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    community_id: i64,
) -> ApiResult<bool> {
    Ok(has_approved_residence(db, user_id, community_id).await?
        || crate::volunteers::registrations::is_volunteer(db, user_id, community_id).await?)
}
