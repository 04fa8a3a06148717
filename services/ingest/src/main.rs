//! `hookd-ingest`: the ingest service alone. Configuration: see config/ and README.md.

fn main() -> std::process::ExitCode {
    hookd_telemetry::exit_code(run())
}

#[tokio::main]
async fn run() -> anyhow::Result<()> {
    let settings = hookd_config::Settings::load()?;
    hookd_telemetry::init_tracing(
        settings.log.format == hookd_config::LogFormat::Json,
        &settings.log.level,
    );
    let shutdown = hookd_telemetry::shutdown_on_signal();
    let service = hookd_ingest::Application::build(settings).await?;
    tracing::info!(port = service.port(), "ingest started");
    service.run_until_stopped(shutdown).await?;
    tracing::info!("ingest stopped");
    Ok(())
}
