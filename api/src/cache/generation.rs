//! Generations: a token per family of cached reads ("points of community 7", "user 42",
//! "communities"), changed after every commit that changes what the family shows. Cached
//! values are keyed by the token, so a key is formed without a database query and a change
//! makes every older value unreachable at once (exact invalidation, no delete to race).
//!
//! Tokens are random, never counters: a token that expired or was lost with Redis is
//! replaced by a fresh one that no cached value can carry. With Redis the tokens are shared
//! by every instance; when Redis is configured but failing they come from this process only,
//! marked `shared: false`, and values are then neither read from nor written to any cache.
//! A change made while Redis fails is remembered and replayed once Redis answers again.

use std::{collections::HashSet, sync::Mutex, time::Duration};

use rand::Rng;

use super::Cache;

/// How long an untouched token lives; far longer than any cached value.
const TOKEN_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

/// The current token of a family.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Generation {
    /// The family's name.
    pub family: String,
    /// The token; part of every cache key of the family.
    pub token: String,
    /// Whether every instance sees this token (Redis answered, or there is no Redis and this
    /// process is the only one); values may be cached only then.
    pub shared: bool,
}

impl Generation {
    /// The cache key of one value of the family in this generation.
    pub fn key(&self, what: &str) -> String {
        format!("{}@{}:{what}", self.family, self.token)
    }
}

/// Changes that could not reach Redis, replayed when it answers again.
#[derive(Default)]
pub(super) struct Pending(Mutex<HashSet<String>>);

/// Shared with the tasks that announce changes.
pub(super) type SharedPending = std::sync::Arc<Pending>;

impl Pending {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn fresh_token() -> String {
    format!("{:016x}", rand::thread_rng().gen::<u64>())
}

/// Generations read lately, for `recent_generation`: each with when it was read and the
/// number of this process's bumps then.
#[derive(Default)]
pub struct Recent {
    bumps: std::sync::atomic::AtomicU64,
    read: std::sync::Mutex<std::collections::HashMap<String, RecentRead>>,
}

/// When a generation was read, and this process's bump count then.
type RecentRead = (std::time::Instant, u64, Generation);

impl Recent {
    fn read(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, RecentRead>> {
        self.read.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn token_key(family: &str) -> String {
    format!("gen:{family}")
}

impl Cache {
    /// The current generation of `family`, creating it when absent.
    pub async fn generation(&self, family: &str) -> Generation {
        let key = token_key(family);
        if let Some(redis) = &self.redis {
            self.replay_changes().await;
            // While a change of this process has not reached Redis (down, read-only, out of
            // memory), its tokens there are old: cache nothing here until it has.
            let announced = self.pending.lock().is_empty();
            if let Some(token) = shared_token(redis, &key).await.filter(|_| announced) {
                return Generation {
                    family: family.to_owned(),
                    token,
                    shared: true,
                };
            }
        }
        let token = match self.memory.get(&key) {
            Some(token) => token,
            None => {
                let token = fresh_token();
                if self.memory.set_nx(&key, &token, TOKEN_TTL) {
                    token
                } else {
                    self.memory.get(&key).unwrap_or(token)
                }
            }
        };
        Generation {
            family: family.to_owned(),
            token,
            shared: self.redis.is_none(),
        }
    }

    /// The generation of `family` as read at most `max_age` ago, if this process changed
    /// nothing since; else `generation`. For hot public reads (the nearest maps) that may
    /// show another instance's change up to `max_age` late: a change made here shows at once.
    pub async fn recent_generation(
        &self,
        family: &str,
        max_age: std::time::Duration,
    ) -> Generation {
        use std::sync::atomic::Ordering;
        let bumps = self.recent.bumps.load(Ordering::Acquire);
        if let Some((at, seen, generation)) = self.recent.read().get(family) {
            if *seen == bumps && at.elapsed() < max_age {
                return generation.clone();
            }
        }
        let generation = self.generation(family).await;
        if generation.shared {
            self.recent.read().insert(
                family.to_owned(),
                (std::time::Instant::now(), bumps, generation.clone()),
            );
        }
        generation
    }

    /// Marks everything `family` shows as changed; call it after the commit. The change goes
    /// to Redis in a task of its own, so it lands even if the request is dropped meanwhile.
    pub async fn bump(&self, family: &str) {
        let key = token_key(family);
        self.memory.set(&key, &fresh_token(), TOKEN_TTL);
        if let Some(redis) = self.redis.clone() {
            let pending = self.pending.clone();
            let announce = async move {
                if redis.set(&key, &fresh_token(), TOKEN_TTL).await.is_none() {
                    pending.lock().insert(key);
                }
            };
            if let Err(e) = tokio::spawn(announce).await {
                tracing::warn!(error = %e, "announcing a change to redis failed");
            }
        }
        // After the new token is in place: a generation read before this is not kept.
        self.recent
            .bumps
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    }

    /// Replays the changes that did not reach Redis, once it answers.
    async fn replay_changes(&self) {
        let Some(redis) = &self.redis else {
            return;
        };
        let keys: Vec<String> = {
            let pending = self.pending.lock();
            if pending.is_empty() {
                return;
            }
            pending.iter().cloned().collect()
        };
        for key in keys {
            if redis.set(&key, &fresh_token(), TOKEN_TTL).await.is_some() {
                self.pending.lock().remove(&key);
            } else {
                return;
            }
        }
    }
}

/// The family's token in Redis, created when absent; `None` when Redis fails.
async fn shared_token(redis: &super::RedisStore, key: &str) -> Option<String> {
    if let Some(token) = redis.get(key).await? {
        return Some(token);
    }
    let token = fresh_token();
    if redis.set_nx(key, &token, TOKEN_TTL).await? {
        return Some(token);
    }
    redis.get(key).await?
}
