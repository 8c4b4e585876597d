//! On-site check-ins: one per volunteer, community and day (Asia/Shanghai), proved by the
//! rotating code or a location inside the geofence (`evidence`), credited through the
//! ledger's `award` exactly once, and held for staff when the travel from the volunteer's
//! previous check-in is implausible.

use chrono::{DateTime, Duration, Utc};
use entity::{checkins, communities};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use super::{
    code::CheckinCodes,
    dto::{CheckinStatus, CheckinView, CreateCheckin},
    evidence::{self, Fix, Site},
    registrations::require_volunteer,
};
use crate::{
    cache::Cache,
    clock::LOCAL_TZ,
    db::Db,
    error::{is_unique_violation, ApiError, ApiResult, ErrorCode},
    pagination::{Page, PageQuery},
    points::{
        self,
        ledger::{self, Award, AwardOutcome},
    },
    regions::geo::haversine_m,
};

/// Travel faster than this between two check-ins is implausible (km/h).
pub const MAX_PLAUSIBLE_KMH: f64 = 120.0;
/// How long coordinates are kept for the speed check.
pub const KEEP_COORDINATES: Duration = Duration::days(7);
/// The most accuracy (metres) granted to each fix when judging travel.
const MOST_SLACK_M: f64 = 200.0;

/// Who checks in, and with what.
pub struct Attempt<'a> {
    /// The volunteer.
    pub user_id: i64,
    /// What the phone sent.
    pub input: &'a CreateCheckin,
}

/// Records a check-in: 403 unless an approved volunteer of the community, 422 when the
/// evidence fails, 409 `already_checked_in` on the same local day. Awards the community's
/// `checkin` rule unless flagged.
pub async fn check_in(
    db: &Db,
    cache: &Cache,
    codes: &CheckinCodes,
    now: DateTime<Utc>,
    attempt: Attempt<'_>,
) -> ApiResult<CheckinView> {
    let input = attempt.input;
    let user_id = attempt.user_id;
    if input.code.is_some() {
        evidence::charge_code(cache, user_id, input.community_id).await?;
    }
    // Everything on one connection, in one transaction: its reads cost no pool round trips.
    let txn = db.begin_write().await?;
    let community = communities::Entity::find_by_id(input.community_id)
        .one(&*txn)
        .await?
        .ok_or_else(|| ApiError::not_found("community"))?;
    require_volunteer(&*txn, user_id, community.id).await?;
    let fix = Fix {
        lat: input.lat,
        lng: input.lng,
        accuracy_m: input.accuracy_m,
    };
    let proof = evidence::verify(codes, &site(&community), fix, input.code.as_deref(), now)?;
    let local_day = local_day(now);
    // One volunteer's check-ins are decided one at a time: the speed check reads the
    // previous one. A second check-in of the day fails on the unique index (409).
    ledger::lock_wallet(&*txn, user_id, now).await?;
    let speed = implied_speed_kmh(&*txn, user_id, fix, now).await?;
    let flagged = speed.is_some_and(|s| s > MAX_PLAUSIBLE_KMH);
    let inserted = checkins::ActiveModel {
        user_id: Set(user_id),
        community_id: Set(community.id),
        local_day: Set(local_day),
        evidence: Set(proof.evidence),
        distance_m: Set(proof.distance_m),
        accuracy_m: Set(input.accuracy_m.map(|a| a.round() as i32)),
        status: Set(if flagged {
            CheckinStatus::Flagged
        } else {
            CheckinStatus::Accepted
        }),
        speed_kmh: Set(speed.filter(|_| flagged).map(|s| s.min(1e6).round() as i32)),
        points_awarded: Set(0),
        lat: Set(Some(input.lat)),
        lng: Set(Some(input.lng)),
        reviewed_by: Set(None),
        reviewed_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&*txn)
    .await;
    let mut checkin = match inserted {
        Ok(c) => c,
        Err(e) if is_unique_violation(&e) => return Err(already_checked_in()),
        Err(e) => return Err(e.into()),
    };
    if !flagged {
        checkin.points_awarded = credit(&*txn, now, &checkin).await?;
    }
    txn.commit().await?;
    if checkin.points_awarded > 0 {
        points::changed(cache, user_id, community.id).await;
    }
    tracing::info!(
        checkin_id = checkin.id,
        community_id = community.id,
        evidence = ?proof.evidence,
        flagged,
        "checked in"
    );
    Ok(view(&checkin))
}

/// The geofence and code rule of a community.
pub fn site(community: &communities::Model) -> Site<'_> {
    Site {
        community_id: community.id,
        lat: community.lat,
        lng: community.lng,
        radius_m: f64::from(community.checkin_radius_m),
        boundary: community.boundary.as_deref(),
        requires_code: community.checkin_requires_code,
    }
}

/// Credits the community's `checkin` rule for a counted check-in, once (keyed by its id),
/// and records the points on the row; answers the points credited.
pub(super) async fn credit<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    checkin: &checkins::Model,
) -> ApiResult<i64> {
    let key = format!("checkin:{}", checkin.id);
    let outcome = ledger::award(
        db,
        now,
        Award {
            user_id: checkin.user_id,
            community_id: checkin.community_id,
            action: "checkin",
            reference: Some(("checkin", checkin.id)),
            idempotency_key: &key,
            amount: None,
        },
    )
    .await?;
    let points = match outcome {
        AwardOutcome::Awarded(entry) | AwardOutcome::AlreadyAwarded(entry) => entry.amount,
        AwardOutcome::Capped | AwardOutcome::NoRule => 0,
    };
    if points != 0 {
        checkins::Entity::update_many()
            .col_expr(checkins::Column::PointsAwarded, Expr::value(points))
            .filter(checkins::Column::Id.eq(checkin.id))
            .exec(db)
            .await?;
    }
    Ok(points)
}

/// The speed implied by travel from the volunteer's latest check-in that still has its
/// coordinates and was not rejected by staff, granting each fix its reported accuracy (at
/// most 200 m).
async fn implied_speed_kmh<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    fix: Fix,
    now: DateTime<Utc>,
) -> ApiResult<Option<f64>> {
    let previous = checkins::Entity::find()
        .filter(checkins::Column::UserId.eq(user_id))
        .filter(checkins::Column::Lat.is_not_null())
        .filter(checkins::Column::Status.ne(CheckinStatus::Rejected))
        .filter(checkins::Column::CreatedAt.gte(now - KEEP_COORDINATES))
        .order_by_desc(checkins::Column::Id)
        .one(db)
        .await?;
    let Some(previous) = previous else {
        return Ok(None);
    };
    let (Some(lat), Some(lng)) = (previous.lat, previous.lng) else {
        return Ok(None);
    };
    let slack = fix.accuracy_m.unwrap_or(0.0).min(MOST_SLACK_M)
        + previous.accuracy_m.map_or(0.0, f64::from).min(MOST_SLACK_M);
    let metres = (haversine_m(lat, lng, fix.lat, fix.lng) - slack).max(0.0);
    let seconds = (now - previous.created_at).num_milliseconds().max(1000) as f64 / 1000.0;
    Ok(Some(metres / seconds * 3.6))
}

/// The local day (Asia/Shanghai) of an instant, `YYYY-MM-DD`.
pub fn local_day(at: DateTime<Utc>) -> String {
    at.with_timezone(&LOCAL_TZ).format("%Y-%m-%d").to_string()
}

/// The volunteer's check-ins, newest first.
pub async fn list_mine<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    page: PageQuery,
) -> ApiResult<Page<CheckinView>> {
    let mut select = checkins::Entity::find()
        .filter(checkins::Column::UserId.eq(user_id))
        .order_by_desc(checkins::Column::Id)
        .limit(page.limit() + 1);
    if let Some(before) = page.before_id()? {
        select = select.filter(checkins::Column::Id.lt(before));
    }
    let mut page = Page::from_rows(select.all(db).await?, page.limit(), |c| c.id);
    let items = std::mem::take(&mut page.items).iter().map(view).collect();
    Ok(page.with_items(items))
}

fn already_checked_in() -> ApiError {
    ApiError::conflict(ErrorCode::AlreadyCheckedIn, "今天已在本社区签到过了")
}

/// The response shape of a check-in.
pub(super) fn view(c: &checkins::Model) -> CheckinView {
    CheckinView {
        id: c.id,
        community_id: c.community_id,
        local_day: c.local_day.clone(),
        evidence: c.evidence,
        distance_m: c.distance_m,
        status: c.status,
        points_awarded: c.points_awarded,
        speed_kmh: c.speed_kmh,
        created_at: c.created_at,
        reviewed_at: c.reviewed_at,
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn the_day_is_shanghais() {
        let at = |h, m| Utc.with_ymd_and_hms(2026, 12, 3, h, m, 0).unwrap();
        assert_eq!(local_day(at(15, 59)), "2026-12-03");
        assert_eq!(local_day(at(16, 1)), "2026-12-04");
    }
}
