//! `hookd-router`: the router service alone. Configuration: see config/ and README.md.

fn main() -> std::process::ExitCode {
    hookd_telemetry::exit_code(run())
}

#[tokio::main]
async fn run() -> anyhow::Result<()> {
    let settings = hookd_config::Settings::load()?;
    // Kept to the end of main: dropping it sends the spans still buffered.
    let _telemetry = hookd_telemetry::init(&hookd_telemetry::TelemetryConfig::from_settings(
        &settings,
        "hookd-router",
    ))?;
    let shutdown = hookd_telemetry::shutdown_on_signal();
    let service = hookd_router::Router::build(settings).await?;
    tracing::info!(port = service.port(), "router started");
    service.run_until_stopped(shutdown).await?;
    tracing::info!("router stopped");
    Ok(())
}
