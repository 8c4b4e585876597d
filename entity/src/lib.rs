//! SeaORM entities of linli: plain table mappings, no behaviour.

pub mod audit_logs;
pub mod communities;
pub mod districts;
pub mod grids;
pub mod households;
pub mod refresh_tokens;
pub mod residences;
pub mod role_assignments;
pub mod streets;
pub mod users;
