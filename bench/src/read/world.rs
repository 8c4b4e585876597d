//! The people the load uses, logged in through the API, and the run's Redis keys.

use anyhow::{bail, Context};
use futures_util::{stream, StreamExt, TryStreamExt};
use serde_json::{json, Value};

/// An HTTP client of the server under test.
#[derive(Clone)]
pub struct Api {
    /// Keep-alive client with a connection per load client.
    pub http: reqwest::Client,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
}

impl Api {
    /// A client for the server on `port`.
    pub fn new(port: u16) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .tcp_nodelay(true)
            .pool_max_idle_per_host(usize::MAX)
            .timeout(std::time::Duration::from_secs(60))
            .build()?;
        Ok(Api {
            http,
            base: format!("http://127.0.0.1:{port}"),
        })
    }

    /// POSTs JSON (with a fresh `Idempotency-Key`) and answers the body of a 2xx; anything
    /// else fails the run.
    pub async fn post(
        &self,
        path: &str,
        token: Option<&str>,
        body: Value,
    ) -> anyhow::Result<Value> {
        let mut request = self
            .http
            .post(format!("{}{path}", self.base))
            .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
            .json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("POST {path}"))?;
        let status = response.status();
        let text = response.text().await?;
        if !status.is_success() {
            bail!("POST {path} answered {status}: {text}");
        }
        Ok(serde_json::from_str(&text)?)
    }
}

/// A logged-in user.
#[derive(Clone, Debug)]
pub struct User {
    /// User id.
    pub id: i64,
    /// Access token.
    pub token: String,
}

fn user_from(body: &Value) -> anyhow::Result<User> {
    Ok(User {
        id: body["user"]["id"]
            .as_i64()
            .context("login answer without user.id")?,
        token: body["access_token"]
            .as_str()
            .context("login answer without access_token")?
            .to_owned(),
    })
}

/// Logs the dataset's user `id` in with mock WeChat (`mock:city-<id>`, whose openid the
/// generator stored) and checks that the login found that user rather than creating one.
pub async fn login_resident(api: &Api, id: i64) -> anyhow::Result<User> {
    let body = json!({ "code": format!("mock:city-{id}") });
    let user = user_from(&api.post("/api/v1/auth/wechat-login", None, body).await?)?;
    if user.id != id {
        bail!("mock:city-{id} logged in as user {}: the dataset's openids do not match the server's mock WeChat", user.id);
    }
    Ok(user)
}

/// Logs in `count` residents spread evenly over the ids 2..=`users` (the heavy user is 1).
pub async fn residents(api: &Api, users: i64, count: usize) -> anyhow::Result<Vec<User>> {
    let ids: Vec<i64> = (0..count as i64)
        .map(|j| 2 + j * (users - 2) / count.max(1) as i64)
        .collect();
    stream::iter(ids)
        .map(|id| login_resident(api, id))
        .buffered(8)
        .try_collect()
        .await
}

/// A platform admin made with `create_admin` (a fresh name per run), logged in by password.
pub async fn admin(api: &Api, state: &api::state::AppState, name: &str) -> anyhow::Result<User> {
    let password = "benchmark password";
    api::identity::login::create_admin(&state.db, &state.cache, &state.clock, name, password)
        .await
        .map_err(|e| anyhow::anyhow!("create_admin: {e:?}"))?;
    let body = json!({ "username": name, "password": password });
    user_from(&api.post("/api/v1/auth/password-login", None, body).await?)
}

/// The run's keys in Redis (everything under its prefix).
pub struct RedisKeys {
    connection: redis::aio::MultiplexedConnection,
    pattern: String,
}

impl RedisKeys {
    /// Connects to `url`; `prefix` is the server's key prefix of this run.
    pub async fn connect(url: &str, prefix: &str) -> anyhow::Result<Self> {
        let client = redis::Client::open(url).context("bad --redis-url")?;
        let connection = client
            .get_multiplexed_async_connection()
            .await
            .context("cannot connect to Redis")?;
        Ok(RedisKeys {
            connection,
            pattern: format!("{prefix}*"),
        })
    }

    /// Deletes every key of the run; answers how many there were.
    pub async fn flush(&mut self) -> anyhow::Result<usize> {
        let mut cursor = 0u64;
        let mut deleted = 0;
        loop {
            let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&self.pattern)
                .arg("COUNT")
                .arg(1000)
                .query_async(&mut self.connection)
                .await?;
            if !keys.is_empty() {
                deleted += keys.len();
                let _: i64 = redis::cmd("DEL")
                    .arg(&keys)
                    .query_async(&mut self.connection)
                    .await?;
            }
            if next == 0 {
                return Ok(deleted);
            }
            cursor = next;
        }
    }
}
