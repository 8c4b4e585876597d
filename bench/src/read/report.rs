//! The results as markdown: one row per scenario next to the `/healthz` and `/me` floors,
//! with the aims checked.

use std::fmt::Write;

use crate::{load::Outcome, stats::CpuUse, stats::Latencies};

/// Latency aim of every row at half its measured throughput, ms.
pub const HALF_RATE_P99_MS: f64 = 50.0;

/// How the row of the bare actix-web endpoint starts (the floor of `Aim::OfBare`).
pub const BARE: &str = "bare actix-web";
/// How the row of `/me` starts (the floor of `Aim::OfMe`).
const ME: &str = "`/me`";

/// Throughput and latency of one phase.
#[derive(Clone, Copy, Debug, Default)]
pub struct Measured {
    /// 2xx answers.
    pub ok: u64,
    /// 2xx answers per second.
    pub rate: f64,
    /// Median, ms.
    pub p50: f64,
    /// 99th percentile, ms.
    pub p99: f64,
    /// Paced phases: 99th percentile of the pacer's delay, ms (included in `p99`).
    pub lag_p99: f64,
}

impl Measured {
    /// The numbers of `outcome`.
    pub fn of(outcome: &Outcome) -> Self {
        let latencies = Latencies::new(outcome.latencies_us.clone());
        Measured {
            ok: outcome.ok(),
            rate: outcome.rate(),
            p50: latencies.quantile_ms(0.5),
            p99: latencies.quantile_ms(0.99),
            lag_p99: Latencies::new(outcome.lag_us.clone()).quantile_ms(0.99),
        }
    }
}

/// An aim of the issue that applies to one row.
#[derive(Clone, Copy, Debug)]
pub enum Aim {
    /// req/s at least this share of `/me`'s.
    OfMe(f64),
    /// req/s at least this share of `/healthz`'s.
    OfHealthz(f64),
    /// p99 at full speed below this many ms.
    P99Below(f64),
    /// req/s at least this share of the bare actix-web endpoint's (a row of the same run).
    OfBare(f64),
}

/// One scenario: full speed, then half of that rate.
#[derive(Clone, Debug)]
pub struct Row {
    /// What was requested.
    pub scenario: String,
    /// Full speed (closed loop, or the cold rounds).
    pub full: Measured,
    /// At half the full rate (open loop, latency from the scheduled time).
    pub half: Measured,
    /// CPU during the full-speed phase.
    pub cpu: CpuUse,
    /// Aims beyond the half-rate latency.
    pub aims: Vec<Aim>,
}

fn mark(holds: bool) -> &'static str {
    if holds {
        "✓"
    } else {
        "✗"
    }
}

/// The main table; `rows[0]` is `/healthz`, the floors `/me` and the bare endpoint are found
/// by name (a run of the stations alone has no `/me`). Answers the table and whether every
/// aim held.
pub fn table(rows: &[Row]) -> (String, bool) {
    let floor = |start: &str| {
        rows.iter()
            .find(|r| r.scenario.starts_with(start))
            .map_or(f64::NAN, |r| r.full.rate)
    };
    let (healthz, me, bare) = (rows[0].full.rate, floor(ME), floor(BARE));
    // A missing floor (NaN) gives no share: `max` would drop the NaN.
    let share = |rate: f64, floor: f64| match floor.is_nan() {
        true => f64::NAN,
        false => rate / floor.max(f64::MIN_POSITIVE),
    };
    let percent = |share: f64| match share.is_nan() {
        true => "—".to_owned(),
        false => format!("{:.0}%", 100.0 * share),
    };
    let mut all = true;
    let mut out = String::from(
        "| scenario | req/s | p50 ms | p99 ms | ÷ /healthz | ÷ /me | half rate req/s | p99 ms at half | pacer lag p99 ms | aims |\n\
         |---|--:|--:|--:|--:|--:|--:|--:|--:|---|\n",
    );
    for row in rows {
        let mut aims = Vec::new();
        for aim in &row.aims {
            let (text, holds) = match *aim {
                Aim::OfMe(min) => {
                    let s = share(row.full.rate, me);
                    (format!("≥ {:.0}% of /me", 100.0 * min), s >= min)
                }
                Aim::OfHealthz(min) => {
                    let s = share(row.full.rate, healthz);
                    (format!("≥ {:.0}% of /healthz", 100.0 * min), s >= min)
                }
                Aim::P99Below(ms) => (format!("p99 < {ms:.0} ms"), row.full.p99 < ms),
                Aim::OfBare(min) => {
                    let s = share(row.full.rate, bare);
                    let text =
                        format!("{} of the bare endpoint, ≥ {:.0}%", percent(s), 100.0 * min);
                    (text, s >= min)
                }
            };
            all &= holds;
            aims.push(format!("{} {text}", mark(holds)));
        }
        let holds = row.half.p99 < HALF_RATE_P99_MS;
        all &= holds;
        aims.push(format!(
            "{} half-rate p99 < {HALF_RATE_P99_MS:.0} ms",
            mark(holds)
        ));
        let _ = writeln!(
            out,
            "| {} | {:.0} | {:.1} | {:.1} | {} | {} | {:.0} | {:.1} | {:.1} | {} |",
            row.scenario,
            row.full.rate,
            row.full.p50,
            row.full.p99,
            percent(share(row.full.rate, healthz)),
            percent(share(row.full.rate, me)),
            row.half.rate,
            row.half.p99,
            row.half.lag_p99,
            aims.join("; "),
        );
    }
    (out, all)
}

/// Where the CPU went in each full-speed phase, per request.
pub fn cpu(rows: &[Row]) -> String {
    let mut out = String::from(
        "| scenario | requests | machine busy | steal | CPU ms per request: server | client | PostgreSQL | other |\n\
         |---|--:|--:|--:|--:|--:|--:|--:|\n",
    );
    for row in rows {
        let per = |seconds: f64| 1000.0 * seconds / row.full.ok.max(1) as f64;
        let _ = writeln!(
            out,
            "| {} | {} | {:.0}% | {:.0}% | {:.3} | {:.3} | {:.3} | {:.3} |",
            row.scenario,
            row.full.ok,
            100.0 * row.cpu.busy,
            100.0 * row.cpu.steal,
            per(row.cpu.server),
            per(row.cpu.client),
            per(row.cpu.postgres),
            per(row.cpu.other),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, rate: f64, p99: f64, half_p99: f64, aims: Vec<Aim>) -> Row {
        let measured = |rate: f64, p99: f64| Measured {
            ok: 1,
            rate,
            p50: p99 / 2.0,
            p99,
            lag_p99: 0.0,
        };
        Row {
            scenario: name.to_owned(),
            full: measured(rate, p99),
            half: measured(rate / 2.0, half_p99),
            cpu: CpuUse::default(),
            aims,
        }
    }

    #[test]
    fn aims_are_judged_against_the_floors_of_the_same_run() {
        let rows = [
            row("healthz", 10_000.0, 2.0, 3.0, vec![]),
            row("`/me`", 1_000.0, 20.0, 10.0, vec![]),
            row("points", 850.0, 25.0, 12.0, vec![Aim::OfMe(0.8)]),
            row("nearest", 2_000.0, 30.0, 12.0, vec![Aim::OfHealthz(0.25)]),
        ];
        let (table, all) = table(&rows);
        assert!(table.contains("| 20% | 200% | 1000 | 12.0 | 0.0 | ✗ ≥ 25% of /healthz;"));
        assert!(table.contains("| 85% | 425 | 12.0 | 0.0 | ✓ ≥ 80% of /me;"));
        assert!(!all);
    }

    #[test]
    fn a_slow_answer_at_half_rate_misses_its_aim() {
        let rows = [
            row("healthz", 10_000.0, 2.0, 3.0, vec![]),
            row("`/me`", 1_000.0, 20.0, 50.0, vec![]),
        ];
        let (table, all) = table(&rows);
        assert!(table.contains("✗ half-rate p99 < 50 ms"));
        assert!(!all);
    }

    #[test]
    fn the_stations_are_judged_against_the_bare_endpoint_of_the_same_run() {
        let rows = [
            row("healthz", 10_000.0, 2.0, 3.0, vec![]),
            row("bare actix-web, 9 bytes", 8_000.0, 2.0, 3.0, vec![]),
            row("stations", 4_400.0, 4.0, 3.0, vec![Aim::OfBare(0.5)]),
        ];
        let (table, all) = table(&rows);
        assert!(table.contains("| 44% | — | 2200 |"), "{table}");
        assert!(
            table.contains("✓ 55% of the bare endpoint, ≥ 50%"),
            "{table}"
        );
        assert!(all);
        let slow = [
            rows[0].clone(),
            rows[1].clone(),
            row("stations", 3_000.0, 4.0, 3.0, vec![Aim::OfBare(0.5)]),
        ];
        assert!(!table_all(&slow));
    }

    fn table_all(rows: &[Row]) -> bool {
        table(rows).1
    }
}
