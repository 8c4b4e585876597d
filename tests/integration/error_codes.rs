//! Errors a client can switch on: every error response of the document is an `ErrorBody`
//! whose `code` is the `ErrorCode` enum; 429 with `Retry-After` on every operation the rate
//! limiter charges (read from the limiter itself); one error of each family answers a
//! documented code; a 429 is logged and tagged like any other answer.

use actix_web::http::Method as ActixMethod;
use reqwest::{header, Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{documented_codes, logs, violation, TestApp};

fn document() -> Value {
    serde_json::from_str(&api::openapi::document_json()).unwrap()
}

/// A response of the document, following a `$ref` into `components.responses`.
fn resolve<'a>(doc: &'a Value, response: &'a Value) -> &'a Value {
    match response["$ref"].as_str() {
        Some(r) => &doc["components"]["responses"][r.rsplit('/').next().unwrap()],
        None => response,
    }
}

/// Every operation of the document: (method, path, operation).
fn operations(doc: &Value) -> Vec<(String, String, &Value)> {
    let mut out = vec![];
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            out.push((method.clone(), path.clone(), op));
        }
    }
    out
}

#[test]
fn every_error_response_is_an_error_body_whose_code_is_the_error_code_enum() {
    let doc = document();
    assert_eq!(
        doc["components"]["schemas"]["ErrorBody"]["properties"]["code"]["$ref"],
        "#/components/schemas/ErrorCode"
    );
    let codes = &doc["components"]["schemas"]["ErrorCode"];
    assert_eq!(codes["type"], "string");
    assert_eq!(
        codes["enum"].as_array().unwrap().len(),
        codes["x-enum-descriptions"].as_array().unwrap().len(),
        "one description per code"
    );
    for (method, path, op) in operations(&doc) {
        for (status, response) in op["responses"].as_object().unwrap() {
            // The readiness probe's 503 is its `Readiness` report.
            if status.as_str() < "400" || path == "/readyz" {
                continue;
            }
            let schema = &resolve(&doc, response)["content"]["application/json"]["schema"];
            assert_eq!(
                schema["$ref"], "#/components/schemas/ErrorBody",
                "{method} {path} {status}"
            );
        }
    }
}

#[test]
fn every_operation_the_rate_limiter_charges_documents_429_with_retry_after() {
    let doc = document();
    let mut charged = vec![];
    for (method, path, op) in operations(&doc) {
        let actix = ActixMethod::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let limited = api::middleware::budget(&actix, &path).is_some();
        let response = op["responses"].get("429").map(|r| resolve(&doc, r));
        assert_eq!(
            response.is_some(),
            limited,
            "{method} {path}: 429 documented exactly when the limiter charges it"
        );
        if let Some(response) = response {
            assert!(
                response["headers"]["Retry-After"].is_object(),
                "{method} {path}: 429 without Retry-After"
            );
            charged.push(format!("{method} {path}"));
        }
    }
    for login in ["wechat-login", "password-login", "refresh"] {
        assert!(
            charged.contains(&format!("post /api/v1/auth/{login}")),
            "{login} has its own budget and documents it"
        );
    }
}

#[test]
fn every_api_operation_documents_422_for_the_query_parameters_it_does_not_take() {
    let doc = document();
    let shared = &doc["components"]["responses"]["ValidationFailed"];
    assert!(shared["description"]
        .as_str()
        .unwrap()
        .contains("validation_failed"));
    for (method, path, op) in operations(&doc) {
        if path.starts_with("/api/") {
            assert!(
                op["responses"].get("422").is_some(),
                "{method} {path} lacks 422"
            );
        }
    }
}

#[test]
fn the_error_contract_check_refuses_a_code_the_document_does_not_list() {
    assert!(documented_codes().contains("validation_failed"));
    let good = json!({"code": "not_found", "message": "资源不存在"}).to_string();
    assert_eq!(violation(404, good.as_bytes()), None);
    for bad in [
        json!({"code": "no_such_code", "message": "不存在"}),
        json!({"code": "not_found", "message": "not found"}),
        json!({"code": "not_found", "message": "不存在", "extra": 1}),
        json!({"code": "validation_failed", "message": "有误"}),
        json!({"error": "not_found"}),
    ] {
        assert!(
            violation(404, bad.to_string().as_bytes()).is_some(),
            "{bad}"
        );
    }
    assert!(violation(404, b"Not Found").is_some());
}

#[tokio::test]
async fn one_error_of_each_family_answers_its_documented_code() {
    let app = TestApp::spawn_with(|s| s.json_limit = 1024).await;
    let admin = app.admin().await;
    let resident = app.login("zhang").await;
    let client = &app.client;
    let code = |v: &Value| v["code"].as_str().unwrap_or_default().to_owned();

    let answer = client
        .post("/api/v1/districts")
        .bearer_auth(&admin.token)
        .header(header::CONTENT_TYPE, "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    assert_eq!(code(&answer.json().await.unwrap()), "invalid_json");

    let (status, body) = app.get("/api/v1/me", None).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNAUTHORIZED, "unauthorized".into())
    );

    let (status, body) = app
        .post(
            "/api/v1/districts",
            Some(&resident.token),
            json!({"name": "新城区"}),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::FORBIDDEN, "forbidden".into())
    );

    let (status, body) = app.get("/api/v1/no-such-thing", None).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::NOT_FOUND, "not_found".into())
    );

    let (status, body) = app
        .call(Method::PUT, "/api/v1/me", Some(&resident.token), None)
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed".into())
    );

    let (status, _) = app
        .post(
            "/api/v1/districts",
            Some(&admin.token),
            json!({"name": "新城区"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = app
        .post(
            "/api/v1/districts",
            Some(&admin.token),
            json!({"name": "新城区"}),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::CONFLICT, "name_taken".into())
    );

    let (status, body) = app
        .post(
            "/api/v1/districts",
            Some(&admin.token),
            json!({"name": "长".repeat(600)}),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large".into())
    );

    let answer = client
        .post("/api/v1/districts")
        .bearer_auth(&admin.token)
        .header(header::CONTENT_TYPE, "text/plain")
        .body("name=x")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        code(&answer.json().await.unwrap()),
        "unsupported_media_type"
    );

    let (status, body) = app
        .post("/api/v1/districts", Some(&admin.token), json!({"name": ""}))
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed".into())
    );
}

#[tokio::test]
async fn a_429_of_the_rate_limiter_is_logged_once_and_carries_its_request_id() {
    logs::capture();
    let app = TestApp::spawn_with(|s| s.rate.writes = 1).await;
    let user = app.login("li").await;
    let patch = |id: &'static str| {
        app.client
            .request(Method::PATCH, "/api/v1/me")
            .bearer_auth(&user.token)
            .header("x-request-id", id)
            .json(&json!({"nickname": "李"}))
            .send()
    };
    assert_eq!(patch("first-write").await.unwrap().status(), StatusCode::OK);
    let refused = patch("second-write").await.unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.headers()["x-request-id"], "second-write");
    assert!(refused.headers().contains_key(header::RETRY_AFTER));
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "rate_limited");
    let logged = logs::lines_with(r#""request_id":"second-write""#);
    let access: Vec<_> = logged
        .iter()
        .filter(|l| l.contains(r#""message":"request""#))
        .collect();
    assert_eq!(access.len(), 1, "one access line: {logged:?}");
    assert!(access[0].contains(r#""status":429"#), "{}", access[0]);

    // The strict query string's 422 too, without an id of the client's.
    let refused = app
        .client
        .get("/api/v1/me?surprise=1")
        .bearer_auth(&user.token)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.headers()["x-request-id"].len(), 36);
}
