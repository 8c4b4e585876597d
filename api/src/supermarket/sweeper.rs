//! The expiry sweeper: overdue pending redemptions become `expired`, their points go back and
//! their stock returns to the shelf. Safe with several server instances and with racing
//! cancels or verifications: each redemption is closed by one conditional update.

use std::{panic::AssertUnwindSafe, time::Duration};

use actix_web::web;
use entity::redemptions;
use futures_util::FutureExt;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::{
    dto::RedemptionStatus,
    release::{release, Release},
};
use chrono::{DateTime, Utc};

use crate::{cache::Cache, db::Db, error::ApiResult, state::AppState};

/// Redemptions read per query.
const BATCH: u64 = 100;

/// Expires one overdue pending redemption with its refund; false when it was no longer
/// pending (or not yet due) and nothing changed.
pub async fn expire(
    db: &Db,
    cache: &Cache,
    now: DateTime<Utc>,
    redemption: &redemptions::Model,
) -> ApiResult<bool> {
    Ok(release(db, cache, now, redemption, Release::Expire)
        .await?
        .is_some())
}

/// Expires every pending redemption due by now, each in its own transaction; answers how
/// many this call expired. A redemption that fails is logged and left for the next run.
pub async fn sweep_once(state: &AppState) -> ApiResult<u64> {
    let now = state.clock.now();
    let mut after = 0;
    let mut expired = 0;
    loop {
        let batch = redemptions::Entity::find()
            .filter(redemptions::Column::Status.eq(RedemptionStatus::Pending))
            .filter(redemptions::Column::ExpiresAt.lte(now))
            .filter(redemptions::Column::Id.gt(after))
            .order_by_asc(redemptions::Column::Id)
            .limit(BATCH)
            .all(state.db.conn())
            .await?;
        for redemption in &batch {
            after = redemption.id;
            match expire(&state.db, &state.cache, now, redemption).await {
                Ok(true) => expired += 1,
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(redemption_id = redemption.id, error = ?e, "expiring a redemption failed")
                }
            }
        }
        if (batch.len() as u64) < BATCH {
            return Ok(expired);
        }
    }
}

/// Runs `sweep_once` every `every` until the task is dropped; errors (and even panics) are
/// logged and the loop goes on.
pub async fn run(state: web::Data<AppState>, every: Duration) {
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match AssertUnwindSafe(sweep_once(&state)).catch_unwind().await {
            Ok(Ok(0)) => {}
            Ok(Ok(n)) => tracing::info!(expired = n, "expired overdue redemptions"),
            Ok(Err(e)) => tracing::warn!(error = ?e, "redemption sweep failed"),
            Err(_) => tracing::error!("redemption sweep panicked"),
        }
    }
}
