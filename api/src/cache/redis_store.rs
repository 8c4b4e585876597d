//! The Redis store: every call answers `None` when Redis fails, so the caller
//! falls back to the in-process store; after a failure Redis rests for a moment.

use std::{
    future::Future,
    sync::{
        atomic::{AtomicBool, Ordering},
        Mutex,
    },
    time::{Duration, Instant},
};

use redis::{aio::ConnectionManager, AsyncCommands, Script};

use super::WindowCount;

const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);
const CALL_TIMEOUT: Duration = Duration::from_millis(500);
const SENTINEL: &str = "~";
const REST_AFTER_FAILURE: Duration = Duration::from_secs(2);

/// Increments a counter, starting its window on the first hit; answers the count and time left.
const HIT_SCRIPT: &str = r"
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {count, ttl}
";

/// A Redis connection with a circuit breaker.
pub struct RedisStore {
    client: redis::Client,
    prefix: String,
    conn: Mutex<Option<ConnectionManager>>,
    resting_until: Mutex<Option<Instant>>,
    down: AtomicBool,
    hit_script: Script,
}

impl RedisStore {
    /// Prepares a store; nothing connects until the first call.
    pub fn new(url: &str, prefix: &str) -> anyhow::Result<Self> {
        Ok(RedisStore {
            client: redis::Client::open(url)?,
            prefix: prefix.to_owned(),
            conn: Mutex::new(None),
            resting_until: Mutex::new(None),
            down: AtomicBool::new(false),
            hit_script: Script::new(HIT_SCRIPT),
        })
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    fn resting(&self) -> bool {
        let until = *self.resting_until.lock().unwrap_or_else(|p| p.into_inner());
        until.is_some_and(|t| Instant::now() < t)
    }

    fn failed(&self, what: &str) {
        *self.resting_until.lock().unwrap_or_else(|p| p.into_inner()) =
            Some(Instant::now() + REST_AFTER_FAILURE);
        if !self.down.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                cause = what,
                "redis unavailable: using the in-process cache until it returns"
            );
        }
    }

    fn succeeded(&self) {
        if self.down.swap(false, Ordering::Relaxed) {
            tracing::info!("redis is back");
        }
    }

    async fn connection(&self) -> Option<ConnectionManager> {
        if self.resting() {
            return None;
        }
        if let Some(conn) = self.conn.lock().unwrap_or_else(|p| p.into_inner()).clone() {
            return Some(conn);
        }
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(CONNECT_TIMEOUT)
            .set_response_timeout(CALL_TIMEOUT)
            .set_number_of_retries(1);
        let connect = ConnectionManager::new_with_config(self.client.clone(), config);
        match tokio::time::timeout(CONNECT_TIMEOUT * 2, connect).await {
            Ok(Ok(conn)) => {
                *self.conn.lock().unwrap_or_else(|p| p.into_inner()) = Some(conn.clone());
                Some(conn)
            }
            Ok(Err(_)) | Err(_) => {
                self.failed("connect");
                None
            }
        }
    }

    async fn call<T, F, Fut>(&self, f: F) -> Option<T>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let conn = self.connection().await?;
        match tokio::time::timeout(CALL_TIMEOUT, f(conn)).await {
            Ok(Ok(value)) => {
                self.succeeded();
                Some(value)
            }
            Ok(Err(_)) | Err(_) => {
                self.failed("call");
                None
            }
        }
    }

    /// Reads a value; `Some(None)` when absent, `None` when Redis failed.
    pub async fn get(&self, key: &str) -> Option<Option<String>> {
        let key = self.key(key);
        self.call(|mut c| async move { c.get(key).await }).await
    }

    /// Writes a value with a lifetime.
    pub async fn set(&self, key: &str, value: &str, ttl: Duration) -> Option<()> {
        let key = self.key(key);
        let ms = ttl.as_millis().max(1) as u64;
        self.call(|mut c| async move { c.pset_ex(key, value, ms).await })
            .await
    }

    /// Writes only if absent.
    pub async fn set_nx(&self, key: &str, value: &str, ttl: Duration) -> Option<bool> {
        let key = self.key(key);
        let ms = ttl.as_millis().max(1) as u64;
        self.call(|mut c| async move {
            let answer: Option<String> = redis::cmd("SET")
                .arg(key)
                .arg(value)
                .arg("NX")
                .arg("PX")
                .arg(ms)
                .query_async(&mut c)
                .await?;
            Ok(answer.is_some())
        })
        .await
    }

    /// Removes a key.
    pub async fn delete(&self, key: &str) -> Option<()> {
        let key = self.key(key);
        self.call(|mut c| async move { c.del(key).await }).await
    }

    /// Counts a hit in a fixed window.
    pub async fn hit(&self, key: &str, window: Duration) -> Option<WindowCount> {
        let key = self.key(key);
        let ms = window.as_millis().max(1) as u64;
        let script = &self.hit_script;
        let (count, ttl): (u64, i64) = self
            .call(|mut c| async move { script.key(key).arg(ms).invoke_async(&mut c).await })
            .await?;
        Some(WindowCount {
            count,
            resets_in: Duration::from_millis(ttl.max(0) as u64),
        })
    }

    /// The top `n` of a sorted set; `None` when missing or Redis failed.
    pub async fn ranking_top(&self, key: &str, n: usize) -> Option<Vec<(String, i64)>> {
        let key = self.key(key);
        let stop = n as isize; // one extra: the sentinel may be in the range
        let rows: Vec<(String, f64)> = self
            .call(|mut c| async move {
                redis::cmd("ZREVRANGE")
                    .arg(key)
                    .arg(0)
                    .arg(stop)
                    .arg("WITHSCORES")
                    .query_async(&mut c)
                    .await
            })
            .await?;
        if rows.is_empty() {
            return None;
        }
        Some(
            rows.into_iter()
                .filter(|(m, _)| m != SENTINEL)
                .take(n)
                .map(|(m, s)| (m, s as i64))
                .collect(),
        )
    }

    /// Replaces a sorted set atomically; a sentinel member marks an empty ranking as present.
    pub async fn ranking_store(&self, key: &str, members: &[(String, i64)], ttl: Duration) {
        let key = self.key(key);
        let ms = ttl.as_millis().max(1) as u64;
        let _: Option<()> = self
            .call(|mut c| async move {
                let mut pipe = redis::pipe();
                pipe.atomic().del(&key).ignore();
                pipe.zadd(&key, SENTINEL, -1).ignore();
                for (member, score) in members {
                    pipe.zadd(&key, member, *score).ignore();
                }
                pipe.pexpire(&key, ms as i64).ignore();
                pipe.query_async(&mut c).await
            })
            .await;
    }

    /// Checks that Redis answers now, ignoring the rest period.
    pub async fn ping(&self) -> Result<(), String> {
        *self.resting_until.lock().unwrap_or_else(|p| p.into_inner()) = None;
        match self
            .call(|mut c| async move { redis::cmd("PING").query_async::<String>(&mut c).await })
            .await
        {
            Some(_) => Ok(()),
            None => Err("redis unreachable".into()),
        }
    }
}
