//! The HTTP load: concurrent clients redeeming through `POST /api/v1/redemptions`.

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

/// Runs one client per entry of `residents` for `duration`: each sends one redemption of
/// one unit at a time, with a fresh `Idempotency-Key`, rotating over its own users and
/// picking goods uniformly at random.
pub async fn drive(
    api: &Api,
    residents: &[Vec<User>],
    goods: &[i64],
    duration: Duration,
) -> anyhow::Result<Outcome> {
    let goods: Arc<[i64]> = goods.into();
    let url: Arc<str> = format!("{}/api/v1/redemptions", api.base).into();
    let started = Instant::now();
    let deadline = started + duration;
    let tasks: Vec<_> = residents
        .iter()
        .map(|users| {
            let (http, url, goods, users) =
                (api.http.clone(), url.clone(), goods.clone(), users.clone());
            tokio::spawn(async move { client(http, &url, &users, &goods, deadline).await })
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
    users: &[User],
    goods: &[i64],
    deadline: Instant,
) -> Outcome {
    let mut outcome = Outcome::default();
    let mut turn = 0usize;
    while Instant::now() < deadline {
        let user = &users[turn % users.len()];
        turn += 1;
        let goods_id = goods[rand::random::<usize>() % goods.len()];
        let sent = Instant::now();
        let answer = http
            .post(url)
            .bearer_auth(&user.token)
            .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
            .json(&serde_json::json!({ "goods_id": goods_id, "quantity": 1 }))
            .send()
            .await;
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
