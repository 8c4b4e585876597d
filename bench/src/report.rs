//! The results as markdown.

use std::fmt::Write;

use crate::stats::CpuUse;

/// One measured phase: the API under load or pgbench.
#[derive(Clone, Debug)]
pub struct Phase {
    /// What ran, e.g. `API, hot item`.
    pub name: String,
    /// Successful requests or transactions in the measured window.
    pub done: u64,
    /// Per second.
    pub rate: f64,
    /// Median latency, ms.
    pub p50: f64,
    /// 99th percentile latency, ms.
    pub p99: f64,
    /// Answers other than 201 (the API) or failed transactions (pgbench).
    pub failed: u64,
    /// CPU used during the measured window.
    pub cpu: CpuUse,
    /// Checkpoints PostgreSQL started during the measured window (any database).
    pub checkpoints: i64,
}

/// A row of the table: the API next to its ceiling.
pub struct Row<'a> {
    /// Scenario name.
    pub scenario: &'a str,
    /// The API phase.
    pub api: &'a Phase,
    /// The pgbench phase.
    pub raw: &'a Phase,
}

/// The main table.
pub fn table(rows: &[Row<'_>]) -> String {
    let mut out = String::from(
        "| scenario | API req/s | API p50 ms | API p99 ms | raw SQL tps | raw p50 ms | raw p99 ms | API / raw |\n\
         |---|--:|--:|--:|--:|--:|--:|--:|\n",
    );
    for r in rows {
        let _ = writeln!(
            out,
            "| {} | {:.0} | {:.1} | {:.1} | {:.0} | {:.1} | {:.1} | {:.0}% |",
            r.scenario,
            r.api.rate,
            r.api.p50,
            r.api.p99,
            r.raw.rate,
            r.raw.p50,
            r.raw.p99,
            100.0 * r.api.rate / r.raw.rate.max(f64::MIN_POSITIVE),
        );
    }
    out
}

/// Every phase with its failures and where the CPU went.
pub fn phases(phases: &[Phase]) -> String {
    let mut out = String::from(
        "| phase | done | per s | p50 ms | p99 ms | failed | machine busy | steal | CPU ms per op: server | client | PostgreSQL | other | checkpoints |\n\
         |---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n",
    );
    for p in phases {
        let per_op = |seconds: f64| 1000.0 * seconds / (p.done.max(1) as f64);
        let _ = writeln!(
            out,
            "| {} | {} | {:.0} | {:.1} | {:.1} | {} | {:.0}% | {:.0}% | {:.2} | {:.2} | {:.2} | {:.2} | {} |",
            p.name,
            p.done,
            p.rate,
            p.p50,
            p.p99,
            p.failed,
            100.0 * p.cpu.busy,
            100.0 * p.cpu.steal,
            per_op(p.cpu.server),
            per_op(p.cpu.client),
            per_op(p.cpu.postgres),
            per_op(p.cpu.other),
            p.checkpoints,
        );
    }
    out
}
