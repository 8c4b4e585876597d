//! The test harness: a real server per test, a fresh database, HTTP helpers.

#![allow(dead_code)]

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
use serde_json::{json, Value};
use tempfile::TempDir;
use tokio::sync::OnceCell;
use wiremock::MockServer;

/// A running server with its own database.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// HTTP client.
    pub client: reqwest::Client,
    /// The server's state: its clock and database.
    pub state: web::Data<AppState>,
    /// The WeChat stand-in, when the test asked for one.
    pub wechat: Option<MockServer>,
    _dir: TempDir,
}

/// A logged-in user.
#[derive(Clone, Debug)]
pub struct User {
    /// User id.
    pub id: i64,
    /// Access token.
    pub token: String,
    /// Refresh token.
    pub refresh: String,
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
            address,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap(),
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
        let mut request = self
            .client
            .request(method, format!("{}{}", self.address, path));
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

    /// Logs in through mock WeChat as `mock:<name>`.
    pub async fn login(&self, name: &str) -> User {
        let (status, body) = self
            .post(
                "/api/v1/auth/wechat-login",
                None,
                json!({ "code": format!("mock:{name}") }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "login failed: {body}");
        user_from(&body)
    }

    /// A platform admin, created as `linli create-admin` does, logged in by password.
    pub async fn admin(&self) -> User {
        let username = format!("admin{}", uuid::Uuid::new_v4().simple());
        api::identity::login::create_admin(
            &self.state.db,
            &self.state.clock,
            &username,
            "correct horse battery",
        )
        .await
        .expect("admin created");
        let (status, body) = self
            .post(
                "/api/v1/auth/password-login",
                None,
                json!({ "username": username, "password": "correct horse battery" }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "admin login failed: {body}");
        user_from(&body)
    }

    /// Grants a role through the API as `by`.
    pub async fn grant(&self, by: &User, user_id: i64, role: &str, scope_id: i64) -> i64 {
        let (status, body) = self
            .post(
                "/api/v1/role-assignments",
                Some(&by.token),
                json!({ "user_id": user_id, "role": role, "scope_id": scope_id }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "grant failed: {body}");
        body["id"].as_i64().unwrap()
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
}

fn user_from(body: &Value) -> User {
    User {
        id: body["user"]["id"].as_i64().expect("user id"),
        token: body["access_token"]
            .as_str()
            .expect("access token")
            .to_owned(),
        refresh: body["refresh_token"]
            .as_str()
            .expect("refresh token")
            .to_owned(),
    }
}

/// A district and street made by a platform admin.
pub struct Street {
    /// District id.
    pub district_id: i64,
    /// Street id.
    pub id: i64,
}

impl TestApp {
    /// Creates a district and a street in it.
    pub async fn street(&self, admin: &User, name: &str) -> Street {
        let (status, district) = self
            .post(
                "/api/v1/districts",
                Some(&admin.token),
                json!({ "name": format!("{name}区") }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{district}");
        let district_id = district["id"].as_i64().unwrap();
        let (status, street) = self
            .post(
                "/api/v1/streets",
                Some(&admin.token),
                json!({ "district_id": district_id, "name": format!("{name}街道") }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{street}");
        Street {
            district_id,
            id: street["id"].as_i64().unwrap(),
        }
    }

    /// Creates a community in a street, centred at (lat, lng).
    pub async fn community(
        &self,
        admin: &User,
        street_id: i64,
        name: &str,
        lat: f64,
        lng: f64,
    ) -> i64 {
        let (status, body) = self
            .post(
                "/api/v1/communities",
                Some(&admin.token),
                json!({ "street_id": street_id, "name": name, "lat": lat, "lng": lng, "checkin_radius_m": 300 }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_i64().unwrap()
    }

    /// Creates a square grid (side `size` degrees, south-west corner at lat, lng) as `by`.
    pub async fn grid(
        &self,
        by: &User,
        community_id: i64,
        name: &str,
        lat: f64,
        lng: f64,
        size: f64,
    ) -> i64 {
        let ring = json!([
            [lng, lat],
            [lng + size, lat],
            [lng + size, lat + size],
            [lng, lat + size],
            [lng, lat]
        ]);
        let (status, body) = self
            .post(
                &format!("/api/v1/communities/{community_id}/grids"),
                Some(&by.token),
                json!({ "name": name, "boundary": { "type": "Polygon", "coordinates": [ring] } }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_i64().unwrap()
    }
}

// ---- Civility supermarket: a small market, points, goods, and the ledger invariants ----

/// One street with two communities, each with its own staff member.
pub struct Market {
    /// Platform admin.
    pub admin: User,
    /// The community whose supermarket the tests use.
    pub community: i64,
    /// Its staff member.
    pub staff: User,
    /// Another community of the same street.
    pub other_community: i64,
    /// Staff of the other community.
    pub other_staff: User,
}

impl TestApp {
    /// A street with two communities and their staff.
    pub async fn market(&self) -> Market {
        let admin = self.admin().await;
        let street = self.street(&admin, "新城").await;
        let community = self
            .community(&admin, street.id, "仕奇社区", 40.82, 111.66)
            .await;
        let other_community = self
            .community(&admin, street.id, "光明路社区", 40.83, 111.67)
            .await;
        let staff = self.login("market-staff").await;
        self.grant(&admin, staff.id, "community_staff", community)
            .await;
        let other_staff = self.login("market-other-staff").await;
        self.grant(&admin, other_staff.id, "community_staff", other_community)
            .await;
        Market {
            admin,
            community,
            staff,
            other_community,
            other_staff,
        }
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
            .post(format!("{}{}", self.address, path))
            .bearer_auth(token)
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
            .await
            .expect("the server answers");
        let status = response.status();
        (status, response.text().await.expect("a body"))
    }

    /// Makes `user` an approved resident of `community` (a room of their own) through the API,
    /// unless they already are one: staff powers over points need that tie.
    pub async fn make_resident(&self, staff: &User, community: i64, user: &User) {
        let (status, mine) = self.get("/api/v1/me/residences", Some(&user.token)).await;
        assert_eq!(status, StatusCode::OK, "{mine}");
        let list = mine
            .as_array()
            .or_else(|| mine["items"].as_array())
            .cloned()
            .unwrap_or_default();
        if list
            .iter()
            .any(|r| r["community_id"] == community && r["status"] == "approved")
        {
            return;
        }
        let (status, filed) = self
            .post(
                "/api/v1/me/residences",
                Some(&user.token),
                json!({ "community_id": community, "building": "1栋", "unit": "1单元",
                        "room": format!("{}", user.id), "relation": "tenant" }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{filed}");
        let id = filed["id"].as_i64().expect("residence id");
        let (status, body) = self
            .post(
                &format!("/api/v1/residences/{id}/approve"),
                Some(&staff.token),
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "approve failed: {body}");
    }

    /// Gives (or takes) points through a staff adjustment, making the user a resident of the
    /// community first.
    pub async fn give_points(&self, staff: &User, community: i64, user: &User, delta: i64) {
        self.make_resident(staff, community, user).await;
        let key = uuid::Uuid::new_v4().to_string();
        let path = format!("/api/v1/communities/{community}/points/adjustments");
        let body = json!({ "user_id": user.id, "delta": delta, "reason": "测试发放" });
        let (status, text) = self.post_with_key(&path, &staff.token, &key, body).await;
        assert_eq!(status, StatusCode::CREATED, "adjustment failed: {text}");
    }

    /// Puts goods on the shelf as `staff`; answers the goods id.
    pub async fn put_goods(
        &self,
        staff: &User,
        community: i64,
        price: i64,
        stock: i64,
        monthly_limit: Option<i64>,
    ) -> i64 {
        let body = json!({
            "name": format!("物品{price}x{stock}"), "description": "爱心捐赠",
            "points_price": price, "stock": stock, "monthly_limit_per_user": monthly_limit,
        });
        let (status, goods) = self
            .post(
                &format!("/api/v1/communities/{community}/goods"),
                Some(&staff.token),
                body,
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{goods}");
        goods["id"].as_i64().unwrap()
    }

    /// Redeems with a fresh `Idempotency-Key`; answers the status and the JSON body.
    pub async fn redeem(&self, user: &User, goods_id: i64, quantity: i64) -> (StatusCode, Value) {
        let key = uuid::Uuid::new_v4().to_string();
        let body = json!({ "goods_id": goods_id, "quantity": quantity });
        let (status, text) = self
            .post_with_key("/api/v1/redemptions", &user.token, &key, body)
            .await;
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
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

    /// A user's wallet balance (0 without a wallet).
    pub async fn balance(&self, user_id: i64) -> i64 {
        self.scalar(&format!(
            "SELECT CAST(COALESCE(SUM(balance), 0) AS BIGINT) AS n FROM points_wallets WHERE user_id = {user_id}"
        ))
        .await
    }

    /// The stock of goods.
    pub async fn stock(&self, goods_id: i64) -> i64 {
        self.scalar(&format!(
            "SELECT stock AS n FROM goods WHERE id = {goods_id}"
        ))
        .await
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

/// The ledger and the shelf add up: every wallet balance is the sum of its user's entries and
/// never negative; every entry's `balance_after` is the running sum of its user's entries;
/// every redemption was paid by exactly one entry and, once cancelled or expired, refunded by
/// exactly one; and for every goods item stock + pending + fulfilled = initial stock +
/// restocks = total stocked.
pub async fn assert_ledger_invariants(app: &TestApp) {
    let get = |row: &sea_orm::QueryResult, column: &str| row.try_get::<i64>("", column).unwrap();
    for row in app
        .rows(
            "SELECT w.user_id AS user_id, w.balance AS balance, \
             CAST(COALESCE((SELECT SUM(e.amount) FROM points_entries e WHERE e.user_id = w.user_id), 0) AS BIGINT) AS total \
             FROM points_wallets w",
        )
        .await
    {
        let (user, balance, total) = (get(&row, "user_id"), get(&row, "balance"), get(&row, "total"));
        assert_eq!(balance, total, "user {user}: the balance is not the sum of the entries");
        assert!(balance >= 0, "user {user}: negative balance {balance}");
    }
    let orphans = app
        .scalar("SELECT COUNT(*) AS n FROM points_entries e WHERE NOT EXISTS (SELECT 1 FROM points_wallets w WHERE w.user_id = e.user_id)")
        .await;
    assert_eq!(orphans, 0, "entries without a wallet");
    let mut running = std::collections::HashMap::<i64, i64>::new();
    for row in app
        .rows("SELECT id, user_id, amount, balance_after FROM points_entries ORDER BY id")
        .await
    {
        let sum = running.entry(get(&row, "user_id")).or_default();
        *sum += get(&row, "amount");
        let after = get(&row, "balance_after");
        assert!(
            after >= 0,
            "entry {}: negative balance_after",
            get(&row, "id")
        );
        assert_eq!(
            after,
            *sum,
            "entry {}: balance_after is not the running sum",
            get(&row, "id")
        );
    }
    for row in app
        .rows(
            "SELECT g.id AS id, g.stock AS stock, g.initial_stock AS initial_stock, g.total_stocked AS total_stocked, \
             CAST(COALESCE((SELECT SUM(r.quantity) FROM redemptions r WHERE r.goods_id = g.id AND r.status IN ('pending', 'fulfilled')), 0) AS BIGINT) AS held, \
             CAST(COALESCE((SELECT SUM(s.quantity) FROM goods_restocks s WHERE s.goods_id = g.id), 0) AS BIGINT) AS restocked \
             FROM goods g",
        )
        .await
    {
        let id = get(&row, "id");
        let (stock, held) = (get(&row, "stock"), get(&row, "held"));
        let stocked = get(&row, "initial_stock") + get(&row, "restocked");
        assert!(stock >= 0, "goods {id}: negative stock");
        assert_eq!(stock + held, stocked, "goods {id}: stock + pending + fulfilled != initial + restocks");
        assert_eq!(stocked, get(&row, "total_stocked"), "goods {id}: total_stocked drifted");
    }
    for row in app
        .rows(
            "SELECT r.id AS id, r.status AS status, r.points AS points, \
             CAST(CASE WHEN r.fulfilled_at IS NULL THEN 0 ELSE 1 END AS BIGINT) AS has_fulfilled, \
             CAST(CASE WHEN r.closed_at IS NULL THEN 0 ELSE 1 END AS BIGINT) AS has_closed, \
             (SELECT COUNT(*) FROM points_entries e WHERE e.source = 'redemption' AND e.ref_type = 'redemption' AND e.ref_id = r.id) AS paid_n, \
             CAST(COALESCE((SELECT SUM(e.amount) FROM points_entries e WHERE e.source = 'redemption' AND e.ref_type = 'redemption' AND e.ref_id = r.id), 0) AS BIGINT) AS paid, \
             (SELECT COUNT(*) FROM points_entries e WHERE e.source = 'redemption_refund' AND e.ref_id = r.id) AS refund_n, \
             CAST(COALESCE((SELECT SUM(e.amount) FROM points_entries e WHERE e.source = 'redemption_refund' AND e.ref_id = r.id), 0) AS BIGINT) AS refunded \
             FROM redemptions r",
        )
        .await
    {
        let id = get(&row, "id");
        let status: String = row.try_get("", "status").unwrap();
        let points = get(&row, "points");
        assert_eq!((get(&row, "paid_n"), get(&row, "paid")), (1, -points), "redemption {id}: not paid exactly once");
        let closed = status == "cancelled" || status == "expired";
        let refund = if closed { (1, points) } else { (0, 0) };
        assert_eq!((get(&row, "refund_n"), get(&row, "refunded")), refund, "redemption {id} ({status}): refunds");
        assert_eq!(get(&row, "has_closed") == 1, closed, "redemption {id} ({status}): closed_at");
        assert_eq!(get(&row, "has_fulfilled") == 1, status == "fulfilled", "redemption {id} ({status}): fulfilled_at");
    }
    let payments = app
        .scalar("SELECT COUNT(*) AS n FROM points_entries WHERE source = 'redemption'")
        .await;
    assert_eq!(
        payments,
        app.count("redemptions").await,
        "a payment without its redemption"
    );
    let refunds = app
        .scalar("SELECT COUNT(*) AS n FROM points_entries WHERE source = 'redemption_refund'")
        .await;
    let closed = app
        .scalar("SELECT COUNT(*) AS n FROM redemptions WHERE status IN ('cancelled', 'expired')")
        .await;
    assert_eq!(refunds, closed, "refunds without a closed redemption");
}
