//! A 422 names every invalid field at once, not the first: fields the DTO's rules refuse,
//! fields the service's rules refuse, fields whose JSON does not fit (missing, unknown, of
//! the wrong type), and query parameters.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::TestApp;

/// The names under `fields` of a 422.
fn refused(status: StatusCode, body: &Value) -> Vec<String> {
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "validation_failed");
    body["fields"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

#[tokio::test]
async fn three_fields_the_dto_refuses_are_named_in_one_422() {
    let app = TestApp::spawn().await;
    let market = app.market().await;
    let goods = json!({
        "name": "",
        "description": "洗衣液",
        "image_url": "http://example.com/a.png",
        "points_price": 0,
        "stock": -1,
    });
    let path = format!("/api/v1/communities/{}/goods", market.community);
    let (status, body) = app.post(&path, Some(&market.staff.token), goods).await;
    let fields = refused(status, &body);
    for field in ["name", "image_url", "points_price", "stock"] {
        assert!(fields.contains(&field.to_owned()), "{field} in {body}");
    }
    assert_eq!(app.count("goods").await, 0);
}

#[tokio::test]
async fn three_fields_the_service_refuses_are_named_in_one_422() {
    let app = TestApp::spawn().await;
    let market = app.market().await;
    let rules = json!({ "rules": [
        { "action": "checkin", "points": 5, "daily_cap": 50, "monthly_cap": 10 },
        { "action": "checkin", "points": 5 },
        { "action": "activity_hour", "points": 20, "daily_cap": 100, "monthly_cap": 99 },
    ]});
    let path = format!("/api/v1/communities/{}/points-rules", market.community);
    let (status, body) = app.put(&path, Some(&market.staff.token), rules).await;
    assert_eq!(
        refused(status, &body),
        [
            "rules[0].daily_cap",
            "rules[1].action",
            "rules[2].daily_cap"
        ]
    );
}

#[tokio::test]
async fn missing_unknown_and_mistyped_fields_are_all_named() {
    let app = TestApp::spawn().await;
    let (status, body) = app
        .post(
            "/api/v1/auth/password-login",
            None,
            json!({ "user": "admin", "pass": "x" }),
        )
        .await;
    assert_eq!(
        refused(status, &body),
        ["pass", "password", "user", "username"]
    );
    assert_eq!(body["fields"]["user"], "不支持的字段");
    assert_eq!(body["fields"]["username"], "缺少必填字段");

    let (status, body) = app
        .post(
            "/api/v1/auth/password-login",
            None,
            json!({ "username": 12, "password": ["x"], "admin": true }),
        )
        .await;
    assert_eq!(refused(status, &body), ["admin", "password", "username"]);
    assert_eq!(body["fields"]["username"], "字段类型或格式不正确");
}

#[tokio::test]
async fn two_bad_query_parameters_are_both_named() {
    let app = TestApp::spawn().await;
    let market = app.market().await;
    let token = Some(market.staff.token.as_str());
    let base = format!("/api/v1/communities/{}/redemptions", market.community);

    let (status, body) = app
        .get(&format!("{base}?status=lost&limit=many"), token)
        .await;
    assert_eq!(refused(status, &body), ["limit", "status"]);

    let (status, body) = app
        .get(
            &format!("{base}?from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z&cursor=abc"),
            token,
        )
        .await;
    assert_eq!(refused(status, &body), ["cursor", "to"]);

    // `lng` without `lat`, and a radius without a point: both named.
    let (status, body) = app
        .get("/api/v1/communities?lng=111.6&radius_m=300", None)
        .await;
    assert_eq!(refused(status, &body), ["lat", "radius_m"]);
    let (status, body) = app
        .get("/api/v1/communities?lat=40.8&radius_m=300", None)
        .await;
    assert_eq!(refused(status, &body), ["lng"]);

    let (status, body) = app
        .get("/api/v1/communities?radius_m=300&cursor=x", None)
        .await;
    assert_eq!(refused(status, &body), ["cursor", "radius_m"]);
}
