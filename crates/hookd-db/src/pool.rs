use crate::tls::Target;
use crate::DbError;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use std::time::Duration;
use tokio_postgres::NoTls;

/// A pool for `url` with `size` connections; waits at most 5 s for a connection so a dead
/// database answers 503 promptly instead of hanging requests.
pub fn connect(url: &str, size: usize) -> Result<Pool, DbError> {
    build(url, size, false)
}

/// A pool whose commits do not wait for the disk flush (`synchronous_commit = off`), for the
/// router and the delivery worker. What a database crash can lose there is redone: an unrouted
/// message is relayed, a delivery whose record is lost is resent after its lease (a rare
/// duplicate, which at-least-once allows). Ingest keeps synchronous commits: its 202 is the
/// promise.
pub fn connect_relaxed(url: &str, size: usize) -> Result<Pool, DbError> {
    build(url, size, true)
}

fn build(url: &str, size: usize, relaxed: bool) -> Result<Pool, DbError> {
    let Target { mut config, tls } = crate::tls::target(url)?;
    // Hot statements are prepared once per connection (`prepare_cached`: one round trip and
    // no parse per call), but planned per call: a generic plan made while a table is small
    // (a fresh install) kept its sequential scans as the table grew until the next ANALYZE,
    // which made the fan-out and the attempt record 3-4x slower in the bench (BENCHMARKS.md).
    // The few statements whose plans cannot go wrong keep theirs (`kept_plan`).
    let mut options = config.get_options().unwrap_or_default().to_owned();
    options.push_str(" -c plan_cache_mode=force_custom_plan");
    if relaxed {
        options.push_str(" -c synchronous_commit=off");
    }
    config.options(options.trim());
    // Named after the process (`hookd-ingest`, ...) in pg_stat_activity, so an operator can
    // tell the services' connections and their load apart; a URL's application_name wins.
    if config.get_application_name().is_none() {
        if let Some(name) = process_name() {
            config.application_name(&name);
        }
    }
    let manager_config = ManagerConfig {
        recycling_method: RecyclingMethod::Fast,
    };
    let manager = match tls {
        Some(tls) => Manager::from_config(config, tls, manager_config),
        None => Manager::from_config(config, NoTls, manager_config),
    };
    Pool::builder(manager)
        .max_size(size)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(Duration::from_secs(5)))
        .create_timeout(Some(Duration::from_secs(5)))
        .recycle_timeout(Some(Duration::from_secs(5)))
        .build()
        .map_err(|e| DbError::Unavailable(hookd_domain::reason(&e)))
}

/// The running executable's name, e.g. `hookd-router`.
pub fn process_name() -> Option<String> {
    let exe = std::env::current_exe().ok()?;
    Some(exe.file_stem()?.to_str()?.to_owned())
}

/// Splits a URL into (URL of the `postgres` maintenance database, database name).
fn maintenance_url(url: &str) -> Result<(String, String), DbError> {
    let config = crate::tls::target(url)?.config;
    let name = config.get_dbname().unwrap_or("postgres").to_owned();
    let mut parsed = url::Url::parse(url).map_err(|e| DbError::Unavailable(e.to_string()))?;
    parsed.set_path("/postgres");
    Ok((parsed.to_string(), name))
}

async fn maintenance_client(url: &str) -> Result<tokio_postgres::Client, DbError> {
    let Target { config, tls } = crate::tls::target(url)?;
    let client = match tls {
        Some(tls) => {
            let (client, connection) = config.connect(tls).await?;
            tokio::spawn(connection);
            client
        }
        None => {
            let (client, connection) = config.connect(NoTls).await?;
            tokio::spawn(connection);
            client
        }
    };
    Ok(client)
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Creates the database named in `url` when it does not exist yet.
pub async fn create_database_if_missing(url: &str) -> Result<bool, DbError> {
    let (admin_url, name) = maintenance_url(url)?;
    let client = maintenance_client(&admin_url).await?;
    let exists = client
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
        .await?
        .is_some();
    if exists {
        return Ok(false);
    }
    match client
        .batch_execute(&format!("CREATE DATABASE {}", quote_ident(&name)))
        .await
    {
        Ok(()) => Ok(true),
        // Another replica created it meanwhile.
        Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::DUPLICATE_DATABASE) => {
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}

/// Creates the database when missing and applies the migrations: what `hookd migrate` does.
pub async fn ensure_database(url: &str) -> Result<(), DbError> {
    create_database_if_missing(url).await?;
    let pool = connect(url, 1)?;
    let mut client = pool.get().await?;
    crate::migrate(&mut client).await
}

/// Drops the database named in `url`, closing its connections (test clean-up).
pub async fn drop_database(url: &str) -> Result<(), DbError> {
    let (admin_url, name) = maintenance_url(url)?;
    let client = maintenance_client(&admin_url).await?;
    client
        .batch_execute(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            quote_ident(&name)
        ))
        .await?;
    Ok(())
}
