//! The community map: districts, streets, communities and grids over real HTTP.

use entity::{audit_logs, role_assignments};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::{json, Value};

use crate::helpers::{TestApp, User};

/// Centre of the test community, in Hohhot.
const LAT: f64 = 40.82;
const LNG: f64 = 111.66;

/// A closed square ring, `[lng, lat]`, from its south-west corner; corners rounded to 1e-6
/// degrees so that values compare equal after a JSON round trip.
fn square(lng: f64, lat: f64, size: f64) -> Value {
    let round = |x: f64| (x * 1e6).round() / 1e6;
    let (w, s, e, n) = (round(lng), round(lat), round(lng + size), round(lat + size));
    json!([[w, s], [e, s], [e, n], [w, n], [w, s]])
}

/// A GeoJSON Polygon of one square.
fn polygon(lng: f64, lat: f64, size: f64) -> Value {
    json!({ "type": "Polygon", "coordinates": [square(lng, lat, size)] })
}

/// A city with one street, one community at (LAT, LNG) and its staff member.
struct City {
    admin: User,
    district: i64,
    street: i64,
    community: i64,
    staff: User,
    staff_grant: i64,
}

async fn city(app: &TestApp) -> City {
    let admin = app.admin().await;
    let street = app.street(&admin, "回民").await;
    let community = app.community(&admin, street.id, "仕奇社区", LAT, LNG).await;
    let staff = app.login("staff_shiqi").await;
    let staff_grant = app
        .grant(&admin, staff.id, "community_staff", community)
        .await;
    City {
        admin,
        district: street.district_id,
        street: street.id,
        community,
        staff,
        staff_grant,
    }
}

fn ids(list: &Value) -> Vec<i64> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect()
}

fn field_names(body: &Value) -> Vec<String> {
    body["fields"]
        .as_object()
        .map(|f| f.keys().cloned().collect())
        .unwrap_or_default()
}

async fn audit_actions(app: &TestApp) -> Vec<String> {
    audit_logs::Entity::find()
        .order_by_asc(audit_logs::Column::Id)
        .all(app.db())
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.action)
        .collect()
}

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
        json!([{ "id": district["id"], "name": "赛罕区",
                 "streets": [{ "id": street["id"], "district_id": district["id"], "name": "昭乌达路街道" }] }])
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
                "lat": LAT, "lng": LNG, "checkin_radius_m": 300, "boundary": boundary })
    );
    let (status, missing) = app.get("/api/v1/communities/999999", None).await;
    assert_eq!(
        (status, missing["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
}

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
        (roles[0].role.as_str(), roles[0].scope_id),
        ("grid_worker", grid["id"].as_i64().unwrap())
    );
    assert_eq!(roles[0].created_by, Some(city.staff.id));
    let (status, list) = app
        .get(
            &format!("/api/v1/communities/{}/grids", city.community),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list, json!([grid]));
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
                .filter(role_assignments::Column::Role.eq("grid_worker"))
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
        let named = grids[0]["worker"]["id"].as_i64().unwrap();
        let holders: Vec<i64> = role_assignments::Entity::find()
            .filter(role_assignments::Column::Role.eq("grid_worker"))
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
async fn a_point_is_located_in_the_grid_holding_it_but_not_in_a_hole_or_outside() {
    // Arrange: a square with a hole, and a MultiPolygon of two squares further east.
    let app = TestApp::spawn().await;
    let city = city(&app).await;
    let with_hole = json!({ "type": "Polygon",
        "coordinates": [square(111.60, 40.80, 0.10), square(111.64, 40.84, 0.02)] });
    let two_parts = json!({ "type": "MultiPolygon",
        "coordinates": [[square(111.70, 40.80, 0.02)], [square(111.80, 40.80, 0.02)]] });
    let path = format!("/api/v1/communities/{}/grids", city.community);
    let (s1, ring) = app
        .post(
            &path,
            Some(&city.staff.token),
            json!({ "name": "一网格", "boundary": with_hole }),
        )
        .await;
    let (s2, multi) = app
        .post(
            &path,
            Some(&city.staff.token),
            json!({ "name": "二网格", "boundary": two_parts }),
        )
        .await;
    assert_eq!(
        (s1, s2),
        (StatusCode::CREATED, StatusCode::CREATED),
        "{ring} {multi}"
    );
    let locate = |lat: f64, lng: f64| {
        format!(
            "/api/v1/communities/{}/grids/locate?lat={lat}&lng={lng}",
            city.community
        )
    };

    // Act
    let (in_ring, found_ring) = app.get(&locate(40.81, 111.61), None).await;
    let (in_hole, hole) = app.get(&locate(40.85, 111.65), None).await;
    let (in_second_part, found_multi) = app.get(&locate(40.81, 111.81), None).await;
    let (between_parts, _) = app.get(&locate(40.81, 111.75), None).await;
    let (outside, _) = app.get(&locate(41.50, 111.50), None).await;
    let (no_community, _) = app
        .get(
            "/api/v1/communities/999999/grids/locate?lat=40.81&lng=111.61",
            None,
        )
        .await;

    // Assert
    assert_eq!(in_ring, StatusCode::OK);
    assert_eq!(found_ring["id"], ring["id"]);
    assert_eq!(
        (in_hole, hole["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    assert_eq!(in_second_part, StatusCode::OK);
    assert_eq!(found_multi["id"], multi["id"]);
    assert_eq!(between_parts, StatusCode::NOT_FOUND);
    assert_eq!(outside, StatusCode::NOT_FOUND);
    assert_eq!(no_community, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn moving_a_grids_boundary_moves_where_points_are_located() {
    // Arrange
    let app = TestApp::spawn().await;
    let city = city(&app).await;
    let grid = app
        .grid(&city.staff, city.community, "第一网格", 40.80, 111.60, 0.01)
        .await;
    let locate = format!(
        "/api/v1/communities/{}/grids/locate?lat=40.905&lng=111.905",
        city.community
    );
    let (before, _) = app.get(&locate, None).await;

    // Act
    let (status, body) = app
        .patch(
            &format!("/api/v1/grids/{grid}"),
            Some(&city.staff.token),
            json!({ "boundary": polygon(111.90, 40.90, 0.01) }),
        )
        .await;

    // Assert
    assert_eq!(before, StatusCode::NOT_FOUND);
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["boundary"], polygon(111.90, 40.90, 0.01));
    let (after, found) = app.get(&locate, None).await;
    assert_eq!((after, found["id"].as_i64()), (StatusCode::OK, Some(grid)));
}

#[tokio::test]
async fn coordinates_out_of_range_or_given_alone_are_refused_with_the_field() {
    // Arrange
    let app = TestApp::spawn().await;
    let city = city(&app).await;
    let locate = format!("/api/v1/communities/{}/grids/locate", city.community);
    let cases = [
        ("/api/v1/communities?lat=91&lng=111".to_owned(), "lat"),
        ("/api/v1/communities?lat=-90.5&lng=111".to_owned(), "lat"),
        ("/api/v1/communities?lat=40&lng=181".to_owned(), "lng"),
        ("/api/v1/communities?lat=NaN&lng=111".to_owned(), "lat"),
        ("/api/v1/communities?lat=40".to_owned(), "lng"),
        ("/api/v1/communities?lng=111".to_owned(), "lat"),
        (
            "/api/v1/communities?lat=40&lng=111&radius_m=200001".to_owned(),
            "radius_m",
        ),
        (
            "/api/v1/communities?lat=40&lng=111&limit=51".to_owned(),
            "limit",
        ),
        (
            "/api/v1/communities?lat=40&lng=111&cursor=5".to_owned(),
            "cursor",
        ),
        ("/api/v1/communities?radius_m=100".to_owned(), "radius_m"),
        ("/api/v1/communities?cursor=abc".to_owned(), "cursor"),
        (format!("{locate}?lat=40"), "lng"),
        (format!("{locate}?lat=95&lng=111"), "lat"),
        (format!("{locate}?lat=40&lng=-181"), "lng"),
    ];

    for (path, field) in cases {
        // Act
        let (status, body) = app.get(&path, None).await;

        // Assert
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {body}");
        assert_eq!(body["code"], "validation_failed", "{path}");
        assert!(body["fields"][field].is_string(), "{path}: {body}");
    }
}

#[tokio::test]
async fn unknown_query_parameters_are_refused_with_the_field() {
    // Arrange
    let app = TestApp::spawn().await;
    let city = city(&app).await;
    let paths = [
        "/api/v1/districts?phone=1".to_owned(),
        "/api/v1/communities?phone=1".to_owned(),
        format!(
            "/api/v1/communities/{}/grids/locate?lat={LAT}&lng={LNG}&phone=1",
            city.community
        ),
    ];

    for path in paths {
        // Act
        let (status, body) = app.get(&path, None).await;

        // Assert
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {body}");
        assert_eq!(field_names(&body), vec!["phone"], "{path}: {body}");
    }
}

#[tokio::test]
async fn bad_community_input_is_refused_with_fields_and_nothing_is_written() {
    // Arrange
    let app = TestApp::spawn().await;
    let city = city(&app).await;
    let valid = json!({ "street_id": city.street, "name": "新社区", "lat": LAT, "lng": LNG, "checkin_radius_m": 300 });
    let with = |key: &str, value: Value| {
        let mut body = valid.clone();
        body[key] = value;
        body
    };
    let without = |key: &str| {
        let mut body = valid.clone();
        body.as_object_mut().unwrap().remove(key);
        body
    };
    let cases = [
        (without("lat"), vec!["lat"]),
        (without("name"), vec!["name"]),
        (with("lat", json!("40.8")), vec!["lat"]),
        (
            with("checkin_radius_m", json!("near")),
            vec!["checkin_radius_m"],
        ),
        (with("lat", json!(90.01)), vec!["lat"]),
        (with("lng", json!(-180.5)), vec!["lng"]),
        (with("checkin_radius_m", json!(9)), vec!["checkin_radius_m"]),
        (
            with("checkin_radius_m", json!(5001)),
            vec!["checkin_radius_m"],
        ),
        (with("name", json!("   ")), vec!["name"]),
        (with("name", json!("社".repeat(65))), vec!["name"]),
        (with("phone", json!("13800000000")), vec!["phone"]),
        (
            with(
                "boundary",
                json!({ "type": "Point", "coordinates": [LNG, LAT] }),
            ),
            vec!["boundary"],
        ),
        (
            with(
                "boundary",
                json!({ "type": "Polygon", "coordinates": [[[LNG, LAT], [LNG + 0.01, LAT], [LNG, LAT + 0.01]]] }),
            ),
            vec!["boundary"],
        ),
        (
            with(
                "boundary",
                json!({ "type": "Polygon", "coordinates": [[[LNG, LAT], [LNG + 0.01, LAT], [LNG + 0.01, LAT + 0.01], [LNG, LAT + 0.01]]] }),
            ),
            vec!["boundary"],
        ),
        (
            with(
                "boundary",
                json!({ "type": "Polygon", "coordinates": [[[LAT, 200.0], [LNG, LAT], [LNG, LAT + 0.01], [LAT, 200.0]]] }),
            ),
            vec!["boundary"],
        ),
        (
            with("boundary", json!("POLYGON((0 0, 1 0, 1 1, 0 0))")),
            vec!["boundary"],
        ),
        (
            json!({ "street_id": city.street, "name": "新社区", "lat": 95, "lng": LNG, "checkin_radius_m": 1 }),
            vec!["checkin_radius_m", "lat"],
        ),
    ];
    let communities = app.count("communities").await;
    let audits = app.count("audit_logs").await;

    for (body, fields) in cases {
        // Act
        let (status, answer) = app
            .post("/api/v1/communities", Some(&city.admin.token), body.clone())
            .await;

        // Assert
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
        assert_eq!(field_names(&answer), fields, "{body}: {answer}");
    }
    let (status, answer) = app
        .patch(
            &format!("/api/v1/communities/{}", city.community),
            Some(&city.admin.token),
            json!({ "lat": -91, "street_id": 2 }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(app.count("communities").await, communities);
    assert_eq!(app.count("audit_logs").await, audits);
    let (_, unchanged) = app
        .get(&format!("/api/v1/communities/{}", city.community), None)
        .await;
    assert_eq!(unchanged["lat"], LAT);
}

#[tokio::test]
async fn bad_grid_input_is_refused_with_fields_and_nothing_is_written() {
    // Arrange
    let app = TestApp::spawn().await;
    let city = city(&app).await;
    let grid = app
        .grid(&city.staff, city.community, "第一网格", LAT, LNG, 0.01)
        .await;
    let create = format!("/api/v1/communities/{}/grids", city.community);
    let cases = [
        (json!({ "name": "第二网格" }), "boundary"),
        (json!({ "boundary": polygon(LNG, LAT, 0.01) }), "name"),
        (json!({ "name": "第二网格", "boundary": null }), "boundary"),
        (
            json!({ "name": "第二网格", "boundary": polygon(LNG, 91.0, 0.01) }),
            "boundary",
        ),
        (
            json!({ "name": "第二网格", "boundary": { "type": "Polygon", "coordinates": [[[LNG, LAT], [LNG, LAT], [LNG, LAT], [LNG, LAT]]] } }),
            "boundary",
        ),
        (
            json!({ "name": "第二网格", "boundary": { "type": "MultiPolygon", "coordinates": [square(LNG, LAT, 0.01)] } }),
            "boundary",
        ),
        (
            json!({ "name": "第二网格", "boundary": polygon(LNG, LAT, 0.01), "worker_user_id": "wang" }),
            "worker_user_id",
        ),
        (
            json!({ "name": "第二网格", "boundary": polygon(LNG, LAT, 0.01), "color": "red" }),
            "color",
        ),
        (
            json!({ "name": "", "boundary": polygon(LNG, LAT, 0.01) }),
            "name",
        ),
    ];
    let grids = app.count("grids").await;
    let roles = app.count("role_assignments").await;
    let audits = app.count("audit_logs").await;

    for (body, field) in cases {
        // Act
        let (status, answer) = app
            .post(&create, Some(&city.staff.token), body.clone())
            .await;

        // Assert
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
        assert_eq!(field_names(&answer), vec![field], "{body}: {answer}");
    }
    for (body, field) in [
        (json!({ "boundary": null }), "boundary"),
        (
            json!({ "boundary": { "type": "Polygon", "coordinates": [] } }),
            "boundary",
        ),
        (json!({ "name": "   " }), "name"),
        (json!({ "community_id": 2 }), "community_id"),
    ] {
        let (status, answer) = app
            .patch(
                &format!("/api/v1/grids/{grid}"),
                Some(&city.staff.token),
                body.clone(),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
        assert_eq!(field_names(&answer), vec![field], "{body}: {answer}");
    }
    assert_eq!(app.count("grids").await, grids);
    assert_eq!(app.count("role_assignments").await, roles);
    assert_eq!(app.count("audit_logs").await, audits);
}

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
    assert_eq!(list[0]["name"], "第一网格");
    assert_eq!(app.count("grids").await, grids);
}

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
