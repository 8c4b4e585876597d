//! What each goods item means for the caller: `remaining_for_me` this Asia/Shanghai month,
//! and `can_redeem` with the `reason` when not.

use std::time::Duration;

use api::clock::month_start;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::supermarket::{relogin, spawn};

/// The shelf item of `goods` as `token` sees it.
async fn on_shelf(app: &TestApp, community: i64, goods: i64, token: Option<&str>) -> Value {
    let (status, shelf) = app
        .get(&format!("/api/v1/communities/{community}/goods"), token)
        .await;
    assert_eq!(status, StatusCode::OK, "{shelf}");
    shelf["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == goods)
        .cloned()
        .unwrap_or(Value::Null)
}

/// `(remaining_for_me, can_redeem, reason)` of an item.
fn for_me(item: &Value) -> (Value, Value, Value) {
    (
        item["remaining_for_me"].clone(),
        item["can_redeem"].clone(),
        item["reason"].clone(),
    )
}

#[tokio::test]
async fn anonymous_callers_see_every_item_as_needing_a_login() {
    let app = spawn().await;
    let m = app.market().await;
    let goods = app.put_goods(&m.staff, m.community, 10, 5, Some(2)).await;

    let item = on_shelf(&app, m.community, goods, None).await;
    let (status, detail) = app.get(&format!("/api/v1/goods/{goods}"), None).await;

    let expected = (Value::Null, json!(false), json!("login_required"));
    assert_eq!(for_me(&item), expected);
    assert_eq!((status, for_me(&detail)), (StatusCode::OK, expected));
    assert_eq!(item["name"], detail["name"]);
    let (status, body) = app
        .get(&format!("/api/v1/goods/{goods}"), Some("not-a-token"))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthorized")),
        "a token that is sent must be good"
    );
}

#[tokio::test]
async fn the_shelf_counts_down_what_a_resident_may_still_take_this_month() {
    let app = spawn().await;
    let m = app.market().await;
    let resident = app.login("resident").await;
    app.give_points(&m.staff, m.community, &resident, 1000)
        .await;
    let limited = app.put_goods(&m.staff, m.community, 10, 50, Some(3)).await;
    let free = app.put_goods(&m.staff, m.community, 10, 50, None).await;
    let token = Some(resident.token.as_str());

    let item = on_shelf(&app, m.community, limited, token).await;
    assert_eq!(for_me(&item), (json!(3), json!(true), Value::Null));
    let item = on_shelf(&app, m.community, free, token).await;
    assert_eq!(
        for_me(&item),
        (Value::Null, json!(true), Value::Null),
        "no limit"
    );

    let (_, two) = app.redeem(&resident, limited, 2).await;
    let item = on_shelf(&app, m.community, limited, token).await;
    assert_eq!(item["remaining_for_me"], 1);
    app.post(
        &format!("/api/v1/redemptions/{}/cancel", two["id"]),
        Some(&resident.token),
        json!({}),
    )
    .await;
    let item = on_shelf(&app, m.community, limited, token).await;
    assert_eq!(
        item["remaining_for_me"], 3,
        "a cancelled redemption gives its units back"
    );
    let (_, one) = app.redeem(&resident, limited, 1).await;
    let verify = format!("/api/v1/communities/{}/redemptions/verify", m.community);
    let (status, _) = app
        .post(
            &verify,
            Some(&m.staff.token),
            json!({ "code": one["code"] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    app.redeem(&resident, limited, 2).await;

    let (_, detail) = app.get(&format!("/api/v1/goods/{limited}"), token).await;
    assert_eq!(
        for_me(&detail),
        (json!(0), json!(false), json!("limit_reached")),
        "fulfilled and pending units both count"
    );
    let (status, refused) = app.redeem(&resident, limited, 1).await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (StatusCode::CONFLICT, Some("limit_reached"))
    );

    // Into the next month (Asia/Shanghai): the count starts again.
    let now = app.state.clock.now();
    let next = month_start(month_start(now) + chrono::Duration::days(32));
    app.advance((next - now).to_std().unwrap() + Duration::from_secs(1));
    let (resident, m) = relogin(&app, m).await;
    let (_, detail) = app
        .get(&format!("/api/v1/goods/{limited}"), Some(&resident.token))
        .await;
    assert_eq!(for_me(&detail), (json!(3), json!(true), Value::Null));
    let (status, _) = app.redeem(&resident, limited, 3).await;
    assert_eq!(status, StatusCode::CREATED);
    let item = on_shelf(&app, m.community, limited, Some(&resident.token)).await;
    assert_eq!(
        for_me(&item),
        (json!(0), json!(false), json!("limit_reached"))
    );
}

#[tokio::test]
async fn each_item_says_why_the_caller_cannot_redeem_it() {
    let app = spawn().await;
    let m = app.market().await;
    let resident = app.login("resident").await;
    app.give_points(&m.staff, m.community, &resident, 15).await;
    let stranger = app.login("stranger").await;
    let cheap = app.put_goods(&m.staff, m.community, 10, 5, None).await;
    let dear = app.put_goods(&m.staff, m.community, 20, 5, None).await;
    let gone = app.put_goods(&m.staff, m.community, 1, 0, None).await;
    let off = app.put_goods(&m.staff, m.community, 1, 5, None).await;
    let (status, _) = app
        .patch(
            &format!("/api/v1/goods/{off}"),
            Some(&m.staff.token),
            json!({ "on_shelf": false }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let reason = |body: &Value| body["reason"].clone();
    let get = |goods: i64, token: String| {
        let app = &app;
        async move {
            app.get(&format!("/api/v1/goods/{goods}"), Some(&token))
                .await
                .1
        }
    };

    assert_eq!(
        reason(&get(cheap, stranger.token.clone()).await),
        json!("not_a_member")
    );
    assert_eq!(
        reason(&get(cheap, resident.token.clone()).await),
        Value::Null
    );
    assert_eq!(
        reason(&get(dear, resident.token.clone()).await),
        json!("insufficient_points")
    );
    assert_eq!(
        reason(&get(gone, resident.token.clone()).await),
        json!("out_of_stock")
    );
    assert_eq!(
        reason(&get(off, resident.token.clone()).await),
        json!("goods_unavailable")
    );
    let (status, refused) = app.redeem(&resident, dear, 1).await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (StatusCode::CONFLICT, Some("insufficient_points"))
    );

    // Opening the supermarket to anyone lets the stranger's item through to their balance.
    let (status, _) = app
        .patch(
            &format!("/api/v1/communities/{}", m.community),
            Some(&m.staff.token),
            json!({ "supermarket_policy": "anyone" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let item = on_shelf(&app, m.community, cheap, Some(&stranger.token)).await;
    assert_eq!(
        for_me(&item),
        (Value::Null, json!(false), json!("insufficient_points"))
    );
}
