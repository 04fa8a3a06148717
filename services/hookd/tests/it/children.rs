//! hookd's services as real child processes of a test, to be SIGKILLed.

use hookd_config::Settings;
use std::process::Stdio;
use tokio::process::{Child, Command};

/// `hookd router` or `hookd delivery` as a real child process of the test.
pub fn spawn_service(settings: &Settings, service: &str) -> Child {
    spawn_service_with(settings, service, &[])
}

/// A hookd service as a child process, with extra environment (`hookd ingest` needs its
/// listen address and bootstrap key).
pub fn spawn_service_with(settings: &Settings, service: &str, env: &[(&str, String)]) -> Child {
    let output = || {
        if std::env::var_os("TEST_LOG").is_some() {
            Stdio::inherit()
        } else {
            Stdio::null()
        }
    };
    Command::new(env!("CARGO_BIN_EXE_hookd"))
        .arg(service)
        .env("HOOKD_PROFILE", "local")
        .env("HOOKD_CONFIG_DIR", "/nonexistent")
        .env("HOOKD__DATABASE__URL", settings.database.url.expose())
        .env("HOOKD__AMQP__URL", settings.amqp.url.expose())
        .env("HOOKD__AMQP__PREFIX", &settings.amqp.prefix)
        // The children open the endpoint secrets that the test's ingest sealed: without the
        // key they could not sign, and would send nothing.
        .env(
            "HOOKD__SECRETS__ENCRYPTION_KEY",
            settings
                .encryption_key()
                .expect("test settings seal secrets"),
        )
        .env("HOOKD__ROUTER__LISTEN", "127.0.0.1:0")
        .env("HOOKD__DELIVERY__LISTEN", "127.0.0.1:0")
        .env("HOOKD__ROUTER__SWEEP_INTERVAL", "200ms")
        .env("HOOKD__ROUTER__RELAY_AFTER", "2s")
        .env("HOOKD__DELIVERY__RETRY_SCHEDULE", "0s,300ms,300ms,1s,1s")
        .env("HOOKD__DELIVERY__LEASE", "3s")
        .env("HOOKD__DELIVERY__POLL_INTERVAL", "100ms")
        .env("HOOKD__LOG__LEVEL", "warn")
        .env("HOOKD__LOG__FORMAT", "json")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(output())
        .stderr(output())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn hookd service")
}

pub async fn kill(child: &mut Child) {
    child.start_kill().expect("SIGKILL");
    let _ = child.wait().await;
}
