//! The run's own PostgreSQL database: created empty, migrated by the server, dropped at the end.

use anyhow::{bail, Context};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};

/// A database created for one run.
pub struct BenchDb {
    /// Where `CREATE DATABASE` and `DROP DATABASE` run.
    admin_url: String,
    /// The run's database name.
    pub name: String,
    /// The run's database URL.
    pub url: String,
}

impl BenchDb {
    /// Creates `linli_bench_<random>` next to the database of `admin_url`.
    pub async fn create(admin_url: &str) -> anyhow::Result<Self> {
        if !admin_url.starts_with("postgres://") && !admin_url.starts_with("postgresql://") {
            bail!("--database-url must be a postgres:// URL, not {admin_url:?}");
        }
        let name = format!("linli_bench_{}", uuid::Uuid::new_v4().simple());
        let mut url = url::Url::parse(admin_url).context("--database-url is not a URL")?;
        url.set_path(&format!("/{name}"));
        execute(admin_url, &format!("CREATE DATABASE {name}")).await?;
        Ok(BenchDb {
            admin_url: admin_url.to_owned(),
            name,
            url: url.to_string(),
        })
    }

    /// Drops the database, closing whatever connections remain.
    pub async fn drop_database(&self) -> anyhow::Result<()> {
        execute(
            &self.admin_url,
            &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
        )
        .await
    }

    /// A small connection to the run's database for checks and setup.
    pub async fn connect(&self) -> anyhow::Result<DatabaseConnection> {
        let mut options = sea_orm::ConnectOptions::new(self.url.clone());
        options
            .max_connections(2)
            .min_connections(1)
            .sqlx_logging(false);
        Database::connect(options)
            .await
            .context("cannot connect to the benchmark database")
    }
}

async fn execute(url: &str, sql: &str) -> anyhow::Result<()> {
    let mut options = sea_orm::ConnectOptions::new(url.to_owned());
    options.max_connections(1).sqlx_logging(false);
    let conn = Database::connect(options)
        .await
        .with_context(|| format!("cannot connect to {url}"))?;
    let result = conn
        .execute_unprepared(sql)
        .await
        .with_context(|| format!("{sql} failed"));
    conn.close().await?;
    result.map(|_| ())
}

/// One `bigint` answered by `sql` (a single row with a column `n`).
pub async fn scalar(db: &DatabaseConnection, sql: &str) -> anyhow::Result<i64> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            sql.to_owned(),
        ))
        .await?
        .with_context(|| format!("no row from {sql}"))?;
    Ok(row.try_get::<i64>("", "n")?)
}
