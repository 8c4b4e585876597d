//! One datetime format on the wire: every instant in a response is RFC 3339 in UTC with
//! exactly three fractional digits, and a day-valued field is a plain Shanghai date.

use chrono::{Datelike, NaiveDate};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::supermarket::{code, spawn};

/// `dddd-dd-ddTdd:dd:dd.dddZ`, `d` a digit.
const INSTANT: &str = "dddd-dd-ddTdd:dd:dd.dddZ";

fn shaped_like(text: &str, pattern: &str) -> bool {
    text.len() == pattern.len()
        && text.bytes().zip(pattern.bytes()).all(|(c, p)| match p {
            b'd' => c.is_ascii_digit(),
            _ => c == p,
        })
}

/// A string that starts as a date and goes on with a time: `2026-12-01T…`.
fn looks_like_a_datetime(text: &str) -> bool {
    text.len() > 10
        && text
            .get(..11)
            .is_some_and(|head| shaped_like(head, "dddd-dd-ddT"))
}

/// Every (key, string) in `value` that looks like a datetime.
fn datetimes(value: &Value, key: &str, out: &mut Vec<(String, String)>) {
    match value {
        Value::String(s) if looks_like_a_datetime(s) => out.push((key.to_owned(), s.clone())),
        Value::Array(items) => items.iter().for_each(|v| datetimes(v, key, out)),
        Value::Object(fields) => fields.iter().for_each(|(k, v)| datetimes(v, k, out)),
        _ => {}
    }
}

#[test]
fn the_instant_pattern_takes_milliseconds_in_utc_only() {
    assert!(shaped_like("2026-12-01T16:00:24.339Z", INSTANT));
    assert!(!shaped_like("2026-12-01T16:00:24.339014831Z", INSTANT));
    assert!(!shaped_like("2026-12-01T16:00:24Z", INSTANT));
    assert!(!shaped_like("2026-12-02T00:00:24.339+08:00", INSTANT));
    assert!(looks_like_a_datetime("2026-12-01T16:00:24Z"));
    assert!(!looks_like_a_datetime("2026-12-01"));
}

#[tokio::test]
async fn every_instant_in_every_response_has_millisecond_precision_in_utc() {
    let app = spawn().await;
    let m = app.market().await;
    let resident = app.login("resident").await;
    app.give_points(&m.staff, m.community, &resident, 100).await;
    app.grid(&m.staff, m.community, "一网格", 40.82, 111.66, 0.01)
        .await;
    let goods = app.put_goods(&m.staff, m.community, 10, 10, None).await;
    let (status, picked) = app.redeem(&resident, goods, 1).await;
    assert_eq!(status, StatusCode::CREATED, "{picked}");
    let (status, dropped) = app.redeem(&resident, goods, 1).await;
    assert_eq!(status, StatusCode::CREATED, "{dropped}");
    let c = m.community;
    let street = app
        .scalar(&format!(
            "SELECT street_id AS n FROM communities WHERE id = {c}"
        ))
        .await;

    let mut answers = vec![
        app.post(
            &format!("/api/v1/communities/{c}/redemptions/verify"),
            Some(&m.staff.token),
            json!({ "code": code(&picked) }),
        )
        .await,
        app.post(
            &format!("/api/v1/redemptions/{}/cancel", dropped["id"]),
            Some(&resident.token),
            json!({}),
        )
        .await,
    ];
    let reads = [
        ("/api/v1/me".to_owned(), &resident),
        ("/api/v1/me/points".to_owned(), &resident),
        ("/api/v1/me/points/entries".to_owned(), &resident),
        ("/api/v1/me/redemptions".to_owned(), &resident),
        ("/api/v1/me/residences".to_owned(), &resident),
        (format!("/api/v1/communities/{c}"), &resident),
        (format!("/api/v1/communities/{c}/grids"), &resident),
        (format!("/api/v1/communities/{c}/goods"), &resident),
        (format!("/api/v1/goods/{goods}"), &resident),
        (format!("/api/v1/communities/{c}/goods/inventory"), &m.staff),
        (format!("/api/v1/communities/{c}/redemptions"), &m.staff),
        (format!("/api/v1/communities/{c}/residences"), &m.staff),
        (
            format!("/api/v1/communities/{c}/points/leaderboard"),
            &resident,
        ),
        (
            format!("/api/v1/streets/{street}/points/adjustments"),
            &m.admin,
        ),
        ("/api/v1/role-assignments".to_owned(), &m.admin),
    ];
    for (path, user) in reads {
        answers.push(app.get(&path, Some(&user.token)).await);
    }
    answers.push((StatusCode::OK, picked));

    let mut found = vec![];
    for (status, body) in &answers {
        assert_eq!(*status, StatusCode::OK, "{body}");
        datetimes(body, "", &mut found);
    }
    for (key, text) in &found {
        assert!(shaped_like(text, INSTANT), "{key}: {text}");
    }
    let keys: Vec<&str> = found.iter().map(|(k, _)| k.as_str()).collect();
    for key in [
        "created_at",
        "updated_at",
        "expires_at",
        "fulfilled_at",
        "closed_at",
        "reviewed_at",
    ] {
        assert!(keys.contains(&key), "no {key} among {keys:?}");
    }
}

#[tokio::test]
async fn the_leaderboard_starts_on_a_shanghai_date_not_a_utc_instant() {
    let app = spawn().await;
    let m = app.market().await;
    let resident = app.login("resident").await;
    let today = app
        .state
        .clock
        .now()
        .with_timezone(&api::clock::LOCAL_TZ)
        .date_naive();
    let path = format!("/api/v1/communities/{}/points/leaderboard", m.community);

    let (status, month) = app.get(&path, Some(&resident.token)).await;
    let (_, year) = app
        .get(&format!("{path}?period=year"), Some(&resident.token))
        .await;

    assert_eq!(status, StatusCode::OK, "{month}");
    let first_of_month = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap();
    assert_eq!(month["since"], first_of_month.to_string());
    let first_of_year = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap();
    assert_eq!(year["since"], first_of_year.to_string());
}

#[tokio::test]
async fn volunteering_answers_instants_in_the_same_format() {
    use crate::volunteers::{check_in, volunteer, LAT, LNG};
    let app = spawn().await;
    let m = app.market().await;
    let c = m.community;
    let courier = volunteer(&app, &m.staff, c, "courier").await;
    let (status, checkin) = check_in(&app, &courier, c, (LAT, LNG), json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{checkin}");
    let mut answers = vec![(StatusCode::OK, checkin)];
    let reads = [
        ("/api/v1/me/volunteering".to_owned(), &courier),
        ("/api/v1/me/checkins".to_owned(), &courier),
        (
            format!("/api/v1/communities/{c}/volunteer-registrations"),
            &m.staff,
        ),
        (format!("/api/v1/communities/{c}/volunteers"), &m.staff),
        (format!("/api/v1/communities/{c}/checkins"), &m.staff),
        (format!("/api/v1/communities/{c}/checkin-code"), &m.staff),
    ];
    for (path, user) in reads {
        answers.push(app.get(&path, Some(&user.token)).await);
    }
    let mut found = vec![];
    for (status, body) in &answers {
        assert_eq!(*status, StatusCode::OK, "{body}");
        datetimes(body, "", &mut found);
    }
    for (key, text) in &found {
        assert!(shaped_like(text, INSTANT), "{key}: {text}");
    }
    let keys: Vec<&str> = found.iter().map(|(k, _)| k.as_str()).collect();
    for key in ["created_at", "reviewed_at", "since", "expires_at"] {
        assert!(keys.contains(&key), "no {key} among {keys:?}");
    }
}
