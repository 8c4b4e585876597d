//! A small cache for rate limits, the WeChat access token and short-lived keys:
//! Redis when configured, in-process otherwise. Redis holds nothing authoritative,
//! so when it fails the cache falls back to the in-process store.

mod memory;
mod redis_store;

use std::time::Duration;

pub use memory::MemoryStore;
pub use redis_store::RedisStore;

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
}

impl Cache {
    /// An in-process cache.
    pub fn memory() -> Self {
        Cache {
            memory: MemoryStore::default(),
            redis: None,
        }
    }

    /// A Redis cache with an in-process fallback; waits at most about a second for Redis.
    pub async fn redis(url: &str, prefix: &str) -> anyhow::Result<Self> {
        Ok(Cache {
            memory: MemoryStore::default(),
            redis: Some(RedisStore::connect(url, prefix).await?),
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

    /// The top `n` members of a ranking with their scores, best first; `None` when the key is
    /// missing, Redis fails or there is no Redis (rankings are only kept in Redis).
    pub async fn ranking_top(&self, key: &str, n: usize) -> Option<Vec<(String, i64)>> {
        self.redis.as_ref()?.ranking_top(key, n).await
    }

    /// Stores a whole ranking (Redis only).
    pub async fn ranking_store(&self, key: &str, members: &[(String, i64)], ttl: Duration) {
        if let Some(redis) = &self.redis {
            redis.ranking_store(key, members, ttl).await;
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
