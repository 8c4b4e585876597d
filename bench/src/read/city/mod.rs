//! The city-scale dataset: regions, communities, grids, users with their households and
//! approved residences, the points ledger and everything the ledger keeps consistent
//! (wallets, `points_monthly`), written by set-based SQL on a migrated, empty database.

mod sql;

use std::time::{Duration, Instant};

use anyhow::{ensure, Context};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

/// How big a city to make.
#[derive(Clone, Debug)]
pub struct Sizes {
    /// Seed of every random choice.
    pub seed: i64,
    /// Users (each with a household and an approved residence).
    pub users: i64,
    /// Communities (15 grids each).
    pub communities: i64,
    /// Ledger entries, even.
    pub entries: i64,
    /// Entries of the heavy user (id 1), even.
    pub heavy_entries: i64,
}

impl Sizes {
    /// `template` with its placeholders filled; `now` is an SQL timestamptz literal.
    fn render(&self, template: &str, now: &str) -> String {
        template
            .replace("{now}", now)
            .replace("{seed}", &self.seed.to_string())
            .replace("{users}", &self.users.to_string())
            .replace("{communities}", &self.communities.to_string())
            .replace("{units}", &(self.entries / 2).to_string())
            .replace("{heavy_units}", &(self.heavy_entries / 2).to_string())
    }
}

/// What a generation did: each step with its time.
#[derive(Clone, Debug, Default)]
pub struct Generated {
    /// Step name and wall time.
    pub steps: Vec<(String, Duration)>,
}

impl Generated {
    /// Sum of the steps.
    pub fn total(&self) -> Duration {
        self.steps.iter().map(|s| s.1).sum()
    }
}

/// Fills the (migrated, empty) database behind `db`, which must hold a single connection
/// (the steps share session settings and helper functions).
pub async fn generate(db: &DatabaseConnection, sizes: &Sizes) -> anyhow::Result<Generated> {
    ensure!(
        sizes.entries % 2 == 0 && sizes.heavy_entries % 2 == 0,
        "--entries and --heavy-entries must be even (entries come in pairs)"
    );
    ensure!(
        sizes.heavy_entries < sizes.entries && sizes.users >= 2 && sizes.communities >= 1,
        "the city needs at least two users, a community and more entries than the heavy user's"
    );
    let users = crate::query_i64(db, "SELECT count(*) AS n FROM users").await?;
    ensure!(
        users == 0,
        "the database already has {users} users; the generator needs an empty one"
    );
    let now = "date_trunc('hour', now())";
    let mut run = Steps::default();
    run.sql(
        db,
        "session settings and helpers",
        &format!(
            "SET work_mem = '256MB'; SET maintenance_work_mem = '1GB'; \
             SET synchronous_commit = off; {}",
            sql::FUNCTIONS
        ),
    )
    .await?;
    let dropped = Dropped::capture(db).await?;
    run.sql(db, "drop bulk tables' FKs and indexes", &dropped.drop_sql())
        .await?;
    let steps: [(&str, &str); 10] = [
        ("regions (4 districts, 40 streets)", sql::REGIONS),
        ("communities", sql::COMMUNITIES),
        ("grids", sql::GRIDS),
        ("users", sql::USERS),
        ("residents (staging)", sql::MEMBERS),
        ("households and residences", sql::HOUSEHOLDS),
        ("ledger units (staging)", sql::STEPS),
        ("points_entries", sql::ENTRIES),
        ("points_wallets", sql::WALLETS),
        ("points_monthly", sql::MONTHLY),
    ];
    for (name, template) in steps {
        run.sql(db, name, &sizes.render(template, now)).await?;
    }
    run.sql(db, "drop staging", sql::CLEANUP).await?;
    run.sql(db, "recreate indexes", &dropped.index_sql())
        .await?;
    run.sql(db, "recreate foreign keys", &dropped.fk_sql())
        .await?;
    let sequences: String = sql::SEQUENCED
        .iter()
        .map(|t| {
            format!(
                "SELECT setval(pg_get_serial_sequence('{t}', 'id'), \
                 (SELECT coalesce(max(id), 0) + 1 FROM {t}), false);"
            )
        })
        .collect();
    run.sql(db, "sequences", &sequences).await?;
    run.sql(db, "VACUUM (ANALYZE)", "VACUUM (ANALYZE)").await?;
    Ok(run.done)
}

#[derive(Default)]
struct Steps {
    done: Generated,
}

impl Steps {
    async fn sql(&mut self, db: &DatabaseConnection, name: &str, sql: &str) -> anyhow::Result<()> {
        let started = Instant::now();
        db.execute_unprepared(sql)
            .await
            .with_context(|| format!("generation step {name:?} failed"))?;
        let took = started.elapsed();
        eprintln!("  {name:<36} {:>7.1} s", took.as_secs_f64());
        self.done.steps.push((name.to_owned(), took));
        Ok(())
    }
}

/// The foreign keys and secondary indexes of the bulk tables, as PostgreSQL prints them.
struct Dropped {
    /// (table, name, definition).
    fks: Vec<(String, String, String)>,
    /// (name, `CREATE INDEX …`).
    indexes: Vec<(String, String)>,
}

impl Dropped {
    async fn capture(db: &DatabaseConnection) -> anyhow::Result<Self> {
        let tables = sql::BULK
            .iter()
            .map(|t| format!("'{t}'"))
            .collect::<Vec<_>>()
            .join(", ");
        let rows = |sql: String| async move {
            db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
                .await
        };
        let mut fks = Vec::new();
        for row in rows(format!(
            "SELECT conrelid::regclass::text AS t, conname::text AS name, \
             pg_get_constraintdef(oid) AS def FROM pg_constraint \
             WHERE contype = 'f' AND conrelid::regclass::text IN ({tables}) ORDER BY conname"
        ))
        .await?
        {
            fks.push((
                row.try_get("", "t")?,
                row.try_get("", "name")?,
                row.try_get("", "def")?,
            ));
        }
        let mut indexes = Vec::new();
        for row in rows(format!(
            "SELECT indexname::text AS name, indexdef AS def FROM pg_indexes \
             WHERE schemaname = current_schema() AND tablename IN ({tables}) \
             AND indexname NOT IN (SELECT conname FROM pg_constraint) ORDER BY indexname"
        ))
        .await?
        {
            indexes.push((row.try_get("", "name")?, row.try_get("", "def")?));
        }
        Ok(Dropped { fks, indexes })
    }

    fn drop_sql(&self) -> String {
        let fks = self
            .fks
            .iter()
            .map(|(t, name, _)| format!("ALTER TABLE {t} DROP CONSTRAINT {name};"));
        let indexes = self
            .indexes
            .iter()
            .map(|(name, _)| format!("DROP INDEX {name};"));
        fks.chain(indexes).collect()
    }

    fn index_sql(&self) -> String {
        self.indexes
            .iter()
            .map(|(_, def)| format!("{def};"))
            .collect()
    }

    fn fk_sql(&self) -> String {
        self.fks
            .iter()
            .map(|(t, name, def)| format!("ALTER TABLE {t} ADD CONSTRAINT {name} {def};"))
            .collect()
    }
}
