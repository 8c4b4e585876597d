//! Responses of the badge counts.

use serde::Serialize;
use utoipa::ToSchema;

/// On-shelf goods with at most this many units left count as running low.
pub const LOW_STOCK: i64 = 5;

/// `GET /communities/{id}/counts`: the numbers on a staff member's badges.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommunityCounts {
    /// Community.
    pub community_id: i64,
    /// Residence applications waiting for review (`status=pending`), as
    /// `GET /communities/{id}/residences?status=pending&with_total=true` counts them.
    pub pending_residences: u64,
    /// Redemptions waiting for pickup (`status=pending`), as
    /// `GET /communities/{id}/redemptions?status=pending&with_total=true` counts them.
    pub pending_redemptions: u64,
    /// Goods on sale with at most 5 units left, sold out included: time to restock.
    pub low_stock_goods: u64,
    /// Volunteer registrations waiting for review, as
    /// `GET /communities/{id}/volunteer-registrations?status=pending&with_total=true` counts them.
    pub pending_volunteer_registrations: u64,
    /// Check-ins flagged by the speed check, waiting for review, as
    /// `GET /communities/{id}/checkins?status=flagged&with_total=true` counts them.
    pub flagged_checkins: u64,
}
