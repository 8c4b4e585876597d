//! Staff review of volunteer registrations (the queue, approval, rejection) and the roster
//! of a community's approved volunteers. Nobody reviews their own registration.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{communities, users, volunteer_registrations as regs};
use sea_orm::{
    sea_query::Expr, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::{
    dto::{
        Applicant, ListRegistrationsQuery, RegistrationReview, RegistrationStatus,
        RegistrationView, RejectRegistration, RosterEntry, RosterQuery,
    },
    registrations::view,
};
use crate::{
    audit::{self, Audit},
    auth::{
        scope::{find_managed_community, managed_community},
        Caller,
    },
    batch::by_ids,
    db::Db,
    error::{ApiError, ApiResult, ErrorCode},
    pagination::{Page, PageQuery},
    privacy::{mask_name, mask_phone},
};

/// A community's registrations for its staff, newest first, applicants masked.
pub async fn list_for_community<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    community_id: i64,
    query: ListRegistrationsQuery,
) -> ApiResult<Page<RegistrationReview>> {
    let community = managed_community(db, caller, community_id).await?;
    let page = PageQuery::new(query.cursor, query.limit);
    let mut filtered = regs::Entity::find().filter(regs::Column::CommunityId.eq(community.id));
    if let Some(status) = query.status {
        filtered = filtered.filter(regs::Column::Status.eq(status));
    }
    if let Some(kind) = query.kind {
        filtered = filtered.filter(regs::Column::Kind.eq(kind));
    }
    let total = match query.with_total {
        Some(true) => Some(filtered.clone().count(db).await?),
        _ => None,
    };
    let mut select = filtered
        .order_by_desc(regs::Column::Id)
        .limit(page.limit() + 1);
    if let Some(before) = page.before_id()? {
        select = select.filter(regs::Column::Id.lt(before));
    }
    let mut page = Page::from_rows(select.all(db).await?, page.limit(), |r| r.id).with_total(total);
    let rows = std::mem::take(&mut page.items);
    let people = applicants(db, rows.iter().map(|r| r.user_id)).await?;
    let items = rows
        .iter()
        .map(|r| RegistrationReview {
            registration: view(r, community.name.clone()),
            applicant: person(&people, r.user_id),
        })
        .collect();
    Ok(page.with_items(items))
}

/// The community's approved volunteers, most recently approved registrations first.
pub async fn roster<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    community_id: i64,
    query: RosterQuery,
) -> ApiResult<Page<RosterEntry>> {
    let community = managed_community(db, caller, community_id).await?;
    let page = PageQuery::new(query.cursor, query.limit);
    let mut filtered = regs::Entity::find()
        .filter(regs::Column::CommunityId.eq(community.id))
        .filter(regs::Column::Status.eq(RegistrationStatus::Approved));
    if let Some(kind) = query.kind {
        filtered = filtered.filter(regs::Column::Kind.eq(kind));
    }
    let total = match query.with_total {
        Some(true) => Some(filtered.clone().count(db).await?),
        _ => None,
    };
    let mut select = filtered
        .order_by_desc(regs::Column::Id)
        .limit(page.limit() + 1);
    if let Some(before) = page.before_id()? {
        select = select.filter(regs::Column::Id.lt(before));
    }
    let mut page = Page::from_rows(select.all(db).await?, page.limit(), |r| r.id).with_total(total);
    let rows = std::mem::take(&mut page.items);
    let people = applicants(db, rows.iter().map(|r| r.user_id)).await?;
    let items = rows
        .iter()
        .map(|r| RosterEntry {
            registration_id: r.id,
            volunteer: person(&people, r.user_id),
            kind: r.kind,
            organisation: r.organisation.clone(),
            since: r.reviewed_at,
        })
        .collect();
    Ok(page.with_items(items))
}

/// Approves a pending registration: the person volunteers in the community from now on.
pub async fn approve(
    db: &Db,
    caller: &Caller,
    now: DateTime<Utc>,
    id: i64,
) -> ApiResult<RegistrationView> {
    decide(db, caller, now, id, RegistrationStatus::Approved, None).await
}

/// Rejects a pending registration with a reason shown to the volunteer, who may register
/// again.
pub async fn reject(
    db: &Db,
    caller: &Caller,
    now: DateTime<Utc>,
    id: i64,
    input: RejectRegistration,
) -> ApiResult<RegistrationView> {
    decide(
        db,
        caller,
        now,
        id,
        RegistrationStatus::Rejected,
        Some(input.reason),
    )
    .await
}

async fn decide(
    db: &Db,
    caller: &Caller,
    now: DateTime<Utc>,
    id: i64,
    status: RegistrationStatus,
    reason: Option<String>,
) -> ApiResult<RegistrationView> {
    let txn = db.begin_write().await?;
    let (registration, community) = reviewable(&*txn, caller, id).await?;
    // Of two reviewers deciding at once, only one moves the row.
    let updated = regs::Entity::update_many()
        .col_expr(regs::Column::Status, Expr::value(status))
        .col_expr(regs::Column::RejectReason, Expr::value(reason.clone()))
        .col_expr(regs::Column::ReviewedBy, Expr::value(caller.id()))
        .col_expr(regs::Column::ReviewedAt, Expr::value(now))
        .filter(regs::Column::Id.eq(id))
        .filter(regs::Column::Status.eq(RegistrationStatus::Pending))
        .exec_with_returning(&*txn)
        .await?;
    let decided = updated.into_iter().next().ok_or_else(not_pending)?;
    let action = match status {
        RegistrationStatus::Approved => "volunteer_registration.approve",
        _ => "volunteer_registration.reject",
    };
    audit::record(
        &*txn,
        now,
        Audit {
            actor_id: caller.id(),
            action,
            object_type: "volunteer_registration",
            object_id: id,
            community_id: Some(community.id),
            detail: serde_json::json!({
                "user_id": registration.user_id,
                "kind": registration.kind,
                "reason": reason,
            }),
        },
    )
    .await?;
    txn.commit().await?;
    tracing::info!(
        registration_id = id,
        reviewer_id = caller.id(),
        status = ?status,
        "volunteer registration decided"
    );
    Ok(view(&decided, community.name))
}

/// The registration and its community when the caller manages that community (else 404),
/// is not its volunteer (else 403) and it is pending (else 409).
async fn reviewable<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    id: i64,
) -> ApiResult<(regs::Model, communities::Model)> {
    let registration = regs::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("volunteer_registration"))?;
    let community = find_managed_community(db, caller, registration.community_id)
        .await?
        .ok_or_else(|| ApiError::not_found("volunteer_registration"))?;
    if registration.user_id == caller.id() {
        return Err(ApiError::self_review_forbidden());
    }
    if registration.status != RegistrationStatus::Pending {
        return Err(not_pending());
    }
    Ok((registration, community))
}

fn not_pending() -> ApiError {
    ApiError::conflict(
        ErrorCode::RegistrationNotPending,
        "该报到已处理，不能再更改",
    )
}

/// The users behind the rows, by id.
pub(crate) async fn applicants<C: ConnectionTrait>(
    db: &C,
    ids: impl Iterator<Item = i64>,
) -> ApiResult<HashMap<i64, users::Model>> {
    by_ids::<users::Entity, _>(db, ids, |u| u.id).await
}

/// A person as staff lists show them: name and phone masked.
pub(crate) fn person(people: &HashMap<i64, users::Model>, id: i64) -> Applicant {
    let user = people.get(&id);
    Applicant {
        id,
        nickname: user.map(|u| mask_name(&u.nickname)).unwrap_or_default(),
        phone: user.and_then(|u| u.phone.as_deref()).map(mask_phone),
    }
}
