//! Fixtures of the civility supermarket tests (`supermarket_*.rs`): a server whose sweeper
//! stays off, logging in again after the clock moves, and the pickup code of an answer.

use std::time::Duration;

use serde_json::Value;

use crate::helpers::{Market, TestApp, User};

/// The default lifetime of a redemption.
pub const WEEK: Duration = Duration::from_secs(7 * 24 * 3600);

/// A server whose background sweeper stays off, so tests decide when redemptions expire.
pub async fn spawn() -> TestApp {
    TestApp::spawn_with(|s| s.sweep_interval = Duration::ZERO).await
}

/// Logs the resident and the staff in again (after the clock moved past their tokens).
pub async fn relogin(app: &TestApp, mut m: Market) -> (User, Market) {
    m.staff = app.login("market-staff").await;
    m.other_staff = app.login("market-other-staff").await;
    (app.login("resident").await, m)
}

/// The pickup code of a redemption answer.
pub fn code(body: &Value) -> &str {
    body["code"].as_str().expect("a pickup code")
}
