//! The ceiling: pgbench running the statements of one redemption directly.

use std::{path::Path, process::Command, time::Duration};

use anyhow::{bail, Context};

use crate::stats::Latencies;

/// The statements of one redemption in the order the API runs them.
pub const API_ORDER: Script = Script {
    file: "redemption.sql",
    text: include_str!("../sql/redemption.sql"),
};
/// The same statements with the goods row updated first ("naive order").
pub const NAIVE_ORDER: Script = Script {
    file: "redemption_naive.sql",
    text: include_str!("../sql/redemption_naive.sql"),
};

/// A pgbench script kept in `bench/sql/`.
#[derive(Clone, Copy, Debug)]
pub struct Script {
    /// File name.
    pub file: &'static str,
    /// Contents.
    pub text: &'static str,
}

/// How to run pgbench.
pub struct Pgbench<'a> {
    /// The pgbench executable.
    pub program: &'a Path,
    /// Connection URL of the benchmark database.
    pub url: &'a str,
    /// `-c`.
    pub clients: usize,
    /// `-j`.
    pub threads: usize,
}

/// What pgbench measured.
#[derive(Debug)]
pub struct Outcome {
    /// pgbench's tps, without the initial connection time.
    pub tps: f64,
    /// Transactions done in the measured run.
    pub transactions: u64,
    /// Latency of every transaction from the `-l` logs.
    pub latencies: Latencies,
}

impl Pgbench<'_> {
    /// Runs `script` for `duration` and forgets the timings (connections, plans and caches
    /// warm up); answers the transactions done.
    pub fn warm_up(
        &self,
        script: Script,
        vars: &[(&str, String)],
        duration: Duration,
    ) -> anyhow::Result<u64> {
        let dir = tempfile::tempdir()?;
        std::fs::write(dir.path().join(script.file), script.text)?;
        let stdout = self.once(dir.path(), script, vars, duration, false)?;
        transactions(&stdout)
    }

    /// Runs `script` for `duration` with per-transaction logs, with `vars` passed as
    /// `-D name=value` (the scripts need `-M prepared`: text values are bound, not pasted). Any failed transaction or aborted client fails the run.
    pub fn measure(
        &self,
        script: Script,
        vars: &[(&str, String)],
        duration: Duration,
    ) -> anyhow::Result<Outcome> {
        // `-l` writes pgbench_log.* into the working directory: give it one of its own.
        let dir = tempfile::tempdir()?;
        std::fs::write(dir.path().join(script.file), script.text)?;
        let stdout = self.once(dir.path(), script, vars, duration, true)?;
        let tps = number_after(&stdout, "tps = ").context("pgbench printed no tps")?;
        let transactions = transactions(&stdout)?;
        let mut samples = Vec::with_capacity(transactions as usize);
        for entry in std::fs::read_dir(dir.path())? {
            let path = entry?.path();
            if !path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("pgbench_log."))
            {
                continue;
            }
            for line in std::fs::read_to_string(&path)?.lines() {
                // client_id transaction_no time(us) script_no time_epoch time_us
                let time = line.split_whitespace().nth(2).unwrap_or_default();
                let us: u64 = time
                    .parse()
                    .with_context(|| format!("a failed transaction in the log: {line}"))?;
                samples.push(us.min(u64::from(u32::MAX)) as u32);
            }
        }
        if samples.len() as u64 != transactions {
            bail!(
                "pgbench logged {} transactions but reported {transactions}",
                samples.len()
            );
        }
        Ok(Outcome {
            tps,
            transactions,
            latencies: Latencies::new(samples),
        })
    }

    fn once(
        &self,
        dir: &Path,
        script: Script,
        vars: &[(&str, String)],
        duration: Duration,
        log: bool,
    ) -> anyhow::Result<String> {
        let mut command = Command::new(self.program);
        command
            .current_dir(dir)
            .args(["-n", "-M", "prepared"])
            .args([
                "-c",
                &self.clients.to_string(),
                "-j",
                &self.threads.to_string(),
            ])
            .args(["-T", &duration.as_secs().max(1).to_string()])
            .args(["-f", script.file]);
        if log {
            command.arg("-l");
        }
        for (name, value) in vars {
            command.args(["-D", &format!("{name}={value}")]);
        }
        command.arg(self.url);
        let output = command
            .output()
            .with_context(|| format!("cannot run {}", self.program.display()))?;
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr);
        let failed = number_after(&stdout, "number of failed transactions: ").unwrap_or(0.0);
        if !output.status.success() || failed > 0.0 || stderr.contains("aborted") {
            bail!(
                "pgbench {} failed ({}):\n{stdout}\n{stderr}",
                script.file,
                output.status
            );
        }
        Ok(stdout)
    }
}

fn transactions(stdout: &str) -> anyhow::Result<u64> {
    let n = number_after(stdout, "number of transactions actually processed: ");
    Ok(n.context("pgbench printed no transaction count")? as u64)
}

/// The number following `label` in pgbench's report.
fn number_after(text: &str, label: &str) -> Option<f64> {
    let rest = &text[text.find(label)? + label.len()..];
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_read_from_the_pgbench_report() {
        let report = "number of transactions actually processed: 1234\nnumber of failed transactions: 0 (0.000%)\ntps = 82.123456 (without initial connection time)\n";
        assert_eq!(number_after(report, "tps = "), Some(82.123456));
        assert_eq!(
            number_after(report, "number of transactions actually processed: "),
            Some(1234.0)
        );
        assert_eq!(
            number_after(report, "number of failed transactions: "),
            Some(0.0)
        );
    }
}
