//! Volunteer activities (志愿活动): publishing and editing, public reads, sign-ups and
//! withdrawals, on-site check-in and check-out, the confirmation of attendance (all or
//! nothing, paid once, nobody confirms themselves) and the service records.

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{Market, TestApp, User};

/// The community's centre in `TestApp::market` (check-in radius 300 m).
pub const LAT: f64 = 40.82;
/// See `LAT`.
pub const LNG: f64 = 111.66;

/// A fresh server.
pub async fn spawn() -> TestApp {
    TestApp::spawn().await
}

/// Moves the clock on and refreshes the tokens of `users` (access tokens live 15 minutes;
/// refresh tokens 30 days, so move by less at a time).
pub async fn pass(app: &TestApp, by: Duration, users: &mut [&mut User]) {
    app.advance(by);
    for user in users.iter_mut() {
        let (status, body) = app
            .post(
                "/api/v1/auth/refresh",
                None,
                json!({ "refresh_token": user.refresh }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        user.token = body["access_token"].as_str().unwrap().to_owned();
        user.refresh = body["refresh_token"].as_str().unwrap().to_owned();
    }
}

/// The server's clock.
pub fn now(app: &TestApp) -> DateTime<Utc> {
    app.state.clock.now()
}

/// Logs `name` in, registers them as a `kind` volunteer of the community and has `approver`
/// approve it.
pub async fn volunteer_of(
    app: &TestApp,
    approver: &User,
    community: i64,
    name: &str,
    kind: &str,
) -> User {
    let user = app.login(name).await;
    let (status, body) = app
        .post(
            "/api/v1/volunteer-registrations",
            Some(&user.token),
            json!({ "community_id": community, "kind": kind, "organisation": "仕奇社区志愿队" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = app
        .post(
            &format!("/api/v1/volunteer-registrations/{}/approve", body["id"]),
            Some(&approver.token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    user
}

/// A resident volunteer of the market's community.
pub async fn volunteer(app: &TestApp, m: &Market, name: &str) -> User {
    volunteer_of(app, &m.staff, m.community, name, "resident_volunteer").await
}

/// An activity at the community's centre starting in an hour for two hours, with `extra`
/// fields over the defaults (capacity 10, 10 points an hour).
pub fn activity(app: &TestApp, extra: Value) -> Value {
    let starts = now(app) + chrono::Duration::hours(1);
    let mut body = json!({
        "title": "周末楼道清洁",
        "description": "清理楼道杂物，张贴安全提示",
        "location": "3号楼门前",
        "lat": LAT,
        "lng": LNG,
        "starts_at": starts.to_rfc3339(),
        "ends_at": (starts + chrono::Duration::hours(2)).to_rfc3339(),
        "capacity": 10,
        "points_per_hour": 10,
    });
    for (k, v) in extra.as_object().unwrap() {
        if v.is_null() {
            body.as_object_mut().unwrap().remove(k);
        } else {
            body[k] = v.clone();
        }
    }
    body
}

/// Publishes an activity as `staff`; answers its id.
pub async fn publish(app: &TestApp, staff: &User, community: i64, body: Value) -> i64 {
    let (status, created) = app
        .post(
            &format!("/api/v1/communities/{community}/activities"),
            Some(&staff.token),
            body,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["id"].as_i64().unwrap()
}

/// Signs `user` up.
pub async fn sign_up(app: &TestApp, user: &User, activity: i64) -> (StatusCode, Value) {
    app.post(
        &format!("/api/v1/activities/{activity}/signups"),
        Some(&user.token),
        json!({}),
    )
    .await
}

/// Confirms attendance as `staff`.
pub async fn confirm(
    app: &TestApp,
    staff: &User,
    activity: i64,
    entries: Value,
) -> (StatusCode, Value) {
    app.post(
        &format!("/api/v1/activities/{activity}/attendance"),
        Some(&staff.token),
        json!({ "entries": entries }),
    )
    .await
}

#[tokio::test]
async fn anyone_reads_a_communitys_activities_by_start_with_places_left() {
    let app = spawn().await;
    let m = app.market().await;
    let later = now(&app) + chrono::Duration::days(3);
    let second = publish(
        &app,
        &m.staff,
        m.community,
        activity(
            &app,
            json!({ "starts_at": later.to_rfc3339(), "ends_at": (later + chrono::Duration::hours(1)).to_rfc3339() }),
        ),
    )
    .await;
    let first = publish(
        &app,
        &m.staff,
        m.community,
        activity(&app, json!({ "capacity": 2 })),
    )
    .await;
    publish(
        &app,
        &m.other_staff,
        m.other_community,
        activity(&app, json!({})),
    )
    .await;
    let ann = volunteer(&app, &m, "ann").await;
    assert_eq!(sign_up(&app, &ann, first).await.0, StatusCode::CREATED);

    let (status, page) = app
        .get(
            &format!("/api/v1/communities/{}/activities?limit=1", m.community),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["items"][0]["id"], first);
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let (_, rest) = app
        .get(
            &format!(
                "/api/v1/communities/{}/activities?cursor={cursor}",
                m.community
            ),
            None,
        )
        .await;
    let ids: Vec<i64> = rest["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![second]);
    assert!(rest["next_cursor"].is_null());

    let day = (later + chrono::Duration::hours(8)).format("%Y-%m-%d");
    let (_, only_later) = app
        .get(
            &format!(
                "/api/v1/communities/{}/activities?from={day}&to={day}",
                m.community
            ),
            None,
        )
        .await;
    assert_eq!(
        only_later["items"].as_array().unwrap().len(),
        1,
        "{only_later}"
    );
    assert_eq!(only_later["items"][0]["id"], second);

    let (status, one) = app.get(&format!("/api/v1/activities/{first}"), None).await;
    assert_eq!(status, StatusCode::OK, "{one}");
    assert_eq!(one["taken"], 1);
    assert_eq!(one["places_left"], 1);
    assert_eq!(one["status"], "open");
    let (status, _) = app.get("/api/v1/activities/999999", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app.get("/api/v1/communities/999999/activities", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn staff_of_another_community_cannot_touch_its_activities() {
    let app = spawn().await;
    let m = app.market().await;
    let id = publish(&app, &m.staff, m.community, activity(&app, json!({}))).await;
    let path = format!("/api/v1/activities/{id}");
    let (status, _) = app
        .patch(&path, Some(&m.other_staff.token), json!({ "title": "改" }))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .post(
            &format!("{path}/cancel"),
            Some(&m.other_staff.token),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = confirm(
        &app,
        &m.other_staff,
        id,
        json!([{ "user_id": 1, "hours": 1 }]),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .post(
            &format!("/api/v1/communities/{}/activities", m.community),
            Some(&m.other_staff.token),
            activity(&app, json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = app
        .post(
            &format!("/api/v1/communities/{}/activities", m.community),
            Some(&m.staff.token),
            activity(&app, json!({ "points_fixed": 5 })),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "both kinds of points: {body}"
    );
}

#[tokio::test]
async fn staff_edit_an_activity_but_never_below_the_places_taken() {
    let app = spawn().await;
    let m = app.market().await;
    let id = publish(
        &app,
        &m.staff,
        m.community,
        activity(&app, json!({ "capacity": 3 })),
    )
    .await;
    for name in ["ann", "bob"] {
        let v = volunteer(&app, &m, name).await;
        assert_eq!(sign_up(&app, &v, id).await.0, StatusCode::CREATED);
    }
    let path = format!("/api/v1/activities/{id}");
    let (status, body) = app
        .patch(&path, Some(&m.staff.token), json!({ "capacity": 1 }))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["fields"]["capacity"].is_string(), "{body}");
    let (status, body) = app
        .patch(
            &path,
            Some(&m.staff.token),
            json!({ "capacity": 2, "title": "楼道大扫除", "points_fixed": 30 }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["title"], "楼道大扫除");
    assert_eq!(body["places_left"], 0);
    assert_eq!(body["points_fixed"], 30);
    assert!(body["points_per_hour"].is_null());
}
