//! Integration tests: each test starts the real server on port 0 with a fresh database
//! (SQLite by default; PostgreSQL and Redis when LINLI_TEST_DATABASE_URL and
//! LINLI_TEST_REDIS_URL are set) and talks HTTP.

mod helpers;
mod identity;
mod errors;
mod health;
mod rate_limits;
mod roles;
mod residents;
mod regions;
mod points;
mod supermarket;
mod supermarket_concurrency;
mod points_model;
