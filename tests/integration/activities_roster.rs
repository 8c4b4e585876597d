//! The staff list of an activity's sign-ups: who came and when, what was confirmed; and the
//! instants of the activity answers in the one wire format.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::activities::{activity, confirm, pass, publish, sign_up, spawn, volunteer};
use crate::volunteers::{LAT, LNG};

#[tokio::test]
async fn staff_list_the_signups_with_checkins_and_confirmed_hours() {
    let app = spawn().await;
    let mut m = app.market().await;
    let id = publish(&app, &m.staff, m.community, activity(&app, json!({}))).await;
    let mut ann = volunteer(&app, &m, "ann").await;
    let mut bob = volunteer(&app, &m, "bob").await;
    for v in [&ann, &bob] {
        assert_eq!(sign_up(&app, v, id).await.0, StatusCode::CREATED);
    }
    pass(
        &app,
        Duration::from_secs(3600),
        &mut [&mut m.staff, &mut m.other_staff, &mut ann, &mut bob],
    )
    .await;
    let here = json!({ "lat": LAT, "lng": LNG, "accuracy_m": 15 });
    let (status, body) = app
        .post(
            &format!("/api/v1/activities/{id}/checkin"),
            Some(&ann.token),
            here,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let path = format!("/api/v1/activities/{id}/signups?with_total=true");
    let (status, page) = app.get(&path, Some(&m.staff.token)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["total"], 2);
    let items = page["items"].as_array().unwrap();
    assert_eq!(
        items[0]["volunteer"]["id"], ann.id,
        "in the order they came"
    );
    assert_eq!(items[0]["volunteer"]["nickname"], "a**");
    assert!(items[0]["checked_in_at"].is_string(), "{page}");
    assert_eq!(items[0]["checkin_evidence"], "location");
    assert!(items[1]["checked_in_at"].is_null());
    assert!(items[1]["hours"].is_null());

    let (status, body) = confirm(
        &app,
        &m.staff,
        id,
        json!([{ "user_id": ann.id, "hours": 2 }]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, page) = app
        .get(
            &format!("/api/v1/activities/{id}/signups?limit=1"),
            Some(&m.staff.token),
        )
        .await;
    assert_eq!(page["items"][0]["hours"], 2.0);
    assert_eq!(page["items"][0]["points_awarded"], 20);
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let (_, next) = app
        .get(
            &format!("/api/v1/activities/{id}/signups?limit=1&cursor={cursor}"),
            Some(&m.staff.token),
        )
        .await;
    assert_eq!(next["items"][0]["volunteer"]["id"], bob.id);
    assert!(next["next_cursor"].is_null());

    for user in [&m.other_staff, &ann] {
        let (status, _) = app.get(&path, Some(&user.token)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn an_activity_is_published_at_most_a_year_ahead() {
    let app = spawn().await;
    let m = app.market().await;
    let later = app.state.clock.now() + chrono::Duration::days(400);
    let body = activity(
        &app,
        json!({ "starts_at": later.to_rfc3339(), "ends_at": (later + chrono::Duration::hours(2)).to_rfc3339() }),
    );
    let path = format!("/api/v1/communities/{}/activities", m.community);
    let (status, answer) = app.post(&path, Some(&m.staff.token), body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert!(answer["fields"]["starts_at"].is_string(), "{answer}");
    let far =
        json!({ "starts_at": "+262143-12-31T20:00:00Z", "ends_at": "+262143-12-31T22:00:00Z" });
    let (status, answer) = app
        .post(&path, Some(&m.staff.token), activity(&app, far))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
}
