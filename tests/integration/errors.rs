//! Bad input answers 4xx with `{code, message, fields?, details?}` and writes nothing.

use reqwest::{header, Method, StatusCode};
use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn missing_fields_wrong_types_and_unknown_fields_answer_422_naming_the_field() {
    let app = TestApp::spawn().await;
    let cases = [
        (json!({}), "code", "缺少必填字段"),
        (json!({"code": 12}), "code", "字段类型或格式不正确"),
        (
            json!({"code": "mock:a", "admin": true}),
            "admin",
            "不支持的字段",
        ),
        (
            json!({"code": ""}),
            "code",
            "登录凭证不能为空且不超过128个字符",
        ),
    ];
    for (body, field, message) in cases {
        let (status, answer) = app
            .post("/api/v1/auth/wechat-login", None, body.clone())
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body} → {answer}"
        );
        assert_eq!(answer["code"], "validation_failed");
        assert_eq!(answer["fields"][field], message, "{answer}");
        assert!(
            answer["message"]
                .as_str()
                .unwrap()
                .chars()
                .any(|c| c > '\u{4e00}'),
            "a Chinese message"
        );
    }
    assert_eq!(app.count("users").await, 0);
}

#[tokio::test]
async fn malformed_json_answers_400_and_a_wrong_content_type_415() {
    let app = TestApp::spawn().await;
    let url = format!("{}/api/v1/auth/wechat-login", app.address);
    let response = app
        .client
        .post(&url)
        .header(header::CONTENT_TYPE, "application/json")
        .body("{\"code\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["code"], "invalid_json");

    let response = app
        .client
        .post(&url)
        .header(header::CONTENT_TYPE, "text/plain")
        .body("code=x")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["code"], "unsupported_media_type");
    assert_eq!(app.count("users").await, 0);
}

#[tokio::test]
async fn an_oversized_body_answers_413_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let user = app.login("big").await;
    let huge = "长".repeat(40_000);
    let (status, body) = app
        .patch("/api/v1/me", Some(&user.token), json!({"nickname": huge}))
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["code"], "payload_too_large");
    let (_, me) = app.get("/api/v1/me", Some(&user.token)).await;
    assert_eq!(me["nickname"], "big");
}

#[tokio::test]
async fn unknown_routes_wrong_methods_and_bad_path_ids_answer_json() {
    let app = TestApp::spawn().await;
    let (status, body) = app.get("/api/v1/nothing-here", None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let (status, body) = app
        .call(Method::PUT, "/api/v1/auth/refresh", None, Some(json!({})))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::METHOD_NOT_ALLOWED, Some("method_not_allowed"))
    );
    let admin = app.admin().await;
    let (status, body) = app
        .delete("/api/v1/role-assignments/not-a-number", Some(&admin.token))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
}

#[tokio::test]
async fn bad_query_parameters_answer_422() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    for (query, field) in [
        ("user_id=abc", "user_id"),
        ("limit=1000", "limit"),
        ("surprise=1", "surprise"),
        ("cursor=zzz", "cursor"),
    ] {
        let (status, body) = app
            .get(
                &format!("/api/v1/role-assignments?{query}"),
                Some(&admin.token),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {body}");
        assert_eq!(body["code"], "validation_failed");
        assert!(body["fields"][field].is_string(), "{query}: {body}");
    }
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_keeps_a_sane_one_from_the_client() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(format!("{}/healthz", app.address))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "abc-123");
    let response = app
        .client
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"].len(), 36);
}

#[tokio::test]
async fn insufficient_points_carries_the_balance_and_a_replay_repeats_it_exactly() {
    let app = TestApp::spawn().await;
    let m = app.market().await;
    let resident = app.login("resident").await;
    app.give_points(&m.staff, m.community, &resident, 7).await;
    let goods = app.put_goods(&m.staff, m.community, 10, 5, None).await;
    let body = json!({ "goods_id": goods, "quantity": 1 });

    let (status, first) = app
        .post_with_key(
            "/api/v1/redemptions",
            &resident.token,
            "short-1",
            body.clone(),
        )
        .await;
    let answer: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert_eq!(
        (
            status,
            answer["code"].as_str(),
            answer["details"]["balance"].as_i64()
        ),
        (StatusCode::CONFLICT, Some("insufficient_points"), Some(7)),
        "{first}"
    );
    let (status, replay) = app
        .post_with_key("/api/v1/redemptions", &resident.token, "short-1", body)
        .await;
    assert_eq!((status, replay), (StatusCode::CONFLICT, first));

    // A staff adjustment that would go below zero says the same.
    let (status, taken) = app
        .post_with_key(
            &format!("/api/v1/communities/{}/points/adjustments", m.community),
            &m.staff.token,
            "take-too-much",
            json!({ "user_id": resident.id, "delta": -8, "reason": "测试扣减" }),
        )
        .await;
    let answer: serde_json::Value = serde_json::from_str(&taken).unwrap();
    assert_eq!(
        (
            status,
            answer["code"].as_str(),
            answer["details"]["balance"].as_i64()
        ),
        (StatusCode::CONFLICT, Some("insufficient_points"), Some(7)),
        "{taken}"
    );
    // Other errors carry no details.
    let (_, missing) = app.get("/api/v1/goods/99999", None).await;
    assert!(missing.get("details").is_none(), "{missing}");
    assert_eq!(app.balance(resident.id).await, 7);
}
