//! The in-process store: a map with expiry.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use super::WindowCount;

/// Values with deadlines, purged as the map grows.
#[derive(Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<String, (String, Instant)>,
    writes_since_purge: usize,
}

impl Inner {
    fn live(&mut self, key: &str, now: Instant) -> Option<&mut (String, Instant)> {
        match self.entries.get(key) {
            Some((_, deadline)) if *deadline <= now => {
                self.entries.remove(key);
                None
            }
            _ => self.entries.get_mut(key),
        }
    }

    fn insert(&mut self, key: &str, value: String, deadline: Instant, now: Instant) {
        self.writes_since_purge += 1;
        if self.writes_since_purge > 1024 && self.writes_since_purge > self.entries.len() {
            self.entries.retain(|_, (_, d)| *d > now);
            self.writes_since_purge = 0;
        }
        self.entries.insert(key.to_owned(), (value, deadline));
    }
}

impl MemoryStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding this lock cannot leave the map inconsistent.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Reads a live value.
    pub fn get(&self, key: &str) -> Option<String> {
        self.lock()
            .live(key, Instant::now())
            .map(|(v, _)| v.clone())
    }

    /// Writes a value with a lifetime.
    pub fn set(&self, key: &str, value: &str, ttl: Duration) {
        let now = Instant::now();
        self.lock().insert(key, value.to_owned(), now + ttl, now);
    }

    /// Writes only if absent.
    pub fn set_nx(&self, key: &str, value: &str, ttl: Duration) -> bool {
        let now = Instant::now();
        let mut inner = self.lock();
        if inner.live(key, now).is_some() {
            return false;
        }
        inner.insert(key, value.to_owned(), now + ttl, now);
        true
    }

    /// Removes a key.
    pub fn delete(&self, key: &str) {
        self.lock().entries.remove(key);
    }

    /// Counts a hit in a fixed window.
    pub fn hit(&self, key: &str, window: Duration) -> WindowCount {
        let now = Instant::now();
        let mut inner = self.lock();
        if let Some((value, deadline)) = inner.live(key, now) {
            let count = value.parse::<u64>().unwrap_or(0) + 1;
            *value = count.to_string();
            return WindowCount {
                count,
                resets_in: *deadline - now,
            };
        }
        inner.insert(key, "1".into(), now + window, now);
        WindowCount {
            count: 1,
            resets_in: window,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_counts_hits_until_it_expires() {
        let store = MemoryStore::default();
        let window = Duration::from_millis(50);
        assert_eq!(store.hit("k", window).count, 1);
        assert_eq!(store.hit("k", window).count, 2);
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(store.hit("k", window).count, 1);
    }

    #[test]
    fn set_nx_writes_once_while_the_key_lives() {
        let store = MemoryStore::default();
        assert!(store.set_nx("lock", "a", Duration::from_secs(5)));
        assert!(!store.set_nx("lock", "b", Duration::from_secs(5)));
        assert_eq!(store.get("lock").as_deref(), Some("a"));
        store.delete("lock");
        assert!(store.get("lock").is_none());
    }
}
