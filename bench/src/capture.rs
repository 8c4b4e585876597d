//! `--capture-statements`: the SQL one redemption runs, read from PostgreSQL's own log.

use std::{
    io::{Read, Seek, SeekFrom},
    path::Path,
    time::Duration,
};

use anyhow::Context;
use sea_orm::{ConnectionTrait, DatabaseConnection};

use crate::{
    database::BenchDb,
    seed::{Api, Shelf, World},
};

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

/// Sends one redemption between two marker statements and prints what this database logged
/// between them.
pub async fn probe(
    db: &BenchDb,
    checks: &DatabaseConnection,
    api: &Api,
    world: &World,
    shelf: &Shelf,
    log: &Path,
) -> anyhow::Result<()> {
    let offset = std::fs::metadata(log)
        .with_context(|| format!("cannot read {}", log.display()))?
        .len();
    checks
        .execute_unprepared(&format!("SELECT '{START}'"))
        .await?;
    let response = api
        .http
        .post(format!("{}/api/v1/redemptions", api.base))
        .bearer_auth(&world.residents[0][0].token)
        .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
        .json(&serde_json::json!({ "goods_id": shelf.goods[0], "quantity": 1 }))
        .send()
        .await?;
    let status = response.status();
    let body = response.text().await?;
    anyhow::ensure!(
        status == reqwest::StatusCode::CREATED,
        "the probe redemption answered {status}: {body}"
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
    println!(
        "Statements of one POST /api/v1/redemptions (from {}):",
        log.display()
    );
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
