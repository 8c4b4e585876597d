//! `AppState`: everything a handler needs, shared once.

use std::sync::Arc;

use crate::{
    auth::{callers::CallerCache, jwt::Tokens},
    cache::Cache,
    clock::Clock,
    config::Settings,
    db::Db,
    media::MediaStore,
    regions::service::{community_map::Communities, near_index::NearIndex},
    stations::near::Stations,
    supermarket::gate::Counter,
    volunteers::code::CheckinCodes,
    wechat::Wechat,
};

/// Shared state of one server.
pub struct AppState {
    /// Database pool.
    pub db: Db,
    /// Cache and rate-limit store.
    pub cache: Cache,
    /// Callers loaded in the last few seconds.
    pub callers: CallerCache,
    /// The public map of communities, for nearest-first lookups.
    pub near: NearIndex<Communities>,
    /// Courier stations, for nearest-first lookups.
    pub stations: NearIndex<Stations>,
    /// WeChat client.
    pub wechat: Wechat,
    /// The clock (tests move it).
    pub clock: Arc<Clock>,
    /// Access-token keys and token lifetimes.
    pub tokens: Tokens,
    /// Settings.
    pub settings: Settings,
    /// Uploaded pictures.
    pub media: MediaStore,
    /// The supermarket's counter: queues per goods item and the pickup deadline.
    pub supermarket: Counter,
    /// The rotating on-site check-in codes.
    pub checkin_codes: CheckinCodes,
}
