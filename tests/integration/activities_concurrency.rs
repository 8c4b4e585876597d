//! Activities under concurrent requests: a full activity never takes one more volunteer, and
//! attendance confirmed at the same time pays and records each volunteer once.

use futures_util::{future::join_all, stream, StreamExt};
use reqwest::StatusCode;
use serde_json::json;

use crate::activities::{activity, confirm, pass, publish, sign_up, spawn, volunteer};
use crate::helpers::{assert_ledger_invariants, assert_service_invariants};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_volunteers_racing_for_five_places_get_exactly_five() {
    let app = spawn().await;
    let m = app.market().await;
    let id = publish(
        &app,
        &m.staff,
        m.community,
        activity(&app, json!({ "capacity": 5 })),
    )
    .await;
    // The setup is not the race: a few at a time.
    let volunteers: Vec<_> = stream::iter(0..50)
        .map(|i| {
            let (app, m) = (&app, &m);
            async move { volunteer(app, m, &format!("racer{i}")).await }
        })
        .buffered(8)
        .collect()
        .await;

    let answers = join_all(volunteers.iter().map(|v| sign_up(&app, v, id))).await;

    let created = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    let full = answers
        .iter()
        .filter(|(s, b)| *s == StatusCode::CONFLICT && b["code"] == "activity_full")
        .count();
    assert_eq!((created, full), (5, 45), "{answers:?}");
    assert_eq!(app.count("activity_signups").await, 5);
    let taken = app
        .scalar(&format!(
            "SELECT CAST(taken AS BIGINT) AS n FROM activities WHERE id = {id}"
        ))
        .await;
    assert_eq!(taken, 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn attendance_confirmed_concurrently_pays_each_volunteer_once() {
    let app = spawn().await;
    let mut m = app.market().await;
    let id = publish(
        &app,
        &m.staff,
        m.community,
        activity(&app, json!({ "points_fixed": 20, "points_per_hour": null })),
    )
    .await;
    let mut entries = Vec::new();
    for i in 0..6 {
        let v = volunteer(&app, &m, &format!("v{i}")).await;
        assert_eq!(sign_up(&app, &v, id).await.0, StatusCode::CREATED);
        entries.push(json!({ "user_id": v.id, "hours": 2 }));
    }
    pass(
        &app,
        std::time::Duration::from_secs(3 * 3600),
        &mut [&mut m.staff, &mut m.admin],
    )
    .await;
    let body = json!(entries);

    let answers = join_all((0..8).map(|i| {
        let staff = if i % 2 == 0 { &m.staff } else { &m.admin };
        confirm(&app, staff, id, body.clone())
    }))
    .await;

    for (status, answer) in &answers {
        assert_eq!(*status, StatusCode::OK, "{answer}");
    }
    let fresh: usize = answers
        .iter()
        .map(|(_, a)| {
            a["results"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| r["already_confirmed"] == false)
                .count()
        })
        .sum();
    assert_eq!(fresh, 6, "each volunteer confirmed by exactly one request");
    assert_eq!(app.count("points_entries").await, 6);
    assert_eq!(app.count("service_monthly").await, 6);
    let activities = app
        .scalar("SELECT CAST(SUM(activities) AS BIGINT) AS n FROM service_monthly")
        .await;
    assert_eq!(activities, 6);
    assert_ledger_invariants(&app).await;
    assert_service_invariants(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_volunteer_withdrawing_and_signing_up_at_once_never_fails_nor_miscounts() {
    let app = spawn().await;
    let m = app.market().await;
    let id = publish(&app, &m.staff, m.community, activity(&app, json!({}))).await;
    let ann = volunteer(&app, &m, "ann").await;
    let withdraw = format!("/api/v1/activities/{id}/signups/me");
    for _ in 0..10 {
        let (signed, gone) = tokio::join!(
            sign_up(&app, &ann, id),
            app.delete(&withdraw, Some(&ann.token))
        );
        assert!(
            [StatusCode::CREATED, StatusCode::CONFLICT].contains(&signed.0),
            "sign-up: {signed:?}"
        );
        assert!(
            [StatusCode::NO_CONTENT, StatusCode::NOT_FOUND].contains(&gone.0),
            "withdraw: {gone:?}"
        );
        let taken = app
            .scalar(&format!(
                "SELECT CAST(taken AS BIGINT) AS n FROM activities WHERE id = {id}"
            ))
            .await;
        let signups = app
            .scalar(&format!(
                "SELECT COUNT(*) AS n FROM activity_signups WHERE activity_id = {id}"
            ))
            .await;
        assert_eq!(taken, signups, "places taken follow the sign-ups");
    }
}
