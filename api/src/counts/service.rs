//! The badge counts of a community, for those who manage it.

use entity::{checkins, goods, redemptions, residences, volunteer_registrations};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};

use super::dto::{CommunityCounts, LOW_STOCK};
use crate::{
    auth::{scope::managed_community, Caller},
    error::ApiResult,
    residents::dto::ResidenceStatus,
    supermarket::dto::RedemptionStatus,
    volunteers::dto::{CheckinStatus, RegistrationStatus},
};

/// The counts of a community the caller manages (its staff, its street's admins, platform
/// admins); another community answers 404, as its lists do.
pub async fn community_counts<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    community_id: i64,
) -> ApiResult<CommunityCounts> {
    let community = managed_community(db, caller, community_id).await?;
    let pending_residences = residences::Entity::find()
        .filter(residences::Column::CommunityId.eq(community.id))
        .filter(residences::Column::Status.eq(ResidenceStatus::Pending))
        .count(db)
        .await?;
    let pending_redemptions = redemptions::Entity::find()
        .filter(redemptions::Column::CommunityId.eq(community.id))
        .filter(redemptions::Column::Status.eq(RedemptionStatus::Pending))
        .count(db)
        .await?;
    let low_stock_goods = goods::Entity::find()
        .filter(goods::Column::CommunityId.eq(community.id))
        .filter(goods::Column::OnShelf.eq(true))
        .filter(goods::Column::Stock.lte(LOW_STOCK))
        .count(db)
        .await?;
    let pending_volunteer_registrations = volunteer_registrations::Entity::find()
        .filter(volunteer_registrations::Column::CommunityId.eq(community.id))
        .filter(volunteer_registrations::Column::Status.eq(RegistrationStatus::Pending))
        .count(db)
        .await?;
    let flagged_checkins = checkins::Entity::find()
        .filter(checkins::Column::CommunityId.eq(community.id))
        .filter(checkins::Column::Status.eq(CheckinStatus::Flagged))
        .count(db)
        .await?;
    Ok(CommunityCounts {
        community_id: community.id,
        pending_residences,
        pending_redemptions,
        low_stock_goods,
        pending_volunteer_registrations,
        flagged_checkins,
    })
}
