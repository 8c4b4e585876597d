//! The ledger: the only code that changes points. Every change is an entry; the wallet
//! balance is the sum of the entries and never negative (CHECK plus conditional updates).
//! `apply` also keeps the monthly aggregates (`aggregates::record`) in the same transaction.
//! Call these inside a write transaction.

use chrono::{DateTime, Utc};
pub use entity::points_entries::Kind;
use entity::{points_entries, points_rules, points_wallets};
use sea_orm::{
    sea_query::{Alias, Expr, ExprTrait, OnConflict},
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set,
};

use super::aggregates;
use crate::{
    clock::{day_start, month_start},
    error::{ApiError, ApiResult, ErrorCode},
};

/// One change of points.
#[derive(Clone, Debug)]
pub struct Change<'a> {
    /// Whose points.
    pub user_id: i64,
    /// Where.
    pub community_id: i64,
    /// Signed amount, not zero.
    pub amount: i64,
    /// Kind of entry.
    pub kind: Kind,
    /// Reason shown in the passbook.
    pub reason: &'a str,
    /// What produced it, e.g. `award:checkin`; keys are unique per source.
    pub source: &'a str,
    /// Unique per source.
    pub idempotency_key: &'a str,
    /// Referenced object, e.g. ("redemption", 42).
    pub reference: Option<(&'a str, i64)>,
    /// Who caused it.
    pub actor_id: Option<i64>,
}

/// Writes one entry and moves the balance with it. A negative change that the balance does
/// not cover answers 409 `insufficient_points` and writes nothing. The caller makes sure the
/// key is new (`find_entry`); a repeated key fails on the unique index.
pub async fn apply<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    change: Change<'_>,
) -> ApiResult<points_entries::Model> {
    debug_assert!(change.amount != 0);
    if change.amount > 0 {
        ensure_wallet(db, change.user_id, now).await?;
    }
    let earned = if change.kind == Kind::Earn {
        change.amount
    } else {
        0
    };
    let updated = points_wallets::Entity::update_many()
        .col_expr(
            points_wallets::Column::Balance,
            Expr::col(points_wallets::Column::Balance).add(change.amount),
        )
        .col_expr(
            points_wallets::Column::LifetimeEarned,
            Expr::col(points_wallets::Column::LifetimeEarned).add(earned),
        )
        .col_expr(points_wallets::Column::UpdatedAt, Expr::value(now))
        .filter(points_wallets::Column::UserId.eq(change.user_id))
        .filter(points_wallets::Column::Balance.gte(-change.amount))
        .exec_with_returning(db)
        .await?;
    let Some(wallet) = updated.into_iter().next() else {
        return Err(insufficient(db, change.user_id).await);
    };
    let entry = points_entries::ActiveModel {
        user_id: Set(change.user_id),
        community_id: Set(change.community_id),
        amount: Set(change.amount),
        balance_after: Set(wallet.balance),
        kind: Set(change.kind),
        reason: Set(change.reason.to_owned()),
        source: Set(change.source.to_owned()),
        idempotency_key: Set(change.idempotency_key.to_owned()),
        ref_type: Set(change.reference.map(|r| r.0.to_owned())),
        ref_id: Set(change.reference.map(|r| r.1)),
        actor_id: Set(change.actor_id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    aggregates::record(
        db,
        now,
        change.user_id,
        change.community_id,
        change.kind,
        change.amount,
    )
    .await?;
    Ok(entry)
}

/// The 409 for a balance that does not cover a change, with the balance under
/// `details.balance`. The conditional update that failed did not read it, so it is read
/// here, in the caller's transaction (a wallet not created yet holds 0).
pub async fn insufficient<C: ConnectionTrait>(db: &C, user_id: i64) -> ApiError {
    let balance = points_wallets::Entity::find()
        .select_only()
        .column(points_wallets::Column::Balance)
        .filter(points_wallets::Column::UserId.eq(user_id))
        .into_tuple::<i64>()
        .one(db)
        .await;
    match balance {
        Ok(balance) => ApiError::conflict(ErrorCode::InsufficientPoints, "积分不足")
            .with_detail("balance", balance.unwrap_or(0)),
        Err(e) => e.into(),
    }
}

/// Creates the user's wallet if missing and locks it until the transaction ends, so that
/// checks made after this (caps, repeated keys, limits) cannot race another change. One
/// statement: an insert that, on the existing wallet, updates it to itself (which takes the
/// row lock on PostgreSQL; SQLite has one writer anyway).
pub async fn lock_wallet<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    points_wallets::Entity::insert(points_wallets::ActiveModel {
        user_id: Set(user_id),
        balance: Set(0),
        lifetime_earned: Set(0),
        updated_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(points_wallets::Column::UserId)
            .value(
                points_wallets::Column::UpdatedAt,
                Expr::col((points_wallets::Entity, points_wallets::Column::UpdatedAt)),
            )
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

async fn ensure_wallet<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    points_wallets::Entity::insert(points_wallets::ActiveModel {
        user_id: Set(user_id),
        balance: Set(0),
        lifetime_earned: Set(0),
        updated_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(points_wallets::Column::UserId)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The entry written earlier under this source and key, if any.
pub async fn find_entry<C: ConnectionTrait>(
    db: &C,
    source: &str,
    key: &str,
) -> ApiResult<Option<points_entries::Model>> {
    Ok(points_entries::Entity::find()
        .filter(points_entries::Column::Source.eq(source))
        .filter(points_entries::Column::IdempotencyKey.eq(key))
        .one(db)
        .await?)
}

/// An action to reward under a community's rules.
#[derive(Clone, Debug)]
pub struct Award<'a> {
    /// Who earns.
    pub user_id: i64,
    /// Where.
    pub community_id: i64,
    /// Rule action key, e.g. `checkin`.
    pub action: &'a str,
    /// What earned it, e.g. ("checkin", 7).
    pub reference: Option<(&'a str, i64)>,
    /// Unique per action: the same key never pays twice.
    pub idempotency_key: &'a str,
    /// Points set by what was done (an activity's points), instead of the rule's: paid
    /// even without a rule, and the rule, when there is one, still caps them.
    pub amount: Option<i64>,
}

/// What an award did.
#[derive(Clone, Debug)]
pub enum AwardOutcome {
    /// Points were credited (possibly fewer than the rule's, to respect a cap).
    Awarded(points_entries::Model),
    /// This key was paid before; nothing changed.
    AlreadyAwarded(points_entries::Model),
    /// The daily or monthly cap is reached; nothing changed.
    Capped,
    /// The community has no enabled rule for the action (and no amount was given); nothing
    /// changed.
    NoRule,
}

/// Credits points for an action under the community's rules: points per action (or the
/// award's own `amount`), capped per user per day and per month (Asia/Shanghai). Later domains (check-ins, activities, hazard
/// reports) call this inside their own write transaction, and `points::changed` after its
/// commit when an entry was written (the summary and the leaderboards show it at once).
pub async fn award<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    award: Award<'_>,
) -> ApiResult<AwardOutcome> {
    let rule = points_rules::Entity::find()
        .filter(points_rules::Column::CommunityId.eq(award.community_id))
        .filter(points_rules::Column::Action.eq(award.action))
        .one(db)
        .await?;
    // A disabled rule pays nothing, whoever sets the amount.
    if rule.as_ref().is_some_and(|r| !r.enabled) {
        return Ok(AwardOutcome::NoRule);
    }
    let (mut points, daily_cap, monthly_cap) = match (&rule, award.amount) {
        (_, Some(amount)) => (
            amount,
            rule.as_ref().and_then(|r| r.daily_cap),
            rule.as_ref().and_then(|r| r.monthly_cap),
        ),
        (Some(rule), None) => (rule.points, rule.daily_cap, rule.monthly_cap),
        (None, None) => return Ok(AwardOutcome::NoRule),
    };
    let source = format!("award:{}", award.action);
    lock_wallet(db, award.user_id, now).await?;
    if let Some(entry) = find_entry(db, &source, award.idempotency_key).await? {
        return Ok(AwardOutcome::AlreadyAwarded(entry));
    }
    if let Some(cap) = daily_cap {
        points = Ord::min(
            points,
            cap - earned_since(db, &award, &source, day_start(now)).await?,
        );
    }
    if let Some(cap) = monthly_cap {
        points = Ord::min(
            points,
            cap - earned_since(db, &award, &source, month_start(now)).await?,
        );
    }
    if points <= 0 {
        return Ok(AwardOutcome::Capped);
    }
    let reason = format!("{}奖励", action_label(award.action));
    let entry = apply(
        db,
        now,
        Change {
            user_id: award.user_id,
            community_id: award.community_id,
            amount: points,
            kind: Kind::Earn,
            reason: &reason,
            source: &source,
            idempotency_key: award.idempotency_key,
            reference: award.reference,
            actor_id: None,
        },
    )
    .await?;
    Ok(AwardOutcome::Awarded(entry))
}

async fn earned_since<C: ConnectionTrait>(
    db: &C,
    award: &Award<'_>,
    source: &str,
    since: DateTime<Utc>,
) -> ApiResult<i64> {
    let sum: Option<Option<i64>> = points_entries::Entity::find()
        .select_only()
        .column_as(
            Expr::col(points_entries::Column::Amount)
                .sum()
                .cast_as(Alias::new("bigint")),
            "total",
        )
        .filter(points_entries::Column::UserId.eq(award.user_id))
        .filter(points_entries::Column::CommunityId.eq(award.community_id))
        .filter(points_entries::Column::Source.eq(source))
        .filter(points_entries::Column::CreatedAt.gte(since))
        .into_tuple()
        .one(db)
        .await?;
    Ok(sum.flatten().unwrap_or(0))
}

/// The Chinese name of a well-known action; other actions show their key.
pub fn action_label(action: &str) -> String {
    match action {
        "checkin" => "报到签到".to_owned(),
        "activity_hour" => "志愿服务".to_owned(),
        "activity" => "志愿活动".to_owned(),
        "hazard_report" => "随手拍上报".to_owned(),
        "request_resolved" => "诉求办结".to_owned(),
        other => other.to_owned(),
    }
}
