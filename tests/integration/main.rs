//! Integration tests: each test starts the real server on port 0 with a fresh database
//! (SQLite by default; PostgreSQL and Redis when LINLI_TEST_DATABASE_URL and
//! LINLI_TEST_REDIS_URL are set) and talks HTTP.

mod cache_outage;
mod contract;
mod error_codes;
mod errors;
mod health;
mod helpers;
mod identity_login;
mod identity_profile;
mod identity_tokens;
mod input_hardening;
mod method_override;
mod points;
mod points_ledger;
mod points_model;
mod points_rules;
mod query_strictness;
mod rate_limits;
mod regions;
mod regions_access;
mod regions_conflicts;
mod regions_geo;
mod regions_input;
mod regions_map;
mod regions_workers;
mod residents;
mod residents_applications;
mod residents_review;
mod roles;
mod sessions;
mod sessions_grace;
mod staff_powers;
mod supermarket;
mod supermarket_concurrency;
mod supermarket_expiry;
mod supermarket_goods;
mod supermarket_redemptions;
mod supermarket_staff;
mod supermarket_verification;
mod validation_all_fields;
mod wire_format;
