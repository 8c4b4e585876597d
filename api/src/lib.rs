//! linli: the REST API of a community-governance WeChat mini-program.
//!
//! Two lists: the infrastructure every domain shares, then the domains, each a folder with
//! its route table (`mod.rs`), handlers, services and DTOs (README, "Layout").

// Infrastructure: settings and startup, the HTTP edge, storage, outside services.
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
pub mod error_code;
pub mod extract;
pub mod fallback;
pub mod fields;
pub mod health;
pub mod idempotency;
pub mod media;
pub mod method_override;
pub mod middleware;
pub mod openapi;
pub mod pagination;
pub mod privacy;
pub mod startup;
pub mod state;
pub mod strict_query;
pub mod text;
pub mod time_format;
pub mod wechat;

// Domains.
pub mod activities;
pub mod counts;
pub mod identity;
pub mod points;
pub mod regions;
pub mod residents;
pub mod roles;
pub mod stations;
pub mod supermarket;
pub mod volunteers;

pub use startup::Application;
