//! Courier stations nearby (issue 10 §4) next to a bare actix-web endpoint of the same run:
//! stations seeded around the communities with set-based SQL, announced to the server as a
//! station write is (`stations::near::changed`), then `GET /api/v1/stations?lat=&lng=` from
//! varied points (default radius, first page) against an actix-web server with no middleware
//! that answers the very bytes of one such page from memory, on as many workers, over the
//! same load generator.

use std::{
    net::TcpListener,
    time::{Duration, Instant},
};

use actix_web::{web, App, HttpResponse, HttpServer};
use anyhow::{bail, Context};
use api::{state::AppState, stations::near};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use crate::{
    load::Target,
    query_i64,
    report::{self, Aim, Row, BARE},
    run,
    scenarios::{self, Failures, Window},
    world::Api,
    Args, BenchDb,
};

/// Shanghai's centre: the communities of a run without the city lie around it.
const SHANGHAI: (f64, f64) = (31.2304, 121.4737);
/// The points the load asks from, in turn.
const POINTS: i64 = 64;

/// A street and `count` communities within about 16 km of Shanghai's centre, for a run
/// without the city (ids from 1; the database is new).
pub async fn communities(db: &DatabaseConnection, count: i64) -> anyhow::Result<()> {
    db.execute_unprepared(&format!(
        "INSERT INTO districts (name, created_at) VALUES ('驿站区', now());
         INSERT INTO streets (district_id, name, created_at) VALUES (1, '驿站街道', now());
         INSERT INTO communities (street_id, name, lat, lng, checkin_radius_m, created_at, updated_at)
         SELECT 1, '驿站社区' || i,
           {lat} + ((i * 7919) % 3001 - 1500) / 10000.0,
           {lng} + ((i * 6007) % 3001 - 1500) / 10000.0,
           300, now(), now()
         FROM generate_series(1, {count}) i;
         ANALYZE communities;",
        lat = SHANGHAI.0,
        lng = SHANGHAI.1,
    ))
    .await
    .context("adding the communities")?;
    Ok(())
}

/// Seeds `count` stations spread over the communities (each within about 1.7 km of its
/// community's centre, four mixes of services), tells the server, and measures the bare
/// endpoint then the stations from varied points. Answers (bare row, stations row).
pub async fn nearby(
    api: &Api,
    state: &AppState,
    db: &DatabaseConnection,
    count: i64,
    workers: usize,
    window: Window,
    failures: &mut Failures,
) -> anyhow::Result<(Row, Row)> {
    let started = Instant::now();
    db.execute_unprepared(&format!(
        "INSERT INTO stations (community_id, name, address, lat, lng, services, opening_hours, created_at, updated_at)
         SELECT c.id, '红蜂驿站' || i || '号', '驿站路 ' || i || ' 号',
           c.lat + ((i * 17389) % 3001 - 1500) / 100000.0,
           c.lng + ((i * 7507) % 3001 - 1500) / 100000.0,
           (ARRAY['charging,water,rest', 'charging,water,microwave,rest,toilet',
                  'water,toilet,first_aid', 'charging,wifi,umbrella,repair_kit'])[1 + i % 4],
           '每天 8:00-22:00', now(), now()
         FROM generate_series(0, {count} - 1) i
         JOIN (SELECT id, lat, lng, row_number() OVER (ORDER BY id) - 1 AS k FROM communities) c
           ON c.k = i % (SELECT count(*) FROM communities);
         ANALYZE stations;"
    ))
    .await
    .context("adding the stations")?;
    eprintln!(
        "added {count} stations in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    near::changed(&state.cache).await;

    // Varied points: near the first communities' centres, a few hundred metres off.
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            format!(
                "SELECT lat + (id % 7 - 3) / 1000.0 AS lat, lng + (id % 5 - 2) / 1000.0 AS lng \
                 FROM communities ORDER BY id LIMIT {POINTS}"
            ),
        ))
        .await?;
    let mut targets = Vec::new();
    for row in rows {
        let (lat, lng): (f64, f64) = (row.try_get("", "lat")?, row.try_get("", "lng")?);
        targets.push(Target {
            url: format!("{}/api/v1/stations?lat={lat:.5}&lng={lng:.5}", api.base),
            token: None,
        });
    }
    anyhow::ensure!(!targets.is_empty(), "no communities to ask from");

    // The bare endpoint answers the first point's page, byte for byte.
    let first = Instant::now();
    let body = api
        .http
        .get(&targets[0].url)
        .send()
        .await?
        .error_for_status()?
        .bytes()
        .await?;
    eprintln!(
        "  the first lookup after the change (the index rebuilt from {count} rows) took {:.1} ms; \
         a page is {} bytes",
        first.elapsed().as_secs_f64() * 1000.0,
        body.len()
    );
    let page: serde_json::Value = serde_json::from_slice(&body)?;
    let items = page["items"].as_array().map_or(0, Vec::len);
    let bare_url = bare(body.clone(), workers)?;
    let bare_targets = vec![Target {
        url: format!("{bare_url}/bare"),
        token: None,
    }];
    let name = format!("{BARE}, the same {} bytes of static JSON", body.len());
    let bare_row = scenarios::steady(api, &name, bare_targets, vec![], window, failures).await?;
    let name = format!(
        "stations nearby, anonymous ({count} stations, {} points, {items} items a page)",
        targets.len()
    );
    let stations_row = scenarios::steady(
        api,
        &name,
        targets,
        vec![Aim::OfBare(0.5)],
        window,
        failures,
    )
    .await;
    db.execute_unprepared("DELETE FROM stations; ANALYZE stations;")
        .await
        .context("removing the stations")?;
    near::changed(&state.cache).await;
    Ok((bare_row, stations_row?))
}

/// `--only-stations`: `/healthz`, the bare actix-web endpoint and the stations nearby, on the
/// communities of a new database (made here) or of a reused city.
pub async fn alone(
    args: &Args,
    db: &BenchDb,
    api: &Api,
    state: &api::state::AppState,
    checks: &DatabaseConnection,
    (workers, pool): (usize, u32),
) -> anyhow::Result<()> {
    if db.fresh {
        communities(checks, args.communities).await?;
    }
    let communities = query_i64(checks, "SELECT count(*) AS n FROM communities").await?;
    let window = Window {
        warmup: Duration::from_secs(args.warmup),
        measured: Duration::from_secs(args.seconds),
        clients: args.clients,
    };
    let mut failures = Failures::default();
    let healthz = vec![Target {
        url: format!("{}/healthz", api.base),
        token: None,
    }];
    let mut rows =
        vec![scenarios::steady(api, "`/healthz`", healthz, vec![], window, &mut failures).await?];
    let stations = args.stations.max(1);
    let (bare, nearby) =
        nearby(api, state, checks, stations, workers, window, &mut failures).await?;
    rows.extend([bare, nearby]);
    let machine = run::machine(checks, pool).await?;
    let (table, all) = report::table(&rows);
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let markdown = format!(
        "# Stations nearby next to a bare actix-web endpoint (issue 10 §4)\n\n\
         `cargo run --release -p linli-bench --bin read-bench -- {arguments}`\n\n\
         Run {date} on commit {commit}. {machine}; {workers} HTTP workers in each server. \
         {clients} closed-loop clients, {seconds} s measured per phase after {warmup} s of warm-up, \
         then as many seconds' worth open-loop at half the measured rate. {communities} communities, \
         {stations} stations.\n\n{table}\nEvery aim holds: {all}. Non-2xx answers: {failed}.\n\n\
         ## CPU of the full-speed phases\n\n{cpu}",
        arguments = arguments.join(" "),
        date = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        commit = run::git(&["rev-parse", "--short", "HEAD"]),
        clients = args.clients,
        seconds = args.seconds,
        warmup = args.warmup,
        all = if all { "yes" } else { "no" },
        failed = failures.total(),
        cpu = report::cpu(&rows),
    );
    println!("\n{markdown}");
    if failures.total() > 0 {
        bail!(
            "{} requests were not answered 2xx (see FAILURE above)",
            failures.total()
        );
    }
    std::fs::write(&args.stations_results, &markdown)
        .with_context(|| format!("cannot write {}", args.stations_results.display()))?;
    eprintln!("written to {}", args.stations_results.display());
    Ok(())
}

/// Starts a bare actix-web server on port 0 (`workers` workers, no middleware) answering
/// `body` as JSON at `/bare`; answers its base URL.
fn bare(body: web::Bytes, workers: usize) -> anyhow::Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    let server = HttpServer::new(move || {
        let body = body.clone();
        App::new().route(
            "/bare",
            web::get().to(move || {
                let body = body.clone();
                async move {
                    HttpResponse::Ok()
                        .content_type("application/json")
                        .body(body)
                }
            }),
        )
    })
    .workers(workers)
    .listen(listener)?
    .run();
    tokio::spawn(server);
    Ok(format!("http://127.0.0.1:{port}"))
}
