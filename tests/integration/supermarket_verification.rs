//! Pickup at the desk: staff verify a code once, in their own community only, and list their
//! community's redemptions.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::assert_ledger_invariants;
use crate::supermarket::{code, spawn};

#[tokio::test]
async fn staff_verify_a_pickup_code_once_in_their_own_community_only() {
    let app = spawn().await;
    let m = app.market().await;
    let resident = app.login("resident").await;
    app.give_points(&m.staff, m.community, &resident, 100).await;
    let goods = app.put_goods(&m.staff, m.community, 10, 10, None).await;
    let (_, r) = app.redeem(&resident, goods, 1).await;
    let (_, cancelled) = app.redeem(&resident, goods, 1).await;
    app.post(
        &format!("/api/v1/redemptions/{}/cancel", cancelled["id"]),
        Some(&resident.token),
        json!({}),
    )
    .await;
    let verify = format!("/api/v1/communities/{}/redemptions/verify", m.community);
    let body = json!({ "code": code(&r) });

    let other_verify = format!(
        "/api/v1/communities/{}/redemptions/verify",
        m.other_community
    );
    assert_eq!(
        app.post(&other_verify, Some(&m.other_staff.token), body.clone())
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let (status, answer) = app
        .post(&verify, Some(&m.other_staff.token), body.clone())
        .await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found")),
        "another community's staff learn nothing about its codes"
    );
    assert_eq!(
        app.post(&verify, Some(&resident.token), body.clone())
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let unused = if code(&r) == "000000" {
        "000001"
    } else {
        "000000"
    };
    if unused != code(&cancelled) {
        // A wrong code says the code is wrong, not that the community is out of reach.
        let (status, answer) = app
            .post(&verify, Some(&m.staff.token), json!({ "code": unused }))
            .await;
        assert_eq!(
            (status, answer["code"].as_str(), answer["message"].as_str()),
            (
                StatusCode::NOT_FOUND,
                Some("redemption_code_not_found"),
                Some("核销码无效或已过期")
            )
        );
    }
    let pending = app
        .scalar("SELECT COUNT(*) AS n FROM redemptions WHERE status = 'pending'")
        .await;
    assert_eq!(pending, 1, "nothing changed");

    let (status, done) = app.post(&verify, Some(&m.staff.token), body.clone()).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(
        (done["status"].as_str(), done["fulfilled_by"].as_i64()),
        (Some("fulfilled"), Some(m.staff.id))
    );
    assert!(done["fulfilled_at"].is_string());
    let (status, again) = app.post(&verify, Some(&m.staff.token), body).await;
    assert_eq!(
        (status, again["code"].as_str()),
        (StatusCode::CONFLICT, Some("already_fulfilled"))
    );
    if code(&cancelled) != code(&r) {
        let (status, answer) = app
            .post(
                &verify,
                Some(&m.staff.token),
                json!({ "code": code(&cancelled) }),
            )
            .await;
        assert_eq!(
            (status, answer["code"].as_str()),
            (StatusCode::CONFLICT, Some("redemption_cancelled"))
        );
    }
    let (status, answer) = app
        .post(
            &format!("/api/v1/redemptions/{}/cancel", r["id"]),
            Some(&resident.token),
            json!({}),
        )
        .await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (StatusCode::CONFLICT, Some("redemption_not_pending"))
    );
    assert_eq!(app.balance(resident.id).await, 90);
    assert_ledger_invariants(&app).await;
}

#[tokio::test]
async fn staff_list_their_communitys_redemptions_by_state_and_time_without_codes() {
    let app = spawn().await;
    let m = app.market().await;
    let resident = app.login("resident").await;
    app.give_points(&m.staff, m.community, &resident, 100).await;
    let goods = app.put_goods(&m.staff, m.community, 5, 10, None).await;
    let mut ids = vec![];
    for _ in 0..3 {
        ids.push(
            app.redeem(&resident, goods, 1).await.1["id"]
                .as_i64()
                .unwrap(),
        );
    }
    app.post(
        &format!("/api/v1/redemptions/{}/cancel", ids[0]),
        Some(&resident.token),
        json!({}),
    )
    .await;
    let list = format!("/api/v1/communities/{}/redemptions", m.community);

    let (status, all) = app
        .get(&format!("{list}?limit=2"), Some(&m.staff.token))
        .await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(
        (
            all["items"][0]["id"].as_i64(),
            all["items"][1]["id"].as_i64()
        ),
        (Some(ids[2]), Some(ids[1]))
    );
    assert_eq!(
        (&all["items"][0]["code"], &all["items"][0]["qr_payload"]),
        (&Value::Null, &Value::Null),
        "codes stay with their owners"
    );
    assert_eq!(all["items"][0]["user_id"], resident.id);
    assert_eq!(all["items"][0]["user_name"], "r****", "masked");
    let cursor = all["next_cursor"].as_str().unwrap();
    let (_, rest) = app
        .get(
            &format!("{list}?limit=2&cursor={cursor}"),
            Some(&m.staff.token),
        )
        .await;
    assert_eq!(
        (rest["items"][0]["id"].as_i64(), rest["next_cursor"].clone()),
        (Some(ids[0]), Value::Null)
    );
    let (_, cancelled) = app
        .get(&format!("{list}?status=cancelled"), Some(&m.staff.token))
        .await;
    assert_eq!(cancelled["items"].as_array().unwrap().len(), 1);
    let past = (chrono::Utc::now() - chrono::Duration::hours(1)).format("%Y-%m-%dT%H:%M:%SZ");
    let later = (chrono::Utc::now() + chrono::Duration::hours(1)).format("%Y-%m-%dT%H:%M:%SZ");
    let (_, window) = app
        .get(
            &format!("{list}?from={past}&to={later}"),
            Some(&m.staff.token),
        )
        .await;
    assert_eq!(window["items"].as_array().unwrap().len(), 3);
    let (_, before) = app
        .get(&format!("{list}?to={past}"), Some(&m.staff.token))
        .await;
    assert_eq!(before["items"].as_array().unwrap().len(), 0);
    let (status, _) = app
        .get(
            &format!("{list}?from={later}&to={past}"),
            Some(&m.staff.token),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = app
        .get(&format!("{list}?from=yesterday"), Some(&m.staff.token))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, other) = app
        .get(
            &format!("/api/v1/communities/{}/redemptions", m.other_community),
            Some(&m.other_staff.token),
        )
        .await;
    assert_eq!(other["items"].as_array().unwrap().len(), 0);
    assert_ledger_invariants(&app).await;
}
