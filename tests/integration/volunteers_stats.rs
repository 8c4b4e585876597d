//! Figures for staff: volunteers by kind and status, check-ins per day, points awarded.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::TestApp;
use crate::volunteers::{check_in, checkin_rule, register, volunteer, LAT, LNG};

#[tokio::test]
async fn staff_read_their_volunteers_figures_over_a_period() {
    let app = TestApp::spawn().await;
    let m = app.market().await;
    checkin_rule(&app, &m, json!({ "action": "checkin", "points": 3 })).await;
    let a = volunteer(&app, &m.staff, m.community, "a").await;
    volunteer(&app, &m.staff, m.community, "b").await;
    let pending = app.login("pending").await;
    register(&app, &pending, m.community, "party_member").await;

    // Another community's check-ins are not counted here.
    let c = volunteer(&app, &m.other_staff, m.other_community, "c").await;
    check_in(&app, &c, m.other_community, (40.83, 111.67), json!({})).await;
    let (status, first) = check_in(&app, &a, m.community, (LAT, LNG), json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    app.advance(Duration::from_secs(86_400));
    for name in ["a", "b"] {
        let user = app.login(name).await;
        let (status, body) = check_in(&app, &user, m.community, (LAT, LNG), json!({})).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (staff, other_staff, a) = (
        app.login("market-staff").await,
        app.login("market-other-staff").await,
        app.login("a").await,
    );

    let path = format!("/api/v1/communities/{}/volunteers/stats", m.community);
    let (status, stats) = app.get(&path, Some(&staff.token)).await;
    assert_eq!(status, StatusCode::OK, "{stats}");
    let couriers = stats["volunteers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == "courier")
        .unwrap()
        .clone();
    assert_eq!(couriers["approved"], 2);
    let members = stats["volunteers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == "party_member")
        .unwrap()
        .clone();
    assert_eq!(members["pending"], 1);
    assert_eq!(stats["checkins"], 3);
    let days = stats["checkins_per_day"].as_array().unwrap();
    assert_eq!(days.len(), 2, "{stats}");
    assert_eq!(days[0]["day"], first["local_day"]);
    assert_eq!(days[0]["accepted"], 1);
    assert_eq!(days[1]["accepted"], 2);
    assert_eq!(stats["points_awarded"]["checkins"], 9);
    assert_eq!(stats["points_awarded"]["total"], 9);

    // The period is the caller's: the first day alone.
    let day = first["local_day"].as_str().unwrap();
    let (_, one) = app
        .get(&format!("{path}?from={day}&to={day}"), Some(&staff.token))
        .await;
    assert_eq!(one["checkins"], 1);
    assert_eq!(one["points_awarded"]["checkins"], 3);

    for bad in [
        "?from=2026-12-05&to=2026-12-01",
        "?from=2025-01-01&to=2026-12-01",
        "?from=yesterday",
        "?from=1999-12-31&to=2000-01-02",
        "?from=-5000-01-01&to=-4999-06-01",
    ] {
        let (status, body) = app.get(&format!("{path}{bad}"), Some(&staff.token)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
    }
    assert_eq!(
        app.get(&path, Some(&other_staff.token)).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&path, Some(&a.token)).await.0,
        StatusCode::NOT_FOUND
    );
}
