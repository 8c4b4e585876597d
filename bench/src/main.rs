//! `redemption-bench`: redemptions (or, with `--flow checkin`, check-ins) through the real
//! server under concurrent load, next to the same SQL statements run directly by pgbench on
//! the same database (the ceiling).
//!
//! ```text
//! cargo run --release -p linli-bench -- --database-url postgres://postgres@127.0.0.1:5432/test
//! cargo run --release -p linli-bench -- --database-url postgres://postgres@127.0.0.1:5432/test --flow checkin
//! ```
//! See bench/README.md for what it does and what the columns mean.

mod capture;
mod checkin;
mod database;
mod load;
mod raw;
mod report;
mod seed;
mod stats;

/// mimalloc: fewer cycles than glibc malloc in the many small allocations of a request.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::{path::PathBuf, sync::Arc, time::Duration};

use anyhow::{bail, ensure, Context};
use api::{clock::Clock, config::Settings, Application};
use clap::{Parser, ValueEnum};
use sea_orm::{ConnectionTrait, DatabaseConnection};

use crate::{
    database::{scalar, BenchDb},
    raw::{Pgbench, Script},
    report::{Phase, Row},
    seed::{Api, Shelf, World},
    stats::{CpuSnapshot, Latencies},
};

/// The request a run measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum FlowKind {
    /// `POST /api/v1/redemptions` (bench/sql/redemption.sql).
    Redemption,
    /// `POST /api/v1/checkins` (bench/sql/checkin.sql).
    Checkin,
}

/// Load benchmark of `POST /api/v1/redemptions` (or `/checkins`) on PostgreSQL, with pgbench
/// as the ceiling.
#[derive(Parser, Debug)]
#[command(name = "redemption-bench")]
struct Args {
    /// What to measure.
    #[arg(long, value_enum, default_value_t = FlowKind::Redemption)]
    flow: FlowKind,
    /// Any existing database of the server; the run creates and drops its own next to it.
    #[arg(
        long,
        env = "LINLI_BENCH_DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    database_url: String,
    /// Concurrent HTTP clients, and pgbench clients (`-c`).
    #[arg(long, default_value_t = 64)]
    clients: usize,
    /// Measured seconds per phase.
    #[arg(long, default_value_t = 15)]
    seconds: u64,
    /// Unmeasured seconds before each phase.
    #[arg(long, default_value_t = 3)]
    warmup: u64,
    /// Residents per client; a client rotates over its own.
    #[arg(long, default_value_t = 4)]
    users_per_client: usize,
    /// Goods of the "spread" scenario.
    #[arg(long, default_value_t = 64)]
    goods: usize,
    /// `--flow checkin`: communities of each phase; every volunteer is registered in each,
    /// and a client has (users per client × communities) check-ins to send per phase.
    #[arg(long, default_value_t = 64)]
    communities: usize,
    /// The server's database pool (`LINLI_DB_MAX_CONNECTIONS`); its default when absent.
    #[arg(long)]
    db_pool: Option<u32>,
    /// The server's HTTP worker threads (`LINLI_WORKERS`); one per core when absent.
    #[arg(long)]
    workers: Option<usize>,
    /// pgbench clients (`-c`); `--clients` when absent.
    #[arg(long)]
    pgbench_clients: Option<usize>,
    /// pgbench threads (`-j`).
    #[arg(long, default_value_t = 2)]
    pgbench_threads: usize,
    /// The pgbench executable.
    #[arg(long, default_value = "/usr/bin/pgbench")]
    pgbench: PathBuf,
    /// Format the access log as production does (JSON, info), into a sink.
    #[arg(long)]
    access_log: bool,
    /// Where the markdown results go (only when every request succeeded); bench/results.md,
    /// or bench/results-checkin.md with `--flow checkin`, when absent.
    #[arg(long)]
    results: Option<PathBuf>,
    /// Instead of the benchmark: log every statement of one redemption (or check-in) from this
    /// PostgreSQL log file (e.g. /var/log/postgresql/postgresql-15-main.log) and print them.
    #[arg(long, value_name = "POSTGRES_LOG")]
    capture_statements: Option<PathBuf>,
    /// Leave the benchmark database in place.
    #[arg(long)]
    keep_database: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    init_tracing(args.access_log);
    ensure!(
        args.clients > 0 && args.users_per_client > 0 && args.goods > 0 && args.communities > 0,
        "counts must be positive"
    );
    ensure!(
        args.pgbench_clients.unwrap_or(args.clients) <= args.clients,
        "--pgbench-clients cannot exceed --clients (each pgbench client uses one client's residents)"
    );
    let db = BenchDb::create(&args.database_url).await?;
    eprintln!("benchmark database {}", db.name);
    let outcome = run(&args, &db).await;
    if args.keep_database {
        eprintln!("kept database {}", db.name);
    } else {
        db.drop_database().await?;
    }
    outcome
}

/// Quiet by default (warnings and errors only); `--access-log` formats every request line as
/// the production server does and throws it away, to price the logging.
fn init_tracing(access_log: bool) {
    let fallback = if access_log {
        "info,sqlx=warn,sea_orm=warn"
    } else {
        "warn"
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("LINLI_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(fallback));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if access_log {
        let _ = builder.json().with_writer(std::io::sink).try_init();
    } else {
        let _ = builder.with_writer(std::io::stderr).try_init();
    }
}

async fn run(args: &Args, db: &BenchDb) -> anyhow::Result<()> {
    let mut checks = db.connect().await?;
    if args.capture_statements.is_some() {
        capture::enable(db, &checks).await?;
        // A new connection, so that the probe's markers are logged too.
        checks = db.connect().await?;
    }
    let dir = tempfile::tempdir()?;
    let mut settings = Settings::for_development(db.url.clone(), dir.path().to_path_buf());
    settings.rate.raise_all(1_000_000_000);
    // The longest the settings allow; a run must finish within it.
    settings.access_ttl = Duration::from_secs(1800);
    if let Some(workers) = args.workers {
        settings.workers = workers;
    }
    if let Some(pool) = args.db_pool {
        settings.db_max_connections = pool;
    }
    let pool = settings.db_max_connections;
    let app = Application::build_with_clock(settings, Arc::new(Clock::default())).await?;
    let state = app.state();
    let api = Api::new(app.port())?;
    tokio::spawn(app.run_until_stopped());
    if args.flow == FlowKind::Checkin {
        return checkin::run(args, db, &api, &state, &checks, pool).await;
    }

    eprintln!(
        "seeding {} residents and the goods through the API",
        args.clients * args.users_per_client
    );
    let world = seed::world(&api, &state, args.clients, args.users_per_client).await?;
    if let Some(log) = &args.capture_statements {
        let shelf = seed::shelf(&api, &world, "探针", 1, 100).await?;
        let request = api
            .http
            .post(format!("{}/api/v1/redemptions", api.base))
            .bearer_auth(&world.residents[0][0].token)
            .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
            .json(&serde_json::json!({ "goods_id": shelf.goods[0], "quantity": 1 }));
        return capture::probe(db, &checks, "/api/v1/redemptions", request, log).await;
    }
    // Enough stock for 20,000 redemptions a second on one item.
    let hot_stock = ((args.warmup + args.seconds) as i64 * 20_000).max(100_000);
    let spread_stock = (hot_stock / args.goods as i64 * 4).clamp(10_000, 100_000);
    // Every phase gets a community of its own, so none starts with another's pending codes.
    let spread_api = seed::shelf(&api, &world, "分散-API", args.goods, spread_stock).await?;
    let hot_api = seed::shelf(&api, &world, "热门-API", 1, hot_stock).await?;
    let spread_raw = seed::shelf(&api, &world, "分散-SQL", args.goods, spread_stock).await?;
    let hot_raw = seed::shelf(&api, &world, "热门-SQL", 1, hot_stock).await?;
    let naive_raw = seed::shelf(&api, &world, "热门-SQL-naive", 1, hot_stock).await?;
    let before = CpuSnapshot::take();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle_busy = before.until(&CpuSnapshot::take()).busy;
    if idle_busy > 0.1 {
        eprintln!(
            "warning: the machine was {:.0}% busy before the phases; expect noise",
            100.0 * idle_busy
        );
    }

    let window = Window {
        warmup: Duration::from_secs(args.warmup),
        measured: Duration::from_secs(args.seconds),
    };
    let mut phases = Vec::new();
    phases.push(api_phase(&api, &world, &spread_api, &checks, "API, spread", window).await?);
    phases.push(api_phase(&api, &world, &hot_api, &checks, "API, hot item", window).await?);

    // The server is idle from here on: free its connections for pgbench's.
    state.db.close().await?;
    // The scripts' pickup codes (see bench/sql/redemption.sql).
    checks
        .execute_unprepared("CREATE SEQUENCE bench_pickup_codes")
        .await?;
    let raw = RawRun {
        pgbench: Pgbench {
            program: &args.pgbench,
            url: &db.url,
            clients: args.pgbench_clients.unwrap_or(args.clients),
            threads: args.pgbench_threads,
        },
        first_user: world.first_resident(),
        per_client: args.users_per_client as i64,
        checks: &checks,
        window,
    };
    phases.push(
        raw.phase(raw::API_ORDER, &spread_raw, "raw, spread")
            .await?,
    );
    phases.push(raw.phase(raw::API_ORDER, &hot_raw, "raw, hot item").await?);
    phases.push(
        raw.phase(raw::NAIVE_ORDER, &naive_raw, "raw, hot item, naive order")
            .await?,
    );
    check_wallets(&checks).await?;

    let version = checks
        .query_one_raw(sea_orm::Statement::from_string(
            checks.get_database_backend(),
            "SHOW server_version",
        ))
        .await?
        .and_then(|r| r.try_get::<String>("", "server_version").ok())
        .unwrap_or_default();
    let setup = format!(
        "{clients} clients × {per_client} residents, {seconds} s measured per phase after {warm} s of warm-up; \
         server pool {pool} connections; pgbench `-c {pg_clients} -j {threads} -M prepared`; PostgreSQL {version}; \
         {cpus} CPUs shared by the server, the load clients and PostgreSQL, {idle:.0}% busy just before the phases.",
        clients = args.clients,
        per_client = args.users_per_client,
        seconds = args.seconds,
        warm = args.warmup,
        pg_clients = raw.pgbench.clients,
        threads = args.pgbench_threads,
        cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        idle = 100.0 * idle_busy,
    );
    let spread = format!("spread over {} goods", args.goods);
    let rows = [
        Row {
            scenario: &spread,
            api: &phases[0],
            raw: &phases[2],
        },
        Row {
            scenario: "one hot item",
            api: &phases[1],
            raw: &phases[3],
        },
        Row {
            scenario: "one hot item, raw in naive order",
            api: &phases[1],
            raw: &phases[4],
        },
    ];
    let markdown = render("Redemption benchmark results", &setup, &rows, &phases);
    publish(args, "redemptions", "results.md", &markdown, &phases)
}

/// Prints the results and writes them to `--results` (or `default` in bench/) when every
/// request of the phases succeeded; fails the run otherwise.
fn publish(
    args: &Args,
    what: &str,
    default: &str,
    markdown: &str,
    phases: &[Phase],
) -> anyhow::Result<()> {
    let path = args
        .results
        .clone()
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(default));
    println!("\n{markdown}");
    let failed = phases.iter().map(|p| p.failed).sum::<u64>();
    if failed > 0 {
        bail!(
            "{failed} {what} were not answered 201 (see FAILURE above); {} left as it was",
            path.display()
        );
    }
    std::fs::write(&path, markdown).with_context(|| format!("cannot write {}", path.display()))?;
    eprintln!("written to {}", path.display());
    Ok(())
}

/// The results as markdown: the command, the setup, the table and every phase.
fn render(title: &str, setup: &str, rows: &[Row<'_>], phases: &[Phase]) -> String {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default()
    };
    let dirty = if git(&["status", "--porcelain"]).is_empty() {
        ""
    } else {
        " with uncommitted changes"
    };
    format!(
        "# {title}\n\n\
         `cargo run --release -p linli-bench -- {arguments}`\n\n\
         Run {date} on commit {commit}{dirty}. {setup}\n\n\
         {table}\n\
         Non-201 answers: {failed}. Failed pgbench transactions: none (any fails the run).\n\n\
         ## Phases\n\n{details}",
        arguments = arguments.join(" "),
        date = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        commit = Some(git(&["rev-parse", "--short", "HEAD"]))
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| "unknown".into()),
        table = report::table(rows),
        failed = phases.iter().map(|p| p.failed).sum::<u64>(),
        details = report::phases(phases),
    )
}

/// Unmeasured and measured time of a phase.
#[derive(Clone, Copy, Debug)]
struct Window {
    warmup: Duration,
    measured: Duration,
}

/// Warm-up, then the measured window of HTTP load on `shelf`; then checks that every 201 is
/// one redemption, one ledger entry and one unit of stock. Answers other than 201 are
/// counted and shown (the run fails at the end when there are any).
async fn api_phase(
    api: &Api,
    world: &World,
    shelf: &Shelf,
    checks: &DatabaseConnection,
    name: &str,
    window: Window,
) -> anyhow::Result<Phase> {
    let flow = load::redemptions(&shelf.goods, world.residents[0].len());
    let (phase, created) = http_phase(api, &world.residents, &flow, checks, name, window).await?;
    check_shelf(checks, shelf, created).await?;
    Ok(phase)
}

/// Warm-up, then the measured window of HTTP load of `flow`; answers the phase and the 201s
/// of both (for the caller's checks). Answers other than 201 are counted and shown (the run
/// fails at the end when there are any).
async fn http_phase(
    api: &Api,
    residents: &[Vec<seed::User>],
    flow: &load::Flow,
    checks: &DatabaseConnection,
    name: &str,
    window: Window,
) -> anyhow::Result<(Phase, u64)> {
    eprintln!(
        "{name}: {} s warm-up, {} s measured",
        window.warmup.as_secs(),
        window.measured.as_secs()
    );
    settle(checks).await;
    let warm = load::drive(api, residents, flow, window.warmup).await?;
    let (before, started) = (CpuSnapshot::take(), checkpoints(checks).await?);
    let outcome = load::drive(api, residents, flow, window.measured).await?;
    let cpu = before.until(&CpuSnapshot::take());
    let checkpoints = checkpoints(checks).await? - started;
    let failed = warm.failed() + outcome.failed();
    if failed > 0 {
        eprintln!(
            "FAILURE {name}: {failed} answers were not 201 ({:?} in the warm-up, {:?} measured); first: {}",
            warm.failures,
            outcome.failures,
            warm.first_failure.as_ref().or(outcome.first_failure.as_ref()).cloned().unwrap_or_default()
        );
    }
    let latencies = Latencies::new(outcome.latencies_us.clone());
    let phase = Phase {
        name: name.to_owned(),
        done: outcome.created(),
        rate: outcome.created() as f64 / outcome.elapsed.as_secs_f64(),
        p50: latencies.quantile_ms(0.5),
        p99: latencies.quantile_ms(0.99),
        failed,
        cpu,
        checkpoints,
    };
    Ok((phase, warm.created() + outcome.created()))
}

/// What every pgbench phase shares.
struct RawRun<'a> {
    pgbench: Pgbench<'a>,
    first_user: i64,
    per_client: i64,
    checks: &'a DatabaseConnection,
    window: Window,
}

impl RawRun<'_> {
    /// pgbench's warm-up and measured run of `script` on `shelf`, then the shelf's checks.
    async fn phase(&self, script: Script, shelf: &Shelf, name: &str) -> anyhow::Result<Phase> {
        let (goods_first, goods_last) = (shelf.goods[0], shelf.goods[shelf.goods.len() - 1]);
        let vars = [
            ("goods_first", goods_first.to_string()),
            ("goods_last", goods_last.to_string()),
            ("community", shelf.community_id.to_string()),
            ("price", seed::PRICE.to_string()),
            ("reason", format!("兑换{}×1", shelf.name(0))),
            (
                "body",
                seed::answer_like(shelf, goods_last, self.first_user),
            ),
        ];
        let (phase, done) = self.run(script, &vars, name).await?;
        check_shelf(self.checks, shelf, done).await?;
        Ok(phase)
    }

    /// pgbench's warm-up and measured run of `script` with `vars` (`first_user` and
    /// `per_client` are added); answers the phase and the transactions of both.
    async fn run(
        &self,
        script: Script,
        vars: &[(&str, String)],
        name: &str,
    ) -> anyhow::Result<(Phase, u64)> {
        eprintln!(
            "{name}: {} s warm-up, {} s measured",
            self.window.warmup.as_secs(),
            self.window.measured.as_secs()
        );
        // `pass` tells the warm-up (0) from the measured run (1): a script that must not
        // repeat itself across the two (bench/sql/checkin.sql's days) uses it.
        let mut vars = vars.to_vec();
        vars.push(("first_user", self.first_user.to_string()));
        vars.push(("per_client", self.per_client.to_string()));
        vars.push(("pass", "0".to_owned()));
        settle(self.checks).await;
        let warm = if self.window.warmup.is_zero() {
            0
        } else {
            tokio::task::block_in_place(|| self.pgbench.warm_up(script, &vars, self.window.warmup))?
        };
        if let Some(pass) = vars.last_mut() {
            pass.1 = "1".to_owned();
        }
        let (before, started) = (CpuSnapshot::take(), checkpoints(self.checks).await?);
        let outcome = tokio::task::block_in_place(|| {
            self.pgbench.measure(script, &vars, self.window.measured)
        })?;
        let cpu = before.until(&CpuSnapshot::take());
        let checkpoints = checkpoints(self.checks).await? - started;
        let phase = Phase {
            name: name.to_owned(),
            done: outcome.transactions,
            rate: outcome.tps,
            p50: outcome.latencies.quantile_ms(0.5),
            p99: outcome.latencies.quantile_ms(0.99),
            failed: 0,
            cpu,
            checkpoints,
        };
        Ok((phase, warm + outcome.transactions))
    }
}

/// Starts every phase from the same state: dead rows of the earlier phases vacuumed (the
/// server may run without autovacuum), statistics fresh, and a checkpoint just taken so that
/// each phase pays the same full-page writes. Failures (no superuser) only warn.
async fn settle(checks: &DatabaseConnection) {
    for sql in ["VACUUM (ANALYZE)", "CHECKPOINT"] {
        if let Err(e) = checks.execute_unprepared(sql).await {
            eprintln!("warning: {sql} failed, phases may differ more: {e}");
        }
    }
}

/// Checkpoints the server has started so far (timed and requested).
async fn checkpoints(checks: &DatabaseConnection) -> anyhow::Result<i64> {
    scalar(
        checks,
        "SELECT (checkpoints_timed + checkpoints_req)::bigint AS n FROM pg_stat_bgwriter",
    )
    .await
}

/// Every redemption of the shelf's community took one unit of stock and wrote one `redeem`
/// entry that points at it, and there are `expected` of them.
async fn check_shelf(
    checks: &DatabaseConnection,
    shelf: &Shelf,
    expected: u64,
) -> anyhow::Result<()> {
    let c = shelf.community_id;
    let redemptions = scalar(
        checks,
        &format!("SELECT count(*) AS n FROM redemptions WHERE community_id = {c}"),
    )
    .await?;
    let entries = scalar(
        checks,
        &format!(
            "SELECT count(*) AS n FROM points_entries \
             WHERE community_id = {c} AND kind = 'redeem' AND ref_type = 'redemption' AND ref_id IS NOT NULL"
        ),
    )
    .await?;
    let taken = scalar(
        checks,
        &format!("SELECT (sum(total_stocked) - sum(stock))::bigint AS n FROM goods WHERE community_id = {c}"),
    )
    .await?;
    ensure!(
        redemptions as u64 == expected && entries == redemptions && taken == redemptions,
        "community {c}: {expected} redemptions answered, but {redemptions} rows, {entries} ledger entries, {taken} units taken"
    );
    Ok(())
}

/// Every wallet's balance equals the sum of its entries, and none is negative.
async fn check_wallets(checks: &DatabaseConnection) -> anyhow::Result<()> {
    let wrong = scalar(
        checks,
        "SELECT count(*) AS n FROM points_wallets w WHERE w.balance < 0 \
         OR w.balance <> (SELECT coalesce(sum(e.amount), 0) FROM points_entries e WHERE e.user_id = w.user_id)",
    )
    .await?;
    ensure!(
        wrong == 0,
        "{wrong} wallets do not match their ledger entries"
    );
    Ok(())
}
