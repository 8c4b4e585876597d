//! The `linli` binary: serve (default), migrate, create-admin, seed-demo, openapi.

/// mimalloc: fewer cycles than glibc malloc in the many small allocations of a request.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use api::{cli, config::Settings, Application};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "linli",
    version,
    about = "邻里 linli: community governance API (settings from LINLI_* variables, see .env.example)"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Create (or reset) a platform administrator with a console password.
    CreateAdmin {
        /// Login name.
        #[arg(long)]
        username: String,
        /// Password, at least 8 characters.
        #[arg(long)]
        password: String,
    },
    /// Load a small demo city and print how to log in.
    SeedDemo,
    /// Print the OpenAPI document.
    Openapi,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let command = Cli::parse().command.unwrap_or(Command::Serve);
    if let Command::Openapi = command {
        print!("{}", api::openapi::document_json());
        return Ok(());
    }
    let settings = Settings::from_env()?;
    cli::init_tracing(&settings);
    match command {
        Command::Serve => {
            let app = Application::build(settings).await?;
            tracing::info!(port = app.port(), "linli is serving");
            app.run_until_stopped().await?;
        }
        Command::Migrate => cli::migrate(&settings).await?,
        Command::CreateAdmin { username, password } => {
            cli::create_admin_command(&settings, &username, &password).await?
        }
        Command::SeedDemo => cli::seed_demo_command(&settings).await?,
        Command::Openapi => unreachable!("handled above"),
    }
    Ok(())
}
