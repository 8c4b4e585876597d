//! `--flow checkin`: `POST /api/v1/checkins` through the real server under concurrent load,
//! next to bench/sql/checkin.sql, the same statements run directly by pgbench.

use std::{
    ops::Range,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

use anyhow::ensure;
use api::state::AppState;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::json;

use crate::{
    capture, check_wallets,
    database::{scalar, BenchDb},
    load::Flow,
    raw::{Pgbench, Script},
    report::Row,
    seed::{self, Api, World},
    stats::CpuSnapshot,
    Args, RawRun, Window,
};

/// The statements of one check-in in the order the API runs them.
const SCRIPT: Script = Script {
    file: "checkin.sql",
    text: include_str!("../sql/checkin.sql"),
};
/// Points of the benchmark communities' `checkin` rule.
const POINTS: i64 = 5;
/// Its caps: set, so that the award sums what was earned today and this month (as it does
/// wherever caps are set), and never reached (one check-in per volunteer, community and day).
const DAILY_CAP: i64 = 10 * POINTS;
const MONTHLY_CAP: i64 = 1000 * POINTS;

/// Communities of one phase; ids are consecutive.
struct Communities {
    name: &'static str,
    ids: Vec<i64>,
}

impl Communities {
    fn range(&self) -> Range<i64> {
        self.ids[0]..self.ids[self.ids.len() - 1] + 1
    }
}

/// The whole check-in run: seed, the API phase, the raw phase, the checks and the report.
pub async fn run(
    args: &Args,
    db: &BenchDb,
    api: &Api,
    state: &AppState,
    checks: &DatabaseConnection,
    pool: u32,
) -> anyhow::Result<()> {
    let volunteers = args.clients * args.users_per_client;
    eprintln!(
        "seeding {volunteers} volunteers and 2 × {} communities",
        args.communities
    );
    let world = seed::people(api, state, args.clients, args.users_per_client).await?;
    let api_set = communities(api, &world, "签到-API", args.communities).await?;
    let raw_set = communities(api, &world, "签到-SQL", args.communities).await?;
    register(checks, &world, &api_set).await?;
    register(checks, &world, &raw_set).await?;
    if let Some(log) = &args.capture_statements {
        let request = api
            .http
            .post(format!("{}/api/v1/checkins", api.base))
            .bearer_auth(&world.residents[0][0].token)
            .json(&body(api_set.ids[0]));
        return capture::probe(db, checks, "/api/v1/checkins", request, log).await;
    }
    let before = CpuSnapshot::take();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle_busy = before.until(&CpuSnapshot::take()).busy;
    let window = Window {
        warmup: Duration::from_secs(args.warmup),
        measured: Duration::from_secs(args.seconds),
    };

    let flow = flow(args.clients, args.users_per_client, &api_set.ids);
    let (api_phase, created) = crate::http_phase(
        api,
        &world.residents,
        &flow,
        checks,
        "API, check-ins",
        window,
    )
    .await?;
    check_phase(checks, &api_set, created).await?;
    check_wallets(checks).await?;

    state.db.close().await?;
    let raw = RawRun {
        pgbench: Pgbench {
            program: &args.pgbench,
            url: &db.url,
            clients: args.pgbench_clients.unwrap_or(args.clients),
            threads: args.pgbench_threads,
        },
        first_user: world.first_resident(),
        per_client: args.users_per_client as i64,
        checks,
        window,
    };
    let session_offset = session_offset(checks, &world).await?;
    let now = chrono::Utc::now();
    let month = now
        .with_timezone(&api::clock::LOCAL_TZ)
        .format("%Y-%m-01")
        .to_string();
    let timestamp =
        |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M:%S%.6f+00").to_string();
    let vars = [
        ("community_first", raw_set.range().start.to_string()),
        ("community_last", (raw_set.range().end - 1).to_string()),
        ("lat", seed::POSITION.0.to_string()),
        ("lng", seed::POSITION.1.to_string()),
        ("points", POINTS.to_string()),
        ("day_start", timestamp(api::clock::day_start(now))),
        ("month_start", timestamp(api::clock::month_start(now))),
        ("month", month),
        ("session_offset", session_offset.to_string()),
        (
            "reason",
            api::points::ledger::action_label("checkin") + "奖励",
        ),
        ("source", "award:checkin".to_owned()),
        ("seq", "0".to_owned()),
    ];
    let (raw_phase, done) = raw.run(SCRIPT, &vars, "raw, check-ins").await?;
    check_phase(checks, &raw_set, done).await?;
    check_wallets(checks).await?;

    let setup = format!(
        "{clients} clients × {per_client} volunteers, each an approved volunteer of 2 × {communities} communities \
         (one set per phase); {seconds} s measured per phase after {warm} s of warm-up; server pool {pool} connections; \
         pgbench `-c {pg_clients} -j {threads} -M prepared`; {cpus} CPUs shared by the server, the load clients and \
         PostgreSQL, {idle:.0}% busy just before the phases.",
        clients = args.clients,
        per_client = args.users_per_client,
        communities = args.communities,
        seconds = args.seconds,
        warm = args.warmup,
        pg_clients = raw.pgbench.clients,
        threads = args.pgbench_threads,
        cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        idle = 100.0 * idle_busy,
    );
    let scenario = format!(
        "check-ins, {volunteers} volunteers × {} communities",
        args.communities
    );
    let phases = [api_phase, raw_phase];
    let rows = [Row {
        scenario: &scenario,
        api: &phases[0],
        raw: &phases[1],
    }];
    let markdown = crate::render("Check-in benchmark results", &setup, &rows, &phases);
    crate::publish(args, "check-ins", "results-checkin.md", &markdown, &phases)
}

/// What a check-in sends: the benchmark's position, inside every geofence.
fn body(community_id: i64) -> serde_json::Value {
    json!({ "community_id": community_id, "lat": seed::POSITION.0, "lng": seed::POSITION.1 })
}

/// Check-ins at `communities`: client `c` walks its own (volunteer, community) pairs, each
/// once (the warm-up's included), volunteer by volunteer within a community, then the next
/// community; `None` when it has used them all.
fn flow(clients: usize, per_client: usize, communities: &[i64]) -> Flow {
    let used: Arc<Vec<AtomicUsize>> = Arc::new((0..clients).map(|_| AtomicUsize::new(0)).collect());
    let communities: Arc<[i64]> = communities.into();
    Flow {
        path: "/api/v1/checkins",
        idempotent: false,
        next: Arc::new(move |client, _| {
            let k = used[client].fetch_add(1, Ordering::Relaxed);
            let community = *communities.get(k / per_client)?;
            Some((k % per_client, body(community)))
        }),
    }
}

/// `count` communities named `name-<i>` at the benchmark's position, with a capped
/// `checkin` rule (`PUT /communities/{id}/points-rules`).
async fn communities(
    api: &Api,
    world: &World,
    name: &'static str,
    count: usize,
) -> anyhow::Result<Communities> {
    let mut ids = Vec::with_capacity(count);
    for i in 0..count {
        let id = seed::community(api, world, &format!("{name}-{i}")).await?;
        let rules = json!({ "rules": [{ "action": "checkin", "points": POINTS,
            "daily_cap": DAILY_CAP, "monthly_cap": MONTHLY_CAP, "enabled": true }] });
        let response = api
            .http
            .put(format!("{}/api/v1/communities/{id}/points-rules", api.base))
            .bearer_auth(&world.admin.token)
            .json(&rules)
            .send()
            .await?;
        let status = response.status();
        ensure!(
            status.is_success(),
            "PUT points-rules of {id} answered {status}: {}",
            response.text().await?
        );
        ids.push(id);
    }
    ensure!(
        ids.windows(2).all(|w| w[1] == w[0] + 1),
        "community ids of {name} are not consecutive"
    );
    Ok(Communities { name, ids })
}

/// Every volunteer approved in every community of the set, by one `INSERT … SELECT` (through
/// the API this would be volunteers × communities registrations and as many reviews).
async fn register(
    checks: &DatabaseConnection,
    world: &World,
    set: &Communities,
) -> anyhow::Result<()> {
    let users = world.residents.iter().flatten().map(|u| u.id);
    let (first, last) = (users.clone().min().unwrap_or(0), users.max().unwrap_or(0));
    let range = set.range();
    checks
        .execute_unprepared(&format!(
            "INSERT INTO volunteer_registrations \
               (user_id, community_id, kind, organisation, status, reviewed_by, reviewed_at, created_at) \
             SELECT u, c, 'resident_volunteer', '压测', 'approved', {staff}, now(), now() \
             FROM generate_series({first}, {last}) u, generate_series({start}, {end}) c",
            staff = world.staff.id,
            start = range.start,
            end = range.end - 1,
        ))
        .await?;
    Ok(())
}

/// Session id minus user id, the same for every volunteer (each logged in once, in order),
/// so that pgbench can name a volunteer's session as the server's caller load does.
async fn session_offset(checks: &DatabaseConnection, world: &World) -> anyhow::Result<i64> {
    let volunteers = world.residents.iter().flatten().count() as i64;
    let (first, last) = (
        world.first_resident(),
        world.first_resident() + volunteers - 1,
    );
    let within = format!("FROM sessions WHERE user_id BETWEEN {first} AND {last}");
    let offsets = scalar(
        checks,
        &format!("SELECT count(DISTINCT id - user_id) AS n {within}"),
    )
    .await?;
    let sessions = scalar(checks, &format!("SELECT count(*) AS n {within}")).await?;
    ensure!(
        offsets == 1 && sessions == volunteers,
        "the volunteers' sessions are not one each in their order; pgbench could not name them"
    );
    scalar(checks, &format!("SELECT min(id - user_id) AS n {within}")).await
}

/// Every check-in answered (or committed by pgbench) in the set's communities is one
/// accepted `checkins` row with the rule's points and one `award:checkin` entry that points
/// at it, and there are `expected` of them.
async fn check_phase(
    checks: &DatabaseConnection,
    set: &Communities,
    expected: u64,
) -> anyhow::Result<()> {
    let range = set.range();
    let within = format!("BETWEEN {} AND {}", range.start, range.end - 1);
    let rows = scalar(
        checks,
        &format!("SELECT count(*) AS n FROM checkins WHERE community_id {within}"),
    )
    .await?;
    let credited = scalar(
        checks,
        &format!(
            "SELECT count(*) AS n FROM checkins WHERE community_id {within} \
             AND status = 'accepted' AND points_awarded = {POINTS}"
        ),
    )
    .await?;
    let entries = scalar(
        checks,
        &format!(
            "SELECT count(*) AS n FROM points_entries WHERE community_id {within} AND source = 'award:checkin'"
        ),
    )
    .await?;
    let matched = scalar(
        checks,
        &format!(
            "SELECT count(*) AS n FROM points_entries e JOIN checkins c ON e.ref_id = c.id \
             WHERE c.community_id {within} AND e.source = 'award:checkin' AND e.ref_type = 'checkin' \
             AND e.idempotency_key = 'checkin:' || c.id AND e.user_id = c.user_id \
             AND e.community_id = c.community_id AND e.amount = c.points_awarded"
        ),
    )
    .await?;
    ensure!(
        rows as u64 == expected && credited == rows && entries == rows && matched == rows,
        "{}: {expected} check-ins answered, but {rows} rows ({credited} credited), {entries} ledger entries, {matched} matching",
        set.name
    );
    Ok(())
}
