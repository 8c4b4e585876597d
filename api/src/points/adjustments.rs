//! Staff adjustments of points: made by community staff for people of their community, never
//! for themselves, and visible to the admins of the street.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entity::{communities, points_entries, users};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::{
    dto::*,
    ledger::{self, Change, Kind},
    service::entry_views,
};
use crate::{
    audit::{self, Audit},
    auth::{
        scope::{managed_community, managed_street},
        Caller,
    },
    cache::Cache,
    clock::local_day_start,
    db::Db,
    error::{ApiError, ApiResult, FieldErrors},
    idempotency::Claim,
    pagination::{Page, PageQuery},
    privacy::mask_name,
    residents::membership::belongs_to_community,
};

/// A staff correction of a user's points, once per `Idempotency-Key` (`claim`); audited.
pub async fn adjust(
    db: &Db,
    cache: &Cache,
    caller: &Caller,
    now: DateTime<Utc>,
    community_id: i64,
    input: AdjustmentInput,
    claim: Claim,
) -> ApiResult<AdjustmentView> {
    if input.delta == 0 {
        return Err(ApiError::field("delta", "调整数额不能为0"));
    }
    let key = claim
        .id()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("adjustment without a key")))?;
    let txn = db.begin_write().await?;
    managed_community(&txn, caller, community_id).await?;
    if input.user_id == caller.id() {
        return Err(ApiError::self_review_forbidden());
    }
    // Only people of this community: anyone else answers like a user that does not exist,
    // so staff cannot reach (or find) the rest of the city.
    if !belongs_to_community(&*txn, input.user_id, community_id).await? {
        return Err(ApiError::not_found("user"));
    }
    ledger::lock_wallet(&txn, input.user_id, now).await?;
    let entry = ledger::apply(
        &txn,
        now,
        Change {
            user_id: input.user_id,
            community_id,
            amount: input.delta,
            kind: Kind::Adjust,
            reason: &input.reason,
            source: "adjust",
            idempotency_key: &format!("claim:{key}"),
            reference: None,
            actor_id: Some(caller.id()),
        },
    )
    .await?;
    audit::record(
        &txn,
        now,
        Audit {
            actor_id: caller.id(),
            action: "points.adjust",
            object_type: "points_entry",
            object_id: entry.id,
            community_id: Some(community_id),
            detail: serde_json::json!({ "user_id": input.user_id, "delta": input.delta, "reason": input.reason }),
        },
    )
    .await?;
    let balance = entry.balance_after;
    let entry = entry_views(&*txn, vec![entry])
        .await?
        .pop()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("entry view")))?;
    let view = AdjustmentView { entry, balance };
    claim.complete(&*txn, &view, now).await?;
    txn.commit().await?;
    super::changed(cache, input.user_id, community_id).await;
    Ok(view)
}

/// The adjustments made in a street's communities, newest first (street admins and platform
/// admins), optionally within Asia/Shanghai days `from`..=`to` and by one staff member.
pub async fn list_for_street<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    street_id: i64,
    query: StreetAdjustmentsQuery,
) -> ApiResult<Page<AdjustmentRecord>> {
    let mut errs = FieldErrors::new();
    if let (Some(from), Some(to)) = (query.from, query.to) {
        errs.check(from <= to, "to", "结束日期不能早于开始日期");
    }
    let cursor = PageQuery {
        cursor: query.cursor.clone(),
        limit: None,
    };
    errs.take(cursor.before_id())?;
    errs.finish()?;
    managed_street(db, caller, street_id).await?;
    let communities: HashMap<i64, String> = communities::Entity::find()
        .filter(communities::Column::StreetId.eq(street_id))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let page = PageQuery {
        cursor: query.cursor,
        limit: query.limit,
    };
    let mut select = points_entries::Entity::find()
        .filter(points_entries::Column::CommunityId.is_in(communities.keys().copied()))
        .filter(points_entries::Column::Kind.eq(Kind::Adjust))
        .order_by_desc(points_entries::Column::Id)
        .limit(page.limit() + 1);
    if let Some(from) = query.from {
        select = select.filter(points_entries::Column::CreatedAt.gte(local_day_start(from)));
    }
    if let Some(to) = query.to.and_then(|d| d.succ_opt()) {
        select = select.filter(points_entries::Column::CreatedAt.lt(local_day_start(to)));
    }
    if let Some(staff_id) = query.staff_id {
        select = select.filter(points_entries::Column::ActorId.eq(staff_id));
    }
    if let Some(before) = page.before_id()? {
        select = select.filter(points_entries::Column::Id.lt(before));
    }
    let rows = Page::from_rows(select.all(db).await?, page.limit(), |e| e.id);
    let people: HashSet<i64> = rows
        .items
        .iter()
        .flat_map(|e| [Some(e.user_id), e.actor_id])
        .flatten()
        .collect();
    let names: HashMap<i64, String> = users::Entity::find()
        .filter(users::Column::Id.is_in(people))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.nickname))
        .collect();
    let name = |id: i64| names.get(&id).cloned().unwrap_or_default();
    let items = rows
        .items
        .into_iter()
        .map(|e| AdjustmentRecord {
            id: e.id,
            community_name: communities
                .get(&e.community_id)
                .cloned()
                .unwrap_or_default(),
            community_id: e.community_id,
            user_name: mask_name(&name(e.user_id)),
            user_id: e.user_id,
            delta: e.amount,
            balance_after: e.balance_after,
            reason: e.reason,
            staff_name: e.actor_id.map(name),
            staff_id: e.actor_id,
            created_at: e.created_at,
        })
        .collect();
    Ok(Page {
        items,
        next_cursor: rows.next_cursor,
        total: None,
    })
}
