//! One run: the server on PostgreSQL and Redis, the dataset (generated or reused), the
//! logins, the scenarios in order and the report.

use std::{sync::Arc, time::Duration};

use anyhow::{bail, Context};
use api::{clock::Clock, config::Settings, Application};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use crate::{
    city::{self, Sizes},
    load::Target,
    national, query_i64,
    report::{self, Aim},
    scenarios::{self, Cold, Failures, Window},
    stations,
    world::{self, Api, RedisKeys},
    Args, BenchDb,
};

/// A point in the first city (Shanghai's centre): the anonymous nearest-communities query.
const NEAR: (f64, f64) = (31.2304, 121.4737);
/// The community of the leaderboards: the generator makes community 1 the largest.
const COMMUNITY: i64 = 1;
/// The heavy user's id.
const HEAVY: i64 = 1;

/// Generates or reuses the dataset, measures every scenario and writes the report.
pub async fn run(args: &Args, db: &BenchDb) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let prefix = format!(
        "linli_bench_{}:",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );
    let mut settings = Settings::for_development(db.url.clone(), dir.path().to_path_buf());
    settings.redis_url = Some(args.redis_url.clone());
    settings.redis_prefix = prefix.clone();
    settings.rate.raise_all(1_000_000_000);
    settings.access_ttl = Duration::from_secs(1800);
    if let Some(workers) = args.workers {
        settings.workers = workers;
    }
    if let Some(pool) = args.db_pool {
        settings.db_max_connections = pool;
    }
    if let Some(secs) = args.caller_cache_secs {
        settings.caller_cache_ttl = Duration::from_secs(secs);
    }
    let pool = settings.db_max_connections;
    let workers = settings.http_workers();
    // Building the server runs the migrations on the new database.
    let app = Application::build_with_clock(settings, Arc::new(Clock::default())).await?;
    let state = app.state();
    anyhow::ensure!(
        state.cache.backend() == "redis",
        "the server did not take Redis"
    );
    let api = Api::new(app.port())?;
    tokio::spawn(app.run_until_stopped());
    let mut redis = RedisKeys::connect(&args.redis_url, &prefix).await?;

    let checks = db.connect(1).await?;
    if args.only_stations {
        let outcome = stations::alone(args, db, &api, &state, &checks, (workers, pool)).await;
        let _ = redis.flush().await;
        return outcome;
    }
    if db.fresh {
        let sizes = Sizes {
            seed: args.seed,
            users: args.users,
            communities: args.communities,
            entries: args.entries,
            heavy_entries: args.heavy_entries,
        };
        eprintln!("generating the city: {sizes:?}");
        let generated = city::generate(&checks, &sizes).await?;
        let total = generated.total().as_secs_f64();
        eprintln!("generated in {total:.0} s");
        let steps: Vec<String> = generated
            .steps
            .iter()
            .map(|(name, took)| format!("{name} {:.1} s", took.as_secs_f64()))
            .collect();
        checks
            .execute_unprepared(
                "CREATE TABLE bench_city_meta (seed bigint NOT NULL, seconds float8 NOT NULL, \
                 steps text NOT NULL, generated_at timestamptz NOT NULL DEFAULT now())",
            )
            .await?;
        checks
            .execute_raw(Statement::from_sql_and_values(
                checks.get_database_backend(),
                "INSERT INTO bench_city_meta (seed, seconds, steps) VALUES ($1, $2, $3)",
                [args.seed.into(), total.into(), steps.join("; ").into()],
            ))
            .await?;
        if args.generate_only {
            return Ok(());
        }
    } else {
        eprintln!("reusing the dataset of {}", db.name);
    }
    let dataset = Dataset::read(&checks).await?;
    eprintln!("dataset: {}", dataset.describe());

    let admin = world::admin(&api, &state, &format!("bench-admin-{}", &prefix[12..24])).await?;
    let heavy = world::login_resident(&api, HEAVY).await?;
    let residents = world::residents(&api, dataset.users, args.residents).await?;
    let member_id = query_i64(
        &checks,
        &format!(
            "SELECT min(user_id) AS n FROM residences \
             WHERE community_id = {COMMUNITY} AND status = 'approved' AND user_id <> {HEAVY}"
        ),
    )
    .await?;

    let base = format!("{}/api/v1", api.base);
    let one = |path: &str, token: Option<&str>| {
        vec![Target {
            url: format!("{base}{path}"),
            token: token.map(str::to_owned),
        }]
    };
    let window = Window {
        warmup: Duration::from_secs(args.warmup),
        measured: Duration::from_secs(args.seconds),
        clients: args.clients,
    };
    let mut failures = Failures::default();
    let mut rows = Vec::new();
    let healthz = vec![Target {
        url: format!("{}/healthz", api.base),
        token: None,
    }];
    rows.push(scenarios::steady(&api, "`/healthz`", healthz, vec![], window, &mut failures).await?);
    let me = residents
        .iter()
        .map(|u| Target {
            url: format!("{base}/me"),
            token: Some(u.token.clone()),
        })
        .collect();
    let name = format!("`/me` ({} users in turn)", residents.len());
    rows.push(scenarios::steady(&api, &name, me, vec![], window, &mut failures).await?);
    let heavy_token = Some(heavy.token.as_str());
    let name = format!(
        "`/me/points`, a user with {} entries",
        dataset.heavy_entries
    );
    let targets = one("/me/points", heavy_token);
    rows.push(
        scenarios::steady(
            &api,
            &name,
            targets,
            vec![Aim::OfMe(0.8)],
            window,
            &mut failures,
        )
        .await?,
    );
    let name = "`/me/points/entries?limit=20`, the same user";
    let targets = one("/me/points/entries?limit=20", heavy_token);
    rows.push(scenarios::steady(&api, name, targets, vec![], window, &mut failures).await?);
    let leaderboard = format!("/communities/{COMMUNITY}/points/leaderboard");
    let name = format!("month leaderboard, cached ({} members)", dataset.members);
    let targets = one(&format!("{leaderboard}?period=month"), heavy_token);
    rows.push(scenarios::steady(&api, &name, targets, vec![], window, &mut failures).await?);
    let name = "nearest communities, anonymous (default radius)";
    let targets = one(&format!("/communities?lat={}&lng={}", NEAR.0, NEAR.1), None);
    rows.push(
        scenarios::steady(
            &api,
            name,
            targets,
            vec![Aim::OfHealthz(0.25)],
            window,
            &mut failures,
        )
        .await?,
    );
    let mut cold = Cold {
        target: one(&format!("{leaderboard}?period=year"), heavy_token).remove(0),
        staff: &admin,
        community_id: COMMUNITY,
        member_id,
        burst: args.cold_burst,
        rounds: args.cold_rounds,
        by: args.cold_by,
        redis: &mut redis,
        cache: &state.cache,
    };
    let name = format!(
        "year leaderboard, {} requests arriving cold",
        args.cold_burst
    );
    rows.push(
        cold.run(&api, &name, vec![Aim::P99Below(200.0)], &mut failures)
            .await?,
    );
    if args.national_communities > 0 {
        rows.push(
            national::nearest(
                &api,
                &state,
                &checks,
                args.national_communities,
                window,
                &mut failures,
            )
            .await?,
        );
    }
    if args.stations > 0 {
        let (bare, nearby) = stations::nearby(
            &api,
            &state,
            &checks,
            args.stations,
            workers,
            window,
            &mut failures,
        )
        .await?;
        rows.extend([bare, nearby]);
    }
    let _ = redis.flush().await;

    let machine = machine(&checks, pool).await?;
    let (table, all) = report::table(&rows);
    let markdown = render(args, &machine, &dataset, &table, all, &rows, &failures);
    println!("\n{markdown}");
    if failures.total() > 0 {
        bail!(
            "{} requests were not answered 2xx (see FAILURE above); {} left as it was",
            failures.total(),
            args.results.display()
        );
    }
    std::fs::write(&args.results, &markdown)
        .with_context(|| format!("cannot write {}", args.results.display()))?;
    eprintln!("written to {}", args.results.display());
    Ok(())
}

/// The output of git in the bench folder (empty when git is missing).
pub fn git(args: &[&str]) -> String {
    std::process::Command::new("git")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

/// What the database holds, counted.
struct Dataset {
    users: i64,
    communities: i64,
    grids: i64,
    entries: i64,
    heavy_entries: i64,
    members: i64,
    monthly: i64,
    seed: i64,
    seconds: f64,
    steps: String,
}

impl Dataset {
    async fn read(db: &DatabaseConnection) -> anyhow::Result<Self> {
        let meta = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT seed, seconds, steps FROM bench_city_meta",
            ))
            .await
            .context("no bench_city_meta: the database was not generated by read-bench")?
            .context("bench_city_meta is empty")?;
        Ok(Dataset {
            users: query_i64(
                db,
                "SELECT count(*) AS n FROM users WHERE openid LIKE 'mock\\_%'",
            )
            .await?,
            communities: query_i64(db, "SELECT count(*) AS n FROM communities").await?,
            grids: query_i64(db, "SELECT count(*) AS n FROM grids").await?,
            entries: query_i64(db, "SELECT count(*) AS n FROM points_entries").await?,
            heavy_entries: query_i64(
                db,
                &format!("SELECT count(*) AS n FROM points_entries WHERE user_id = {HEAVY}"),
            )
            .await?,
            members: query_i64(
                db,
                &format!("SELECT count(*) AS n FROM residences WHERE community_id = {COMMUNITY}"),
            )
            .await?,
            monthly: query_i64(db, "SELECT count(*) AS n FROM points_monthly").await?,
            seed: meta.try_get("", "seed")?,
            seconds: meta.try_get("", "seconds")?,
            steps: meta.try_get("", "steps")?,
        })
    }

    fn describe(&self) -> String {
        format!(
            "{} users (each with a household and an approved residence), {} communities, {} grids, \
             {} ledger entries ({} of the heavy user), {} `points_monthly` rows; seed {}; \
             generated in {:.0} s",
            self.users, self.communities, self.grids, self.entries, self.heavy_entries,
            self.monthly, self.seed, self.seconds
        )
    }
}

/// The machine, PostgreSQL's version and the server's pool, in a sentence.
pub async fn machine(db: &DatabaseConnection, pool: u32) -> anyhow::Result<String> {
    let version = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SHOW server_version",
        ))
        .await?
        .and_then(|r| r.try_get::<String>("", "server_version").ok())
        .unwrap_or_default();
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_default();
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    Ok(format!(
        "{cpus} CPUs ({model}) shared by the server, the load clients, PostgreSQL {version} and Redis; \
         server pool {pool} connections"
    ))
}

fn render(
    args: &Args,
    machine: &str,
    dataset: &Dataset,
    table: &str,
    all: bool,
    rows: &[report::Row],
    failures: &Failures,
) -> String {
    let dirty = if git(&["status", "--porcelain", "--", ".."]).is_empty() {
        ""
    } else {
        " with uncommitted changes"
    };
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    format!(
        "# Read benchmark results (issue 9)\n\n\
         `cargo run --release -p linli-bench --bin read-bench -- {arguments}`\n\n\
         Run {date} on commit {commit}{dirty}. {machine}. {clients} closed-loop clients, {seconds} s \
         measured per phase after {warmup} s of warm-up; the half-rate phases send the same number of \
         seconds' worth of requests open-loop at half the measured req/s over as many connections (as \
         wrk2 does), latency counted from each request's scheduled time. Cold rounds: {cold_by:?}. Caller cache: {caller_cache}.\n\n\
         Dataset: {dataset}. Generation steps: {steps}.\n\n\
         {table}\n\
         Every aim holds: {all}. Non-2xx answers: {failed}.\n\n\
         ## CPU of the full-speed phases\n\n{cpu}",
        arguments = arguments.join(" "),
        date = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        commit = git(&["rev-parse", "--short", "HEAD"]),
        clients = args.clients,
        seconds = args.seconds,
        warmup = args.warmup,
        cold_by = args.cold_by,
        caller_cache = args
            .caller_cache_secs
            .map_or_else(|| "the default (5 s)".to_owned(), |s| format!("{s} s")),
        dataset = dataset.describe(),
        steps = dataset.steps,
        all = if all { "yes" } else { "no" },
        failed = failures.total(),
        cpu = report::cpu(rows),
    )
}
