//! Bad input to the community map: refused with the field, nothing written.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::TestApp;
use crate::regions::{city, field_names, polygon, square, LAT, LNG};

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
