//! The community map read by anyone: building it, nearest communities, pages, and the
//! audit of its changes.

use entity::audit_logs;
use reqwest::StatusCode;
use sea_orm::EntityTrait;
use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::regions::{audit_actions, city, ids, polygon, LAT, LNG};

#[tokio::test]
async fn an_admin_builds_a_district_street_and_community_that_anyone_can_read() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.admin().await;

    // Act
    let (status, district) = app
        .post(
            "/api/v1/districts",
            Some(&admin.token),
            json!({ "name": "  赛罕区 " }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{district}");
    let (status, street) = app
        .post(
            "/api/v1/streets",
            Some(&admin.token),
            json!({ "district_id": district["id"], "name": "昭乌达路街道" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{street}");
    let boundary = polygon(LNG - 0.01, LAT - 0.01, 0.02);
    let (status, created) = app
        .post(
            "/api/v1/communities",
            Some(&admin.token),
            json!({ "street_id": street["id"], "name": "仕奇社区", "lat": LAT, "lng": LNG,
                    "checkin_radius_m": 300, "boundary": boundary }),
        )
        .await;

    // Assert
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(district["name"], "赛罕区");
    let (status, tree) = app.get("/api/v1/districts", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        tree,
        json!({ "items": [{ "id": district["id"], "name": "赛罕区",
                 "streets": [{ "id": street["id"], "district_id": district["id"], "name": "昭乌达路街道" }] }],
                "next_cursor": null })
    );
    let (status, community) = app
        .get(&format!("/api/v1/communities/{}", created["id"]), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(community, created);
    assert_eq!(
        community,
        json!({ "id": created["id"], "street_id": street["id"], "street_name": "昭乌达路街道",
                "district_id": district["id"], "district_name": "赛罕区", "name": "仕奇社区",
                "lat": LAT, "lng": LNG, "checkin_radius_m": 300, "boundary": boundary,
                "pickup_address": null, "pickup_hours": null, "supermarket_policy": "members",
                "checkin_requires_code": false })
    );
    let (status, missing) = app.get("/api/v1/communities/999999", None).await;
    assert_eq!(
        (status, missing["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
}

#[tokio::test]
async fn communities_near_a_point_come_nearest_first_with_distances() {
    // Arrange: inserted far to near, so id order is not distance order.
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let street = app.street(&admin, "回民").await;
    let other = app.street(&admin, "赛罕").await;
    let far = app
        .community(&admin, street.id, "远处社区", LAT + 1.0, LNG)
        .await;
    let east = app
        .community(&admin, other.id, "东边社区", LAT, LNG + 0.04)
        .await;
    let here = app.community(&admin, street.id, "此处社区", LAT, LNG).await;
    let north = app
        .community(&admin, street.id, "北边社区", LAT + 0.01, LNG)
        .await;

    // Act
    let (status, page) = app
        .get(&format!("/api/v1/communities?lat={LAT}&lng={LNG}"), None)
        .await;
    let (_, within_2km) = app
        .get(
            &format!("/api/v1/communities?lat={LAT}&lng={LNG}&radius_m=2000"),
            None,
        )
        .await;
    let (_, first) = app
        .get(
            &format!("/api/v1/communities?lat={LAT}&lng={LNG}&limit=1"),
            None,
        )
        .await;
    let (_, wide) = app
        .get(
            &format!("/api/v1/communities?lat={LAT}&lng={LNG}&radius_m=200000"),
            None,
        )
        .await;
    let (_, in_street) = app
        .get(
            &format!(
                "/api/v1/communities?lat={LAT}&lng={LNG}&street_id={}",
                other.id
            ),
            None,
        )
        .await;

    // Assert
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(ids(&page["items"]), vec![here, north, east]);
    assert_eq!(page["next_cursor"], Value::Null);
    let distances: Vec<i64> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["distance_m"].as_i64().unwrap())
        .collect();
    assert_eq!(distances[0], 0);
    assert!((1100..=1125).contains(&distances[1]), "{distances:?}");
    assert!((3340..=3390).contains(&distances[2]), "{distances:?}");
    assert_eq!(page["items"][2]["street_name"], "赛罕街道");
    assert_eq!(ids(&within_2km["items"]), vec![here, north]);
    assert_eq!(ids(&first["items"]), vec![here]);
    assert_eq!(ids(&wide["items"]), vec![here, north, east, far]);
    assert_eq!(ids(&in_street["items"]), vec![east]);
}

#[tokio::test]
async fn communities_without_a_point_come_page_by_page_newest_first() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let street = app.street(&admin, "回民").await;
    let a = app.community(&admin, street.id, "甲社区", LAT, LNG).await;
    let b = app.community(&admin, street.id, "乙社区", LAT, LNG).await;
    let c = app.community(&admin, street.id, "丙社区", LAT, LNG).await;

    // Act
    let (status, first) = app.get("/api/v1/communities?limit=2", None).await;
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let (_, second) = app
        .get(
            &format!("/api/v1/communities?limit=2&cursor={cursor}"),
            None,
        )
        .await;
    let (_, all) = app.get("/api/v1/communities", None).await;

    // Assert
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids(&first["items"]), vec![c, b]);
    assert_eq!(ids(&second["items"]), vec![a]);
    assert_eq!(second["next_cursor"], Value::Null);
    assert_eq!(ids(&all["items"]), vec![c, b, a]);
    assert!(all["items"][0].get("distance_m").is_none());
}

#[tokio::test]
async fn changes_to_communities_and_grids_are_audited_without_coordinates() {
    // Arrange
    let app = TestApp::spawn().await;
    let city = city(&app).await;
    let grid = app
        .grid(&city.staff, city.community, "第一网格", LAT, LNG, 0.01)
        .await;

    // Act
    app.patch(
        &format!("/api/v1/grids/{grid}"),
        Some(&city.staff.token),
        json!({ "name": "一号网格" }),
    )
    .await;
    app.delete(&format!("/api/v1/grids/{grid}"), Some(&city.staff.token))
        .await;
    app.patch(
        &format!("/api/v1/communities/{}", city.community),
        Some(&city.admin.token),
        json!({ "lat": LAT + 0.001 }),
    )
    .await;

    // Assert
    let actions = audit_actions(&app).await;
    for action in [
        "district.create",
        "street.create",
        "community.create",
        "grid.create",
        "grid.update",
        "grid.delete",
        "community.update",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} missing from {actions:?}"
        );
    }
    let details: Vec<String> = audit_logs::Entity::find()
        .all(app.db())
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.detail)
        .collect();
    for detail in details {
        assert!(
            !detail.contains("40.8") && !detail.contains("111.6"),
            "coordinates in audit detail: {detail}"
        );
    }
}
