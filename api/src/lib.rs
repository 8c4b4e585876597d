//! linli: the REST API of a community-governance WeChat mini-program.

pub mod audit;
pub mod auth;
pub mod batch;
pub mod cache;
pub mod cli;
pub mod client_addr;
pub mod clock;
pub mod config;
pub mod db;
pub mod demo;
pub mod error;
pub mod extract;
pub mod fallback;
pub mod health;
pub mod idempotency;
pub mod identity;
pub mod middleware;
pub mod openapi;
pub mod pagination;
pub mod points;
pub mod privacy;
pub mod regions;
pub mod residents;
pub mod roles;
pub mod startup;
pub mod state;
pub mod supermarket;
pub mod text;
pub mod wechat;

pub use startup::Application;
