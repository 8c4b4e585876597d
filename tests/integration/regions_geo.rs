//! Boundaries: locating the grid that holds a point, and the polygons refused as invalid.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::regions::{city, polygon, square, LAT, LNG};

/// A "bow-tie": the ring crosses itself between its second and third corners.
fn bow_tie(lng: f64, lat: f64, size: f64) -> Value {
    let (e, n) = (lng + size, lat + size);
    json!({ "type": "Polygon", "coordinates": [[[lng, lat], [e, n], [e, lat], [lng, n], [lng, lat]]] })
}

/// The `boundary` message of a 422 `validation_failed` answer.
fn boundary_refusal(status: StatusCode, body: &Value) -> (StatusCode, &str, &str) {
    let code = body["code"].as_str().unwrap_or_default();
    (
        status,
        code,
        body["fields"]["boundary"].as_str().unwrap_or_default(),
    )
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
async fn a_self_intersecting_grid_boundary_is_refused_with_the_reason_and_nothing_is_written() {
    // Arrange
    let app = TestApp::spawn().await;
    let city = city(&app).await;
    let grid = app
        .grid(&city.staff, city.community, "第一网格", LAT, LNG, 0.01)
        .await;
    let (grids, audits) = (app.count("grids").await, app.count("audit_logs").await);

    // Act
    let (created, create_answer) = app
        .post(
            &format!("/api/v1/communities/{}/grids", city.community),
            Some(&city.staff.token),
            json!({ "name": "蝴蝶网格", "boundary": bow_tie(LNG, LAT, 0.01) }),
        )
        .await;
    let (moved, move_answer) = app
        .patch(
            &format!("/api/v1/grids/{grid}"),
            Some(&city.staff.token),
            json!({ "boundary": bow_tie(LNG, LAT, 0.01) }),
        )
        .await;

    // Assert
    let refused = (
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        "边界自相交",
    );
    assert_eq!(boundary_refusal(created, &create_answer), refused);
    assert_eq!(boundary_refusal(moved, &move_answer), refused);
    assert_eq!(app.count("grids").await, grids);
    assert_eq!(app.count("audit_logs").await, audits);
    let (_, list) = app
        .get(
            &format!("/api/v1/communities/{}/grids", city.community),
            None,
        )
        .await;
    assert_eq!(list["items"][0]["boundary"], polygon(LNG, LAT, 0.01));
}

#[tokio::test]
async fn a_grid_whose_hole_lies_outside_its_shell_or_whose_parts_overlap_is_refused() {
    // Arrange
    let app = TestApp::spawn().await;
    let city = city(&app).await;
    let hole_outside = json!({ "type": "Polygon",
        "coordinates": [square(LNG, LAT, 0.01), square(LNG + 0.02, LAT, 0.005)] });
    let overlapping = json!({ "type": "MultiPolygon",
        "coordinates": [[square(LNG, LAT, 0.01)], [square(LNG + 0.005, LAT, 0.01)]] });
    let cases = [
        (hole_outside, "多边形的内环（洞）须位于外环之内"),
        (overlapping, "多面边界的各个多边形不能重叠"),
    ];

    for (boundary, reason) in cases {
        // Act
        let (status, answer) = app
            .post(
                &format!("/api/v1/communities/{}/grids", city.community),
                Some(&city.staff.token),
                json!({ "name": "第二网格", "boundary": boundary }),
            )
            .await;

        // Assert
        assert_eq!(
            boundary_refusal(status, &answer),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                reason
            )
        );
    }
    assert_eq!(app.count("grids").await, 0);
}

#[tokio::test]
async fn a_self_intersecting_community_boundary_is_refused_and_nothing_is_written() {
    // Arrange
    let app = TestApp::spawn().await;
    let city = city(&app).await;
    let (communities, audits) = (
        app.count("communities").await,
        app.count("audit_logs").await,
    );

    // Act
    let (created, create_answer) = app
        .post(
            "/api/v1/communities",
            Some(&city.admin.token),
            json!({ "street_id": city.street, "name": "新社区", "lat": LAT, "lng": LNG,
                    "checkin_radius_m": 300, "boundary": bow_tie(LNG, LAT, 0.02) }),
        )
        .await;
    let (edited, edit_answer) = app
        .patch(
            &format!("/api/v1/communities/{}", city.community),
            Some(&city.admin.token),
            json!({ "name": "改名社区", "boundary": bow_tie(LNG, LAT, 0.02) }),
        )
        .await;

    // Assert
    let refused = (
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
        "边界自相交",
    );
    assert_eq!(boundary_refusal(created, &create_answer), refused);
    assert_eq!(boundary_refusal(edited, &edit_answer), refused);
    assert_eq!(app.count("communities").await, communities);
    assert_eq!(app.count("audit_logs").await, audits);
    let (_, unchanged) = app
        .get(&format!("/api/v1/communities/{}", city.community), None)
        .await;
    assert_eq!(unchanged["name"], "仕奇社区");
    assert_eq!(unchanged["boundary"], Value::Null);
}

#[tokio::test]
async fn a_point_in_a_grids_hole_is_located_in_the_grid_that_fills_the_hole() {
    // Arrange: a ring-shaped grid, then a grid exactly filling its hole.
    let app = TestApp::spawn().await;
    let city = city(&app).await;
    let ring = json!({ "type": "Polygon",
        "coordinates": [square(111.60, 40.80, 0.10), square(111.64, 40.84, 0.02)] });
    let path = format!("/api/v1/communities/{}/grids", city.community);
    let (s1, outer) = app
        .post(
            &path,
            Some(&city.staff.token),
            json!({ "name": "外网格", "boundary": ring }),
        )
        .await;
    let (s2, inner) = app
        .post(
            &path,
            Some(&city.staff.token),
            json!({ "name": "内网格", "boundary": polygon(111.64, 40.84, 0.02) }),
        )
        .await;
    assert_eq!(
        (s1, s2),
        (StatusCode::CREATED, StatusCode::CREATED),
        "{outer} {inner}"
    );
    // Rounded as `polygon` rounds its corners, so the points lie exactly on the edges.
    let round = |x: f64| (x * 1e6).round() / 1e6;
    let locate =
        |lat: f64, lng: f64| format!("{path}/locate?lat={}&lng={}", round(lat), round(lng));

    // Act
    let (_, in_hole) = app.get(&locate(40.85, 111.65), None).await;
    let (_, in_ring) = app.get(&locate(40.89, 111.69), None).await;

    // Assert
    assert_eq!(in_hole["id"], inner["id"]);
    assert_eq!(in_ring["id"], outer["id"]);
}

#[tokio::test]
async fn a_point_on_a_border_is_located_in_the_first_grid_it_touches() {
    // Arrange: two grids side by side, sharing the edge at LNG + 0.01.
    let app = TestApp::spawn().await;
    let city = city(&app).await;
    let path = format!("/api/v1/communities/{}/grids", city.community);
    let mut ids = Vec::new();
    for (name, west) in [("西网格", LNG), ("东网格", LNG + 0.01)] {
        let body = json!({ "name": name, "boundary": polygon(west, LAT, 0.01) });
        let (status, grid) = app.post(&path, Some(&city.staff.token), body).await;
        assert_eq!(status, StatusCode::CREATED, "{grid}");
        ids.push(grid["id"].as_i64());
    }
    // Rounded as `polygon` rounds its corners, so the points lie exactly on the edges.
    let round = |x: f64| (x * 1e6).round() / 1e6;
    let locate =
        |lat: f64, lng: f64| format!("{path}/locate?lat={}&lng={}", round(lat), round(lng));

    // Act
    let (_, north_edge) = app.get(&locate(LAT + 0.01, LNG + 0.005), None).await;
    let (_, shared_edge) = app.get(&locate(LAT + 0.005, LNG + 0.01), None).await;
    let (_, east_corner) = app.get(&locate(LAT + 0.01, LNG + 0.02), None).await;

    // Assert
    assert_eq!(north_edge["id"].as_i64(), ids[0], "{north_edge}");
    assert_eq!(shared_edge["id"].as_i64(), ids[0], "{shared_edge}");
    assert_eq!(east_corner["id"].as_i64(), ids[1], "{east_corner}");
}
