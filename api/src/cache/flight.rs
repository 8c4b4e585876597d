//! Read-through with single flight: a value missing from the cache is computed once, however
//! many requests ask for it at the same moment, in this process (one computation per key,
//! the others wait for its answer) and across instances (a short lock in Redis; the others
//! poll Redis for the value while the lock holder computes it).
//!
//! Values live under their family's generation (see `generation`), in this process's memory
//! and in Redis. A value keyed by a token is never stale, so the in-process copy needs no
//! invalidation: only the token is asked of Redis on every read.

use std::{
    collections::HashMap,
    future::Future,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use tokio::sync::OnceCell;

use super::{generation::Generation, Cache};
use crate::error::ApiResult;

/// How long a computation may hold the cross-instance lock.
const LOCK_TTL: Duration = Duration::from_secs(2);
/// How long an instance waits for another's computation before computing itself.
const LOCK_WAIT: Duration = Duration::from_millis(1500);
/// How often a waiting instance looks for the value.
const POLL: Duration = Duration::from_millis(10);

/// Forgets a flight when its request ends, however it ends.
struct Leave<'a> {
    flights: &'a Flights,
    key: &'a str,
    flight: &'a Arc<OnceCell<String>>,
}

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        self.flights.leave(self.key, self.flight);
    }
}

/// The computations under way in this process, by key, and how many have run.
#[derive(Default)]
pub(super) struct Flights {
    running: Mutex<HashMap<String, Arc<OnceCell<String>>>>,
    fills: AtomicU64,
}

impl Flights {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<OnceCell<String>>>> {
        self.running.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The computation of `key`, joined or started.
    fn join(&self, key: &str) -> Arc<OnceCell<String>> {
        self.lock().entry(key.to_owned()).or_default().clone()
    }

    /// Forgets a finished (or abandoned) computation once; later arrivals find the value in
    /// the cache.
    fn leave(&self, key: &str, flight: &Arc<OnceCell<String>>) {
        let mut flights = self.lock();
        if flights.get(key).is_some_and(|f| Arc::ptr_eq(f, flight)) {
            flights.remove(key);
        }
    }
}

impl Cache {
    /// The value `what` of a generation: from memory, else Redis, else `fill` (JSON text or
    /// any string), computed once across concurrent callers and kept for `ttl`. When the
    /// generation is not shared (Redis failing) nothing is read from or written to a cache,
    /// but concurrent callers of this process still share one computation.
    pub async fn read_through<F, Fut>(
        &self,
        generation: &Generation,
        what: &str,
        ttl: Duration,
        fill: F,
    ) -> ApiResult<String>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = ApiResult<String>>,
    {
        let key = generation.key(what);
        if generation.shared {
            if let Some(value) = self.cached(&key, ttl).await {
                return Ok(value);
            }
        }
        let flight = self.flights.join(&key);
        // Forgets the flight even when this request is dropped mid-way.
        let _leave = Leave {
            flights: &self.flights,
            key: &key,
            flight: &flight,
        };
        flight
            .get_or_try_init(|| async {
                if !generation.shared {
                    self.flights.fills.fetch_add(1, Ordering::Relaxed);
                    return fill().await;
                }
                // A flight that finished between our miss above and joining this one has
                // left its value: take it rather than compute again.
                if let Some(value) = self.cached(&key, ttl).await {
                    return Ok(value);
                }
                let lock = format!("lock:{key}");
                let held = self.set_nx(&lock, "1", LOCK_TTL).await;
                if !held {
                    if let Some(value) = self.wait_for(&key, ttl).await {
                        return Ok(value);
                    }
                }
                self.flights.fills.fetch_add(1, Ordering::Relaxed);
                let value = fill().await;
                if let Ok(value) = &value {
                    self.store(&key, value, ttl).await;
                }
                if held {
                    // Failed or not, the others need not wait any longer.
                    self.delete(&lock).await;
                }
                value
            })
            .await
            .cloned()
    }

    /// Keeps a value of a generation in memory and in Redis (overwriting).
    pub(super) async fn store(&self, key: &str, value: &str, ttl: Duration) {
        self.memory.set(key, value, ttl);
        if let Some(redis) = &self.redis {
            redis.set(key, value, ttl).await;
        }
    }

    /// A cached value: this process's copy, else Redis's (then copied here).
    async fn cached(&self, key: &str, ttl: Duration) -> Option<String> {
        if let Some(value) = self.memory.get(key) {
            return Some(value);
        }
        let value = self.redis.as_ref()?.get(key).await??;
        self.memory.set(key, &value, ttl);
        Some(value)
    }

    /// Waits for another instance's computation of `key`; `None` if it does not come in time.
    async fn wait_for(&self, key: &str, ttl: Duration) -> Option<String> {
        let deadline = Instant::now() + LOCK_WAIT;
        while Instant::now() < deadline {
            tokio::time::sleep(POLL).await;
            if let Some(value) = self.cached(key, ttl).await {
                return Some(value);
            }
        }
        None
    }

    /// How many values this process has computed (`fill` calls) since it started.
    pub fn fills(&self) -> u64 {
        self.flights.fills.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;

    #[tokio::test]
    async fn sixty_four_callers_of_a_missing_value_share_one_computation() {
        let cache = Arc::new(Cache::memory());
        let computed = Arc::new(AtomicUsize::new(0));
        let generation = cache.generation("test").await;
        let calls = (0..64).map(|_| {
            let (cache, computed, generation) =
                (cache.clone(), computed.clone(), generation.clone());
            tokio::spawn(async move {
                cache
                    .read_through(&generation, "v", Duration::from_secs(60), || async {
                        computed.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        Ok("answer".to_owned())
                    })
                    .await
            })
        });
        for call in futures_util::future::join_all(calls).await {
            assert_eq!(call.unwrap().unwrap(), "answer");
        }
        assert_eq!(computed.load(Ordering::SeqCst), 1);
        assert_eq!(cache.fills(), 1);
        assert!(
            cache.flights.lock().is_empty(),
            "finished flights are forgotten"
        );
    }

    #[tokio::test]
    async fn a_bump_makes_the_next_read_compute_again_and_a_failure_is_not_kept() {
        let cache = Cache::memory();
        let read = |answer: &'static str| {
            let cache = &cache;
            async move {
                let generation = cache.generation("family").await;
                cache
                    .read_through(&generation, "v", Duration::from_secs(60), || async {
                        Ok(answer.to_owned())
                    })
                    .await
                    .unwrap()
            }
        };
        assert_eq!(read("first").await, "first");
        assert_eq!(read("second").await, "first", "kept while nothing changed");
        cache.bump("family").await;
        assert_eq!(read("third").await, "third", "a change is visible at once");
        let generation = cache.generation("family").await;
        let failed = cache
            .read_through(&generation, "w", Duration::from_secs(60), || async {
                Err(crate::error::ApiError::not_found("thing"))
            })
            .await;
        assert!(failed.is_err());
        let next = cache
            .read_through(&generation, "w", Duration::from_secs(60), || async {
                Ok("found".to_owned())
            })
            .await;
        assert_eq!(next.unwrap(), "found");
    }

    #[tokio::test]
    async fn a_failed_computation_releases_its_lock_at_once() {
        let cache = Cache::memory();
        let generation = cache.generation("f").await;
        let ttl = Duration::from_secs(60);
        let failed = cache
            .read_through(&generation, "v", ttl, || async {
                Err(crate::error::ApiError::not_found("thing"))
            })
            .await;
        assert!(failed.is_err());
        let started = std::time::Instant::now();
        let next = cache
            .read_through(&generation, "v", ttl, || async { Ok("ok".to_owned()) })
            .await;
        assert_eq!(next.unwrap(), "ok");
        assert!(
            started.elapsed() < LOCK_WAIT / 3,
            "the next caller waited {:?} for a lock nobody held",
            started.elapsed()
        );
    }

    #[tokio::test]
    async fn a_kept_value_that_no_longer_decodes_is_computed_again() {
        let cache = Cache::memory();
        let generation = cache.generation("f").await;
        let ttl = Duration::from_secs(60);
        cache
            .store(&generation.key("n"), "{\"old\": true}", ttl)
            .await;
        let value: u32 = cache
            .read_json(&generation, "n", ttl, || async { Ok(7) })
            .await
            .unwrap();
        assert_eq!(value, 7);
        let again: u32 = cache
            .read_json(&generation, "n", ttl, || async { Ok(8) })
            .await
            .unwrap();
        assert_eq!(again, 7, "the recomputed value was kept");
    }
}
