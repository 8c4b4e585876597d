//! The desk (确认发放): staff of a community look a pickup code up before handing goods over,
//! and see who redeemed (masked) on every redemption they list.
//!
//! Codes are six digits, so looking one up is guarded like verifying one: only the staff of
//! the community may, and each lookup spends the caller's write budget (the rate limiter
//! counts `…/redemptions/lookup` as a write).

use entity::{redemptions, users};

use sea_orm::ConnectionTrait;

use super::{
    dto::{LookupQuery, StaffRedemptionView},
    redemptions::views,
    verification::{code_not_found, find_by_code},
};
use crate::{
    auth::{scope::managed_community, Caller},
    batch::by_ids,
    error::ApiResult,
    privacy::{mask_name, mask_phone},
};

/// The redemption a pickup code names in the community, for its staff, without changing it:
/// 404 `redemption_code_not_found` for a code no redemption of the community held; the
/// community's `not_found` for anyone but its staff.
pub async fn lookup<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    community_id: i64,
    query: LookupQuery,
) -> ApiResult<StaffRedemptionView> {
    managed_community(db, caller, community_id).await?;
    let found = find_by_code(db, community_id, &query.code)
        .await?
        .ok_or_else(code_not_found)?;
    let mut list = staff_views(db, vec![found], true).await?;
    list.pop().ok_or_else(code_not_found)
}

/// Redemptions with the redeemer's masked name and phone and the name of the staff member who
/// handed them out, loaded in one query for the whole list.
pub async fn staff_views<C: ConnectionTrait>(
    db: &C,
    rows: Vec<redemptions::Model>,
    with_code: bool,
) -> ApiResult<Vec<StaffRedemptionView>> {
    let people = rows
        .iter()
        .flat_map(|r| [Some(r.user_id), r.fulfilled_by])
        .flatten();
    let users = by_ids::<users::Entity, _>(db, people, |u| u.id).await?;
    Ok(views(db, rows, with_code)
        .await?
        .into_iter()
        .map(|redemption| {
            let user = users.get(&redemption.user_id);
            StaffRedemptionView {
                user_name: mask_name(user.map_or("", |u| u.nickname.as_str())),
                user_phone: user.and_then(|u| u.phone.as_deref()).map(mask_phone),
                fulfilled_by_name: redemption
                    .fulfilled_by
                    .and_then(|id| users.get(&id))
                    .map(|u| u.nickname.clone()),
                redemption,
            }
        })
        .collect())
}
