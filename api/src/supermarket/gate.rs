//! A queue in front of each goods row: at most a few redemption transactions of one item run
//! at once in this process; the rest wait here, holding no database connection.
//!
//! A popular item (rice on distribution day) otherwise has every pooled connection waiting
//! on its row lock in PostgreSQL, where each commit wakes waiters that find the row taken
//! again, and every foreign-key lock on the row adds to a shared lock list. Waiting in
//! process is cheaper and fair (FIFO). The database still decides: the stock update is
//! conditional, so several server instances stay exact, each with its own queue.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Redemption transactions of one goods item that may run at once in this process.
pub const PER_GOODS: usize = 4;

/// The queues, one per goods item with requests in flight: the item's semaphore and how many
/// requests run or wait on it.
#[derive(Debug, Default)]
pub struct GoodsGate {
    queues: Mutex<HashMap<i64, (Arc<Semaphore>, usize)>>,
}

/// A request's place in one item's queue; leaving (also by being cancelled while waiting)
/// forgets the queue once nobody runs or waits on it.
struct Ticket<'a> {
    gate: &'a GoodsGate,
    goods_id: i64,
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        let mut queues = self.gate.lock();
        if let Some((_, users)) = queues.get_mut(&self.goods_id) {
            *users -= 1;
            if *users == 0 {
                queues.remove(&self.goods_id);
            }
        }
    }
}

/// The supermarket's counter: where redemptions queue per goods item, and how long the
/// pickup codes it hands out stay valid.
#[derive(Debug)]
pub struct Counter {
    /// The queues per goods item.
    pub gate: GoodsGate,
    /// How long a pickup code stays valid.
    pub pickup_ttl: chrono::Duration,
}

impl Counter {
    /// A counter whose codes stay valid for `pickup_ttl`.
    pub fn new(pickup_ttl: std::time::Duration) -> anyhow::Result<Self> {
        Ok(Counter {
            gate: GoodsGate::default(),
            pickup_ttl: chrono::Duration::from_std(pickup_ttl)?,
        })
    }
}

/// A place in the running group of one goods item; dropping it lets the next one in.
pub struct Pass<'a> {
    // Fields drop in order: the permit before the ticket.
    _permit: Option<OwnedSemaphorePermit>,
    _ticket: Ticket<'a>,
}

impl GoodsGate {
    /// Waits for a place among the running transactions of `goods_id`.
    pub async fn enter(&self, goods_id: i64) -> Pass<'_> {
        let queue = {
            let mut queues = self.lock();
            let (queue, users) = queues
                .entry(goods_id)
                .or_insert_with(|| (Arc::new(Semaphore::new(PER_GOODS)), 0));
            *users += 1;
            queue.clone()
        };
        let ticket = Ticket {
            gate: self,
            goods_id,
        };
        // The semaphore is never closed, so acquiring cannot fail.
        let permit = queue.acquire_owned().await.ok();
        Pass {
            _permit: permit,
            _ticket: ticket,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, (Arc<Semaphore>, usize)>> {
        // The map holds no invariant a panic could break.
        self.queues.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_fifth_transaction_waits_and_idle_queues_are_forgotten() {
        let gate = GoodsGate::default();
        let mut passes = Vec::new();
        for _ in 0..PER_GOODS {
            passes.push(gate.enter(7).await);
        }
        let other = gate.enter(8).await;
        let waiting = tokio::time::timeout(std::time::Duration::from_millis(50), gate.enter(7));
        assert!(waiting.await.is_err(), "the fifth waits");
        assert_eq!(gate.lock().len(), 2, "a cancelled wait leaves no trace");
        drop(passes.pop());
        let fifth = tokio::time::timeout(std::time::Duration::from_secs(1), gate.enter(7))
            .await
            .expect("a place freed");
        drop(fifth);
        drop(passes);
        drop(other);
        assert!(gate.lock().is_empty());
    }
}
