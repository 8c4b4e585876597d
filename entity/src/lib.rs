//! SeaORM entities of linli: plain table mappings, no behaviour.

pub mod audit_logs;
pub mod communities;
pub mod districts;
pub mod enums;
pub mod goods;
pub mod goods_restocks;
pub mod grids;
pub mod households;
pub mod idempotency_keys;
pub mod media;
pub mod points_entries;
pub mod points_monthly;
pub mod points_rules;
pub mod points_wallets;
pub mod redemptions;
pub mod refresh_tokens;
pub mod residences;
pub mod role_assignments;
pub mod sessions;
pub mod stations;
pub mod streets;
pub mod users;
