//! Commands besides `serve`: migrations, creating an admin and loading demo data.

use anyhow::Context;

use crate::{
    cache::Cache,
    clock::Clock,
    config::{Environment, Settings},
    db::Db,
    identity::login as identity,
};

/// Sets up logging: readable lines in development, JSON in production; `LINLI_LOG` filters.
pub fn init_tracing(settings: &Settings) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("LINLI_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi);
    let _ = if settings.env == Environment::Production {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// `linli migrate`.
pub async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let db = Db::connect(&settings.database_url, 2).await?;
    db.migrate().await?;
    println!("migrations applied");
    Ok(())
}

/// `linli create-admin`.
pub async fn create_admin_command(
    settings: &Settings,
    username: &str,
    password: &str,
) -> anyhow::Result<()> {
    let db = Db::connect(&settings.database_url, 2).await?;
    db.migrate().await?;
    let cache = match &settings.redis_url {
        Some(url) => Cache::redis(url, &settings.redis_prefix).await?,
        None => Cache::memory(),
    };
    let id = identity::create_admin(&db, &cache, &Clock::default(), username, password)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("cannot create the admin")?;
    println!(
        "platform admin {username:?} is user {id}; log in with POST /api/v1/auth/password-login"
    );
    Ok(())
}

/// `linli seed-demo`.
pub async fn seed_demo_command(settings: &Settings) -> anyhow::Result<()> {
    crate::demo::seed(settings).await
}
