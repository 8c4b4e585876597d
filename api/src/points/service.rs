//! The passbook, earning rules and staff adjustments.

use std::{
    collections::{HashMap, HashSet},
    time::Duration,
};

use chrono::{DateTime, NaiveDate, Utc};

use entity::{communities, points_entries, points_rules, points_wallets};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::{aggregates, dto::*, ledger};
use crate::{
    audit::{self, Audit},
    auth::{callers, scope::managed_community, Caller},
    cache::Cache,
    db::Db,
    error::{ApiError, ApiResult, FieldErrors},
    pagination::{Page, PageQuery},
};

/// How long a computed summary is kept; every ledger write of the user starts a new
/// generation (`points::changed`), so it is never stale.
const SUMMARY_TTL: Duration = Duration::from_secs(600);

/// The caller's balance and this month's flows, read from the wallet and the monthly
/// aggregates (never from the entries), cached under the user's generation.
pub async fn summary<C: ConnectionTrait>(
    db: &C,
    cache: &Cache,
    caller: &Caller,
    now: DateTime<Utc>,
) -> ApiResult<PointsSummary> {
    let generation = callers::generation(cache, caller).await;
    let month = aggregates::month_of(now);
    cache
        .read_json(
            &generation,
            &format!("points-summary:{month}"),
            SUMMARY_TTL,
            || compute_summary(db, caller.id(), month),
        )
        .await
}

async fn compute_summary<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    month: NaiveDate,
) -> ApiResult<PointsSummary> {
    let wallet = points_wallets::Entity::find()
        .filter(points_wallets::Column::UserId.eq(user_id))
        .one(db)
        .await?;
    let (earned, spent) = aggregates::month_totals(db, user_id, month).await?;
    Ok(PointsSummary {
        balance: wallet.as_ref().map_or(0, |w| w.balance),
        earned_this_month: earned,
        spent_this_month: spent,
        lifetime_earned: wallet.map_or(0, |w| w.lifetime_earned),
    })
}

/// The caller's passbook, newest first.
pub async fn entries<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    page: PageQuery,
) -> ApiResult<Page<EntryView>> {
    let mut select = points_entries::Entity::find()
        .filter(points_entries::Column::UserId.eq(caller.id()))
        .order_by_desc(points_entries::Column::Id)
        .limit(page.limit() + 1);
    if let Some(before) = page.before_id()? {
        select = select.filter(points_entries::Column::Id.lt(before));
    }
    let rows = Page::from_rows(select.all(db).await?, page.limit(), |e| e.id);
    let items = entry_views(db, rows.items).await?;
    Ok(Page {
        items,
        next_cursor: rows.next_cursor,
        total: None,
    })
}

/// Entries with their community names.
pub async fn entry_views<C: ConnectionTrait>(
    db: &C,
    rows: Vec<points_entries::Model>,
) -> ApiResult<Vec<EntryView>> {
    let ids: HashSet<i64> = rows.iter().map(|e| e.community_id).collect();
    let names: HashMap<i64, String> = communities::Entity::find()
        .filter(communities::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    Ok(rows
        .into_iter()
        .map(|e| EntryView {
            id: e.id,
            kind: e.kind,
            amount: e.amount,
            balance_after: e.balance_after,
            reason: e.reason,
            community_name: names.get(&e.community_id).cloned().unwrap_or_default(),
            community_id: e.community_id,
            reference: e
                .ref_type
                .zip(e.ref_id)
                .map(|(kind, id)| Reference::new(kind, id)),
            created_at: e.created_at,
        })
        .collect())
}

/// A community's published earning rules (public).
pub async fn rules<C: ConnectionTrait>(db: &C, community_id: i64) -> ApiResult<RulesView> {
    communities::Entity::find_by_id(community_id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("community"))?;
    rules_view(db, community_id).await
}

async fn rules_view<C: ConnectionTrait>(db: &C, community_id: i64) -> ApiResult<RulesView> {
    let rules = points_rules::Entity::find()
        .filter(points_rules::Column::CommunityId.eq(community_id))
        .order_by_asc(points_rules::Column::Action)
        .all(db)
        .await?
        .into_iter()
        .map(|r| RuleView {
            label: ledger::action_label(&r.action),
            action: r.action,
            points: r.points,
            daily_cap: r.daily_cap,
            monthly_cap: r.monthly_cap,
            enabled: r.enabled,
        })
        .collect();
    Ok(RulesView {
        community_id,
        rules,
    })
}

/// Replaces a community's rules (staff).
pub async fn put_rules(
    db: &Db,
    caller: &Caller,
    now: DateTime<Utc>,
    community_id: i64,
    input: PutRules,
) -> ApiResult<RulesView> {
    let mut seen = HashSet::new();
    let mut errs = FieldErrors::new();
    for (i, rule) in input.rules.iter().enumerate() {
        let unique = seen.insert(rule.action.as_str());
        errs.check(unique, &format!("rules[{i}].action"), "行为标识重复");
        if let (Some(day), Some(month)) = (rule.daily_cap, rule.monthly_cap) {
            let fits = day <= month;
            errs.check(
                fits,
                &format!("rules[{i}].daily_cap"),
                "每日上限不能大于每月上限",
            );
        }
    }
    errs.finish()?;
    let txn = db.begin_write().await?;
    managed_community(&txn, caller, community_id).await?;
    points_rules::Entity::delete_many()
        .filter(points_rules::Column::CommunityId.eq(community_id))
        .exec(&txn)
        .await?;
    for rule in &input.rules {
        points_rules::ActiveModel {
            community_id: Set(community_id),
            action: Set(rule.action.clone()),
            points: Set(rule.points),
            daily_cap: Set(rule.daily_cap),
            monthly_cap: Set(rule.monthly_cap),
            enabled: Set(rule.enabled.unwrap_or(true)),
            updated_by: Set(Some(caller.id())),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    audit::record(
        &txn,
        now,
        Audit {
            actor_id: caller.id(),
            action: "points.rules.replace",
            object_type: "community",
            object_id: community_id,
            community_id: Some(community_id),
            detail: serde_json::json!({ "rules": input.rules }),
        },
    )
    .await?;
    let view = rules_view(&txn, community_id).await?;
    txn.commit().await?;
    Ok(view)
}
