//! Residents file an address: what is kept, who may file, conflicts, the suggested grid,
//! withdrawing, and bad input.

use entity::{audit_logs, households};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::residents::{application, approve, city, file, grid, LAT, LNG};

#[tokio::test]
async fn a_resident_files_an_address_and_it_waits_for_review() {
    let app = TestApp::spawn().await;
    let city = city(&app).await;
    let alice = app.login("alice").await;

    let (status, body) = app
        .post(
            "/api/v1/me/residences",
            Some(&alice.token),
            json!({ "community_id": city.community, "building": " ３栋 ", "unit": "2  单元", "room": "１２０１ａ",
                    "relation": "owner", "floor_area_m2": 89.57 }),
        )
        .await;

    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["status"], "pending");
    assert_eq!(body["community_id"], city.community);
    assert_eq!(body["community_name"], "仕奇社区");
    assert_eq!(body["building"], "3栋");
    assert_eq!(body["unit"], "2 单元");
    assert_eq!(body["room"], "1201A");
    assert_eq!(body["relation"], "owner");
    assert_eq!(body["floor_area_m2"], 89.57);
    assert_eq!(body["household_id"], Value::Null);
    assert_eq!(body["grid_id"], Value::Null);
    assert!(body["created_at"].is_string());
    let (status, mine) = app.get("/api/v1/me/residences", Some(&alice.token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(mine["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(mine["items"][0]["id"], body["id"]);
    assert_eq!(app.count("households").await, 0);
}

#[tokio::test]
async fn filing_without_a_token_is_unauthorized() {
    let app = TestApp::spawn().await;

    let (status, body) = app
        .post(
            "/api/v1/me/residences",
            None,
            application(1, "1栋", "owner"),
        )
        .await;

    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["code"], "unauthorized");
}

#[tokio::test]
async fn filing_for_an_unknown_community_is_not_found() {
    let app = TestApp::spawn().await;
    let alice = app.login("alice").await;

    let (status, body) = app
        .post(
            "/api/v1/me/residences",
            Some(&alice.token),
            application(999_999, "1栋", "owner"),
        )
        .await;

    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(app.count("residences").await, 0);
}

#[tokio::test]
async fn filing_the_same_address_again_while_pending_or_approved_is_a_conflict() {
    let app = TestApp::spawn().await;
    let city = city(&app).await;
    let alice = app.login("alice").await;
    let id = file(&app, &alice, application(city.community, "1栋", "owner")).await;

    let (status, body) = app
        .post(
            "/api/v1/me/residences",
            Some(&alice.token),
            application(city.community, " １栋", "tenant"),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "residence_exists");

    approve(&app, &city.staff, id, json!({})).await;
    let (status, body) = app
        .post(
            "/api/v1/me/residences",
            Some(&alice.token),
            application(city.community, "1栋", "owner"),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "residence_exists");
    assert_eq!(app.count("residences").await, 1);
}

#[tokio::test]
async fn the_grid_is_suggested_from_the_applicants_location() {
    let app = TestApp::spawn().await;
    let city = city(&app).await;
    let grid_id = grid(&app, &city.staff, city.community, "第一网格", 0.01).await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let mut inside = application(city.community, "1栋", "owner");
    inside["lat"] = json!(LAT + 0.001);
    inside["lng"] = json!(LNG - 0.001);
    let mut outside = application(city.community, "2栋", "tenant");
    outside["lat"] = json!(LAT + 0.5);
    outside["lng"] = json!(LNG);

    let (status, a) = app
        .post("/api/v1/me/residences", Some(&alice.token), inside)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    let (status, b) = app
        .post("/api/v1/me/residences", Some(&bob.token), outside)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");

    assert_eq!(a["grid_id"], grid_id);
    assert_eq!(b["grid_id"], Value::Null);
    let (status, approved) = approve(&app, &city.staff, a["id"].as_i64().unwrap(), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    assert_eq!(approved["grid_id"], grid_id);
    let household_id = approved["household_id"].as_i64().unwrap();
    let household = households::Entity::find_by_id(household_id)
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(household.grid_id, Some(grid_id));
    let audits = audit_logs::Entity::find()
        .filter(audit_logs::Column::ObjectType.eq("residence"))
        .all(app.db())
        .await
        .unwrap();
    assert!(
        !audits.iter().any(|r| r.detail.contains("40.8")),
        "coordinates must not be kept"
    );
}

#[tokio::test]
async fn a_resident_withdraws_only_their_own_pending_application() {
    let app = TestApp::spawn().await;
    let city = city(&app).await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let pending_id = file(&app, &alice, application(city.community, "1栋", "owner")).await;
    let approved_id = file(&app, &alice, application(city.community, "2栋", "owner")).await;
    approve(&app, &city.staff, approved_id, json!({})).await;

    let (status, _) = app
        .delete(
            &format!("/api/v1/me/residences/{pending_id}"),
            Some(&bob.token),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = app
        .delete(
            &format!("/api/v1/me/residences/{approved_id}"),
            Some(&alice.token),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "residence_not_pending");
    let (status, body) = app
        .delete(
            &format!("/api/v1/me/residences/{pending_id}"),
            Some(&alice.token),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");

    let (_, mine) = app.get("/api/v1/me/residences", Some(&alice.token)).await;
    assert_eq!(mine["items"].as_array().map(Vec::len), Some(1));
    let (status, _) = app
        .delete(
            &format!("/api/v1/me/residences/{pending_id}"),
            Some(&alice.token),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_input_is_refused_with_its_fields_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let city = city(&app).await;
    let alice = app.login("alice").await;
    let c = city.community;
    let cases = [
        (
            json!({ "community_id": c, "building": "1栋", "unit": "2单元", "relation": "owner" }),
            "room",
        ),
        (
            json!({ "community_id": "c", "building": "1栋", "unit": "2单元", "room": "1", "relation": "owner" }),
            "community_id",
        ),
        (
            json!({ "community_id": c, "building": 1, "unit": "2单元", "room": "1", "relation": "owner" }),
            "building",
        ),
        (
            json!({ "community_id": c, "building": "1栋", "unit": "2单元", "room": "1", "relation": "landlord" }),
            "relation",
        ),
        (
            json!({ "community_id": c, "building": "1栋", "unit": "2单元", "room": "1", "relation": "owner", "note": "x" }),
            "note",
        ),
        (
            json!({ "community_id": c, "building": "1栋", "unit": "2单元", "room": "1", "relation": "tenant", "floor_area_m2": 60 }),
            "floor_area_m2",
        ),
        (
            json!({ "community_id": c, "building": "1栋", "unit": "2单元", "room": "1", "relation": "owner", "floor_area_m2": 60.125 }),
            "floor_area_m2",
        ),
        (
            json!({ "community_id": c, "building": "1栋", "unit": "2单元", "room": "1", "relation": "owner", "floor_area_m2": 0.5 }),
            "floor_area_m2",
        ),
        (
            json!({ "community_id": c, "building": "1栋", "unit": "2单元", "room": "1", "relation": "owner", "lat": 91.0, "lng": LNG }),
            "lat",
        ),
        (
            json!({ "community_id": c, "building": "1栋", "unit": "2单元", "room": "1", "relation": "owner", "lat": LAT, "lng": 181.0 }),
            "lng",
        ),
        (
            json!({ "community_id": c, "building": "1栋", "unit": "2单元", "room": "1", "relation": "owner", "lat": LAT }),
            "lng",
        ),
        (
            json!({ "community_id": c, "building": "  ", "unit": "2单元", "room": "1", "relation": "owner" }),
            "building",
        ),
        (
            json!({ "community_id": c, "building": "栋".repeat(33), "unit": "2单元", "room": "1", "relation": "owner" }),
            "building",
        ),
    ];

    for (body, field) in cases {
        let (status, answer) = app
            .post("/api/v1/me/residences", Some(&alice.token), body.clone())
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body} → {answer}"
        );
        assert_eq!(answer["code"], "validation_failed");
        assert!(answer["fields"][field].is_string(), "{body} → {answer}");
    }

    assert_eq!(app.count("residences").await, 0);
    assert_eq!(app.count("households").await, 0);
}
