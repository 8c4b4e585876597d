//! The `service_monthly` table: each volunteer's confirmed service per community and month
//! (Asia/Shanghai), kept in the same transaction as the confirmation of attendance.

use sea_orm::entity::prelude::*;

/// A row of `service_monthly`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "service_monthly")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The volunteer.
    pub user_id: i64,
    /// Community that ran the activities.
    pub community_id: i64,
    /// First day (Asia/Shanghai) of the month the activities started in.
    pub month: Date,
    /// Confirmed hours in hundredths of an hour.
    pub hours_centi: i64,
    /// Activities confirmed.
    pub activities: i64,
}

/// No declared relations: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
