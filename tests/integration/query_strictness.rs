//! Query strings are strict: a parameter an operation does not document answers 422
//! `validation_failed` naming it, on every documented operation; probes are left alone.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::{
    contract::{concrete, documented},
    helpers::TestApp,
};

fn assert_refused(status: StatusCode, body: &Value, name: &str, what: &str) {
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{what}: {body}");
    assert_eq!(body["code"], "validation_failed", "{what}: {body}");
    assert_eq!(body["fields"][name], "不支持的查询参数", "{what}: {body}");
}

#[tokio::test]
async fn every_documented_operation_refuses_an_unknown_query_parameter() {
    let app = TestApp::spawn().await;
    let user = app.login("walker").await;
    let mut checked = 0;
    for (path, methods) in documented() {
        if !path.starts_with("/api/") {
            continue;
        }
        for method in methods {
            let url = format!("{}?bogus=1", concrete(&path));
            let method: Method = method.parse().unwrap();
            // Signed in, so that the answer is not a 401 whatever the order of the checks.
            let (status, body) = app
                .call(method.clone(), &url, Some(&user.token), None)
                .await;
            assert_refused(status, &body, "bogus", &format!("{method} {url}"));
            checked += 1;
        }
    }
    assert!(checked >= 50, "only {checked} operations walked");
}

#[tokio::test]
async fn the_goods_shelf_refuses_unknown_query_parameters_and_serves_without_them() {
    let app = TestApp::spawn().await;
    let m = app.market().await;
    let shelf = format!("/api/v1/communities/{}/goods", m.community);

    let (status, body) = app.get(&format!("{shelf}?page=2&sort=new"), None).await;
    assert_refused(status, &body, "page", "the shelf");
    assert_refused(status, &body, "sort", "the shelf");

    let (status, body) = app.get(&shelf, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn documented_parameters_pass_next_to_a_refused_one_and_probes_take_anything() {
    let app = TestApp::spawn().await;
    let user = app.login("walker").await;
    let entries = "/api/v1/me/points/entries";

    let (status, body) = app
        .get(&format!("{entries}?limit=5&cb=1"), Some(&user.token))
        .await;
    assert_refused(status, &body, "cb", "the passbook");
    assert!(body["fields"].get("limit").is_none(), "{body}");
    let (status, body) = app
        .get(&format!("{entries}?limit=5"), Some(&user.token))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    for probe in ["/healthz?_=1", "/readyz?_=1"] {
        let (status, body) = app.get(probe, None).await;
        assert_eq!(status, StatusCode::OK, "{probe}: {body}");
    }
}
