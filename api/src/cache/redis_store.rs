//! The Redis store: every call answers `None` when Redis fails, so the caller falls back to
//! the in-process store.
//!
//! A circuit breaker keeps an outage from stalling requests: while Redis is down no request
//! touches the network (every call answers `None` at once), and one background task, never
//! more, reconnects with growing pauses. Readiness checks only look at the breaker.

use std::{
    future::Future,
    sync::{Arc, Mutex, Weak},
    time::Duration,
};

use rand::Rng;
use redis::{aio::MultiplexedConnection, AsyncCommands, AsyncConnectionConfig, Script};

use super::WindowCount;

const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);
const CALL_TIMEOUT: Duration = Duration::from_millis(500);
/// The pause before the first reconnect; it doubles after each failed attempt.
const FIRST_RETRY: Duration = Duration::from_millis(500);
/// The longest pause between reconnects.
const MAX_RETRY: Duration = Duration::from_secs(10);

/// Increments a counter, starting its window on the first hit; answers the count and time left.
const HIT_SCRIPT: &str = r"
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {count, ttl}
";

/// A Redis connection behind a circuit breaker (clones share it).
#[derive(Clone)]
pub struct RedisStore {
    shared: Arc<Shared>,
    prefix: String,
    hit_script: Script,
}

struct Shared {
    client: redis::Client,
    breaker: Mutex<Breaker>,
}

/// Closed when `conn` is set; open otherwise, with at most one reconnect task running.
#[derive(Default)]
struct Breaker {
    conn: Option<(u64, MultiplexedConnection)>,
    generation: u64,
    reconnecting: bool,
}

impl Shared {
    fn breaker(&self) -> std::sync::MutexGuard<'_, Breaker> {
        // Every update leaves the breaker consistent, so a poisoned lock is still usable.
        self.breaker.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The live connection, if the breaker is closed.
    fn current(&self) -> Option<(u64, MultiplexedConnection)> {
        self.breaker().conn.clone()
    }

    /// Opens the breaker after a failure on connection `generation` (a late failure of an
    /// older connection leaves a newer one alone) and makes sure a reconnect task runs.
    fn failed(self: &Arc<Self>, generation: u64, what: &str) {
        let mut breaker = self.breaker();
        if breaker.conn.as_ref().is_some_and(|(g, _)| *g == generation) {
            breaker.conn = None;
            tracing::warn!(
                cause = what,
                "redis unavailable: using the in-process cache until it returns"
            );
        }
        if breaker.conn.is_none() && !breaker.reconnecting {
            breaker.reconnecting = true;
            tokio::spawn(reconnect(Arc::downgrade(self)));
        }
    }

    async fn connect(&self) -> Option<MultiplexedConnection> {
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(CALL_TIMEOUT));
        let attempt = async {
            let mut conn = self
                .client
                .get_multiplexed_async_connection_with_config(&config)
                .await?;
            redis::cmd("PING").query_async::<String>(&mut conn).await?;
            redis::RedisResult::Ok(conn)
        };
        tokio::time::timeout(CONNECT_TIMEOUT * 2, attempt)
            .await
            .ok()?
            .ok()
    }

    /// Closes the breaker with a new connection.
    fn connected(&self, conn: MultiplexedConnection) {
        let mut breaker = self.breaker();
        breaker.generation += 1;
        breaker.conn = Some((breaker.generation, conn));
        breaker.reconnecting = false;
    }
}

/// The one reconnect task: waits, tries once, and doubles the wait until Redis answers.
/// It holds the store only while trying, so a dropped store ends it.
async fn reconnect(shared: Weak<Shared>) {
    let mut pause = FIRST_RETRY;
    loop {
        let jitter = rand::thread_rng().gen_range(0..=pause.as_millis() as u64 / 4);
        tokio::time::sleep(pause + Duration::from_millis(jitter)).await;
        let Some(shared) = shared.upgrade() else {
            return;
        };
        if let Some(conn) = shared.connect().await {
            shared.connected(conn);
            tracing::info!("redis is back");
            return;
        }
        pause = (pause * 2).min(MAX_RETRY);
    }
}

impl RedisStore {
    /// Connects once (briefly); when Redis does not answer, the store starts open and
    /// reconnects in the background.
    pub async fn connect(url: &str, prefix: &str) -> anyhow::Result<Self> {
        let shared = Arc::new(Shared {
            client: redis::Client::open(url)?,
            breaker: Mutex::default(),
        });
        match shared.connect().await {
            Some(conn) => shared.connected(conn),
            None => shared.failed(0, "connect"),
        }
        Ok(RedisStore {
            shared,
            prefix: prefix.to_owned(),
            hit_script: Script::new(HIT_SCRIPT),
        })
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    /// Runs one call on the live connection; `None` at once while the breaker is open.
    async fn call<T, F, Fut>(&self, f: F) -> Option<T>
    where
        F: FnOnce(MultiplexedConnection) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let (generation, conn) = self.shared.current()?;
        match tokio::time::timeout(CALL_TIMEOUT, f(conn)).await {
            Ok(Ok(value)) => Some(value),
            Ok(Err(e)) if !(e.is_io_error() || e.is_connection_dropped() || e.is_timeout()) => {
                // Redis answered (e.g. a script error): the connection is fine.
                tracing::warn!(error = %e, "redis call failed");
                None
            }
            Ok(Err(_)) | Err(_) => {
                self.shared.failed(generation, "call");
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

    /// Checks that Redis answers; while the breaker is open it answers at once, without
    /// touching the network or the reconnect schedule.
    pub async fn ping(&self) -> Result<(), String> {
        if self.shared.current().is_none() {
            return Err("redis unreachable (reconnecting in the background)".into());
        }
        match self
            .call(|mut c| async move { redis::cmd("PING").query_async::<String>(&mut c).await })
            .await
        {
            Some(_) => Ok(()),
            None => Err("redis unreachable".into()),
        }
    }
}
