//! The measured phases: a closed loop at full speed then an open loop at half that rate, and
//! the cold year leaderboard's rounds of one write and a burst of simultaneous reads.

use std::{sync::Arc, time::Duration};

use serde_json::json;

use crate::{
    load::{self, Outcome, Target},
    report::{Aim, Measured, Row},
    stats::CpuSnapshot,
    world::{Api, RedisKeys, User},
};

/// How long each phase runs.
#[derive(Clone, Copy, Debug)]
pub struct Window {
    /// Unmeasured seconds first.
    pub warmup: Duration,
    /// Measured seconds.
    pub measured: Duration,
    /// Closed-loop clients.
    pub clients: usize,
}

/// Every failure of the run, to print and to fail it.
#[derive(Debug, Default)]
pub struct Failures {
    /// (phase, count, first failure with its body).
    pub phases: Vec<(String, u64, String)>,
}

impl Failures {
    /// Notes the failures of `outcome`, printing the first at once.
    pub fn note(&mut self, phase: &str, outcome: &Outcome) {
        let failed = outcome.failed();
        if failed > 0 {
            let first = outcome.first_failure.clone().unwrap_or_default();
            eprintln!(
                "FAILURE {phase}: {failed} answers were not 2xx ({:?}); first: {first}",
                outcome.failures
            );
            self.phases.push((phase.to_owned(), failed, first));
        }
    }

    /// All failed requests.
    pub fn total(&self) -> u64 {
        self.phases.iter().map(|p| p.1).sum()
    }
}

/// Warm-up, `window.measured` at full speed, then as long at half the measured rate.
pub async fn steady(
    api: &Api,
    name: &str,
    targets: Vec<Target>,
    aims: Vec<Aim>,
    window: Window,
    failures: &mut Failures,
) -> anyhow::Result<Row> {
    let targets: Arc<[Target]> = targets.into();
    eprintln!("{name}: full speed, then half rate");
    let warm = load::closed(&api.http, &targets, window.clients, window.warmup).await?;
    failures.note(&format!("{name}, warm-up"), &warm);
    let before = CpuSnapshot::take();
    let full = load::closed(&api.http, &targets, window.clients, window.measured).await?;
    let cpu = before.until(&CpuSnapshot::take());
    failures.note(name, &full);
    let rate = full.rate() / 2.0;
    let count = (rate * window.measured.as_secs_f64()).ceil().max(1.0) as usize;
    let half = load::paced(&api.http, &targets, rate, count, window.clients).await?;
    failures.note(&format!("{name}, half rate"), &half);
    let row = Row {
        scenario: name.to_owned(),
        full: Measured::of(&full),
        half: Measured::of(&half),
        cpu,
        aims,
    };
    eprintln!(
        "  {:.0} req/s, p50 {:.1} ms, p99 {:.1} ms; at {:.0} req/s p99 {:.1} ms",
        row.full.rate, row.full.p50, row.full.p99, row.half.rate, row.half.p99
    );
    Ok(row)
}

/// How the year leaderboard is made cold before each round.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ColdBy {
    /// An earning-like ledger write through the API (a staff adjustment of a member of the
    /// community), then every Redis key of the run deleted: cold whatever the cache keys are.
    WriteAndFlush,
    /// Only the ledger write: cold when the server invalidates on every ledger write.
    Write,
}

/// What the cold rounds need.
pub struct Cold<'a> {
    /// The year leaderboard request.
    pub target: Target,
    /// Who writes (staff of the community, or a platform admin).
    pub staff: &'a User,
    /// The community.
    pub community_id: i64,
    /// A member of the community whose points the writes move.
    pub member_id: i64,
    /// Simultaneous requests per round.
    pub burst: usize,
    /// Measured rounds (two more warm up).
    pub rounds: usize,
    /// How to make it cold.
    pub by: ColdBy,
    /// The run's Redis keys.
    pub redis: &'a mut RedisKeys,
    /// The server's cache, whose count of computations proves each round cold and computed
    /// once.
    pub cache: &'a api::cache::Cache,
}

impl Cold<'_> {
    async fn make_cold(&mut self, api: &Api) -> anyhow::Result<()> {
        let path = format!(
            "/api/v1/communities/{}/points/adjustments",
            self.community_id
        );
        let body = json!({ "user_id": self.member_id, "delta": 1, "reason": "压测冷榜" });
        api.post(&path, Some(&self.staff.token), body).await?;
        if self.by == ColdBy::WriteAndFlush {
            self.redis.flush().await?;
        }
        Ok(())
    }

    /// Rounds of a write and `burst` simultaneous GETs; then rounds of a write and `burst`
    /// GETs arriving at half the measured rate.
    pub async fn run(
        &mut self,
        api: &Api,
        name: &str,
        aims: Vec<Aim>,
        failures: &mut Failures,
    ) -> anyhow::Result<Row> {
        eprintln!(
            "{name}: {} rounds of {} simultaneous requests, then at half rate",
            self.rounds, self.burst
        );
        for _ in 0..2 {
            self.make_cold(api).await?;
            let warm = load::burst(&api.http, &self.target, self.burst).await?;
            failures.note(&format!("{name}, warm-up"), &warm);
        }
        let mut full = Outcome::default();
        let mut cpu_seconds = Vec::new();
        for round in 0..self.rounds {
            self.make_cold(api).await?;
            let fills = self.cache.fills();
            let before = CpuSnapshot::take();
            full.merge(load::burst(&api.http, &self.target, self.burst).await?);
            cpu_seconds.push(before.until(&CpuSnapshot::take()));
            let computed = self.cache.fills() - fills;
            anyhow::ensure!(
                computed == 1,
                "cold round {round}: {} simultaneous requests computed the ranking {computed} times",
                self.burst
            );
        }
        eprintln!("  every cold round computed the ranking once");
        failures.note(name, &full);
        let rate = full.rate() / 2.0;
        let targets: Arc<[Target]> = vec![self.target.clone()].into();
        let mut half = Outcome::default();
        for _ in 0..self.rounds {
            self.make_cold(api).await?;
            half.merge(load::paced(&api.http, &targets, rate, self.burst, self.burst).await?);
        }
        failures.note(&format!("{name}, half rate"), &half);
        let row = Row {
            scenario: name.to_owned(),
            full: Measured::of(&full),
            half: Measured::of(&half),
            cpu: sum_cpu(&cpu_seconds),
            aims,
        };
        eprintln!(
            "  {:.0} req/s over the rounds, p50 {:.1} ms, p99 {:.1} ms; at {:.0} req/s p99 {:.1} ms",
            row.full.rate, row.full.p50, row.full.p99, row.half.rate, row.half.p99
        );
        Ok(row)
    }
}

/// CPU seconds added over the rounds; busy and steal averaged.
fn sum_cpu(parts: &[crate::stats::CpuUse]) -> crate::stats::CpuUse {
    let mut sum = crate::stats::CpuUse::default();
    for p in parts {
        sum.server += p.server;
        sum.client += p.client;
        sum.postgres += p.postgres;
        sum.other += p.other;
        sum.busy += p.busy / parts.len() as f64;
        sum.steal += p.steal / parts.len() as f64;
    }
    sum
}
