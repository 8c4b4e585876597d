//! Drops the coordinates of check-ins older than a week: they are kept only for the speed
//! check, and the evidence kind and the distance stay. One conditional update per run, safe
//! with several instances.

use std::{panic::AssertUnwindSafe, time::Duration};

use actix_web::web;
use chrono::{DateTime, Utc};
use entity::checkins;
use futures_util::FutureExt;
use sea_orm::{sea_query::Expr, ColumnTrait, EntityTrait, QueryFilter};

use super::checkins::KEEP_COORDINATES;
use crate::{db::Db, error::ApiResult, state::AppState};

/// Clears the coordinates of check-ins made before `now - 7 days`; answers how many.
pub async fn forget_coordinates(db: &Db, now: DateTime<Utc>) -> ApiResult<u64> {
    let cleared = checkins::Entity::update_many()
        .col_expr(checkins::Column::Lat, Expr::value(None::<f64>))
        .col_expr(checkins::Column::Lng, Expr::value(None::<f64>))
        .filter(checkins::Column::CreatedAt.lt(now - KEEP_COORDINATES))
        .filter(checkins::Column::Lat.is_not_null())
        .exec(db.conn())
        .await?;
    Ok(cleared.rows_affected)
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
