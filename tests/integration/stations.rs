//! Courier stations (红蜂驿站): a community's managers open, edit and close them; anyone finds
//! them nearest first, across community borders, from a cache that every write refreshes.

use api::regions::service::near_index::RECENT;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::{
    helpers::{redis_url, Market, TestApp, User},
    lists_paging::walk,
    regions::{field_names, ids},
};

/// Opens a station as `by` in `community`; answers its id.
async fn open(
    app: &TestApp,
    by: &User,
    community: i64,
    name: &str,
    lat: f64,
    lng: f64,
    services: Value,
) -> i64 {
    let (status, body) = app
        .post(
            &format!("/api/v1/communities/{community}/stations"),
            Some(&by.token),
            station(name, lat, lng, services),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_i64().unwrap()
}

fn station(name: &str, lat: f64, lng: f64, services: Value) -> Value {
    json!({
        "name": name,
        "address": "光明路 8 号",
        "lat": lat,
        "lng": lng,
        "services": services,
        "opening_hours": "每天 8:00-22:00",
    })
}

/// The nearby list around a point (anonymous), one page of up to 50.
async fn nearby(app: &TestApp, query: &str) -> Value {
    let (status, body) = app
        .get(&format!("/api/v1/stations?{query}&limit=50"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{query}: {body}");
    body
}

#[tokio::test]
async fn staff_open_edit_and_close_a_station_of_their_community() {
    let app = TestApp::spawn().await;
    let m: Market = app.market().await;
    let path = format!("/api/v1/communities/{}/stations", m.community);

    // Open: services come back once each, in the enum's order.
    let (status, created) = app
        .post(
            &path,
            Some(&m.staff.token),
            station(
                "红蜂驿站（仕奇店）",
                40.821,
                111.661,
                json!(["water", "charging", "water", "first_aid"]),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(
        created["services"],
        json!(["charging", "water", "first_aid"])
    );
    assert_eq!(created["community_id"], json!(m.community));
    assert_eq!(created["community_name"], json!("仕奇社区"));
    assert_eq!(created["opening_hours"], json!("每天 8:00-22:00"));
    assert!(created.get("distance_m").is_none(), "{created}");
    let id = created["id"].as_i64().unwrap();

    // Edit: only the given fields change; PATCH through the override works the same.
    let (status, edited) = app
        .patch(
            &format!("/api/v1/stations/{id}"),
            Some(&m.staff.token),
            json!({ "name": "红蜂驿站", "services": ["rest", "toilet"] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(edited["name"], json!("红蜂驿站"));
    assert_eq!(edited["services"], json!(["rest", "toilet"]));
    assert_eq!(edited["lat"], json!(40.821));
    let response = app
        .client
        .post(format!("/api/v1/stations/{id}"))
        .bearer_auth(&m.staff.token)
        .header("X-HTTP-Method-Override", "PATCH")
        .json(&json!({ "opening_hours": "周一至周五 9:00-18:00" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let edited: Value = response.json().await.unwrap();
    assert_eq!(edited["opening_hours"], json!("周一至周五 9:00-18:00"));
    assert_eq!(edited["name"], json!("红蜂驿站"));

    // Close, then it is gone.
    let (status, body) = app
        .delete(&format!("/api/v1/stations/{id}"), Some(&m.staff.token))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = app
        .patch(
            &format!("/api/v1/stations/{id}"),
            Some(&m.staff.token),
            json!({ "name": "x" }),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(app.count("stations").await, 0);
    let audited = app
        .scalar("SELECT COUNT(*) AS n FROM audit_logs WHERE object_type = 'station'")
        .await;
    assert_eq!(audited, 4, "create, two edits, delete");
}

#[tokio::test]
async fn only_the_managers_of_a_stations_community_may_write_it() {
    let app = TestApp::spawn().await;
    let m = app.market().await;
    let id = open(
        &app,
        &m.staff,
        m.community,
        "驿站",
        40.82,
        111.66,
        json!(["water"]),
    )
    .await;
    let resident = app.login("resident").await;
    let body = station("别人的驿站", 40.82, 111.66, json!(["water"]));
    let create = format!("/api/v1/communities/{}/stations", m.community);
    let one = format!("/api/v1/stations/{id}");

    // Another community's staff and a resident: the community and the station are not found.
    for user in [&m.other_staff, &resident] {
        let (status, answer) = app.post(&create, Some(&user.token), body.clone()).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
        let (status, answer) = app
            .patch(&one, Some(&user.token), json!({ "name": "改" }))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
        assert_eq!(answer["code"], json!("not_found"));
        let (status, answer) = app.delete(&one, Some(&user.token)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
    }
    // Anonymous writes: 401.
    assert_eq!(
        app.post(&create, None, body.clone()).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.patch(&one, None, json!({ "name": "改" })).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.delete(&one, None).await.0, StatusCode::UNAUTHORIZED);
    // A community that does not exist: 404.
    let (status, _) = app
        .post(
            "/api/v1/communities/999999/stations",
            Some(&m.admin.token),
            body.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Nothing changed; the platform admin may write any community's stations.
    let (_, list) = app.get("/api/v1/stations?lat=40.82&lng=111.66", None).await;
    assert_eq!(ids(&list["items"]), vec![id]);
    assert_eq!(list["items"][0]["name"], json!("驿站"));
    let (status, answer) = app
        .patch(&one, Some(&m.admin.token), json!({ "name": "改名" }))
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let (status, _) = app.delete(&one, Some(&m.admin.token)).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn invalid_stations_answer_422_naming_every_field() {
    let app = TestApp::spawn().await;
    let m = app.market().await;
    let path = format!("/api/v1/communities/{}/stations", m.community);
    let token = Some(m.staff.token.as_str());

    let too_long = "时".repeat(65);
    let (status, body) = app
        .post(
            &path,
            token,
            json!({ "name": " ", "address": "", "lat": 91.0, "lng": -181.0, "services": [], "opening_hours": too_long }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], json!("validation_failed"));
    assert_eq!(
        field_names(&body),
        ["address", "lat", "lng", "name", "opening_hours", "services"]
    );

    // An unknown service, a missing field.
    let (status, body) = app
        .post(
            &path,
            token,
            station("驿站", 40.82, 111.66, json!(["charging", "teleport"])),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(field_names(&body), ["services[1]"], "the unknown one named");
    let mut missing = station("驿站", 40.82, 111.66, json!(["water"]));
    missing.as_object_mut().unwrap().remove("opening_hours");
    let (status, body) = app.post(&path, token, missing).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(field_names(&body), ["opening_hours"]);

    // An edit is checked the same way, and nothing was written.
    let id = open(
        &app,
        &m.staff,
        m.community,
        "驿站",
        40.82,
        111.66,
        json!(["water"]),
    )
    .await;
    let (status, body) = app
        .patch(
            &format!("/api/v1/stations/{id}"),
            token,
            json!({ "lat": -90.5, "services": [] }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(field_names(&body), ["lat", "services"]);
    assert_eq!(app.count("stations").await, 1);
}

#[tokio::test]
async fn nearby_stations_come_nearest_first_across_community_borders() {
    // Arrange: the point lies in the other community's corner; one of the community's own
    // stations is nearer still, the other is far.
    let app = TestApp::spawn().await;
    let m = app.market().await;
    let far_own = open(
        &app,
        &m.staff,
        m.community,
        "仕奇站",
        40.82,
        111.66,
        json!(["water"]),
    )
    .await;
    let neighbour = open(
        &app,
        &m.other_staff,
        m.other_community,
        "光明站",
        40.8295,
        111.6695,
        json!(["rest"]),
    )
    .await;
    let near_own = open(
        &app,
        &m.staff,
        m.community,
        "边界站",
        40.8288,
        111.669,
        json!(["toilet"]),
    )
    .await;

    // Act: anonymous, no login.
    let list = nearby(&app, "lat=40.829&lng=111.669").await;

    // Assert
    let items = list["items"].as_array().unwrap();
    assert_eq!(ids(&list["items"]), vec![near_own, neighbour, far_own]);
    assert_eq!(items[1]["community_id"], json!(m.other_community));
    assert_eq!(items[1]["community_name"], json!("光明路社区"));
    let distances: Vec<i64> = items
        .iter()
        .map(|s| s["distance_m"].as_i64().unwrap())
        .collect();
    assert!((20..=25).contains(&distances[0]), "{distances:?}");
    assert!((60..=80).contains(&distances[1]), "{distances:?}");
    assert!((1150..=1350).contains(&distances[2]), "{distances:?}");
    assert_eq!(list["next_cursor"], Value::Null);
    for key in [
        "id",
        "community_id",
        "community_name",
        "name",
        "address",
        "lat",
        "lng",
        "services",
        "opening_hours",
        "distance_m",
    ] {
        assert!(items[0].get(key).is_some(), "{key} in {}", items[0]);
    }
}

#[tokio::test]
async fn the_radius_defaults_to_3000_metres_and_stops_at_50000() {
    let app = TestApp::spawn().await;
    let m = app.market().await;
    let here = open(
        &app,
        &m.staff,
        m.community,
        "近站",
        40.82,
        111.66,
        json!(["water"]),
    )
    .await;
    // About 4.4 km north, then about 44 km north.
    let town = open(
        &app,
        &m.staff,
        m.community,
        "镇站",
        40.86,
        111.66,
        json!(["water"]),
    )
    .await;
    let county = open(
        &app,
        &m.staff,
        m.community,
        "县站",
        41.22,
        111.66,
        json!(["water"]),
    )
    .await;

    assert_eq!(
        ids(&nearby(&app, "lat=40.82&lng=111.66").await["items"]),
        vec![here]
    );
    assert_eq!(
        ids(&nearby(&app, "lat=40.82&lng=111.66&radius_m=5000").await["items"]),
        vec![here, town]
    );
    assert_eq!(
        ids(&nearby(&app, "lat=40.82&lng=111.66&radius_m=50000").await["items"]),
        vec![here, town, county]
    );
    assert_eq!(
        ids(&nearby(&app, "lat=40.8201&lng=111.66&radius_m=5").await["items"]),
        Vec::<i64>::new()
    );

    for query in [
        "lat=40.82&lng=111.66&radius_m=50001",
        "lat=40.82&lng=111.66&radius_m=0",
    ] {
        let (status, body) = app.get(&format!("/api/v1/stations?{query}"), None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(field_names(&body), ["radius_m"]);
    }
    let (status, body) = app.get("/api/v1/stations?lat=40.82", None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(field_names(&body), ["lng"]);
    let (status, body) = app.get("/api/v1/stations?lat=95&lng=111.66", None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(field_names(&body), ["lat"]);
}

#[tokio::test]
async fn the_service_filter_keeps_only_stations_offering_it() {
    let app = TestApp::spawn().await;
    let m = app.market().await;
    let both = open(
        &app,
        &m.staff,
        m.community,
        "甲",
        40.8201,
        111.66,
        json!(["charging", "microwave"]),
    )
    .await;
    let water = open(
        &app,
        &m.staff,
        m.community,
        "乙",
        40.8202,
        111.66,
        json!(["water"]),
    )
    .await;
    let charging = open(
        &app,
        &m.other_staff,
        m.other_community,
        "丙",
        40.8203,
        111.66,
        json!(["charging"]),
    )
    .await;

    let around = "lat=40.82&lng=111.66";
    assert_eq!(
        ids(&nearby(&app, around).await["items"]),
        vec![both, water, charging]
    );
    assert_eq!(
        ids(&nearby(&app, &format!("{around}&service=charging")).await["items"]),
        vec![both, charging]
    );
    assert_eq!(
        ids(&nearby(&app, &format!("{around}&service=microwave")).await["items"]),
        vec![both]
    );
    assert_eq!(
        ids(&nearby(&app, &format!("{around}&service=wifi")).await["items"]),
        Vec::<i64>::new()
    );

    let (status, body) = app
        .get(&format!("/api/v1/stations?{around}&service=teleport"), None)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(field_names(&body), ["service"]);
}

#[tokio::test]
async fn a_station_write_is_seen_by_the_next_read_at_once() {
    let app = TestApp::spawn().await;
    let m = app.market().await;
    let around = "lat=40.82&lng=111.66";
    let first = open(
        &app,
        &m.staff,
        m.community,
        "一站",
        40.821,
        111.66,
        json!(["water"]),
    )
    .await;
    // The read that fills the cache.
    assert_eq!(ids(&nearby(&app, around).await["items"]), vec![first]);

    // Opened: seen at once.
    let second = open(
        &app,
        &m.other_staff,
        m.other_community,
        "二站",
        40.8205,
        111.66,
        json!(["water"]),
    )
    .await;
    assert_eq!(
        ids(&nearby(&app, around).await["items"]),
        vec![second, first]
    );

    // Moved away, and its services changed: seen at once.
    let (status, body) = app
        .patch(
            &format!("/api/v1/stations/{second}"),
            Some(&m.other_staff.token),
            json!({ "lat": 40.83, "services": ["wifi"] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let list = nearby(&app, around).await;
    assert_eq!(ids(&list["items"]), vec![first, second]);
    assert_eq!(list["items"][1]["services"], json!(["wifi"]));
    assert_eq!(
        ids(&nearby(&app, &format!("{around}&service=water")).await["items"]),
        vec![first]
    );

    // The community renamed: the station's view names it anew.
    let (status, body) = app
        .patch(
            &format!("/api/v1/communities/{}", m.community),
            Some(&m.admin.token),
            json!({ "name": "新仕奇社区" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        nearby(&app, around).await["items"][0]["community_name"],
        json!("新仕奇社区")
    );

    // Closed: gone at once.
    let (status, _) = app
        .delete(&format!("/api/v1/stations/{first}"), Some(&m.staff.token))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(ids(&nearby(&app, around).await["items"]), vec![second]);
}

#[tokio::test]
async fn nearby_stations_page_without_repeats_or_gaps() {
    let app = TestApp::spawn().await;
    let m = app.market().await;
    let mut made = vec![];
    for (i, step) in [0.0, 0.001, 0.001, 0.002, 0.003, 0.004, 0.005]
        .into_iter()
        .enumerate()
    {
        let (by, community) = match i % 2 {
            0 => (&m.staff, m.community),
            _ => (&m.other_staff, m.other_community),
        };
        made.push(
            open(
                &app,
                by,
                community,
                &format!("{i}号站"),
                40.82 + step,
                111.66,
                json!(["water"]),
            )
            .await,
        );
    }

    let path = "/api/v1/stations?lat=40.82&lng=111.66";
    let all = walk(&app, path, None, 2).await;
    assert_eq!(ids(&Value::Array(all)), made);

    // A cursor only continues its own query.
    let (_, first) = app.get(&format!("{path}&limit=2"), None).await;
    let cursor = first["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    for other in [
        format!("{path}&service=water&limit=2&cursor={cursor}"),
        format!("{path}&radius_m=2000&limit=2&cursor={cursor}"),
        format!("{path}&limit=2&cursor=abc"),
    ] {
        let (status, body) = app.call(Method::GET, &other, None, None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{other}: {body}");
        assert_eq!(field_names(&body), ["cursor"]);
    }
}

#[tokio::test]
async fn another_instance_sees_a_station_write_within_a_quarter_second() {
    if redis_url().is_none() {
        // Instances share generations through Redis; without it there is one instance.
        return;
    }
    let app = TestApp::spawn().await;
    let twin = app.spawn_twin().await;
    let m = app.market().await;
    let around = "lat=40.82&lng=111.66";
    let first = open(
        &app,
        &m.staff,
        m.community,
        "一站",
        40.821,
        111.66,
        json!(["water"]),
    )
    .await;
    assert_eq!(ids(&nearby(&twin, around).await["items"]), vec![first]);

    let second = open(
        &app,
        &m.staff,
        m.community,
        "二站",
        40.8205,
        111.66,
        json!(["water"]),
    )
    .await;
    // The other instance may show it up to `near_index::RECENT` late, never later.
    tokio::time::sleep(RECENT).await;
    assert_eq!(
        ids(&nearby(&twin, around).await["items"]),
        vec![second, first]
    );
    let (status, _) = app
        .delete(&format!("/api/v1/stations/{second}"), Some(&m.staff.token))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    tokio::time::sleep(RECENT).await;
    assert_eq!(ids(&nearby(&twin, around).await["items"]), vec![first]);
}
