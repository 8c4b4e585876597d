//! Liveness, readiness, the contract and the docs.

use reqwest::StatusCode;

use crate::helpers::{redis_url, TestApp};

#[tokio::test]
async fn healthz_and_readyz_report_the_database_and_cache() {
    let app = TestApp::spawn().await;
    let (status, body) = app.get("/healthz", None).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("ok"))
    );
    let (status, body) = app.get("/readyz", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "ready");
    assert_eq!(body["database"]["ok"], true);
    let backend = if redis_url().is_some() {
        "redis"
    } else {
        "memory"
    };
    assert_eq!(body["cache"]["backend"], backend);
}

#[tokio::test]
async fn readyz_reports_a_dead_redis_as_degraded_while_requests_still_succeed() {
    let app = TestApp::spawn_with(|s| s.redis_url = Some("redis://127.0.0.1:1".into())).await;
    let (status, body) = app.get("/readyz", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "degraded");
    assert_eq!(body["cache"]["ok"], false);
    let user = app.login("still-works").await;
    let (status, _) = app.get("/api/v1/me", Some(&user.token)).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn the_committed_openapi_document_matches_the_code() {
    let generated = api::openapi::document_json();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");
    if std::env::var("LINLI_UPDATE_OPENAPI").is_ok_and(|v| v == "1") {
        std::fs::write(path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi/openapi.json is out of date: run `LINLI_UPDATE_OPENAPI=1 cargo test --test integration openapi` or `cargo run -- openapi > openapi/openapi.json`"
    );
}

#[tokio::test]
async fn every_operation_documents_its_errors_and_auth() {
    let doc: serde_json::Value = serde_json::from_str(&api::openapi::document_json()).unwrap();
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (verb, op) in item.as_object().unwrap() {
            operations += 1;
            let responses = op["responses"].as_object().unwrap();
            let public = op
                .get("security")
                .is_some_and(|s| s == &serde_json::json!([{}]));
            let takes_input = op.get("requestBody").is_some()
                || op
                    .get("parameters")
                    .is_some_and(|p| p != &serde_json::json!([]));
            if takes_input {
                assert!(
                    responses.keys().any(|k| k.starts_with('4')),
                    "{verb} {path} takes input but documents no 4xx"
                );
            }
            if !public {
                assert!(
                    responses.contains_key("401"),
                    "{verb} {path} needs a token but documents no 401"
                );
            }
        }
    }
    assert!(operations >= 10);
}

#[tokio::test]
async fn swagger_ui_is_served_at_docs() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(format!("{}/docs/", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.text().await.unwrap().contains("swagger"));
    let (status, spec) = app.get("/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(spec["paths"]["/api/v1/auth/wechat-login"].is_object());
}
