//! The HTTP load: concurrent clients repeating one POST (a redemption, a check-in).

use std::{
    collections::BTreeMap,
    sync::Arc,
    time::{Duration, Instant},
};

use crate::seed::{Api, User};

/// What the clients saw during one phase.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Latency of every 201, in microseconds.
    pub latencies_us: Vec<u32>,
    /// Answers other than 201 (and transport errors) by status.
    pub failures: BTreeMap<String, u64>,
    /// The first failing answer, to show what went wrong.
    pub first_failure: Option<String>,
    /// From the start until the last client stopped.
    pub elapsed: Duration,
}

impl Outcome {
    /// 201 answers.
    pub fn created(&self) -> u64 {
        self.latencies_us.len() as u64
    }

    /// Everything but 201.
    pub fn failed(&self) -> u64 {
        self.failures.values().sum()
    }

    fn merge(&mut self, other: Outcome) {
        self.latencies_us.extend(other.latencies_us);
        for (status, n) in other.failures {
            *self.failures.entry(status).or_default() += n;
        }
        if self.first_failure.is_none() {
            self.first_failure = other.first_failure;
        }
    }
}

/// What one client sends next: the index of the user (among the client's own) and the JSON
/// body, or `None` when the client has nothing left to send.
pub type Next = Arc<dyn Fn(usize, usize) -> Option<(usize, serde_json::Value)> + Send + Sync>;

/// The request a phase repeats.
#[derive(Clone)]
pub struct Flow {
    /// Path of the POST, e.g. `/api/v1/redemptions`.
    pub path: &'static str,
    /// Send a fresh `Idempotency-Key` with every request.
    pub idempotent: bool,
    /// Called with (client, turn) for every request.
    pub next: Next,
}

/// Redemptions of one unit: each client rotates over its own users and picks goods
/// uniformly at random.
pub fn redemptions(goods: &[i64], users_per_client: usize) -> Flow {
    let goods: Arc<[i64]> = goods.into();
    Flow {
        path: "/api/v1/redemptions",
        idempotent: true,
        next: Arc::new(move |_, turn| {
            let goods_id = goods[rand::random::<usize>() % goods.len()];
            Some((
                turn % users_per_client,
                serde_json::json!({ "goods_id": goods_id, "quantity": 1 }),
            ))
        }),
    }
}

/// Runs one client per entry of `residents` for `duration`: each sends one request of
/// `flow` at a time, as its users in turn, until the time is up or `flow` has nothing left.
/// A client that runs out before the deadline counts one failure `exhausted`.
pub async fn drive(
    api: &Api,
    residents: &[Vec<User>],
    flow: &Flow,
    duration: Duration,
) -> anyhow::Result<Outcome> {
    let url: Arc<str> = format!("{}{}", api.base, flow.path).into();
    let started = Instant::now();
    let deadline = started + duration;
    let tasks: Vec<_> = residents
        .iter()
        .enumerate()
        .map(|(c, users)| {
            let (http, url, flow, users) =
                (api.http.clone(), url.clone(), flow.clone(), users.clone());
            tokio::spawn(async move { client(http, &url, c, &users, &flow, deadline).await })
        })
        .collect();
    let mut outcome = Outcome::default();
    for task in tasks {
        outcome.merge(task.await?);
    }
    outcome.elapsed = started.elapsed();
    Ok(outcome)
}

async fn client(
    http: reqwest::Client,
    url: &str,
    index: usize,
    users: &[User],
    flow: &Flow,
    deadline: Instant,
) -> Outcome {
    let mut outcome = Outcome::default();
    let mut turn = 0usize;
    while Instant::now() < deadline {
        let Some((user, body)) = (flow.next)(index, turn) else {
            *outcome.failures.entry("exhausted".to_owned()).or_default() += 1;
            outcome.first_failure.get_or_insert_with(|| {
                format!("exhausted: client {index} had nothing left to send after {turn} requests")
            });
            break;
        };
        let user = &users[user];
        turn += 1;
        let sent = Instant::now();
        let mut request = http.post(url).bearer_auth(&user.token).json(&body);
        if flow.idempotent {
            request = request.header("Idempotency-Key", uuid::Uuid::new_v4().to_string());
        }
        let answer = request.send().await;
        let failure = match answer {
            Ok(response) => {
                let status = response.status();
                match response.bytes().await {
                    Ok(_) if status == reqwest::StatusCode::CREATED => {
                        let us = sent.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
                        outcome.latencies_us.push(us);
                        continue;
                    }
                    Ok(body) => (
                        status.as_u16().to_string(),
                        String::from_utf8_lossy(&body).into_owned(),
                    ),
                    Err(e) => ("body error".to_owned(), e.to_string()),
                }
            }
            Err(e) => ("transport error".to_owned(), e.to_string()),
        };
        *outcome.failures.entry(failure.0.clone()).or_default() += 1;
        outcome
            .first_failure
            .get_or_insert_with(|| format!("{}: {}", failure.0, failure.1));
    }
    outcome
}
