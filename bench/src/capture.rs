//! `--capture-statements`: the SQL one request (a redemption, a check-in) runs, read from
//! PostgreSQL's own log.

use std::{
    io::{Read, Seek, SeekFrom},
    path::Path,
    time::Duration,
};

use anyhow::Context;
use sea_orm::{ConnectionTrait, DatabaseConnection};

use crate::database::BenchDb;

const START: &str = "linli-bench probe start";
const END: &str = "linli-bench probe end";

/// Turns on `log_statement = 'all'` for the benchmark database only; connections opened
/// afterwards log every statement.
pub async fn enable(db: &BenchDb, checks: &DatabaseConnection) -> anyhow::Result<()> {
    checks
        .execute_unprepared(&format!(
            "ALTER DATABASE {} SET log_statement = 'all'",
            db.name
        ))
        .await?;
    Ok(())
}

/// Sends `request` (a `POST` to `path` that must answer 201) between two marker statements
/// and prints what this database logged between them.
pub async fn probe(
    db: &BenchDb,
    checks: &DatabaseConnection,
    path: &str,
    request: reqwest::RequestBuilder,
    log: &Path,
) -> anyhow::Result<()> {
    let offset = std::fs::metadata(log)
        .with_context(|| format!("cannot read {}", log.display()))?
        .len();
    checks
        .execute_unprepared(&format!("SELECT '{START}'"))
        .await?;
    let response = request.send().await?;
    let status = response.status();
    let body = response.text().await?;
    anyhow::ensure!(
        status == reqwest::StatusCode::CREATED,
        "the probe POST {path} answered {status}: {body}"
    );
    checks
        .execute_unprepared(&format!("SELECT '{END}'"))
        .await?;
    tokio::time::sleep(Duration::from_millis(500)).await;

    let mut file = std::fs::File::open(log)?;
    file.seek(SeekFrom::Start(offset))?;
    let mut text = String::new();
    file.read_to_string(&mut text)?;
    let tag = format!("@{} ", db.name);
    let mut inside = false;
    println!("Answer ({} bytes): {body}", body.len());
    println!("Statements of one POST {path} (from {}):", log.display());
    for line in text.lines().filter(|l| l.contains(&tag)) {
        if line.contains(START) {
            inside = true;
        } else if line.contains(END) {
            break;
        } else if inside {
            let at = line.find(&tag).map(|i| i + tag.len()).unwrap_or(0);
            println!("{}", &line[at..]);
        }
    }
    Ok(())
}
