//! Points requests and responses.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use validator::{Validate, ValidationError};

use super::ledger::Kind;

/// `GET /me/points`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PointsSummary {
    /// Points available now.
    pub balance: i64,
    /// Points earned this month (Asia/Shanghai).
    pub earned_this_month: i64,
    /// Points spent on goods this month, less refunds.
    pub spent_this_month: i64,
    /// Points earned since the beginning.
    pub lifetime_earned: i64,
}

/// What an entry refers to, and where its owner opens it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Reference {
    /// Kind of object: `redemption` for a redemption's payment, refund or expiry.
    #[serde(rename = "type")]
    #[schema(example = "redemption")]
    pub kind: String,
    /// Its id.
    pub id: i64,
    /// The API path that shows it to the entry's owner (`/api/v1/redemptions/{id}` for a
    /// redemption); null when there is nothing more to open than the entry itself (staff
    /// adjustments carry their reason and no reference).
    #[schema(example = "/api/v1/redemptions/42")]
    pub path: Option<String>,
}

impl Reference {
    /// The reference of a stored `(ref_type, ref_id)`, with the path its owner can open.
    pub fn new(kind: String, id: i64) -> Self {
        let path = match kind.as_str() {
            "redemption" => Some(format!("/api/v1/redemptions/{id}")),
            _ => None,
        };
        Reference { kind, id, path }
    }
}

/// One passbook line.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntryView {
    /// Entry id.
    pub id: i64,
    /// Kind of change.
    pub kind: Kind,
    /// Signed amount.
    pub amount: i64,
    /// Balance after this entry.
    pub balance_after: i64,
    /// Reason.
    pub reason: String,
    /// Community.
    pub community_id: i64,
    /// Community name.
    pub community_name: String,
    /// What caused it.
    pub reference: Option<Reference>,
    /// When.
    #[serde(with = "crate::time_format")]
    pub created_at: DateTime<Utc>,
}

fn action_key(action: &str) -> Result<(), ValidationError> {
    let ok = !action.is_empty()
        && action.len() <= 32
        && action
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && action.as_bytes()[0].is_ascii_lowercase();
    if ok {
        Ok(())
    } else {
        Err(ValidationError::new("action")
            .with_message("行为标识须为小写字母开头的 snake_case，不超过32个字符".into()))
    }
}

/// One earning rule.
#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleInput {
    /// Action key, e.g. `checkin`, `activity_hour`, `hazard_report`.
    #[validate(custom(function = "action_key"))]
    pub action: String,
    /// Points per action.
    #[validate(range(min = 1, max = 10000, message = "每次积分须在 1 到 10000 之间"))]
    pub points: i64,
    /// Most points per user per day from this action.
    #[validate(range(min = 1, max = 1000000, message = "每日上限须在 1 到 1000000 之间"))]
    pub daily_cap: Option<i64>,
    /// Most points per user per month from this action.
    #[validate(range(min = 1, max = 10000000, message = "每月上限须在 1 到 10000000 之间"))]
    pub monthly_cap: Option<i64>,
    /// Whether the rule pays (default true).
    pub enabled: Option<bool>,
}

/// `PUT /communities/{id}/points-rules`: the whole rule set.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutRules {
    /// The rules; actions not listed are removed.
    #[validate(length(max = 50, message = "规则不能超过50条"), nested)]
    pub rules: Vec<RuleInput>,
}

/// One rule as published.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleView {
    /// Action key.
    pub action: String,
    /// Its Chinese name.
    pub label: String,
    /// Points per action.
    pub points: i64,
    /// Daily cap per user.
    pub daily_cap: Option<i64>,
    /// Monthly cap per user.
    pub monthly_cap: Option<i64>,
    /// Whether it pays.
    pub enabled: bool,
}

/// A community's earning rules.
#[derive(Debug, Serialize, ToSchema)]
pub struct RulesView {
    /// Community.
    pub community_id: i64,
    /// Rules by action.
    pub rules: Vec<RuleView>,
}

/// `POST /communities/{id}/points/adjustments`.
#[derive(Debug, Deserialize, Serialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustmentInput {
    /// Whose points.
    #[validate(range(min = 1, message = "用户编号无效"))]
    pub user_id: i64,
    /// Signed change, not zero.
    #[validate(range(min = -100000, max = 100000, message = "调整数额须在 -100000 到 100000 之间"))]
    pub delta: i64,
    /// Why (kept in the ledger and the audit log).
    #[serde(deserialize_with = "crate::fields::trimmed")]
    #[validate(
        length(min = 1, max = 200, message = "调整原因须为1到200个字符"),
        custom(function = "crate::text::name")
    )]
    pub reason: String,
}

/// An adjustment done.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdjustmentView {
    /// The ledger entry.
    pub entry: EntryView,
    /// The user's balance after it.
    pub balance: i64,
}

/// Leaderboard period.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// This calendar month (Asia/Shanghai).
    Month,
    /// This calendar year.
    Year,
}

/// `GET /communities/{id}/points/leaderboard`.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LeaderboardQuery {
    /// `month` (default) or `year`.
    pub period: Option<Period>,
    /// How many, 1 to 100 (default 20).
    #[validate(range(min = 1, max = 100, message = "数量须在 1 到 100 之间"))]
    pub limit: Option<u64>,
}

/// One leaderboard line.
#[derive(Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq, Clone)]
pub struct LeaderboardEntry {
    /// 1-based rank; ties share no rank (earlier users first).
    pub rank: u64,
    /// Masked display name, e.g. `张*`.
    pub nickname: String,
    /// Points earned in the period.
    pub points: i64,
}

/// Top earners of a community: the list shape (`items`, `next_cursor`) with the period it
/// ranks. A top list of at most `limit` (up to 100) entries, not paged: `next_cursor` is
/// always null, so a client reads it as any other list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Leaderboard {
    /// Community.
    pub community_id: i64,
    /// The period.
    pub period: Period,
    /// First day of the period, a date in Asia/Shanghai (`2026-12-01` for December 2026,
    /// `2026-01-01` for the year): a day, not an instant.
    pub since: chrono::NaiveDate,
    /// Top earners, best first.
    pub items: Vec<LeaderboardEntry>,
    /// Always null: the leaderboard is one page (ask for up to 100 with `limit`).
    pub next_cursor: Option<String>,
}

/// `GET /streets/{id}/points/adjustments`.
#[derive(Debug, Deserialize, Validate, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StreetAdjustmentsQuery {
    /// First day (Asia/Shanghai), e.g. `2026-11-01`.
    #[validate(custom(function = "crate::time_format::plausible_day"))]
    pub from: Option<chrono::NaiveDate>,
    /// Last day (Asia/Shanghai), included.
    #[validate(custom(function = "crate::time_format::plausible_day"))]
    pub to: Option<chrono::NaiveDate>,
    /// Only the adjustments made by this staff member.
    #[validate(range(min = 1, message = "工作人员编号无效"))]
    pub staff_id: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 100 (default 20).
    #[validate(range(min = 1, max = 100, message = "每页数量须在 1 到 100 之间"))]
    pub limit: Option<u64>,
}

/// One adjustment as the street sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdjustmentRecord {
    /// Ledger entry id.
    pub id: i64,
    /// Community whose staff made it.
    pub community_id: i64,
    /// Its name.
    pub community_name: String,
    /// Whose points.
    pub user_id: i64,
    /// Their masked name, e.g. `张*`.
    pub user_name: String,
    /// Signed change.
    pub delta: i64,
    /// The user's balance right after.
    pub balance_after: i64,
    /// Why.
    pub reason: String,
    /// Staff member who made it.
    pub staff_id: Option<i64>,
    /// Their name.
    pub staff_name: Option<String>,
    /// When.
    #[serde(with = "crate::time_format")]
    pub created_at: chrono::DateTime<chrono::Utc>,
}
