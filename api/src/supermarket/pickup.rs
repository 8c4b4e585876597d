//! The pickup page of a redemption: its code while it can still be picked up, the QR payload
//! the desk scans, and where and when to go (`GET /redemptions/{id}`).

use entity::{communities, goods, redemptions};
use sea_orm::{ConnectionTrait, EntityTrait};

use super::{
    dto::{RedemptionDetail, RedemptionStatus},
    goods::goods_not_found,
    redemptions::{redemption_not_found, view},
};
use crate::{
    auth::{scope::find_managed_community, Caller},
    error::ApiResult,
};

/// What a pickup QR code holds before the code: `linli:redeem:042917`.
pub const QR_PREFIX: &str = "linli:redeem:";

/// The QR payload of a pickup code.
pub fn qr_payload(code: &str) -> String {
    format!("{QR_PREFIX}{code}")
}

/// The pickup code in what the desk typed or scanned: the bare code, or a QR payload.
pub fn scanned_code(input: &str) -> &str {
    let input = input.trim();
    input.strip_prefix(QR_PREFIX).unwrap_or(input)
}

/// Whether a redemption still shows its code: only while it waits for pickup. A fulfilled,
/// cancelled or expired redemption's code is of no use, and codes are reused once freed.
pub fn shows_code(status: RedemptionStatus) -> bool {
    status == RedemptionStatus::Pending
}

/// One redemption with its community's pickup place and hours, for its owner (with the code
/// while pending) or the staff of its community (without); anyone else gets 404.
pub async fn detail<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    id: i64,
) -> ApiResult<RedemptionDetail> {
    let redemption = redemptions::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(redemption_not_found)?;
    let owner = redemption.user_id == caller.id();
    let community = if owner {
        communities::Entity::find_by_id(redemption.community_id)
            .one(db)
            .await?
    } else {
        find_managed_community(db, caller, redemption.community_id).await?
    }
    .ok_or_else(redemption_not_found)?;
    let goods = goods::Entity::find_by_id(redemption.goods_id)
        .one(db)
        .await?
        .ok_or_else(goods_not_found)?;
    Ok(RedemptionDetail {
        redemption: view(redemption, &goods, owner),
        community_name: community.name,
        pickup_address: community.pickup_address,
        pickup_hours: community.pickup_hours,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_desk_reads_a_bare_code_or_a_scanned_payload_alike() {
        assert_eq!(scanned_code(&qr_payload("042917")), "042917");
        assert_eq!(scanned_code(" 042917 "), "042917");
        assert_eq!(scanned_code("linli:other:042917"), "linli:other:042917");
    }

    #[test]
    fn only_a_pending_redemption_shows_its_code() {
        assert!(shows_code(RedemptionStatus::Pending));
        for closed in [
            RedemptionStatus::Fulfilled,
            RedemptionStatus::Cancelled,
            RedemptionStatus::Expired,
        ] {
            assert!(!shows_code(closed));
        }
    }
}
