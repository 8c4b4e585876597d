//! On-site check-ins: the geofence (radius and boundary), the rotating code, coarse fixes,
//! who may check in, the day in Asia/Shanghai, the speed check and its review, caps, and the
//! coordinates dropped after a week.

use std::time::Duration;

use api::regions::geo::EARTH_RADIUS_M;
use chrono::Timelike;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{assert_ledger_invariants, TestApp, User};
use crate::volunteers::{check_in, checkin_rule, enlist, register, volunteer, LAT, LNG};

/// A point `metres` north of the market's community centre.
fn north(metres: f64) -> (f64, f64) {
    (LAT + (metres / EARTH_RADIUS_M).to_degrees(), LNG)
}

async fn code(app: &TestApp, staff: &User, community: i64) -> (StatusCode, Value) {
    app.get(
        &format!("/api/v1/communities/{community}/checkin-code"),
        Some(&staff.token),
    )
    .await
}

#[tokio::test]
async fn the_geofence_holds_its_radius_to_the_metre_and_its_boundary() {
    let app = TestApp::spawn().await;
    let m = app.market().await;
    let on_edge = volunteer(&app, &m.staff, m.community, "edge").await;
    let outside = volunteer(&app, &m.staff, m.community, "outside").await;

    let (status, body) = check_in(&app, &on_edge, m.community, north(300.0), json!({})).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "exactly on the 300 m radius: {body}"
    );
    assert_eq!(body["distance_m"], 300);
    assert_eq!(body["evidence"], "location");
    assert_eq!(body["status"], "accepted");

    let (status, body) = check_in(&app, &outside, m.community, north(301.0), json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "outside_geofence");
    assert_eq!(body["details"]["distance_m"], 301);

    // A boundary reaching 2 km north: inside it counts beyond the radius.
    let d = (2000.0 / EARTH_RADIUS_M).to_degrees();
    let boundary = json!({ "type": "Polygon", "coordinates": [[
        [LNG - 0.01, LAT - 0.01], [LNG + 0.01, LAT - 0.01], [LNG + 0.01, LAT + d],
        [LNG - 0.01, LAT + d], [LNG - 0.01, LAT - 0.01]
    ]] });
    let (status, body) = app
        .patch(
            &format!("/api/v1/communities/{}", m.community),
            Some(&m.admin.token),
            json!({ "boundary": boundary }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = check_in(&app, &outside, m.community, north(1500.0), json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "inside the boundary: {body}");
    assert_eq!(body["distance_m"], 1500);

    let far = volunteer(&app, &m.staff, m.community, "far").await;
    let (status, body) = check_in(&app, &far, m.community, north(2500.0), json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    for (lat, lng, field) in [(91.0, LNG, "lat"), (LAT, -181.0, "lng")] {
        let (status, body) = check_in(&app, &far, m.community, (lat, lng), json!({})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["code"], "validation_failed");
        assert!(body["fields"][field].is_string(), "{body}");
    }
    assert_eq!(app.count("checkins").await, 2);
}

#[tokio::test]
async fn only_approved_volunteers_of_the_community_check_in() {
    let app = TestApp::spawn().await;
    let m = app.market().await;
    let stranger = app.login("stranger").await;
    let pending = app.login("pending").await;
    register(&app, &pending, m.community, "courier").await;
    let elsewhere = volunteer(&app, &m.other_staff, m.other_community, "elsewhere").await;

    for user in [&stranger, &pending, &elsewhere] {
        let (status, body) = check_in(&app, user, m.community, (LAT, LNG), json!({})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body["code"], "not_a_volunteer");
    }
    let (status, _) = check_in(&app, &stranger, 999_999, (LAT, LNG), json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(app.count("checkins").await, 0);
}

#[tokio::test]
async fn the_rotating_code_is_for_staff_and_only_the_current_one_counts() {
    let app = TestApp::spawn().await;
    let m = app.market().await;
    let courier = volunteer(&app, &m.staff, m.community, "courier").await;

    // Nobody but the community's staff reads it.
    assert_eq!(
        code(&app, &courier, m.community).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        code(&app, &m.other_staff, m.community).await.0,
        StatusCode::NOT_FOUND
    );
    let (status, shown) = code(&app, &m.staff, m.community).await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    let digits = shown["code"].as_str().unwrap().to_owned();
    assert_eq!(digits.len(), 6);
    assert_eq!(
        shown["qr_payload"],
        format!("linli:checkin:{}:{digits}", m.community)
    );

    let (status, body) = app
        .patch(
            &format!("/api/v1/communities/{}", m.community),
            Some(&m.staff.token),
            json!({ "checkin_requires_code": true }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "staff set it: {body}");
    assert_eq!(body["checkin_requires_code"], true);

    let (status, body) = check_in(&app, &courier, m.community, (LAT, LNG), json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "checkin_code_invalid");
    let (_, foreign) = code(&app, &m.other_staff, m.other_community).await;
    for wrong in [
        foreign["qr_payload"].clone(),
        foreign["code"].clone(),
        json!("12345x"),
    ] {
        let (status, body) = check_in(
            &app,
            &courier,
            m.community,
            (LAT, LNG),
            json!({ "code": wrong }),
        )
        .await;
        if foreign["code"] == wrong && foreign["code"] == shown["code"] {
            continue; // one chance in a million
        }
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{wrong}: {body}");
        assert_eq!(body["code"], "checkin_code_invalid");
    }
    // Stale: two windows later.
    app.advance(Duration::from_secs(121));
    let courier = app.login("courier").await;
    let (status, body) = check_in(
        &app,
        &courier,
        m.community,
        (LAT, LNG),
        json!({ "code": digits }),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "checkin_code_invalid");

    let (_, shown) = code(&app, &m.staff, m.community).await;
    let (status, body) = check_in(
        &app,
        &courier,
        m.community,
        (LAT, LNG),
        json!({ "code": shown["qr_payload"] }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["evidence"], "code");
}

#[tokio::test]
async fn a_coarse_location_counts_only_with_the_code() {
    let app = TestApp::spawn().await;
    let m = app.market().await;
    let courier = volunteer(&app, &m.staff, m.community, "courier").await;
    let coarse = json!({ "accuracy_m": 500 });
    let (status, body) = check_in(&app, &courier, m.community, (LAT, LNG), coarse).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "location_too_coarse");
    let (_, shown) = code(&app, &m.staff, m.community).await;
    let (status, body) = check_in(
        &app,
        &courier,
        m.community,
        (LAT, LNG),
        json!({ "accuracy_m": 500, "code": shown["code"] }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["evidence"], "code");
}

/// Moves the clock to the next `hh:mm` UTC.
fn advance_to(app: &TestApp, hour: u32, minute: u32) {
    let now = app.state.clock.now();
    let today = now
        .date_naive()
        .and_hms_opt(hour, minute, 0)
        .unwrap()
        .and_utc();
    let target = if today > now {
        today
    } else {
        today + chrono::Duration::days(1)
    };
    app.advance((target - now).to_std().unwrap());
}

#[tokio::test]
async fn a_day_is_counted_in_shanghai() {
    let app = TestApp::spawn().await;
    let m = app.market().await;
    volunteer(&app, &m.staff, m.community, "courier").await;

    // 15:59 UTC is 23:59 in Shanghai; 16:01 UTC, the same UTC day, is 00:01 the next day.
    advance_to(&app, 15, 59);
    let courier = app.login("courier").await;
    let (status, first) = check_in(&app, &courier, m.community, (LAT, LNG), json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let (status, body) = check_in(&app, &courier, m.community, (LAT, LNG), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "already_checked_in");

    app.advance(Duration::from_secs(120));
    assert_eq!(app.state.clock.now().hour(), 16);
    let (status, second) = check_in(&app, &courier, m.community, (LAT, LNG), json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    assert_ne!(first["local_day"], second["local_day"]);

    // 23:59 the same Shanghai day is still that day.
    advance_to(&app, 15, 58);
    let courier = app.login("courier").await;
    let (status, body) = check_in(&app, &courier, m.community, (LAT, LNG), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (_, mine) = app.get("/api/v1/me/checkins", Some(&courier.token)).await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn hohhot_then_beijing_ten_minutes_later_waits_for_staff_and_pays_once() {
    let app = TestApp::spawn().await;
    let m = app.market().await;
    let street = app.street(&m.admin, "东城").await;
    let beijing = app
        .community(&m.admin, street.id, "东华门社区", 39.9042, 116.4074)
        .await;
    let bj_staff = app.login("bj-staff").await;
    app.grant(&m.admin, bj_staff.id, "community_staff", beijing)
        .await;
    let (status, body) = crate::points::put_rules(
        &app,
        &bj_staff,
        beijing,
        json!([{ "action": "checkin", "points": 8 }]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let courier = volunteer(&app, &m.staff, m.community, "courier").await;
    enlist(&app, &bj_staff, beijing, &courier).await;

    let (status, body) = check_in(&app, &courier, m.community, (LAT, LNG), json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    app.advance(Duration::from_secs(600));
    let courier = app.login("courier").await;
    let (status, flagged) = check_in(&app, &courier, beijing, (39.9042, 116.4074), json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{flagged}");
    assert_eq!(flagged["status"], "flagged");
    assert_eq!(flagged["points_awarded"], 0);
    assert!(flagged["speed_kmh"].as_i64().unwrap() > 2000, "{flagged}");
    assert_eq!(crate::points::balance(&app, &courier).await, 0);

    let queue = format!("/api/v1/communities/{beijing}/checkins?status=flagged");
    let (status, page) = app.get(&queue, Some(&bj_staff.token)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["items"][0]["id"], flagged["id"]);
    assert_eq!(
        app.get(&queue, Some(&m.staff.token)).await.0,
        StatusCode::NOT_FOUND
    );
    let counts = format!("/api/v1/communities/{beijing}/counts");
    let (_, counts) = app.get(&counts, Some(&bj_staff.token)).await;
    assert_eq!(counts["flagged_checkins"], 1, "{counts}");

    let confirm = format!("/api/v1/checkins/{}/confirm", flagged["id"]);
    assert_eq!(
        app.post(&confirm, Some(&m.staff.token), json!({})).await.0,
        StatusCode::NOT_FOUND
    );
    let (status, body) = app.post(&confirm, Some(&bj_staff.token), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "accepted");
    assert_eq!(body["points_awarded"], 8);
    let (status, body) = app.post(&confirm, Some(&bj_staff.token), json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "checkin_not_flagged");
    assert_eq!(
        crate::points::balance(&app, &courier).await,
        8,
        "credited once"
    );
    assert_ledger_invariants(&app).await;
}

#[tokio::test]
async fn staff_reject_a_flagged_checkin_and_never_review_their_own() {
    let app = TestApp::spawn().await;
    let m = app.market().await;
    checkin_rule(&app, &m, json!({ "action": "checkin", "points": 5 })).await;
    let courier = volunteer(&app, &m.staff, m.community, "courier").await;
    enlist(&app, &m.other_staff, m.other_community, &courier).await;
    // The two communities are 1.4 km apart: seconds apart is far too fast.
    let (status, _) = check_in(
        &app,
        &courier,
        m.other_community,
        (40.83, 111.67),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, flagged) = check_in(&app, &courier, m.community, (LAT, LNG), json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{flagged}");
    assert_eq!(flagged["status"], "flagged", "1.4 km within seconds");

    let reject = format!("/api/v1/checkins/{}/reject", flagged["id"]);
    let (status, body) = app.post(&reject, Some(&m.staff.token), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "rejected");
    let confirm = format!("/api/v1/checkins/{}/confirm", flagged["id"]);
    assert_eq!(
        app.post(&confirm, Some(&m.staff.token), json!({})).await.0,
        StatusCode::CONFLICT
    );
    assert_eq!(crate::points::balance(&app, &courier).await, 0);

    // Staff who volunteer in their own community do not review their own check-ins.
    enlist(&app, &m.admin, m.community, &m.staff).await;
    enlist(&app, &m.other_staff, m.other_community, &m.staff).await;
    check_in(
        &app,
        &m.staff,
        m.other_community,
        (40.83, 111.67),
        json!({}),
    )
    .await;
    let (_, own) = check_in(&app, &m.staff, m.community, (LAT, LNG), json!({})).await;
    assert_eq!(own["status"], "flagged", "{own}");
    let confirm = format!("/api/v1/checkins/{}/confirm", own["id"]);
    let (status, body) = app.post(&confirm, Some(&m.staff.token), json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["code"], "self_review_forbidden");
    let (status, body) = app.post(&confirm, Some(&m.admin.token), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["points_awarded"], 5);
}

#[tokio::test]
async fn daily_and_monthly_caps_of_the_rule_hold() {
    let app = TestApp::spawn().await;
    let m = app.market().await;
    checkin_rule(
        &app,
        &m,
        json!({ "action": "checkin", "points": 10, "daily_cap": 6, "monthly_cap": 15 }),
    )
    .await;
    volunteer(&app, &m.staff, m.community, "courier").await;
    // Start right after midnight in Shanghai so three days fit one month or spill cleanly.
    advance_to(&app, 16, 5);
    let mut awarded = Vec::new();
    for _ in 0..3 {
        let courier = app.login("courier").await;
        let (status, body) = check_in(&app, &courier, m.community, (LAT, LNG), json!({})).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        awarded.push((
            body["local_day"].as_str().unwrap().to_owned(),
            body["points_awarded"].as_i64().unwrap(),
        ));
        app.advance(Duration::from_secs(86_400));
    }
    let month = |day: &str| day[..7].to_owned();
    let mut total_in_first_month = 0;
    for (day, points) in &awarded {
        assert!(*points <= 6, "daily cap: {awarded:?}");
        if month(day) == month(&awarded[0].0) {
            total_in_first_month += points;
        }
    }
    assert_eq!(awarded[0].1, 6);
    assert!(total_in_first_month <= 15, "{awarded:?}");
    if awarded
        .iter()
        .all(|(d, _)| month(d) == month(&awarded[0].0))
    {
        assert_eq!(
            awarded.iter().map(|a| a.1).collect::<Vec<_>>(),
            vec![6, 6, 3]
        );
    }
    assert_ledger_invariants(&app).await;
}

#[tokio::test]
async fn coordinates_are_dropped_after_a_week_and_the_evidence_stays() {
    let app = TestApp::spawn().await;
    let m = app.market().await;
    let courier = volunteer(&app, &m.staff, m.community, "courier").await;
    let (status, body) = check_in(&app, &courier, m.community, north(120.0), json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let sweep = |app: &TestApp| {
        let db = app.state.db.clone();
        let now = app.state.clock.now();
        async move {
            api::volunteers::sweeper::forget_coordinates(&db, now)
                .await
                .unwrap()
        }
    };
    assert_eq!(sweep(&app).await, 0, "kept for the speed check");
    assert_eq!(
        app.scalar("SELECT COUNT(*) AS n FROM checkins WHERE lat IS NOT NULL")
            .await,
        1
    );
    app.advance(Duration::from_secs(7 * 86_400 + 60));
    assert_eq!(sweep(&app).await, 1);
    assert_eq!(app.scalar("SELECT COUNT(*) AS n FROM checkins WHERE lat IS NULL AND lng IS NULL AND distance_m = 120 AND evidence = 'location'").await, 1);
}

#[tokio::test]
async fn guessing_the_code_runs_out_of_attempts() {
    let app = TestApp::spawn().await;
    let m = app.market().await;
    let courier = volunteer(&app, &m.staff, m.community, "courier").await;
    let (_, shown) = code(&app, &m.staff, m.community).await;
    let digits = shown["code"].as_str().unwrap();
    let wrong = if digits == "000000" {
        "000001"
    } else {
        "000000"
    };
    for _ in 0..6 {
        let (status, body) = check_in(
            &app,
            &courier,
            m.community,
            (LAT, LNG),
            json!({ "code": wrong }),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["code"], "checkin_code_invalid");
    }
    let (status, body) = check_in(
        &app,
        &courier,
        m.community,
        (LAT, LNG),
        json!({ "code": digits }),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "the budget is spent: {body}"
    );
    assert_eq!(body["code"], "rate_limited");
    assert_eq!(app.count("checkins").await, 0);
    // Without a code the location alone still counts, as it would have.
    let (status, body) = check_in(&app, &courier, m.community, (LAT, LNG), json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["evidence"], "location");
}
