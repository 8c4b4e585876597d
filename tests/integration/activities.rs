//! Volunteer activities (志愿活动): publishing and editing, public reads, sign-ups and
//! withdrawals, on-site check-in and check-out, the confirmation of attendance (all or
//! nothing, paid once, nobody confirms themselves) and the service records.

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_ledger_invariants, assert_service_invariants, Market, TestApp, User};

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

#[tokio::test]
async fn nobody_confirms_their_own_hours() {
    let app = spawn().await;
    let m = app.market().await;
    let id = publish(&app, &m.staff, m.community, activity(&app, json!({}))).await;
    // The staff member volunteers too (approved by the admin) and signs up.
    let mut staff = volunteer_of(&app, &m.admin, m.community, "market-staff", "party_member").await;
    assert_eq!(staff.id, m.staff.id);
    assert_eq!(sign_up(&app, &staff, id).await.0, StatusCode::CREATED);
    pass(&app, Duration::from_secs(3 * 3600), &mut [&mut staff]).await;

    let (status, body) = confirm(
        &app,
        &staff,
        id,
        json!([{ "user_id": staff.id, "hours": 2 }]),
    )
    .await;

    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("self_review_forbidden"))
    );
    assert_eq!(app.count("points_entries").await, 0);
    assert_eq!(app.count("service_monthly").await, 0);
}

#[tokio::test]
async fn one_bad_entry_confirms_nothing() {
    let app = spawn().await;
    let mut m = app.market().await;
    let id = publish(&app, &m.staff, m.community, activity(&app, json!({}))).await;
    let ann = volunteer(&app, &m, "ann").await;
    let bob = volunteer(&app, &m, "bob").await;
    assert_eq!(sign_up(&app, &ann, id).await.0, StatusCode::CREATED);
    let (status, body) = confirm(
        &app,
        &m.staff,
        id,
        json!([{ "user_id": ann.id, "hours": 2 }]),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::CONFLICT, Some("activity_not_started"))
    );
    pass(&app, Duration::from_secs(3 * 3600), &mut [&mut m.staff]).await;

    let (status, body) = confirm(
        &app,
        &m.staff,
        id,
        json!([{ "user_id": ann.id, "hours": 2 }, { "user_id": bob.id, "hours": 1 }]),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["fields"]["entries[1].user_id"].is_string(), "{body}");
    let (status, body) = confirm(
        &app,
        &m.staff,
        id,
        json!([{ "user_id": ann.id, "hours": 3.5 }]),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["fields"]["entries[0].hours"].is_string(),
        "past the length plus an hour: {body}"
    );
    let (status, body) = confirm(
        &app,
        &m.staff,
        id,
        json!([{ "user_id": ann.id, "hours": 1.234 }]),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["fields"]["entries[0].hours"].is_string(), "{body}");

    assert_eq!(app.count("points_entries").await, 0);
    assert_eq!(app.count("service_monthly").await, 0);
    let confirmed = app
        .scalar("SELECT COUNT(*) AS n FROM activity_signups WHERE confirmed_at IS NOT NULL")
        .await;
    assert_eq!(confirmed, 0);
}

#[tokio::test]
async fn attendance_confirmed_twice_pays_once_and_records_once() {
    let app = spawn().await;
    let mut m = app.market().await;
    let id = publish(
        &app,
        &m.staff,
        m.community,
        activity(&app, json!({ "points_per_hour": 15 })),
    )
    .await;
    let mut ann = volunteer(&app, &m, "ann").await;
    let bob = volunteer(&app, &m, "bob").await;
    for v in [&ann, &bob] {
        assert_eq!(sign_up(&app, v, id).await.0, StatusCode::CREATED);
    }
    pass(
        &app,
        Duration::from_secs(3 * 3600),
        &mut [&mut m.staff, &mut m.admin, &mut ann],
    )
    .await;
    let entries = json!([{ "user_id": ann.id, "hours": 1.5 }, { "user_id": bob.id, "hours": 2 }]);

    let (status, first) = confirm(&app, &m.staff, id, entries.clone()).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let (status, again) = confirm(
        &app,
        &m.admin,
        id,
        json!([{ "user_id": ann.id, "hours": 3 }, { "user_id": bob.id, "hours": 2 }]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{again}");

    // 1.5 h × 15 = 22.5, rounded to 23.
    assert_eq!(first["results"][0]["points_awarded"], 23);
    assert_eq!(first["results"][1]["points_awarded"], 30);
    assert_eq!(first["results"][0]["already_confirmed"], false);
    assert_eq!(again["results"][0]["already_confirmed"], true);
    assert_eq!(again["results"][0]["hours"], 1.5, "the first hours stand");
    assert_eq!(app.balance(ann.id).await, 23);
    assert_eq!(app.balance(bob.id).await, 30);
    assert_eq!(app.count("points_entries").await, 2);
    assert_eq!(app.count("service_monthly").await, 2);
    let (_, records) = app
        .get("/api/v1/me/service-records", Some(&ann.token))
        .await;
    assert_eq!(records["total_hours"], 1.5, "{records}");
    assert_eq!(records["communities"][0]["activities"], 1);
    let (_, mine) = app.get("/api/v1/me/volunteering", Some(&ann.token)).await;
    assert_eq!(mine["items"][0]["hours"], 1.5, "{mine}");
    assert_eq!(mine["items"][0]["points_earned"], 23);
    let stats = format!("/api/v1/communities/{}/volunteers/stats", m.community);
    let (status, stats) = app.get(&stats, Some(&m.staff.token)).await;
    assert_eq!(status, StatusCode::OK, "{stats}");
    assert_eq!(stats["service_hours"], 3.5);
    assert_eq!(stats["points_awarded"]["activities"], 53);
    assert_eq!(stats["points_awarded"]["total"], 53);
    assert_ledger_invariants(&app).await;
    assert_service_invariants(&app).await;
}

#[tokio::test]
async fn the_communitys_activity_rule_caps_the_points() {
    let app = spawn().await;
    let mut m = app.market().await;
    let (status, body) = app
        .put(
            &format!("/api/v1/communities/{}/points-rules", m.community),
            Some(&m.staff.token),
            json!({ "rules": [{ "action": "activity", "points": 1, "daily_cap": 50 }] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let first = publish(
        &app,
        &m.staff,
        m.community,
        activity(&app, json!({ "points_per_hour": null, "points_fixed": 40 })),
    )
    .await;
    let second = publish(
        &app,
        &m.staff,
        m.community,
        activity(&app, json!({ "points_per_hour": null, "points_fixed": 40 })),
    )
    .await;
    let mut ann = volunteer(&app, &m, "ann").await;
    for id in [first, second] {
        assert_eq!(sign_up(&app, &ann, id).await.0, StatusCode::CREATED);
    }
    pass(
        &app,
        Duration::from_secs(3 * 3600),
        &mut [&mut m.staff, &mut ann],
    )
    .await;

    let (_, one) = confirm(
        &app,
        &m.staff,
        first,
        json!([{ "user_id": ann.id, "hours": 2 }]),
    )
    .await;
    let (_, two) = confirm(
        &app,
        &m.staff,
        second,
        json!([{ "user_id": ann.id, "hours": 2 }]),
    )
    .await;

    assert_eq!(
        one["results"][0]["points_awarded"], 40,
        "the activity's points, not the rule's: {one}"
    );
    assert_eq!(
        two["results"][0]["points_awarded"], 10,
        "the daily cap of 50: {two}"
    );
    assert_eq!(app.balance(ann.id).await, 50);
    let (_, records) = app
        .get("/api/v1/me/service-records", Some(&ann.token))
        .await;
    assert_eq!(
        records["total_hours"], 4.0,
        "capped points, full hours: {records}"
    );
    assert_ledger_invariants(&app).await;
}

#[tokio::test]
async fn service_records_add_up_hours_by_month_and_community() {
    let app = spawn().await;
    let mut m = app.market().await;
    let mut ann = volunteer(&app, &m, "ann").await;
    let december = publish(&app, &m.staff, m.community, activity(&app, json!({}))).await;
    assert_eq!(sign_up(&app, &ann, december).await.0, StatusCode::CREATED);
    pass(
        &app,
        Duration::from_secs(3 * 3600),
        &mut [&mut m.staff, &mut ann],
    )
    .await;
    confirm(
        &app,
        &m.staff,
        december,
        json!([{ "user_id": ann.id, "hours": 1.25 }]),
    )
    .await;
    pass(
        &app,
        Duration::from_secs(20 * 86400),
        &mut [&mut m.staff, &mut ann],
    )
    .await;
    pass(
        &app,
        Duration::from_secs(20 * 86400),
        &mut [&mut m.staff, &mut ann],
    )
    .await;
    let later = publish(&app, &m.staff, m.community, activity(&app, json!({}))).await;
    let same_month = publish(&app, &m.staff, m.community, activity(&app, json!({}))).await;
    for id in [later, same_month] {
        assert_eq!(sign_up(&app, &ann, id).await.0, StatusCode::CREATED);
    }
    pass(
        &app,
        Duration::from_secs(3 * 3600),
        &mut [&mut m.staff, &mut ann],
    )
    .await;
    for (id, hours) in [(later, 2.0), (same_month, 0.5)] {
        let (status, body) = confirm(
            &app,
            &m.staff,
            id,
            json!([{ "user_id": ann.id, "hours": hours }]),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    let (status, records) = app
        .get("/api/v1/me/service-records", Some(&ann.token))
        .await;

    assert_eq!(status, StatusCode::OK, "{records}");
    assert_eq!(records["total_hours"], 3.75);
    let community = &records["communities"][0];
    assert_eq!(community["community_id"], m.community);
    assert_eq!(community["activities"], 3);
    let months = community["months"].as_array().unwrap();
    assert_eq!(months.len(), 2, "{records}");
    assert_eq!(months[0]["hours"], 2.5, "newest month first");
    assert_eq!(months[0]["activities"], 2);
    assert_eq!(months[1]["hours"], 1.25);
    assert!(months[0]["month"].as_str().unwrap() > months[1]["month"].as_str().unwrap());
    assert_service_invariants(&app).await;
}
