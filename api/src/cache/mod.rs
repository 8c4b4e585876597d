//! The cache: rate limits, the WeChat access token, short-lived keys, and cached reads
//! (`generation` + `flight`: keys formed without a query, exact invalidation, one computation
//! per missing value). Redis when configured, in-process otherwise. Redis holds nothing
//! authoritative, so when it fails the cache falls back to the in-process store.

mod flight;
mod generation;
mod memory;
mod redis_store;

use std::{future::Future, time::Duration};

use serde::{de::DeserializeOwned, Serialize};

pub use generation::Generation;
pub use memory::MemoryStore;
pub use redis_store::RedisStore;

use crate::error::{ApiError, ApiResult};

/// The answer of a counter in a fixed window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowCount {
    /// Hits in the current window, this one included.
    pub count: u64,
    /// Time until the window ends.
    pub resets_in: Duration,
}

/// The cache shared by the whole server.
pub struct Cache {
    memory: MemoryStore,
    redis: Option<RedisStore>,
    flights: flight::Flights,
    pending: generation::SharedPending,
    recent: generation::Recent,
}

impl Cache {
    /// An in-process cache.
    pub fn memory() -> Self {
        Cache {
            memory: MemoryStore::default(),
            redis: None,
            flights: Default::default(),
            pending: Default::default(),
            recent: Default::default(),
        }
    }

    /// A Redis cache with an in-process fallback; waits at most about a second for Redis.
    pub async fn redis(url: &str, prefix: &str) -> anyhow::Result<Self> {
        Ok(Cache {
            memory: MemoryStore::default(),
            redis: Some(RedisStore::connect(url, prefix).await?),
            flights: Default::default(),
            pending: Default::default(),
            recent: Default::default(),
        })
    }

    /// The backend's name, for readiness reports.
    pub fn backend(&self) -> &'static str {
        if self.redis.is_some() {
            "redis"
        } else {
            "memory"
        }
    }

    /// Reads a value.
    pub async fn get(&self, key: &str) -> Option<String> {
        if let Some(redis) = &self.redis {
            if let Some(answer) = redis.get(key).await {
                return answer;
            }
        }
        self.memory.get(key)
    }

    /// Writes a value that expires after `ttl`.
    pub async fn set(&self, key: &str, value: &str, ttl: Duration) {
        if let Some(redis) = &self.redis {
            if redis.set(key, value, ttl).await.is_some() {
                return;
            }
        }
        self.memory.set(key, value, ttl);
    }

    /// Writes a value only if the key is absent; true when written.
    pub async fn set_nx(&self, key: &str, value: &str, ttl: Duration) -> bool {
        if let Some(redis) = &self.redis {
            if let Some(written) = redis.set_nx(key, value, ttl).await {
                return written;
            }
        }
        self.memory.set_nx(key, value, ttl)
    }

    /// Removes a key.
    pub async fn delete(&self, key: &str) {
        if let Some(redis) = &self.redis {
            redis.delete(key).await;
        }
        self.memory.delete(key);
    }

    /// Counts a hit in the fixed window that `key` names.
    pub async fn hit(&self, key: &str, window: Duration) -> WindowCount {
        if let Some(redis) = &self.redis {
            if let Some(count) = redis.hit(key, window).await {
                return count;
            }
        }
        self.memory.hit(key, window)
    }

    /// `read_through` for a typed value kept as JSON. A kept value that no longer reads as
    /// `T` (written by another version during a rolling deploy) is computed again and
    /// overwritten, never answered as an error.
    pub async fn read_json<T, F, Fut>(
        &self,
        generation: &Generation,
        what: &str,
        ttl: Duration,
        fill: F,
    ) -> ApiResult<T>
    where
        T: Serialize + DeserializeOwned,
        F: Fn() -> Fut,
        Fut: Future<Output = ApiResult<T>>,
    {
        let encode = |value: &T| serde_json::to_string(value).map_err(ApiError::internal);
        let text = self
            .read_through(generation, what, ttl, || async { encode(&fill().await?) })
            .await?;
        match serde_json::from_str(&text) {
            Ok(value) => Ok(value),
            Err(e) => {
                tracing::warn!(family = %generation.family, what, error = %e, "a cached value no longer reads: computing it again");
                let value = fill().await?;
                self.store(&generation.key(what), &encode(&value)?, ttl)
                    .await;
                Ok(value)
            }
        }
    }

    /// Checks that Redis answers (always fine for the in-process cache).
    pub async fn ping(&self) -> Result<(), String> {
        match &self.redis {
            Some(redis) => redis.ping().await,
            None => Ok(()),
        }
    }
}
