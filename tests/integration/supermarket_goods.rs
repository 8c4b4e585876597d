//! The supermarket's shelf: staff put goods on it, edit and restock them; anyone browses it,
//! and it shows the stock after every change.

use std::time::Duration;

use entity::{audit_logs, goods_restocks};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

use crate::helpers::assert_ledger_invariants;
use crate::supermarket::{relogin, spawn, WEEK};

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
