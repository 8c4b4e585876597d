//! Activity sign-ups: withdrawing, who may sign up and when, cancelled activities, and
//! on-site check-in and check-out at the meeting point.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::activities::{
    activity, pass, publish, sign_up, spawn, volunteer, volunteer_of, LAT, LNG,
};

#[tokio::test]
async fn withdrawing_frees_a_place_for_the_next_volunteer() {
    let app = spawn().await;
    let m = app.market().await;
    let id = publish(
        &app,
        &m.staff,
        m.community,
        activity(&app, json!({ "capacity": 1 })),
    )
    .await;
    let ann = volunteer(&app, &m, "ann").await;
    let bob = volunteer(&app, &m, "bob").await;
    assert_eq!(sign_up(&app, &ann, id).await.0, StatusCode::CREATED);
    let (status, body) = sign_up(&app, &bob, id).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("activity_full"))
    );

    let (status, body) = app
        .delete(
            &format!("/api/v1/activities/{id}/signups/me"),
            Some(&ann.token),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, _) = app
        .delete(
            &format!("/api/v1/activities/{id}/signups/me"),
            Some(&ann.token),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, body) = sign_up(&app, &bob, id).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, one) = app.get(&format!("/api/v1/activities/{id}"), None).await;
    assert_eq!(one["taken"], 1);
    assert_eq!(app.count("activity_signups").await, 1);
}

#[tokio::test]
async fn only_approved_volunteers_of_an_allowed_kind_sign_up_once_before_the_start() {
    let app = spawn().await;
    let mut m = app.market().await;
    let id = publish(&app, &m.staff, m.community, activity(&app, json!({}))).await;
    let couriers_only = publish(
        &app,
        &m.staff,
        m.community,
        activity(&app, json!({ "kinds_allowed": ["courier"] })),
    )
    .await;
    let stranger = app.login("stranger").await;
    let (status, body) = sign_up(&app, &stranger, id).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("not_a_volunteer"))
    );
    let other = volunteer_of(
        &app,
        &m.other_staff,
        m.other_community,
        "other",
        "resident_volunteer",
    )
    .await;
    let (status, _) = sign_up(&app, &other, id).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a volunteer of another community"
    );

    let mut ann = volunteer(&app, &m, "ann").await;
    let (status, body) = sign_up(&app, &ann, couriers_only).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("volunteer_kind_not_allowed"))
    );
    let courier = volunteer_of(&app, &m.staff, m.community, "courier", "courier").await;
    assert_eq!(
        sign_up(&app, &courier, couriers_only).await.0,
        StatusCode::CREATED
    );

    assert_eq!(sign_up(&app, &ann, id).await.0, StatusCode::CREATED);
    let (status, body) = sign_up(&app, &ann, id).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("already_signed_up"))
    );
    let (_, one) = app.get(&format!("/api/v1/activities/{id}"), None).await;
    assert_eq!(one["taken"], 1, "a refused second sign-up takes no place");

    pass(
        &app,
        Duration::from_secs(3601),
        &mut [&mut m.staff, &mut ann],
    )
    .await;
    let bob = volunteer(&app, &m, "bob").await;
    let (status, body) = sign_up(&app, &bob, id).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("activity_started"))
    );
    let (status, body) = app
        .delete(
            &format!("/api/v1/activities/{id}/signups/me"),
            Some(&ann.token),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("activity_started"))
    );
}

#[tokio::test]
async fn a_cancelled_activity_takes_no_sign_ups_and_shows_no_places() {
    let app = spawn().await;
    let m = app.market().await;
    let id = publish(&app, &m.staff, m.community, activity(&app, json!({}))).await;
    let path = format!("/api/v1/activities/{id}/cancel");
    let response = app
        .raw(reqwest::Method::POST, &path, Some(&m.staff.token), None)
        .await;
    assert_eq!(response.status(), StatusCode::OK, "an empty body cancels");
    let (status, body) = app.post(&path, Some(&m.staff.token), json!({})).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("activity_cancelled"))
    );
    let (_, one) = app.get(&format!("/api/v1/activities/{id}"), None).await;
    assert_eq!(one["status"], "cancelled");
    assert_eq!(one["places_left"], 0);
    let ann = volunteer(&app, &m, "ann").await;
    let (status, body) = sign_up(&app, &ann, id).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("activity_cancelled"))
    );
    let (status, _) = app
        .patch(
            &format!("/api/v1/activities/{id}"),
            Some(&m.staff.token),
            json!({ "title": "新" }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(app.count("activity_signups").await, 0);
    let audited = app
        .scalar("SELECT COUNT(*) AS n FROM audit_logs WHERE action LIKE 'activity.%'")
        .await;
    assert_eq!(audited, 2, "create and cancel");
}

#[tokio::test]
async fn checking_in_outside_the_fence_is_refused_and_inside_counts_once() {
    let app = spawn().await;
    let m = app.market().await;
    // The meeting point is 2 km north of the community's centre.
    let id = publish(
        &app,
        &m.staff,
        m.community,
        activity(&app, json!({ "lat": LAT + 0.018 })),
    )
    .await;
    let mut ann = volunteer(&app, &m, "ann").await;
    assert_eq!(sign_up(&app, &ann, id).await.0, StatusCode::CREATED);
    let checkin = format!("/api/v1/activities/{id}/checkin");
    let checkout = format!("/api/v1/activities/{id}/checkout");
    let at_point = json!({ "lat": LAT + 0.018, "lng": LNG, "accuracy_m": 20 });

    let (status, body) = app.post(&checkin, Some(&ann.token), at_point.clone()).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("activity_not_open")),
        "too early"
    );
    pass(&app, Duration::from_secs(3600), &mut [&mut ann]).await;
    let (status, body) = app
        .post(
            &checkin,
            Some(&ann.token),
            json!({ "lat": LAT, "lng": LNG, "accuracy_m": 20 }),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("outside_geofence")),
        "the community's centre is not the meeting point: {body}"
    );
    let (status, body) = app
        .post(&checkout, Some(&ann.token), at_point.clone())
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("not_checked_in"))
    );
    let (status, body) = app.post(&checkin, Some(&ann.token), at_point.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["checkin_evidence"], "location");
    let (status, body) = app.post(&checkin, Some(&ann.token), at_point.clone()).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("already_checked_in"))
    );
    let (status, body) = app
        .post(&checkout, Some(&ann.token), at_point.clone())
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["checked_out_at"].is_string());
    let bob = app.login("bob").await;
    let (status, body) = app.post(&checkin, Some(&bob.token), at_point).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("not_signed_up"))
    );
}
