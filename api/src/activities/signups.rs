//! Volunteers sign up for activities, withdraw before they start, and check in and out on
//! site. Places are taken by a conditional update (`taken < capacity`) in the transaction
//! that inserts the sign-up, so a full activity never takes one more, however many sign up
//! at once; the unique (activity, user) index stops a second sign-up of the same person.

use chrono::{DateTime, Duration, Utc};
use entity::{
    activities::{self, ActivityStatus},
    activity_signups as signups, communities,
};
use sea_orm::{
    sea_query::{Expr, ExprTrait},
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set,
};

use super::{
    dto::{ActivityCheckin, SignupView},
    manage::{cancelled, find, kinds_allowed},
};
use crate::{
    cache::Cache,
    db::Db,
    error::{is_unique_violation, ApiError, ApiResult, ErrorCode},
    volunteers::{
        code::CheckinCodes,
        evidence::{self, Fix, Site},
        registrations::require_volunteer,
    },
};

/// How long before the start check-ins open.
pub const CHECKIN_OPENS_BEFORE: Duration = Duration::minutes(30);
/// How long after the end check-outs stay open.
pub const CHECKOUT_CLOSES_AFTER: Duration = Duration::hours(2);

/// Signs the caller up: 403 unless an approved volunteer of the activity's community of an
/// allowed kind, 409 when cancelled, started, full or signed up already.
pub async fn sign_up(
    db: &Db,
    user_id: i64,
    now: DateTime<Utc>,
    activity_id: i64,
) -> ApiResult<SignupView> {
    let activity = find(db.conn(), activity_id).await?;
    let kinds = require_volunteer(db.conn(), user_id, activity.community_id).await?;
    if let Some(allowed) = kinds_allowed(&activity)? {
        if !kinds.iter().any(|k| allowed.contains(k)) {
            return Err(ApiError::refused(
                ErrorCode::VolunteerKindNotAllowed,
                "本活动不接受您这类志愿者报名",
            ));
        }
    }
    open_for_signups(&activity, now)?;
    let txn = db.begin_write().await?;
    // The write comes first (SQLite: no snapshot to go stale; PostgreSQL: the row lock
    // orders the sign-ups of one activity).
    let took = activities::Entity::update_many()
        .col_expr(
            activities::Column::Taken,
            Expr::col(activities::Column::Taken).add(1),
        )
        .filter(activities::Column::Id.eq(activity.id))
        .filter(activities::Column::Status.eq(ActivityStatus::Open))
        .filter(activities::Column::StartsAt.gt(now))
        .filter(Expr::col(activities::Column::Taken).lt(Expr::col(activities::Column::Capacity)))
        .exec(&*txn)
        .await?;
    if took.rows_affected == 0 {
        let current = find(&*txn, activity.id).await?;
        open_for_signups(&current, now)?;
        return Err(ApiError::conflict(ErrorCode::ActivityFull, "活动名额已满"));
    }
    let inserted = signups::ActiveModel {
        activity_id: Set(activity.id),
        user_id: Set(user_id),
        checked_in_at: Set(None),
        checkin_evidence: Set(None),
        checked_out_at: Set(None),
        checkout_evidence: Set(None),
        hours_centi: Set(None),
        points_awarded: Set(0),
        confirmed_by: Set(None),
        confirmed_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&*txn)
    .await;
    let signup = match inserted {
        Ok(s) => s,
        // Dropping the transaction gives the place back.
        Err(e) if is_unique_violation(&e) => {
            return Err(ApiError::conflict(
                ErrorCode::AlreadySignedUp,
                "您已报名该活动",
            ))
        }
        Err(e) => return Err(e.into()),
    };
    txn.commit().await?;
    tracing::info!(
        activity_id = activity.id,
        signup_id = signup.id,
        "signed up"
    );
    Ok(view(&signup))
}

/// Withdraws the caller's sign-up before the activity starts and frees its place, in one
/// transaction; 404 when not signed up.
pub async fn withdraw(
    db: &Db,
    user_id: i64,
    now: DateTime<Utc>,
    activity_id: i64,
) -> ApiResult<()> {
    let activity = find(db.conn(), activity_id).await?;
    if activity.starts_at <= now {
        return Err(started());
    }
    let txn = db.begin_write().await?;
    // The activity row first, as a sign-up takes it: the same lock order, so one user's
    // withdrawal and sign-up racing each other wait instead of deadlocking on PostgreSQL.
    activities::Entity::update_many()
        .col_expr(
            activities::Column::Taken,
            Expr::col(activities::Column::Taken),
        )
        .filter(activities::Column::Id.eq(activity.id))
        .exec(&*txn)
        .await?;
    let deleted = signups::Entity::delete_many()
        .filter(signups::Column::ActivityId.eq(activity.id))
        .filter(signups::Column::UserId.eq(user_id))
        .filter(signups::Column::CheckedInAt.is_null())
        .exec(&*txn)
        .await?;
    if deleted.rows_affected == 0 {
        let signup = find_signup(&*txn, activity.id, user_id).await?;
        return Err(match signup {
            Some(_) => already_checked_in(),
            None => ApiError::not_found("signup"),
        });
    }
    activities::Entity::update_many()
        .col_expr(
            activities::Column::Taken,
            Expr::col(activities::Column::Taken).sub(1),
        )
        .filter(activities::Column::Id.eq(activity.id))
        .exec(&*txn)
        .await?;
    txn.commit().await?;
    tracing::info!(activity_id = activity.id, "sign-up withdrawn");
    Ok(())
}

/// Which end of the visit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Visit {
    /// Arrival.
    CheckIn,
    /// Departure.
    CheckOut,
}

/// Checks the caller in or out on site, with the same evidence as a community check-in: a
/// location within the community's radius of the activity's meeting point, or the
/// community's rotating code (required when the community requires it).
pub async fn visit(
    db: &Db,
    cache: &Cache,
    codes: &CheckinCodes,
    user_id: i64,
    now: DateTime<Utc>,
    (activity_id, visit): (i64, Visit),
    input: &ActivityCheckin,
) -> ApiResult<SignupView> {
    let activity = find(db.conn(), activity_id).await?;
    let signup = find_signup(db.conn(), activity.id, user_id)
        .await?
        .ok_or_else(|| ApiError::refused(ErrorCode::NotSignedUp, "您没有报名该活动"))?;
    if activity.status == ActivityStatus::Cancelled {
        return Err(cancelled());
    }
    let (opens, closes) = match visit {
        Visit::CheckIn => (activity.starts_at - CHECKIN_OPENS_BEFORE, activity.ends_at),
        Visit::CheckOut => (
            activity.starts_at - CHECKIN_OPENS_BEFORE,
            activity
                .ends_at
                .checked_add_signed(CHECKOUT_CLOSES_AFTER)
                .unwrap_or(activity.ends_at),
        ),
    };
    if now < opens || now > closes {
        return Err(ApiError::conflict(
            ErrorCode::ActivityNotOpen,
            "不在活动签到时间内（开始前30分钟至结束，签退至结束后2小时）",
        ));
    }
    let community = communities::Entity::find_by_id(activity.community_id)
        .one(db.conn())
        .await?
        .ok_or_else(|| ApiError::not_found("activity"))?;
    let site = Site {
        community_id: community.id,
        lat: activity.lat,
        lng: activity.lng,
        radius_m: f64::from(community.checkin_radius_m),
        boundary: None,
        requires_code: community.checkin_requires_code,
    };
    let fix = Fix {
        lat: input.lat,
        lng: input.lng,
        accuracy_m: input.accuracy_m,
    };
    if input.code.is_some() {
        evidence::charge_code(cache, user_id, community.id).await?;
    }
    let proof = evidence::verify(codes, &site, fix, input.code.as_deref(), now)?;

    let txn = db.begin_write().await?;
    let update = signups::Entity::update_many().filter(signups::Column::Id.eq(signup.id));
    let update = match visit {
        Visit::CheckIn => update
            .col_expr(signups::Column::CheckedInAt, Expr::value(now))
            .col_expr(
                signups::Column::CheckinEvidence,
                Expr::value(proof.evidence),
            )
            .filter(signups::Column::CheckedInAt.is_null()),
        Visit::CheckOut => update
            .col_expr(signups::Column::CheckedOutAt, Expr::value(now))
            .col_expr(
                signups::Column::CheckoutEvidence,
                Expr::value(proof.evidence),
            )
            .filter(signups::Column::CheckedInAt.is_not_null())
            .filter(signups::Column::CheckedOutAt.is_null()),
    };
    let Some(updated) = update.exec_with_returning(&*txn).await?.into_iter().next() else {
        let current = find_signup(&*txn, activity.id, user_id)
            .await?
            .ok_or_else(|| ApiError::refused(ErrorCode::NotSignedUp, "您没有报名该活动"))?;
        return Err(match (visit, current.checked_in_at) {
            (Visit::CheckIn, _) => already_checked_in(),
            (Visit::CheckOut, None) => {
                ApiError::conflict(ErrorCode::NotCheckedIn, "请先签到再签退")
            }
            (Visit::CheckOut, Some(_)) => {
                ApiError::conflict(ErrorCode::AlreadyCheckedOut, "您已签退")
            }
        });
    };
    txn.commit().await?;
    tracing::info!(activity_id = activity.id, evidence = ?proof.evidence, ?visit, "activity visit");
    Ok(view(&updated))
}

/// The user's sign-up for the activity, if any.
pub async fn find_signup<C: ConnectionTrait>(
    db: &C,
    activity_id: i64,
    user_id: i64,
) -> ApiResult<Option<signups::Model>> {
    Ok(signups::Entity::find()
        .filter(signups::Column::ActivityId.eq(activity_id))
        .filter(signups::Column::UserId.eq(user_id))
        .one(db)
        .await?)
}

fn open_for_signups(activity: &activities::Model, now: DateTime<Utc>) -> ApiResult<()> {
    if activity.status == ActivityStatus::Cancelled {
        return Err(cancelled());
    }
    if activity.starts_at <= now {
        return Err(started());
    }
    Ok(())
}

fn started() -> ApiError {
    ApiError::conflict(
        ErrorCode::ActivityStarted,
        "活动已开始，报名和取消报名均已截止",
    )
}

fn already_checked_in() -> ApiError {
    ApiError::conflict(ErrorCode::AlreadyCheckedIn, "您已签到该活动")
}

/// The response shape of a sign-up.
pub fn view(s: &signups::Model) -> SignupView {
    SignupView {
        id: s.id,
        activity_id: s.activity_id,
        user_id: s.user_id,
        checked_in_at: s.checked_in_at,
        checkin_evidence: s.checkin_evidence,
        checked_out_at: s.checked_out_at,
        checkout_evidence: s.checkout_evidence,
        hours: s.hours_centi.map(super::dto::centi_to_hours),
        points_awarded: s.points_awarded,
        created_at: s.created_at,
    }
}
