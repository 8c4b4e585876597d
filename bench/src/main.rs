//! `redemption-bench`: redemptions through the real server under concurrent load, next to
//! the same SQL statements run directly by pgbench on the same database (the ceiling).
//!
//! ```text
//! cargo run --release -p linli-bench -- --database-url postgres://postgres@127.0.0.1:5432/test
//! ```
//! See bench/README.md for what it does and what the columns mean.

mod capture;
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
use clap::Parser;
use sea_orm::{ConnectionTrait, DatabaseConnection};

use crate::{
    database::{scalar, BenchDb},
    raw::{Pgbench, Script},
    report::{Phase, Row},
    seed::{Api, Shelf, World},
    stats::{CpuSnapshot, Latencies},
};

/// Load benchmark of `POST /api/v1/redemptions` on PostgreSQL, with pgbench as the ceiling.
#[derive(Parser, Debug)]
#[command(name = "redemption-bench")]
struct Args {
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
    /// Where the markdown results go (only when every redemption succeeded).
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/results.md"))]
    results: PathBuf,
    /// Instead of the benchmark: log every statement of one redemption from this
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
        args.clients > 0 && args.users_per_client > 0 && args.goods > 0,
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

    eprintln!(
        "seeding {} residents and the goods through the API",
        args.clients * args.users_per_client
    );
    let world = seed::world(&api, &state, args.clients, args.users_per_client).await?;
    if let Some(log) = &args.capture_statements {
        let shelf = seed::shelf(&api, &world, "探针", 1, 100).await?;
        return capture::probe(db, &checks, &api, &world, &shelf, log).await;
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
    let markdown = render(&setup, args.goods, &phases);
    println!("\n{markdown}");
    let failed = phases.iter().map(|p| p.failed).sum::<u64>();
    if failed > 0 {
        bail!(
            "{failed} redemptions were not answered 201 (see FAILURE above); {} left as it was",
            args.results.display()
        );
    }
    std::fs::write(&args.results, &markdown)
        .with_context(|| format!("cannot write {}", args.results.display()))?;
    eprintln!("written to {}", args.results.display());
    Ok(())
}

/// The results as markdown: the command, the setup, the table and every phase.
fn render(setup: &str, goods: usize, phases: &[Phase]) -> String {
    let spread = format!("spread over {goods} goods");
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
        "# Redemption benchmark results\n\n\
         `cargo run --release -p linli-bench -- {arguments}`\n\n\
         Run {date} on commit {commit}{dirty}. {setup}\n\n\
         {table}\n\
         Non-201 answers: {api_failed}. Failed pgbench transactions: none (any fails the run).\n\n\
         ## Phases\n\n{details}",
        arguments = arguments.join(" "),
        date = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        commit = Some(git(&["rev-parse", "--short", "HEAD"]))
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| "unknown".into()),
        table = report::table(&rows),
        api_failed = phases[0].failed + phases[1].failed,
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
    eprintln!(
        "{name}: {} s warm-up, {} s measured",
        window.warmup.as_secs(),
        window.measured.as_secs()
    );
    settle(checks).await;
    let warm = load::drive(api, &world.residents, &shelf.goods, window.warmup).await?;
    let (before, started) = (CpuSnapshot::take(), checkpoints(checks).await?);
    let outcome = load::drive(api, &world.residents, &shelf.goods, window.measured).await?;
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
    check_shelf(checks, shelf, warm.created() + outcome.created()).await?;
    let latencies = Latencies::new(outcome.latencies_us.clone());
    Ok(Phase {
        name: name.to_owned(),
        done: outcome.created(),
        rate: outcome.created() as f64 / outcome.elapsed.as_secs_f64(),
        p50: latencies.quantile_ms(0.5),
        p99: latencies.quantile_ms(0.99),
        failed,
        cpu,
        checkpoints,
    })
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
        eprintln!(
            "{name}: {} s warm-up, {} s measured",
            self.window.warmup.as_secs(),
            self.window.measured.as_secs()
        );
        let (goods_first, goods_last) = (shelf.goods[0], shelf.goods[shelf.goods.len() - 1]);
        let vars = [
            ("first_user", self.first_user.to_string()),
            ("per_client", self.per_client.to_string()),
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
        settle(self.checks).await;
        let warm = if self.window.warmup.is_zero() {
            0
        } else {
            tokio::task::block_in_place(|| self.pgbench.warm_up(script, &vars, self.window.warmup))?
        };
        let (before, started) = (CpuSnapshot::take(), checkpoints(self.checks).await?);
        let outcome = tokio::task::block_in_place(|| {
            self.pgbench.measure(script, &vars, self.window.measured)
        })?;
        let cpu = before.until(&CpuSnapshot::take());
        let checkpoints = checkpoints(self.checks).await? - started;
        check_shelf(self.checks, shelf, warm + outcome.transactions).await?;
        Ok(Phase {
            name: name.to_owned(),
            done: outcome.transactions,
            rate: outcome.tps,
            p50: outcome.latencies.quantile_ms(0.5),
            p99: outcome.latencies.quantile_ms(0.99),
            failed: 0,
            cpu,
            checkpoints,
        })
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
