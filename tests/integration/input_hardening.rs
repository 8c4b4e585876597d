//! Input that should never get in: invisible and control characters in text people read,
//! HTML in nicknames, and request bodies that trickle in.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::TestApp;

fn refused_field(status: StatusCode, body: &Value, field: &str) {
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "validation_failed", "{body}");
    assert!(
        body["fields"][field].is_string(),
        "{field} not named: {body}"
    );
}

#[tokio::test]
async fn nicknames_with_controls_bidi_overrides_html_newlines_or_nothing_visible_are_refused() {
    let app = TestApp::spawn().await;
    let user = app.login("text").await;
    for bad in [
        "a\u{0}b",
        "\u{202E}evil",
        "<img src=x>",
        "第一行\n第二行",
        "\u{200B}\u{200B}",
        "\u{3000} ",
    ] {
        let (status, body) = app
            .patch("/api/v1/me", Some(&user.token), json!({ "nickname": bad }))
            .await;
        refused_field(status, &body, "nickname");
    }
    let (status, body) = app
        .patch(
            "/api/v1/me",
            Some(&user.token),
            json!({ "avatar_url": "https://cdn.example.com/a.png\n" }),
        )
        .await;
    refused_field(status, &body, "avatar_url");
}

#[tokio::test]
async fn chinese_and_emoji_with_joiners_are_kept() {
    let app = TestApp::spawn().await;
    let user = app.login("emoji").await;
    for good in [
        "王小明",
        "👨\u{200D}👩\u{200D}👧 一家",
        "❤\u{FE0F}\u{200D}🔥",
    ] {
        let (status, body) = app
            .patch("/api/v1/me", Some(&user.token), json!({ "nickname": good }))
            .await;
        assert_eq!(status, StatusCode::OK, "{good:?}: {body}");
        let (_, me) = app.get("/api/v1/me", Some(&user.token)).await;
        assert_eq!(me["nickname"], good);
    }
}

#[tokio::test]
async fn names_descriptions_and_reasons_refuse_invisible_and_control_characters() {
    let app = TestApp::spawn().await;
    let market = app.market().await;
    let admin = &market.admin;
    let (status, body) = app
        .post(
            "/api/v1/districts",
            Some(&admin.token),
            json!({ "name": "\u{200B}\u{2060}" }),
        )
        .await;
    refused_field(status, &body, "name");
    let (status, body) = app
        .post(
            "/api/v1/districts",
            Some(&admin.token),
            json!({ "name": "新城\u{202E}区" }),
        )
        .await;
    refused_field(status, &body, "name");

    let goods = format!("/api/v1/communities/{}/goods", market.community);
    let item = |name: &str, description: &str| json!({ "name": name, "description": description, "points_price": 10, "stock": 1 });
    let (status, body) = app
        .post(
            &goods,
            Some(&market.staff.token),
            item("洗衣液\u{0}", "2kg"),
        )
        .await;
    refused_field(status, &body, "name");
    let (status, body) = app
        .post(
            &goods,
            Some(&market.staff.token),
            item("洗衣液", "2kg\u{1B}[2J"),
        )
        .await;
    refused_field(status, &body, "description");
    let (status, body) = app
        .post(
            &goods,
            Some(&market.staff.token),
            item("洗衣液", "2kg 装\n薰衣草香"),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "descriptions may span lines: {body}"
    );

    let user = app.login("ledger").await;
    let key = uuid::Uuid::new_v4().to_string();
    let path = format!(
        "/api/v1/communities/{}/points/adjustments",
        market.community
    );
    let body = json!({ "user_id": user.id, "delta": 5, "reason": "清洁\u{202D}" });
    let (status, text) = app
        .post_with_key(&path, &market.staff.token, &key, body)
        .await;
    let body: Value = serde_json::from_str(&text).unwrap();
    refused_field(status, &body, "reason");
}

#[tokio::test]
async fn a_body_that_trickles_in_answers_408_when_its_deadline_passes() {
    let app = TestApp::spawn_with(|s| s.body_read_timeout = Duration::from_secs(1)).await;
    let address = app.address.trim_start_matches("http://").to_owned();
    let stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    writer
        .write_all(
            format!(
                "POST /api/v1/auth/wechat-login HTTP/1.1\r\nHost: {address}\r\n\
                 Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    // One byte every 300 ms: the whole body would take 30 seconds.
    let trickle = tokio::spawn(async move {
        for _ in 0..100 {
            if writer.write_all(b" ").await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    });
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        let mut buf = [0u8; 1024];
        while !String::from_utf8_lossy(&answer).contains("}") {
            match reader.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    trickle.abort();
    assert!(read.is_ok(), "no answer within 10 s");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains(r#""code":"request_timeout""#), "{answer}");
    // Sent past the checked client: its body meets the error contract all the same.
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
    assert_eq!(crate::helpers::violation(408, body.as_bytes()), None);
}
