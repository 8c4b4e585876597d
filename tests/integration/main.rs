//! Integration tests: each test starts the real server on port 0 with a fresh database
//! (SQLite by default; PostgreSQL and Redis when LINLI_TEST_DATABASE_URL and
//! LINLI_TEST_REDIS_URL are set) and talks HTTP.

mod contract;
mod errors;
mod health;
mod helpers;
mod identity;
mod points;
mod points_model;
mod rate_limits;
mod regions;
mod residents;
mod roles;
mod supermarket;
mod supermarket_concurrency;
mod supermarket_staff;
