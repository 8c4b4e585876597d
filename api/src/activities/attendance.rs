//! Staff confirm who came and for how long, all or nothing, in one transaction: each
//! volunteer's hours and points are recorded exactly once per activity, however often (or
//! concurrently) the attendance is confirmed. The sign-up's conditional update
//! (`confirmed_at IS NULL`) decides who is confirmed now; the ledger's key
//! `activity:{id}:{user}` pays once even so. Confirmed hours go into `service_monthly`
//! in the same transaction (`records`).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use entity::{activities::ActivityStatus, activity_signups as signups};
use sea_orm::{sea_query::Expr, ColumnTrait, EntityTrait, QueryFilter};

use super::{
    dto::{centi_to_hours, hours_to_centi, AttendanceResult, AttendanceView, ConfirmAttendance},
    manage::{cancelled, managed_activity},
    records,
};
use crate::{
    audit::{self, Audit},
    auth::Caller,
    cache::Cache,
    db::Db,
    error::{ApiError, ApiResult, ErrorCode, FieldErrors},
    points::{
        self,
        ledger::{self, Award, AwardOutcome},
    },
};

/// Hours confirmed may pass the activity's length by this much (volunteers who stay on).
pub const SLACK: Duration = Duration::hours(1);

/// Confirms the hours of volunteers who signed up; 403 `self_review_forbidden` when the
/// caller lists themselves, 422 naming `entries[i].…` for anyone not signed up or hours
/// past the activity's length (plus an hour), and then nothing is written.
pub async fn confirm(
    db: &Db,
    cache: &Cache,
    caller: &Caller,
    now: DateTime<Utc>,
    activity_id: i64,
    input: ConfirmAttendance,
) -> ApiResult<AttendanceView> {
    let activity = managed_activity(db.conn(), caller, activity_id).await?;
    if input.entries.iter().any(|e| e.user_id == caller.id()) {
        return Err(ApiError::self_review_forbidden());
    }
    if activity.status == ActivityStatus::Cancelled {
        return Err(cancelled());
    }
    if activity.starts_at > now {
        return Err(ApiError::conflict(
            ErrorCode::ActivityNotStarted,
            "活动尚未开始，不能确认服务时长",
        ));
    }
    let most_centi = ((activity.ends_at - activity.starts_at) + SLACK).num_seconds() / 36;
    let txn = db.begin_write().await?;
    let signed_up: HashMap<i64, signups::Model> = signups::Entity::find()
        .filter(signups::Column::ActivityId.eq(activity.id))
        .filter(signups::Column::UserId.is_in(input.entries.iter().map(|e| e.user_id)))
        .all(&*txn)
        .await?
        .into_iter()
        .map(|s| (s.user_id, s))
        .collect();
    let mut errs = FieldErrors::new();
    let mut seen = HashSet::new();
    for (i, entry) in input.entries.iter().enumerate() {
        errs.check(
            seen.insert(entry.user_id),
            &format!("entries[{i}].user_id"),
            "同一志愿者只能出现一次",
        );
        errs.check(
            signed_up.contains_key(&entry.user_id),
            &format!("entries[{i}].user_id"),
            "该用户没有报名本活动",
        );
        errs.check(
            hours_to_centi(entry.hours) <= most_centi,
            &format!("entries[{i}].hours"),
            format!(
                "服务时长不能超过活动时长加1小时（{}小时）",
                centi_to_hours(most_centi)
            ),
        );
    }
    errs.finish()?;

    // In ascending user order, so two confirmations lock wallets in one order.
    let mut order: Vec<usize> = (0..input.entries.len()).collect();
    order.sort_by_key(|&i| input.entries[i].user_id);
    let mut results: Vec<Option<AttendanceResult>> = input.entries.iter().map(|_| None).collect();
    let mut paid = Vec::new();
    for i in order {
        let entry = &input.entries[i];
        let signup = &signed_up[&entry.user_id];
        let centi = hours_to_centi(entry.hours);
        let first = signups::Entity::update_many()
            .col_expr(signups::Column::HoursCenti, Expr::value(centi))
            .col_expr(signups::Column::ConfirmedBy, Expr::value(caller.id()))
            .col_expr(signups::Column::ConfirmedAt, Expr::value(now))
            .filter(signups::Column::Id.eq(signup.id))
            .filter(signups::Column::ConfirmedAt.is_null())
            .exec(&*txn)
            .await?
            .rows_affected
            == 1;
        if !first {
            let earlier = signups::Entity::find_by_id(signup.id)
                .one(&*txn)
                .await?
                .ok_or_else(|| ApiError::not_found("activity"))?;
            results[i] = Some(AttendanceResult {
                user_id: entry.user_id,
                hours: centi_to_hours(earlier.hours_centi.unwrap_or(0)),
                points_awarded: earlier.points_awarded,
                already_confirmed: true,
            });
            continue;
        }
        let amount = match (activity.points_fixed, activity.points_per_hour) {
            (Some(fixed), _) => fixed,
            (None, Some(per_hour)) => (centi * per_hour + 50).div_euclid(100),
            (None, None) => 0,
        };
        let mut points = 0;
        if amount > 0 {
            let key = format!("activity:{}:{}", activity.id, entry.user_id);
            let outcome = ledger::award(
                &*txn,
                now,
                Award {
                    user_id: entry.user_id,
                    community_id: activity.community_id,
                    action: "activity_hour",
                    reference: Some(("activity", activity.id)),
                    idempotency_key: &key,
                    amount: Some(amount),
                },
            )
            .await?;
            points = match outcome {
                AwardOutcome::Awarded(entry) => {
                    paid.push(entry.user_id);
                    entry.amount
                }
                AwardOutcome::AlreadyAwarded(entry) => entry.amount,
                AwardOutcome::Capped | AwardOutcome::NoRule => 0,
            };
            if points != 0 {
                signups::Entity::update_many()
                    .col_expr(signups::Column::PointsAwarded, Expr::value(points))
                    .filter(signups::Column::Id.eq(signup.id))
                    .exec(&*txn)
                    .await?;
            }
        }
        records::record(
            &*txn,
            activity.starts_at,
            entry.user_id,
            activity.community_id,
            centi,
        )
        .await?;
        results[i] = Some(AttendanceResult {
            user_id: entry.user_id,
            hours: centi_to_hours(centi),
            points_awarded: points,
            already_confirmed: false,
        });
    }
    let results: Vec<AttendanceResult> = results.into_iter().flatten().collect();
    audit::record(
        &*txn,
        now,
        Audit {
            actor_id: caller.id(),
            action: "activity.attendance",
            object_type: "activity",
            object_id: activity.id,
            community_id: Some(activity.community_id),
            detail: serde_json::json!({
                "confirmed": results
                    .iter()
                    .filter(|r| !r.already_confirmed)
                    .map(|r| serde_json::json!({"user_id": r.user_id, "hours": r.hours, "points": r.points_awarded}))
                    .collect::<Vec<_>>(),
            }),
        },
    )
    .await?;
    txn.commit().await?;
    for user_id in paid {
        points::changed(cache, user_id, activity.community_id).await;
    }
    tracing::info!(
        activity_id = activity.id,
        entries = results.len(),
        "attendance confirmed"
    );
    Ok(AttendanceView {
        activity_id: activity.id,
        results,
    })
}
