//! Redis failing: requests fall back to the in-process store at once, one reconnect at a time
//! runs in the background, readiness does not touch the breaker, and Redis is used again
//! once it returns. Connection attempts are counted, not timed.

use std::{
    sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use reqwest::StatusCode;
use tokio::{net::TcpListener, task::JoinHandle};

use crate::{
    helpers::{redis_url, TestApp},
    rate_limits::login_status,
};

/// A TCP proxy in front of Redis that counts connections and can be cut: while cut it
/// accepts connections and never answers (the worst outage: nothing fails fast). Without
/// a target it is always cut.
struct Proxy {
    port: u16,
    accepted: Arc<AtomicUsize>,
    up: Arc<AtomicBool>,
    forwarding: Arc<Mutex<Vec<JoinHandle<()>>>>,
    accept: JoinHandle<()>,
}

impl Proxy {
    async fn start(target: Option<String>) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let up = Arc::new(AtomicBool::new(target.is_some()));
        let forwarding: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let (count, open, tasks) = (accepted.clone(), up.clone(), forwarding.clone());
        let accept = tokio::spawn(async move {
            let mut held = vec![];
            while let Ok((mut client, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                match target.clone().filter(|_| open.load(Ordering::SeqCst)) {
                    Some(target) => tasks.lock().unwrap().push(tokio::spawn(async move {
                        if let Ok(mut server) = tokio::net::TcpStream::connect(target).await {
                            let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                        }
                    })),
                    None => held.push(client),
                }
            }
        });
        Proxy {
            port,
            accepted,
            up,
            forwarding,
            accept,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("redis://127.0.0.1:{}{path}", self.port)
    }

    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    /// Drops the open connections; new ones are held without an answer.
    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for task in self.forwarding.lock().unwrap().drain(..) {
            task.abort();
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
        self.accept.abort();
    }
}

async fn readiness(app: &TestApp) -> String {
    let (status, body) = app.get("/readyz", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["status"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn requests_while_redis_is_down_never_connect_and_readyz_adds_no_attempts() {
    let proxy = Proxy::start(None).await;
    let url = proxy.url("");
    let app = TestApp::spawn_with(move |s| {
        s.redis_url = Some(url);
        s.rate.wechat_login = 2;
    })
    .await;

    // 16 clients, 15 requests each, spread over about three seconds; every one spends the
    // anonymous write budget, so every one asks the cache.
    let started = Instant::now();
    let mut clients = vec![];
    for _ in 0..16 {
        let (client, address) = (app.client.clone(), app.address.clone());
        clients.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(200));
            for _ in 0..15 {
                tick.tick().await;
                let response = client
                    .post(format!("{address}/api/v1/no-such-thing"))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), StatusCode::NOT_FOUND);
            }
        }));
    }
    for client in clients {
        client.await.unwrap();
    }
    let attempts = proxy.accepted();
    // One attempt at start, then one reconnect after 0.5 s, 1 s, 2 s, 4 s… (each held
    // for its 0.5 s timeout): at most 5 in the first 5 seconds, whatever the load.
    assert!(
        attempts <= 5,
        "{attempts} connection attempts for 240 requests in {:?}",
        started.elapsed()
    );

    let before = proxy.accepted();
    for _ in 0..20 {
        assert_eq!(readiness(&app).await, "degraded");
    }
    assert!(
        proxy.accepted() <= before + 1,
        "readyz connected itself: {} attempts after 20 calls",
        proxy.accepted() - before
    );

    assert_eq!(login_status(&app, "a").await.status(), StatusCode::OK);
    assert_eq!(login_status(&app, "b").await.status(), StatusCode::OK);
    assert_eq!(
        login_status(&app, "c").await.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the in-process limiter holds while Redis is down"
    );
}

#[tokio::test]
async fn a_server_whose_redis_refuses_connections_still_serves_and_limits() {
    let app = TestApp::spawn_with(|s| {
        s.redis_url = Some("redis://127.0.0.1:1".into());
        s.rate.wechat_login = 2;
    })
    .await;
    assert_eq!(login_status(&app, "a").await.status(), StatusCode::OK);
    assert_eq!(login_status(&app, "b").await.status(), StatusCode::OK);
    assert_eq!(
        login_status(&app, "c").await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

async fn login_count(redis: &str, prefix: &str) -> Option<u64> {
    let client = redis::Client::open(redis).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}rl:wechat:*"))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(keys.len() <= 1, "one client, one counter: {keys:?}");
    let key = keys.first()?;
    redis::cmd("GET").arg(key).query_async(&mut conn).await.ok()
}

#[tokio::test]
async fn limits_live_in_redis_fall_back_in_process_while_it_is_cut_and_return_to_it() {
    let Some(redis) = redis_url() else {
        eprintln!("LINLI_TEST_REDIS_URL is not set: this test runs in the PostgreSQL + Redis pass of .ci/run");
        return;
    };
    let target = url::Url::parse(&redis).unwrap();
    let proxy = Proxy::start(Some(format!(
        "{}:{}",
        target.host_str().unwrap(),
        target.port().unwrap_or(6379)
    )))
    .await;
    let proxied = proxy.url(target.path());
    let prefix = format!("linli_rl_{}:", uuid::Uuid::new_v4().simple());
    let p = prefix.clone();
    let app = TestApp::spawn_with(move |s| {
        s.rate.wechat_login = 3;
        s.redis_url = Some(proxied);
        s.redis_prefix = p;
    })
    .await;

    for i in 0..2 {
        let status = login_status(&app, &format!("r{i}")).await.status();
        assert_eq!(status, StatusCode::OK);
    }
    assert_eq!(
        login_count(&redis, &prefix).await,
        Some(2),
        "the counter lives in Redis"
    );

    proxy.cut();
    let mut statuses = vec![];
    for i in 0..5 {
        statuses.push(login_status(&app, &format!("down{i}")).await.status());
    }
    assert_eq!(
        statuses,
        [
            StatusCode::OK,
            StatusCode::OK,
            StatusCode::OK,
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::TOO_MANY_REQUESTS
        ],
        "the in-process limiter took over"
    );
    assert_eq!(readiness(&app).await, "degraded");

    proxy.restore();
    let deadline = Instant::now() + Duration::from_secs(30);
    while readiness(&app).await != "ready" {
        assert!(Instant::now() < deadline, "redis never came back");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(login_status(&app, "back").await.status(), StatusCode::OK);
    assert_eq!(
        login_count(&redis, &prefix).await,
        Some(3),
        "counting went back to Redis"
    );
}

/// The value of `what` in `family` as `cache` reads it, with the answer `fill` would give.
async fn read(cache: &api::cache::Cache, family: &str, fill: &'static str) -> String {
    let generation = cache.generation(family).await;
    cache
        .read_through(&generation, "v", Duration::from_secs(60), || async {
            Ok(fill.to_owned())
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn a_change_made_while_redis_is_cut_is_never_served_stale_and_reaches_others_when_it_returns()
{
    let Some(redis) = redis_url() else {
        return;
    };
    let target = url::Url::parse(&redis).unwrap();
    let proxy = Proxy::start(Some(format!(
        "{}:{}",
        target.host_str().unwrap(),
        target.port().unwrap_or(6379)
    )))
    .await;
    let prefix = format!("linli_gen_{}:", uuid::Uuid::new_v4().simple());
    let cut_off = api::cache::Cache::redis(&proxy.url(target.path()), &prefix)
        .await
        .unwrap();
    let other = api::cache::Cache::redis(&redis, &prefix).await.unwrap();
    assert_eq!(read(&other, "f", "before").await, "before");
    assert_eq!(read(&cut_off, "f", "ignored").await, "before", "shared");

    proxy.cut();
    cut_off.bump("f").await;
    assert!(!cut_off.generation("f").await.shared);
    assert_eq!(
        read(&cut_off, "f", "during").await,
        "during",
        "nothing cached is served while Redis is out of reach"
    );
    assert_eq!(read(&other, "f", "ignored").await, "before", "not told yet");

    proxy.restore();
    let deadline = Instant::now() + Duration::from_secs(30);
    while cut_off.ping().await.is_err() {
        assert!(Instant::now() < deadline, "redis never came back");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(cut_off.generation("f").await.shared);
    assert_eq!(
        read(&other, "f", "after").await,
        "after",
        "the change was replayed to Redis"
    );
}
