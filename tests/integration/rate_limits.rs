//! Rate limits on logins and writes, with Redis up, with Redis gone, and in-process.

use std::sync::{Arc, Mutex};

use reqwest::StatusCode;
use serde_json::json;
use tokio::{net::TcpListener, task::JoinHandle};

use crate::helpers::{redis_url, TestApp};

async fn login_status(app: &TestApp, name: &str) -> reqwest::Response {
    app.raw(
        reqwest::Method::POST,
        "/api/v1/auth/wechat-login",
        None,
        Some(json!({ "code": format!("mock:{name}") })),
    )
    .await
}

#[tokio::test]
async fn logins_are_limited_per_client_with_retry_after() {
    let app = TestApp::spawn_with(|s| s.rate.login = 3).await;
    for i in 0..3 {
        assert_eq!(
            login_status(&app, &format!("u{i}")).await.status(),
            StatusCode::OK
        );
    }
    let response = login_status(&app, "u4").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited");
    assert_eq!(
        app.count("users").await,
        3,
        "the refused login wrote nothing"
    );
    let (status, _) = app
        .post(
            "/api/v1/auth/password-login",
            None,
            json!({"username": "a", "password": "b"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "password logins share the login limit"
    );
}

#[tokio::test]
async fn writes_are_limited_per_user() {
    let app = TestApp::spawn_with(|s| s.rate.writes = 3).await;
    let (first, second) = (app.login("w1").await, app.login("w2").await);
    for _ in 0..3 {
        let (status, _) = app
            .patch("/api/v1/me", Some(&first.token), json!({"nickname": "x"}))
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, body) = app
        .patch("/api/v1/me", Some(&first.token), json!({"nickname": "y"}))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited"))
    );
    let (status, _) = app.get("/api/v1/me", Some(&first.token)).await;
    assert_eq!(status, StatusCode::OK, "reads are not write-limited");
    let (status, _) = app
        .patch("/api/v1/me", Some(&second.token), json!({"nickname": "z"}))
        .await;
    assert_eq!(status, StatusCode::OK, "another user has their own budget");
}

/// A TCP proxy to Redis that the test can cut, as if Redis stopped.
struct Proxy {
    port: u16,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(target: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let tasks: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let inner = tasks.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let target = target.clone();
                let handle = tokio::spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                inner.lock().unwrap().push(handle);
            }
        });
        tasks.lock().unwrap().push(accept);
        Proxy { port, tasks }
    }

    fn stop(&self) {
        for task in self.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
    }
}

#[tokio::test]
async fn limits_are_kept_in_redis_and_fall_back_in_process_when_redis_stops() {
    let Some(redis) = redis_url() else {
        eprintln!("LINLI_TEST_REDIS_URL is not set: this test runs in the PostgreSQL + Redis pass of .ci/run");
        return;
    };
    let target = url::Url::parse(&redis).unwrap();
    let proxy = Proxy::start(format!(
        "{}:{}",
        target.host_str().unwrap(),
        target.port().unwrap_or(6379)
    ))
    .await;
    let proxied = format!("redis://127.0.0.1:{}{}", proxy.port, target.path());
    let prefix = format!("linli_rl_{}:", uuid::Uuid::new_v4().simple());
    let (p, u) = (prefix.clone(), proxied.clone());
    let app = TestApp::spawn_with(move |s| {
        s.rate.login = 3;
        s.redis_url = Some(u);
        s.redis_prefix = p;
    })
    .await;

    for i in 0..2 {
        assert_eq!(
            login_status(&app, &format!("r{i}")).await.status(),
            StatusCode::OK
        );
    }
    let client = redis::Client::open(redis.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}rl:login:*"))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(keys.len(), 1, "the login counter lives in Redis");
    let count: u64 = redis::cmd("GET")
        .arg(&keys[0])
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(count, 2);

    proxy.stop();
    let mut statuses = vec![];
    for i in 0..5 {
        statuses.push(login_status(&app, &format!("down{i}")).await.status());
    }
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        3,
        "the in-process limiter took over: {statuses:?}"
    );
    assert_eq!(statuses[4], StatusCode::TOO_MANY_REQUESTS);
    let (status, ready) = app.get("/readyz", None).await;
    assert_eq!(
        (status, ready["status"].as_str()),
        (StatusCode::OK, Some("degraded"))
    );
}

#[tokio::test]
async fn a_server_whose_redis_never_answers_still_serves_and_limits() {
    let app = TestApp::spawn_with(|s| {
        s.redis_url = Some("redis://127.0.0.1:1".into());
        s.rate.login = 2;
    })
    .await;
    assert_eq!(login_status(&app, "a").await.status(), StatusCode::OK);
    assert_eq!(login_status(&app, "b").await.status(), StatusCode::OK);
    assert_eq!(
        login_status(&app, "c").await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}
