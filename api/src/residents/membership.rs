//! Who belongs to a community: the tie that staff powers over a person need.

use entity::residences;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};

use super::dto::ResidenceStatus;
use crate::error::ApiResult;

/// True when the user has an approved residence in the community. (Approved volunteer
/// registrations will count too once volunteers exist.)
pub async fn belongs_to_community<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    community_id: i64,
) -> ApiResult<bool> {
    let residences = residences::Entity::find()
        .filter(residences::Column::UserId.eq(user_id))
        .filter(residences::Column::CommunityId.eq(community_id))
        .filter(residences::Column::Status.eq(ResidenceStatus::Approved))
        .count(db)
        .await?;
    Ok(residences > 0)
}
