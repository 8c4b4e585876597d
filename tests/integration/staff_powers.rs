//! Staff powers stop at their community and at themselves: adjustments reach only people of
//! the community, nobody reviews or adjusts for themselves, the street sees every adjustment,
//! and the last platform admin survives two admins revoking each other.

use futures_util::future::join;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{TestApp, User};

struct Street {
    admin: User,
    street_admin: User,
    community: i64,
    staff: User,
    other_community: i64,
    other_staff: User,
    far_street: i64,
}

async fn street(app: &TestApp) -> Street {
    let admin = app.admin().await;
    let street = app.street(&admin, "新华").await;
    let far = app.street(&admin, "远方").await;
    let community = app
        .community(&admin, street.id, "锡林社区", 40.81, 111.65)
        .await;
    let other_community = app
        .community(&admin, far.id, "远方社区", 40.90, 111.90)
        .await;
    let staff = app.login("power-staff").await;
    app.grant(&admin, staff.id, "community_staff", community)
        .await;
    let other_staff = app.login("power-other-staff").await;
    app.grant(&admin, other_staff.id, "community_staff", other_community)
        .await;
    let street_admin = app.login("power-street").await;
    app.grant(&admin, street_admin.id, "street_admin", street.id)
        .await;
    Street {
        admin,
        street_admin,
        community,
        staff,
        other_community,
        other_staff,
        far_street: far.id,
    }
}

async fn adjust(
    app: &TestApp,
    staff: &User,
    community: i64,
    user_id: i64,
    delta: i64,
) -> (StatusCode, Value) {
    let (status, text) = app
        .post_with_key(
            &format!("/api/v1/communities/{community}/points/adjustments"),
            &staff.token,
            &uuid::Uuid::new_v4().to_string(),
            json!({ "user_id": user_id, "delta": delta, "reason": "志愿服务补录" }),
        )
        .await;
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn balance(app: &TestApp, user: &User) -> i64 {
    let (_, body) = app.get("/api/v1/me/points", Some(&user.token)).await;
    body["balance"].as_i64().unwrap()
}

#[tokio::test]
async fn adjustments_reach_only_people_of_the_community_and_never_the_staff_themselves() {
    let app = TestApp::spawn().await;
    let s = street(&app).await;
    let member = app.login("member").await;
    app.make_resident(&s.staff, s.community, &member).await;
    let stranger = app.login("stranger").await;
    let elsewhere = app.login("elsewhere").await;
    app.make_resident(&s.other_staff, s.other_community, &elsewhere)
        .await;
    let pending = app.login("pending").await;
    let (status, _) = app
        .post(
            "/api/v1/me/residences",
            Some(&pending.token),
            json!({ "community_id": s.community, "building": "2栋", "unit": "1单元", "room": "301", "relation": "owner" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    let (status, body) = adjust(&app, &s.staff, s.community, member.id, 30).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let (_, unknown) = adjust(&app, &s.staff, s.community, 987_654, 30).await;
    assert_eq!(unknown["code"], "not_found");
    for target in [&stranger, &elsewhere, &pending] {
        let (status, body) = adjust(&app, &s.staff, s.community, target.id, 30).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        assert_eq!(body, unknown, "no way to tell a stranger from no one");
    }
    // Their own points: refused even once they live there.
    app.make_resident(&s.street_admin, s.community, &s.staff)
        .await;
    let (status, body) = adjust(&app, &s.staff, s.community, s.staff.id, 30).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["code"], "self_review_forbidden");

    assert_eq!(balance(&app, &member).await, 30);
    for user in [&stranger, &elsewhere, &pending, &s.staff] {
        assert_eq!(balance(&app, user).await, 0);
    }
    assert_eq!(app.count("points_entries").await, 1);
}

#[tokio::test]
async fn staff_cannot_approve_or_reject_their_own_residence() {
    let app = TestApp::spawn().await;
    let s = street(&app).await;
    let (status, filed) = app
        .post(
            "/api/v1/me/residences",
            Some(&s.staff.token),
            json!({ "community_id": s.community, "building": "5栋", "unit": "1单元", "room": "101", "relation": "owner" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    let id = filed["id"].as_i64().unwrap();

    for (action, body) in [
        ("approve", json!({})),
        ("reject", json!({"reason": "自己审自己"})),
    ] {
        let (status, answer) = app
            .post(
                &format!("/api/v1/residences/{id}/{action}"),
                Some(&s.staff.token),
                body,
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{action}: {answer}");
        assert_eq!(answer["code"], "self_review_forbidden");
    }
    let (status, _) = app
        .post(
            &format!("/api/v1/residences/{id}/approve"),
            Some(&s.other_staff.token),
            json!({}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "other communities still see nothing"
    );
    let (status, body) = app
        .post(
            &format!("/api/v1/residences/{id}/approve"),
            Some(&s.street_admin.token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "another reviewer may: {body}");
    assert_eq!(body["status"], "approved");
}

#[tokio::test]
async fn street_admins_list_every_adjustment_in_their_street_and_no_other() {
    let app = TestApp::spawn().await;
    let s = street(&app).await;
    let resident = app.login("adjusted").await;
    app.make_resident(&s.staff, s.community, &resident).await;
    app.patch(
        "/api/v1/me",
        Some(&resident.token),
        json!({"nickname": "张小明"}),
    )
    .await;
    let far_resident = app.login("far").await;
    app.make_resident(&s.other_staff, s.other_community, &far_resident)
        .await;
    for delta in [10, 20, -5] {
        let (status, _) = adjust(&app, &s.staff, s.community, resident.id, delta).await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (status, _) = adjust(&app, &s.other_staff, s.other_community, far_resident.id, 99).await;
    assert_eq!(status, StatusCode::CREATED);

    let street_id = app
        .get(&format!("/api/v1/communities/{}", s.community), None)
        .await
        .1["street_id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/streets/{street_id}/points/adjustments");
    let (status, page) = app
        .get(&format!("{path}?limit=2"), Some(&s.street_admin.token))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["delta"], -5, "newest first");
    assert_eq!(items[0]["user_name"], "张**");
    assert_eq!(items[0]["staff_id"], s.staff.id);
    assert_eq!(items[0]["community_id"], s.community);
    assert_eq!(items[0]["balance_after"], 25);
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, rest) = app
        .get(
            &format!("{path}?limit=2&cursor={cursor}"),
            Some(&s.street_admin.token),
        )
        .await;
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert!(rest["next_cursor"].is_null());

    let (_, by_other) = app
        .get(
            &format!("{path}?staff_id={}", s.other_staff.id),
            Some(&s.admin.token),
        )
        .await;
    assert_eq!(
        by_other["items"],
        json!([]),
        "the far street's adjustment is not here"
    );
    let (_, tomorrow) = app
        .get(
            &format!("{path}?from=2099-01-01"),
            Some(&s.street_admin.token),
        )
        .await;
    assert_eq!(tomorrow["items"], json!([]));
    let (status, body) = app
        .get(
            &format!("{path}?from=2026-12-02&to=2026-12-01"),
            Some(&s.street_admin.token),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["fields"]["to"].is_string());

    for outsider in [&s.staff, &resident] {
        let (status, _) = app.get(&path, Some(&outsider.token)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    let (status, _) = app
        .get(
            &format!("/api/v1/streets/{}/points/adjustments", s.far_street),
            Some(&s.street_admin.token),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn two_platform_admins_revoking_each_other_at_once_always_leave_one() {
    let app = TestApp::spawn().await;
    let mut survivor = app.admin().await;
    for _ in 0..30 {
        let newcomer = app.admin().await;
        let (_, list) = app
            .get("/api/v1/role-assignments?limit=100", Some(&survivor.token))
            .await;
        let items = list["items"].as_array().unwrap();
        assert_eq!(items.len(), 2, "{list}");
        let role_of = |user: &User| {
            items.iter().find(|a| a["user_id"] == user.id).unwrap()["id"]
                .as_i64()
                .unwrap()
        };
        let (a, b) = join(
            app.delete(
                &format!("/api/v1/role-assignments/{}", role_of(&newcomer)),
                Some(&survivor.token),
            ),
            app.delete(
                &format!("/api/v1/role-assignments/{}", role_of(&survivor)),
                Some(&newcomer.token),
            ),
        )
        .await;
        for (status, body) in [&a, &b] {
            assert!(
                status.is_success() || status.is_client_error(),
                "{status} {body}"
            );
        }
        assert_eq!(
            app.count("role_assignments").await,
            1,
            "exactly one revocation wins: {a:?} {b:?}"
        );
        if b.0.is_success() {
            survivor = newcomer;
        }
    }
}
