//! A real server per test on port 0, a fresh database (SQLite in a temporary folder, or
//! PostgreSQL cloned from a migrated template), HTTP calls and SQL readers.

use std::{sync::Arc, time::Duration};

use actix_web::web;
use api::{
    clock::Clock,
    config::{Settings, WechatMode},
    state::AppState,
    Application,
};
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::Value;
use tempfile::TempDir;
use tokio::sync::OnceCell;
use wiremock::MockServer;

use super::http::Client;

/// A running server with its own database.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// HTTP client of this server; every answer is checked against the error contract.
    pub client: Client,
    /// The server's state: its clock and database.
    pub state: web::Data<AppState>,
    /// The WeChat stand-in, when the test asked for one.
    pub wechat: Option<MockServer>,
    _dir: TempDir,
}

/// The Redis URL of the test run, if any.
pub fn redis_url() -> Option<String> {
    std::env::var("LINLI_TEST_REDIS_URL")
        .ok()
        .filter(|v| !v.is_empty())
}

fn postgres_url() -> Option<String> {
    std::env::var("LINLI_TEST_DATABASE_URL")
        .ok()
        .filter(|v| !v.is_empty())
}

/// True when the suite runs on PostgreSQL.
pub fn on_postgres() -> bool {
    postgres_url().is_some()
}

static TEMPLATE: OnceCell<String> = OnceCell::const_new();

/// Replaces the database name of a PostgreSQL URL.
fn with_database(url: &str, name: &str) -> String {
    let mut parsed = url::Url::parse(url).expect("LINLI_TEST_DATABASE_URL is a URL");
    parsed.set_path(&format!("/{name}"));
    parsed.to_string()
}

async fn admin_execute(url: &str, sql: &str) -> Result<(), sea_orm::DbErr> {
    let conn = Database::connect(url).await?;
    let result = conn.execute_unprepared(sql).await.map(|_| ());
    conn.close().await?;
    result
}

/// A fresh PostgreSQL database cloned from a migrated template made once per run.
async fn fresh_postgres(admin_url: &str) -> String {
    let template = TEMPLATE
        .get_or_init(|| async {
            let name = format!(
                "linli_t_tpl_{}_{}",
                std::process::id(),
                uuid::Uuid::new_v4().simple()
            );
            admin_execute(admin_url, &format!("CREATE DATABASE {name}"))
                .await
                .expect("create template");
            let db = api::db::Db::connect(&with_database(admin_url, &name), 2)
                .await
                .expect("connect template");
            db.migrate().await.expect("migrate template");
            db.conn().clone().close().await.expect("close template");
            name
        })
        .await;
    let name = format!("linli_t_{}", uuid::Uuid::new_v4().simple());
    let mut last = None;
    for _ in 0..20 {
        match admin_execute(
            admin_url,
            &format!("CREATE DATABASE {name} TEMPLATE {template}"),
        )
        .await
        {
            Ok(()) => return with_database(admin_url, &name),
            Err(e) => {
                last = Some(e);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    panic!("cannot create a test database: {last:?}");
}

impl TestApp {
    /// A server with mock WeChat and default settings.
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    /// A server whose WeChat is a wiremock server (live mode).
    pub async fn spawn_with_wechat() -> TestApp {
        let server = MockServer::start().await;
        let uri = server.uri();
        let mut app = Self::spawn_with(move |s| {
            s.wechat.mode = WechatMode::Live;
            s.wechat.api_base = uri.clone();
            s.wechat.appid = "wxtestappid".into();
            s.wechat.secret = "wxtestsecret".into();
            s.wechat.timeout = Duration::from_millis(500);
        })
        .await;
        app.wechat = Some(server);
        app
    }

    /// A server with settings adjusted by `tweak`.
    pub async fn spawn_with(tweak: impl FnOnce(&mut Settings)) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let database_url = match postgres_url() {
            Some(admin) => fresh_postgres(&admin).await,
            None => format!("sqlite://{}/test.db?mode=rwc", dir.path().display()),
        };
        let mut settings = Settings::for_development(database_url, dir.path().to_path_buf());
        if let Some(redis) = redis_url() {
            settings.redis_url = Some(redis);
            settings.redis_prefix = format!("linli_test_{}:", uuid::Uuid::new_v4().simple());
        }
        settings.rate.raise_all(100_000);
        tweak(&mut settings);
        let app = Application::build_with_clock(settings, Arc::new(Clock::default()))
            .await
            .expect("the server builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        let state = app.state();
        tokio::spawn(app.run_until_stopped());
        TestApp {
            client: Client::new(address.clone()),
            address,
            state,
            wechat: None,
            _dir: dir,
        }
    }

    /// A second server on this one's database, Redis, secret and clock: another instance
    /// behind the same load balancer.
    pub async fn spawn_twin(&self) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut settings = self.state.settings.clone();
        settings.bind = "127.0.0.1:0".parse().expect("static address");
        let app = Application::build_with_clock(settings, self.state.clock.clone())
            .await
            .expect("the twin builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        let state = app.state();
        tokio::spawn(app.run_until_stopped());
        TestApp {
            client: Client::new(address.clone()),
            address,
            state,
            wechat: None,
            _dir: dir,
        }
    }

    /// The server's database (for assertions, never for mocks).
    pub fn db(&self) -> &DatabaseConnection {
        self.state.db.conn()
    }

    /// Moves the server's clock forward.
    pub fn advance(&self, by: Duration) {
        self.state.clock.advance(by);
    }

    /// Sends a request; answers the status and the JSON body (Null when empty).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let response = self.raw(method, path, token, body).await;
        let status = response.status();
        let text = response.text().await.unwrap();
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, value)
    }

    /// Sends a request and answers the raw response.
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> reqwest::Response {
        let mut request = self.client.request(method, path);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.expect("the server answers")
    }

    /// GET.
    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.call(Method::GET, path, token, None).await
    }

    /// POST with a JSON body.
    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, token, Some(body)).await
    }

    /// PATCH with a JSON body.
    pub async fn patch(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, path, token, Some(body)).await
    }

    /// PUT with a JSON body.
    pub async fn put(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.call(Method::PUT, path, token, Some(body)).await
    }

    /// DELETE.
    pub async fn delete(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.call(Method::DELETE, path, token, None).await
    }

    /// Sends a POST with an `Idempotency-Key`; answers the status and the raw body.
    pub async fn post_with_key(
        &self,
        path: &str,
        token: &str,
        key: &str,
        body: Value,
    ) -> (StatusCode, String) {
        let response = self
            .client
            .post(path)
            .bearer_auth(token)
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
            .await
            .expect("the server answers");
        let status = response.status();
        (status, response.text().await.expect("a body"))
    }

    /// Counts the rows of a table.
    pub async fn count(&self, table: &str) -> i64 {
        let row = self
            .db()
            .query_one_raw(sea_orm::Statement::from_string(
                self.db().get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get::<i64>("", "n").unwrap()
    }

    /// One integer answered by a SQL query (column `n`).
    pub async fn scalar(&self, sql: &str) -> i64 {
        let row = self
            .db()
            .query_one_raw(sea_orm::Statement::from_string(
                self.db().get_database_backend(),
                sql.to_owned(),
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get::<i64>("", "n").unwrap()
    }

    /// The rows a SQL query answers.
    pub async fn rows(&self, sql: &str) -> Vec<sea_orm::QueryResult> {
        self.db()
            .query_all_raw(sea_orm::Statement::from_string(
                self.db().get_database_backend(),
                sql.to_owned(),
            ))
            .await
            .unwrap()
    }
}
