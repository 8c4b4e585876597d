//! Staff find the residents of their community by name or the end of the phone, with each
//! one's grid and balance, masked, before adjusting their points.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{Market, TestApp, User};

/// A user logged in as `name`, with a phone bound and, when given, a new display name.
async fn person(app: &TestApp, login: &str, phone: &str, nickname: Option<&str>) -> User {
    let user = app.login(login).await;
    let (status, body) = app
        .post(
            "/api/v1/me/phone",
            Some(&user.token),
            json!({ "code": format!("mock:{phone}") }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    if let Some(nickname) = nickname {
        let (status, body) = app
            .patch(
                "/api/v1/me",
                Some(&user.token),
                json!({ "nickname": nickname }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    user
}

/// The `user_id`s of a search answer, in order.
fn ids(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("a page: {page}"))
        .iter()
        .map(|r| r["user_id"].as_i64().unwrap())
        .collect()
}

struct Town {
    m: Market,
    alice: User,
    bob: User,
    zhang: User,
    grid: i64,
}

/// alice (placed in a grid, 50 points), bob and 张三丰 are residents; carol only applied;
/// dave lives in the other community.
async fn town(app: &TestApp) -> Town {
    let m = app.market().await;
    let grid = app
        .grid(&m.admin, m.community, "第一网格", 40.81, 111.65, 0.02)
        .await;
    let alice = person(app, "alice", "13812341111", None).await;
    let (status, filed) = app
        .post(
            "/api/v1/me/residences",
            Some(&alice.token),
            json!({ "community_id": m.community, "building": "1栋", "unit": "1单元",
                    "room": "101", "relation": "owner" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    let (status, approved) = app
        .post(
            &format!("/api/v1/residences/{}/approve", filed["id"]),
            Some(&m.staff.token),
            json!({ "grid_id": grid }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    assert_eq!(
        (&approved["grid_id"], &approved["grid_name"]),
        (&json!(grid), &json!("第一网格"))
    );
    app.give_points(&m.staff, m.community, &alice, 50).await;
    let bob = person(app, "bob", "13900002222", None).await;
    app.make_resident(&m.staff, m.community, &bob).await;
    let zhang = person(app, "zhang", "13700003333", Some("张三丰")).await;
    app.make_resident(&m.staff, m.community, &zhang).await;
    let carol = person(app, "carol", "13600001111", None).await;
    let (status, _) = app
        .post(
            "/api/v1/me/residences",
            Some(&carol.token),
            json!({ "community_id": m.community, "building": "9栋", "unit": "1单元",
                    "room": "909", "relation": "tenant" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let dave = person(app, "dave_alice", "13500001111", None).await;
    app.make_resident(&m.other_staff, m.other_community, &dave)
        .await;
    Town {
        m,
        alice,
        bob,
        zhang,
        grid,
    }
}

#[tokio::test]
async fn staff_find_residents_by_name_or_phone_suffix_masked_with_grid_and_balance() {
    let app = TestApp::spawn().await;
    let t = town(&app).await;
    let search = format!("/api/v1/communities/{}/residents", t.m.community);
    let staff = Some(t.m.staff.token.as_str());

    let (status, found) = app.get(&format!("{search}?q=alice"), staff).await;

    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(
        found,
        json!({ "items": [{ "user_id": t.alice.id, "name": "a****", "phone": "138****1111",
                            "grid_id": t.grid, "grid_name": "第一网格", "balance": 50 }],
                "next_cursor": null })
    );
    let (_, by_phone) = app.get(&format!("{search}?q=1111"), staff).await;
    assert_eq!(
        ids(&by_phone),
        [t.alice.id],
        "carol applied only; dave lives elsewhere"
    );
    let (_, by_phone) = app.get(&format!("{search}?q=2222"), staff).await;
    assert_eq!(ids(&by_phone), [t.bob.id]);
    assert_eq!(by_phone["items"][0]["balance"], 0);
    assert_eq!(by_phone["items"][0]["grid_id"], Value::Null);
    let (_, chinese) = app.get(&format!("{search}?q=%E4%B8%89"), staff).await;
    assert_eq!(ids(&chinese), [t.zhang.id]);
    assert_eq!(chinese["items"][0]["name"], "张**");
    let (_, upper) = app.get(&format!("{search}?q=LIC"), staff).await;
    assert_eq!(ids(&upper), [t.alice.id], "names match whatever their case");
    for wildcard in ["%25", "_", "%5C"] {
        let (status, none) = app.get(&format!("{search}?q={wildcard}"), staff).await;
        assert_eq!(
            (status, ids(&none).len()),
            (StatusCode::OK, 0),
            "{wildcard}: {none}"
        );
    }

    let (_, first) = app.get(&format!("{search}?limit=2"), staff).await;
    assert_eq!(ids(&first), [t.zhang.id, t.bob.id]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, rest) = app
        .get(&format!("{search}?limit=2&cursor={cursor}"), staff)
        .await;
    assert_eq!(
        (ids(&rest), &rest["next_cursor"]),
        (vec![t.alice.id], &Value::Null)
    );
}

#[tokio::test]
async fn only_the_communitys_staff_may_search_its_residents() {
    let app = TestApp::spawn().await;
    let t = town(&app).await;
    let search = format!("/api/v1/communities/{}/residents", t.m.community);

    for token in [&t.m.other_staff.token, &t.alice.token] {
        let (status, body) = app.get(&format!("{search}?q=alice"), Some(token)).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("not_found")),
            "{body}"
        );
    }
    let (status, _) = app.get(&search, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, found) = app
        .get(&format!("{search}?q=alice"), Some(&t.m.admin.token))
        .await;
    assert_eq!(
        (status, ids(&found)),
        (StatusCode::OK, vec![t.alice.id]),
        "platform admins too"
    );
    let long = "长".repeat(33);
    for bad in [
        format!("q={long}"),
        "q=%20".to_owned(),
        "limit=0".to_owned(),
        "phone=1111".to_owned(),
    ] {
        let (status, body) = app
            .get(&format!("{search}?{bad}"), Some(&t.m.staff.token))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
    }
}

#[tokio::test]
async fn the_review_queue_names_the_grid_next_to_its_id() {
    let app = TestApp::spawn().await;
    let t = town(&app).await;

    let (status, queue) = app
        .get(
            &format!(
                "/api/v1/communities/{}/residences?status=approved",
                t.m.community
            ),
            Some(&t.m.staff.token),
        )
        .await;

    assert_eq!(status, StatusCode::OK, "{queue}");
    let alice = queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["applicant"]["id"] == t.alice.id)
        .cloned()
        .unwrap();
    assert_eq!(
        (&alice["grid_id"], &alice["grid_name"]),
        (&json!(t.grid), &json!("第一网格"))
    );
    let (_, mine) = app.get("/api/v1/me/residences", Some(&t.alice.token)).await;
    let mine = mine
        .as_array()
        .or_else(|| mine["items"].as_array())
        .cloned()
        .unwrap();
    assert_eq!(mine[0]["grid_name"], "第一网格");
}
