//! Grid workers: naming, replacing and clearing them, and the `grid_worker` role that
//! follows the job.

use entity::role_assignments;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::regions::{city, polygon, LAT, LNG};

#[tokio::test]
async fn community_staff_create_grids_whose_worker_gets_the_grid_worker_role() {
    // Arrange
    let app = TestApp::spawn().await;
    let city = city(&app).await;
    let worker = app.login("wang_wu").await;

    // Act
    let (status, grid) = app
        .post(
            &format!("/api/v1/communities/{}/grids", city.community),
            Some(&city.staff.token),
            json!({ "name": "第一网格", "boundary": polygon(LNG, LAT, 0.01), "worker_user_id": worker.id }),
        )
        .await;

    // Assert
    assert_eq!(status, StatusCode::CREATED, "{grid}");
    assert_eq!(grid["community_id"], city.community);
    assert_eq!(grid["boundary"], polygon(LNG, LAT, 0.01));
    assert_eq!(grid["worker"]["id"], worker.id);
    assert!(grid["worker"]["nickname"].is_string());
    assert!(grid["worker"].get("phone").is_none());
    let roles = role_assignments::Entity::find()
        .filter(role_assignments::Column::UserId.eq(worker.id))
        .all(app.db())
        .await
        .unwrap();
    assert_eq!(roles.len(), 1);
    assert_eq!(
        (roles[0].role, roles[0].scope_id),
        (
            role_assignments::Role::GridWorker,
            grid["id"].as_i64().unwrap()
        )
    );
    assert_eq!(roles[0].created_by, Some(city.staff.id));
    let (status, list) = app
        .get(
            &format!("/api/v1/communities/{}/grids", city.community),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list, json!({ "items": [grid], "next_cursor": null }));
}

#[tokio::test]
async fn naming_the_same_worker_again_keeps_one_role_and_null_clears_the_worker() {
    // Arrange
    let app = TestApp::spawn().await;
    let city = city(&app).await;
    let worker = app.login("wang_wu").await;
    let grid = app
        .grid(&city.staff, city.community, "第一网格", LAT, LNG, 0.01)
        .await;
    let roles_before = app.count("role_assignments").await;

    // Act
    let (first, _) = app
        .patch(
            &format!("/api/v1/grids/{grid}"),
            Some(&city.staff.token),
            json!({ "worker_user_id": worker.id }),
        )
        .await;
    let (again, _) = app
        .patch(
            &format!("/api/v1/grids/{grid}"),
            Some(&city.staff.token),
            json!({ "worker_user_id": worker.id }),
        )
        .await;
    let roles_after = app.count("role_assignments").await;
    let (cleared, body) = app
        .patch(
            &format!("/api/v1/grids/{grid}"),
            Some(&city.staff.token),
            json!({ "worker_user_id": null }),
        )
        .await;

    // Assert
    assert_eq!(
        (first, again, cleared),
        (StatusCode::OK, StatusCode::OK, StatusCode::OK)
    );
    assert_eq!(roles_after, roles_before + 1);
    assert_eq!(body["worker"], Value::Null);
    assert_eq!(body["name"], "第一网格");
}

#[tokio::test]
async fn a_replaced_grid_worker_loses_the_role_over_the_grid_at_once() {
    // Arrange
    let app = TestApp::spawn().await;
    let city = city(&app).await;
    let old = app.login("wang_wu").await;
    let new = app.login("zhao_liu").await;
    let grid = app
        .grid(&city.staff, city.community, "第一网格", LAT, LNG, 0.01)
        .await;
    let path = format!("/api/v1/grids/{grid}");
    let (status, _) = app
        .patch(
            &path,
            Some(&city.staff.token),
            json!({ "worker_user_id": old.id }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let roles_of = |user: i64| {
        let app = &app;
        async move {
            role_assignments::Entity::find()
                .filter(role_assignments::Column::UserId.eq(user))
                .filter(role_assignments::Column::Role.eq(role_assignments::Role::GridWorker))
                .count(app.db())
                .await
                .unwrap()
        }
    };
    assert_eq!(roles_of(old.id).await, 1);

    // Act
    let (replaced, body) = app
        .patch(
            &path,
            Some(&city.staff.token),
            json!({ "worker_user_id": new.id }),
        )
        .await;

    // Assert
    assert_eq!(replaced, StatusCode::OK, "{body}");
    assert_eq!(body["worker"]["id"], new.id);
    assert_eq!((roles_of(old.id).await, roles_of(new.id).await), (0, 1));
    let (status, me) = app.get("/api/v1/me", Some(&old.token)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        me["roles"],
        json!([]),
        "the old token carries no grid role any more"
    );

    let (cleared, _) = app
        .patch(
            &path,
            Some(&city.staff.token),
            json!({ "worker_user_id": null }),
        )
        .await;
    assert_eq!(cleared, StatusCode::OK);
    assert_eq!(
        roles_of(new.id).await,
        0,
        "clearing the worker revokes the role too"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_staff_replacing_the_worker_at_once_leave_the_role_with_the_named_one() {
    let app = TestApp::spawn().await;
    let city = city(&app).await;
    let grid = app
        .grid(&city.staff, city.community, "第一网格", LAT, LNG, 0.01)
        .await;
    let path = format!("/api/v1/grids/{grid}");
    let people = [
        app.login("wang_wu").await,
        app.login("zhao_liu").await,
        app.login("sun_qi").await,
    ];
    for round in 0..6 {
        let old = &people[round % 3];
        let (y, z) = (&people[(round + 1) % 3], &people[(round + 2) % 3]);
        let (status, _) = app
            .patch(
                &path,
                Some(&city.staff.token),
                json!({ "worker_user_id": old.id }),
            )
            .await;
        assert_eq!(status, StatusCode::OK);

        let (a, b) = tokio::join!(
            app.patch(
                &path,
                Some(&city.staff.token),
                json!({ "worker_user_id": y.id })
            ),
            app.patch(
                &path,
                Some(&city.staff.token),
                json!({ "worker_user_id": z.id })
            ),
        );

        assert_eq!((a.0, b.0), (StatusCode::OK, StatusCode::OK));
        let (_, grids) = app
            .get(
                &format!("/api/v1/communities/{}/grids", city.community),
                None,
            )
            .await;
        let named = grids["items"][0]["worker"]["id"].as_i64().unwrap();
        let holders: Vec<i64> = role_assignments::Entity::find()
            .filter(role_assignments::Column::Role.eq(role_assignments::Role::GridWorker))
            .filter(role_assignments::Column::ScopeId.eq(grid))
            .all(app.db())
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.user_id)
            .collect();
        assert_eq!(holders, vec![named], "round {round}: only the named worker");
    }
}

#[tokio::test]
async fn a_worker_who_does_not_exist_answers_404_and_nothing_is_written() {
    // Arrange
    let app = TestApp::spawn().await;
    let city = city(&app).await;
    let grid = app
        .grid(&city.staff, city.community, "第一网格", LAT, LNG, 0.01)
        .await;
    let (grids, roles) = (
        app.count("grids").await,
        app.count("role_assignments").await,
    );

    // Act
    let (created, created_body) = app
        .post(
            &format!("/api/v1/communities/{}/grids", city.community),
            Some(&city.staff.token),
            json!({ "name": "第二网格", "boundary": polygon(LNG, LAT, 0.01), "worker_user_id": 999_999 }),
        )
        .await;
    let (patched, patched_body) = app
        .patch(
            &format!("/api/v1/grids/{grid}"),
            Some(&city.staff.token),
            json!({ "worker_user_id": 999_999 }),
        )
        .await;

    // Assert
    assert_eq!(
        (created, created_body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    assert_eq!(
        (patched, patched_body["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    assert_eq!(
        (
            app.count("grids").await,
            app.count("role_assignments").await
        ),
        (grids, roles)
    );
}
