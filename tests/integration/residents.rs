//! Fixtures of the residents tests (`residents_*.rs`): a small city, grids around its centre,
//! applications, and the staff's review calls.

use entity::audit_logs;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

use crate::helpers::{TestApp, User};

/// A small city: one street with two communities, each with its own staff member.
pub struct City {
    pub admin: User,
    pub community: i64,
    pub other_community: i64,
    pub staff: User,
    pub other_staff: User,
}

/// Centre of the test community, in Hohhot.
pub const LAT: f64 = 40.82;
pub const LNG: f64 = 111.66;

pub async fn city(app: &TestApp) -> City {
    let admin = app.admin().await;
    let (status, district) = app
        .post(
            "/api/v1/districts",
            Some(&admin.token),
            json!({ "name": "回民区" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{district}");
    let (status, street) = app
        .post(
            "/api/v1/streets",
            Some(&admin.token),
            json!({ "district_id": district["id"], "name": "海拉尔西路街道" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{street}");
    let mut ids = vec![];
    for name in ["仕奇社区", "光明路社区"] {
        let (status, community) = app
            .post(
                "/api/v1/communities",
                Some(&admin.token),
                json!({ "street_id": street["id"], "name": name, "lat": LAT, "lng": LNG, "checkin_radius_m": 300 }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{community}");
        ids.push(community["id"].as_i64().expect("community id"));
    }
    let staff = app.login("staff_shiqi").await;
    app.grant(&admin, staff.id, "community_staff", ids[0]).await;
    let other_staff = app.login("staff_guangming").await;
    app.grant(&admin, other_staff.id, "community_staff", ids[1])
        .await;
    City {
        admin,
        community: ids[0],
        other_community: ids[1],
        staff,
        other_staff,
    }
}

/// A square grid around the community centre, `half` degrees each way.
pub async fn grid(app: &TestApp, by: &User, community: i64, name: &str, half: f64) -> i64 {
    let ring = json!([
        [LNG - half, LAT - half],
        [LNG + half, LAT - half],
        [LNG + half, LAT + half],
        [LNG - half, LAT + half],
        [LNG - half, LAT - half]
    ]);
    let (status, body) = app
        .post(
            &format!("/api/v1/communities/{community}/grids"),
            Some(&by.token),
            json!({ "name": name, "boundary": { "type": "Polygon", "coordinates": [ring] } }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_i64().expect("grid id")
}

/// An application for room 1201, unit 2单元, of `building`.
pub fn application(community: i64, building: &str, relation: &str) -> Value {
    json!({ "community_id": community, "building": building, "unit": "2单元", "room": "1201", "relation": relation })
}

/// Files an application and answers its id.
pub async fn file(app: &TestApp, user: &User, body: Value) -> i64 {
    let (status, body) = app
        .post("/api/v1/me/residences", Some(&user.token), body)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_i64().expect("residence id")
}

/// Approves an application as `by`.
pub async fn approve(app: &TestApp, by: &User, id: i64, body: Value) -> (StatusCode, Value) {
    app.post(
        &format!("/api/v1/residences/{id}/approve"),
        Some(&by.token),
        body,
    )
    .await
}

/// Rejects an application as `by`.
pub async fn reject(app: &TestApp, by: &User, id: i64, body: Value) -> (StatusCode, Value) {
    app.post(
        &format!("/api/v1/residences/{id}/reject"),
        Some(&by.token),
        body,
    )
    .await
}

/// The pending applications of the city's community, as its staff list them.
pub async fn pending(app: &TestApp, city: &City) -> Vec<Value> {
    let (status, body) = app
        .get(
            &format!(
                "/api/v1/communities/{}/residences?status=pending",
                city.community
            ),
            Some(&city.staff.token),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"].as_array().expect("items").clone()
}

/// How many audit records carry `action`.
pub async fn audit_count(app: &TestApp, action: &str) -> usize {
    audit_logs::Entity::find()
        .filter(audit_logs::Column::Action.eq(action))
        .all(app.db())
        .await
        .expect("audit rows")
        .len()
}
