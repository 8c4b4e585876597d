//! Redemptions one at a time: paying with points for a pickup code, the refusals, the
//! idempotency key, bad input, the owner's cancel, running out of pickup codes, and a
//! corrupt stored status.

use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::{json, Value};

use crate::helpers::assert_ledger_invariants;
use crate::supermarket::{code, spawn};

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
        json!({ "type": "redemption", "id": r["id"],
                "path": format!("/api/v1/redemptions/{}", r["id"]) })
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

#[tokio::test]
async fn a_redemption_whose_stored_status_is_unknown_fails_to_load_rather_than_pass_as_pending() {
    let app = spawn().await;
    let m = app.market().await;
    let resident = app.login("resident").await;
    app.give_points(&m.staff, m.community, &resident, 100).await;
    let goods = app.put_goods(&m.staff, m.community, 10, 5, None).await;
    let (_, r) = app.redeem(&resident, goods, 1).await;
    let corrupt = format!(
        "UPDATE redemptions SET status = 'bogus' WHERE id = {}",
        r["id"]
    );
    app.db().execute_unprepared(&corrupt).await.unwrap();

    let (status, body) = app
        .get("/api/v1/me/redemptions", Some(&resident.token))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::INTERNAL_SERVER_ERROR, Some("internal_error")),
        "{body}"
    );
}
