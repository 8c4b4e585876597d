//! Fixtures of the points tests (`points_*.rs`): a community with its staff, the calls that
//! replace rules, award, adjust and read a balance.

use api::points::ledger::{self, Award, AwardOutcome};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{TestApp, User};

/// One street with two communities; `staff` serves `id`, not `other_id`.
pub struct Community {
    pub admin: User,
    pub staff: User,
    pub id: i64,
    pub other_id: i64,
}

/// Makes the street, its two communities and the staff member.
pub async fn community(app: &TestApp) -> Community {
    let admin = app.admin().await;
    let street = app.street(&admin, "积分").await;
    let id = app
        .community(&admin, street.id, "仕奇社区", 40.80, 111.70)
        .await;
    let other_id = app
        .community(&admin, street.id, "别的社区", 40.90, 111.80)
        .await;
    let staff = app.login("points-staff").await;
    app.grant(&admin, staff.id, "community_staff", id).await;
    Community {
        admin,
        staff,
        id,
        other_id,
    }
}

/// Replaces a community's points rules as `by`.
pub async fn put_rules(
    app: &TestApp,
    by: &User,
    community: i64,
    rules: Value,
) -> (StatusCode, Value) {
    app.put(
        &format!("/api/v1/communities/{community}/points-rules"),
        Some(&by.token),
        json!({ "rules": rules }),
    )
    .await
}

/// Awards points through the ledger in its own transaction, as a check-in would.
pub async fn award(
    app: &TestApp,
    user: i64,
    community: i64,
    action: &str,
    key: &str,
) -> AwardOutcome {
    let txn = app.state.db.begin_write().await.unwrap();
    let outcome = ledger::award(
        &txn,
        app.state.clock.now(),
        Award {
            user_id: user,
            community_id: community,
            action,
            reference: Some(("test", 1)),
            idempotency_key: key,
            amount: None,
        },
    )
    .await
    .unwrap();
    txn.commit().await.unwrap();
    api::points::changed(&app.state.cache, user, community).await;
    outcome
}

/// A staff adjustment with an `Idempotency-Key`; answers the status and the raw body.
pub async fn adjust(
    app: &TestApp,
    by: &User,
    community: i64,
    key: &str,
    body: Value,
) -> (StatusCode, String) {
    let response = app
        .client
        .post(format!(
            "{}/api/v1/communities/{community}/points/adjustments",
            app.address
        ))
        .bearer_auth(&by.token)
        .header("Idempotency-Key", key)
        .json(&body)
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

/// The user's balance, read through the API.
pub async fn balance(app: &TestApp, user: &User) -> i64 {
    let (status, body) = app.get("/api/v1/me/points", Some(&user.token)).await;
    assert_eq!(status, StatusCode::OK);
    body["balance"].as_i64().unwrap()
}
