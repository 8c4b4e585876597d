//! The pages the mini-program was missing: a redemption's pickup page that survives a reload,
//! codes that disappear once they are of no use, the desk lookup (确认发放), staff lists with
//! masked names, and passbook references that open their target.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_ledger_invariants, Market, TestApp, User};
use crate::supermarket::{code, relogin, spawn, WEEK};

const PLACE: &str = "仕奇社区党群服务中心一楼";
const HOURS: &str = "周一至周五 9:00-17:00";

/// The staff set where and when their supermarket hands goods out.
async fn open_the_desk(app: &TestApp, m: &Market) {
    let (status, community) = app
        .patch(
            &format!("/api/v1/communities/{}", m.community),
            Some(&m.staff.token),
            json!({ "pickup_address": PLACE, "pickup_hours": HOURS }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{community}");
    assert_eq!(
        (&community["pickup_address"], &community["pickup_hours"]),
        (&json!(PLACE), &json!(HOURS))
    );
}

/// A resident of the market's community with 100 points and a phone, and goods at 10.
async fn resident_with_goods(app: &TestApp, m: &Market) -> (User, i64) {
    let resident = app.login("resident").await;
    let (status, me) = app
        .post(
            "/api/v1/me/phone",
            Some(&resident.token),
            json!({ "code": "mock:13812345678" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{me}");
    app.give_points(&m.staff, m.community, &resident, 100).await;
    let goods = app.put_goods(&m.staff, m.community, 10, 10, None).await;
    (resident, goods)
}

fn detail_path(r: &Value) -> String {
    format!("/api/v1/redemptions/{}", r["id"])
}

#[tokio::test]
async fn a_pickup_page_survives_a_reload_with_the_place_the_hours_and_a_qr_payload() {
    let app = spawn().await;
    let m = app.market().await;
    open_the_desk(&app, &m).await;
    let (resident, goods) = resident_with_goods(&app, &m).await;
    let (status, r) = app.redeem(&resident, goods, 2).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    assert_eq!(r["qr_payload"], format!("linli:redeem:{}", code(&r)));

    let (status, page) = app.get(&detail_path(&r), Some(&resident.token)).await;

    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["id"], r["id"]);
    assert_eq!(page["status"], "pending");
    assert_eq!(
        (&page["code"], &page["qr_payload"]),
        (&r["code"], &r["qr_payload"])
    );
    assert_eq!(page["community_name"], "仕奇社区");
    assert_eq!(
        (&page["pickup_address"], &page["pickup_hours"]),
        (&json!(PLACE), &json!(HOURS))
    );
    assert_eq!(page["goods"]["id"], goods);
    assert!(page["goods"]["name"].is_string() && page["goods"].get("image_url").is_some());
    assert_eq!(
        (&page["quantity"], &page["points"]),
        (&json!(2), &json!(20))
    );

    let (status, staff_page) = app.get(&detail_path(&r), Some(&m.staff.token)).await;
    assert_eq!(status, StatusCode::OK, "{staff_page}");
    assert_eq!(
        (&staff_page["code"], &staff_page["qr_payload"]),
        (&Value::Null, &Value::Null),
        "staff see the redemption, never its code"
    );
    let stranger = app.login("stranger").await;
    for token in [&m.other_staff.token, &stranger.token] {
        let (status, body) = app.get(&detail_path(&r), Some(token)).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("not_found")),
            "{body}"
        );
    }
    let (status, _) = app.get(&detail_path(&r), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app
        .get("/api/v1/redemptions/999999", Some(&resident.token))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_code_is_hidden_once_the_redemption_is_cancelled_fulfilled_or_expired() {
    let app = spawn().await;
    let m = app.market().await;
    let (resident, goods) = resident_with_goods(&app, &m).await;
    let key = "cancel-me-later";
    let body = json!({ "goods_id": goods, "quantity": 1 });
    let (_, first) = app
        .post_with_key("/api/v1/redemptions", &resident.token, key, body.clone())
        .await;
    let cancelled: Value = serde_json::from_str(&first).unwrap();
    let (_, fulfilled) = app.redeem(&resident, goods, 1).await;
    let (_, expiring) = app.redeem(&resident, goods, 1).await;

    let (status, answer) = app
        .post(
            &format!("{}/cancel", detail_path(&cancelled)),
            Some(&resident.token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        (&answer["code"], &answer["qr_payload"]),
        (&Value::Null, &Value::Null)
    );
    let (status, replay) = app
        .post_with_key("/api/v1/redemptions", &resident.token, key, body)
        .await;
    assert_eq!(
        (status, replay),
        (StatusCode::CREATED, first),
        "a replay is the first answer, byte for byte"
    );
    let verify = format!("/api/v1/communities/{}/redemptions/verify", m.community);
    let (status, handed) = app
        .post(
            &verify,
            Some(&m.staff.token),
            json!({ "code": code(&fulfilled) }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{handed}");
    assert_eq!(
        (&handed["status"], &handed["code"]),
        (&json!("fulfilled"), &Value::Null)
    );

    app.advance(WEEK + Duration::from_secs(1));
    let (resident, _) = relogin(&app, m).await;
    api::supermarket::sweeper::sweep_once(&app.state)
        .await
        .expect("sweep");

    for (r, status) in [
        (&cancelled, "cancelled"),
        (&fulfilled, "fulfilled"),
        (&expiring, "expired"),
    ] {
        let (_, page) = app.get(&detail_path(r), Some(&resident.token)).await;
        assert_eq!(page["status"], status, "{page}");
        assert_eq!(
            (&page["code"], &page["qr_payload"]),
            (&Value::Null, &Value::Null),
            "{status}"
        );
    }
    let (_, mine) = app
        .get("/api/v1/me/redemptions", Some(&resident.token))
        .await;
    let items = mine["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert!(
        items
            .iter()
            .all(|r| r["code"].is_null() && r["qr_payload"].is_null()),
        "{mine}"
    );
    assert_ledger_invariants(&app).await;
}

#[tokio::test]
async fn the_desk_looks_a_code_up_without_handing_it_over() {
    let app = spawn().await;
    let m = app.market().await;
    let (resident, goods) = resident_with_goods(&app, &m).await;
    let (_, r) = app.redeem(&resident, goods, 2).await;
    let lookup = format!("/api/v1/communities/{}/redemptions/lookup", m.community);

    let (status, found) = app
        .get(&format!("{lookup}?code={}", code(&r)), Some(&m.staff.token))
        .await;

    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(
        (&found["id"], &found["status"]),
        (&r["id"], &json!("pending"))
    );
    assert_eq!(
        (&found["quantity"], &found["goods"]["id"]),
        (&json!(2), &json!(goods))
    );
    assert_eq!(found["goods"]["name"], r["goods"]["name"]);
    assert_eq!(
        (&found["user_id"], &found["user_name"]),
        (&json!(resident.id), &json!("r****"))
    );
    assert_eq!(found["user_phone"], "138****5678");
    assert!(found["created_at"].is_string() && found["expires_at"].is_string());
    let (status, scanned) = app
        .get(
            &format!("{lookup}?code=linli:redeem:{}", code(&r)),
            Some(&m.staff.token),
        )
        .await;
    assert_eq!(
        (status, &scanned["id"]),
        (StatusCode::OK, &r["id"]),
        "{scanned}"
    );
    let (_, page) = app.get(&detail_path(&r), Some(&resident.token)).await;
    assert_eq!(page["status"], "pending", "looking up hands nothing over");
    assert_eq!(
        (app.balance(resident.id).await, app.stock(goods).await),
        (80, 8)
    );

    let wrong = if code(&r) == "000000" {
        "000001"
    } else {
        "000000"
    };
    let (status, missing) = app
        .get(&format!("{lookup}?code={wrong}"), Some(&m.staff.token))
        .await;
    assert_eq!(
        (status, missing["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("redemption_code_not_found"))
    );
    let (status, bad) = app
        .get(&format!("{lookup}?code=12ab"), Some(&m.staff.token))
        .await;
    assert_eq!(
        (status, bad["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("validation_failed"))
    );
    for token in [&m.other_staff.token, &resident.token] {
        let (status, hidden) = app
            .get(&format!("{lookup}?code={}", code(&r)), Some(token))
            .await;
        assert_eq!(
            (status, hidden["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("not_found")),
            "{hidden}"
        );
    }
    let other_lookup = format!(
        "/api/v1/communities/{}/redemptions/lookup",
        m.other_community
    );
    let (status, elsewhere) = app
        .get(
            &format!("{other_lookup}?code={}", code(&r)),
            Some(&m.other_staff.token),
        )
        .await;
    assert_eq!(
        (status, elsewhere["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("redemption_code_not_found")),
        "another community's codes are not theirs"
    );

    let verify = format!("/api/v1/communities/{}/redemptions/verify", m.community);
    let (status, handed) = app
        .post(
            &verify,
            Some(&m.staff.token),
            json!({ "code": r["qr_payload"] }),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the scanned payload verifies too: {handed}"
    );
    assert_eq!(
        (&handed["status"], &handed["user_name"]),
        (&json!("fulfilled"), &json!("r****"))
    );
    assert_eq!(handed["fulfilled_by_name"], "market-staff");
    let (_, after) = app
        .get(&format!("{lookup}?code={}", code(&r)), Some(&m.staff.token))
        .await;
    assert_eq!(
        (&after["status"], &after["code"]),
        (&json!("fulfilled"), &Value::Null)
    );
    let (_, list) = app
        .get(
            &format!("/api/v1/communities/{}/redemptions", m.community),
            Some(&m.staff.token),
        )
        .await;
    let item = &list["items"][0];
    assert_eq!(
        (&item["user_name"], &item["user_phone"]),
        (&json!("r****"), &json!("138****5678"))
    );
    assert_eq!(item["fulfilled_by_name"], "market-staff");
    assert_ledger_invariants(&app).await;
}

#[tokio::test]
async fn desk_lookups_spend_the_callers_write_budget() {
    let app = TestApp::spawn_with(|s| {
        s.sweep_interval = Duration::ZERO;
        s.rate.writes = 10;
    })
    .await;
    let m = app.market().await;
    let lookup = format!("/api/v1/communities/{}/redemptions/lookup", m.community);
    let mut limited = None;
    for i in 0..11 {
        let (status, body) = app
            .get(&format!("{lookup}?code={:06}", i), Some(&m.staff.token))
            .await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(body["code"].clone());
            break;
        }
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    }
    assert_eq!(
        limited,
        Some(json!("rate_limited")),
        "guessing codes is bounded"
    );
}

#[tokio::test]
async fn passbook_references_open_the_redemption_they_name() {
    let app = spawn().await;
    let m = app.market().await;
    let (resident, goods) = resident_with_goods(&app, &m).await;
    let (_, r) = app.redeem(&resident, goods, 1).await;
    app.post(
        &format!("{}/cancel", detail_path(&r)),
        Some(&resident.token),
        json!({}),
    )
    .await;

    let (_, entries) = app
        .get("/api/v1/me/points/entries", Some(&resident.token))
        .await;

    let items = entries["items"].as_array().unwrap();
    let kinds: Vec<&str> = items.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["refund", "redeem", "adjust"]);
    for entry in &items[..2] {
        assert_eq!(
            entry["reference"],
            json!({ "type": "redemption", "id": r["id"], "path": detail_path(&r) })
        );
        let path = entry["reference"]["path"].as_str().unwrap();
        let (status, target) = app.get(path, Some(&resident.token)).await;
        assert_eq!((status, &target["id"]), (StatusCode::OK, &r["id"]));
    }
    assert_eq!(
        items[2]["reference"],
        Value::Null,
        "an adjustment carries its reason only"
    );
}

#[tokio::test]
async fn percent_encoded_paths_spend_the_same_budget_as_plain_ones() {
    let app = TestApp::spawn_with(|s| {
        s.sweep_interval = Duration::ZERO;
        s.rate.writes = 6;
    })
    .await;
    let m = app.market().await;
    // `looku%70` and `%61pi` route to the lookup like the plain path; they must count too.
    let encoded = [
        format!("/api/v1/communities/{}/redemptions/looku%70", m.community),
        format!("/%61pi/v1/communities/{}/redemptions/lookup", m.community),
    ];
    // The strict query string reads the routed path too (this one spends a unit as well).
    let (status, body) = app
        .get(&format!("{}?bogus=1", encoded[0]), Some(&m.staff.token))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let mut limited = None;
    for i in 0..7 {
        let path = &encoded[i % 2];
        let (status, body) = app
            .get(&format!("{path}?code={:06}", i), Some(&m.staff.token))
            .await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(i);
            break;
        }
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
        assert_eq!(
            body["code"],
            json!("redemption_code_not_found"),
            "{path}: {body}"
        );
    }
    assert_eq!(
        limited,
        Some(5),
        "encoded lookups are charged like plain ones"
    );
}
