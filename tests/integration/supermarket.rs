//! The civility supermarket: goods, redemptions, pickup, cancel and expiry, one at a time.

use std::time::Duration;

use entity::{audit_logs, goods_restocks};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

use crate::helpers::{assert_ledger_invariants, Market, TestApp, User};

const WEEK: Duration = Duration::from_secs(7 * 24 * 3600);

/// A server whose background sweeper stays off, so tests decide when redemptions expire.
async fn spawn() -> TestApp {
    TestApp::spawn_with(|s| s.sweep_interval = Duration::ZERO).await
}

/// Logs the resident and the staff in again (after the clock moved past their tokens).
async fn relogin(app: &TestApp, mut m: Market) -> (User, Market) {
    m.staff = app.login("market-staff").await;
    m.other_staff = app.login("market-other-staff").await;
    (app.login("resident").await, m)
}

fn code(body: &Value) -> &str {
    body["code"].as_str().expect("a pickup code")
}

#[tokio::test]
async fn staff_stock_the_shelf_and_anyone_browses_it() {
    let app = spawn().await;
    let m = app.market().await;
    let body = json!({
        "name": " 洗衣液 ", "description": "2kg 装", "image_url": "https://img.example.com/a.png",
        "category": "日用品", "points_price": 30, "stock": 12, "monthly_limit_per_user": 2,
    });
    let (status, goods) = app
        .post(
            &format!("/api/v1/communities/{}/goods", m.community),
            Some(&m.staff.token),
            body,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{goods}");
    assert_eq!(goods["name"], "洗衣液");
    assert_eq!(
        (goods["stock"].as_i64(), goods["total_stocked"].as_i64()),
        (Some(12), Some(12))
    );
    assert_eq!(goods["on_shelf"], true);
    let id = goods["id"].as_i64().unwrap();
    assert_eq!(
        app.scalar(&format!(
            "SELECT initial_stock AS n FROM goods WHERE id = {id}"
        ))
        .await,
        12
    );

    let (status, shelf) = app
        .get(&format!("/api/v1/communities/{}/goods", m.community), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(shelf["items"].as_array().unwrap().len(), 1);
    assert_eq!(shelf["items"][0]["id"], id);
    let (status, detail) = app.get(&format!("/api/v1/goods/{id}"), None).await;
    assert_eq!(
        (status, detail["points_price"].as_i64()),
        (StatusCode::OK, Some(30))
    );
    let (status, other) = app
        .get(
            &format!("/api/v1/communities/{}/goods", m.other_community),
            None,
        )
        .await;
    assert_eq!(
        (status, other["items"].as_array().unwrap().len()),
        (StatusCode::OK, 0)
    );
    assert_eq!(
        app.get("/api/v1/communities/99999/goods", None).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/api/v1/goods/99999", None).await.0,
        StatusCode::NOT_FOUND
    );
    assert_ledger_invariants(&app).await;
}

#[tokio::test]
async fn a_redemption_takes_the_points_and_the_stock_and_answers_a_pickup_code() {
    let app = spawn().await;
    let m = app.market().await;
    let resident = app.login("resident").await;
    app.give_points(&m.staff, m.community, &resident, 100).await;
    let goods = app.put_goods(&m.staff, m.community, 20, 5, None).await;

    let (status, r) = app.redeem(&resident, goods, 2).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    assert_eq!(r["status"], "pending");
    assert!(
        code(&r).len() == 6 && code(&r).bytes().all(|b| b.is_ascii_digit()),
        "{r}"
    );
    assert_eq!(
        (r["points"].as_i64(), r["quantity"].as_i64()),
        (Some(40), Some(2))
    );
    assert_eq!(r["goods"]["id"], goods);
    assert_eq!(r["goods"]["points_price"], 20);
    assert!(r["goods"]["name"].is_string() && r["goods"].get("image_url").is_some());
    let created: chrono::DateTime<chrono::Utc> = r["created_at"].as_str().unwrap().parse().unwrap();
    let expires: chrono::DateTime<chrono::Utc> = r["expires_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(expires - created, chrono::Duration::days(7));
    assert_eq!(app.balance(resident.id).await, 60);
    assert_eq!(app.stock(goods).await, 3);

    let (_, entries) = app
        .get("/api/v1/me/points/entries", Some(&resident.token))
        .await;
    assert_eq!(entries["items"][0]["kind"], "redeem");
    assert_eq!(entries["items"][0]["amount"], -40);
    assert_eq!(
        entries["items"][0]["reference"],
        json!({ "type": "redemption", "id": r["id"] })
    );
    let (status, mine) = app
        .get("/api/v1/me/redemptions", Some(&resident.token))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(mine["items"][0]["id"], r["id"]);
    assert_eq!(mine["items"][0]["code"], r["code"]);
    assert_ledger_invariants(&app).await;
}

#[tokio::test]
async fn the_shelf_shows_the_new_stock_after_each_change() {
    let app = spawn().await;
    let m = app.market().await;
    let resident = app.login("resident").await;
    app.give_points(&m.staff, m.community, &resident, 1000)
        .await;
    let goods = app.put_goods(&m.staff, m.community, 10, 5, None).await;
    let shelf_path = format!("/api/v1/communities/{}/goods", m.community);
    let shown = |shelf: &Value| {
        shelf["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["id"] == goods)
            .map(|g| g["stock"].as_i64().unwrap())
    };
    assert_eq!(shown(&app.get(&shelf_path, None).await.1), Some(5));
    assert_eq!(
        shown(&app.get(&shelf_path, None).await.1),
        Some(5),
        "served again (from the cache)"
    );

    let (_, r) = app.redeem(&resident, goods, 2).await;
    assert_eq!(
        shown(&app.get(&shelf_path, None).await.1),
        Some(3),
        "a redemption refreshes the shelf"
    );
    let (status, _) = app
        .post(
            &format!("/api/v1/redemptions/{}/cancel", r["id"]),
            Some(&resident.token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        shown(&app.get(&shelf_path, None).await.1),
        Some(5),
        "a cancel refreshes the shelf"
    );
    let restock = json!({ "quantity": 4, "note": "爱心企业捐赠" });
    app.post(
        &format!("/api/v1/goods/{goods}/restock"),
        Some(&m.staff.token),
        restock,
    )
    .await;
    assert_eq!(
        shown(&app.get(&shelf_path, None).await.1),
        Some(9),
        "a restock refreshes the shelf"
    );
    app.redeem(&resident, goods, 1).await;
    app.advance(WEEK + Duration::from_secs(1));
    // Access tokens live 15 minutes: log in again after moving the clock.
    let (resident, m) = relogin(&app, m).await;
    assert_eq!(shown(&app.get(&shelf_path, None).await.1), Some(8));
    assert_eq!(
        api::supermarket::sweeper::sweep_once(&app.state)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        shown(&app.get(&shelf_path, None).await.1),
        Some(9),
        "an expiry refreshes the shelf"
    );
    app.patch(
        &format!("/api/v1/goods/{goods}"),
        Some(&m.staff.token),
        json!({ "on_shelf": false }),
    )
    .await;
    assert_eq!(
        shown(&app.get(&shelf_path, None).await.1),
        None,
        "off the shelf, out of the list"
    );
    app.patch(
        &format!("/api/v1/goods/{goods}"),
        Some(&m.staff.token),
        json!({ "on_shelf": true }),
    )
    .await;
    app.redeem(&resident, goods, 9).await;
    assert_eq!(
        shown(&app.get(&shelf_path, None).await.1),
        None,
        "sold out, out of the list"
    );
    assert_ledger_invariants(&app).await;
}

#[tokio::test]
async fn refused_redemptions_answer_409_and_write_nothing() {
    let app = spawn().await;
    let m = app.market().await;
    let resident = app.login("resident").await;
    app.give_points(&m.staff, m.community, &resident, 100).await;
    let scarce = app.put_goods(&m.staff, m.community, 10, 1, None).await;
    let dear = app.put_goods(&m.staff, m.community, 101, 10, None).await;
    let limited = app.put_goods(&m.staff, m.community, 5, 10, Some(2)).await;
    let shelved = app.put_goods(&m.staff, m.community, 5, 10, None).await;
    app.patch(
        &format!("/api/v1/goods/{shelved}"),
        Some(&m.staff.token),
        json!({ "on_shelf": false }),
    )
    .await;
    let (status, r) = app.redeem(&resident, limited, 2).await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let before = (
        app.balance(resident.id).await,
        app.count("redemptions").await,
        app.count("points_entries").await,
    );

    let cases = [
        (scarce, 2, "out_of_stock"),
        (dear, 1, "insufficient_points"),
        (limited, 1, "limit_reached"),
        (shelved, 1, "goods_unavailable"),
    ];
    for (goods, quantity, expected) in cases {
        let stock = app.stock(goods).await;
        let (status, body) = app.redeem(&resident, goods, quantity).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::CONFLICT, Some(expected)),
            "{body}"
        );
        assert_eq!(
            app.stock(goods).await,
            stock,
            "{expected}: the stock is unchanged"
        );
    }
    let (status, body) = app.redeem(&resident, 99999, 1).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let after = (
        app.balance(resident.id).await,
        app.count("redemptions").await,
        app.count("points_entries").await,
    );
    assert_eq!(after, before, "nothing was written");

    // A cancelled redemption no longer counts against the monthly limit.
    app.post(
        &format!("/api/v1/redemptions/{}/cancel", r["id"]),
        Some(&resident.token),
        json!({}),
    )
    .await;
    assert_eq!(
        app.redeem(&resident, limited, 1).await.0,
        StatusCode::CREATED
    );
    assert_ledger_invariants(&app).await;
}

#[tokio::test]
async fn the_idempotency_key_is_required_replayed_and_bound_to_its_body() {
    let app = spawn().await;
    let m = app.market().await;
    let resident = app.login("resident").await;
    app.give_points(&m.staff, m.community, &resident, 100).await;
    let goods = app.put_goods(&m.staff, m.community, 10, 10, None).await;
    let body = json!({ "goods_id": goods, "quantity": 1 });

    let (status, missing) = app
        .post("/api/v1/redemptions", Some(&resident.token), body.clone())
        .await;
    assert_eq!(
        (status, missing["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("idempotency_key_required"))
    );
    assert_eq!(app.count("redemptions").await, 0);

    let (first_status, first) = app
        .post_with_key("/api/v1/redemptions", &resident.token, "k-1", body.clone())
        .await;
    assert_eq!(first_status, StatusCode::CREATED, "{first}");
    let (again_status, again) = app
        .post_with_key("/api/v1/redemptions", &resident.token, "k-1", body)
        .await;
    assert_eq!(
        (again_status, &again),
        (StatusCode::CREATED, &first),
        "replayed byte for byte"
    );
    let other = json!({ "goods_id": goods, "quantity": 2 });
    let (status, reused) = app
        .post_with_key("/api/v1/redemptions", &resident.token, "k-1", other)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reused.contains("idempotency_key_reused"), "{reused}");
    assert_eq!(app.count("redemptions").await, 1);
    assert_eq!(app.balance(resident.id).await, 90);
    assert_ledger_invariants(&app).await;
}

#[tokio::test]
async fn bad_input_answers_422_naming_the_field_and_writes_nothing() {
    let app = spawn().await;
    let m = app.market().await;
    let resident = app.login("resident").await;
    app.give_points(&m.staff, m.community, &resident, 100).await;
    let goods = app.put_goods(&m.staff, m.community, 10, 10, None).await;
    let before = (
        app.count("goods").await,
        app.count("redemptions").await,
        app.count("goods_restocks").await,
    );
    let create = format!("/api/v1/communities/{}/goods", m.community);
    let valid = json!({ "name": "米", "description": "", "points_price": 5, "stock": 3 });
    let with = |field: &str, value: Value| {
        let mut body = valid.clone();
        body[field] = value;
        body
    };
    let goods_cases = [
        (with("name", json!("  ")), "name"),
        (with("points_price", json!(0)), "points_price"),
        (with("stock", json!(-1)), "stock"),
        (
            with("image_url", json!("ftp://example.com/a.png")),
            "image_url",
        ),
        (
            with("monthly_limit_per_user", json!(0)),
            "monthly_limit_per_user",
        ),
        (with("initial_stock", json!(1000)), "initial_stock"),
    ];
    for (body, field) in goods_cases {
        let (status, answer) = app.post(&create, Some(&m.staff.token), body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert!(answer["fields"][field].is_string(), "{field}: {answer}");
    }
    let writes = [
        (
            "/api/v1/redemptions".to_owned(),
            json!({ "goods_id": goods, "quantity": 0 }),
            "quantity",
        ),
        (
            "/api/v1/redemptions".to_owned(),
            json!({ "goods_id": goods, "quantity": 101 }),
            "quantity",
        ),
        (
            "/api/v1/redemptions".to_owned(),
            json!({ "goods_id": goods, "quantity": 1, "points": 0 }),
            "points",
        ),
        (
            format!("/api/v1/goods/{goods}/restock"),
            json!({ "quantity": 0, "note": "" }),
            "quantity",
        ),
        (
            format!("/api/v1/goods/{goods}/restock"),
            json!({ "quantity": 100001, "note": "" }),
            "quantity",
        ),
        (
            format!("/api/v1/communities/{}/redemptions/verify", m.community),
            json!({ "code": "12ab56" }),
            "code",
        ),
    ];
    for (path, body, field) in writes {
        let token = if path == "/api/v1/redemptions" {
            &resident.token
        } else {
            &m.staff.token
        };
        let (status, answer) = app.post_with_key(&path, token, "bad-input", body).await;
        let answer: Value = serde_json::from_str(&answer).unwrap();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {answer}");
        assert!(
            answer["fields"][field].is_string(),
            "{path} {field}: {answer}"
        );
    }
    let (status, answer) = app
        .patch(
            &format!("/api/v1/goods/{goods}"),
            Some(&m.staff.token),
            json!({ "stock": 99 }),
        )
        .await;
    assert_eq!(
        (status, answer["fields"]["stock"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("不支持的字段"))
    );
    let mine = app
        .get("/api/v1/me/redemptions?status=lost", Some(&resident.token))
        .await;
    assert_eq!(mine.0, StatusCode::UNPROCESSABLE_ENTITY);
    let after = (
        app.count("goods").await,
        app.count("redemptions").await,
        app.count("goods_restocks").await,
    );
    assert_eq!(after, before);
    assert_eq!(
        (app.balance(resident.id).await, app.stock(goods).await),
        (100, 10)
    );
    assert_ledger_invariants(&app).await;
}

#[tokio::test]
async fn residents_and_staff_of_other_communities_cannot_manage_the_shelf() {
    let app = spawn().await;
    let m = app.market().await;
    let resident = app.login("resident").await;
    let goods = app.put_goods(&m.staff, m.community, 10, 10, None).await;
    let body = json!({ "name": "米", "description": "", "points_price": 5, "stock": 3 });
    let staff_of_b = &m.other_staff;
    for token in [&resident.token, &staff_of_b.token] {
        let (status, answer) = app
            .post(
                &format!("/api/v1/communities/{}/goods", m.community),
                Some(token),
                body.clone(),
            )
            .await;
        assert_eq!(
            (status, answer["code"].as_str()),
            (StatusCode::NOT_FOUND, Some("not_found"))
        );
        let patch = app
            .patch(
                &format!("/api/v1/goods/{goods}"),
                Some(token),
                json!({ "on_shelf": false }),
            )
            .await;
        assert_eq!(patch.0, StatusCode::NOT_FOUND);
        let restock = json!({ "quantity": 5, "note": "" });
        assert_eq!(
            app.post(
                &format!("/api/v1/goods/{goods}/restock"),
                Some(token),
                restock
            )
            .await
            .0,
            StatusCode::NOT_FOUND
        );
        let list = app
            .get(
                &format!("/api/v1/communities/{}/redemptions", m.community),
                Some(token),
            )
            .await;
        assert_eq!(list.0, StatusCode::NOT_FOUND);
    }
    assert_eq!(
        app.post(
            &format!("/api/v1/communities/{}/goods", m.community),
            None,
            body
        )
        .await
        .0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        (app.count("goods").await, app.count("goods_restocks").await),
        (1, 0)
    );
    assert_eq!(app.stock(goods).await, 10);
    assert_ledger_invariants(&app).await;
}

#[tokio::test]
async fn staff_edit_goods_and_restock_them_with_an_audit_record() {
    let app = spawn().await;
    let m = app.market().await;
    let goods = app.put_goods(&m.staff, m.community, 10, 3, Some(2)).await;
    let edit = json!({ "name": "大米 5kg", "category": "粮油", "points_price": 15 });
    let (status, edited) = app
        .patch(
            &format!("/api/v1/goods/{goods}"),
            Some(&m.staff.token),
            edit,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(
        (edited["name"].as_str(), edited["points_price"].as_i64()),
        (Some("大米 5kg"), Some(15))
    );
    assert_eq!(edited["monthly_limit_per_user"], 2, "untouched fields stay");
    let clear = json!({ "category": null, "monthly_limit_per_user": null, "on_shelf": false });
    let (_, cleared) = app
        .patch(
            &format!("/api/v1/goods/{goods}"),
            Some(&m.staff.token),
            clear,
        )
        .await;
    assert_eq!(
        (
            cleared["category"].clone(),
            cleared["monthly_limit_per_user"].clone()
        ),
        (Value::Null, Value::Null)
    );
    let (status, detail) = app.get(&format!("/api/v1/goods/{goods}"), None).await;
    assert_eq!(
        (status, detail["on_shelf"].as_bool()),
        (StatusCode::OK, Some(false)),
        "off-shelf goods keep their page"
    );

    let restock = json!({ "quantity": 7, "note": "爱心企业捐赠" });
    let (status, restocked) = app
        .post(
            &format!("/api/v1/goods/{goods}/restock"),
            Some(&m.staff.token),
            restock,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{restocked}");
    assert_eq!(
        (
            restocked["stock"].as_i64(),
            restocked["total_stocked"].as_i64()
        ),
        (Some(10), Some(10))
    );
    let rows = goods_restocks::Entity::find().all(app.db()).await.unwrap();
    assert_eq!(
        (rows.len(), rows[0].quantity, rows[0].actor_id),
        (1, 7, m.staff.id)
    );
    let audits = audit_logs::Entity::find()
        .filter(audit_logs::Column::Action.eq("goods.restock"))
        .all(app.db())
        .await
        .unwrap();
    assert_eq!(
        (audits.len(), audits[0].actor_id, audits[0].object_id),
        (1, Some(m.staff.id), goods)
    );
    assert_ledger_invariants(&app).await;
}

#[tokio::test]
async fn the_owner_cancels_a_pending_redemption_once_and_no_one_else_can() {
    let app = spawn().await;
    let m = app.market().await;
    let resident = app.login("resident").await;
    let neighbour = app.login("neighbour").await;
    app.give_points(&m.staff, m.community, &resident, 50).await;
    let goods = app.put_goods(&m.staff, m.community, 25, 4, None).await;
    let (_, r) = app.redeem(&resident, goods, 2).await;
    let cancel = format!("/api/v1/redemptions/{}/cancel", r["id"]);

    let (status, answer) = app.post(&cancel, Some(&neighbour.token), json!({})).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    assert_eq!(
        app.post(&cancel, Some(&m.staff.token), json!({})).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.post(
            "/api/v1/redemptions/99999/cancel",
            Some(&resident.token),
            json!({})
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    let (status, cancelled) = app.post(&cancel, Some(&resident.token), json!({})).await;
    assert_eq!(
        (status, cancelled["status"].as_str()),
        (StatusCode::OK, Some("cancelled")),
        "{cancelled}"
    );
    assert!(cancelled["closed_at"].is_string());
    assert_eq!(
        (app.balance(resident.id).await, app.stock(goods).await),
        (50, 4)
    );
    let (status, again) = app.post(&cancel, Some(&resident.token), json!({})).await;
    assert_eq!(
        (status, again["code"].as_str()),
        (StatusCode::CONFLICT, Some("redemption_not_pending"))
    );
    let (_, entries) = app
        .get("/api/v1/me/points/entries", Some(&resident.token))
        .await;
    assert_eq!(
        (
            entries["items"][0]["kind"].as_str(),
            entries["items"][0]["amount"].as_i64()
        ),
        (Some("refund"), Some(50))
    );
    assert_eq!(app.balance(resident.id).await, 50);
    assert_ledger_invariants(&app).await;
}

#[tokio::test]
async fn staff_verify_a_pickup_code_once_in_their_own_community_only() {
    let app = spawn().await;
    let m = app.market().await;
    let resident = app.login("resident").await;
    app.give_points(&m.staff, m.community, &resident, 100).await;
    let goods = app.put_goods(&m.staff, m.community, 10, 10, None).await;
    let (_, r) = app.redeem(&resident, goods, 1).await;
    let (_, cancelled) = app.redeem(&resident, goods, 1).await;
    app.post(
        &format!("/api/v1/redemptions/{}/cancel", cancelled["id"]),
        Some(&resident.token),
        json!({}),
    )
    .await;
    let verify = format!("/api/v1/communities/{}/redemptions/verify", m.community);
    let body = json!({ "code": code(&r) });

    let other_verify = format!(
        "/api/v1/communities/{}/redemptions/verify",
        m.other_community
    );
    assert_eq!(
        app.post(&other_verify, Some(&m.other_staff.token), body.clone())
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.post(&verify, Some(&m.other_staff.token), body.clone())
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.post(&verify, Some(&resident.token), body.clone())
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let unused = if code(&r) == "000000" {
        "000001"
    } else {
        "000000"
    };
    if unused != code(&cancelled) {
        let (status, _) = app
            .post(&verify, Some(&m.staff.token), json!({ "code": unused }))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    let pending = app
        .scalar("SELECT COUNT(*) AS n FROM redemptions WHERE status = 'pending'")
        .await;
    assert_eq!(pending, 1, "nothing changed");

    let (status, done) = app.post(&verify, Some(&m.staff.token), body.clone()).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(
        (done["status"].as_str(), done["fulfilled_by"].as_i64()),
        (Some("fulfilled"), Some(m.staff.id))
    );
    assert!(done["fulfilled_at"].is_string());
    let (status, again) = app.post(&verify, Some(&m.staff.token), body).await;
    assert_eq!(
        (status, again["code"].as_str()),
        (StatusCode::CONFLICT, Some("already_fulfilled"))
    );
    if code(&cancelled) != code(&r) {
        let (status, answer) = app
            .post(
                &verify,
                Some(&m.staff.token),
                json!({ "code": code(&cancelled) }),
            )
            .await;
        assert_eq!(
            (status, answer["code"].as_str()),
            (StatusCode::CONFLICT, Some("redemption_cancelled"))
        );
    }
    let (status, answer) = app
        .post(
            &format!("/api/v1/redemptions/{}/cancel", r["id"]),
            Some(&resident.token),
            json!({}),
        )
        .await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (StatusCode::CONFLICT, Some("redemption_not_pending"))
    );
    assert_eq!(app.balance(resident.id).await, 90);
    assert_ledger_invariants(&app).await;
}

#[tokio::test]
async fn verifying_an_overdue_code_expires_it_with_its_refund() {
    let app = spawn().await;
    let m = app.market().await;
    let resident = app.login("resident").await;
    app.give_points(&m.staff, m.community, &resident, 100).await;
    let goods = app.put_goods(&m.staff, m.community, 30, 5, None).await;
    let (_, r) = app.redeem(&resident, goods, 2).await;
    assert_eq!(
        (app.balance(resident.id).await, app.stock(goods).await),
        (40, 3)
    );
    app.advance(WEEK + Duration::from_secs(1));
    // Access tokens live 15 minutes: log in again after moving the clock.
    let (resident, m) = relogin(&app, m).await;

    let verify = format!("/api/v1/communities/{}/redemptions/verify", m.community);
    let (status, answer) = app
        .post(&verify, Some(&m.staff.token), json!({ "code": code(&r) }))
        .await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (StatusCode::CONFLICT, Some("redemption_expired")),
        "{answer}"
    );
    assert_eq!(
        (app.balance(resident.id).await, app.stock(goods).await),
        (100, 5)
    );
    let (status, answer) = app
        .post(&verify, Some(&m.staff.token), json!({ "code": code(&r) }))
        .await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (StatusCode::CONFLICT, Some("redemption_expired"))
    );
    assert_eq!(
        api::supermarket::sweeper::sweep_once(&app.state)
            .await
            .unwrap(),
        0,
        "nothing left to sweep"
    );
    let (_, entries) = app
        .get("/api/v1/me/points/entries", Some(&resident.token))
        .await;
    assert_eq!(
        (
            entries["items"][0]["kind"].as_str(),
            entries["items"][0]["amount"].as_i64()
        ),
        (Some("expire"), Some(60))
    );
    assert_eq!(app.balance(resident.id).await, 100);
    assert_ledger_invariants(&app).await;
}

#[tokio::test]
async fn the_sweeper_expires_overdue_redemptions_once() {
    let app = TestApp::spawn_with(|s| {
        s.redemption_ttl = Duration::from_secs(3600);
        s.sweep_interval = Duration::ZERO;
    })
    .await;
    let m = app.market().await;
    let resident = app.login("resident").await;
    app.give_points(&m.staff, m.community, &resident, 100).await;
    let goods = app.put_goods(&m.staff, m.community, 10, 10, None).await;
    let (_, first) = app.redeem(&resident, goods, 1).await;
    let created: chrono::DateTime<chrono::Utc> =
        first["created_at"].as_str().unwrap().parse().unwrap();
    let expires: chrono::DateTime<chrono::Utc> =
        first["expires_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        expires - created,
        chrono::Duration::hours(1),
        "LINLI_REDEMPTION_TTL_HOURS is honoured"
    );
    app.redeem(&resident, goods, 2).await;
    assert_eq!(
        api::supermarket::sweeper::sweep_once(&app.state)
            .await
            .unwrap(),
        0,
        "not due yet"
    );
    app.advance(Duration::from_secs(3601));
    // Access tokens live 15 minutes: log in again after moving the clock.
    let (resident, _) = relogin(&app, m).await;
    let (_, late) = app.redeem(&resident, goods, 3).await;

    assert_eq!(
        api::supermarket::sweeper::sweep_once(&app.state)
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        api::supermarket::sweeper::sweep_once(&app.state)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        (app.balance(resident.id).await, app.stock(goods).await),
        (70, 7)
    );
    let (_, mine) = app
        .get(
            "/api/v1/me/redemptions?status=expired",
            Some(&resident.token),
        )
        .await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 2);
    let (_, pending) = app
        .get(
            "/api/v1/me/redemptions?status=pending",
            Some(&resident.token),
        )
        .await;
    assert_eq!(pending["items"][0]["id"], late["id"]);
    assert_ledger_invariants(&app).await;
}

#[tokio::test]
async fn staff_list_their_communitys_redemptions_by_state_and_time_without_codes() {
    let app = spawn().await;
    let m = app.market().await;
    let resident = app.login("resident").await;
    app.give_points(&m.staff, m.community, &resident, 100).await;
    let goods = app.put_goods(&m.staff, m.community, 5, 10, None).await;
    let mut ids = vec![];
    for _ in 0..3 {
        ids.push(
            app.redeem(&resident, goods, 1).await.1["id"]
                .as_i64()
                .unwrap(),
        );
    }
    app.post(
        &format!("/api/v1/redemptions/{}/cancel", ids[0]),
        Some(&resident.token),
        json!({}),
    )
    .await;
    let list = format!("/api/v1/communities/{}/redemptions", m.community);

    let (status, all) = app
        .get(&format!("{list}?limit=2"), Some(&m.staff.token))
        .await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(
        (
            all["items"][0]["id"].as_i64(),
            all["items"][1]["id"].as_i64()
        ),
        (Some(ids[2]), Some(ids[1]))
    );
    assert!(
        all["items"][0].get("code").is_none(),
        "codes stay with their owners"
    );
    let cursor = all["next_cursor"].as_str().unwrap();
    let (_, rest) = app
        .get(
            &format!("{list}?limit=2&cursor={cursor}"),
            Some(&m.staff.token),
        )
        .await;
    assert_eq!(
        (rest["items"][0]["id"].as_i64(), rest["next_cursor"].clone()),
        (Some(ids[0]), Value::Null)
    );
    let (_, cancelled) = app
        .get(&format!("{list}?status=cancelled"), Some(&m.staff.token))
        .await;
    assert_eq!(cancelled["items"].as_array().unwrap().len(), 1);
    let past = (chrono::Utc::now() - chrono::Duration::hours(1)).format("%Y-%m-%dT%H:%M:%SZ");
    let later = (chrono::Utc::now() + chrono::Duration::hours(1)).format("%Y-%m-%dT%H:%M:%SZ");
    let (_, window) = app
        .get(
            &format!("{list}?from={past}&to={later}"),
            Some(&m.staff.token),
        )
        .await;
    assert_eq!(window["items"].as_array().unwrap().len(), 3);
    let (_, before) = app
        .get(&format!("{list}?to={past}"), Some(&m.staff.token))
        .await;
    assert_eq!(before["items"].as_array().unwrap().len(), 0);
    let (status, _) = app
        .get(
            &format!("{list}?from={later}&to={past}"),
            Some(&m.staff.token),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = app
        .get(&format!("{list}?from=yesterday"), Some(&m.staff.token))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, other) = app
        .get(
            &format!("/api/v1/communities/{}/redemptions", m.other_community),
            Some(&m.other_staff.token),
        )
        .await;
    assert_eq!(other["items"].as_array().unwrap().len(), 0);
    assert_ledger_invariants(&app).await;
}

#[tokio::test]
async fn the_background_sweeper_expires_overdue_redemptions_by_itself() {
    let app = TestApp::spawn_with(|s| s.sweep_interval = Duration::from_millis(100)).await;
    let m = app.market().await;
    let resident = app.login("resident").await;
    app.give_points(&m.staff, m.community, &resident, 100).await;
    let goods = app.put_goods(&m.staff, m.community, 10, 10, None).await;
    let (_, r) = app.redeem(&resident, goods, 1).await;
    app.advance(WEEK + Duration::from_secs(1));
    // Access tokens live 15 minutes: log in again after moving the clock.
    let (resident, _) = relogin(&app, m).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let expired = format!(
        "SELECT COUNT(*) AS n FROM redemptions WHERE id = {} AND status = 'expired'",
        r["id"]
    );
    while app.scalar(&expired).await == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "redemption {} never expired",
            r["id"]
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (_, mine) = app
        .get("/api/v1/me/redemptions", Some(&resident.token))
        .await;
    assert_eq!(mine["items"][0]["status"], "expired");
    assert_eq!(app.balance(resident.id).await, 100);
    assert_ledger_invariants(&app).await;
}

#[tokio::test]
async fn when_every_pickup_code_is_taken_a_redemption_answers_503_and_writes_nothing() {
    let app = spawn().await;
    let m = app.market().await;
    let resident = app.login("unlucky").await;
    app.give_points(&m.staff, m.community, &resident, 100).await;
    let goods = app.put_goods(&m.staff, m.community, 10, 5, None).await;
    let (u, c) = (resident.id, m.community);
    // Every six-digit code is held by a pending redemption of this community, so each
    // attempt at a code meets the partial unique index.
    let fill = if crate::helpers::on_postgres() {
        format!(
            "INSERT INTO redemptions (user_id, community_id, goods_id, quantity, points, code, status, expires_at, created_at) \
             SELECT {u}, {c}, {goods}, 1, 10, lpad(n::text, 6, '0'), 'pending', now() + interval '7 days', now() \
             FROM generate_series(0, 999999) AS n"
        )
    } else {
        format!(
            "WITH RECURSIVE s(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s WHERE n < 999999) \
             INSERT INTO redemptions (user_id, community_id, goods_id, quantity, points, code, status, expires_at, created_at) \
             SELECT {u}, {c}, {goods}, 1, 10, printf('%06d', n), 'pending', '2099-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00' FROM s"
        )
    };
    app.db()
        .execute_unprepared(&fill)
        .await
        .expect("codes filled");

    let (status, body) = app.redeem(&resident, goods, 1).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["code"], "pickup_codes_exhausted");
    assert_eq!(app.balance(resident.id).await, 100, "no points taken");
    assert_eq!(app.stock(goods).await, 5, "no stock taken");
    assert_eq!(app.count("redemptions").await, 1_000_000);
    assert_eq!(app.count("points_entries").await, 1, "only the adjustment");
}
