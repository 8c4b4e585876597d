//! Nearest communities at national scale: the city's communities plus enough others to make
//! `total` (every 40th in Beijing, the rest around 400 other cities, as
//! `bench/sql/nearest_probe.sh` lays them out), written with set-based SQL, announced to the
//! server as any change of communities is (`near_index::changed`), measured from Beijing's
//! centre, and removed again so the city dataset stays as generated.

use std::time::Instant;

use anyhow::Context;
use api::{regions::service::near_index, state::AppState};
use sea_orm::{ConnectionTrait, DatabaseConnection};

use crate::{
    load::Target,
    report::{Aim, Row},
    scenarios::{self, Failures, Window},
    world::Api,
};

/// Ids of the added communities start after this.
const FIRST_ID: i64 = 10_000_000;
/// Beijing's centre, where every 40th added community lies.
const BEIJING: (f64, f64) = (39.9042, 116.4074);

/// Adds communities up to `total`, measures the anonymous nearest list from Beijing, removes
/// them. The first lookup after the change (which rebuilds the in-memory map) is timed alone.
pub async fn nearest(
    api: &Api,
    state: &AppState,
    db: &DatabaseConnection,
    total: i64,
    window: Window,
    failures: &mut Failures,
) -> anyhow::Result<Row> {
    let existing = crate::query_i64(db, "SELECT count(*) AS n FROM communities").await?;
    let added = (total - existing).max(0);
    let started = Instant::now();
    db.execute_unprepared(&format!(
        "INSERT INTO communities (id, street_id, name, lat, lng, checkin_radius_m, created_at, updated_at)
         SELECT {FIRST_ID} + i, 1 + i % 40, '全国社区' || i,
           CASE WHEN i % 40 = 0 THEN {lat} ELSE 22 + (i % 400) * 7919 % 2500 / 100.0 END
             + ((i * 17389) % 3001 - 1500) / 10000.0,
           CASE WHEN i % 40 = 0 THEN {lng} ELSE 100 + (i % 400) * 6007 % 2400 / 100.0 END
             + ((i * 7507) % 3001 - 1500) / 10000.0,
           300, now(), now()
         FROM generate_series(1, {added}) i;
         ANALYZE communities;",
        lat = BEIJING.0,
        lng = BEIJING.1,
    ))
    .await
    .context("adding the national communities")?;
    eprintln!(
        "added {added} communities ({total} in all) in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    near_index::changed(&state.cache).await;
    let target = Target {
        url: format!(
            "{}/api/v1/communities?lat={}&lng={}",
            api.base, BEIJING.0, BEIJING.1
        ),
        token: None,
    };
    let first = Instant::now();
    api.http.get(&target.url).send().await?.error_for_status()?;
    eprintln!(
        "  the first lookup after the change (the map rebuilt from {total} rows) took {:.1} ms",
        first.elapsed().as_secs_f64() * 1000.0
    );
    let name = format!("nearest communities, anonymous, {total} communities (Beijing)");
    let row = scenarios::steady(
        api,
        &name,
        vec![target],
        vec![Aim::OfHealthz(0.25)],
        window,
        failures,
    )
    .await;
    db.execute_unprepared(&format!(
        "DELETE FROM communities WHERE id > {FIRST_ID}; ANALYZE communities;"
    ))
    .await
    .context("removing the national communities")?;
    near_index::changed(&state.cache).await;
    row
}
