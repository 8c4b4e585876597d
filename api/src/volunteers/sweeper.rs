//! Drops the coordinates of check-ins older than a week: they are kept only for the speed
//! check, and the evidence kind and the distance stay. One conditional update per run, safe
//! with several instances.

use std::{panic::AssertUnwindSafe, time::Duration};

use actix_web::web;
use chrono::{DateTime, Utc};
use entity::checkins;
use futures_util::FutureExt;
use sea_orm::{
    sea_query::{Expr, Query},
    ColumnTrait, EntityTrait, QueryFilter,
};

use super::checkins::KEEP_COORDINATES;
use crate::{db::Db, error::ApiResult, state::AppState};

/// Rows cleared per statement, so that no sweep holds the writer for long.
const BATCH: u64 = 1000;

/// Clears the coordinates of check-ins made before `now - 7 days`, a batch per statement
/// (each takes the writer like any write); answers how many.
pub async fn forget_coordinates(db: &Db, now: DateTime<Utc>) -> ApiResult<u64> {
    let before = now - KEEP_COORDINATES;
    let mut cleared = 0;
    loop {
        let due = Query::select()
            .column(checkins::Column::Id)
            .from(checkins::Entity)
            .and_where(checkins::Column::CreatedAt.lt(before))
            .and_where(checkins::Column::Lat.is_not_null())
            .limit(BATCH)
            .to_owned();
        let done = checkins::Entity::update_many()
            .col_expr(checkins::Column::Lat, Expr::value(None::<f64>))
            .col_expr(checkins::Column::Lng, Expr::value(None::<f64>))
            .filter(checkins::Column::Id.in_subquery(due))
            .exec(&db.single_write().await)
            .await?;
        cleared += done.rows_affected;
        if done.rows_affected < BATCH {
            return Ok(cleared);
        }
    }
}

/// Runs `forget_coordinates` every `every` until the task is dropped.
pub async fn run(state: web::Data<AppState>, every: Duration) {
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let now = state.clock.now();
        match AssertUnwindSafe(forget_coordinates(&state.db, now))
            .catch_unwind()
            .await
        {
            Ok(Ok(0)) => {}
            Ok(Ok(n)) => tracing::info!(cleared = n, "check-in coordinates dropped"),
            Ok(Err(e)) => tracing::warn!(error = ?e, "check-in coordinate sweep failed"),
            Err(_) => tracing::error!("check-in coordinate sweep panicked"),
        }
    }
}
