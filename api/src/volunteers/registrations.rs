//! Registrations (报到) as their volunteer sees them, and who counts as a volunteer of a
//! community: the one place that rule is read (check-ins, activities, the supermarket).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{checkins, communities, points_monthly, volunteer_registrations as regs};
use sea_orm::{
    sea_query::{Alias, Expr, ExprTrait},
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::dto::{
    CheckinStatus, CommunityService, RegisterVolunteer, RegistrationStatus, RegistrationView,
    VolunteerKind,
};
use crate::{
    auth::Caller,
    batch::by_ids,
    db::Db,
    error::{is_foreign_key_violation, is_unique_violation, ApiError, ApiResult, ErrorCode},
    pagination::Page,
};

/// Most registrations `GET /me/volunteering` lists.
const MOST_LISTED: u64 = 500;

/// Registers the caller with a community; a rejected registration of the same kind is filed
/// anew (the row is reused: one per person, community and kind).
pub async fn submit(
    database: &Db,
    caller: &Caller,
    now: DateTime<Utc>,
    input: RegisterVolunteer,
) -> ApiResult<RegistrationView> {
    let db = database.conn();
    let community = communities::Entity::find_by_id(input.community_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("community"))?;
    let txn = database.begin_write().await?;
    let earlier = regs::Entity::find()
        .filter(regs::Column::UserId.eq(caller.id()))
        .filter(regs::Column::CommunityId.eq(community.id))
        .filter(regs::Column::Kind.eq(input.kind))
        .one(&*txn)
        .await?;
    let registration = match earlier {
        Some(earlier) if earlier.status == RegistrationStatus::Rejected => {
            let refiled = regs::Entity::update_many()
                .col_expr(
                    regs::Column::Status,
                    Expr::value(RegistrationStatus::Pending),
                )
                .col_expr(regs::Column::Organisation, Expr::value(&input.organisation))
                .col_expr(regs::Column::Details, Expr::value(input.details.clone()))
                .col_expr(regs::Column::RejectReason, Expr::value(None::<String>))
                .col_expr(regs::Column::ReviewedBy, Expr::value(None::<i64>))
                .col_expr(regs::Column::ReviewedAt, Expr::value(None::<DateTime<Utc>>))
                .col_expr(regs::Column::CreatedAt, Expr::value(now))
                .filter(regs::Column::Id.eq(earlier.id))
                .filter(regs::Column::Status.eq(RegistrationStatus::Rejected))
                .exec_with_returning(&*txn)
                .await?;
            refiled.into_iter().next().ok_or_else(exists)?
        }
        Some(_) => return Err(exists()),
        None => {
            let inserted = regs::ActiveModel {
                user_id: Set(caller.id()),
                community_id: Set(community.id),
                kind: Set(input.kind),
                organisation: Set(input.organisation),
                details: Set(input.details),
                status: Set(RegistrationStatus::Pending),
                reject_reason: Set(None),
                reviewed_by: Set(None),
                reviewed_at: Set(None),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(&*txn)
            .await;
            match inserted {
                Ok(r) => r,
                Err(e) if is_unique_violation(&e) => return Err(exists()),
                Err(e) if is_foreign_key_violation(&e) => {
                    return Err(ApiError::not_found("community"))
                }
                Err(e) => return Err(e.into()),
            }
        }
    };
    txn.commit().await?;
    tracing::info!(
        registration_id = registration.id,
        community_id = community.id,
        "volunteer registered"
    );
    Ok(view(&registration, community.name))
}

fn exists() -> ApiError {
    ApiError::conflict(
        ErrorCode::RegistrationExists,
        "您已在该社区报到过，请等待审核或查看已有报到",
    )
}

/// The communities the caller registered with, most recent registration first, each with
/// the registrations and the caller's hours, points and check-ins there. One page: a
/// person registers with a bounded number of communities.
pub async fn mine<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
) -> ApiResult<Page<CommunityService>> {
    let rows = regs::Entity::find()
        .filter(regs::Column::UserId.eq(caller.id()))
        .order_by_desc(regs::Column::Id)
        .limit(MOST_LISTED)
        .all(db)
        .await?;
    let names =
        by_ids::<communities::Entity, _>(db, rows.iter().map(|r| r.community_id), |c| c.id).await?;
    let name_of = |id: i64| names.get(&id).map(|c| c.name.clone()).unwrap_or_default();
    let points = earned_by_community(db, caller.id()).await?;
    let counted = checkins_by_community(db, caller.id()).await?;
    let hours = super::service_hours_by_community(db, caller.id()).await?;
    let mut items: Vec<CommunityService> = Vec::new();
    for row in &rows {
        let registration = view(row, name_of(row.community_id));
        match items
            .iter_mut()
            .find(|c| c.community_id == row.community_id)
        {
            Some(community) => community.registrations.push(registration),
            None => items.push(CommunityService {
                community_id: row.community_id,
                community_name: name_of(row.community_id),
                registrations: vec![registration],
                hours: hours.get(&row.community_id).copied().unwrap_or(0.0),
                points_earned: points.get(&row.community_id).copied().unwrap_or(0),
                checkins: counted.get(&row.community_id).copied().unwrap_or(0),
            }),
        }
    }
    Ok(Page::whole(items))
}

/// Points the user earned per community, from the monthly aggregates.
async fn earned_by_community<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
) -> ApiResult<HashMap<i64, i64>> {
    let rows: Vec<(i64, Option<i64>)> = points_monthly::Entity::find()
        .select_only()
        .column(points_monthly::Column::CommunityId)
        .column_as(
            Expr::col(points_monthly::Column::Earned)
                .sum()
                .cast_as(Alias::new("bigint")),
            "earned",
        )
        .filter(points_monthly::Column::UserId.eq(user_id))
        .group_by(points_monthly::Column::CommunityId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|(c, e)| (c, e.unwrap_or(0))).collect())
}

/// Counted check-ins of the user per community.
async fn checkins_by_community<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
) -> ApiResult<HashMap<i64, u64>> {
    let rows: Vec<(i64, i64)> = checkins::Entity::find()
        .select_only()
        .column(checkins::Column::CommunityId)
        .column_as(checkins::Column::Id.count(), "n")
        .filter(checkins::Column::UserId.eq(user_id))
        .filter(checkins::Column::Status.eq(CheckinStatus::Accepted))
        .group_by(checkins::Column::CommunityId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(c, n)| (c, u64::try_from(n).unwrap_or(0)))
        .collect())
}

/// The kinds the user is an approved volunteer of in the community (empty when none).
pub async fn approved_kinds<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    community_id: i64,
) -> ApiResult<Vec<VolunteerKind>> {
    Ok(regs::Entity::find()
        .select_only()
        .column(regs::Column::Kind)
        .filter(regs::Column::UserId.eq(user_id))
        .filter(regs::Column::CommunityId.eq(community_id))
        .filter(regs::Column::Status.eq(RegistrationStatus::Approved))
        .into_tuple()
        .all(db)
        .await?)
}

/// True when the user is an approved volunteer (of any kind) of the community.
pub async fn is_volunteer<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    community_id: i64,
) -> ApiResult<bool> {
    Ok(!approved_kinds(db, user_id, community_id).await?.is_empty())
}

/// The user's approved kinds in the community; 403 `not_a_volunteer` when there are none.
pub async fn require_volunteer<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    community_id: i64,
) -> ApiResult<Vec<VolunteerKind>> {
    let kinds = approved_kinds(db, user_id, community_id).await?;
    if kinds.is_empty() {
        return Err(ApiError::refused(
            ErrorCode::NotAVolunteer,
            "您还不是本社区的志愿者，请先报到并等待社区审核",
        ));
    }
    Ok(kinds)
}

/// The response shape of a registration.
pub(super) fn view(r: &regs::Model, community_name: String) -> RegistrationView {
    RegistrationView {
        id: r.id,
        community_id: r.community_id,
        community_name,
        kind: r.kind,
        organisation: r.organisation.clone(),
        details: r.details.clone(),
        status: r.status,
        reject_reason: r.reject_reason.clone(),
        created_at: r.created_at,
        reviewed_at: r.reviewed_at,
    }
}
