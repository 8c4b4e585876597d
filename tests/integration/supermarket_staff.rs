//! The supermarket from the staff's side: retried goods writes and the stock book.

use std::time::Duration;

use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_ledger_invariants, TestApp};

/// A server whose background sweeper stays off.
async fn spawn() -> TestApp {
    TestApp::spawn_with(|s| s.sweep_interval = Duration::ZERO).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_retried_restock_with_its_key_adds_the_units_once() {
    let app = spawn().await;
    let m = app.market().await;
    let goods = app.put_goods(&m.staff, m.community, 10, 5, None).await;
    let path = format!("/api/v1/goods/{goods}/restock");
    let body = json!({ "quantity": 7, "note": "爱心企业捐赠" });

    let answers = join_all(
        (0..10).map(|_| app.post_with_key(&path, &m.staff.token, "restock-1", body.clone())),
    )
    .await;
    let again = app
        .post_with_key(&path, &m.staff.token, "restock-1", body.clone())
        .await;

    let ok: Vec<&String> = answers
        .iter()
        .chain([&again])
        .filter(|(s, _)| *s == StatusCode::OK)
        .map(|(_, b)| b)
        .collect();
    assert!(
        !ok.is_empty() && ok.iter().all(|b| *b == ok[0]),
        "{answers:?}"
    );
    for (status, text) in &answers {
        assert!(
            *status == StatusCode::OK || text.contains("idempotency_request_in_progress"),
            "{status} {text}"
        );
    }
    assert_eq!(again.0, StatusCode::OK, "a later retry replays");
    assert_eq!(app.stock(goods).await, 12, "added once");
    assert_eq!(app.count("goods_restocks").await, 1);
    let first: Value = serde_json::from_str(ok[0]).unwrap();
    assert_eq!(
        (first["stock"].as_i64(), first["total_stocked"].as_i64()),
        (Some(12), Some(12))
    );

    let other = app
        .post_with_key(
            &path,
            &m.staff.token,
            "restock-1",
            json!({ "quantity": 8, "note": "" }),
        )
        .await;
    assert_eq!(other.0, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(other.1.contains("idempotency_key_reused"), "{}", other.1);
    let bad = app
        .post_with_key(&path, &m.staff.token, " ", body.clone())
        .await;
    assert_eq!(bad.0, StatusCode::BAD_REQUEST);
    assert!(bad.1.contains("idempotency_key_invalid"), "{}", bad.1);

    // Without a key every request counts, as before.
    let (status, _) = app.post(&path, Some(&m.staff.token), body.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.stock(goods).await, 19);
    assert_ledger_invariants(&app).await;
}

#[tokio::test]
async fn a_retried_goods_creation_with_its_key_creates_them_once() {
    let app = spawn().await;
    let m = app.market().await;
    let path = format!("/api/v1/communities/{}/goods", m.community);
    let body = json!({ "name": "食用油", "description": "5L", "points_price": 80, "stock": 3 });

    let first = app
        .post_with_key(&path, &m.staff.token, "create-oil", body.clone())
        .await;
    let second = app
        .post_with_key(&path, &m.staff.token, "create-oil", body.clone())
        .await;

    assert_eq!(first.0, StatusCode::CREATED);
    assert_eq!(
        second, first,
        "the retry replays the first answer byte for byte"
    );
    assert_eq!(app.count("goods").await, 1);
    // The same key in another community is another request.
    let elsewhere = format!("/api/v1/communities/{}/goods", m.other_community);
    let reused = app
        .post_with_key(&elsewhere, &m.staff.token, "create-oil", body)
        .await;
    assert_eq!(reused.0, StatusCode::UNPROCESSABLE_ENTITY, "{}", reused.1);
    assert_eq!(app.count("goods").await, 1);
}

#[tokio::test]
async fn the_stock_book_shows_every_item_with_pending_and_handed_out_units() {
    let app = spawn().await;
    let m = app.market().await;
    let resident = app.login("resident").await;
    app.give_points(&m.staff, m.community, &resident, 100).await;
    let rice = app.put_goods(&m.staff, m.community, 10, 5, None).await;
    let soap = app.put_goods(&m.staff, m.community, 5, 4, None).await;
    let (_, pending) = app.redeem(&resident, rice, 2).await;
    let (_, picked) = app.redeem(&resident, rice, 1).await;
    let verify = format!("/api/v1/communities/{}/redemptions/verify", m.community);
    let (status, _) = app
        .post(
            &verify,
            Some(&m.staff.token),
            json!({ "code": picked["code"] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app
        .post(
            &format!("/api/v1/redemptions/{}/cancel", pending["id"]),
            Some(&resident.token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    app.redeem(&resident, rice, 1).await;
    let (status, _) = app
        .patch(
            &format!("/api/v1/goods/{soap}"),
            Some(&m.staff.token),
            json!({ "on_shelf": false }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let path = format!("/api/v1/communities/{}/goods/inventory", m.community);
    let (status, book) = app.get(&path, Some(&m.staff.token)).await;

    assert_eq!(status, StatusCode::OK, "{book}");
    let items = book["items"].as_array().unwrap();
    let line = |id: i64| {
        items
            .iter()
            .find(|i| i["goods"]["id"] == id)
            .unwrap_or_else(|| panic!("goods {id} in {book}"))
    };
    let (r, s) = (line(rice), line(soap));
    assert_eq!(
        (
            r["goods"]["stock"].as_i64(),
            r["pending_units"].as_i64(),
            r["fulfilled_units"].as_i64()
        ),
        (Some(3), Some(1), Some(1)),
        "{r}"
    );
    assert_eq!(r["initial_stock"], 5);
    assert_eq!(
        (
            s["goods"]["on_shelf"].as_bool(),
            s["goods"]["stock"].as_i64()
        ),
        (Some(false), Some(4)),
        "off-shelf goods stay in the book"
    );
    let (_, shelf) = app
        .get(&format!("/api/v1/communities/{}/goods", m.community), None)
        .await;
    assert_eq!(
        shelf["items"].as_array().unwrap().len(),
        1,
        "the shelf hides them"
    );

    for token in [
        Some(resident.token.as_str()),
        Some(m.other_staff.token.as_str()),
    ] {
        let (status, body) = app.get(&path, token).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    }
    let (status, _) = app.get(&path, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = app
        .get(
            "/api/v1/communities/999999/goods/inventory",
            Some(&m.staff.token),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    assert_ledger_invariants(&app).await;
}
