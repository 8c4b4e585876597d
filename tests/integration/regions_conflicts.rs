//! Conflicts on the community map: taken names, unknown parents, deleting what is in use.

use entity::role_assignments;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use crate::helpers::TestApp;
use crate::regions::{city, polygon, LAT, LNG};

#[tokio::test]
async fn duplicate_names_answer_409_name_taken() {
    // Arrange
    let app = TestApp::spawn().await;
    let city = city(&app).await;
    let admin = &city.admin;
    let other = app.street(admin, "赛罕").await;
    let second = app
        .community(admin, city.street, "光明路社区", LAT, LNG)
        .await;
    let (_, sibling) = app
        .post(
            "/api/v1/streets",
            Some(&admin.token),
            json!({ "district_id": city.district, "name": "新华街道" }),
        )
        .await;
    app.grid(&city.staff, city.community, "第一网格", LAT, LNG, 0.01)
        .await;
    let grid = app
        .grid(&city.staff, city.community, "第二网格", LAT, LNG, 0.01)
        .await;
    let community = json!({ "street_id": city.street, "name": "仕奇社区", "lat": LAT, "lng": LNG, "checkin_radius_m": 300 });
    let counts = (
        app.count("districts").await,
        app.count("streets").await,
        app.count("communities").await,
        app.count("grids").await,
    );

    // Act
    let answers = [
        app.post(
            "/api/v1/districts",
            Some(&admin.token),
            json!({ "name": " 回民区" }),
        )
        .await,
        app.patch(
            &format!("/api/v1/districts/{}", other.district_id),
            Some(&admin.token),
            json!({ "name": "回民区" }),
        )
        .await,
        app.post(
            "/api/v1/streets",
            Some(&admin.token),
            json!({ "district_id": city.district, "name": "回民街道" }),
        )
        .await,
        app.patch(
            &format!("/api/v1/streets/{}", sibling["id"]),
            Some(&admin.token),
            json!({ "name": "回民街道" }),
        )
        .await,
        app.post("/api/v1/communities", Some(&admin.token), community)
            .await,
        app.patch(
            &format!("/api/v1/communities/{second}"),
            Some(&admin.token),
            json!({ "name": "仕奇社区" }),
        )
        .await,
        app.post(
            &format!("/api/v1/communities/{}/grids", city.community),
            Some(&city.staff.token),
            json!({ "name": "第一网格", "boundary": polygon(LNG, LAT, 0.01) }),
        )
        .await,
        app.patch(
            &format!("/api/v1/grids/{grid}"),
            Some(&city.staff.token),
            json!({ "name": "第一网格" }),
        )
        .await,
    ];
    let (same_name_elsewhere, _) = app
        .post(
            "/api/v1/streets",
            Some(&admin.token),
            json!({ "district_id": other.district_id, "name": "回民街道" }),
        )
        .await;

    // Assert
    for (status, answer) in answers {
        assert_eq!(
            (status, answer["code"].as_str()),
            (StatusCode::CONFLICT, Some("name_taken")),
            "{answer}"
        );
    }
    assert_eq!(same_name_elsewhere, StatusCode::CREATED);
    assert_eq!(
        (
            app.count("districts").await,
            app.count("streets").await,
            app.count("communities").await,
            app.count("grids").await
        ),
        (counts.0, counts.1 + 1, counts.2, counts.3)
    );
}

#[tokio::test]
async fn unknown_parents_answer_404_and_nothing_is_written() {
    // Arrange
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let staff = app.login("staff").await;

    // Act
    let (street, street_body) = app
        .post(
            "/api/v1/streets",
            Some(&admin.token),
            json!({ "district_id": 999_999, "name": "新街道" }),
        )
        .await;
    let (community, community_body) = app
        .post(
            "/api/v1/communities",
            Some(&admin.token),
            json!({ "street_id": 999_999, "name": "新社区", "lat": LAT, "lng": LNG, "checkin_radius_m": 300 }),
        )
        .await;
    let (grid, _) = app
        .post(
            "/api/v1/communities/999999/grids",
            Some(&admin.token),
            json!({ "name": "一网格", "boundary": polygon(LNG, LAT, 0.01) }),
        )
        .await;
    let (grids, _) = app.get("/api/v1/communities/999999/grids", None).await;
    let (patch, _) = app
        .patch(
            "/api/v1/grids/999999",
            Some(&staff.token),
            json!({ "name": "一网格" }),
        )
        .await;
    let (district, _) = app
        .patch(
            "/api/v1/districts/999999",
            Some(&admin.token),
            json!({ "name": "新区" }),
        )
        .await;

    // Assert
    assert_eq!(
        (street, street_body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    assert_eq!(
        (community, community_body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    assert_eq!(
        (grid, grids, patch, district),
        (
            StatusCode::NOT_FOUND,
            StatusCode::NOT_FOUND,
            StatusCode::NOT_FOUND,
            StatusCode::NOT_FOUND
        )
    );
    assert_eq!(
        (
            app.count("streets").await,
            app.count("communities").await,
            app.count("grids").await
        ),
        (0, 0, 0)
    );
}

#[tokio::test]
async fn deleting_what_is_in_use_answers_409_until_it_is_free() {
    // Arrange: a grid with a worker, a pending residence suggesting it, staff of the community.
    let app = TestApp::spawn().await;
    let city = city(&app).await;
    let admin = &city.admin;
    let worker = app.login("wang_wu").await;
    let (_, grid) = app
        .post(
            &format!("/api/v1/communities/{}/grids", city.community),
            Some(&city.staff.token),
            json!({ "name": "第一网格", "boundary": polygon(LNG - 0.01, LAT - 0.01, 0.02), "worker_user_id": worker.id }),
        )
        .await;
    let grid = grid["id"].as_i64().unwrap();
    let resident = app.login("zhang_san").await;
    let (status, residence) = app
        .post(
            "/api/v1/me/residences",
            Some(&resident.token),
            json!({ "community_id": city.community, "building": "3栋", "unit": "2单元", "room": "1201",
                    "relation": "tenant", "lat": LAT, "lng": LNG }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{residence}");
    let district = format!("/api/v1/districts/{}", city.district);
    let street = format!("/api/v1/streets/{}", city.street);
    let community = format!("/api/v1/communities/{}", city.community);
    let grid_path = format!("/api/v1/grids/{grid}");

    // Act
    let busy = [
        app.delete(&district, Some(&admin.token)).await,
        app.delete(&street, Some(&admin.token)).await,
        app.delete(&community, Some(&admin.token)).await,
        app.delete(&grid_path, Some(&city.staff.token)).await,
    ];
    let (withdrawn, _) = app
        .delete(
            &format!("/api/v1/me/residences/{}", residence["id"]),
            Some(&resident.token),
        )
        .await;
    let (grid_deleted, _) = app.delete(&grid_path, Some(&city.staff.token)).await;
    let worker_roles = role_assignments::Entity::find()
        .filter(role_assignments::Column::UserId.eq(worker.id))
        .all(app.db())
        .await
        .unwrap();
    let (community_still_used, _) = app.delete(&community, Some(&admin.token)).await;
    let (revoked, _) = app
        .delete(
            &format!("/api/v1/role-assignments/{}", city.staff_grant),
            Some(&admin.token),
        )
        .await;
    let freed = [
        app.delete(&community, Some(&admin.token)).await.0,
        app.delete(&street, Some(&admin.token)).await.0,
        app.delete(&district, Some(&admin.token)).await.0,
    ];

    // Assert
    for (status, answer) in busy {
        assert_eq!(
            (status, answer["code"].as_str()),
            (StatusCode::CONFLICT, Some("in_use")),
            "{answer}"
        );
    }
    assert_eq!(withdrawn, StatusCode::NO_CONTENT);
    assert_eq!(grid_deleted, StatusCode::NO_CONTENT);
    assert!(worker_roles.is_empty(), "{worker_roles:?}");
    assert_eq!(community_still_used, StatusCode::CONFLICT);
    assert_eq!(revoked, StatusCode::NO_CONTENT);
    assert_eq!(freed, [StatusCode::NO_CONTENT; 3]);
    assert_eq!(
        (
            app.count("districts").await,
            app.count("streets").await,
            app.count("communities").await,
            app.count("grids").await
        ),
        (0, 0, 0, 0)
    );
}
