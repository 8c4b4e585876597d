//! Badges: staff queues answer `total` (the count of the filtered list, not of the page)
//! when asked with `with_total=true`, and `GET /communities/{id}/counts` answers them all.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{Market, TestApp, User};

/// Files a pending residence application of `user` in the market's community.
async fn apply(app: &TestApp, m: &Market, user: &User) {
    let (status, body) = app
        .post(
            "/api/v1/me/residences",
            Some(&user.token),
            json!({ "community_id": m.community, "building": "2栋", "unit": "1单元",
                    "room": format!("{}", user.id), "relation": "tenant" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn the_residence_queue_counts_its_filtered_list_only_when_asked() {
    // Arrange: three pending applications and one approved residence.
    let app = TestApp::spawn().await;
    let m = app.market().await;
    for name in ["jia", "yi", "bing"] {
        apply(&app, &m, &app.login(name).await).await;
    }
    app.make_resident(&m.staff, m.community, &app.login("ding").await)
        .await;
    let path = format!("/api/v1/communities/{}/residences", m.community);
    let token = Some(m.staff.token.as_str());

    // Act
    let (status, first) = app
        .get(
            &format!("{path}?status=pending&with_total=true&limit=2"),
            token,
        )
        .await;
    let cursor = first["next_cursor"]
        .as_str()
        .expect("a second page")
        .to_owned();
    let next = format!("{path}?status=pending&with_total=true&limit=2&cursor={cursor}");
    let (_, second) = app.get(&next, token).await;
    let (_, all) = app.get(&format!("{path}?with_total=true"), token).await;
    let (_, plain) = app.get(&format!("{path}?status=pending"), token).await;
    let (_, declined) = app.get(&format!("{path}?with_total=false"), token).await;

    // Assert
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(
        (first["items"].as_array().unwrap().len(), &first["total"]),
        (2, &json!(3))
    );
    assert_eq!(
        (second["items"].as_array().unwrap().len(), &second["total"]),
        (1, &json!(3))
    );
    assert_eq!(all["total"], 4, "{all}");
    assert!(plain.get("total").is_none(), "{plain}");
    assert!(declined.get("total").is_none(), "{declined}");
    let (status, body) = app.get(&format!("{path}?with_total=yes"), token).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let other = app
        .get(
            &format!("{path}?with_total=true"),
            Some(&m.other_staff.token),
        )
        .await;
    assert_eq!(
        other.0,
        StatusCode::NOT_FOUND,
        "another community's queue stays hidden"
    );
}

#[tokio::test]
async fn the_pickup_queue_counts_pending_redemptions_with_and_without_filters() {
    // Arrange: three redemptions, one of them cancelled.
    let app = TestApp::spawn().await;
    let m = app.market().await;
    let resident = app.login("resident").await;
    app.give_points(&m.staff, m.community, &resident, 100).await;
    let goods = app.put_goods(&m.staff, m.community, 10, 10, None).await;
    let mut made = vec![];
    for _ in 0..3 {
        let (status, r) = app.redeem(&resident, goods, 1).await;
        assert_eq!(status, StatusCode::CREATED, "{r}");
        made.push(r["id"].as_i64().unwrap());
    }
    let cancel = format!("/api/v1/redemptions/{}/cancel", made[0]);
    assert_eq!(
        app.post(&cancel, Some(&resident.token), json!({})).await.0,
        StatusCode::OK
    );
    let path = format!("/api/v1/communities/{}/redemptions", m.community);
    let token = Some(m.staff.token.as_str());

    // Act
    let (status, pending) = app
        .get(
            &format!("{path}?status=pending&with_total=true&limit=1"),
            token,
        )
        .await;
    let (_, all) = app
        .get(&format!("{path}?with_total=true&limit=1"), token)
        .await;
    let (_, plain) = app.get(&format!("{path}?status=pending"), token).await;

    // Assert
    assert_eq!(status, StatusCode::OK, "{pending}");
    assert_eq!(pending["total"], 2, "{pending}");
    assert_eq!(pending["items"].as_array().unwrap().len(), 1);
    assert!(pending["next_cursor"].is_string());
    assert_eq!(all["total"], 3, "{all}");
    assert!(plain.get("total").is_none(), "{plain}");
    assert_eq!(plain["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn the_counts_of_a_community_answer_its_badges_to_those_who_manage_it() {
    // Arrange: two applications waiting, one pickup waiting, two goods running low.
    let app = TestApp::spawn().await;
    let m = app.market().await;
    for name in ["jia", "yi"] {
        apply(&app, &m, &app.login(name).await).await;
    }
    let resident = app.login("resident").await;
    app.give_points(&m.staff, m.community, &resident, 100).await;
    let plenty = app.put_goods(&m.staff, m.community, 10, 50, None).await;
    let low = app.put_goods(&m.staff, m.community, 10, 6, None).await;
    app.put_goods(&m.staff, m.community, 10, 0, None).await;
    let off_shelf = app.put_goods(&m.staff, m.community, 10, 1, None).await;
    let patch = format!("/api/v1/goods/{off_shelf}");
    app.patch(&patch, Some(&m.staff.token), json!({ "on_shelf": false }))
        .await;
    app.put_goods(&m.other_staff, m.other_community, 10, 1, None)
        .await;
    assert_eq!(app.redeem(&resident, low, 1).await.0, StatusCode::CREATED);
    assert_eq!(
        app.redeem(&resident, plenty, 1).await.0,
        StatusCode::CREATED
    );
    let cancel_all = app.redeem(&resident, plenty, 1).await.1;
    let cancel = format!("/api/v1/redemptions/{}/cancel", cancel_all["id"]);
    app.post(&cancel, Some(&resident.token), json!({})).await;
    let courier = app.login("courier").await;
    crate::volunteers::register(&app, &courier, m.community, "courier").await;
    let path = format!("/api/v1/communities/{}/counts", m.community);

    // Act
    let (status, counts) = app.get(&path, Some(&m.staff.token)).await;

    // Assert
    assert_eq!(status, StatusCode::OK, "{counts}");
    assert_eq!(
        counts,
        json!({ "community_id": m.community, "pending_residences": 2,
                "pending_redemptions": 2, "low_stock_goods": 2,
                "pending_volunteer_registrations": 1, "flagged_checkins": 0 })
    );
    let queue = format!(
        "/api/v1/communities/{}/residences?status=pending&with_total=true",
        m.community
    );
    assert_eq!(
        app.get(&queue, Some(&m.staff.token)).await.1["total"],
        counts["pending_residences"]
    );
    for (token, expected) in [
        (Some(m.other_staff.token.as_str()), StatusCode::NOT_FOUND),
        (Some(resident.token.as_str()), StatusCode::NOT_FOUND),
        (None, StatusCode::UNAUTHORIZED),
    ] {
        let (status, body): (StatusCode, Value) = app.get(&path, token).await;
        assert_eq!(status, expected, "{body}");
    }
    let (status, admin_view) = app.get(&path, Some(&m.admin.token)).await;
    assert_eq!(
        (status, &admin_view["pending_residences"]),
        (StatusCode::OK, &json!(2))
    );
}
