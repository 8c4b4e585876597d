//! Attendance: nobody confirms their own hours, all or nothing, paid and recorded once,
//! the community's rule caps, and the service records by month and community.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::activities::{
    activity, confirm, pass, publish, sign_up, spawn, volunteer, volunteer_of,
};
use crate::helpers::{assert_ledger_invariants, assert_service_invariants};

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
            json!({ "rules": [{ "action": "activity_hour", "points": 1, "daily_cap": 50 }] }),
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
async fn a_disabled_activity_rule_pays_nothing_and_hours_need_a_hundredth() {
    let app = spawn().await;
    let mut m = app.market().await;
    let rules = format!("/api/v1/communities/{}/points-rules", m.community);
    let off = json!({ "rules": [{ "action": "activity_hour", "points": 1, "enabled": false }] });
    let (status, body) = app.put(&rules, Some(&m.staff.token), off).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = publish(&app, &m.staff, m.community, activity(&app, json!({}))).await;
    let mut ann = volunteer(&app, &m, "ann").await;
    assert_eq!(sign_up(&app, &ann, id).await.0, StatusCode::CREATED);
    pass(
        &app,
        Duration::from_secs(3 * 3600),
        &mut [&mut m.staff, &mut ann],
    )
    .await;

    let (status, body) = confirm(
        &app,
        &m.staff,
        id,
        json!([{ "user_id": ann.id, "hours": 0.001 }]),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = confirm(
        &app,
        &m.staff,
        id,
        json!([{ "user_id": ann.id, "hours": 2 }]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["results"][0]["points_awarded"], 0, "{body}");
    assert_eq!(
        body["results"][0]["hours"], 2.0,
        "the hours count all the same"
    );
    assert_eq!(app.balance(ann.id).await, 0);
    assert_service_invariants(&app).await;
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
