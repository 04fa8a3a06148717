//! `hookd`: the operator's binary.
//!
//! - `hookd migrate`: creates the database when missing and applies the migrations.
//! - `hookd all-in-one`: migrates, then runs ingest, router and delivery in one process
//!   (small installs, local development). Each also runs alone: `hookd-ingest`,
//!   `hookd-router`, `hookd-delivery`, or `hookd ingest|router|delivery`.
//! - `hookd reseal`: re-encrypts stored secrets with the current encryption key (see
//!   `hookd::reseal`), after a new key was put first in `secrets.encryption_key`.

use hookd_config::Settings;
use tokio_util::sync::CancellationToken;

const USAGE: &str = "usage: hookd <migrate|all-in-one|ingest|router|delivery|reseal>";

fn main() -> std::process::ExitCode {
    hookd_telemetry::exit_code(run())
}

#[tokio::main]
async fn run() -> anyhow::Result<()> {
    let command = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "all-in-one".into());
    let settings = Settings::load()?;
    // Kept to the end of main: dropping it sends the spans still buffered.
    let _telemetry = hookd_telemetry::init(&hookd_telemetry::TelemetryConfig::from_settings(
        &settings, "hookd",
    ))?;
    let shutdown = hookd_telemetry::shutdown_on_signal();
    match command.as_str() {
        "migrate" => migrate(&settings).await,
        "all-in-one" => {
            migrate(&settings).await?;
            all_in_one(settings, shutdown).await
        }
        "ingest" => {
            let s = hookd_ingest::Application::build(settings).await?;
            tracing::info!(port = s.port(), "ingest started");
            Ok(s.run_until_stopped(shutdown).await?)
        }
        "router" => {
            let s = hookd_router::Router::build(settings).await?;
            s.run_until_stopped(shutdown).await
        }
        "delivery" => {
            let s = hookd_delivery::DeliveryWorker::build(settings).await?;
            s.run_until_stopped(shutdown).await
        }
        "reseal" => {
            let report = hookd::reseal::reseal(&settings).await?;
            println!(
                "resealed {} of {} stored secrets ({} changed meanwhile: run again)",
                report.resealed, report.examined, report.changed_meanwhile
            );
            Ok(())
        }
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            Ok(())
        }
        other => anyhow::bail!("unknown command `{other}`; {USAGE}"),
    }
}

async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    hookd_db::ensure_database(settings.database.url.expose()).await?;
    tracing::info!("database migrated");
    Ok(())
}

async fn all_in_one(settings: Settings, shutdown: CancellationToken) -> anyhow::Result<()> {
    let ingest = hookd_ingest::Application::build(settings.clone()).await?;
    let router = hookd_router::Router::build(settings.clone()).await?;
    let delivery = hookd_delivery::DeliveryWorker::build(settings.clone()).await?;
    tracing::info!(
        api = %format!("http://{}", settings.ingest.listen),
        router_port = router.port(),
        delivery_port = delivery.port(),
        "hookd started"
    );
    let (a, b, c) = tokio::join!(
        ingest.run_until_stopped(shutdown.clone()),
        router.run_until_stopped(shutdown.clone()),
        delivery.run_until_stopped(shutdown.clone()),
    );
    a?;
    b?;
    c?;
    tracing::info!("hookd stopped");
    Ok(())
}
