//! `hookd-ingest`: the ingest service alone. Configuration: see config/ and README.md.

fn main() -> std::process::ExitCode {
    hookd_telemetry::exit_code(run())
}

#[tokio::main]
async fn run() -> anyhow::Result<()> {
    let settings = hookd_config::Settings::load()?;
    // Kept to the end of main: dropping it sends the spans still buffered.
    let _telemetry = hookd_telemetry::init(&hookd_telemetry::TelemetryConfig::from_settings(
        &settings,
        "hookd-ingest",
    ))?;
    let shutdown = hookd_telemetry::shutdown_on_signal();
    let service = hookd_ingest::Application::build(settings).await?;
    tracing::info!(port = service.port(), "ingest started");
    service.run_until_stopped(shutdown).await?;
    tracing::info!("ingest stopped");
    Ok(())
}
