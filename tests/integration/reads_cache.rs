//! Cached reads (issue 9): a cold value asked for by many at once is computed once, keys need
//! no query, and a change shows at once — on this instance and, through Redis, on another.

use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_ledger_invariants, redis_url, TestApp, User};
use crate::points::{award, put_rules};

fn board(community: i64, period: &str) -> String {
    format!("/api/v1/communities/{community}/points/leaderboard?period={period}")
}

async fn ok(app: &TestApp, path: &str, token: Option<&str>) -> Value {
    let (status, body) = app.get(path, token).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

/// A market whose community awards 10 points per activity hour, and an earner.
async fn earning(app: &TestApp) -> (crate::helpers::Market, User) {
    let m = app.market().await;
    let rule = json!([{"action": "activity_hour", "points": 10}]);
    assert_eq!(
        put_rules(app, &m.staff, m.community, rule).await.0,
        StatusCode::OK
    );
    let earner = app.login("earner").await;
    (m, earner)
}

#[tokio::test]
async fn a_cold_leaderboard_asked_for_64_times_at_once_is_computed_once() {
    let app = TestApp::spawn().await;
    let (m, earner) = earning(&app).await;
    for round in 0..3 {
        award(
            &app,
            earner.id,
            m.community,
            "activity_hour",
            &format!("r{round}"),
        )
        .await;
        let before = app.state.cache.fills();
        let path = board(m.community, "year");
        let answers = join_all((0..64).map(|_| app.get(&path, Some(&earner.token)))).await;
        assert_eq!(app.state.cache.fills() - before, 1, "round {round}");
        for (status, body) in &answers {
            assert_eq!(*status, StatusCode::OK, "{body}");
            assert_eq!(body, &answers[0].1);
        }
        assert_eq!(answers[0].1["items"][0]["points"], json!(10 * (round + 1)));
    }
    assert_ledger_invariants(&app).await;
}

#[tokio::test]
async fn a_new_earning_shows_at_once_in_the_summary_and_both_leaderboards() {
    let app = TestApp::spawn().await;
    let (m, earner) = earning(&app).await;
    for k in 1..=4 {
        award(
            &app,
            earner.id,
            m.community,
            "activity_hour",
            &format!("k{k}"),
        )
        .await;
        let summary = ok(&app, "/api/v1/me/points", Some(&earner.token)).await;
        assert_eq!(summary["earned_this_month"], json!(10 * k));
        assert_eq!(summary["balance"], json!(10 * k));
        for period in ["month", "year"] {
            let top = ok(&app, &board(m.community, period), Some(&earner.token)).await;
            assert_eq!(top["items"][0]["points"], json!(10 * k), "{period}");
        }
    }
    // A spending shows at once too.
    let goods = app.put_goods(&m.staff, m.community, 15, 5, None).await;
    app.make_resident(&m.staff, m.community, &earner).await;
    let (status, body) = app.redeem(&earner, goods, 1).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let summary = ok(&app, "/api/v1/me/points", Some(&earner.token)).await;
    assert_eq!(summary["balance"], json!(25));
    assert_eq!(summary["spent_this_month"], json!(15));
    assert_ledger_invariants(&app).await;
}

#[tokio::test]
async fn the_shelf_and_the_nearest_list_show_a_change_at_once() {
    let app = TestApp::spawn().await;
    let m = app.market().await;
    let shelf = format!("/api/v1/communities/{}/goods", m.community);
    let near = "/api/v1/communities?lat=40.82&lng=111.66";
    assert_eq!(ok(&app, &shelf, None).await["items"], json!([]));
    let first = ok(&app, near, None).await;
    assert_eq!(first["items"][0]["name"], json!("仕奇社区"));
    let goods = app.put_goods(&m.staff, m.community, 10, 3, None).await;
    assert_eq!(ok(&app, &shelf, None).await["items"][0]["id"], json!(goods));
    let path = format!("/api/v1/communities/{}", m.community);
    let (status, body) = app
        .patch(
            &path,
            Some(&m.admin.token),
            json!({"name": "新仕奇社区", "lat": 40.9}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let after = ok(&app, near, None).await;
    assert_eq!(after["items"][0]["name"], json!("光明路社区"), "moved away");
    assert_eq!(after["items"][1]["name"], json!("新仕奇社区"));
    assert_eq!(after["items"][1]["lat"], json!(40.9));
}

#[tokio::test]
async fn another_instance_sees_revocations_and_changes_at_once() {
    if redis_url().is_none() {
        // Instances share generations through Redis; without it there is one instance.
        return;
    }
    let app = TestApp::spawn().await;
    let twin = app.spawn_twin().await;
    let (m, earner) = earning(&app).await;

    // A profile change on one instance shows on the other, whose caller was cached.
    assert_eq!(
        ok(&twin, "/api/v1/me", Some(&earner.token)).await["nickname"],
        json!("earner")
    );
    let (status, body) = app
        .patch(
            "/api/v1/me",
            Some(&earner.token),
            json!({"nickname": "阿明"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        ok(&twin, "/api/v1/me", Some(&earner.token)).await["nickname"],
        json!("阿明")
    );

    // Earnings, the shelf and the map.
    let top = board(m.community, "month");
    let token = Some(earner.token.as_str());
    assert_eq!(ok(&twin, &top, token).await["items"], json!([]));
    award(&app, earner.id, m.community, "activity_hour", "t0").await;
    assert_eq!(
        ok(&twin, &top, token).await["items"][0]["points"],
        json!(10)
    );
    let summary = ok(&twin, "/api/v1/me/points", Some(&earner.token)).await;
    assert_eq!(summary["earned_this_month"], json!(10));
    let shelf = format!("/api/v1/communities/{}/goods", m.community);
    assert_eq!(ok(&twin, &shelf, None).await["items"], json!([]));
    let goods = app.put_goods(&m.staff, m.community, 10, 3, None).await;
    assert_eq!(
        ok(&twin, &shelf, None).await["items"][0]["id"],
        json!(goods)
    );
    let near = "/api/v1/communities?lat=40.82&lng=111.66";
    assert_eq!(
        ok(&twin, near, None).await["items"][0]["name"],
        json!("仕奇社区")
    );
    let path = format!("/api/v1/communities/{}", m.community);
    let (status, body) = app
        .patch(&path, Some(&m.admin.token), json!({"name": "新仕奇社区"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The public map may show another instance's change up to `near_index::RECENT` late.
    tokio::time::sleep(api::regions::service::near_index::RECENT).await;
    assert_eq!(
        ok(&twin, near, None).await["items"][0]["name"],
        json!("新仕奇社区")
    );

    // A role revoked on one instance is gone on the other at once.
    let counts = format!("/api/v1/communities/{}/counts", m.community);
    ok(&twin, &counts, Some(&m.staff.token)).await;
    let (status, roles) = app.get("/api/v1/me", Some(&m.staff.token)).await;
    assert_eq!(status, StatusCode::OK);
    let grant = roles["roles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["role"] == json!("community_staff"))
        .expect("staff role")["id"]
        .as_i64()
        .unwrap();
    let (status, body) = app
        .delete(
            &format!("/api/v1/role-assignments/{grant}"),
            Some(&m.admin.token),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, _) = twin.get(&counts, Some(&m.staff.token)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Logging out everywhere on one instance ends the token on the other at once.
    ok(&twin, "/api/v1/me", Some(&earner.token)).await;
    let (status, body) = app
        .post("/api/v1/auth/logout-all", Some(&earner.token), json!({}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, _) = twin.get("/api/v1/me", Some(&earner.token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn two_instances_asked_for_one_cold_value_compute_it_once() {
    let Some(url) = redis_url() else {
        return;
    };
    let prefix = format!("linli_test_{}:", uuid::Uuid::new_v4().simple());
    let one = std::sync::Arc::new(api::cache::Cache::redis(&url, &prefix).await.unwrap());
    let two = std::sync::Arc::new(api::cache::Cache::redis(&url, &prefix).await.unwrap());
    let computed = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let calls = (0..64).map(|i| {
        let cache = if i % 2 == 0 { one.clone() } else { two.clone() };
        let computed = computed.clone();
        tokio::spawn(async move {
            let generation = cache.generation("twin").await;
            cache
                .read_through(
                    &generation,
                    "v",
                    std::time::Duration::from_secs(60),
                    || async {
                        computed.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                        Ok("answer".to_owned())
                    },
                )
                .await
                .unwrap()
        })
    });
    for answer in join_all(calls).await {
        assert_eq!(answer.unwrap(), "answer");
    }
    assert_eq!(computed.load(std::sync::atomic::Ordering::SeqCst), 1);
    one.bump("twin").await;
    let generation = two.generation("twin").await;
    let next = two
        .read_through(
            &generation,
            "v",
            std::time::Duration::from_secs(60),
            || async { Ok("changed".to_owned()) },
        )
        .await
        .unwrap();
    assert_eq!(next, "changed", "a bump on one instance reaches the other");
}
