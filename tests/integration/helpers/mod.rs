//! The test harness: a real server per test, a fresh database, HTTP helpers.
//!
//! `harness` starts the server on a fresh database and speaks HTTP to it; `fixtures` builds
//! what the tests need through the API (admins, logins, places, a market, points, goods);
//! `invariants` checks that the ledger and the shelf add up after a test (and, through
//! `aggregate_invariants`, that the maintained aggregates equal the entries); `pictures` makes
//! pictures and multipart bodies, uploads them and reads what the server stored; `http` is
//! the only client, and `error_contract` checks each error it receives against the document.

#![allow(dead_code)]

mod aggregate_invariants;
mod error_contract;
mod fixtures;
mod harness;
mod http;
mod invariants;
pub mod logs;
mod pictures;

pub use fixtures::{Market, User};
// No test names the type yet; it stays where it always was for the first that does.
pub use error_contract::{documented_codes, violation};
#[allow(unused_imports)]
pub use fixtures::Street;
pub use harness::{on_postgres, redis_url, TestApp};

pub use aggregate_invariants::{assert_aggregate_invariants, assert_service_invariants};
pub use invariants::assert_ledger_invariants;
pub use pictures::*;

/// How many migrations `Migrator::down` undoes to undo `name` (it and every later one).
pub fn migrations_from(name: &str) -> u32 {
    use migration::MigratorTrait;
    let names: Vec<String> = migration::Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    let at = names
        .iter()
        .position(|n| n == name)
        .unwrap_or_else(|| panic!("no migration {name}"));
    u32::try_from(names.len() - at).unwrap()
}
