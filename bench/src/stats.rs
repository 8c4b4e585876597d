//! Latency percentiles and CPU accounting from `/proc`.

use std::{collections::HashMap, fs};

/// Latencies of one phase in microseconds, sorted.
#[derive(Clone, Debug, Default)]
pub struct Latencies(Vec<u32>);

impl Latencies {
    /// Sorts the samples.
    pub fn new(mut samples: Vec<u32>) -> Self {
        samples.sort_unstable();
        Latencies(samples)
    }

    /// The `q` quantile (0..=1) in milliseconds, nearest rank; 0 when empty.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.0.is_empty() {
            return 0.0;
        }
        let rank = (q * self.0.len() as f64).ceil() as usize;
        let index = rank.clamp(1, self.0.len()) - 1;
        f64::from(self.0[index]) / 1000.0
    }
}

/// Clock ticks per second of `/proc` times (USER_HZ, 100 on Linux x86-64 and arm64).
const TICKS_PER_SECOND: f64 = 100.0;

/// CPU time used so far, in clock ticks, by who used it.
#[derive(Clone, Debug, Default)]
pub struct CpuSnapshot {
    /// Busy, stolen (by the hypervisor) and total ticks of the whole machine.
    machine: (u64, u64, u64),
    /// This process's threads by role: `server` (actix workers), `client` (the rest).
    threads: HashMap<&'static str, u64>,
    /// Every `postgres` process, including backends already reaped (the postmaster's
    /// children times).
    postgres: u64,
    /// Children of this process that were waited for (pgbench).
    children: u64,
}

/// CPU used during a phase, in seconds.
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuUse {
    /// Share of the machine's CPU time that was busy, 0..=1.
    pub busy: f64,
    /// Share of the machine's CPU time the hypervisor gave to others (steal), 0..=1.
    pub steal: f64,
    /// The in-process linli server (actix worker threads).
    pub server: f64,
    /// The load generator: this process's other threads, plus pgbench.
    pub client: f64,
    /// All PostgreSQL processes.
    pub postgres: f64,
    /// Everything else on the machine (other processes, interrupts): interference.
    pub other: f64,
}

impl CpuSnapshot {
    /// Reads the counters now. Missing `/proc` entries count as zero.
    pub fn take() -> Self {
        let mut snapshot = CpuSnapshot {
            machine: machine_ticks(),
            ..Default::default()
        };
        if let Ok(tasks) = fs::read_dir("/proc/self/task") {
            for task in tasks.flatten() {
                let Some((comm, fields)) = read_stat(&task.path().join("stat")) else {
                    continue;
                };
                let role = if comm.starts_with("actix") {
                    "server"
                } else {
                    "client"
                };
                *snapshot.threads.entry(role).or_default() +=
                    field(&fields, 14) + field(&fields, 15);
            }
        }
        if let Some((_, fields)) = read_stat("/proc/self/stat".as_ref()) {
            snapshot.children = field(&fields, 16) + field(&fields, 17);
        }
        if let Ok(processes) = fs::read_dir("/proc") {
            for process in processes.flatten() {
                let Some((comm, fields)) = read_stat(&process.path().join("stat")) else {
                    continue;
                };
                if comm == "postgres" {
                    snapshot.postgres += (14..=17).map(|i| field(&fields, i)).sum::<u64>();
                }
            }
        }
        snapshot
    }

    /// CPU used between `self` and `later`.
    pub fn until(&self, later: &CpuSnapshot) -> CpuUse {
        let seconds = |ticks: u64| ticks as f64 / TICKS_PER_SECOND;
        let thread = |role: &str| {
            let before = self.threads.get(role).copied().unwrap_or(0);
            later
                .threads
                .get(role)
                .copied()
                .unwrap_or(0)
                .saturating_sub(before)
        };
        let busy = later.machine.0.saturating_sub(self.machine.0);
        let steal = later.machine.1.saturating_sub(self.machine.1);
        let total = later.machine.2.saturating_sub(self.machine.2).max(1);
        let server = seconds(thread("server"));
        let client = seconds(thread("client") + later.children.saturating_sub(self.children));
        let postgres = seconds(later.postgres.saturating_sub(self.postgres));
        CpuUse {
            busy: busy as f64 / total as f64,
            steal: steal as f64 / total as f64,
            server,
            client,
            postgres,
            other: (seconds(busy) - server - client - postgres).max(0.0),
        }
    }
}

/// Busy (neither idle nor stolen), stolen and total ticks from the first line of `/proc/stat`.
fn machine_ticks() -> (u64, u64, u64) {
    let text = fs::read_to_string("/proc/stat").unwrap_or_default();
    let numbers: Vec<u64> = text
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .filter_map(|n| n.parse().ok())
        .collect();
    let at = |i: usize| numbers.get(i).copied().unwrap_or(0);
    let total: u64 = numbers.iter().take(8).sum();
    let (idle, steal) = (at(3) + at(4), at(7));
    (total.saturating_sub(idle + steal), steal, total)
}

/// The command name and the fields after it of a `stat` file (proc(5)'s field 3 first).
fn read_stat(path: &std::path::Path) -> Option<(String, Vec<String>)> {
    let text = fs::read_to_string(path).ok()?;
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let comm = text[open + 1..close].to_owned();
    let fields = text[close + 1..]
        .split_whitespace()
        .map(str::to_owned)
        .collect();
    Some((comm, fields))
}

/// Field `n` in proc(5)'s numbering (`utime` 14, `stime` 15, `cutime` 16, `cstime` 17).
fn field(fields: &[String], n: usize) -> u64 {
    fields.get(n - 3).and_then(|v| v.parse().ok()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_use_the_nearest_rank() {
        let l = Latencies::new((1..=100).map(|ms| ms * 1000).collect());
        assert_eq!(l.quantile_ms(0.5), 50.0);
        assert_eq!(l.quantile_ms(0.99), 99.0);
        assert_eq!(Latencies::new(vec![]).quantile_ms(0.5), 0.0);
    }
}
