//! hookctl against the real stack (PostgreSQL, RabbitMQ, the three services in this process):
//! the binary itself, spawned as a person or a script would run it.

#[path = "../../../hookd/tests/it/helpers.rs"]
#[allow(dead_code)]
mod helpers;

mod examples;
mod follow;
mod gateway;
mod listen;
mod listen_help;
mod listen_source;
mod profiles;
mod resources;
mod usage;

use helpers::TestStack;
use serde_json::Value;
use std::process::Stdio;
use tokio::process::Command;

/// What a hookctl run printed, and whether it succeeded.
pub struct Run {
    pub ok: bool,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The JSON it printed (`--output json`), asserting success.
    pub fn json(&self) -> Value {
        assert!(self.ok, "hookctl failed: {}{}", self.stdout, self.stderr);
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.stdout))
    }
}

/// `hookctl` with nothing from the test's own environment that would change what it does.
pub fn bare() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_hookctl"));
    for var in [
        "HOOKD_URL",
        "HOOKD_API_KEY",
        "HOOKCTL_PROFILE",
        "HOOKCTL_WEBHOOK_SECRET",
    ] {
        cmd.env_remove(var);
    }
    // A config file of the test's own: never the user's.
    cmd.env("HOOKCTL_CONFIG", scratch("unused.toml"))
        .stdin(Stdio::null())
        .kill_on_drop(true);
    cmd
}

/// A path in a directory of this test run.
pub fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("hookctl-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

pub async fn output(mut cmd: Command) -> Run {
    let out = tokio::time::timeout(std::time::Duration::from_secs(60), cmd.output())
        .await
        .expect("hookctl finishes")
        .expect("hookctl runs");
    Run {
        ok: out.status.success(),
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `hookctl --url <stack> --api-key <admin> ARGS...`.
pub async fn ctl(stack: &TestStack, args: &[&str]) -> Run {
    let mut cmd = bare();
    cmd.args(["--url", &stack.base, "--api-key", helpers::ADMIN_KEY])
        .args(args);
    output(cmd).await
}

/// `ctl` with `--output json`, asserting success.
pub async fn ctl_json(stack: &TestStack, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["--output", "json"]);
    ctl(stack, &all).await.json()
}
