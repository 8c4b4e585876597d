//! Who may shape the community map: platform admins, street admins, community staff.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::regions::{city, polygon, LAT, LNG};

#[tokio::test]
async fn only_platform_admins_shape_districts_streets_and_communities() {
    // Arrange
    let app = TestApp::spawn().await;
    let city = city(&app).await;
    let resident = app.login("zhang_san").await;
    let district = format!("/api/v1/districts/{}", city.district);
    let street = format!("/api/v1/streets/{}", city.street);
    let community = format!("/api/v1/communities/{}", city.community);
    let body = json!({ "street_id": city.street, "name": "新社区", "lat": LAT, "lng": LNG, "checkin_radius_m": 300 });
    let counts = (
        app.count("districts").await,
        app.count("streets").await,
        app.count("communities").await,
    );

    for token in [&resident.token, &city.staff.token] {
        // Act
        let answers = [
            app.post(
                "/api/v1/districts",
                Some(token),
                json!({ "name": "新城区" }),
            )
            .await,
            app.patch(&district, Some(token), json!({ "name": "新城区" }))
                .await,
            app.delete(&district, Some(token)).await,
            app.post(
                "/api/v1/streets",
                Some(token),
                json!({ "district_id": city.district, "name": "新街道" }),
            )
            .await,
            app.patch(&street, Some(token), json!({ "name": "新街道" }))
                .await,
            app.delete(&street, Some(token)).await,
            app.post("/api/v1/communities", Some(token), body.clone())
                .await,
            app.delete(&community, Some(token)).await,
        ];

        // Assert
        for (status, answer) in answers {
            assert_eq!(
                (status, answer["code"].as_str()),
                (StatusCode::FORBIDDEN, Some("forbidden")),
                "{answer}"
            );
        }
    }
    let (status, _) = app
        .post("/api/v1/districts", None, json!({ "name": "新城区" }))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        (
            app.count("districts").await,
            app.count("streets").await,
            app.count("communities").await
        ),
        counts
    );
}

#[tokio::test]
async fn a_street_admin_edits_the_communities_of_their_street_and_no_others() {
    // Arrange
    let app = TestApp::spawn().await;
    let city = city(&app).await;
    let other_street = app.street(&city.admin, "赛罕").await;
    let elsewhere = app
        .community(&city.admin, other_street.id, "别处社区", LAT, LNG)
        .await;
    let street_admin = app.login("street_admin").await;
    app.grant(&city.admin, street_admin.id, "street_admin", city.street)
        .await;
    let resident = app.login("zhang_san").await;
    let own = format!("/api/v1/communities/{}", city.community);

    // Act
    let (edited, body) = app
        .patch(&own, Some(&street_admin.token), json!({ "name": " 仕奇新社区 ", "checkin_radius_m": 500, "boundary": polygon(LNG, LAT, 0.01) }))
        .await;
    let (cleared, cleared_body) = app
        .patch(&own, Some(&street_admin.token), json!({ "boundary": null }))
        .await;
    let (other, other_body) = app
        .patch(
            &format!("/api/v1/communities/{elsewhere}"),
            Some(&street_admin.token),
            json!({ "name": "改名" }),
        )
        .await;
    let (by_staff, staff_body) = app
        .patch(&own, Some(&city.staff.token), json!({ "name": "改名" }))
        .await;
    let (by_resident, resident_body) = app
        .patch(&own, Some(&resident.token), json!({ "name": "改名" }))
        .await;
    let (deleted, _) = app.delete(&own, Some(&street_admin.token)).await;
    let (grid, _) = app
        .post(
            &format!("{own}/grids"),
            Some(&street_admin.token),
            json!({ "name": "一网格", "boundary": polygon(LNG, LAT, 0.01) }),
        )
        .await;

    // Assert
    assert_eq!(edited, StatusCode::OK, "{body}");
    assert_eq!(
        (body["name"].as_str(), body["checkin_radius_m"].as_i64()),
        (Some("仕奇新社区"), Some(500))
    );
    assert_eq!(body["boundary"], polygon(LNG, LAT, 0.01));
    assert_eq!(
        (cleared, &cleared_body["boundary"]),
        (StatusCode::OK, &Value::Null)
    );
    assert_eq!(cleared_body["name"], "仕奇新社区");
    assert_eq!(
        (other, other_body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    assert_eq!(
        (by_staff, staff_body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    assert_eq!(
        (by_resident, resident_body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    assert_eq!(deleted, StatusCode::FORBIDDEN);
    assert_eq!(grid, StatusCode::CREATED);
}

#[tokio::test]
async fn a_resident_or_another_communitys_staff_cannot_see_grids_to_change() {
    // Arrange
    let app = TestApp::spawn().await;
    let city = city(&app).await;
    let other = app
        .community(&city.admin, city.street, "光明路社区", LAT, LNG)
        .await;
    let other_staff = app.login("staff_guangming").await;
    app.grant(&city.admin, other_staff.id, "community_staff", other)
        .await;
    let resident = app.login("zhang_san").await;
    let grid = app
        .grid(&city.staff, city.community, "第一网格", LAT, LNG, 0.01)
        .await;
    let grids = app.count("grids").await;

    for token in [&other_staff.token, &resident.token] {
        // Act
        let answers = [
            app.post(
                &format!("/api/v1/communities/{}/grids", city.community),
                Some(token),
                json!({ "name": "第二网格", "boundary": polygon(LNG, LAT, 0.01) }),
            )
            .await,
            app.patch(
                &format!("/api/v1/grids/{grid}"),
                Some(token),
                json!({ "name": "改名" }),
            )
            .await,
            app.delete(&format!("/api/v1/grids/{grid}"), Some(token))
                .await,
        ];

        // Assert
        for (status, answer) in answers {
            assert_eq!(
                (status, answer["code"].as_str()),
                (StatusCode::NOT_FOUND, Some("not_found")),
                "{answer}"
            );
        }
    }
    let (_, list) = app
        .get(
            &format!("/api/v1/communities/{}/grids", city.community),
            None,
        )
        .await;
    assert_eq!(list["items"][0]["name"], "第一网格");
    assert_eq!(app.count("grids").await, grids);
}
