//! The statuses and kinds stored in text columns, as Rust enums. Each variant names its
//! stored string, which is also its JSON value; a row holding any other string fails to load.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A role and the kind of scope it holds.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The city's operator; scope 0 (everything).
    #[sea_orm(string_value = "platform_admin")]
    PlatformAdmin,
    /// Scope: a street.
    #[sea_orm(string_value = "street_admin")]
    StreetAdmin,
    /// Scope: a community.
    #[sea_orm(string_value = "community_staff")]
    CommunityStaff,
    /// Scope: a grid.
    #[sea_orm(string_value = "grid_worker")]
    GridWorker,
}

/// How the applicant lives at the address.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum ResidenceRelation {
    /// Owner (业主); may declare floor area.
    #[sea_orm(string_value = "owner")]
    Owner,
    /// Tenant (租户).
    #[sea_orm(string_value = "tenant")]
    Tenant,
    /// Family member living with the owner (家属).
    #[sea_orm(string_value = "family")]
    Family,
}

/// Where an application stands.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum ResidenceStatus {
    /// Waiting for staff.
    #[sea_orm(string_value = "pending")]
    Pending,
    /// Approved: the user is tied to a household.
    #[sea_orm(string_value = "approved")]
    Approved,
    /// Rejected, with a reason; the user may apply again.
    #[sea_orm(string_value = "rejected")]
    Rejected,
}

/// Where a redemption stands.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum RedemptionStatus {
    /// Paid, waiting for pickup with its code.
    #[sea_orm(string_value = "pending")]
    Pending,
    /// Picked up (核销).
    #[sea_orm(string_value = "fulfilled")]
    Fulfilled,
    /// Cancelled by its owner; points refunded, stock restored.
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
    /// Not picked up in time; points refunded, stock restored.
    #[sea_orm(string_value = "expired")]
    Expired,
}

/// Whom a community's supermarket serves.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum SupermarketPolicy {
    /// People with an approved residence in the community.
    #[sea_orm(string_value = "residents")]
    Residents,
    /// Residents and the community's approved volunteers (the default).
    #[default]
    #[sea_orm(string_value = "members")]
    Members,
    /// Any logged-in user.
    #[sea_orm(string_value = "anyone")]
    Anyone,
}

/// What kind of change an entry is.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Points earned by an action under the community's rules.
    #[sea_orm(string_value = "earn")]
    Earn,
    /// Points spent on goods.
    #[sea_orm(string_value = "redeem")]
    Redeem,
    /// Points returned when a redemption is cancelled.
    #[sea_orm(string_value = "refund")]
    Refund,
    /// A staff correction, either sign.
    #[sea_orm(string_value = "adjust")]
    Adjust,
    /// Points returned when a redemption expired unclaimed.
    #[sea_orm(string_value = "expire")]
    Expire,
}

/// Where an idempotent request stands (never on the wire).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum KeyStatus {
    /// The first request holds the key and is still working.
    #[sea_orm(string_value = "running")]
    Running,
    /// The response is stored and replayed.
    #[sea_orm(string_value = "done")]
    Done,
}

/// What an uploaded picture is for; each use has its own largest size.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
    ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum MediaPurpose {
    /// A user's avatar.
    #[sea_orm(string_value = "avatar")]
    Avatar,
    /// The picture of goods in the civility supermarket.
    #[sea_orm(string_value = "goods_image")]
    GoodsImage,
}

#[cfg(test)]
mod tests {
    use sea_orm::Iterable;

    use super::*;

    /// The JSON value of every variant is its stored string.
    fn same_on_the_wire<E>()
    where
        E: ActiveEnum<Value = String> + Iterable + Serialize,
    {
        for variant in E::iter() {
            assert_eq!(
                serde_json::to_value(&variant).unwrap(),
                serde_json::Value::String(variant.to_value())
            );
        }
    }

    #[test]
    fn json_values_are_the_stored_strings() {
        same_on_the_wire::<Role>();
        same_on_the_wire::<ResidenceRelation>();
        same_on_the_wire::<ResidenceStatus>();
        same_on_the_wire::<RedemptionStatus>();
        same_on_the_wire::<Kind>();
        same_on_the_wire::<MediaPurpose>();
        same_on_the_wire::<SupermarketPolicy>();
        same_on_the_wire::<crate::volunteering::VolunteerKind>();
        same_on_the_wire::<crate::volunteering::RegistrationStatus>();
        same_on_the_wire::<crate::volunteering::CheckinEvidence>();
        same_on_the_wire::<crate::volunteering::CheckinStatus>();
    }

    #[test]
    fn an_unknown_stored_string_is_an_error() {
        assert!(RedemptionStatus::try_from_value(&"bogus".to_owned()).is_err());
        assert_eq!(
            RedemptionStatus::try_from_value(&"pending".to_owned()).unwrap(),
            RedemptionStatus::Pending
        );
    }
}
