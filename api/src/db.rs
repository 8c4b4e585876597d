//! Database connection, migrations and write transactions.

use std::{
    cell::Cell,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, OnceLock,
    },
    time::Duration,
};

use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::{
    sqlx::{
        postgres::{PgConnectOptions, PgPoolOptions},
        ConnectOptions as _,
    },
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, ExecResult, QueryResult, SqlxPostgresConnector, Statement, TransactionTrait,
};
use tokio::sync::{Mutex, OwnedMutexGuard};

/// The database pool, plus the writer lock SQLite needs.
#[derive(Clone, Debug)]
pub struct Db {
    conn: DatabaseConnection,
    /// SQLite allows one writer: write transactions queue here in-process (fairly) and each
    /// takes the database's write lock with its first statement.
    writer: Option<Arc<Mutex<()>>>,
    /// PostgreSQL pools of the HTTP workers, one each (see `start_worker`).
    workers: Arc<WorkerPools>,
}

/// One pool per HTTP worker thread. A connection's socket belongs to the runtime that opened
/// it; used from another worker, every answer waits for that worker's thread to notice it
/// and hand it over. With a pool of its own, each worker's connections are opened, driven and
/// pinged on release by its own runtime.
#[derive(Debug, Default)]
struct WorkerPools {
    url: String,
    per_worker: u32,
    pools: Vec<OnceLock<DatabaseConnection>>,
    next: AtomicUsize,
}

/// Idle connections are closed after this long.
const IDLE_TIMEOUT: Duration = Duration::from_secs(240);

thread_local! {
    /// The worker pools (by address) and the slot this thread took in them.
    static WORKER_SLOT: Cell<Option<(usize, usize)>> = const { Cell::new(None) };
}

/// A write transaction; on SQLite it holds the writer lock until dropped.
pub struct WriteTxn {
    txn: DatabaseTransaction,
    _writer: Option<OwnedMutexGuard<()>>,
}

impl WriteTxn {
    /// Commits the transaction.
    pub async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await
    }
}

impl std::ops::Deref for WriteTxn {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

/// One autocommitted write statement; on SQLite it holds the writer lock until dropped.
pub struct SingleWrite {
    conn: DatabaseConnection,
    _writer: Option<OwnedMutexGuard<()>>,
}

/// `ConnectionTrait` for a wrapper that holds the writer lock next to its connection: every
/// call goes to `$field`.
macro_rules! delegate_connection {
    ($type:ty, $field:ident) => {
        #[async_trait::async_trait]
        impl ConnectionTrait for $type {
            fn get_database_backend(&self) -> DbBackend {
                self.$field.get_database_backend()
            }
            async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
                self.$field.execute_raw(stmt).await
            }
            async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
                self.$field.execute_unprepared(sql).await
            }
            async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
                self.$field.query_one_raw(stmt).await
            }
            async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
                self.$field.query_all_raw(stmt).await
            }
            fn support_returning(&self) -> bool {
                self.$field.support_returning()
            }
        }
    };
}

// A write transaction is a connection: pass `&txn` wherever sea-orm wants one.
delegate_connection!(WriteTxn, txn);
delegate_connection!(SingleWrite, conn);

impl Db {
    /// Connects to SQLite (WAL, busy timeout, foreign keys) or PostgreSQL.
    pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<Self> {
        let sqlite = url.starts_with("sqlite:");
        let mut opts = ConnectOptions::new(url.to_owned());
        opts.max_connections(if sqlite {
            max_connections.min(8)
        } else {
            max_connections
        })
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(5))
        // sqlx would ping every connection it hands out: one more round trip per query
        // outside a transaction. A connection that died answers its next query with an
        // error (503 `service_busy`) and is dropped; idle ones are closed before middleboxes
        // that cut idle TCP connections (often after ~350 s) would.
        .test_before_acquire(false)
        .idle_timeout(IDLE_TIMEOUT)
        .sqlx_logging(false);
        if sqlite {
            opts.map_sqlx_sqlite_opts(|o| {
                o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                    .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true)
                    .create_if_missing(true)
            });
        }
        let conn = Database::connect(opts)
            .await
            .context("cannot connect to the database")?;
        Ok(Db {
            conn,
            writer: sqlite.then(|| Arc::new(Mutex::new(()))),
            workers: Arc::default(),
        })
    }

    /// The server's pools. PostgreSQL: each of `workers` HTTP workers gets a pool of its own
    /// (`max / workers`, at least 2, opened lazily by the worker, see `start_worker`) and
    /// migrations and background work share up to 4 connections. SQLite: one pool of `max`.
    pub async fn connect_server(url: &str, max: u32, workers: usize) -> anyhow::Result<Self> {
        let sqlite = url.starts_with("sqlite:");
        let db = Self::connect(url, if sqlite { max } else { max.min(4) }).await?;
        let per_worker = max.div_ceil(workers.max(1) as u32).max(2);
        Ok(db.with_worker_pools(url, workers, per_worker))
    }

    fn with_worker_pools(mut self, url: &str, workers: usize, per_worker: u32) -> Self {
        if self.writer.is_none() {
            self.workers = Arc::new(WorkerPools {
                url: url.to_owned(),
                per_worker: per_worker.max(1),
                pools: (0..workers).map(|_| OnceLock::new()).collect(),
                next: AtomicUsize::new(0),
            });
        }
        self
    }

    /// Called on each HTTP worker thread as it starts: from then on `conn` and the
    /// transactions of this thread use a pool of the worker's own (when there is one left;
    /// otherwise the shared pool).
    pub fn start_worker(&self) -> anyhow::Result<()> {
        let workers = &self.workers;
        let slot = workers.next.fetch_add(1, Ordering::Relaxed);
        let Some(cell) = workers.pools.get(slot) else {
            return Ok(());
        };
        let options: PgConnectOptions = workers
            .url
            .parse()
            .context("LINLI_DATABASE_URL is not a PostgreSQL URL")?;
        // The shared pool's settings; `connect_lazy_with` opens connections on first use,
        // inside the worker's runtime.
        let pool = PgPoolOptions::new()
            .max_connections(workers.per_worker)
            .acquire_timeout(Duration::from_secs(5))
            .test_before_acquire(false)
            .idle_timeout(IDLE_TIMEOUT)
            .connect_lazy_with(options.disable_statement_logging());
        let _ = cell.set(SqlxPostgresConnector::from_sqlx_postgres_pool(pool));
        WORKER_SLOT.with(|s| s.set(Some((Arc::as_ptr(workers) as usize, slot))));
        Ok(())
    }

    /// Closes every pool (the shared one and the workers').
    pub async fn close(&self) -> Result<(), DbErr> {
        for pool in self.workers.pools.iter().filter_map(OnceLock::get) {
            pool.clone().close().await?;
        }
        self.conn.clone().close().await
    }

    /// Brings the schema up to date.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        Migrator::up(&self.conn, None)
            .await
            .context("migrations failed")
    }

    /// The pool, for reads and single-statement writes: this HTTP worker's own, or the
    /// shared one (background tasks, tools, SQLite).
    pub fn conn(&self) -> &DatabaseConnection {
        let workers = Arc::as_ptr(&self.workers) as usize;
        WORKER_SLOT
            .with(Cell::get)
            .filter(|(owner, _)| *owner == workers)
            .and_then(|(_, slot)| self.workers.pools.get(slot)?.get())
            .unwrap_or(&self.conn)
    }

    /// Starts a transaction that will write.
    pub async fn begin_write(&self) -> Result<WriteTxn, DbErr> {
        let guard = match &self.writer {
            Some(lock) => Some(lock.clone().lock_owned().await),
            None => None,
        };
        let txn = self.conn().begin().await?;
        if guard.is_some() {
            // Take SQLite's write lock now, as BEGIN IMMEDIATE would: a transaction that reads
            // first cannot upgrade while a dropped transaction's rollback is still pending (it
            // fails at once, without the busy timeout); a first write waits its turn instead.
            txn.execute_unprepared("UPDATE users SET id = id WHERE 0 = 1")
                .await?;
        }
        Ok(WriteTxn {
            txn,
            _writer: guard,
        })
    }

    /// A single-statement write outside a transaction (PostgreSQL commits it alone, in one
    /// round trip); on SQLite it holds the writer lock like a transaction.
    pub async fn single_write(&self) -> SingleWrite {
        let guard = match &self.writer {
            Some(lock) => Some(lock.clone().lock_owned().await),
            None => None,
        };
        SingleWrite {
            conn: self.conn().clone(),
            _writer: guard,
        }
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), DbErr> {
        self.conn().execute_unprepared("SELECT 1").await.map(|_| ())
    }
}
