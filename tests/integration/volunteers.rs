//! Volunteer registration (报到): filing, the staff queue, approval and rejection, the roster,
//! `GET /me/volunteering`, and the supermarket serving approved volunteers.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{Market, TestApp, User};
use crate::points::put_rules;

/// Hohhot, where `TestApp::market` puts its communities.
pub const LAT: f64 = 40.82;
/// Longitude of the market's first community.
pub const LNG: f64 = 111.66;

/// Files a registration as `user`.
pub async fn register(
    app: &TestApp,
    user: &User,
    community: i64,
    kind: &str,
) -> (StatusCode, Value) {
    app.post(
        "/api/v1/volunteer-registrations",
        Some(&user.token),
        json!({ "community_id": community, "kind": kind, "organisation": "顺丰速运 新华大街站" }),
    )
    .await
}

/// Approves a registration as `staff`.
pub async fn approve(app: &TestApp, staff: &User, id: i64) -> (StatusCode, Value) {
    app.post(
        &format!("/api/v1/volunteer-registrations/{id}/approve"),
        Some(&staff.token),
        json!({}),
    )
    .await
}

/// A logged-in approved courier of `community`.
pub async fn volunteer(app: &TestApp, staff: &User, community: i64, name: &str) -> User {
    let user = app.login(name).await;
    enlist(app, staff, community, &user).await;
    user
}

/// Registers `user` as a courier of `community` and approves it.
pub async fn enlist(app: &TestApp, staff: &User, community: i64, user: &User) {
    let (status, body) = register(app, user, community, "courier").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = approve(app, staff, body["id"].as_i64().unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// Checks in as `user` at (lat, lng) with extra fields.
pub async fn check_in(
    app: &TestApp,
    user: &User,
    community: i64,
    (lat, lng): (f64, f64),
    extra: Value,
) -> (StatusCode, Value) {
    let mut body = json!({ "community_id": community, "lat": lat, "lng": lng });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    app.post("/api/v1/checkins", Some(&user.token), body).await
}

/// Gives check-ins `points` each in the market's community.
pub async fn checkin_rule(app: &TestApp, market: &Market, rule: Value) {
    let (status, body) = put_rules(app, &market.staff, market.community, json!([rule])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn a_registration_is_filed_once_per_community_and_kind() {
    let app = TestApp::spawn().await;
    let m = app.market().await;
    let courier = app.login("courier").await;

    let (status, first) = register(&app, &courier, m.community, "courier").await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["status"], "pending");
    assert_eq!(first["kind"], "courier");
    assert_eq!(first["community_name"], "仕奇社区");

    let (status, body) = register(&app, &courier, m.community, "courier").await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "registration_exists");
    // Another kind, and another community on the courier's round, are their own.
    assert_eq!(
        register(&app, &courier, m.community, "party_member")
            .await
            .0,
        StatusCode::CREATED
    );
    assert_eq!(
        register(&app, &courier, m.other_community, "courier")
            .await
            .0,
        StatusCode::CREATED
    );
    assert_eq!(app.count("volunteer_registrations").await, 3);

    let (status, body) = register(&app, &courier, 999_999, "courier").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = app
        .post(
            "/api/v1/volunteer-registrations",
            Some(&courier.token),
            json!({ "community_id": m.community, "kind": "astronaut", "organisation": " " }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "validation_failed");
    assert_eq!(app.count("volunteer_registrations").await, 3);
    let (status, _) = app
        .post(
            "/api/v1/volunteer-registrations",
            None,
            json!({ "community_id": m.community, "kind": "courier", "organisation": "x" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn staff_review_their_own_communitys_registrations_but_never_their_own() {
    let app = TestApp::spawn().await;
    let m = app.market().await;
    let courier = app.login("courier").await;
    let (status, body) = app
        .post(
            "/api/v1/me/phone",
            Some(&courier.token),
            json!({ "code": "mock:13812345678" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, filed) = register(&app, &courier, m.community, "courier").await;
    let id = filed["id"].as_i64().unwrap();

    let queue = format!(
        "/api/v1/communities/{}/volunteer-registrations?status=pending&with_total=true",
        m.community
    );
    let (status, page) = app.get(&queue, Some(&m.staff.token)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["total"], 1);
    assert_eq!(page["items"][0]["id"], id);
    assert_eq!(page["items"][0]["applicant"]["phone"], "138****5678");
    assert!(!page.to_string().contains("13812345678"));
    // Other communities' staff and volunteers see nothing.
    assert_eq!(
        app.get(&queue, Some(&m.other_staff.token)).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&queue, Some(&courier.token)).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        approve(&app, &m.other_staff, id).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(approve(&app, &courier, id).await.0, StatusCode::NOT_FOUND);

    // Staff who register with their own community are approved by someone else.
    let (_, own) = register(&app, &m.staff, m.community, "party_member").await;
    let (status, body) = approve(&app, &m.staff, own["id"].as_i64().unwrap()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["code"], "self_review_forbidden");

    let (status, body) = approve(&app, &m.staff, id).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "approved");
    let (status, body) = approve(&app, &m.staff, id).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "registration_not_pending");
}

#[tokio::test]
async fn a_rejected_volunteer_reads_the_reason_and_may_register_again() {
    let app = TestApp::spawn().await;
    let m = app.market().await;
    let member = app.login("member").await;
    let (_, filed) = register(&app, &member, m.community, "party_member").await;
    let id = filed["id"].as_i64().unwrap();
    let path = format!("/api/v1/volunteer-registrations/{id}/reject");
    let (status, body) = app.post(&path, Some(&m.staff.token), json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = app
        .post(
            &path,
            Some(&m.staff.token),
            json!({ "reason": "请填写所在党组织" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "rejected");

    let (status, mine) = app
        .get("/api/v1/me/volunteering", Some(&member.token))
        .await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    let community = &mine["items"][0];
    assert_eq!(community["community_id"], m.community);
    assert_eq!(
        community["registrations"][0]["reject_reason"],
        "请填写所在党组织"
    );
    assert_eq!(community["checkins"], 0);
    assert_eq!(mine["next_cursor"], Value::Null);

    let (status, again) = register(&app, &member, m.community, "party_member").await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert_eq!(
        again["id"], id,
        "one registration per person, community and kind"
    );
    assert_eq!(again["status"], "pending");
    assert_eq!(again["reject_reason"], Value::Null);
}

#[tokio::test]
async fn the_roster_lists_approved_volunteers_by_kind_with_masked_phones() {
    let app = TestApp::spawn().await;
    let m = app.market().await;
    let courier = volunteer(&app, &m.staff, m.community, "courier").await;
    let member = app.login("member").await;
    let (_, filed) = register(&app, &member, m.community, "party_member").await;
    let roster = format!("/api/v1/communities/{}/volunteers", m.community);

    let (status, page) = app.get(&roster, Some(&m.staff.token)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let ids: Vec<i64> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["volunteer"]["id"].as_i64().unwrap())
        .collect();
    assert_eq!(
        ids,
        vec![courier.id],
        "pending registrations are not on the roster"
    );

    approve(&app, &m.staff, filed["id"].as_i64().unwrap()).await;
    let (_, page) = app
        .get(
            &format!("{roster}?kind=party_member&with_total=true"),
            Some(&m.staff.token),
        )
        .await;
    assert_eq!(page["total"], 1);
    assert_eq!(page["items"][0]["volunteer"]["id"], member.id);
    assert_eq!(page["items"][0]["kind"], "party_member");
    assert_eq!(
        app.get(&roster, Some(&m.other_staff.token)).await.0,
        StatusCode::NOT_FOUND
    );
    let (status, body) = app
        .get(&format!("{roster}?kind=pilot"), Some(&m.staff.token))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

#[tokio::test]
async fn my_volunteering_sums_points_and_checkins_per_community_served() {
    let app = TestApp::spawn().await;
    let m = app.market().await;
    checkin_rule(&app, &m, json!({ "action": "checkin", "points": 7 })).await;
    let courier = volunteer(&app, &m.staff, m.community, "courier").await;
    register(&app, &courier, m.other_community, "courier").await;

    let (status, body) = check_in(&app, &courier, m.community, (LAT, LNG), json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let (status, mine) = app
        .get("/api/v1/me/volunteering", Some(&courier.token))
        .await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    let items = mine["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{mine}");
    assert_eq!(
        items[0]["community_id"], m.other_community,
        "the latest registration first"
    );
    assert_eq!(items[0]["registrations"][0]["status"], "pending");
    assert_eq!(items[0]["checkins"], 0);
    let served = &items[1];
    assert_eq!(served["community_id"], m.community);
    assert_eq!(served["points_earned"], 7);
    assert_eq!(served["checkins"], 1);
}

#[tokio::test]
async fn the_supermarket_serves_approved_volunteers_under_the_members_policy() {
    let app = TestApp::spawn().await;
    let m = app.market().await;
    checkin_rule(&app, &m, json!({ "action": "checkin", "points": 10 })).await;
    let goods = app.put_goods(&m.staff, m.community, 5, 3, None).await;
    let courier = app.login("courier").await;
    let (_, filed) = register(&app, &courier, m.community, "courier").await;

    let (status, body) = app.redeem(&courier, goods, 1).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(
        body["code"], "not_a_member",
        "a pending volunteer is not a member yet"
    );

    approve(&app, &m.staff, filed["id"].as_i64().unwrap()).await;
    let (status, body) = check_in(&app, &courier, m.community, (LAT, LNG), json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = app.redeem(&courier, goods, 1).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}
