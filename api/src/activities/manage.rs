//! Activities as staff publish, edit and cancel them, and as anyone reads them (no login):
//! a community's activities by start, and one activity with its places left.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use entity::activities::{self, ActivityStatus};
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::dto::{
    ActivityView, CreateActivity, ListActivitiesQuery, UpdateActivity, VolunteerKind,
};
use crate::{
    audit::{self, Audit},
    auth::{
        scope::{find_managed_community, managed_community},
        Caller,
    },
    clock::local_day_start,
    db::Db,
    error::{ApiError, ApiResult, ErrorCode, FieldErrors},
    pagination::{bad_cursor, opaque, Page, PageQuery},
};

/// The longest an activity may last.
pub const LONGEST: Duration = Duration::hours(24);
/// The furthest ahead an activity may be published.
pub const FURTHEST: Duration = Duration::days(366);

/// Publishes an activity in a community the caller manages; audited.
pub async fn create(
    db: &Db,
    caller: &Caller,
    now: DateTime<Utc>,
    community_id: i64,
    input: CreateActivity,
) -> ApiResult<ActivityView> {
    let community = managed_community(db.conn(), caller, community_id).await?;
    let mut errs = FieldErrors::new();
    errs.check(input.starts_at > now, "starts_at", "开始时间须晚于现在");
    check_times(&mut errs, now, input.starts_at, input.ends_at);
    check_points(&mut errs, input.points_per_hour, input.points_fixed);
    errs.finish()?;
    let txn = db.begin_write().await?;
    let activity = activities::ActiveModel {
        community_id: Set(community.id),
        title: Set(input.title.clone()),
        description: Set(input.description.clone()),
        location: Set(input.location.clone()),
        lat: Set(input.lat),
        lng: Set(input.lng),
        // Whole milliseconds, as on the wire and in the list's cursor.
        starts_at: Set(input.starts_at.trunc_subsecs(3)),
        ends_at: Set(input.ends_at.trunc_subsecs(3)),
        capacity: Set(input.capacity),
        taken: Set(0),
        points_per_hour: Set(input.points_per_hour),
        points_fixed: Set(input.points_fixed),
        kinds_allowed: Set(kinds_text(input.kinds_allowed.as_deref())),
        status: Set(ActivityStatus::Open),
        created_by: Set(caller.id()),
        cancelled_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&*txn)
    .await?;
    audit::record(
        &*txn,
        now,
        Audit {
            actor_id: caller.id(),
            action: "activity.create",
            object_type: "activity",
            object_id: activity.id,
            community_id: Some(community.id),
            detail: serde_json::json!(input),
        },
    )
    .await?;
    txn.commit().await?;
    view(&activity)
}

/// Edits an open activity of a community the caller manages; the times only before it
/// starts, the capacity never below the places taken; audited.
pub async fn update(
    db: &Db,
    caller: &Caller,
    now: DateTime<Utc>,
    activity_id: i64,
    input: UpdateActivity,
) -> ApiResult<ActivityView> {
    let activity = managed_activity(db.conn(), caller, activity_id).await?;
    if activity.status == ActivityStatus::Cancelled {
        return Err(cancelled());
    }
    let starts_at = input
        .starts_at
        .unwrap_or(activity.starts_at)
        .trunc_subsecs(3);
    let ends_at = input.ends_at.unwrap_or(activity.ends_at).trunc_subsecs(3);
    let mut errs = FieldErrors::new();
    if input.starts_at.is_some() || input.ends_at.is_some() {
        errs.check(
            activity.starts_at > now,
            "starts_at",
            "活动已开始，不能再改时间",
        );
        errs.check(starts_at > now, "starts_at", "开始时间须晚于现在");
        check_times(&mut errs, now, starts_at, ends_at);
    }
    if input.points_per_hour.is_some() && input.points_fixed.is_some() {
        check_points(&mut errs, input.points_per_hour, input.points_fixed);
    }
    errs.finish()?;

    let mut update = activities::Entity::update_many()
        .col_expr(activities::Column::UpdatedAt, Expr::value(now))
        .filter(activities::Column::Id.eq(activity.id))
        .filter(activities::Column::Status.eq(ActivityStatus::Open));
    let retimed = input.starts_at.is_some() || input.ends_at.is_some();
    if retimed {
        // Only the times that were read are replaced, and only before the start: a
        // concurrent edit of the times answers 409 instead of being undone.
        update = update
            .col_expr(activities::Column::StartsAt, Expr::value(starts_at))
            .col_expr(activities::Column::EndsAt, Expr::value(ends_at))
            .filter(activities::Column::StartsAt.eq(activity.starts_at))
            .filter(activities::Column::EndsAt.eq(activity.ends_at))
            .filter(activities::Column::StartsAt.gt(now));
    }
    if let Some(title) = &input.title {
        update = update.col_expr(activities::Column::Title, Expr::value(title));
    }
    if let Some(description) = &input.description {
        update = update.col_expr(activities::Column::Description, Expr::value(description));
    }
    if let Some(location) = &input.location {
        update = update.col_expr(activities::Column::Location, Expr::value(location));
    }
    if let Some(lat) = input.lat {
        update = update.col_expr(activities::Column::Lat, Expr::value(lat));
    }
    if let Some(lng) = input.lng {
        update = update.col_expr(activities::Column::Lng, Expr::value(lng));
    }
    if let Some(capacity) = input.capacity {
        // Conditional: a sign-up committed since the read cannot be squeezed out.
        update = update
            .col_expr(activities::Column::Capacity, Expr::value(capacity))
            .filter(activities::Column::Taken.lte(capacity));
    }
    if let Some(points) = input.points_per_hour {
        update = update
            .col_expr(activities::Column::PointsPerHour, Expr::value(points))
            .col_expr(activities::Column::PointsFixed, Expr::value(None::<i64>));
    }
    if let Some(points) = input.points_fixed {
        update = update
            .col_expr(activities::Column::PointsFixed, Expr::value(points))
            .col_expr(activities::Column::PointsPerHour, Expr::value(None::<i64>));
    }
    if let Some(kinds) = &input.kinds_allowed {
        update = update.col_expr(
            activities::Column::KindsAllowed,
            Expr::value(kinds_text(kinds.as_deref())),
        );
    }
    let txn = db.begin_write().await?;
    let Some(updated) = update.exec_with_returning(&*txn).await?.into_iter().next() else {
        let now_row = activities::Entity::find_by_id(activity.id)
            .one(&*txn)
            .await?
            .ok_or_else(|| ApiError::not_found("activity"))?;
        if now_row.status == ActivityStatus::Cancelled {
            return Err(cancelled());
        }
        let moved = (now_row.starts_at, now_row.ends_at) != (activity.starts_at, activity.ends_at);
        if retimed && (moved || now_row.starts_at <= now) {
            return Err(ApiError::conflict(
                ErrorCode::EditConflict,
                "活动时间刚被他人修改或活动已开始，请刷新后重试",
            ));
        }
        return Err(ApiError::field("capacity", "名额不能少于已报名人数"));
    };
    audit::record(
        &*txn,
        now,
        Audit {
            actor_id: caller.id(),
            action: "activity.update",
            object_type: "activity",
            object_id: activity.id,
            community_id: Some(activity.community_id),
            detail: serde_json::json!(input),
        },
    )
    .await?;
    txn.commit().await?;
    view(&updated)
}

/// Cancels an open activity that has not ended; audited. Sign-ups stay on record.
pub async fn cancel(
    db: &Db,
    caller: &Caller,
    now: DateTime<Utc>,
    activity_id: i64,
) -> ApiResult<ActivityView> {
    let activity = managed_activity(db.conn(), caller, activity_id).await?;
    if activity.status == ActivityStatus::Cancelled {
        return Err(cancelled());
    }
    if activity.ends_at <= now {
        return Err(ApiError::conflict(
            ErrorCode::ActivityEnded,
            "活动已结束，不能取消",
        ));
    }
    let txn = db.begin_write().await?;
    let updated = activities::Entity::update_many()
        .col_expr(
            activities::Column::Status,
            Expr::value(ActivityStatus::Cancelled),
        )
        .col_expr(activities::Column::CancelledAt, Expr::value(now))
        .col_expr(activities::Column::UpdatedAt, Expr::value(now))
        .filter(activities::Column::Id.eq(activity.id))
        .filter(activities::Column::Status.eq(ActivityStatus::Open))
        .exec_with_returning(&*txn)
        .await?
        .into_iter()
        .next()
        .ok_or_else(cancelled)?;
    audit::record(
        &*txn,
        now,
        Audit {
            actor_id: caller.id(),
            action: "activity.cancel",
            object_type: "activity",
            object_id: activity.id,
            community_id: Some(activity.community_id),
            detail: serde_json::json!({}),
        },
    )
    .await?;
    txn.commit().await?;
    view(&updated)
}

/// One activity, for anyone.
pub async fn get<C: ConnectionTrait>(db: &C, activity_id: i64) -> ApiResult<ActivityView> {
    view(&find(db, activity_id).await?)
}

/// A community's activities for anyone, by start then id, optionally starting within the
/// Asia/Shanghai days `from`..=`to`.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    community_id: i64,
    query: ListActivitiesQuery,
) -> ApiResult<Page<ActivityView>> {
    let mut errs = FieldErrors::new();
    if let (Some(from), Some(to)) = (query.from, query.to) {
        errs.check(from <= to, "to", "结束日期不能早于开始日期");
    }
    errs.finish()?;
    entity::communities::Entity::find_by_id(community_id)
        .select_only()
        .column(entity::communities::Column::Id)
        .into_tuple::<i64>()
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("community"))?;
    let page = PageQuery::new(query.cursor, query.limit);
    let mut select = activities::Entity::find()
        .filter(activities::Column::CommunityId.eq(community_id))
        .order_by_asc(activities::Column::StartsAt)
        .order_by_asc(activities::Column::Id)
        .limit(page.limit() + 1);
    if let Some(from) = query.from {
        select = select.filter(activities::Column::StartsAt.gte(local_day_start(from)));
    }
    if let Some(to) = query.to.and_then(|to| to.succ_opt()) {
        select = select.filter(activities::Column::StartsAt.lt(local_day_start(to)));
    }
    if let Some(cursor) = page.cursor() {
        let key = opaque::decode::<16>(cursor)?;
        let millis = i64::from_be_bytes(key[..8].try_into().map_err(|_| bad_cursor())?);
        let id = i64::from_be_bytes(key[8..].try_into().map_err(|_| bad_cursor())?);
        let at = DateTime::<Utc>::from_timestamp_millis(millis).ok_or_else(bad_cursor)?;
        select = select.filter(
            Condition::any()
                .add(activities::Column::StartsAt.gt(at))
                .add(
                    Condition::all()
                        .add(activities::Column::StartsAt.eq(at))
                        .add(activities::Column::Id.gt(id)),
                ),
        );
    }
    let mut page = Page::from_rows_keyed(select.all(db).await?, page.limit(), |a| {
        let mut key = [0u8; 16];
        key[..8].copy_from_slice(&a.starts_at.timestamp_millis().to_be_bytes());
        key[8..].copy_from_slice(&a.id.to_be_bytes());
        opaque::encode(&key)
    });
    let items = std::mem::take(&mut page.items)
        .iter()
        .map(view)
        .collect::<ApiResult<_>>()?;
    Ok(page.with_items(items))
}

/// The activity, or 404.
pub async fn find<C: ConnectionTrait>(db: &C, activity_id: i64) -> ApiResult<activities::Model> {
    activities::Entity::find_by_id(activity_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("activity"))
}

/// The activity, if the caller manages its community; otherwise 404.
pub async fn managed_activity<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    activity_id: i64,
) -> ApiResult<activities::Model> {
    let activity = find(db, activity_id).await?;
    find_managed_community(db, caller, activity.community_id)
        .await?
        .ok_or_else(|| ApiError::not_found("activity"))?;
    Ok(activity)
}

/// 409 `activity_cancelled`.
pub fn cancelled() -> ApiError {
    ApiError::conflict(ErrorCode::ActivityCancelled, "活动已取消")
}

fn check_times(
    errs: &mut FieldErrors,
    now: DateTime<Utc>,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
) {
    errs.check(
        now.checked_add_signed(FURTHEST)
            .is_some_and(|furthest| starts_at <= furthest),
        "starts_at",
        "开始时间不能晚于一年以后",
    );
    errs.check(ends_at > starts_at, "ends_at", "结束时间须晚于开始时间");
    errs.check(
        ends_at - starts_at <= LONGEST,
        "ends_at",
        "活动时长不能超过24小时",
    );
}

fn check_points(errs: &mut FieldErrors, per_hour: Option<i64>, fixed: Option<i64>) {
    errs.check(
        per_hour.is_some() != fixed.is_some(),
        "points_fixed",
        "每小时积分和固定积分须且只能填写一项",
    );
}

/// The stored form of the allowed kinds: a JSON array, or null for every kind.
fn kinds_text(kinds: Option<&[VolunteerKind]>) -> Option<String> {
    kinds.map(|k| serde_json::to_string(k).unwrap_or_else(|_| "[]".to_owned()))
}

/// The allowed kinds of an activity (None: every kind).
pub fn kinds_allowed(activity: &activities::Model) -> ApiResult<Option<Vec<VolunteerKind>>> {
    activity
        .kinds_allowed
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(ApiError::internal)
}

/// The response shape of an activity.
pub fn view(a: &activities::Model) -> ApiResult<ActivityView> {
    Ok(ActivityView {
        id: a.id,
        community_id: a.community_id,
        title: a.title.clone(),
        description: a.description.clone(),
        location: a.location.clone(),
        lat: a.lat,
        lng: a.lng,
        starts_at: a.starts_at,
        ends_at: a.ends_at,
        capacity: a.capacity,
        taken: a.taken,
        places_left: match a.status {
            ActivityStatus::Open => (a.capacity - a.taken).max(0),
            ActivityStatus::Cancelled => 0,
        },
        points_per_hour: a.points_per_hour,
        points_fixed: a.points_fixed,
        kinds_allowed: kinds_allowed(a)?,
        status: a.status,
        created_at: a.created_at,
    })
}
