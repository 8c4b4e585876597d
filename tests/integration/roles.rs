//! Roles are data: who may grant what where, and removal takes effect at once.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, User};

struct World {
    admin: User,
    street_admin: User,
    staff: User,
    other_staff: User,
    community: i64,
    other_community: i64,
    other_street_community: i64,
    grid: i64,
    other_grid: i64,
    other_street: i64,
}

/// Two streets; street A has communities 1 and 2, street B community 3.
async fn world(app: &TestApp) -> World {
    let admin = app.admin().await;
    let a = app.street(&admin, "甲").await;
    let b = app.street(&admin, "乙").await;
    let community = app.community(&admin, a.id, "一社区", 40.81, 111.65).await;
    let other_community = app.community(&admin, a.id, "二社区", 40.82, 111.66).await;
    let other_street_community = app.community(&admin, b.id, "三社区", 40.83, 111.67).await;
    let street_admin = app.login("street-admin").await;
    app.grant(&admin, street_admin.id, "street_admin", a.id)
        .await;
    let staff = app.login("staff").await;
    app.grant(&street_admin, staff.id, "community_staff", community)
        .await;
    let other_staff = app.login("other-staff").await;
    app.grant(&admin, other_staff.id, "community_staff", other_community)
        .await;
    let grid = app
        .grid(&staff, community, "一网格", 40.80, 111.64, 0.01)
        .await;
    let other_grid = app
        .grid(&other_staff, other_community, "二网格", 40.82, 111.66, 0.01)
        .await;
    World {
        admin,
        street_admin,
        staff,
        other_staff,
        community,
        other_community,
        other_street_community,
        grid,
        other_grid,
        other_street: b.id,
    }
}

async fn grant(
    app: &TestApp,
    by: &User,
    user_id: i64,
    role: &str,
    scope_id: i64,
) -> (StatusCode, serde_json::Value) {
    app.post(
        "/api/v1/role-assignments",
        Some(&by.token),
        json!({"user_id": user_id, "role": role, "scope_id": scope_id}),
    )
    .await
}

#[tokio::test]
async fn a_street_admin_grants_staff_roles_only_within_their_street() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let someone = app.login("someone").await;
    assert_eq!(
        grant(
            &app,
            &w.street_admin,
            someone.id,
            "community_staff",
            w.other_community
        )
        .await
        .0,
        StatusCode::CREATED
    );
    assert_eq!(
        grant(&app, &w.street_admin, someone.id, "grid_worker", w.grid)
            .await
            .0,
        StatusCode::CREATED
    );
    let (status, body) = grant(
        &app,
        &w.street_admin,
        someone.id,
        "community_staff",
        w.other_street_community,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    assert_eq!(
        grant(
            &app,
            &w.street_admin,
            someone.id,
            "street_admin",
            w.other_street
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        grant(&app, &w.street_admin, someone.id, "platform_admin", 0)
            .await
            .0,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn community_staff_grant_grid_workers_of_their_own_community_only() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let worker = app.login("worker").await;
    let (status, body) = grant(&app, &w.staff, worker.id, "grid_worker", w.grid).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["scope_name"], "一网格");
    assert_eq!(
        grant(&app, &w.staff, worker.id, "grid_worker", w.other_grid)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        grant(&app, &w.staff, worker.id, "community_staff", w.community)
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        grant(
            &app,
            &w.staff,
            worker.id,
            "community_staff",
            w.other_community
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    let before = app.count("role_assignments").await;
    let (status, body) = grant(&app, &w.staff, worker.id, "grid_worker", w.grid).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("role_already_assigned"))
    );
    assert_eq!(app.count("role_assignments").await, before);
}

#[tokio::test]
async fn a_resident_cannot_grant_or_list_roles() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let resident = app.login("resident").await;
    let (status, body) = grant(&app, &resident, resident.id, "grid_worker", w.grid).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    let (status, _) = app
        .get("/api/v1/role-assignments", Some(&resident.token))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.get("/api/v1/role-assignments", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn bad_grants_answer_4xx_and_write_nothing() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let before = app.count("role_assignments").await;
    let cases = [
        (
            json!({"user_id": 99999, "role": "grid_worker", "scope_id": w.grid}),
            StatusCode::NOT_FOUND,
        ),
        (
            json!({"user_id": w.staff.id, "role": "emperor", "scope_id": 1}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"user_id": w.staff.id, "role": "grid_worker"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"user_id": "one", "role": "grid_worker", "scope_id": w.grid}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"user_id": w.staff.id, "role": "grid_worker", "scope_id": 99999}),
            StatusCode::NOT_FOUND,
        ),
        (
            json!({"user_id": w.staff.id, "role": "platform_admin", "scope_id": 7}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ];
    for (body, expected) in cases {
        let (status, answer) = app
            .post(
                "/api/v1/role-assignments",
                Some(&w.admin.token),
                body.clone(),
            )
            .await;
        assert_eq!(status, expected, "{body} → {answer}");
        assert!(answer["code"].is_string() && answer["message"].is_string());
    }
    assert_eq!(app.count("role_assignments").await, before);
}

#[tokio::test]
async fn removing_a_role_takes_effect_on_the_next_request() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let (_, me) = app.get("/api/v1/me", Some(&w.staff.token)).await;
    assert_eq!(me["roles"][0]["role"], "community_staff");
    assert_eq!(me["roles"][0]["scope_name"], "一社区");
    let assignment = me["roles"][0]["id"].as_i64().unwrap();
    let (status, _) = app
        .get("/api/v1/role-assignments", Some(&w.staff.token))
        .await;
    assert_eq!(status, StatusCode::OK);

    let (status, _) = app
        .delete(
            &format!("/api/v1/role-assignments/{assignment}"),
            Some(&w.street_admin.token),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app
        .get("/api/v1/role-assignments", Some(&w.staff.token))
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "the same access token no longer carries the role"
    );
    let (status, _) = app
        .post(&format!("/api/v1/communities/{}/grids", w.community), Some(&w.staff.token), json!({"name": "x", "boundary": {"type": "Polygon", "coordinates": [[[111.0, 40.0], [111.1, 40.0], [111.1, 40.1], [111.0, 40.0]]]}}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn another_communitys_assignments_are_invisible_and_cannot_be_removed() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let (_, page) = app
        .get("/api/v1/role-assignments", Some(&w.staff.token))
        .await;
    let users: Vec<i64> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["user_id"].as_i64().unwrap())
        .collect();
    assert!(users.contains(&w.staff.id));
    assert!(!users.contains(&w.other_staff.id), "{page}");
    let (_, theirs) = app
        .get(
            &format!("/api/v1/role-assignments?user_id={}", w.other_staff.id),
            Some(&w.admin.token),
        )
        .await;
    let id = theirs["items"][0]["id"].as_i64().unwrap();
    let (status, _) = app
        .delete(
            &format!("/api/v1/role-assignments/{id}"),
            Some(&w.staff.token),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, street_view) = app
        .get(
            "/api/v1/role-assignments?limit=100",
            Some(&w.street_admin.token),
        )
        .await;
    assert!(street_view["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["user_id"] == w.other_staff.id));
}

#[tokio::test]
async fn the_last_platform_admin_cannot_be_removed() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (_, me) = app.get("/api/v1/me", Some(&admin.token)).await;
    let id = me["roles"][0]["id"].as_i64().unwrap();
    let (status, body) = app
        .delete(
            &format!("/api/v1/role-assignments/{id}"),
            Some(&admin.token),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("last_platform_admin"))
    );
    let second = app.admin().await;
    let (status, _) = app
        .delete(
            &format!("/api/v1/role-assignments/{id}"),
            Some(&second.token),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn role_lists_are_paginated_with_a_cursor() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let (_, first) = app
        .get("/api/v1/role-assignments?limit=2", Some(&w.admin.token))
        .await;
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, second) = app
        .get(
            &format!("/api/v1/role-assignments?limit=2&cursor={cursor}"),
            Some(&w.admin.token),
        )
        .await;
    assert!(second["items"][0]["id"].as_i64().unwrap() < first["items"][1]["id"].as_i64().unwrap());
}
