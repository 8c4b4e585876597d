//! The read load: closed-loop clients at full speed, an open-loop pacer at a fixed rate, and
//! bursts of simultaneous requests. Every GET reads the whole answer; anything but 2xx is a
//! failure, kept with its body.

use std::{
    collections::BTreeMap,
    sync::Arc,
    time::{Duration, Instant},
};

/// One request a client may send.
#[derive(Clone, Debug)]
pub struct Target {
    /// Absolute URL.
    pub url: String,
    /// Bearer token, if the request is authenticated.
    pub token: Option<String>,
}

/// What the clients saw.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Latency of every 2xx answer, in microseconds.
    pub latencies_us: Vec<u32>,
    /// Failures by status (or transport error).
    pub failures: BTreeMap<String, u64>,
    /// The first failure with its body.
    pub first_failure: Option<String>,
    /// Paced phases: how late each request left after its scheduled time, in microseconds
    /// (the load generator's own delay, part of the latency).
    pub lag_us: Vec<u32>,
    /// Wall time of the phase (until the last answer).
    pub elapsed: Duration,
}

impl Outcome {
    /// 2xx answers.
    pub fn ok(&self) -> u64 {
        self.latencies_us.len() as u64
    }

    /// Everything else.
    pub fn failed(&self) -> u64 {
        self.failures.values().sum()
    }

    /// 2xx answers per second of `elapsed`.
    pub fn rate(&self) -> f64 {
        self.ok() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Adds another phase's answers (elapsed times add up).
    pub fn merge(&mut self, other: Outcome) {
        self.latencies_us.extend(other.latencies_us);
        self.lag_us.extend(other.lag_us);
        for (status, n) in other.failures {
            *self.failures.entry(status).or_default() += n;
        }
        if self.first_failure.is_none() {
            self.first_failure = other.first_failure;
        }
        self.elapsed += other.elapsed;
    }

    fn record(&mut self, since: Instant, answer: Result<(), (String, String)>) {
        self.record_took(since.elapsed(), answer);
    }

    fn record_took(&mut self, took: Duration, answer: Result<(), (String, String)>) {
        match answer {
            Ok(()) => self.latencies_us.push(micros(took)),
            Err((status, body)) => {
                *self.failures.entry(status.clone()).or_default() += 1;
                self.first_failure
                    .get_or_insert_with(|| format!("{status}: {body}"));
            }
        }
    }
}

async fn get(http: &reqwest::Client, target: &Target) -> Result<(), (String, String)> {
    let mut request = http.get(&target.url);
    if let Some(token) = &target.token {
        request = request.bearer_auth(token);
    }
    let response = request
        .send()
        .await
        .map_err(|e| ("transport error".to_owned(), e.to_string()))?;
    let status = response.status();
    let body = response
        .bytes()
        .await
        .map_err(|e| ("body error".to_owned(), e.to_string()))?;
    if status.is_success() {
        Ok(())
    } else {
        Err((
            status.as_u16().to_string(),
            String::from_utf8_lossy(&body).into_owned(),
        ))
    }
}

/// `clients` closed-loop clients for `duration`: each sends its next request when the last
/// is answered, client `c` rotating over `targets` from `c`.
pub async fn closed(
    http: &reqwest::Client,
    targets: &Arc<[Target]>,
    clients: usize,
    duration: Duration,
) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let deadline = started + duration;
    let tasks: Vec<_> = (0..clients)
        .map(|c| {
            let (http, targets) = (http.clone(), targets.clone());
            tokio::spawn(async move {
                let mut outcome = Outcome::default();
                let mut turn = c;
                while Instant::now() < deadline {
                    let target = &targets[turn % targets.len()];
                    turn += 1;
                    let sent = Instant::now();
                    outcome.record(sent, get(&http, target).await);
                }
                outcome
            })
        })
        .collect();
    let mut outcome = Outcome::default();
    for task in tasks {
        outcome.merge(task.await?);
    }
    outcome.elapsed = started.elapsed();
    Ok(outcome)
}

/// Open loop over a fixed set of connections, as wrk2 does: `count` requests scheduled every
/// `1 / rate` seconds from now, taken in turn by `clients` senders (one keep-alive connection
/// each). A request is sent at its time, or as soon as a sender is free when all are busy;
/// latency counts from the scheduled time either way, so queueing shows and the number of
/// connections stays bounded. The elapsed time runs to the last answer.
pub async fn paced(
    http: &reqwest::Client,
    targets: &Arc<[Target]>,
    rate: f64,
    count: usize,
    clients: usize,
) -> anyhow::Result<Outcome> {
    anyhow::ensure!(rate > 0.0, "a paced phase needs a positive rate");
    let interval = Duration::from_secs_f64(1.0 / rate);
    let started = Instant::now();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let tasks: Vec<_> = (0..clients.max(1))
        .map(|_| {
            let (http, targets, next) = (http.clone(), targets.clone(), next.clone());
            tokio::spawn(async move {
                let mut outcome = Outcome::default();
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= count {
                        break outcome;
                    }
                    let scheduled = started + interval.mul_f64(i as f64);
                    tokio::time::sleep_until(scheduled.into()).await;
                    outcome.lag_us.push(micros(scheduled.elapsed()));
                    let answer = get(&http, &targets[i % targets.len()]).await;
                    outcome.record_took(scheduled.elapsed(), answer);
                }
            })
        })
        .collect();
    let mut outcome = Outcome::default();
    for task in tasks {
        outcome.merge(task.await?);
    }
    outcome.elapsed = started.elapsed();
    Ok(outcome)
}

fn micros(d: Duration) -> u32 {
    d.as_micros().min(u128::from(u32::MAX)) as u32
}

/// `count` requests of `target` sent at once; elapsed runs to the last answer.
pub async fn burst(
    http: &reqwest::Client,
    target: &Target,
    count: usize,
) -> anyhow::Result<Outcome> {
    let targets: Arc<[Target]> = vec![target.clone()].into();
    let started = Instant::now();
    let tasks: Vec<_> = (0..count)
        .map(|_| {
            let (http, targets) = (http.clone(), targets.clone());
            tokio::spawn(async move {
                let sent = Instant::now();
                let answer = get(&http, &targets[0]).await;
                (sent.elapsed(), answer)
            })
        })
        .collect();
    let mut outcome = Outcome::default();
    for task in tasks {
        let (took, answer) = task.await?;
        outcome.record_took(took, answer);
    }
    outcome.elapsed = started.elapsed();
    Ok(outcome)
}
