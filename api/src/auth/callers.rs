//! A per-process cache of callers, for a few seconds, keyed by the token's session and version
//! and by the user's cache generation (`family`). Whatever changes who a caller is (their
//! user row, roles, sessions, token version, and their points, which their summary shows)
//! calls `changed` after its commit; the next request of that user on any instance reads a
//! new generation from Redis and loads the caller again. A change that cannot reach Redis is
//! replayed when it answers, and while it fails nothing is served from this cache.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use sea_orm::ConnectionTrait;

use super::{extractor::load_caller, jwt::TokenClaims, Caller};
use crate::{
    cache::{Cache, Generation},
    error::ApiResult,
};

/// The cache family of everything about one user: their caller and their points summary.
pub fn family(user_id: i64) -> String {
    format!("user:{user_id}")
}

/// Marks a user as changed; call it after the commit.
pub async fn changed(cache: &Cache, user_id: i64) {
    cache.bump(&family(user_id)).await;
}

/// One cached caller: the session and token version it was loaded for, and the generation.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Key {
    session_id: i64,
    version: i32,
    token: String,
}

/// Callers loaded in the last `ttl`.
pub struct CallerCache {
    ttl: Duration,
    entries: Mutex<HashMap<Key, (Caller, Instant)>>,
}

impl CallerCache {
    /// A cache keeping callers for `ttl`; zero turns it off.
    pub fn new(ttl: Duration) -> Self {
        CallerCache {
            ttl,
            entries: Mutex::default(),
        }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<Key, (Caller, Instant)>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The caller of a checked token: cached when the user has not changed since, else loaded
    /// (`load_caller`: a bumped token version, a disabled account or an ended session answer
    /// 401). The caller carries the user's generation for the reads that key on it.
    pub async fn load<C: ConnectionTrait>(
        &self,
        db: &C,
        cache: &Cache,
        token: TokenClaims,
    ) -> ApiResult<Caller> {
        if self.ttl.is_zero() {
            return load_caller(db, token).await;
        }
        let generation = cache.generation(&family(token.user_id)).await;
        if !generation.shared {
            return load_caller(db, token).await;
        }
        let key = Key {
            session_id: token.session_id,
            version: token.version,
            token: generation.token.clone(),
        };
        let now = Instant::now();
        if let Some((caller, deadline)) = self.entries().get(&key) {
            if *deadline > now && caller.id() == token.user_id {
                return Ok(caller.clone());
            }
        }
        let mut caller = load_caller(db, token).await?;
        caller.generation = Some(generation);
        let mut entries = self.entries();
        if entries.len() >= 4096 {
            entries.retain(|_, (_, deadline)| *deadline > now);
        }
        entries.insert(key, (caller.clone(), now + self.ttl));
        Ok(caller)
    }
}

/// The user's generation: the one the caller was loaded under, or the current one.
pub async fn generation(cache: &Cache, caller: &Caller) -> Generation {
    match &caller.generation {
        Some(generation) => generation.clone(),
        None => cache.generation(&family(caller.id())).await,
    }
}
